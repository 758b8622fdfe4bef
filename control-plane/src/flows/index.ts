export { FLOWS_POLICY, flowsModule, flowsRef, type FlowsModule } from './module.js';
export { DEFAULT_FLOWS_POLICY, FlowApp, FlowsPolicy } from './policy.js';
export { FlowsService, type FlowBatch, type FlowsDeps, type FlowsSettings } from './service.js';
export { FlowAnalytics, FLOW_DIMENSIONS, type FlowDimension } from './query.js';
export {
  FLOWS_TABLES,
  FLOW_COLUMNS,
  FLOW_STATS_COLUMNS,
  FLOWS_TELEMETRY_MIGRATIONS,
} from './telemetry-schema.js';
export { PrefixTrie, parseIpv4, parseIpv6 } from './prefix-lookup.js';
export { AppClassifier, PROTOCOL_NUMBERS, protocolName } from './apps.js';
