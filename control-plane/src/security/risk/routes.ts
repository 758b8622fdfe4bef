import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../../api/env.js';
import type { Router } from '../../api/route.js';
import { InputError, PayloadTooLargeError } from '../../errors.js';
import { ORG_LEVELS, OrgUnitId } from '../../inventory/org-units.js';
import type { SecurityModule } from '../module.js';
import { SEVERITIES } from './findings.js';
import { CRITICALITIES } from './policy.js';
import { VULNERABILITY_FORMATS } from './vulnerabilities.js';

const tags = ['security'];

const Counts = z
  .object({
    critical: z.number().int(),
    high: z.number().int(),
    medium: z.number().int(),
    low: z.number().int(),
  })
  .describe('open vulnerabilities by CVSS rating (critical ≥ 9, high ≥ 7, medium ≥ 4, low > 0)');
const UnitRiskOut = z.object({
  orgUnitId: z.string(),
  name: z.string(),
  path: z.string(),
  level: z.enum(ORG_LEVELS),
  parentId: z.string().nullable(),
  score: z.number().describe('0–100: 100 × (1 − e^(−points / scale))'),
  points: z.number().describe('the decayed, weighted points behind the score'),
  openAlerts: z.number().int().describe('open alerts (new, acknowledged) in the subtree'),
  openIncidents: z
    .number()
    .int()
    .describe('open incidents the unit can see: owned in its subtree and escalated at least up to it'),
  vulnerabilities: Counts,
  change7d: z
    .number()
    .nullable()
    .describe('score now minus the score of the day 7 days ago (null: no row that day)'),
});
const AssetRiskOut = z.object({
  assetAddress: z.string(),
  deviceId: z.string().optional(),
  hostId: z.string().optional(),
  name: z.string().optional(),
  orgUnitId: z.string(),
  criticality: z
    .enum(CRITICALITIES)
    .describe('the inventory device or host attribute, else the policy default'),
  score: z.number(),
  points: z.number(),
  openAlerts: z.number().int(),
  vulnerabilities: Counts,
});
const VulnerabilityOut = z.object({
  id: z.string(),
  assetAddress: z.string(),
  hostname: z.string().nullable(),
  port: z.string(),
  orgUnitId: z.string(),
  orgUnitName: z.string(),
  nvtOid: z.string().nullable(),
  cves: z.array(z.string()),
  name: z.string(),
  cvss: z.number(),
  severity: z.enum(SEVERITIES),
  solution: z.string().nullable(),
  threat: z.string().nullable(),
  qod: z.number().int().nullable(),
  source: z.enum(VULNERABILITY_FORMATS),
  scanTarget: z.string().nullable(),
  status: z.enum(['open', 'fixed']),
  firstSeen: z.string(),
  lastSeen: z.string(),
  fixedAt: z.string().nullable(),
});
const ImportErrorOut = z.object({
  index: z.number().int().optional().describe('1-based index of the result in the report (OpenVAS)'),
  line: z.number().int().optional().describe('the line the entry starts on'),
  reason: z.string(),
});

/** Reads a raw body up to `limit` bytes as UTF-8, refusing a larger one as soon as it passes the limit. */
async function readText(c: Context<AppEnv>, limit: number): Promise<string> {
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (declared > limit)
    throw new PayloadTooLargeError(`report is larger than the limit of ${limit} bytes`, limit);
  const body = c.req.raw.body;
  if (!body) throw new InputError('the request has no body: send the report as the body');
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new PayloadTooLargeError(`report is larger than the limit of ${limit} bytes`, limit);
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new InputError('the report is not valid UTF-8 text', { code: 'vulnerability.report_invalid' });
  }
}

const SeverityList = z
  .string()
  .max(100)
  .transform((s, ctx) => {
    const out = s.split(',').map((x) => x.trim());
    for (const x of out) {
      if (!(SEVERITIES as readonly string[]).includes(x)) {
        ctx.addIssue({ code: 'custom', message: `"${x}" is not one of ${SEVERITIES.join(', ')}` });
        return z.NEVER;
      }
    }
    return out as (typeof SEVERITIES)[number][];
  });

/** Risk per org unit and asset, vulnerabilities; every route needs `security:read` or `:write`, scoped. */
export function riskRoutes(r: Router, svc: SecurityModule): void {
  const risk = svc.risk;
  r.define(
    {
      method: 'get',
      path: '/api/v1/security/risk',
      summary:
        'Risk of an org unit (default the caller’s) and of each of its children, with the change over 7 days',
      tags,
      permission: 'security:read',
      query: z.object({ parent: OrgUnitId.optional() }).strict(),
      response: z.object({ items: z.array(UnitRiskOut) }),
    },
    async ({ identity, query }) => ({ items: await risk.units(identity, query.parent) }),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/security/risk/trend',
      summary: 'A unit’s risk score per day (local days), kept a year',
      tags,
      permission: 'security:read',
      query: z
        .object({
          orgUnit: OrgUnitId.optional(),
          days: z.coerce.number().int().min(1).max(366).default(30),
        })
        .strict(),
      response: z.object({
        orgUnitId: z.string(),
        points: z.array(z.tuple([z.string().describe('YYYY-MM-DD'), z.number()])),
      }),
    },
    async ({ identity, query }) => risk.trend(identity, query.orgUnit, query.days),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/security/risk/assets',
      summary: 'The riskiest assets (addresses with open alerts or vulnerabilities) under a unit',
      tags,
      permission: 'security:read',
      query: z
        .object({
          orgUnit: OrgUnitId.optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(50),
        })
        .strict(),
      response: z.object({ items: z.array(AssetRiskOut) }),
    },
    async ({ identity, query }) => ({ items: await risk.assets(identity, query.orgUnit, query.limit) }),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/security/risk/compare',
      summary:
        'The units of one level under a unit ranked by risk (1 = highest), with the change over 7 days',
      tags,
      permission: 'security:read',
      query: z
        .object({
          level: z
            .enum(ORG_LEVELS)
            .optional()
            .describe('the level compared (default: the level below the parent’s)'),
          parent: OrgUnitId.optional(),
        })
        .strict(),
      response: z.object({
        level: z.enum(ORG_LEVELS),
        items: z.array(
          UnitRiskOut.extend({
            rank: z.number().int().describe('1 = the highest score; equal scores share a rank'),
            previousRank: z.number().int().nullable().describe('the rank 7 days ago (null: no row that day)'),
          }),
        ),
      }),
    },
    async ({ identity, query }) => risk.compare(identity, query),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/security/vulnerabilities',
      summary:
        'Import a vulnerability report: the raw body is a Greenbone/OpenVAS GMP XML report (format=openvas) or a CSV (format=csv); findings are attributed by address, in the caller’s scope',
      tags,
      permission: 'security:write',
      rawBody: true,
      query: z
        .object({
          format: z.enum(VULNERABILITY_FORMATS),
          target: z
            .string()
            .trim()
            .min(1)
            .max(200)
            .optional()
            .describe(
              'the scan target (default: the report’s task target; none for CSV: nothing is marked fixed)',
            ),
          scannedAt: z.iso
            .datetime({ offset: true })
            .optional()
            .describe('when the scan ran (default: the report’s scan start, else now)'),
        })
        .strict(),
      response: z.object({
        imported: z.number().int(),
        updated: z.number().int(),
        fixed: z
          .number()
          .int()
          .describe('open findings of the target that this newer report no longer shows'),
        rejected: z.number().int(),
        ignored: z.number().int().describe('entries that are not vulnerabilities (log level, score 0)'),
        errors: z.array(ImportErrorOut).describe('the first 100 rejections'),
        errorsTruncated: z.number().int().optional(),
        target: z.string().nullable(),
        scannedAt: z.string(),
      }),
    },
    async ({ c, identity, query }) => {
      const text = await readText(c, risk.policy().importMaxBytes);
      return risk.vulnerabilities.import(identity, query.format, text, {
        target: query.target,
        scannedAt: query.scannedAt,
      });
    },
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/security/vulnerabilities',
      summary: 'Vulnerability findings in the caller’s org units, highest CVSS first',
      tags,
      permission: 'security:read',
      query: z
        .object({
          orgUnit: OrgUnitId.optional(),
          severity: SeverityList.optional(),
          asset: z.string().max(45).optional(),
          status: z.enum(['open', 'fixed', 'all']).default('open'),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          cursor: z.string().max(200).optional(),
        })
        .strict(),
      response: z.object({ items: z.array(VulnerabilityOut), nextCursor: z.string().nullable() }),
    },
    async ({ identity, query }) => risk.vulnerabilities.list(identity, query),
  );
}
