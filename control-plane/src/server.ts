import { readFileSync } from 'node:fs';
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
import { createModuleHost } from './modules.js';
import { SecretBox, loadSecretKey, unavailableSealer, type Sealer } from './auth/crypto.js';
import { alarmsRef } from './alerting/module.js';
import { ROLES_POLICY } from './policies/index.js';
import { Metrics } from './observability/metrics.js';
import { startTracing } from './observability/tracing.js';
import { buildApp, type BuiltApp } from './api/app.js';
import { HttpServer, Lifecycle } from './api/http-server.js';
import { StorageHealth, embeddedStorePaths } from './store/storage-health.js';
import { monitorStateStore, monitorTelemetryStore, writeProbes } from './store/monitored.js';
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
  // The modules (see modules.ts): their migrations and policy files are known before anything opens.
  const modules = createModuleHost();
  const policies = PolicyStore.load(config.policiesDir, log, [ROLES_POLICY, ...modules.policyRefs()]);
  // The key sealing secrets at rest (SNMP credentials, TOTP secrets). Without one (a server
  // database and no secretKey) the control plane starts, says so, and every use of a sealed secret
  // fails naming the setting; a module that must load secrets at start refuses to start.
  let sealer: Sealer;
  let sealerProblem: string | undefined;
  try {
    sealer = new SecretBox(loadSecretKey(config));
  } catch (err) {
    sealerProblem = (err as Error).message;
    log.warn({ reason: sealerProblem }, 'sealed secrets are unavailable');
    sealer = unavailableSealer(sealerProblem);
  }
  const storage = new StorageHealth({
    log,
    settings: config.storage,
    paths: embeddedStorePaths(config, opts),
  });
  const db = monitorStateStore(
    opts.db ?? (await openStateStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })),
    storage,
  );
  let telemetry: TelemetryStore | undefined;
  try {
    await db.migrate(modules.stateMigrations());
    telemetry = monitorTelemetryStore(
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
        )),
      storage,
    );
    await telemetry.migrate(modules.telemetryMigrations());
  } catch (err) {
    await telemetry?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw err;
  }
  const metrics = new Metrics();
  // The audit log and the org-unit service need each other; each reaches the other only when called.
  const audit: AuditLog = new AuditLog(db, (id, tx) => orgUnits.pathOf(id, tx));
  const orgUnits: OrgUnitService = new OrgUnitService(db, () => audit);
  const auth = new AuthService({
    db,
    policies,
    audit,
    orgUnits,
    config: config.auth,
    log,
    sealer,
  });
  const fleet = new FleetService({
    db,
    audit,
    orgUnits,
    config: config.fleet,
    sections: (agent) => modules.agentConfig(agent),
  });
  const ingest = new IngestService({ db, fleet, metrics, payloads: modules });
  const inventory = createInventory({ db, audit, orgUnits });
  modules.create({
    config,
    log,
    db,
    telemetry,
    metrics,
    policies,
    audit,
    orgUnits,
    inventory,
    fleet,
    sealer,
    sealerProblem,
  });

  const system = systemIdentity();
  // Replicas starting together on an empty database take turns: the first loads the inventory and
  // creates the root and the admin, the others find them there.
  const generatedAdminPassword = await db.withLock('bootstrap', async () => {
    // Org units first, then the modules' seed files (SNMP credentials are owned by and granted to
    // org units), then the rest of the inventory (devices name credentials).
    const inv = config.inventoryFile ? loadInventoryFile(config.inventoryFile) : undefined;
    if (inv?.orgUnits) await applyInventory(db, orgUnits, system, { version: 1, orgUnits: inv.orgUnits });
    await modules.seed(system);
    if (inv) {
      const r = await applyInventory(db, orgUnits, system, inv, { inventory, source: config.inventoryFile });
      if (r.created || r.updated) log.info({ file: config.inventoryFile, ...r }, 'inventory loaded');
    }
    // Seed files that name the inventory file's records (the quota module's cloud connections).
    await modules.afterInventory(system);
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
    modules,
    storage,
    lifecycle: new Lifecycle(),
    consoleDir: opts.consoleDir,
    processes: opts.processes,
  };
  const built = buildApp(services);
  policies.watch();
  storage.useProbes(writeProbes(db, telemetry));
  storage.useAlarms(modules.use(alarmsRef), async () => (await orgUnits.root())?.id);
  storage.start();

  const scheduler = new Scheduler(db, log);
  scheduler.every('auth.sweep', 300_000, () => auth.sweep());
  scheduler.every('ingest.sweep', 3_600_000, async () => {
    await ingest.sweep(config.fleet.batchRetentionDays);
  });
  for (const job of modules.jobs()) scheduler.every(job.name, job.everyMillis, job.run);

  let server: HttpServer | undefined;
  const cp: ControlPlane = {
    services,
    built,
    url: '',
    generatedAdminPassword,
    async listen() {
      const tls = config.tls.certFile && config.tls.keyFile;
      server = new HttpServer({
        fetch: built.app.fetch,
        hostname: config.host,
        port: config.port,
        tls: tls
          ? { cert: readFileSync(config.tls.certFile!), key: readFileSync(config.tls.keyFile!) }
          : undefined,
        lifecycle: services.lifecycle,
        log,
      });
      const info = await server.listen();
      const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
      cp.url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${info.port}`;
      scheduler.start();
      return cp.url;
    },
    async stop() {
      services.lifecycle.drain();
      scheduler.stop();
      storage.stop();
      await modules.stop().catch((err: unknown) => log.warn({ err }, 'stopping modules failed'));
      policies.close();
      // Requests in flight finish (within the grace period) before the stores close under them.
      await server?.close(config.shutdownGraceSeconds * 1000);
      await telemetry!.close().catch((err: unknown) => log.warn({ err }, 'closing telemetry store failed'));
      await db.close().catch((err: unknown) => log.warn({ err }, 'closing state store failed'));
      await tracing?.shutdown().catch(() => undefined);
    },
  };
  return cp;
}
