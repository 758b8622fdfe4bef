import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  login,
  REPO,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../support/control-plane.js';
import { AGENT_CLI, assertBuilt, eventually, startProcess, type Proc } from '../support/process.js';

/*
 * Security event ingest end to end on a real control plane (PGlite + chDB, listening on a loopback
 * port the test picks): (a) a streamed NDJSON upload of genuine Suricata EVE records (the fixtures of
 * test/fixtures/security, sources in its README), larger than the 1 MiB API limit, with malformed and
 * oversized lines — counts, byType, errors, and the stored events searchable; (b) an edge agent
 * receiving syslog from Debian's `logger` over UDP and TCP and shipping it through the report
 * endpoint, visible in search with its source counters; (c) the control plane's own EVE listener
 * over TCP.
 */
const run = promisify(execFile);

let t: TestControlPlane;
let base: string;
let admin: Session;
let agent: Proc | undefined;
let syslogPort: number;
let evePort: number;

/** A port free now for TCP (and, with `udp`, UDP too) on 127.0.0.1. */
async function freePort(udp = false): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as { port: number }).port;
    await new Promise<void>((r) => s.close(() => r()));
    if (!udp) return port;
    const u = createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      u.once('error', () => r(false));
      u.bind(port, '127.0.0.1', () => r(true));
    });
    if (ok) {
      await new Promise<void>((r) => u.close(() => r()));
      return port;
    }
  }
  throw new Error('no free port');
}

/** The genuine EVE fixtures, one record a line, their timestamps moved to the last hour (else untouched). */
function genuineEve(): string[] {
  const lines: string[] = [];
  for (const f of ['eve-tenzir.ndjson', 'eve-suricata-docs.ndjson', 'eve-cdmcs-tls.ndjson']) {
    for (const l of readFileSync(join(REPO, 'test/fixtures/security', f), 'utf8').split('\n')) {
      if (l.trim() === '') continue;
      const ts = new Date(Date.now() - 30 * 60_000 + lines.length).toISOString().replace('Z', '+0000');
      const moved = l.replace(/"timestamp"\s*:\s*"[^"]+"/, `"timestamp":"${ts}"`);
      if (moved === l) throw new Error(`${f}: a record without a timestamp`);
      lines.push(moved);
    }
  }
  return lines;
}

function typeOf(line: string): string {
  return (JSON.parse(line) as { event_type: string }).event_type;
}

interface SearchPage {
  items: Array<{
    id: string;
    type: string;
    source: string;
    agentId: string;
    message: string;
    raw: string;
    orgUnitId: string;
    host: string;
  }>;
  nextCursor: string | null;
}

beforeAll(async () => {
  assertBuilt();
  syslogPort = await freePort(true);
  evePort = await freePort();
  t = await startTestControlPlane({
    listen: true,
    overrides: {
      security: { syslogPort, evePort, bindAddress: '127.0.0.1' },
      fleet: { heartbeatIntervalSeconds: 1, hostIntervalSeconds: 5, flushIntervalSeconds: 1 },
    },
  });
  base = t.cp.url;
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await t?.close();
});

describe('security event ingest', () => {
  it('(a) accepts a streamed NDJSON upload over 1 MiB of genuine EVE lines, rejecting malformed and oversized lines with their reason', async () => {
    const genuine = genuineEve();
    expect(genuine.length).toBeGreaterThanOrEqual(12);
    const lines: string[] = [];
    const expectedByType: Record<string, number> = {};
    const bad = new Map<number, string>();
    const oversized = JSON.stringify({
      timestamp: new Date().toISOString(),
      event_type: 'http',
      pad: 'x'.repeat(70_000),
    });
    let bytes = 0;
    for (let i = 0; bytes < 1.3 * 1024 * 1024; i++) {
      const broken: Record<number, [string, string]> = {
        5: ['{"timestamp": "2026-12-01T10:00:00Z", "event_type": ', 'not-json'],
        17: ['"a string"', 'not-an-object'],
        1000: [oversized, 'line-too-long'],
        2000: ['{"event_type":"dns","timestamp":"yesterday"}', 'bad-timestamp'],
      };
      let l = genuine[i % genuine.length]!;
      const b = broken[i];
      if (b) {
        l = b[0];
        bad.set(i + 1, b[1]);
      } else expectedByType[typeOf(l)] = (expectedByType[typeOf(l)] ?? 0) + 1;
      lines.push(l);
      bytes += Buffer.byteLength(l) + 1;
    }
    const body = Buffer.from(lines.join('\n') + '\n');
    expect(body.length).toBeGreaterThan(1024 * 1024);
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (offset >= body.length) return c.close();
        c.enqueue(body.subarray(offset, offset + 64 * 1024));
        offset += 64 * 1024;
      },
    });
    const res = await fetch(`${base}/api/v1/security/events?format=eve&source=eve-upload`, {
      method: 'POST',
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/x-ndjson' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    const r = (await res.json()) as {
      accepted: number;
      rejected: number;
      byType: Record<string, number>;
      errors: Array<{ line: number; reason: string }>;
      truncated: boolean;
    };
    expect(res.status, JSON.stringify(r).slice(0, 500)).toBe(200);
    const accepted = lines.length - bad.size;
    expect(r.accepted).toBe(accepted);
    expect(r.rejected).toBe(bad.size);
    expect(r.byType).toEqual(expectedByType);
    expect(Object.keys(r.byType).sort()).toEqual(
      ['alert', 'anomaly', 'dns', 'fileinfo', 'flow', 'http', 'mqtt', 'netflow', 'quic', 'tls'].sort(),
    );
    expect(r.errors.map((e) => [e.line, e.reason])).toEqual([...bad.entries()]);
    expect(r.truncated).toBe(false);

    // Stored and searchable.
    const stats = (await (await admin.get('/api/v1/security/events/stats?by=source')).json()) as {
      items: Array<{ key: string; count: number }>;
    };
    expect(stats.items.find((i) => i.key === 'eve-upload')?.count).toBe(accepted);
    const alerts = (await (
      await admin.get('/api/v1/security/events?source=eve-upload&q=type:alert&limit=500')
    ).json()) as SearchPage;
    expect(alerts.items.length).toBe(Math.min(500, expectedByType.alert!));
    const one = alerts.items[0]!;
    expect(one.raw).toContain('"signature_id":2017318');
    const byId = await admin.get(`/api/v1/security/events/${one.id}`);
    expect(byId.status).toBe(200);
    const dns = (await (
      await admin.get(`/api/v1/security/events?source=eve-upload&q=${encodeURIComponent('type:dns')}&limit=1`)
    ).json()) as SearchPage;
    expect(dns.items).toHaveLength(1);
    expect(dns.nextCursor).not.toBeNull();
    const sources = (await (await admin.get('/api/v1/security/sources')).json()) as {
      items: Array<{
        source: string;
        received: number;
        accepted: number;
        rejectedByReason: Record<string, number>;
      }>;
    };
    expect(sources.items.find((s) => s.source === 'eve-upload')).toMatchObject({
      received: lines.length,
      accepted,
      rejectedByReason: { 'not-json': 1, 'not-an-object': 1, 'line-too-long': 1, 'bad-timestamp': 1 },
    });
  }, 180_000);

  it("(b) an edge agent receives syslog from Debian's logger over UDP and TCP and ships it to search", async () => {
    const tok = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
      name: 'security-edge',
      orgUnitId: 'sc-cd-jj',
      roles: ['edge'],
    });
    expect(tok.status).toBe(201);
    const { token } = (await tok.json()) as { token: string };
    const stateDir = join(t.dataDir, 'edge-agent');
    const enrol = startProcess(
      [AGENT_CLI, 'enrol', '--server', base, '--token', token, '--state-dir', stateDir, '--roles', 'edge'],
      {},
      'enrol',
    );
    expect(await enrol.exited()).toBe(0);
    agent = startProcess(
      [AGENT_CLI, 'run', '--state-dir', stateDir, '--roles', 'edge'],
      { TIANSHU_AGENT_SERVER: base },
      'edge-agent',
    );
    await agent.waitFor(
      /security listener started[^\n]*embedded-syslog-udp|embedded-syslog-udp[^\n]*security listener started/,
      90_000,
    );
    await agent.waitFor(
      /security listener started[^\n]*embedded-syslog-tcp|embedded-syslog-tcp[^\n]*security listener started/,
      30_000,
    );

    const mark = randomUUID().slice(0, 8);
    const send = (args: string[], msg: string) =>
      run('logger', ['--server', '127.0.0.1', '--port', String(syslogPort), '--tag', 'sshd', ...args, msg]);
    await send(
      ['--udp', '--rfc5424'],
      `Failed password for invalid user u${mark} from 203.0.113.9 port 4242 ssh2`,
    );
    await send(['--udp', '--rfc3164'], `udp3164 ${mark} hello`);
    await send(['--tcp', '--rfc5424', '--octet-count'], `tcpoctet ${mark} hello`);
    await send(['--tcp', '--rfc5424'], `tcpnl ${mark} hello`);

    const page = await eventually(async () => {
      const p = (await (await admin.get(`/api/v1/security/events?q=${mark}&limit=10`)).json()) as SearchPage;
      return p.items.length >= 4 ? p : undefined;
    }, 60_000);
    expect(page.items.map((i) => i.message.split(' ')[0]).sort()).toEqual([
      'Failed',
      'tcpnl',
      'tcpoctet',
      'udp3164',
    ]);
    const agentId = page.items[0]!.agentId;
    expect(agentId).not.toBe('');
    expect(new Set(page.items.map((i) => i.source))).toEqual(
      new Set(['embedded-syslog-udp', 'embedded-syslog-tcp']),
    );
    // No address of a prefix in the message's fields: the agent's own unit.
    expect(new Set(page.items.map((i) => i.orgUnitId))).toEqual(new Set(['sc-cd-jj']));
    const ssh = (await (
      await admin.get(`/api/v1/security/events?q=${encodeURIComponent(`user:u${mark}`)}`)
    ).json()) as SearchPage;
    expect(ssh.items.map((i) => i.message.split(' ')[0])).toEqual(['Failed']);
    const sources = await eventually(async () => {
      const s = (await (await admin.get('/api/v1/security/sources')).json()) as {
        items: Array<{ source: string; agentId: string; transport: string; accepted: number }>;
      };
      const mine = s.items.filter((i) => i.agentId === agentId);
      return mine.reduce((a, b) => a + b.accepted, 0) >= 4 ? mine : undefined;
    }, 30_000);
    expect(new Set(sources.map((s) => s.transport))).toEqual(new Set(['udp', 'tcp']));
  }, 240_000);

  it("(c) the control plane's own EVE listener over TCP stores what it receives", async () => {
    expect(
      t.cp.services.modules
        .use((await import('../../control-plane/src/security/module.js')).securityRef)
        .events.listening(),
    ).toMatchObject({
      'embedded-eve-tcp': evePort,
    });
    const genuine = genuineEve();
    const sock = connect(evePort, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    await new Promise<void>((r) => sock.end(genuine.join('\n') + '\nnot json\n', () => r()));
    const stats = await eventually(async () => {
      const s = (await (await admin.get('/api/v1/security/sources')).json()) as {
        items: Array<{
          source: string;
          received: number;
          accepted: number;
          rejectedByReason: Record<string, number>;
        }>;
      };
      const l = s.items.find((i) => i.source === 'embedded-eve-tcp');
      return l && l.received >= genuine.length + 1 ? l : undefined;
    }, 30_000);
    expect(stats).toMatchObject({ accepted: genuine.length, rejectedByReason: { 'not-json': 1 } });
    const page = (await (
      await admin.get('/api/v1/security/events?source=embedded-eve-tcp&limit=100')
    ).json()) as SearchPage;
    expect(page.items).toHaveLength(genuine.length);
  }, 60_000);
});
