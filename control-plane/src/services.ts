import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { AlarmService } from './alerting/index.js';
import type { AuditLog } from './auth/audit.js';
import type { AuthService } from './auth/service.js';
import type { FleetService } from './fleet/service.js';
import type { IngestService } from './ingest/service.js';
import type { OrgUnitService } from './inventory/org-units.js';
import type { Inventory } from './inventory/inventory.js';
import type { Metrics } from './observability/metrics.js';
import type { NetworkService, SnmpCredentialService } from './network/index.js';
import type { PolicyStore } from './policies/index.js';
import type { StateStore } from './store/state/index.js';
import type { TelemetryStore } from './store/telemetry/index.js';
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
  /** Operational alarms: the sink modules fire into, scoped reads, acknowledgement, notifications. */
  alarms: AlarmService;
  /** Extranet links: poll assignment, evaluation, views, proposed links. */
  network: NetworkService;
  /** SNMP credentials (secrets sealed at rest, write-only through the API). */
  snmpCredentials: SnmpCredentialService;
  /** Child processes supervised by this process (embedded mode); undefined otherwise. */
  processes?: ProcessTable | undefined;
  /** Directory of the built console (index.html and assets); undefined when not built. */
  consoleDir?: string | undefined;
}
