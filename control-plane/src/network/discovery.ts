/**
 * Discovery into the inventory: a device's facts from the system group and ENTITY-MIB, and its
 * interfaces matched against the inventory's rows (see {@link syncInterfaces}) with a history of
 * every change.
 */
import { randomUUID } from 'node:crypto';
import type { DiscoveryPayload, PollOutcome } from '@tianshu/protocol';
import type { Queryable } from '../store/state/index.js';

/** IANA private enterprise numbers (1.3.6.1.4.1.N) of common network vendors. */
export const ENTERPRISE_VENDORS: Readonly<Record<number, string>> = {
  9: 'Cisco',
  11: 'HP',
  311: 'Microsoft',
  674: 'Dell',
  2011: 'Huawei',
  2636: 'Juniper',
  3902: 'ZTE',
  4881: 'Ruijie',
  6486: 'Alcatel-Lucent',
  8072: 'Net-SNMP',
  12356: 'Fortinet',
  14988: 'MikroTik',
  25461: 'Palo Alto Networks',
  25506: 'H3C',
  30065: 'Arista',
};

/** The vendor of a sysObjectID under the enterprises arc, when it is one of {@link ENTERPRISE_VENDORS}. */
export function vendorFromSysObjectId(oid: string | undefined): string | undefined {
  const m = /^\.?1\.3\.6\.1\.4\.1\.(\d+)(?:\.|$)/.exec(oid ?? '');
  return m ? ENTERPRISE_VENDORS[Number(m[1])] : undefined;
}

/** The OS version in a Cisco IOS or Huawei VRP sysDescr ("… Version 15.0(2)SE11, …"). */
export function osVersionFromSysDescr(descr: string | undefined): string | undefined {
  if (!descr || !/cisco|huawei|vrp/i.test(descr)) return undefined;
  const m = /\bVersion\s+([0-9][^\s,]*)/i.exec(descr);
  return m?.[1];
}

const clean = (s: string | undefined): string | undefined => {
  const t = s?.trim();
  return t ? t : undefined;
};

export interface DeviceFacts {
  vendor: string | undefined;
  model: string | undefined;
  osVersion: string | undefined;
  serial: string | undefined;
}

/** Vendor (ENTITY mfgName, else the enterprise number), model, OS version and serial of a discovery. */
export function deviceFacts(d: DiscoveryPayload): DeviceFacts {
  return {
    vendor: clean(d.entity?.vendor) ?? vendorFromSysObjectId(d.sysObjectId),
    model: clean(d.entity?.model),
    osVersion: clean(d.entity?.softwareRevision) ?? osVersionFromSysDescr(d.sysDescr),
    serial: clean(d.entity?.serial),
  };
}

/** What a discovery came to (older agents send no outcome). */
export function discoveryOutcome(d: DiscoveryPayload): PollOutcome {
  if (d.outcome) return d.outcome;
  if (!d.reachable) return 'timeout';
  return d.error ? 'error' : 'ok';
}

type Discovered = DiscoveryPayload['interfaces'][number];

interface Row {
  id: string;
  if_index: number;
  name: string;
  alias: string | null;
  speed_mbps: number | null;
  admin_status: string | null;
  missing_since: Date | null;
  descr: string | null;
  if_type: number | null;
  mac: string | null;
  counter_bits: number | null;
}

export interface HistoryEntry {
  interfaceId: string;
  change: 'added' | 'renamed' | 'reindexed' | 'speed' | 'alias' | 'admin' | 'missing' | 'back';
  before: string | null;
  after: string | null;
  detail: string;
}

/** The inventory name of a discovered interface: ifName, else ifDescr, else "ifIndex N". */
export function interfaceName(i: Discovered): string {
  return (clean(i.name) ?? clean(i.descr) ?? `ifIndex ${i.ifIndex}`).slice(0, 200);
}

const INT4_MAX = 2_147_483_647;
const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

/**
 * Creates or updates a device's interfaces from what discovery found, in the caller's transaction:
 * - same ifIndex and same name: updated (alias, descr, type, speed, MAC, admin status, counter width);
 * - a name seen at another ifIndex (re-indexed after a reboot): the row moves to the new ifIndex, so
 *   links keep pointing at the same interface;
 * - the same ifIndex with a new name (renamed): renamed;
 * - otherwise a new row.
 * Rows discovery no longer sees get `missing_since` (never deleted) and come back when seen again.
 * Every change is a row of `interface_history`. Returns the changes.
 */
export async function syncInterfaces(
  q: Queryable,
  deviceId: string,
  orgUnitId: string,
  found: readonly Discovered[],
  at: Date,
): Promise<HistoryEntry[]> {
  const r = await q.query<Row>(
    `SELECT id, if_index, name, alias, speed_mbps, admin_status, missing_since, descr, if_type, mac, counter_bits
     FROM interfaces WHERE device_id = $1 ORDER BY if_index`,
    [deviceId],
  );
  const rows = r.rows.map((x) => ({ ...x, if_index: Number(x.if_index) }));
  // One discovered interface per ifIndex (a device listing one twice is taken at its first).
  const seen = new Set<number>();
  const disc = found.filter((i) => !seen.has(i.ifIndex) && seen.add(i.ifIndex));
  const match = new Map<number, Row>();
  const used = new Set<string>();
  const take = (i: Discovered, row: Row | undefined) => {
    if (!row || used.has(row.id)) return false;
    match.set(i.ifIndex, row);
    used.add(row.id);
    return true;
  };
  const rowAt = new Map(rows.map((x) => [x.if_index, x]));
  const rowsNamed = new Map<string, Row[]>();
  for (const x of rows) rowsNamed.set(x.name, [...(rowsNamed.get(x.name) ?? []), x]);
  const discovered = new Set(disc.map((d) => d.ifIndex));
  // 1. same ifIndex and name; 2. same name elsewhere (re-indexed); 3. same ifIndex (renamed).
  for (const i of disc) {
    const row = rowAt.get(i.ifIndex);
    if (row && row.name === interfaceName(i)) take(i, row);
  }
  for (const i of disc) {
    if (match.has(i.ifIndex)) continue;
    const candidates = (rowsNamed.get(interfaceName(i)) ?? []).filter((x) => !used.has(x.id));
    // Prefer a row whose own ifIndex is not discovered any more (that is the re-index).
    const row =
      candidates.find((x) => !discovered.has(x.if_index)) ??
      candidates.find((x) => x.missing_since === null) ??
      candidates[0];
    take(i, row);
  }
  for (const i of disc) {
    if (!match.has(i.ifIndex)) take(i, rowAt.get(i.ifIndex));
  }
  const changes: HistoryEntry[] = [];
  const unmatched = rows.filter((x) => !used.has(x.id));
  // Indexes the final state needs; an unmatched row sitting on one is moved past the highest.
  const targets = new Set(disc.map((i) => i.ifIndex));
  let next = Math.max(0, ...rows.map((x) => x.if_index), ...disc.map((i) => i.ifIndex)) + 1;
  const finalIndex = new Map<string, number>();
  for (const [ifIndex, row] of match) finalIndex.set(row.id, ifIndex);
  for (const row of unmatched) {
    if (targets.has(row.if_index) && next <= INT4_MAX) {
      finalIndex.set(row.id, next++);
    }
  }
  // Moves go through temporary indexes so that swaps never meet the (device, ifIndex) constraint.
  const rowById = new Map(rows.map((x) => [x.id, x]));
  const moving = [...finalIndex].filter(([id, idx]) => rowById.get(id)!.if_index !== idx);
  const taken = new Set([...rows.map((x) => x.if_index), ...targets, ...finalIndex.values()]);
  let temp = INT4_MAX;
  for (const [id] of moving) {
    while (taken.has(temp)) temp--;
    taken.add(temp);
    await q.query('UPDATE interfaces SET if_index = $2 WHERE id = $1', [id, temp]);
  }
  for (const [id, idx] of moving) {
    await q.query('UPDATE interfaces SET if_index = $2 WHERE id = $1', [id, idx]);
    const row = rowById.get(id)!;
    changes.push({
      interfaceId: id,
      change: 'reindexed',
      before: String(row.if_index),
      after: String(idx),
      detail: used.has(id)
        ? `${row.name} moved from ifIndex ${row.if_index} to ${idx}`
        : `${row.name} (missing) moved from ifIndex ${row.if_index} to ${idx}, which another interface now has`,
    });
  }
  for (const i of disc) {
    const name = interfaceName(i);
    const alias = clean(i.alias)?.slice(0, 200) ?? null;
    const speed = i.speedMbps > 0 ? i.speedMbps : null;
    const admin = i.adminStatus ?? null;
    const row = match.get(i.ifIndex);
    const fields = [
      i.descr?.slice(0, 256) ?? null,
      i.type,
      i.mac ?? null,
      admin,
      i.counterBits ?? null,
      at,
    ] as const;
    if (!row) {
      const id = randomUUID();
      await q.query(
        `INSERT INTO interfaces (id, device_id, org_unit_id, if_index, name, alias, speed_mbps, descr, if_type, mac,
           admin_status, counter_bits, discovered_at, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'discovery')`,
        [id, deviceId, orgUnitId, i.ifIndex, name, alias, speed, ...fields],
      );
      changes.push({
        interfaceId: id,
        change: 'added',
        before: null,
        after: name,
        detail: `${name} (ifIndex ${i.ifIndex}) discovered`,
      });
      continue;
    }
    const id = row.id;
    if (row.name !== name) {
      changes.push({
        interfaceId: id,
        change: 'renamed',
        before: row.name,
        after: name,
        detail: `ifIndex ${i.ifIndex} renamed from ${row.name} to ${name}`,
      });
    }
    if (speed !== null && Number(row.speed_mbps) !== speed) {
      changes.push({
        interfaceId: id,
        change: 'speed',
        before: row.speed_mbps === null ? null : String(row.speed_mbps),
        after: String(speed),
        detail: `${name} speed ${row.speed_mbps === null ? 'unknown' : `${row.speed_mbps} Mbit/s`} → ${speed} Mbit/s`,
      });
    }
    if (alias !== null && row.alias !== alias) {
      changes.push({
        interfaceId: id,
        change: 'alias',
        before: row.alias,
        after: alias,
        detail: `${name} alias "${row.alias ?? ''}" → "${alias}"`,
      });
    }
    if (admin !== null && row.admin_status !== null && row.admin_status !== admin) {
      changes.push({
        interfaceId: id,
        change: 'admin',
        before: row.admin_status,
        after: admin,
        detail: `${name} administratively ${admin}`,
      });
    }
    if (row.missing_since !== null) {
      changes.push({
        interfaceId: id,
        change: 'back',
        before: new Date(row.missing_since).toISOString(),
        after: null,
        detail: `${name} seen again`,
      });
    }
    const same =
      row.name === name &&
      (alias === null || row.alias === alias) &&
      (speed === null || Number(row.speed_mbps) === speed) &&
      row.descr === fields[0] &&
      num(row.if_type) === fields[1] &&
      row.mac === fields[2] &&
      row.admin_status === fields[3] &&
      num(row.counter_bits) === fields[4] &&
      row.missing_since === null;
    // Nothing to write for an interface that did not change (most of them, most of the time).
    if (same) continue;
    await q.query(
      `UPDATE interfaces SET name = $2, alias = COALESCE($3, alias), speed_mbps = COALESCE($4, speed_mbps),
         descr = $5, if_type = $6, mac = $7, admin_status = $8, counter_bits = $9, discovered_at = $10,
         missing_since = NULL, updated_at = now()
       WHERE id = $1`,
      [id, name, alias, speed, ...fields],
    );
  }
  // An empty list (a partial answer without ifTable) says nothing of the interfaces.
  if (disc.length) {
    for (const row of unmatched) {
      if (row.missing_since !== null) continue;
      await q.query('UPDATE interfaces SET missing_since = $2, updated_at = now() WHERE id = $1', [
        row.id,
        at,
      ]);
      changes.push({
        interfaceId: row.id,
        change: 'missing',
        before: null,
        after: at.toISOString(),
        detail: `${row.name} (ifIndex ${finalIndex.get(row.id) ?? row.if_index}) no longer discovered`,
      });
    }
  }
  for (const c of changes) {
    await q.query(
      `INSERT INTO interface_history (interface_id, device_id, at, change, before, after, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [c.interfaceId, deviceId, at, c.change, c.before, c.after, c.detail],
    );
  }
  return changes;
}
