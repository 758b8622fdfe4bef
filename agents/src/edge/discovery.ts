import type { DiscoveryPayload, LldpNeighbour, PollTarget } from '@tianshu/protocol';
import type { Logger } from '../runtime/logger.js';
import { silentLogger } from '../runtime/logger.js';
import type { EdgeMetrics } from './metrics.js';
import type { EdgeTaskOptions } from './poller.js';
import {
  displayString,
  expectType,
  ifStatus,
  interfaceSpeedMbps,
  noSuchName,
  outcomeOf,
  rowIndex,
  typeName,
  walkColumnGroups,
} from './poller.js';
import type { ColumnSpec } from './poller.js';
import { runPool } from './pool.js';
import { withDeviceSession } from './device-session.js';
import type { SnmpSessionFactory, Varbind } from './snmp-client.js';
import { SnmpError, SnmpType, createSnmpSession, defaultMaxVarbinds } from './snmp-client.js';

/** System group scalars read by discovery, in the order of the GET. */
export const systemOids = {
  sysDescr: '1.3.6.1.2.1.1.1.0',
  sysObjectId: '1.3.6.1.2.1.1.2.0',
  sysUpTime: '1.3.6.1.2.1.1.3.0',
  sysContact: '1.3.6.1.2.1.1.4.0',
  sysName: '1.3.6.1.2.1.1.5.0',
  sysLocation: '1.3.6.1.2.1.1.6.0',
} as const;

/** Interface columns read by discovery: ifTable and ifXTable. */
export const discoveryIfColumns = {
  ifDescr: { name: 'ifDescr', oid: '1.3.6.1.2.1.2.2.1.2', type: SnmpType.OctetString },
  ifType: { name: 'ifType', oid: '1.3.6.1.2.1.2.2.1.3', type: SnmpType.Integer },
  ifSpeed: { name: 'ifSpeed', oid: '1.3.6.1.2.1.2.2.1.5', type: SnmpType.Gauge32 },
  ifPhysAddress: { name: 'ifPhysAddress', oid: '1.3.6.1.2.1.2.2.1.6', type: SnmpType.OctetString },
  ifAdminStatus: { name: 'ifAdminStatus', oid: '1.3.6.1.2.1.2.2.1.7', type: SnmpType.Integer },
  ifOperStatus: { name: 'ifOperStatus', oid: '1.3.6.1.2.1.2.2.1.8', type: SnmpType.Integer },
  ifInOctets: { name: 'ifInOctets', oid: '1.3.6.1.2.1.2.2.1.10', type: SnmpType.Counter32 },
  ifName: { name: 'ifName', oid: '1.3.6.1.2.1.31.1.1.1.1', type: SnmpType.OctetString },
  ifHCInOctets: { name: 'ifHCInOctets', oid: '1.3.6.1.2.1.31.1.1.1.6', type: SnmpType.Counter64 },
  ifHighSpeed: { name: 'ifHighSpeed', oid: '1.3.6.1.2.1.31.1.1.1.15', type: SnmpType.Gauge32 },
  ifAlias: { name: 'ifAlias', oid: '1.3.6.1.2.1.31.1.1.1.18', type: SnmpType.OctetString },
} as const satisfies Record<string, ColumnSpec>;

/** ENTITY-MIB entPhysicalTable columns read by discovery (the chassis' vendor, model, serial...). */
export const entityColumns = {
  entPhysicalClass: { name: 'entPhysicalClass', oid: '1.3.6.1.2.1.47.1.1.1.1.5', type: SnmpType.Integer },
  entPhysicalName: { name: 'entPhysicalName', oid: '1.3.6.1.2.1.47.1.1.1.1.7', type: SnmpType.OctetString },
  entPhysicalHardwareRev: {
    name: 'entPhysicalHardwareRev',
    oid: '1.3.6.1.2.1.47.1.1.1.1.8',
    type: SnmpType.OctetString,
  },
  entPhysicalFirmwareRev: {
    name: 'entPhysicalFirmwareRev',
    oid: '1.3.6.1.2.1.47.1.1.1.1.9',
    type: SnmpType.OctetString,
  },
  entPhysicalSoftwareRev: {
    name: 'entPhysicalSoftwareRev',
    oid: '1.3.6.1.2.1.47.1.1.1.1.10',
    type: SnmpType.OctetString,
  },
  entPhysicalSerialNum: {
    name: 'entPhysicalSerialNum',
    oid: '1.3.6.1.2.1.47.1.1.1.1.11',
    type: SnmpType.OctetString,
  },
  entPhysicalMfgName: {
    name: 'entPhysicalMfgName',
    oid: '1.3.6.1.2.1.47.1.1.1.1.12',
    type: SnmpType.OctetString,
  },
  entPhysicalModelName: {
    name: 'entPhysicalModelName',
    oid: '1.3.6.1.2.1.47.1.1.1.1.13',
    type: SnmpType.OctetString,
  },
} as const satisfies Record<string, ColumnSpec>;

/** Rows of entPhysicalTable read at most (big chassis have thousands; the chassis comes first). */
export const maxEntityRows = 2000;

/** entPhysicalClass chassis(3). */
const entityClassChassis = 3;

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

/**
 * ifPhysAddress as lower-case colon-separated hex (`aa:bb:cc:dd:ee:ff`); undefined when empty. A
 * device (or a recording) that sends the address as text in that form is read as such.
 */
export function formatMac(value: unknown): string | undefined {
  if (!Buffer.isBuffer(value) || value.length === 0) return undefined;
  if (value.length > 6) {
    const text = value.toString('latin1');
    if (/^[0-9a-f]{1,2}([:-][0-9a-f]{1,2}){5}$/i.test(text)) {
      return text
        .toLowerCase()
        .split(/[:-]/)
        .map((b) => b.padStart(2, '0'))
        .join(':');
    }
  }
  let out = '';
  for (let i = 0; i < value.length && i < 21; i += 1) {
    out += (i > 0 ? ':' : '') + (value[i] as number).toString(16).padStart(2, '0');
  }
  return out;
}

/** One discovered interface, with its ifDescr for the LLDP local port match. */
export type DiscoveredInterface = DiscoveryPayload['interfaces'][number] & { descr: string };

interface DiscoveredRow {
  descr?: string;
  type?: number;
  speed?: number;
  mac?: string;
  admin?: number;
  oper?: number;
  in32?: boolean;
  name?: string;
  hc?: boolean;
  highSpeed?: number;
  alias?: string;
}

/** Interfaces of a discovery payload from the walked interface columns, by ifIndex. */
export function assembleDiscoveredInterfaces(
  cols: Columns<typeof discoveryIfColumns>,
): DiscoveredInterface[] {
  const rows = new Map<number, DiscoveredRow>();
  const row = (idx: number): DiscoveredRow => {
    let r = rows.get(idx);
    if (!r) rows.set(idx, (r = {}));
    return r;
  };
  const each = (list: Varbind[], spec: ColumnSpec, set: (r: DiscoveredRow, vb: Varbind) => void): void => {
    for (const vb of list) {
      const i = rowIndex(vb.oid, spec.oid.length);
      if (i !== undefined) set(row(i), vb);
    }
  };
  const c = discoveryIfColumns;
  each(cols.ifDescr, c.ifDescr, (r, vb) => (r.descr = displayString(vb.value)));
  each(cols.ifType, c.ifType, (r, vb) => (r.type = Number(vb.value)));
  each(cols.ifSpeed, c.ifSpeed, (r, vb) => (r.speed = Number(vb.value)));
  each(cols.ifPhysAddress, c.ifPhysAddress, (r, vb) => (r.mac = formatMac(vb.value)));
  each(cols.ifAdminStatus, c.ifAdminStatus, (r, vb) => (r.admin = Number(vb.value)));
  each(cols.ifOperStatus, c.ifOperStatus, (r, vb) => (r.oper = Number(vb.value)));
  each(cols.ifInOctets, c.ifInOctets, (r) => (r.in32 = true));
  each(cols.ifName, c.ifName, (r, vb) => (r.name = displayString(vb.value)));
  each(cols.ifHCInOctets, c.ifHCInOctets, (r) => (r.hc = true));
  each(cols.ifHighSpeed, c.ifHighSpeed, (r, vb) => (r.highSpeed = Number(vb.value)));
  each(cols.ifAlias, c.ifAlias, (r, vb) => (r.alias = displayString(vb.value)));
  return [...rows]
    .sort((a, b) => a[0] - b[0])
    .map(([ifIndex, r]) => {
      const itf: DiscoveredInterface = {
        ifIndex,
        name: r.name || r.descr || '',
        alias: r.alias ?? '',
        descr: r.descr ?? '',
        type: r.type !== undefined && r.type >= 0 ? r.type : 0,
        speedMbps: interfaceSpeedMbps(r.highSpeed, r.speed),
      };
      if (r.mac) itf.mac = r.mac;
      if (r.admin !== undefined) itf.adminStatus = ifStatus(r.admin);
      if (r.oper !== undefined) itf.operStatus = ifStatus(r.oper);
      if (r.hc) itf.counterBits = 64;
      else if (r.in32) itf.counterBits = 32;
      return itf;
    });
}

/**
 * What ENTITY-MIB says of the device: the first entPhysicalTable entry of class chassis(3), else
 * the first with a serial number or model name; undefined without such an entry.
 */
export function assembleEntity(cols: Columns<typeof entityColumns>): DiscoveryPayload['entity'] {
  const c = entityColumns;
  const rows = new Map<number, Partial<Record<keyof typeof entityColumns, Varbind['value']>>>();
  for (const key of Object.keys(c) as (keyof typeof entityColumns)[]) {
    const len = c[key].oid.length;
    for (const vb of cols[key]) {
      const i = rowIndex(vb.oid, len);
      if (i === undefined) continue;
      let r = rows.get(i);
      if (!r) rows.set(i, (r = {}));
      r[key] = vb.value;
    }
  }
  const sorted = [...rows].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
  const text = (v: unknown): string => displayString(v).trim();
  const chosen =
    sorted.find((r) => r.entPhysicalClass === entityClassChassis) ??
    sorted.find((r) => text(r.entPhysicalSerialNum) !== '' || text(r.entPhysicalModelName) !== '');
  if (!chosen) return undefined;
  const entity: NonNullable<DiscoveryPayload['entity']> = {};
  const set = (field: keyof typeof entity, v: unknown): void => {
    const t = text(v);
    if (t) entity[field] = t;
  };
  set('vendor', chosen.entPhysicalMfgName);
  set('model', chosen.entPhysicalModelName);
  set('serial', chosen.entPhysicalSerialNum);
  set('softwareRevision', chosen.entPhysicalSoftwareRev);
  set('firmwareRevision', chosen.entPhysicalFirmwareRev);
  set('hardwareRevision', chosen.entPhysicalHardwareRev);
  return Object.keys(entity).length > 0 ? entity : undefined;
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

const systemOidList = Object.values(systemOids);
const systemNames = Object.keys(systemOids) as (keyof typeof systemOids)[];
const discoveryIfOids = Object.values(discoveryIfColumns).map((c) => c.oid);
const entityOids = Object.values(entityColumns).map((c) => c.oid);
const lldpOids = Object.values(lldpColumns).map((c) => c.oid);

// MIB names of the system scalars, for `missing` and error texts.
const systemMibNames: Record<keyof typeof systemOids, string> = {
  sysDescr: 'sysDescr.0',
  sysObjectId: 'sysObjectID.0',
  sysUpTime: 'sysUpTime.0',
  sysContact: 'sysContact.0',
  sysName: 'sysName.0',
  sysLocation: 'sysLocation.0',
};

/**
 * Copies the system group's answers into the payload; scalars the agent does not have (or answers
 * with another type) are named in `missing`, e.g. `sysName.0: noSuchObject`.
 */
function readSystem(sys: readonly Varbind[], out: DiscoveryPayload, missing: string[]): void {
  systemNames.forEach((key, i) => {
    const vb = sys[i];
    const mib = systemMibNames[key];
    if (!vb) {
      missing.push(`${mib}: no answer`);
      return;
    }
    const none = noSuchName(vb.type);
    if (none) {
      missing.push(`${mib}: ${none}`);
      return;
    }
    if (key === 'sysObjectId') {
      if (vb.type === SnmpType.ObjectIdentifier && typeof vb.value === 'string') {
        out.sysObjectId = vb.value.slice(0, 256);
      } else missing.push(`${mib}: ${typeName(vb.type)}`);
    } else if (key === 'sysUpTime') {
      if (vb.type === SnmpType.TimeTicks && typeof vb.value === 'number') out.sysUpTime = vb.value;
      else missing.push(`${mib}: ${typeName(vb.type)}`);
    } else if (vb.type === SnmpType.OctetString) {
      const text = displayString(vb.value, key === 'sysDescr' ? 1024 : 256);
      if (text) out[key] = text;
    } else missing.push(`${mib}: ${typeName(vb.type)}`);
  });
}

/** Reads the system group, interfaces, ENTITY-MIB chassis and LLDP neighbours of devices. */
export class EdgeDiscovery {
  readonly #factory: SnmpSessionFactory;
  readonly #metrics: EdgeMetrics | undefined;
  readonly #log: Logger;
  readonly #maxVarbinds: number;
  readonly #perRequest: number;
  readonly #now: () => number;
  /** deviceId → reason of its last failed discovery, for logging changes only. */
  readonly #failing = new Map<string, string>();

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
        const sys = await session.get(systemOidList);
        const result: DiscoveryPayload = {
          kind: 'discovery',
          deviceId: target.deviceId,
          at,
          reachable: true,
          interfaces: [],
          neighbours: [],
        };
        const missing: string[] = [];
        readSystem(sys, result, missing);
        if (missing.length === systemOidList.length) {
          throw new SnmpError(
            'agent-error',
            `the agent does not expose the system group (${missing.slice(0, 3).join(', ')})`,
          );
        }
        const ifWalk = await walkColumnGroups(
          session,
          discoveryIfOids,
          target.maxRepetitions,
          this.#perRequest,
        );
        const ifCols = byColumn(discoveryIfColumns, ifWalk);
        const interfaces = assembleDiscoveredInterfaces(ifCols);
        const entityWalk = await walkColumnGroups(
          session,
          entityOids,
          Math.min(target.maxRepetitions, maxEntityRows),
          this.#perRequest,
          { maxRows: maxEntityRows },
        );
        const entity = assembleEntity(byColumn(entityColumns, entityWalk));
        if (entity) result.entity = entity;
        const lldpWalk = await walkColumnGroups(session, lldpOids, target.maxRepetitions, this.#perRequest);
        result.neighbours = assembleNeighbours(byColumn(lldpColumns, lldpWalk), interfaces);
        result.interfaces = interfaces.slice(0, 100_000);
        if (interfaces.length === 0) {
          // An agent that answers but lists no interface is no inventory; say so, keep what it said.
          result.outcome = 'agent-error';
          result.error = 'agent-error: the agent lists no interfaces in ifTable or ifXTable';
          if (missing.length > 0) result.missing = missing;
          return result;
        }
        // ifSpeed and ifInOctets are fallbacks of ifHighSpeed and ifHCInOctets: missing only when needed.
        const fallbackNeeded: Partial<Record<keyof typeof discoveryIfColumns, boolean>> = {
          ifSpeed: ifCols.ifHighSpeed.length < interfaces.length,
          ifInOctets: ifCols.ifHCInOctets.length < interfaces.length,
        };
        for (const key of Object.keys(discoveryIfColumns) as (keyof typeof discoveryIfColumns)[]) {
          if (ifCols[key].length > 0 || fallbackNeeded[key] === false) continue;
          if (missing.length < 100) missing.push(discoveryIfColumns[key].name);
        }
        result.outcome = missing.length > 0 ? 'partial' : 'ok';
        if (missing.length > 0) result.missing = missing;
        return result;
      },
    );
    if (run.ok) {
      this.#metrics?.discoveries.inc({ outcome: run.value.error ? 'error' : 'ok' });
      if (run.value.error) this.#logFailure(target, run.value);
      else this.#failing.delete(target.deviceId);
      return run.value;
    }
    const payload: DiscoveryPayload = {
      kind: 'discovery',
      deviceId: target.deviceId,
      at,
      reachable: run.reachable,
      error: `${run.error.kind}: ${run.error.message}`.slice(0, 1000),
      outcome: outcomeOf(run.error),
      interfaces: [],
      neighbours: [],
    };
    this.#metrics?.discoveries.inc({ outcome: payload.reachable ? 'error' : 'unreachable' });
    this.#logFailure(target, payload);
    return payload;
  }

  // A failure is logged as a warning when a device starts failing or fails for another reason, and
  // at debug level when it fails again the same way (every cycle would repeat it otherwise).
  #logFailure(target: PollTarget, payload: DiscoveryPayload): void {
    const fields = {
      deviceId: target.deviceId,
      address: target.address,
      port: target.port,
      outcome: payload.outcome,
      reason: payload.error,
    };
    if (this.#failing.get(target.deviceId) === payload.error) {
      this.#log.debug('device discovery failed again', fields);
      return;
    }
    if (this.#failing.size >= 100_000) this.#failing.clear();
    this.#failing.set(target.deviceId, payload.error ?? '');
    this.#log.warn('device discovery failed', fields);
  }
}
