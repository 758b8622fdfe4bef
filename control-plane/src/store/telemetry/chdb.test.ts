import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Series } from '@tianshu/protocol';
import { ChdbTelemetryStore } from './chdb.js';
import { insertHostMetrics } from './host-metrics.js';
import { runTelemetryStoreSuite } from './telemetry.case.js';
import { TelemetryStoreError } from './types.js';

// One data directory for the whole file: chDB binds one data path per process.
const dataDir = mkdtempSync(join(tmpdir(), 'tianshu-chdb-test-'));

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

runTelemetryStoreSuite(
  'chdb',
  async (retention) => new ChdbTelemetryStore({ dataDir, ...(retention ? { retention } : {}) }),
);

describe('ChdbTelemetryStore options', () => {
  it('requires a data directory', () => {
    expect(() => new ChdbTelemetryStore({ dataDir: '' })).toThrow(/requires option "dataDir"/);
  });

  it('rejects a retention that is not a whole number of days', () => {
    expect(() => new ChdbTelemetryStore({ dataDir, retention: { rawDays: 0 } })).toThrow(TelemetryStoreError);
    expect(() => new ChdbTelemetryStore({ dataDir, retention: { hourDays: 1.5 } })).toThrow(/"hourDays"/);
  });

  it('keeps its files in <dataDir>/telemetry', async () => {
    const store = new ChdbTelemetryStore({ dataDir });
    expect(store.path).toBe(join(dataDir, 'telemetry'));
    expect(store.retention).toEqual({ rawDays: 30, minuteDays: 180, hourDays: 730 });
    await store.close();
  });
});

describe('ChdbTelemetryStore throughput', () => {
  it('prints serialize + insert rows/s for 100 000 samples (measurement, not an assertion)', async () => {
    const store = new ChdbTelemetryStore({ dataDir });
    await store.migrate();
    const now = Date.now() - 3_600_000;
    const batch = (agent: number): Series[] =>
      Array.from({ length: 20 }, (_, s) => ({
        name: 'node_network_receive_bytes_total',
        labels: { device: `eth${s}` },
        points: Array.from({ length: 5_000 }, (_, i): [number, number] => [now + i * 500, i * 1000 + agent]),
      }));
    await insertHostMetrics(store, { agentId: 'bench-warmup', orgUnitId: 'ou', host: 'h' }, batch(0));
    const rounds = 3;
    const started = process.hrtime.bigint();
    let rows = 0;
    for (let r = 1; r <= rounds; r++) {
      rows += await insertHostMetrics(
        store,
        { agentId: `bench-${r}`, orgUnitId: 'ou', host: 'h' },
        batch(r),
        {
          dedupToken: `bench-${r}`,
        },
      );
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(
      `bench chdb insertHostMetrics (serialize + insert + 2 roll-up views): ${Math.round(rows / seconds)} rows/s`,
    );
    const [count] = await store.query<{ n: number }>(
      "SELECT toUInt32(count()) AS n FROM host_metrics WHERE startsWith(agent_id, 'bench-')",
    );
    expect(count?.n).toBe(rows + 100_000);
    await store.close();
  });
});
