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

/** Maps org-unit ids to names for display in tables. */
export function orgUnitNames(units: readonly OrgUnit[]): Map<string, string> {
  return new Map(units.map((u) => [u.id, u.name]));
}
