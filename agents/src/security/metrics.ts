import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

/** The security collector's metrics on the agent's `/metrics` (sources are config names: bounded). */
export class SecurityMetrics {
  readonly accepted: Counter<'source'>;
  readonly rejected: Counter<'source' | 'reason'>;
  readonly dropped: Counter<'source' | 'reason'>;
  readonly listenerErrors: Counter<'source'>;
  readonly payloads: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.accepted = new Counter({
      name: 'tianshu_agent_security_events_accepted_total',
      help: 'Security events parsed and accepted, by source (listener or file name).',
      labelNames: ['source'],
      registers,
    });
    this.rejected = new Counter({
      name: 'tianshu_agent_security_events_rejected_total',
      help: 'Security event lines rejected as malformed, by source and reason.',
      labelNames: ['source', 'reason'],
      registers,
    });
    this.dropped = new Counter({
      name: 'tianshu_agent_security_events_dropped_total',
      help: 'Security events dropped (queue-full: the agent queue near its bounds; receiver: sender not allowed, connection limit, shutdown), by source.',
      labelNames: ['source', 'reason'],
      registers,
    });
    this.listenerErrors = new Counter({
      name: 'tianshu_agent_security_source_errors_total',
      help: 'Security listeners that could not start and files that could not be read, by source.',
      labelNames: ['source'],
      registers,
    });
    this.payloads = new Counter({
      name: 'tianshu_agent_security_payloads_total',
      help: 'security-events payloads handed to the transport.',
      registers,
    });
  }
}
