import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEventLine } from '@tianshu/protocol';
import type { EventFormat } from '@tianshu/protocol';
import type { StoredEvent } from '../types.js';
import { SigmaEngine } from './engine.js';
import { loadRuleDir } from './files.js';
import { compileSigma } from './compile.js';

/**
 * Genuine SigmaHQ rules (policies/detections/sigma/sigmahq, DRL 1.1) and Tianshu's own rules over
 * events produced by the real parsers (protocol/src/events): genuine Suricata EVE records
 * (test/fixtures/security, sources in its README) and lines in the exact formats of Suricata EVE,
 * sshd via syslog (RFC 3164 / RFC 5424) and CEF.
 */

const REPO = join(import.meta.dirname, '../../../..');
const SHIPPED = join(REPO, 'policies/detections/sigma');
const engine = () => new SigmaEngine(loadRuleDir(SHIPPED));

let seq = 0;
function parse(
  format: EventFormat,
  line: string,
  org = { orgUnitId: 'sc-cd-jj', orgPath: '/sc/sc-cd/sc-cd-jj/' },
): StoredEvent {
  const r = parseEventLine(format, line, { receivedAt: Date.UTC(2026, 11, 1, 12) });
  if (!r.ok) throw new Error(`the parser refused ${line}: ${r.reason} ${r.message}`);
  return { ...r.event, id: `g-${++seq}`, agentId: '', source: 'test', ...org };
}

const eve = (type: string, body: Record<string, unknown>, ts = '2026-12-01T12:00:00.000000+0800') =>
  JSON.stringify({
    timestamp: ts,
    flow_id: 1234567890123456,
    event_type: type,
    src_ip: '10.20.1.15',
    src_port: 51234,
    dest_ip: '203.0.113.80',
    dest_port: type === 'dns' ? 53 : 80,
    proto: type === 'dns' ? 'UDP' : 'TCP',
    ...body,
  });

const refs = (alerts: { reference: string }[]) => alerts.map((a) => a.reference).sort();

describe('genuine SigmaHQ rules on parsed events', () => {
  it('WannaCry kill-switch domain (net_dns_wannacry_killswitch_domain) on an EVE dns query', () => {
    const ev = parse(
      'eve',
      eve('dns', {
        dns: {
          type: 'query',
          id: 1,
          rrname: 'ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.com',
          rrtype: 'A',
          tx_id: 0,
        },
      }),
    );
    expect(ev.fields['dns.question.name']).toBe('ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.com');
    const alerts = engine().evaluate([ev]);
    expect(refs(alerts)).toContain('3eaf6218-3bed-4d8a-8707-274096f12a18');
    const a = alerts.find((x) => x.reference === '3eaf6218-3bed-4d8a-8707-274096f12a18')!;
    expect(a).toMatchObject({ source: 'sigma', orgUnitId: 'sc-cd-jj', eventIds: [ev.id] });
    expect(a.observables).toEqual(
      expect.arrayContaining([
        { type: 'domain', value: 'ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.com', role: 'related' },
      ]),
    );
    // A benign query raises nothing.
    const benign = parse(
      'eve',
      eve('dns', { dns: { type: 'query', id: 2, rrname: 'www.gov.cn', rrtype: 'A', tx_id: 0 } }),
    );
    expect(engine().evaluate([benign])).toEqual([]);
  });
  it('hack tool user agents and path traversal (web_susp_useragents, web_path_traversal_exploitation_attempt) on EVE http', () => {
    const ev = parse(
      'eve',
      eve('http', {
        tx_id: 0,
        http: {
          hostname: 'www.example.gov.cn',
          url: '/index.php?file=../../../etc/passwd',
          http_user_agent: 'sqlmap/1.7.2#stable (https://sqlmap.org)',
          http_method: 'GET',
          protocol: 'HTTP/1.1',
          status: 200,
          length: 120,
        },
      }),
    );
    expect(ev.fields['url.query']).toContain('../../../etc/passwd');
    const alerts = engine().evaluate([ev]);
    const r = refs(alerts);
    expect(r).toContain('19aa4f58-94ca-45ff-bc34-92e533c0994a'); // Suspicious User-Agents Related To Recon Tools
    expect(r).toContain('7745c2ea-24a5-4290-b680-04359cb84b35'); // Path Traversal Exploitation Attempts
    const ua = alerts.find((a) => a.reference === '19aa4f58-94ca-45ff-bc34-92e533c0994a')!;
    expect(ua).toMatchObject({
      title: 'Suspicious User-Agents Related To Recon Tools',
      assetAddress: '203.0.113.80',
      count: 1,
    });
    expect(ua.observables).toEqual(
      expect.arrayContaining([{ type: 'ip', value: '10.20.1.15', role: 'source' }]),
    );
    // The same request with a browser's user agent and a plain path raises neither.
    const plain = parse(
      'eve',
      eve('http', {
        tx_id: 0,
        http: {
          hostname: 'www.example.gov.cn',
          url: '/index.php?page=2',
          http_user_agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
          http_method: 'GET',
          protocol: 'HTTP/1.1',
          status: 200,
          length: 120,
        },
      }),
    );
    expect(refs(engine().evaluate([plain]))).toEqual([]);
  });
  it('the genuine Tenzir/CTU-13 EVE records parse and run through every shipped rule without errors', () => {
    const lines = readFileSync(join(REPO, 'test/fixtures/security/eve-tenzir.ndjson'), 'utf8')
      .trim()
      .split('\n');
    const events = lines.map((l) => parse('eve', l));
    const errors: string[] = [];
    const e = new SigmaEngine(loadRuleDir(SHIPPED), {
      hit: () => undefined,
      error: (id, m) => errors.push(`${id}: ${m}`),
    });
    e.evaluate(events);
    expect(errors).toEqual([]);
    // A rule over the genuine alert and dns records' fields, compiled like any other.
    const rule = `title: IRC from the CTU-13 bot
id: ctu13-irc
logsource:
  product: suricata
detection:
  sel:
    signature|contains: 'IRC'
    dst_port: 6667
  condition: sel
---
title: freenode lookup
id: ctu13-dns
logsource:
  category: dns
detection:
  sel:
    query: irc.freenode.net
  condition: sel
`;
    const own = new SigmaEngine(
      compileSigma(rule, 'ctu.yml').map((r) => ({
        rule: r,
        file: 'ctu.yml',
        origin: 'policy' as const,
        scopePath: '',
      })),
    );
    expect(refs(own.evaluate(events))).toEqual(['ctu13-dns', 'ctu13-irc']);
  });
});

describe("Tianshu's own rules on parsed syslog", () => {
  const sshd = (n: number, host = 'web01') =>
    `<38>Dec  1 12:00:${String(n).padStart(2, '0')} ${host} sshd[2${n}]: Failed password for invalid user admin from 198.51.100.${n} port ${40000 + n} ssh2`;
  it('SSH brute force: ten failed passwords on one host within five minutes is one alert', () => {
    const e = engine();
    const nine = Array.from({ length: 9 }, (_, i) => parse('syslog', sshd(i)));
    expect(nine[0]!.fields['process.name']).toBe('sshd');
    expect(e.evaluate(nine).filter((a) => a.reference === '9b5283b0-a05c-4b44-b753-9368525e5152')).toEqual(
      [],
    );
    const other = parse('syslog', sshd(9, 'db01'));
    expect(e.evaluate([other]).filter((a) => a.reference === '9b5283b0-a05c-4b44-b753-9368525e5152')).toEqual(
      [],
    );
    const [alert, ...more] = e
      .evaluate([parse('syslog', sshd(10))])
      .filter((a) => a.reference === '9b5283b0-a05c-4b44-b753-9368525e5152');
    expect(more).toEqual([]);
    expect(alert).toMatchObject({
      severity: 'high',
      count: 10,
      attack: ['T1110.001'],
      observables: [{ type: 'host', value: 'web01', role: 'target' }],
    });
  });
  it('port scan in CEF firewall records: 50 distinct destination ports from one source in a minute', () => {
    const e = engine();
    const cef = (port: number, src = '198.51.100.23') =>
      `<134>Dec  1 12:00:${String(port % 60).padStart(2, '0')} fw01 CEF:0|Huawei|USG6000|V500|deny|Traffic denied|5|rt=Dec 01 2026 12:00:${String(port % 60).padStart(2, '0')} src=${src} spt=40000 dst=10.20.1.15 dpt=${port} proto=TCP act=deny`;
    const first = parse('syslog', cef(1000));
    expect(first.type).toBe('cef');
    expect(first.fields).toMatchObject({ 'source.ip': '198.51.100.23', 'destination.port': 1000 });
    const scan = '50bc055f-5fec-4e71-adbd-c1a46d3e0269';
    const batch = Array.from({ length: 48 }, (_, i) => parse('syslog', cef(1001 + i)));
    expect(e.evaluate([first, ...batch]).filter((a) => a.reference === scan)).toEqual([]);
    // The same port again does not count; another source does not count.
    expect(
      e
        .evaluate([parse('syslog', cef(1001)), parse('syslog', cef(2000, '198.51.100.99'))])
        .filter((a) => a.reference === scan),
    ).toEqual([]);
    const alerts = e.evaluate([parse('syslog', cef(1049))]).filter((a) => a.reference === scan);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      severity: 'medium',
      attack: ['T1046'],
      observables: [{ type: 'ip', value: '198.51.100.23', role: 'source' }],
    });
  });
});
