import { randomUUID } from 'node:crypto';
import { inScope, requirePermission, type Identity } from '../../auth/identity.js';
import { InputError } from '../../errors.js';
import type { ModuleDeps } from '../../modules/contract.js';
import type { Queryable } from '../../store/state/index.js';
import type { OrgAttribution } from '../types.js';
import { parseCsvReport } from './csv.js';
import {
  cvssBand,
  findingKey,
  SEVERITIES,
  type ImportError,
  type ParsedReport,
  type Severity,
} from './findings.js';
import { parseOpenvasReport, ReportError } from './openvas.js';

export const VULNERABILITY_FORMATS = ['openvas', 'csv'] as const;
export type VulnerabilityFormat = (typeof VULNERABILITY_FORMATS)[number];

/** Findings written per statement. */
const CHUNK = 500;

/**
 * A finding seen again: a report at least as new as the stored one replaces its details; a report
 * newer than the fix opens a fixed finding again; first and last seen widen.
 */
const newer = (col: string) =>
  `${col} = CASE WHEN EXCLUDED.last_seen >= security_vulnerabilities.last_seen THEN EXCLUDED.${col} ELSE security_vulnerabilities.${col} END`;
const reopened = `security_vulnerabilities.status = 'fixed' AND EXCLUDED.last_seen > security_vulnerabilities.fixed_at`;
const UPSERT = `
  org_unit_id = EXCLUDED.org_unit_id, org_path = EXCLUDED.org_path,
  hostname = COALESCE(EXCLUDED.hostname, security_vulnerabilities.hostname),
  ${['nvt_oid', 'cves', 'name', 'cvss', 'severity', 'solution', 'threat', 'qod'].map(newer).join(',\n  ')},
  source = EXCLUDED.source,
  scan_target = COALESCE(EXCLUDED.scan_target, security_vulnerabilities.scan_target),
  status = CASE WHEN ${reopened} THEN 'open' ELSE security_vulnerabilities.status END,
  fixed_at = CASE WHEN ${reopened} THEN NULL ELSE security_vulnerabilities.fixed_at END,
  first_seen = LEAST(security_vulnerabilities.first_seen, EXCLUDED.first_seen),
  last_seen = GREATEST(security_vulnerabilities.last_seen, EXCLUDED.last_seen),
  updated_at = now()`;

/** Errors named in an import's answer; the rest are counted in `errorsTruncated`. */
const MAX_ERRORS = 100;

export interface ImportResult {
  /** Findings new to their asset. */
  imported: number;
  /** Findings already known (same asset, port and NVT/CVE), updated. */
  updated: number;
  /** Open findings of the same scan target that this (newer) report no longer shows. */
  fixed: number;
  rejected: number;
  /** Entries that are not vulnerabilities (log level, severity 0). */
  ignored: number;
  errors: ImportError[];
  errorsTruncated?: number;
  target: string | null;
  scannedAt: string;
}

export interface Vulnerability {
  id: string;
  assetAddress: string;
  hostname: string | null;
  port: string;
  orgUnitId: string;
  orgUnitName: string;
  nvtOid: string | null;
  cves: string[];
  name: string;
  cvss: number;
  severity: Severity;
  solution: string | null;
  threat: string | null;
  qod: number | null;
  source: VulnerabilityFormat;
  scanTarget: string | null;
  status: 'open' | 'fixed';
  firstSeen: string;
  lastSeen: string;
  fixedAt: string | null;
}

interface Row {
  id: string;
  asset_address: string;
  hostname: string | null;
  port: string;
  org_unit_id: string;
  unit_name: string;
  nvt_oid: string | null;
  cves: string[];
  name: string;
  cvss: number;
  severity: Severity;
  solution: string | null;
  threat: string | null;
  qod: number | null;
  source: VulnerabilityFormat;
  scan_target: string | null;
  status: 'open' | 'fixed';
  first_seen: Date | string;
  last_seen: Date | string;
  fixed_at: Date | string | null;
}

const iso = (v: Date | string) => new Date(v).toISOString();

/** The answer to an address outside the caller's org units: the same as for an address of no unit. */
const notYours = (address: string) =>
  `address ${address} is not in the IP prefixes of your org units (an address of no org unit, or of one outside your scope)`;

/**
 * Vulnerability findings imported from scanner reports, each attributed to its asset's org unit by
 * address (the IP prefix registry), in the caller's scope only.
 */
export class Vulnerabilities {
  constructor(
    private readonly d: Pick<ModuleDeps, 'db' | 'audit' | 'orgUnits'>,
    private readonly attribution: OrgAttribution,
  ) {}

  /** Parses a report (the whole document is refused with its reason when it is not one). */
  parse(format: VulnerabilityFormat, text: string): ParsedReport {
    try {
      return format === 'openvas' ? parseOpenvasReport(text) : parseCsvReport(text);
    } catch (err) {
      if (err instanceof ReportError) {
        throw new InputError(err.message, { code: 'vulnerability.report_invalid' });
      }
      throw err;
    }
  }

  async import(
    identity: Identity,
    format: VulnerabilityFormat,
    text: string,
    opts: { target?: string | undefined; scannedAt?: string | undefined } = {},
    now = Date.now(),
  ): Promise<ImportResult> {
    requirePermission(identity, 'security:write');
    const report = this.parse(format, text);
    const target = opts.target ?? report.target;
    const scannedAt = opts.scannedAt ?? report.scannedAt ?? new Date(now).toISOString();
    await this.attribution.refresh();
    const errors: ImportError[] = [...report.errors];
    const accepted: { f: ParsedReport['findings'][number]['finding']; unit: string; path: string }[] = [];
    for (const { finding, index, line } of report.findings) {
      const a = this.attribution.byAddress(finding.address);
      if (!a || !inScope(identity, a.orgPath)) {
        errors.push({
          ...(index !== undefined ? { index } : {}),
          ...(line !== undefined ? { line } : {}),
          reason: `${index !== undefined ? `result ${index}` : `line ${line}`}: ${notYours(finding.address)}`,
        });
        continue;
      }
      accepted.push({ f: finding, unit: a.orgUnitId, path: a.orgPath });
    }
    const result = await this.d.db.transaction(async (tx) => {
      let imported = 0;
      let updated = 0;
      // One statement per chunk; a finding listed twice in the report is stored once (the later one).
      const unique = new Map<string, (typeof accepted)[number]>();
      for (const a of accepted) unique.set(`${a.f.address}|${a.f.port}|${findingKey(a.f)}`, a);
      updated += accepted.length - unique.size;
      const rows = [...unique.values()];
      for (let k = 0; k < rows.length; k += CHUNK) {
        const chunk = rows.slice(k, k + CHUNK);
        const col = <T>(fn: (x: (typeof rows)[number]) => T) => chunk.map(fn);
        const r = await tx.query<{ inserted: boolean }>(
          `INSERT INTO security_vulnerabilities (id, asset_address, org_unit_id, org_path, hostname, port, finding_key,
             nvt_oid, cves, name, cvss, severity, solution, threat, qod, source, scan_target, status, first_seen, last_seen)
           SELECT x.id, x.address, x.unit, x.path, x.hostname, x.port, x.key, x.oid,
                  COALESCE(string_to_array(NULLIF(x.cves, ''), ' '), '{}'),
                  x.name, x.cvss, x.severity, x.solution, x.threat, x.qod, $16, $17, 'open', $18, $18
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                         $9::text[], $10::text[], $11::numeric[], $12::text[], $13::text[], $14::text[], $15::smallint[])
                  AS x(id, address, unit, path, hostname, port, key, oid, cves, name, cvss, severity, solution, threat, qod)
           ON CONFLICT (asset_address, port, finding_key) DO UPDATE SET${UPSERT}
           RETURNING (xmax = 0) AS inserted`,
          [
            col(() => randomUUID()),
            col((x) => x.f.address),
            col((x) => x.unit),
            col((x) => x.path),
            col((x) => x.f.hostname),
            col((x) => x.f.port),
            col((x) => findingKey(x.f)),
            col((x) => x.f.nvtOid),
            col((x) => x.f.cves.join(' ')),
            col((x) => x.f.name),
            col((x) => x.f.cvss),
            col((x) => cvssBand(x.f.cvss)),
            col((x) => x.f.solution),
            col((x) => x.f.threat),
            col((x) => x.f.qod),
            format,
            target,
            scannedAt,
          ],
        );
        for (const row of r.rows) {
          if (row.inserted) imported++;
          else updated++;
        }
      }
      const fixed = target ? await this.markFixed(tx, identity, target, scannedAt, report.hosts) : 0;
      const id = randomUUID();
      const rejected = errors.length;
      await tx.query(
        `INSERT INTO security_vulnerability_imports (id, actor, org_unit_id, format, scan_target, scanned_at,
           imported, updated, fixed, rejected, ignored)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          id,
          identity.name,
          identity.orgUnitId,
          format,
          target,
          scannedAt,
          imported,
          updated,
          fixed,
          rejected,
          report.ignored,
        ],
      );
      await this.d.audit.record(
        identity,
        {
          action: 'security.vulnerabilities.import',
          targetType: 'vulnerability-import',
          targetId: id,
          orgUnitId: identity.orgUnitId,
          details: { format, target, scannedAt, imported, updated, fixed, rejected, ignored: report.ignored },
        },
        tx,
      );
      return { imported, updated, fixed, rejected };
    });
    return {
      ...result,
      ignored: report.ignored,
      errors: errors.slice(0, MAX_ERRORS),
      ...(errors.length > MAX_ERRORS ? { errorsTruncated: errors.length - MAX_ERRORS } : {}),
      target,
      scannedAt,
    };
  }

  /**
   * Open findings of `target` in the caller's scope that a report newer than every earlier one of
   * the target no longer shows become `fixed` (restricted to the hosts the report says it scanned,
   * when it lists them). An older report fixes nothing.
   */
  private async markFixed(
    tx: Queryable,
    identity: Identity,
    target: string,
    scannedAt: string,
    hosts: string[] | null,
  ): Promise<number> {
    const prev = await tx.query<{ at: Date | string | null }>(
      'SELECT max(scanned_at) AS at FROM security_vulnerability_imports WHERE scan_target = $1',
      [target],
    );
    const last = prev.rows[0]?.at;
    if (last && new Date(last).getTime() >= Date.parse(scannedAt)) return 0;
    const params: unknown[] = [target, scannedAt, identity.orgUnitPath + '%'];
    let hostClause = '';
    if (hosts) {
      params.push(hosts);
      hostClause = ` AND asset_address = ANY($4::text[])`;
    }
    const r = await tx.query(
      `UPDATE security_vulnerabilities SET status = 'fixed', fixed_at = $2, updated_at = now()
        WHERE scan_target = $1 AND status = 'open' AND last_seen < $2 AND org_path LIKE $3${hostClause}`,
      params,
    );
    return r.rowCount;
  }

  async list(
    identity: Identity,
    q: {
      orgUnit?: string | undefined;
      severity?: Severity[] | undefined;
      asset?: string | undefined;
      status?: 'open' | 'fixed' | 'all' | undefined;
      limit?: number | undefined;
      cursor?: string | undefined;
    },
  ): Promise<{ items: Vulnerability[]; nextCursor: string | null }> {
    requirePermission(identity, 'security:read');
    const path = q.orgUnit ? await this.d.orgUnits.assertInScope(identity, q.orgUnit) : identity.orgUnitPath;
    const params: unknown[] = [path + '%'];
    let where = 'v.org_path LIKE $1';
    const status = q.status ?? 'open';
    if (status !== 'all') {
      params.push(status);
      where += ` AND v.status = $${params.length}`;
    }
    if (q.severity?.length) {
      params.push(q.severity);
      where += ` AND v.severity = ANY($${params.length}::text[])`;
    }
    if (q.asset) {
      params.push(q.asset);
      where += ` AND v.asset_address = $${params.length}`;
    }
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      params.push(c.cvss, c.id);
      where += ` AND (v.cvss < $${params.length - 1} OR (v.cvss = $${params.length - 1} AND v.id > $${params.length}::uuid))`;
    }
    const limit = q.limit ?? 100;
    params.push(limit + 1);
    const r = await this.d.db.query<Row>(
      `SELECT v.*, u.name AS unit_name FROM security_vulnerabilities v JOIN org_units u ON u.id = v.org_unit_id
        WHERE ${where} ORDER BY v.cvss DESC, v.id LIMIT $${params.length}`,
      params,
    );
    const rows = r.rows.slice(0, limit);
    const last = rows[rows.length - 1];
    return {
      items: rows.map(toVulnerability),
      nextCursor: r.rows.length > limit && last ? encodeCursor(Number(last.cvss), last.id) : null,
    };
  }
}

function toVulnerability(r: Row): Vulnerability {
  return {
    id: r.id,
    assetAddress: r.asset_address,
    hostname: r.hostname,
    port: r.port,
    orgUnitId: r.org_unit_id,
    orgUnitName: r.unit_name,
    nvtOid: r.nvt_oid,
    cves: r.cves ?? [],
    name: r.name,
    cvss: Math.round(Number(r.cvss) * 10) / 10,
    severity: r.severity,
    solution: r.solution,
    threat: r.threat,
    qod: r.qod === null ? null : Number(r.qod),
    source: r.source,
    scanTarget: r.scan_target,
    status: r.status,
    firstSeen: iso(r.first_seen),
    lastSeen: iso(r.last_seen),
    fixedAt: r.fixed_at === null ? null : iso(r.fixed_at),
  };
}

function encodeCursor(cvss: number, id: string): string {
  return Buffer.from(`${cvss}|${id}`).toString('base64url');
}

function decodeCursor(c: string): { cvss: number; id: string } {
  const [a, b] = Buffer.from(c, 'base64url').toString().split('|');
  const cvss = Number(a);
  if (!Number.isFinite(cvss) || !b || !/^[0-9a-f-]{36}$/.test(b)) {
    throw new InputError('cursor is not valid: use the nextCursor of the previous page');
  }
  return { cvss, id: b };
}

export { SEVERITIES };
