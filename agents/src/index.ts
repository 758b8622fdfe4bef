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
