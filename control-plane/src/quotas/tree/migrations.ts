import type { PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';

/**
 * State migration 17 (the quota module's tree part): capacity → org-unit quota → project quota, per
 * cloud and resource class (after SAP Limes' cluster → domain → project).
 *
 * - `quota_projects`: a Tianshu project of an org unit; `external_name` (`ts-<id>`, a DNS-1123 label
 *   of at most 63 characters) is its namespace / OpenStack project name on every cloud.
 * - `quota_org_unit_quotas`: an org unit's quota on a cloud per class. It is limited by the nearest
 *   ancestor's quota on the cloud for the class (the cloud's allocatable = capacity × overcommit when
 *   no ancestor holds one).
 * - `quota_project_clouds`: one row per project and cloud it holds quota on, with the desired
 *   `version` (incremented by every change of the project's quota on the cloud). The row is written
 *   under the cloud's lock, so it is also what concurrent changes of one project serialise on.
 * - `quota_project_amounts`: per project, cloud and class the quota, what the cloud reports as used
 *   (reconcile) and what was measured (review), side by side, in one row so that the tree reads one
 *   table.
 * - `quota_changes`: every change of a quota (who, why, before, after), for the audit and the review.
 *
 * Amounts are `numeric` (read back as float8, i.e. JS numbers). Sized for 5,000 projects × 20 clouds
 * × 7 classes: every lookup by cloud, by project or by org unit has its index.
 */
const sql = `
CREATE TABLE quota_projects (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9]([a-z0-9-]{0,58}[a-z0-9])?$'),
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE RESTRICT,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  external_name text NOT NULL UNIQUE CHECK (length(external_name) <= 63 AND external_name ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$'),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quota_projects_org_unit_idx ON quota_projects (org_unit_id);

CREATE TABLE quota_org_unit_quotas (
  cloud_id text NOT NULL REFERENCES clouds(id) ON DELETE CASCADE,
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE RESTRICT,
  class text NOT NULL CHECK (class ~ '^[a-z][a-z0-9-]{0,62}$'),
  amount numeric NOT NULL CHECK (amount >= 0),
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cloud_id, org_unit_id, class)
);
CREATE INDEX quota_org_unit_quotas_unit_idx ON quota_org_unit_quotas (org_unit_id, cloud_id);

CREATE TABLE quota_project_clouds (
  cloud_id text NOT NULL REFERENCES clouds(id) ON DELETE CASCADE,
  project_id text NOT NULL REFERENCES quota_projects(id) ON DELETE CASCADE,
  version bigint NOT NULL DEFAULT 0 CHECK (version >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cloud_id, project_id)
);
CREATE INDEX quota_project_clouds_project_idx ON quota_project_clouds (project_id);

CREATE TABLE quota_project_amounts (
  cloud_id text NOT NULL,
  project_id text NOT NULL,
  class text NOT NULL CHECK (class ~ '^[a-z][a-z0-9-]{0,62}$'),
  quota numeric NOT NULL DEFAULT 0 CHECK (quota >= 0),
  used numeric NOT NULL DEFAULT 0 CHECK (used >= 0),
  physical numeric NOT NULL DEFAULT 0 CHECK (physical >= 0),
  -- The class has been allocated (it belongs to the project's hard limits on the cloud, even at 0).
  limited boolean NOT NULL DEFAULT false,
  used_at timestamptz,
  physical_at timestamptz,
  PRIMARY KEY (cloud_id, project_id, class),
  FOREIGN KEY (cloud_id, project_id) REFERENCES quota_project_clouds (cloud_id, project_id) ON DELETE CASCADE
);
CREATE INDEX quota_project_amounts_project_idx ON quota_project_amounts (project_id);

CREATE TABLE quota_changes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  reason text NOT NULL,
  cloud_id text NOT NULL,
  target_kind text NOT NULL CHECK (target_kind IN ('org-unit', 'project')),
  target_id text NOT NULL,
  org_unit_id text NOT NULL,
  org_path text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('set', 'allocate', 'release', 'reclaim')),
  before jsonb NOT NULL,
  after jsonb NOT NULL,
  version bigint
);
CREATE INDEX quota_changes_cloud_idx ON quota_changes (cloud_id, at);
CREATE INDEX quota_changes_path_idx ON quota_changes (org_path text_pattern_ops, at);
CREATE INDEX quota_changes_target_idx ON quota_changes (target_id, at);
`;

export const TREE_STATE_MIGRATIONS: readonly Migration[] = [{ id: 17, name: 'quota-tree', sql }];
/** This part's policy files (besides `quotas.yaml`). */
export const TREE_POLICIES: readonly PolicyRef<unknown>[] = [];
