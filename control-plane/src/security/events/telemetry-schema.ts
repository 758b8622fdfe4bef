// STUB — replaced by the events part (helper C). Telemetry migrations 20–29 are the security module's.
import type { TelemetryMigration } from '../../store/telemetry/schema.js';

export const SECURITY_TELEMETRY_MIGRATIONS: readonly TelemetryMigration[] = [];
