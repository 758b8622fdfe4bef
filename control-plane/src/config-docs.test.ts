import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSettings, settingsEnv } from '../../agents/src/config.js';
import { describeSettings } from './config.js';
import { AGENT_SETTINGS, CONFIGURATION_DOC_PATH, renderConfigurationDoc } from './config-docs.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const REGENERATE = 'npm run build && npm run docs:config';

function readDoc(): string {
  try {
    return readFileSync(join(root, CONFIGURATION_DOC_PATH), 'utf8');
  } catch {
    return '';
  }
}

/** TypeScript files under a directory, without tests and test doubles (`fake-*.ts`, `testing`). */
function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !/\.(test|case)\.ts$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .filter((p) => !/[/\\](fake-[^/\\]*|testing\.ts)$|[/\\]testing[/\\]/.test(p));
}

describe('docs/configuration.md', () => {
  const rendered = renderConfigurationDoc();

  it('is what renderConfigurationDoc() produces', () => {
    const doc = readDoc();
    // Compare as a boolean first so the failure message says how to fix it, not only a long diff.
    if (doc !== rendered) {
      expect.fail(`${CONFIGURATION_DOC_PATH} is out of date (or missing); regenerate it with: ${REGENERATE}`);
    }
  });

  it('lists every control-plane setting with its environment variable', () => {
    for (const s of describeSettings()) {
      expect(rendered, `setting ${s.path}`).toContain(`| \`${s.path}\` | \`${s.env}\` |`);
    }
  });

  it('names every TIANSHU_ variable the control plane reads from the environment', () => {
    const read = new Set<string>();
    for (const file of sources(join(root, 'control-plane/src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\benv\.(TIANSHU_[A-Z0-9_]+)/g)) read.add(m[1]!);
    }
    expect(read.size).toBeGreaterThan(0);
    for (const name of read) expect(rendered, name).toContain(`\`${name}\``);
  });

  it('names every TIANSHU_AGENT_ variable mentioned in agents/src/config.ts', () => {
    const text = readFileSync(join(root, 'agents/src/config.ts'), 'utf8');
    const names = new Set([...text.matchAll(/\bTIANSHU_(?:AGENT_[A-Z0-9_]+|PROC_ROOT)\b/g)].map((m) => m[0]));
    expect(names.size).toBeGreaterThan(5);
    for (const name of names) expect(rendered, `${name} from agents/src/config.ts`).toContain(name);
  });

  it("documents the agent's settings as agents/src/config.ts defines them", () => {
    expect(AGENT_SETTINGS.map((s) => s.key).sort()).toEqual(Object.keys(settingsEnv).sort());
    const defaults = loadSettings({}) as Record<string, unknown>;
    for (const s of AGENT_SETTINGS) {
      expect(s.env, `environment variable of ${s.key}`).toBe(settingsEnv[s.key as keyof typeof settingsEnv]);
      expect(s.default, `default of ${s.key}`).toEqual(defaults[s.key]);
    }
  });
});
