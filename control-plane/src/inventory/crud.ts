import type { z } from 'zod';
import { NotFoundError, notAvailable } from '../errors.js';
import { inScope, requirePermission, type Identity } from '../auth/identity.js';
import type { Queryable } from '../store/state/index.js';
import {
  assertUnreferenced,
  check,
  inTx,
  pageClause,
  recordChange,
  requireOrgUnit,
  scopePrefix,
  setClause,
  type InventoryDeps,
  type Page,
} from './common.js';

/** The columns every row of an org-unit-scoped table is read with: its id, its org unit and that unit's path. */
export interface ScopedRow {
  id: string;
  org_unit_id: string;
  path: string;
}

/** What an input schema must produce: an operator-given id and the owning org unit. */
type NewFields = z.ZodType<{ id: string; orgUnitId: string }>;
/** What patch and filter schemas must produce: an optional org unit (a move, or a subtree). */
type OrgUnitField = z.ZodType<{ orgUnitId?: string | undefined }>;

/**
 * One table of records that belong to an org unit directly (`org_unit_id`) and are keyed by an
 * operator-given id: sites, clouds, hosts, dedicated networks.
 */
export interface ScopedTable<
  Rec,
  Row extends ScopedRow,
  I extends NewFields,
  P extends OrgUnitField,
  F extends OrgUnitField,
> {
  /** Audit target type and action prefix: `site`, `dedicated-network`. */
  kind: string;
  /** How messages name one record: `site "x" not found`, `dedicated network "x" already exists`. */
  noun: string;
  table: string;
  /** The table's alias in the SELECT; the org unit is always `u`. */
  alias: string;
  /** The column of every input field but `id`, in INSERT order; the SELECT reads them all. */
  columns: { readonly [K in Exclude<keyof z.output<I>, 'id'> & string]-?: string };
  /** SELECT expressions for columns not read as stored: `planned_at: 'n.planned_at::text AS planned_at'`. */
  selectAs?: Readonly<Record<string, string>>;
  /** The column each list filter but `orgUnitId` must equal. */
  filters: { readonly [K in Exclude<keyof z.output<F>, 'orgUnitId'> & string]-?: string };
  /** Tables whose rows block a record's removal: `{ kind: 'devices', table: 'devices', column: 'site_id' }`. */
  referencedBy?: readonly { kind: string; table: string; column: string }[];
  input: I;
  patch: P;
  filter: F;
  toRecord: (row: Row) => Rec;
}

/** The SELECT of a scoped table, joined to the org unit for its path. */
export function scopedSelect(t: {
  table: string;
  alias: string;
  columns: Readonly<Record<string, string>>;
  selectAs?: Readonly<Record<string, string>> | undefined;
}): string {
  const a = t.alias;
  const cols = ['id', ...Object.values(t.columns)].map((c) => t.selectAs?.[c] ?? `${a}.${c}`);
  return `SELECT ${cols.join(', ')}, u.path FROM ${t.table} ${a} JOIN org_units u ON u.id = ${a}.org_unit_id`;
}

/** The first of `rows` when it is in the caller's scope (rows are read with their org unit's path). */
export function firstInScope<Row extends { path: string }>(identity: Identity, rows: Row[]): Row | undefined {
  const row = rows[0];
  return row && inScope(identity, row.path) ? row : undefined;
}

/** How a list reads one kind of record; see {@link listInScope}. */
export interface ListQuery {
  /** `SELECT ... FROM <table> <alias> JOIN org_units u ON ...`: rows with their org unit's path. */
  select: string;
  /** Filter fields each matched by equality on a column, in this order: `{ siteId: 'd.site_id' }`. */
  equals: Readonly<Record<string, string>>;
  orderBy: string;
  /** Conditions ANDed before the equalities (` AND ...`), pushing their own parameters. */
  where?: (params: unknown[]) => string;
}

/**
 * One page of rows in the caller's subtree (or in the subtree of the filter's `orgUnitId`, which
 * must be in scope) that match the filter's defined fields.
 */
export async function listInScope<Row>(
  deps: InventoryDeps,
  identity: Identity,
  filter: { orgUnitId?: string | undefined },
  query: ListQuery,
  page?: Page,
): Promise<Row[]> {
  const f = filter as Record<string, unknown>;
  const params: unknown[] = [(await scopePrefix(deps.orgUnits, identity, filter.orgUnitId)) + '%'];
  let where = 'u.path LIKE $1';
  if (query.where) where += query.where(params);
  for (const [key, column] of Object.entries(query.equals)) {
    if (f[key] === undefined) continue;
    params.push(f[key]);
    where += ` AND ${column} = $${params.length}`;
  }
  const r = await deps.db.query<Row>(
    `${query.select} WHERE ${where} ORDER BY ${query.orderBy}${pageClause(page, params)}`,
    params,
  );
  return r.rows;
}

/** {@link check} typed by the schema, for schemas that are type parameters. */
function parse<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  return check(schema as unknown as z.ZodType<z.output<S>>, raw, what);
}

/**
 * `list`, `get`, `find`, `create`, `update` and `remove` of a {@link ScopedTable}: reads are limited to
 * the caller's subtree (404 outside it), writes check the org unit and are audited as
 * `<kind>.create|update|delete` with the validated input or patch as details. Services add their own
 * rules through the optional `check*` hooks.
 */
export abstract class ScopedCrud<
  Rec,
  Row extends ScopedRow,
  I extends NewFields,
  P extends OrgUnitField,
  F extends OrgUnitField,
> {
  private readonly select: string;
  private readonly equals: Record<string, string>;

  constructor(
    protected readonly deps: InventoryDeps,
    private readonly t: ScopedTable<Rec, Row, I, P, F>,
  ) {
    this.select = scopedSelect(t);
    this.equals = Object.fromEntries(
      Object.entries<string>(t.filters).map(([key, column]) => [key, `${t.alias}.${column}`]),
    );
  }

  /** Runs before the transaction of `create`. */
  protected checkInput?(v: z.output<I>): void;
  /** Runs in `create` once the org unit (at `path`) is known to be in scope, before the id is checked. */
  protected checkCreate?(identity: Identity, v: z.output<I>, path: string, q: Queryable): Promise<void>;
  /** Runs in `update` on the record as it is, before a new org unit is checked. */
  protected checkPatch?(v: z.output<P>, before: Row): void;
  /** Runs in `update` once the org unit the record will have (at `path`) is known to be in scope. */
  protected checkUpdate?(
    identity: Identity,
    id: string,
    v: z.output<P>,
    before: Row,
    path: string,
    q: Queryable,
  ): Promise<void>;

  async list(identity: Identity, filter: z.input<F> = {} as z.input<F>, page?: Page): Promise<Rec[]> {
    requirePermission(identity, 'inventory:read');
    const f = parse(this.t.filter, filter, `${this.t.noun} filter`);
    const query = { select: this.select, equals: this.equals, orderBy: `${this.t.alias}.id` };
    const rows = await listInScope<Row>(this.deps, identity, f, query, page);
    return rows.map(this.t.toRecord);
  }

  async get(identity: Identity, id: string, tx?: Queryable): Promise<Rec> {
    requirePermission(identity, 'inventory:read');
    return this.t.toRecord(await this.row(identity, id, tx ?? this.deps.db));
  }

  /** Returns the record when it is in scope, or undefined (for idempotent loads). */
  async find(identity: Identity, id: string, tx?: Queryable): Promise<Rec | undefined> {
    requirePermission(identity, 'inventory:read');
    const row = firstInScope(identity, await this.lookup(id, tx ?? this.deps.db));
    return row && this.t.toRecord(row);
  }

  async create(identity: Identity, input: z.input<I>, tx?: Queryable): Promise<Rec> {
    requirePermission(identity, 'inventory:write');
    const v = parse(this.t.input, input, this.t.noun);
    this.checkInput?.(v);
    return inTx(this.deps.db, tx, async (q) => {
      const path = await requireOrgUnit(this.deps.orgUnits, identity, v.orgUnitId, q);
      await this.checkCreate?.(identity, v, path, q);
      const exists = await q.query(`SELECT 1 FROM ${this.t.table} WHERE id = $1`, [v.id]);
      if (exists.rowCount > 0) throw notAvailable('id', `${this.t.noun} id "${v.id}"`);
      const fields = Object.entries<string>(this.t.columns);
      const values = fields.map(([key]) => (v as Record<string, unknown>)[key] ?? null);
      await q.query(
        `INSERT INTO ${this.t.table} (id, ${fields.map(([, c]) => c).join(', ')})
         VALUES (${[v.id, ...values].map((_, i) => `$${i + 1}`).join(', ')})`,
        [v.id, ...values],
      );
      await recordChange(this.deps.audit, identity, q, this.t.kind, 'create', v.id, v.orgUnitId, { ...v });
      return this.t.toRecord(await this.row(identity, v.id, q));
    });
  }

  async update(identity: Identity, id: string, patch: z.input<P>, tx?: Queryable): Promise<Rec> {
    requirePermission(identity, 'inventory:write');
    const v = parse(this.t.patch, patch, `${this.t.noun} patch`);
    return inTx(this.deps.db, tx, async (q) => {
      const before = await this.row(identity, id, q);
      this.checkPatch?.(v, before);
      const path = v.orgUnitId
        ? await requireOrgUnit(this.deps.orgUnits, identity, v.orgUnitId, q)
        : before.path;
      await this.checkUpdate?.(identity, id, v, before, path, q);
      const params: unknown[] = [id];
      const sets = setClause(v, this.t.columns, params);
      if (sets) await q.query(`UPDATE ${this.t.table} SET ${sets}, updated_at = now() WHERE id = $1`, params);
      const orgUnitId = v.orgUnitId ?? before.org_unit_id;
      await recordChange(this.deps.audit, identity, q, this.t.kind, 'update', id, orgUnitId, { ...v });
      return this.t.toRecord(await this.row(identity, id, q));
    });
  }

  /** Deletes the record unless a row of `referencedBy` still refers to it. */
  async remove(identity: Identity, id: string, tx?: Queryable): Promise<void> {
    requirePermission(identity, 'inventory:write');
    await inTx(this.deps.db, tx, async (q) => {
      const before = await this.row(identity, id, q);
      if (this.t.referencedBy) {
        const refs = [];
        for (const ref of this.t.referencedBy) {
          const r = await q.query<{ id: string; path: string }>(
            `SELECT x.id, u.path FROM ${ref.table} x JOIN org_units u ON u.id = x.org_unit_id
             WHERE x.${ref.column} = $1 ORDER BY x.id`,
            [id],
          );
          // Records outside the caller's org units still block the removal, but are not named.
          const hidden = r.rows.filter((x) => !inScope(identity, x.path)).length;
          const ids = r.rows.filter((x) => inScope(identity, x.path)).map((x) => x.id);
          if (hidden) ids.push(`${hidden} outside your org units`);
          refs.push({ kind: ref.kind, ids });
        }
        assertUnreferenced(`${this.t.noun} "${id}"`, refs);
      }
      await q.query(`DELETE FROM ${this.t.table} WHERE id = $1`, [id]);
      await recordChange(this.deps.audit, identity, q, this.t.kind, 'delete', id, before.org_unit_id);
    });
  }

  /** The row when it is in the caller's scope; NotFoundError otherwise. */
  protected async row(identity: Identity, id: string, q: Queryable): Promise<Row> {
    const row = firstInScope(identity, await this.lookup(id, q));
    if (!row) throw new NotFoundError(`${this.t.noun} "${id}" not found`);
    return row;
  }

  private async lookup(id: string, q: Queryable): Promise<Row[]> {
    const r = await q.query<Row>(`${this.select} WHERE ${this.t.alias}.id = $1`, [id]);
    return r.rows;
  }
}
