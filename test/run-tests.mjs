#!/usr/bin/env node
// The test command (`npm test`): installs what the tests need on a fresh Debian machine (as root,
// with apt-get), builds everything, then runs typecheck, lint and every test project. Tests start
// their own real servers (PostgreSQL, the control plane, agents, Chromium) on loopback.
import { execSync, spawnSync } from 'node:child_process';
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
step('typecheck', 'npm run typecheck');
step('lint', 'npm run lint');
// Projects run one after another: integration and e2e tests start real servers (the lab's routers on
// their inventory ports among them) that must not meet each other.
step('unit tests', 'npx vitest run --project unit --project console');
step('integration tests', 'npx vitest run --project integration --project integration-lab');
step('end-to-end tests', 'npx vitest run --project e2e --project e2e-lab');
