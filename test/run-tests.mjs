#!/usr/bin/env node
// The test command (`npm test`): installs what the tests need on a fresh Debian machine (as root,
// with apt-get), builds everything, then runs typecheck, lint and every test project. Tests start
// their own real servers (PostgreSQL, the control plane, agents, Chromium) on loopback.
import { execSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NEEDED = [
  {
    what: 'PostgreSQL server',
    check: () =>
      ['13', '14', '15', '16', '17'].some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`)),
    pkg: 'postgresql',
  },
  { what: 'Chromium', check: () => existsSync('/usr/bin/chromium'), pkg: 'chromium' },
  { what: 'promtool', check: () => has('promtool'), pkg: 'prometheus' },
  { what: 'openssl', check: () => has('openssl'), pkg: 'openssl' },
  { what: 'runuser', check: () => has('runuser'), pkg: 'util-linux' },
  { what: 'snmpd (Net-SNMP agent)', check: () => existsSync('/usr/sbin/snmpd'), pkg: 'snmpd' },
  {
    what: 'snmpsimd (SNMP simulator, serves the recorded devices)',
    check: () => existsSync('/usr/bin/snmpsimd'),
    pkg: 'snmpsim',
  },
  { what: 'snmpbulkwalk (Net-SNMP tools)', check: () => has('snmpbulkwalk'), pkg: 'snmp' },
  { what: 'ip (iproute2)', check: () => has('ip'), pkg: 'iproute2' },
  { what: 'softflowd (flow decoder tests)', check: () => has('softflowd'), pkg: 'softflowd' },
  {
    what: 'nfcapd, nfdump, nfreplay (flow decoder tests)',
    check: () => has('nfcapd') && has('nfdump') && has('nfreplay'),
    pkg: 'nfdump',
  },
  { what: 'sfcapd (flow decoder tests)', check: () => has('sfcapd'), pkg: 'nfdump-sflow' },
  { what: 'logger (util-linux; security listener tests)', check: () => has('logger'), pkg: 'util-linux' },
  {
    what: 'rsyslogd (security listener tests)',
    check: () => existsSync('/usr/sbin/rsyslogd'),
    pkg: 'rsyslog',
  },
  {
    what: 'rsyslog gtls driver (security listener tests over TLS)',
    check: () =>
      existsSync('/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so') ||
      existsSync('/usr/lib/rsyslog/lmnsd_gtls.so'),
    pkg: 'rsyslog-gnutls',
  },
  { what: 'openssl (test certificates)', check: () => has('openssl'), pkg: 'openssl' },
  {
    what: 'openstack (python3-openstackclient; reads back what the OpenStack adapter wrote)',
    check: () => existsSync('/usr/bin/openstack'),
    pkg: 'python3-openstackclient',
  },
  {
    what: 'Noto CJK fonts (Chinese in the screenshots)',
    check: () => existsSync('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'),
    pkg: 'fonts-noto-cjk',
  },
];

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function step(name, cmd) {
  console.log(`\n== ${name}: ${cmd}`);
  const started = Date.now();
  const r = spawnSync(cmd, { shell: true, stdio: 'inherit', env: process.env });
  console.log(
    `== ${name}: ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status})`} in ${Math.round((Date.now() - started) / 1000)} s`,
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const missing = NEEDED.filter((n) => !n.check());
if (missing.length) {
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  if (process.getuid?.() !== 0) {
    console.error(
      `missing: ${missing.map((m) => m.what).join(', ')}; install as root: apt-get install -y ${pkgs.join(' ')}`,
    );
    process.exit(1);
  }
  console.log(`== installing ${pkgs.join(' ')} (apt-get)`);
  execSync('apt-get update -qq', { stdio: 'inherit' });
  execSync(
    `DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${pkgs.join(' ')}`,
    {
      stdio: 'inherit',
    },
  );
  // Debian starts the packaged PostgreSQL cluster; the tests run their own, so stop it.
  spawnSync('sh', ['-c', 'service postgresql stop || true; service snmpd stop || true'], { stdio: 'ignore' });
}

// Debian's kubectl (package kubernetes-client) reads back what the Kubernetes adapter wrote. It is
// unpacked to /opt/debian-kubectl rather than installed: a non-Debian `kubectl` package (e.g. the
// Google Cloud SDK's dispatcher) may own /usr/bin/kubectl and block the install.
const KUBECTL = '/opt/debian-kubectl/usr/bin/kubectl';
if (!existsSync(KUBECTL)) {
  if (process.getuid?.() !== 0) {
    console.error(
      `missing: ${KUBECTL}; as root: apt-get download kubernetes-client && dpkg-deb -x kubernetes-client_*.deb /opt/debian-kubectl`,
    );
    process.exit(1);
  }
  console.log(`== unpacking Debian's kubernetes-client to /opt/debian-kubectl`);
  const dir = mkdtempSync(join(tmpdir(), 'kubectl-deb-'));
  try {
    if (!missing.length) execSync('apt-get update -qq', { stdio: 'inherit' });
    execSync('apt-get download kubernetes-client', { cwd: dir, stdio: 'inherit' });
    const deb = readdirSync(dir).find((f) => f.startsWith('kubernetes-client_') && f.endsWith('.deb'));
    if (!deb) throw new Error('apt-get download kubernetes-client left no .deb');
    execSync(`dpkg-deb -x ${join(dir, deb)} /opt/debian-kubectl`, { stdio: 'inherit' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (!existsSync(KUBECTL)) {
    console.error(`kubernetes-client unpacked, but ${KUBECTL} is missing`);
    process.exit(1);
  }
}

step('build', 'npm run build');

/**
 * Runs `cmd` with its output held back, then prints it whole under its name, so that steps running
 * at the same time do not interleave their lines. Resolves to whether it passed.
 */
function background(name, cmd) {
  const started = Date.now();
  console.log(`== ${name}: started: ${cmd}`);
  return new Promise((resolve) => {
    const chunks = [];
    const child = spawn(cmd, { shell: true, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.on('error', (err) => chunks.push(Buffer.from(`cannot start: ${err.message}\n`)));
    child.on('close', (code, signal) => {
      const seconds = Math.round((Date.now() - started) / 1000);
      const ok = code === 0;
      console.log(`\n== ${name}: ${cmd}`);
      process.stdout.write(Buffer.concat(chunks));
      console.log(
        `== ${name}: ${ok ? 'ok' : `FAILED (${signal ? `signal ${signal}` : `exit ${code}`})`} in ${seconds} s`,
      );
      timings.push(`${name}: ${ok ? 'ok' : 'FAILED'} in ${seconds} s`);
      resolve(ok);
    });
  });
}

/** Steps one after the other; stops at the first that fails. */
async function lane(steps) {
  for (const [name, cmd] of steps) if (!(await background(name, cmd))) return false;
  return true;
}

const timings = [];
const started = Date.now();
// Typecheck and lint are single-threaded: side by side on two cores.
const checked = await Promise.all([
  background('typecheck', 'npm run typecheck'),
  background('lint', 'npm run lint'),
]);
if (checked.includes(false)) process.exit(1);

// Two lanes at once. The lab files start the simulated province's routers on the demo's fixed
// 127.0.x.y addresses and ports, so they run one file at a time in their own lane (vitest.config.ts
// lists them); every other file picks free ports and runs beside them, several at once. One vitest
// run takes its groups one after the other, hence two processes. TIANSHU_TEST_SEQUENTIAL=1 runs the
// lanes one after the other (to tell a contention failure from a real one).
const free = [
  ['unit tests', 'npx vitest run --project unit --project console'],
  ['integration tests', 'npx vitest run --project integration'],
  ['end-to-end tests', 'npx vitest run --project e2e'],
];
const lab = [
  ['lab integration tests', 'npx vitest run --project integration-lab'],
  ['lab end-to-end tests', 'npx vitest run --project e2e-lab'],
];
const passed =
  process.env.TIANSHU_TEST_SEQUENTIAL === '1'
    ? [await lane(free), await lane(lab)]
    : await Promise.all([lane(free), lane(lab)]);
console.log(
  `\n== tests: ${Math.round((Date.now() - started) / 1000)} s after the build\n  ${timings.join('\n  ')}`,
);
if (passed.includes(false)) process.exit(1);
