import { describe, expect, it } from 'vitest';
import { AlertInput } from '@tianshu/protocol';
import { InventorySnapshot } from '../../flows/enrich.js';
import { parsePolicy, PolicyError } from '../../policies/index.js';
import { InputError } from '../../errors.js';
import { SECURITY_POLICY } from '../module.js';
import type { StoredEvent } from '../types.js';
import { OrgAttributor, attributionAddresses } from './attribution.js';
import { eventId, eventTsvRow, idTime, payloadStem, severityOf, suricataAlerts } from './encode.js';
import { readLines, type BodyLine } from './lines.js';
import { DEFAULT_SECURITY_POLICY, RETENTION_REFUSAL } from './policy.js';
import { parseEventQuery, QUERY_MAX_TERMS } from './query.js';

describe('security policy', () => {
  it('defaults to 180 days, a 10 GiB upload limit and no collectors', () => {
    expect(DEFAULT_SECURITY_POLICY.retentionDays).toBe(180);
    expect(DEFAULT_SECURITY_POLICY.upload.maxBytes).toBe(10 * 1024 ** 3);
    expect(DEFAULT_SECURITY_POLICY.collectors).toEqual([]);
    expect(parsePolicy(SECURITY_POLICY, 'retentionDays: 400\n').retentionDays).toBe(400);
  });

  it('refuses a retention below 180 days with the reason', () => {
    let err: unknown;
    try {
      parsePolicy(SECURITY_POLICY, 'retentionDays: 90\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as Error).message).toContain(RETENTION_REFUSAL);
    expect((err as Error).message).toContain('retentionDays');
    expect(RETENTION_REFUSAL).toBe('network logs are kept at least 180 days (Cybersecurity Law art. 21)');
  });

  it('reads collectors with selectors, listeners and files; refuses a duplicate source name', () => {
    const p = parsePolicy(
      SECURITY_POLICY,
      `collectors:
  - name: jj
    match: { orgUnits: [sc-cd-jj] }
    listeners:
      - { name: syslog, format: syslog, transport: udp, bindAddress: 0.0.0.0, port: 514 }
    files:
      - { name: eve, format: eve, path: /var/log/suricata/eve.json }
`,
    );
    expect(p.collectors[0]!.listeners[0]!.framing).toBe('auto');
    expect(p.collectors[0]!.files[0]!.startAt).toBe('end');
    expect(() =>
      parsePolicy(
        SECURITY_POLICY,
        `collectors:
  - name: x
    listeners:
      - { name: a, format: syslog, transport: udp, bindAddress: 0.0.0.0, port: 514 }
    files:
      - { name: a, format: eve, path: /x }
`,
      ),
    ).toThrow(/source name "a" twice/);
    expect(() => parsePolicy(SECURITY_POLICY, 'upload: { maxBytes: 10 }\n')).toThrow(/upload\.maxBytes/);
  });
});

/** The demo province's shape: province, city, two counties, with their prefixes. */
function snapshot(): InventorySnapshot {
  const s = new InventorySnapshot('test');
  const units = [
    { id: 'sc', name: '四川省', path: '/sc/' },
    { id: 'sc-cd', name: '成都市', path: '/sc/sc-cd/' },
    { id: 'sc-cd-jj', name: '锦江区', path: '/sc/sc-cd/sc-cd-jj/' },
    { id: 'sc-cd-sl', name: '双流区', path: '/sc/sc-cd/sc-cd-sl/' },
  ];
  for (const u of units) {
    s.units.push(u);
    s.unitsById.set(u.id, u);
  }
  s.trie.add('10.0.0.0/8', 0);
  s.trie.add('10.1.0.0/16', 1);
  s.trie.add('10.1.1.0/24', 2);
  s.trie.add('10.1.2.0/24', 3);
  s.trie.add('2001:db8:1:1::/64', 2);
  return s;
}

function attributor(): OrgAttributor {
  const s = snapshot();
  const a = new OrgAttributor({ db: undefined as never }, () => Promise.resolve(s));
  a.use(s);
  return a;
}

const jj = { orgUnitId: 'sc-cd-jj', orgUnitPath: '/sc/sc-cd/sc-cd-jj/' };
const city = { orgUnitId: 'sc-cd', orgUnitPath: '/sc/sc-cd/' };

describe('attribution', () => {
  it('finds the org unit by longest prefix, IPv4 and IPv6', () => {
    const a = attributor();
    expect(a.byAddress('10.1.1.7')).toEqual({ orgUnitId: 'sc-cd-jj', orgPath: '/sc/sc-cd/sc-cd-jj/' });
    expect(a.byAddress('10.1.9.9')?.orgUnitId).toBe('sc-cd');
    expect(a.byAddress('10.200.0.1')?.orgUnitId).toBe('sc');
    expect(a.byAddress('2001:db8:1:1::42')?.orgUnitId).toBe('sc-cd-jj');
    expect(a.byAddress('192.0.2.1')).toBeUndefined();
    expect(a.byAddress('not an address')).toBeUndefined();
    expect(a.byAddress('')).toBeUndefined();
  });

  it('uses the attacked address first for alerts, the source for other events', () => {
    const f = { 'source.ip': '198.51.100.7', 'destination.ip': '10.1.1.5' };
    expect(attributionAddresses('alert', f)).toEqual(['10.1.1.5', '198.51.100.7']);
    expect(attributionAddresses('dns', f)).toEqual(['198.51.100.7', '10.1.1.5']);
    const a = attributor();
    // An internet source: the destination's unit.
    expect(a.attribute(attributionAddresses('dns', f), city)).toEqual({
      orgUnitId: 'sc-cd-jj',
      orgPath: '/sc/sc-cd/sc-cd-jj/',
      outOfScope: false,
    });
    // An alert between two counties goes to the attacked one.
    const g = { 'source.ip': '10.1.2.9', 'destination.ip': '10.1.1.5' };
    expect(a.attribute(attributionAddresses('alert', g), city).orgUnitId).toBe('sc-cd-jj');
  });

  it('falls back to the sender and never attributes outside its subtree (counted)', () => {
    const a = attributor();
    expect(a.attribute(['192.0.2.1', ''], jj)).toEqual({ ...pathOf(jj), outOfScope: false });
    // 双流区's address sent by 锦江区: stays 锦江区's, marked out of scope.
    expect(a.attribute(['10.1.2.9'], jj)).toEqual({ ...pathOf(jj), outOfScope: true });
    // An address of the city (above the sender) is not the county's either.
    expect(a.attribute(['10.1.9.9'], jj)).toEqual({ ...pathOf(jj), outOfScope: true });
    // The city may attribute to its counties.
    expect(a.attribute(['10.1.2.9'], city).orgUnitId).toBe('sc-cd-sl');
  });
});

function pathOf(s: { orgUnitId: string; orgUnitPath: string }) {
  return { orgUnitId: s.orgUnitId, orgPath: s.orgUnitPath };
}

describe('event query syntax', () => {
  it('parses free text, fields, quotes, prefixes and negation into parameters', () => {
    const r = parseEventQuery(
      'sshd ip:10.1.1.5 -type:dns "failed password" rule:ET* dstPort:22 severity:high',
    );
    expect(r.where).toHaveLength(7);
    expect(Object.values(r.params)).toEqual(['sshd', '10.1.1.5', 'dns', 'failed password', 'ET', 22, 3]);
    expect(r.where[0]).toContain('positionCaseInsensitiveUTF8(message, {q0:String})');
    expect(r.where[1]).toBe('(src_ip = {q1:String} OR dst_ip = {q1:String})');
    expect(r.where[2]).toBe('(NOT (type = {q2:String}))');
    expect(r.where[4]).toBe('(startsWith(rule, {q4:String}))');
    expect(r.where[5]).toBe('(dst_port = {q5:UInt16})');
  });

  it('reads dotted ECS fields from the stored fields', () => {
    const r = parseEventQuery('dns.question.name:"example.org" event.category:network');
    expect(r.params).toEqual({
      q0: 'dns.question.name',
      q1: 'example.org',
      q2: 'event.category',
      q3: 'network',
    });
    expect(r.where[0]).toContain('JSONExtractString(fields, {q0:String}) = {q1:String}');
    expect(r.where[1]).toContain('has(JSONExtract(fields, {q2:String}');
  });

  it('refuses what it cannot read, naming the position', () => {
    const bad: Array<[string, RegExp]> = [
      ['"open', /at 1: unterminated quote/],
      ['port:http', /port needs a port number/],
      ['dstPort:70000', /port number/],
      ['severity:urgent', /severity is one of/],
      ['nosuch:1', /unknown field "nosuch"/],
      ['ip:', /no value after "ip:"/],
      ['a"b', /quote inside a word/],
      ['"a\\x"', /only \\" and \\\\ escape/],
      [Array.from({ length: QUERY_MAX_TERMS + 1 }, (_, i) => `t${i}`).join(' '), /more than 20 terms/],
      ['x'.repeat(2001), /longer than 2000/],
    ];
    for (const [q, re] of bad) {
      expect(() => parseEventQuery(q), q).toThrow(InputError);
      expect(() => parseEventQuery(q), q).toThrow(re);
    }
  });

  it('never puts text of the query into the SQL (fuzz, 20,000 queries)', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const alphabet = [
      'a',
      'Z',
      '0',
      '9',
      ' ',
      ':',
      '"',
      '\\',
      '-',
      '*',
      "'",
      '(',
      ')',
      ';',
      '.',
      '\t',
      '中',
      '\u0000',
      '{',
      '}',
      '`',
    ];
    const words = [
      'ip:',
      'port:',
      'dns.question.name:',
      'severity:',
      'type:',
      '-',
      '"',
      'DROP TABLE x',
      "' OR 1=1 --",
      '{q0:String}',
    ];
    // Only these tokens may appear in generated SQL besides the placeholders.
    const allowed = /^[\s()]*$/;
    const skeleton = (sql: string) =>
      sql
        .replace(/\{q\d+:(String|UInt16|UInt8)\}/g, '')
        .replace(
          /\b(positionCaseInsensitiveUTF8|startsWith|JSONExtractString|JSONExtractRaw|JSONExtract|arrayExists|has|message|raw|fields|src_ip|dst_ip|src_port|dst_port|proto|host|user|rule|type|format|source|agent_id|severity|OR|NOT|x)\b/g,
          '',
        )
        .replace(/'Array\(String\)'|->|[=>,0]/g, '');
    let parsed = 0;
    for (let i = 0; i < 20_000; i++) {
      let q = '';
      const len = rand(12);
      for (let k = 0; k < len; k++)
        q += rand(3) === 0 ? words[rand(words.length)] : alphabet[rand(alphabet.length)];
      try {
        const r = parseEventQuery(q);
        parsed++;
        for (const w of r.where) expect(skeleton(w), `${JSON.stringify(q)} → ${w}`).toMatch(allowed);
      } catch (err) {
        expect(err, JSON.stringify(q)).toBeInstanceOf(InputError);
      }
    }
    expect(parsed).toBeGreaterThan(2000);
  });
});

async function lines(chunks: string[], opts = { maxLineBytes: 10, maxBytes: 1000 }) {
  const got: BodyLine[] = [];
  async function* body() {
    for (const c of chunks) yield new TextEncoder().encode(c);
  }
  const r = await readLines(body(), opts, (l) => {
    got.push(...l);
    return Promise.resolve();
  });
  return { got, r };
}

describe('reading a body as lines', () => {
  it('splits across chunks, drops CR and blank lines, keeps a last line without a line feed', async () => {
    const { got, r } = await lines(['ab', 'c\r\nde\n\n', 'f', 'gh']);
    expect(got).toEqual([
      { lineNo: 1, text: 'abc' },
      { lineNo: 2, text: 'de' },
      { lineNo: 4, text: 'fgh' },
    ]);
    expect(r).toEqual({ bytes: 12, truncated: false });
  });

  it('reports a too-long line once, without buffering it, and goes on', async () => {
    const { got } = await lines(['ok\n0123456789', 'abcdef', 'ghij\nnext\n', 'x'.repeat(30)]);
    expect(got).toEqual([
      { lineNo: 1, text: 'ok' },
      { lineNo: 2, reject: 'line-too-long', message: expect.any(String) as string },
      { lineNo: 3, text: 'next' },
      { lineNo: 4, reject: 'line-too-long', message: expect.any(String) as string },
    ]);
  });

  it('stops at maxBytes and drops the partial line at the cut', async () => {
    const { got, r } = await lines(['aa\nbb\ncc', 'c\ndd\n'], { maxLineBytes: 10, maxBytes: 8 });
    expect(got).toEqual([
      { lineNo: 1, text: 'aa' },
      { lineNo: 2, text: 'bb' },
    ]);
    expect(r).toEqual({ bytes: 8, truncated: true });
  });
});

function ev(over: Partial<StoredEvent>): StoredEvent {
  return {
    ts: 1_764_000_000_123,
    format: 'eve',
    type: 'alert',
    fields: {},
    raw: '{}',
    id: eventId(1_764_000_000_123, 'abcdefabcdef', 1),
    orgUnitId: 'sc-cd-jj',
    orgPath: '/sc/sc-cd/sc-cd-jj/',
    agentId: 'a1',
    source: 'eve',
    ...over,
  };
}

describe('stored events', () => {
  it('ids carry the time, sort by it and differ per ordinal', () => {
    const a = eventId(1_764_000_000_123, 'abcdefabcdef', 0);
    const b = eventId(1_764_000_000_123, 'abcdefabcdef', 1);
    const c = eventId(1_764_000_000_124, '000000000000', 0);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(idTime(a)).toBe(1_764_000_000_123);
    expect(a < b && b < c).toBe(true);
    expect(idTime('zz')).toBeUndefined();
    const e = [{ ts: 1, format: 'syslog' as const, type: 'syslog', fields: {}, raw: 'x' }];
    expect(payloadStem('a', 's', e)).toBe(payloadStem('a', 's', e));
    expect(payloadStem('a', 's', e)).not.toBe(payloadStem('b', 's', e));
  });

  it('maps severities of each format to 0–4', () => {
    expect(severityOf(ev({ fields: { 'suricata.eve.alert.severity': 1 } }))).toBe(3);
    expect(severityOf(ev({ fields: { 'suricata.eve.alert.severity': 3 } }))).toBe(1);
    expect(
      severityOf(ev({ format: 'syslog', type: 'syslog', fields: { 'log.syslog.severity.code': 2 } })),
    ).toBe(4);
    expect(
      severityOf(ev({ format: 'syslog', type: 'syslog', fields: { 'log.syslog.severity.code': 6 } })),
    ).toBe(1);
    expect(severityOf(ev({ format: 'cef', type: 'cef', fields: { 'cef.severity': 10 } }))).toBe(4);
    expect(severityOf(ev({ format: 'eve', type: 'dns' }))).toBe(0);
  });

  it('escapes every text column of a row (tabs, line feeds, backslashes)', () => {
    const row = eventTsvRow(ev({ raw: 'a\tb\nc\\d', fields: { message: 'x\ty' } }));
    expect(row.endsWith('\n')).toBe(true);
    expect(row.slice(0, -1)).not.toContain('\n');
    expect(row.split('\t')).toHaveLength(20);
    expect(row).toContain('a\\tb\\nc\\\\d');
  });

  it("turns Suricata's alert events into alerts, one per signature, attacker and target", () => {
    const f = {
      'rule.id': 2_100_498,
      'rule.name': 'GPL ATTACK_RESPONSE id check returned root',
      'rule.category': 'Potentially Bad Traffic',
      'suricata.eve.alert.severity': 2,
      'source.ip': '198.51.100.7',
      'destination.ip': '10.1.1.5',
      'threat.technique.id': ['T1046', 'not-a-technique'],
    };
    const a = ev({ fields: f, id: eventId(1000, 'aaaaaaaaaaaa', 0), ts: 1000 });
    const b = ev({ fields: f, id: eventId(2000, 'aaaaaaaaaaaa', 1), ts: 2000 });
    const other = ev({ fields: { ...f, 'source.ip': '198.51.100.8' } });
    const dns = ev({ type: 'dns', fields: f });
    const alerts = suricataAlerts([a, b, other, dns]);
    expect(alerts).toHaveLength(2);
    const first = alerts[0]!;
    expect(AlertInput.parse(first)).toEqual(first);
    expect(first).toMatchObject({
      source: 'suricata',
      reference: 'suricata:2100498',
      title: 'GPL ATTACK_RESPONSE id check returned root',
      severity: 'medium',
      attack: ['T1046'],
      orgUnitId: 'sc-cd-jj',
      assetAddress: '10.1.1.5',
      firstSeen: 1000,
      lastSeen: 2000,
      count: 2,
      eventIds: [a.id, b.id],
    });
    expect(first.observables).toEqual([
      { type: 'ip', value: '198.51.100.7', role: 'source' },
      { type: 'ip', value: '10.1.1.5', role: 'target' },
    ]);
  });
});
