import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import type { Logger } from '../logger.js';
import { POLICY_FILES, type Policies, type PolicyFileName } from './schemas.js';

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.join('; ')}`);
  }
}

/** Parses and validates one policy file's text; throws PolicyError listing every problem. */
export function parsePolicy<F extends PolicyFileName>(file: F, text: string): Policies[F] {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    throw new PolicyError(file, [`not valid YAML${where}: ${(err as Error).message.split('\n')[0]}`]);
  }
  const result = (POLICY_FILES[file] as z.ZodType).safeParse(doc);
  if (!result.success) {
    throw new PolicyError(
      file,
      result.error.issues.map((i) => {
        const path = i.path.join('.') || '(root)';
        if (i.code === 'unrecognized_keys')
          return `${path}: unknown field(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
        return `${path}: ${i.message}`;
      }),
    );
  }
  return result.data as Policies[F];
}

/** Stores one file's policy; generic so that each file keeps its own type. */
function setPolicy<F extends PolicyFileName>(policies: Policies, file: F, value: Policies[F]): void {
  policies[file] = value;
}

/** Validates every known policy file in `dir`; returns the problems (empty when all are valid). */
export function checkPolicies(dir: string): { file: string; ok: boolean; problems: string[] }[] {
  return (Object.keys(POLICY_FILES) as PolicyFileName[]).map((file) => {
    try {
      parsePolicy(file, readFileSync(join(dir, file), 'utf8'));
      return { file, ok: true, problems: [] };
    } catch (err) {
      if (err instanceof PolicyError) return { file, ok: false, problems: err.problems };
      return { file, ok: false, problems: [(err as Error).message] };
    }
  });
}

/**
 * Holds the current valid policies and reloads them when their files change. A change that fails
 * validation is logged and ignored: the last valid version stays in force.
 */
export class PolicyStore {
  private current: Policies;
  private watcher: FSWatcher | undefined;
  private readonly listeners = new Set<(p: Policies) => void>();
  private reloadTimer: NodeJS.Timeout | undefined;
  lastError: PolicyError | undefined;

  private constructor(
    private readonly dir: string,
    private readonly log: Logger,
    initial: Policies,
  ) {
    this.current = initial;
  }

  /** Loads every file; throws PolicyError at start when one is invalid (refuse to run on bad policy). */
  static load(dir: string, log: Logger): PolicyStore {
    const policies = {} as Policies;
    for (const file of Object.keys(POLICY_FILES) as PolicyFileName[]) {
      let text: string;
      try {
        text = readFileSync(join(dir, file), 'utf8');
      } catch (err) {
        throw new PolicyError(file, [`cannot read ${join(dir, file)}: ${(err as Error).message}`]);
      }
      setPolicy(policies, file, parsePolicy(file, text));
    }
    return new PolicyStore(dir, log, policies);
  }

  get<F extends PolicyFileName>(file: F): Policies[F] {
    return this.current[file];
  }

  onChange(fn: (p: Policies) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Re-reads every file; keeps the previous version of any file that fails. Returns true if all loaded. */
  reload(): boolean {
    let ok = true;
    const next = { ...this.current };
    for (const file of Object.keys(POLICY_FILES) as PolicyFileName[]) {
      try {
        setPolicy(next, file, parsePolicy(file, readFileSync(join(this.dir, file), 'utf8')));
      } catch (err) {
        ok = false;
        this.lastError = err instanceof PolicyError ? err : new PolicyError(file, [(err as Error).message]);
        this.log.error(
          { file, err: this.lastError.message },
          'policy file rejected, keeping the previous version',
        );
      }
    }
    this.current = next;
    if (ok) this.lastError = undefined;
    for (const fn of this.listeners) fn(this.current);
    return ok;
  }

  /** Starts watching the directory; reloads debounced by 200 ms. */
  watch(): void {
    if (this.watcher) return;
    try {
      this.watcher = watch(this.dir, () => {
        clearTimeout(this.reloadTimer);
        this.reloadTimer = setTimeout(() => {
          if (this.reload()) this.log.info('policies reloaded');
        }, 200);
        this.reloadTimer.unref();
      });
      this.watcher.unref();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot watch policies directory, hot reload is off');
    }
  }

  close(): void {
    this.watcher?.close();
    clearTimeout(this.reloadTimer);
  }
}
