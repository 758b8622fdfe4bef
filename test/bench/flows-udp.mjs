// The udp part of bench:flows: the highest loss-free receive rate (flows/s) of Tianshu's flow
// collector and of nfdump's nfcapd, with the same sender (flows-udp-sender.mjs: NetFlow v9, 30
// records per datagram, replayed at a set rate for a bounded time, in a process of its own), on
// loopback, both cores available. A step is loss-free when every record sent was decoded (Tianshu:
// the records counted in its flow-aggregates payloads; nfcapd: `nfdump -I` of the file it wrote).
// The rate doubles until loss appears (a lossy step is run once more to confirm it), then is
// bisected; every step is bounded in count and time. Also `collectorRecordsPerCpuSecond`: decode +
// aggregation by every key field in one worker thread, per CPU second (what one core can take).
// Environment: BENCH_FLOWS_UDP_SECONDS (per step, default 2), BENCH_FLOWS_UDP_STEPS (per receiver,
// default 10), BENCH_FLOWS_UDP_START (first rate, flows/s, default 150000), BENCH_FLOWS_UDP_BUFFER
// (socket buffer asked by both, default 4 MiB), BENCH_FLOWS_UDP_WORKERS (Tianshu's decode threads,
// default: the collector's own default).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlowCollector } from '../../agents/dist/flows/collector.js';
import { FlowPipeline } from '../../agents/dist/flows/pipeline.js';
import { dataSet, templateSet, v9Packet } from '../../agents/dist/flows/decode/testing/packets.js';

const SENDER = fileURLToPath(new URL('./flows-udp-sender.mjs', import.meta.url));
const RECORDS_PER_DATAGRAM = 30;

async function freePort() {
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

function run(cmd, args, { timeoutMillis, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMillis ?? 30_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} exited with ${code}: ${err.slice(0, 500)}`));
    });
  });
}

async function send(port, flowsPerSecond, seconds) {
  const datagramsPerSecond = Math.max(1, Math.round(flowsPerSecond / RECORDS_PER_DATAGRAM));
  const out = await run(process.execPath, [SENDER, JSON.stringify({ port, datagramsPerSecond, seconds })], {
    timeoutMillis: (seconds + 15) * 1000,
  });
  const r = JSON.parse(out.trim().split('\n').pop());
  return { ...r, achievedFlowsPerSecond: Math.round(r.records / r.seconds) };
}

/** One step against Tianshu's collector (in this process: its receiving thread is this one). */
async function stepTianshu(flowsPerSecond, seconds, buffer, workers) {
  const port = await freePort();
  let records = 0;
  const collector = new FlowCollector({
    onPayload: (p) => (records += p.stats.records),
    tickMillis: 1000,
    ...(workers !== undefined ? { workers } : {}),
  });
  collector.apply({
    enabled: true,
    bindAddress: '127.0.0.1',
    netflowPort: port,
    sflowPort: 0,
    allowedSources: ['127.0.0.0/8'],
    key: [
      'inIf',
      'outIf',
      'srcAddr',
      'dstAddr',
      'srcPort',
      'dstPort',
      'proto',
      'ipVersion',
      'tcpFlags',
      'tos',
      'nextHop',
      'srcAs',
      'dstAs',
    ],
    sampling: [],
    defaultSamplingRate: 1,
    templateTimeoutSeconds: 1800,
    receiveBufferBytes: buffer,
  });
  await collector.ready();
  const granted = collector.stats().sockets[0]?.receiveBufferBytes;
  const sent = await send(port, flowsPerSecond, seconds);
  await new Promise((r) => setTimeout(r, 500));
  const st = collector.stats();
  await collector.stop();
  return {
    sent,
    received: records,
    datagrams: st.datagrams,
    queueFull: st.queueFull,
    workers: st.workers,
    granted,
  };
}

/** One step against nfcapd (writes its file; counted with nfdump -I after it stopped). */
async function stepNfcapd(flowsPerSecond, seconds, buffer) {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'tianshu-bench-nfcapd-'));
  try {
    const child = spawn(
      'nfcapd',
      ['-w', dir, '-p', String(port), '-b', '127.0.0.1', '-B', String(buffer), '-t', '3600'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const exited = new Promise((r) => child.once('exit', r));
    // nfcapd is listening once it says so (bounded wait).
    for (let i = 0; i < 100 && !/Startup|Init IPFIX|nfcapd/i.test(log); i++)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    const sent = await send(port, flowsPerSecond, seconds);
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
    const files = (await readdir(dir)).filter((f) => f.startsWith('nfcapd.') && !f.includes('current'));
    let received = 0;
    for (const f of files) {
      const info = await run('nfdump', ['-r', join(dir, f), '-I'], { timeoutMillis: 30_000 });
      received += Number(/^Flows: (\d+)/m.exec(info)?.[1] ?? 0);
    }
    return { sent, received };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const FULL_KEY = [
  'inIf',
  'outIf',
  'srcAddr',
  'dstAddr',
  'srcPort',
  'dstPort',
  'proto',
  'ipVersion',
  'tcpFlags',
  'tos',
  'nextHop',
  'srcAs',
  'dstAs',
];

/**
 * What one worker thread can do: decode + aggregation of the sender's datagrams (full key), in
 * records per CPU second of this thread (CPU time, so other load on the machine counts less).
 */
function pipelineRecordsPerCpuSecond(key) {
  const f = (id, length) => ({ id, length });
  const fields = [
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
  const uptime = 3_600_000;
  const secs = Math.floor(Date.now() / 1000);
  const dgs = [];
  for (let d = 0; d < 64; d++) {
    const records = [];
    for (let i = 0; i < RECORDS_PER_DATAGRAM; i++) {
      const n = d * RECORDS_PER_DATAGRAM + i;
      records.push([
        `10.${1 + (n % 16)}.${(n >> 4) & 255}.${n & 255}`,
        `10.200.${(n * 7) & 255}.${(n * 13) & 255}`,
        '10.0.0.254',
        1024 + n,
        443,
        6,
        0x18,
        0,
        1 + (n % 8),
        9,
        1500,
        2,
        uptime - 5000,
        uptime - 1000,
        65001,
        65002,
        24,
        16,
      ]);
    }
    dgs.push(v9Packet([dataSet(256, fields, records)], { uptime, secs }));
  }
  let best = 0;
  for (let round = 0; round < 3; round++) {
    const p = new FlowPipeline(
      { key, sampling: [], defaultSamplingRate: 1, templateTimeoutSeconds: 1800 },
      () => {},
    );
    const now = Date.now();
    p.datagram(v9Packet([templateSet(9, [{ id: 256, fields }])], { uptime, secs }), '127.0.0.1', 0, now);
    const c0 = process.cpuUsage();
    const n = 50_000;
    for (let i = 0; i < n; i++) p.datagram(dgs[i & 63], '127.0.0.1', 0, now);
    const cu = process.cpuUsage(c0);
    best = Math.max(best, Math.round((n * RECORDS_PER_DATAGRAM) / ((cu.user + cu.system) / 1e6)));
  }
  return best;
}

/** Doubling then bisection on the loss-free rate; at most `maxSteps` steps. */
async function search(name, step, { start, maxSteps, seconds, log }) {
  let lo = 0;
  let hi = Infinity;
  let rate = start;
  let senderLimited = false;
  const steps = [];
  for (let i = 0; i < maxSteps; i++) {
    let r = await step(rate, seconds);
    // A loss is confirmed by a second run at the same rate (a moment of other load on a shared
    // machine should not end the search).
    if (r.received < r.sent.records) {
      const again = await step(rate, seconds);
      if (again.received >= again.sent.records) r = again;
    }
    const lossFree = r.received >= r.sent.records;
    const achieved = r.sent.achievedFlowsPerSecond;
    const entry = {
      receiver: name,
      targetFlowsPerSecond: Math.round(rate),
      achievedFlowsPerSecond: achieved,
      sentRecords: r.sent.records,
      receivedRecords: r.received,
      lost: Math.max(0, r.sent.records - r.received),
      lossFree,
      ...(r.queueFull !== undefined
        ? { queueFull: r.queueFull, workers: r.workers, receiveBufferBytes: r.granted }
        : {}),
    };
    steps.push(entry);
    log(entry);
    if (lossFree) {
      lo = Math.max(lo, achieved);
      if (achieved < rate * 0.9) {
        // The sender cannot go faster on this machine: the receiver's limit is above what we can send.
        senderLimited = true;
        break;
      }
    } else {
      hi = Math.min(hi, achieved);
    }
    if (hi !== Infinity && lo > 0 && hi / lo < 1.1) break;
    rate = hi === Infinity ? rate * 2 : lo > 0 ? (lo + hi) / 2 : hi / 2;
  }
  return { lossFree: lo, senderLimited, steps };
}

export async function measureUdp() {
  const seconds = Number(process.env.BENCH_FLOWS_UDP_SECONDS ?? 2);
  const maxSteps = Math.min(20, Number(process.env.BENCH_FLOWS_UDP_STEPS ?? 10));
  const start = Number(process.env.BENCH_FLOWS_UDP_START ?? 150_000);
  const buffer = Number(process.env.BENCH_FLOWS_UDP_BUFFER ?? 4 * 1024 * 1024);
  const workers = process.env.BENCH_FLOWS_UDP_WORKERS
    ? Number(process.env.BENCH_FLOWS_UDP_WORKERS)
    : undefined;
  const log = (o) => console.log(JSON.stringify({ part: 'udp', ...o }));
  const opts = { start, maxSteps, seconds, log };
  const collectorRecordsPerCpuSecond = pipelineRecordsPerCpuSecond(FULL_KEY);
  log({ collectorRecordsPerCpuSecond, note: 'decode + aggregation by every key field, one worker thread' });
  const tianshu = await search('tianshu', (r, s) => stepTianshu(r, s, buffer, workers), opts);
  const nfcapd = await search('nfcapd', (r, s) => stepNfcapd(r, s, buffer), opts);
  return {
    udpLossFreeFlowsPerSecond: { tianshu: tianshu.lossFree, nfcapd: nfcapd.lossFree },
    udpRatioVsNfcapd:
      nfcapd.lossFree > 0 ? Math.round((tianshu.lossFree / nfcapd.lossFree) * 100) / 100 : null,
    udpSenderLimited: { tianshu: tianshu.senderLimited, nfcapd: nfcapd.senderLimited },
    udpRecordsPerDatagram: RECORDS_PER_DATAGRAM,
    collectorRecordsPerCpuSecond,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await measureUdp()));
}
