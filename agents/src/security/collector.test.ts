import { createSocket } from 'node:dgram';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecurityCollectorConfig, SecurityEventsPayload } from '@tianshu/protocol';
import { SecurityCollector } from './collector.js';

/** A fake transport beside the real sockets: the payloads the collector hands on. */
const collectors: SecurityCollector[] = [];
afterEach(async () => {
  await Promise.all(collectors.splice(0).map((c) => c.stop()));
});

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function make(opts: { pressure?: () => boolean; maxPendingEvents?: number } = {}) {
  const payloads: SecurityEventsPayload[] = [];
  const c = new SecurityCollector({
    stateDir: mkdtempSync(join(tmpdir(), 'sec-')),
    report: (p) => {
      // Every payload is what the wire schema accepts.
      payloads.push(SecurityEventsPayload.parse(p));
    },
    flushMillis: 20,
    tailPollMillis: 10,
    ...(opts.pressure ? { queuePressure: opts.pressure } : {}),
    ...(opts.maxPendingEvents ? { maxPendingEvents: opts.maxPendingEvents } : {}),
  });
  collectors.push(c);
  const total = (source: string) => {
    const ps = payloads.filter((p) => p.source === source);
    return {
      events: ps.reduce((n, p) => n + p.events.length, 0),
      received: ps.reduce((n, p) => n + p.stats.received, 0),
      accepted: ps.reduce((n, p) => n + p.stats.accepted, 0),
      dropped: ps.reduce((n, p) => n + p.stats.dropped, 0),
      rejected: ps.reduce((n, p) => n + Object.values(p.stats.rejected).reduce((a, b) => a + (b ?? 0), 0), 0),
    };
  };
  return { c, payloads, total };
}

const config = (over: Partial<SecurityCollectorConfig>): SecurityCollectorConfig =>
  SecurityCollectorConfig.parse({ enabled: true, listeners: [], files: [], maxLineBytes: 4096, ...over });
const udp = (name: string, port = 0) => ({
  name,
  format: 'syslog',
  transport: 'udp',
  bindAddress: '127.0.0.1',
  port,
});
const tcp = (name: string, port = 0) => ({
  name,
  format: 'cef',
  transport: 'tcp',
  bindAddress: '127.0.0.1',
  port,
  framing: 'newline',
});

function sendUdp(port: number, lines: string[]): Promise<void> {
  const s = createSocket('udp4');
  return Promise.all(
    lines.map((l) => new Promise<void>((r) => s.send(l, port, '127.0.0.1', () => r()))),
  ).then(() => void s.close());
}

function sendTcp(port: number, data: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(data));
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}

describe('SecurityCollector', () => {
  it('batches each source into security-events payloads with its counters', async () => {
    const { c, payloads, total } = make();
    c.apply(config({ listeners: [udp('fw') as never] }));
    await c.ready();
    const port = c.listenerAddress('fw')!.port;
    await sendUdp(port, ['<13>Dec  1 20:00:00 h app: a', '<13>Dec  1 20:00:00 h app: b', '<13>1 bad']);
    await until(() => total('fw').received === 3, 'three lines counted');
    expect(total('fw')).toEqual({ events: 2, received: 3, accepted: 2, dropped: 0, rejected: 1 });
    expect(payloads[0]).toMatchObject({
      kind: 'security-events',
      source: 'fw',
      format: 'syslog',
      transport: 'udp',
    });
  });

  it('cuts payloads at 5000 events', async () => {
    const { c, payloads, total } = make();
    c.apply(config({ listeners: [tcp('cef') as never] }));
    await c.ready();
    const lines = Array.from({ length: 6001 }, (_, i) => `CEF:0|v|p|1|${i}|n|3|src=10.0.0.1`).join('\n');
    await sendTcp(c.listenerAddress('cef')!.port, `${lines}\n`);
    await until(() => total('cef').events === 6001, 'every event');
    expect(Math.max(...payloads.map((p) => p.events.length))).toBeLessThanOrEqual(5000);
    expect(total('cef')).toMatchObject({ received: 6001, accepted: 6001 });
  });

  it('follows a new config: added, removed and changed listeners, nothing accepted lost', async () => {
    const { c, total } = make();
    c.apply(config({ listeners: [udp('a') as never, tcp('b') as never] }));
    await c.ready();
    const a = c.listenerAddress('a')!.port;
    await sendUdp(a, ['<13>Dec  1 20:00:00 h app: before']);
    await until(() => total('a').events === 1, 'the first event');
    // b removed, a moved to another port (changed), c added.
    c.apply(config({ listeners: [udp('a', 0) as never, { ...udp('c'), format: 'cef' } as never] }));
    await sendUdp(a, ['<13>Dec  1 20:00:00 h app: racing the restart']);
    await c.ready();
    await until(
      () => c.listenerAddress('a') !== undefined && c.listenerAddress('c') !== undefined,
      'the new listeners',
    );
    expect(c.listenerAddress('b')).toBeUndefined();
    await sendUdp(c.listenerAddress('a')!.port, ['<13>Dec  1 20:00:00 h app: after']);
    await sendUdp(c.listenerAddress('c')!.port, ['CEF:0|v|p|1|1|n|3|']);
    await until(() => total('c').events === 1 && total('a').received >= 2, 'events on the new listeners');
    // Whatever a received was accepted and sent (the racing datagram may have reached neither socket).
    expect(total('a').events).toBe(total('a').accepted);
    expect(
      c
        .stats()
        .listeners.map((l) => l.name)
        .sort(),
    ).toEqual(['a', 'c']);
  });

  it('holds events while the queue is under pressure and drops (counted) beyond its cap', async () => {
    let pressure = true;
    const { c, payloads, total } = make({ pressure: () => pressure, maxPendingEvents: 3 });
    c.apply(config({ listeners: [udp('fw') as never] }));
    await c.ready();
    await sendUdp(
      c.listenerAddress('fw')!.port,
      ['1', '2', '3', '4', '5'].map((x) => `<13>Dec  1 20:00:00 h app: ${x}`),
    );
    await until(() => c.stats().received === 5, 'five lines');
    await new Promise((r) => setTimeout(r, 60));
    expect(payloads).toEqual([]);
    pressure = false;
    await until(() => total('fw').received === 5, 'the held events sent');
    expect(total('fw')).toEqual({ events: 3, received: 5, accepted: 3, dropped: 2, rejected: 0 });
  });

  it('tails an EVE file into file payloads and keeps its position', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eve-'));
    const path = join(dir, 'eve.json');
    writeFileSync(path, '');
    const { c, payloads, total } = make();
    c.apply(config({ files: [{ name: 'suricata', format: 'eve', path, startAt: 'beginning' }] }));
    appendFileSync(
      path,
      '{"timestamp":"2011-08-12T14:55:22.154618+0200","event_type":"dns","src_ip":"147.32.84.165","dns":{"type":"query","rrname":"irc.freenode.net"}}\nnot json\n',
    );
    await until(() => total('suricata').received === 2, 'two lines');
    expect(total('suricata')).toMatchObject({ events: 1, rejected: 1 });
    expect(payloads[0]).toMatchObject({ transport: 'file', format: 'eve' });
    expect(payloads[0]!.events[0]!.fields['dns.question.name']).toBe('irc.freenode.net');
    // Disabled: the file is no longer followed.
    c.apply(config({ enabled: false }));
    await until(() => c.stats().files.length === 0, 'the tailer stopped');
  });

  it('reports a listener that cannot start, and keeps the others', async () => {
    const { c } = make();
    c.apply(
      config({ listeners: [{ ...udp('bad'), bindAddress: '192.0.2.1' } as never, udp('good') as never] }),
    );
    await c.ready();
    expect(c.listenerAddress('good')).toBeDefined();
    expect(c.stats().listeners.find((l) => l.name === 'bad')?.error).toMatch(/EADDRNOTAVAIL|bind/);
  });
});
