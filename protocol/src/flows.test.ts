import { describe, expect, it } from 'vitest';
import { ReportPayload } from './report.js';
import { AgentConfig } from './agent.js';

const payload = () => ({
  kind: 'flow-aggregates',
  exporter: '127.0.0.1',
  minute: 1_700_000_040_000,
  key: ['ipVersion', 'dstPort'],
  rows: 2,
  columns: {
    ipVersion: [4, 6],
    dstPort: [80, 443],
    samplingRate: [1, 100],
    bytes: [1500, 200_000],
    packets: [1, 100],
    flows: [1, 100],
  },
  stats: {
    packets: 1,
    records: 2,
    dropped: 0,
    malformed: { truncated: 1 },
    missingTemplates: 0,
    sequenceGaps: 0,
    versions: [9],
    samplingSources: { exporter: 1, configured: 0, default: 1 },
  },
});

describe('flow-aggregates payload', () => {
  it('accepts a columnar payload', () => {
    const r = ReportPayload.safeParse(payload());
    expect(r.success).toBe(true);
  });

  it('names the element of a column that is wrong', () => {
    const p = payload();
    p.columns.dstPort[1] = 70_000;
    const r = ReportPayload.safeParse(p);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path.join('.')).toBe('columns.dstPort.1');
    expect(r.error?.issues[0]?.message).toContain('from 0 to 65535, got 70000');
  });

  it('refuses columns of the wrong length, outside the key, or a key without its column', () => {
    const p = payload() as Record<string, unknown> & ReturnType<typeof payload>;
    p.rows = 3;
    expect(ReportPayload.safeParse(p).error?.issues.map((i) => i.message)).toContain(
      'column dstPort has 2 elements, rows is 3',
    );
    const q = payload();
    q.key = ['ipVersion', 'dstPort', 'proto'];
    expect(ReportPayload.safeParse(q).error?.issues.map((i) => i.message)).toContain(
      'key field proto has no column',
    );
    const s = payload();
    (s.columns as Record<string, unknown>)['srcPort'] = [1, 2];
    expect(ReportPayload.safeParse(s).error?.issues.map((i) => i.message)).toContain(
      'column srcPort is not in key',
    );
    const t = payload();
    t.minute += 1;
    expect(ReportPayload.safeParse(t).success).toBe(false);
  });

  it('is carried in an agent config section that older agents ignore', () => {
    const cfg = AgentConfig.parse({
      configVersion: 'v1',
      heartbeatIntervalSeconds: 10,
      host: { enabled: true, intervalSeconds: 10 },
      report: { maxSamplesPerBatch: 1000, flushIntervalSeconds: 5 },
      flows: {
        enabled: true,
        bindAddress: '127.0.0.1',
        netflowPort: 2055,
        sflowPort: 6343,
        allowedSources: ['127.0.0.0/8'],
        key: ['srcAddr', 'dstAddr'],
        sampling: [{ exporter: '127.0.16.1', samplingRate: 100 }],
        defaultSamplingRate: 1,
        templateTimeoutSeconds: 1800,
        receiveBufferBytes: 8 << 20,
      },
    });
    expect(cfg.flows?.sampling[0]?.samplingRate).toBe(100);
  });
});
