import { apiFetch, query } from './api.js';

/** One entry of the audit trail: who did what to which object, from where, with what result. */
export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  orgUnitId: string;
  sourceIp: string;
  outcome: string;
  details: unknown;
}

export interface AuditPage {
  items: AuditEntry[];
  /** Pass as `before` to get the next, older page; null when there is none. */
  nextBefore: string | null;
}

export const fetchAudit = (
  options: { limit?: number; before?: string | null } = {},
  signal?: AbortSignal,
): Promise<AuditPage> =>
  apiFetch<AuditPage>(`/api/v1/audit${query({ limit: options.limit ?? 100, before: options.before })}`, {
    signal,
  });
