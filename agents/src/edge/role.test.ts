import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterfacePollReport, interfacePollRows, type InterfacePollPayload } from '@tianshu/protocol';
import type { DiscoveryPayload } from '@tianshu/protocol';
import type { AgentConfig, EdgeConfig } from '@tianshu/protocol';
import { enrol } from '../enrol.js';
import { startAgent } from '../agent.js';
import { createJsonLogger } from '../runtime/logger.js';
import { StubControlPlane } from '../testing/stub-control-plane.js';
import { waitFor } from '../testing/wait.js';
import { startSnmpd } from './testing/snmpd.js';
import type { RunningSnmpd } from './testing/snmpd.js';

let snmpd: RunningSnmpd;
let dir: string;
let stub: StubControlPlane;

beforeAll(async () => {
  snmpd = await startSnmpd();
  dir = await mkdtemp(join(tmpdir(), 'tianshu-edge-'));
  stub = await new StubControlPlane({ tokens: ['edge-token-1234'] }).start();
});
afterAll(async () => {
  await stub?.stop();
  await snmpd?.stop();
  await rm(dir, { recursive: true, force: true });
});

function config(version: string, edge: EdgeConfig): AgentConfig {
  return {
    configVersion: version,
    heartbeatIntervalSeconds: 1,
    host: { enabled: false, intervalSeconds: 60 },
    report: { maxSamplesPerBatch: 10_000, flushIntervalSeconds: 1 },
    edge,
  };
}

function payloads(): (InterfacePollPayload | DiscoveryPayload)[] {
  return stub.batches.flatMap((b) => b.payloads) as (InterfacePollPayload | DiscoveryPayload)[];
}

describe('edge role in the agent', () => {
  it('polls and discovers the configured devices, follows target changes, never logs credentials', async () => {
    const edge: EdgeConfig = {
      enabled: true,
      pollIntervalSeconds: 5,
      discoveryIntervalSeconds: 3600,
      concurrency: 4,
      targets: [snmpd.v2cTarget('rt-a')],
    };
    stub.config = config('e1', edge);
    await enrol({ server: stub.url, token: 'edge-token-1234', stateDir: dir, roles: ['edge'] });
    const lines: string[] = [];
    const agent = await startAgent({
      stateDir: dir,
      roles: ['edge'],
      retryInitialMillis: 20,
      logger: createJsonLogger({ level: 'debug', write: (l) => lines.push(l) }),
    });
    try {
      await waitFor(
        () => payloads().some((p) => p.kind === 'interface-poll' && p.deviceId === 'rt-a'),
        10_000,
        'a poll of rt-a',
      );
      await waitFor(
        () => payloads().some((p) => p.kind === 'discovery' && p.deviceId === 'rt-a'),
        10_000,
        'a discovery of rt-a',
      );
      // The agent sends polls in the columnar encoding.
      const sent = InterfacePollReport.parse(payloads().find((p) => p.kind === 'interface-poll'));
      expect(sent.encoding).toBe('columnar');
      const poll = interfacePollRows(sent);
      expect(poll.interfaces.some((i) => i.name === 'lo')).toBe(true);
      expect(lines.some((l) => l.includes('not implemented'))).toBe(false);

      // A new config version adds a v3 device without a restart.
      stub.config = config('e2', { ...edge, targets: [...edge.targets, snmpd.v3Target('rt-b')] });
      await waitFor(
        () => payloads().some((p) => p.kind === 'interface-poll' && p.deviceId === 'rt-b'),
        15_000,
        'a poll of rt-b',
      );
      const stats = agent.stats();
      expect(stats.edge).toMatchObject({ enabled: true, targets: 2 });
      expect(stats.configVersion).toBe('e2');

      const all = lines.join('');
      expect(all).not.toContain(snmpd.community);
      expect(all).not.toContain(snmpd.user.authKey);
      expect(all).not.toContain(snmpd.user.privKey);
    } finally {
      await agent.stop();
    }
  }, 40_000);
});
