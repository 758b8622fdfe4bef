import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * Typed configuration of the control plane. Every setting has a default; a config file (YAML or JSON,
 * `--config FILE` or `TIANSHU_CONFIG`) overrides defaults, and `TIANSHU_*` environment variables
 * override the file. The variable for a setting is `TIANSHU_` + its path in SCREAMING_SNAKE_CASE:
 * `port` → `TIANSHU_PORT`, `auth.sessionTtlHours` → `TIANSHU_AUTH_SESSION_TTL_HOURS`.
 */
export const ConfigSchema = z
  .object({
    host: z.string().default('0.0.0.0').describe('Address the HTTP server listens on.'),
    port: z.number().int().min(0).max(65535).default(8080).describe('HTTP(S) port.'),
    publicUrl: z
      .string()
      .url()
      .optional()
      .describe('URL agents and browsers use to reach the control plane; printed at start.'),
    dataDir: z
      .string()
      .default('./data')
      .describe('Directory of the embedded stores (PGlite state, chDB telemetry) and agent state.'),
    databaseUrl: z
      .string()
      .optional()
      .describe('PostgreSQL URL of the state store. Unset: embedded PGlite under dataDir/state.'),
    clickhouseUrl: z
      .string()
      .url()
      .optional()
      .describe('ClickHouse HTTP URL of the telemetry store. Unset: embedded chDB under dataDir/telemetry.'),
    clickhouseUser: z.string().default('default').describe('ClickHouse user.'),
    clickhousePassword: z.string().default('').describe('ClickHouse password.'),
    clickhouseDatabase: z.string().default('default').describe('ClickHouse database.'),
    adminPassword: z
      .string()
      .min(12, 'admin password must have at least 12 characters')
      .optional()
      .describe('Password of the first user `admin`; when unset one is generated and printed once.'),
    policiesDir: z.string().default('./policies').describe('Directory of the policy files.'),
    trustProxy: z
      .boolean()
      .default(false)
      .describe(
        'Take the client address from X-Forwarded-For (last hop) — only behind a load balancer that sets it.',
      ),
    inventoryFile: z
      .string()
      .optional()
      .describe(
        'YAML inventory loaded (created or updated) at start. Embedded mode defaults to the demo province.',
      ),
    snmpCredentialsFile: z
      .string()
      .optional()
      .describe(
        'YAML file of SNMP credentials loaded (created or updated) at start, for the embedded lab; secrets are stored encrypted.',
      ),
    cloudConnectionsFile: z
      .string()
      .optional()
      .describe(
        'YAML file of cloud connections (endpoint, settings, secrets) and entered capacity loaded at start after the inventory file, for the simulated province; secrets are stored encrypted.',
      ),
    secretKey: z
      .string()
      .optional()
      .describe(
        'Key (64 hex digits or base64 of 32 bytes) encrypting stored secrets such as SNMP credentials. Unset: generated once into dataDir/secret.key in embedded mode; required with databaseUrl.',
      ),
    logLevel: z
      .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
      .default('info')
      .describe('Log level.'),
    tls: z
      .object({
        certFile: z.string().optional().describe('PEM certificate; with keyFile the server speaks HTTPS.'),
        keyFile: z.string().optional().describe('PEM private key.'),
      })
      .strict()
      .default({}),
    limits: z
      .object({
        bodyBytes: z.number().int().min(1024).default(1_048_576).describe('Largest API request body.'),
        reportBodyBytes: z
          .number()
          .int()
          .min(1024)
          .default(64 * 1_048_576)
          .describe('Largest agent report body (after gzip decoding).'),
      })
      .strict()
      .default({ bodyBytes: 1_048_576, reportBodyBytes: 64 * 1_048_576 }),
    auth: z
      .object({
        sessionTtlHours: z.number().min(0.1).max(720).default(12).describe('Console session lifetime.'),
        cookieSecure: z
          .enum(['auto', 'always', 'never'])
          .default('auto')
          .describe('Secure flag on the session cookie; auto = when serving HTTPS.'),
        loginWindowSeconds: z
          .number()
          .int()
          .min(1)
          .max(86_400)
          .default(900)
          .describe('Window counting failed logins; a key without a failure for this long starts afresh.'),
        loginFreeFailures: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(3)
          .describe(
            'Failed logins per username and source address before each further attempt must wait (429 with Retry-After).',
          ),
        loginDelayMaxSeconds: z
          .number()
          .int()
          .min(1)
          .max(86_400)
          .default(300)
          .describe('Longest wait between attempts for one username and address; the wait doubles from 1 s.'),
        loginUserLockFailures: z
          .number()
          .int()
          .min(1)
          .max(100_000)
          .default(50)
          .describe(
            'Failed logins for one username, from any address, within the window that lock the username.',
          ),
        loginLockoutSeconds: z
          .number()
          .int()
          .min(1)
          .max(604_800)
          .default(900)
          .describe(
            'How long a locked username or address stays locked; the owner clears a username lock with password and one-time code, an admin with POST /api/v1/users/{id}/unlock.',
          ),
        loginAddressMaxFailures: z
          .number()
          .int()
          .min(1)
          .max(1_000_000)
          .default(200)
          .describe(
            'Failed logins from one source address, for any usernames, within the window before the address is refused for loginLockoutSeconds.',
          ),
        totpIssuer: z
          .string()
          .min(1)
          .max(64)
          .regex(/^[^:]+$/, 'the issuer cannot contain ":"')
          .default('Tianshu')
          .describe('Issuer that authenticator apps show for a TOTP second factor.'),
      })
      .strict()
      .default({
        sessionTtlHours: 12,
        cookieSecure: 'auto',
        loginWindowSeconds: 900,
        loginFreeFailures: 3,
        loginDelayMaxSeconds: 300,
        loginUserLockFailures: 50,
        loginLockoutSeconds: 900,
        loginAddressMaxFailures: 200,
        totpIssuer: 'Tianshu',
      }),
    fleet: z
      .object({
        heartbeatIntervalSeconds: z.number().int().min(1).default(30).describe('Agent heartbeat period.'),
        hostIntervalSeconds: z.number().int().min(1).default(15).describe('Host metric collection period.'),
        maxSamplesPerBatch: z.number().int().min(1).default(50_000).describe('Samples per report batch.'),
        flushIntervalSeconds: z.number().int().min(1).default(15).describe('Agent batch flush period.'),
        staleAfterSeconds: z
          .number()
          .int()
          .min(1)
          .default(90)
          .describe('An agent silent this long is stale; three times this, offline.'),
        batchRetentionDays: z
          .number()
          .int()
          .min(1)
          .default(30)
          .describe('How long batch ids are remembered for idempotency.'),
      })
      .strict()
      .default({
        heartbeatIntervalSeconds: 30,
        hostIntervalSeconds: 15,
        maxSamplesPerBatch: 50_000,
        flushIntervalSeconds: 15,
        staleAfterSeconds: 90,
        batchRetentionDays: 30,
      }),
    retention: z
      .object({
        rawDays: z.number().int().min(1).default(30).describe('Raw telemetry retention.'),
        minuteDays: z.number().int().min(1).default(180).describe('1-minute roll-up retention.'),
        hourDays: z.number().int().min(1).default(730).describe('1-hour roll-up retention.'),
      })
      .strict()
      .default({ rawDays: 30, minuteDays: 180, hourDays: 730 }),
    metrics: z
      .object({
        public: z
          .boolean()
          .default(false)
          .describe('Serve /metrics without authentication (for a scraper on a trusted network).'),
      })
      .strict()
      .default({ public: false }),
    otel: z
      .object({
        endpoint: z
          .string()
          .url()
          .optional()
          .describe('OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces; unset = no tracing.'),
        serviceName: z.string().default('tianshu-control-plane').describe('service.name of traces.'),
      })
      .strict()
      .default({ serviceName: 'tianshu-control-plane' }),
    network: z
      .object({
        pollIntervalSeconds: z
          .number()
          .int()
          .min(5)
          .max(3600)
          .default(30)
          .describe('How often edge agents poll each device (interfaces, status, counters).'),
        discoveryIntervalSeconds: z
          .number()
          .int()
          .min(60)
          .max(86_400)
          .default(3600)
          .describe('How often edge agents run discovery (system, interfaces, LLDP neighbours).'),
        concurrency: z
          .number()
          .int()
          .min(1)
          .max(1024)
          .default(64)
          .describe('Devices one edge agent polls at the same time.'),
      })
      .strict()
      .default({ pollIntervalSeconds: 30, discoveryIntervalSeconds: 3600, concurrency: 64 }),
    flows: z
      .object({
        netflowPort: z
          .number()
          .int()
          .min(0)
          .max(65_535)
          .optional()
          .describe(
            "UDP port edge agents' collectors receive NetFlow v5/v9 and IPFIX on (0 = off). Unset: the flows policy's collector.netflowPort (2055).",
          ),
        sflowPort: z
          .number()
          .int()
          .min(0)
          .max(65_535)
          .optional()
          .describe(
            "UDP port edge agents' collectors receive sFlow v5 on (0 = off). Unset: the flows policy's collector.sflowPort (6343).",
          ),
        bindAddress: z
          .string()
          .regex(/^[0-9A-Fa-f:.]{2,45}$/, 'must be an IPv4 or IPv6 address')
          .optional()
          .describe(
            "Address edge agents' flow collectors bind. Unset: the flows policy's collector.bindAddress (embedded: 127.0.0.1).",
          ),
      })
      .strict()
      .default({}),
    security: z
      .object({
        syslogPort: z
          .number()
          .int()
          .min(1)
          .max(65_535)
          .optional()
          .describe(
            "Port (UDP and TCP) of a syslog listener every edge agent gets besides the security policy's collectors. Unset: none (embedded mode with an edge agent: a free loopback port).",
          ),
        cefPort: z
          .number()
          .int()
          .min(1)
          .max(65_535)
          .optional()
          .describe(
            "TCP port of a CEF listener of the control plane itself besides the security policy's listeners. Unset: none (embedded mode: a free loopback port).",
          ),
        evePort: z
          .number()
          .int()
          .min(1)
          .max(65_535)
          .optional()
          .describe(
            "TCP port of a Suricata EVE (NDJSON) listener of the control plane itself besides the security policy's listeners. Unset: none (embedded mode: a free loopback port).",
          ),
        bindAddress: z
          .string()
          .regex(/^[0-9A-Fa-f:.]{2,45}$/, 'must be an IPv4 or IPv6 address')
          .optional()
          .describe(
            'Address the listeners of security.syslogPort, cefPort and evePort bind. Unset: 127.0.0.1.',
          ),
      })
      .strict()
      .default({}),
    storage: z
      .object({
        minFreeMegabytes: z
          .number()
          .min(0)
          .default(64)
          .describe(
            'Free space (MiB) below which an embedded store (PGlite, chDB under dataDir) counts as full: /readyz turns unready and the storage-full alarm fires. 0 turns the check off.',
          ),
        checkIntervalSeconds: z
          .number()
          .int()
          .min(1)
          .max(3600)
          .default(10)
          .describe(
            'How often free space is checked and, while a store is full, a small write is tried to see whether space has returned.',
          ),
      })
      .strict()
      .default({ minFreeMegabytes: 64, checkIntervalSeconds: 10 }),
    shutdownGraceSeconds: z
      .number()
      .min(0)
      .max(600)
      .default(10)
      .describe(
        'On SIGTERM: /readyz turns unready at once and new connections are refused; requests in flight get this long to finish before their connections are closed.',
      ),
    embedded: z
      .object({
        hostAgent: z
          .boolean()
          .default(true)
          .describe('In embedded mode, run a host agent for this machine, enrolled automatically.'),
        lab: z
          .boolean()
          .default(true)
          .describe(
            "In embedded mode, run the lab: simulated routers of the inventory's devices answering SNMP, each on its device's managementAddress (the demo province's 127.0.x.x loopback addresses).",
          ),
        edgeAgent: z
          .boolean()
          .default(true)
          .describe(
            "In embedded mode, run an edge agent, enrolled automatically, polling and discovering the inventory's devices. Beside the lab it starts once the lab listens and the devices' ports follow it; without the lab it polls whatever devices the inventory has.",
          ),
        clouds: z
          .boolean()
          .default(true)
          .describe(
            'In embedded mode with the demo province, run its simulated clouds in process on free loopback ports (a fake OpenStack for the provincial cloud, fake Kubernetes API servers for two city clouds) and load their connections, so the quota pages show real data.',
          ),
        labScenario: z
          .string()
          .optional()
          .describe(
            'Scenario file of the embedded lab; default agents/lab/scenarios/demo.yaml (failures on a timeline).',
          ),
        labPortRange: z
          .string()
          .regex(/^\d{1,5}-\d{1,5}$/, 'a port range is FIRST-LAST, e.g. 16100-16199')
          .refine((r) => {
            const [a, b] = r.split('-').map(Number) as [number, number];
            return a >= 1 && b <= 65535 && a <= b;
          }, 'a port range is FIRST-LAST with 1 ≤ FIRST ≤ LAST ≤ 65535')
          .default('16100-16199')
          .describe(
            "UDP ports the embedded lab's routers may use. A router whose port (its device's snmp.port) is taken by another process moves to the next free port of the range, on its own address, logging the device, address, port and error; the device's snmp.port in the inventory follows it (audited). When no port of the range is free the lab stops with that error and is not restarted (see GET /api/v1/system/processes). One port (e.g. 16100-16100) means never move.",
          ),
      })
      .strict()
      .default({ hostAgent: true, lab: true, edgeAgent: true, clouds: true, labPortRange: '16100-16199' }),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (Boolean(c.tls.certFile) !== Boolean(c.tls.keyFile)) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message:
          'tls.certFile and tls.keyFile must be set together (TIANSHU_TLS_CERT_FILE, TIANSHU_TLS_KEY_FILE)',
      });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

interface ZodLike {
  def: { type: string; innerType?: ZodLike; shape?: Record<string, ZodLike> };
  shape?: Record<string, ZodLike>;
  description?: string;
}

function unwrap(s: ZodLike): ZodLike {
  let cur = s;
  while (cur.def.type === 'default' || cur.def.type === 'optional') cur = cur.def.innerType as ZodLike;
  return cur;
}

export interface SettingDoc {
  path: string;
  env: string;
  type: string;
  default: unknown;
  description: string;
}

/** Every leaf setting with its env var, type, default and description (for docs and tests). */
export function describeSettings(): SettingDoc[] {
  const out: SettingDoc[] = [];
  const defaults = ConfigSchema.parse({}) as Record<string, unknown>;
  const walk = (shape: Record<string, ZodLike>, prefix: string[], defs: Record<string, unknown>) => {
    for (const [key, schema] of Object.entries(shape)) {
      const inner = unwrap(schema);
      const path = [...prefix, key];
      if (inner.def.type === 'object' && inner.shape) {
        walk(inner.shape, path, (defs[key] as Record<string, unknown>) ?? {});
        continue;
      }
      out.push({
        path: path.join('.'),
        env: envName(path),
        type: inner.def.type,
        default: defs[key],
        description: schema.description ?? inner.description ?? '',
      });
    }
  };
  walk(ConfigSchema.shape as unknown as Record<string, ZodLike>, [], defaults);
  return out;
}

function envName(path: string[]): string {
  return 'TIANSHU_' + path.map(snake).join('_');
}

function coerce(raw: string, schema: ZodLike, env: string): unknown {
  const t = unwrap(schema).def.type;
  if (t === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n))
      throw new ConfigError(`${env} must be a number, got "${raw}"`);
    return n;
  }
  if (t === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`${env} must be true or false, got "${raw}"`);
  }
  return raw;
}

function overlayEnv(
  target: Record<string, unknown>,
  shape: Record<string, ZodLike>,
  prefix: string[],
  env: NodeJS.ProcessEnv,
): void {
  for (const [key, schema] of Object.entries(shape)) {
    const inner = unwrap(schema);
    const path = [...prefix, key];
    if (inner.def.type === 'object' && inner.shape) {
      const sub = (target[key] ?? {}) as Record<string, unknown>;
      overlayEnv(sub, inner.shape, path, env);
      if (Object.keys(sub).length > 0) target[key] = sub;
      continue;
    }
    const name = envName(path);
    const raw = env[name];
    if (raw !== undefined && raw !== '') target[key] = coerce(raw, schema, name);
  }
}

export interface LoadConfigOptions {
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  overrides?: Record<string, unknown>;
}

/** Loads defaults ← file ← environment ← overrides, validated; throws ConfigError naming the problem. */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.TIANSHU_CONFIG;
  let base: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(resolve(file), 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (err) {
      throw new ConfigError(`config file ${file} is not valid YAML: ${(err as Error).message}`);
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new ConfigError(`config file ${file} must hold a mapping of settings`);
      }
      base = parsed as Record<string, unknown>;
    }
  }
  overlayEnv(base, ConfigSchema.shape as unknown as Record<string, ZodLike>, [], env);
  const merged = deepMerge(base, opts.overrides ?? {});
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  return result.data;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    if (
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      cur &&
      typeof cur === 'object' &&
      !Array.isArray(cur)
    ) {
      out[k] = deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else if (v !== undefined) {
      out[k] = v;
    }
  }
  return out;
}

/** The effective configuration with secrets masked, for `--print-config`. */
export function redactConfig(config: Config): Record<string, unknown> {
  const copy = structuredClone(config) as Record<string, unknown>;
  if (copy.adminPassword) copy.adminPassword = '***';
  if (copy.clickhousePassword) copy.clickhousePassword = '***';
  if (copy.secretKey) copy.secretKey = '***';
  if (typeof copy.databaseUrl === 'string') copy.databaseUrl = copy.databaseUrl.replace(/:[^:@/]+@/, ':***@');
  return copy;
}
