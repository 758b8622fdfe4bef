import { z } from 'zod';
import { EVENT_FORMATS, EVENT_REJECT_REASONS } from '@tianshu/protocol';
import type { Router } from '../../api/route.js';
import { PayloadTooLargeError } from '../../errors.js';
import type { SecurityModule } from '../module.js';
import { QUERY_MAX_LENGTH } from './query.js';

const tags = ['security'];

const Time = (what: string) => z.string().max(40).optional().describe(`${what}, ISO 8601 (or Unix ms)`);

export const EventItem = z.object({
  id: z.string(),
  ts: z.string(),
  orgUnitId: z.string(),
  orgUnitName: z.string(),
  agentId: z.string(),
  source: z.string(),
  format: z.string(),
  type: z.string(),
  severity: z.number().int().describe('0 none, 1 low, 2 medium, 3 high, 4 critical'),
  srcIp: z.string(),
  dstIp: z.string(),
  srcPort: z.number().int(),
  dstPort: z.number().int(),
  proto: z.string(),
  host: z.string(),
  user: z.string(),
  rule: z.string(),
  message: z.string(),
  fields: z.record(z.string(), z.unknown()).describe('the ECS fields of the normalised event'),
  raw: z.string().describe('the line as received, kept for evidence'),
});

const UploadResult = z.object({
  accepted: z.number().int(),
  rejected: z.number().int(),
  byType: z
    .record(z.string(), z.number().int())
    .describe('accepted events by EVE event_type, or syslog / cef'),
  errors: z
    .array(z.object({ line: z.number().int(), reason: z.enum(EVENT_REJECT_REASONS), message: z.string() }))
    .describe('the first 100 rejected lines'),
  errorsTruncated: z.number().int().optional().describe('rejected lines beyond the first 100'),
  outOfScope: z
    .number()
    .int()
    .describe("events whose address belongs to a unit outside the caller's, attributed to the caller's unit"),
  bytes: z.number().int(),
  truncated: z.boolean().describe('the body went past upload.maxBytes and was not read further'),
  alerts: z.object({ raised: z.number().int() }),
});

/** The events part's routes: streamed upload, search, one event, sources and statistics. */
export function eventRoutes(r: Router, svc: SecurityModule): void {
  const events = svc.events;
  r.define(
    {
      method: 'post',
      path: '/api/v1/security/events',
      summary:
        "Upload events (Suricata EVE NDJSON, syslog or CEF lines), streamed line by line under security.yaml's upload.maxBytes; stored, evaluated by the rules, alerts raised",
      tags,
      permission: 'security:write',
      query: z
        .object({
          format: z.enum(EVENT_FORMATS).describe('eve (one JSON object per line), syslog or cef'),
          source: z
            .string()
            .trim()
            .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'letters, digits and . _ : - (at most 64)')
            .optional()
            .describe('the source name its counters are kept under (default upload)'),
        })
        .strict(),
      streamedBody: {
        contentTypes: ['application/x-ndjson', 'text/plain'],
        description: 'one event per line; not held in memory whole; its own size limit (upload.maxBytes)',
      },
      response: UploadResult,
      otherResponses: {
        413: {
          description:
            'The body went past upload.maxBytes: reading stopped; what was accepted before is stored and reported beside the error',
          schema: UploadResult.extend({
            error: z.object({
              code: z.literal('payload.too_large'),
              message: z.string(),
              requestId: z.string().optional(),
              details: z.array(z.object({ path: z.string(), message: z.string() }).loose()).optional(),
            }),
          }),
        },
      },
    },
    async ({ c, identity, query }) => {
      const maxBytes = events.policy.upload.maxBytes;
      const declared = Number(c.req.header('content-length') ?? NaN);
      const message = `the upload is larger than upload.maxBytes (${maxBytes} bytes) of policies/security.yaml`;
      if (Number.isFinite(declared) && declared > maxBytes) throw new PayloadTooLargeError(message, maxBytes);
      const result = await events.upload(identity, query.format, query.source ?? 'upload', c.req.raw.body);
      if (!result.truncated) return result;
      const err = new PayloadTooLargeError(
        `${message}; reading stopped there, the ${result.accepted} events accepted before are stored`,
        maxBytes,
      );
      return c.json(
        {
          ...result,
          error: {
            code: err.code,
            message: err.message,
            requestId: c.get('requestId'),
            details: err.details,
          },
        },
        413,
      );
    },
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/security/events',
      summary: "Search events in the caller's org units, newest first (cursor pages)",
      tags,
      permission: 'security:read',
      query: z
        .object({
          from: Time('start (default: 24 h before to)'),
          to: Time('end (default: now)'),
          q: z
            .string()
            .max(QUERY_MAX_LENGTH)
            .optional()
            .describe(
              'terms, all of which must hold: free text (message or raw line), `field:value` (ip, srcIp, dstIp, port, srcPort, dstPort, proto, host, user, rule, type, format, source, agent, severity, message, or a dotted ECS field such as dns.question.name), `"quoted words"`, a trailing `*` for a prefix, `-` before a term to negate it',
            ),
          type: z.string().max(64).optional().describe('EVE event_type, syslog or cef'),
          format: z.enum(EVENT_FORMATS).optional(),
          source: z.string().max(128).optional(),
          orgUnit: z.string().max(128).optional().describe('an org unit id in the caller’s subtree'),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          cursor: z.string().max(200).optional().describe('nextCursor of the previous page'),
        })
        .strict(),
      response: z.object({ items: z.array(EventItem), nextCursor: z.string().nullable() }),
    },
    async ({ identity, query }) => events.search(identity, query),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/security/events/stats',
      summary: "Event counts in the caller's org units by type, format, source or org unit",
      tags,
      permission: 'security:read',
      query: z
        .object({
          from: Time('start (default: 24 h before to)'),
          to: Time('end (default: now)'),
          by: z.enum(['type', 'format', 'source', 'orgUnit']).default('type'),
        })
        .strict(),
      response: z.object({
        items: z.array(z.object({ key: z.string(), label: z.string(), count: z.number().int() })),
      }),
    },
    async ({ identity, query }) => events.stats(identity, query),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/security/events/by-ids',
      summary: "Events by id (an alert's evidence); ids outside the caller's org units are absent",
      tags,
      permission: 'security:read',
      query: z
        .object({
          ids: z
            .string()
            .max(500 * 33)
            .default('')
            .describe('comma-separated event ids (at most 500)'),
        })
        .strict(),
      response: z.object({ items: z.array(EventItem) }),
    },
    async ({ identity, query }) => ({
      items: await events.byIds(
        identity,
        query.ids.split(',').map((s) => s.trim()),
      ),
    }),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/security/events/{id}',
      summary: 'One event (404 when absent or outside the caller’s org units)',
      tags,
      permission: 'security:read',
      response: EventItem,
    },
    async ({ identity, params }) => events.get(identity, params.id!),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/security/sources',
      summary:
        "Per-source counters in the caller's org units: received, accepted, rejected by reason, dropped",
      tags,
      permission: 'security:read',
      query: z
        .object({ from: Time('start (default: 24 h before to)'), to: Time('end (default: now)') })
        .strict(),
      response: z.object({
        items: z.array(
          z.object({
            source: z.string(),
            agentId: z.string(),
            format: z.string(),
            transport: z.string(),
            received: z.number().int(),
            accepted: z.number().int(),
            rejected: z.number().int(),
            rejectedByReason: z.record(z.string(), z.number().int()),
            dropped: z.number().int(),
            outOfScope: z.number().int(),
            lastSeen: z.string(),
          }),
        ),
      }),
    },
    async ({ identity, query }) => events.sources(identity, query),
  );
}
