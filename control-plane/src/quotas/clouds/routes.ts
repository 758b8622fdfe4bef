import { z } from 'zod';
import type { Router } from '../../api/route.js';
import type { Identity } from '../../auth/identity.js';
import type { QuotasModule } from '../module.js';
import type { Amounts } from '../types.js';
import type { CloudBase } from './service.js';
import { CapacityInput, ConnectionInput, MANAGED_KINDS } from './validate.js';

const tags = ['quotas'];
const BASE = '/api/v1/quotas';

const Names = z.object({ 'zh-CN': z.string(), en: z.string() });
const ClassOut = z.object({
  class: z.string(),
  capacity: z.number().nullable().describe('physical capacity: reported by the cloud, else entered'),
  capacitySource: z.enum(['cloud', 'manual']).nullable(),
  observedAt: z.string().nullable(),
  manualCapacity: z.number().nullable().describe('what an admin entered (used while the cloud reports none)'),
  overcommit: z.number(),
  overcommitSource: z.enum(['cloud', 'policy', 'default']),
  allocatable: z.number().nullable().describe('capacity × overcommit, whole units for integer classes'),
  allocated: z.number().describe('quotas given to org units on this cloud'),
  used: z.number().describe('what the cloud reports as used'),
  physical: z.number().describe('what is measured in use'),
});
const ErrorOut = z.object({ kind: z.string(), message: z.string(), at: z.string() });
const CloudOut = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(MANAGED_KINDS),
  tier: z.string(),
  orgUnitId: z.string(),
  orgUnitName: z.string(),
  region: z.string().nullable(),
  access: z
    .enum(['owner', 'quota-holder'])
    .describe('owner: the cloud is in your org units; quota-holder: you only hold quota on it (read-only)'),
  connection: z
    .object({
      endpoint: z.string().nullable(),
      settings: z.record(z.string(), z.unknown()),
      secrets: z.record(z.string(), z.boolean()).describe('whether each secret is set; never the values'),
      updatedAt: z.string(),
      updatedBy: z.string(),
    })
    .nullable(),
  classes: z.array(ClassOut),
  capacityRead: z.object({
    state: z.enum(['ok', 'error', 'never']),
    at: z.string().nullable(),
    lastOkAt: z.string().nullable(),
    error: ErrorOut.nullable(),
    ignoredClasses: z.array(z.string()),
  }),
  sync: z.object({
    state: z.enum(['ok', 'error', 'never']),
    error: ErrorOut.nullable(),
    checkedAt: z.string().nullable(),
  }),
});
type CloudOut = z.infer<typeof CloudOut>;

const NEVER = { state: 'never' as const, error: null, checkedAt: null };

/** Adds the quota tree's totals and the reconcile part's sync state to a cloud as its owner sees it. */
async function decorate(
  svc: QuotasModule,
  c: CloudBase & { access?: 'owner' | 'quota-holder' },
): Promise<CloudOut> {
  const access = c.access ?? 'owner';
  const owner = access === 'owner';
  const totals = owner ? await svc.tree.totals(c.id) : { allocated: {}, used: {}, physical: {} };
  const r = svc.reconcile as unknown as { cloudStatus?: (id: string) => Promise<CloudOut['sync']> };
  const sync = owner && typeof r.cloudStatus === 'function' ? await r.cloudStatus(c.id) : NEVER;
  const { orgPath: _path, ...rest } = c;
  return {
    ...rest,
    access,
    classes: c.classes.map((k) => ({
      ...k,
      allocated: totals.allocated[k.class] ?? 0,
      used: totals.used[k.class] ?? 0,
      physical: totals.physical[k.class] ?? 0,
    })),
    sync: { state: sync.state, error: sync.error, checkedAt: sync.checkedAt },
  };
}

/** Clouds, their connections and capacity; the resource classes and the service catalogue. */
export function cloudRoutes(r: Router, svc: QuotasModule): void {
  const clouds = svc.clouds;
  const one = async (identity: Identity, id: string) => decorate(svc, await clouds.get(identity, id));

  r.define(
    {
      method: 'get',
      path: `${BASE}/clouds`,
      summary:
        'Clouds under quota management the caller sees, with capacity, overcommit, allocatable, allocated, used and physically used per class',
      tags,
      permission: 'quotas:read',
      response: z.object({ items: z.array(CloudOut) }),
    },
    async ({ identity }) => {
      const list = await clouds.list(identity);
      const items: CloudOut[] = [];
      for (const c of list) items.push(await decorate(svc, c));
      return { items };
    },
  );
  r.define(
    {
      method: 'get',
      path: `${BASE}/clouds/{id}`,
      summary: 'One cloud under quota management (absent and out of scope read the same)',
      tags,
      permission: 'quotas:read',
      response: CloudOut,
    },
    async ({ identity, params }) => one(identity, params.id!),
  );
  r.define(
    {
      method: 'put',
      path: `${BASE}/clouds/{id}/connection`,
      summary:
        "Set the cloud's connection: endpoint, settings and write-only secrets (a secret absent keeps the stored one)",
      tags,
      permission: 'quotas:write',
      body: ConnectionInput,
      response: CloudOut,
    },
    async ({ identity, params, body }) => {
      await clouds.setConnection(identity, params.id!, body);
      return one(identity, params.id!);
    },
  );
  r.define(
    {
      method: 'delete',
      path: `${BASE}/clouds/{id}/connection`,
      summary: "Delete the cloud's connection (and its sealed secrets)",
      tags,
      permission: 'quotas:write',
      status: 204,
    },
    async ({ identity, params }) => {
      await clouds.deleteConnection(identity, params.id!);
      return undefined;
    },
  );
  r.define(
    {
      method: 'put',
      path: `${BASE}/clouds/{id}/capacity`,
      summary:
        'Enter capacity (for classes the cloud cannot report) and overcommit factors per class; null clears an entry',
      tags,
      permission: 'quotas:write',
      body: CapacityInput,
      response: CloudOut,
    },
    async ({ identity, params, body }) => {
      await clouds.setCapacity(identity, params.id!, body);
      return one(identity, params.id!);
    },
  );
  r.define(
    {
      method: 'post',
      path: `${BASE}/clouds/{id}/refresh`,
      summary: "Read the cloud's capacity now; a failure is recorded on the cloud with its reason",
      tags,
      permission: 'quotas:write',
      response: CloudOut,
    },
    async ({ identity, params }) => {
      await clouds.refresh(identity, params.id!);
      return one(identity, params.id!);
    },
  );
  r.define(
    {
      method: 'get',
      path: `${BASE}/classes`,
      summary:
        'The resource classes with their names, units, whole-unit rule, monthly price and default overcommit',
      tags,
      permission: 'quotas:read',
      response: z.object({
        currency: z.literal('CNY'),
        items: z.array(
          z.object({
            id: z.string(),
            names: Names,
            unit: z.string(),
            integer: z.boolean(),
            monthlyPrice: z.number(),
            overcommit: z.number().describe('the default overcommit factor (a cloud may set its own)'),
          }),
        ),
      }),
    },
    async () => {
      const p = svc.clouds.parts.policy();
      return {
        currency: 'CNY' as const,
        items: p.classes.map((c) => ({ ...c, overcommit: p.overcommit[c.id] ?? 1 })),
      };
    },
  );
  r.define(
    {
      method: 'get',
      path: `${BASE}/catalogue`,
      summary: 'The service catalogue: packages with their resources and monthly cost from the price list',
      tags,
      permission: 'quotas:read',
      response: z.object({
        currency: z.literal('CNY'),
        items: z.array(
          z.object({
            id: z.string(),
            names: Names,
            description: Names.nullable(),
            resources: z.record(z.string(), z.number()),
            monthlyCost: z.number(),
          }),
        ),
      }),
    },
    async () => {
      const p = svc.clouds.parts.policy();
      const price = new Map(p.classes.map((c) => [c.id, c.monthlyPrice]));
      return {
        currency: 'CNY' as const,
        items: p.catalogue.map((k) => ({
          id: k.id,
          names: k.names,
          description: k.description ?? null,
          resources: k.resources,
          monthlyCost: monthlyCost(k.resources, price),
        })),
      };
    },
  );
}

/** Σ amount × monthly price, to the fen (0.01 CNY). */
export function monthlyCost(resources: Amounts, price: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const [cls, n] of Object.entries(resources)) total += n * (price.get(cls) ?? 0);
  return Math.round(total * 100) / 100;
}
