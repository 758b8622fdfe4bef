import dgram from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentConfig, SecurityEventsPayload } from '@tianshu/protocol';
import { startAgent } from '../agent.js';
import { enrol } from '../enrol.js';
import { silentLogger } from '../runtime/logger.js';
import { StubControlPlane } from '../testing/stub-control-plane.js';
import { waitFor } from '../testing/wait.js';
import { freeUdpPort } from '../flows/testing/udp.js';
import type { EdgeStats } from '../roles/edge.js';

let dir: string;
let stub: StubControlPlane;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tianshu-agent-security-'));
  stub = await new StubControlPlane({ tokens: ['security-token-1234'] }).start();
});
afterEach(async () => {
  await stub.stop();
  await rm(dir, { recursive: true, force: true });
});

const payloads = (): SecurityEventsPayload[] =>
  stub.batches
    .flatMap((b) => b.payloads)
    .filter((p): p is SecurityEventsPayload => p.kind === 'security-events');

describe('security collector in the edge agent', () => {
  it('posts security-events from its syslog listener, with counters and metrics', async () => {
    const port = await freeUdpPort();
    const config: AgentConfig = {
      configVersion: 's1',
      heartbeatIntervalSeconds: 1,
      host: { enabled: false, intervalSeconds: 60 },
      report: { maxSamplesPerBatch: 10_000, flushIntervalSeconds: 1 },
      security: {
        enabled: true,
        maxLineBytes: 4096,
        files: [],
        listeners: [
          {
            name: 'syslog-udp',
            format: 'syslog',
            transport: 'udp',
            bindAddress: '127.0.0.1',
            port,
            framing: 'auto',
            allowedSources: ['127.0.0.0/8'],
          },
        ],
      },
    };
    stub.config = config;
    await enrol({ server: stub.url, token: 'security-token-1234', stateDir: dir, roles: ['edge'] });
    const agent = await startAgent({
      stateDir: dir,
      roles: ['edge'],
      metricsListen: '127.0.0.1:0',
      retryInitialMillis: 20,
      logger: silentLogger,
      securityCollector: { flushMillis: 50 },
    });
    try {
      const edge = () => (agent.stats() as unknown as { edge?: EdgeStats }).edge;
      await waitFor(() => edge()?.security?.listeners[0]?.port === port, 10_000, 'the listener');
      const s = dgram.createSocket('udp4');
      for (const line of [
        '<38>Dec  1 20:59:01 web1 sshd[4242]: Failed password for root from 203.0.113.9 port 52211 ssh2',
        '<13>1 2026-12-01T20:00:00Z h app - - - fine',
        '<13>1 not-a-time h app - - - bad',
      ])
        await new Promise<void>((r) => s.send(line, port, '127.0.0.1', () => r()));
      s.close();
      await waitFor(
        () => payloads().reduce((n, p) => n + p.stats.received, 0) === 3,
        15_000,
        'the events at the control plane',
      );
      const events = payloads().flatMap((p) => p.events);
      expect(events.map((e) => e.fields['user.name'])).toContain('root');
      expect(payloads()[0]).toMatchObject({ source: 'syslog-udp', format: 'syslog', transport: 'udp' });
      const stats = payloads().map((p) => p.stats);
      expect(stats.reduce((n, x) => n + x.accepted, 0)).toBe(2);
      expect(stats.reduce((n, x) => n + (x.rejected['bad-timestamp'] ?? 0), 0)).toBe(1);
      const metrics = await fetch(`http://127.0.0.1:${agent.stats().metricsAddress!.port}/metrics`).then(
        (r) => r.text(),
      );
      expect(metrics).toContain('tianshu_agent_security_events_accepted_total{source="syslog-udp"} 2');
      expect(metrics).toContain(
        'tianshu_agent_security_events_rejected_total{source="syslog-udp",reason="bad-timestamp"} 1',
      );
    } finally {
      await agent.stop();
    }
  });
});
