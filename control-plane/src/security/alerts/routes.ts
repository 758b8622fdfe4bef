import { z } from 'zod';
import { ALERT_SEVERITIES, ALERT_SOURCES, OBSERVABLE_TYPES } from '@tianshu/protocol';
import type { Router } from '../../api/route.js';
import { OrgUnitId } from '../../inventory/org-units.js';
import { EventItem } from '../events/routes.js';
import type { SecurityModule } from '../module.js';
import { ALERT_STATUSES, BULK_ACTIONS, INCIDENT_STATUSES, TIMELINE_KINDS } from './model.js';
import type { AlertFilter } from './service.js';

const tags = ['security'];

/** A comma-separated list of `values` (`status=new,acknowledged`). */
function csv<T extends string>(values: readonly T[], what: string) {
  return z
    .string()
    .max(500)
    .refine((s) => s.split(',').every((v) => (values as readonly string[]).includes(v)), {
      message: `${what} is a comma-separated list of: ${values.join(', ')}`,
    })
    .optional()
    .describe(`${what}, comma-separated, of: ${values.join(', ')}`);
}
const split = <T extends string>(s: string | undefined): T[] | undefined =>
  s ? (s.split(',') as T[]) : undefined;
const Time = z
  .string()
  .max(40)
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO 8601 time' });
const Text = z.string().trim().min(1);

const AlertFilterQuery = {
  status: csv(ALERT_STATUSES, 'statuses (default new,acknowledged)'),
  severity: csv(ALERT_SEVERITIES, 'severities'),
  source: z.string().max(500).optional().describe('sources, comma-separated (sigma, suricata, flow, …)'),
  orgUnit: OrgUnitId.optional().describe("an org unit of the caller's subtree: its subtree only"),
  q: z
    .string()
    .max(200)
    .optional()
    .describe('text in the title or reference, or an exact observable, address or fingerprint'),
  from: Time.optional().describe('last seen at or after'),
  to: Time.optional().describe('last seen at or before'),
  incident: z.string().max(40).optional().describe('`none` (not in an incident), `any`, or an incident id'),
};
const AlertFilterBody = z
  .object({
    status: z.array(z.enum(ALERT_STATUSES)).max(5).optional(),
    severity: z.array(z.enum(ALERT_SEVERITIES)).max(4).optional(),
    source: z.array(z.string().max(64)).max(20).optional(),
    orgUnit: OrgUnitId.optional(),
    q: z.string().max(200).optional(),
    from: Time.optional(),
    to: Time.optional(),
    incident: z.string().max(40).optional(),
  })
  .strict();

const filterOf = (q: {
  status?: string | undefined;
  severity?: string | undefined;
  source?: string | undefined;
  orgUnit?: string | undefined;
  q?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  incident?: string | undefined;
}): AlertFilter => ({
  status: split(q.status),
  severity: split(q.severity),
  source: split(q.source),
  orgUnit: q.orgUnit,
  q: q.q,
  from: q.from,
  to: q.to,
  incident: q.incident,
});

const ObservableOut = z.object({
  type: z.enum(OBSERVABLE_TYPES),
  value: z.string(),
  role: z.enum(['source', 'target', 'related']).optional(),
});
const AlertOut = z.object({
  id: z.string(),
  fingerprint: z.string(),
  source: z.string(),
  reference: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  severity: z.enum(ALERT_SEVERITIES),
  attack: z.array(z.string()),
  observables: z.array(ObservableOut),
  orgUnitId: z.string(),
  orgUnitName: z.string(),
  assetAddress: z.string().nullable(),
  status: z.enum(ALERT_STATUSES),
  count: z.number(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  incidentId: z.string().nullable(),
  assignee: z.string().nullable(),
});
const AlertDetailOut = AlertOut.extend({
  events: z.array(EventItem).describe('the stored events behind the alert (as GET /events answers them)'),
  evidence: z.array(z.string()).describe('raw lines or renderings when there are no stored events'),
  eventIds: z.array(z.string()),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullable(),
});
const IncidentOut = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  severity: z.enum(ALERT_SEVERITIES),
  status: z.enum(INCIDENT_STATUSES),
  orgUnitId: z.string().describe('the owner'),
  orgUnitName: z.string(),
  handlerOrgUnitId: z.string().describe('the unit working it: the owner, or a unit above that took it over'),
  handlerOrgUnitName: z.string(),
  escalatedTo: z
    .array(z.object({ orgUnitId: z.string(), name: z.string() }))
    .describe('the units above the owner that see it, nearest first'),
  assignee: z.string().nullable(),
  alertCount: z.number().int(),
  observables: z.array(ObservableOut),
  attack: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  acknowledgedAt: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  timeToAcknowledgeSeconds: z.number().nullable(),
  timeToResolveSeconds: z.number().nullable(),
});
const IncidentDetailOut = IncidentOut.extend({
  alerts: z.array(AlertOut),
  timeline: z.array(
    z.object({
      at: z.string(),
      actor: z.string(),
      kind: z.enum(TIMELINE_KINDS),
      from: z.string().optional(),
      to: z.string().optional(),
      text: z.string().optional(),
      orgUnitId: z.string().optional(),
    }),
  ),
});
const SuppressionMatch = z
  .object({
    source: z.enum(ALERT_SOURCES).optional(),
    reference: z.string().min(1).max(256).optional(),
    observable: z
      .object({ type: z.enum(OBSERVABLE_TYPES), value: z.string().min(1).max(2048) })
      .strict()
      .optional(),
    orgUnitId: OrgUnitId.optional().describe("the subtree it applies to (default the author's unit)"),
  })
  .strict();
const SuppressionOut = z.object({
  id: z.string(),
  match: z.object({
    source: z.string().optional(),
    reference: z.string().optional(),
    observable: z.object({ type: z.string(), value: z.string() }).optional(),
    orgUnitId: z.string().optional(),
  }),
  reason: z.string(),
  author: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  suppressed: z.number().describe('alerts it has suppressed'),
  active: z.boolean(),
});
const Limit = z.coerce.number().int().min(1).max(500).optional();
const Note = z.string().max(4000).optional();

/**
 * Alerts and incidents under /api/v1/security: the alert queue, bulk triage, incidents with their
 * workflow and escalation across levels, suppressions. Reads need `security:read`, changes
 * `security:write`; alerts are scoped by the subtree rule, incidents by the escalation chain; out of
 * scope answers 404 like absent. Every change is audited.
 */
export function alertRoutes(r: Router, svc: SecurityModule): void {
  const a = svc.alerts;
  // An alert's events come from the events part, limited to the caller's org units.
  a.useEventLoader((identity, ids) => svc.events.byIds(identity, ids));
  r.define(
    {
      method: 'get',
      path: '/api/v1/security/alerts',
      summary: "The alert queue in the caller's org units, newest first (keyset paging)",
      tags,
      permission: 'security:read',
      query: z.object({ ...AlertFilterQuery, limit: Limit, cursor: z.string().max(200).optional() }).strict(),
      response: z.object({
        items: z.array(AlertOut),
        nextCursor: z.string().nullable(),
        total: z
          .number()
          .nullable()
          .describe(
            'on the first page (null on later ones): exact up to 2,000, else the planner’s estimate (totalIsEstimate)',
          ),
        totalIsEstimate: z.boolean(),
      }),
    },
    async ({ identity, query }) =>
      a.listAlerts(identity, { ...filterOf(query), limit: query.limit, cursor: query.cursor }),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/security/alerts/{id}',
      summary: 'One alert with the events behind it and its evidence',
      tags,
      permission: 'security:read',
      response: AlertDetailOut,
    },
    async ({ identity, params }) => a.getAlert(identity, params.id!),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/security/alerts/bulk',
      summary: 'Bulk triage of alerts by ids (at most 1000) or by filter (at most bulk.maxAlerts)',
      tags,
      permission: 'security:write',
      body: z
        .object({
          ids: z.array(z.string().max(64)).min(1).max(1000).optional(),
          filter: AlertFilterBody.optional(),
          action: z.enum(BULK_ACTIONS),
          assignee: z.string().trim().min(1).max(200).nullable().optional(),
          incidentId: z.string().max(64).optional(),
          comment: z.string().max(4000).optional(),
        })
        .strict(),
      response: z.object({ updated: z.number().int() }),
    },
    async ({ identity, body }) => a.bulk(identity, body),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/security/incidents',
      summary: "Incidents the caller sees: its subtree's own, and those escalated to (or opened by) its unit",
      tags,
      permission: 'security:read',
      query: z
        .object({
          status: csv(INCIDENT_STATUSES, 'statuses'),
          severity: csv(ALERT_SEVERITIES, 'severities'),
          orgUnit: OrgUnitId.optional().describe('owned by this unit or below it'),
          escalated: z.enum(['true', 'false']).optional(),
          limit: Limit,
          cursor: z.string().max(200).optional(),
        })
        .strict(),
      response: z.object({ items: z.array(IncidentOut), nextCursor: z.string().nullable() }),
    },
    async ({ identity, query }) =>
      a.listIncidents(identity, {
        status: split(query.status),
        severity: split(query.severity),
        orgUnit: query.orgUnit,
        escalated: query.escalated === undefined ? undefined : query.escalated === 'true',
        limit: query.limit,
        cursor: query.cursor,
      }),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/security/incidents',
      summary: 'Opens an incident for the caller’s unit or one below it (the opener stays on the chain)',
      tags,
      permission: 'security:write',
      status: 201,
      body: z
        .object({
          title: Text.max(512),
          severity: z.enum(ALERT_SEVERITIES),
          orgUnitId: OrgUnitId,
          alertIds: z.array(z.string().max(64)).max(1000).optional(),
          assignee: z.string().trim().min(1).max(200).optional(),
          description: z.string().max(8192).optional(),
        })
        .strict(),
      response: IncidentDetailOut,
    },
    async ({ identity, body }) => a.createIncident(identity, body),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/security/incidents/{id}',
      summary: 'One incident with its alerts and timeline',
      tags,
      permission: 'security:read',
      response: IncidentDetailOut,
    },
    async ({ identity, params }) => a.getIncident(identity, params.id!),
  );
  r.define(
    {
      method: 'patch',
      path: '/api/v1/security/incidents/{id}',
      summary:
        'Changes status (new → triaged → investigating → contained → resolved | false-positive), assignee, severity, title',
      tags,
      permission: 'security:write',
      body: z
        .object({
          status: z.enum(INCIDENT_STATUSES).optional(),
          assignee: z.string().trim().min(1).max(200).nullable().optional(),
          severity: z.enum(ALERT_SEVERITIES).optional(),
          title: Text.max(512).optional(),
        })
        .strict(),
      response: IncidentDetailOut,
    },
    async ({ identity, params, body }) => a.patchIncident(identity, params.id!, body),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/security/incidents/{id}/comments',
      summary: 'Adds a comment to the timeline',
      tags,
      permission: 'security:write',
      status: 201,
      body: z.object({ text: Text.max(8000) }).strict(),
      response: IncidentDetailOut,
    },
    async ({ identity, params, body }) => a.comment(identity, params.id!, body.text),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/security/incidents/{id}/escalate',
      summary:
        'Escalates to an ancestor (default: the unit above the current top); it sees the incident from now on',
      tags,
      permission: 'security:write',
      body: z.object({ toOrgUnitId: OrgUnitId.optional(), note: Note }).strict(),
      response: IncidentDetailOut,
    },
    async ({ identity, params, body }) => a.escalate(identity, params.id!, body),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/security/incidents/{id}/take-over',
      summary: 'The caller’s unit (above the handler, on the chain) becomes the handler',
      tags,
      permission: 'security:write',
      response: IncidentDetailOut,
    },
    async ({ identity, params }) => a.takeOver(identity, params.id!),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/security/incidents/{id}/hand-back',
      summary: 'The handler gives the incident back to its owner',
      tags,
      permission: 'security:write',
      body: z.object({ note: Note }).strict(),
      response: IncidentDetailOut,
    },
    async ({ identity, params, body }) => a.handBack(identity, params.id!, body.note),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/security/incidents/{id}/assign-down',
      summary:
        'Moves the incident to a unit below the caller’s, which owns and handles it; the caller keeps seeing it',
      tags,
      permission: 'security:write',
      body: z.object({ orgUnitId: OrgUnitId, note: Note }).strict(),
      response: IncidentDetailOut,
    },
    async ({ identity, params, body }) => a.assignDown(identity, params.id!, body),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/security/suppressions',
      summary: "Suppressions in the caller's org units (active ones, or all with all=true)",
      tags,
      permission: 'security:read',
      query: z.object({ all: z.enum(['true', 'false']).optional() }).strict(),
      response: z.object({ items: z.array(SuppressionOut) }),
    },
    async ({ identity, query }) => a.listSuppressions(identity, { all: query.all === 'true' }),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/security/suppressions',
      summary:
        'Suppresses matching alerts (stored as suppressed, counted) until expiresAt (required, at most 90 days)',
      tags,
      permission: 'security:write',
      status: 201,
      body: z
        .object({
          match: SuppressionMatch,
          reason: Text.max(2000),
          expiresAt: Time,
        })
        .strict(),
      response: SuppressionOut,
    },
    async ({ identity, body }) => a.createSuppression(identity, body),
  );
  r.define(
    {
      method: 'delete',
      path: '/api/v1/security/suppressions/{id}',
      summary: 'Removes a suppression',
      tags,
      permission: 'security:write',
      status: 204,
    },
    async ({ identity, params }) => {
      await a.deleteSuppression(identity, params.id!);
    },
  );
}
