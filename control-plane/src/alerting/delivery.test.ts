import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTestInventory, type TestInventory } from '../inventory/testing.js';
import { createLogger } from '../logger.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { startTestReceiver, testAlarmService, type TestReceiver } from './testing.js';
import type { AlarmCondition } from './types.js';

let t: TestInventory;
let noc: TestReceiver;
let pager: TestReceiver;

beforeAll(async () => {
  t = await openTestInventory();
  noc = await startTestReceiver();
  pager = await startTestReceiver();
});
afterAll(async () => {
  await noc?.close();
  await pager?.close();
  await t?.close();
});
beforeEach(async () => {
  await t.db.query('DELETE FROM alarms');
  for (const r of [noc, pager]) {
    r.requests.length = 0;
    r.statuses.length = 0;
  }
});

const cond = (over: Partial<AlarmCondition> = {}): AlarmCondition => ({
  kind: 'link-down',
  severity: 'major',
  orgUnitId: 'sc-cd-jj',
  targetType: 'link',
  targetId: 'link-1',
  summary: 'Link jj-1 to Chengdu is down',
  ...over,
});

/** Both receivers take everything; the pager also hears of resolution, the NOC does not. */
const policy = (over: Record<string, unknown> = {}) => ({
  receivers: [
    {
      name: 'noc',
      webhook: { url: `${noc.url}/hook`, headers: { Authorization: 'Bearer s3cret' } },
      sendResolved: false,
    },
    { name: 'pager', webhook: { url: `${pager.url}/alerts`, timeoutMs: 2000 }, sendResolved: true },
  ],
  routes: [{ receivers: ['noc', 'pager'] }],
  groupWaitSeconds: 0,
  ...over,
});

const deliveries = async () =>
  (
    await t.db.query<{
      receiver: string;
      status: string;
      event: string;
      attempts: number;
      last_error: string | null;
    }>('SELECT receiver, status, event, attempts, last_error FROM alarm_deliveries ORDER BY receiver')
  ).rows;

describe('webhook notifications', () => {
  it('posts the Alertmanager webhook body, field by field', async () => {
    const { alarms } = testAlarmService(t, { policy: policy() });
    await alarms.fire(
      cond({ labels: { plane: 'A', alertname: 'spoofed' } }),
      new Date('2025-03-01T10:00:00.123Z'),
    );
    await alarms.fire(cond({ targetId: 'link-2', severity: 'critical', summary: 'Link jj-2 is down' }));
    const report = await alarms.deliver();
    expect(report).toEqual({ sent: 2, failed: 0, dropped: 0 });
    expect(noc.requests).toHaveLength(1);
    const req = noc.requests[0]!;
    expect(req.path).toBe('/hook');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['authorization']).toBe('Bearer s3cret');
    expect(req.headers['user-agent']).toBe('Tianshu/test');
    const body = req.body;
    expect(Object.keys(body).sort()).toEqual(
      [
        'alerts',
        'commonAnnotations',
        'commonLabels',
        'externalURL',
        'groupKey',
        'groupLabels',
        'receiver',
        'status',
        'truncatedAlerts',
        'version',
      ].sort(),
    );
    expect(body.version).toBe('4');
    expect(body.status).toBe('firing');
    expect(body.receiver).toBe('noc');
    expect(body.groupLabels).toEqual({ alertname: 'link-down' });
    expect(body.groupKey).toBe('{receiver="noc"}:{alertname="link-down"}');
    expect(body.truncatedAlerts).toBe(0);
    expect(body.externalURL).toBe('https://tianshu.example');
    expect(body.commonLabels).toEqual({
      alertname: 'link-down',
      org_unit: 'sc-cd-jj',
      target_type: 'link',
    });
    expect(body.commonAnnotations).toEqual({});
    expect(body.alerts).toHaveLength(2);
    const first = body.alerts.find((a) => a.labels.target_id === 'link-1')!;
    const [row] = (
      await alarms.list(await t.as('network-operator', 'sc'), { kind: 'link-down' })
    ).items.filter((a) => a.targetId === 'link-1');
    expect(Object.keys(first).sort()).toEqual(
      ['annotations', 'endsAt', 'fingerprint', 'generatorURL', 'labels', 'startsAt', 'status'].sort(),
    );
    expect(first.status).toBe('firing');
    expect(first.labels).toEqual({
      alertname: 'link-down',
      severity: 'major',
      org_unit: 'sc-cd-jj',
      target_type: 'link',
      target_id: 'link-1',
      plane: 'A',
    });
    expect(first.annotations).toEqual({ summary: 'Link jj-1 to Chengdu is down' });
    expect(first.startsAt).toBe('2025-03-01T10:00:00.123Z');
    expect(first.endsAt).toBe('0001-01-01T00:00:00Z');
    expect(first.generatorURL).toBe(`https://tianshu.example/api/v1/alarms/${row!.id}`);
    expect(first.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    const second = body.alerts.find((a) => a.labels.target_id === 'link-2')!;
    expect(second.labels.severity).toBe('critical');
    expect(second.fingerprint).not.toBe(first.fingerprint);
    expect(pager.requests).toHaveLength(1);
    expect(pager.requests[0]!.path).toBe('/alerts');
    expect(pager.requests[0]!.body.receiver).toBe('pager');
    // Nothing more is due.
    expect(await alarms.deliver()).toEqual({ sent: 0, failed: 0, dropped: 0 });
    expect((await deliveries()).map((d) => d.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
  });

  it('groups by kind: one request per receiver and kind', async () => {
    const { alarms } = testAlarmService(t, { policy: policy() });
    await alarms.fire(cond());
    await alarms.fire(cond({ kind: 'link-flapping', severity: 'minor' }));
    await alarms.deliver();
    expect(noc.requests.map((r) => r.body.groupLabels.alertname).sort()).toEqual([
      'link-down',
      'link-flapping',
    ]);
  });

  it('waits groupWaitSeconds before the first notification', async () => {
    const { alarms } = testAlarmService(t, { policy: policy({ groupWaitSeconds: 30 }) });
    await alarms.fire(cond());
    expect(await alarms.deliver()).toEqual({ sent: 0, failed: 0, dropped: 0 });
    // A blip that clears within the wait is never notified, not even as resolved.
    await alarms.resolve('link-down', 'link', 'link-1');
    await t.db.query("UPDATE alarm_deliveries SET due_at = now() - interval '1 minute'");
    expect(await alarms.deliver()).toEqual({ sent: 0, failed: 0, dropped: 0 });
    expect(noc.requests).toHaveLength(0);
    expect(pager.requests).toHaveLength(0);
  });

  it('routes by kind, severity and org-unit subtree, stopping at the first match unless continue', async () => {
    const { alarms } = testAlarmService(t, {
      policy: policy({
        routes: [
          {
            match: { severity: 'critical', kind: ['link-*', 'redundancy-lost'] },
            receivers: ['pager'],
            continue: true,
          },
          { match: { orgUnit: 'sc-cd' }, receivers: ['noc'] },
          { receivers: ['pager'] },
        ],
      }),
    });
    // Critical link alarm in Chengdu: pager (continue), then noc (stop).
    await alarms.fire(cond({ severity: 'critical', targetId: 'a' }));
    // Major link alarm in Chengdu: noc only.
    await alarms.fire(cond({ targetId: 'b' }));
    // Major alarm in Mianyang: falls through to the catch-all pager route.
    await alarms.fire(cond({ orgUnitId: 'sc-my-fc', targetId: 'c' }));
    // Critical device alarm in Mianyang: kind does not match the first route; catch-all.
    await alarms.fire(
      cond({ kind: 'device-unreachable', severity: 'critical', orgUnitId: 'sc-my', targetId: 'd' }),
    );
    await alarms.deliver();
    const targets = (r: TestReceiver) =>
      r.requests.flatMap((q) => q.body.alerts.map((a) => a.labels.target_id)).sort();
    expect(targets(noc)).toEqual(['a', 'b']);
    expect(targets(pager)).toEqual(['a', 'c', 'd']);
  });

  it('sends resolved notifications only to receivers with sendResolved', async () => {
    const { alarms } = testAlarmService(t, { policy: policy() });
    await alarms.fire(cond(), new Date('2025-03-01T10:00:00Z'));
    await alarms.deliver();
    await alarms.resolve('link-down', 'link', 'link-1', new Date('2025-03-01T10:07:00Z'));
    expect(await alarms.deliver()).toEqual({ sent: 1, failed: 0, dropped: 0 });
    expect(noc.requests).toHaveLength(1);
    expect(pager.requests).toHaveLength(2);
    const resolved = pager.requests[1]!.body;
    expect(resolved.status).toBe('resolved');
    expect(resolved.alerts[0]!.status).toBe('resolved');
    expect(resolved.alerts[0]!.startsAt).toBe('2025-03-01T10:00:00.000Z');
    expect(resolved.alerts[0]!.endsAt).toBe('2025-03-01T10:07:00.000Z');
    expect(resolved.alerts[0]!.fingerprint).toBe(pager.requests[0]!.body.alerts[0]!.fingerprint);
    expect(await deliveries()).toMatchObject([
      { receiver: 'noc', status: 'done' },
      { receiver: 'pager', status: 'done', event: 'resolved' },
    ]);
  });

  it('retries after the receiver answers 500, recording the attempt and error; others are not held up', async () => {
    const { alarms, metrics } = testAlarmService(t, { policy: policy() });
    pager.statuses.push(500);
    await alarms.fire(cond());
    expect(await alarms.deliver()).toEqual({ sent: 1, failed: 1, dropped: 0 });
    expect(noc.requests).toHaveLength(1);
    expect(await deliveries()).toMatchObject([
      { receiver: 'noc', status: 'sent', attempts: 0, last_error: null },
      { receiver: 'pager', status: 'pending', attempts: 1, last_error: 'HTTP 500: receiver is unhappy' },
    ]);
    // retryBaseMillis is 0 in tests, so the retry is due at once.
    expect(await alarms.deliver()).toEqual({ sent: 1, failed: 0, dropped: 0 });
    expect(pager.requests).toHaveLength(2);
    expect(pager.requests[1]!.body).toEqual(pager.requests[0]!.body);
    expect(noc.requests).toHaveLength(1);
    expect(await deliveries()).toMatchObject([
      { receiver: 'noc', status: 'sent' },
      { receiver: 'pager', status: 'sent', attempts: 0, last_error: null },
    ]);
    const text = await metrics.exposition();
    expect(text).toContain('tianshu_alarm_notifications_total{receiver="pager",outcome="failed"} 1');
    expect(text).toContain('tianshu_alarm_notifications_total{receiver="pager",outcome="sent"} 1');
    expect(text).toContain('tianshu_alarm_notifications_total{receiver="noc",outcome="sent"} 1');
    expect(text).toContain('tianshu_alarms_firing{kind="link-down",severity="major"} 1');
  });

  it('backs off exponentially between retries', async () => {
    const { alarms } = testAlarmService(t, {
      policy: policy({ routes: [{ receivers: ['pager'] }] }),
      config: { retryBaseMillis: 60_000, retryMaxMillis: 600_000 },
    });
    pager.statuses.push(503, 503);
    await alarms.fire(cond());
    await alarms.deliver();
    const wait = async () =>
      (
        await t.db.query<{ s: number }>(
          'SELECT extract(epoch FROM due_at - last_attempt_at)::float AS s FROM alarm_deliveries',
        )
      ).rows[0]!.s;
    expect(await wait()).toBeCloseTo(60, 0);
    expect(await alarms.deliver()).toEqual({ sent: 0, failed: 0, dropped: 0 });
    await t.db.query('UPDATE alarm_deliveries SET due_at = now()');
    await alarms.deliver();
    expect(await wait()).toBeCloseTo(120, 0);
  });

  it('an unreachable receiver fails with a recorded error and does not block the others', async () => {
    const dead = await startTestReceiver();
    await dead.close();
    const { alarms } = testAlarmService(t, {
      policy: policy({
        receivers: [
          { name: 'dead', webhook: { url: dead.url, timeoutMs: 1000 } },
          { name: 'noc', webhook: { url: noc.url } },
        ],
        routes: [{ receivers: ['dead', 'noc'] }],
      }),
    });
    await alarms.fire(cond());
    expect(await alarms.deliver()).toEqual({ sent: 1, failed: 1, dropped: 0 });
    expect(noc.requests).toHaveLength(1);
    const [d] = await deliveries();
    expect(d).toMatchObject({ receiver: 'dead', status: 'pending', attempts: 1 });
    expect(d!.last_error).toMatch(/^request failed: ECONNREFUSED/);
  });

  it('re-notifies when severity rises, not when an alarm is merely refreshed or lowered', async () => {
    const { alarms } = testAlarmService(t, { policy: policy({ routes: [{ receivers: ['noc'] }] }) });
    await alarms.fire(cond());
    await alarms.deliver();
    await alarms.fire(cond({ summary: 'Still down' }));
    await alarms.fire(cond({ severity: 'minor' }));
    expect(await alarms.deliver()).toEqual({ sent: 0, failed: 0, dropped: 0 });
    await alarms.fire(cond({ severity: 'critical', summary: 'Down for an hour' }));
    expect(await alarms.deliver()).toEqual({ sent: 1, failed: 0, dropped: 0 });
    expect(noc.requests.map((r) => r.body.alerts[0]!.labels.severity)).toEqual(['major', 'critical']);
    expect(noc.requests[1]!.body.alerts[0]!.annotations.summary).toBe('Down for an hour');
  });

  it('repeats firing alarms every repeatIntervalMinutes until acknowledged', async () => {
    const { alarms } = testAlarmService(t, {
      policy: policy({ routes: [{ receivers: ['noc'] }], repeatIntervalMinutes: 60 }),
    });
    await alarms.fire(cond());
    await alarms.deliver();
    await t.db.query("UPDATE alarm_deliveries SET sent_at = now() - interval '59 minutes'");
    expect(await alarms.deliver()).toEqual({ sent: 0, failed: 0, dropped: 0 });
    await t.db.query("UPDATE alarm_deliveries SET sent_at = now() - interval '61 minutes'");
    expect(await alarms.deliver()).toEqual({ sent: 1, failed: 0, dropped: 0 });
    expect(noc.requests).toHaveLength(2);
    const [a] = (await alarms.list(await t.as('network-operator', 'sc-cd-jj'))).items;
    await alarms.acknowledge(await t.as('network-operator', 'sc-cd-jj'), a!.id);
    await t.db.query("UPDATE alarm_deliveries SET sent_at = now() - interval '61 minutes'");
    expect(await alarms.deliver()).toEqual({ sent: 0, failed: 0, dropped: 0 });
  });

  it('drops deliveries to a receiver that was removed from the policy', async () => {
    const svc = testAlarmService(t, { policy: policy({ groupWaitSeconds: 30 }) });
    await svc.alarms.fire(cond());
    svc.setPolicy({ receivers: [{ name: 'noc', webhook: { url: noc.url } }], routes: [] });
    await t.db.query('UPDATE alarm_deliveries SET due_at = now()');
    expect(await svc.alarms.deliver()).toEqual({ sent: 1, failed: 0, dropped: 1 });
    expect(await deliveries()).toMatchObject([
      { receiver: 'noc', status: 'sent' },
      { receiver: 'pager', status: 'done', last_error: 'receiver "pager" is no longer configured' },
    ]);
  });

  it('two schedulers sharing the database send each notification once', async () => {
    const replicas = [testAlarmService(t, { policy: policy() }), testAlarmService(t, { policy: policy() })];
    for (let i = 0; i < 20; i++) await replicas[i % 2]!.alarms.fire(cond({ targetId: `link-${i}` }));
    const schedulers = replicas.map(({ alarms }) => {
      const s = new Scheduler(t.db, createLogger('silent'));
      s.every('alerting.notify', 1000, async () => {
        await alarms.deliver();
      });
      return s;
    });
    // Forced runs on both at once, twice: the job claim does not keep them apart, the delivery claims must.
    for (let round = 0; round < 2; round++) {
      await Promise.all(schedulers.map((s) => s.runOnce('alerting.notify', true)));
    }
    for (const r of [noc, pager]) {
      const ids = r.requests.flatMap((q) => q.body.alerts.map((a) => a.labels.target_id));
      expect(ids).toHaveLength(20);
      expect(new Set(ids).size).toBe(20);
    }
  });
});
