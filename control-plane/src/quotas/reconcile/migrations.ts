import type { PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';

/**
 * Reconcile (issue 11, item 4): how far each project's desired limits have reached each cloud
 * (`quota_sync`: the version applied, the limits the cloud accepted, the last error, the drift
 * found), each cloud's API as the last pass found it (`quota_cloud_sync`), and a row per cloud per
 * day counting passes, failed passes, drift and errors (`quota_sync_daily`, for the scorecards; kept
 * 400 days). Projects and clouds are other parts' tables: no foreign keys across parts.
 */
const sql = `
CREATE TABLE quota_sync (
  cloud_id text NOT NULL,
  project_id text NOT NULL,
  org_unit_id text NOT NULL,
  org_path text NOT NULL,
  external_name text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'applied', 'drift', 'error', 'awaiting-confirmation')),
  applied_version bigint NOT NULL DEFAULT 0 CHECK (applied_version >= 0),
  applied_hard jsonb NOT NULL DEFAULT '{}',
  error jsonb,
  drift jsonb,
  checked_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cloud_id, project_id)
);
CREATE INDEX quota_sync_cloud_state ON quota_sync (cloud_id, state);
CREATE INDEX quota_sync_org_path ON quota_sync (org_path text_pattern_ops);

CREATE TABLE quota_cloud_sync (
  cloud_id text PRIMARY KEY,
  org_unit_id text NOT NULL,
  org_path text NOT NULL,
  state text NOT NULL CHECK (state IN ('ok', 'error')),
  error jsonb,
  checked_at timestamptz NOT NULL,
  last_ok_at timestamptz
);

CREATE TABLE quota_sync_daily (
  cloud_id text NOT NULL,
  day date NOT NULL,
  passes integer NOT NULL DEFAULT 0,
  failed_passes integer NOT NULL DEFAULT 0,
  drift integer NOT NULL DEFAULT 0,
  errors integer NOT NULL DEFAULT 0,
  PRIMARY KEY (cloud_id, day)
);
`;

export const RECONCILE_STATE_MIGRATIONS: readonly Migration[] = [{ id: 19, name: 'quotas-reconcile', sql }];
/** This part's policy files (besides `quotas.yaml`): none. */
export const RECONCILE_POLICIES: readonly PolicyRef<unknown>[] = [];
