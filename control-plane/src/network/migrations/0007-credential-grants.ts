/**
 * SNMP credential grants (issue 6, finding 1): devices of a lower org unit may use a credential owned
 * above them only by explicit grant. A credential is usable by devices of its own unit, and by
 * devices in the subtree of a unit it is granted to; its secrets still go only to agents enrolled at
 * or above its owner.
 */
export const sql = `CREATE TABLE snmp_credential_grants (
  credential_id text NOT NULL REFERENCES snmp_credentials(id) ON DELETE CASCADE,
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (credential_id, org_unit_id)
);
CREATE INDEX snmp_credential_grants_org_unit_idx ON snmp_credential_grants (org_unit_id);
`;
