import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { EventListenerConfig } from '../security.js';
import type { NormalisedEvent } from '../security.js';
import { startEventReceiver } from './receiver.js';
import type { EventReceiver } from './receiver.js';
import { makeTestCertificates } from './testing/tls.js';

const receivers: EventReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function start(
  over: Partial<EventListenerConfig>,
  options: Parameters<typeof startEventReceiver>[2] = {},
) {
  const events: NormalisedEvent[] = [];
  const rejects: (string | undefined)[] = [];
  let accept = true;
  const config = EventListenerConfig.parse({
    name: 'test',
    format: 'syslog',
    transport: 'tcp',
    bindAddress: '127.0.0.1',
    port: 0,
    ...over,
  });
  const r = await startEventReceiver(
    config,
    {
      event: (e) => {
        if (!accept) return false;
        events.push(e);
      },
      rejected: (reason) => rejects.push(reason),
    },
    { maxLineBytes: 1024, ...options },
  );
  receivers.push(r);
  return { r, events, rejects, port: r.address().port, refuse: () => (accept = false) };
}

/** Polls until `cond` holds (bounded: 10 s, then the test fails with what was seen). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const tcp = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
const write = (s: Socket, data: string | Buffer) => new Promise<void>((r) => s.write(data, () => r()));

describe('UDP', () => {
  it('takes one message per datagram, or several separated by newlines; refuses oversized ones', async () => {
    const { r, events, rejects, port } = await start({ transport: 'udp' });
    const client = createSocket('udp4');
    const send = (m: string | Buffer) =>
      new Promise<void>((res) => client.send(m, port, '127.0.0.1', () => res()));
    await send('<13>Dec  1 20:00:00 h app: one');
    await send('<13>Dec  1 20:00:00 h app: two\n<13>Dec  1 20:00:00 h app: three\n');
    await send(`<13>Dec  1 20:00:00 h app: ${'x'.repeat(2000)}`);
    await send('<13>1 2003-10-11T22:14:15Z h app - - [bad');
    await until(() => r.stats().received === 5, 'five messages');
    client.close();
    expect(events.map((e) => e.fields.message)).toEqual(['one', 'two', 'three']);
    expect(rejects.sort()).toEqual(['bad-syslog', 'line-too-long']);
    expect(r.takeStats()).toEqual({
      received: 5,
      accepted: 3,
      rejected: { 'line-too-long': 1, 'bad-syslog': 1 },
      dropped: 0,
    });
    // Deltas: nothing new since.
    expect(r.takeStats()).toEqual({ received: 0, accepted: 0, rejected: {}, dropped: 0 });
  });

  it('drops (counted) datagrams from senders outside allowedSources', async () => {
    const { r, events, port } = await start({
      transport: 'udp',
      allowedSources: ['10.0.0.0/8', '::ffff:192.0.2.0/120'],
    });
    const client = createSocket('udp4');
    await new Promise<void>((res) => client.send('<13>x', port, '127.0.0.1', () => res()));
    await until(() => r.stats().dropped === 1, 'the drop');
    client.close();
    expect(events).toEqual([]);
    expect(r.stats().droppedBy).toEqual({ 'not-allowed': 1 });
  });
});

describe('TCP', () => {
  it('reads newline and octet-counted connections side by side (auto framing)', async () => {
    const { r, events, port } = await start({});
    const a = await tcp(port);
    const b = await tcp(port);
    const m = '<13>1 2026-12-01T20:00:00Z h app - - - octet\nwith newline';
    await write(b, `${Buffer.byteLength(m)} ${m}`);
    await write(a, '<13>Dec  1 20:00:00 h app: newline one\n<13>Dec  1 20:00:00 h app: newline two\n');
    await until(() => events.length === 3, 'three events');
    expect(events.map((e) => e.fields.message).sort()).toEqual([
      'newline one',
      'newline two',
      'octet\nwith newline',
    ]);
    a.end();
    b.end();
    await until(() => r.stats().connectionsOpen === 0, 'connections closed');
    expect(r.stats().connections).toBe(2);
  });

  it('a slow sender dribbling bytes holds up nobody, and its line counts once complete', async () => {
    const { r, events, port } = await start({ framing: 'newline' });
    const slow = await tcp(port);
    const fast = await tcp(port);
    const line = '<13>Dec  1 20:00:00 h app: slow line\n';
    for (const ch of line.slice(0, 20)) await write(slow, ch);
    await write(fast, '<13>Dec  1 20:00:00 h app: fast line\n');
    await until(() => events.length === 1, 'the fast line');
    expect(events[0]!.fields.message).toBe('fast line');
    expect(r.stats().received).toBe(1);
    for (const ch of line.slice(20)) await write(slow, ch);
    await until(() => events.length === 2, 'the slow line');
    expect(events[1]!.fields.message).toBe('slow line');
    expect(r.stats().received).toBe(2);
    slow.destroy();
    fast.destroy();
  });

  it('skips an over-long line (counted once) and a malformed line, keeping the others', async () => {
    const { r, events, port } = await start({ format: 'cef', framing: 'newline' });
    const s = await tcp(port);
    await write(
      s,
      `CEF:0|v|p|1|1|first|3|src=10.0.0.1\nCEF:0|v|p|1|2|big|3|msg=${'y'.repeat(5000)}\nnot cef\nCEF:0|v|p|1|3|last|3|\n`,
    );
    await until(() => r.stats().received === 4, 'four lines');
    expect(events.map((e) => e.fields['rule.name'])).toEqual(['first', 'last']);
    expect(r.stats().rejected).toEqual({ 'line-too-long': 1, 'bad-cef': 1 });
    s.destroy();
  });

  it('delivers a last line without newline when the sender closes; drops a partial one at shutdown', async () => {
    const { r, events, port } = await start({ framing: 'newline' });
    const s = await tcp(port);
    await write(s, '<13>Dec  1 20:00:00 h app: no newline');
    s.end();
    await until(() => events.length === 1, 'the last line');
    const t = await tcp(port);
    await write(t, '<13>Dec  1 20:00:00 h app: cut');
    await until(() => r.stats().bytes === 37 + 30, 'the partial line received');
    await r.close();
    expect(r.stats().droppedBy).toEqual({ shutdown: 1 });
    expect(events).toHaveLength(1);
  });

  it('refuses connections beyond maxConnections and counts events the consumer cannot take', async () => {
    const { r, events, port, refuse } = await start({ framing: 'newline' }, { maxConnections: 1 });
    const a = await tcp(port);
    await until(() => r.stats().connectionsOpen === 1, 'the first connection');
    const b = await tcp(port);
    await until(() => r.stats().droppedBy['connection-limit'] === 1, 'the refusal');
    b.destroy();
    refuse();
    await write(a, '<13>Dec  1 20:00:00 h app: x\n');
    await until(() => r.stats().dropped === 2, 'the consumer drop');
    expect(events).toEqual([]);
    expect(r.stats()).toMatchObject({
      received: 1,
      accepted: 0,
      droppedBy: { 'connection-limit': 1, 'consumer-full': 1 },
    });
    a.destroy();
  });

  it('closes an octet-counted stream that loses its framing (counted)', async () => {
    const { r, port } = await start({ framing: 'octet-counting' });
    const s = await tcp(port);
    const closed = new Promise((res) => s.on('close', res));
    await write(s, '5 hello garbage');
    await closed;
    expect(r.stats()).toMatchObject({ accepted: 1, rejected: { 'bad-framing': 1 } });
  });
});

describe('TLS', () => {
  it('reads octet-counted syslog over TLS; with a CA, refuses senders without a certificate', async () => {
    const certs = makeTestCertificates();
    const { r, events, port } = await start({
      transport: 'tls',
      tls: { certFile: certs.certFile, keyFile: certs.keyFile },
    });
    const ca = readFileSync(certs.caFile);
    const s = tlsConnect({ port, host: '127.0.0.1', ca });
    await new Promise((res) => s.once('secureConnect', res));
    const m = 'CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1';
    s.write(`${Buffer.byteLength(m)} ${m}`);
    await until(() => events.length === 1, 'the TLS event');
    expect(events[0]!.type).toBe('cef');
    s.destroy();

    const mutual = await start({
      transport: 'tls',
      tls: { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile },
    });
    const t = tlsConnect({ port: mutual.port, host: '127.0.0.1', ca });
    await new Promise((res) => {
      t.on('error', res);
      t.on('close', res);
    });
    await until(() => mutual.r.stats().dropped === 1, 'the refused handshake');
    expect(mutual.events).toEqual([]);
    expect(r.stats().rejected).toEqual({});
  });

  it('fails to start with the reason when the TLS files are missing', async () => {
    await expect(
      startEventReceiver(
        EventListenerConfig.parse({
          name: 'x',
          format: 'syslog',
          transport: 'tls',
          bindAddress: '127.0.0.1',
          port: 0,
          tls: { certFile: '/nonexistent.pem', keyFile: '/nonexistent.key' },
        }),
        { event: () => {} },
      ),
    ).rejects.toThrow(/cannot read its TLS files/);
  });
});
