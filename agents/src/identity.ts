import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ensureDir, writeFileAtomic } from './runtime/fs-atomic.js';

/** What enrolment leaves in the state directory; the credential makes this file a secret. */
export const Identity = z
  .object({
    serverUrl: z.string().url(),
    agentId: z.string().uuid(),
    credential: z.string().min(1),
    caFile: z.string().min(1).optional(),
  })
  .strict();
export type Identity = z.infer<typeof Identity>;

export const identityFileName = 'identity.json';

/** Writes identity.json atomically with mode 0600 in a state directory of mode 0700. */
export async function saveIdentity(stateDir: string, identity: Identity): Promise<string> {
  await ensureDir(stateDir, 0o700);
  const path = join(stateDir, identityFileName);
  await writeFileAtomic(path, JSON.stringify(Identity.parse(identity), null, 2) + '\n', { mode: 0o600 });
  return path;
}

/** Reads identity.json; undefined when the agent was never enrolled. */
export async function loadIdentity(stateDir: string): Promise<Identity | undefined> {
  const path = join(stateDir, identityFileName);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid json; enrol the agent again`);
  }
  const r = Identity.safeParse(raw);
  if (!r.success) throw new Error(`${path} is not a valid identity; enrol the agent again`);
  return r.data;
}
