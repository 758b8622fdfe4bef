/**
 * Hardening of authentication and scoping: the audit log keeps the request id a client sent beside
 * the server's own; login throttling remembers the last failure (progressive delays); users may
 * enrol a TOTP second factor, whose secret is stored sealed and never returned.
 *
 * Link pair ids become unique per served org unit instead of across the province, so one county's
 * pair id neither constrains nor names another's (the network module's migration 8 rekeys its pair
 * states and pair alarms to match).
 */
export const sql = `
ALTER TABLE audit_log ADD COLUMN client_request_id text;

ALTER TABLE login_throttle ADD COLUMN last_failure_at timestamptz;

ALTER TABLE users ADD COLUMN totp_secret text;
ALTER TABLE users ADD COLUMN totp_pending text;
ALTER TABLE users ADD COLUMN totp_enabled_at timestamptz;
ALTER TABLE users ADD COLUMN totp_last_step bigint;

DROP INDEX links_pair_role_idx;
CREATE UNIQUE INDEX links_pair_role_idx ON links (org_unit_id, pair_id, role) WHERE pair_id IS NOT NULL;
`;
