import { describe, expect, it } from 'vitest';
import { EVENT_FORMATS, EVENT_REJECT_REASONS, MAX_EVENT_FIELDS, NormalisedEvent } from '../security.js';
import type { EventFormat } from '../security.js';
import { parseEventLine } from './parse.js';
import { LineSplitter, OctetCountingSplitter } from './framing.js';

/**
 * Fuzz: 200,000 random and mutated lines of each format through parseEventLine, which must never
 * throw and must answer well-formed results (a sample checked against the wire schema, all
 * structurally). Deterministic (seeded), bounded in count; the test timeout bounds the time.
 */
const PER_FORMAT = 200_000;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

const SEEDS: Record<EventFormat, string[]> = {
  eve: [
    '{"timestamp":"2011-08-12T14:52:57.716360+0200","flow_id":1031464864740687,"event_type":"alert","src_ip":"147.32.84.165","src_port":1181,"dest_ip":"78.40.125.4","dest_port":6667,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2017318,"rev":4,"signature":"ET x","category":"c","severity":2,"metadata":{"mitre_technique_id":["T1046"]}},"flow":{"pkts_toserver":27,"bytes_toserver":2302,"start":"2011-08-12T14:47:24.357711+0200"}}',
    '{"timestamp":"2011-08-12T14:55:22.154618+0200","event_type":"dns","src_ip":"147.32.84.165","dns":{"version":2,"type":"answer","rrname":"a.b","answers":[{"rrname":"a.b","rrtype":"A","rdata":"1.2.3.4"}],"grouped":{"A":["1.2.3.4"]}}}',
    '{"timestamp":"2019-01-22T11:18:13.156816+0000","event_type":"tls","tls":{"sni":"x","version":"TLS 1.2","fingerprint":"bd:25","ja3":{"hash":"1f"},"notafter":"2019-03-22T12:00:00"},"http":{"url":"/a?b","status":"200"},"fileinfo":{"filename":"/x/y","size":3,"md5":"ab"}}',
  ],
  syslog: [
    "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed for lonvick on /dev/pts/8",
    '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Appl\\"ication" eventID="1011"][examplePriority@32473 class="high"] msg',
    '<38>Dec  1 20:59:01 web1 sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 52211 ssh2',
    '<86>Dec  1 20:59:01 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/cat /etc/shadow',
    '<134>Sep 19 08:26:10 fw01 CEF:0|Security|threatmanager|1.0|100|worm|10|src=10.0.0.1 dst=2.1.2.2 spt=1232',
  ],
  cef: [
    'CEF:0|Security|threatmanager|1.0|100|detected a \\| in message|10|src=10.0.0.1 act=blocked a \\= dst=1.1.1.1 cs1Label=Policy cs1=x rt=Sep 19 2026 08:26:10',
    'CEF:1|V|P|2|s|n|High|rt=1796158000000 proto=TCP dpt=22 duser=root request=https://x/a?b msg=a\\nb',
    '<134>Sep 19 08:26:10 fw01 CEF:0|Security|threatmanager|1.0|100|worm|10|src=10.0.0.1',
  ],
};

const ALPHABET = ' <>[]{}|\\="\':,.-0123456789TZabcdefCEFxyz\n\r\t\u0000\ud800\u00e9\u5929\uFEFF';

function mutate(seed: string, r: () => number): string {
  let s = seed;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (s.length + 1));
    const op = r();
    if (op < 0.3) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 8));
    else if (op < 0.6) s = s.slice(0, at) + ALPHABET[Math.floor(r() * ALPHABET.length)]! + s.slice(at);
    else if (op < 0.8)
      s = s.slice(0, at) + s.slice(Math.floor(r() * s.length), Math.floor(r() * s.length)) + s.slice(at);
    else s = s.slice(0, at);
  }
  return s;
}

function random(r: () => number): string {
  const len = Math.floor(r() * 120);
  let s = '';
  for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)]!;
  return s;
}

const REASONS = new Set<string>(EVENT_REJECT_REASONS);

describe('fuzz', () => {
  for (const format of EVENT_FORMATS) {
    it(
      `${PER_FORMAT} random and mutated ${format} lines: no throw, well-formed results`,
      { timeout: 300_000 },
      () => {
        const r = rng(0x5eed + format.length);
        const seeds = SEEDS[format];
        let accepted = 0;
        const reasons = new Map<string, number>();
        for (let i = 0; i < PER_FORMAT; i++) {
          const line = i % 4 === 0 ? random(r) : mutate(seeds[i % seeds.length]!, r);
          const res = parseEventLine(format, line, { receivedAt: 1_796_158_800_000, maxLineBytes: 4096 });
          if (res.ok) {
            accepted++;
            const e = res.event;
            if (
              typeof e.ts !== 'number' ||
              !Number.isInteger(e.ts) ||
              e.raw.length > 4096 ||
              Object.keys(e.fields).length > MAX_EVENT_FIELDS
            )
              throw new Error(`malformed event for ${JSON.stringify(line)}`);
            if (i % 97 === 0) {
              const v = NormalisedEvent.safeParse(e);
              if (!v.success)
                throw new Error(`schema refused the event for ${JSON.stringify(line)}: ${v.error.message}`);
            }
          } else {
            if (!REASONS.has(res.reason) || typeof res.message !== 'string' || res.message === '')
              throw new Error(`malformed rejection for ${JSON.stringify(line)}`);
            if (res.message.startsWith('internal parser error'))
              throw new Error(`parser threw on ${JSON.stringify(line)}: ${res.message}`);
            reasons.set(res.reason, (reasons.get(res.reason) ?? 0) + 1);
          }
        }
        // Both outcomes happen: the mutations are neither all fatal nor all harmless.
        expect(accepted).toBeGreaterThan(0);
        expect([...reasons.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      },
    );
  }

  it('framing: 20,000 random byte streams never throw and never buffer past the limit', () => {
    const r = rng(42);
    for (let i = 0; i < 20_000; i++) {
      const bytes = new Uint8Array(Math.floor(r() * 200));
      for (let j = 0; j < bytes.length; j++)
        bytes[j] =
          r() < 0.2
            ? 0x30 + Math.floor(r() * 10)
            : r() < 0.1
              ? 0x0a
              : r() < 0.1
                ? 0x20
                : Math.floor(r() * 256);
      const sink = {
        line: (b: Uint8Array) => {
          if (b.length > 32) throw new Error('frame past the limit');
        },
        reject: () => {},
      };
      for (const s of [new LineSplitter(32, sink), new OctetCountingSplitter(32, sink)]) {
        for (let at = 0; at < bytes.length;) {
          const n = 1 + Math.floor(r() * 40);
          s.push(bytes.subarray(at, at + n));
          at += n;
          if (s.buffered > 64) throw new Error('buffered past the limit');
        }
        s.end();
      }
    }
  });
});
