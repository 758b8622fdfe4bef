import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkPolicies, parsePolicy } from '../policies/index.js';
import { allPolicyRefs } from '../modules.js';
import { NOTIFICATIONS_POLICY } from './module.js';
import { defaultAlertingConfig, AlertingConfig } from './config.js';
import { NotificationsPolicy } from './policy.js';
import { receiversFor } from './routing.js';

const POLICIES = fileURLToPath(new URL('../../../policies', import.meta.url));
const shipped = () => readFileSync(`${POLICIES}/notifications.yaml`, 'utf8');

const valid = `receivers:
  - name: ops
    webhook:
      url: https://ops.example/hook
  - name: chengdu
    webhook:
      url: http://127.0.0.1:9093/api/v2/alerts
      timeoutMs: 2000
      headers:
        Authorization: Bearer x
    sendResolved: false
routes:
  - match:
      severity: critical
    receivers: [ops]
    continue: true
  - match:
      orgUnit: sc-cd
      kind: [link-*, redundancy-lost]
    receivers: [chengdu]
groupWaitSeconds: 10
repeatIntervalMinutes: 60
`;

describe('notifications.yaml', () => {
  it('the shipped file is valid and sends nowhere', () => {
    expect(checkPolicies(POLICIES, allPolicyRefs()).find((f) => f.file === 'notifications.yaml')).toEqual({
      file: 'notifications.yaml',
      ok: true,
      problems: [],
    });
    const p = parsePolicy(NOTIFICATIONS_POLICY, shipped());
    expect(p.receivers).toEqual([]);
    expect(p.routes).toEqual([]);
    expect(receiversFor(p, { kind: 'link-down', severity: 'critical', orgUnitPath: '/sc/' })).toEqual([]);
  });

  it('the example in the shipped file’s comments is valid too', () => {
    const example = shipped()
      .split('\n')
      .filter((l) => l.startsWith('# ') && /^# ( |receivers:|routes:|groupWait|repeat)/.test(l))
      .map((l) => l.slice(2))
      .join('\n');
    const p = parsePolicy(NOTIFICATIONS_POLICY, example);
    expect(p.receivers.map((r) => r.name)).toEqual(['ops-alertmanager', 'chengdu-noc']);
    expect(p.routes).toHaveLength(2);
  });

  it('fills defaults and normalises single values to lists', () => {
    const p = parsePolicy(NOTIFICATIONS_POLICY, valid);
    expect(p.receivers[0]).toEqual({
      name: 'ops',
      webhook: { url: 'https://ops.example/hook', timeoutMs: 10_000, headers: {} },
      sendResolved: true,
    });
    expect(p.routes[0]!.match.severity).toEqual(['critical']);
    expect(p.routes[1]!.continue).toBe(false);
  });

  it('rejects unknown fields, bad URLs and unknown receivers, naming each', () => {
    expect(() =>
      parsePolicy(
        NOTIFICATIONS_POLICY,
        valid.replace('sendResolved: false', 'sendResolved: false\n    colour: red'),
      ),
    ).toThrow(/receivers\.1: unknown field\(s\) "colour"/);
    expect(() => parsePolicy(NOTIFICATIONS_POLICY, `${valid}groupBy: [alertname]\n`)).toThrow(
      /\(root\): unknown field\(s\) "groupBy"/,
    );
    expect(() =>
      parsePolicy(NOTIFICATIONS_POLICY, valid.replace('https://ops.example/hook', 'ops.example/hook')),
    ).toThrow(/receivers\.0\.webhook\.url: "ops\.example\/hook" is not an http:\/\/ or https:\/\/ URL/);
    expect(() =>
      parsePolicy(NOTIFICATIONS_POLICY, valid.replace('https://ops.example/hook', 'ftp://ops.example/')),
    ).toThrow(/receivers\.0\.webhook\.url: "ftp:\/\/ops\.example\/" is not/);
    expect(() =>
      parsePolicy(NOTIFICATIONS_POLICY, valid.replace('receivers: [chengdu]', 'receivers: [nobody]')),
    ).toThrow(/routes\.1\.receivers\.0: no receiver named "nobody"/);
    expect(() => parsePolicy(NOTIFICATIONS_POLICY, valid.replace('name: chengdu', 'name: ops'))).toThrow(
      /receivers\.1\.name: receiver "ops" is defined twice/,
    );
    expect(() =>
      parsePolicy(NOTIFICATIONS_POLICY, valid.replace('severity: critical', 'severity: dire')),
    ).toThrow(/routes\.0\.match\.severity/);
    expect(() =>
      parsePolicy(NOTIFICATIONS_POLICY, valid.replace('match:\n      severity', 'matchers:\n      severity')),
    ).toThrow(/routes\.0: unknown field\(s\) "matchers"/);
  });

  it('publishes a JSON Schema like every policy file', () => {
    const schema = z.toJSONSchema(NOTIFICATIONS_POLICY.schema, { io: 'input' }) as {
      properties: object;
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['receivers', 'routes', 'groupWaitSeconds', 'repeatIntervalMinutes']),
    );
  });
});

describe('routing', () => {
  const p = NotificationsPolicy.parse({
    receivers: ['a', 'b', 'c'].map((name) => ({ name, webhook: { url: `http://127.0.0.1/${name}` } })),
    routes: [
      { match: { kind: 'link-*', severity: ['critical', 'major'] }, receivers: ['a'], continue: true },
      { match: { orgUnit: 'sc-cd' }, receivers: ['b', 'a'] },
      { receivers: ['c'] },
    ],
  });
  const at = (kind: string, severity: 'critical' | 'minor', orgUnitPath: string) =>
    receiversFor(p, { kind, severity, orgUnitPath });

  it('walks routes in order, continuing only when asked, each receiver once', () => {
    expect(at('link-down', 'critical', '/sc/sc-cd/sc-cd-jj/')).toEqual(['a', 'b']);
    expect(at('link-down', 'critical', '/sc/sc-my/')).toEqual(['a', 'c']);
    expect(at('link-down', 'minor', '/sc/sc-my/')).toEqual(['c']);
    expect(at('device-unreachable', 'critical', '/sc/sc-cd/')).toEqual(['b', 'a']);
  });

  it('matches the org unit subtree by whole path segments', () => {
    expect(at('x', 'minor', '/sc/sc-cd-other/')).toEqual(['c']);
    expect(at('x', 'minor', '/sc/')).toEqual(['c']);
  });
});

describe('alerting configuration', () => {
  it('the default configuration validates', () => {
    expect(AlertingConfig.parse(defaultAlertingConfig())).toEqual(defaultAlertingConfig());
    expect(defaultAlertingConfig().notifyIntervalMillis).toBeGreaterThanOrEqual(1000);
    expect(() => AlertingConfig.parse({ notifyIntervalMillis: 10 })).toThrow();
  });
});
