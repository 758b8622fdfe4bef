import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteStateStore } from '../../control-plane/src/store/state/index.js';
import { REPO, TEST_PASSWORD_HASH_ENV } from '../support/control-plane.js';
import { freePort } from '../support/postgres.js';
import {
  AGENT_CLI,
  CP_MAIN,
  assertBuilt,
  eventually,
  httpLogin,
  startProcess,
  type Proc,
} from '../support/process.js';

/**
 * The crash test: the built embedded control plane (PGlite + chDB, host agent, lab, edge agent) is
 * killed with SIGKILL and started again, several times. Its children must not outlive it (no second
 * agent on a state directory), and every batch the agents produced must be stored exactly once or
 * still be queued: no sequence stored twice, none missing, none dropped.
 */
const KILLS = 3;
const PASSWORD = 'crash-admin-password';
// The lab's routers listen on their own port here, so the test does not collide with another lab.
const SNMP_PORT = 16100 + 24000;
let dataDir: string;
let base: string;
let env: Record<string, string>;
let cp: Proc | undefined;

const stateDirs = () => ({ host: join(dataDir, 'agent'), edge: join(dataDir, 'edge-agent') });

/** Processes of this machine whose command line contains every one of `parts`. */
function processesWith(...parts: string[]): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      // A zombie still has an entry but is gone.
      if (/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${name}/stat`, 'utf8'))) continue;
    } catch {
      continue;
    }
    if (parts.every((p) => argv.includes(p))) pids.push(Number(name));
  }
  return pids;
}
const agentPids = (stateDir: string) => processesWith(AGENT_CLI, 'run', stateDir);
const labPids = () => processesWith(AGENT_CLI, 'lab', join(dataDir, 'inventory.yaml'));

interface AgentItem {
  id: string;
  roles: string[];
  lastReportAt: string | null;
}

/** Waits until both embedded agents reported after `since`. */
async function bothReportedSince(since: number): Promise<void> {
  const s = await eventually(() => httpLogin(base, 'admin', PASSWORD), 60_000, 500);
  await eventually(
    async () => {
      const r = await s.get<{ items: AgentItem[] }>('/api/v1/agents');
      const fresh = (role: string) =>
        r.body.items.some(
          (a) => a.roles.includes(role) && a.lastReportAt !== null && Date.parse(a.lastReportAt) > since,
        );
      return fresh('host') && fresh('edge');
    },
    120_000,
    500,
  );
}

async function startCp(): Promise<number> {
  const startedAt = Date.now();
  cp = startProcess([CP_MAIN, 'embedded'], env, 'control-plane');
  await cp.waitFor(/Tianshu console: http/, 120_000);
  return startedAt;
}

beforeAll(async () => {
  assertBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'tianshu-crash-'));
  writeFileSync(
    join(dataDir, 'inventory.yaml'),
    readFileSync(join(REPO, 'control-plane/inventory/demo-province.yaml'), 'utf8').replaceAll(
      'port: 16100',
      `port: ${SNMP_PORT}`,
    ),
  );
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = {
    TIANSHU_DATA_DIR: dataDir,
    TIANSHU_PORT: String(port),
    TIANSHU_HOST: '127.0.0.1',
    TIANSHU_ADMIN_PASSWORD: PASSWORD,
    ...TEST_PASSWORD_HASH_ENV,
    TIANSHU_INVENTORY_FILE: join(dataDir, 'inventory.yaml'),
    TIANSHU_SNMP_CREDENTIALS_FILE: join(REPO, 'control-plane/inventory/demo-snmp-credentials.yaml'),
    TIANSHU_EMBEDDED_LAB_SCENARIO: join(REPO, 'agents/lab/scenarios/quiet.yaml'),
    TIANSHU_FLEET_HEARTBEAT_INTERVAL_SECONDS: '1',
    TIANSHU_FLEET_HOST_INTERVAL_SECONDS: '1',
    TIANSHU_FLEET_FLUSH_INTERVAL_SECONDS: '1',
    TIANSHU_NETWORK_POLL_INTERVAL_SECONDS: '5',
    TIANSHU_LOG_LEVEL: 'info',
  };
});
afterAll(async () => {
  await cp?.stop();
  // Whatever this test started and is still running (only on failure) goes too.
  if (dataDir) {
    for (const pid of [...agentPids(stateDirs().host), ...agentPids(stateDirs().edge), ...labPids()]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
});

describe('a crashing embedded control plane', () => {
  it('leaves one agent per state directory and every batch stored exactly once', async () => {
    const dirs = stateDirs();
    let since = await startCp();
    await bothReportedSince(since);
    for (let round = 1; round <= KILLS; round += 1) {
      expect(agentPids(dirs.host), `round ${round}: host agents`).toHaveLength(1);
      expect(agentPids(dirs.edge), `round ${round}: edge agents`).toHaveLength(1);
      expect(labPids(), `round ${round}: labs`).toHaveLength(1);
      cp!.proc.kill('SIGKILL');
      await cp!.exited();
      // The children notice their parent's death and exit on their own.
      await eventually(
        async () => agentPids(dirs.host).length + agentPids(dirs.edge).length + labPids().length === 0,
        20_000,
        200,
      ).catch(() => {
        throw new Error(
          `children outlived the killed control plane: host ${agentPids(dirs.host)}, edge ${agentPids(dirs.edge)}, lab ${labPids()}`,
        );
      });
      since = await startCp();
      await bothReportedSince(since);
    }
    expect(agentPids(dirs.host)).toHaveLength(1);
    expect(agentPids(dirs.edge)).toHaveLength(1);

    // A clean stop: agents put what they hold in memory into their queues.
    expect(await cp!.stop()).toBe(0);
    cp = undefined;
    expect(agentPids(dirs.host).length + agentPids(dirs.edge).length).toBe(0);

    const store = await PgliteStateStore.open(join(dataDir, 'state'));
    try {
      for (const [role, dir] of Object.entries(dirs)) {
        const { agentId } = JSON.parse(readFileSync(join(dir, 'identity.json'), 'utf8')) as {
          agentId: string;
        };
        const state = JSON.parse(readFileSync(join(dir, 'queue', 'queue-state.json'), 'utf8')) as {
          nextSequence: number;
          droppedBatches: number;
        };
        const queued = readdirSync(join(dir, 'queue'))
          .filter((f) => /^\d{20}\.json$/.test(f))
          .map((f) => Number(f.slice(0, 20)));
        const r = await store.query<{ sequence: string | number }>(
          'SELECT sequence FROM agent_batches WHERE agent_id = $1 ORDER BY sequence',
          [agentId],
        );
        const stored = r.rows.map((x) => Number(x.sequence));
        expect(stored.length, `${role}: batches stored`).toBeGreaterThan(KILLS);
        // Each sequence number names one batch: stored at most once.
        expect(stored.length - new Set(stored).size, `${role}: sequences stored twice`).toBe(0);
        expect(Math.max(...stored), `${role}: stored beyond the agent's sequence`).toBeLessThan(
          state.nextSequence,
        );
        // Every number the agent used is stored, still queued, or counted as dropped.
        const accounted = new Set([...stored, ...queued]);
        const missing = Array.from({ length: state.nextSequence }, (_, i) => i).filter(
          (i) => !accounted.has(i),
        );
        expect(state.droppedBatches, `${role}: dropped`).toBe(0);
        expect(missing, `${role}: sequences neither stored nor queued`).toEqual([]);
      }
    } finally {
      await store.close();
    }
  });
});
