import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    // Both src/ (tests) and dist/ (built) sit one level below the package root.
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Version of the agent, from its package.json. */
export const agentVersion = readVersion();
