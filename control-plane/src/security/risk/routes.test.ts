import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../../../../test/support/control-plane.js';
import { securityRef } from '../module.js';
import { PrefixAttribution } from './testing.js';

/*
 * The risk routes on a whole control plane (PGlite, chDB, the demo province): the raw-body upload
 * past the 1 MiB API limit up to the policy's own, scoping (a county sees its subtree, a sibling's
 * unit is 404), permissions, audit, and criticality as an inventory attribute.
 */

let t: TestControlPlane;
let admin: Session;
let jinjiang: Session;
let shuangliu: Session;
let auditor: Session;

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../test/fixtures/vulnerabilities/${name}`, import.meta.url), 'utf8');

async function user(username: string, roles: string[], orgUnitId: string): Promise<Session> {
  const password = `${username}-password-1`;
  const res = await admin.send('POST', '/api/v1/users', {
    username,
    displayName: username,
    password,
    roles,
    orgUnitId,
  });
  expect(res.status).toBe(201);
  return login(t.request, username, password);
}

const upload = (s: Session, query: string, body: string, type = 'text/csv') =>
  t.request(`/api/v1/security/vulnerabilities?${query}`, {
    method: 'POST',
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': type },
    body,
  });

beforeAll(async () => {
  t = await startTestControlPlane();
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
  jinjiang = await user('jj-analyst', ['security-analyst'], 'sc-cd-jj');
  shuangliu = await user('sl-analyst', ['security-analyst'], 'sc-cd-sl');
  auditor = await user('jj-auditor', ['auditor'], 'sc-cd-jj');
  // The events part owns address attribution; where it does not resolve the demo's prefixes yet,
  // its longest-prefix double over the same registry stands in.
  const svc = t.cp.services.modules.use(securityRef);
  await svc.attribution.refresh();
  if (!svc.attribution.byAddress('127.0.17.1')) {
    const double = new PrefixAttribution(t.cp.services.db);
    Object.assign(svc.attribution, {
      byAddress: (a: string) => double.byAddress(a),
      refresh: () => double.refresh(),
    });
  }
}, 120_000);
afterAll(async () => {
  await t?.close();
});

describe('the risk routes', () => {
  it('need authentication and the security permissions', async () => {
    expect((await t.request('/api/v1/security/risk')).status).toBe(401);
    expect((await t.request('/api/v1/security/vulnerabilities', { method: 'POST', body: 'x' })).status).toBe(
      401,
    );
    const denied = await upload(auditor, 'format=csv', 'address,cvss,name\n127.0.17.1,5,x\n');
    expect(denied.status).toBe(403);
  });

  it('imports a CSV larger than the 1 MiB API limit, attributed to the county, rejects the sibling’s rows', async () => {
    const rows = ['address,port,cve,cvss,name,solution,hostname'];
    // 2,000 findings on 锦江区's access switch and 10 on 双流区's, with long solutions (> 1 MiB).
    for (let i = 0; i < 2000; i++)
      rows.push(
        `127.0.17.1,${1000 + i}/tcp,,${(i % 90) / 10 + 1},Finding ${i},"${'Patch it. '.repeat(60)}",`,
      );
    for (let i = 0; i < 10; i++) rows.push(`127.0.18.1,${i + 1}/tcp,,9.8,Sibling ${i},,`);
    const body = rows.join('\n');
    expect(body.length).toBeGreaterThan(1024 * 1024);
    const res = await upload(jinjiang, 'format=csv&target=jj-weekly&scannedAt=2026-11-30T02:00:00Z', body);
    expect(res.status).toBe(200);
    const r = (await res.json()) as {
      imported: number;
      rejected: number;
      errors: { line: number; reason: string }[];
    };
    expect(r).toMatchObject({ imported: 2000, rejected: 10 });
    expect(r.errors[0]).toEqual({
      line: 2002,
      reason:
        'line 2002: address 127.0.18.1 is not in the IP prefixes of your org units (an address of no org unit, or of one outside your scope)',
    });
    const audit = await admin.get('/api/v1/audit?action=security.vulnerabilities.import');
    expect(audit.status).toBe(200);
    expect(JSON.stringify(await audit.json())).toContain('jj-analyst');
  }, 60_000);

  it('refuses a malformed report with its code and reason, and a body over the policy’s limit', async () => {
    const bad = await upload(
      jinjiang,
      'format=openvas',
      '<report><report><results></report>',
      'application/xml',
    );
    expect(bad.status).toBe(400);
    const e = (await bad.json()) as { error: { code: string; message: string } };
    expect(e.error.code).toBe('vulnerability.report_invalid');
    expect(e.error.message).toMatch(
      /not well-formed XML: line 1: end tag <\/report> does not match <results>/,
    );
    const xml = await upload(
      jinjiang,
      'format=openvas',
      fixture('openvas-report_detail_v2.xml'),
      'application/xml',
    );
    expect(xml.status).toBe(200);
    // 10.99.99.99 is in no prefix of the demo province: rejected, counted.
    expect(await xml.json()).toMatchObject({ imported: 0, rejected: 1 });
    const unknownFormat = await upload(jinjiang, 'format=nessus', 'x');
    expect(unknownFormat.status).toBe(400);
    // Over importMaxBytes (64 MiB): 413 with the limit, before the body is parsed.
    const limit = 64 * 1024 * 1024;
    const huge = await upload(jinjiang, 'format=csv', 'address,cvss,name\n' + 'x'.repeat(limit));
    expect(huge.status).toBe(413);
    const h = (await huge.json()) as { error: { code: string; details: { params: { limit: number } }[] } };
    expect(h.error.code).toBe('payload.too_large');
    expect(h.error.details[0]!.params.limit).toBe(limit);
  });

  it('lists vulnerabilities and risk in the caller’s subtree; a sibling’s unit is 404', async () => {
    const mine = await jinjiang.get('/api/v1/security/vulnerabilities?severity=critical&limit=5');
    expect(mine.status).toBe(200);
    const page = (await mine.json()) as {
      items: { orgUnitId: string; severity: string }[];
      nextCursor: string | null;
    };
    expect(page.items).toHaveLength(5);
    expect(page.items.every((v) => v.orgUnitId === 'sc-cd-jj' && v.severity === 'critical')).toBe(true);
    expect(page.nextCursor).not.toBeNull();
    const theirs = (await (await shuangliu.get('/api/v1/security/vulnerabilities')).json()) as {
      items: unknown[];
    };
    expect(theirs.items).toEqual([]);

    const risk = (await (await jinjiang.get('/api/v1/security/risk')).json()) as {
      items: { orgUnitId: string; score: number; vulnerabilities: Record<string, number> }[];
    };
    expect(risk.items.map((u) => u.orgUnitId)).toEqual(['sc-cd-jj', 'sc-cd-jj-dmj']);
    expect(risk.items[0]!.score).toBeGreaterThan(0);
    const v = risk.items[0]!.vulnerabilities;
    expect((v.critical ?? 0) + (v.high ?? 0)).toBeGreaterThan(0);
    for (const path of [
      '/api/v1/security/risk?parent=sc-cd-sl',
      '/api/v1/security/risk/trend?orgUnit=sc-cd-sl',
      '/api/v1/security/risk/assets?orgUnit=sc-cd-sl',
      '/api/v1/security/risk/compare?level=county&parent=sc-cd',
      '/api/v1/security/vulnerabilities?orgUnit=sc-cd-sl',
    ]) {
      const res = await jinjiang.get(path);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('scope.not_found');
    }
    const trend = await jinjiang.get('/api/v1/security/risk/trend?days=367');
    expect(trend.status).toBe(400);
  });

  it('takes an asset’s criticality from the inventory device (set through the inventory API, audited)', async () => {
    // The township's access switch with two findings (the county's switch, with 2,000, is at 100).
    const small = await upload(
      jinjiang,
      'format=csv',
      'address,cvss,name\n127.0.17.129,7.5,X\n127.0.17.129,5,Y\n',
    );
    expect(((await small.json()) as { imported: number }).imported).toBe(2);
    const before = (await (await jinjiang.get('/api/v1/security/risk/assets')).json()) as {
      items: { assetAddress: string; deviceId?: string; criticality: string; score: number }[];
    };
    const sw = before.items.find((a) => a.assetAddress === '127.0.17.129')!;
    expect(sw).toMatchObject({ deviceId: 'sc-cd-jj-dmj-acc', criticality: 'medium' });
    const patch = await admin.send('PATCH', '/api/v1/inventory/devices/sc-cd-jj-dmj-acc', {
      criticality: 'low',
    });
    expect(patch.status).toBe(200);
    expect(((await patch.json()) as { criticality: string }).criticality).toBe('low');
    const audit = JSON.stringify(await (await admin.get('/api/v1/audit?action=device.update')).json());
    expect(audit).toContain('"criticality":"low"');
    const after = (await (await jinjiang.get('/api/v1/security/risk/assets')).json()) as typeof before;
    const sw2 = after.items.find((a) => a.assetAddress === '127.0.17.129');
    expect(sw2?.criticality).toBe('low');
    expect(sw2!.score).toBeLessThan(sw.score);
    const bad = await admin.send('PATCH', '/api/v1/inventory/devices/sc-cd-jj-dmj-acc', {
      criticality: 'vital',
    });
    expect(bad.status).toBe(400);
  });

  it('alerts raised through the alerts part count for their unit; their incident counts for the city once escalated to it, never for the province', async () => {
    const svc = t.cp.services.modules.use(securityRef);
    const unit = async (who: Session, id: string, parent?: string) => {
      const res = await who.get(`/api/v1/security/risk${parent ? `?parent=${parent}` : ''}`);
      const body = (await res.json()) as {
        items: { orgUnitId: string; score: number; openAlerts: number; openIncidents: number }[];
      };
      return body.items.find((u) => u.orgUnitId === id)!;
    };
    const before = await unit(shuangliu, 'sc-cd-sl');
    expect(before).toMatchObject({ score: 0, openAlerts: 0, openIncidents: 0 });
    const now = Date.now();
    const raised = await svc.alerts.raise(
      [
        {
          source: 'flow',
          reference: 'flow:port-scan',
          title: 'Port scan of 127.0.18.1',
          severity: 'critical',
          attack: ['T1046'],
          observables: [{ type: 'ip', value: '198.51.100.7' }],
          orgUnitId: 'sc-cd-sl',
          assetAddress: '127.0.18.1',
          firstSeen: now - 60_000,
          lastSeen: now,
          count: 1,
        },
      ],
      { actor: 'risk-test' },
    );
    expect(raised.created).toBe(1);
    const after = await unit(shuangliu, 'sc-cd-sl');
    expect(after.openAlerts).toBe(1);
    expect(after.score).toBeGreaterThan(0);
    // A critical alert opens an incident of 双流区: it counts there, not for the city until escalated.
    expect(after.openIncidents).toBe(1);
    expect((await unit(admin, 'sc-cd', 'sc-cd')).openIncidents).toBe(0);
    const list = (await (await shuangliu.get('/api/v1/security/incidents')).json()) as {
      items: { id: string }[];
    };
    expect(list.items).toHaveLength(1);
    const esc = await shuangliu.send('POST', `/api/v1/security/incidents/${list.items[0]!.id}/escalate`, {});
    expect(esc.status).toBe(200);
    const city = await unit(admin, 'sc-cd', 'sc-cd');
    expect(city.openAlerts).toBeGreaterThanOrEqual(1);
    expect(city.openIncidents).toBe(1);
    expect((await unit(admin, 'sc', 'sc')).openIncidents).toBe(0);
    // 锦江区 sees nothing of it.
    const jj = await jinjiang.get('/api/v1/security/risk/assets');
    expect(JSON.stringify(await jj.json())).not.toContain('127.0.18.1');
  });

  it('records the daily trend through the job and compares the counties of the city', async () => {
    const svc = t.cp.services.modules.use(securityRef);
    await svc.risk.record();
    const trend = (await (await jinjiang.get('/api/v1/security/risk/trend?days=7')).json()) as {
      points: [string, number][];
    };
    expect(trend.points).toHaveLength(1);
    const city = await login(t.request, 'admin', ADMIN_PASSWORD);
    const cmp = (await (
      await city.get('/api/v1/security/risk/compare?level=county&parent=sc-cd')
    ).json()) as {
      items: { orgUnitId: string; rank: number }[];
    };
    expect(cmp.items.map((u) => [u.orgUnitId, u.rank])).toEqual([
      ['sc-cd-jj', 1],
      ['sc-cd-sl', 2],
    ]);
    const overview = await jinjiang.get('/api/v1/overview');
    expect(overview.status).toBe(200);
    expect(JSON.stringify(await overview.json())).toContain('riskScore');
  });
});
