import type { PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';
import { RISK_POLICY } from './policy.js';

/**
 * Risk (issue 10, item 6): the asset criticality in the inventory (devices and hosts, set through
 * the inventory API and file like their other attributes), vulnerability findings from scanner
 * reports (one row per asset, port and NVT/CVE; `fixed` once a newer report of the same scan target
 * no longer shows it), the imports (which report of a target is the newest), and the daily risk of
 * every org unit (a row per unit per day, kept a year).
 */
const sql = `
ALTER TABLE devices ADD COLUMN criticality text CHECK (criticality IN ('low', 'medium', 'high', 'critical'));
ALTER TABLE hosts ADD COLUMN criticality text CHECK (criticality IN ('low', 'medium', 'high', 'critical'));

CREATE TABLE security_vulnerabilities (
  id uuid PRIMARY KEY,
  asset_address text NOT NULL,
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
  org_path text NOT NULL,
  hostname text,
  port text NOT NULL DEFAULT '',
  finding_key text NOT NULL,
  nvt_oid text,
  cves text[] NOT NULL DEFAULT '{}',
  name text NOT NULL,
  cvss numeric(3, 1) NOT NULL CHECK (cvss > 0 AND cvss <= 10),
  severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  solution text,
  threat text,
  qod smallint,
  source text NOT NULL CHECK (source IN ('openvas', 'csv')),
  scan_target text,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'fixed')),
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  fixed_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (asset_address, port, finding_key)
);
CREATE INDEX security_vulnerabilities_path_idx ON security_vulnerabilities (org_path text_pattern_ops, status);
CREATE INDEX security_vulnerabilities_target_idx ON security_vulnerabilities (scan_target, status);
CREATE INDEX security_vulnerabilities_list_idx ON security_vulnerabilities (cvss DESC, id);

CREATE TABLE security_vulnerability_imports (
  id uuid PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
  format text NOT NULL CHECK (format IN ('openvas', 'csv')),
  scan_target text,
  scanned_at timestamptz NOT NULL,
  imported integer NOT NULL,
  updated integer NOT NULL,
  fixed integer NOT NULL,
  rejected integer NOT NULL,
  ignored integer NOT NULL
);
CREATE INDEX security_vulnerability_imports_target_idx ON security_vulnerability_imports (scan_target, scanned_at DESC);

CREATE TABLE security_risk_daily (
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
  day date NOT NULL,
  score real NOT NULL,
  points double precision NOT NULL,
  open_alerts integer NOT NULL,
  open_incidents integer NOT NULL,
  vulnerabilities jsonb NOT NULL,
  computed_at timestamptz NOT NULL,
  PRIMARY KEY (org_unit_id, day)
);
CREATE INDEX security_risk_daily_day_idx ON security_risk_daily (day);
`;

export const RISK_STATE_MIGRATIONS: readonly Migration[] = [{ id: 15, name: 'security-risk', sql }];
/** This part's policy files (besides `security.yaml`). */
export const RISK_POLICIES: readonly PolicyRef<unknown>[] = [RISK_POLICY as PolicyRef<unknown>];
