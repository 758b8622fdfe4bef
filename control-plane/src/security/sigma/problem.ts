/**
 * Why a rule does not run: `unsupported` (valid Sigma that Tianshu cannot evaluate faithfully — a
 * log source with no events here, an unknown field, a modifier or construct it does not implement)
 * or `invalid` (not a valid Sigma rule). Thrown inside the compiler, caught once per rule, so a rule
 * is either compiled whole or not run at all — never half-run.
 */
export class RuleProblem extends Error {
  constructor(
    readonly status: 'unsupported' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'RuleProblem';
  }
}

export const unsupported = (reason: string): never => {
  throw new RuleProblem('unsupported', reason);
};

export const invalid = (reason: string): never => {
  throw new RuleProblem('invalid', reason);
};

/** A short rendering of a YAML value for a reason. */
export function show(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
