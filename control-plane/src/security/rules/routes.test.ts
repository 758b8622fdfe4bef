import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModuleDeps } from '../../modules/contract.js';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../../../../test/support/control-plane.js';
import { securityRef } from '../module.js';
import { storedEvent } from '../sigma/testing.js';
import { SecurityRules, type RuleItem, type RuleList } from './service.js';

let t: TestControlPlane;
let admin: Session;
let countyA: Session;
let countyB: Session;
const paths: Record<string, string> = {};

async function user(username: string, orgUnitId: string, roles = ['security-analyst']): Promise<Session> {
  const password = `${username}-password-1`;
  const res = await admin.send('POST', '/api/v1/users', {
    username,
    displayName: username,
    password,
    roles,
    orgUnitId,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return login(t.request, username, password);
}

const RULE = (id: string, extra = '') => `title: API rule ${id}
id: ${id}
level: critical
tags: [attack.t1071.004]
logsource:
  category: dns
detection:
  sel:
    query|endswith: '.api-test.example'
  condition: sel
${extra}`;

beforeAll(async () => {
  t = await startTestControlPlane();
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
  countyA = await user('rules-county-a', 'sc-cd-jj');
  countyB = await user('rules-county-b', 'sc-cd-sl');
  const { rows } = await t.cp.services.db.query<{ id: string; path: string }>(
    "SELECT id, path FROM org_units WHERE id IN ('sc-cd-jj', 'sc-cd-sl', 'sc')",
  );
  for (const r of rows) paths[r.id] = r.path;
}, 240_000);
afterAll(async () => {
  await t?.close();
});

const list = async (s: Session) => {
  const res = await s.get('/api/v1/security/rules');
  expect(res.status).toBe(200);
  return (await res.json()) as RuleList;
};

describe('GET /api/v1/security/rules', () => {
  it('lists the shipped rules, all compiled, with their status and origin', async () => {
    const body = await list(admin);
    expect(body.summary.compiled).toBeGreaterThanOrEqual(100);
    expect(body.summary).toMatchObject({ unsupported: 0, invalid: 0 });
    const brute = body.items.find((r) => r.id === '9b5283b0-a05c-4b44-b753-9368525e5152')!;
    expect(brute).toMatchObject({
      kind: 'correlation',
      origin: 'policy',
      file: 'tianshu/ssh_brute_force.yml',
      status: 'compiled',
      reason: null,
      level: 'high',
      attack: ['T1110.001'],
      hits: 0,
      lastHitAt: null,
      errors: 0,
    });
    expect(body.items.some((r) => r.file.startsWith('sigmahq/rules/web/'))).toBe(true);
  });
  it('needs security:read', async () => {
    const viewer = await user('rules-backup', 'sc', ['backup-operator']);
    expect((await viewer.get('/api/v1/security/rules')).status).toBe(403);
    expect((await t.request('/api/v1/security/rules')).status).toBe(401);
  });
});

describe('rules through the API', () => {
  it('refuses an invalid rule with the reason and stores nothing', async () => {
    const res = await countyA.send('POST', '/api/v1/security/rules', {
      yaml: 'title: broken\nid: bad-1\nlogsource:\n  category: dns\ndetection:\n  sel:\n    query: x\n  condition: sel and missing\n',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('sigma.rule_invalid');
    expect(body.error.message).toMatch(/"missing"/);
    expect((await list(admin)).items.some((r) => r.id === 'bad-1')).toBe(false);
    const noId = await countyA.send('POST', '/api/v1/security/rules', {
      yaml: RULE('x').replace(/^id: .*$/m, ''),
    });
    expect(noId.status).toBe(400);
  });
  it('stores a rule for the author’s subtree, runs it there only, counts hits per subtree, and audits', async () => {
    const id = '7e1d3c2a-0000-4000-8000-000000000001';
    const res = await countyA.send('POST', '/api/v1/security/rules', { yaml: RULE(id) });
    expect(res.status, await res.clone().text()).toBe(201);
    const item = (await res.json()) as RuleItem;
    expect(item).toMatchObject({
      id,
      origin: 'api',
      status: 'compiled',
      orgUnitId: 'sc-cd-jj',
      author: 'rules-county-a',
      attack: ['T1071.004'],
    });

    // Visible to the author's unit and above, not to a sibling county.
    expect((await list(admin)).items.some((r) => r.id === id)).toBe(true);
    expect((await list(countyB)).items.some((r) => r.id === id)).toBe(false);

    const svc = t.cp.services.modules.use(securityRef);
    const q = { 'dns.question.name': 'c2.api-test.example', 'source.ip': '10.1.1.1' };
    const inA = storedEvent('dns', q, { orgUnitId: 'sc-cd-jj', orgPath: paths['sc-cd-jj']! });
    const inB = storedEvent('dns', q, { orgUnitId: 'sc-cd-sl', orgPath: paths['sc-cd-sl']! });
    const alerts = svc.rules.evaluate([inA, inB]).filter((a) => a.reference === id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: 'critical', orgUnitId: 'sc-cd-jj', eventIds: [inA.id] });

    const a = (await list(countyA)).items.find((r) => r.id === id)!;
    expect(a.hits).toBe(1);
    expect(a.lastHitAt).toBe(new Date(inA.ts).toISOString());

    const { rows } = await t.cp.services.db.query<{ action: string; actor_name: string }>(
      "SELECT action, actor_name FROM audit_log WHERE target_type = 'security-rule' AND target_id = $1",
      [id],
    );
    expect(rows).toEqual([{ action: 'security.rule.create', actor_name: 'rules-county-a' }]);

    // A sibling cannot delete it (absent for them); the author can.
    expect((await countyB.send('DELETE', `/api/v1/security/rules/${id}`)).status).toBe(404);
    expect((await countyA.send('DELETE', `/api/v1/security/rules/${id}`)).status).toBe(204);
    expect((await countyA.send('DELETE', `/api/v1/security/rules/${id}`)).status).toBe(404);
    expect(svc.rules.evaluate([inA]).filter((x) => x.reference === id)).toEqual([]);
    const { rows: after } = await t.cp.services.db.query<{ action: string }>(
      "SELECT action FROM audit_log WHERE target_type = 'security-rule' AND target_id = $1 ORDER BY id",
      [id],
    );
    expect(after.map((r) => r.action)).toEqual(['security.rule.create', 'security.rule.delete']);
  });
  it('hits of a shipped rule are counted per org unit subtree', async () => {
    const svc = t.cp.services.modules.use(securityRef);
    const ev = (unit: string) =>
      storedEvent(
        'dns',
        { 'dns.question.name': 'login.evil.top', 'source.ip': '10.2.2.2' },
        { orgUnitId: unit, orgPath: paths[unit]! },
      );
    const alerts = svc.rules.evaluate([ev('sc-cd-jj'), ev('sc-cd-jj'), ev('sc-cd-sl')]);
    expect(alerts.filter((a) => a.reference === '0856c825-e7a3-457e-9922-5fc718ca3ae7')).toHaveLength(2);
    const hits = async (s: Session) =>
      (await list(s)).items.find((r) => r.id === '0856c825-e7a3-457e-9922-5fc718ca3ae7')!.hits;
    expect(await hits(countyA)).toBe(2);
    expect(await hits(countyB)).toBe(1);
    expect(await hits(admin)).toBe(3);
  });
  it('stores and lists an unsupported rule with the reason, and never runs it', async () => {
    const id = '7e1d3c2a-0000-4000-8000-000000000002';
    const yaml = `title: windows logon\nid: ${id}\nlogsource:\n  product: windows\n  service: security\ndetection:\n  sel:\n    EventID: 4625\n  condition: sel\n`;
    const res = await countyA.send('POST', '/api/v1/security/rules', { yaml });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      id,
      status: 'unsupported',
      reason: expect.stringMatching(/windows/),
    });
    expect((await list(countyA)).summary.unsupported).toBe(1);
    expect((await countyA.send('DELETE', `/api/v1/security/rules/${id}`)).status).toBe(204);
  });
  it('refuses to replace or delete a rule that comes from a file', async () => {
    const id = '0856c825-e7a3-457e-9922-5fc718ca3ae7';
    const post = await admin.send('POST', '/api/v1/security/rules', { yaml: RULE(id) });
    expect(post.status).toBe(409);
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe('sigma.rule_read_only');
    const del = await admin.send('DELETE', `/api/v1/security/rules/${id}`);
    expect(del.status).toBe(409);
  });
  it('needs security:write to change rules', async () => {
    const auditor = await user('rules-auditor', 'sc', ['auditor']);
    expect((await auditor.get('/api/v1/security/rules')).status).toBe(200);
    expect(
      (
        await auditor.send('POST', '/api/v1/security/rules', {
          yaml: RULE('7e1d3c2a-0000-4000-8000-000000000003'),
        })
      ).status,
    ).toBe(403);
  });
});

describe('rule files', () => {
  it('are reloaded when one is added, changed or removed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigma-rules-'));
    try {
      const deps = {
        db: t.cp.services.db,
        log: t.cp.services.log,
        audit: t.cp.services.audit,
        config: t.config,
      };
      const rules = new SecurityRules(deps as unknown as ModuleDeps, { dir, checkMillis: 0 });
      const ids = () => rules.current.rules.map((r) => [r.info.id, r.info.status]);
      writeFileSync(join(dir, 'a.yml'), RULE('file-rule-a'));
      // The first evaluation loads the rules (a replica that did not seed).
      rules.evaluate([]);
      await rules.refresh();
      expect(ids()).toEqual([['file-rule-a', 'compiled']]);
      writeFileSync(join(dir, 'b.yml'), RULE('file-rule-b'));
      await rules.refresh();
      expect(ids()).toEqual([
        ['file-rule-a', 'compiled'],
        ['file-rule-b', 'compiled'],
      ]);
      writeFileSync(join(dir, 'b.yml'), `${RULE('file-rule-b')}  extra: [unclosed\n`);
      await rules.refresh();
      expect(ids()).toEqual([
        ['file-rule-a', 'compiled'],
        [expect.any(String), 'invalid'],
      ]);
      rmSync(join(dir, 'b.yml'));
      await rules.refresh();
      expect(ids()).toEqual([['file-rule-a', 'compiled']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
