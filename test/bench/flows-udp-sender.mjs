// The UDP sender of bench:flows (udp part): replays a fixed set of NetFlow v9 datagrams (30 IPv4
// records each, a Cisco-like 18-field template sent first and every 200 datagrams) to
// 127.0.0.1:<port> at a set rate for a bounded time, then prints what it sent as one JSON line.
// Usage: node flows-udp-sender.mjs '{"port":2055,"datagramsPerSecond":10000,"seconds":2}'
import dgram from 'node:dgram';
import { dataSet, templateSet, v9Packet } from '../../agents/dist/flows/decode/testing/packets.js';

const { port, datagramsPerSecond, seconds } = JSON.parse(process.argv[2] ?? '{}');
if (!(port > 0 && datagramsPerSecond > 0 && seconds > 0 && seconds <= 60)) {
  console.error('usage: flows-udp-sender.mjs {"port":n,"datagramsPerSecond":n,"seconds":n (≤ 60)}');
  process.exit(2);
}
export const RECORDS_PER_DATAGRAM = 30;
const f = (id, length) => ({ id, length });
const FIELDS = [
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
const template = v9Packet([templateSet(9, [{ id: 256, fields: FIELDS }])], { uptime, secs });
const datagrams = [];
for (let d = 0; d < 64; d++) {
  const records = [];
  for (let i = 0; i < RECORDS_PER_DATAGRAM; i++) {
    const n = d * RECORDS_PER_DATAGRAM + i;
    records.push([
      `10.${1 + (n % 16)}.${(n >> 4) & 255}.${n & 255}`,
      `10.200.${(n * 7) & 255}.${(n * 13) & 255}`,
      '10.0.0.254',
      1024 + (n % 50_000),
      [443, 80, 53, 8080][n % 4],
      n % 4 === 2 ? 17 : 6,
      0x18,
      0,
      1 + (n % 8),
      9,
      1500 + (n % 700),
      2 + (n % 5),
      uptime - 5000,
      uptime - 1000,
      65001,
      65002,
      24,
      16,
    ]);
  }
  datagrams.push(v9Packet([dataSet(256, FIELDS, records)], { uptime, secs, sequence: 0 }));
}

const socket = dgram.createSocket('udp4');
socket.connect(port, '127.0.0.1', () => {
  let sent = 0;
  let data = 0;
  let errors = 0;
  const onSent = (err) => {
    if (err) errors++;
  };
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  const loop = () => {
    const now = process.hrtime.bigint();
    if (now >= end) return finish(now);
    const due = Math.floor((Number(now - start) / 1e9) * datagramsPerSecond) - sent;
    for (let i = 0; i < Math.min(due, 2000); i++) {
      if (sent % 200 === 0) socket.send(template, onSent);
      else {
        socket.send(datagrams[data % datagrams.length], onSent);
        data++;
      }
      sent++;
    }
    setImmediate(loop);
  };
  const finish = (now) => {
    const elapsed = Number(now - start) / 1e9;
    // Let queued sends leave before closing.
    setTimeout(() => {
      socket.close();
      console.log(
        JSON.stringify({
          datagrams: sent,
          dataDatagrams: data,
          records: data * RECORDS_PER_DATAGRAM,
          errors,
          seconds: elapsed,
          achievedDatagramsPerSecond: Math.round(sent / elapsed),
        }),
      );
    }, 200);
  };
  loop();
});
