import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** The edge role's own metrics, registered on the agent's registry. */
export class EdgeMetrics {
  readonly polls: Counter<'outcome'>;
  readonly pollDuration: Histogram<'outcome'>;
  readonly interfacesPolled: Counter;
  readonly walkVarbinds: Counter<'task'>;
  readonly errors: Counter<'task' | 'kind'>;
  readonly discoveries: Counter<'outcome'>;
  readonly targets: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.polls = new Counter({
      name: 'tianshu_agent_snmp_polls_total',
      help: 'Interface polls of devices, by outcome (ok, unreachable, error).',
      labelNames: ['outcome'],
      registers,
    });
    this.pollDuration = new Histogram({
      name: 'tianshu_agent_snmp_poll_duration_seconds',
      help: 'Time to poll one device, by outcome.',
      labelNames: ['outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.interfacesPolled = new Counter({
      name: 'tianshu_agent_snmp_interfaces_polled_total',
      help: 'Interfaces reported by successful polls.',
      registers,
    });
    this.walkVarbinds = new Counter({
      name: 'tianshu_agent_snmp_walk_varbinds_total',
      help: 'Varbinds received by GETBULK walks, by task (poll, discovery, sweep).',
      labelNames: ['task'],
      registers,
    });
    this.errors = new Counter({
      name: 'tianshu_agent_snmp_errors_total',
      help: 'SNMP errors, by task (poll, discovery, sweep) and kind (timeout, auth, malformed, walk-not-increasing, ...).',
      labelNames: ['task', 'kind'],
      registers,
    });
    this.discoveries = new Counter({
      name: 'tianshu_agent_snmp_discoveries_total',
      help: 'Discovery runs of devices, by outcome (ok, unreachable, error).',
      labelNames: ['outcome'],
      registers,
    });
    this.targets = new Counter({
      name: 'tianshu_agent_snmp_target_updates_total',
      help: 'Times the edge role applied a new list of poll targets.',
      registers,
    });
  }
}
