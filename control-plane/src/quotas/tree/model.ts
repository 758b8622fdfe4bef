/**
 * The quota tree's arithmetic, in memory, for one cloud and one resource class: who is whose parent
 * and how much each holder's children hold. A holder is an org unit with a quota row on the cloud for
 * the class; a project's quota counts against the nearest holder at or above its org unit, an org
 * unit's quota against the nearest holder strictly above it, and both against the cloud itself
 * (allocatable = capacity × overcommit) when there is none.
 */

/** An org unit's quota on a cloud for one class. */
export interface UnitHolder {
  unitId: string;
  path: string;
  name: string;
  amount: number;
}

/** The project quotas of one org unit on a cloud for one class, summed. */
export interface ProjectGroup {
  unitId: string;
  path: string;
  amount: number;
}

/** Amounts are compared with this tolerance (fractional classes, float sums). */
export const EPSILON = 1e-9;

/** The holders of one class, deepest first, with the nearest-holder lookups. */
export class ClassModel {
  private readonly byDepth: UnitHolder[];
  constructor(
    readonly units: readonly UnitHolder[],
    readonly projects: readonly ProjectGroup[],
  ) {
    this.byDepth = [...units].sort((a, b) => b.path.length - a.path.length);
  }

  /** The nearest holder whose path is a prefix of `path` (itself included unless `strict`). */
  nearest(path: string, strict: boolean): UnitHolder | undefined {
    for (const h of this.byDepth) {
      if (h.path.length > path.length || (strict && h.path === path)) continue;
      if (path.startsWith(h.path)) return h;
    }
    return undefined;
  }

  /** What the children of `holder` (the cloud itself when undefined) hold together. */
  childrenSum(holder: UnitHolder | undefined): number {
    let sum = 0;
    for (const u of this.units) {
      if (u === holder) continue;
      if (holder && !u.path.startsWith(holder.path)) continue;
      if (this.nearest(u.path, true) === holder) sum += u.amount;
    }
    for (const p of this.projects) {
      if (holder && !p.path.startsWith(holder.path)) continue;
      if (this.nearest(p.path, false) === holder) sum += p.amount;
    }
    return sum;
  }

  /** A copy with `unitId`'s quota set to `amount` (added when it had none). */
  withUnit(h: UnitHolder): ClassModel {
    const units = this.units.filter((u) => u.unitId !== h.unitId);
    units.push(h);
    return new ClassModel(units, this.projects);
  }

  /** Every holder whose children hold more than it, and the cloud's total against `allocatable`. */
  violations(
    allocatable: number | undefined,
  ): Array<{ unitId: string | null; amount: number; held: number }> {
    const out: Array<{ unitId: string | null; amount: number; held: number }> = [];
    for (const u of this.units) {
      const held = this.childrenSum(u);
      if (held > u.amount + EPSILON) out.push({ unitId: u.unitId, amount: u.amount, held });
    }
    const top = this.childrenSum(undefined);
    if (top > EPSILON && (allocatable === undefined || top > allocatable + EPSILON))
      out.push({ unitId: null, amount: allocatable ?? 0, held: top });
    return out;
  }
}

/** `a + b` rounded to 9 decimals (keeps float sums of fractional classes tidy). */
export function tidy(n: number): number {
  return Math.round(n * 1e9) / 1e9;
}
