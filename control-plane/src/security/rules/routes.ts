import { z } from 'zod';
import type { Router } from '../../api/route.js';
import type { SecurityModule } from '../module.js';
import { MAX_API_RULE_BYTES } from './service.js';

const Status = z.enum(['compiled', 'unsupported', 'invalid']);
const RuleOut = z.object({
  id: z.string(),
  title: z.string(),
  file: z.string().describe('The file under policies/detections/sigma/, or api:<id> for an API rule'),
  origin: z.enum(['policy', 'api']),
  kind: z.enum(['sigma', 'correlation']),
  level: z.string(),
  status: Status,
  reason: z.string().nullable().describe('Why the rule does not run (unsupported or invalid)'),
  logsource: z.record(z.string(), z.string()),
  attack: z.array(z.string()),
  hits: z.number().int().describe("Events matched in the caller's subtree"),
  lastHitAt: z.string().nullable(),
  errors: z.number().int().describe('Evaluation errors'),
  orgUnitId: z.string().optional(),
  author: z.string().optional(),
  updatedAt: z.string().optional(),
});
const Summary = z.object({
  compiled: z.number().int(),
  unsupported: z.number().int(),
  invalid: z.number().int(),
});
const RuleListOut = z.object({ items: z.array(RuleOut), summary: Summary });
const RuleIn = z
  .object({ yaml: z.string().min(1).max(MAX_API_RULE_BYTES).describe('One Sigma rule (YAML), with an id') })
  .strict();

export function ruleRoutes(r: Router, svc: SecurityModule): void {
  const tags = ['security'];
  r.define(
    {
      method: 'get',
      path: '/api/v1/security/rules',
      summary: "Sigma rules (files and API) with their status, reason, and hits in the caller's subtree",
      tags,
      permission: 'security:read',
      query: z.object({}).strict(),
      response: RuleListOut,
    },
    async ({ identity }) => svc.rules.list(identity),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/security/rules',
      summary:
        "Adds or replaces a Sigma rule for the caller's org unit subtree (400 when invalid; an unsupported rule is stored, listed, and not run)",
      tags,
      permission: 'security:write',
      body: RuleIn,
      response: RuleOut,
      status: 201,
    },
    async ({ identity, body }) => svc.rules.add(identity, body.yaml),
  );
  r.define(
    {
      method: 'delete',
      path: '/api/v1/security/rules/{id}',
      summary: "Deletes a rule added through the API in the caller's subtree",
      tags,
      permission: 'security:write',
      status: 204,
    },
    async ({ identity, params }) => {
      await svc.rules.remove(identity, params.id!);
    },
  );
}
