import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

let cached: Promise<URL> | undefined;

/**
 * The flow collector's worker script for tests that run from TypeScript sources: a worker thread
 * does not go through the test runner's transform, so `agents/src/flows/worker.ts` (and what it
 * imports, the protocol included) is bundled into one ES module in a temporary directory. The
 * built agent (`dist/`) uses its compiled `worker.js` instead.
 */
export function flowWorkerUrl(): Promise<URL> {
  cached ??= (async () => {
    const { build } = await import('rolldown');
    const root = new URL('../../', import.meta.url).pathname;
    const out = await build({
      input: join(root, 'agents/src/flows/worker.ts'),
      platform: 'node',
      resolve: { alias: { '@tianshu/protocol': join(root, 'protocol/src/index.ts') } },
      write: false,
      output: { format: 'esm' },
      logLevel: 'silent',
    });
    const chunk = out.output[0];
    const dir = mkdtempSync(join(tmpdir(), 'tianshu-flow-worker-'));
    const file = join(dir, 'worker.mjs');
    writeFileSync(file, chunk.code);
    return pathToFileURL(file);
  })();
  return cached;
}
