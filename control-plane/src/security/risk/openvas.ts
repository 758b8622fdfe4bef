import {
  canonicalAddress,
  clip,
  parseCves,
  storable,
  type Finding,
  type ImportError,
  type ParsedReport,
} from './findings.js';
import { child, children, ownText, readXml, textOf, XmlError, type XmlElement } from './xml.js';

/**
 * Greenbone / OpenVAS reports in GMP XML: a `<get_reports_response>` with one `<report>`, or the
 * `<report>` itself (an exported file), whose inner `<report>` holds `results/result` (host with its
 * address and hostname, port, nvt with oid, name, `cvss_base` or `severities/@score`, CVE refs,
 * solution; threat, severity, qod), the task and its target, the scan's start and the hosts scanned.
 * A result without a usable address or score is rejected with its reason; log-level results
 * (severity 0, or negative: false positive, error) are not vulnerabilities and are counted apart.
 */

/** Thrown when the document is not a GMP report at all (the whole upload is refused). */
export class ReportError extends Error {}

const MAX_NAME = 500;
const MAX_SOLUTION = 4000;

export function parseOpenvasReport(xml: string): ParsedReport {
  const out: ParsedReport = {
    target: null,
    scannedAt: null,
    hosts: null,
    findings: [],
    errors: [],
    ignored: 0,
  };
  let root: string | undefined;
  let inner = false;
  let index = 0;
  const meta: { task?: XmlElement; scanStart?: string; timestamp?: string } = {};
  const hosts: string[] = [];
  /** The inner report's path: `[get_reports_response,] report, report`. */
  const isInner = (p: readonly string[]) =>
    (p.length === 2 && p[0] === 'report' && p[1] === 'report') ||
    (p.length === 3 && p[0] === 'get_reports_response' && p[1] === 'report' && p[2] === 'report');
  try {
    readXml(xml, {
      capture: (p) => {
        root ??= p[0];
        const parent = p.slice(0, -1);
        const name = p[p.length - 1];
        if (isInner(p)) inner = true;
        if (name === 'result' && p[p.length - 2] === 'results' && isInner(p.slice(0, -2))) return true;
        return (
          isInner(parent) &&
          (name === 'task' || name === 'scan_start' || name === 'timestamp' || name === 'host')
        );
      },
      onElement: (el) => {
        if (el.name === 'result') {
          index++;
          readResult(el, index, out);
        } else if (el.name === 'task') meta.task = el;
        else if (el.name === 'scan_start') meta.scanStart = textOf(el);
        else if (el.name === 'timestamp') meta.timestamp = textOf(el);
        else if (el.name === 'host') {
          const a = canonicalAddress(ownText(child(el, 'ip')) || ownText(el));
          if (a) hosts.push(a);
        }
      },
    });
  } catch (err) {
    if (err instanceof XmlError) throw new ReportError(`the report is not well-formed XML: ${err.message}`);
    throw err;
  }
  if (root !== 'report' && root !== 'get_reports_response') {
    throw new ReportError(
      `the document is not a Greenbone/OpenVAS report: its root element is <${root ?? '?'}>, expected <report> or <get_reports_response>`,
    );
  }
  if (!inner) {
    throw new ReportError('the document has no report (<report><report>…</report></report>) with results');
  }
  const target = child(meta.task, 'target');
  const targetId = target?.attrs.id;
  const targetName = textOf(child(target, 'name'));
  const taskName = textOf(child(meta.task, 'name'));
  out.target = targetId
    ? `openvas:target:${targetId}`
    : meta.task?.attrs.id
      ? `openvas:task:${meta.task.attrs.id}`
      : targetName || taskName
        ? `openvas:${targetName || taskName}`
        : null;
  const when = meta.scanStart || meta.timestamp;
  if (when && !Number.isNaN(Date.parse(when))) out.scannedAt = new Date(Date.parse(when)).toISOString();
  out.hosts = hosts.length ? [...new Set(hosts)] : null;
  return out;
}

function readResult(el: XmlElement, index: number, out: ParsedReport): void {
  const reject = (reason: string) => {
    const e: ImportError = { index, line: el.line, reason: `result ${index}: ${reason}` };
    out.errors.push(e);
  };
  const host = child(el, 'host');
  const rawAddress = ownText(host);
  if (!rawAddress) return reject('it names no host address');
  const address = canonicalAddress(rawAddress);
  if (!address) return reject(`host "${clip(rawAddress, 60)}" is not an IPv4 or IPv6 address`);
  const nvt = child(el, 'nvt');
  const name = textOf(child(nvt, 'name')) || textOf(child(el, 'name'));
  if (!name) return reject('it has no name (nvt/name)');
  const severity = numberOf(textOf(child(el, 'severity')));
  const scored = numberOf(child(nvt, 'severities')?.attrs.score ?? '');
  const severityScore = numberOf(textOf(child(child(child(nvt, 'severities'), 'severity'), 'score')));
  const base = numberOf(textOf(child(nvt, 'cvss_base')));
  // The result's own severity (after overrides) first, then the NVT's scores.
  const cvss = severity ?? scored ?? severityScore ?? base;
  if (cvss === undefined) return reject('it has no score (severity, nvt/severities or nvt/cvss_base)');
  if (cvss > 10) return reject(`its score ${cvss} is above 10`);
  if (cvss <= 0) {
    out.ignored++;
    return;
  }
  const cveRefs = children(child(nvt, 'refs'), 'ref')
    .filter((r) => (r.attrs.type ?? '').toLowerCase() === 'cve' && r.attrs.id)
    .map((r) => r.attrs.id!)
    .join(' ');
  // GMP 7 and older list CVEs in <cve>, comma-separated.
  const oldCves = textOf(child(nvt, 'cve'));
  const parsed = parseCves(`${cveRefs} ${oldCves === 'NOCVE' ? '' : oldCves}`);
  if ('bad' in parsed) return reject(`"${clip(parsed.bad, 40)}" is not a CVE id`);
  const qod = numberOf(textOf(child(child(el, 'qod'), 'value')));
  const solution = textOf(child(nvt, 'solution')) || tag(textOf(child(nvt, 'tags')), 'solution');
  const oid = nvt?.attrs.oid?.trim();
  const hostname = textOf(child(host, 'hostname'));
  const finding: Finding = {
    address,
    hostname: hostname ? clip(storable(hostname), 253) : null,
    port: clip(storable(textOf(child(el, 'port'))), 100),
    nvtOid: oid ? clip(storable(oid), 200) : null,
    cves: parsed.cves,
    name: clip(storable(name.replace(/\s+/g, ' ')), MAX_NAME),
    cvss: Math.round(cvss * 10) / 10,
    solution: solution ? clip(storable(solution), MAX_SOLUTION) : null,
    threat: textOf(child(el, 'threat')) || null,
    qod: qod === undefined ? null : Math.max(0, Math.min(100, Math.round(qod))),
  };
  out.findings.push({ finding, index, line: el.line });
}

function numberOf(s: string): number | undefined {
  if (!s.trim()) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

/** A field of the NVT's `tags` (`summary=…|solution=…|solution_type=…`). */
function tag(tags: string, name: string): string {
  for (const part of tags.split('|')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return '';
}
