import type { Queryable, StateStore } from '../store/state/index.js';
import type { Identity } from './identity.js';
import { requirePermission } from './identity.js';

export interface AuditEntryInput {
  /** Verb phrase in dotted form: `user.create`, `auth.login`, `agent.enrol`. */
  action: string;
  targetType: string;
  targetId?: string | undefined;
  /** The org unit the changed record belongs to; scopes who may read the entry. */
  orgUnitId?: string | undefined;
  outcome?: 'success' | 'failure' | 'denied';
  details?: Record<string, unknown>;
}

export interface AuditEntry {
  id: string;
  at: string;
  actorType: string;
  actor: string;
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  orgUnitId: string | null;
  sourceIp: string | null;
  requestId: string | null;
  clientRequestId: string | null;
  outcome: string;
  details: Record<string, unknown>;
}

interface AuditRow {
  id: string | number;
  at: Date;
  actor_type: string;
  actor_id: string | null;
  actor_name: string;
  action: string;
  target_type: string;
  target_id: string | null;
  org_unit_id: string | null;
  source_ip: string | null;
  request_id: string | null;
  client_request_id: string | null;
  outcome: string;
  details: Record<string, unknown> | string;
}

/** The append-only audit log: who did what, when, from where. The table refuses UPDATE and DELETE. */
export class AuditLog {
  constructor(
    private readonly db: StateStore,
    private readonly pathOf: (orgUnitId: string, tx?: Queryable) => Promise<string | undefined>,
  ) {}

  /** Records one entry; pass `tx` to make it part of the change's own transaction. */
  async record(identity: Identity, entry: AuditEntryInput, tx?: Queryable): Promise<void> {
    // Inside a transaction the path must be read through it: PGlite has one connection, and on a
    // server a unit created in this transaction is not visible to other connections yet.
    const path = entry.orgUnitId
      ? ((await this.pathOf(entry.orgUnitId, tx)) ?? identity.orgUnitPath)
      : identity.orgUnitPath;
    await (tx ?? this.db).query(
      `INSERT INTO audit_log (actor_type, actor_id, actor_name, action, target_type, target_id, org_unit_id,
         org_unit_path, source_ip, request_id, client_request_id, outcome, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        identity.kind,
        identity.id,
        identity.name,
        entry.action,
        entry.targetType,
        entry.targetId ?? null,
        entry.orgUnitId ?? (identity.orgUnitId || null),
        path,
        identity.sourceIp ?? null,
        identity.requestId ?? null,
        identity.clientRequestId ?? null,
        entry.outcome ?? 'success',
        JSON.stringify(entry.details ?? {}),
      ],
    );
  }

  /** Entries in the caller's subtree, newest first, paged by id. */
  async list(
    identity: Identity,
    opts: { limit: number; before?: string | undefined; action?: string | undefined },
  ): Promise<{ items: AuditEntry[]; nextBefore: string | null }> {
    requirePermission(identity, 'audit:read');
    const params: unknown[] = [identity.orgUnitPath + '%', opts.limit + 1];
    let where = 'org_unit_path LIKE $1';
    if (opts.before) {
      params.push(opts.before);
      where += ` AND id < $${params.length}`;
    }
    if (opts.action) {
      params.push(opts.action);
      where += ` AND action = $${params.length}`;
    }
    const r = await this.db.query<AuditRow>(
      `SELECT * FROM audit_log WHERE ${where} ORDER BY id DESC LIMIT $2`,
      params,
    );
    const rows = r.rows.slice(0, opts.limit);
    return {
      items: rows.map((row) => ({
        id: String(row.id),
        at: new Date(row.at).toISOString(),
        actorType: row.actor_type,
        actor: row.actor_name,
        actorId: row.actor_id,
        action: row.action,
        targetType: row.target_type,
        targetId: row.target_id,
        orgUnitId: row.org_unit_id,
        sourceIp: row.source_ip,
        requestId: row.request_id,
        clientRequestId: row.client_request_id,
        outcome: row.outcome,
        details:
          typeof row.details === 'string'
            ? (JSON.parse(row.details) as Record<string, unknown>)
            : row.details,
      })),
      nextBefore: r.rows.length > opts.limit && rows.length ? String(rows[rows.length - 1]!.id) : null,
    };
  }
}
