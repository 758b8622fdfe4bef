import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsvReport } from './csv.js';
import { cvssBand, findingKey } from './findings.js';
import { parseOpenvasReport, ReportError } from './openvas.js';
import { readXml, XmlError } from './xml.js';

/*
 * Genuine Greenbone/OpenVAS reports (test/fixtures/vulnerabilities/README.md names their source):
 * report_detail_v2.xml (GMP 22.6, one result, severities/score and a <solution>), many_vuln.xml
 * (GMP 9.0, a Metasploitable 2 scan: 44 results with cvss_base and the solution in <tags>; its
 * address was anonymised by the publisher to 192.168.1.1001, which is no IPv4 address).
 */
const fixture = (name: string) =>
  readFileSync(new URL(`../../../../test/fixtures/vulnerabilities/${name}`, import.meta.url), 'utf8');

describe('readXml', () => {
  const names = (xml: string) => {
    const out: string[] = [];
    readXml(xml, { capture: (p) => p.length === 2, onElement: (el) => out.push(el.name) });
    return out;
  };

  it('refuses document type declarations and entity definitions (no expansion, no fetch)', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><a>&lol2;</a>`;
    expect(() => names(bomb)).toThrow(/document type declarations and entity definitions are not accepted/);
    const xxe = `<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>`;
    expect(() => names(xxe)).toThrow(XmlError);
  });

  it('decodes the predefined entities and character references, refuses others', () => {
    let text = '';
    readXml('<a><b>x &lt; y &amp; &#x4e2d;&#25991;</b></a>', {
      capture: (p) => p.length === 2,
      onElement: (el) => (text = el.children.join('')),
    });
    expect(text).toBe('x < y & 中文');
    expect(() => names('<a><b>&nbsp;</b></a>')).toThrow(/unknown entity &nbsp;/);
    expect(() => names('<a><b>&#0;</b></a>')).toThrow(/not a valid character/);
  });

  it('names the line of malformed XML', () => {
    expect(() => names('<a>\n<b>\n</c></a>')).toThrow(/line 3: end tag <\/c> does not match <b>/);
    expect(() => names('<a><b></b>')).toThrow(/ends inside <a>/);
    expect(() => names('<a></a><b/>')).toThrow(/second root/);
    expect(() => names('')).toThrow(/no root element/);
    expect(() => names('<a x="1" x="2"/>')).toThrow(/given twice/);
  });

  it('bounds the nesting depth', () => {
    const deep = '<a>'.repeat(100) + '</a>'.repeat(100);
    expect(() => readXml(deep, { capture: () => false, onElement: () => {} })).toThrow(
      /nested deeper than 64/,
    );
  });

  it('reads CDATA and skips comments and processing instructions', () => {
    let text = '';
    readXml('<?xml version="1.0"?><!-- c --><a><b><![CDATA[<x>&amp;]]></b></a>', {
      capture: (p) => p.length === 2,
      onElement: (el) => (text = el.children.join('')),
    });
    expect(text).toBe('<x>&amp;');
  });
});

describe('parseOpenvasReport', () => {
  it('reads a GMP 22.6 report: address, hostname, port, NVT, score, CVEs, solution, target, scan start', () => {
    const r = parseOpenvasReport(fixture('openvas-report_detail_v2.xml'));
    expect(r.errors).toEqual([]);
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!.finding;
    expect(f).toMatchObject({
      address: '10.99.99.99',
      hostname: 'server99',
      port: '42/tcp',
      nvtOid: '1.3.6.1.4.1.25623.1.0.836484',
      name: 'Microsoft Windows Multiple Vulnerabilities (KB5062557)',
      cvss: 9.8,
      threat: 'High',
      qod: 80,
    });
    expect(f.cves).toHaveLength(93);
    expect(f.cves).toContain('CVE-2025-47981');
    expect(f.solution).toMatch(/^The vendor has released updates/);
    expect(cvssBand(f.cvss)).toBe('critical');
    expect(r.target).toBe('openvas:target:1a9c3697-d422-4280-96d8-2381138a7b70');
    expect(r.scannedAt).toBe('2025-08-22T13:01:38.000Z');
  });

  it('reads a GMP 9 report and rejects each result whose address is no IP address, with its index', () => {
    const r = parseOpenvasReport(fixture('openvas-many_vuln.xml'));
    expect(r.findings).toHaveLength(0);
    expect(r.errors).toHaveLength(44);
    expect(r.errors[0]).toMatchObject({
      index: 1,
      reason: 'result 1: host "192.168.1.1001" is not an IPv4 or IPv6 address',
    });
    expect(r.errors[43]!.index).toBe(44);
    expect(r.target).toBe('openvas:target:693e1594-efae-4a26-abff-ea2ac98e0f0f');
  });

  it('reads the same GMP 9 report with a valid address: 44 findings, solutions from the NVT tags', () => {
    const r = parseOpenvasReport(
      fixture('openvas-many_vuln.xml').replaceAll('192.168.1.1001', '10.99.99.10'),
    );
    expect(r.errors).toEqual([]);
    expect(r.findings).toHaveLength(44);
    const rexec = r.findings.find((x) => x.finding.nvtOid === '1.3.6.1.4.1.25623.1.0.100111')!.finding;
    expect(rexec).toMatchObject({
      port: '512/tcp',
      cvss: 10,
      cves: ['CVE-1999-0618'],
      name: 'The rexec service is running',
    });
    expect(rexec.solution).toMatch(/^Disable the rexec service/);
    // Every finding has its own key on the asset (port + NVT).
    const keys = new Set(r.findings.map((x) => `${x.finding.port}|${findingKey(x.finding)}`));
    expect(keys.size).toBe(44);
  });

  it('reads a one-line GMP 9 export: general/tcp, 12 CVEs, the solution from the tags', () => {
    const r = parseOpenvasReport(fixture('openvas-one_vuln.xml'));
    expect(r.errors).toEqual([]);
    expect(r.findings.map((x) => x.finding)).toMatchObject([
      { address: '10.0.101.2', hostname: null, port: 'general/tcp', cvss: 10, qod: 97 },
    ]);
    expect(r.findings[0]!.finding.cves).toHaveLength(12);
    expect(r.findings[0]!.finding.solution).toMatch(/^Upgrade to version 117 or later/);
  });

  it('refuses what is not a report, names a result without a score, and counts log-level results apart', () => {
    expect(() => parseOpenvasReport('<html><body/></html>')).toThrow(ReportError);
    expect(() => parseOpenvasReport('<report id="x"><name>n</name></report>')).toThrow(/has no report/);
    expect(() => parseOpenvasReport('<report><report><results>')).toThrow(/not well-formed/);
    const doc = `<get_reports_response status="200"><report id="r"><report id="r">
      <results>
        <result><host>10.0.0.1</host><port>80/tcp</port><nvt oid="1.2"><name>No score</name></nvt></result>
        <result><host>10.0.0.1</host><port>general/tcp</port><nvt oid="1.3"><name>OS detection</name><cvss_base>0.0</cvss_base></nvt><severity>0.0</severity></result>
        <result><host>2001:DB8::0001</host><port>443/tcp</port><nvt oid="1.4"><name>TLS</name><cvss_base>5.0</cvss_base><refs><ref type="cve" id="cve-2014-0160"/><ref type="url" id="http://x"/></refs></nvt><threat>Medium</threat></result>
      </results></report></report></get_reports_response>`;
    const r = parseOpenvasReport(doc);
    expect(r.errors).toEqual([
      { index: 1, line: 3, reason: 'result 1: it has no score (severity, nvt/severities or nvt/cvss_base)' },
    ]);
    expect(r.ignored).toBe(1);
    expect(r.findings.map((x) => x.finding)).toMatchObject([
      { address: '2001:db8::1', cvss: 5, cves: ['CVE-2014-0160'], threat: 'Medium' },
    ]);
  });
});

describe('parseCsvReport', () => {
  it('reads the documented columns in any order, quoted fields with commas, quotes and line breaks', () => {
    const csv = [
      'name,address,cvss,cve,port,solution,hostname',
      '"OpenSSL ""Heartbleed""",10.99.99.99,7.5,"CVE-2014-0160, CVE-2014-0346",443/tcp,"Upgrade OpenSSL,',
      'then restart",www.example',
      'Telnet cleartext,10.0.101.2,4.8,,23/tcp,,',
    ].join('\r\n');
    const r = parseCsvReport(csv);
    expect(r.errors).toEqual([]);
    expect(r.findings.map((x) => [x.line, x.finding])).toEqual([
      [
        2,
        {
          address: '10.99.99.99',
          hostname: 'www.example',
          port: '443/tcp',
          nvtOid: null,
          cves: ['CVE-2014-0160', 'CVE-2014-0346'],
          name: 'OpenSSL "Heartbleed"',
          cvss: 7.5,
          solution: 'Upgrade OpenSSL,\r\nthen restart',
          threat: null,
          qod: null,
        },
      ],
      [4, expect.objectContaining({ address: '10.0.101.2', cves: [], port: '23/tcp', cvss: 4.8 })],
    ]);
  });

  it('rejects bad rows with their line and reason and keeps the good ones', () => {
    const csv = [
      'address,cvss,name,cve,port',
      '10.0.0.1,9.1,Good,CVE-2021-44228,8080/tcp',
      '10.0.0.300,5,Bad address,,',
      '10.0.0.2,eleven,Bad score,,',
      '10.0.0.3,5,,,',
      '10.0.0.4,5,Bad CVE,CVE-21-1,',
      '10.0.0.5,5,Bad port,,http',
      '10.0.0.6,5,Too few',
      '10.0.0.7,0,Informational,,',
      '10.0.0.8,5,Broken "quote,,',
      '10.0.0.9,6.5,Last good,,',
    ].join('\n');
    const r = parseCsvReport(csv);
    expect(r.findings.map((x) => x.finding.name)).toEqual(['Good', 'Last good']);
    expect(r.ignored).toBe(1);
    expect(r.errors).toEqual([
      { line: 3, reason: 'line 3: address "10.0.0.300" is not an IPv4 or IPv6 address' },
      { line: 4, reason: 'line 4: cvss "eleven" is not a score between 0 and 10' },
      { line: 5, reason: 'line 5: name is empty' },
      { line: 6, reason: 'line 6: "CVE-21-1" is not a CVE id' },
      { line: 7, reason: 'line 7: port "http" is not a port such as 443/tcp' },
      { line: 8, reason: 'line 8: it has 3 fields, the header 5' },
      { line: 10, reason: 'line 10: a quote inside an unquoted field' },
    ]);
  });

  it('refuses a header with unknown or missing columns, and an empty document', () => {
    expect(() => parseCsvReport('address,score,name\n')).toThrow(/unknown column "score"/);
    expect(() => parseCsvReport('address,name\n10.0.0.1,x')).toThrow(/lacks the required column\(s\) cvss/);
    expect(() => parseCsvReport('')).toThrow(/empty/);
  });

  it('reports an unclosed quote at the line it starts on', () => {
    const r = parseCsvReport('address,cvss,name\n10.0.0.1,5,ok\n10.0.0.2,5,"never closed\nmore');
    expect(r.findings).toHaveLength(1);
    expect(r.errors).toEqual([{ line: 3, reason: 'line 3: a quoted field is not closed' }]);
  });
});
