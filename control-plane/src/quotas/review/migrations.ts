import type { PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';

/**
 * The review part's state (migration 20).
 *
 * `quota_reclaims`: one row per reclaim proposal of a project on a cloud. At most one is open
 * (`proposed`) per project and cloud (partial unique index). `amounts` is what the proposal takes
 * back, `evidence` the review's figures behind it (window, peaks, quota, used, coverage), `applied`
 * what was really taken back (the amounts clamped to what the quota still held above usage).
 * `decided_by`/`reason` record who declined (with the reason) or applied it; a declined proposal
 * stops new proposals for the same project and cloud for one review window after `decided_at`.
 * `org_path` is the project's org unit's path at proposal time (scoping is one prefix comparison).
 *
 * `quota_project_hosts`: which inventory hosts run a project's workloads. Their host agents'
 * measurements (`host_metrics`) are the project's physical usage on the host's cloud. A host serves
 * one project at most; deleting the host deletes the tie.
 */
export const sql = `
CREATE TABLE quota_reclaims (
  id uuid PRIMARY KEY,
  cloud_id text NOT NULL,
  project_id text NOT NULL,
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE RESTRICT,
  org_path text NOT NULL,
  amounts jsonb NOT NULL,
  evidence jsonb NOT NULL,
  applied jsonb,
  status text NOT NULL CHECK (status IN ('proposed', 'declined', 'applied', 'cancelled')),
  proposed_at timestamptz NOT NULL DEFAULT now(),
  apply_after timestamptz NOT NULL,
  decided_at timestamptz,
  decided_by text,
  reason text CHECK (reason IS NULL OR length(reason) BETWEEN 1 AND 2000),
  error text,
  error_at timestamptz
);
CREATE UNIQUE INDEX quota_reclaims_open_idx ON quota_reclaims (cloud_id, project_id) WHERE status = 'proposed';
CREATE INDEX quota_reclaims_due_idx ON quota_reclaims (apply_after) WHERE status = 'proposed';
CREATE INDEX quota_reclaims_project_idx ON quota_reclaims (cloud_id, project_id, decided_at);
CREATE INDEX quota_reclaims_path_idx ON quota_reclaims (org_path text_pattern_ops, proposed_at DESC);

CREATE TABLE quota_project_hosts (
  host_id text PRIMARY KEY REFERENCES hosts(id) ON DELETE CASCADE,
  project_id text NOT NULL,
  tied_by text NOT NULL,
  tied_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quota_project_hosts_project_idx ON quota_project_hosts (project_id);
`;

export const REVIEW_STATE_MIGRATIONS: readonly Migration[] = [{ id: 20, name: 'quota-review', sql }];
/** This part's policy files (besides `quotas.yaml`). */
export const REVIEW_POLICIES: readonly PolicyRef<unknown>[] = [];
