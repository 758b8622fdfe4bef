import { Counter, Gauge, type Registry } from 'prom-client';

/** The alerting module's Prometheus metrics, registered in the control plane's registry. */
export class AlertingMetrics {
  readonly notifications: Counter<'receiver' | 'outcome'>;
  readonly firing: Gauge<'kind' | 'severity'>;

  /** `countFiring` is called at each scrape; when it fails the gauge keeps its last values. */
  constructor(
    registry: Registry,
    countFiring: () => Promise<{ kind: string; severity: string; n: number }[]>,
  ) {
    this.notifications = new Counter({
      name: 'tianshu_alarm_notifications_total',
      help: 'Alarm notification webhook requests, by receiver and outcome (sent, failed).',
      labelNames: ['receiver', 'outcome'] as const,
      registers: [registry],
    });
    this.firing = new Gauge({
      name: 'tianshu_alarms_firing',
      help: 'Firing alarms across all org units, by kind and severity.',
      labelNames: ['kind', 'severity'] as const,
      registers: [registry],
      async collect() {
        let rows: { kind: string; severity: string; n: number }[];
        try {
          rows = await countFiring();
        } catch {
          // The store being down must not break the exposition.
          return;
        }
        this.reset();
        for (const r of rows) this.set({ kind: r.kind, severity: r.severity }, r.n);
      },
    });
  }
}
