import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PollTarget } from '@tianshu/protocol';
import { createSnmpSession } from '../snmp-client.js';
import { freeUdpPort } from './snmpd.js';

/** The recordings kept beside this file (see `recordings/README.md`). */
export const recordingsDir = fileURLToPath(new URL('./recordings/', import.meta.url));

/** A running Debian `snmpsimd` serving recordings; the community names the recording. */
export interface RunningSnmpsim {
  host: string;
  port: number;
  /** A v2c target for the recording `name` (its file name without `.snmprec`). */
  target(name: string, deviceId?: string, overrides?: Partial<PollTarget>): PollTarget;
  stop(): Promise<void>;
}

const binary = '/usr/bin/snmpsimd';

/**
 * Starts Debian's SNMP simulator (`snmpsimd`, package `snmpsim`) on a free loopback UDP port over
 * a copy of the given recordings, and waits until it answers for the first one. Fails with how to
 * install it when it is missing: a test that needs it never skips silently.
 */
export async function startSnmpsim(options: {
  /** Names of recordings in {@link recordingsDir}. */
  recordings: readonly string[];
  /**
   * Recordings made by the test, by name (snmprec text), e.g. a later answer derived from a genuine
   * one; snmpsimd indexes its data when it starts, so they are given here.
   */
  derived?: Readonly<Record<string, string>>;
}): Promise<RunningSnmpsim> {
  if (spawnSync('sh', ['-c', `test -x ${binary}`]).status !== 0) {
    throw new Error(
      'snmpsim is not installed (Debian package "snmpsim", which provides /usr/bin/snmpsimd): ' +
        'apt-get install -y snmpsim (test/run-tests.mjs installs it)',
    );
  }
  const first = options.recordings[0];
  if (!first) throw new Error('startSnmpsim needs at least one recording');
  const dir = await mkdtemp(join(tmpdir(), 'tianshu-snmpsim-'));
  const data = join(dir, 'data');
  const cache = join(dir, 'cache');
  await mkdir(data);
  await mkdir(cache);
  const available = new Set(await readdir(recordingsDir));
  for (const name of options.recordings) {
    if (!available.has(`${name}.snmprec`))
      throw new Error(`no recording ${name}.snmprec in ${recordingsDir}`);
    await copyFile(join(recordingsDir, `${name}.snmprec`), join(data, `${name}.snmprec`));
  }
  for (const [name, text] of Object.entries(options.derived ?? {})) {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`bad recording name ${JSON.stringify(name)}`);
    await writeFile(join(data, `${name}.snmprec`), text);
  }
  // snmpsimd refuses to run as root; it then drops to nobody, who must read the data and write the cache.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    for (const d of [dir, data, cache]) await chmod(d, 0o777);
    for (const f of await readdir(data)) await chmod(join(data, f), 0o644);
  }
  const host = '127.0.0.1';
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freeUdpPort(host);
    const args = [
      `--data-dir=${data}`,
      `--cache-dir=${cache}`,
      `--agent-udpv4-endpoint=${host}:${port}`,
      '--logging-method=stderr',
      ...(asRoot ? ['--process-user=nobody', '--process-group=nogroup'] : []),
    ];
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const target = (name: string, deviceId = name, overrides: Partial<PollTarget> = {}): PollTarget => ({
      deviceId,
      address: host,
      port,
      credentials: { version: '2c', community: name },
      timeoutMs: 3000,
      retries: 1,
      maxRepetitions: 25,
      ...overrides,
    });
    const running: RunningSnmpsim = {
      host,
      port,
      target,
      stop: async () => {
        await stopChild(child, exited);
        await rm(dir, { recursive: true, force: true });
      },
    };
    if (await waitReady(target(first, 'probe', { timeoutMs: 500, retries: 0 }), child)) return running;
    await stopChild(child, exited);
    lastError = output.trim();
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`snmpsimd did not start: ${lastError}`);
}

// The first answer can take a few seconds: snmpsimd indexes the recordings when it starts.
async function waitReady(target: PollTarget, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const session = createSnmpSession(target);
    try {
      await session.get(['1.3.6.1.2.1.1.3.0']);
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      session.close();
    }
  }
  return false;
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
