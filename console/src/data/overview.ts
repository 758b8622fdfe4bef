import { apiFetch } from './api.js';

export interface FleetCounts {
  total: number;
  online: number;
  stale: number;
  offline: number;
}

/** The figures on the overview page, scoped to the caller's org unit. */
export interface Overview {
  orgUnit: { id: string; name: string };
  fleet: FleetCounts;
  ingest: { batchesLastHour: number; samplesLastHour: number };
  /** Each module's figures by module name (`{error}` for one that could not answer); older servers leave it out. */
  modules?: Record<string, Record<string, unknown>>;
}

export const fetchOverview = (signal?: AbortSignal): Promise<Overview> =>
  apiFetch<Overview>('/api/v1/overview', { signal });
