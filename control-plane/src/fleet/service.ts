import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { EnrolRequest, EnrolResponse, HeartbeatRequest, HeartbeatResponse } from '@tianshu/protocol';
import { AgentConfig, AgentRole } from '@tianshu/protocol';
import type { Config } from '../config.js';
import { AuthenticationError, InputError, NotFoundError } from '../errors.js';
import type { AuditLog } from '../auth/audit.js';
import { inScope, requirePermission, type Identity } from '../auth/identity.js';
import { displayPrefix, hashSecret, newSecret, secretMatches } from '../auth/secrets.js';
import type { OrgUnitService } from '../inventory/org-units.js';
import type { StateStore } from '../store/state/index.js';

export const EnrolmentTokenInput = z
  .object({
    name: z.string().min(1).max(200),
    orgUnitId: z.string().min(1).max(63),
    roles: z.array(AgentRole).min(1).max(3).default(['host']),
    maxUses: z.number().int().min(1).max(100_000).default(1),
    expiresInHours: z
      .number()
      .min(0.01)
      .max(24 * 365)
      .default(24),
  })
  .strict();
export type EnrolmentTokenInput = z.input<typeof EnrolmentTokenInput>;

export interface EnrolmentToken {
  id: string;
  name: string;
  prefix: string;
  orgUnitId: string;
  roles: string[];
  maxUses: number;
  uses: number;
  expiresAt: string;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
}

export type AgentStatus = 'online' | 'stale' | 'offline' | 'never';

export interface Agent {
  id: string;
  hostname: string;
  roles: string[];
  orgUnitId: string;
  version: string;
  os: string | null;
  arch: string | null;
  status: AgentStatus;
  enrolledAt: string;
  lastSeenAt: string | null;
  lastReportAt: string | null;
  /** The queue as the agent last reported it in a heartbeat (drops with their reasons). */
  queue: HeartbeatRequest['queue'] | null;
  revoked: boolean;
}

interface AgentRow {
  id: string;
  hostname: string;
  roles: string[];
  org_unit_id: string;
  version: string;
  os: string | null;
  arch: string | null;
  credential_hash: string;
  enrolled_at: Date;
  last_seen_at: Date | null;
  last_report_at: Date | null;
  last_heartbeat: HeartbeatRequest | string | null;
  revoked_at: Date | null;
  path?: string;
}

interface TokenRow {
  id: string;
  name: string;
  prefix: string;
  org_unit_id: string;
  roles: string[];
  max_uses: number;
  uses: number;
  expires_at: Date;
  created_by: string;
  created_at: Date;
  revoked_at: Date | null;
  path?: string;
}

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

/** Identity of an authenticated agent (its credential checked). */
export interface AgentPrincipal {
  agentId: string;
  hostname: string;
  orgUnitId: string;
  orgUnitPath: string;
  roles: string[];
}

/** Agent enrolment, credentials, heartbeats and config distribution. */
export class FleetService {
  /** Credential checks are cached briefly so a busy agent does not cost a query per request. */
  private readonly principalCache = new Map<
    string,
    { principal: AgentPrincipal; hash: string; at: number }
  >();
  private readonly listeners = new Set<(agentId: string) => void>();

  constructor(
    private readonly deps: {
      db: StateStore;
      audit: AuditLog;
      orgUnits: OrgUnitService;
      config: Config['fleet'];
      /**
       * The modules' sections of an agent's config (`{ host: ..., edge: ... }`); fleet knows none of
       * them, it hashes them into the config version and hands them out.
       */
      sections?: ((agent: AgentPrincipal) => Promise<Record<string, unknown>>) | undefined;
    },
  ) {}

  /** Subscribes to agent activity (heartbeat, report, enrol); used for live console updates. */
  onActivity(fn: (agentId: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emitActivity(agentId: string): void {
    for (const fn of this.listeners) fn(agentId);
  }

  private toToken(r: TokenRow): EnrolmentToken {
    return {
      id: r.id,
      name: r.name,
      prefix: r.prefix,
      orgUnitId: r.org_unit_id,
      roles: r.roles,
      maxUses: r.max_uses,
      uses: r.uses,
      expiresAt: iso(r.expires_at)!,
      createdBy: r.created_by,
      createdAt: iso(r.created_at)!,
      revokedAt: iso(r.revoked_at),
    };
  }

  statusOf(lastSeen: Date | null, now = Date.now()): AgentStatus {
    if (!lastSeen) return 'never';
    const age = (now - new Date(lastSeen).getTime()) / 1000;
    const stale = this.deps.config.staleAfterSeconds;
    if (age <= stale) return 'online';
    if (age <= stale * 3) return 'stale';
    return 'offline';
  }

  private toAgent(r: AgentRow): Agent {
    const hb =
      typeof r.last_heartbeat === 'string'
        ? (JSON.parse(r.last_heartbeat) as HeartbeatRequest)
        : r.last_heartbeat;
    return {
      id: r.id,
      hostname: r.hostname,
      roles: r.roles,
      orgUnitId: r.org_unit_id,
      version: r.version,
      os: r.os,
      arch: r.arch,
      status: r.revoked_at ? 'offline' : this.statusOf(r.last_seen_at),
      enrolledAt: iso(r.enrolled_at)!,
      lastSeenAt: iso(r.last_seen_at),
      lastReportAt: iso(r.last_report_at),
      queue: hb?.queue ?? null,
      revoked: r.revoked_at !== null,
    };
  }

  // ---- enrolment tokens -------------------------------------------------------------------------

  async createEnrolmentToken(
    identity: Identity,
    raw: EnrolmentTokenInput,
  ): Promise<EnrolmentToken & { token: string }> {
    requirePermission(identity, 'fleet:write');
    const input = EnrolmentTokenInput.parse(raw);
    const token = newSecret('tse', 24);
    return this.deps.db.transaction(async (tx) => {
      await this.deps.orgUnits.assertInScope(identity, input.orgUnitId, tx);
      const r = await tx.query<TokenRow>(
        `INSERT INTO enrolment_tokens (id, name, token_hash, prefix, org_unit_id, roles, max_uses, expires_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8), $9) RETURNING *`,
        [
          randomUUID(),
          input.name,
          hashSecret(token),
          displayPrefix(token),
          input.orgUnitId,
          input.roles,
          input.maxUses,
          Math.round(input.expiresInHours * 3600),
          identity.name,
        ],
      );
      const created = this.toToken(r.rows[0]!);
      await this.deps.audit.record(
        identity,
        {
          action: 'enrolment-token.create',
          targetType: 'enrolment-token',
          targetId: created.id,
          orgUnitId: created.orgUnitId,
          details: {
            name: input.name,
            roles: input.roles,
            maxUses: input.maxUses,
            expiresAt: created.expiresAt,
          },
        },
        tx,
      );
      return { ...created, token };
    });
  }

  async listEnrolmentTokens(identity: Identity): Promise<EnrolmentToken[]> {
    requirePermission(identity, 'fleet:read');
    const r = await this.deps.db.query<TokenRow>(
      `SELECT t.* FROM enrolment_tokens t JOIN org_units o ON o.id = t.org_unit_id
       WHERE o.path LIKE $1 ORDER BY t.created_at DESC`,
      [identity.orgUnitPath + '%'],
    );
    return r.rows.map((x) => this.toToken(x));
  }

  async revokeEnrolmentToken(identity: Identity, id: string): Promise<void> {
    requirePermission(identity, 'fleet:write');
    await this.deps.db.transaction(async (tx) => {
      const r = await tx.query<TokenRow>(
        `SELECT t.*, o.path FROM enrolment_tokens t JOIN org_units o ON o.id = t.org_unit_id WHERE t.id::text = $1`,
        [id],
      );
      const row = r.rows[0];
      if (!row || !inScope(identity, row.path)) throw new NotFoundError(`enrolment token "${id}" not found`);
      await tx.query('UPDATE enrolment_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [
        row.id,
      ]);
      await this.deps.audit.record(
        identity,
        {
          action: 'enrolment-token.revoke',
          targetType: 'enrolment-token',
          targetId: row.id,
          orgUnitId: row.org_unit_id,
        },
        tx,
      );
    });
  }

  // ---- enrolment --------------------------------------------------------------------------------

  /** Trades a bootstrap token for an agent identity and a long-lived credential (shown once). */
  async enrol(
    req: EnrolRequest,
    ctx: {
      sourceIp?: string | undefined;
      requestId?: string | undefined;
      clientRequestId?: string | undefined;
    },
  ): Promise<EnrolResponse> {
    return this.deps.db.transaction(async (tx) => {
      // Lock the token row so that concurrent enrolments cannot exceed max_uses.
      const r = await tx.query<TokenRow>('SELECT * FROM enrolment_tokens WHERE token_hash = $1 FOR UPDATE', [
        hashSecret(req.token),
      ]);
      const t = r.rows[0];
      const problem = !t
        ? 'enrolment token is not valid'
        : t.revoked_at
          ? 'enrolment token has been revoked'
          : new Date(t.expires_at).getTime() <= Date.now()
            ? 'enrolment token has expired'
            : t.uses >= t.max_uses
              ? 'enrolment token has no uses left'
              : undefined;
      if (problem || !t)
        throw new AuthenticationError(problem ?? 'enrolment token is not valid', {
          code: 'auth.enrolment_token_invalid',
        });
      const disallowed = req.roles.filter((role) => !t.roles.includes(role));
      if (disallowed.length) {
        throw new InputError(
          `enrolment token does not allow role(s) ${disallowed.join(', ')}; it allows ${t.roles.join(', ')}`,
        );
      }
      await tx.query('UPDATE enrolment_tokens SET uses = uses + 1 WHERE id = $1', [t.id]);
      const agentId = randomUUID();
      const credential = newSecret('tsa', 32);
      await tx.query(
        `INSERT INTO agents (id, hostname, roles, org_unit_id, version, os, arch, credential_hash, enrolment_token_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          agentId,
          req.hostname,
          req.roles,
          t.org_unit_id,
          req.version,
          req.os ?? null,
          req.arch ?? null,
          hashSecret(credential),
          t.id,
        ],
      );
      const path = (await this.deps.orgUnits.pathOf(t.org_unit_id, tx)) ?? '/';
      await this.deps.audit.record(
        {
          kind: 'agent',
          id: agentId,
          name: req.hostname,
          roles: [],
          permissions: new Set(),
          orgUnitId: t.org_unit_id,
          orgUnitPath: path,
          sourceIp: ctx.sourceIp,
          requestId: ctx.requestId,
          clientRequestId: ctx.clientRequestId,
        },
        {
          action: 'agent.enrol',
          targetType: 'agent',
          targetId: agentId,
          orgUnitId: t.org_unit_id,
          details: { hostname: req.hostname, roles: req.roles, version: req.version, tokenId: t.id },
        },
        tx,
      );
      this.emitActivity(agentId);
      return { agentId, credential, orgUnitId: t.org_unit_id, configVersion: this.configVersion() };
    });
  }

  /** Checks `Bearer <agentId>.<credential>`; throws AuthenticationError otherwise. */
  async authenticate(authorization: string | undefined): Promise<AgentPrincipal> {
    const m = /^Bearer ([0-9a-f-]{36})\.(tsa_[A-Za-z0-9_-]{20,100})$/.exec(authorization ?? '');
    if (!m)
      throw new AuthenticationError('agent credential missing or malformed', {
        code: 'auth.agent_credential_invalid',
      });
    const [, agentId, credential] = m as unknown as [string, string, string];
    const cached = this.principalCache.get(agentId);
    if (cached && Date.now() - cached.at < 30_000 && secretMatches(credential, cached.hash))
      return cached.principal;
    const r = await this.deps.db.query<AgentRow & { path: string }>(
      'SELECT a.*, o.path FROM agents a JOIN org_units o ON o.id = a.org_unit_id WHERE a.id = $1',
      [agentId],
    );
    const row = r.rows[0];
    if (!row || row.revoked_at || !secretMatches(credential, row.credential_hash)) {
      this.principalCache.delete(agentId);
      throw new AuthenticationError('agent credential is not valid', {
        code: 'auth.agent_credential_invalid',
      });
    }
    const principal: AgentPrincipal = {
      agentId: row.id,
      hostname: row.hostname,
      orgUnitId: row.org_unit_id,
      orgUnitPath: row.path,
      roles: row.roles,
    };
    this.principalCache.set(agentId, { principal, hash: row.credential_hash, at: Date.now() });
    return principal;
  }

  /** A version string of the config agents should run; changes when the relevant settings change. */
  configVersion(): string {
    return createHash('sha256').update(JSON.stringify(this.deps.config)).digest('hex').slice(0, 16);
  }

  /**
   * The agent's config: the runtime's settings and the modules' sections. The version hashes the
   * sections too (an edge agent's targets and credentials, say), so a changed device or credential
   * changes it and the agent pulls again.
   */
  async configFor(agent: AgentPrincipal): Promise<AgentConfig> {
    const c = this.deps.config;
    const sections = (await this.deps.sections?.(agent)) ?? {};
    const config = {
      configVersion: this.versionWith(sections),
      heartbeatIntervalSeconds: c.heartbeatIntervalSeconds,
      report: { maxSamplesPerBatch: c.maxSamplesPerBatch, flushIntervalSeconds: c.flushIntervalSeconds },
      ...sections,
    };
    // A module's section that breaks the wire schema is a programming error: fail loudly here rather
    // than hand the agent a config it must refuse.
    const checked = AgentConfig.safeParse(config);
    if (!checked.success) {
      throw new Error(`agent config does not match the protocol: ${checked.error.issues[0]?.message ?? ''}`);
    }
    return checked.data;
  }

  private versionWith(sections: Record<string, unknown>): string {
    const keys = Object.keys(sections).sort();
    const h = createHash('sha256').update(JSON.stringify(this.deps.config));
    for (const k of keys) h.update(k).update(JSON.stringify(sections[k]));
    return h.digest('hex').slice(0, 16);
  }

  async heartbeat(agent: AgentPrincipal, hb: HeartbeatRequest): Promise<HeartbeatResponse> {
    await this.deps.db.query(
      'UPDATE agents SET last_seen_at = now(), last_heartbeat = $2, version = $3 WHERE id = $1',
      [agent.agentId, JSON.stringify(hb), hb.version],
    );
    this.emitActivity(agent.agentId);
    const sections = (await this.deps.sections?.(agent)) ?? {};
    return { serverTime: new Date().toISOString(), configVersion: this.versionWith(sections) };
  }

  /** Marks that the agent reported (a report is also proof of life). */
  async touchReport(agentId: string): Promise<void> {
    await this.deps.db.query('UPDATE agents SET last_seen_at = now(), last_report_at = now() WHERE id = $1', [
      agentId,
    ]);
    this.emitActivity(agentId);
  }

  // ---- agents -----------------------------------------------------------------------------------

  async listAgents(identity: Identity): Promise<Agent[]> {
    requirePermission(identity, 'fleet:read');
    const r = await this.deps.db.query<AgentRow>(
      `SELECT a.* FROM agents a JOIN org_units o ON o.id = a.org_unit_id WHERE o.path LIKE $1
       ORDER BY a.hostname, a.enrolled_at`,
      [identity.orgUnitPath + '%'],
    );
    return r.rows.map((x) => this.toAgent(x));
  }

  async getAgent(identity: Identity, id: string): Promise<Agent> {
    requirePermission(identity, 'fleet:read');
    const r = await this.deps.db.query<AgentRow & { path: string }>(
      'SELECT a.*, o.path FROM agents a JOIN org_units o ON o.id = a.org_unit_id WHERE a.id::text = $1',
      [id],
    );
    const row = r.rows[0];
    if (!row || !inScope(identity, row.path)) throw new NotFoundError(`agent "${id}" not found`);
    return this.toAgent(row);
  }

  async revokeAgent(identity: Identity, id: string): Promise<void> {
    requirePermission(identity, 'fleet:write');
    const agent = await this.getAgent(identity, id);
    await this.deps.db.transaction(async (tx) => {
      await tx.query('UPDATE agents SET revoked_at = now() WHERE id = $1', [agent.id]);
      await this.deps.audit.record(
        identity,
        {
          action: 'agent.revoke',
          targetType: 'agent',
          targetId: agent.id,
          orgUnitId: agent.orgUnitId,
          details: { hostname: agent.hostname },
        },
        tx,
      );
    });
    this.principalCache.delete(agent.id);
  }

  /** Counts of all agents by status, computed in SQL (for the Prometheus gauge). */
  async countByStatus(): Promise<Record<'online' | 'stale' | 'offline' | 'never' | 'revoked', number>> {
    const stale = this.deps.config.staleAfterSeconds;
    const r = await this.deps.db.query<{ status: string; n: number | string }>(
      `SELECT CASE
         WHEN revoked_at IS NOT NULL THEN 'revoked'
         WHEN last_seen_at IS NULL THEN 'never'
         WHEN last_seen_at > now() - make_interval(secs => $1) THEN 'online'
         WHEN last_seen_at > now() - make_interval(secs => $1 * 3) THEN 'stale'
         ELSE 'offline' END AS status, count(*) AS n
       FROM agents GROUP BY 1`,
      [stale],
    );
    const out = { online: 0, stale: 0, offline: 0, never: 0, revoked: 0 };
    for (const row of r.rows) out[row.status as keyof typeof out] = Number(row.n);
    return out;
  }

  /** Counts of agents by status in the caller's subtree. */
  async summary(
    identity: Identity,
  ): Promise<{ total: number; online: number; stale: number; offline: number }> {
    const agents = await this.listAgents(identity);
    const out = { total: agents.length, online: 0, stale: 0, offline: 0 };
    for (const a of agents) {
      if (a.status === 'online') out.online++;
      else if (a.status === 'stale') out.stale++;
      else out.offline++;
    }
    return out;
  }
}
