/**
 * Hardening of authentication: the audit log keeps the request id a client sent beside the
 * server's own; login throttling remembers the last failure (progressive delays); users may enrol a
 * TOTP second factor, whose secret is stored sealed and never returned.
 */
export const sql = `
ALTER TABLE audit_log ADD COLUMN client_request_id text;

ALTER TABLE login_throttle ADD COLUMN last_failure_at timestamptz;

ALTER TABLE users ADD COLUMN totp_secret text;
ALTER TABLE users ADD COLUMN totp_pending text;
ALTER TABLE users ADD COLUMN totp_enabled_at timestamptz;
ALTER TABLE users ADD COLUMN totp_last_step bigint;
`;
