import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { Logger } from '../logger.js';
import type { PolicyRef } from './ref.js';

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
export function parsePolicy<T>(ref: PolicyRef<T>, text: string): T {
  const file = ref.file;
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    throw new PolicyError(file, [`not valid YAML${where}: ${(err as Error).message.split('\n')[0]}`]);
  }
  const result = ref.schema.safeParse(doc);
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
  return result.data;
}

/** Validates every given policy file in `dir`; returns the problems (empty when all are valid). */
export function checkPolicies(
  dir: string,
  refs: readonly PolicyRef<unknown>[],
): { file: string; ok: boolean; problems: string[] }[] {
  return refs.map((ref) => {
    const file = ref.file;
    try {
      parsePolicy(ref, readFileSync(join(dir, file), 'utf8'));
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
  private current: Map<string, unknown>;
  private watcher: FSWatcher | undefined;
  private readonly listeners = new Set<() => void>();
  private reloadTimer: NodeJS.Timeout | undefined;
  lastError: PolicyError | undefined;

  private constructor(
    private readonly dir: string,
    private readonly log: Logger,
    private readonly known: ReadonlyMap<string, PolicyRef<unknown>>,
    initial: Map<string, unknown>,
  ) {
    this.current = initial;
  }

  /**
   * Loads every given file (the core's and the modules'); throws PolicyError at start when one is
   * invalid (refuse to run on bad policy) or two owners declare the same file.
   */
  static load(dir: string, log: Logger, refs: readonly PolicyRef<unknown>[]): PolicyStore {
    const known = new Map<string, PolicyRef<unknown>>();
    const policies = new Map<string, unknown>();
    for (const ref of refs) {
      const file = ref.file;
      if (known.has(file) && known.get(file) !== ref) throw new PolicyError(file, ['declared twice']);
      known.set(file, ref);
      let text: string;
      try {
        text = readFileSync(join(dir, file), 'utf8');
      } catch (err) {
        throw new PolicyError(file, [`cannot read ${join(dir, file)}: ${(err as Error).message}`]);
      }
      policies.set(file, parsePolicy(ref, text));
    }
    return new PolicyStore(dir, log, known, policies);
  }

  /** The policy in force for the file of `ref`. */
  get<T>(ref: PolicyRef<T>): T {
    if (!this.known.has(ref.file)) throw new Error(`policy file ${ref.file} was not loaded`);
    return this.current.get(ref.file) as T;
  }

  /** Every policy file this store holds. */
  refs(): PolicyRef<unknown>[] {
    return [...this.known.values()];
  }

  /** The ref of a file by name, or undefined when no one declared it. */
  ref(file: string): PolicyRef<unknown> | undefined {
    return this.known.get(file);
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Re-reads every file; keeps the previous version of any file that fails. Returns true if all loaded. */
  reload(): boolean {
    let ok = true;
    const next = new Map(this.current);
    for (const [file, ref] of this.known) {
      try {
        next.set(file, parsePolicy(ref, readFileSync(join(this.dir, file), 'utf8')));
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
    for (const fn of this.listeners) fn();
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
