import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { AuditLog } from './auth/audit.js';
import type { AuthService } from './auth/service.js';
import type { FleetService } from './fleet/service.js';
import type { IngestService } from './ingest/service.js';
import type { OrgUnitService } from './inventory/org-units.js';
import type { Inventory } from './inventory/inventory.js';
import type { Metrics } from './observability/metrics.js';
import type { ModuleHost } from './modules/host.js';
import type { PolicyStore } from './policies/index.js';
import type { StateStore } from './store/state/index.js';
import type { TelemetryStore } from './store/telemetry/index.js';
import type { StorageHealth } from './store/storage-health.js';
import type { Lifecycle } from './api/http-server.js';
import type { ProcessTable } from './embedded/supervisor.js';

/** Everything the API layer needs, passed in (never reached for as globals). */
export interface Services {
  version: string;
  config: Config;
  log: Logger;
  db: StateStore;
  telemetry: TelemetryStore;
  metrics: Metrics;
  policies: PolicyStore;
  audit: AuditLog;
  orgUnits: OrgUnitService;
  /** Sites, devices, interfaces, links, clouds, hosts and dedicated networks. */
  inventory: Inventory;
  auth: AuthService;
  fleet: FleetService;
  ingest: IngestService;
  /**
   * The domain modules (alerting, network, …): their services (`modules.use(alarmsRef)`), routes,
   * payload kinds, agent-config sections, jobs and overview figures.
   */
  modules: ModuleHost;
  /** Whether each store can still write (storage full), for /readyz and the status route. */
  storage: StorageHealth;
  /** Draining at shutdown: /readyz turns unready, SSE streams end. */
  lifecycle: Lifecycle;
  /** Child processes supervised by this process (embedded mode); undefined otherwise. */
  processes?: ProcessTable | undefined;
  /** Directory of the built console (index.html and assets); undefined when not built. */
  consoleDir?: string | undefined;
}
