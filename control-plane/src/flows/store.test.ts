import type { FlowAggregatesPayload } from '@tianshu/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../../../test/support/control-plane.js';
import type { AgentPrincipal } from '../fleet/service.js';
import { flowsRef } from './module.js';

/*
 * The flows ingest's exactly-once under a crash: the batch's flow payloads are written by the first
 * `store` call as one Native insert (and one stats insert), so a replay of the same batch after a
 * crash before the batch was recorded (same tokens, prepared again) must store nothing twice — in
 * flows_1m, in the flows_1h roll-up and in the exporter stats — while another batch with the same
 * content stores again. PGlite and chDB in this process.
 */
let t: TestControlPlane;
afterAll(async () => {
  await t?.close();
});
beforeAll(async () => {
  t = await startTestControlPlane();
}, 300_000);

const agent: AgentPrincipal = {
  agentId: 'agent-store-test',
  hostname: 'edge',
  orgUnitId: 'sc',
  orgUnitPath: '/sc/',
  roles: ['edge'],
};
const MINUTE = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000;

function payload(exporter: string, rows: number, seed: number): FlowAggregatesPayload {
  const col = <T>(f: (i: number) => T): T[] => Array.from({ length: rows }, (_, i) => f(i + seed));
  return {
    kind: 'flow-aggregates',
    exporter,
    minute: MINUTE,
    key: ['srcAddr', 'dstAddr', 'dstPort', 'proto', 'ipVersion'],
    rows,
    columns: {
      srcAddr: col((i) => `10.${i & 255}.0.1`),
      dstAddr: col((i) => `2001:db8::${(i + 1).toString(16)}`),
      dstPort: col((i) => [443, 53][i % 2]!),
      proto: col((i) => (i % 2 === 0 ? 6 : 17)),
      ipVersion: col((i) => (i % 3 === 0 ? 6 : 4)),
      samplingRate: col(() => 10),
      bytes: col((i) => 1000 + i),
      packets: col(() => 2),
      flows: col(() => 1),
    },
    stats: {
      packets: 1,
      records: rows,
      dropped: 0,
      malformed: {},
      missingTemplates: 0,
      sequenceGaps: 0,
      versions: [9],
      samplingSources: { exporter: rows, configured: 0, default: 0 },
    },
  };
}

async function ingest(payloads: FlowAggregatesPayload[], batchId: string): Promise<number[]> {
  const flows = t.cp.services.modules.use(flowsRef).flows;
  const batch = await flows.prepare(agent, payloads);
  const out: number[] = [];
  for (let i = 0; i < payloads.length; i++)
    out.push(await flows.store(batch, payloads[i]!, `${batchId}:${i}`));
  return out;
}

async function counts(exporters: string[]) {
  const [r] = await t.cp.services.telemetry.query<Record<string, number>>(
    `SELECT
       (SELECT toUInt32(count()) FROM flows_1m WHERE exporter IN {e:Array(String)}) AS minute_rows,
       (SELECT toFloat64(sum(bytes)) FROM flows_1m WHERE exporter IN {e:Array(String)}) AS minute_bytes,
       (SELECT toFloat64(sum(bytes)) FROM flows_1h WHERE exporter IN {e:Array(String)}) AS hour_bytes,
       (SELECT toUInt32(count()) FROM flow_exporter_stats WHERE exporter IN {e:Array(String)}) AS stats`,
    { e: exporters },
  );
  return r;
}

describe('flows ingest, exactly once', () => {
  it('stores a batch of several payloads as one write, and a replay after a crash stores nothing twice', async () => {
    const exporters = ['192.0.2.71', '192.0.2.72', '192.0.2.73'];
    const payloads = [
      payload(exporters[0]!, 300, 0),
      payload(exporters[1]!, 0, 0),
      payload(exporters[2]!, 7, 5),
    ];
    const bytes = 300 * 1000 + (299 * 300) / 2 + 7 * 1000 + (5 + 6 + 7 + 8 + 9 + 10 + 11);
    expect(await ingest(payloads, 'batch-a')).toEqual([301, 1, 8]);
    const once = { minute_rows: 307, minute_bytes: bytes, hour_bytes: bytes, stats: 3 };
    expect(await counts(exporters)).toEqual(once);
    // The same batch again, prepared anew (as after a restart): deduplicated by its tokens.
    expect(await ingest(payloads, 'batch-a')).toEqual([301, 1, 8]);
    expect(await counts(exporters)).toEqual(once);
    // The same content in another batch is new data.
    await ingest(payloads, 'batch-b');
    expect(await counts(exporters)).toEqual({
      minute_rows: 614,
      minute_bytes: 2 * bytes,
      hour_bytes: 2 * bytes,
      stats: 6,
    });
    // Every row's values arrive as sent (IPv6 text, ports, sampling rate, unit of a 10.x address).
    const rows = await t.cp.services.telemetry.query<Record<string, unknown>>(
      `SELECT src_addr, dst_addr, dst_port, proto, ip_version, sampling_rate, toUInt32(bytes) AS bytes,
              toString(exporter_org_unit) AS eu
         FROM flows_1m WHERE exporter = '192.0.2.73' ORDER BY bytes LIMIT 2`,
    );
    expect(rows).toEqual([
      {
        src_addr: '10.5.0.1',
        dst_addr: '2001:db8::6',
        dst_port: 53,
        proto: 17,
        ip_version: 4,
        sampling_rate: 10,
        bytes: 1005,
        eu: 'sc',
      },
      {
        src_addr: '10.5.0.1',
        dst_addr: '2001:db8::6',
        dst_port: 53,
        proto: 17,
        ip_version: 4,
        sampling_rate: 10,
        bytes: 1005,
        eu: 'sc',
      },
    ]);
  });
});
