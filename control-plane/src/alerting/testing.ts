import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../logger.js';
import { Metrics } from '../observability/metrics.js';
import type { StateStore } from '../store/state/index.js';
import type { TestInventory } from '../inventory/testing.js';
import { NotificationsPolicy } from './policy.js';
import { NETWORK_ALARM_DOMAIN } from '../network/alarms.js';
import { DefaultAlarmService } from './service.js';
import type { AlertingConfig } from './config.js';
import type { AlertmanagerPayload } from './webhook.js';

/** A request the test receiver got. */
export interface ReceivedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: AlertmanagerPayload;
}

/**
 * A real HTTP webhook receiver on 127.0.0.1 for tests. `statuses` are answered in turn (then 200);
 * every request is recorded, including the failed ones.
 */
export interface TestReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** Status codes for the next requests, in order. */
  statuses: number[];
  close(): Promise<void>;
}

export async function startTestReceiver(): Promise<TestReceiver> {
  const requests: ReceivedRequest[] = [];
  const statuses: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        path: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as AlertmanagerPayload,
      });
      const status = statuses.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'receiver is unhappy');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    statuses,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** An alarm service on a test inventory's store, with a policy the test can swap. */
export function testAlarmService(
  t: Pick<TestInventory, 'audit' | 'orgUnits'> & { db: StateStore },
  opts: { policy?: unknown; config?: Partial<AlertingConfig> } = {},
): { alarms: DefaultAlarmService; setPolicy(p: unknown): void; metrics: Metrics } {
  let policy = NotificationsPolicy.parse(opts.policy ?? {});
  const metrics = new Metrics();
  const alarms = new DefaultAlarmService({
    db: t.db,
    orgUnits: t.orgUnits,
    audit: t.audit,
    notifications: () => policy,
    metrics,
    log: createLogger('silent'),
    config: { retryBaseMillis: 0, ...opts.config },
    externalUrl: 'https://tianshu.example',
    userAgent: 'Tianshu/test',
    // As in the control plane, where the network module declares its domain.
    domains: [NETWORK_ALARM_DOMAIN],
  });
  return {
    alarms,
    metrics,
    setPolicy(p) {
      policy = NotificationsPolicy.parse(p);
    },
  };
}
