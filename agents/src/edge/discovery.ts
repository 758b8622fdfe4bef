import type { DiscoveryPayload, LldpNeighbour, PollTarget } from '@tianshu/protocol';
import type { Logger } from '../runtime/logger.js';
import { silentLogger } from '../runtime/logger.js';
import type { EdgeMetrics } from './metrics.js';
import type { EdgeTaskOptions } from './poller.js';
import { displayString, expectType, typeName, walkColumnGroups } from './poller.js';
import type { ColumnSpec } from './poller.js';
import { runPool } from './pool.js';
import { withDeviceSession } from './device-session.js';
import type { SnmpSessionFactory, Varbind } from './snmp-client.js';
import { SnmpError, SnmpType, createSnmpSession, defaultMaxVarbinds } from './snmp-client.js';

/** System group scalars read by discovery. */
export const systemOids = {
  sysDescr: '1.3.6.1.2.1.1.1.0',
  sysObjectId: '1.3.6.1.2.1.1.2.0',
  sysName: '1.3.6.1.2.1.1.5.0',
} as const;

/** Interface columns read by discovery. */
export const discoveryIfColumns = {
  ifDescr: { name: 'ifDescr', oid: '1.3.6.1.2.1.2.2.1.2', type: SnmpType.OctetString },
  ifType: { name: 'ifType', oid: '1.3.6.1.2.1.2.2.1.3', type: SnmpType.Integer },
  ifName: { name: 'ifName', oid: '1.3.6.1.2.1.31.1.1.1.1', type: SnmpType.OctetString },
  ifHighSpeed: { name: 'ifHighSpeed', oid: '1.3.6.1.2.1.31.1.1.1.15', type: SnmpType.Gauge32 },
  ifAlias: { name: 'ifAlias', oid: '1.3.6.1.2.1.31.1.1.1.18', type: SnmpType.OctetString },
} as const satisfies Record<string, ColumnSpec>;

/** LLDP-MIB lldpRemTable (index timeMark.localPortNum.index) and lldpLocPortTable (index localPortNum). */
export const lldpColumns = {
  lldpRemChassisId: { name: 'lldpRemChassisId', oid: '1.0.8802.1.1.2.1.4.1.1.5', type: SnmpType.OctetString },
  lldpRemPortId: { name: 'lldpRemPortId', oid: '1.0.8802.1.1.2.1.4.1.1.7', type: SnmpType.OctetString },
  lldpRemPortDesc: { name: 'lldpRemPortDesc', oid: '1.0.8802.1.1.2.1.4.1.1.8', type: SnmpType.OctetString },
  lldpRemSysName: { name: 'lldpRemSysName', oid: '1.0.8802.1.1.2.1.4.1.1.9', type: SnmpType.OctetString },
  lldpLocPortId: { name: 'lldpLocPortId', oid: '1.0.8802.1.1.2.1.3.7.1.3', type: SnmpType.OctetString },
  lldpLocPortDesc: { name: 'lldpLocPortDesc', oid: '1.0.8802.1.1.2.1.3.7.1.4', type: SnmpType.OctetString },
} as const satisfies Record<string, ColumnSpec>;

/**
 * Shows an LLDP identifier: as text when it is printable, else as colon-separated hex (chassis
 * ids are often MAC addresses).
 */
export function lldpId(value: unknown): string {
  if (!Buffer.isBuffer(value)) return displayString(value);
  // eslint-disable-next-line no-control-regex
  const printable = value.length > 0 && !/[\u0000-\u001f\u007f-\u009f\ufffd]/.test(value.toString('utf8'));
  return printable
    ? displayString(value)
    : [...value]
        .map((b) => b.toString(16).padStart(2, '0'))
        .join(':')
        .slice(0, 256);
}

/** The index part of a column varbind as integers, or undefined when it is not `parts` integers. */
function indexOf(vb: Varbind, column: ColumnSpec, parts: number): number[] | undefined {
  const rest = vb.oid.slice(column.oid.length + 1).split('.');
  if (rest.length !== parts || rest.some((p) => !/^\d{1,10}$/.test(p))) return undefined;
  return rest.map(Number);
}

type Columns<T extends Record<string, ColumnSpec>> = { [K in keyof T]: Varbind[] };

function byColumn<T extends Record<string, ColumnSpec>>(specs: T, walked: Varbind[][]): Columns<T> {
  const out = {} as Columns<T>;
  (Object.keys(specs) as (keyof T)[]).forEach((k, i) => {
    const rows = walked[i] ?? [];
    for (const vb of rows) expectType(vb, specs[k] as ColumnSpec);
    out[k] = rows;
  });
  return out;
}

/** Interfaces of a discovery payload from the walked interface columns. */
export function assembleDiscoveredInterfaces(
  cols: Columns<typeof discoveryIfColumns>,
): (DiscoveryPayload['interfaces'][number] & { descr: string })[] {
  const rows = new Map<
    number,
    { name?: string; descr?: string; alias?: string; type?: number; speed?: number }
  >();
  const row = (idx: number): NonNullable<ReturnType<typeof rows.get>> => {
    let r = rows.get(idx);
    if (!r) rows.set(idx, (r = {}));
    return r;
  };
  const each = (list: Varbind[], spec: ColumnSpec, set: (idx: number, vb: Varbind) => void): void => {
    for (const vb of list) {
      const i = indexOf(vb, spec, 1)?.[0];
      if (i !== undefined && i >= 1 && i <= 2_147_483_647) set(i, vb);
    }
  };
  each(cols.ifDescr, discoveryIfColumns.ifDescr, (i, vb) => (row(i).descr = displayString(vb.value)));
  each(cols.ifType, discoveryIfColumns.ifType, (i, vb) => (row(i).type = Number(vb.value)));
  each(cols.ifName, discoveryIfColumns.ifName, (i, vb) => (row(i).name = displayString(vb.value)));
  each(cols.ifHighSpeed, discoveryIfColumns.ifHighSpeed, (i, vb) => (row(i).speed = Number(vb.value)));
  each(cols.ifAlias, discoveryIfColumns.ifAlias, (i, vb) => (row(i).alias = displayString(vb.value)));
  return [...rows]
    .sort((a, b) => a[0] - b[0])
    .map(([ifIndex, r]) => ({
      ifIndex,
      name: r.name || r.descr || '',
      descr: r.descr ?? '',
      alias: r.alias ?? '',
      type: r.type !== undefined && r.type >= 0 ? r.type : 0,
      speedMbps: r.speed ?? 0,
    }));
}

/**
 * LLDP neighbours from lldpRemTable, each with the local ifIndex: the lldpLocPortTable entry of the
 * neighbour's localPortNum is matched by name (port id or description against ifName, ifDescr or
 * ifAlias); without a match the localPortNum itself is used, which is what most devices number by.
 */
export function assembleNeighbours(
  cols: Columns<typeof lldpColumns>,
  interfaces: readonly { ifIndex: number; name: string; descr: string; alias: string }[],
): LldpNeighbour[] {
  const local = new Map<number, { id?: string; desc?: string }>();
  for (const vb of cols.lldpLocPortId) {
    const i = indexOf(vb, lldpColumns.lldpLocPortId, 1)?.[0];
    if (i !== undefined) local.set(i, { ...local.get(i), id: lldpId(vb.value) });
  }
  for (const vb of cols.lldpLocPortDesc) {
    const i = indexOf(vb, lldpColumns.lldpLocPortDesc, 1)?.[0];
    if (i !== undefined) local.set(i, { ...local.get(i), desc: displayString(vb.value) });
  }
  const byName = new Map<string, number>();
  // Later entries never override earlier ones, and ifName wins over ifDescr over ifAlias.
  for (const key of ['name', 'descr', 'alias'] as const) {
    for (const itf of interfaces) {
      const n = itf[key];
      if (n && !byName.has(n)) byName.set(n, itf.ifIndex);
    }
  }
  const remote = new Map<string, Partial<Record<keyof typeof lldpColumns, string>> & { port: number }>();
  const remoteKeys = ['lldpRemChassisId', 'lldpRemPortId', 'lldpRemPortDesc', 'lldpRemSysName'] as const;
  for (const key of remoteKeys) {
    const spec = lldpColumns[key];
    for (const vb of cols[key]) {
      const idx = indexOf(vb, spec, 3);
      if (!idx) continue;
      const id = idx.join('.');
      let r = remote.get(id);
      if (!r) remote.set(id, (r = { port: idx[1] as number }));
      r[key] =
        key === 'lldpRemChassisId' || key === 'lldpRemPortId' ? lldpId(vb.value) : displayString(vb.value);
    }
  }
  const out: LldpNeighbour[] = [];
  for (const r of remote.values()) {
    const loc = local.get(r.port);
    const matched =
      (loc?.id !== undefined ? byName.get(loc.id) : undefined) ??
      (loc?.desc !== undefined ? byName.get(loc.desc) : undefined);
    const n: LldpNeighbour = {
      localIfIndex: matched ?? r.port,
      remoteChassisId: r.lldpRemChassisId ?? '',
      remotePortId: r.lldpRemPortId ?? '',
      remoteSysName: r.lldpRemSysName ?? '',
    };
    const localName = loc?.id || loc?.desc;
    if (localName) n.localPortName = localName;
    if (r.lldpRemPortDesc) n.remotePortDescription = r.lldpRemPortDesc;
    out.push(n);
    if (out.length >= 10_000) break;
  }
  return out;
}

/** Reads the system group, interfaces and LLDP neighbours of devices. */
export class EdgeDiscovery {
  readonly #factory: SnmpSessionFactory;
  readonly #metrics: EdgeMetrics | undefined;
  readonly #log: Logger;
  readonly #maxVarbinds: number;
  readonly #perRequest: number;
  readonly #now: () => number;

  constructor(options: EdgeTaskOptions = {}) {
    this.#factory = options.sessionFactory ?? createSnmpSession;
    this.#metrics = options.metrics;
    this.#log = options.logger ?? silentLogger;
    this.#maxVarbinds = options.maxVarbinds ?? defaultMaxVarbinds;
    this.#perRequest = options.columnsPerRequest ?? 16;
    this.#now = options.now ?? Date.now;
  }

  /** Discovers every target, at most `concurrency` at a time. */
  async discoverAll(
    targets: readonly PollTarget[],
    options: {
      concurrency: number;
      deadlineMillis: number;
      signal?: AbortSignal;
      onPayload: (p: DiscoveryPayload) => void;
    },
  ): Promise<void> {
    await runPool(
      targets,
      options.concurrency,
      async (t) => {
        const p = await this.discoverDevice(t, options);
        if (options.signal?.aborted) return;
        try {
          options.onPayload(p);
        } catch (err) {
          this.#log.warn('edge payload handler failed', { error: String(err) });
        }
      },
      options.signal,
    );
  }

  /** Discovers one device; resolves with a payload in every case (an error is recorded in it). */
  async discoverDevice(
    target: PollTarget,
    options: { signal?: AbortSignal; deadlineMillis?: number } = {},
  ): Promise<DiscoveryPayload> {
    const at = this.#now();
    const run = await withDeviceSession(
      target,
      {
        task: 'discovery',
        factory: this.#factory,
        maxVarbinds: this.#maxVarbinds,
        metrics: this.#metrics,
        signal: options.signal,
        deadlineMillis: options.deadlineMillis,
      },
      async (session) => {
        const sys = await session.get(Object.values(systemOids));
        const [descr, objectId, name] = sys;
        if (descr?.type === SnmpType.NoSuchObject && name?.type === SnmpType.NoSuchObject) {
          throw new SnmpError('agent-error', 'the agent does not expose the system group');
        }
        const ifWalk = await walkColumnGroups(
          session,
          Object.values(discoveryIfColumns).map((c) => c.oid),
          target.maxRepetitions,
          this.#perRequest,
        );
        const interfaces = assembleDiscoveredInterfaces(byColumn(discoveryIfColumns, ifWalk));
        const lldpWalk = await walkColumnGroups(
          session,
          Object.values(lldpColumns).map((c) => c.oid),
          target.maxRepetitions,
          this.#perRequest,
        );
        const neighbours = assembleNeighbours(byColumn(lldpColumns, lldpWalk), interfaces);
        const result: DiscoveryPayload = {
          kind: 'discovery',
          deviceId: target.deviceId,
          at,
          reachable: true,
          interfaces: interfaces.slice(0, 100_000).map((i) => ({
            ifIndex: i.ifIndex,
            name: i.name,
            alias: i.alias,
            type: i.type,
            speedMbps: i.speedMbps,
          })),
          neighbours,
        };
        if (descr?.type === SnmpType.OctetString) result.sysDescr = displayString(descr.value, 1024);
        if (name?.type === SnmpType.OctetString) result.sysName = displayString(name.value);
        if (objectId?.type === SnmpType.ObjectIdentifier && typeof objectId.value === 'string') {
          result.sysObjectId = objectId.value.slice(0, 256);
        } else if (objectId && objectId.type < SnmpType.NoSuchObject) {
          throw new SnmpError('wrong-type', `sysObjectID has type ${typeName(objectId.type)}`);
        }
        this.#metrics?.discoveries.inc({ outcome: 'ok' });
        return result;
      },
    );
    if (run.ok) return run.value;
    const payload: DiscoveryPayload = {
      kind: 'discovery',
      deviceId: target.deviceId,
      at,
      reachable: run.reachable,
      error: `${run.error.kind}: ${run.error.message}`.slice(0, 1000),
      interfaces: [],
      neighbours: [],
    };
    this.#metrics?.discoveries.inc({ outcome: payload.reachable ? 'error' : 'unreachable' });
    this.#log.debug('device discovery failed', {
      deviceId: target.deviceId,
      address: target.address,
      reason: payload.error,
    });
    return payload;
  }
}
