import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../../auth/identity.js';
import type { RiskPolicy } from './policy.js';
import { assetPoints, decay, rankByScore, toScore, unitPoints, zero } from './score.js';
import { loadRiskPolicy, openTestRisk, type TestRisk } from './testing.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../test/fixtures/vulnerabilities/${name}`, import.meta.url), 'utf8');

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-01T04:00:00Z');

describe('the risk formula', () => {
  const p: RiskPolicy = loadRiskPolicy();
  const asset = (
    alerts: Partial<Record<'low' | 'medium' | 'high' | 'critical', number>>,
    criticality = 'medium' as const,
  ) => assetPoints(p, { criticality, alerts: { ...zero(), ...alerts }, vulnerabilities: zero() });

  it('is 0 with nothing open and stays within 0–100', () => {
    expect(toScore(0, p.scale)).toBe(0);
    expect(toScore(1e9, p.scale)).toBe(100);
    expect(toScore(p.scale, p.scale)).toBe(63.2);
  });

  it('rises with more severe alerts and with more of them', () => {
    const s = (a: Parameters<typeof asset>[0]) => toScore(asset(a), p.scale);
    expect(s({ low: 1 })).toBeLessThan(s({ medium: 1 }));
    expect(s({ medium: 1 })).toBeLessThan(s({ high: 1 }));
    expect(s({ high: 1 })).toBeLessThan(s({ critical: 1 }));
    expect(s({ high: 1 })).toBeLessThan(s({ high: 2 }));
  });

  it('weighs an asset by its criticality', () => {
    const byCrit = (['low', 'medium', 'high', 'critical'] as const).map((c) =>
      assetPoints(p, {
        criticality: c,
        alerts: { ...zero(), high: 1 },
        vulnerabilities: { ...zero(), medium: 2 },
      }),
    );
    expect(byCrit).toEqual([...byCrit].sort((a, b) => a - b));
    expect(new Set(byCrit).size).toBe(4);
    expect(byCrit[3]! / byCrit[1]!).toBe(
      p.criticality.multipliers.critical / p.criticality.multipliers.medium,
    );
  });

  it('decays by half every half-life', () => {
    expect(decay(0, 7)).toBe(1);
    expect(decay(7 * DAY, 7)).toBeCloseTo(0.5, 12);
    expect(decay(14 * DAY, 7)).toBeCloseTo(0.25, 12);
    expect(decay(-DAY, 7)).toBe(1);
    expect(decay(1000 * DAY, 0)).toBe(1);
  });

  it('gives a unit its riskiest asset, a share of the others, its loose alerts and incidents', () => {
    const one = unitPoints(p, { max: 10, sum: 10 }, zero(), zero());
    const two = unitPoints(p, { max: 10, sum: 20 }, zero(), zero());
    expect(one).toBe(10);
    expect(two).toBe(10 + p.tailWeight * 10);
    expect(unitPoints(p, { max: 10, sum: 10 }, zero(), { ...zero(), high: 1 })).toBe(
      10 + p.incidentWeights.high,
    );
    expect(unitPoints(p, { max: 0, sum: 0 }, { ...zero(), low: 2 }, zero())).toBe(2 * p.alertWeights.low);
  });

  it('ranks highest score first, ties sharing a rank', () => {
    expect(
      rankByScore([
        { id: 'a', score: 5 },
        { id: 'b', score: 9 },
        { id: 'c', score: 5 },
        { id: 'd', score: 1 },
      ]).map((x) => [x.id, x.rank]),
    ).toEqual([
      ['b', 1],
      ['a', 2],
      ['c', 2],
      ['d', 4],
    ]);
  });
});

describe('vulnerability import, risk per unit and asset, trend and comparison (PGlite, demo province)', () => {
  let t: TestRisk;
  let province: Identity;
  let jinjiang: Identity;
  let shuangliu: Identity;
  let chengdu: Identity;

  beforeAll(async () => {
    t = await openTestRisk({ fakeSignals: true });
    province = await t.as('security-analyst', 'sc');
    chengdu = await t.as('security-analyst', 'sc-cd');
    jinjiang = await t.as('security-analyst', 'sc-cd-jj');
    shuangliu = await t.as('security-analyst', 'sc-cd-sl');
    // The Windows server of the genuine report is a critical host of 锦江区 in the inventory.
    await t.inventory.hosts.create(t.system, {
      id: 'jj-server99',
      orgUnitId: 'sc-cd-jj',
      hostname: 'server99',
      addresses: ['10.99.99.99'],
      criticality: 'critical',
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('imports the genuine OpenVAS report, attributed by address to the county, audited', async () => {
    const r = await t.risk.vulnerabilities.import(
      jinjiang,
      'openvas',
      fixture('openvas-report_detail_v2.xml'),
      {},
      NOW,
    );
    expect(r).toMatchObject({ imported: 1, updated: 0, fixed: 0, rejected: 0, ignored: 0, errors: [] });
    expect(r.scannedAt).toBe('2025-08-22T13:01:38.000Z');
    const list = await t.risk.vulnerabilities.list(jinjiang, {});
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({
      assetAddress: '10.99.99.99',
      hostname: 'server99',
      orgUnitId: 'sc-cd-jj',
      orgUnitName: '锦江区',
      cvss: 9.8,
      severity: 'critical',
      status: 'open',
      source: 'openvas',
    });
    expect(list.items[0]!.cves).toHaveLength(93);
    const audit = await t.auditActions();
    expect(audit.filter((a) => a.action === 'security.vulnerabilities.import')).toHaveLength(1);
  });

  it('rejects out-of-scope addresses with the same reason as unknown ones, and counts them', async () => {
    // 锦江区 imports the CSV: its own two assets' rows are accepted, 涪城区's and 绵阳市's are not.
    const r = await t.risk.vulnerabilities.import(jinjiang, 'csv', fixture('findings.csv'), {}, NOW);
    expect(r).toMatchObject({ imported: 3, updated: 0, rejected: 4, ignored: 1, target: null });
    expect(r.errors.map((e) => e.line)).toEqual([8, 9, 5, 6]);
    expect(r.errors[2]!.reason).toBe(
      'line 5: address 10.0.101.2 is not in the IP prefixes of your org units (an address of no org unit, or of one outside your scope)',
    );
    const unknown = await t.risk.vulnerabilities.import(
      jinjiang,
      'csv',
      'address,cvss,name\n192.0.2.1,5,Nobody owns this\n',
      {},
      NOW,
    );
    expect(unknown.errors[0]!.reason).toBe(
      r.errors[2]!.reason.replace('line 5', 'line 2').replace('10.0.101.2', '192.0.2.1'),
    );
    // Nothing of 锦江区 is visible to 双流区; the province sees all of it.
    expect((await t.risk.vulnerabilities.list(shuangliu, {})).items).toEqual([]);
    expect((await t.risk.vulnerabilities.list(province, {})).items).toHaveLength(4);
    await expect(t.risk.vulnerabilities.list(shuangliu, { orgUnit: 'sc-cd-jj' })).rejects.toThrow(
      /not found/,
    );
  });

  it('the city imports the same CSV: its counties’ rows update, 绵阳市’s are rejected', async () => {
    const r = await t.risk.vulnerabilities.import(chengdu, 'csv', fixture('findings.csv'), {}, NOW);
    expect(r).toMatchObject({ imported: 0, updated: 3, rejected: 4 });
  });

  it('a newer report of the same target marks absent findings fixed; an older one fixes nothing', async () => {
    const gmp9 = fixture('openvas-many_vuln.xml').replaceAll('192.168.1.1001', '10.99.99.10');
    const first = await t.risk.vulnerabilities.import(jinjiang, 'openvas', gmp9, {}, NOW);
    expect(first).toMatchObject({ imported: 44, updated: 0, fixed: 0, rejected: 0 });
    // The same target scanned again a week later: the rexec and ingreslock findings are gone.
    const later = gmp9
      .replaceAll('2023-09-26T10:50:34Z', '2023-10-03T10:50:34Z')
      .replace(
        /<result id="[^"]*">(?:(?!<\/result>)[\s\S])*?1\.3\.6\.1\.4\.1\.25623\.1\.0\.(?:100111|103549)"[\s\S]*?<\/result>/g,
        '',
      );
    const second = await t.risk.vulnerabilities.import(jinjiang, 'openvas', later, {}, NOW);
    expect(second).toMatchObject({ imported: 0, updated: 42, fixed: 2 });
    const fixed = await t.risk.vulnerabilities.list(jinjiang, { status: 'fixed', asset: '10.99.99.10' });
    expect(fixed.items.map((v) => v.nvtOid).sort()).toEqual([
      '1.3.6.1.4.1.25623.1.0.100111',
      '1.3.6.1.4.1.25623.1.0.103549',
    ]);
    expect(fixed.items[0]!.fixedAt).toBe('2023-10-03T10:50:34.000Z');
    // Re-importing the first (older) report changes no status.
    const replay = await t.risk.vulnerabilities.import(jinjiang, 'openvas', gmp9, {}, NOW);
    expect(replay).toMatchObject({ imported: 0, updated: 44, fixed: 0 });
    expect(
      (await t.risk.vulnerabilities.list(jinjiang, { status: 'fixed', asset: '10.99.99.10' })).items,
    ).toHaveLength(2);
    // Keyset pages cover every open finding once.
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 20; i++) {
      const page = await t.risk.vulnerabilities.list(jinjiang, { limit: 10, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((v) => v.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(42 + 4);
  });

  it('refuses a document that is not a report, with its reason', async () => {
    await expect(
      t.risk.vulnerabilities.import(jinjiang, 'openvas', '<!DOCTYPE x><report/>'),
    ).rejects.toMatchObject({
      code: 'vulnerability.report_invalid',
      message: expect.stringMatching(/document type declarations/),
    });
    await expect(t.risk.vulnerabilities.import(jinjiang, 'csv', 'ip,cvss\n')).rejects.toMatchObject({
      code: 'vulnerability.report_invalid',
    });
  });

  it('scores assets and units from vulnerabilities, criticality and alerts; the county sees its subtree only', async () => {
    const s = t.signals!;
    s.alertList.push(
      {
        orgUnitId: 'sc-cd-jj',
        orgPath: '/sc/sc-cd/sc-cd-jj/',
        assetAddress: '10.99.99.21',
        severity: 'high',
        lastSeen: NOW - DAY,
      },
      {
        orgUnitId: 'sc-cd-sl',
        orgPath: '/sc/sc-cd/sc-cd-sl/',
        assetAddress: '127.0.18.9',
        severity: 'critical',
        lastSeen: NOW,
      },
      {
        orgUnitId: 'sc-cd-sl',
        orgPath: '/sc/sc-cd/sc-cd-sl/',
        assetAddress: null,
        severity: 'medium',
        lastSeen: NOW,
      },
    );
    const assets = await t.risk.assets(jinjiang, undefined, 100, NOW);
    expect(assets.map((a) => a.orgUnitId).every((u) => u === 'sc-cd-jj')).toBe(true);
    const server = assets.find((a) => a.assetAddress === '10.99.99.99')!;
    expect(server).toMatchObject({
      hostId: 'jj-server99',
      name: 'server99',
      criticality: 'critical',
      openAlerts: 0,
    });
    expect(server.vulnerabilities).toEqual({ critical: 1, high: 0, medium: 0, low: 0 });
    const ssh = assets.find((a) => a.assetAddress === '10.99.99.21')!;
    expect(ssh).toMatchObject({
      criticality: 'medium',
      openAlerts: 1,
      vulnerabilities: { critical: 0, high: 0, medium: 1, low: 0 },
    });

    const mine = await t.risk.units(jinjiang, undefined, NOW);
    expect(mine.map((u) => u.orgUnitId)).toEqual(['sc-cd-jj', 'sc-cd-jj-dmj']);
    expect(mine[0]!.score).toBeGreaterThan(0);
    expect(mine[0]!.openAlerts).toBe(1);
    expect(mine[0]!.change7d).toBeNull();
    // A sibling's unit is absent, exactly like an unknown one.
    await expect(t.risk.units(jinjiang, 'sc-cd-sl', NOW)).rejects.toThrow(/org unit "sc-cd-sl" not found/);
    await expect(t.risk.trend(jinjiang, 'sc-cd-sl', 30, NOW)).rejects.toThrow(/not found/);
    await expect(t.risk.assets(jinjiang, 'sc-cd-sl', 10, NOW)).rejects.toThrow(/not found/);
    await expect(t.risk.compare(jinjiang, { level: 'county', parent: 'sc-cd' }, NOW)).rejects.toThrow(
      /not found/,
    );

    const city = await t.risk.units(chengdu, undefined, NOW);
    const byId = new Map(city.map((u) => [u.orgUnitId, u]));
    expect(byId.get('sc-cd')!.openAlerts).toBe(3);
    expect(byId.get('sc-cd-sl')!.openAlerts).toBe(2);
    // The city's score is at least its riskiest county's.
    expect(byId.get('sc-cd')!.score).toBeGreaterThanOrEqual(
      Math.max(byId.get('sc-cd-jj')!.score, byId.get('sc-cd-sl')!.score),
    );
  });

  it('a more severe alert raises the score; decay lowers it as time passes (time driven explicitly)', async () => {
    const before = (await t.risk.units(shuangliu, undefined, NOW))[0]!.score;
    t.signals!.alertList.push({
      orgUnitId: 'sc-cd-sl',
      orgPath: '/sc/sc-cd/sc-cd-sl/',
      assetAddress: '127.0.18.9',
      severity: 'critical',
      lastSeen: NOW,
    });
    const more = (await t.risk.units(shuangliu, undefined, NOW))[0]!.score;
    expect(more).toBeGreaterThan(before);
    const week = (await t.risk.units(shuangliu, undefined, NOW + 7 * DAY))[0]!.score;
    const month = (await t.risk.units(shuangliu, undefined, NOW + 30 * DAY))[0]!.score;
    expect(week).toBeLessThan(more);
    expect(month).toBeLessThan(week);
    expect(month).toBeGreaterThan(0);
  });

  it('counts an incident for its owner and the units it was escalated to, not for those above', async () => {
    const s = t.signals!;
    const base = async () =>
      new Map((await t.risk.units(province, 'sc-cd', NOW)).map((u) => [u.orgUnitId, u]));
    const b = await base();
    s.incidentList.push({
      orgUnitId: 'sc-cd-jj',
      orgPath: '/sc/sc-cd/sc-cd-jj/',
      severity: 'high',
      updatedAt: NOW,
    });
    let a = await base();
    expect(a.get('sc-cd-jj')!.openIncidents).toBe(1);
    expect(a.get('sc-cd-jj')!.score).toBeGreaterThan(b.get('sc-cd-jj')!.score);
    expect(a.get('sc-cd')!.openIncidents).toBe(0);
    // Escalated to the city: now it counts there too, still not at the province.
    s.incidentList[0]!.topPath = '/sc/sc-cd/';
    a = await base();
    expect(a.get('sc-cd')!.openIncidents).toBe(1);
    const prov = (await t.risk.units(province, undefined, NOW)).find((u) => u.orgUnitId === 'sc')!;
    expect(prov.openIncidents).toBe(0);
    s.incidentList.length = 0;
  });

  it('keeps a trend row per unit per day, rewrites today’s, prunes after 366 days; change7d and rank', async () => {
    const days = [-400, -366, -365, -7, -1, 0];
    for (const d of days) await t.risk.record(NOW + d * DAY);
    await t.risk.record(NOW); // twice today: still one row
    const rows = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM security_risk_daily WHERE org_unit_id = 'sc-cd-sl'`,
    );
    // -400 and -366 are pruned by the later runs (rows older than 366 days).
    expect(Number(rows.rows[0]!.n)).toBe(4);
    const trend = await t.risk.trend(shuangliu, undefined, 366, NOW);
    expect(trend.points.map((x) => x[0])).toEqual(['2025-12-01', '2026-11-24', '2026-11-30', '2026-12-01']);
    const units = await t.risk.units(shuangliu, undefined, NOW);
    expect(units[0]!.change7d).toBe(0);
    const week = await t.risk.trend(shuangliu, undefined, 7, NOW);
    expect(week.points.map((x) => x[0])).toEqual(['2026-11-30', '2026-12-01']);

    const cmp = await t.risk.compare(chengdu, { level: 'county' }, NOW);
    expect(cmp.items.map((u) => u.orgUnitId).sort()).toEqual(['sc-cd-jj', 'sc-cd-sl']);
    expect(cmp.items[0]!.rank).toBe(1);
    expect(cmp.items[0]!.score).toBeGreaterThanOrEqual(cmp.items[1]!.score);
    expect(cmp.items.every((u) => u.previousRank !== null)).toBe(true);
    const all = await t.risk.compare(province, { level: 'county' }, NOW);
    expect(all.items).toHaveLength(5);
  });

  it('gives the overview figures from the job’s latest rows', async () => {
    await t.risk.record(Date.now());
    const o = await t.risk.overview(chengdu);
    expect(o).toMatchObject({ riskScore: expect.any(Number) });
    expect((o.riskTop as { orgUnitId: string }[]).map((x) => x.orgUnitId).sort()).toEqual([
      'sc-cd-jj',
      'sc-cd-sl',
    ]);
  });
});
