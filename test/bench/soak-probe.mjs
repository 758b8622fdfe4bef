// Preloaded into the agents by the soak benchmark (node --expose-gc --import soak-probe.mjs):
// every SOAK_PROBE_SECONDS it runs a full garbage collection and appends the memory usage that
// remains, one JSON line, to SOAK_PROBE_FILE. Its timer never keeps the process alive.
import { appendFileSync } from 'node:fs';

const file = process.env.SOAK_PROBE_FILE;
const seconds = Number(process.env.SOAK_PROBE_SECONDS || 10);
if (file && typeof globalThis.gc === 'function') {
  const probe = () => {
    globalThis.gc();
    const m = process.memoryUsage();
    appendFileSync(file, JSON.stringify({ at: Date.now(), heapUsed: m.heapUsed, rss: m.rss }) + '\n');
  };
  setInterval(probe, seconds * 1000).unref();
}
