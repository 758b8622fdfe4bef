import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from './logger.js';
import type { ControlPlane } from './server.js';
import { systemIdentity } from './auth/identity.js';

const AGENT_CLI = fileURLToPath(new URL('../../agents/dist/cli.js', import.meta.url));

function assertAgentBuilt(): void {
  if (!existsSync(AGENT_CLI)) throw new Error(`agent is not built (${AGENT_CLI} missing); run npm run build`);
}

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
 * Runs `tianshu-agent <args>` as a child process, restarted if it dies, stopped with us (SIGTERM,
 * then SIGKILL after 5 s).
 */
function supervise(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  log: Logger,
): { stop(): Promise<void> } {
  let child: ChildProcess | undefined;
  let stopping = false;
  const launch = () => {
    child = spawn(process.execPath, [AGENT_CLI, ...args], { stdio: ['ignore', 'inherit', 'inherit'], env });
    child.on('exit', (code, signal) => {
      if (stopping) return;
      log.warn({ name, code, signal }, 'embedded process exited; restarting in 5 s');
      setTimeout(() => !stopping && launch(), 5000).unref();
    });
  };
  launch();
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
        const t = setTimeout(() => child?.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Embedded mode: an agent for this machine with the given role (`host`: its /proc metrics; `edge`:
 * polling the lab's routers), enrolled automatically at first start (its identity is kept under
 * dataDir/<role>-agent, so restarts reuse it), run as a child process and stopped with us.
 */
export async function startEmbeddedAgent(
  cp: ControlPlane,
  log: Logger,
  role: 'host' | 'edge',
): Promise<{ stop(): Promise<void> }> {
  assertAgentBuilt();
  // The host agent kept its state in dataDir/agent before the edge agent existed; keep that path.
  const stateDir = join(cp.services.config.dataDir, role === 'host' ? 'agent' : 'edge-agent');
  mkdirSync(stateDir, { recursive: true });
  if (!existsSync(join(stateDir, 'identity.json'))) {
    const root = await cp.services.orgUnits.root();
    const token = await cp.services.fleet.createEnrolmentToken(systemIdentity(), {
      name: `embedded ${role} agent`,
      orgUnitId: root!.id,
      roles: [role],
      maxUses: 1,
      expiresInHours: 1,
    });
    await run(
      ['enrol', '--server', cp.url, '--token', token.token, '--state-dir', stateDir, '--roles', role],
      log,
    );
    log.info({ role }, 'embedded agent enrolled');
  }
  return supervise(
    `${role} agent`,
    ['run', '--state-dir', stateDir, '--roles', role],
    { ...process.env, TIANSHU_AGENT_SERVER: cp.url },
    log,
  );
}

/** Embedded mode: the lab's simulated routers for the inventory's devices, driven by a scenario. */
export async function startEmbeddedLab(
  inventoryFile: string,
  scenarioFile: string,
  log: Logger,
): Promise<{ stop(): Promise<void> }> {
  assertAgentBuilt();
  log.info({ inventoryFile, scenarioFile }, 'starting the embedded lab');
  return supervise(
    'lab',
    ['lab', '--inventory', inventoryFile, '--scenario', scenarioFile],
    process.env,
    log,
  );
}
