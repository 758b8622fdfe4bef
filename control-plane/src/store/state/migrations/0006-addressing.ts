/**
 * Addressing and credential grants (issue 6, findings 1 and 2).
 *
 * `ip_prefixes` is the IP prefix registry: IPv4 and IPv6 prefixes owned by org units, each with a
 * purpose. Nesting is delegation: a prefix inside another belongs to the same unit or to a child of
 * the enclosing prefix's unit (checked by the inventory service, which also refuses partial
 * overlaps). A device's management address must lie in a management prefix of its own org unit.
 *
 * `snmp_credential_grants` lets devices of a lower org unit use a credential owned above them: a
 * credential is usable by devices of its own unit, and by devices in the subtree of a unit it is
 * explicitly granted to. Its secrets still go only to agents enrolled at or above its owner.
 */
export const sql = `
CREATE TABLE ip_prefixes (
  id uuid PRIMARY KEY,
  prefix cidr NOT NULL,
  org_unit_id text NOT NULL REFERENCES org_units(id),
  purpose text NOT NULL CHECK (purpose IN ('management', 'hosts', 'egress')),
  description text CHECK (description IS NULL OR length(description) BETWEEN 1 AND 500),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (purpose, prefix)
);
CREATE INDEX ip_prefixes_org_unit_idx ON ip_prefixes (org_unit_id, purpose);

CREATE TABLE snmp_credential_grants (
  credential_id text NOT NULL REFERENCES snmp_credentials(id) ON DELETE CASCADE,
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (credential_id, org_unit_id)
);
CREATE INDEX snmp_credential_grants_org_unit_idx ON snmp_credential_grants (org_unit_id);
`;
