import type { PollTarget } from '@tianshu/protocol';
import type { EdgeMetrics } from './metrics.js';
import { deadlineSignal } from './pool.js';
import type { SnmpErrorKind, SnmpSession, SnmpSessionFactory } from './snmp-client.js';
import { SnmpError } from './snmp-client.js';

/** Error kinds that mean the device did not answer at all, rather than answered badly. */
const unreachableKinds: ReadonlySet<SnmpErrorKind> = new Set(['timeout', 'network']);

export type DeviceTask = 'poll' | 'discovery' | 'sweep';

export type DeviceOutcome<T> = { ok: true; value: T } | { ok: false; error: SnmpError; reachable: boolean };

/**
 * Runs `fn` on a fresh SNMP session to one device, bounded by a deadline (by default ten times the
 * target's timeout × attempts). Never rejects: any failure comes back as an `SnmpError` (anything
 * else is wrapped as `internal`), counted by kind. The session is always closed and its varbinds
 * counted, whatever happened.
 */
export async function withDeviceSession<T>(
  target: PollTarget,
  options: {
    task: DeviceTask;
    factory: SnmpSessionFactory;
    maxVarbinds: number;
    metrics?: EdgeMetrics | undefined;
    signal?: AbortSignal | undefined;
    deadlineMillis?: number | undefined;
  },
  fn: (session: SnmpSession) => Promise<T>,
): Promise<DeviceOutcome<T>> {
  const { task, metrics } = options;
  const budget = options.deadlineMillis ?? target.timeoutMs * (target.retries + 1) * 10;
  const deadline = deadlineSignal(
    budget,
    options.signal,
    () => new SnmpError('timeout', `${task} did not finish within ${budget} ms`),
  );
  let session: SnmpSession | undefined;
  try {
    session = options.factory(target, { maxVarbinds: options.maxVarbinds, signal: deadline.signal });
    return { ok: true, value: await fn(session) };
  } catch (err) {
    const error = err instanceof SnmpError ? err : new SnmpError('internal', String(err));
    metrics?.errors.inc({ task, kind: error.kind });
    return { ok: false, error, reachable: !unreachableKinds.has(error.kind) };
  } finally {
    deadline.release();
    if (session) {
      metrics?.walkVarbinds.inc({ task }, session.varbindsReceived);
      session.close();
    }
  }
}
