/** Until D1's telemetry schema lands: the contract's table names. */
export const FLOW_TABLES_D2 = Object.freeze({
  flows: 'flows_1m',
  flowsHour: 'flows_1h',
  stats: 'flow_exporter_stats',
});
