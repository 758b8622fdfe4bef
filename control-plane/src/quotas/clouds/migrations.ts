import type { PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';

/**
 * State migration 16 (the quota module's clouds part): the inventory's clouds gain the kind `manual`
 * (an admin confirms allocations by hand); per cloud the connection (endpoint, kind-specific
 * settings, the secrets sealed as one value bound to the cloud), per cloud and resource class the
 * capacity (as the cloud last reported it, and as an admin entered it) and the overcommit factor,
 * and the outcome of the last capacity read. Everything goes with its cloud.
 */
const sql = `
ALTER TABLE clouds DROP CONSTRAINT IF EXISTS clouds_kind_check;
ALTER TABLE clouds ADD CONSTRAINT clouds_kind_check
  CHECK (kind IN ('kubernetes', 'openstack', 'manual', 'vmware', 'xinchuang', 'other'));

CREATE TABLE quota_cloud_connections (
  cloud_id text PRIMARY KEY REFERENCES clouds(id) ON DELETE CASCADE,
  -- Kubernetes API server URL or Keystone v3 URL; null for a manual cloud without one.
  endpoint text CHECK (endpoint IS NULL OR length(endpoint) BETWEEN 1 AND 2000),
  -- Kind-specific settings that are not secret (caCert, insecureSkipTlsVerify, region, interface).
  settings jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- The secrets as one JSON document sealed under the secret key (AAD quota_cloud_connections:<cloud>).
  secret text,
  -- Which secrets are set (shown as booleans without opening the sealed value).
  secret_names text[] NOT NULL DEFAULT '{}',
  updated_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE quota_cloud_classes (
  cloud_id text NOT NULL REFERENCES clouds(id) ON DELETE CASCADE,
  class text NOT NULL CHECK (class ~ '^[a-z][a-z0-9-]{0,62}$'),
  -- What the cloud reported at its last successful read (null: the cloud does not report the class).
  cloud_amount double precision CHECK (cloud_amount IS NULL OR cloud_amount >= 0),
  cloud_observed_at timestamptz,
  -- What an admin entered, used while the cloud reports nothing for the class.
  manual_amount double precision CHECK (manual_amount IS NULL OR manual_amount >= 0),
  manual_at timestamptz,
  -- The cloud's own overcommit factor (null: the policy's default).
  overcommit double precision CHECK (overcommit IS NULL OR (overcommit >= 1 AND overcommit <= 100)),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cloud_id, class)
);

CREATE TABLE quota_cloud_reads (
  cloud_id text PRIMARY KEY REFERENCES clouds(id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  ok boolean NOT NULL,
  error_kind text,
  error_message text,
  last_ok_at timestamptz,
  -- Classes the last answer named that the policy does not know (counted, not stored as capacity).
  ignored_classes text[] NOT NULL DEFAULT '{}'
);
`;

export const CLOUDS_STATE_MIGRATIONS: readonly Migration[] = [{ id: 16, name: 'quota-clouds', sql }];
/** This part's policy files (besides `quotas.yaml`). */
export const CLOUDS_POLICIES: readonly PolicyRef<unknown>[] = [];
