import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertInput, SecurityEventsPayload } from '@tianshu/protocol';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../../../../test/support/control-plane.js';
import { createLogger } from '../../logger.js';
import { securityRef, type SecurityModule } from '../module.js';
import type { AlertOrigin } from '../types.js';

/*
 * The events part through the HTTP API on PGlite and chDB: uploads and agent payloads stored and
 * attributed, searchable, and scoped on every route — a county analyst never sees another county's
 * events (404 by id, absent from lists, counts and sources).
 */
let t: TestControlPlane;
let admin: Session;
let jj: Session;
let sl: Session;
let city: Session;
let svc: SecurityModule;
const raised: Array<{ inputs: readonly AlertInput[]; origin: AlertOrigin }> = [];

const NOW = Date.now();
const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

/** A Suricata EVE alert line shaped like Suricata 7's output. */
function eveAlert(src: string, dst: string, sid: number, ms = NOW - 60_000): string {
  return JSON.stringify({
    timestamp: iso(ms),
    flow_id: 1_234_567,
    in_iface: 'eth0',
    event_type: 'alert',
    src_ip: src,
    src_port: 51_000,
    dest_ip: dst,
    dest_port: 22,
    proto: 'TCP',
    alert: {
      action: 'allowed',
      gid: 1,
      signature_id: sid,
      rev: 3,
      signature: 'ET SCAN Potential SSH Scan',
      category: 'Attempted Information Leak',
      severity: 2,
    },
  });
}

function eveDns(src: string, name: string, ms = NOW - 30_000): string {
  return JSON.stringify({
    timestamp: iso(ms),
    event_type: 'dns',
    src_ip: src,
    src_port: 53_000,
    dest_ip: '192.0.2.53',
    dest_port: 53,
    proto: 'UDP',
    dns: { type: 'query', id: 1, rrname: name, rrtype: 'A' },
  });
}

async function user(username: string, orgUnitId: string, role: string): Promise<Session> {
  const res = await admin.send('POST', '/api/v1/users', {
    username,
    displayName: username,
    password: 'a-long-password-1',
    roles: [role],
    orgUnitId,
  });
  expect(res.status).toBe(201);
  return login(t.request, username, 'a-long-password-1');
}

function upload(s: Session, format: string, body: string | ReadableStream<Uint8Array>, query = '') {
  return t.request(`/api/v1/security/events?format=${format}${query}`, {
    method: 'POST',
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'application/x-ndjson' },
    body,
    ...(typeof body === 'string' ? {} : { duplex: 'half' }),
  } as RequestInit);
}

interface Items {
  items: Array<{ id: string; orgUnitId: string; type: string; srcIp: string; dstIp: string; raw: string }>;
  nextCursor: string | null;
}

beforeAll(async () => {
  t = await startTestControlPlane({
    log: createLogger(process.env.TEST_LOG === 'error' ? 'error' : 'silent'),
  });
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
  svc = t.cp.services.modules.use(securityRef);
  const original = svc.alerts.raise.bind(svc.alerts);
  svc.alerts.raise = (inputs, origin) => {
    raised.push({ inputs, origin });
    return original(inputs, origin);
  };
  jj = await user('jj-analyst', 'sc-cd-jj', 'security-analyst');
  sl = await user('sl-analyst', 'sc-cd-sl', 'security-analyst');
  city = await user('cd-analyst', 'sc-cd', 'security-analyst');
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('security events API', () => {
  let jjIds: string[] = [];

  it('stores an upload, attributed by address within the caller’s subtree, and raises Suricata alerts', async () => {
    const body = [
      eveAlert('198.51.100.7', '127.0.17.5', 2_001_219), // attacks 锦江区
      eveDns('127.0.17.9', 'example.org'), // a 锦江区 client
      eveAlert('198.51.100.7', '127.0.18.5', 2_001_219), // 双流区's address: stays the caller's
      '{"not json',
      '[1,2]',
      '',
    ].join('\n');
    const res = await upload(jj, 'eve', body, '&source=jj-sensor');
    expect(res.status).toBe(200);
    const r = (await res.json()) as Record<string, unknown>;
    expect(r).toMatchObject({
      accepted: 3,
      rejected: 2,
      byType: { alert: 2, dns: 1 },
      outOfScope: 1,
      truncated: false,
    });
    expect((r.errors as Array<{ line: number; reason: string }>).map((e) => [e.line, e.reason])).toEqual([
      [4, 'not-json'],
      [5, 'not-an-object'],
    ]);
    const alerts = raised.flatMap((x) => x.inputs);
    expect(alerts.map((a) => a.reference)).toEqual(['suricata:2001219', 'suricata:2001219']);
    expect(alerts.every((a) => a.orgUnitId === 'sc-cd-jj')).toBe(true);
    expect(raised[0]!.origin.actor).toBe('jj-analyst');

    const list = (await (await jj.get('/api/v1/security/events?limit=10')).json()) as Items;
    expect(list.items).toHaveLength(3);
    expect(new Set(list.items.map((i) => i.orgUnitId))).toEqual(new Set(['sc-cd-jj']));
    jjIds = list.items.map((i) => i.id);
  });

  it('searches with the query syntax and pages by cursor', async () => {
    const dns = (await (await jj.get('/api/v1/security/events?q=type:dns')).json()) as Items;
    expect(dns.items.map((i) => i.type)).toEqual(['dns']);
    const text = (await (
      await jj.get(`/api/v1/security/events?q=${encodeURIComponent('"ssh scan" -dstIp:127.0.18.5')}`)
    ).json()) as Items;
    expect(text.items.map((i) => i.dstIp)).toEqual(['127.0.17.5']);
    const ecs = (await (await jj.get('/api/v1/security/events?q=rule.name:ET*')).json()) as Items;
    expect(ecs.items).toHaveLength(2);
    const p1 = (await (await jj.get('/api/v1/security/events?limit=2')).json()) as Items;
    expect(p1.items).toHaveLength(2);
    expect(p1.nextCursor).not.toBeNull();
    const p2 = (await (
      await jj.get(`/api/v1/security/events?limit=2&cursor=${p1.nextCursor}`)
    ).json()) as Items;
    expect(p2.items).toHaveLength(1);
    expect(p2.nextCursor).toBeNull();
    expect(new Set([...p1.items, ...p2.items].map((i) => i.id))).toEqual(new Set(jjIds));
    const bad = await jj.get('/api/v1/security/events?q=nosuch:1');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; message: string } }).error.message).toMatch(
      /unknown field/,
    );
  });

  it('keeps a county’s events from another county by every route', async () => {
    const id = jjIds[0]!;
    expect((await jj.get(`/api/v1/security/events/${id}`)).status).toBe(200);
    const other = await sl.get(`/api/v1/security/events/${id}`);
    expect(other.status).toBe(404);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('scope.not_found');
    expect((await sl.get(`/api/v1/security/events/${'0'.repeat(32)}`)).status).toBe(404);
    expect((await sl.get('/api/v1/security/events/not-an-id')).status).toBe(404);
    expect(((await (await sl.get('/api/v1/security/events')).json()) as Items).items).toEqual([]);
    expect(
      ((await (await sl.get(`/api/v1/security/events/by-ids?ids=${jjIds.join(',')}`)).json()) as Items).items,
    ).toEqual([]);
    expect((await sl.get('/api/v1/security/events?orgUnit=sc-cd-jj')).status).toBe(404);
    expect(
      ((await (await sl.get('/api/v1/security/events/stats?by=source')).json()) as { items: unknown[] })
        .items,
    ).toEqual([]);
    expect(((await (await sl.get('/api/v1/security/sources')).json()) as { items: unknown[] }).items).toEqual(
      [],
    );
    const ov = (await (await sl.get('/api/v1/overview')).json()) as {
      modules: { security?: { eventsLast24h?: number } };
    };
    expect(ov.modules.security?.eventsLast24h).toBe(0);
    // The city above sees them.
    expect((await city.get(`/api/v1/security/events/${id}`)).status).toBe(200);
    const byIds = (await (
      await city.get(`/api/v1/security/events/by-ids?ids=${jjIds.join(',')}`)
    ).json()) as Items;
    expect(byIds.items).toHaveLength(3);
    const stats = (await (await city.get('/api/v1/security/events/stats?by=orgUnit')).json()) as {
      items: Array<{ key: string; label: string; count: number }>;
    };
    expect(stats.items).toEqual([{ key: 'sc-cd-jj', label: '锦江区', count: 3 }]);
    const ovc = (await (await city.get('/api/v1/overview')).json()) as {
      modules: { security?: { eventsLast24h?: number } };
    };
    expect(ovc.modules.security?.eventsLast24h).toBe(3);
  });

  it('counts each source with rejections by reason', async () => {
    const s = (await (await jj.get('/api/v1/security/sources')).json()) as {
      items: Array<Record<string, unknown>>;
    };
    expect(s.items).toEqual([
      expect.objectContaining({
        source: 'jj-sensor',
        agentId: '',
        format: 'eve',
        transport: 'http',
        received: 5,
        accepted: 3,
        rejected: 2,
        rejectedByReason: { 'not-json': 1, 'not-an-object': 1 },
        dropped: 0,
        outOfScope: 1,
      }),
    ]);
  });

  it('needs security:write to upload and authentication for every route', async () => {
    const viewer = await user('jj-viewer', 'sc-cd-jj', 'network-operator');
    expect((await upload(viewer, 'eve', eveDns('127.0.17.9', 'x.org'))).status).toBe(403);
    for (const path of [
      '/api/v1/security/events',
      '/api/v1/security/sources',
      '/api/v1/security/events/stats',
    ]) {
      expect((await t.request(path)).status).toBe(401);
    }
    expect((await upload(jj, 'nope', 'x')).status).toBe(400);
  });

  it('streams a body past the 1 MiB API limit and stops at upload.maxBytes with 413, keeping what it accepted', async () => {
    const line = eveDns('127.0.17.9', 'big.example.org');
    const n = Math.ceil((1.5 * 1024 * 1024) / (line.length + 1));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= n) return c.close();
        const k = Math.min(500, n - sent);
        c.enqueue(new TextEncoder().encode(`${line}\n`.repeat(k)));
        sent += k;
      },
    });
    const res = await upload(jj, 'eve', stream, '&source=big');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: n, rejected: 0, byType: { dns: n } });

    const policy = svc.events.policy;
    const saved = policy.upload.maxBytes;
    policy.upload.maxBytes = 100 * (line.length + 1) + 10;
    try {
      const over = await upload(jj, 'eve', `${line}\n`.repeat(300), '&source=over');
      expect(over.status).toBe(413);
      const body = (await over.json()) as {
        accepted: number;
        truncated: boolean;
        error: { code: string; message: string };
      };
      expect(body).toMatchObject({ accepted: 100, truncated: true, error: { code: 'payload.too_large' } });
      expect(body.error.message).toMatch(/upload\.maxBytes/);
      const s = (await (await jj.get('/api/v1/security/events/stats?by=source')).json()) as {
        items: Array<{ key: string; count: number }>;
      };
      expect(s.items.find((i) => i.key === 'over')?.count).toBe(100);
    } finally {
      policy.upload.maxBytes = saved;
    }
  });
});

describe('security-events payloads of edge agents', () => {
  async function enrolEdge(orgUnitId: string) {
    const tok = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
      name: `edge ${orgUnitId}`,
      orgUnitId,
      roles: ['edge'],
    });
    const { token } = (await tok.json()) as { token: string };
    const res = await t.request('/api/v1/fleet/enrol', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, hostname: `edge-${randomUUID()}`, roles: ['edge'], version: '0.1.0' }),
    });
    const b = (await res.json()) as { agentId: string; credential: string };
    return { agentId: b.agentId, auth: `Bearer ${b.agentId}.${b.credential}` };
  }

  it('stores them once per batch (a replay changes nothing), attributed, with the source counters', async () => {
    const agent = await enrolEdge('sc-cd-sl');
    const ts = NOW - 120_000;
    const p: SecurityEventsPayload = {
      kind: 'security-events',
      source: 'syslog-udp',
      format: 'syslog',
      transport: 'udp',
      events: [
        {
          ts,
          format: 'syslog',
          type: 'syslog',
          fields: {
            message: 'Failed password for root from 203.0.113.9 port 4242 ssh2',
            'source.ip': '203.0.113.9',
            'host.hostname': 'sl-web',
            'user.name': 'root',
          },
          raw: '<38>Dec  1 10:00:00 sl-web sshd[1]: Failed password for root from 203.0.113.9 port 4242 ssh2',
        },
        {
          ts: ts + 1,
          format: 'syslog',
          type: 'syslog',
          fields: { message: 'hello', 'source.ip': '127.0.18.20' },
          raw: '<14>Dec  1 10:00:00 sl-web app: hello',
        },
      ],
      stats: { received: 4, accepted: 2, rejected: { 'bad-syslog': 1 }, dropped: 1 },
    };
    const batchId = randomUUID();
    const send = () =>
      t.request(`/api/v1/agents/${agent.agentId}/reports`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: agent.auth },
        body: JSON.stringify({ batchId, sequence: 1, createdAt: new Date().toISOString(), payloads: [p] }),
      });
    expect((await send()).status).toBeLessThan(300);
    expect((await send()).status).toBeLessThan(300);
    const list = (await (await sl.get('/api/v1/security/events?source=syslog-udp')).json()) as {
      items: Array<Items['items'][number] & { user: string; host: string; agentId: string }>;
    };
    expect(list.items).toHaveLength(2);
    expect(list.items.every((i) => i.orgUnitId === 'sc-cd-sl' && i.agentId === agent.agentId)).toBe(true);
    expect(list.items.find((i) => i.srcIp === '203.0.113.9')).toMatchObject({ user: 'root', host: 'sl-web' });
    expect(
      ((await (await jj.get('/api/v1/security/events?source=syslog-udp')).json()) as Items).items,
    ).toEqual([]);
    const s = (await (await sl.get('/api/v1/security/sources')).json()) as {
      items: Array<Record<string, unknown>>;
    };
    expect(s.items).toEqual([
      expect.objectContaining({
        source: 'syslog-udp',
        agentId: agent.agentId,
        transport: 'udp',
        received: 4,
        accepted: 2,
        rejected: 1,
        rejectedByReason: { 'bad-syslog': 1 },
        dropped: 1,
      }),
    ]);
  });

  it('gives edge agents the security section of matching collectors', async () => {
    const agent = await enrolEdge('sc-cd-jj');
    const principal = {
      agentId: agent.agentId,
      hostname: 'h',
      orgUnitId: 'sc-cd-jj',
      orgUnitPath: '/sc/sc-cd/sc-cd-jj/',
      roles: ['edge'],
    };
    expect(await svc.events.agentConfig(principal)).toBeUndefined();
    const policy = svc.events.policy;
    policy.collectors.push({
      name: 'chengdu',
      match: { orgUnits: ['sc-cd'], agents: [] },
      listeners: [
        {
          name: 'syslog',
          format: 'syslog',
          transport: 'udp',
          bindAddress: '0.0.0.0',
          port: 5514,
          framing: 'auto',
          allowedSources: [],
        },
      ],
      files: [{ name: 'eve', format: 'eve', path: '/var/log/suricata/eve.json', startAt: 'end' }],
    });
    try {
      const c = (await svc.events.agentConfig(principal)) as {
        security: { listeners: unknown[]; files: unknown[] };
      };
      expect(c.security.listeners).toHaveLength(1);
      expect(c.security.files).toHaveLength(1);
      expect(
        await svc.events.agentConfig({ ...principal, orgUnitId: 'sc-my', orgUnitPath: '/sc/sc-my/' }),
      ).toBeUndefined();
      expect(await svc.events.agentConfig({ ...principal, roles: ['host'] })).toBeUndefined();
    } finally {
      policy.collectors.pop();
    }
  });

  it('applies the retention of the policy to both tables', async () => {
    const policy = svc.events.policy;
    policy.retentionDays = 200;
    try {
      await svc.events.reconcileRetention();
      const rows = await t.cp.services.telemetry.query<{ engine_full: string }>(
        "SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name IN ('security_events', 'security_source_stats')",
      );
      expect(rows).toHaveLength(2);
      for (const r of rows) expect(r.engine_full).toContain('toIntervalDay(200)');
    } finally {
      policy.retentionDays = 180;
    }
  });
});
