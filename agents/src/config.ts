import { z } from 'zod';
import { AgentRole } from '@tianshu/protocol';
import type { AgentConfig } from '@tianshu/protocol';

const MiB = 1024 * 1024;

const roles = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : v,
  z.array(AgentRole).min(1).max(3),
);

/**
 * Local settings of the agent process. Defaults apply first, then `TIANSHU_AGENT_<KEY>` environment
 * variables, then command-line flags. What the agent does (intervals, batch sizes) comes from the
 * config the server hands out; the local interval only applies until the first config arrives.
 */
export const AgentSettings = z
  .object({
    /** Directory for identity.json, the cached config and the queue. */
    stateDir: z.string().min(1).default('/var/lib/tianshu-agent'),
    /** Control-plane URL, used by `enrol`; `run` takes it from identity.json. */
    server: z.string().url().optional(),
    /** One-time bootstrap token, used by `enrol` only. */
    token: z.string().optional(),
    /** PEM file of the CA that signed the server certificate. */
    caFile: z.string().min(1).optional(),
    roles: roles.default(['host']),
    hostIntervalSeconds: z.coerce.number().int().min(1).max(3600).default(15),
    queueMaxBytes: z.coerce
      .number()
      .int()
      .min(64 * 1024)
      .default(64 * MiB),
    queueMaxBatches: z.coerce.number().int().min(1).default(10_000),
    /** `host:port` of the agent's own /metrics and /healthz; off when unset. */
    metricsListen: z.string().min(1).optional(),
    /** Root of the proc filesystem; only tests change it. */
    procRoot: z.string().min(1).default('/proc'),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    requestTimeoutSeconds: z.coerce.number().positive().max(300).default(15),
    /** Largest delay between retries of a batch. */
    retryMaxSeconds: z.coerce.number().positive().max(3600).default(30),
  })
  .strict();
export type AgentSettings = z.infer<typeof AgentSettings>;
export type AgentSettingsInput = z.input<typeof AgentSettings>;

/** Environment variable that sets each setting. */
export const settingsEnv: Record<keyof AgentSettings, string> = {
  stateDir: 'TIANSHU_AGENT_STATE_DIR',
  server: 'TIANSHU_AGENT_SERVER',
  token: 'TIANSHU_AGENT_TOKEN',
  caFile: 'TIANSHU_AGENT_CA_FILE',
  roles: 'TIANSHU_AGENT_ROLES',
  hostIntervalSeconds: 'TIANSHU_AGENT_HOST_INTERVAL_SECONDS',
  queueMaxBytes: 'TIANSHU_AGENT_QUEUE_MAX_BYTES',
  queueMaxBatches: 'TIANSHU_AGENT_QUEUE_MAX_BATCHES',
  metricsListen: 'TIANSHU_AGENT_METRICS_LISTEN',
  procRoot: 'TIANSHU_PROC_ROOT',
  logLevel: 'TIANSHU_AGENT_LOG_LEVEL',
  requestTimeoutSeconds: 'TIANSHU_AGENT_REQUEST_TIMEOUT_SECONDS',
  retryMaxSeconds: 'TIANSHU_AGENT_RETRY_MAX_SECONDS',
};

/** Thrown when settings do not validate; the message names every bad key. */
export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

/** Validates settings, turning zod issues into one readable message. */
export function parseSettings(input: AgentSettingsInput | Record<string, unknown>): AgentSettings {
  const r = AgentSettings.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => {
    const key = i.path.join('.');
    const env = settingsEnv[i.path[0] as keyof AgentSettings];
    return `${key || '(root)'}${env ? ` (${env})` : ''}: ${i.message}`;
  });
  throw new SettingsError(`invalid configuration: ${issues.join('; ')}`);
}

/**
 * Resolves settings from defaults, the environment and explicit values (flags), in that order of
 * increasing precedence. Empty environment variables count as unset.
 */
export function loadSettings(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Record<string, unknown> = {},
): AgentSettings {
  const input: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(settingsEnv)) {
    const v = env[name] ?? (key === 'procRoot' ? env.TIANSHU_AGENT_PROC_ROOT : undefined);
    if (v !== undefined && v !== '') input[key] = v;
  }
  for (const [key, v] of Object.entries(overrides)) if (v !== undefined) input[key] = v;
  return parseSettings(input);
}

/** Settings as printed by `--print-config`: secrets are masked. */
export function printableSettings(s: AgentSettings): Record<string, unknown> {
  return { ...s, ...(s.token !== undefined ? { token: '[redacted]' } : {}) };
}

/** The config the agent follows until the server's config arrives. */
export function defaultAgentConfig(s: Pick<AgentSettings, 'hostIntervalSeconds'>): AgentConfig {
  return {
    configVersion: '',
    heartbeatIntervalSeconds: 30,
    host: { enabled: true, intervalSeconds: s.hostIntervalSeconds },
    report: { maxSamplesPerBatch: 10_000, flushIntervalSeconds: 15 },
  };
}
