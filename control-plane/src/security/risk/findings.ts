import { addressToBigInt, bigIntToAddress } from '../../inventory/cidr.js';

/** A vulnerability finding as a scanner reports it, before it is attributed to an org unit. */
export interface Finding {
  /** The asset's address, canonical (IPv6 compressed, lowercase). */
  address: string;
  hostname: string | null;
  /** `443/tcp`, `general/tcp`, or '' when the scanner names none. */
  port: string;
  /** The Greenbone NVT's OID, or null (CSV). */
  nvtOid: string | null;
  /** CVE ids, upper case, sorted, each once. */
  cves: string[];
  name: string;
  /** CVSS base score, 0–10. */
  cvss: number;
  solution: string | null;
  /** The scanner's word for the severity (High, Medium, Low), when it gives one. */
  threat: string | null;
  /** Quality of detection, 0–100 (OpenVAS), or null. */
  qod: number | null;
}

/** Where a rejected entry was: its 1-based index among the report's results, or its CSV line. */
export interface ImportError {
  index?: number;
  line?: number;
  reason: string;
}

export interface ParsedReport {
  /** The scan target the report covers (findings of the same target absent from a newer report are fixed). */
  target: string | null;
  /** When the scan ran (ISO), when the document says. */
  scannedAt: string | null;
  /** Addresses the report says were scanned (OpenVAS `report/host`), or null when it does not list them. */
  hosts: string[] | null;
  findings: { finding: Finding; index?: number; line?: number }[];
  errors: ImportError[];
  /** Entries that are not vulnerabilities (log-level results, severity 0 or a false positive). */
  ignored: number;
}

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The CVSS v3 qualitative rating of a score (0 → none). */
export function cvssBand(score: number): Severity | 'none' {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'none';
}

/** The canonical text of an IPv4 or IPv6 address, or undefined for anything else. */
export function canonicalAddress(text: string): string | undefined {
  const t = text.trim();
  if (!t || t.length > 45 || t.includes('%')) return undefined;
  const a = addressToBigInt(t);
  return a ? bigIntToAddress(a.family, a.value) : undefined;
}

const CVE = /^CVE-\d{4}-\d{4,9}$/;

/** CVE ids from a list separated by commas, semicolons or spaces; undefined names the bad one. */
export function parseCves(text: string): { cves: string[] } | { bad: string } {
  const out = new Set<string>();
  for (const part of text.split(/[\s,;]+/)) {
    if (!part) continue;
    const id = part.toUpperCase();
    if (!CVE.test(id)) return { bad: part };
    out.add(id);
  }
  return { cves: [...out].sort() };
}

/** The identity of a finding on its asset: the NVT, else its CVEs, else its name. */
export function findingKey(f: Pick<Finding, 'nvtOid' | 'cves' | 'name'>): string {
  if (f.nvtOid) return `nvt:${f.nvtOid}`;
  if (f.cves.length) return `cve:${f.cves.join(',')}`;
  return `name:${f.name.toLowerCase()}`;
}

/** Cuts `s` to `max` characters (names and solutions are shown, not searched). */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Text the state store can hold: no NUL, no lone surrogates. */
export function storable(s: string): string {
  return s.replaceAll(String.fromCharCode(0), '').replace(/[\uD800-\uDFFF]/g, (c, i: number, all: string) => {
    const code = c.charCodeAt(0);
    if (code <= 0xdbff) {
      const next = all.charCodeAt(i + 1);
      return next >= 0xdc00 && next <= 0xdfff ? c : '\uFFFD';
    }
    const prev = all.charCodeAt(i - 1);
    return prev >= 0xd800 && prev <= 0xdbff ? c : '\uFFFD';
  });
}
