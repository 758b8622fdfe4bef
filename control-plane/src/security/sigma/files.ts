import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { compileSigma, invalidRule, MAX_RULE_BYTES } from './compile.js';
import { SigmaEngine, type HitRecorder, type LoadedRule } from './engine.js';

/** Rule files: `.yml` and `.yaml`, found recursively (hidden entries skipped), in a stable order. */
export function listRuleFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 16) return;
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const n of names) {
      if (n.startsWith('.')) continue;
      const p = join(d, n);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p, depth + 1);
      else if (st.isFile() && /\.ya?ml$/i.test(n)) out.push(p);
    }
  };
  walk(dir, 0);
  return out;
}

/** Compiles every rule file under `dir`; files are named relative to it (with `/`). */
export function loadRuleDir(dir: string): LoadedRule[] {
  const out: LoadedRule[] = [];
  for (const path of listRuleFiles(dir)) {
    const file = relative(dir, path).split(sep).join('/');
    let text: string;
    try {
      if (statSync(path).size > MAX_RULE_BYTES) throw new Error(`larger than ${MAX_RULE_BYTES} bytes`);
      text = readFileSync(path, 'utf8');
    } catch (err) {
      out.push({
        rule: invalidRule(file, `cannot read: ${(err as Error).message}`),
        file,
        origin: 'policy',
        scopePath: '',
      });
      continue;
    }
    for (const rule of compileSigma(text, file)) out.push({ rule, file, origin: 'policy', scopePath: '' });
  }
  return out;
}

/** An engine over every rule under the given directories (the bench's and tests' helper). */
export function engineForDirs(dirs: readonly string[], recorder?: HitRecorder): SigmaEngine {
  return new SigmaEngine(
    dirs.flatMap((d) => loadRuleDir(d)),
    recorder,
  );
}
