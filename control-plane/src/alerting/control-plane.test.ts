import { alarmsRef } from './module.js';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../../../test/support/control-plane.js';
import { startTestReceiver, type TestReceiver } from './testing.js';
import type { AlarmPage } from './types.js';

let t: TestControlPlane;
let admin: Session;
let receiver: TestReceiver;
const policiesDir = mkdtempSync(join(tmpdir(), 'tianshu-alerting-policies-'));

/** The whole control plane: policy file on disk, the scheduler job, the API and the metrics. */
beforeAll(async () => {
  receiver = await startTestReceiver();
  cpSync(new URL('../../../policies', import.meta.url).pathname, policiesDir, { recursive: true });
  writeFileSync(
    join(policiesDir, 'notifications.yaml'),
    `receivers:\n  - name: ops\n    webhook:\n      url: ${receiver.url}/hook\nroutes:\n  - receivers: [ops]\ngroupWaitSeconds: 0\n`,
  );
  t = await startTestControlPlane({
    overrides: { policiesDir, publicUrl: 'https://tianshu.example' },
    listen: true,
  });
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
});
afterAll(async () => {
  await t?.close();
  await receiver?.close();
  rmSync(policiesDir, { recursive: true, force: true });
});

describe('alerting in the control plane', () => {
  it('an alarm fired by a module shows in the API and metrics, and the scheduler sends it', async () => {
    await t.cp.services.modules.use(alarmsRef).fire({
      kind: 'device-unreachable',
      severity: 'critical',
      orgUnitId: 'sc-cd',
      targetType: 'device',
      targetId: 'sc-cd-agg',
      summary: 'Aggregation router sc-cd-agg does not answer SNMP',
    });
    const page = (await (await admin.get('/api/v1/network/alarms')).json()) as AlarmPage;
    expect(page.items.map((a) => a.targetId)).toEqual(['sc-cd-agg']);
    const metrics = await (await admin.get('/metrics')).text();
    expect(metrics).toContain('tianshu_alarms_firing{kind="device-unreachable",severity="critical"} 1');
    const deadline = Date.now() + 20_000;
    while (receiver.requests.length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(receiver.requests).toHaveLength(1);
    const body = receiver.requests[0]!.body;
    expect(body.receiver).toBe('ops');
    expect(body.externalURL).toBe('https://tianshu.example');
    expect(body.alerts[0]!.labels.alertname).toBe('device-unreachable');
    expect(receiver.requests[0]!.headers['user-agent']).toMatch(/^Tianshu\//);
    const openapi = (await (await admin.get('/api/v1/openapi.json')).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/alarms',
        '/api/v1/alarms/summary',
        '/api/v1/alarms/{id}',
        '/api/v1/alarms/{id}/acknowledge',
        '/api/v1/network/alarms',
      ]),
    );
  });
});
