import type { PollTarget, SweepPayload, SweepTarget } from '@tianshu/protocol';
import type { Logger } from '../runtime/logger.js';
import { silentLogger } from '../runtime/logger.js';
import { withDeviceSession } from './device-session.js';
import type { EdgeMetrics } from './metrics.js';
import { displayString, noSuchName } from './poller.js';
import { runPool } from './pool.js';
import type { SnmpSessionFactory } from './snmp-client.js';
import { SnmpType, createSnmpSession } from './snmp-client.js';

/** What a sweep asks each address: sysObjectID.0, sysName.0, sysDescr.0 (one GET). */
export const sweepOids = ['1.3.6.1.2.1.1.2.0', '1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.1.1.0'] as const;

/** Options of {@link runSweep}. */
export interface SweepOptions {
  sessionFactory?: SnmpSessionFactory;
  /** Addresses probed at the same time. */
  concurrency: number;
  /** Aborting cuts the sweep short: the payload then says how far it got, in `error`. */
  signal?: AbortSignal;
  metrics?: EdgeMetrics;
  logger?: Logger;
  now?: () => number;
}

/**
 * Probes every address of a sweep once (a GET of sysObjectID, sysName and sysDescr with the
 * sweep's credentials, timeout and retries), at most `concurrency` at a time, and reports the ones
 * that answered. Never rejects: a sweep cut short (aborted) says so in `error`.
 */
export async function runSweep(sweep: SweepTarget, options: SweepOptions): Promise<SweepPayload> {
  const factory = options.sessionFactory ?? createSnmpSession;
  const log = options.logger ?? silentLogger;
  const at = (options.now ?? Date.now)();
  const addresses = sweep.addresses.slice(0, 1024);
  const found: SweepPayload['found'] = [];
  const answered = new Map<string, SweepPayload['found'][number]>();
  let probed = 0;
  const failures = new Map<string, number>();
  await runPool(
    addresses,
    Math.max(1, options.concurrency),
    async (address) => {
      const target: PollTarget = {
        deviceId: `sweep-${sweep.sweepId}`.slice(0, 63),
        address,
        port: sweep.port,
        credentials: sweep.credentials,
        timeoutMs: sweep.timeoutMs,
        retries: sweep.retries,
        maxRepetitions: 1,
      };
      const run = await withDeviceSession(
        target,
        {
          task: 'sweep',
          factory,
          maxVarbinds: 16,
          metrics: options.metrics,
          signal: options.signal,
          deadlineMillis: sweep.timeoutMs * (sweep.retries + 1) + 1000,
        },
        (session) => session.get(sweepOids),
      );
      if (options.signal?.aborted) return;
      probed += 1;
      if (!run.ok) {
        failures.set(run.error.kind, (failures.get(run.error.kind) ?? 0) + 1);
        return;
      }
      const [objectId, name, descr] = run.value;
      const entry: SweepPayload['found'][number] = { address };
      if (objectId?.type === SnmpType.ObjectIdentifier && typeof objectId.value === 'string') {
        entry.sysObjectId = objectId.value.slice(0, 256);
      }
      if (name?.type === SnmpType.OctetString) entry.sysName = displayString(name.value);
      if (descr?.type === SnmpType.OctetString) entry.sysDescr = displayString(descr.value, 1024);
      // An agent that answers the GET at all is there, even when it lacks the system group.
      if (
        !entry.sysObjectId &&
        !entry.sysName &&
        !entry.sysDescr &&
        run.value.every((v) => noSuchName(v.type))
      ) {
        failures.set('no-system-group', (failures.get('no-system-group') ?? 0) + 1);
      }
      answered.set(address, entry);
    },
    options.signal,
  );
  // In the order the sweep listed the addresses, whatever order they answered in.
  for (const a of addresses) {
    const e = answered.get(a);
    if (e) found.push(e);
  }
  const payload: SweepPayload = { kind: 'sweep', sweepId: sweep.sweepId, at, probed, found };
  if (probed < addresses.length) {
    const reason = options.signal?.reason instanceof Error ? options.signal.reason.message : 'stopped';
    payload.error = `sweep cut short after ${probed} of ${addresses.length} addresses: ${reason}`.slice(
      0,
      1000,
    );
  }
  log.info('edge sweep finished', {
    sweepId: sweep.sweepId,
    addresses: addresses.length,
    probed,
    found: found.length,
    ...(failures.size > 0 ? { failures: Object.fromEntries(failures) } : {}),
    ...(payload.error ? { error: payload.error } : {}),
  });
  return payload;
}
