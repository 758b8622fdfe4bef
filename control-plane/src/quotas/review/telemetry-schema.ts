// STUB — replaced by the utilisation review part (helper F). Telemetry migrations 30–39 are the quota module's.
import type { TelemetryMigration } from '../../store/telemetry/schema.js';

export const QUOTAS_TELEMETRY_MIGRATIONS: readonly TelemetryMigration[] = [];
