import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from './logger.js';
import type { ControlPlane } from './server.js';
import { systemIdentity } from './auth/identity.js';

const AGENT_CLI = fileURLToPath(new URL('../../agents/dist/cli.js', import.meta.url));

function run(args: string[], log: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [AGENT_CLI, ...args], { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => {
      if (code === 0) resolve();
      else {
        log.error({ stderr: err.slice(-2000) }, 'agent command failed');
        reject(new Error(`tianshu-agent ${args[0]} exited with ${code}`));
      }
    });
  });
}

/**
 * Embedded mode: a host agent for this machine, enrolled automatically at first start (its identity
 * is kept under dataDir/agent, so restarts reuse it), run as a child process and stopped with us.
 */
export async function startEmbeddedAgent(cp: ControlPlane, log: Logger): Promise<{ stop(): Promise<void> }> {
  if (!existsSync(AGENT_CLI)) throw new Error(`agent is not built (${AGENT_CLI} missing); run npm run build`);
  const stateDir = join(cp.services.config.dataDir, 'agent');
  mkdirSync(stateDir, { recursive: true });
  if (!existsSync(join(stateDir, 'identity.json'))) {
    const root = await cp.services.orgUnits.root();
    const token = await cp.services.fleet.createEnrolmentToken(systemIdentity(), {
      name: 'embedded host agent',
      orgUnitId: root!.id,
      roles: ['host'],
      maxUses: 1,
      expiresInHours: 1,
    });
    await run(
      ['enrol', '--server', cp.url, '--token', token.token, '--state-dir', stateDir, '--roles', 'host'],
      log,
    );
    log.info('embedded host agent enrolled');
  }
  let child: ChildProcess | undefined;
  let stopping = false;
  const launch = () => {
    child = spawn(process.execPath, [AGENT_CLI, 'run', '--state-dir', stateDir], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, TIANSHU_AGENT_SERVER: cp.url },
    });
    child.on('exit', (code, signal) => {
      if (stopping) return;
      log.warn({ code, signal }, 'embedded host agent exited; restarting in 5 s');
      setTimeout(() => !stopping && launch(), 5000).unref();
    });
  };
  launch();
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (!child || child.exitCode !== null) return resolve();
        const t = setTimeout(() => child?.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
