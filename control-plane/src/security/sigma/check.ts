import { existsSync, statSync } from 'node:fs';
import { SigmaEngine } from './engine.js';
import { loadRuleDir } from './files.js';

/**
 * `tianshu sigma check DIR`: compiles every rule under DIR and prints one JSON line per rule
 * (`{"file","id","status","reason"}`, one per document of a multi-document file), then
 * `{"summary":{"compiled":n,"unsupported":n,"invalid":n}}`. Correlations are resolved against the
 * other rules of DIR. Never stops at a rule; the exit code is 1 only when DIR is not a directory.
 */
export function sigmaCommand(
  args: readonly string[],
  print: (line: string) => void = (l) => console.log(l),
): number {
  const [sub, dir] = args;
  if (sub !== 'check' || !dir) {
    console.error('usage: tianshu sigma check DIR');
    return 2;
  }
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    console.error(`tianshu: sigma check: "${dir}" is not a directory`);
    return 1;
  }
  const engine = new SigmaEngine(loadRuleDir(dir));
  for (const r of engine.rules) {
    print(JSON.stringify({ file: r.file, id: r.info.id, status: r.info.status, reason: r.info.reason }));
  }
  print(JSON.stringify({ summary: engine.summary() }));
  return 0;
}
