import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PollTarget } from '@tianshu/protocol';
import { createSnmpSession } from '../snmp-client.js';

/** A v3 user created in the test daemon's configuration. */
export interface SnmpdUser {
  name: string;
  authKey: string;
  privKey: string;
}

/** A running Debian `snmpd` for tests and benchmarks. */
export interface RunningSnmpd {
  host: string;
  port: number;
  community: string;
  user: SnmpdUser;
  /** A v2c target pointing at this daemon. */
  v2cTarget(deviceId?: string, overrides?: Partial<PollTarget>): PollTarget;
  /** A v3 authPriv (SHA/AES) target pointing at this daemon. */
  v3Target(deviceId?: string, overrides?: Partial<PollTarget>): PollTarget;
  stop(): Promise<void>;
}

/** Options of {@link startSnmpd}. */
export interface StartSnmpdOptions {
  host?: string;
  community?: string;
  user?: SnmpdUser;
  /**
   * Command prefix, e.g. `['ip', 'netns', 'exec', 'ns1']` to run the daemon in a namespace; `host`
   * must then be reachable from here, since readiness is probed over SNMP.
   */
  wrap?: string[];
  /** Port to listen on; a free one is picked by default. */
  port?: number;
  binary?: string;
  /**
   * Subtrees left out of the daemon's MIB view (for the community and the v3 user alike), so it
   * answers as a device without them would: e.g. {@link snmpdViews.noIfXTable} for a device with
   * only ifTable's 32-bit counters, {@link snmpdViews.noSystem} for one without the system group.
   */
  exclude?: readonly string[];
}

/** Views of {@link StartSnmpdOptions.exclude} that tests use. */
export const snmpdViews = {
  /** No IF-MIB ifXTable: only ifTable (32-bit ifInOctets/ifOutOctets, ifSpeed). */
  noIfXTable: ['1.3.6.1.2.1.31.1.1'],
  /** No SNMPv2-MIB system group (sysDescr, sysObjectID, sysUpTime, sysName, ...). */
  noSystem: ['1.3.6.1.2.1.1'],
} as const;

/** Finds a UDP port that is free on `host` at the moment of the call. */
export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, host, () => resolve());
  });
  const { port } = sock.address();
  await new Promise<void>((resolve) => sock.close(() => resolve()));
  return port;
}

/**
 * Starts Debian's `snmpd` in the foreground on a UDP port with a generated configuration (one
 * read-only community, one SHA/AES authPriv user) and waits until it answers.
 */
export async function startSnmpd(options: StartSnmpdOptions = {}): Promise<RunningSnmpd> {
  const host = options.host ?? '127.0.0.1';
  const community = options.community ?? 'tianshu-test-community';
  const user = options.user ?? { name: 'tianshu', authKey: 'auth-secret-1234', privKey: 'priv-secret-5678' };
  const dir = await mkdtemp(join(tmpdir(), 'tianshu-snmpd-'));
  const conf = join(dir, 'snmpd.conf');
  const exclude = options.exclude ?? [];
  for (const oid of exclude) {
    if (!/^\d+(\.\d+)*$/.test(oid)) throw new Error(`snmpd view: not a numeric oid: ${JSON.stringify(oid)}`);
  }
  const view = exclude.length > 0 ? ' -V tianshu' : '';
  await writeFile(
    conf,
    [
      ...(exclude.length > 0
        ? ['view tianshu included .1', ...exclude.map((oid) => `view tianshu excluded .${oid}`)]
        : []),
      `rocommunity ${community} default${view}`,
      `createUser ${user.name} SHA ${user.authKey} AES ${user.privKey}`,
      `rouser ${user.name} priv${view}`,
      'dontLogTCPWrappersConnects yes',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port =
      options.port ??
      (options.wrap ? 16_100 + attempt : await freeUdpPort(host === '0.0.0.0' ? '127.0.0.1' : host));
    const args = [
      '-f',
      '-Lo',
      '-C',
      '-c',
      conf,
      '-p',
      join(dir, 'snmpd.pid'),
      '-M',
      '/usr/share/snmp/mibs',
      '-m',
      '',
      `udp:${host}:${port}`,
    ];
    const wrap = options.wrap ?? [];
    const cmd = [...wrap, options.binary ?? 'snmpd', ...args];
    const child = spawn(cmd[0] as string, cmd.slice(1), {
      env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, 'persist'), MIBS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const probeHost = host === '0.0.0.0' ? '127.0.0.1' : host;
    const running: RunningSnmpd = {
      host: probeHost,
      port,
      community,
      user,
      v2cTarget: (deviceId = 'snmpd-v2c', overrides = {}) => ({
        deviceId,
        address: probeHost,
        port,
        credentials: { version: '2c', community },
        timeoutMs: 2000,
        retries: 1,
        maxRepetitions: 50,
        ...overrides,
      }),
      v3Target: (deviceId = 'snmpd-v3', overrides = {}) => ({
        deviceId,
        address: probeHost,
        port,
        credentials: {
          version: '3',
          user: user.name,
          level: 'authPriv',
          authProtocol: 'sha',
          authKey: user.authKey,
          privProtocol: 'aes',
          privKey: user.privKey,
        },
        timeoutMs: 2000,
        retries: 1,
        maxRepetitions: 50,
        ...overrides,
      }),
      stop: async () => {
        await stopChild(child, exited);
        await rm(dir, { recursive: true, force: true });
      },
    };
    if (await waitReady(running, child)) return running;
    await stopChild(child, exited);
    lastError = output.trim();
    if (options.port !== undefined) break;
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`snmpd did not start: ${lastError}`);
}

async function waitReady(s: RunningSnmpd, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const session = createSnmpSession(s.v2cTarget('probe', { timeoutMs: 200, retries: 0 }));
    try {
      await session.get(['1.3.6.1.2.1.1.3.0']);
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
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
