#!/usr/bin/env node
// The flow detections' part of bench:events: the time from the start of a volumetric DDoS in the
// lab until its alert is visible through the API (`GET /api/v1/security/alerts?source=flow`).
//
// Everything real and built (`npm run build` first): the control plane in this process on embedded
// stores (PGlite, chDB) listening on a loopback port the kernel picks, an edge agent (this process,
// its flow collector's decode/detection worker threads) on UDP ports picked free, and a lab of two
// routers on their own loopback addresses (SNMP on kernel-picked ports) exporting NetFlow v9 (the
// border, sampled 1 in 10) and IPFIX (the target's router, 1 in 1). The repository's policies, so
// the thresholds are the shipped ones (detections.yaml: minPps 20,000, factor 5, sustain 3 s; a
// destination seen for the first time must exceed minPps × factor = 100,000 pps).
//
// BENCH_DDOS_SAMPLES (default 3) attacks of BENCH_DDOS_PPS (default 200,000) packets/s, each at a
// new target, one after another; each sample is the seconds from `lab.startAttack` to the first
// answer of the API listing the alert (polled every 100 ms). Prints one JSON line per sample and
// last `{"ddosDetectionSeconds":median,"samples":[…]}`.
import { mkdtempSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const env = (name, dflt) => Number(process.env[name] ?? dflt);
const PASSWORD = 'bench-admin-password';
const SAMPLES = env('BENCH_DDOS_SAMPLES', 3);
const PPS = env('BENCH_DDOS_PPS', 200_000);
const TIMEOUT_MS = 60_000;

const freeUdpPort = () =>
  new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function eventually(fn, timeoutMs, everyMs) {
  const started = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

const itf = (ifIndex, name) => ({ ifIndex, name, speedMbps: 10_000 });
const inventory = {
  sites: [
    { id: 'site-core', orgUnitId: 'p' },
    { id: 'site-b', orgUnitId: 'p-b' },
  ],
  prefixes: [
    { prefix: '10.63.0.0/16', orgUnitId: 'p' },
    { prefix: '10.63.2.0/24', orgUnitId: 'p-b' },
  ],
  devices: [
    {
      id: 'core',
      siteId: 'site-core',
      managementAddress: '127.0.80.1',
      interfaces: [itf(2, 'to-b'), itf(9, 'internet')],
    },
    { id: 'rt-b', siteId: 'site-b', managementAddress: '127.0.80.3', interfaces: [itf(1, 'uplink')] },
  ],
  links: [{ a: { device: 'core', ifIndex: 2 }, b: { device: 'rt-b', ifIndex: 1 }, level: 'city' }],
};

async function main() {
  const cpDist = (p) => import(pathToFileURL(join(REPO, 'control-plane/dist', p)).href);
  const agents = await import(pathToFileURL(join(REPO, 'agents/dist/index.js')).href);
  const [{ loadConfig }, { createControlPlane }, { createLogger }] = await Promise.all([
    cpDist('config.js'),
    cpDist('server.js'),
    cpDist('logger.js'),
  ]);
  const dataDir = mkdtempSync(join(tmpdir(), 'tianshu-bench-ddos-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'tianshu-bench-ddos-agent-'));
  const netflowPort = await freeUdpPort();
  const sflowPort = await freeUdpPort();
  const config = loadConfig({
    env: {},
    overrides: {
      host: '127.0.0.1',
      port: 0,
      dataDir,
      adminPassword: PASSWORD,
      policiesDir: join(REPO, 'policies'),
      inventoryFile: join(REPO, 'control-plane/inventory/demo-province.yaml'),
      snmpCredentialsFile: join(REPO, 'control-plane/inventory/demo-snmp-credentials.yaml'),
      logLevel: 'silent',
      network: { pollIntervalSeconds: 3600, discoveryIntervalSeconds: 3600, concurrency: 4 },
      fleet: { heartbeatIntervalSeconds: 2, hostIntervalSeconds: 60, flushIntervalSeconds: 30 },
      flows: { netflowPort, sflowPort, bindAddress: '127.0.0.1' },
    },
  });
  const cp = await createControlPlane({ config, log: createLogger('silent') });
  const url = await cp.listen();
  let agent;
  let lab;
  try {
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const { csrfToken } = await login.json();
    const tok = await fetch(`${url}/api/v1/fleet/enrolment-tokens`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench edge', orgUnitId: 'sc', roles: ['edge'] }),
    });
    const { token } = await tok.json();
    await agents.enrol({ server: url, token, stateDir, roles: ['edge'] });
    agent = await agents.startAgent({
      stateDir,
      roles: ['edge'],
      retryInitialMillis: 200,
      logger: agents.silentLogger,
    });
    await eventually(
      async () => {
        const f = agent.stats().edge?.flows;
        return f?.sockets?.some((s) => s.kind === 'netflow' && s.boundPort) && f?.detections?.enabled;
      },
      30_000,
      100,
    );
    lab = await agents.startLab({
      inventory,
      portOverride: 0,
      scenario: {
        seed: 3,
        load: { levels: { city: 0.001 }, external: { 'core:9': 0.001 } },
        flows: {
          collector: { netflow: `127.0.0.1:${netflowPort}` },
          intervalSeconds: 10,
          maxDatagramsPerSecond: 2000,
          routers: {
            core: { protocol: 'v9', samplingRate: 10 },
            'rt-b': { protocol: 'ipfix', samplingRate: 1 },
          },
        },
      },
    });
    const samples = [];
    for (let i = 0; i < SAMPLES; i++) {
      const target = `10.63.2.${10 + i}`;
      const started = Date.now();
      const debug = process.env.BENCH_DEBUG
        ? setInterval(
            () =>
              console.error(
                JSON.stringify([
                  agent.stats().edge?.flows?.detections?.destinations,
                  lab.attacks().map((a) => [a.records, a.packets, a.path, a.exporters]),
                  lab
                    .flowStats()
                    .map((f) => [f.deviceId, f.datagrams, f.records, f.sendErrors, f.droppedDatagrams]),
                ]),
              ),
            1000,
          )
        : undefined;
      lab.startAttack({
        kind: 'ddos',
        source: '36.152.44.0/24',
        target,
        pps: PPS,
        durationSeconds: 20,
        sources: 32,
      });
      await eventually(
        async () => {
          const r = await fetch(`${url}/api/v1/security/alerts?source=flow&limit=100`, {
            headers: { cookie },
          });
          if (r.status !== 200) throw new Error(`GET /security/alerts: ${r.status} ${await r.text()}`);
          const body = await r.json();
          return body.items.some((a) => a.fingerprint === `flow:ddos:${target}` || a.assetAddress === target);
        },
        TIMEOUT_MS,
        100,
      );
      clearInterval(debug);
      const seconds = (Date.now() - started) / 1000;
      samples.push(Math.round(seconds * 100) / 100);
      console.log(JSON.stringify({ sample: i + 1, target, pps: PPS, seconds }));
    }
    const sorted = [...samples].sort((a, b) => a - b);
    console.log(JSON.stringify({ ddosDetectionSeconds: sorted[Math.floor(sorted.length / 2)], samples }));
  } finally {
    await lab?.stop();
    await agent?.stop();
    await cp.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
