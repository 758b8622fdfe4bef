import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { AlertInput } from '@tianshu/protocol';
import type { Identity } from '../../auth/identity.js';
import { ConflictError, InputError, NotFoundError } from '../../errors.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import { compileSigma, type RuleStatus } from '../sigma/compile.js';
import { SigmaEngine, type EngineRule, type HitRecorder, type LoadedRule } from '../sigma/engine.js';
import { listRuleFiles, loadRuleDir } from '../sigma/files.js';
import type { RuleEngine, StoredEvent } from '../types.js';

/**
 * Sigma rules of the security module: every rule under `policies/detections/sigma/` (reloaded when
 * a file changes) and those added through the API (table `security_rules`; each runs on its author's
 * org unit subtree only), compiled once into one `SigmaEngine` evaluated on the ingest path. Hits
 * and evaluation errors are counted in memory and added to `security_rule_hits` /
 * `security_rule_errors` by every replica (on the flush job, and before the rules are listed).
 */

/** One rule in `GET /rules`. */
export interface RuleItem {
  id: string;
  title: string;
  file: string;
  origin: 'policy' | 'api';
  kind: 'sigma' | 'correlation';
  level: string;
  status: RuleStatus;
  reason: string | null;
  logsource: Record<string, string>;
  attack: string[];
  hits: number;
  lastHitAt: string | null;
  errors: number;
  /** API rules: the org unit it runs for, its author and last change. */
  orgUnitId?: string | undefined;
  author?: string | undefined;
  updatedAt?: string | undefined;
}

export interface RuleList {
  items: RuleItem[];
  summary: Record<RuleStatus, number>;
}

interface ApiRow {
  id: string;
  yaml: string;
  org_unit_id: string;
  path: string;
  author: string;
  updated_at: Date | string;
}

/** Seconds between checks of the rule files and the API rules' version (per replica). */
const CHECK_MILLIS = 5000;
/** Longest rule text accepted through the API. */
export const MAX_API_RULE_BYTES = 262_144;

const iso = (v: Date | string | number | null | undefined) =>
  v === null || v === undefined ? null : new Date(v).toISOString();

export class SecurityRules implements RuleEngine, HitRecorder {
  private engine = new SigmaEngine([], this);
  private api: ApiRow[] = [];
  private fileSignature = '';
  private apiSignature = '';
  private lastCheck = 0;
  private refreshing: Promise<void> | undefined;
  private loaded = false;
  /** rule id → org path → hits since the last flush. */
  private hitDeltas = new Map<string, Map<string, { hits: number; last: number }>>();
  private errorDeltas = new Map<string, { errors: number; last: string; at: number }>();

  constructor(
    readonly d: ModuleDeps,
    private readonly opts: { dir?: string; checkMillis?: number } = {},
  ) {}

  /** The directory of the shipped and operator rules. */
  get dir(): string {
    return this.opts.dir ?? join(this.d.config.policiesDir, 'detections', 'sigma');
  }

  /** Loads the rules of `policies/detections/sigma/` and those added through the API. */
  async load(): Promise<void> {
    const [fileSignature, apiSignature] = [this.signatureOfFiles(), await this.signatureOfApi()];
    const { rows } = await this.d.db.query<ApiRow>(
      `SELECT r.id, r.yaml, r.org_unit_id, o.path, r.author, r.updated_at
         FROM security_rules r JOIN org_units o ON o.id = r.org_unit_id ORDER BY r.id`,
    );
    const loaded: LoadedRule[] = loadRuleDir(this.dir);
    for (const row of rows) {
      const [rule] = compileSigma(row.yaml, `api:${row.id}`);
      if (rule) {
        loaded.push({
          rule,
          file: `api:${row.id}`,
          origin: 'api',
          scopePath: row.path,
          orgUnitId: row.org_unit_id,
        });
      }
    }
    const engine = new SigmaEngine(loaded, this);
    this.engine = engine;
    this.api = rows;
    this.fileSignature = fileSignature;
    this.apiSignature = apiSignature;
    this.lastCheck = Date.now();
    this.loaded = true;
    const summary = engine.summary();
    const notRun = engine.rules.filter((r) => r.info.status !== 'compiled');
    this.d.log.info({ dir: this.dir, ...summary }, 'sigma rules loaded');
    if (notRun.length) {
      this.d.log.warn(
        {
          rules: notRun
            .slice(0, 20)
            .map((r) => ({ file: r.file, id: r.info.id, status: r.info.status, reason: r.info.reason })),
          more: Math.max(0, notRun.length - 20),
        },
        'sigma rules not run (GET /api/v1/security/rules lists every reason)',
      );
    }
  }

  /** The engine in force (the bench and tests read its rules). */
  get current(): SigmaEngine {
    return this.engine;
  }

  evaluate(events: readonly StoredEvent[]): AlertInput[] {
    const now = Date.now();
    if (!this.refreshing && now - this.lastCheck >= (this.opts.checkMillis ?? CHECK_MILLIS)) {
      this.lastCheck = now;
      this.refreshing = this.refresh()
        .catch((err: unknown) => this.d.log.error({ err }, 'sigma rules: refresh failed'))
        .finally(() => (this.refreshing = undefined));
    }
    return this.engine.evaluate(events);
  }

  hit(ruleId: string, orgPath: string, ts: number, count: number): void {
    let m = this.hitDeltas.get(ruleId);
    if (!m) this.hitDeltas.set(ruleId, (m = new Map()));
    const h = m.get(orgPath);
    if (h) {
      h.hits += count;
      if (ts > h.last) h.last = ts;
    } else m.set(orgPath, { hits: count, last: ts });
  }

  error(ruleId: string, message: string): void {
    const e = this.errorDeltas.get(ruleId);
    if (e) {
      e.errors++;
      e.last = message;
      e.at = Date.now();
    } else this.errorDeltas.set(ruleId, { errors: 1, last: message, at: Date.now() });
  }

  private signatureOfFiles(): string {
    const parts: string[] = [];
    for (const f of listRuleFiles(this.dir)) {
      try {
        const st = statSync(f);
        parts.push(`${f}:${st.size}:${st.mtimeMs}`);
      } catch {
        parts.push(`${f}:gone`);
      }
    }
    return parts.join('\n');
  }

  private async signatureOfApi(): Promise<string> {
    const { rows } = await this.d.db.query<{ n: string | number; at: Date | null }>(
      'SELECT count(*) AS n, max(updated_at) AS at FROM security_rules',
    );
    return `${rows[0]?.n ?? 0}:${iso(rows[0]?.at ?? null) ?? ''}`;
  }

  /** Reloads when a rule file or an API rule changed; flushes the counts. */
  async refresh(): Promise<void> {
    if (!this.loaded) await this.load();
    else if (
      this.signatureOfFiles() !== this.fileSignature ||
      (await this.signatureOfApi()) !== this.apiSignature
    ) {
      await this.load();
    }
    await this.flush();
  }

  /** Adds the hits and errors counted since the last flush to the state tables. */
  async flush(): Promise<void> {
    const hits = this.hitDeltas;
    const errors = this.errorDeltas;
    if (hits.size === 0 && errors.size === 0) return;
    this.hitDeltas = new Map();
    this.errorDeltas = new Map();
    try {
      for (const [ruleId, m] of hits) {
        for (const [path, h] of m) {
          await this.d.db.query(
            `INSERT INTO security_rule_hits (rule_id, org_path, hits, last_hit_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (rule_id, org_path) DO UPDATE SET hits = security_rule_hits.hits + EXCLUDED.hits,
               last_hit_at = GREATEST(security_rule_hits.last_hit_at, EXCLUDED.last_hit_at)`,
            [ruleId.slice(0, 256), path, h.hits, new Date(h.last)],
          );
        }
      }
      for (const [ruleId, e] of errors) {
        await this.d.db.query(
          `INSERT INTO security_rule_errors (rule_id, errors, last_error, last_error_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (rule_id) DO UPDATE SET errors = security_rule_errors.errors + EXCLUDED.errors,
             last_error = EXCLUDED.last_error, last_error_at = EXCLUDED.last_error_at`,
          [ruleId.slice(0, 256), e.errors, e.last.slice(0, 1000), new Date(e.at)],
        );
      }
    } catch (err) {
      // Not lost: the counts go back and are added on the next flush.
      for (const [ruleId, m] of hits) for (const [path, h] of m) this.hit(ruleId, path, h.last, h.hits);
      for (const [ruleId, e] of errors) {
        const cur = this.errorDeltas.get(ruleId);
        if (cur) cur.errors += e.errors;
        else this.errorDeltas.set(ruleId, e);
      }
      throw err;
    }
  }

  jobs(): ModuleJob[] {
    return [{ name: 'security.rules-refresh', everyMillis: 15_000, run: () => this.refresh() }];
  }

  /** Whether the caller sees a rule: policy rules all; an API rule in its subtree or above it. */
  private visible(identity: Identity, r: EngineRule): boolean {
    if (r.origin === 'policy') return true;
    return r.scopePath.startsWith(identity.orgUnitPath) || identity.orgUnitPath.startsWith(r.scopePath);
  }

  /** Every rule the caller sees, with the hits in the caller's subtree and the errors. */
  async list(identity: Identity): Promise<RuleList> {
    if (!this.loaded) await this.load();
    await this.flush().catch((err: unknown) =>
      this.d.log.warn({ err }, 'sigma rules: flushing hit counts failed'),
    );
    const { rows: hitRows } = await this.d.db.query<{
      rule_id: string;
      hits: string | number;
      last: Date | null;
    }>(
      `SELECT rule_id, sum(hits) AS hits, max(last_hit_at) AS last FROM security_rule_hits
        WHERE left(org_path, length($1)) = $1 GROUP BY rule_id`,
      [identity.orgUnitPath],
    );
    const { rows: errRows } = await this.d.db.query<{ rule_id: string; errors: string | number }>(
      'SELECT rule_id, errors FROM security_rule_errors',
    );
    const hits = new Map(hitRows.map((r) => [r.rule_id, r]));
    const errs = new Map(errRows.map((r) => [r.rule_id, Number(r.errors)]));
    const api = new Map(this.api.map((r) => [r.id, r]));
    const items: RuleItem[] = [];
    const summary = { compiled: 0, unsupported: 0, invalid: 0 };
    for (const r of this.engine.rules) {
      if (!this.visible(identity, r)) continue;
      const h = hits.get(r.info.id);
      const row = r.origin === 'api' ? api.get(r.info.id) : undefined;
      summary[r.info.status]++;
      items.push({
        id: r.info.id,
        title: r.info.title,
        file: r.file,
        origin: r.origin,
        kind: r.info.kind,
        level: r.info.level,
        status: r.info.status,
        reason: r.info.reason,
        logsource: r.info.logsource,
        attack: r.info.attack,
        hits: h ? Number(h.hits) : 0,
        lastHitAt: iso(h?.last ?? null),
        errors: errs.get(r.info.id) ?? 0,
        ...(row
          ? { orgUnitId: row.org_unit_id, author: row.author, updatedAt: iso(row.updated_at) ?? undefined }
          : {}),
      });
    }
    return { items, summary };
  }

  /**
   * Adds (or replaces) one rule sent through the API, owned by the caller's org unit. An invalid
   * rule is refused with the reason; an unsupported one is stored and listed, not run.
   */
  async add(identity: Identity, yaml: string): Promise<RuleItem> {
    if (Buffer.byteLength(yaml) > MAX_API_RULE_BYTES) {
      throw new InputError(`the rule is larger than ${MAX_API_RULE_BYTES} bytes`, {
        code: 'sigma.rule_invalid',
      });
    }
    const rules = compileSigma(yaml, 'api');
    if (rules.length !== 1) {
      throw new InputError(`send one rule per request (this YAML holds ${rules.length})`, {
        code: 'sigma.rule_invalid',
      });
    }
    const info = rules[0]!.info;
    if (info.status === 'invalid') {
      throw new InputError(`the rule is not valid: ${info.reason ?? ''}`, { code: 'sigma.rule_invalid' });
    }
    if (!/^\s*id\s*:/m.test(yaml) || info.id.startsWith('tianshu-')) {
      throw new InputError('a rule sent through the API needs an id (a UUID)', {
        code: 'sigma.rule_invalid',
      });
    }
    if (!identity.orgUnitId)
      throw new InputError('the caller has no org unit to own the rule', { code: 'sigma.rule_invalid' });
    const existing = this.engine.rules.find((r) => r.info.id === info.id);
    if (existing?.origin === 'policy') {
      throw new ConflictError(`rule ${info.id} comes from ${existing.file}; change the file instead`, {
        code: 'sigma.rule_read_only',
      });
    }
    await this.d.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ path: string }>(
        'SELECT o.path FROM security_rules r JOIN org_units o ON o.id = r.org_unit_id WHERE r.id = $1 FOR UPDATE OF r',
        [info.id],
      );
      const prev = rows[0];
      if (prev && !prev.path.startsWith(identity.orgUnitPath)) {
        throw new ConflictError(`a rule with id ${info.id} already exists`);
      }
      if (prev) {
        await tx.query('UPDATE security_rules SET yaml = $2, author = $3, updated_at = now() WHERE id = $1', [
          info.id,
          yaml,
          identity.name.slice(0, 200),
        ]);
      } else {
        await tx.query('INSERT INTO security_rules (id, yaml, org_unit_id, author) VALUES ($1, $2, $3, $4)', [
          info.id,
          yaml,
          identity.orgUnitId,
          identity.name.slice(0, 200),
        ]);
      }
      await this.d.audit.record(
        identity,
        {
          action: prev ? 'security.rule.update' : 'security.rule.create',
          targetType: 'security-rule',
          targetId: info.id,
          details: { title: info.title, kind: info.kind, status: info.status, reason: info.reason },
        },
        tx,
      );
    });
    await this.load();
    const item = (await this.list(identity)).items.find((r) => r.id === info.id);
    if (!item) throw new NotFoundError(`rule ${info.id} not found`);
    return item;
  }

  /** Deletes an API rule of the caller's subtree (rules from files are changed in the files). */
  async remove(identity: Identity, id: string): Promise<void> {
    const r = this.engine.rules.find((x) => x.info.id === id);
    if (r?.origin === 'policy') {
      throw new ConflictError(`rule ${id} comes from ${r.file}; remove it from the file instead`, {
        code: 'sigma.rule_read_only',
      });
    }
    await this.d.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ path: string; org_unit_id: string; yaml: string }>(
        'SELECT o.path, r.org_unit_id, r.yaml FROM security_rules r JOIN org_units o ON o.id = r.org_unit_id WHERE r.id = $1 FOR UPDATE OF r',
        [id],
      );
      const row = rows[0];
      if (!row || !row.path.startsWith(identity.orgUnitPath)) throw new NotFoundError(`rule ${id} not found`);
      await tx.query('DELETE FROM security_rules WHERE id = $1', [id]);
      await tx.query('DELETE FROM security_rule_hits WHERE rule_id = $1', [id]);
      await tx.query('DELETE FROM security_rule_errors WHERE rule_id = $1', [id]);
      await this.d.audit.record(
        identity,
        {
          action: 'security.rule.delete',
          targetType: 'security-rule',
          targetId: id,
          orgUnitId: row.org_unit_id,
          details: { yaml: row.yaml.slice(0, 4096) },
        },
        tx,
      );
    });
    await this.load();
  }
}
