import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Router } from '../route.js';
import type { Services } from '../../services.js';
import { InputError, NotFoundError } from '../../errors.js';
import {
  PolicyError,
  ROLES_POLICY,
  checkPolicies,
  parsePolicy,
  type PolicyRef,
  type PolicyStore,
} from '../../policies/index.js';

const PolicyText = z.object({ content: z.string().min(1).max(1_000_000) }).strict();

function policyFile(policies: PolicyStore, name: string | undefined): PolicyRef<unknown> {
  const ref = name ? policies.ref(name) : undefined;
  if (!ref) {
    const known = policies.refs().map((r) => r.file);
    throw new NotFoundError(`no policy file named "${name}"; known: ${known.join(', ')}`);
  }
  return ref;
}

/** Validates policy text; a bad file is a 400 listing every problem. */
function validatePolicy(ref: PolicyRef<unknown>, content: string): void {
  const file = ref.file;
  try {
    parsePolicy(ref, content);
  } catch (err) {
    if (err instanceof PolicyError) {
      throw new InputError(
        `${file} is not valid: ${err.problems.join('; ')}`,
        err.problems.map((p) => ({ path: p.split(':')[0] ?? '(root)', message: p })),
      );
    }
    throw err;
  }
}

export function policyRoutes(r: Router, s: Services): void {
  r.define(
    {
      method: 'get',
      path: '/api/v1/policies',
      summary: 'Policy files, whether each is valid, and the roles in force',
      tags: ['policies'],
      permission: 'policies:read',
      response: z.object({
        files: z.array(z.object({ file: z.string(), ok: z.boolean(), problems: z.array(z.string()) })),
        roles: z.record(z.string(), z.object({ description: z.string(), permissions: z.array(z.string()) })),
      }),
    },
    async () => ({
      files: checkPolicies(s.config.policiesDir, s.policies.refs()),
      roles: s.policies.get(ROLES_POLICY).roles,
    }),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/policies/schemas/{file}',
      summary: 'JSON Schema of a policy file, generated from its validator',
      tags: ['policies'],
      permission: 'policies:read',
    },
    async ({ params }) => z.toJSONSchema(policyFile(s.policies, params.file).schema, { io: 'input' }),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/policies/{file}/check',
      summary: 'Validate the text of a policy file without applying it',
      tags: ['policies'],
      permission: 'policies:read',
      body: PolicyText,
      response: z.object({ ok: z.literal(true) }),
    },
    async ({ params, body }) => {
      validatePolicy(policyFile(s.policies, params.file), body.content);
      return { ok: true as const };
    },
  );
  r.define(
    {
      method: 'put',
      path: '/api/v1/policies/{file}',
      summary: 'Replace a policy file; validated first, then written and reloaded',
      tags: ['policies'],
      permission: 'policies:write',
      body: PolicyText,
      response: z.object({ ok: z.literal(true) }),
    },
    async ({ identity, params, body }) => {
      const ref = policyFile(s.policies, params.file);
      const file = ref.file;
      validatePolicy(ref, body.content);
      // Policies govern every org unit, so only a caller scoped to the whole tree may change them.
      const root = await s.orgUnits.root();
      if (!root || identity.orgUnitId !== root.id) {
        throw new InputError(
          'policy files apply to the whole province; only a province-level user may change them',
          { code: 'policy.province_only' },
        );
      }
      const target = join(s.config.policiesDir, file);
      const tmp = `${target}.${process.pid}.tmp`;
      writeFileSync(tmp, body.content);
      renameSync(tmp, target);
      s.policies.reload();
      await s.audit.record(identity, {
        action: 'policy.update',
        targetType: 'policy',
        targetId: file,
        orgUnitId: root.id,
      });
      return { ok: true as const };
    },
  );
}
