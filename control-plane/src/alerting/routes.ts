import { z } from 'zod';
import type { Router } from '../api/route.js';
import { ALARM_SEVERITIES, type AlarmService } from './types.js';

const AlarmOut = z.object({
  id: z.string(),
  kind: z.string(),
  severity: z.enum(ALARM_SEVERITIES),
  state: z.enum(['firing', 'resolved']),
  orgUnitId: z.string(),
  targetType: z.string(),
  targetId: z.string(),
  summary: z.string(),
  labels: z.record(z.string(), z.string()),
  startsAt: z.string(),
  lastSeenAt: z.string(),
  endsAt: z.string().nullable(),
  acknowledgedAt: z.string().nullable(),
  acknowledgedBy: z.string().nullable(),
});
const AlarmPageOut = z.object({ items: z.array(AlarmOut), nextBefore: z.string().nullable() });
const SummaryOut = z.object({
  firing: z.number().int(),
  unacknowledged: z.number().int(),
  bySeverity: z.object(Object.fromEntries(ALARM_SEVERITIES.map((s) => [s, z.number().int()]))),
});

const OrgUnitQuery = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'orgUnitId is an org unit id')
  .optional();
const ListQuery = z
  .object({
    state: z.enum(['firing', 'resolved', 'all']).default('firing'),
    orgUnitId: OrgUnitQuery,
    kind: z
      .string()
      .regex(/^[a-z][a-z0-9.-]{0,62}$/, 'kind is an alarm kind such as link-down')
      .optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    before: z
      .string()
      .regex(/^[1-9][0-9]{0,17}$/, 'before is an alarm id (nextBefore of the previous page)')
      .optional(),
  })
  .strict();

export function alarmRoutes(r: Router, alarms: AlarmService): void {
  const tags = ['alarms'];
  r.define(
    {
      method: 'get',
      path: '/api/v1/alarms',
      summary: "Alarms in the caller's subtree, newest first (firing by default)",
      tags,
      permission: 'network:read',
      query: ListQuery,
      response: AlarmPageOut,
    },
    async ({ identity, query }) => alarms.list(identity, query),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/alarms/summary',
      summary: "Firing alarms in the caller's subtree, counted by severity",
      tags,
      permission: 'network:read',
      query: z.object({ orgUnitId: OrgUnitQuery }).strict(),
      response: SummaryOut,
    },
    async ({ identity, query }) => alarms.summary(identity, query),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/alarms/{id}',
      summary: 'One alarm',
      tags,
      permission: 'network:read',
      response: AlarmOut,
    },
    async ({ identity, params }) => alarms.get(identity, params.id!),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/alarms/{id}/acknowledge',
      summary: 'Acknowledge an alarm (someone is on it); stops repeated notifications; audited',
      tags,
      permission: 'network:read',
      body: z.object({ comment: z.string().trim().min(1).max(1000).optional() }).strict(),
      response: AlarmOut,
    },
    async ({ identity, params, body }) => alarms.acknowledge(identity, params.id!, body.comment),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/network/alarms',
      summary: "Network alarms (link, redundancy, tier, device) in the caller's subtree, newest first",
      tags: ['network', ...tags],
      permission: 'network:read',
      query: ListQuery,
      response: AlarmPageOut,
    },
    async ({ identity, query }) => alarms.list(identity, { ...query, domain: 'network' }),
  );
}
