export { enrol, EnrolError, sanitiseHostname } from './enrol.js';
export type { EnrolOptions, EnrolResult } from './enrol.js';
export { startAgent } from './agent.js';
export type { StartAgentOptions, RunningAgent, AgentStats } from './agent.js';
export {
  AgentSettings,
  loadSettings,
  parseSettings,
  settingsEnv,
  defaultAgentConfig,
  SettingsError,
} from './config.js';
export type { AgentSettingsInput } from './config.js';
export { Identity, loadIdentity, saveIdentity } from './identity.js';
export { agentVersion } from './version.js';
export { main as runCli } from './cli.js';
export { createJsonLogger, silentLogger } from './runtime/logger.js';
export type { Logger, LogLevel } from './runtime/logger.js';
export { HostCollector } from './host/collector.js';
export { startLab } from './lab/lab.js';
export type { Lab, LabRouterInfo, StartLabOptions } from './lab/lab.js';
export type { LabLinkInfo } from './lab/model.js';
export { LabConfigError } from './lab/errors.js';
export { loadScenario, parseScenario, ScenarioSchema } from './lab/scenario.js';
export type { LinkRef, Scenario, ScenarioEvent, ScenarioInput } from './lab/scenario.js';
export { loadInventory, parseInventory, defaultLabPort } from './lab/inventory.js';
export { EdgePoller, pollOnce } from './edge/poller.js';
export type { EdgeTaskOptions, PollCycleSummary, PollDeviceOptions } from './edge/poller.js';
export { EdgeDiscovery } from './edge/discovery.js';
export { EdgeRole } from './edge/role.js';
export type { EdgeRoleOptions, EdgeRoleStats } from './edge/role.js';
export { EdgeMetrics } from './edge/metrics.js';
export { createSnmpSession, SnmpError, SnmpType } from './edge/snmp-client.js';
export type { SnmpSession, SnmpSessionFactory, SnmpErrorKind, Varbind } from './edge/snmp-client.js';
export { computeRates, counterDelta } from './edge/counters.js';
export { FlowCollector } from './flows/collector.js';
export type { FlowCollectorOptions, FlowCollectorStats, FlowSocketStats } from './flows/collector.js';
export { FlowAggregator } from './flows/aggregator.js';
