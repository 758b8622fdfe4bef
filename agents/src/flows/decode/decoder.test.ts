import { describe, expect, it } from 'vitest';
import { ipv4Text, type FlowRecord } from '../record.js';
import {
  createFlowDecoder,
  newFlowDecodeCounters,
  type FlowDecoderOptions,
  type InterfaceCounters,
} from './index.js';
import {
  counterSample,
  dataSet,
  encode,
  flowSample,
  ipfixPacket,
  optionsTemplateSet,
  rawHeaderRecord,
  sampledIpRecord,
  sflowDatagram,
  templateSet,
  v5Packet,
  v9Packet,
  varlen,
  type FieldSpec,
} from './testing/packets.js';

const EXPORTER = '192.0.2.1';

type Flat = Omit<FlowRecord, 'srcV4' | 'dstV4' | 'nextHopV4'> & { src: string; dst: string; nextHop: string };

function harness(options: FlowDecoderOptions = {}) {
  const decoder = createFlowDecoder(options);
  const counters = newFlowDecodeCounters();
  const flows: Flat[] = [];
  const ifCounters: InterfaceCounters[] = [];
  const sink = {
    onFlow(r: FlowRecord) {
      const { srcV4, dstV4, nextHopV4, ...rest } = r;
      flows.push({
        ...rest,
        src: r.ipVersion === 4 ? ipv4Text(srcV4) : r.srcV6,
        dst: r.ipVersion === 4 ? ipv4Text(dstV4) : r.dstV6,
        nextHop: r.ipVersion === 4 ? ipv4Text(nextHopV4) : r.nextHopV6,
      });
    },
    onCounters(_exporter: string, c: InterfaceCounters) {
      ifCounters.push({ ...c });
    },
  };
  const decode = (b: Buffer, exporter = EXPORTER) => decoder.decode(b, exporter, sink, counters);
  return { decoder, counters, flows, ifCounters, decode };
}

describe('NetFlow v5', () => {
  it('decodes every field of the fixed record, the sampling interval and the times', () => {
    const h = harness();
    const p = v5Packet(
      [
        {
          src: '10.1.2.3',
          dst: '172.16.0.9',
          nextHop: '10.0.0.1',
          inIf: 3,
          outIf: 65535,
          packets: 12,
          bytes: 9000,
          first: 90_000,
          last: 99_500,
          srcPort: 51000,
          dstPort: 443,
          tcpFlags: 0x1b,
          proto: 6,
          tos: 0xb8,
          srcAs: 64512,
          dstAs: 65001,
        },
        { src: '10.9.9.9', dst: '10.8.8.8', packets: 1, bytes: 60, proto: 17, first: 100_000, last: 100_000 },
      ],
      { uptime: 100_000, secs: 1_700_000_000, nsecs: 250_000_000, sampling: (1 << 14) | 512 },
    );
    expect(h.decode(p)).toBe('ok');
    expect(h.flows).toHaveLength(2);
    expect(h.flows[0]).toMatchObject({
      version: 5,
      domain: 0,
      ipVersion: 4,
      src: '10.1.2.3',
      dst: '172.16.0.9',
      nextHop: '10.0.0.1',
      inIf: 3,
      outIf: 65535,
      packets: 12,
      bytes: 9000,
      srcPort: 51000,
      dstPort: 443,
      tcpFlags: 0x1b,
      proto: 6,
      tos: 0xb8,
      srcAs: 64512,
      dstAs: 65001,
      samplingRate: 512,
      startMillis: 1_700_000_000_250 - 10_000,
      endMillis: 1_700_000_000_250 - 500,
    });
    expect(h.counters).toMatchObject({ packets: 1, records: 2, sequenceGaps: 0 });
  });

  it('counts lost flows from the flow sequence, takes them back when late, and tolerates restarts', () => {
    const h = harness();
    const flow = { src: '10.0.0.1', dst: '10.0.0.2', packets: 1, bytes: 100 };
    const flows = (n: number) => Array.from({ length: n }, () => flow);
    const base = 100_000;
    h.decode(v5Packet(flows(10), { sequence: base }));
    h.decode(v5Packet(flows(10), { sequence: base + 10 }));
    h.decode(v5Packet(flows(10), { sequence: base + 40 })); // 20 flows (2 datagrams of 10) lost
    expect(h.counters).toMatchObject({ lostRecords: 20, sequenceGaps: 2 });
    h.decode(v5Packet(flows(10), { sequence: base + 20 })); // one of them arrives late
    expect(h.counters).toMatchObject({ lostRecords: 10, sequenceGaps: 1, reordered: 1 });
    h.decode(v5Packet(flows(10), { sequence: base + 50 }));
    h.decode(v5Packet(flows(10), { sequence: 0 })); // exporter restarted
    h.decode(v5Packet(flows(10), { sequence: 10 }));
    expect(h.counters).toMatchObject({ sequenceResets: 1, sequenceGaps: 1 });
    // another engine of the same exporter has its own sequence
    h.decode(v5Packet(flows(10), { sequence: 5000, engine: 0x0102 }));
    expect(h.counters.sequenceGaps).toBe(1);
  });

  it('drops a datagram whose count does not fit and says why', () => {
    const h = harness();
    const p = v5Packet([{ src: '10.0.0.1', dst: '10.0.0.2', packets: 1, bytes: 1 }]);
    p.writeUInt16BE(2, 2);
    expect(h.decode(p)).toBe('truncated');
    expect(h.decode(p.subarray(0, 10))).toBe('truncated');
    expect(h.flows).toHaveLength(0);
    expect(h.counters.malformed.truncated).toBe(2);
  });
});

const V9_FIELDS: FieldSpec[] = [
  { id: 8, length: 4 },
  { id: 12, length: 4 },
  { id: 7, length: 2 },
  { id: 11, length: 2 },
  { id: 4, length: 1 },
  { id: 6, length: 1 },
  { id: 5, length: 1 },
  { id: 10, length: 2 },
  { id: 14, length: 4 },
  { id: 1, length: 8 },
  { id: 2, length: 4 },
  { id: 22, length: 4 },
  { id: 21, length: 4 },
  { id: 15, length: 4 },
  { id: 16, length: 4 },
  { id: 17, length: 2 },
  { id: 48, length: 1 },
];

describe('NetFlow v9', () => {
  it('learns a template, decodes its data with unusual field lengths, and applies per-sampler rates from options data', () => {
    const h = harness();
    const tpl = templateSet(9, [{ id: 256, fields: V9_FIELDS }]);
    const opt = optionsTemplateSet(
      9,
      257,
      [{ id: 1, length: 4 }],
      [
        { id: 48, length: 1 },
        { id: 49, length: 1 },
        { id: 50, length: 4 },
      ],
    );
    const optData = dataSet(
      257,
      [
        { id: 1, length: 4 },
        { id: 48, length: 1 },
        { id: 49, length: 1 },
        { id: 50, length: 4 },
      ],
      [
        [0, 1, 2, 100],
        [0, 2, 2, 1000],
      ],
    );
    const row = (sampler: number, bytes: bigint) => [
      '10.1.0.1',
      '10.2.0.2',
      40000,
      53,
      17,
      0,
      0,
      7,
      70000,
      bytes,
      3,
      99_000,
      99_900,
      '10.0.0.254',
      4_200_000_000,
      65000,
      sampler,
    ];
    const data = dataSet(256, V9_FIELDS, [row(1, 5_000_000_000n), row(2, 10n), row(9, 11n)]);
    expect(
      h.decode(v9Packet([tpl, opt, optData, data], { uptime: 100_000, secs: 1_700_000_000, sourceId: 7 })),
    ).toBe('ok');
    expect(h.flows).toHaveLength(3);
    expect(h.flows[0]).toMatchObject({
      version: 9,
      domain: 7,
      ipVersion: 4,
      src: '10.1.0.1',
      dst: '10.2.0.2',
      srcPort: 40000,
      dstPort: 53,
      proto: 17,
      inIf: 7,
      outIf: 70000,
      bytes: 5_000_000_000,
      packets: 3,
      nextHop: '10.0.0.254',
      srcAs: 4_200_000_000,
      dstAs: 65000,
      samplingRate: 100,
      startMillis: 1_700_000_000_000 - 1000,
      endMillis: 1_700_000_000_000 - 100,
    });
    expect(h.flows[1]!.samplingRate).toBe(1000);
    // an unknown sampler id: the domain's last rate
    expect(h.flows[2]!.samplingRate).toBe(1000);
    expect(h.counters).toMatchObject({ templates: 2, samplingOptions: 2, records: 3, missingTemplates: 0 });
  });

  it('keys templates by exporter and source id, counts data without a template, and reads per-record SAMPLING_INTERVAL', () => {
    const h = harness();
    const fields: FieldSpec[] = [
      { id: 8, length: 4 },
      { id: 12, length: 4 },
      { id: 1, length: 4 },
      { id: 2, length: 4 },
      { id: 34, length: 4 },
    ];
    const data = dataSet(300, fields, [['10.0.0.1', '10.0.0.2', 1500, 1, 64]]);
    expect(h.decode(v9Packet([data], { sourceId: 1 }))).toBe('ok');
    expect(h.counters.missingTemplates).toBe(1);
    h.decode(v9Packet([templateSet(9, [{ id: 300, fields }])], { sourceId: 1 }));
    h.decode(v9Packet([data], { sourceId: 2 })); // other source id: unknown
    h.decode(v9Packet([data], { sourceId: 1 }), '192.0.2.99'); // other exporter: unknown
    expect(h.counters.missingTemplates).toBe(3);
    h.decode(v9Packet([data], { sourceId: 1 }));
    expect(h.flows).toHaveLength(1);
    expect(h.flows[0]).toMatchObject({ bytes: 1500, samplingRate: 64 });
  });

  it('decodes IPv6 flows (v6 addresses, next hop, ipVersion)', () => {
    const h = harness();
    const fields: FieldSpec[] = [
      { id: 27, length: 16 },
      { id: 28, length: 16 },
      { id: 62, length: 16 },
      { id: 7, length: 2 },
      { id: 11, length: 2 },
      { id: 4, length: 1 },
      { id: 1, length: 4 },
      { id: 2, length: 4 },
    ];
    const p = v9Packet([
      templateSet(9, [{ id: 260, fields }]),
      dataSet(260, fields, [['2001:db8::1', '2001:db8:0:1::2', 'fe80::1', 1234, 80, 6, 1000, 2]]),
    ]);
    expect(h.decode(p)).toBe('ok');
    expect(h.flows[0]).toMatchObject({
      ipVersion: 6,
      src: '2001:db8::1',
      dst: '2001:db8:0:1::2',
      nextHop: 'fe80::1',
      dstPort: 80,
    });
  });

  it('counts lost datagrams from the packet sequence per source id', () => {
    const h = harness();
    for (const s of [1, 2, 3, 7, 8]) h.decode(v9Packet([], { sequence: s, sourceId: 1 }));
    h.decode(v9Packet([], { sequence: 1000, sourceId: 2 }));
    expect(h.counters.sequenceGaps).toBe(3);
    h.decode(v9Packet([], { sequence: 5, sourceId: 1 }));
    expect(h.counters).toMatchObject({ sequenceGaps: 2, reordered: 1 });
    // a malformed datagram arrived: it is counted malformed, not lost
    const bad = v9Packet([Buffer.from([1, 0, 0, 2])], { sequence: 9, sourceId: 1 });
    expect(h.decode(bad)).toBe('bad-length');
    h.decode(v9Packet([], { sequence: 10, sourceId: 1 }));
    expect(h.counters.sequenceGaps).toBe(2);
  });

  it('rejects broken flowset structure and bad templates', () => {
    const h = harness();
    const tpl = templateSet(9, [{ id: 256, fields: V9_FIELDS }]);
    const p = v9Packet([tpl]);
    p.writeUInt16BE(2, 22); // set length 2 < 4
    expect(h.decode(p)).toBe('bad-length');
    const q = v9Packet([tpl]);
    q.writeUInt16BE(0xffff, 22); // set runs past the end
    expect(h.decode(q)).toBe('truncated');
    const r = v9Packet([templateSet(9, [{ id: 12, fields: V9_FIELDS }])]);
    expect(h.decode(r)).toBe('bad-template');
    const s = v9Packet([tpl]);
    s.writeUInt16BE(16000, 26); // field count far beyond the set
    expect(h.decode(s)).toBe('bad-template');
    expect(h.decoder.templates.size).toBe(0);
  });
});

describe('IPFIX', () => {
  const fields: FieldSpec[] = [
    { id: 8, length: 4 },
    { id: 12, length: 4 },
    { id: 7, length: 2 },
    { id: 11, length: 2 },
    { id: 4, length: 1 },
    { id: 1, length: 8 },
    { id: 2, length: 8 },
    { id: 152, length: 8 },
    { id: 153, length: 8 },
    { id: 302, length: 4 },
  ];

  it('decodes absolute times, skips enterprise elements and variable-length fields (1- and 3-byte lengths)', () => {
    const h = harness();
    const f: FieldSpec[] = [
      { id: 8, length: 4 },
      { id: 1000, length: 4, enterprise: 9 },
      { id: 82, length: 65535 }, // interfaceName, variable
      { id: 12, length: 4 },
      { id: 1001, length: 65535, enterprise: 29305 },
      { id: 85, length: 4 },
      { id: 86, length: 4 },
      { id: 150, length: 4 },
      { id: 151, length: 4 },
    ];
    const rec = (name: Buffer, blob: Buffer) => [
      '10.0.0.1',
      7,
      varlen(name),
      '10.0.0.2',
      blob,
      777,
      5,
      1_700_000_000,
      1_700_000_010,
    ];
    const p = ipfixPacket([
      templateSet(10, [{ id: 400, fields: f }]),
      dataSet(400, f, [
        rec(Buffer.from('ge-0/0/1'), varlen(Buffer.alloc(300, 1))),
        rec(Buffer.from('x'), varlen(Buffer.from('ab'), true)),
      ]),
    ]);
    expect(h.decode(p)).toBe('ok');
    expect(h.flows).toHaveLength(2);
    expect(h.flows[1]).toMatchObject({
      version: 10,
      src: '10.0.0.1',
      dst: '10.0.0.2',
      bytes: 777,
      packets: 5,
      startMillis: 1_700_000_000_000,
      endMillis: 1_700_000_010_000,
    });
  });

  it('drops a data record whose variable length runs past its set', () => {
    const h = harness();
    const f: FieldSpec[] = [
      { id: 8, length: 4 },
      { id: 82, length: 65535 },
    ];
    const p = ipfixPacket([
      templateSet(10, [{ id: 401, fields: f }]),
      dataSet(401, f, [['10.0.0.1', Buffer.from([200, 1, 2])]]),
    ]);
    expect(h.decode(p)).toBe('bad-length');
    expect(h.flows).toHaveLength(0);
  });

  it('withdraws one template, then all of a domain; expires templates not refreshed (UDP)', () => {
    let now = 1_000_000;
    const h = harness({ templateTimeoutMillis: 60_000, now: () => now });
    const data = dataSet(500, fields, [['10.0.0.1', '10.0.0.2', 1, 2, 6, 10, 1, 0, 0, 0]]);
    h.decode(
      ipfixPacket([
        templateSet(10, [
          { id: 500, fields },
          { id: 501, fields },
        ]),
      ]),
    );
    expect(h.decoder.templates.size).toBe(2);
    h.decode(ipfixPacket([templateSet(10, [{ id: 500, fields: [] }]), data]));
    expect(h.counters).toMatchObject({ templateWithdrawals: 1, missingTemplates: 1 });
    h.decode(ipfixPacket([templateSet(10, [{ id: 2, fields: [] }])]));
    expect(h.decoder.templates.size).toBe(0);
    h.decode(ipfixPacket([templateSet(10, [{ id: 500, fields }])]));
    now += 30_000;
    h.decode(ipfixPacket([data]));
    expect(h.flows).toHaveLength(1);
    now += 61_000;
    h.decode(ipfixPacket([data]));
    expect(h.flows).toHaveLength(1);
    expect(h.counters.missingTemplates).toBe(2);
    expect(h.decoder.templates.counts.expired).toBe(1);
  });

  it('takes sampling from options data: per selector (305/306, 309/310) and per domain (34)', () => {
    const h = harness();
    const scope: FieldSpec[] = [{ id: 302, length: 4 }];
    const o1: FieldSpec[] = [
      { id: 305, length: 4 },
      { id: 306, length: 4 },
    ];
    const o2: FieldSpec[] = [
      { id: 309, length: 4 },
      { id: 310, length: 4 },
    ];
    const p = ipfixPacket(
      [
        optionsTemplateSet(10, 600, scope, o1),
        optionsTemplateSet(10, 601, scope, o2),
        dataSet(600, [...scope, ...o1], [[1, 1, 99]]),
        dataSet(601, [...scope, ...o2], [[2, 10, 2560]]),
        templateSet(10, [{ id: 500, fields }]),
        dataSet(500, fields, [
          ['10.0.0.1', '10.0.0.2', 1, 2, 6, 10, 1, 0, 0, 1],
          ['10.0.0.1', '10.0.0.2', 1, 2, 6, 10, 1, 0, 0, 2],
        ]),
      ],
      { domain: 3 },
    );
    expect(h.decode(p)).toBe('ok');
    expect(h.flows.map((f) => f.samplingRate)).toEqual([100, 256]);
    const q = ipfixPacket(
      [
        optionsTemplateSet(10, 602, [{ id: 149, length: 4 }], [{ id: 34, length: 4 }]),
        dataSet(
          602,
          [
            { id: 149, length: 4 },
            { id: 34, length: 4 },
          ],
          [[4, 2048]],
        ),
        templateSet(10, [{ id: 501, fields: fields.slice(0, 7) }]),
        dataSet(501, fields.slice(0, 7), [['10.0.0.1', '10.0.0.2', 1, 2, 6, 10, 1]]),
      ],
      { domain: 4 },
    );
    h.decode(q);
    expect(h.flows[2]!.samplingRate).toBe(2048);
    // a domain that said nothing: 0 (the collector applies configured rates)
    h.decode(
      ipfixPacket(
        [
          templateSet(10, [{ id: 501, fields: fields.slice(0, 7) }]),
          dataSet(501, fields.slice(0, 7), [['10.0.0.1', '10.0.0.2', 1, 2, 6, 10, 1]]),
        ],
        { domain: 5 },
      ),
    );
    expect(h.flows[3]!.samplingRate).toBe(0);
  });

  it('counts lost records from the data record sequence', () => {
    const h = harness();
    const tpl = templateSet(10, [{ id: 500, fields }]);
    const data = (n: number) =>
      dataSet(
        500,
        fields,
        Array.from({ length: n }, () => ['10.0.0.1', '10.0.0.2', 1, 2, 6, 10, 1, 0, 0, 0]),
      );
    h.decode(ipfixPacket([tpl, data(5)], { sequence: 100 }));
    h.decode(ipfixPacket([data(5)], { sequence: 105 }));
    h.decode(ipfixPacket([data(5)], { sequence: 120 }));
    expect(h.counters).toMatchObject({ lostRecords: 10, sequenceGaps: 2 });
  });

  it('decodes NTP and delta-microsecond times, and uptime times against systemInitTimeMilliseconds', () => {
    const h = harness();
    const f: FieldSpec[] = [
      { id: 8, length: 4 },
      { id: 12, length: 4 },
      { id: 156, length: 8 },
      { id: 159, length: 4 },
    ];
    const ntp = Buffer.alloc(8);
    ntp.writeUInt32BE(1_700_000_000 + 2_208_988_800, 0);
    ntp.writeUInt32BE(2 ** 31, 4); // .5 s
    const p = ipfixPacket(
      [
        templateSet(10, [{ id: 700, fields: f }]),
        dataSet(700, f, [['10.0.0.1', '10.0.0.2', ntp, 2_000_000]]),
      ],
      { secs: 1_700_000_010 },
    );
    h.decode(p);
    expect(h.flows[0]).toMatchObject({ startMillis: 1_700_000_000_500, endMillis: 1_700_000_008_000 });
    const g: FieldSpec[] = [
      { id: 8, length: 4 },
      { id: 22, length: 4 },
      { id: 21, length: 4 },
    ];
    const sys: FieldSpec[] = [
      { id: 149, length: 4 },
      { id: 160, length: 8 },
    ];
    h.decode(
      ipfixPacket([
        optionsTemplateSet(10, 701, sys.slice(0, 1), sys.slice(1)),
        dataSet(701, sys, [[0, 1_699_000_000_000]]),
        templateSet(10, [{ id: 702, fields: g }]),
        dataSet(702, g, [['10.0.0.1', 5000, 6000]]),
      ]),
    );
    expect(h.flows[1]).toMatchObject({ startMillis: 1_699_000_005_000, endMillis: 1_699_000_006_000 });
  });

  it('bounds the templates it keeps per exporter and counts refusals', () => {
    const h = harness({ maxPerExporter: 3, maxTotal: 4 });
    const f = fields.slice(0, 4);
    h.decode(
      ipfixPacket([
        templateSet(
          10,
          [256, 257, 258, 259].map((id) => ({ id, fields: f })),
        ),
      ]),
    );
    expect(h.decoder.templates.sizeOf(EXPORTER)).toBe(3);
    h.decode(
      ipfixPacket([
        templateSet(
          10,
          [256, 257].map((id) => ({ id, fields: f })),
        ),
      ]),
      '192.0.2.2',
    );
    expect(h.decoder.templates.size).toBe(4);
    expect(h.counters.templatesRefused).toBe(2);
  });
});

describe('sFlow v5', () => {
  it('decodes raw packet headers (Ethernet, 802.1Q, IPv4/IPv6, TCP/UDP) and sampled IPv4/IPv6 records', () => {
    const h = harness();
    const d = sflowDatagram(
      [
        flowSample({ rate: 1024, input: 5, output: 6 }, [
          rawHeaderRecord({
            src: '10.1.1.1',
            dst: '10.2.2.2',
            proto: 6,
            srcPort: 1234,
            dstPort: 443,
            tcpFlags: 0x12,
            tos: 0x28,
            frameLength: 1514,
            vlan: 100,
          }),
        ]),
        flowSample({ rate: 2048, input: 7, output: 8, expanded: true }, [
          rawHeaderRecord({
            src: '2001:db8::a',
            dst: '2001:db8::b',
            proto: 17,
            srcPort: 53,
            dstPort: 5353,
            frameLength: 200,
          }),
        ]),
        flowSample({ rate: 10, input: 1, output: 2 }, [
          sampledIpRecord({
            src: '192.168.1.1',
            dst: '192.168.1.2',
            proto: 17,
            srcPort: 1,
            dstPort: 2,
            frameLength: 99,
          }),
        ]),
        flowSample({ rate: 10, input: 1, output: 2 }, [
          sampledIpRecord({
            src: '2001:db8::1',
            dst: '2001:db8::2',
            proto: 6,
            srcPort: 3,
            dstPort: 4,
            frameLength: 77,
          }),
        ]),
      ],
      { subAgent: 3, sequence: 1 },
    );
    expect(h.decode(d)).toBe('ok');
    expect(h.flows).toHaveLength(4);
    expect(h.flows[0]).toMatchObject({
      version: 0x5f,
      domain: 3,
      ipVersion: 4,
      src: '10.1.1.1',
      dst: '10.2.2.2',
      proto: 6,
      srcPort: 1234,
      dstPort: 443,
      tcpFlags: 0x12,
      tos: 0x28,
      bytes: 1514,
      packets: 1,
      samplingRate: 1024,
      inIf: 5,
      outIf: 6,
    });
    expect(h.flows[1]).toMatchObject({
      ipVersion: 6,
      src: '2001:db8::a',
      dst: '2001:db8::b',
      proto: 17,
      srcPort: 53,
      dstPort: 5353,
      bytes: 200,
      samplingRate: 2048,
      inIf: 7,
      outIf: 8,
    });
    expect(h.flows[2]).toMatchObject({ ipVersion: 4, src: '192.168.1.1', bytes: 99, samplingRate: 10 });
    expect(h.flows[3]).toMatchObject({
      ipVersion: 6,
      src: '2001:db8::1',
      dst: '2001:db8::2',
      dstPort: 4,
      bytes: 77,
    });
  });

  it('delivers generic interface counters and counts lost datagrams', () => {
    const h = harness();
    h.decode(
      sflowDatagram(
        [counterSample({ ifIndex: 9, inOctets: 2n ** 40n + 5n, outOctets: 77n, inUcastPkts: 3 })],
        { sequence: 10, agent: '2001:db8::5' },
      ),
    );
    h.decode(sflowDatagram([], { sequence: 13, agent: '2001:db8::5' }));
    expect(h.ifCounters).toHaveLength(1);
    expect(h.ifCounters[0]).toMatchObject({
      ifIndex: 9,
      inOctets: 2 ** 40 + 5,
      outOctets: 77,
      inUcastPkts: 3,
      operUp: 1,
      ifSpeed: 1_000_000_000,
    });
    expect(h.counters.sequenceGaps).toBe(2);
  });

  it('rejects samples that do not fit and bad agent address types', () => {
    const h = harness();
    const d = sflowDatagram([
      flowSample({ rate: 1, input: 1, output: 1 }, [
        rawHeaderRecord({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, frameLength: 64 }),
      ]),
    ]);
    expect(h.decode(d.subarray(0, d.length - 4))).toBe('truncated');
    const e = Buffer.from(d);
    e.writeUInt32BE(7, 4);
    expect(h.decode(e)).toBe('bad-field');
    const f = Buffer.from(d);
    f.writeUInt32BE(2 ** 31, 28 + 8 + 28); // records count in the flow sample
    expect(h.decode(f)).toBe('too-many-records');
    expect(h.flows).toHaveLength(0);
  });
});

describe('field lengths, refreshes and odd sets', () => {
  it('reads 4-byte ports, 2-byte interfaces, 1-byte AS and 3-byte counters right', () => {
    const h = harness();
    const f: FieldSpec[] = [
      { id: 8, length: 4 },
      { id: 12, length: 4 },
      { id: 7, length: 4 },
      { id: 11, length: 4 },
      { id: 10, length: 2 },
      { id: 14, length: 2 },
      { id: 16, length: 1 },
      { id: 1, length: 3 },
      { id: 2, length: 6 },
    ];
    h.decode(
      v9Packet([
        templateSet(9, [{ id: 900, fields: f }]),
        dataSet(900, f, [['10.0.0.1', '10.0.0.2', 443, 65535, 513, 7, 200, 0xabcdef, 2 ** 40 + 3]]),
      ]),
    );
    expect(h.flows[0]).toMatchObject({
      srcPort: 443,
      dstPort: 65535,
      inIf: 513,
      outIf: 7,
      srcAs: 200,
      bytes: 0xabcdef,
      packets: 2 ** 40 + 3,
    });
  });

  it('refreshes an unchanged template without recompiling, replaces a changed one, skips reserved set ids', () => {
    const h = harness();
    const a: FieldSpec[] = [
      { id: 8, length: 4 },
      { id: 1, length: 4 },
    ];
    const b: FieldSpec[] = [
      { id: 1, length: 4 },
      { id: 8, length: 4 },
    ];
    h.decode(ipfixPacket([templateSet(10, [{ id: 256, fields: a }])]));
    h.decode(ipfixPacket([templateSet(10, [{ id: 256, fields: a }])]));
    expect(h.decoder.templates.counts).toMatchObject({ learned: 1, refreshed: 1, changed: 0 });
    const reserved = Buffer.from([0, 7, 0, 8, 1, 2, 3, 4]);
    h.decode(
      ipfixPacket([templateSet(10, [{ id: 256, fields: b }]), reserved, dataSet(256, b, [[99, '10.9.9.9']])]),
    );
    expect(h.decoder.templates.counts.changed).toBe(1);
    expect(h.flows[0]).toMatchObject({ bytes: 99, src: '10.9.9.9' });
    h.decoder.forget(EXPORTER);
    expect(h.decoder.templates.size).toBe(0);
  });

  it('withdraws all options templates of a domain (template id 3) and rejects a bad IPFIX header length', () => {
    const h = harness();
    const scope: FieldSpec[] = [{ id: 149, length: 4 }];
    const opt: FieldSpec[] = [{ id: 34, length: 4 }];
    h.decode(
      ipfixPacket([
        optionsTemplateSet(10, 600, scope, opt),
        optionsTemplateSet(10, 601, scope, opt),
        templateSet(10, [{ id: 700, fields: opt }]),
      ]),
    );
    expect(h.decoder.templates.size).toBe(3);
    const withdrawAll = Buffer.from([0, 3, 0, 8, 0, 3, 0, 0]);
    h.decode(ipfixPacket([withdrawAll]));
    expect(h.decoder.templates.size).toBe(1);
    const p = ipfixPacket([]);
    p.writeUInt16BE(8, 2);
    expect(h.decode(p)).toBe('bad-length');
    const q = ipfixPacket([templateSet(10, [{ id: 700, fields: opt }])]);
    q.writeUInt16BE(q.length + 1, 2);
    expect(h.decode(q)).toBe('truncated');
  });
});

describe('sFlow extended records', () => {
  it('takes the next hop from extended router data and AS numbers from extended gateway data, skips extended switch', () => {
    const h = harness();
    const words = (...w: number[]) => Buffer.concat(w.map((x) => encode(x, 4)));
    const router = Buffer.concat([words(1002, 16, 1), encode('10.0.0.254', 4), words(24, 16)]);
    const gateway = Buffer.concat([
      words(1003, 40, 1),
      encode('10.0.0.254', 4),
      words(64500, 64501, 64502, 1, 2, 2, 64510, 64520),
    ]);
    const sw = words(1001, 16, 100, 0, 200, 0);
    const d = sflowDatagram([
      flowSample({ rate: 64, input: 1, output: 2 }, [
        sw,
        rawHeaderRecord({
          src: '10.1.1.1',
          dst: '10.2.2.2',
          proto: 17,
          srcPort: 1,
          dstPort: 2,
          frameLength: 100,
        }),
        router,
        gateway,
      ]),
    ]);
    expect(h.decode(d)).toBe('ok');
    expect(h.flows[0]).toMatchObject({
      nextHop: '10.0.0.254',
      srcAs: 64501,
      dstAs: 64520,
      bytes: 100,
      samplingRate: 64,
    });
  });

  it('counts a sample without an IP header as skipped (non-IP frame), not as a flow', () => {
    const h = harness();
    const arp = Buffer.alloc(14);
    arp.writeUInt16BE(0x0806, 12);
    const raw = Buffer.concat([
      encode(1, 4),
      encode(16 + 16, 4),
      encode(1, 4),
      encode(60, 4),
      encode(0, 4),
      encode(16, 4),
      arp,
      Buffer.alloc(2),
    ]);
    h.decode(sflowDatagram([flowSample({ rate: 1, input: 1, output: 2 }, [raw])]));
    expect(h.flows).toHaveLength(0);
    expect(h.counters.skippedSamples).toBe(1);
  });
});
