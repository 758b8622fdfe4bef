import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { ControlPlane } from './server.js';
import { systemIdentity } from './auth/identity.js';
import type { ChildSpec, Supervisor } from './embedded/supervisor.js';

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
  options: { requires?: ChildSpec['requires'] } = {},
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
    ...(options.requires ? { requires: options.requires } : {}),
  });
}

/** A UDP port free on `address` now (the kernel picks it). */
async function freeUdpPort(address: string): Promise<number> {
  const s = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, address, () => resolve());
  });
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * Embedded mode with the lab and the edge agent: the lab's routers export flows to the edge agent's
 * collector. Ports the configuration leaves unset (`flows.netflowPort`, `flows.sflowPort`) are
 * picked free on loopback, as the lab's SNMP ports move within `labPortRange`, so that a NetFlow
 * collector already on 2055 does not keep the demo from showing flows; the edge agent is told them
 * through its config (the flows module reads `config.flows`), the lab through its flags. Call it
 * before the control plane is created.
 */
export async function embeddedFlowPorts(config: Config): Promise<Config> {
  const e = config.embedded;
  if (!e.lab || !e.edgeAgent) return config;
  const bindAddress = config.flows.bindAddress ?? '127.0.0.1';
  const probe = bindAddress === '0.0.0.0' || bindAddress === '::' ? '127.0.0.1' : bindAddress;
  const netflowPort = config.flows.netflowPort ?? (await freeUdpPort(probe));
  const sflowPort = config.flows.sflowPort ?? (await freeUdpPort(probe));
  return { ...config, flows: { ...config.flows, netflowPort, sflowPort, bindAddress } };
}

/** A TCP port free on `address` now (the kernel picks it). */
async function freeTcpPort(address: string): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, address, () => resolve());
  });
  const a = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return typeof a === 'object' && a ? a.port : 0;
}

/** A port free for both TCP and UDP on `address` (a syslog listener takes both). */
async function freeTcpUdpPort(address: string): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freeTcpPort(address);
    const u = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    const ok = await new Promise<boolean>((resolve) => {
      u.once('error', () => resolve(false));
      u.bind(port, address, () => resolve(true));
    });
    await new Promise<void>((resolve) => (ok ? u.close(() => resolve()) : resolve()));
    if (ok) return port;
  }
  throw new Error(`no port free for both TCP and UDP on ${address}`);
}

/**
 * Embedded mode: the security listeners on free loopback ports, for ports the configuration leaves
 * unset — the control plane's CEF and EVE listeners over TCP (`security.cefPort`,
 * `security.evePort`) and, with an edge agent, its syslog listener over UDP and TCP
 * (`security.syslogPort`, pushed to the agent in its `security` section). Call it before the
 * control plane is created.
 */
export async function embeddedSecurityPorts(config: Config): Promise<Config> {
  const s = config.security;
  const bindAddress = s.bindAddress ?? '127.0.0.1';
  const probe = bindAddress === '0.0.0.0' || bindAddress === '::' ? '127.0.0.1' : bindAddress;
  const cefPort = s.cefPort ?? (await freeTcpPort(probe));
  const evePort = s.evePort ?? (await freeTcpPort(probe));
  const syslogPort = s.syslogPort ?? (config.embedded.edgeAgent ? await freeTcpUdpPort(probe) : undefined);
  return {
    ...config,
    security: { ...s, bindAddress, cefPort, evePort, ...(syslogPort ? { syslogPort } : {}) },
  };
}

/** The lab's flow export flags for the embedded edge agent's collector (none for a port that is 0). */
export function labFlowArgs(config: Config): string[] {
  const f = config.flows;
  const bind = f.bindAddress ?? '127.0.0.1';
  const host =
    bind === '0.0.0.0' ? '127.0.0.1' : bind === '::' ? '[::1]' : bind.includes(':') ? `[${bind}]` : bind;
  return [
    ...(f.netflowPort ? ['--flows-netflow', `${host}:${f.netflowPort}`] : []),
    ...(f.sflowPort ? ['--flows-sflow', `${host}:${f.sflowPort}`] : []),
  ];
}

/** Exit code of `tianshu-agent lab` for a configuration it cannot run with (never restarted). */
const LAB_CONFIG_EXIT = 2;

/**
 * Embedded mode: the lab's simulated routers for the inventory's devices, driven by a scenario. The
 * lab writes where its routers listen to `routersFile` once they all do (after moving within
 * `portRange` from taken ports); a configuration it cannot run with (exit code 2: bad files, no
 * free port) stops it for good with the reason, instead of a restart loop.
 */
export function startEmbeddedLab(
  inventoryFile: string,
  scenarioFile: string,
  log: Logger,
  supervisor: Supervisor,
  options: { portRange?: string; routersFile?: string; flowArgs?: string[] } = {},
): void {
  assertAgentBuilt();
  log.info({ inventoryFile, scenarioFile, portRange: options.portRange }, 'starting the embedded lab');
  if (options.routersFile) rmSync(options.routersFile, { force: true });
  supervisor.start({
    name: 'lab',
    command: process.execPath,
    args: [
      AGENT_CLI,
      'lab',
      '--inventory',
      inventoryFile,
      '--scenario',
      scenarioFile,
      ...(options.portRange ? ['--port-range', options.portRange] : []),
      ...(options.routersFile ? ['--routers-file', options.routersFile] : []),
      ...(options.flowArgs ?? []),
    ],
    fatalExitCodes: [LAB_CONFIG_EXIT],
  });
}

interface RoutersFile {
  pid: number;
  startedAt: string;
  routers: { deviceId: string; address: string; port: number }[];
}

/**
 * Keeps the embedded inventory where the lab's routers are: reads the lab's routers file and, for
 * every device whose managementAddress or snmp.port differs from where its router listens, updates
 * the device (as the system, audited), so the edge agents' targets follow the lab. `appliedPid` is
 * the lab process whose file has been applied: the edge agent starts only once it is the running
 * lab's, so it never polls a port the lab left because another process holds it.
 */
export class LabFollower {
  #applied: string | null = null;
  #appliedPid: number | null = null;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(
    private readonly cp: ControlPlane,
    private readonly file: string,
    private readonly log: Logger,
  ) {}

  get appliedPid(): number | null {
    return this.#appliedPid;
  }

  /** Checks the file every `everyMillis` until {@link stop}. */
  start(everyMillis = 500): void {
    this.#timer = setInterval(() => void this.check(), everyMillis);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Applies the routers file if it changed since the last time; resolves with the devices changed. */
  async check(): Promise<string[]> {
    if (this.#busy) return [];
    this.#busy = true;
    try {
      let text: string;
      try {
        text = await readFile(this.file, 'utf8');
      } catch {
        return []; // Not written yet: the lab is starting.
      }
      if (text === this.#applied) return [];
      let doc: RoutersFile;
      try {
        doc = JSON.parse(text) as RoutersFile;
      } catch (err) {
        this.log.error(
          { file: this.file, err: (err as Error).message },
          'embedded lab routers file is not valid JSON',
        );
        this.#applied = text;
        return [];
      }
      const changed = await this.apply(doc);
      this.#applied = text;
      this.#appliedPid = doc.pid;
      return changed;
    } finally {
      this.#busy = false;
    }
  }

  private async apply(doc: RoutersFile): Promise<string[]> {
    const system = systemIdentity();
    const devices = this.cp.services.inventory.devices;
    const changed: string[] = [];
    for (const r of doc.routers) {
      const d = await devices.find(system, r.deviceId);
      if (!d?.snmp) continue;
      const port = d.snmp.port ?? 161;
      if (port === r.port && d.managementAddress === r.address) continue;
      try {
        await devices.update(system, d.id, {
          snmp: { ...d.snmp, port: r.port },
          ...(d.managementAddress === r.address ? {} : { managementAddress: r.address }),
        });
        changed.push(d.id);
        this.log.warn(
          { device: d.id, from: `${d.managementAddress}:${port}`, to: `${r.address}:${r.port}` },
          'embedded inventory follows the lab: the device moved',
        );
      } catch (err) {
        this.log.error(
          { device: d.id, to: `${r.address}:${r.port}`, err: (err as Error).message },
          'embedded inventory cannot follow the lab; the device is polled where the inventory says',
        );
      }
    }
    return changed;
  }
}

/**
 * Starts embedded mode's children as the configuration says: the host agent, the lab and the edge
 * agent, each on its own switch. Beside the lab the edge agent starts once the lab listens and the
 * inventory follows it (and stops while the lab is down); without the lab it polls the inventory.
 */
export async function startEmbeddedChildren(
  cp: ControlPlane,
  log: Logger,
  supervisor: Supervisor,
  defaults: { labScenario: string },
): Promise<LabFollower | undefined> {
  const config = cp.services.config;
  const e = config.embedded;
  if (e.hostAgent) {
    try {
      await startEmbeddedAgent(cp, log, 'host', supervisor);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'embedded host agent did not start');
    }
  }
  let follower: LabFollower | undefined;
  if (e.lab) {
    if (!config.inventoryFile) {
      log.warn('the embedded lab needs inventoryFile (its devices); not starting it');
    } else {
      try {
        const routersFile = join(config.dataDir, 'lab-routers.json');
        follower = new LabFollower(cp, routersFile, log);
        startEmbeddedLab(config.inventoryFile, e.labScenario ?? defaults.labScenario, log, supervisor, {
          portRange: e.labPortRange,
          routersFile,
          // Beside the edge agent the routers export their flows to its collector.
          ...(e.edgeAgent ? { flowArgs: labFlowArgs(config) } : {}),
        });
        follower.start();
      } catch (err) {
        follower = undefined;
        log.error({ err: (err as Error).message }, 'embedded lab did not start');
      }
    }
  }
  if (e.edgeAgent) {
    const f = follower;
    const labPid = () => supervisor.list().find((p) => p.name === 'lab')?.pid ?? null;
    try {
      await startEmbeddedAgent(cp, log, 'edge', supervisor, {
        // The edge agent polls the lab's routers: it runs only while the lab does, and once the
        // inventory knows where the running lab's routers are, so that it never sends the lab's
        // community to whatever else holds the ports the lab moved away from.
        ...(f
          ? { requires: { name: 'lab', ready: () => f.appliedPid !== null && f.appliedPid === labPid() } }
          : {}),
      });
    } catch (err) {
      log.error({ err: (err as Error).message }, 'embedded edge agent did not start');
    }
  }
  return follower;
}
