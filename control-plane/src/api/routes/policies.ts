import { z } from 'zod';
import type { Router } from '../route.js';
import type { Services } from '../../services.js';
import { NotFoundError } from '../../errors.js';
import { POLICY_FILES, checkPolicies, type PolicyFileName } from '../../policies/index.js';

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
    async () => ({ files: checkPolicies(s.config.policiesDir), roles: s.policies.get('roles.yaml').roles }),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/policies/schemas/{file}',
      summary: 'JSON Schema of a policy file, generated from its validator',
      tags: ['policies'],
      permission: 'policies:read',
    },
    async ({ params }) => {
      const file = params.file as PolicyFileName;
      const schema = POLICY_FILES[file];
      if (!schema) throw new NotFoundError(`no policy file named "${params.file}"`);
      return z.toJSONSchema(schema, { io: 'input' });
    },
  );
}
