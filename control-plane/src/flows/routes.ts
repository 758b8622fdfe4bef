import { z } from 'zod';
import type { Router } from '../api/route.js';
import { FILTER_MAX_LENGTH } from './filter.js';
import { FLOW_DIMENSIONS, FLOW_MEASURES, type FlowAnalytics } from './query.js';

const tags = ['flows'];

const by = (what: string, dflt: string) =>
  z
    .string()
    .min(1)
    .max(200)
    .default(dflt)
    .describe(`${what}, comma-separated, of: ${FLOW_DIMENSIONS.join(', ')} (default ${dflt})`);
const common = {
  from: z
    .string()
    .max(40)
    .optional()
    .describe('start, ISO 8601 (default: an hour before `to`); aligned to the minute'),
  to: z
    .string()
    .max(40)
    .optional()
    .describe('end, ISO 8601 (default: now); ranges over 48 h read the hourly roll-up'),
  filter: z
    .string()
    .max(FILTER_MAX_LENGTH)
    .optional()
    .describe('filter expression, e.g. srcOrgUnit = "成都市" AND proto = tcp AND NOT dstPort IN (80, 443)'),
  measure: z.enum(FLOW_MEASURES).default('bytes').describe('what ranks the groups'),
};
const Limit = (dflt: number) => z.coerce.number().int().min(1).max(1000).default(dflt);

const Key = z.union([z.string(), z.number()]);
const MeasuresOut = z.object({ bytes: z.number(), packets: z.number(), flows: z.number() });
const Point = z.tuple([z.number(), z.number()]);

/** The analytics routes: top-N, series, Sankey, dimensions; all need `flows:read` and are scoped. */
export function flowRoutes(r: Router, a: FlowAnalytics): void {
  r.define(
    {
      method: 'get',
      path: '/api/v1/flows/top',
      summary: "Top-N groups of flows by one or two dimensions, in the caller's org units, with totals",
      tags,
      permission: 'flows:read',
      query: z.object({ by: by('one or two dimensions', 'exporter'), limit: Limit(10), ...common }).strict(),
      response: z.object({
        items: z.array(
          MeasuresOut.extend({
            key: z.union([Key, z.array(Key)]),
            label: z.union([z.string(), z.array(z.string())]),
          }),
        ),
        total: MeasuresOut,
        other: MeasuresOut.describe('total minus the items'),
        from: z.string(),
        to: z.string(),
      }),
    },
    async ({ identity, query }) => a.top(identity, query),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/flows/series',
      summary: 'A time series of the measure per step, stacked by one dimension (top-N keys and the rest)',
      tags,
      permission: 'flows:read',
      query: z
        .object({
          by: by('one dimension', 'app'),
          limit: Limit(10),
          step: z.coerce
            .number()
            .int()
            .min(60)
            .max(86_400 * 31)
            .optional()
            .describe('seconds per point (a multiple of 60, of 3600 over 48 h); default about 300 points'),
          ...common,
        })
        .strict(),
      response: z.object({
        step: z.number().int(),
        from: z.string(),
        to: z.string(),
        series: z.array(z.object({ key: Key, label: z.string(), points: z.array(Point) })),
        other: z.object({ points: z.array(Point) }),
      }),
    },
    async ({ identity, query }) => a.series(identity, query),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/flows/sankey',
      summary: 'Flows between two or three dimensions as Sankey nodes and links (the top-N combinations)',
      tags,
      permission: 'flows:read',
      query: z
        .object({ by: by('two or three dimensions', 'srcOrgUnit,dstOrgUnit'), limit: Limit(50), ...common })
        .strict(),
      response: z.object({
        nodes: z.array(
          z.object({ id: z.string(), dimension: z.enum(FLOW_DIMENSIONS), key: Key, label: z.string() }),
        ),
        links: z.array(MeasuresOut.extend({ source: z.string(), target: z.string() })),
        from: z.string(),
        to: z.string(),
      }),
    },
    async ({ identity, query }) => a.sankey(identity, query),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/flows/dimensions',
      summary: 'The flow dimensions with their label kinds, the measures and the filter operators',
      tags,
      permission: 'flows:read',
      response: z.object({
        dimensions: z.array(z.object({ name: z.enum(FLOW_DIMENSIONS), kind: z.string(), label: z.string() })),
        measures: z.array(z.enum(FLOW_MEASURES)),
        operators: z.array(z.string()),
        geoip: z.array(
          z.object({
            kind: z.enum(['country', 'asn']),
            path: z.string(),
            status: z.enum(['ok', 'error']),
            error: z.string().optional(),
            databaseType: z.string().optional(),
            buildEpoch: z.number().optional(),
          }),
        ),
      }),
    },
    ({ identity }) => Promise.resolve(a.dimensions(identity)),
  );
}
