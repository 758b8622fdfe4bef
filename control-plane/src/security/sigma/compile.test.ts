import { describe, expect, it } from 'vitest';
import type { EventValue } from '@tianshu/protocol';
import { EventView } from './event.js';
import { compileSigma } from './compile.js';
import { compileOne, ruleYaml, storedEvent } from './testing.js';
import { base64Offsets, windash } from './values.js';

/** Whether a detection (on EVE http by default) matches an event with these fields. */
function matches(
  detection: string,
  fields: Record<string, EventValue>,
  opts: { logsource?: string; type?: string; raw?: string } = {},
): boolean {
  const r = compileOne(ruleYaml(opts.logsource ?? 'category: proxy', detection));
  expect(r.info.status, r.info.reason ?? '').toBe('compiled');
  return r.detection!.match(new EventView(storedEvent(opts.type ?? 'http', fields, { raw: opts.raw ?? '' })));
}

function status(detection: string, logsource = 'category: proxy'): [string, string | null] {
  const r = compileOne(ruleYaml(logsource, detection));
  return [r.info.status, r.info.reason];
}

describe('field values and wildcards', () => {
  it('matches whole values case-insensitively by default', () => {
    const d = "sel:\n  cs-method: 'post'\ncondition: sel";
    expect(matches(d, { 'http.request.method': 'POST' })).toBe(true);
    expect(matches(d, { 'http.request.method': 'POSTX' })).toBe(false);
    expect(matches(d, {})).toBe(false);
  });
  it('reads * and ? as wildcards, and \\* \\? \\\\ as escapes', () => {
    const d = (v: string) => `sel:\n  c-uri: '${v}'\ncondition: sel`;
    expect(matches(d('/a*/b?c'), { 'url.original': '/axyz/bQc' })).toBe(true);
    expect(matches(d('/a*/b?c'), { 'url.original': '/axyz/bc' })).toBe(false);
    expect(matches(d('/a\\*b'), { 'url.original': '/a*b' })).toBe(true);
    expect(matches(d('/a\\*b'), { 'url.original': '/axb' })).toBe(false);
    expect(matches(d('/a\\?'), { 'url.original': '/a?' })).toBe(true);
    expect(matches(d('/a\\?'), { 'url.original': '/ab' })).toBe(false);
    // \\* is a backslash followed by a wildcard.
    expect(matches(d('c:\\\\*'), { 'url.original': 'c:\\windows' })).toBe(true);
    // A lone backslash is literal.
    expect(matches(d('c:\\w'), { 'url.original': 'c:\\w' })).toBe(true);
  });
  it('matches numbers as text and lists as OR', () => {
    const d = 'sel:\n  sc-status:\n    - 404\n    - 500\ncondition: sel';
    expect(matches(d, { 'http.response.status_code': 404 })).toBe(true);
    expect(matches(d, { 'http.response.status_code': '500' })).toBe(true);
    expect(matches(d, { 'http.response.status_code': 200 })).toBe(false);
  });
  it('long value lists (one combined RegExp) keep each mode, wildcards and case', () => {
    const list = (mod: string, extra: string[] = []) =>
      `s:\n  c-uri${mod}:\n${['/one', '/two', '/th*ee', '/f?ur', ...extra].map((v) => `    - '${v}'`).join('\n')}\ncondition: s`;
    expect(matches(list(''), { 'url.original': '/TWO' })).toBe(true);
    expect(matches(list(''), { 'url.original': '/two/x' })).toBe(false);
    expect(matches(list(''), { 'url.original': '/thrEEe' })).toBe(true);
    expect(matches(list(''), { 'url.original': '/four' })).toBe(true);
    expect(matches(list(''), { 'url.original': '/fouur' })).toBe(false);
    expect(matches(list('|contains'), { 'url.original': 'x/two/y' })).toBe(true);
    expect(matches(list('|startswith'), { 'url.original': '/two/y' })).toBe(true);
    expect(matches(list('|startswith'), { 'url.original': 'x/two' })).toBe(false);
    expect(matches(list('|endswith'), { 'url.original': 'x/two' })).toBe(true);
    expect(matches(list('|endswith'), { 'url.original': '/two/x' })).toBe(false);
    expect(matches(list('|contains|cased', ['/Five']), { 'url.original': 'a/Five' })).toBe(true);
    expect(matches(list('|contains|cased', ['/Five']), { 'url.original': 'a/five' })).toBe(false);
    // Regex metacharacters in values are literal.
    expect(matches(list('|contains', ['(a|b)+.']), { 'url.original': 'x(a|b)+.y' })).toBe(true);
    expect(matches(list('|contains', ['(a|b)+.']), { 'url.original': 'xaby' })).toBe(false);
  });
  it('ANDs the fields of one map and ORs a list of maps', () => {
    const d = 'sel:\n  - cs-method: GET\n    c-uri|contains: admin\n  - cs-method: PUT\ncondition: sel';
    expect(matches(d, { 'http.request.method': 'GET', 'url.original': '/admin/x' })).toBe(true);
    expect(matches(d, { 'http.request.method': 'GET', 'url.original': '/x' })).toBe(false);
    expect(matches(d, { 'http.request.method': 'PUT' })).toBe(true);
  });
  it('treats null as absent or empty', () => {
    const d = 'sel:\n  c-useragent: null\ncondition: sel';
    expect(matches(d, {})).toBe(true);
    expect(matches(d, { 'user_agent.original': '' })).toBe(true);
    expect(matches(d, { 'user_agent.original': 'curl' })).toBe(false);
  });
  it('tests every element of a multi-valued field', () => {
    const d = 'sel:\n  event.category|contains: netw\ncondition: sel';
    expect(matches(d, { 'event.category': ['web', 'network'] })).toBe(true);
    expect(matches(d, { 'event.category': ['web'] })).toBe(false);
  });
});

describe('modifiers', () => {
  it('contains, startswith, endswith', () => {
    expect(matches('s:\n  c-uri|contains: ETC/pass\ncondition: s', { 'url.original': '/x/etc/passwd' })).toBe(
      true,
    );
    expect(
      matches('s:\n  c-uri|contains: etc/shadow\ncondition: s', { 'url.original': '/x/etc/passwd' }),
    ).toBe(false);
    expect(matches('s:\n  c-uri|startswith: /x/\ncondition: s', { 'url.original': '/x/etc' })).toBe(true);
    expect(matches('s:\n  c-uri|startswith: /etc\ncondition: s', { 'url.original': '/x/etc' })).toBe(false);
    expect(matches('s:\n  c-uri|endswith: .PHP\ncondition: s', { 'url.original': '/a/b.php' })).toBe(true);
    expect(matches('s:\n  c-uri|endswith: .php\ncondition: s', { 'url.original': '/a/b.phps' })).toBe(false);
  });
  it('all turns a list into AND', () => {
    const d = 's:\n  c-uri|contains|all:\n    - union\n    - select\ncondition: s';
    expect(matches(d, { 'url.original': '/?q=1 UNION SELECT 2' })).toBe(true);
    expect(matches(d, { 'url.original': '/?q=1 union 2' })).toBe(false);
  });
  it('cased makes matching case-sensitive', () => {
    const d = 's:\n  c-uri|contains|cased: Admin\ncondition: s';
    expect(matches(d, { 'url.original': '/Admin' })).toBe(true);
    expect(matches(d, { 'url.original': '/admin' })).toBe(false);
  });
  it('re is case-sensitive, with i, m and s sub-modifiers', () => {
    expect(matches("s:\n  c-uri|re: '^/a[0-9]+$'\ncondition: s", { 'url.original': '/a123' })).toBe(true);
    expect(matches("s:\n  c-uri|re: '^/a[0-9]+$'\ncondition: s", { 'url.original': '/A123' })).toBe(false);
    expect(matches("s:\n  c-uri|re|i: '^/a[0-9]+$'\ncondition: s", { 'url.original': '/A123' })).toBe(true);
    expect(matches("s:\n  c-uri|re: '(?i)^/a[0-9]+$'\ncondition: s", { 'url.original': '/A123' })).toBe(true);
    expect(matches("s:\n  message|re|m: '^second$'\ncondition: s", { message: 'first\nsecond' })).toBe(true);
    expect(matches("s:\n  message|re: '^second$'\ncondition: s", { message: 'first\nsecond' })).toBe(false);
    expect(matches("s:\n  message|re|s: 'a.b'\ncondition: s", { message: 'a\nb' })).toBe(true);
    expect(matches("s:\n  message|re: 'a.b'\ncondition: s", { message: 'a\nb' })).toBe(false);
  });
  it('refuses regular expressions with nested quantifiers', () => {
    const [st, reason] = status("s:\n  c-uri|re: '(a+)+$'\ncondition: s");
    expect(st).toBe('unsupported');
    expect(reason).toMatch(/nested quantifier/);
  });
  it('bounds the text a regular expression reads', () => {
    const d = "s:\n  c-uri|re: 'tail$'\ncondition: s";
    expect(matches(d, { 'url.original': `${'x'.repeat(100)}tail` })).toBe(true);
    expect(matches(d, { 'url.original': `${'x'.repeat(20_000)}tail` })).toBe(false);
  });
  it('cidr for IPv4 and IPv6', () => {
    const d = "s:\n  src_ip|cidr:\n    - 10.0.0.0/8\n    - '2001:db8::/32'\ncondition: s";
    expect(matches(d, { 'source.ip': '10.20.30.40' })).toBe(true);
    expect(matches(d, { 'source.ip': '11.0.0.1' })).toBe(false);
    expect(matches(d, { 'source.ip': '2001:db8:1::5' })).toBe(true);
    expect(matches(d, { 'source.ip': '2001:db9::5' })).toBe(false);
    expect(matches(d, { 'source.ip': 'not-an-ip' })).toBe(false);
    expect(status('s:\n  src_ip|cidr: 10.0.0.0/33\ncondition: s')[0]).toBe('invalid');
  });
  it('base64 and base64offset', () => {
    const enc = Buffer.from('evil command').toString('base64');
    expect(matches("s:\n  c-uri|base64: 'evil command'\ncondition: s", { 'url.original': enc })).toBe(true);
    expect(matches("s:\n  c-uri|base64: 'evil command'\ncondition: s", { 'url.original': 'x' })).toBe(false);
    // The value at every offset inside a longer encoded string.
    const d = "s:\n  c-uri|base64offset|contains: 'http://'\ncondition: s";
    for (const prefix of ['', 'a', 'ab', 'abc']) {
      const text = Buffer.from(`${prefix}http://evil/`).toString('base64');
      expect(matches(d, { 'url.original': `q=${text}` }), prefix).toBe(true);
    }
    expect(matches(d, { 'url.original': Buffer.from('ftp://x').toString('base64') })).toBe(false);
    expect(base64Offsets(Buffer.from('/bin/bash'))).toEqual(['L2Jpbi9iYXNo', '9iaW4vYmFza', 'vYmluL2Jhc2']);
  });
  it('wide with base64offset (UTF-16LE), and wide alone is unsupported with the reason', () => {
    const text = Buffer.from('xxIEX(', 'utf16le').toString('base64');
    expect(
      matches("s:\n  c-uri|wide|base64offset|contains: 'IEX('\ncondition: s", { 'url.original': text }),
    ).toBe(true);
    const [st, reason] = status("s:\n  c-uri|wide: 'IEX'\ncondition: s");
    expect(st).toBe('unsupported');
    expect(reason).toMatch(/without base64/);
  });
  it('windash: every dash form of a flag', () => {
    expect(windash('-enc x')).toHaveLength(5);
    const d = "s:\n  c-uri|windash|contains: ' -decode '\ncondition: s";
    expect(matches(d, { 'url.original': 'certutil /decode a' })).toBe(true);
    expect(matches(d, { 'url.original': 'certutil \u2013decode a' })).toBe(true);
    expect(matches(d, { 'url.original': 'certutil +decode a' })).toBe(false);
  });
  it('exists', () => {
    expect(matches('s:\n  c-useragent|exists: true\ncondition: s', { 'user_agent.original': '' })).toBe(true);
    expect(matches('s:\n  c-useragent|exists: true\ncondition: s', {})).toBe(false);
    expect(matches('s:\n  c-useragent|exists: false\ncondition: s', {})).toBe(true);
  });
  it('gt, gte, lt, lte on numbers and numeric text', () => {
    expect(matches('s:\n  sc-status|gte: 500\ncondition: s', { 'http.response.status_code': 503 })).toBe(
      true,
    );
    expect(matches('s:\n  sc-status|gte: 500\ncondition: s', { 'http.response.status_code': 499 })).toBe(
      false,
    );
    expect(matches('s:\n  sc-status|gt: 500\ncondition: s', { 'http.response.status_code': 500 })).toBe(
      false,
    );
    expect(matches('s:\n  sc-status|lt: 300\ncondition: s', { 'http.response.status_code': '200' })).toBe(
      true,
    );
    expect(matches('s:\n  sc-status|lte: 300\ncondition: s', { 'http.response.status_code': 301 })).toBe(
      false,
    );
    expect(matches('s:\n  sc-status|lt: 300\ncondition: s', { 'http.response.status_code': 'abc' })).toBe(
      false,
    );
    expect(status('s:\n  sc-status|gt: many\ncondition: s')[0]).toBe('invalid');
  });
  it('fieldref compares two fields', () => {
    const d = 's:\n  src_ip|fieldref: dst_ip\ncondition: s';
    expect(matches(d, { 'source.ip': '10.0.0.1', 'destination.ip': '10.0.0.1' })).toBe(true);
    expect(matches(d, { 'source.ip': '10.0.0.1', 'destination.ip': '10.0.0.2' })).toBe(false);
  });
  it('neq', () => {
    expect(matches('s:\n  cs-method|neq: GET\ncondition: s', { 'http.request.method': 'POST' })).toBe(true);
    expect(matches('s:\n  cs-method|neq: GET\ncondition: s', { 'http.request.method': 'get' })).toBe(false);
  });
  it('refuses expand, time modifiers and unknown modifiers as unsupported with the reason', () => {
    expect(status("s:\n  c-uri|expand: '%admins%'\ncondition: s")).toEqual([
      'unsupported',
      expect.stringMatching(/expand/),
    ]);
    expect(status('s:\n  c-uri|hour: 3\ncondition: s')).toEqual([
      'unsupported',
      expect.stringMatching(/time modifier/),
    ]);
    expect(status('s:\n  c-uri|frobnicate: x\ncondition: s')).toEqual([
      'unsupported',
      expect.stringMatching(/unknown modifier "frobnicate"/),
    ]);
    expect(status('s:\n  c-uri|contains|startswith: x\ncondition: s')[0]).toBe('invalid');
  });
});

describe('keywords', () => {
  const ls = 'product: linux';
  it('search the message and the raw line, case-insensitively, as substrings', () => {
    const d = "keywords:\n  - 'Failed password'\n  - 'Invalid user'\ncondition: keywords";
    expect(matches(d, { message: 'sshd: failed PASSWORD for root' }, { logsource: ls, type: 'syslog' })).toBe(
      true,
    );
    expect(
      matches(d, {}, { logsource: ls, type: 'syslog', raw: '<13>Dec 1 host sshd[1]: Invalid user x' }),
    ).toBe(true);
    expect(
      matches(d, { message: 'Accepted password' }, { logsource: ls, type: 'syslog', raw: 'Accepted' }),
    ).toBe(false);
  });
  it('long keyword lists (one combined RegExp), in the message when the raw line lacks it', () => {
    const d = `keywords:\n${['alpha', 'bravo', 'char*lie', 'delta', 'echo'].map((k) => `  - '${k}'`).join('\n')}\ncondition: keywords`;
    expect(matches(d, { message: 'x CHARxxLIE y' }, { logsource: ls, type: 'syslog', raw: '{}' })).toBe(true);
    expect(matches(d, { message: 'x' }, { logsource: ls, type: 'syslog', raw: 'the ECHO' })).toBe(true);
    expect(matches(d, { message: 'foxtrot' }, { logsource: ls, type: 'syslog', raw: 'foxtrot' })).toBe(false);
  });
  it('|all keywords must all appear', () => {
    const d = "keywords:\n  '|all':\n    - 'bgp'\n    - 'md5'\ncondition: keywords";
    expect(matches(d, { message: 'BGP peer: MD5 auth failed' }, { logsource: ls, type: 'syslog' })).toBe(
      true,
    );
    expect(matches(d, { message: 'BGP peer down' }, { logsource: ls, type: 'syslog' })).toBe(false);
  });
});

describe('conditions', () => {
  const fields = (a: boolean, b: boolean, c: boolean) => ({
    'url.original': a ? 'A' : '-',
    'http.request.method': b ? 'B' : '-',
    'user_agent.original': c ? 'C' : '-',
  });
  const det = (cond: string) =>
    `sel_a:\n  c-uri: A\nsel_b:\n  cs-method: B\nfilter_c:\n  c-useragent: C\ncondition: ${cond}`;
  const truth = (cond: string, f: (a: boolean, b: boolean, c: boolean) => boolean) => {
    for (const a of [false, true])
      for (const b of [false, true])
        for (const c of [false, true])
          expect(matches(det(cond), fields(a, b, c)), `${cond} @ ${a}${b}${c}`).toBe(f(a, b, c));
  };
  it('and binds tighter than or; not tighter than and', () => {
    truth('sel_a or sel_b and filter_c', (a, b, c) => a || (b && c));
    truth('not sel_a and sel_b', (a, b) => !a && b);
    truth('not sel_a or sel_b', (a, b) => !a || b);
  });
  it('parentheses', () => {
    truth('(sel_a or sel_b) and filter_c', (a, b, c) => (a || b) && c);
    truth('not (sel_a or sel_b)', (a, b) => !(a || b));
  });
  it('1 of / all of a pattern, and of them (without _ identifiers)', () => {
    truth('1 of sel_*', (a, b) => a || b);
    truth('all of sel_*', (a, b) => a && b);
    truth('1 of sel_* and not 1 of filter_*', (a, b, c) => (a || b) && !c);
    truth('all of them', (a, b, c) => a && b && c);
    truth('1 of them', (a, b, c) => a || b || c);
    const withUnderscore = `sel:\n  c-uri: A\n_ignored:\n  cs-method: B\ncondition: all of them`;
    expect(matches(withUnderscore, { 'url.original': 'A' })).toBe(true);
  });
  it('a list of conditions is OR', () => {
    expect(
      matches(`a:\n  c-uri: A\nb:\n  cs-method: B\ncondition:\n  - a\n  - b`, { 'http.request.method': 'B' }),
    ).toBe(true);
  });
  it('refuses undefined identifiers, bad syntax, and 1.x aggregations with the reason', () => {
    expect(status('sel:\n  c-uri: A\ncondition: sel and other')).toEqual([
      'invalid',
      expect.stringMatching(/"other"/),
    ]);
    expect(status('sel:\n  c-uri: A\ncondition: (sel')[0]).toBe('invalid');
    expect(status('sel:\n  c-uri: A\ncondition: sel and')[0]).toBe('invalid');
    expect(status('sel:\n  c-uri: A\ncondition: 1 of nothing*')[0]).toBe('invalid');
    expect(status('sel:\n  c-uri: A\ncondition: sel | count() by src_ip > 5')).toEqual([
      'unsupported',
      expect.stringMatching(/aggregation/),
    ]);
  });
});

describe('log sources and fields', () => {
  it('binds log sources to event types and refuses those with no events here', () => {
    const types = (ls: string) =>
      compileOne(ruleYaml(ls, 's:\n  message: x\ncondition: s')).detection?.binding.types;
    expect(types('category: dns')).toEqual(['dns']);
    expect(types('category: proxy')).toEqual(['http']);
    expect(types('category: webserver')).toEqual(['http']);
    expect(types('category: firewall')).toEqual(['cef', 'flow', 'netflow']);
    expect(types('product: suricata')).toEqual(['alert']);
    expect(types('category: network_connection')).toEqual(['flow']);
    expect(types('product: linux\nservice: sshd')).toEqual(['syslog']);
    const win = compileOne(
      ruleYaml('product: windows\ncategory: process_creation', 's:\n  Image: x\ncondition: s'),
    );
    expect(win.info).toMatchObject({ status: 'unsupported', reason: expect.stringMatching(/windows/) });
    const proc = compileOne(
      ruleYaml('product: linux\ncategory: process_creation', 's:\n  Image: x\ncondition: s'),
    );
    expect(proc.info.status).toBe('unsupported');
  });
  it('filters a linux service by the syslog program', () => {
    const r = compileOne(
      ruleYaml('product: linux\nservice: sshd', "k:\n  - 'Failed password'\ncondition: k"),
    );
    const ev = (program: string) =>
      new EventView(storedEvent('syslog', { 'process.name': program, message: 'Failed password for root' }));
    expect(r.detection!.match(ev('sshd'))).toBe(true);
    expect(r.detection!.match(ev('cron'))).toBe(false);
  });
  it('maps Sigma taxonomy names to ECS and refuses unknown fields', () => {
    const r = compileOne(ruleYaml('category: dns', 's:\n  query|endswith: .top\ncondition: s'));
    expect(r.detection!.match(new EventView(storedEvent('dns', { 'dns.question.name': 'x.evil.top' })))).toBe(
      true,
    );
    const bad = compileOne(ruleYaml('category: dns', 's:\n  NoSuchField: x\ncondition: s'));
    expect(bad.info).toMatchObject({ status: 'unsupported', reason: expect.stringMatching(/"NoSuchField"/) });
  });
});

describe('documents', () => {
  it('reads the rule metadata: level, ATT&CK ids from tags', () => {
    const r = compileOne(
      ruleYaml(
        'category: dns',
        's:\n  query: x\ncondition: s',
        'tags:\n  - attack.credential-access\n  - attack.t1110.001\n  - attack.T1046\n',
      ),
    );
    expect(r.info).toMatchObject({
      id: '11111111-2222-3333-4444-555555555555',
      level: 'high',
      attack: ['T1110.001', 'T1046'],
    });
  });
  it('merges action: global into the documents after it', () => {
    const rules = compileSigma(
      `action: global\ntitle: two\nlogsource:\n  category: proxy\ndetection:\n  condition: sel\n---\nid: r1\ndetection:\n  sel:\n    c-uri: /a\n---\nid: r2\ndetection:\n  sel:\n    c-uri: /b\n`,
      'g.yml',
    );
    expect(rules.map((r) => [r.info.id, r.info.status])).toEqual([
      ['r1', 'compiled'],
      ['r2', 'compiled'],
    ]);
    expect(rules[1]!.detection!.match(new EventView(storedEvent('http', { 'url.original': '/b' })))).toBe(
      true,
    );
  });
  it('reports broken YAML and broken rules as invalid with the reason, never throws', () => {
    expect(compileSigma('title: [unclosed', 'x.yml')[0]!.info).toMatchObject({
      status: 'invalid',
      reason: expect.stringMatching(/YAML/),
    });
    expect(compileSigma('- a\n- b', 'x.yml')[0]!.info.status).toBe('invalid');
    expect(compileSigma('title: t\nlogsource:\n  category: dns\n', 'x.yml')[0]!.info).toMatchObject({
      status: 'invalid',
      reason: 'the rule has no detection map',
    });
    expect(
      compileSigma('title: t\nlogsource:\n  category: dns\ndetection:\n  s:\n    query: x\n', 'x.yml')[0]!
        .info.reason,
    ).toMatch(/no condition/);
    expect(compileSigma('', 'x.yml')[0]!.info.status).toBe('invalid');
  });
});
