import { msg } from '@lit/localize';
import { apiFetch } from './api.js';

export type OrgUnitLevel = 'province' | 'city' | 'county' | 'township' | 'village';

/** A node of the administrative hierarchy: province → city → county → township → village. */
export interface OrgUnit {
  id: string;
  parentId: string | null;
  level: OrgUnitLevel;
  name: string;
  code: string;
}

export interface OrgUnitList {
  items: OrgUnit[];
}

export const fetchOrgUnits = (signal?: AbortSignal): Promise<OrgUnitList> =>
  apiFetch<OrgUnitList>('/api/v1/org-units', { signal });

/** The level of an org unit in words: province, city, county, township, village. */
export function orgUnitLevelText(level: OrgUnitLevel | string): string {
  switch (level) {
    case 'province':
      return msg('province', { id: 'orgUnits.level.province' });
    case 'city':
      return msg('city', { id: 'orgUnits.level.city' });
    case 'county':
      return msg('county', { id: 'orgUnits.level.county' });
    case 'township':
      return msg('township', { id: 'orgUnits.level.township' });
    case 'village':
      return msg('village', { id: 'orgUnits.level.village' });
    default:
      return level;
  }
}

/** Maps org-unit ids to names for display in tables. */
export function orgUnitNames(units: readonly OrgUnit[]): Map<string, string> {
  return new Map(units.map((u) => [u.id, u.name]));
}

/** One entry of an org-unit picker: the unit, how deep it sits and its label indented to match. */
export interface OrgUnitOption {
  id: string;
  depth: number;
  label: string;
}

/**
 * Orders org units as a tree (each unit followed by its children, siblings by code) and indents each
 * label by its depth below the units shown, with no-break spaces so that a `<select>` keeps them. A
 * user scoped to a city sees that city at depth 0; a unit whose parent is not listed is a root.
 */
export function orgUnitOptions(units: readonly OrgUnit[]): OrgUnitOption[] {
  const ids = new Set(units.map((u) => u.id));
  const children = new Map<string | null, OrgUnit[]>();
  for (const unit of units) {
    const parent = unit.parentId !== null && ids.has(unit.parentId) ? unit.parentId : null;
    const siblings = children.get(parent) ?? [];
    siblings.push(unit);
    children.set(parent, siblings);
  }
  const options: OrgUnitOption[] = [];
  const seen = new Set<string>();
  const visit = (parent: string | null, depth: number) => {
    const siblings = [...(children.get(parent) ?? [])].sort((a, b) => a.code.localeCompare(b.code));
    for (const unit of siblings) {
      if (seen.has(unit.id)) continue;
      seen.add(unit.id);
      options.push({ id: unit.id, depth, label: `${'\u00a0\u00a0\u00a0'.repeat(depth)}${unit.name}` });
      visit(unit.id, depth + 1);
    }
  };
  visit(null, 0);
  return options;
}
