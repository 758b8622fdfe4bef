import { z } from 'zod';

/**
 * `policies/quotas.yaml`: the resource classes (unit, whole units or not, unit price for showback),
 * default overcommit factors, the service catalogue, the approval chain, expiry notice, drift handling
 * and the utilisation review. The shape is the contract between the quota module's parts; the clouds
 * part (helper A) owns the validation messages and the shipped file.
 */

const Id = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'ids are lowercase letters, digits and "-", starting with a letter');
/** A name in both languages of the console. */
const Names = z
  .object({ 'zh-CN': z.string().trim().min(1).max(200), en: z.string().trim().min(1).max(200) })
  .strict();

export const ResourceClassDef = z
  .object({
    id: Id,
    names: Names,
    /** The unit amounts are counted in: `vCPU`, `GiB`, `card`, `address`, `Mbit/s`. */
    unit: z.string().trim().min(1).max(20),
    /** Whole units only (a fractional amount is refused). */
    integer: z.boolean().default(true),
    /** Unit price per month in CNY, for showback. */
    monthlyPrice: z.number().nonnegative().max(1e9),
  })
  .strict();
export type ResourceClassDef = z.infer<typeof ResourceClassDef>;

/** Amounts per resource class id (in the class's unit). */
export const Amounts = z.record(Id, z.number().finite().nonnegative().max(1e15));

export const CataloguePackage = z
  .object({
    id: Id,
    names: Names,
    description: Names.optional(),
    resources: Amounts,
  })
  .strict();
export type CataloguePackage = z.infer<typeof CataloguePackage>;

const Level = z.enum(['province', 'city', 'county', 'township', 'village']);

/**
 * One step of the approval chain: requests whose monthly cost (by the price list) is above
 * `aboveMonthlyCost` need an approver whose org unit is at `approverLevel` (or higher) and whose
 * subtree holds the request's org unit. Steps apply in order; a request goes through every step whose
 * threshold it passes, from the lowest level up.
 */
export const ApprovalStep = z
  .object({
    aboveMonthlyCost: z.number().nonnegative(),
    approverLevel: Level,
  })
  .strict();

export const QuotasPolicy = z
  .object({
    version: z.literal(1),
    classes: z.array(ResourceClassDef).min(1).max(64),
    /** Overcommit factor per class when a cloud sets none (vCPU commonly 2–4, memory 1). */
    overcommit: z.record(Id, z.number().min(1).max(100)).default({}),
    catalogue: z.array(CataloguePackage).max(500).default([]),
    approval: z
      .object({
        /** Requests at or below this monthly cost are approved by the system at once. */
        autoApproveMonthlyCost: z.number().nonnegative().default(0),
        steps: z.array(ApprovalStep).max(10).default([]),
      })
      .strict()
      .default({ autoApproveMonthlyCost: 0, steps: [] }),
    requests: z
      .object({
        /** Longest duration an applicant may ask for, in days. */
        maxDurationDays: z.number().int().min(1).max(3650).default(1095),
        /** Days before expiry the owner is told. */
        expiryNoticeDays: z.number().int().min(0).max(365).default(14),
      })
      .strict()
      .default({ maxDurationDays: 1095, expiryNoticeDays: 14 }),
    reconcile: z
      .object({
        /** Seconds between reconcile passes of each cloud. */
        intervalSeconds: z.number().int().min(5).max(86_400).default(60),
        /** Someone changed the quota on the cloud: `restore` writes ours back; `report` only shows it. */
        drift: z.enum(['restore', 'report']).default('restore'),
      })
      .strict()
      .default({ intervalSeconds: 60, drift: 'restore' }),
    review: z
      .object({
        /** Window the utilisation review looks at, in days. */
        windowDays: z.number().int().min(1).max(365).default(30),
        /** A class whose peak use stayed below this share of its quota for the window is idle. */
        idleThreshold: z.number().min(0).max(1).default(0.3),
        /** Reclaim leaves this share of headroom above the peak use. */
        headroom: z.number().min(0).max(10).default(0.2),
        /** Days between the proposal and its application unless the owner declines. */
        graceDays: z.number().min(0).max(365).default(7),
      })
      .strict()
      .default({ windowDays: 30, idleThreshold: 0.3, headroom: 0.2, graceDays: 7 }),
  })
  .strict()
  .superRefine((p, ctx) => {
    const classes = new Map<string, ResourceClassDef>();
    p.classes.forEach((c, i) => {
      if (classes.has(c.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['classes', i, 'id'],
          message: `class "${c.id}" is listed twice`,
        });
      }
      classes.set(c.id, c);
    });
    const known = () => [...classes.keys()].join(', ');
    for (const id of Object.keys(p.overcommit)) {
      if (!classes.has(id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['overcommit', id],
          message: `overcommit names the unknown class "${id}" (classes: ${known()})`,
        });
      }
    }
    const packages = new Set<string>();
    p.catalogue.forEach((k, i) => {
      if (packages.has(k.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['catalogue', i, 'id'],
          message: `package "${k.id}" is listed twice`,
        });
      }
      packages.add(k.id);
      if (!Object.keys(k.resources).length) {
        ctx.addIssue({
          code: 'custom',
          path: ['catalogue', i, 'resources'],
          message: 'a package has resources',
        });
      }
      for (const [id, n] of Object.entries(k.resources)) {
        const c = classes.get(id);
        if (!c) {
          ctx.addIssue({
            code: 'custom',
            path: ['catalogue', i, 'resources', id],
            message: `package "${k.id}" names the unknown class "${id}" (classes: ${known()})`,
          });
        } else if (c.integer && !Number.isInteger(n)) {
          ctx.addIssue({
            code: 'custom',
            path: ['catalogue', i, 'resources', id],
            message: `package "${k.id}": ${id} is counted in whole ${c.unit} (got ${n})`,
          });
        }
      }
    });
    p.approval.steps.forEach((st, i) => {
      const prev = p.approval.steps[i - 1];
      if (prev && st.aboveMonthlyCost <= prev.aboveMonthlyCost) {
        ctx.addIssue({
          code: 'custom',
          path: ['approval', 'steps', i, 'aboveMonthlyCost'],
          message: 'approval steps are listed by rising aboveMonthlyCost',
        });
      }
    });
  });
export type QuotasPolicy = z.infer<typeof QuotasPolicy>;
