/**
 * Quota requests (issue 11, part C): apply → approval chain → allocate → enforced → expiry.
 *
 * `quota_requests`: one row per request. `org_unit_id`/`org_path` is the project's unit (for a new
 * project, the unit it will belong to); reads are scoped by prefix of `org_path`. `amounts` is what
 * is allocated (the package × quantity plus `extra_amounts`). While pending, `current_step` is the
 * step waiting and `current_rank` its approver level's rank (province 0 … village 4), so the inbox
 * ("steps I may decide") is one indexed comparison. `allocated_version` is the project's desired
 * version the allocation produced (the request is enforced once the cloud applied it); the expiry
 * job sets `notice_at` when it told the owner and `released_at` when it took the allocation back.
 *
 * `quota_request_steps`: the chain, one row per step (level 1 first), with who decided and why.
 * `quota_request_timeline`: every step with its actor and reason, for the applicant.
 */
export const sql = `
CREATE TABLE quota_requests (
  id uuid PRIMARY KEY,
  cloud_id text NOT NULL,
  project_id text NOT NULL,
  new_project_name text,
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE RESTRICT,
  org_path text NOT NULL,
  applicant_id text NOT NULL,
  applicant_name text NOT NULL,
  package text,
  quantity integer CHECK (quantity IS NULL OR quantity >= 1),
  extra_amounts jsonb NOT NULL DEFAULT '{}'::jsonb,
  amounts jsonb NOT NULL,
  monthly_cost double precision NOT NULL CHECK (monthly_cost >= 0),
  justification text NOT NULL CHECK (length(justification) BETWEEN 1 AND 4000),
  duration_days integer NOT NULL CHECK (duration_days >= 1),
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn', 'enforced', 'expired', 'failed')),
  current_step integer,
  current_rank integer,
  created_at timestamptz NOT NULL,
  decided_at timestamptz,
  expires_at timestamptz,
  enforced_at timestamptz,
  notice_at timestamptz,
  released_at timestamptz,
  allocated_version integer,
  error jsonb,
  CHECK ((status = 'pending') = (current_step IS NOT NULL))
);
CREATE INDEX quota_requests_path_idx ON quota_requests (org_path text_pattern_ops, created_at DESC, id DESC);
CREATE INDEX quota_requests_list_idx ON quota_requests (created_at DESC, id DESC);
CREATE INDEX quota_requests_pending_idx ON quota_requests (current_rank, org_path text_pattern_ops)
  WHERE status = 'pending';
CREATE INDEX quota_requests_applicant_idx ON quota_requests (applicant_id, created_at DESC);
CREATE INDEX quota_requests_cloud_idx ON quota_requests (cloud_id, status);
CREATE INDEX quota_requests_live_idx ON quota_requests (expires_at) WHERE status IN ('approved', 'enforced');
CREATE UNIQUE INDEX quota_requests_new_project_idx ON quota_requests (project_id)
  WHERE status = 'pending' AND new_project_name IS NOT NULL;

CREATE TABLE quota_request_steps (
  request_id uuid NOT NULL REFERENCES quota_requests(id) ON DELETE CASCADE,
  step integer NOT NULL CHECK (step >= 1),
  approver_level text CHECK (approver_level IN ('province', 'city', 'county', 'township', 'village')),
  acting_org_unit_id text REFERENCES org_units(id) ON DELETE RESTRICT,
  state text NOT NULL CHECK (state IN ('waiting', 'approved', 'rejected', 'auto')),
  by_id text,
  by_name text,
  at timestamptz,
  comment text,
  PRIMARY KEY (request_id, step)
);

CREATE TABLE quota_request_timeline (
  id bigserial PRIMARY KEY,
  request_id uuid NOT NULL REFERENCES quota_requests(id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  actor text NOT NULL,
  kind text NOT NULL,
  step integer,
  from_status text,
  to_status text,
  text text,
  details jsonb
);
CREATE INDEX quota_request_timeline_idx ON quota_request_timeline (request_id, id);
`;
