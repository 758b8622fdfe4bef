// The events-ingest part of bench:events: events/s on one thread (one core) through the control
// plane's ingest path — each line parsed and normalised to ECS (protocol parseEventLine), identified
// and attributed to an org unit by longest prefix (the flows module's PrefixTrie snapshot, a
// province of 21 cities and 183 counties), its columns pulled out, and evaluated in batches of 1000
// against every compiled Sigma rule of policies/detections/sigma and test/fixtures/sigma (the engine
// of the rules part), Suricata alert events turned into alerts. The lines are genuine-shaped: the
// genuine EVE records of test/fixtures/security (sources in its README) with their addresses, ports,
// names and times varied, and syslog lines as sshd, sudo, CRON and kernel write them (RFC 3164 and
// 5424). Bounded: 2 s of warm-up, then at most 8 s or 20 million events; then 2 s each of the
// parsers alone and the rules alone (where the time goes).
// Last line: {"eventsPerSecondPerCore":n,"sigmaRules":n,"lineMix":{…},…}.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEventLine } from '../../protocol/dist/index.js';
import { InventorySnapshot } from '../../control-plane/dist/flows/enrich.js';
import { OrgAttributor, attributionAddresses } from '../../control-plane/dist/security/events/attribution.js';
import { eventColumns, eventId, suricataAlerts } from '../../control-plane/dist/security/events/encode.js';
import { engineForDirs } from '../../control-plane/dist/security/sigma/index.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const WARMUP_MS = 2000;
const MEASURE_MS = 8000;
const MAX_EVENTS = 20_000_000;
const BATCH = 1000;

// ---- rules ----------------------------------------------------------------------------------------
const engine = engineForDirs([join(REPO, 'policies/detections/sigma'), join(REPO, 'test/fixtures/sigma')]);
const compiled = engine.rules.filter((r) => r.info.status === 'compiled');
const sigmaRules = compiled.length;

// ---- a province: 21 cities (/16), 183 counties (/24), the province's /8 -----------------------------
const inv = new InventorySnapshot('bench');
const unit = (id, name, path) => {
  const u = { id, name, path };
  inv.units.push(u);
  inv.unitsById.set(id, u);
  return inv.units.length - 1;
};
inv.trie.add('10.0.0.0/8', unit('sc', '省', '/sc/'));
const counties = [];
for (let c = 0, k = 0; c < 21; c++) {
  const city = `c${c}`;
  inv.trie.add(`10.${c}.0.0/16`, unit(city, city, `/sc/${city}/`));
  const n = c < 15 ? 9 : 8; // 15×9 + 6×8 = 183
  for (let j = 0; j < n; j++, k++) {
    const id = `${city}-${j}`;
    inv.trie.add(`10.${c}.${j + 1}.0/24`, unit(id, id, `/sc/${city}/${id}/`));
    counties.push([c, j + 1]);
  }
}
inv.trie.add('2001:db8::/32', 0);
const attributor = new OrgAttributor({ db: undefined }, () => Promise.resolve(inv));
attributor.use(inv);
const agent = { orgUnitId: 'sc', orgUnitPath: '/sc/' };

// ---- lines ------------------------------------------------------------------------------------------
let seed = 12345;
const rand = (n) => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed % n;
};
const internal = () => {
  const [c, j] = counties[rand(counties.length)];
  return `10.${c}.${j}.${1 + rand(250)}`;
};
const external = () => `${[203, 198, 192, 45, 185][rand(5)]}.${rand(256)}.${rand(256)}.${1 + rand(254)}`;
const fixtures = ['eve-tenzir.ndjson', 'eve-suricata-docs.ndjson', 'eve-cdmcs-tls.ndjson'].flatMap((f) =>
  readFileSync(join(REPO, 'test/fixtures/security', f), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l)),
);
const template = (type) => {
  const t = fixtures.find((r) => r.event_type === type);
  if (!t) throw new Error(`no genuine ${type} record in test/fixtures/security`);
  return t;
};
const SIGS = [
  [
    2017318,
    'ET CURRENT_EVENTS SUSPICIOUS IRC - PRIVMSG *.(exe|tar|tgz|zip)  download command',
    'Potentially Bad Traffic',
    2,
  ],
  [2001219, 'ET SCAN Potential SSH Scan', 'Attempted Information Leak', 2],
  [2010935, 'ET SCAN Suspicious inbound to MSSQL port 1433', 'Potentially Bad Traffic', 2],
  [2024897, 'ET USER_AGENTS Go HTTP Client User-Agent', 'Misc activity', 3],
  [2027865, 'ET INFO Observed DNS Query to .cloud TLD', 'Potentially Bad Traffic', 2],
  [2210045, 'SURICATA STREAM Packet with invalid ack', 'Generic Protocol Command Decode', 3],
];
const NAMES = [
  'www.gov.cn',
  'mail.sc.gov.cn',
  'update.microsoft.com',
  'login.example.cloud',
  'cdn.jsdelivr.net',
  'x1b2c3.duckdns.org',
];
const ts = (ms) => new Date(ms).toISOString().replace('Z', '+0800').replace('T', 'T');
const base = Date.now() - 3600_000;
function eve(type, i) {
  const r = structuredClone(template(type));
  r.timestamp = ts(base + i);
  r.flow_id = 1_000_000_000_000 + i;
  const inbound = rand(3) === 0;
  r.src_ip = inbound ? external() : internal();
  r.dest_ip = inbound ? internal() : external();
  r.src_port = 1024 + rand(60000);
  if (type === 'alert') {
    const [sid, sig, cat, sev] = SIGS[rand(SIGS.length)];
    r.alert = { ...r.alert, signature_id: sid, signature: sig, category: cat, severity: sev };
  } else if (type === 'dns' && r.dns) {
    r.dns.rrname = NAMES[rand(NAMES.length)];
  } else if (type === 'http' && r.http) {
    r.http.hostname = NAMES[rand(NAMES.length)];
    r.http.url = ['/', '/index.php?id=1', '/wp-login.php', '/api/v1/login', '/cgi-bin/luci'][rand(5)];
  } else if (type === 'tls' && r.tls) {
    r.tls.sni = NAMES[rand(NAMES.length)];
  }
  return JSON.stringify(r);
}
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function syslog(i) {
  const d = new Date(base + i * 10);
  const bsd = `${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
  const host = `host-${rand(400)}`;
  switch (rand(5)) {
    case 0:
      return `<38>${bsd} ${host} sshd[${1000 + rand(30000)}]: Failed password for invalid user admin from ${external()} port ${1024 + rand(60000)} ssh2`;
    case 1:
      return `<86>${bsd} ${host} sshd[${1000 + rand(30000)}]: Accepted publickey for ops from ${internal()} port ${1024 + rand(60000)} ssh2: RSA SHA256:k3y`;
    case 2:
      return `<85>1 ${d.toISOString()} ${host} sudo - - - ops : TTY=pts/0 ; PWD=/home/ops ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx`;
    case 3:
      return `<78>${bsd} ${host} CRON[${1000 + rand(30000)}]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)`;
    default:
      return `<4>${bsd} ${host} kernel: [UFW BLOCK] IN=eth0 OUT= SRC=${external()} DST=${internal()} PROTO=TCP SPT=${1024 + rand(60000)} DPT=${[22, 23, 445, 3389][rand(4)]}`;
  }
}
const MIX = {
  'eve:flow': 30,
  'eve:dns': 20,
  'eve:http': 10,
  'eve:tls': 5,
  'eve:alert': 5,
  'eve:fileinfo': 5,
  syslog: 25,
};
const lines = [];
const deck = Object.entries(MIX).flatMap(([k, n]) => Array(n).fill(k));
for (let i = 0; i < 20_000; i++) {
  const k = deck[i % deck.length];
  lines.push(k === 'syslog' ? ['syslog', syslog(i)] : ['eve', eve(k.slice(4), i)]);
}
const lineMix = Object.fromEntries(Object.entries(MIX).map(([k, n]) => [k, n / 100]));

// ---- the loop ---------------------------------------------------------------------------------------
let rejected = 0;
let sigmaAlerts = 0;
let suricata = 0;
let outOfScope = 0;
let sink = 0;
function runFor(ms, maxEvents) {
  const t0 = performance.now();
  let n = 0;
  let batch = [];
  const receivedAt = Date.now();
  for (let i = 0; n < maxEvents; i = (i + 1) % lines.length) {
    const [format, line] = lines[i];
    const r = parseEventLine(format, line, { maxLineBytes: 65536, receivedAt });
    n++;
    if (!r.ok) {
      rejected++;
      continue;
    }
    const e = r.event;
    const a = attributor.attribute(attributionAddresses(e.type, e.fields), agent);
    if (a.outOfScope) outOfScope++;
    const s = {
      ...e,
      id: eventId(e.ts, 'bench0000000', n),
      orgUnitId: a.orgUnitId,
      orgPath: a.orgPath,
      agentId: 'bench',
      source: format,
    };
    sink += eventColumns(s).severity;
    batch.push(s);
    if (batch.length === BATCH) {
      sigmaAlerts += engine.evaluate(batch).length;
      suricata += suricataAlerts(batch).length;
      batch = [];
      if (performance.now() - t0 > ms) break;
    }
  }
  return { n, seconds: (performance.now() - t0) / 1000 };
}
runFor(WARMUP_MS, MAX_EVENTS);
rejected = sigmaAlerts = suricata = outOfScope = 0;
const { n, seconds } = runFor(MEASURE_MS, MAX_EVENTS);
const eventsPerSecondPerCore = Math.round(n / seconds);
// Where the time goes: the parsers alone, and the rules alone over events parsed beforehand.
const STAGE_MS = 2000;
let t0 = performance.now();
let parsed = 0;
const sample = [];
while (performance.now() - t0 < STAGE_MS) {
  for (let i = 0; i < 1000; i++, parsed++) {
    const [format, line] = lines[parsed % lines.length];
    const r = parseEventLine(format, line, { maxLineBytes: 65536, receivedAt: Date.now() });
    if (r.ok && sample.length < lines.length) {
      const a = attributor.attribute(attributionAddresses(r.event.type, r.event.fields), agent);
      sample.push({
        ...r.event,
        id: eventId(r.event.ts, 'bench0000000', parsed),
        orgUnitId: a.orgUnitId,
        orgPath: a.orgPath,
        agentId: 'bench',
        source: format,
      });
    }
  }
}
const parsePerSecond = Math.round(parsed / ((performance.now() - t0) / 1000));
t0 = performance.now();
let evaluated = 0;
while (performance.now() - t0 < STAGE_MS) {
  for (let i = 0; i + BATCH <= sample.length && performance.now() - t0 < STAGE_MS; i += BATCH) {
    engine.evaluate(sample.slice(i, i + BATCH));
    evaluated += BATCH;
  }
}
const evaluatePerSecond = Math.round(evaluated / ((performance.now() - t0) / 1000));
console.log(
  JSON.stringify({
    part: 'events-ingest',
    events: n,
    seconds: Number(seconds.toFixed(3)),
    rejected,
    sigmaAlerts,
    suricataAlerts: suricata,
    outOfScope,
    checksum: sink % 7,
  }),
);
console.log(
  JSON.stringify({
    eventsPerSecondPerCore,
    sigmaRules,
    lineMix,
    eventsParsePerSecond: parsePerSecond,
    eventsEvaluatePerSecond: evaluatePerSecond,
    eventsIngestSeconds: Number(seconds.toFixed(3)),
    eventsIngestRejected: rejected,
  }),
);
