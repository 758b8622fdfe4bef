import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertInput } from '@tianshu/protocol';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../support/control-plane.js';

/**
 * Security isolation across levels (issue 10): analysts of two counties (锦江区 sc-cd-jj and 双流区
 * sc-cd-sl, both under 成都市) and of two cities (成都市 sc-cd and 绵阳市 sc-my), and of the province.
 * Alerts arrive the real way — edge agents' `security-alerts` report payloads — and every alert and
 * incident route is tried across the sibling line: nobody sees or changes a sibling's alerts or
 * incidents by any route (404, exactly like absent). Escalation makes a county incident visible to
 * its city and the province, and to nobody else; take over, hand back and assign down move the
 * handler and the owner under the same rule. The analysts call with console sessions; 双流区's admin
 * also tries the county lines with an API token.
 */

/** A caller: a console session or an API token, both answering like `Session`. */
interface Caller {
  get(path: string): Promise<Response>;
  send(method: string, path: string, body?: unknown): Promise<Response>;
}

let t: TestControlPlane;
let admin: Session;
const who: Record<'jj' | 'sl' | 'cd' | 'my' | 'sc', Caller> = {} as never;
const units = { jj: 'sc-cd-jj', sl: 'sc-cd-sl', cd: 'sc-cd', my: 'sc-my', sc: 'sc' } as const;
type Who = keyof typeof units;
/** 双流区's admin, by API token. */
let slToken: Caller;
const agents: Record<string, { id: string; auth: string }> = {};
const T0 = Date.now() - 10 * 60_000;

async function mkUser(username: string, orgUnitId: string): Promise<void> {
  const res = await admin.send('POST', '/api/v1/users', {
    username,
    displayName: username,
    password: `${username}-password-1`,
    roles: ['security-analyst'],
    orgUnitId,
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

async function enrolEdge(orgUnitId: string): Promise<{ id: string; auth: string }> {
  const tok = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
    name: `edge-${orgUnitId}`,
    orgUnitId,
    roles: ['edge'],
    maxUses: 1,
  });
  const { token } = (await tok.json()) as { token: string };
  const res = await t.request('/api/v1/fleet/enrol', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, hostname: `edge-${orgUnitId}`, roles: ['edge'], version: '0.1.0' }),
  });
  const body = (await res.json()) as { agentId: string; credential: string };
  return { id: body.agentId, auth: `Bearer ${body.agentId}.${body.credential}` };
}

let sequence = 0;
async function report(orgUnitId: string, alerts: AlertInput[]): Promise<void> {
  const agent = agents[orgUnitId]!;
  const res = await t.request(`/api/v1/agents/${agent.id}/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: agent.auth },
    body: JSON.stringify({
      batchId: randomUUID(),
      sequence: ++sequence,
      createdAt: new Date().toISOString(),
      payloads: [{ kind: 'security-alerts', alerts }],
    }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

function alert(over: Partial<AlertInput>): AlertInput {
  return {
    source: 'suricata',
    reference: 'suricata:2010937',
    title: 'ET SCAN Suspicious inbound to mySQL port 3306',
    severity: 'high',
    attack: ['T1046'],
    observables: [{ type: 'ip', value: '203.0.113.7', role: 'source' }],
    firstSeen: T0,
    lastSeen: T0,
    count: 1,
    ...over,
  };
}

async function json<T>(res: Response, status = 200): Promise<T> {
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as T;
}

interface AlertItem {
  id: string;
  orgUnitId: string;
  incidentId: string | null;
  reference: string;
}
interface IncidentItem {
  id: string;
  orgUnitId: string;
  handlerOrgUnitId: string;
  escalatedTo: { orgUnitId: string }[];
  timeline?: { kind: string; actor: string }[];
}

/** Ids of the alerts and incidents each unit's analyst owns (from its own lists). */
const own: Record<string, { alerts: string[]; incidents: string[] }> = {};

beforeAll(async () => {
  t = await startTestControlPlane();
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
  for (const [k, unit] of Object.entries(units)) await mkUser(`sec-${k}`, unit);
  for (const k of Object.keys(units) as Who[]) {
    who[k] = await login(t.request, `sec-${k}`, `sec-${k}-password-1`);
  }
  // 双流区's admin calls with an API token (analysts may not make tokens).
  const res = await admin.send('POST', '/api/v1/users', {
    username: 'sl-admin',
    displayName: 'sl-admin',
    password: 'sl-admin-password-1',
    roles: ['admin'],
    orgUnitId: 'sc-cd-sl',
  });
  expect(res.status).toBe(201);
  const slAdmin = await login(t.request, 'sl-admin', 'sl-admin-password-1');
  const tok = await json<{ token: string }>(
    await slAdmin.send('POST', '/api/v1/auth/tokens', { name: 'soc' }),
    201,
  );
  const bearer = { authorization: `Bearer ${tok.token}` };
  slToken = {
    get: (path) => t.request(path, { headers: bearer }),
    send: (method, path, body) =>
      t.request(path, {
        method,
        headers: { ...bearer, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      }),
  };
  for (const unit of ['sc-cd-jj', 'sc-cd-sl', 'sc-my-fc']) agents[unit] = await enrolEdge(unit);
  // Each county raises a high alert (an incident each) and a low one (an alert only); 双流区's agent
  // also claims a unit of 锦江区, which it may not: it stays in 双流区.
  for (const unit of ['sc-cd-jj', 'sc-cd-sl']) {
    await report(unit, [
      alert({ reference: `suricata:${unit}`, title: `scan against ${unit}` }),
      alert({
        reference: 'sigma:low',
        severity: 'low',
        attack: [],
        observables: [{ type: 'user', value: `u-${unit}` }],
      }),
    ]);
  }
  await report('sc-cd-sl', [
    alert({ reference: 'sigma:claim', severity: 'low', orgUnitId: 'sc-cd-jj', attack: [], observables: [] }),
  ]);
  await report('sc-my-fc', [alert({ reference: 'suricata:fc', title: 'scan against Fucheng' })]);
  for (const k of ['jj', 'sl'] as const) {
    const a = await json<{ items: AlertItem[] }>(await who[k].get('/api/v1/security/alerts?limit=500'));
    const i = await json<{ items: IncidentItem[] }>(await who[k].get('/api/v1/security/incidents'));
    own[k] = { alerts: a.items.map((x) => x.id), incidents: i.items.map((x) => x.id) };
  }
}, 180_000);
afterAll(async () => {
  await t?.close();
});

async function sees(k: Who, incidentId: string): Promise<boolean> {
  const list = await json<{ items: IncidentItem[] }>(
    await who[k].get('/api/v1/security/incidents?limit=500'),
  );
  const listed = list.items.some((i) => i.id === incidentId);
  const one = await who[k].get(`/api/v1/security/incidents/${incidentId}`);
  expect([200, 404]).toContain(one.status);
  expect(listed, `${k} lists it iff it reads it`).toBe(one.status === 200);
  return listed;
}
async function seenBy(incidentId: string): Promise<Who[]> {
  const out: Who[] = [];
  for (const k of Object.keys(units) as Who[]) if (await sees(k, incidentId)) out.push(k);
  return out;
}

describe('two counties', () => {
  it('each sees its own alerts and incidents only', async () => {
    expect(own.jj!.alerts).toHaveLength(2);
    expect(own.sl!.alerts).toHaveLength(3);
    expect(own.jj!.incidents).toHaveLength(1);
    expect(own.sl!.incidents).toHaveLength(1);
    const sl = await json<{ items: AlertItem[] }>(await who.sl.get('/api/v1/security/alerts?limit=500'));
    expect(sl.items.every((a) => a.orgUnitId === 'sc-cd-sl')).toBe(true);
    expect(sl.items.map((a) => a.reference)).toContain('sigma:claim');
    // Filters cannot reach across: naming the sibling's unit is "not found".
    expect((await who.jj.get('/api/v1/security/alerts?orgUnit=sc-cd-sl')).status).toBe(404);
    expect((await who.jj.get('/api/v1/security/incidents?orgUnit=sc-cd-sl')).status).toBe(404);
    expect((await who.jj.get(`/api/v1/security/alerts?incident=${own.sl!.incidents[0]}`)).status).toBe(200);
    expect(
      (
        await json<{ items: unknown[] }>(
          await who.jj.get(`/api/v1/security/alerts?incident=${own.sl!.incidents[0]}`),
        )
      ).items,
    ).toEqual([]);
    expect(
      (await json<{ items: unknown[] }>(await who.jj.get('/api/v1/security/alerts?q=sc-cd-sl'))).items,
    ).toEqual([]);
  });

  it('cannot read or change the other county’s alerts by any route', async () => {
    for (const [me, other] of [
      ['jj', 'sl'],
      ['sl', 'jj'],
    ] as const) {
      const c = who[me];
      for (const id of own[other]!.alerts) {
        expect((await c.get(`/api/v1/security/alerts/${id}`)).status).toBe(404);
        for (const action of ['acknowledge', 'close', 'false-positive', 'reopen'] as const) {
          expect((await c.send('POST', '/api/v1/security/alerts/bulk', { ids: [id], action })).status).toBe(
            404,
          );
        }
        expect(
          (
            await c.send('POST', '/api/v1/security/alerts/bulk', {
              ids: [id],
              action: 'assign',
              assignee: 'x',
            })
          ).status,
        ).toBe(404);
        // Mixed with its own: still refused whole, its own unchanged.
        expect(
          (
            await c.send('POST', '/api/v1/security/alerts/bulk', {
              ids: [own[me]!.alerts[0], id],
              action: 'close',
            })
          ).status,
        ).toBe(404);
        expect(
          (
            await c.send('POST', '/api/v1/security/incidents', {
              title: 'steal',
              severity: 'low',
              orgUnitId: units[me],
              alertIds: [id],
            })
          ).status,
        ).toBe(404);
      }
      // Bulk by filter touches its own only.
      const r = await json<{ updated: number }>(
        await c.send('POST', '/api/v1/security/alerts/bulk', {
          filter: { severity: ['low'] },
          action: 'acknowledge',
        }),
      );
      expect(r.updated).toBe(me === 'jj' ? 1 : 2);
    }
    for (const id of own.jj!.alerts) {
      expect((await slToken.get(`/api/v1/security/alerts/${id}`)).status).toBe(404);
      expect(
        (await slToken.send('POST', '/api/v1/security/alerts/bulk', { ids: [id], action: 'close' })).status,
      ).toBe(404);
    }
    const byToken = await json<{ items: AlertItem[] }>(
      await slToken.get('/api/v1/security/alerts?limit=500'),
    );
    expect(byToken.items.map((a) => a.id).sort()).toEqual([...own.sl!.alerts].sort());
    for (const k of ['jj', 'sl'] as const) {
      const list = await json<{ items: { status: string }[] }>(
        await who[k].get('/api/v1/security/alerts?limit=500'),
      );
      expect(list.items.map((a) => a.status).sort()).toEqual(
        k === 'jj' ? ['acknowledged', 'new'] : ['acknowledged', 'acknowledged', 'new'],
      );
    }
  });

  it('cannot read or change the other county’s incidents by any route', async () => {
    for (const [me, other, c] of [
      ['jj', 'sl', who.jj],
      ['sl', 'jj', who.sl],
      ['sl', 'jj', slToken],
    ] as const) {
      const id = own[other]!.incidents[0]!;
      const base = `/api/v1/security/incidents/${id}`;
      expect((await c.get(base)).status).toBe(404);
      expect((await c.send('PATCH', base, { status: 'triaged' })).status).toBe(404);
      expect((await c.send('PATCH', base, { assignee: 'me' })).status).toBe(404);
      expect((await c.send('POST', `${base}/comments`, { text: 'hello' })).status).toBe(404);
      expect((await c.send('POST', `${base}/escalate`, {})).status).toBe(404);
      expect((await c.send('POST', `${base}/take-over`)).status).toBe(404);
      expect((await c.send('POST', `${base}/hand-back`, {})).status).toBe(404);
      expect((await c.send('POST', `${base}/assign-down`, { orgUnitId: units[me] })).status).toBe(404);
      expect(
        (
          await c.send('POST', '/api/v1/security/alerts/bulk', {
            ids: [own[me]!.alerts[0]],
            action: 'to-incident',
            incidentId: id,
          })
        ).status,
      ).toBe(404);
      expect(
        (
          await c.send('POST', '/api/v1/security/incidents', {
            title: 'x',
            severity: 'low',
            orgUnitId: units[other],
          })
        ).status,
      ).toBe(404);
      const list = await json<{ items: IncidentItem[] }>(await c.get('/api/v1/security/incidents?limit=500'));
      expect(list.items.map((i) => i.id)).toEqual(own[me]!.incidents);
    }
    // Unchanged by all that: the owner still sees it new, with no comment from the sibling.
    const mine = await json<IncidentItem & { status: string }>(
      await who.jj.get(`/api/v1/security/incidents/${own.jj!.incidents[0]}`),
    );
    expect(mine.status).toBe('new');
    expect(mine.timeline!.map((e) => e.kind)).toEqual(['created', 'alert-added']);
  });

  it('cannot see or remove the other county’s suppressions', async () => {
    const s = await json<{ id: string }>(
      await who.jj.send('POST', '/api/v1/security/suppressions', {
        match: { reference: 'sigma:low' },
        reason: 'noisy rule under review',
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      }),
      201,
    );
    const theirs = await json<{ items: { id: string }[] }>(await who.sl.get('/api/v1/security/suppressions'));
    expect(theirs.items).toEqual([]);
    expect((await who.sl.send('DELETE', `/api/v1/security/suppressions/${s.id}`)).status).toBe(404);
    // It suppresses 锦江区's alerts only.
    await report('sc-cd-sl', [
      alert({
        reference: 'sigma:low',
        severity: 'low',
        attack: [],
        observables: [{ type: 'user', value: 'n' }],
      }),
    ]);
    await report('sc-cd-jj', [
      alert({
        reference: 'sigma:low',
        severity: 'low',
        attack: [],
        observables: [{ type: 'user', value: 'n' }],
      }),
    ]);
    const sup = await json<{ items: AlertItem[] }>(
      await who.cd.get('/api/v1/security/alerts?status=suppressed'),
    );
    expect(sup.items.map((a) => a.orgUnitId)).toEqual(['sc-cd-jj']);
    expect((await who.jj.send('DELETE', `/api/v1/security/suppressions/${s.id}`)).status).toBe(204);
  });

  it('overview figures count the caller’s scope only', async () => {
    type Overview = { modules: { security: { openAlerts: number; openIncidents: number } } };
    const jj = await json<Overview>(await who.jj.get('/api/v1/overview'));
    const sl = await json<Overview>(await who.sl.get('/api/v1/overview'));
    expect(jj.modules.security).toMatchObject({ openAlerts: 2, openIncidents: 1 });
    expect(sl.modules.security).toMatchObject({ openAlerts: 4, openIncidents: 1 });
  });
});

describe('escalation across levels', () => {
  it('a county incident is visible to its city, then the province, and to nobody else', async () => {
    const id = own.jj!.incidents[0]!;
    expect(await seenBy(id)).toEqual(['jj']);
    // The city sees the county's alerts (subtree rule) but not its incident before escalation.
    const cityAlerts = await json<{ items: AlertItem[] }>(
      await who.cd.get('/api/v1/security/alerts?limit=500'),
    );
    expect(cityAlerts.items.map((a) => a.id)).toEqual(expect.arrayContaining(own.jj!.alerts));
    const myAlerts = await json<{ items: AlertItem[] }>(
      await who.my.get('/api/v1/security/alerts?limit=500'),
    );
    expect(myAlerts.items.every((a) => a.orgUnitId.startsWith('sc-my'))).toBe(true);

    const up = await json<IncidentItem>(
      await who.jj.send('POST', `/api/v1/security/incidents/${id}/escalate`, { note: 'beyond us' }),
    );
    expect(up.escalatedTo.map((u) => u.orgUnitId)).toEqual(['sc-cd']);
    expect(await seenBy(id)).toEqual(['jj', 'cd']);
    const escalated = await json<{ items: IncidentItem[] }>(
      await who.cd.get('/api/v1/security/incidents?escalated=true'),
    );
    expect(escalated.items.map((i) => i.id)).toEqual([id]);
    // Another city cannot escalate it, nor be escalated to.
    expect((await who.my.send('POST', `/api/v1/security/incidents/${id}/escalate`, {})).status).toBe(404);
    expect(
      (await who.jj.send('POST', `/api/v1/security/incidents/${id}/escalate`, { toOrgUnitId: 'sc-my' }))
        .status,
    ).toBe(404);

    const top = await json<IncidentItem>(
      await who.cd.send('POST', `/api/v1/security/incidents/${id}/escalate`, {}),
    );
    expect(top.escalatedTo.map((u) => u.orgUnitId)).toEqual(['sc-cd', 'sc']);
    expect(await seenBy(id)).toEqual(['jj', 'cd', 'sc']);
    const detail = await json<IncidentItem>(await who.sc.get(`/api/v1/security/incidents/${id}`));
    expect(detail.timeline!.filter((e) => e.kind === 'escalated').map((e) => e.actor)).toEqual([
      'sec-jj',
      'sec-cd',
    ]);
    // The sibling county and the other city still see nothing, whatever they try.
    expect((await who.sl.get(`/api/v1/security/incidents/${id}`)).status).toBe(404);
    expect(
      (await who.my.send('POST', `/api/v1/security/incidents/${id}/comments`, { text: 'x' })).status,
    ).toBe(404);
    // The alerts of the incident come with it to whoever sees the incident.
    const viaIncident = await json<{ alerts: AlertItem[] }>(
      await who.sc.get(`/api/v1/security/incidents/${id}`),
    );
    expect(viaIncident.alerts.map((a) => a.orgUnitId)).toEqual(['sc-cd-jj']);
    // The escalation raised an alarm for the city (its notification routes).
    const alarms = await json<{ items: { kind: string; orgUnitId: string }[] }>(
      await admin.get('/api/v1/alarms?state=firing'),
    );
    expect(
      alarms.items
        .filter((a) => a.kind === 'security-incident-escalated')
        .map((a) => a.orgUnitId)
        .sort(),
    ).toEqual(['sc', 'sc-cd']);
  });

  it('the city takes it over and hands it back; the county cannot change it meanwhile', async () => {
    const id = own.jj!.incidents[0]!;
    const base = `/api/v1/security/incidents/${id}`;
    expect((await who.sl.send('POST', `${base}/take-over`)).status).toBe(404);
    const taken = await json<IncidentItem>(await who.cd.send('POST', `${base}/take-over`));
    expect(taken.handlerOrgUnitId).toBe('sc-cd');
    const refused = await who.jj.send('PATCH', base, { status: 'triaged' });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'security.incident_not_handler',
    );
    await json(await who.jj.send('POST', `${base}/comments`, { text: 'we isolated the host' }), 201);
    await json(await who.cd.send('PATCH', base, { status: 'triaged', assignee: 'sec-cd' }));
    const back = await json<IncidentItem>(
      await who.cd.send('POST', `${base}/hand-back`, { note: 'yours again' }),
    );
    expect(back.handlerOrgUnitId).toBe('sc-cd-jj');
    const bad = await who.jj.send('PATCH', base, { status: 'new' });
    expect(bad.status).toBe(409);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe(
      'security.transition_invalid',
    );
    await json(await who.jj.send('PATCH', base, { status: 'investigating' }));
    await json(await who.cd.send('PATCH', base, { status: 'resolved' }));
    const done = await json<{ status: string; timeToResolveSeconds: number | null }>(await who.jj.get(base));
    expect(done.status).toBe('resolved');
    expect(done.timeToResolveSeconds).not.toBeNull();
  });

  it('the province opens an incident for a county and assigns it down to another city’s county', async () => {
    const opened = await json<IncidentItem>(
      await who.sc.send('POST', '/api/v1/security/incidents', {
        title: 'Phishing wave across the extranet',
        severity: 'medium',
        orgUnitId: 'sc-cd-sl',
      }),
      201,
    );
    expect(await seenBy(opened.id)).toEqual(['sl', 'cd', 'sc']);
    // A county cannot assign down to its sibling; the province can move it anywhere below itself.
    expect(
      (
        await who.sl.send('POST', `/api/v1/security/incidents/${opened.id}/assign-down`, {
          orgUnitId: 'sc-cd-jj',
        })
      ).status,
    ).toBe(404);
    const moved = await json<IncidentItem>(
      await who.sc.send('POST', `/api/v1/security/incidents/${opened.id}/assign-down`, {
        orgUnitId: 'sc-my-fc',
        note: 'Fucheng’s mail relay',
      }),
    );
    expect(moved).toMatchObject({ orgUnitId: 'sc-my-fc', handlerOrgUnitId: 'sc-my-fc' });
    expect(await seenBy(opened.id)).toEqual(['my', 'sc']);
  });

  it('audits every change', async () => {
    const r = await t.cp.services.db.query<{ action: string; n: number }>(
      `SELECT action, count(*)::int AS n FROM audit_log WHERE action LIKE 'security.%' AND outcome = 'success'
       GROUP BY action ORDER BY action`,
    );
    const actions = Object.fromEntries(r.rows.map((x) => [x.action, x.n]));
    expect(actions).toMatchObject({
      'security.incident.escalate': 2,
      'security.incident.take-over': 1,
      'security.incident.hand-back': 1,
      'security.incident.assign-down': 1,
      'security.incident.create': 1,
      'security.suppression.create': 1,
      'security.suppression.delete': 1,
    });
  });
});
