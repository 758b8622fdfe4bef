/**
 * Search of the topology: org units by name, routers by name, id or management address; a
 * case-insensitive substring match (full-width letters and digits, as a Chinese input method types
 * them, match their ASCII forms). Exact matches come first, then matches at the start, then the rest;
 * org units before routers and higher levels before lower. Pure, unit-tested.
 */
import type { Topology } from '../data/network.js';

export interface SearchMatch {
  kind: 'unit' | 'device';
  id: string;
  /** The name shown: the unit's or the router's. */
  name: string;
  /** The org unit level, for a unit; the router's org unit name, for a router. */
  detail: string;
  managementAddress?: string;
  /** The org unit that holds the match (itself, for a unit). */
  unitId: string;
}

interface Entry {
  match: SearchMatch;
  keys: string[];
  rank: number;
}

const levelRank: Record<string, number> = { province: 0, city: 1, county: 2, township: 3, village: 4 };

/** Lower case, NFKC (full-width forms to ASCII), trimmed. */
export function normaliseQuery(text: string): string {
  return text.normalize('NFKC').toLocaleLowerCase().trim();
}

export interface TopologySearch {
  /** The matches of a query, best first, at most `limit`. */
  find(query: string, limit?: number): SearchMatch[];
}

/** Indexes a topology once; `find` then scans the index per keystroke. */
export function createTopologySearch(topology: Topology): TopologySearch {
  const unitNames = new Map(topology.orgUnits.map((u) => [u.id, u.name]));
  const entries: Entry[] = [];
  for (const unit of topology.orgUnits) {
    entries.push({
      match: { kind: 'unit', id: unit.id, name: unit.name, detail: unit.level, unitId: unit.id },
      keys: [normaliseQuery(unit.name)],
      rank: levelRank[unit.level] ?? 5,
    });
  }
  for (const device of topology.devices) {
    const keys = [normaliseQuery(device.name), normaliseQuery(device.id)];
    if (device.managementAddress) keys.push(normaliseQuery(device.managementAddress));
    entries.push({
      match: {
        kind: 'device',
        id: device.id,
        name: device.name,
        detail: unitNames.get(device.orgUnitId) ?? device.orgUnitId,
        ...(device.managementAddress ? { managementAddress: device.managementAddress } : {}),
        unitId: device.orgUnitId,
      },
      keys,
      rank: 10,
    });
  }
  return {
    find(query: string, limit = 20): SearchMatch[] {
      const q = normaliseQuery(query);
      if (q === '' || limit <= 0) return [];
      const scored: { entry: Entry; score: number }[] = [];
      for (const entry of entries) {
        let score = Infinity;
        for (const key of entry.keys) {
          const at = key.indexOf(q);
          if (at < 0) continue;
          score = Math.min(score, key.length === q.length ? 0 : at === 0 ? 1 : 2);
        }
        if (score !== Infinity) scored.push({ entry, score });
      }
      scored.sort(
        (a, b) =>
          a.score - b.score ||
          a.entry.rank - b.entry.rank ||
          a.entry.match.name.length - b.entry.match.name.length ||
          (a.entry.match.id < b.entry.match.id ? -1 : a.entry.match.id > b.entry.match.id ? 1 : 0),
      );
      return scored.slice(0, limit).map((s) => s.entry.match);
    },
  };
}
