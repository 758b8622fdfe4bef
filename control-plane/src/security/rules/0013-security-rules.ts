/**
 * Sigma rules added through the API, and the hit counts of every rule.
 *
 * `security_rules` holds the YAML of each API rule as it was sent (one rule document; a correlation
 * may refer to other rules by id or name), the org unit it belongs to (its author's: it runs on the
 * events of that subtree only) and who changed it last. Rules from `policies/detections/sigma/` are
 * not stored: the files are the truth for them.
 *
 * `security_rule_hits` keeps, per rule and org unit path, how many events matched and when last:
 * each replica adds its counts (`hits = hits + delta`), so the rules list shows a caller the hits in
 * its own subtree. `security_rule_errors` counts evaluation errors per rule with the last message.
 */
export const sql = `
CREATE TABLE security_rules (
  id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._:-]{1,128}$'),
  yaml text NOT NULL CHECK (length(yaml) BETWEEN 1 AND 1048576),
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
  author text NOT NULL CHECK (length(author) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX security_rules_org_unit_idx ON security_rules (org_unit_id);

CREATE TABLE security_rule_hits (
  rule_id text NOT NULL CHECK (length(rule_id) BETWEEN 1 AND 256),
  org_path text NOT NULL,
  hits bigint NOT NULL DEFAULT 0 CHECK (hits >= 0),
  last_hit_at timestamptz,
  PRIMARY KEY (rule_id, org_path)
);

CREATE TABLE security_rule_errors (
  rule_id text PRIMARY KEY CHECK (length(rule_id) BETWEEN 1 AND 256),
  errors bigint NOT NULL DEFAULT 0 CHECK (errors >= 0),
  last_error text,
  last_error_at timestamptz
);
`;
