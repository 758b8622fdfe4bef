import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Identity } from '../auth/identity.js';
import { openTestInventory, type TestInventory } from '../inventory/testing.js';
import type { DefaultAlarmService } from './service.js';
import { testAlarmService } from './testing.js';
import type { AlarmCondition } from './types.js';

let t: TestInventory;
let alarms: DefaultAlarmService;
let jj: Identity;
let sl: Identity;
let province: Identity;
let auditor: Identity;

beforeAll(async () => {
  t = await openTestInventory();
  alarms = testAlarmService(t).alarms;
  jj = await t.as('network-operator', 'sc-cd-jj');
  sl = await t.as('network-operator', 'sc-cd-sl');
  province = await t.as('network-operator', 'sc');
  auditor = await t.as('auditor', 'sc');
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  await t.db.query('DELETE FROM alarms');
});

const linkDown = (over: Partial<AlarmCondition> = {}): AlarmCondition => ({
  kind: 'link-down',
  severity: 'major',
  orgUnitId: 'sc-cd-jj',
  targetType: 'link',
  targetId: 'link-1',
  summary: 'Link jj-1 to Chengdu is down',
  labels: { plane: 'A' },
  ...over,
});

const rows = async () =>
  (
    await t.db.query<{
      state: string;
      severity: string;
      summary: string;
      last_seen_at: Date;
      ends_at: Date | null;
    }>('SELECT state, severity, summary, last_seen_at, ends_at FROM alarms ORDER BY id')
  ).rows;

describe('firing and resolving', () => {
  it('keeps one firing alarm per fingerprint and refreshes it', async () => {
    await alarms.fire(linkDown(), new Date('2025-03-01T10:00:00Z'));
    await alarms.fire(linkDown({ summary: 'Still down' }), new Date('2025-03-01T10:01:00Z'));
    await alarms.fire(
      linkDown({ severity: 'critical', summary: 'Down for 2 minutes' }),
      new Date('2025-03-01T10:02:00Z'),
    );
    const r = await rows();
    expect(r).toHaveLength(1);
    expect(r[0]!.state).toBe('firing');
    expect(r[0]!.severity).toBe('critical');
    expect(r[0]!.summary).toBe('Down for 2 minutes');
    const [a] = (await alarms.list(jj)).items;
    expect(a).toMatchObject({
      kind: 'link-down',
      severity: 'critical',
      state: 'firing',
      orgUnitId: 'sc-cd-jj',
      targetType: 'link',
      targetId: 'link-1',
      labels: { plane: 'A' },
      startsAt: '2025-03-01T10:00:00.000Z',
      lastSeenAt: '2025-03-01T10:02:00.000Z',
      endsAt: null,
      acknowledgedAt: null,
      acknowledgedBy: null,
    });
  });

  it('a late, older fire does not move lastSeenAt back', async () => {
    await alarms.fire(linkDown(), new Date('2025-03-01T10:05:00Z'));
    await alarms.fire(linkDown(), new Date('2025-03-01T10:01:00Z'));
    expect((await alarms.list(jj)).items[0]!.lastSeenAt).toBe('2025-03-01T10:05:00.000Z');
  });

  it('opens a new alarm when the condition returns after it was resolved', async () => {
    await alarms.fire(linkDown(), new Date('2025-03-01T10:00:00Z'));
    await alarms.resolve('link-down', 'link', 'link-1', new Date('2025-03-01T10:10:00Z'));
    await alarms.resolve('link-down', 'link', 'link-1', new Date('2025-03-01T10:11:00Z'));
    await alarms.fire(linkDown(), new Date('2025-03-01T11:00:00Z'));
    const r = await rows();
    expect(r.map((x) => x.state)).toEqual(['resolved', 'firing']);
    expect(new Date(r[0]!.ends_at!).toISOString()).toBe('2025-03-01T10:10:00.000Z');
    const all = await alarms.list(jj, { state: 'all' });
    expect(all.items.map((a) => a.state)).toEqual(['firing', 'resolved']);
    expect((await alarms.list(jj, { state: 'resolved' })).items[0]!.endsAt).toBe('2025-03-01T10:10:00.000Z');
  });

  it('different kinds or targets are different alarms', async () => {
    await alarms.fire(linkDown());
    await alarms.fire(linkDown({ targetId: 'link-2' }));
    await alarms.fire(linkDown({ kind: 'link-flapping', severity: 'minor' }));
    await alarms.fire(linkDown({ targetType: 'pair' }));
    expect(await rows()).toHaveLength(4);
  });

  it('resolving what is not firing does nothing', async () => {
    await alarms.resolve('link-down', 'link', 'nothing');
    expect(await rows()).toHaveLength(0);
  });

  it('takes part in the caller’s transaction and rolls back with it', async () => {
    await t.db.transaction(async (tx) => {
      await alarms.fire(linkDown(), new Date(), tx);
      await alarms.fire(linkDown({ targetId: 'link-2' }), new Date(), tx);
      await alarms.resolve('link-down', 'link', 'link-2', new Date(), tx);
    });
    expect((await rows()).map((r) => r.state)).toEqual(['firing', 'resolved']);
    await expect(
      t.db.transaction(async (tx) => {
        await alarms.fire(linkDown({ targetId: 'link-3' }), new Date(), tx);
        throw new Error('the caller changed its mind');
      }),
    ).rejects.toThrow(/changed its mind/);
    expect(await rows()).toHaveLength(2);
  });

  it('rejects a malformed condition or an unknown org unit, naming the problem', async () => {
    await expect(alarms.fire(linkDown({ kind: 'Link Down' }))).rejects.toThrow(/kind: must be lowercase/);
    await expect(alarms.fire(linkDown({ severity: 'apocalyptic' as 'critical' }))).rejects.toThrow(
      /severity/,
    );
    await expect(alarms.fire(linkDown({ summary: ' ' }))).rejects.toThrow(/summary/);
    await expect(alarms.fire(linkDown({ labels: { 'bad-name': 'x' } }))).rejects.toThrow(/labels\.bad-name/);
    await expect(alarms.fire(linkDown({ orgUnitId: 'atlantis' }))).rejects.toThrow(
      /org unit "atlantis" does not exist/,
    );
    expect(await rows()).toHaveLength(0);
  });
});

describe('scoped reads', () => {
  beforeEach(async () => {
    await alarms.fire(linkDown({ orgUnitId: 'sc-cd-jj', targetId: 'jj-uplink' }));
    await alarms.fire(linkDown({ orgUnitId: 'sc-cd-sl', targetId: 'sl-uplink', severity: 'critical' }));
    await alarms.fire(
      linkDown({
        orgUnitId: 'sc-cd-sl',
        kind: 'backup-rpo-breach',
        targetType: 'system',
        targetId: 'sl-erp',
      }),
    );
  });

  it("a county user sees its own county's alarms and never another's", async () => {
    const mine = await alarms.list(jj);
    expect(mine.items.map((a) => a.targetId)).toEqual(['jj-uplink']);
    const theirs = (await alarms.list(sl)).items.find((a) => a.targetId === 'sl-uplink')!;
    await expect(alarms.get(jj, theirs.id)).rejects.toMatchObject({ status: 404 });
    await expect(alarms.acknowledge(jj, theirs.id)).rejects.toMatchObject({ status: 404 });
    await expect(alarms.list(jj, { orgUnitId: 'sc-cd-sl' })).rejects.toMatchObject({ status: 404 });
    await expect(alarms.list(jj, { orgUnitId: 'nowhere' })).rejects.toMatchObject({ status: 404 });
    await expect(alarms.get(jj, 'not-an-id')).rejects.toMatchObject({ status: 404 });
    expect((await alarms.summary(jj)).firing).toBe(1);
  });

  it('the province sees everything and narrows by org unit, kind and network domain', async () => {
    expect((await alarms.list(province)).items).toHaveLength(3);
    expect((await alarms.list(province, { orgUnitId: 'sc-cd-sl' })).items).toHaveLength(2);
    expect((await alarms.list(province, { kind: 'backup-rpo-breach' })).items).toHaveLength(1);
    const network = await alarms.list(province, { domain: 'network' });
    expect(network.items.map((a) => a.kind).sort()).toEqual(['link-down', 'link-down']);
    expect(await alarms.summary(province)).toEqual({
      firing: 3,
      unacknowledged: 3,
      bySeverity: { critical: 1, major: 2, minor: 0, warning: 0 },
    });
    expect((await alarms.summary(province, { orgUnitId: 'sc-cd-sl', domain: 'network' })).firing).toBe(1);
  });

  it('pages newest first with nextBefore', async () => {
    const first = await alarms.list(province, { limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextBefore).toBe(first.items[1]!.id);
    const second = await alarms.list(province, { limit: 2, before: first.nextBefore! });
    expect(second.items).toHaveLength(1);
    expect(second.nextBefore).toBeNull();
    const ids = [...first.items, ...second.items].map((a) => Number(a.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });

  it('reading needs network:read', async () => {
    const backup = await t.as('backup-operator', 'sc');
    await expect(alarms.list(backup)).rejects.toMatchObject({ status: 403 });
  });
});

describe('acknowledge', () => {
  it('records who acknowledged, audits it in the same transaction, and refuses a second time', async () => {
    await alarms.fire(linkDown());
    const [a] = (await alarms.list(jj)).items;
    const before = (await t.auditActions()).length;
    const acked = await alarms.acknowledge(jj, a!.id, 'Carrier ticket 4711 opened');
    expect(acked.acknowledgedBy).toBe(jj.name);
    expect(Date.parse(acked.acknowledgedAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect((await alarms.get(jj, a!.id)).acknowledgedAt).toBe(acked.acknowledgedAt);
    const audit = await t.db.query<{
      action: string;
      target_id: string;
      org_unit_id: string;
      details: unknown;
    }>("SELECT action, target_id, org_unit_id, details FROM audit_log WHERE action = 'alarm.acknowledge'");
    expect((await t.auditActions()).length).toBe(before + 1);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]).toMatchObject({ target_id: a!.id, org_unit_id: 'sc-cd-jj' });
    const details = audit.rows[0]!.details;
    expect(typeof details === 'string' ? JSON.parse(details) : details).toMatchObject({
      kind: 'link-down',
      targetId: 'link-1',
      comment: 'Carrier ticket 4711 opened',
    });
    await expect(alarms.acknowledge(jj, a!.id)).rejects.toMatchObject({ status: 409 });
    expect((await t.auditActions()).length).toBe(before + 1);
    expect((await alarms.summary(jj)).unacknowledged).toBe(0);
  });

  it('needs the write permission of the alarm’s domain; nothing is written when denied', async () => {
    await alarms.fire(linkDown());
    const [a] = (await alarms.list(auditor)).items;
    await expect(alarms.acknowledge(auditor, a!.id)).rejects.toMatchObject({ status: 403 });
    expect((await alarms.get(auditor, a!.id)).acknowledgedAt).toBeNull();
    expect(alarms.writePermissionFor('link-down')).toBe('network:write');
    expect(alarms.writePermissionFor('quota-exceeded')).toBe('network:write');
  });

  it('the permission per kind prefix is configurable', async () => {
    const custom = testAlarmService(t, {
      config: {
        domains: [
          { name: 'network', kindPrefixes: ['link-'], writePermission: 'network:write' },
          { name: 'backups', kindPrefixes: ['backup-'], writePermission: 'backups:write' },
        ],
      },
    }).alarms;
    expect(custom.writePermissionFor('backup-rpo-breach')).toBe('backups:write');
    await custom.fire(linkDown({ kind: 'backup-rpo-breach', targetType: 'system', targetId: 'erp' }));
    const [a] = (await custom.list(jj)).items;
    await expect(custom.acknowledge(jj, a!.id)).rejects.toThrow(/permission "backups:write" is required/);
  });
});
