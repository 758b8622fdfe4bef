/**
 * Security alerts and incidents (issue 10, part D).
 *
 * `security_alerts`: one row per deduplicated alert. The fingerprint is unique per org unit among
 * the open alerts (`new`, `acknowledged`) and, separately, among the suppressed ones, so a closed
 * alert that fires again opens a new row while its history stays. `org_path` is the alert's org
 * unit's materialized path (scoping is one prefix comparison). The queue is read by keyset on
 * (`last_seen`, `id`) descending; the partial indexes cover the open statuses, which the console
 * shows by default.
 *
 * `security_incidents`: `org_unit_id`/`org_path` is the owner, `handler_org_unit_id` the unit
 * working it (the owner, or a higher unit that took it over), `chain_top_path` the highest unit it
 * was escalated to (or opened by): the incident is visible to the owner's subtree and to the units
 * on the path from the owner up to `chain_top_path`, never to a sibling. `acknowledged_at` is the
 * first move out of `new` (time to acknowledge), `resolved_at` the move to resolved or
 * false-positive (time to resolve).
 *
 * `security_suppressions`: matching alerts are stored with status `suppressed` (kept as evidence)
 * until `expires_at`, which is required.
 */
export const sql = `
CREATE TABLE security_incidents (
  id uuid PRIMARY KEY,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 512),
  description text,
  severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  status text NOT NULL CHECK (status IN ('new', 'triaged', 'investigating', 'contained', 'resolved', 'false-positive')),
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE RESTRICT,
  org_path text NOT NULL,
  handler_org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE RESTRICT,
  chain_top_path text NOT NULL CHECK (starts_with(org_path, chain_top_path)),
  assignee text,
  opened_by text NOT NULL,
  observables jsonb NOT NULL DEFAULT '[]'::jsonb,
  observable_keys text[] NOT NULL DEFAULT '{}',
  attack text[] NOT NULL DEFAULT '{}',
  refs text[] NOT NULL DEFAULT '{}',
  assets text[] NOT NULL DEFAULT '{}',
  alert_count integer NOT NULL DEFAULT 0,
  last_alert_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  resolved_at timestamptz
);
CREATE INDEX security_incidents_path_idx ON security_incidents (org_path text_pattern_ops, updated_at DESC, id DESC);
CREATE INDEX security_incidents_top_idx ON security_incidents (chain_top_path text_pattern_ops);
CREATE INDEX security_incidents_open_idx ON security_incidents (org_unit_id, last_alert_at DESC)
  WHERE status NOT IN ('resolved', 'false-positive');
CREATE INDEX security_incidents_keys_idx ON security_incidents USING gin (observable_keys)
  WHERE status NOT IN ('resolved', 'false-positive');

CREATE TABLE security_alerts (
  id uuid PRIMARY KEY,
  fingerprint text NOT NULL CHECK (length(fingerprint) BETWEEN 1 AND 512),
  source text NOT NULL,
  reference text NOT NULL,
  title text NOT NULL,
  description text,
  severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  attack text[] NOT NULL DEFAULT '{}',
  observables jsonb NOT NULL DEFAULT '[]'::jsonb,
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE RESTRICT,
  org_path text NOT NULL,
  asset_address text,
  status text NOT NULL CHECK (status IN ('new', 'acknowledged', 'closed', 'false-positive', 'suppressed')),
  count bigint NOT NULL CHECK (count >= 1),
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  incident_id uuid REFERENCES security_incidents(id) ON DELETE SET NULL,
  assignee text,
  event_ids text[] NOT NULL DEFAULT '{}',
  evidence jsonb NOT NULL DEFAULT '[]'::jsonb,
  details jsonb,
  suppression_id uuid,
  agent_id text,
  raised_by text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX security_alerts_open_fp_idx ON security_alerts (org_unit_id, fingerprint)
  WHERE status IN ('new', 'acknowledged');
CREATE UNIQUE INDEX security_alerts_suppressed_fp_idx ON security_alerts (org_unit_id, fingerprint)
  WHERE status = 'suppressed';
CREATE INDEX security_alerts_fp_idx ON security_alerts (org_unit_id, fingerprint, last_seen DESC);
CREATE INDEX security_alerts_queue_idx ON security_alerts (last_seen DESC, id DESC);
CREATE INDEX security_alerts_open_queue_idx ON security_alerts (last_seen DESC, id DESC)
  WHERE status IN ('new', 'acknowledged');
CREATE INDEX security_alerts_open_path_idx ON security_alerts (org_path text_pattern_ops, last_seen DESC, id DESC)
  WHERE status IN ('new', 'acknowledged');
CREATE INDEX security_alerts_open_severity_idx ON security_alerts (severity, last_seen DESC, id DESC)
  WHERE status IN ('new', 'acknowledged');
CREATE INDEX security_alerts_incident_idx ON security_alerts (incident_id) WHERE incident_id IS NOT NULL;

CREATE TABLE security_incident_alerts (
  incident_id uuid NOT NULL REFERENCES security_incidents(id) ON DELETE CASCADE,
  alert_id uuid NOT NULL REFERENCES security_alerts(id) ON DELETE CASCADE,
  added_at timestamptz NOT NULL,
  added_by text NOT NULL,
  PRIMARY KEY (incident_id, alert_id)
);
CREATE INDEX security_incident_alerts_alert_idx ON security_incident_alerts (alert_id);

CREATE TABLE security_incident_timeline (
  id bigserial PRIMARY KEY,
  incident_id uuid NOT NULL REFERENCES security_incidents(id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  actor text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('created', 'status', 'assigned', 'comment', 'escalated', 'taken-over',
    'handed-back', 'alert-added', 'severity', 'title')),
  from_value text,
  to_value text,
  text text,
  org_unit_id text
);
CREATE INDEX security_incident_timeline_idx ON security_incident_timeline (incident_id, id);

CREATE TABLE security_suppressions (
  id uuid PRIMARY KEY,
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE RESTRICT,
  org_path text NOT NULL,
  match_org_unit boolean NOT NULL DEFAULT false,
  match_source text,
  match_reference text,
  match_observable_type text,
  match_observable_value text,
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
  author text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
  suppressed bigint NOT NULL DEFAULT 0,
  CHECK (match_source IS NOT NULL OR match_reference IS NOT NULL OR match_observable_value IS NOT NULL),
  CHECK ((match_observable_type IS NULL) = (match_observable_value IS NULL))
);
CREATE INDEX security_suppressions_active_idx ON security_suppressions (expires_at);
`;
