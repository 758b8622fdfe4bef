import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowAggregatesPayload } from '@tianshu/protocol';
import { ReportPayload } from '@tianshu/protocol';
import { FlowCollector } from '../../agents/src/flows/collector.js';
import { writePcap, type PcapFlow } from '../../agents/src/flows/decode/testing/pcap.js';
import { runSoftflowd } from '../../agents/src/flows/testing/softflowd.js';
import { freeUdpPort } from '../../agents/src/flows/testing/udp.js';
import { waitFor } from '../../agents/src/testing/wait.js';
import { flowWorkerUrl } from '../support/flow-worker.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tianshu-softflowd-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * 40 TCP and UDP flows over IPv4 (and 8 over IPv6 when the export version carries IPv6), 1–6
 * packets each, of known IP lengths, starting a few seconds ago.
 */
function traffic(ipv6: boolean): PcapFlow[] {
  const out: PcapFlow[] = [];
  for (let f = 0; f < 40; f++) {
    const udp = f % 3 === 0;
    out.push({
      src: `10.1.${f % 4}.${10 + f}`,
      dst: `10.2.0.${1 + (f % 5)}`,
      proto: udp ? 17 : 6,
      srcPort: 30_000 + f,
      dstPort: udp ? 53 : 443,
      sizes: Array.from({ length: 1 + (f % 6) }, (_, i) => 100 + 37 * i + f),
    });
  }
  for (let f = 0; ipv6 && f < 8; f++) {
    out.push({
      src: `2001:db8:1::${(f + 1).toString(16)}`,
      dst: '2001:db8:2::53',
      proto: f % 2 ? 17 : 6,
      srcPort: 40_000 + f,
      dstPort: f % 2 ? 53 : 443,
      sizes: Array.from({ length: 1 + (f % 3) }, (_, i) => 180 + i),
    });
  }
  return out;
}

const sum = (ps: FlowAggregatesPayload[], m: 'bytes' | 'packets' | 'flows'): number =>
  ps.reduce((a, p) => a + p.columns[m].reduce((x, y) => x + y, 0), 0);

describe.each([5, 9, 10] as const)('real softflowd (NetFlow v%s) to the collector', (version) => {
  it('emits aggregates whose totals are the capture’s flows, packets and bytes', async () => {
    const input = traffic(version !== 5);
    const { file, truth } = writePcap(input, Math.floor(Date.now() / 1000) - 5);
    const pcap = join(dir, `v${version}.pcap`);
    await writeFile(pcap, file);
    const port = await freeUdpPort();
    const out: FlowAggregatesPayload[] = [];
    const collector = new FlowCollector({
      onPayload: (p) => {
        const r = ReportPayload.safeParse(p);
        if (!r.success) throw new Error(`invalid payload: ${r.error.issues[0]?.message}`);
        out.push(p);
      },
      workers: 1,
      workerUrl: await flowWorkerUrl(),
      tickMillis: 3_600_000,
    });
    collector.apply({
      enabled: true,
      bindAddress: '127.0.0.1',
      netflowPort: port,
      sflowPort: 0,
      allowedSources: ['127.0.0.0/8'],
      key: ['srcAddr', 'dstAddr', 'srcPort', 'dstPort', 'proto'],
      sampling: [],
      defaultSamplingRate: 1,
      templateTimeoutSeconds: 1800,
      receiveBufferBytes: 1 << 20,
    });
    try {
      await collector.ready();
      const { output } = await runSoftflowd({ pcap, port, version, workDir: dir });
      // softflowd exports every flow at the end of the capture and says in how many datagrams.
      const m = /Flows exported: (\d+) \((\d+) records\) in (\d+) packets/.exec(output);
      expect(m, output).not.toBeNull();
      const datagrams = Number(m![3]);
      await waitFor(() => collector.stats().datagrams === datagrams, 10_000, 'every datagram softflowd sent');
    } finally {
      await collector.stop();
    }
    const flows = new Set(truth.keys());
    const want = [...truth.values()];
    expect(sum(out, 'flows')).toBe(flows.size);
    expect(sum(out, 'packets')).toBe(want.reduce((a, t) => a + t.packets, 0));
    expect(sum(out, 'bytes')).toBe(want.reduce((a, t) => a + t.bytes, 0));
    const rows = out.reduce((a, p) => a + p.rows, 0);
    expect(rows).toBe(flows.size);
    const stats = out.map((p) => p.stats);
    expect(stats.reduce((a, s) => a + s.records, 0)).toBe(flows.size);
    expect(stats.reduce((a, s) => a + Object.values(s.malformed).reduce((x, y) => x + y, 0), 0)).toBe(0);
    expect(stats.flatMap((s) => s.versions)).toContain(version);
    expect(stats.reduce((a, s) => a + s.missingTemplates, 0)).toBe(0);
    // softflowd 1.1.0 numbers IPFIX messages with the flow records sent *including* the message's
    // own (RFC 7011 §3.1: the data records sent before it, options records counted), so a decoder
    // following the RFC sees a gap where none is; checked for v5 and v9 only.
    if (version !== 10) expect(stats.reduce((a, s) => a + s.sequenceGaps, 0)).toBe(0);
    if (version !== 5) {
      const v6 = out.flatMap((x) => x.columns.ipVersion.map((v, j) => [v, x.columns.srcAddr![j]] as const));
      expect(
        v6
          .filter(([v]) => v === 6)
          .map(([, a]) => a)
          .sort(),
      ).toEqual(
        input
          .filter((q) => q.src.includes(':'))
          .map((q) => q.src)
          .sort(),
      );
    }
    // One flow checked field by field.
    const p = out.find((x) => x.rows > 0)!;
    const i = p.columns.srcAddr!.indexOf('10.1.1.11');
    expect(i).toBeGreaterThanOrEqual(0);
    expect([
      p.columns.dstAddr![i],
      p.columns.srcPort![i],
      p.columns.dstPort![i],
      p.columns.proto![i],
    ]).toEqual(['10.2.0.2', 30_001, 443, 6]);
  });
});
