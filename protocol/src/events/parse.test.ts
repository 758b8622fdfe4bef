import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NormalisedEvent } from '../security.js';
import type { EventFormat } from '../security.js';
import { parseEventLine } from './parse.js';
import type { ParseResult } from './parse.js';

const receivedAt = Date.UTC(2026, 11, 1, 21, 0, 0);
const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/security/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l !== '');

function ok(format: EventFormat, line: string, at = receivedAt) {
  const r = parseEventLine(format, line, { receivedAt: at });
  if (!r.ok) throw new Error(`${r.reason}: ${r.message}`);
  // Every accepted event is what the wire schema accepts.
  expect(NormalisedEvent.safeParse(r.event).success).toBe(true);
  return r.event;
}

function rejected(
  format: EventFormat,
  line: string,
  opts: { maxLineBytes?: number } = {},
): ParseResult & { ok: false } {
  const r = parseEventLine(format, line, { receivedAt, ...opts });
  if (r.ok) throw new Error(`accepted: ${JSON.stringify(r.event.fields)}`);
  expect(r.message.length).toBeGreaterThan(0);
  return r;
}

describe('Suricata EVE (genuine records)', () => {
  it('maps the tenzir/tenzir CTU-13 records of every type to ECS', () => {
    const lines = fixture('eve-tenzir.ndjson');
    const events = lines.map((l) => ok('eve', l));
    expect(events.map((e) => e.type)).toEqual([
      'alert',
      'dns',
      'fileinfo',
      'flow',
      'http',
      'netflow',
      'quic',
    ]);
    const [alert, dns, fileinfo, flow, http, netflow, quic] = events as [
      NormalisedEvent,
      NormalisedEvent,
      NormalisedEvent,
      NormalisedEvent,
      NormalisedEvent,
      NormalisedEvent,
      NormalisedEvent,
    ];
    expect(alert.ts).toBe(Date.parse('2011-08-12T12:52:57.716Z'));
    expect(alert.raw).toBe(lines[0]);
    expect(alert.fields).toMatchObject({
      '@timestamp': '2011-08-12T12:52:57.716Z',
      'event.kind': 'alert',
      'event.category': ['network', 'intrusion_detection'],
      'event.type': ['allowed'],
      'event.action': 'allowed',
      'source.ip': '147.32.84.165',
      'source.port': 1181,
      'destination.ip': '78.40.125.4',
      'destination.port': 6667,
      'network.transport': 'tcp',
      'rule.id': '2017318',
      'rule.name': 'ET CURRENT_EVENTS SUSPICIOUS IRC - PRIVMSG *.(exe|tar|tgz|zip)  download command',
      'rule.category': 'Potentially Bad Traffic',
      'rule.version': '4',
      'event.severity': 2,
      'suricata.eve.alert.severity': 2,
      'event.id': '1031464864740687',
      'source.bytes': 2302,
      'destination.bytes': 4520,
      'source.packets': 27,
      'destination.packets': 35,
      'event.start': '2011-08-12T12:47:24.357Z',
      'suricata.eve.payload_printable': 'PRIVMSG #zarasa48 : smss.exe (368)\r\n',
    });
    expect(dns.fields).toMatchObject({
      'dns.type': 'query',
      'dns.id': '553',
      'dns.question.name': 'irc.freenode.net',
      'dns.question.type': 'A',
      'network.transport': 'udp',
      'event.category': ['network'],
    });
    expect(fileinfo.fields).toMatchObject({
      'file.path': '/',
      'file.size': 301,
      'file.hash.md5': '70041821acf87389e40ddcb092004184',
      'file.hash.sha1': '10395ab3566395ca050232d2c1a0dbad69eb5fd2',
      'file.hash.sha256': '2e4c462b3424afcc04f43429d5f001e4ef9a28143bfeefb9af2254b4df3a7c1a',
      'url.domain': 'www.nmap.org',
      'http.response.status_code': 301,
      'network.protocol': 'http',
      'suricata.eve.fileinfo.magic': 'HTML document, ASCII text',
      'suricata.eve.http.redirect': 'http://nmap.org/',
    });
    // app_proto "failed" is not a protocol.
    expect(flow.fields['network.protocol']).toBeUndefined();
    expect(flow.fields).toMatchObject({
      'event.type': ['connection'],
      'event.end': '2011-08-12T12:53:47.928Z',
      'network.bytes': 486,
      'network.packets': 2,
      'suricata.eve.flow.state': 'new',
      'suricata.eve.flow.reason': 'timeout',
      'suricata.eve.flow.alerted': false,
    });
    expect(http.fields).toMatchObject({
      'http.request.method': 'GET',
      'http.version': '1.1',
      'user_agent.original': 'Google Update/1.3.21.65;winhttp',
      'url.domain': 'cr-tools.clients.google.com',
      'url.path': '/service/check2',
      'http.response.body.bytes': 0,
    });
    expect(String(http.fields['url.query'])).toContain('appversion=1.3.21.65');
    expect(netflow.fields).toMatchObject({ 'source.bytes': 486, 'source.packets': 2 });
    // A type without a mapping keeps its common fields and its section under suricata.eve.*.
    expect(quic.fields).toMatchObject({
      'source.ip': '172.31.65.77',
      'destination.port': 443,
      'event.kind': 'event',
      'suricata.eve.quic.sni': 'stats.g.doubleclick.net',
      'suricata.eve.pkt_src': 'wire/pcap',
    });
  });

  it('maps anomaly, unknown types (mqtt) and IPv6 from the Suricata user guide', () => {
    const [decode, applayer, , mqtt] = fixture('eve-suricata-docs.ndjson').map((l) => ok('eve', l));
    expect(decode!.ts).toBe(Date.parse('1970-01-01T00:04:21Z'));
    expect(decode!.fields).toMatchObject({
      'event.action': 'decoder.udp.pkt_too_small',
      'suricata.eve.anomaly.type': 'decode',
    });
    expect(applayer!.fields).toMatchObject({
      'network.protocol': 'tls',
      'suricata.eve.anomaly.layer': 'proto_detect',
    });
    expect(mqtt!.type).toBe('mqtt');
    expect(mqtt!.fields).toMatchObject({
      'source.ip': '0000:0000:0000:0000:0000:0000:0000:0001',
      'suricata.eve.mqtt.publish.topic': 'house/bulbs/bulb1',
    });
  });

  it('maps TLS with JA3 and the certificate (ccdcoe/CDMCS record)', () => {
    const [tls] = fixture('eve-cdmcs-tls.ndjson').map((l) => ok('eve', l));
    expect(tls!.fields).toMatchObject({
      'tls.client.server_name': 'www.facebook.com',
      'destination.domain': 'www.facebook.com',
      'tls.version': '1.2',
      'tls.version_protocol': 'tls',
      'tls.client.ja3': '1fe4c7a3544eb27afec2adfb3a3dbf60',
      'tls.server.hash.sha1': 'BD258C1F62A4A6D9CF7D9812D22E2FF57E84FB36',
      'tls.server.x509.serial_number': '0B3C3B601A18F59EE2B6BB05605EF2C0',
      'tls.server.not_after': '2019-03-22T12:00:00.000Z',
      'observer.ingress.interface.name': 'enp0s3',
      'event.id': '738588278199041',
    });
  });

  it('keeps a 64-bit flow_id exactly and reads MITRE metadata, ja3s and DNS answers', () => {
    const line = JSON.stringify({
      timestamp: '2026-11-30T08:00:00.5+08:00',
      event_type: 'alert',
      src_ip: '10.1.2.3',
      dest_ip: '192.0.2.1',
      proto: 'TCP',
      host: 'sensor-7',
      community_id: '1:LQU9qZlK+B5F3KDmev6m5PMibrg=',
      alert: {
        signature_id: 1,
        signature: 's',
        severity: 1,
        action: 'blocked',
        metadata: { mitre_technique_id: ['T1046'], mitre_tactic_id: ['TA0007'] },
      },
      tls: { ja3s: { hash: 'abc' }, version: 'TLSv1.3' },
      dns: {
        version: 2,
        type: 'answer',
        id: 45444,
        rrname: 'www.suricata-ids.org',
        rrtype: 'A',
        rcode: 'NOERROR',
        answers: [
          { rrname: 'www.suricata-ids.org', rrtype: 'CNAME', ttl: 3324, rdata: 'suricata-ids.org' },
          { rrname: 'suricata-ids.org', rrtype: 'A', ttl: 10, rdata: '192.0.78.24' },
        ],
      },
    }).replace('{', '{"flow_id":18446744073709551615,');
    const e = ok('eve', line);
    expect(e.ts).toBe(Date.parse('2026-11-30T00:00:00.500Z'));
    expect(e.fields).toMatchObject({
      'event.id': '18446744073709551615',
      'event.severity': 3,
      'event.type': ['denied'],
      'threat.technique.id': ['T1046'],
      'threat.tactic.id': ['TA0007'],
      'tls.server.ja3s': 'abc',
      'tls.version': '1.3',
      'observer.name': 'sensor-7',
      'host.name': 'sensor-7',
      'network.community_id': '1:LQU9qZlK+B5F3KDmev6m5PMibrg=',
      'dns.answers.data': ['suricata-ids.org', '192.0.78.24'],
      'dns.answers.type': ['CNAME', 'A'],
      'dns.resolved_ip': ['192.0.78.24'],
      'dns.response_code': 'NOERROR',
    });
  });

  it('rejects what is not an EVE record, with the reason', () => {
    expect(rejected('eve', '{"timestamp": ').reason).toBe('not-json');
    expect(rejected('eve', '[1,2]').reason).toBe('not-an-object');
    expect(rejected('eve', '{"timestamp":"2020-01-01T00:00:00Z"}').reason).toBe('missing-field');
    expect(rejected('eve', '{"event_type":"dns"}').reason).toBe('missing-field');
    expect(rejected('eve', '{"event_type":"dns","timestamp":"yesterday"}').reason).toBe('bad-timestamp');
    expect(rejected('eve', '{"event_type":"dns","timestamp":"2020-02-30T00:00:00Z"}').reason).toBe(
      'bad-timestamp',
    );
    expect(rejected('eve', '{"event_type":7,"timestamp":"2020-01-01T00:00:00Z"}').reason).toBe('bad-field');
    expect(
      rejected('eve', '{"event_type":"dns","timestamp":"2020-01-01T00:00:00Z","x":"a\\u0000b"}').reason,
    ).toBe('unsafe-text');
    expect(
      rejected('eve', '{"event_type":"dns","timestamp":"2020-01-01T00:00:00Z","x":"\\ud800"}').reason,
    ).toBe('unsafe-text');
    expect(rejected('eve', '').reason).toBe('not-json');
  });

  it('refuses a line over maxLineBytes, counting UTF-8 bytes', () => {
    const line = `{"event_type":"dns","timestamp":"2020-01-01T00:00:00Z","x":"${'é'.repeat(600)}"}`;
    expect(line.length).toBeLessThan(1024);
    expect(rejected('eve', line, { maxLineBytes: 1024 }).reason).toBe('line-too-long');
    expect(parseEventLine('eve', line, { receivedAt, maxLineBytes: 2048 }).ok).toBe(true);
  });

  it('keeps at most the budget of extra suricata.eve.* leaves (the rest stays in raw)', () => {
    const stats: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) stats[`c${i}`] = i;
    const e = ok('eve', JSON.stringify({ timestamp: '2020-01-01T00:00:00Z', event_type: 'stats', stats }));
    expect(e.fields['event.kind']).toBe('metric');
    expect(Object.keys(e.fields).filter((k) => k.startsWith('suricata.eve.stats.')).length).toBe(256);
    expect(e.raw).toContain('"c999":999');
  });
});

describe('syslog RFC 5424 (RFC examples)', () => {
  it('reads example 1 (no structured data, BOM before the message)', () => {
    const e = ok(
      'syslog',
      "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed for lonvick on /dev/pts/8",
    );
    expect(e.ts).toBe(Date.parse('2003-10-11T22:14:15.003Z'));
    expect(e.type).toBe('syslog');
    expect(e.fields).toMatchObject({
      'log.syslog.priority': 34,
      'log.syslog.facility.code': 4,
      'log.syslog.facility.name': 'auth',
      'log.syslog.severity.code': 2,
      'log.syslog.severity.name': 'critical',
      'log.syslog.version': '1',
      'host.hostname': 'mymachine.example.com',
      'process.name': 'su',
      'log.syslog.msgid': 'ID47',
      message: "'su root' failed for lonvick on /dev/pts/8",
      'event.severity': 4,
    });
    expect(e.fields['log.syslog.procid']).toBeUndefined();
  });

  it('reads example 2 (fraction and offset) and example 4 (structured data only)', () => {
    const e = ok(
      'syslog',
      "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
    );
    expect(e.ts).toBe(Date.parse('2003-08-24T12:14:15.000Z'));
    expect(e.fields).toMatchObject({
      'process.pid': 8710,
      'log.syslog.facility.name': 'local4',
      'event.severity': 1,
    });
    const sd = ok(
      'syslog',
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
    );
    expect(sd.fields).toMatchObject({
      'log.syslog.structured_data.exampleSDID@32473.iut': '3',
      'log.syslog.structured_data.exampleSDID@32473.eventSource': 'Application',
      'log.syslog.structured_data.examplePriority@32473.class': 'high',
    });
    expect(sd.fields.message).toBeUndefined();
  });

  it('unescapes \\" \\\\ \\] in PARAM-VALUE and keeps other backslashes', () => {
    const e = ok('syslog', '<13>1 - h a - - [x@1 v="a\\"b\\\\c\\]d\\ne"] m');
    expect(e.fields['log.syslog.structured_data.x@1.v']).toBe('a"b\\c]d\\ne');
    expect(e.ts).toBe(receivedAt);
    expect(e.fields.message).toBe('m');
  });

  it('rejects a malformed header with the reason', () => {
    expect(rejected('syslog', '<13>1 2003-10-11T22:14:15.003 host app - - - msg').reason).toBe(
      'bad-timestamp',
    );
    expect(rejected('syslog', '<13>1 2003-10-11T22:14:15Z host app -').reason).toBe('bad-syslog');
    expect(rejected('syslog', '<13>1 2003-10-11T22:14:15Z host app - - [x@1 a="b] m').reason).toBe(
      'bad-syslog',
    );
    expect(rejected('syslog', '<13>1 2003-10-11T22:14:15Z host app - - x m').reason).toBe('bad-syslog');
    expect(rejected('syslog', '   ').reason).toBe('bad-syslog');
  });
});

describe('syslog RFC 3164', () => {
  it('reads the RFC examples, the year from the time received', () => {
    const e = ok('syslog', "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8");
    expect(e.ts).toBe(Date.UTC(2026, 9, 11, 22, 14, 15));
    expect(e.fields).toMatchObject({
      'host.hostname': 'mymachine',
      'process.name': 'su',
      message: "'su root' failed for lonvick on /dev/pts/8",
    });
    const bfg = ok('syslog', '<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!');
    // February is ahead of 1 December: last year's.
    expect(bfg.ts).toBe(Date.UTC(2026, 1, 5, 17, 32, 18));
    expect(bfg.fields).toMatchObject({ 'host.hostname': '10.0.0.99', message: 'Use the BFG!' });
  });

  it('puts late-December lines read in early January in the year before', () => {
    const e = ok('syslog', '<13>Dec 31 23:59:58 h app: x', Date.UTC(2027, 0, 1, 0, 0, 3));
    expect(e.ts).toBe(Date.UTC(2026, 11, 31, 23, 59, 58));
    const ahead = ok('syslog', '<13>Jan  1 00:00:01 h app: x', Date.UTC(2026, 11, 31, 23, 59, 59));
    expect(ahead.ts).toBe(Date.UTC(2027, 0, 1, 0, 0, 1));
  });

  it('tolerates a missing PRI (RFC 3164 §4.3.3: priority 13, all of it content)', () => {
    const e = ok('syslog', 'Use the BFG!');
    expect(e.ts).toBe(receivedAt);
    expect(e.fields).toMatchObject({
      'log.syslog.priority': 13,
      'log.syslog.priority_assumed': true,
      message: 'Use the BFG!',
    });
    const withTs = ok('syslog', 'Dec  1 20:00:00 web1 cron[12]: job');
    expect(withTs.fields).toMatchObject({
      'host.hostname': 'web1',
      'process.name': 'cron',
      'process.pid': 12,
      message: 'job',
    });
    // An invalid PRI is content too.
    expect(ok('syslog', '<999>x').fields.message).toBe('<999>x');
  });

  it('reads a tag without a hostname, an RFC 3339 timestamp in the BSD place', () => {
    const e = ok('syslog', '<13>Dec  1 20:00:00 sshd[99]: hello');
    expect(e.fields['host.hostname']).toBeUndefined();
    expect(e.fields).toMatchObject({ 'process.name': 'sshd', 'process.pid': 99, message: 'hello' });
    const iso = ok('syslog', '<13>2026-12-01T20:00:00.250+01:00 web2 app: x');
    expect(iso.ts).toBe(Date.UTC(2026, 11, 1, 19, 0, 0, 250));
    expect(iso.fields['host.hostname']).toBe('web2');
  });
});

describe('syslog well-known messages', () => {
  const cases: [string, Record<string, unknown>][] = [
    [
      '<38>Dec  1 20:59:01 web1 sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 52211 ssh2',
      {
        'user.name': 'admin',
        'source.ip': '203.0.113.9',
        'source.port': 52211,
        'event.outcome': 'failure',
        'event.category': ['authentication'],
        'system.auth.ssh.invalid_user': true,
      },
    ],
    [
      '<38>Dec  1 20:59:01 web1 sshd[4242]: Failed password for root from 2001:db8::1 port 22 ssh2',
      { 'user.name': 'root', 'source.ip': '2001:db8::1', 'event.outcome': 'failure' },
    ],
    [
      '<38>Dec  1 20:59:01 web1 sshd[4242]: Accepted publickey for deploy from 198.51.100.4 port 40000 ssh2: ED25519 SHA256:x',
      {
        'user.name': 'deploy',
        'source.ip': '198.51.100.4',
        'event.outcome': 'success',
        'system.auth.ssh.method': 'publickey',
      },
    ],
    [
      '<38>Dec  1 20:59:01 web1 sshd[1]: Invalid user oracle from 203.0.113.9 port 5000',
      { 'user.name': 'oracle', 'source.ip': '203.0.113.9', 'event.outcome': 'failure' },
    ],
    [
      '<86>Dec  1 20:59:01 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/cat /etc/shadow',
      {
        'user.name': 'alice',
        'user.effective.name': 'root',
        'process.command_line': '/bin/cat /etc/shadow',
        'event.outcome': 'success',
      },
    ],
    [
      '<86>Dec  1 20:59:01 web1 sudo:      bob : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/usr/bin/id',
      { 'user.name': 'bob', 'event.outcome': 'failure' },
    ],
    [
      '<86>Dec  1 20:59:01 web1 sudo: pam_unix(sudo:auth): authentication failure; logname=bob uid=1000 euid=0 tty=/dev/pts/1 ruser=bob rhost=  user=bob',
      { 'user.name': 'bob', 'event.outcome': 'failure', 'event.action': 'sudo_auth' },
    ],
    [
      '<86>Dec  1 20:59:01 web1 su[7]: pam_unix(su-l:session): session opened for user root(uid=0) by alice(uid=1000)',
      { 'user.name': 'alice', 'user.effective.name': 'root', 'event.outcome': 'success' },
    ],
    [
      '<86>Dec  1 20:59:01 web1 useradd[9]: new user: name=mallory, UID=1001, GID=1001, home=/home/mallory',
      { 'user.name': 'mallory', 'event.type': ['user', 'creation'] },
    ],
  ];
  it.each(cases)('%s', (line, fields) => {
    expect(ok('syslog', line).fields).toMatchObject(fields);
  });

  it('extracts nothing for another process with the same words', () => {
    const e = ok(
      'syslog',
      '<38>Dec  1 20:59:01 web1 myapp: Failed password for root from 1.2.3.4 port 1 ssh2',
    );
    expect(e.fields['user.name']).toBeUndefined();
  });
});

describe('CEF (ArcSight CEF specification examples)', () => {
  it('reads the header and extension', () => {
    const e = ok(
      'cef',
      'CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232',
    );
    expect(e.type).toBe('cef');
    expect(e.ts).toBe(receivedAt);
    expect(e.fields).toMatchObject({
      'observer.vendor': 'Security',
      'observer.product': 'threatmanager',
      'observer.version': '1.0',
      'event.code': '100',
      'rule.name': 'worm successfully stopped',
      'event.severity': 4,
      'cef.severity': '10',
      'source.ip': '10.0.0.1',
      'destination.ip': '2.1.2.2',
      'source.port': 1232,
      message: 'worm successfully stopped',
    });
  });

  it('unescapes \\| and \\\\ in the header, \\= \\\\ \\n in the extension; values keep spaces', () => {
    expect(
      ok(
        'cef',
        'CEF:0|security|threatmanager|1.0|100|detected a \\| in message|10|src=10.0.0.1 act=blocked a | dst=1.1.1.1',
      ).fields,
    ).toMatchObject({
      'rule.name': 'detected a | in message',
      'event.action': 'blocked a |',
      'destination.ip': '1.1.1.1',
    });
    expect(
      ok(
        'cef',
        'CEF:0|security|threatmanager|1.0|100|detected a \\\\ in packet|10|src=10.0.0.1 act=blocked a \\\\ dst=1.1.1.1',
      ).fields,
    ).toMatchObject({
      'rule.name': 'detected a \\ in packet',
      'event.action': 'blocked a \\',
    });
    expect(
      ok(
        'cef',
        'CEF:0|security|threatmanager|1.0|100|detected a = in message|10|src=10.0.0.1 act=blocked a \\= dst=1.1.1.1',
      ).fields['event.action'],
    ).toBe('blocked a =');
    expect(ok('cef', 'CEF:0|v|p|1|2|n|3|msg=line one\\nline two suser=alice').fields).toMatchObject({
      message: 'line one\nline two',
      'source.user.name': 'alice',
      'user.name': 'alice',
    });
  });

  it('maps times, custom strings with labels, request and severity words', () => {
    const e = ok(
      'cef',
      'CEF:1|Vend|Prod|2.0|sig-7|Login failed|High|rt=1796158000000 proto=TCP dpt=22 duser=root request=https://x.example/a?b cs1Label=Policy Name cs1=Deny all outcome=failure',
    );
    expect(e.ts).toBe(1796158000000);
    expect(e.fields).toMatchObject({
      'event.severity': 3,
      'network.transport': 'tcp',
      'destination.port': 22,
      'destination.user.name': 'root',
      'url.original': 'https://x.example/a?b',
      'cef.extensions.cs1': 'Deny all',
      'cef.extensions.Policy_Name': 'Deny all',
      'event.outcome': 'failure',
    });
    expect(ok('cef', 'CEF:0|v|p|1|2|n|3|rt=Sep 19 2026 08:26:10.123 UTC').ts).toBe(
      Date.UTC(2026, 8, 19, 8, 26, 10, 123),
    );
    expect(ok('cef', 'CEF:0|v|p|1|2|n|3|').fields['event.severity']).toBe(1);
  });

  it('reads CEF inside a syslog line, on a syslog or a CEF source', () => {
    const line =
      '<134>Sep 19 08:26:10 fw01 CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232';
    for (const format of ['cef', 'syslog'] as const) {
      const e = ok(format, line);
      expect(e.type).toBe('cef');
      expect(e.format).toBe('cef');
      expect(e.ts).toBe(Date.UTC(2026, 8, 19, 8, 26, 10));
      expect(e.fields).toMatchObject({
        'host.hostname': 'fw01',
        'log.syslog.priority': 134,
        'source.ip': '10.0.0.1',
        'event.severity': 4,
      });
    }
  });

  it('rejects malformed CEF with the reason', () => {
    expect(rejected('cef', 'hello').reason).toBe('bad-cef');
    expect(rejected('cef', 'CEF:0|a|b|c').reason).toBe('bad-cef');
    expect(rejected('cef', 'CEF:x|a|b|c|d|e|5|').reason).toBe('bad-cef');
    expect(rejected('cef', 'CEF:0|a|b|c|d|e|99|').reason).toBe('bad-cef');
    expect(rejected('cef', 'CEF:0|a|b|c|d|e|5|spt=abc').reason).toBe('bad-field');
    expect(rejected('cef', 'CEF:0|a|b|c|d|e|5|rt=yesterday').reason).toBe('bad-timestamp');
    expect(rejected('cef', 'CEF:0|a|b|c|d|e|5|no pairs here').reason).toBe('bad-cef');
  });
});
