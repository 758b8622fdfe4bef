/**
 * Alerting: operational alarms and their notification deliveries.
 *
 * An alarm's fingerprint is the SHA-256 of (kind, target type, target id). The partial unique index
 * allows one firing alarm per fingerprint, so `INSERT ... ON CONFLICT` keeps two replicas from
 * opening two; resolved alarms stay as history. Deleting an org unit deletes its alarms with it.
 *
 * `alarm_deliveries` holds one row per (alarm, receiver): what the next notification reports
 * (`event`), whether one is due (`status` 'pending' and `due_at`), and the retry state. A replica
 * claims due rows with `FOR UPDATE SKIP LOCKED` and a lease (`claimed_until`) before sending, so no
 * two replicas send the same notification; `version` counts changes made while a send was in flight.
 */
export const sql = `
CREATE TABLE alarms (
  id bigserial PRIMARY KEY,
  fingerprint text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
  kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9.-]{0,62}$'),
  severity text NOT NULL CHECK (severity IN ('critical', 'major', 'minor', 'warning')),
  state text NOT NULL CHECK (state IN ('firing', 'resolved')),
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
  target_type text NOT NULL CHECK (length(target_type) BETWEEN 1 AND 63),
  target_id text NOT NULL CHECK (length(target_id) BETWEEN 1 AND 200),
  summary text NOT NULL CHECK (length(summary) BETWEEN 1 AND 1000),
  labels jsonb NOT NULL DEFAULT '{}'::jsonb,
  starts_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  ends_at timestamptz,
  acknowledged_at timestamptz,
  acknowledged_by text,
  notified_at timestamptz,
  CHECK ((state = 'resolved') = (ends_at IS NOT NULL))
);
CREATE UNIQUE INDEX alarms_firing_fingerprint_idx ON alarms (fingerprint) WHERE state = 'firing';
CREATE INDEX alarms_org_unit_idx ON alarms (org_unit_id, id DESC);
CREATE INDEX alarms_firing_idx ON alarms (id DESC) WHERE state = 'firing';

CREATE TABLE alarm_deliveries (
  id bigserial PRIMARY KEY,
  alarm_id bigint NOT NULL REFERENCES alarms(id) ON DELETE CASCADE,
  receiver text NOT NULL,
  event text NOT NULL CHECK (event IN ('firing', 'resolved')),
  status text NOT NULL CHECK (status IN ('pending', 'sent', 'done')),
  due_at timestamptz NOT NULL,
  version integer NOT NULL DEFAULT 0,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  last_attempt_at timestamptz,
  sent_at timestamptz,
  claimed_by text,
  claimed_until timestamptz,
  UNIQUE (alarm_id, receiver)
);
CREATE INDEX alarm_deliveries_due_idx ON alarm_deliveries (due_at) WHERE status = 'pending';
CREATE INDEX alarm_deliveries_sent_idx ON alarm_deliveries (sent_at) WHERE status = 'sent';
`;
