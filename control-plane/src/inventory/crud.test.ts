import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Identity } from '../auth/identity.js';
import type { Queryable } from '../store/state/index.js';
import { Name, Slug, type InventoryDeps } from './common.js';
import { firstInScope, ScopedCrud, scopedSelect, type ScopedRow } from './crud.js';
import { openTestInventory, type TestInventory } from './testing.js';

/** A cloud-shaped record on the real `clouds` table, with hooks that say when they ran. */
const ProbeInput = z
  .object({ id: Slug, orgUnitId: Slug, name: Name, kind: z.string(), tier: z.string() })
  .strict();
const ProbePatch = z.object({ orgUnitId: Slug.optional(), name: Name.optional() }).strict();
const ProbeFilter = z.object({ orgUnitId: Slug.optional(), tier: z.string().optional() }).strict();

interface Row extends ScopedRow {
  name: string;
  kind: string;
  tier: string;
}

class Probe extends ScopedCrud<
  { id: string; orgUnitId: string; name: string },
  Row,
  typeof ProbeInput,
  typeof ProbePatch,
  typeof ProbeFilter
> {
  calls: string[] = [];

  constructor(deps: InventoryDeps) {
    super(deps, {
      kind: 'probe',
      noun: 'probe',
      table: 'clouds',
      alias: 'c',
      columns: { orgUnitId: 'org_unit_id', name: 'name', kind: 'kind', tier: 'tier' },
      filters: { tier: 'tier' },
      referencedBy: [{ kind: 'hosts', table: 'hosts', column: 'cloud_id' }],
      input: ProbeInput,
      patch: ProbePatch,
      filter: ProbeFilter,
      toRecord: (r) => ({ id: r.id, orgUnitId: r.org_unit_id, name: r.name }),
    });
  }

  protected override checkInput(v: z.output<typeof ProbeInput>): void {
    this.calls.push(`input ${v.id}`);
  }

  protected override async checkCreate(
    _identity: Identity,
    v: z.output<typeof ProbeInput>,
    path: string,
    _q: Queryable,
  ): Promise<void> {
    this.calls.push(`create ${v.id} ${path}`);
  }

  protected override checkPatch(v: z.output<typeof ProbePatch>, before: Row): void {
    this.calls.push(`patch ${before.id} ${v.orgUnitId ?? '-'}`);
  }

  protected override async checkUpdate(
    _identity: Identity,
    id: string,
    _v: z.output<typeof ProbePatch>,
    _before: Row,
    path: string,
    _q: Queryable,
  ): Promise<void> {
    this.calls.push(`update ${id} ${path}`);
  }
}

let t: TestInventory;
let probe: Probe;
let jjUser: Identity;
let slUser: Identity;

beforeAll(async () => {
  t = await openTestInventory();
  probe = new Probe({ db: t.db, audit: t.audit, orgUnits: t.orgUnits });
  jjUser = await t.as('network-operator', 'sc-cd-jj');
  slUser = await t.as('network-operator', 'sc-cd-sl');
});
afterAll(async () => {
  await t?.close();
});

describe('scopedSelect', () => {
  it('reads the id, every column (or its expression) and the org unit path', () => {
    expect(
      scopedSelect({
        table: 'dedicated_networks',
        alias: 'n',
        columns: { orgUnitId: 'org_unit_id', plannedAt: 'planned_at' },
        selectAs: { planned_at: 'n.planned_at::text AS planned_at' },
      }),
    ).toBe(
      'SELECT n.id, n.org_unit_id, n.planned_at::text AS planned_at, u.path FROM dedicated_networks n JOIN org_units u ON u.id = n.org_unit_id',
    );
  });
});

describe('firstInScope', () => {
  it('looks at the first row only', () => {
    const id = { orgUnitPath: '/sc/cd/' } as Identity;
    expect(firstInScope(id, [{ path: '/sc/cd/jj/' }])).toEqual({ path: '/sc/cd/jj/' });
    expect(firstInScope(id, [{ path: '/sc/my/' }, { path: '/sc/cd/' }])).toBeUndefined();
    expect(firstInScope(id, [])).toBeUndefined();
  });
});

describe('ScopedCrud', () => {
  it('creates in scope, running the hooks before the id is checked, and audits the input', async () => {
    const jjPath = await t.orgUnits.pathOf('sc-cd-jj');
    const p = await probe.create(jjUser, {
      id: 'p-1',
      orgUnitId: 'sc-cd-jj',
      name: 'P1',
      kind: 'other',
      tier: 'city',
    });
    expect(p).toEqual({ id: 'p-1', orgUnitId: 'sc-cd-jj', name: 'P1' });
    expect(probe.calls).toEqual(['input p-1', `create p-1 ${jjPath}`]);

    probe.calls = [];
    const dup = await probe
      .create(jjUser, { id: 'p-1', orgUnitId: 'sc-cd-jj', name: 'P1', kind: 'other', tier: 'city' })
      .catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(ConflictError);
    expect((dup as Error).message).toBe(
      'id: probe id "p-1" is not available; it must be unique across the province, choose another',
    );
    expect(probe.calls).toEqual(['input p-1', `create p-1 ${jjPath}`]);

    const out = await probe
      .create(jjUser, { id: 'p-2', orgUnitId: 'sc-cd-sl', name: 'P2', kind: 'other', tier: 'city' })
      .catch((e: unknown) => e);
    expect(out).toBeInstanceOf(NotFoundError);
    expect((out as Error).message).toBe('orgUnitId: org unit "sc-cd-sl" not found');

    const actions = await t.auditActions();
    expect(actions.filter((a) => a.action.startsWith('probe.'))).toEqual([
      { action: 'probe.create', targetId: 'p-1', actor: 'network-operator@sc-cd-jj' },
    ]);
  });

  it('reads only in scope: 404 from get, undefined from find, nothing from list', async () => {
    await expect(probe.get(slUser, 'p-1')).rejects.toThrow(new NotFoundError('probe "p-1" not found'));
    expect(await probe.find(slUser, 'p-1')).toBeUndefined();
    expect(await probe.find(jjUser, 'p-1')).toEqual({ id: 'p-1', orgUnitId: 'sc-cd-jj', name: 'P1' });
    expect(await probe.list(slUser)).toEqual([]);
    expect((await probe.list(jjUser, { tier: 'city' })).map((p) => p.id)).toEqual(['p-1']);
    expect(await probe.list(jjUser, { tier: 'dr' })).toEqual([]);
    expect(await probe.list(jjUser, {}, { limit: 1, offset: 1 })).toEqual([]);
  });

  it('updates with checkPatch before the org unit check and checkUpdate after it', async () => {
    const jjPath = await t.orgUnits.pathOf('sc-cd-jj');
    probe.calls = [];
    const p = await probe.update(jjUser, 'p-1', { name: 'P one' });
    expect(p.name).toBe('P one');
    expect(probe.calls).toEqual(['patch p-1 -', `update p-1 ${jjPath}`]);

    probe.calls = [];
    const err = await probe.update(jjUser, 'p-1', { orgUnitId: 'sc-cd-sl' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(probe.calls).toEqual(['patch p-1 sc-cd-sl']);
  });

  it('refuses to remove a record still referred to, then removes it', async () => {
    await t.db.query(
      `INSERT INTO hosts (id, org_unit_id, hostname, addresses, cloud_id) VALUES ('h-1', 'sc-cd-jj', 'h1', '{}', 'p-1')`,
    );
    await expect(probe.remove(jjUser, 'p-1')).rejects.toThrow(
      new ConflictError('probe "p-1" is still referred to by hosts h-1; remove or move them first', {
        code: 'conflict.in_use',
      }),
    );
    await t.db.query(`DELETE FROM hosts WHERE id = 'h-1'`);
    await probe.remove(jjUser, 'p-1');
    expect(await probe.find(t.system, 'p-1')).toBeUndefined();
  });
});
