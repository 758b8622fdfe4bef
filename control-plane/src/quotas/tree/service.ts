import { inScope, requirePermission, type Identity } from '../../auth/identity.js';
import { InputError, NotAllowedError, NotFoundError, notAvailable } from '../../errors.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import type { Queryable } from '../../store/state/index.js';
import type { QuotasPolicy } from '../policy.js';
import type { Amounts, CloudDirectory, DesiredProject, ProjectTarget, QuotaLedger } from '../types.js';
import { ClassModel, EPSILON, tidy, type ProjectGroup, type UnitHolder } from './model.js';

/** Cloud kinds under quota management. */
const MANAGED_KINDS = ['kubernetes', 'openstack', 'manual'];

/** A project id: a DNS-1123 label of at most 60 characters, so that `ts-<id>` fits 63. */
export const PROJECT_ID_RE = /^[a-z0-9]([a-z0-9-]{0,58}[a-z0-9])?$/;

export function externalNameOf(projectId: string): string {
  return `ts-${projectId}`;
}

export interface Project {
  id: string;
  orgUnitId: string;
  orgUnitName: string;
  orgPath: string;
  name: string;
  externalName: string;
  createdBy: string;
  createdAt: string;
  /** Clouds the project holds (or held) quota on. */
  clouds: string[];
}

export interface TreeNode {
  kind: 'org-unit' | 'project';
  id: string;
  name: string;
  orgUnitId: string;
  quota: Amounts;
  allocatedToChildren: Amounts;
  used: Amounts;
  physical: Amounts;
  children: TreeNode[];
}

export interface QuotaTreeView {
  cloudId: string | null;
  clouds: string[];
  classes: string[];
  root: TreeNode;
}

/** A visible cloud under quota management. */
interface CloudRow {
  id: string;
  name: string;
  org_unit_id: string;
  path: string;
}

type Actor = { actor: string; identity?: Identity | undefined };

const iso = (v: Date | string | null): string | null =>
  v === null ? null : v instanceof Date ? v.toISOString() : new Date(v).toISOString();

/**
 * The quota tree (helper B): projects, org-unit and project quotas per cloud and class, usage and
 * physical usage, and the invariants — Σ children ≤ parent, the cloud's top-level total ≤ capacity ×
 * overcommit, a project's quota never below what its cloud reports as used except through reclaim.
 *
 * Every change locks the cloud's row (`FOR NO KEY UPDATE`, which leaves foreign-key checks of other
 * tables alone) before it reads what it checks, so changes on one cloud serialise under PostgreSQL's
 * READ COMMITTED and each sees the others' committed rows; a transaction only ever locks one cloud,
 * and its other rows after it, so there is one lock order and no deadlock. PGlite's one connection
 * serialises transactions anyway; the same statements run there.
 */
export class QuotaTree implements QuotaLedger {
  constructor(
    readonly d: ModuleDeps,
    readonly parts: { policy: () => QuotasPolicy; clouds: CloudDirectory },
  ) {}

  /* ───────────────────────────── validation ───────────────────────────── */

  /** Checks classes and amounts against the policy; returns the amounts without zeros. */
  checkAmounts(amounts: Amounts, opts: { keepZeros?: boolean } = {}): Amounts {
    const classes = new Map(this.parts.policy().classes.map((c) => [c.id, c]));
    const out: Amounts = {};
    for (const [cls, amount] of Object.entries(amounts)) {
      const def = classes.get(cls);
      const path = `amounts.${cls}`;
      if (!def) {
        const message = `resource class "${cls}" is not one of policies/quotas.yaml (${[...classes.keys()].join(', ')})`;
        throw new InputError(message, {
          code: 'quota.unknown_class',
          details: [{ path, message, code: 'quota.unknown_class', params: { class: cls } }],
        });
      }
      if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
        const message = `the amount of ${cls} must be a finite number ≥ 0, got ${String(amount)}`;
        throw new InputError(message, { details: [{ path, message }] });
      }
      if (def.integer && !Number.isInteger(amount)) {
        const message = `${cls} is counted in whole ${def.unit}, got ${amount}`;
        throw new InputError(message, {
          code: 'quota.not_whole',
          details: [{ path, message, code: 'quota.not_whole', params: { class: cls, amount } }],
        });
      }
      if (amount > 0 || opts.keepZeros) out[cls] = amount;
    }
    return out;
  }

  /* ───────────────────────────── locks and reads under them ───────────────────────────── */

  /** Locks the cloud's row for the transaction; the one lock every quota change of the cloud takes. */
  private async lockCloud(tx: Queryable, cloudId: string): Promise<CloudRow> {
    const r = await tx.query<CloudRow>(
      `SELECT c.id, c.name, c.org_unit_id, u.path FROM clouds c JOIN org_units u ON u.id = c.org_unit_id
        WHERE c.id = $1 FOR NO KEY UPDATE OF c`,
      [cloudId],
    );
    const row = r.rows[0];
    if (!row) throw new NotFoundError(`cloud "${cloudId}" not found`);
    return row;
  }

  /** The holders and project sums of the cloud for `classes`, read inside `tx`. */
  private async model(
    tx: Queryable,
    cloudId: string,
    classes: readonly string[],
  ): Promise<Map<string, ClassModel>> {
    const units = await tx.query<{
      org_unit_id: string;
      path: string;
      name: string;
      class: string;
      amount: number;
    }>(
      `SELECT q.org_unit_id, u.path, u.name, q.class, q.amount::float8 AS amount
         FROM quota_org_unit_quotas q JOIN org_units u ON u.id = q.org_unit_id
        WHERE q.cloud_id = $1 AND q.class = ANY($2::text[])`,
      [cloudId, classes],
    );
    const projects = await tx.query<{ org_unit_id: string; path: string; class: string; amount: number }>(
      `SELECT p.org_unit_id, u.path, a.class, sum(a.quota)::float8 AS amount
         FROM quota_project_amounts a
         JOIN quota_projects p ON p.id = a.project_id
         JOIN org_units u ON u.id = p.org_unit_id
        WHERE a.cloud_id = $1 AND a.class = ANY($2::text[]) AND a.quota > 0
        GROUP BY p.org_unit_id, u.path, a.class`,
      [cloudId, classes],
    );
    const out = new Map<string, ClassModel>();
    for (const cls of classes) {
      const us: UnitHolder[] = units.rows
        .filter((x) => x.class === cls)
        .map((x) => ({ unitId: x.org_unit_id, path: x.path, name: x.name, amount: Number(x.amount) }));
      const ps: ProjectGroup[] = projects.rows
        .filter((x) => x.class === cls)
        .map((x) => ({ unitId: x.org_unit_id, path: x.path, amount: Number(x.amount) }));
      out.set(cls, new ClassModel(us, ps));
    }
    return out;
  }

  private async allocatable(tx: Queryable, cloudId: string): Promise<Amounts> {
    return (await this.parts.clouds.capacity(cloudId, tx))?.allocatable ?? {};
  }

  private async projectRow(
    q: Queryable,
    projectId: string,
  ): Promise<
    { id: string; org_unit_id: string; path: string; name: string; external_name: string } | undefined
  > {
    const r = await q.query<{
      id: string;
      org_unit_id: string;
      path: string;
      name: string;
      external_name: string;
    }>(
      `SELECT p.id, p.org_unit_id, u.path, p.name, p.external_name
         FROM quota_projects p JOIN org_units u ON u.id = p.org_unit_id WHERE p.id = $1`,
      [projectId],
    );
    return r.rows[0];
  }

  private async current(
    tx: Queryable,
    cloudId: string,
    projectId: string,
  ): Promise<Map<string, { quota: number; used: number }>> {
    const r = await tx.query<{ class: string; quota: number; used: number }>(
      `SELECT class, quota::float8 AS quota, used::float8 AS used FROM quota_project_amounts
        WHERE cloud_id = $1 AND project_id = $2`,
      [cloudId, projectId],
    );
    return new Map(r.rows.map((x) => [x.class, { quota: Number(x.quota), used: Number(x.used) }]));
  }

  /** Refuses `asked` more of `cls` when the parent (or the cloud) has less free. */
  private checkRoom(
    cloud: CloudRow,
    cls: string,
    m: ClassModel,
    parent: UnitHolder | undefined,
    asked: number,
    allocatable: Amounts,
  ): void {
    const held = m.childrenSum(parent);
    if (parent) {
      const free = tidy(Math.max(0, parent.amount - held));
      if (asked > free + EPSILON) {
        const message = `the quota of ${parent.name} (${parent.unitId}) on cloud ${cloud.name} has ${free} ${cls} free, ${asked} asked`;
        throw new InputError(message, {
          code: 'quota.exceeds_parent',
          details: [
            {
              path: `amounts.${cls}`,
              message,
              code: 'quota.exceeds_parent',
              params: { unit: parent.name, unitId: parent.unitId, class: cls, asked, free },
            },
          ],
        });
      }
      return;
    }
    const limit = allocatable[cls];
    const free = limit === undefined ? 0 : tidy(Math.max(0, limit - held));
    if (limit === undefined || asked > free + EPSILON) {
      const message =
        limit === undefined
          ? `cloud ${cloud.name} has no known capacity for ${cls} (read it from the cloud or enter it), ${asked} asked`
          : `cloud ${cloud.name} can allocate ${free} more ${cls} (capacity × overcommit = ${limit}), ${asked} asked`;
      throw new InputError(message, {
        code: 'quota.exceeds_capacity',
        details: [
          {
            path: `amounts.${cls}`,
            message,
            code: 'quota.exceeds_capacity',
            params: { cloud: cloud.name, cloudId: cloud.id, class: cls, asked, free },
          },
        ],
      });
    }
  }

  private actorIdentity(a: Actor): Identity {
    return (
      a.identity ?? {
        kind: 'system',
        id: a.actor,
        name: a.actor,
        roles: [],
        permissions: new Set(),
        orgUnitId: '',
        orgUnitPath: '/',
      }
    );
  }

  /** Writes the project's new amounts, bumps its version, logs and audits the change. */
  private async writeProject(
    tx: Queryable,
    a: Actor & { cloudId: string; reason: string },
    project: { id: string; org_unit_id: string; path: string },
    kind: 'allocate' | 'release' | 'reclaim',
    before: Amounts,
    after: Amounts,
  ): Promise<number> {
    const v = await tx.query<{ version: string | number }>(
      `INSERT INTO quota_project_clouds (cloud_id, project_id, version, updated_at) VALUES ($1, $2, 1, now())
       ON CONFLICT (cloud_id, project_id) DO UPDATE SET version = quota_project_clouds.version + 1, updated_at = now()
       RETURNING version`,
      [a.cloudId, project.id],
    );
    const version = Number(v.rows[0]!.version);
    const classes = Object.keys(after);
    await tx.query(
      `INSERT INTO quota_project_amounts (cloud_id, project_id, class, quota, limited)
       SELECT $1, $2, x.class, x.quota, true FROM unnest($3::text[], $4::float8[]) AS x(class, quota)
       ON CONFLICT (cloud_id, project_id, class) DO UPDATE SET quota = EXCLUDED.quota, limited = true`,
      [a.cloudId, project.id, classes, classes.map((c) => after[c])],
    );
    await tx.query(
      `INSERT INTO quota_changes (actor, reason, cloud_id, target_kind, target_id, org_unit_id, org_path, kind, before, after, version)
       VALUES ($1, $2, $3, 'project', $4, $5, $6, $7, $8, $9, $10)`,
      [
        a.actor,
        a.reason,
        a.cloudId,
        project.id,
        project.org_unit_id,
        project.path,
        kind,
        JSON.stringify(before),
        JSON.stringify(after),
        version,
      ],
    );
    await this.d.audit.record(
      this.actorIdentity(a),
      {
        action: `quota.${kind}`,
        targetType: 'quota-project',
        targetId: project.id,
        orgUnitId: project.org_unit_id,
        details: { cloudId: a.cloudId, reason: a.reason, before, after, version },
      },
      tx,
    );
    return version;
  }

  /* ───────────────────────────── QuotaLedger ───────────────────────────── */

  async allocate(
    tx: Queryable,
    a: {
      cloudId: string;
      projectId: string;
      amounts: Amounts;
      actor: string;
      reason: string;
      identity?: Identity;
    },
  ): Promise<void> {
    await this.allocateVersion(tx, a);
  }

  /** `allocate`, resolving with the project's desired version on the cloud after it (unchanged when nothing was asked). */
  async allocateVersion(
    tx: Queryable,
    a: {
      cloudId: string;
      projectId: string;
      amounts: Amounts;
      actor: string;
      reason: string;
      identity?: Identity;
    },
  ): Promise<number> {
    const amounts = this.checkAmounts(a.amounts);
    const cloud = await this.lockCloud(tx, a.cloudId);
    const project = await this.projectRow(tx, a.projectId);
    if (!project) throw new NotFoundError(`project "${a.projectId}" not found`);
    const classes = Object.keys(amounts).sort();
    if (!classes.length) return this.versionOf(tx, a.cloudId, a.projectId);
    const models = await this.model(tx, a.cloudId, classes);
    let allocatable: Amounts | undefined;
    for (const cls of classes) {
      const m = models.get(cls)!;
      const parent = m.nearest(project.path, false);
      if (!parent) allocatable ??= await this.allocatable(tx, a.cloudId);
      this.checkRoom(cloud, cls, m, parent, amounts[cls]!, allocatable ?? {});
    }
    const cur = await this.current(tx, a.cloudId, a.projectId);
    const before: Amounts = {};
    const after: Amounts = {};
    for (const cls of classes) {
      before[cls] = cur.get(cls)?.quota ?? 0;
      after[cls] = tidy(before[cls] + amounts[cls]!);
    }
    return this.writeProject(tx, a, project, 'allocate', before, after);
  }

  async release(
    tx: Queryable,
    a: {
      cloudId: string;
      projectId: string;
      amounts: Amounts;
      actor: string;
      reason: string;
      reclaim: boolean;
      identity?: Identity;
    },
  ): Promise<void> {
    await this.releaseVersion(tx, a);
  }

  /** `release`, resolving with the project's desired version on the cloud after it. */
  async releaseVersion(
    tx: Queryable,
    a: {
      cloudId: string;
      projectId: string;
      amounts: Amounts;
      actor: string;
      reason: string;
      reclaim: boolean;
      identity?: Identity;
    },
  ): Promise<number> {
    const amounts = this.checkAmounts(a.amounts);
    await this.lockCloud(tx, a.cloudId);
    const project = await this.projectRow(tx, a.projectId);
    if (!project) throw new NotFoundError(`project "${a.projectId}" not found`);
    const classes = Object.keys(amounts).sort();
    if (!classes.length) return this.versionOf(tx, a.cloudId, a.projectId);
    const cur = await this.current(tx, a.cloudId, a.projectId);
    const before: Amounts = {};
    const after: Amounts = {};
    for (const cls of classes) {
      const { quota, used } = cur.get(cls) ?? { quota: 0, used: 0 };
      const asked = amounts[cls]!;
      if (asked > quota + EPSILON) {
        const message = `project ${a.projectId} holds ${quota} ${cls} on cloud ${a.cloudId}, ${asked} cannot be released`;
        throw new InputError(message, { details: [{ path: `amounts.${cls}`, message }] });
      }
      const left = tidy(Math.max(0, quota - asked));
      if (!a.reclaim && left < used - EPSILON) {
        const message = `the ${cls} quota of project ${a.projectId} would drop to ${left}, below the ${used} its cloud reports as used (only a reclaim may)`;
        throw new InputError(message, {
          code: 'quota.below_usage',
          details: [
            {
              path: `amounts.${cls}`,
              message,
              code: 'quota.below_usage',
              params: { class: cls, used, quota: left },
            },
          ],
        });
      }
      before[cls] = quota;
      after[cls] = left;
    }
    return this.writeProject(tx, a, project, a.reclaim ? 'reclaim' : 'release', before, after);
  }

  private async versionOf(q: Queryable, cloudId: string, projectId: string): Promise<number> {
    const r = await q.query<{ version: string | number }>(
      'SELECT version FROM quota_project_clouds WHERE cloud_id = $1 AND project_id = $2',
      [cloudId, projectId],
    );
    return Number(r.rows[0]?.version ?? 0);
  }

  async ensureProject(
    tx: Queryable,
    p: { id: string; orgUnitId: string; name: string; actor: string; identity?: Identity },
  ): Promise<{ id: string; orgUnitId: string; orgPath: string; externalName: string }> {
    if (typeof p.id !== 'string' || !PROJECT_ID_RE.test(p.id)) {
      const message =
        'a project id is 1–60 lowercase letters, digits and "-", starting and ending with a letter or digit';
      throw new InputError(`id: ${message}`, { details: [{ path: 'id', message }] });
    }
    const name = typeof p.name === 'string' ? p.name.trim() : '';
    if (name.length < 1 || name.length > 200) {
      const message = 'a project name is 1–200 characters';
      throw new InputError(`name: ${message}`, { details: [{ path: 'name', message }] });
    }
    const existing = await this.projectRow(tx, p.id);
    if (existing) {
      if (existing.org_unit_id !== p.orgUnitId) throw notAvailable('id', `project id "${p.id}"`);
      return {
        id: existing.id,
        orgUnitId: existing.org_unit_id,
        orgPath: existing.path,
        externalName: existing.external_name,
      };
    }
    const path = await this.d.orgUnits.pathOf(p.orgUnitId, tx);
    if (!path) throw new NotFoundError(`org unit "${p.orgUnitId}" not found`);
    const externalName = externalNameOf(p.id);
    const r = await tx.query<{ id: string }>(
      `INSERT INTO quota_projects (id, org_unit_id, name, external_name, created_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING RETURNING id`,
      [p.id, p.orgUnitId, name, externalName, p.actor],
    );
    if (!r.rows.length) {
      // Created concurrently by another transaction (committed since our read).
      const again = await this.projectRow(tx, p.id);
      if (!again || again.org_unit_id !== p.orgUnitId) throw notAvailable('id', `project id "${p.id}"`);
      return {
        id: again.id,
        orgUnitId: again.org_unit_id,
        orgPath: again.path,
        externalName: again.external_name,
      };
    }
    await this.d.audit.record(
      this.actorIdentity(p),
      {
        action: 'quota.project.create',
        targetType: 'quota-project',
        targetId: p.id,
        orgUnitId: p.orgUnitId,
        details: { name, externalName },
      },
      tx,
    );
    return { id: p.id, orgUnitId: p.orgUnitId, orgPath: path, externalName };
  }

  async desired(cloudId: string, projectIds?: readonly string[]): Promise<DesiredProject[]> {
    const r = await this.d.db.query<{
      project_id: string;
      version: string | number;
      org_unit_id: string;
      path: string;
      external_name: string;
      hard: Amounts | string | null;
    }>(
      `SELECT pc.project_id, pc.version, p.org_unit_id, u.path, p.external_name,
              (SELECT json_object_agg(a.class, a.quota::float8) FROM quota_project_amounts a
                WHERE a.cloud_id = pc.cloud_id AND a.project_id = pc.project_id
                  AND a.limited) AS hard
         FROM quota_project_clouds pc
         JOIN quota_projects p ON p.id = pc.project_id
         JOIN org_units u ON u.id = p.org_unit_id
        WHERE pc.cloud_id = $1 AND ($2::text[] IS NULL OR pc.project_id = ANY($2::text[]))
        ORDER BY pc.project_id`,
      [cloudId, projectIds ? [...projectIds] : null],
    );
    return r.rows.map((x) => {
      const hard = typeof x.hard === 'string' ? (JSON.parse(x.hard) as Amounts) : (x.hard ?? {});
      return {
        target: this.target({
          id: x.project_id,
          org_unit_id: x.org_unit_id,
          path: x.path,
          external_name: x.external_name,
        }),
        cloudId,
        hard,
        version: Number(x.version),
      };
    });
  }

  target(p: { id: string; org_unit_id: string; path: string; external_name: string }): ProjectTarget {
    return {
      projectId: p.id,
      externalName: p.external_name,
      orgUnitId: p.org_unit_id,
      orgPath: p.path,
      labels: {
        'tianshu.gov.cn/org-unit': p.org_unit_id,
        'tianshu.gov.cn/project': p.id,
        'app.kubernetes.io/managed-by': 'tianshu',
      },
    };
  }

  async recordUsage(
    cloudId: string,
    used: ReadonlyArray<{ projectId: string; used: Amounts }>,
  ): Promise<void> {
    await this.record(
      cloudId,
      'used',
      used.map((u) => ({ projectId: u.projectId, amounts: u.used })),
    );
  }

  async recordPhysical(
    cloudId: string,
    physical: ReadonlyArray<{ projectId: string; physical: Amounts }>,
  ): Promise<void> {
    await this.record(
      cloudId,
      'physical',
      physical.map((u) => ({ projectId: u.projectId, amounts: u.physical })),
    );
  }

  /**
   * Writes reported amounts of projects that hold quota on the cloud. A project without quota on it,
   * an unknown class or a value that is not a finite number ≥ 0 is dropped, counted and logged.
   */
  private async record(
    cloudId: string,
    column: 'used' | 'physical',
    rows: ReadonlyArray<{ projectId: string; amounts: Amounts }>,
  ): Promise<{ written: number; dropped: number }> {
    const known = new Set(this.parts.policy().classes.map((c) => c.id));
    const p: string[] = [];
    const c: string[] = [];
    const v: number[] = [];
    let dropped = 0;
    for (const row of rows) {
      for (const [cls, amount] of Object.entries(row.amounts)) {
        if (!known.has(cls) || typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
          dropped++;
          continue;
        }
        p.push(row.projectId);
        c.push(cls);
        v.push(amount);
      }
    }
    let written = 0;
    if (p.length) {
      const r = await this.d.db.query(
        `INSERT INTO quota_project_amounts (cloud_id, project_id, class, ${column}, ${column}_at)
         SELECT $1, x.project_id, x.class, x.amount, now()
           FROM unnest($2::text[], $3::text[], $4::float8[]) AS x(project_id, class, amount)
           JOIN quota_project_clouds pc ON pc.cloud_id = $1 AND pc.project_id = x.project_id
         ON CONFLICT (cloud_id, project_id, class)
         DO UPDATE SET ${column} = EXCLUDED.${column}, ${column}_at = EXCLUDED.${column}_at`,
        [cloudId, p, c, v],
      );
      written = r.rowCount;
      dropped += p.length - written;
    }
    if (dropped)
      this.d.log.warn(
        { cloudId, column, dropped, written },
        `quota ${column} of cloud ${cloudId}: ${dropped} amount(s) dropped (project without quota on the cloud, unknown class or not a number ≥ 0)`,
      );
    return { written, dropped };
  }

  async projectsOf(
    cloudId: string,
  ): Promise<
    Array<{
      projectId: string;
      orgUnitId: string;
      orgPath: string;
      quota: Amounts;
      used: Amounts;
      physical: Amounts;
    }>
  > {
    const r = await this.d.db.query<{
      project_id: string;
      org_unit_id: string;
      path: string;
      class: string | null;
      quota: number | null;
      used: number | null;
      physical: number | null;
    }>(
      `SELECT pc.project_id, p.org_unit_id, u.path, a.class, a.quota::float8 AS quota, a.used::float8 AS used,
              a.physical::float8 AS physical
         FROM quota_project_clouds pc
         JOIN quota_projects p ON p.id = pc.project_id
         JOIN org_units u ON u.id = p.org_unit_id
         LEFT JOIN quota_project_amounts a ON a.cloud_id = pc.cloud_id AND a.project_id = pc.project_id
        WHERE pc.cloud_id = $1
        ORDER BY pc.project_id`,
      [cloudId],
    );
    const out = new Map<
      string,
      {
        projectId: string;
        orgUnitId: string;
        orgPath: string;
        quota: Amounts;
        used: Amounts;
        physical: Amounts;
      }
    >();
    for (const x of r.rows) {
      let e = out.get(x.project_id);
      if (!e) {
        e = {
          projectId: x.project_id,
          orgUnitId: x.org_unit_id,
          orgPath: x.path,
          quota: {},
          used: {},
          physical: {},
        };
        out.set(x.project_id, e);
      }
      if (x.class === null) continue;
      e.quota[x.class] = Number(x.quota);
      e.used[x.class] = Number(x.used);
      e.physical[x.class] = Number(x.physical);
    }
    return [...out.values()];
  }

  async totals(cloudId: string): Promise<{ allocated: Amounts; used: Amounts; physical: Amounts }> {
    const classes = this.parts.policy().classes.map((c) => c.id);
    const models = await this.model(this.d.db, cloudId, classes);
    const allocated: Amounts = {};
    for (const [cls, m] of models) allocated[cls] = tidy(m.childrenSum(undefined));
    const r = await this.d.db.query<{ class: string; used: number; physical: number }>(
      `SELECT class, sum(used)::float8 AS used, sum(physical)::float8 AS physical FROM quota_project_amounts
        WHERE cloud_id = $1 GROUP BY class`,
      [cloudId],
    );
    const used: Amounts = {};
    const physical: Amounts = {};
    for (const cls of classes) {
      used[cls] = 0;
      physical[cls] = 0;
    }
    for (const x of r.rows) {
      used[x.class] = Number(x.used);
      physical[x.class] = Number(x.physical);
    }
    return { allocated, used, physical };
  }

  /**
   * Every place the cloud breaks an invariant (Σ children > holder, top-level total > allocatable):
   * empty unless something went wrong. For tests, benches and the review.
   */
  async violations(
    cloudId: string,
  ): Promise<Array<{ class: string; unitId: string | null; amount: number; held: number }>> {
    const classes = this.parts.policy().classes.map((c) => c.id);
    const models = await this.model(this.d.db, cloudId, classes);
    const allocatable = await this.allocatable(this.d.db, cloudId);
    const out: Array<{ class: string; unitId: string | null; amount: number; held: number }> = [];
    for (const [cls, m] of models)
      for (const v of m.violations(allocatable[cls])) out.push({ class: cls, ...v });
    return out;
  }

  /* ───────────────────────────── org-unit quotas (route) ───────────────────────────── */

  /**
   * Sets an org unit's quota on a cloud (classes not named keep theirs). The unit must be in the
   * caller's subtree, and the caller must see the cloud's owner unit or set a unit strictly below its
   * own (a city hands its own quota down to its counties, never raises its own). Refused with the
   * reason when the new amount is below what the unit's sub-units and projects hold, or when it
   * takes more than the parent (or the cloud) has free.
   */
  async setOrgUnitQuota(
    identity: Identity,
    input: { cloudId: string; orgUnitId: string; amounts: Amounts; reason?: string | undefined },
  ): Promise<{ cloudId: string; orgUnitId: string; amounts: Amounts }> {
    requirePermission(identity, 'quotas:write');
    const amounts = this.checkAmounts(input.amounts, { keepZeros: true });
    return this.d.db.transaction(async (tx) => {
      const cloud = await this.lockCloud(tx, input.cloudId);
      const unit = await tx.query<{ id: string; name: string; path: string }>(
        'SELECT id, name, path FROM org_units WHERE id = $1',
        [input.orgUnitId],
      );
      const u = unit.rows[0];
      if (!u || !inScope(identity, u.path))
        throw new NotFoundError(`org unit "${input.orgUnitId}" not found`);
      const seesOwner = inScope(identity, cloud.path);
      if (!seesOwner && !(await this.visibleCloud(tx, identity, cloud.id)))
        throw new NotFoundError(`cloud "${input.cloudId}" not found`);
      if (!seesOwner && u.path === identity.orgUnitPath)
        throw new NotAllowedError(
          `only an admin of the owner of cloud ${cloud.name} (or above) sets the quota of ${u.name}; a unit hands its quota down to the units below it`,
        );
      const classes = Object.keys(amounts).sort();
      const models = await this.model(tx, cloud.id, classes);
      let allocatable: Amounts | undefined;
      const before: Amounts = {};
      for (const cls of classes) {
        const m = models.get(cls)!;
        const old = m.units.find((x) => x.unitId === u.id);
        if (old) before[cls] = old.amount;
        const next = m.withUnit({ unitId: u.id, path: u.path, name: u.name, amount: amounts[cls]! });
        const self = next.units.find((x) => x.unitId === u.id)!;
        const held = next.childrenSum(self);
        if (held > self.amount + EPSILON) {
          const message = `the sub-units and projects of ${u.name} (${u.id}) hold ${tidy(held)} ${cls} on cloud ${cloud.name}; its quota cannot be ${self.amount}`;
          throw new InputError(message, {
            code: 'quota.below_allocated',
            details: [
              {
                path: `amounts.${cls}`,
                message,
                code: 'quota.below_allocated',
                params: { unit: u.name, unitId: u.id, class: cls, held: tidy(held), quota: self.amount },
              },
            ],
          });
        }
        // The parent's room: what its children hold with the new amount, against its own quota (or the
        // cloud's allocatable); a change that makes nothing worse always passes.
        const parent = next.nearest(u.path, true);
        if (!parent) allocatable ??= await this.allocatable(tx, cloud.id);
        const heldAfter = next.childrenSum(parent);
        const heldBefore = m.childrenSum(parent);
        const limit = parent ? parent.amount : allocatable?.[cls];
        if (heldAfter > heldBefore + EPSILON && (limit === undefined || heldAfter > limit + EPSILON)) {
          const others = next.childrenSum(parent) - self.amount;
          this.checkRoom(
            cloud,
            cls,
            new ClassModel(parent ? [parent] : [], [
              { unitId: '', path: parent?.path ?? '/', amount: others },
            ]),
            parent,
            self.amount,
            allocatable ?? {},
          );
        }
      }
      await tx.query(
        `INSERT INTO quota_org_unit_quotas (cloud_id, org_unit_id, class, amount, updated_by)
         SELECT $1, $2, x.class, x.amount, $5 FROM unnest($3::text[], $4::float8[]) AS x(class, amount)
         ON CONFLICT (cloud_id, org_unit_id, class) DO UPDATE SET amount = EXCLUDED.amount,
           updated_by = EXCLUDED.updated_by, updated_at = now()`,
        [cloud.id, u.id, classes, classes.map((c) => amounts[c]), identity.name],
      );
      const reason = input.reason?.trim() || 'org-unit quota set';
      await tx.query(
        `INSERT INTO quota_changes (actor, reason, cloud_id, target_kind, target_id, org_unit_id, org_path, kind, before, after)
         VALUES ($1, $2, $3, 'org-unit', $4, $4, $5, 'set', $6, $7)`,
        [identity.name, reason, cloud.id, u.id, u.path, JSON.stringify(before), JSON.stringify(amounts)],
      );
      await this.d.audit.record(
        identity,
        {
          action: 'quota.org_unit.set',
          targetType: 'quota-org-unit',
          targetId: `${cloud.id}/${u.id}`,
          orgUnitId: u.id,
          details: { cloudId: cloud.id, reason, before, after: amounts },
        },
        tx,
      );
      const all = await tx.query<{ class: string; amount: number }>(
        `SELECT class, amount::float8 AS amount FROM quota_org_unit_quotas WHERE cloud_id = $1 AND org_unit_id = $2`,
        [cloud.id, u.id],
      );
      return {
        cloudId: cloud.id,
        orgUnitId: u.id,
        amounts: Object.fromEntries(all.rows.map((x) => [x.class, Number(x.amount)])),
      };
    });
  }

  /* ───────────────────────────── reads (routes) ───────────────────────────── */

  /** Clouds under quota management the caller sees: owned in its subtree, or with quota held in it. */
  async visibleClouds(identity: Identity, q: Queryable = this.d.db): Promise<CloudRow[]> {
    const r = await q.query<CloudRow>(
      `SELECT c.id, c.name, c.org_unit_id, u.path FROM clouds c JOIN org_units u ON u.id = c.org_unit_id
        WHERE c.kind = ANY($2::text[]) AND (u.path LIKE $1
           OR EXISTS (SELECT 1 FROM quota_org_unit_quotas q JOIN org_units qu ON qu.id = q.org_unit_id
                       WHERE q.cloud_id = c.id AND qu.path LIKE $1)
           OR EXISTS (SELECT 1 FROM quota_project_clouds pc JOIN quota_projects p ON p.id = pc.project_id
                        JOIN org_units pu ON pu.id = p.org_unit_id WHERE pc.cloud_id = c.id AND pu.path LIKE $1))
        ORDER BY c.id`,
      [identity.orgUnitPath + '%', MANAGED_KINDS],
    );
    return r.rows;
  }

  private async visibleCloud(q: Queryable, identity: Identity, cloudId: string): Promise<boolean> {
    return (await this.visibleClouds(identity, q)).some((c) => c.id === cloudId);
  }

  async listProjects(
    identity: Identity,
    opts: { orgUnitId?: string | undefined; cloudId?: string | undefined },
  ): Promise<Project[]> {
    requirePermission(identity, 'quotas:read');
    let path = identity.orgUnitPath;
    if (opts.orgUnitId) path = await this.d.orgUnits.assertInScope(identity, opts.orgUnitId);
    const r = await this.d.db.query<ProjectRow>(
      `${PROJECT_SELECT} WHERE u.path LIKE $1
          AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM quota_project_clouds x WHERE x.project_id = p.id AND x.cloud_id = $2))
        GROUP BY p.id, u.name, u.path ORDER BY p.id LIMIT 10000`,
      [path + '%', opts.cloudId ?? null],
    );
    return r.rows.map(toProject);
  }

  /** A project of the caller's subtree with its quotas per cloud (404 outside it). */
  async getProject(
    identity: Identity,
    id: string,
  ): Promise<
    Project & {
      quotas: Array<{
        cloudId: string;
        cloudName: string;
        version: number;
        quota: Amounts;
        used: Amounts;
        physical: Amounts;
      }>;
    }
  > {
    requirePermission(identity, 'quotas:read');
    const r = await this.d.db.query<ProjectRow>(
      `${PROJECT_SELECT} WHERE p.id = $1 GROUP BY p.id, u.name, u.path`,
      [id],
    );
    const row = r.rows[0];
    if (!row || !inScope(identity, row.path)) throw new NotFoundError(`project "${id}" not found`);
    const q = await this.d.db.query<{
      cloud_id: string;
      cloud_name: string;
      version: string | number;
      class: string | null;
      quota: number | null;
      used: number | null;
      physical: number | null;
    }>(
      `SELECT pc.cloud_id, c.name AS cloud_name, pc.version, a.class, a.quota::float8 AS quota, a.used::float8 AS used,
              a.physical::float8 AS physical
         FROM quota_project_clouds pc JOIN clouds c ON c.id = pc.cloud_id
         LEFT JOIN quota_project_amounts a ON a.cloud_id = pc.cloud_id AND a.project_id = pc.project_id
        WHERE pc.project_id = $1 ORDER BY pc.cloud_id, a.class`,
      [id],
    );
    const quotas = new Map<
      string,
      {
        cloudId: string;
        cloudName: string;
        version: number;
        quota: Amounts;
        used: Amounts;
        physical: Amounts;
      }
    >();
    for (const x of q.rows) {
      let e = quotas.get(x.cloud_id);
      if (!e) {
        e = {
          cloudId: x.cloud_id,
          cloudName: x.cloud_name,
          version: Number(x.version),
          quota: {},
          used: {},
          physical: {},
        };
        quotas.set(x.cloud_id, e);
      }
      if (x.class === null) continue;
      e.quota[x.class] = Number(x.quota);
      e.used[x.class] = Number(x.used);
      e.physical[x.class] = Number(x.physical);
    }
    return { ...toProject(row), quotas: [...quotas.values()] };
  }

  /** POST /projects: a project of an org unit in the caller's subtree. */
  async createProject(
    identity: Identity,
    input: { id: string; orgUnitId: string; name: string },
  ): Promise<Project> {
    requirePermission(identity, 'quotas:apply');
    await this.d.orgUnits.assertInScope(identity, input.orgUnitId);
    await this.d.db.transaction(async (tx) => {
      const existing = await this.projectRow(tx, input.id);
      if (existing) throw notAvailable('id', `project id "${input.id}"`);
      await this.ensureProject(tx, { ...input, actor: identity.name, identity });
    });
    const p = await this.getProject(identity, input.id);
    const { quotas: _q, ...project } = p;
    return project;
  }

  /* ───────────────────────────── the tree ───────────────────────────── */

  /**
   * The quota tree of the caller's subtree (or of `root` in it) on one cloud, or on every cloud the
   * caller sees summed per class. Per node: its own quota (an org unit's row; the cloud's allocatable
   * for its owner unit without one; a project's quota), what its children have taken of it, and the
   * used and physically used amounts of the projects below. One query reads it all; the sums are
   * made in memory.
   */
  async tree(
    identity: Identity,
    opts: { cloudId?: string | undefined; root?: string | undefined } = {},
  ): Promise<QuotaTreeView> {
    requirePermission(identity, 'quotas:read');
    const visible = await this.visibleClouds(identity);
    let clouds = visible;
    if (opts.cloudId) {
      clouds = visible.filter((c) => c.id === opts.cloudId);
      if (!clouds.length) throw new NotFoundError(`cloud "${opts.cloudId}" not found`);
    }
    let rootId = opts.root ?? identity.orgUnitId;
    let rootPath: string;
    if (rootId) rootPath = await this.d.orgUnits.assertInScope(identity, rootId);
    else {
      const top = await this.d.orgUnits.root();
      if (!top) throw new NotFoundError('no org units');
      rootId = top.id;
      rootPath = top.path;
    }
    const cloudIds = clouds.map((c) => c.id);
    const r = await this.d.db.query<{
      units: string;
      uq: string;
      projects: string;
      leaves: string;
      groups: string;
    }>(
      `WITH scope AS (SELECT id, parent_id, name, path FROM org_units WHERE path LIKE $1),
            amounts AS (
              SELECT a.cloud_id, a.project_id, p.org_unit_id, a.class, a.quota, a.used, a.physical
                FROM quota_project_amounts a
                JOIN quota_projects p ON p.id = a.project_id
                JOIN scope s ON s.id = p.org_unit_id
               WHERE a.cloud_id = ANY($2::text[]))
       SELECT
         (SELECT coalesce(json_agg(json_build_array(id, parent_id, name, path)), '[]') FROM scope)::text AS units,
         (SELECT coalesce(json_agg(json_build_array(q.cloud_id, q.org_unit_id, q.class, q.amount::float8)), '[]')
            FROM quota_org_unit_quotas q JOIN scope s ON s.id = q.org_unit_id
           WHERE q.cloud_id = ANY($2::text[]))::text AS uq,
         (SELECT coalesce(json_agg(json_build_array(p.id, p.org_unit_id, p.name)), '[]')
            FROM quota_projects p JOIN scope s ON s.id = p.org_unit_id
           WHERE $3::boolean OR EXISTS (SELECT 1 FROM quota_project_clouds pc
                                         WHERE pc.project_id = p.id AND pc.cloud_id = ANY($2::text[])))::text AS projects,
         (SELECT coalesce(json_agg(json_build_array(project_id, class, q, u, ph)), '[]') FROM (
            SELECT project_id, class, sum(quota)::float8 AS q, sum(used)::float8 AS u, sum(physical)::float8 AS ph
              FROM amounts GROUP BY project_id, class) l)::text AS leaves,
         (SELECT coalesce(json_agg(json_build_array(cloud_id, org_unit_id, class, q)), '[]') FROM (
            SELECT cloud_id, org_unit_id, class, sum(quota)::float8 AS q
              FROM amounts GROUP BY cloud_id, org_unit_id, class) g)::text AS groups`,
      [rootPath + '%', cloudIds, !opts.cloudId],
    );
    const row = r.rows[0]!;
    const units = JSON.parse(row.units) as Array<[string, string | null, string, string]>;
    const uq = JSON.parse(row.uq) as Array<[string, string, string, number]>;
    const projects = JSON.parse(row.projects) as Array<[string, string, string]>;
    const leaves = JSON.parse(row.leaves) as Array<[string, string, number, number, number]>;
    const groups = JSON.parse(row.groups) as Array<[string, string, string, number]>;

    const classes = this.parts.policy().classes.map((c) => c.id);
    const ci = new Map(classes.map((c, i) => [c, i]));
    const idx = (cls: string): number => {
      let i = ci.get(cls);
      if (i === undefined) {
        i = classes.length;
        classes.push(cls);
        ci.set(cls, i);
      }
      return i;
    };
    for (const x of uq) idx(x[2]);
    for (const x of leaves) idx(x[1]);
    const K = () => new Float64Array(classes.length);

    // Org units of the subtree, children lists, deepest first for the bottom-up sums.
    const unitIndex = new Map<string, number>();
    units.forEach((u, i) => unitIndex.set(u[0], i));
    const n = units.length;
    const parentOf = new Int32Array(n).fill(-1);
    for (let i = 0; i < n; i++) {
      const p = units[i]![1];
      const j = p === null ? undefined : unitIndex.get(p);
      if (j !== undefined) parentOf[i] = j;
    }
    const order = [...units.keys()].sort((a, b) => units[b]![3].length - units[a]![3].length);

    // Per unit: own quota (summed over clouds), allocated to children, used, physical.
    const quota = Array.from({ length: n }, K);
    const atc = Array.from({ length: n }, K);
    const used = Array.from({ length: n }, K);
    const physical = Array.from({ length: n }, K);

    // Per cloud: the holders and project sums; committed bottom-up.
    const allocatable = new Map<string, Amounts>();
    await Promise.all(
      clouds
        .filter((c) => unitIndex.has(c.org_unit_id))
        .map(async (c) => allocatable.set(c.id, await this.allocatable(this.d.db, c.id))),
    );
    const perCloud = new Map<
      string,
      { holds: Map<number, Float64Array>; groups: Map<number, Float64Array> }
    >();
    const cloudOf = (id: string) => {
      let e = perCloud.get(id);
      if (!e) {
        e = { holds: new Map(), groups: new Map() };
        perCloud.set(id, e);
      }
      return e;
    };
    const NaNs = () => new Float64Array(classes.length).fill(NaN);
    for (const [cloudId, unitId, cls, amount] of uq) {
      const i = unitIndex.get(unitId);
      if (i === undefined) continue;
      const e = cloudOf(cloudId);
      let h = e.holds.get(i);
      if (!h) e.holds.set(i, (h = NaNs()));
      h[idx(cls)] = amount;
    }
    for (const c of clouds) {
      const i = unitIndex.get(c.org_unit_id);
      const alloc = allocatable.get(c.id);
      if (i === undefined || !alloc) continue;
      const e = cloudOf(c.id);
      let h = e.holds.get(i);
      if (!h) e.holds.set(i, (h = NaNs()));
      for (const [cls, amount] of Object.entries(alloc)) {
        const k = idx(cls);
        if (Number.isNaN(h[k]!)) h[k] = amount;
      }
    }
    for (const [cloudId, unitId, cls, amount] of groups) {
      const i = unitIndex.get(unitId);
      if (i === undefined) continue;
      const e = cloudOf(cloudId);
      let g = e.groups.get(i);
      if (!g) e.groups.set(i, (g = K()));
      g[idx(cls)]! += amount;
    }
    const k = classes.length;
    for (const [, e] of perCloud) {
      const local = Array.from({ length: n }, K);
      for (const i of order) {
        const a = local[i]!;
        const g = e.groups.get(i);
        if (g) for (let c = 0; c < k; c++) a[c]! += g[c]!;
        const h = e.holds.get(i);
        const atcI = atc[i]!;
        const quotaI = quota[i]!;
        for (let c = 0; c < k; c++) atcI[c]! += a[c]!;
        const p = parentOf[i]!;
        if (p < 0) {
          if (h) for (let c = 0; c < k; c++) if (!Number.isNaN(h[c]!)) quotaI[c]! += h[c]!;
          continue;
        }
        const pa = local[p]!;
        for (let c = 0; c < k; c++) {
          const held = h?.[c];
          if (held !== undefined && !Number.isNaN(held)) {
            quotaI[c]! += held;
            pa[c]! += held;
          } else pa[c]! += a[c]!;
        }
      }
    }

    // Project leaves; used and physical up the tree.
    const leafAmounts = new Map<string, { q: Float64Array; u: Float64Array; ph: Float64Array }>();
    for (const [projectId, cls, q, u, ph] of leaves) {
      let e = leafAmounts.get(projectId);
      if (!e) leafAmounts.set(projectId, (e = { q: K(), u: K(), ph: K() }));
      const c = idx(cls);
      e.q[c] = q;
      e.u[c] = u;
      e.ph[c] = ph;
    }
    const toAmounts = (a: Float64Array): Amounts => {
      const out: Amounts = {};
      for (let c = 0; c < k; c++) out[classes[c]!] = tidy(a[c]!);
      return out;
    };
    const childNodes: TreeNode[][] = Array.from({ length: n }, () => []);
    const zero = K();
    for (const [id, unitId, name] of projects) {
      const i = unitIndex.get(unitId);
      if (i === undefined) continue;
      const e = leafAmounts.get(id);
      if (e) {
        const u = used[i]!;
        const ph = physical[i]!;
        for (let c = 0; c < k; c++) {
          u[c]! += e.u[c]!;
          ph[c]! += e.ph[c]!;
        }
      }
      childNodes[i]!.push({
        kind: 'project',
        id,
        name,
        orgUnitId: unitId,
        quota: toAmounts(e?.q ?? zero),
        allocatedToChildren: toAmounts(zero),
        used: toAmounts(e?.u ?? zero),
        physical: toAmounts(e?.ph ?? zero),
        children: [],
      });
    }
    for (const i of order) {
      const p = parentOf[i]!;
      if (p < 0) continue;
      const u = used[p]!;
      const ph = physical[p]!;
      for (let c = 0; c < k; c++) {
        u[c]! += used[i]![c]!;
        ph[c]! += physical[i]![c]!;
      }
    }
    const nodes: TreeNode[] = units.map(([id, , name], i) => ({
      kind: 'org-unit',
      id,
      name,
      orgUnitId: id,
      quota: toAmounts(quota[i]!),
      allocatedToChildren: toAmounts(atc[i]!),
      used: toAmounts(used[i]!),
      physical: toAmounts(physical[i]!),
      children: childNodes[i]!,
    }));
    // Sub-units first (by name), then projects, as they came (by id).
    for (let i = n - 1; i >= 0; i--) {
      const p = parentOf[i]!;
      if (p >= 0) nodes[p]!.children.unshift(nodes[i]!);
    }
    const rootIndex = unitIndex.get(rootId);
    if (rootIndex === undefined) throw new NotFoundError(`org unit "${rootId}" not found`);
    return {
      cloudId: opts.cloudId ?? null,
      clouds: cloudIds,
      classes,
      root: nodes[rootIndex]!,
    };
  }

  /** `quotas.utilisation`: used / quota per class over the projects of the caller's subtree. */
  async overview(identity: Identity): Promise<Record<string, unknown>> {
    const r = await this.d.db.query<{ class: string; quota: number; used: number; physical: number }>(
      `SELECT a.class, sum(a.quota)::float8 AS quota, sum(a.used)::float8 AS used, sum(a.physical)::float8 AS physical
         FROM quota_project_amounts a JOIN quota_projects p ON p.id = a.project_id
         JOIN org_units u ON u.id = p.org_unit_id
        WHERE u.path LIKE $1 GROUP BY a.class ORDER BY a.class`,
      [identity.orgUnitPath + '%'],
    );
    const byClass: Record<string, { quota: number; used: number; physical: number; ratio: number | null }> =
      {};
    for (const x of r.rows) {
      const quota = Number(x.quota);
      const used = Number(x.used);
      byClass[x.class] = {
        quota,
        used,
        physical: Number(x.physical),
        ratio: quota > 0 ? Math.round((used / quota) * 1000) / 1000 : null,
      };
    }
    return { utilisation: { byClass } };
  }

  jobs(): ModuleJob[] {
    return [];
  }
}

interface ProjectRow {
  id: string;
  org_unit_id: string;
  org_unit_name: string;
  path: string;
  name: string;
  external_name: string;
  created_by: string;
  created_at: Date | string;
  clouds: string[] | null;
}

const PROJECT_SELECT = `SELECT p.id, p.org_unit_id, u.name AS org_unit_name, u.path, p.name, p.external_name, p.created_by,
       p.created_at, array_remove(array_agg(pc.cloud_id ORDER BY pc.cloud_id), NULL) AS clouds
  FROM quota_projects p JOIN org_units u ON u.id = p.org_unit_id
  LEFT JOIN quota_project_clouds pc ON pc.project_id = p.id`;

function toProject(r: ProjectRow): Project {
  return {
    id: r.id,
    orgUnitId: r.org_unit_id,
    orgUnitName: r.org_unit_name,
    orgPath: r.path,
    name: r.name,
    externalName: r.external_name,
    createdBy: r.created_by,
    createdAt: iso(r.created_at)!,
    clouds: r.clouds ?? [],
  };
}
