/**
 * Storage health: whether each store can still write.
 *
 * A store counts as full while (a) its last writes failed for lack of space (`failed()`, fed by the
 * monitored stores in `monitored.ts`), or (b) the free space of an embedded store's directory is
 * below `storage.minFreeMegabytes` (checked with `statfs`). While a store is full, `/readyz` is
 * unready naming it, writes answer `storage.full`, and the `storage-full` alarm is raised.
 *
 * Recovery is seen without outside traffic: every `checkIntervalSeconds` a store that is full runs a
 * small write probe; a successful write (a probe or any insert) after a quiet period with no
 * storage-full failure ends the condition.
 *
 * The alarm: when the telemetry store is the full one, the alarm is stored at once. When the state
 * store (which holds alarms) is full, the alarm cannot be stored: it is kept in memory, shown by
 * `/readyz` and `GET /api/v1/status`, and stored (fired with the time the condition began, then
 * resolved) as soon as the state store accepts writes again.
 */
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { AlarmSink } from '../alerting/index.js';
import { StorageFullError, type StoreName } from '../errors.js';
import type { Logger } from '../logger.js';
import { toStorageError } from './storage-errors.js';

export const STORAGE_FULL_ALARM = 'storage-full';

export type StorageConditionSource = 'write' | 'free-space';

/** A store that is full now, as `/readyz` and the status route show it. */
export interface StorageCondition {
  store: StoreName;
  /** `write`: writes failed for lack of space; `free-space`: free space is below the threshold. */
  sources: StorageConditionSource[];
  /** One phrase, without engine internals. */
  reason: string;
  /** ISO 8601: when the condition began. */
  since: string;
  /** `pending` while the alarm cannot be stored yet (the state store is full), then `firing`. */
  alarm: 'pending' | 'firing';
}

export interface StorageHealthSettings {
  /** Free space below which an embedded store counts as full; 0 turns the check off. */
  minFreeMegabytes: number;
  checkIntervalSeconds: number;
}

export interface StorageHealthDeps {
  log: Logger;
  settings: StorageHealthSettings;
  /** Directories of the embedded stores (PGlite, chDB), whose free space is checked. */
  paths?: Partial<Record<StoreName, string>> | undefined;
}

interface Episode {
  since: Date;
  reasons: Map<StorageConditionSource, string>;
  lastFailureAt: number;
  fired: boolean;
  /** Set when the condition ended; the episode stays until its alarm is resolved. */
  endedAt?: Date;
}

/**
 * The directories of the stores that are embedded (PGlite under `dataDir/state`, chDB under
 * `dataDir/telemetry`); a server store, or one passed in, has none.
 */
export function embeddedStorePaths(
  config: { dataDir: string; databaseUrl?: string | undefined; clickhouseUrl?: string | undefined },
  injected: { db?: unknown; telemetry?: unknown } = {},
): Partial<Record<StoreName, string>> {
  return {
    ...(config.databaseUrl || injected.db ? {} : { state: join(config.dataDir, 'state') }),
    ...(config.clickhouseUrl || injected.telemetry ? {} : { telemetry: join(config.dataDir, 'telemetry') }),
  };
}

const STORES: readonly StoreName[] = ['state', 'telemetry'];
const MiB = 1024 * 1024;
const PROBE_TIMEOUT_MILLIS = 5000;

export class StorageHealth {
  readonly #deps: StorageHealthDeps;
  readonly #episodes = new Map<StoreName, Episode>();
  #probes: Partial<Record<StoreName, () => Promise<unknown>>> = {};
  #alarms: { sink: AlarmSink; orgUnitId: () => Promise<string | undefined> } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  #lastProbeAt = 0;
  #syncing: Promise<void> = Promise.resolve();

  constructor(deps: StorageHealthDeps) {
    const { minFreeMegabytes, checkIntervalSeconds } = deps.settings ?? {};
    if (!(minFreeMegabytes >= 0) || !(checkIntervalSeconds >= 1)) {
      throw new Error(
        'storage health requires settings "minFreeMegabytes" (>= 0) and "checkIntervalSeconds" (>= 1)',
      );
    }
    this.#deps = deps;
  }

  /** Write probes that run while a store is full (see `monitored.ts`). */
  useProbes(probes: Partial<Record<StoreName, () => Promise<unknown>>>): void {
    this.#probes = probes;
  }

  /** Where the storage-full alarm goes, and the org unit it belongs to (the root). */
  useAlarms(sink: AlarmSink, orgUnitId: () => Promise<string | undefined>): void {
    this.#alarms = { sink, orgUnitId };
  }

  /**
   * Records a failed store call: a storage-full failure starts (or continues) the store's condition
   * and comes back as a `StorageFullError`; anything else comes back unchanged.
   */
  failed(store: StoreName, error: unknown): unknown {
    const converted = toStorageError(store, error);
    if (converted instanceof StorageFullError) {
      const detail = error instanceof Error ? error.message.slice(0, 300) : String(error).slice(0, 300);
      this.#raise(store, 'write', converted.reason, detail);
    }
    return converted;
  }

  /** Records a successful write: after a quiet period it ends a write condition. */
  wrote(store: StoreName): void {
    const e = this.#episodes.get(store);
    if (!e || e.endedAt || !e.reasons.has('write')) return;
    if (Date.now() - e.lastFailureAt < this.#deps.settings.checkIntervalSeconds * 1000) return;
    this.#clear(store, 'write');
  }

  /** The stores that are full now. */
  conditions(): StorageCondition[] {
    const out: StorageCondition[] = [];
    for (const store of STORES) {
      const e = this.#episodes.get(store);
      if (!e || e.endedAt) continue;
      out.push({
        store,
        sources: [...e.reasons.keys()],
        reason: [...e.reasons.values()].join('; '),
        since: e.since.toISOString(),
        alarm: e.fired ? 'firing' : 'pending',
      });
    }
    return out;
  }

  /** Checks free space, probes full stores, and stores or resolves alarms. One check at a time. */
  check(): Promise<void> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  /** Starts the periodic check (timer unref()ed). */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.check(), this.#deps.settings.checkIntervalSeconds * 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #check(): Promise<void> {
    const { paths = {}, settings, log } = this.#deps;
    for (const store of STORES) {
      const path = paths[store];
      if (!path || settings.minFreeMegabytes <= 0) continue;
      try {
        const s = await statfs(path);
        const free = Number(s.bavail) * Number(s.bsize);
        const threshold = settings.minFreeMegabytes * MiB;
        const noInodes = Number(s.files) > 0 && Number(s.ffree) === 0;
        if (free < threshold || noInodes) {
          const reason = noInodes
            ? 'no free inodes on its data directory'
            : `free space on its data directory is ${(free / MiB).toFixed(1)} MiB, below storage.minFreeMegabytes (${settings.minFreeMegabytes})`;
          this.#raise(store, 'free-space', reason, path);
        } else {
          this.#clear(store, 'free-space');
        }
      } catch (err) {
        log.warn({ store, path, reason: (err as Error).message }, 'cannot check free space of a store');
      }
    }
    // Probes run at most once per interval, however often /readyz asks.
    if (Date.now() - this.#lastProbeAt >= settings.checkIntervalSeconds * 1000) {
      this.#lastProbeAt = Date.now();
      for (const store of STORES) {
        const e = this.#episodes.get(store);
        const probe = this.#probes[store];
        if (!e || e.endedAt || !e.reasons.has('write') || !probe) continue;
        // The probe goes through the monitored store, which records its success or failure.
        await withTimeout(probe(), PROBE_TIMEOUT_MILLIS).catch(() => undefined);
      }
    }
    await this.#sync();
  }

  #raise(store: StoreName, source: StorageConditionSource, reason: string, detail: string): void {
    const now = new Date();
    let e = this.#episodes.get(store);
    if (e?.endedAt) {
      // A new condition before the last one's alarm was resolved: continue that alarm.
      delete e.endedAt;
    }
    if (!e) {
      e = { since: now, reasons: new Map(), lastFailureAt: 0, fired: false };
      this.#episodes.set(store, e);
    }
    if (source === 'write') e.lastFailureAt = now.getTime();
    const known = e.reasons.get(source);
    e.reasons.set(source, reason);
    if (known === undefined) {
      this.#deps.log.error(
        { store, source, reason, detail },
        source === 'write'
          ? `${store} store is out of storage space; writes fail`
          : `${store} store is low on storage space`,
      );
      void this.#sync();
    }
  }

  #clear(store: StoreName, source: StorageConditionSource): void {
    const e = this.#episodes.get(store);
    if (!e || e.endedAt || !e.reasons.delete(source)) return;
    if (e.reasons.size > 0) return;
    e.endedAt = new Date();
    this.#deps.log.info(
      { store, since: e.since.toISOString() },
      `${store} store has storage space again; writes succeed`,
    );
    void this.#sync();
  }

  /** Stores pending alarms and resolves ended ones; one run at a time, failures retried next check. */
  #sync(): Promise<void> {
    this.#syncing = this.#syncing.then(async () => {
      const alarms = this.#alarms;
      if (!alarms) {
        for (const [store, e] of this.#episodes) if (e.endedAt) this.#episodes.delete(store);
        return;
      }
      for (const [store, e] of [...this.#episodes]) {
        try {
          if (!e.fired) {
            const orgUnitId = await alarms.orgUnitId();
            if (!orgUnitId) continue;
            await alarms.sink.fire(
              {
                kind: STORAGE_FULL_ALARM,
                severity: 'critical',
                orgUnitId,
                targetType: 'store',
                targetId: store,
                summary: `The ${store} store is out of storage space: ${[...e.reasons.values()].join('; ') || 'writes failed'}`,
                labels: { store },
              },
              e.since,
            );
            e.fired = true;
          }
          if (e.endedAt) {
            await alarms.sink.resolve(STORAGE_FULL_ALARM, 'store', store, e.endedAt);
            if (this.#episodes.get(store) === e && e.endedAt) this.#episodes.delete(store);
          }
        } catch {
          // Most likely the state store is the full one; the alarm stays in memory (shown by /readyz
          // and the status route) and is stored on a later check.
        }
      }
    });
    return this.#syncing;
  }
}

function withTimeout<T>(p: Promise<T>, millis: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${millis} ms`)), millis);
    t.unref();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(t);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
