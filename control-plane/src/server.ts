import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { openStateStore, type StateStore } from './store/state/index.js';
import { createTelemetryStore, type TelemetryStore } from './store/telemetry/index.js';
import { PolicyStore } from './policies/index.js';
import { AuditLog } from './auth/audit.js';
import { AuthService } from './auth/service.js';
import { systemIdentity } from './auth/identity.js';
import { OrgUnitService } from './inventory/org-units.js';
import { applyInventory, loadInventoryFile } from './inventory/file.js';
import { createInventory } from './inventory/inventory.js';
import { FleetService } from './fleet/service.js';
import { IngestService } from './ingest/service.js';
import { DefaultAlarmService } from './alerting/index.js';
import {
  NetworkService,
  SecretBox,
  SnmpCredentialService,
  loadCredentialsFile,
  loadSecretKey,
  unavailableSealer,
  type Sealer,
} from './network/index.js';
import { Metrics } from './observability/metrics.js';
import { startTracing } from './observability/tracing.js';
import { buildApp, type BuiltApp } from './api/app.js';
import { Scheduler } from './scheduler/scheduler.js';
import type { Services } from './services.js';
import type { ProcessTable } from './embedded/supervisor.js';
import { VERSION } from './version.js';

export interface ControlPlane {
  services: Services;
  built: BuiltApp;
  /** Base URL the server listens on (after `listen`). */
  url: string;
  /** Password generated for `admin` at first start (undefined when given or already set). */
  generatedAdminPassword: string | undefined;
  listen(): Promise<string>;
  stop(): Promise<void>;
}

export interface CreateOptions {
  config: Config;
  log?: Logger;
  consoleDir?: string | undefined;
  /** Child processes this process supervises (embedded mode), shown to operators. */
  processes?: ProcessTable;
  /** Injected stores (tests); otherwise opened from the config. */
  db?: StateStore;
  telemetry?: TelemetryStore;
}

/**
 * Opens the stores, applies migrations, loads policies and the inventory file, creates the first
 * admin, and assembles the services and the HTTP app. `listen()` starts serving.
 */
export async function createControlPlane(opts: CreateOptions): Promise<ControlPlane> {
  const { config } = opts;
  const log = opts.log ?? createLogger(config.logLevel);
  const tracing = await startTracing({
    endpoint: config.otel.endpoint,
    serviceName: config.otel.serviceName,
    version: VERSION,
  });
  const policies = PolicyStore.load(config.policiesDir, log);
  // The key sealing SNMP credentials. Without one (a server database and no secretKey) the control
  // plane refuses to start when it must load credentials; otherwise it starts, says so, and every
  // credential use fails with the same reason.
  let secretBox: Sealer;
  try {
    secretBox = new SecretBox(loadSecretKey(config));
  } catch (err) {
    if (config.snmpCredentialsFile) throw err;
    log.warn({ reason: (err as Error).message }, 'snmp credentials are unavailable');
    secretBox = unavailableSealer((err as Error).message);
  }
  const db = opts.db ?? (await openStateStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  let telemetry: TelemetryStore | undefined;
  try {
    await db.migrate();
    telemetry =
      opts.telemetry ??
      (await createTelemetryStore(
        config.clickhouseUrl
          ? {
              kind: 'clickhouse',
              url: config.clickhouseUrl,
              username: config.clickhouseUser,
              password: config.clickhousePassword,
              database: config.clickhouseDatabase,
            }
          : { kind: 'chdb', dataDir: config.dataDir },
        config.retention,
      ));
    await telemetry.migrate();
  } catch (err) {
    await telemetry?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw err;
  }
  const metrics = new Metrics();
  // The audit log and the org-unit service need each other; each reaches the other only when called.
  const audit: AuditLog = new AuditLog(db, (id, tx) => orgUnits.pathOf(id, tx));
  const orgUnits: OrgUnitService = new OrgUnitService(db, () => audit);
  const auth = new AuthService({ db, policies, audit, orgUnits, config: config.auth, log });
  const fleet = new FleetService({
    db,
    audit,
    orgUnits,
    config: config.fleet,
    edgeConfig: (agent) => network.edgeConfigFor(agent),
  });
  const ingest = new IngestService({
    db,
    telemetry,
    fleet,
    metrics,
    network: {
      prepare: (agent, payloads) => network.prepare(agent, payloads),
      storePoll: (batch, poll, token) => network.storePoll(batch, poll, token),
      apply: (batch) => network.apply(batch),
    },
  });
  const inventory = createInventory({ db, audit, orgUnits });
  const alarms = new DefaultAlarmService({
    db,
    orgUnits,
    audit,
    notifications: () => policies.get('notifications.yaml'),
    metrics,
    log,
    externalUrl: config.publicUrl,
    userAgent: `Tianshu/${VERSION}`,
  });
  const snmpCredentials = new SnmpCredentialService({ db, audit, orgUnits, box: secretBox });
  const network: NetworkService = new NetworkService({
    db,
    telemetry,
    audit,
    orgUnits,
    inventory,
    credentials: snmpCredentials,
    policy: () => policies.get('network.yaml'),
    alarms,
    settings: config.network,
    log,
  });

  const system = systemIdentity();
  // Replicas starting together on an empty database take turns: the first loads the inventory and
  // creates the root and the admin, the others find them there.
  const generatedAdminPassword = await db.withLock('bootstrap', async () => {
    if (config.inventoryFile) {
      const inv = loadInventoryFile(config.inventoryFile);
      const r = await applyInventory(db, orgUnits, system, inv, { inventory, source: config.inventoryFile });
      if (r.created || r.updated) log.info({ file: config.inventoryFile, ...r }, 'inventory loaded');
    }
    if (config.snmpCredentialsFile) {
      const creds = loadCredentialsFile(config.snmpCredentialsFile);
      const r = await snmpCredentials.applyFile(system, creds);
      if (r.created || r.updated)
        log.info({ file: config.snmpCredentialsFile, ...r }, 'snmp credentials loaded');
    }
    let root = await orgUnits.root();
    if (!root) {
      await orgUnits.create(system, { id: 'province', level: 'province', name: 'Province' });
      root = (await orgUnits.root())!;
    }
    return auth.ensureAdmin(system, root.id, config.adminPassword);
  });

  const services: Services = {
    version: VERSION,
    config,
    log,
    db,
    telemetry,
    metrics,
    policies,
    audit,
    orgUnits,
    inventory,
    auth,
    fleet,
    ingest,
    alarms,
    network,
    snmpCredentials,
    consoleDir: opts.consoleDir,
    processes: opts.processes,
  };
  const built = buildApp(services);
  policies.watch();

  const scheduler = new Scheduler(db, log);
  scheduler.every('auth.sweep', 300_000, () => auth.sweep());
  scheduler.every('ingest.sweep', 3_600_000, async () => {
    await ingest.sweep(config.fleet.batchRetentionDays);
  });
  scheduler.every('alerting.notify', alarms.config.notifyIntervalMillis, async () => {
    await alarms.deliver();
  });

  let server: ServerType | undefined;
  const cp: ControlPlane = {
    services,
    built,
    url: '',
    generatedAdminPassword,
    listen: () =>
      new Promise<string>((resolve, reject) => {
        const tls = config.tls.certFile && config.tls.keyFile;
        const s = serve(
          {
            fetch: built.app.fetch,
            hostname: config.host,
            port: config.port,
            ...(tls
              ? {
                  createServer: createHttpsServer,
                  serverOptions: {
                    cert: readFileSync(config.tls.certFile!),
                    key: readFileSync(config.tls.keyFile!),
                  },
                }
              : {}),
          },
          (info: AddressInfo) => {
            const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
            cp.url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${info.port}`;
            scheduler.start();
            resolve(cp.url);
          },
        );
        s.once('error', reject);
        server = s;
      }),
    async stop() {
      scheduler.stop();
      policies.close();
      if (server) {
        const srv = server;
        await new Promise<void>((resolve) => {
          srv.close(() => resolve());
          // Long-lived connections (SSE, keep-alive) would hold close() open.
          (srv as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
      }
      await telemetry!.close().catch((err: unknown) => log.warn({ err }, 'closing telemetry store failed'));
      await db.close().catch((err: unknown) => log.warn({ err }, 'closing state store failed'));
      await tracing?.shutdown().catch(() => undefined);
    },
  };
  return cp;
}
