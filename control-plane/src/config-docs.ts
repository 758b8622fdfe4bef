import { ConfigSchema, describeSettings, type SettingDoc } from './config.js';

/**
 * Renders `docs/configuration.md` from the configuration schema. The control-plane table comes from
 * `describeSettings()`, so it cannot drift from the code; `config-docs.test.ts` fails when the file in
 * the repository differs from this output (regenerate with `npm run build && npm run docs:config`).
 */

/** Where the generated document lives, relative to the repository root. */
export const CONFIGURATION_DOC_PATH = 'docs/configuration.md';

/** A setting of the agent process (`agents/src/config.ts`), documented by hand. */
export interface AgentSettingDoc {
  key: string;
  env: string;
  /** Command-line flag, when there is one. */
  flag?: string;
  type: string;
  /** Default value; `undefined` means unset. */
  default: unknown;
  description: string;
}

/**
 * The agent's settings. `agents/src/config.ts` exports no describe function and the control plane
 * cannot import the agent package at build time, so this list is kept by hand; `config-docs.test.ts`
 * checks it against the agent's `settingsEnv` and its defaults.
 */
export const AGENT_SETTINGS: readonly AgentSettingDoc[] = [
  {
    key: 'stateDir',
    env: 'TIANSHU_AGENT_STATE_DIR',
    flag: '--state-dir',
    type: 'string',
    default: '/var/lib/tianshu-agent',
    description: 'Directory of `identity.json`, the cached config (`config.json`) and the report queue.',
  },
  {
    key: 'server',
    env: 'TIANSHU_AGENT_SERVER',
    flag: '--server',
    type: 'url',
    default: undefined,
    description: 'Control-plane URL, used by `enrol`; `run` takes it from `identity.json`.',
  },
  {
    key: 'token',
    env: 'TIANSHU_AGENT_TOKEN',
    flag: '--token',
    type: 'string',
    default: undefined,
    description: 'One-time bootstrap (enrolment) token, used by `enrol` only; masked by `--print-config`.',
  },
  {
    key: 'caFile',
    env: 'TIANSHU_AGENT_CA_FILE',
    flag: '--ca',
    type: 'string',
    default: undefined,
    description:
      'PEM file of the CA that signed the server certificate; it replaces the system trust store. `enrol` records it in `identity.json`, so `run` keeps using it.',
  },
  {
    key: 'roles',
    env: 'TIANSHU_AGENT_ROLES',
    flag: '--roles',
    type: 'list of `host`, `edge`, `lab`',
    default: ['host'],
    description:
      "Comma-separated roles sent at enrolment. This build implements `host` (this machine's /proc metrics) and `edge` (SNMP polling, discovery and sweeps of the devices the control plane assigns); `lab` is a command of its own (`tianshu-agent lab`), not a role of `run`, and is logged and ignored there.",
  },
  {
    key: 'hostIntervalSeconds',
    env: 'TIANSHU_AGENT_HOST_INTERVAL_SECONDS',
    type: 'integer 1–3600',
    default: 15,
    description: "Host metric period until the server's config arrives; then the server's value applies.",
  },
  {
    key: 'queueMaxBytes',
    env: 'TIANSHU_AGENT_QUEUE_MAX_BYTES',
    type: 'integer ≥ 65536',
    default: 64 * 1024 * 1024,
    description: 'Largest size of the on-disk queue; when full, the oldest batches are dropped and counted.',
  },
  {
    key: 'queueMaxBatches',
    env: 'TIANSHU_AGENT_QUEUE_MAX_BATCHES',
    type: 'integer ≥ 1',
    default: 10_000,
    description: 'Largest number of batches in the on-disk queue.',
  },
  {
    key: 'metricsListen',
    env: 'TIANSHU_AGENT_METRICS_LISTEN',
    flag: '--metrics-listen',
    type: '`host:port`',
    default: undefined,
    description: "Address of the agent's own `/metrics` and `/healthz`; off when unset.",
  },
  {
    key: 'procRoot',
    env: 'TIANSHU_PROC_ROOT',
    type: 'string',
    default: '/proc',
    description:
      'Root of the proc filesystem the host role reads (`TIANSHU_AGENT_PROC_ROOT` is accepted too). In a container, mount the host `/proc` and point this at it.',
  },
  {
    key: 'logLevel',
    env: 'TIANSHU_AGENT_LOG_LEVEL',
    type: '`debug`, `info`, `warn`, `error`',
    default: 'info',
    description: 'Log level of the JSON logs on stderr.',
  },
  {
    key: 'requestTimeoutSeconds',
    env: 'TIANSHU_AGENT_REQUEST_TIMEOUT_SECONDS',
    type: 'number > 0, at most 300',
    default: 15,
    description: 'Timeout of one request to the control plane.',
  },
  {
    key: 'retryMaxSeconds',
    env: 'TIANSHU_AGENT_RETRY_MAX_SECONDS',
    type: 'number > 0, at most 3600',
    default: 30,
    description: 'Largest delay between retries of a batch (exponential backoff with jitter from 1 s).',
  },
];

/** Environment variables the control plane reads outside the settings schema. */
const OTHER_ENV: ReadonlyArray<{ env: string; description: string }> = [
  {
    env: 'TIANSHU_CONFIG',
    description: 'Path of the config file, when `--config` is not given.',
  },
  {
    env: 'TIANSHU_CONSOLE_DIR',
    description:
      'Directory of the built console (`index.html` and `assets/`); default `console/dist` beside the installed control plane. When it is missing, `/` answers with a short text and the API works as usual.',
  },
];

interface ZodNode {
  def: { type: string; innerType?: ZodNode; shape?: Record<string, ZodNode> };
  shape?: Record<string, ZodNode>;
  options?: readonly unknown[];
}

function unwrap(s: ZodNode): ZodNode {
  let cur = s;
  while ((cur.def.type === 'default' || cur.def.type === 'optional') && cur.def.innerType)
    cur = cur.def.innerType;
  return cur;
}

/** The allowed values of an enum setting, read from the schema. */
function enumOptions(path: string): readonly unknown[] | undefined {
  let node: ZodNode | undefined = ConfigSchema as unknown as ZodNode;
  for (const key of path.split('.')) {
    const inner: ZodNode = unwrap(node);
    node = (inner.shape ?? inner.def.shape)?.[key];
    if (!node) return undefined;
  }
  const leaf = unwrap(node);
  return leaf.def.type === 'enum' ? leaf.options : undefined;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function code(value: unknown): string {
  return '`' + String(value) + '`';
}

function formatDefault(value: unknown): string {
  if (value === undefined) return 'unset';
  if (value === '') return 'empty';
  if (Array.isArray(value)) return code(value.join(','));
  if (typeof value === 'number') return code(value);
  return code(value);
}

function formatType(s: SettingDoc): string {
  const options = enumOptions(s.path);
  if (options) return options.map(code).join(', ');
  return s.type;
}

function settingsTable(): string {
  const rows = describeSettings().map(
    (s) =>
      `| ${code(s.path)} | ${code(s.env)} | ${cell(formatType(s))} | ${cell(formatDefault(s.default))} | ${cell(s.description)} |`,
  );
  return [
    '| setting | environment variable | type | default | description |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function agentTable(): string {
  const rows = AGENT_SETTINGS.map(
    (s) =>
      `| ${code(s.key)} | ${code(s.env)} | ${s.flag ? code(s.flag) : '—'} | ${cell(s.type)} | ${cell(formatDefault(s.default))} | ${cell(s.description)} |`,
  );
  return [
    '| setting | environment variable | flag | type | default | description |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** The whole of `docs/configuration.md`. */
export function renderConfigurationDoc(): string {
  const sections = [
    `# Configuration

<!-- Generated from control-plane/src/config.ts and control-plane/src/config-docs.ts; do not edit.
     Regenerate with: npm run build && npm run docs:config -->

Tianshu has two programs with their own settings: the control plane (\`tianshu\`,
\`control-plane/dist/main.js\`) and the agent (\`tianshu-agent\`, \`agents/dist/cli.js\`). Every setting has a
default, so both start with no configuration at all.`,

    `## Control plane

### Where settings come from

Settings are merged in this order, each source overriding the one before:

1. **defaults** (the table below);
2. **the config file**, YAML or JSON, given by \`--config FILE\` or \`TIANSHU_CONFIG\`;
3. **environment variables** \`TIANSHU_<PATH>\`: the setting's path in SCREAMING_SNAKE_CASE, so \`port\` is
   \`TIANSHU_PORT\` and \`auth.sessionTtlHours\` is \`TIANSHU_AUTH_SESSION_TTL_HOURS\`.

An empty environment variable counts as unset. Numbers and booleans in variables are converted
(\`true\`, \`yes\`, \`on\`, \`1\` and \`false\`, \`no\`, \`off\`, \`0\`); a value that does not convert stops the
program with a message naming the variable, and a value outside its range with a message naming the
setting. Unknown keys in the config file are refused, so a misspelt setting never goes unnoticed.
Configuration errors exit with status 2.

The config file nests settings by path:

\`\`\`yaml
port: 8443
publicUrl: https://tianshu.example.gov.cn:8443
databaseUrl: postgres://tianshu:secret@db.example:5432/tianshu
clickhouseUrl: http://clickhouse.example:8123
tls:
  certFile: /etc/tianshu/tls/server.crt
  keyFile: /etc/tianshu/tls/server.key
auth:
  sessionTtlHours: 8
retention:
  rawDays: 14
\`\`\`

### Showing the effective configuration

\`tianshu --print-config\` (with the same \`--config\` and environment as the real start) prints the
merged configuration as JSON and exits. \`adminPassword\` and \`clickhousePassword\` are shown as \`***\`,
and so is the password inside \`databaseUrl\`. \`tianshu embedded --print-config\` shows the demo
inventory file that the \`embedded\` command adds.`,

    `### Settings

${settingsTable()}

Other environment variables the control plane reads:

${OTHER_ENV.map((e) => `- ${code(e.env)}: ${e.description}`).join('\n')}`,

    `### Embedded and scaled stores

Each of the two stores has an embedded twin of its production engine, chosen by whether a URL is set:

| store | \`TIANSHU_DATABASE_URL\` / \`TIANSHU_CLICKHOUSE_URL\` unset | set |
|---|---|---|
| state (PostgreSQL SQL) | PGlite in \`<dataDir>/state\` | the PostgreSQL server at \`databaseUrl\` |
| telemetry (ClickHouse SQL) | chDB in \`<dataDir>/telemetry\` | the ClickHouse server at \`clickhouseUrl\` (HTTP interface), with \`clickhouseUser\`, \`clickhousePassword\`, \`clickhouseDatabase\` |

The two choices are independent. Embedded stores belong to one process: run several replicas only
with both URLs set. Both stores migrate themselves at start; PostgreSQL migrations run under an
advisory lock, and the ClickHouse DDL is idempotent, so replicas may start together.

\`tianshu embedded\` is \`serve\` plus conveniences, each on its own switch. When \`inventoryFile\` is unset it
loads the demo province (\`control-plane/inventory/demo-province.yaml\`, with its lab SNMP credentials). Then,
as children of a supervisor (restarted with back-off, listed with their state and last exit reason at
\`GET /api/v1/system/processes\` and on the console's agents page):

- \`embedded.hostAgent\`: a host agent for the machine, enrolled automatically (state in \`<dataDir>/agent\`);
- \`embedded.lab\`: the lab (\`tianshu-agent lab\`), one simulated router per inventory device on its
  \`managementAddress\` and \`snmp.port\`, playing \`embedded.labScenario\`. A router whose port another process
  holds moves to the next free port of \`embedded.labPortRange\` (logged with the device, address, port and
  error), and the device's \`snmp.port\` in the inventory follows it (an audited change by the system). When no
  port of the range is free, or an inventory or scenario is invalid, the lab exits with code 2 and is **not**
  restarted: its process entry shows \`stopped\` with that reason until the setting is fixed and the control
  plane restarted. The routers listen on their devices' management addresses: to move them to other
  addresses, change those in the inventory file (\`inventoryFile\`), whose prefixes must hold them;
- \`embedded.edgeAgent\`: an edge agent, enrolled automatically (state in \`<dataDir>/edge-agent\`), polling and
  discovering the inventory's devices. Beside the lab it starts only once the lab listens and the inventory
  knows where, and it is stopped (waiting for the lab) while the lab is down, so it never sends the lab's
  community to another process on a port the lab left. With \`embedded.lab\` false it runs on its own and polls
  whatever devices the inventory has; with \`embedded.edgeAgent\` false the lab runs unpolled (for an edge
  agent of your own).`,

    `### TLS

With both \`tls.certFile\` and \`tls.keyFile\` set (PEM files, read at start) the server speaks HTTPS on
\`port\`; with only one of them set it speaks plain HTTP. The session cookie gets the \`Secure\` flag when
\`auth.cookieSecure\` is \`always\`, or \`auto\` and a certificate is configured; behind a proxy that
terminates TLS, set it to \`always\`.

Agents always verify the server certificate. For a certificate from a private CA, give the agent the
CA certificate with \`--ca FILE\` (or \`TIANSHU_AGENT_CA_FILE\`) at enrolment; the path is recorded in
\`identity.json\` and used by \`run\`.`,

    `## Agent

The agent does not read the control plane's settings. Its own are merged from defaults, then
\`TIANSHU_AGENT_*\` environment variables (and \`TIANSHU_PROC_ROOT\`), then command-line flags;
\`tianshu-agent --print-config\` prints the result with the token masked. What the agent does
(heartbeat period, collection interval, batch size, flush period) comes from the config the control
plane hands out (the \`fleet.*\` settings above) and is cached in \`<stateDir>/config.json\`.

${agentTable()}`,
  ];
  return sections.join('\n\n') + '\n';
}
