// The decode part of bench:flows: records/s of the decoder for NetFlow v9, IPFIX and sFlow v5, with
// packets like real exporters send (v9: Cisco-like 18-field IPv4 template, 24 records per datagram,
// one in eight datagrams IPv6; IPFIX: 8-byte counters and millisecond times, 20 records; sFlow: raw
// Ethernet/IPv4/IPv6 headers, 8 flow samples per datagram, one counter sample in ten datagrams).
import { createFlowDecoder, newFlowDecodeCounters } from '../../agents/dist/flows/decode/index.js';
import {
  counterSample,
  dataSet,
  flowSample,
  ipfixPacket,
  rawHeaderRecord,
  sflowDatagram,
  templateSet,
  v9Packet,
} from '../../agents/dist/flows/decode/testing/packets.js';

const f = (id, length) => ({ id, length });
const V9_V4 = [
  f(8, 4),
  f(12, 4),
  f(15, 4),
  f(7, 2),
  f(11, 2),
  f(4, 1),
  f(6, 1),
  f(5, 1),
  f(10, 2),
  f(14, 2),
  f(1, 4),
  f(2, 4),
  f(22, 4),
  f(21, 4),
  f(16, 2),
  f(17, 2),
  f(9, 1),
  f(13, 1),
];
const V9_V6 = [
  f(27, 16),
  f(28, 16),
  f(62, 16),
  f(7, 2),
  f(11, 2),
  f(4, 1),
  f(6, 1),
  f(5, 1),
  f(10, 2),
  f(14, 2),
  f(1, 4),
  f(2, 4),
  f(22, 4),
  f(21, 4),
];
const IPFIX_V4 = [
  f(8, 4),
  f(12, 4),
  f(15, 4),
  f(7, 2),
  f(11, 2),
  f(4, 1),
  f(6, 1),
  f(5, 1),
  f(10, 4),
  f(14, 4),
  f(1, 8),
  f(2, 8),
  f(152, 8),
  f(153, 8),
  f(16, 4),
  f(17, 4),
  f(60, 1),
];

function rnd(n) {
  return Math.floor(Math.random() * n);
}
const v4 = () => `10.${rnd(256)}.${rnd(256)}.${rnd(256)}`;
const v6 = () => `2001:db8:${rnd(65536).toString(16)}::${rnd(65536).toString(16)}`;

function v9Mix() {
  const packets = [
    v9Packet(
      [
        templateSet(9, [
          { id: 256, fields: V9_V4 },
          { id: 257, fields: V9_V6 },
        ]),
      ],
      { sourceId: 1 },
    ),
  ];
  for (let i = 0; i < 64; i++) {
    const six = i % 8 === 7;
    const rows = Array.from({ length: six ? 12 : 24 }, () =>
      six
        ? [v6(), v6(), v6(), rnd(65536), 443, 6, 0x1b, 0, rnd(64), rnd(64), rnd(1e6), rnd(1000), 1000, 2000]
        : [
            v4(),
            v4(),
            v4(),
            rnd(65536),
            443,
            6,
            0x1b,
            0,
            rnd(64),
            rnd(64),
            rnd(1e6),
            rnd(1000),
            1000,
            2000,
            64512,
            65000,
            24,
            24,
          ],
    );
    packets.push(
      v9Packet([dataSet(six ? 257 : 256, six ? V9_V6 : V9_V4, rows)], { sourceId: 1, sequence: i + 1 }),
    );
  }
  return packets;
}

function ipfixMix() {
  const packets = [ipfixPacket([templateSet(10, [{ id: 300, fields: IPFIX_V4 }])], { domain: 1 })];
  for (let i = 0; i < 64; i++) {
    const rows = Array.from({ length: 20 }, () => [
      v4(),
      v4(),
      v4(),
      rnd(65536),
      53,
      17,
      0,
      0,
      rnd(64),
      rnd(64),
      rnd(1e7),
      rnd(1e4),
      1_700_000_000_000,
      1_700_000_001_000,
      64512,
      65000,
      4,
    ]);
    packets.push(ipfixPacket([dataSet(300, IPFIX_V4, rows)], { domain: 1, sequence: i * 20 }));
  }
  return packets;
}

function sflowMix() {
  const packets = [];
  for (let i = 0; i < 64; i++) {
    const samples = Array.from({ length: 8 }, (_, j) =>
      flowSample({ rate: 1024, input: rnd(48), output: rnd(48), sequence: i * 8 + j }, [
        rawHeaderRecord(
          j === 7
            ? {
                src: v6(),
                dst: v6(),
                proto: 6,
                srcPort: rnd(65536),
                dstPort: 443,
                tcpFlags: 0x10,
                frameLength: 1514,
              }
            : {
                src: v4(),
                dst: v4(),
                proto: j % 3 === 0 ? 17 : 6,
                srcPort: rnd(65536),
                dstPort: 443,
                tcpFlags: 0x10,
                frameLength: 64 + rnd(1450),
                vlan: j % 2 === 0 ? 100 : undefined,
              },
        ),
      ]),
    );
    if (i % 10 === 0) samples.push(counterSample({ ifIndex: 3, inOctets: 1000n, outOctets: 2000n }));
    packets.push(sflowDatagram(samples, { sequence: i + 1 }));
  }
  return packets;
}

function measure(packets, seconds, rounds) {
  const decoder = createFlowDecoder();
  const counters = newFlowDecodeCounters();
  let bytes = 0;
  const sink = {
    onFlow(r) {
      bytes += r.bytes;
    },
    onCounters() {},
  };
  for (const p of packets) decoder.decode(p, '192.0.2.1', sink, counters);
  const data = packets.slice(packets.length > 64 ? 1 : 0);
  let best = 0;
  let bestWall = 0;
  for (let round = 0; round < rounds; round++) {
    const before = counters.records;
    const cpu0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(Math.round(seconds * 1e9));
    let now = start;
    // bounded: at most `seconds` per round (checked every 64 datagrams)
    while (now < deadline) {
      for (let i = 0; i < data.length; i++) decoder.decode(data[i], '192.0.2.1', sink, counters);
      now = process.hrtime.bigint();
    }
    // Per core: records per second of this thread's CPU time (on a busy machine the wall clock
    // counts other processes' time too; on a quiet one the two agree).
    const cpu = process.cpuUsage(cpu0);
    const rate = ((counters.records - before) * 1e6) / (cpu.user + cpu.system);
    const wall = ((counters.records - before) * 1e9) / Number(now - start);
    if (rate > best) best = rate;
    if (wall > bestWall) bestWall = wall;
  }
  const malformed = Object.values(counters.malformed).reduce((a, b) => a + b, 0);
  if (malformed > 0 || counters.missingTemplates > 0)
    throw new Error(`bench packets did not decode cleanly: ${JSON.stringify(counters)}`);
  return { rate: Math.round(best), wall: Math.round(bestWall), bytes };
}

export function measureDecode({ seconds, rounds }) {
  const v9 = measure(v9Mix(), seconds, rounds);
  console.log(
    JSON.stringify({
      part: 'decode',
      version: 'v9',
      recordsPerCpuSecond: v9.rate,
      recordsPerWallSecond: v9.wall,
    }),
  );
  const ipfix = measure(ipfixMix(), seconds, rounds);
  console.log(
    JSON.stringify({
      part: 'decode',
      version: 'ipfix',
      recordsPerCpuSecond: ipfix.rate,
      recordsPerWallSecond: ipfix.wall,
    }),
  );
  const sflow = measure(sflowMix(), seconds, rounds);
  console.log(
    JSON.stringify({
      part: 'decode',
      version: 'sflow',
      recordsPerCpuSecond: sflow.rate,
      recordsPerWallSecond: sflow.wall,
    }),
  );
  return { decodeRecordsPerSecondPerCore: { v9: v9.rate, ipfix: ipfix.rate, sflow: sflow.rate } };
}
