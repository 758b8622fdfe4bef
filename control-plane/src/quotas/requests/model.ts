import { ORG_LEVELS, type OrgLevel } from '../../inventory/org-units.js';
import { InputError, type ErrorDetail } from '../../errors.js';
import type { QuotasPolicy } from '../policy.js';
import type { Amounts } from '../types.js';

/**
 * The request workflow's rules without a store: amounts from a catalogue package and extra
 * resources, their validation against the resource classes, the monthly cost from the price list,
 * the approval chain from policy, and who may decide a step. The service applies them in
 * transactions; the unit tests check them directly.
 */

export const REQUEST_STATUSES = [
  'pending',
  'approved',
  'rejected',
  'withdrawn',
  'enforced',
  'expired',
  'failed',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const STEP_STATES = ['waiting', 'approved', 'rejected', 'auto'] as const;
export type StepState = (typeof STEP_STATES)[number];

export const TIMELINE_KINDS = [
  'applied',
  'auto-approved',
  'step-approved',
  'allocated',
  'allocation-refused',
  'rejected',
  'withdrawn',
  'enforced',
  'cloud-error',
  'expiry-notice',
  'expired',
  'release-failed',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

/** Province 0, city 1, county 2, township 3, village 4: a lower rank is a higher level. */
export function levelRank(level: OrgLevel): number {
  return ORG_LEVELS.indexOf(level);
}

/** What the applicant asked for: a package (times a quantity) and/or resources per class. */
export interface AskedAmounts {
  package?: string | undefined;
  quantity?: number | undefined;
  amounts?: Record<string, number> | undefined;
}

/**
 * The amounts of a request: the package's resources × quantity plus the extra amounts, per class.
 * Refuses, naming every problem, an unknown package (`quota.package_unknown`), an unknown class
 * (`quota.unknown_class`), an amount that is not a finite number above zero (`input.invalid`), a
 * fraction of a whole-unit class (`quota.not_whole`) and a request for nothing.
 */
export function expandAmounts(policy: QuotasPolicy, asked: AskedAmounts): Amounts {
  const classes = new Map(policy.classes.map((c) => [c.id, c]));
  const total: Amounts = {};
  if (asked.quantity !== undefined && asked.package === undefined) {
    throw new InputError('quantity counts packages: name the package too', {
      details: [{ path: 'quantity', message: 'quantity needs a package' }],
    });
  }
  if (asked.package !== undefined) {
    const pkg = policy.catalogue.find((p) => p.id === asked.package);
    if (!pkg) {
      const message = `package "${asked.package}" is not in the catalogue (${policy.catalogue.map((p) => p.id).join(', ') || 'empty'})`;
      throw new InputError(message, {
        code: 'quota.package_unknown',
        details: [
          { path: 'package', message, code: 'quota.package_unknown', params: { package: asked.package } },
        ],
      });
    }
    const quantity = asked.quantity ?? 1;
    if (!Number.isInteger(quantity) || quantity < 1) {
      throw new InputError('quantity is a whole number of packages, at least 1', {
        details: [{ path: 'quantity', message: 'a whole number, at least 1' }],
      });
    }
    for (const [cls, n] of Object.entries(pkg.resources)) total[cls] = (total[cls] ?? 0) + n * quantity;
  }
  const details: ErrorDetail[] = [];
  for (const [cls, n] of Object.entries(asked.amounts ?? {})) {
    const def = classes.get(cls);
    const path = `amounts.${cls}`;
    if (!def) {
      details.push({
        path,
        message: `"${cls}" is not a resource class (${[...classes.keys()].join(', ')})`,
        code: 'quota.unknown_class',
        params: { class: cls },
      });
      continue;
    }
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) {
      details.push({ path, message: `${cls}: the amount must be a number above zero, got ${String(n)}` });
      continue;
    }
    if (def.integer && !Number.isInteger(n)) {
      details.push({
        path,
        message: `${cls} is counted in whole ${def.unit}; ${n} is not whole`,
        code: 'quota.not_whole',
        params: { class: cls, unit: def.unit },
      });
      continue;
    }
    total[cls] = (total[cls] ?? 0) + n;
  }
  if (details.length) {
    // The first problem's code names the answer; each detail carries its own.
    const code = details.find((d) => d.code)?.code;
    const message = details.map((d) => d.message).join('; ');
    throw new InputError(message, {
      ...(code === 'quota.unknown_class' || code === 'quota.not_whole' ? { code } : {}),
      details,
    });
  }
  for (const [cls, n] of Object.entries(total)) {
    if (!classes.has(cls)) {
      // A package naming a class the policy lost (policies check prevents it; say so if it happens).
      throw new InputError(`the package names "${cls}", which is not a resource class`, {
        code: 'quota.unknown_class',
        details: [{ path: 'package', message: `unknown class "${cls}"`, code: 'quota.unknown_class' }],
      });
    }
    if (n === 0) delete total[cls];
  }
  if (Object.keys(total).length === 0) {
    throw new InputError('the request asks for nothing: give a package or amounts above zero', {
      details: [{ path: 'amounts', message: 'nothing asked for' }],
    });
  }
  return total;
}

/** The monthly cost in CNY of `amounts` by the price list, to the fen. */
export function monthlyCost(policy: QuotasPolicy, amounts: Amounts): number {
  let sum = 0;
  for (const c of policy.classes) sum += (amounts[c.id] ?? 0) * c.monthlyPrice;
  return Math.round(sum * 100) / 100;
}

/** An org unit on the request unit's ancestor chain. */
export interface ChainUnit {
  id: string;
  level: OrgLevel;
}

/** One approval step to wait for: the level it needs and the unit that must act. */
export interface PlannedStep {
  approverLevel: OrgLevel;
  /** The nearest unit at or above the request's unit whose level is at `approverLevel` or higher. */
  actingOrgUnitId: string;
}

export type Chain = { auto: true; steps: [] } | { auto: false; steps: PlannedStep[] };

/**
 * The approval chain of a request of `cost` whose unit has `ancestors` (the unit itself first, the
 * root last). At or below `autoApproveMonthlyCost`: approved by the system. Above: one step per
 * policy step whose threshold the cost passes, from the lowest level up; when it passes none (the
 * thresholds start above the auto-approval limit), the lowest policy step; when the policy has no
 * steps, the cloud owner's level. Each step's acting unit is the nearest unit of the chain at that
 * level or higher; steps that fall to the same unit are one step (at the higher level).
 */
export function buildChain(
  policy: QuotasPolicy,
  cost: number,
  ancestors: readonly ChainUnit[],
  ownerLevel: OrgLevel,
): Chain {
  if (cost <= policy.approval.autoApproveMonthlyCost) return { auto: true, steps: [] };
  const byLevel = [...policy.approval.steps].sort(
    (a, b) =>
      levelRank(b.approverLevel) - levelRank(a.approverLevel) || a.aboveMonthlyCost - b.aboveMonthlyCost,
  );
  let levels = byLevel.filter((s) => cost > s.aboveMonthlyCost).map((s) => s.approverLevel);
  if (levels.length === 0) levels = byLevel.length ? [byLevel[0]!.approverLevel] : [ownerLevel];
  const steps: PlannedStep[] = [];
  for (const level of levels) {
    const acting =
      ancestors.find((u) => levelRank(u.level) <= levelRank(level)) ?? ancestors[ancestors.length - 1];
    if (!acting) throw new Error('the request has no org unit');
    const prev = steps[steps.length - 1];
    if (prev?.actingOrgUnitId === acting.id) {
      if (levelRank(level) < levelRank(prev.approverLevel)) prev.approverLevel = level;
      continue;
    }
    if (prev && prev.approverLevel === level) continue;
    steps.push({ approverLevel: level, actingOrgUnitId: acting.id });
  }
  return { auto: false, steps };
}

/** Why the caller may not decide a step, or undefined when they may. */
export type DecideRefusal =
  { kind: 'level'; required: OrgLevel; level: OrgLevel } | { kind: 'self' } | undefined;

/**
 * Whether a caller at `callerLevel` may decide a step needing `approverLevel` of a request applied
 * for by `applicantId` (scope and permission are checked before: out of scope reads as absent).
 */
export function mayDecide(
  caller: { id: string; level: OrgLevel },
  step: { approverLevel: OrgLevel },
  applicantId: string,
): DecideRefusal {
  if (levelRank(caller.level) > levelRank(step.approverLevel))
    return { kind: 'level', required: step.approverLevel, level: caller.level };
  if (caller.id === applicantId) return { kind: 'self' };
  return undefined;
}
