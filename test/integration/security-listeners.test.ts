import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventListenerConfig } from '@tianshu/protocol';
import type { NormalisedEvent } from '@tianshu/protocol';
import { startEventReceiver } from '@tianshu/protocol/receiver';
import type { EventReceiver } from '@tianshu/protocol/receiver';
import { makeTestCertificates } from '../../protocol/src/events/testing/tls.js';

/**
 * The listeners with real senders on loopback: Debian's logger (UDP, TCP, RFC 5424 and 3164,
 * octet counting), rsyslogd (run as a child with its own config) forwarding over TCP and TLS, and
 * CEF from a Node client over UDP, TCP and TLS; malformed, oversized and dribbled lines. Every
 * port is picked free by the system.
 */
const run = promisify(execFile);
const certs = makeTestCertificates();

interface Listener {
  r: EventReceiver;
  events: NormalisedEvent[];
  port: number;
}
const listeners: Listener[] = [];

async function listen(over: Partial<EventListenerConfig>): Promise<Listener> {
  const events: NormalisedEvent[] = [];
  const r = await startEventReceiver(
    EventListenerConfig.parse({
      name: 'it',
      format: 'syslog',
      transport: 'tcp',
      bindAddress: '127.0.0.1',
      port: 0,
      ...over,
    }),
    { event: (e) => void events.push(e) },
    { maxLineBytes: 8192 },
  );
  const l = { r, events, port: r.address().port };
  listeners.push(l);
  return l;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A UDP port free now (bound by the system, then released for rsyslogd to bind). */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const tls = { certFile: certs.certFile, keyFile: certs.keyFile };
const tlsTrust = { ca: readFileSync(certs.caFile) };

afterAll(async () => {
  await Promise.all(listeners.map((l) => l.r.close()));
});

describe("Debian's logger", () => {
  it('sends RFC 5424 over UDP', async () => {
    const l = await listen({ transport: 'udp' });
    await run('logger', [
      '--udp',
      '-n',
      '127.0.0.1',
      '-P',
      String(l.port),
      '--rfc5424',
      '--msgid',
      'ID47',
      '--sd-id',
      'test@32473',
      '--sd-param',
      'k="v"',
      '-t',
      'sshd',
      'Failed password for root from 203.0.113.9 port 4444 ssh2',
    ]);
    await until(() => l.events.length === 1, 'the logger event');
    const e = l.events[0]!;
    expect(e.fields).toMatchObject({
      'log.syslog.version': '1',
      'log.syslog.msgid': 'ID47',
      'process.name': 'sshd',
      'log.syslog.structured_data.test@32473.k': 'v',
      'user.name': 'root',
      'source.ip': '203.0.113.9',
      'event.outcome': 'failure',
    });
    // logger stamps the time with microseconds and the offset; it is within the test's minute.
    expect(Math.abs(e.ts - Date.now())).toBeLessThan(600_000);
  });

  it('sends RFC 3164 over UDP and TCP, and RFC 5424 octet-counted over TCP', async () => {
    const u = await listen({ transport: 'udp' });
    const t = await listen({ transport: 'tcp', framing: 'auto' });
    await run('logger', [
      '--udp',
      '-n',
      '127.0.0.1',
      '-P',
      String(u.port),
      '--rfc3164',
      '-t',
      'app',
      'bsd over udp',
    ]);
    await run('logger', [
      '--tcp',
      '-n',
      '127.0.0.1',
      '-P',
      String(t.port),
      '--rfc3164',
      '-t',
      'app',
      'bsd over tcp',
    ]);
    await run('logger', [
      '--tcp',
      '-n',
      '127.0.0.1',
      '-P',
      String(t.port),
      '--rfc5424',
      '--octet-count',
      '-t',
      'app',
      'octet counted',
    ]);
    await until(() => u.events.length === 1 && t.events.length === 2, 'the logger events');
    expect(u.events[0]!.fields).toMatchObject({ message: 'bsd over udp', 'process.name': 'app' });
    expect(t.events.map((e) => e.fields.message).sort()).toEqual(['bsd over tcp', 'octet counted']);
    expect(t.r.stats()).toMatchObject({ received: 2, accepted: 2, rejected: {}, dropped: 0 });
  });
});

describe('rsyslogd forwarding', () => {
  let rsyslog: ChildProcess | undefined;
  let inPort = 0;
  let tcpL: Listener;
  let tlsL: Listener;

  beforeAll(async () => {
    tcpL = await listen({ transport: 'tcp', framing: 'octet-counting' });
    tlsL = await listen({ transport: 'tls', framing: 'auto', tls });
    inPort = await freeUdpPort();
    const dir = mkdtempSync(join(tmpdir(), 'rsyslog-'));
    const conf = join(dir, 'rsyslog.conf');
    writeFileSync(
      conf,
      `global(workDirectory="${dir}" maxMessageSize="64k" DefaultNetstreamDriverCAFile="${certs.caFile}")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="${inPort}" ruleset="fwd")
ruleset(name="fwd") {
  action(type="omfwd" target="127.0.0.1" port="${tcpL.port}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
  action(type="omfwd" target="127.0.0.1" port="${tlsL.port}" protocol="tcp" StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/certvalid" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
}
`,
    );
    rsyslog = spawn('/usr/sbin/rsyslogd', ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    rsyslog.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    rsyslog.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    rsyslog.on('exit', (code) => {
      if (code) console.error(`rsyslogd exited with ${code}: ${out}`);
    });
    // Ready once it answers: resend until the first message comes through (bounded by until()).
    const sender = createSocket('udp4');
    try {
      await until(() => {
        sender.send('<13>Dec  1 00:00:00 probe probe: ready', inPort, '127.0.0.1');
        return tcpL.events.length > 0 && tlsL.events.length > 0;
      }, `rsyslogd to forward (${out})`);
    } finally {
      sender.close();
    }
  });

  afterAll(() => {
    rsyslog?.kill('SIGTERM');
  });

  it('forwards over TCP (octet counted) and TLS, every line accepted on both', async () => {
    const before = [tcpL.events.length, tlsL.events.length];
    const n = 50;
    const sender = createSocket('udp4');
    for (let i = 0; i < n; i++)
      await new Promise<void>((r) =>
        sender.send(
          `<86>Dec  1 20:59:01 web1 sshd[42]: Accepted password for user${i} from 198.51.100.${i} port 2222 ssh2`,
          inPort,
          '127.0.0.1',
          () => r(),
        ),
      );
    sender.close();
    await until(
      () => tcpL.events.length - before[0]! >= n && tlsL.events.length - before[1]! >= n,
      'the forwarded lines',
    );
    for (const l of [tcpL, tlsL]) {
      const users = l.events.map((e) => e.fields['user.name']).filter((u) => typeof u === 'string');
      for (let i = 0; i < n; i++) expect(users).toContain(`user${i}`);
      expect(l.events.at(-1)!.fields).toMatchObject({
        'log.syslog.version': '1',
        'process.name': 'sshd',
        'event.outcome': 'success',
      });
      expect(l.r.stats()).toMatchObject({ rejected: {}, dropped: 0 });
    }
  });
});

describe('CEF from a Node client', () => {
  const cef = (i: number) =>
    `CEF:0|Tianshu|test|1.0|${i}|probe ${i}|5|src=10.0.0.${i} dst=192.0.2.1 dpt=443 proto=TCP act=blocked msg=probe number ${i}`;

  it('over UDP, TCP and TLS', async () => {
    const u = await listen({ transport: 'udp', format: 'cef' });
    const t = await listen({ transport: 'tcp', format: 'cef', framing: 'newline' });
    const s = await listen({ transport: 'tls', format: 'cef', tls });
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.send(`${cef(1)}\n${cef(2)}`, u.port, '127.0.0.1', () => r()));
    udp.close();
    const sock = connect(t.port, '127.0.0.1');
    sock.end(`${cef(3)}\n${cef(4)}\n`);
    const ts = tlsConnect({ port: s.port, host: '127.0.0.1', ...tlsTrust }, () =>
      ts.end(`${cef(5)}\n<134>Dec  1 20:00:00 fw ${cef(6)}\n`),
    );
    await until(
      () => u.events.length === 2 && t.events.length === 2 && s.events.length === 2,
      'the CEF events',
    );
    expect(u.events.map((e) => e.fields['source.ip'])).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(t.events[1]!.fields).toMatchObject({
      'event.action': 'blocked',
      message: 'probe number 4',
      'destination.port': 443,
    });
    expect(s.events[1]!.fields).toMatchObject({ 'host.hostname': 'fw', 'rule.id': '6' });
  });

  it('counts oversized, malformed and dribbled lines; loses nothing accepted', async () => {
    const t = await listen({ transport: 'tcp', format: 'cef', framing: 'newline' });
    const good = await new Promise<Socket>((res) => {
      const c = connect(t.port, '127.0.0.1', () => res(c));
    });
    const slow = await new Promise<Socket>((res) => {
      const c = connect(t.port, '127.0.0.1', () => res(c));
    });
    const dribble = `${cef(9)}\n`;
    // The slow sender dribbles its line byte by byte while the other sends a burst.
    const slowDone = (async () => {
      for (const ch of dribble) {
        await new Promise<void>((r) => slow.write(ch, () => r()));
        await new Promise((r) => setImmediate(r));
      }
      slow.end();
    })();
    const burst = [cef(10), `CEF:0|v|p|1|x|big|5|msg=${'x'.repeat(10_000)}`, 'this is not CEF', cef(11)];
    good.end(`${burst.join('\n')}\n`);
    await slowDone;
    await until(() => t.r.stats().received === 5 && t.r.stats().connectionsOpen === 0, 'every line');
    expect(t.events.map((e) => e.fields['rule.id']).sort()).toEqual(['10', '11', '9']);
    expect(t.r.stats()).toMatchObject({
      received: 5,
      accepted: 3,
      rejected: { 'line-too-long': 1, 'bad-cef': 1 },
      dropped: 0,
    });
  });
});
