import { readFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { AgentConfig, HeartbeatResponse, countSamples, paths } from '@tianshu/protocol';
import type { HeartbeatRequest, AgentRole } from '@tianshu/protocol';
import type { AgentSettingsInput } from './config.js';
import { defaultAgentConfig, parseSettings } from './config.js';
import { loadIdentity } from './identity.js';
import type { Identity } from './identity.js';
import { sanitiseHostname } from './enrol.js';
import { agentVersion } from './version.js';
import { HttpClient, HttpStatusError } from './runtime/client.js';
import { DiskQueue } from './runtime/queue.js';
import type { DiskQueueStats } from './runtime/queue.js';
import { Transport, looksLikeBatch } from './runtime/transport.js';
import type { TransportStats } from './runtime/transport.js';
import { PeriodicRunner } from './runtime/runner.js';
import { AgentMetrics, startMetricsServer } from './runtime/metrics.js';
import { Backoff } from './runtime/backoff.js';
import { writeFileAtomic } from './runtime/fs-atomic.js';
import { openStateDir } from './runtime/state-dir.js';
import type { Logger } from './runtime/logger.js';
import { createJsonLogger, errorFields } from './runtime/logger.js';
import type { HostCollectorDeps } from './host/collector.js';
import type { EdgeStats } from './roles/edge.js';
import type { FlowCollectorSeams, SecurityCollectorSeams } from './roles/contract.js';
import type { SnmpSessionFactory } from './edge/snmp-client.js';
import { roleDefinition, type RoleContext, type RunningRole } from './roles/index.js';

/** Options of {@link startAgent}: local settings plus what an embedding program may inject. */
export interface StartAgentOptions extends AgentSettingsInput {
  /** Identity to use instead of `stateDir/identity.json`. */
  identity?: Identity;
  logger?: Logger;
  /** Host name reported in payloads; the sanitised machine name by default. */
  hostname?: string;
  /** Smallest delay between send retries; 1 s by default (tests shorten it). */
  retryInitialMillis?: number;
  /** Replaces file and statfs access of the host collector (tests). */
  hostDeps?: Partial<HostCollectorDeps>;
  /** Replaces the net-snmp sessions of the edge role (tests). */
  snmpSessionFactory?: SnmpSessionFactory;
  /** Settings of the edge role's flow collector: worker threads, worker script (tests), tunables. */
  flowCollector?: FlowCollectorSeams;
  /** Settings of the edge role's security collector: flush interval, caps, receiver limits (tests). */
  securityCollector?: SecurityCollectorSeams;
}

/** A snapshot of a running agent. */
export interface AgentStats {
  agentId: string;
  version: string;
  roles: AgentRole[];
  uptimeSeconds: number;
  configVersion: string;
  queue: DiskQueueStats;
  transport: TransportStats;
  samplesCollected: number;
  collections: number;
  collectorErrors: number;
  heartbeats: { ok: number; failed: number; lastOkAt: string | undefined };
  metricsAddress: { host: string; port: number } | undefined;
  /** Present when the agent has the edge role (with `flows` when it collects flows). */
  edge?: EdgeStats;
}

/** A running agent. */
export interface RunningAgent {
  /** Stops timers, writes samples still in memory to the queue and closes everything. */
  stop(): Promise<void>;
  stats(): AgentStats;
}

const configCacheFile = 'config.json';

/** Starts an enrolled agent: heartbeat and config pull, the roles' collectors, the transport. */
export async function startAgent(options: StartAgentOptions = {}): Promise<RunningAgent> {
  const {
    identity: givenIdentity,
    logger,
    hostname,
    retryInitialMillis,
    hostDeps,
    snmpSessionFactory,
    flowCollector,
    securityCollector,
    ...rest
  } = options;
  const settings = parseSettings(rest);
  const log = logger ?? createJsonLogger({ level: settings.logLevel });
  const identity = givenIdentity ?? (await loadIdentity(settings.stateDir));
  if (!identity) {
    throw new Error(
      `agent is not enrolled: no identity in ${settings.stateDir}; run "tianshu-agent enrol" first`,
    );
  }
  const caFile = settings.caFile ?? identity.caFile;
  let ca: Buffer | undefined;
  if (caFile) {
    try {
      ca = await readFile(caFile);
    } catch (err) {
      throw new Error(`cannot read ca file ${caFile}: ${(err as Error).message}`);
    }
  }
  const startedAt = Date.now();
  const alog = log.child({ agentId: identity.agentId });
  const host = sanitiseHostname(hostname ?? osHostname());
  const client = new HttpClient({
    baseUrl: identity.serverUrl,
    ...(ca ? { ca } : {}),
    agentId: identity.agentId,
    credential: identity.credential,
    timeoutMillis: settings.requestTimeoutSeconds * 1000,
    userAgent: `tianshu-agent/${agentVersion}`,
  });
  const metrics = new AgentMetrics();
  // One agent per state directory: a second one would reuse sequence numbers and queue files.
  const stateLock = await openStateDir(settings.stateDir, {
    onStale: (h) => alog.warn('took over the lock of an agent that is gone', { pid: h?.pid }),
  });
  let queue: DiskQueue;
  try {
    queue = await DiskQueue.open({
      dir: join(settings.stateDir, 'queue'),
      maxBytes: settings.queueMaxBytes,
      maxBatches: settings.queueMaxBatches,
      validate: looksLikeBatch,
      logger: alog,
    });
  } catch (err) {
    await stateLock.release();
    throw err;
  }
  metrics.observeQueue(() => queue.stats());
  queue.onDrop((n, reason) => metrics.batchesDropped.inc({ reason }, n));

  let config = (await loadCachedConfig(settings.stateDir, alog)) ?? defaultAgentConfig(settings);
  const transport = new Transport({
    agentId: identity.agentId,
    client,
    queue,
    maxSamplesPerBatch: config.report.maxSamplesPerBatch,
    flushIntervalMillis: config.report.flushIntervalSeconds * 1000,
    retryInitialMillis: retryInitialMillis ?? 1000,
    retryMaxMillis: settings.retryMaxSeconds * 1000,
    requestTimeoutMillis: settings.requestTimeoutSeconds * 1000,
    metrics,
    logger: alog,
  });

  const counters = { samples: 0, collections: 0, collectorErrors: 0 };
  const heartbeats = { ok: 0, failed: 0, lastOkAt: undefined as string | undefined };
  const onRunnerError = (err: unknown, name: string): void => {
    metrics.runnerFailures.inc({ runner: name });
    alog.warn('periodic task failed', { runner: name, ...errorFields(err) });
  };
  const onSkip = (name: string): void => {
    metrics.runnerSkips.inc({ runner: name });
    alog.warn('previous cycle still running, skipping this one', { runner: name });
  };

  // The roles the agent was enrolled with (see roles/): each follows its section of the config.
  const roles: { name: AgentRole; running: RunningRole }[] = [];
  const roleContext = (name: AgentRole): RoleContext => ({
    settings,
    log: alog,
    metrics,
    host,
    inject: { hostDeps, snmpSessionFactory, flowCollector, securityCollector },
    queuePressure: () => {
      const q = queue.stats();
      return (
        q.pendingBatches >= settings.queueMaxBatches * 0.9 || q.pendingBytes >= settings.queueMaxBytes * 0.9
      );
    },
    onRunnerError,
    onSkip,
    collectorErrors: (collector, source, count, err) => {
      counters.collectorErrors += count;
      metrics.collectorErrors.inc({ collector, source }, count);
      alog.debug('collector problem', { collector, source, count, ...(err ? errorFields(err) : {}) });
    },
    report: (payload) => {
      const n = countSamples({ payloads: [payload] });
      counters.samples += n;
      counters.collections += 1;
      metrics.samplesCollected.inc({ role: name }, n);
      transport.add(payload);
    },
  });
  for (const name of settings.roles) {
    const def = roleDefinition(name);
    if (!def) {
      alog.warn('role is not implemented by this agent build, ignoring it', { role: name });
      continue;
    }
    roles.push({ name, running: def.start(roleContext(name), config) });
  }

  const applyConfig = (next: AgentConfig): void => {
    config = next;
    transport.configure({
      maxSamplesPerBatch: next.report.maxSamplesPerBatch,
      flushIntervalMillis: next.report.flushIntervalSeconds * 1000,
    });
    heartbeatRunner.setIntervalMillis(next.heartbeatIntervalSeconds * 1000);
    for (const r of roles) r.running.apply(next);
  };

  const pullConfig = async (signal: AbortSignal): Promise<void> => {
    const raw = await client.json('GET', paths.config(identity.agentId), undefined, { signal });
    const parsed = AgentConfig.safeParse(raw);
    if (!parsed.success) {
      throw new Error(
        `config from the server does not match the protocol: ${parsed.error.issues[0]?.message}`,
      );
    }
    applyConfig(parsed.data);
    alog.info('config applied', { configVersion: parsed.data.configVersion });
    try {
      // The config holds SNMP communities and keys: private like identity.json.
      await writeFileAtomic(join(settings.stateDir, configCacheFile), JSON.stringify(parsed.data), {
        mode: 0o600,
      });
    } catch (err) {
      alog.warn('cannot cache config', errorFields(err));
    }
  };

  // After a 401 the credential is presumably revoked; heartbeats then back off up to ten minutes.
  const authBackoff = new Backoff({ initialMillis: 30_000, maxMillis: 600_000 });
  let heartbeatPausedUntil = 0;
  const heartbeat = async (signal: AbortSignal): Promise<void> => {
    if (Date.now() < heartbeatPausedUntil) return;
    const q = queue.stats();
    const body: HeartbeatRequest = {
      version: agentVersion,
      uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000),
      queue: {
        pendingBatches: q.pendingBatches,
        pendingBytes: q.pendingBytes,
        droppedBatches: q.droppedBatches,
        droppedReasons: q.droppedReasons,
        ...(q.lastDropAt ? { lastDropAt: q.lastDropAt } : {}),
      },
      ...(config.configVersion ? { configVersion: config.configVersion } : {}),
    };
    let raw: unknown;
    try {
      raw = await client.json('POST', paths.heartbeat(identity.agentId), body, { signal });
    } catch (err) {
      heartbeats.failed += 1;
      if (err instanceof HttpStatusError && err.status === 401) {
        metrics.heartbeatFailures.inc({ reason: 'unauthorized' });
        const wait = authBackoff.next();
        heartbeatPausedUntil = Date.now() + wait;
        alog.error('server refused the agent credential; it may have been revoked, re-enrol the agent', {
          reason: err.message,
          nextAttemptSeconds: Math.round(wait / 1000),
        });
        return;
      }
      metrics.heartbeatFailures.inc({ reason: err instanceof HttpStatusError ? 'status' : 'network' });
      throw err;
    }
    const parsed = HeartbeatResponse.safeParse(raw);
    if (!parsed.success) {
      heartbeats.failed += 1;
      metrics.heartbeatFailures.inc({ reason: 'protocol' });
      throw new Error('heartbeat answer from the server does not match the protocol');
    }
    authBackoff.reset();
    heartbeats.ok += 1;
    heartbeats.lastOkAt = new Date().toISOString();
    if (parsed.data.configVersion !== config.configVersion) await pullConfig(signal);
  };
  const heartbeatRunner: PeriodicRunner = new PeriodicRunner({
    name: 'heartbeat',
    intervalMillis: config.heartbeatIntervalSeconds * 1000,
    timeoutMillis: settings.requestTimeoutSeconds * 2000,
    runOnStart: true,
    onError: onRunnerError,
    onSkip,
    task: heartbeat,
  });

  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  if (settings.metricsListen) {
    metricsServer = await startMetricsServer(metrics, settings.metricsListen, { logger: alog });
  }
  transport.start();
  heartbeatRunner.start();
  for (const r of roles) r.running.apply(config);
  alog.info('agent started', {
    version: agentVersion,
    roles: settings.roles,
    server: identity.serverUrl,
    host,
    queued: queue.stats().pendingBatches,
  });

  let stopping: Promise<void> | undefined;
  return {
    stop: () => {
      stopping ??= (async () => {
        alog.info('agent stopping');
        await Promise.all([...roles.map((r) => r.running.stop()), heartbeatRunner.stop()]);
        await transport.stop();
        await queue.close();
        await metricsServer?.close();
        client.close();
        await stateLock.release();
        alog.info('agent stopped', { queued: queue.stats().pendingBatches });
      })();
      return stopping;
    },
    stats: () => ({
      agentId: identity.agentId,
      version: agentVersion,
      roles: settings.roles,
      uptimeSeconds: (Date.now() - startedAt) / 1000,
      configVersion: config.configVersion,
      queue: queue.stats(),
      transport: transport.stats(),
      samplesCollected: counters.samples,
      collections: counters.collections,
      collectorErrors: counters.collectorErrors,
      heartbeats: { ...heartbeats },
      metricsAddress: metricsServer?.address,
      ...Object.fromEntries(roles.filter((r) => r.running.stats).map((r) => [r.name, r.running.stats!()])),
    }),
  };
}

async function loadCachedConfig(stateDir: string, log: Logger): Promise<AgentConfig | undefined> {
  try {
    const parsed = AgentConfig.safeParse(JSON.parse(await readFile(join(stateDir, configCacheFile), 'utf8')));
    if (parsed.success) return parsed.data;
    log.warn('cached config does not match the protocol, using defaults');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn('cannot read cached config', errorFields(err));
  }
  return undefined;
}
