import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Identity } from '../../auth/identity.js';
import { DomainError } from '../../errors.js';
import { fingerprintOf } from './model.js';
import { alertInput, openTestAlerts, type TestAlerts } from './testing.js';

let t: TestAlerts;
let jj: Identity; // 锦江区 (county of 成都)
let sl: Identity; // 双流区 (its sibling)
let cd: Identity; // 成都市
let my: Identity; // 绵阳市 (another city)
let sc: Identity; // 四川省
const T0 = Date.parse('2026-12-01T08:00:00.000Z');
const MIN = 60_000;

async function failure(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  t = await openTestAlerts();
  jj = await t.as('security-analyst', 'sc-cd-jj');
  sl = await t.as('security-analyst', 'sc-cd-sl');
  cd = await t.as('security-analyst', 'sc-cd');
  my = await t.as('security-analyst', 'sc-my');
  sc = await t.as('security-analyst', 'sc');
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  for (const table of [
    'security_incident_timeline',
    'security_incident_alerts',
    'security_alerts',
    'security_incidents',
    'security_suppressions',
  ]) {
    await t.db.query(`DELETE FROM ${table}`);
  }
  await t.db.query('DELETE FROM alarms');
  t.clock.now = T0;
  t.addresses.clear();
});

describe('fingerprints and deduplication', () => {
  it('fingerprints by source, reference and the observables in any order, or the given one', () => {
    const a = alertInput();
    const b = alertInput({ observables: [...a.observables].reverse() });
    const c = alertInput({ observables: [{ type: 'ip', value: '203.0.113.8', role: 'source' }] });
    expect(fingerprintOf(a)).toBe(fingerprintOf(b));
    expect(fingerprintOf(a)).not.toBe(fingerprintOf(c));
    expect(fingerprintOf(alertInput({ reference: 'suricata:1' }))).not.toBe(fingerprintOf(a));
    expect(fingerprintOf(alertInput({ fingerprint: 'flow:ddos:10.1.1.10' }))).toBe('flow:ddos:10.1.1.10');
  });

  it('counts a repeated alert on one row, and a replay changes nothing', async () => {
    const agent = await t.agent('sc-cd-jj');
    const first = alertInput({ eventIds: ['e1'] });
    expect(await t.svc.raise([first], { agent })).toEqual({ created: 1, updated: 0, suppressed: 0 });
    const again = alertInput({ lastSeen: T0 + 5000, count: 3, eventIds: ['e2'], severity: 'high' });
    expect(await t.svc.raise([again], { agent })).toEqual({ created: 0, updated: 1, suppressed: 0 });
    // The same payloads once more (a batch replayed after a crash).
    expect(await t.svc.raise([first, again], { agent })).toEqual({ created: 0, updated: 0, suppressed: 0 });
    const page = await t.svc.listAlerts(jj, {});
    expect(page.items).toHaveLength(1);
    const a = page.items[0]!;
    expect(a).toMatchObject({
      count: 4,
      severity: 'high',
      status: 'new',
      orgUnitId: 'sc-cd-jj',
      firstSeen: new Date(T0).toISOString(),
      lastSeen: new Date(T0 + 5000).toISOString(),
    });
    const detail = await t.svc.getAlert(jj, a.id);
    expect(detail.eventIds).toEqual(['e1', 'e2']);
  });

  it('opens a new alert when a closed one fires again, but not on a replay of what it saw', async () => {
    const agent = await t.agent('sc-cd-jj');
    await t.svc.raise([alertInput()], { agent });
    const [a] = (await t.svc.listAlerts(jj, {})).items;
    expect(await t.svc.bulk(jj, { ids: [a!.id], action: 'close' })).toEqual({ updated: 1 });
    expect(await t.svc.raise([alertInput()], { agent })).toMatchObject({ created: 0, updated: 0 });
    expect(await t.svc.raise([alertInput({ lastSeen: T0 + MIN })], { agent })).toMatchObject({ created: 1 });
    const all = await t.svc.listAlerts(jj, { status: ['new', 'closed'] });
    expect(all.items.map((x) => x.status).sort()).toEqual(['closed', 'new']);
  });

  it('refuses an invalid input and still raises the others', async () => {
    const agent = await t.agent('sc-cd-jj');
    const bad = { ...alertInput(), severity: 'extreme' } as unknown as ReturnType<typeof alertInput>;
    const r = await t.svc.raise([bad, alertInput()], { agent });
    expect(r.created).toBe(1);
    const metric = await t.svc.d.metrics.registry.getSingleMetricAsString(
      'tianshu_security_alerts_raised_total',
    );
    expect(metric).toMatch(/outcome="rejected"} 1/);
  });
});

describe('attribution', () => {
  it('keeps an agent inside its subtree whatever the alert claims', async () => {
    const agent = await t.agent('sc-cd-jj');
    t.addresses.set('10.9.9.9', 'sc-cd-sl'); // a sibling's address
    t.addresses.set('10.1.1.10', 'sc-cd-jj-dmj');
    await t.svc.raise(
      [
        alertInput({ reference: 'r1', orgUnitId: 'sc-cd-jj-dmj' }), // inside: kept
        alertInput({ reference: 'r2', orgUnitId: 'sc-cd-sl' }), // outside: by address instead
        alertInput({ reference: 'r3', assetAddress: '10.9.9.9' }), // sibling's address: the agent's unit
        alertInput({ reference: 'r4', orgUnitId: 'sc' }), // above: by address
      ],
      { agent },
    );
    const items = (await t.svc.listAlerts(sc, {})).items;
    const unit = Object.fromEntries(items.map((x) => [x.reference, x.orgUnitId]));
    expect(unit).toEqual({ r1: 'sc-cd-jj-dmj', r2: 'sc-cd-jj-dmj', r3: 'sc-cd-jj', r4: 'sc-cd-jj-dmj' });
    expect((await t.svc.listAlerts(sl, {})).items).toEqual([]);
  });

  it('attributes by the target address when no agent raised it', async () => {
    t.addresses.set('10.1.1.10', 'sc-cd-sl');
    await t.svc.raise([alertInput()], { actor: 'upload by admin' });
    expect((await t.svc.listAlerts(sl, {})).items).toHaveLength(1);
    expect((await t.svc.listAlerts(jj, {})).items).toHaveLength(0);
  });
});

describe('suppressions', () => {
  it('needs a match and an expiry within 90 days', async () => {
    const none = await failure(
      t.svc.createSuppression(jj, { match: {}, reason: 'x', expiresAt: new Date(T0 + MIN).toISOString() }),
    );
    expect(none.code).toBe('security.suppression_invalid');
    const past = await failure(
      t.svc.createSuppression(jj, {
        match: { reference: 'r' },
        reason: 'x',
        expiresAt: new Date(T0 - 1).toISOString(),
      }),
    );
    expect(past.code).toBe('security.suppression_invalid');
    const far = await failure(
      t.svc.createSuppression(jj, {
        match: { reference: 'r' },
        reason: 'x',
        expiresAt: new Date(T0 + 91 * 86_400_000).toISOString(),
      }),
    );
    expect(far.message).toMatch(/at most 90 days/);
  });

  it('stores matching alerts as suppressed until it expires, then raises them again', async () => {
    const agent = await t.agent('sc-cd-jj');
    const s = await t.svc.createSuppression(jj, {
      match: { reference: 'suricata:2010937', observable: { type: 'ip', value: '203.0.113.7' } },
      reason: 'the weekly vulnerability scan',
      expiresAt: new Date(T0 + 60 * MIN).toISOString(),
    });
    expect(s).toMatchObject({ author: jj.name, active: true, match: { reference: 'suricata:2010937' } });
    expect(await t.svc.raise([alertInput({ severity: 'critical' })], { agent })).toEqual({
      created: 0,
      updated: 0,
      suppressed: 1,
    });
    expect(await t.svc.raise([alertInput({ lastSeen: T0 + MIN })], { agent })).toMatchObject({
      suppressed: 1,
    });
    expect((await t.svc.listAlerts(jj, {})).items).toEqual([]);
    const kept = await t.svc.listAlerts(jj, { status: ['suppressed'] });
    expect(kept.items).toHaveLength(1);
    expect(kept.items[0]).toMatchObject({ count: 2, incidentId: null });
    expect((await t.svc.listIncidents(jj, {})).items).toEqual([]);
    expect((await t.svc.listSuppressions(jj)).items[0]!.suppressed).toBe(2);
    // A sibling's alerts are not the county's to suppress.
    const slAgent = await t.agent('sc-cd-sl');
    expect(await t.svc.raise([alertInput()], { agent: slAgent })).toMatchObject({
      created: 1,
      suppressed: 0,
    });
    // Expired: the next one is a normal alert (and, being critical, opens an incident).
    t.clock.now = T0 + 61 * MIN;
    expect(
      await t.svc.raise([alertInput({ lastSeen: T0 + 61 * MIN, severity: 'critical' })], { agent }),
    ).toMatchObject({
      created: 1,
      suppressed: 0,
    });
    expect((await t.svc.listIncidents(jj, {})).items).toHaveLength(1);
    expect((await t.svc.listSuppressions(jj)).items).toEqual([]);
    expect((await t.svc.listSuppressions(jj, { all: true })).items[0]!.active).toBe(false);
  });
});

describe('correlation into incidents', () => {
  it('opens an incident for a high alert, joins related ones within the window only', async () => {
    const agent = await t.agent('sc-cd-jj');
    // A low alert alone opens nothing.
    await t.svc.raise(
      [alertInput({ reference: 'sigma:x', severity: 'low', observables: [], assetAddress: '10.1.1.99' })],
      { agent },
    );
    expect((await t.svc.listIncidents(jj, {})).items).toEqual([]);
    await t.svc.raise([alertInput({ severity: 'high', assetAddress: '10.1.1.10' })], { agent });
    const [inc] = (await t.svc.listIncidents(jj, {})).items;
    expect(inc).toMatchObject({
      status: 'new',
      severity: 'high',
      alertCount: 1,
      orgUnitId: 'sc-cd-jj',
      handlerOrgUnitId: 'sc-cd-jj',
    });
    // Same asset, another rule, 30 minutes later: joins; critical raises the incident's severity.
    t.clock.now = T0 + 30 * MIN;
    await t.svc.raise(
      [
        alertInput({
          reference: 'flow:ddos',
          source: 'flow',
          severity: 'critical',
          attack: ['T1498'],
          observables: [],
          assetAddress: '10.1.1.10',
          lastSeen: T0 + 30 * MIN,
          firstSeen: T0 + 30 * MIN,
        }),
      ],
      { agent },
    );
    // A shared observable (the attacker) joins too.
    await t.svc.raise(
      [
        alertInput({
          reference: 'intel:feodo',
          source: 'threat-intel',
          attack: [],
          observables: [{ type: 'ip', value: '203.0.113.7' }],
          lastSeen: T0 + 31 * MIN,
          firstSeen: T0 + 31 * MIN,
        }),
      ],
      { agent },
    );
    // Unrelated: nothing shared, medium: neither joins nor opens.
    await t.svc.raise(
      [
        alertInput({
          reference: 'sigma:y',
          attack: [],
          observables: [{ type: 'user', value: 'bob' }],
          lastSeen: T0 + 32 * MIN,
          firstSeen: T0 + 32 * MIN,
        }),
      ],
      { agent },
    );
    let detail = await t.svc.getIncident(jj, inc!.id);
    expect(detail.alertCount).toBe(3);
    expect(detail.severity).toBe('critical');
    expect(detail.attack.sort()).toEqual(['T1046', 'T1498']);
    expect(detail.timeline.map((e) => e.kind)).toEqual([
      'created',
      'alert-added',
      'alert-added',
      'severity',
      'alert-added',
    ]);
    // Related but outside the window (last alert at +31 min, window 60 min): not joined.
    await t.svc.raise(
      [
        alertInput({
          reference: 'flow:port-scan',
          source: 'flow',
          severity: 'medium',
          attack: [],
          observables: [],
          assetAddress: '10.1.1.10',
          lastSeen: T0 + 95 * MIN,
          firstSeen: T0 + 95 * MIN,
        }),
      ],
      { agent },
    );
    detail = await t.svc.getIncident(jj, inc!.id);
    expect(detail.alertCount).toBe(3);
    expect((await t.svc.listAlerts(jj, { incident: 'none' })).items.map((a) => a.reference).sort()).toEqual([
      'flow:port-scan',
      'sigma:x',
      'sigma:y',
    ]);
    // A sibling's alert on the same attacker never joins the county's incident.
    await t.svc.raise([alertInput({ lastSeen: T0 + 33 * MIN })], { agent: await t.agent('sc-cd-sl') });
    expect((await t.svc.getIncident(jj, inc!.id)).alertCount).toBe(3);
  });

  it('notifies a new incident and each escalation through the alarm routes', async () => {
    await t.svc.raise([alertInput({ severity: 'critical' })], { agent: await t.agent('sc-cd-jj') });
    const [inc] = (await t.svc.listIncidents(jj, {})).items;
    let alarms = (await t.alarms.list(t.system, { domain: 'security' })).items;
    expect(alarms).toMatchObject([
      { kind: 'security-incident', severity: 'critical', orgUnitId: 'sc-cd-jj', targetId: inc!.id },
    ]);
    await t.svc.escalate(jj, inc!.id, {});
    alarms = (await t.alarms.list(t.system, { domain: 'security' })).items;
    expect(alarms.map((a) => [a.kind, a.orgUnitId])).toContainEqual(['security-incident-escalated', 'sc-cd']);
    await t.svc.patchIncident(cd, inc!.id, { status: 'triaged' });
    await t.svc.patchIncident(cd, inc!.id, { status: 'false-positive' });
    expect((await t.alarms.list(t.system, { domain: 'security' })).items).toEqual([]);
  });
});

describe('the incident workflow', () => {
  it('moves along the workflow, refuses illegal moves with the reason, times acknowledge and resolve', async () => {
    const before = (await t.auditActions()).length;
    const inc = await t.svc.createIncident(jj, {
      title: 'Ransomware on 10.1.1.10',
      severity: 'high',
      orgUnitId: 'sc-cd-jj',
    });
    const bad = await failure(t.svc.patchIncident(jj, inc.id, { status: 'resolved' }));
    expect(bad.code).toBe('security.transition_invalid');
    expect(bad.message).toBe(
      'an incident cannot go from new to resolved; from new it may go to triaged, false-positive',
    );
    t.clock.now = T0 + 5 * MIN;
    let d = await t.svc.patchIncident(jj, inc.id, { status: 'triaged', assignee: 'li.wei' });
    expect(d).toMatchObject({
      status: 'triaged',
      assignee: 'li.wei',
      timeToAcknowledgeSeconds: 300,
      timeToResolveSeconds: null,
    });
    t.clock.now = T0 + 20 * MIN;
    await t.svc.patchIncident(jj, inc.id, { status: 'investigating' });
    await t.svc.comment(jj, inc.id, 'isolated the host');
    await t.svc.patchIncident(jj, inc.id, { status: 'contained' });
    t.clock.now = T0 + 60 * MIN;
    d = await t.svc.patchIncident(jj, inc.id, { status: 'resolved' });
    expect(d).toMatchObject({ timeToAcknowledgeSeconds: 300, timeToResolveSeconds: 3600 });
    expect(d.timeline.map((e) => [e.kind, e.from ?? null, e.to ?? null])).toEqual([
      ['created', null, 'new'],
      ['status', 'new', 'triaged'],
      ['assigned', null, 'li.wei'],
      ['status', 'triaged', 'investigating'],
      ['comment', null, null],
      ['status', 'investigating', 'contained'],
      ['status', 'contained', 'resolved'],
    ]);
    expect(d.timeline.every((e) => e.actor === jj.name)).toBe(true);
    // Reopened: no longer resolved.
    d = await t.svc.patchIncident(jj, inc.id, { status: 'investigating' });
    expect(d.resolvedAt).toBeNull();
    const actions = (await t.auditActions()).slice(before).map((a) => a.action);
    expect(actions.filter((a) => a === 'security.incident.update')).toHaveLength(5);
    expect(actions).toContain('security.incident.comment');
  });
});

describe('across levels', () => {
  async function countyIncident(): Promise<string> {
    await t.svc.raise([alertInput({ severity: 'high' })], { agent: await t.agent('sc-cd-jj') });
    return (await t.svc.listIncidents(jj, {})).items[0]!.id;
  }
  async function seenBy(id: string): Promise<string[]> {
    const out: string[] = [];
    for (const [name, who] of Object.entries({ jj, sl, cd, my, sc })) {
      const listed = (await t.svc.listIncidents(who, {})).items.some((i) => i.id === id);
      const got = await t.svc.getIncident(who, id).then(
        () => true,
        (err: DomainError) => (err.status === 404 ? false : Promise.reject(err)),
      );
      expect(listed, name).toBe(got);
      if (got) out.push(name);
    }
    return out;
  }

  it('a county incident is its own until escalated, then the city’s, then the province’s; never a sibling’s', async () => {
    const id = await countyIncident();
    expect(await seenBy(id)).toEqual(['jj']);
    // Alerts stay by the subtree rule: the city sees the county's alert in the queue.
    expect((await t.svc.listAlerts(cd, {})).items).toHaveLength(1);
    expect((await t.svc.listAlerts(sl, {})).items).toHaveLength(0);
    const up = await t.svc.escalate(jj, id, { note: 'needs the city' });
    expect(up.escalatedTo).toEqual([{ orgUnitId: 'sc-cd', name: up.escalatedTo[0]!.name }]);
    expect(await seenBy(id)).toEqual(['jj', 'cd']);
    expect((await t.svc.listIncidents(cd, { escalated: true })).items).toHaveLength(1);
    expect((await t.svc.listIncidents(jj, { escalated: false })).items).toHaveLength(0);
    // Escalating to the city again is refused; the default goes one further up.
    const again = await failure(t.svc.escalate(jj, id, { toOrgUnitId: 'sc-cd' }));
    expect(again.code).toBe('security.escalation_invalid');
    // A sibling or another city is not an ancestor: absent.
    expect((await failure(t.svc.escalate(jj, id, { toOrgUnitId: 'sc-my' }))).status).toBe(404);
    const top = await t.svc.escalate(cd, id, {});
    expect(top.escalatedTo.map((u) => u.orgUnitId)).toEqual(['sc-cd', 'sc']);
    expect(await seenBy(id)).toEqual(['jj', 'cd', 'sc']);
    expect((await failure(t.svc.escalate(sc, id, {}))).code).toBe('security.escalation_invalid');
    const kinds = (await t.svc.getIncident(sc, id)).timeline.filter((e) => e.kind === 'escalated');
    expect(kinds.map((e) => [e.from, e.to, e.actor])).toEqual([
      ['sc-cd-jj', 'sc-cd', jj.name],
      ['sc-cd', 'sc', cd.name],
    ]);
    // Nobody off the chain can act on it either: every route answers "not found".
    for (const call of [
      () => t.svc.comment(sl, id, 'x'),
      () => t.svc.patchIncident(my, id, { status: 'triaged' }),
      () => t.svc.escalate(sl, id, {}),
      () => t.svc.takeOver(my, id),
      () => t.svc.handBack(sl, id),
      () => t.svc.assignDown(my, id, { orgUnitId: 'sc-my-fc' }),
    ]) {
      expect((await failure(call())).status).toBe(404);
    }
  });

  it('take over, hand back: the handler changes, the county can then act again', async () => {
    const id = await countyIncident();
    expect((await failure(t.svc.takeOver(cd, id))).status).toBe(404); // not escalated yet
    await t.svc.escalate(jj, id, {});
    const taken = await t.svc.takeOver(cd, id);
    expect(taken.handlerOrgUnitId).toBe('sc-cd');
    const refused = await failure(t.svc.patchIncident(jj, id, { status: 'triaged' }));
    expect(refused.code).toBe('security.incident_not_handler');
    await t.svc.comment(jj, id, 'the county may still comment');
    await t.svc.patchIncident(cd, id, { status: 'triaged' });
    const back = await t.svc.handBack(cd, id, 'over to you');
    expect(back.handlerOrgUnitId).toBe('sc-cd-jj');
    await t.svc.patchIncident(jj, id, { status: 'investigating' });
    expect(back.timeline.map((e) => e.kind)).toContain('taken-over');
    expect(back.timeline.at(-1)).toMatchObject({
      kind: 'handed-back',
      from: 'sc-cd',
      to: 'sc-cd-jj',
      text: 'over to you',
    });
  });

  it('a province opens an incident for a county and assigns it down to another; it stays on the chain', async () => {
    const opened = await t.svc.createIncident(sc, {
      title: 'Phishing campaign',
      severity: 'medium',
      orgUnitId: 'sc-cd-jj',
    });
    expect(opened).toMatchObject({ orgUnitId: 'sc-cd-jj', handlerOrgUnitId: 'sc-cd-jj' });
    expect(opened.escalatedTo.map((u) => u.orgUnitId)).toEqual(['sc-cd', 'sc']);
    expect(await seenBy(opened.id)).toEqual(['jj', 'cd', 'sc']);
    const moved = await t.svc.assignDown(sc, opened.id, { orgUnitId: 'sc-my-fc', note: 'it is Fucheng’s' });
    expect(moved).toMatchObject({ orgUnitId: 'sc-my-fc', handlerOrgUnitId: 'sc-my-fc' });
    expect(moved.escalatedTo.map((u) => u.orgUnitId)).toEqual(['sc-my', 'sc']);
    expect(await seenBy(opened.id)).toEqual(['my', 'sc']);
    // A county cannot open one for its sibling, nor assign down to its own unit.
    expect(
      (await failure(t.svc.createIncident(jj, { title: 'x', severity: 'low', orgUnitId: 'sc-cd-sl' })))
        .status,
    ).toBe(404);
    const own = await t.svc.createIncident(jj, { title: 'y', severity: 'low', orgUnitId: 'sc-cd-jj' });
    expect((await failure(t.svc.assignDown(jj, own.id, { orgUnitId: 'sc-cd-jj' }))).code).toBe(
      'security.escalation_invalid',
    );
    expect((await failure(t.svc.assignDown(jj, own.id, { orgUnitId: 'sc-cd-sl' }))).status).toBe(404);
  });
});

describe('the alert queue and bulk triage', () => {
  async function many(n: number, unit: string): Promise<void> {
    const agent = await t.agent(unit);
    const inputs = Array.from({ length: n }, (_, i) =>
      alertInput({
        reference: `r${i}`,
        severity: i % 2 ? 'low' : 'medium',
        lastSeen: T0 + (i % 7) * 1000,
        firstSeen: T0,
      }),
    );
    await t.svc.raise(inputs, { agent });
  }

  it('pages by keyset through every alert once, newest first, with an exact total', async () => {
    await many(23, 'sc-cd-jj');
    await many(5, 'sc-cd-sl');
    const seen: string[] = [];
    let cursor: string | undefined;
    let first = true;
    for (let i = 0; i < 10; i++) {
      const page = await t.svc.listAlerts(jj, { limit: 5, cursor });
      if (first) expect(page).toMatchObject({ total: 23, totalIsEstimate: false });
      else expect(page.total).toBeNull();
      first = false;
      seen.push(...page.items.map((a) => a.id));
      const times = page.items.map((a) => a.lastSeen);
      expect([...times].sort().reverse()).toEqual(times);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(new Set(seen).size).toBe(23);
    expect((await t.svc.listAlerts(jj, { severity: ['medium'] })).total).toBe(12);
    expect((await t.svc.listAlerts(cd, {})).total).toBe(28);
    expect((await failure(t.svc.listAlerts(jj, { cursor: 'garbage' }))).status).toBe(400);
    expect((await failure(t.svc.listAlerts(jj, { orgUnit: 'sc-cd-sl' }))).status).toBe(404);
  });

  it('triages by ids or by filter, audited once; an id out of scope is absent and changes nothing', async () => {
    const before = (await t.auditActions()).length;
    await many(6, 'sc-cd-jj');
    await many(2, 'sc-cd-sl');
    const mine = (await t.svc.listAlerts(jj, {})).items.map((a) => a.id);
    const theirs = (await t.svc.listAlerts(sl, {})).items.map((a) => a.id);
    const err = await failure(t.svc.bulk(jj, { ids: [mine[0]!, theirs[0]!], action: 'close' }));
    expect(err.status).toBe(404);
    expect((await t.svc.listAlerts(jj, {})).total).toBe(6);
    expect((await t.svc.listAlerts(sl, {})).total).toBe(2);
    expect(await t.svc.bulk(jj, { filter: { severity: ['medium'] }, action: 'acknowledge' })).toEqual({
      updated: 3,
    });
    expect(await t.svc.bulk(jj, { filter: {}, action: 'close' })).toEqual({ updated: 6 });
    expect((await t.svc.listAlerts(sl, {})).total).toBe(2);
    const audit = (await t.auditActions())
      .slice(before)
      .filter((a) => a.action.startsWith('security.alert.'));
    expect(audit.map((a) => a.action)).toEqual(['security.alert.acknowledge', 'security.alert.close']);
    expect(await t.svc.bulk(jj, { ids: mine.slice(0, 2), action: 'reopen' })).toEqual({ updated: 2 });
    const inc = await t.svc.createIncident(jj, {
      title: 'grouped',
      severity: 'medium',
      orgUnitId: 'sc-cd-jj',
    });
    expect(
      await t.svc.bulk(jj, { ids: mine.slice(0, 2), action: 'to-incident', incidentId: inc.id }),
    ).toEqual({ updated: 2 });
    expect((await t.svc.getIncident(jj, inc.id)).alerts.map((a) => a.id).sort()).toEqual(
      mine.slice(0, 2).sort(),
    );
    expect(
      (await failure(t.svc.bulk(sl, { ids: theirs, action: 'to-incident', incidentId: inc.id }))).status,
    ).toBe(404);
  });

  it('gives the overview figures in scope', async () => {
    await many(4, 'sc-cd-jj');
    await t.svc.raise([alertInput({ severity: 'critical' })], { agent: await t.agent('sc-cd-sl') });
    expect(await t.svc.overview(jj)).toEqual({
      openAlerts: 4,
      openIncidents: 0,
      bySeverity: { critical: 0, high: 0, medium: 2, low: 2 },
    });
    expect(await t.svc.overview(cd)).toMatchObject({ openAlerts: 5, openIncidents: 0 });
    expect(await t.svc.overview(sl)).toMatchObject({ openAlerts: 1, openIncidents: 1 });
  });
});
