import { canonicalAddress, clip, parseCves, storable, type Finding, type ParsedReport } from './findings.js';
import { ReportError } from './openvas.js';

/**
 * The plain CSV import (RFC 4180: comma-separated, fields in double quotes may hold commas, line
 * breaks and doubled quotes). The first line names the columns, in any order:
 * `address,port,cve,cvss,name,solution,hostname` — `address`, `cvss` and `name` are required, the
 * others may be left out or empty. `cve` holds one or more CVE ids (separated by spaces, commas or
 * semicolons, quoted when more than one); `port` is `443/tcp`, `general/tcp` or empty; `cvss` is the
 * CVSS base score 0–10. A row with a bad field is rejected with its line and reason; a row with a
 * score of 0 is not a vulnerability and is counted apart.
 */

export const CSV_COLUMNS = ['address', 'port', 'cve', 'cvss', 'name', 'solution', 'hostname'] as const;
type Column = (typeof CSV_COLUMNS)[number];
const REQUIRED: readonly Column[] = ['address', 'cvss', 'name'];

/** Records of a CSV text with the line each starts on; an unclosed quote is reported, not thrown. */
export function* csvRecords(
  text: string,
): Generator<{ line: number; fields: string[] } | { line: number; error: string }> {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let done = false;
    while (!done) {
      if (i < n && text.charCodeAt(i) === 34) {
        // A quoted field.
        i++;
        for (;;) {
          if (i >= n) {
            yield { line: start, error: `line ${start}: a quoted field is not closed` };
            return;
          }
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          // Skip to the end of the line: this record is malformed.
          while (i < n && text[i] !== '\n') i++;
          i++;
          line++;
          yield { line: start, error: `line ${start}: text after a closing quote` };
          done = true;
          break;
        }
      } else {
        while (i < n) {
          const c = text[i]!;
          if (c === ',' || c === '\n' || c === '\r') break;
          if (c === '"') {
            while (i < n && text[i] !== '\n') i++;
            i++;
            line++;
            yield { line: start, error: `line ${start}: a quote inside an unquoted field` };
            done = true;
            break;
          }
          field += c;
          i++;
        }
        if (done) break;
      }
      fields.push(field);
      field = '';
      if (i >= n) done = true;
      else if (text[i] === ',') i++;
      else {
        if (text[i] === '\r') i++;
        if (text[i] === '\n') i++;
        line++;
        done = true;
      }
      if (done && !(fields.length === 1 && fields[0] === '')) yield { line: start, fields };
    }
  }
}

export function parseCsvReport(text: string): ParsedReport {
  const out: ParsedReport = {
    target: null,
    scannedAt: null,
    hosts: null,
    findings: [],
    errors: [],
    ignored: 0,
  };
  let header: Map<Column, number> | undefined;
  let width = 0;
  for (const rec of csvRecords(text)) {
    if ('error' in rec) {
      if (!header) throw new ReportError(`the CSV header is not valid: ${rec.error}`);
      out.errors.push({ line: rec.line, reason: rec.error });
      continue;
    }
    if (!header) {
      header = new Map();
      width = rec.fields.length;
      for (const [k, raw] of rec.fields.entries()) {
        const name = raw.trim().toLowerCase();
        if (!(CSV_COLUMNS as readonly string[]).includes(name)) {
          throw new ReportError(
            `the CSV header names an unknown column "${clip(raw, 40)}"; the columns are ${CSV_COLUMNS.join(', ')}`,
          );
        }
        if (header.has(name as Column)) throw new ReportError(`the CSV header names "${name}" twice`);
        header.set(name as Column, k);
      }
      const missing = REQUIRED.filter((c) => !header!.has(c));
      if (missing.length) {
        throw new ReportError(`the CSV header lacks the required column(s) ${missing.join(', ')}`);
      }
      continue;
    }
    const reject = (reason: string) =>
      out.errors.push({ line: rec.line, reason: `line ${rec.line}: ${reason}` });
    if (rec.fields.length !== width) {
      reject(`it has ${rec.fields.length} fields, the header ${width}`);
      continue;
    }
    const get = (c: Column) => {
      const k = header!.get(c);
      return k === undefined ? '' : rec.fields[k]!.trim();
    };
    const address = canonicalAddress(get('address'));
    if (!address) {
      reject(
        get('address')
          ? `address "${clip(get('address'), 60)}" is not an IPv4 or IPv6 address`
          : 'address is empty',
      );
      continue;
    }
    const cvssText = get('cvss');
    const cvss = cvssText ? Number(cvssText) : NaN;
    if (!Number.isFinite(cvss) || cvss < 0 || cvss > 10) {
      reject(`cvss "${clip(cvssText, 20)}" is not a score between 0 and 10`);
      continue;
    }
    const name = get('name');
    if (!name) {
      reject('name is empty');
      continue;
    }
    const cves = parseCves(get('cve'));
    if ('bad' in cves) {
      reject(`"${clip(cves.bad, 40)}" is not a CVE id`);
      continue;
    }
    const port = get('port');
    if (port && !/^([0-9]{1,5}|general)(\/(tcp|udp|sctp|icmp))?$/i.test(port)) {
      reject(`port "${clip(port, 20)}" is not a port such as 443/tcp`);
      continue;
    }
    if (cvss === 0) {
      out.ignored++;
      continue;
    }
    const solution = get('solution');
    const hostname = get('hostname');
    const finding: Finding = {
      address,
      hostname: hostname ? clip(storable(hostname), 253) : null,
      port: port.toLowerCase(),
      nvtOid: null,
      cves: cves.cves,
      name: clip(storable(name.replace(/\s+/g, ' ')), 500),
      cvss: Math.round(cvss * 10) / 10,
      solution: solution ? clip(storable(solution), 4000) : null,
      threat: null,
      qod: null,
    };
    out.findings.push({ finding, line: rec.line });
  }
  if (!header) throw new ReportError('the CSV is empty: the first line must name the columns');
  return out;
}
