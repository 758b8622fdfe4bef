import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from './logger.js';
import type { ControlPlane } from './server.js';
import { systemIdentity } from './auth/identity.js';
import type { Supervisor } from './embedded/supervisor.js';

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
 * Embedded mode: an agent for this machine with the given role (`host`: its /proc metrics; `edge`:
 * polling the lab's routers), enrolled automatically at first start (its identity is kept under
 * dataDir/<role>-agent, so restarts reuse it), run as a child of the supervisor: restarted with
 * back-off, stopped with us, and exiting by itself if we die.
 */
export async function startEmbeddedAgent(
  cp: ControlPlane,
  log: Logger,
  role: 'host' | 'edge',
  supervisor: Supervisor,
  options: { requiresLab?: boolean } = {},
): Promise<void> {
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
  supervisor.start({
    name: `${role} agent`,
    command: process.execPath,
    args: [AGENT_CLI, 'run', '--state-dir', stateDir, '--roles', role],
    env: { ...process.env, TIANSHU_AGENT_SERVER: cp.url },
    // The edge agent polls the lab's routers: it runs only while the lab does, so that it never
    // sends the lab's community to whatever else holds those ports while the lab backs off.
    ...(role === 'edge' && options.requiresLab ? { requires: { name: 'lab' } } : {}),
  });
}

/** Embedded mode: the lab's simulated routers for the inventory's devices, driven by a scenario. */
export function startEmbeddedLab(
  inventoryFile: string,
  scenarioFile: string,
  log: Logger,
  supervisor: Supervisor,
): void {
  assertAgentBuilt();
  log.info({ inventoryFile, scenarioFile }, 'starting the embedded lab');
  supervisor.start({
    name: 'lab',
    command: process.execPath,
    args: [AGENT_CLI, 'lab', '--inventory', inventoryFile, '--scenario', scenarioFile],
  });
}
