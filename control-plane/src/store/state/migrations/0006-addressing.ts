/**
 * Addressing (issue 6, finding 2).
 *
 * `ip_prefixes` is the IP prefix registry: IPv4 and IPv6 prefixes owned by org units, each with a
 * purpose. Nesting is delegation: a prefix inside another belongs to the same unit or to a child of
 * the enclosing prefix's unit (checked by the inventory service, which also refuses partial
 * overlaps). A device's management address must lie in a management prefix of its own org unit.

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

`;
