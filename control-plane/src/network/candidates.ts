import { MANAGED_ADDRESS_SQL } from '../inventory/prefixes.js';
import type { Queryable } from '../store/state/index.js';

/**
 * A device with SNMP settings as poll assignment sees it: where it is, its credential (sealed), who
 * owns the credential and to which units it is granted, and whether the device's management address
 * lies in a management prefix of its own org unit.
 */
export interface PollCandidate {
  id: string;
  org_unit_id: string;
  management_address: string;
  snmp_port: number | null;
  snmp_version: '2c' | '3';
  poller_agent_id: string | null;
  path: string;
  cred_id: string | null;
  version: '2c' | '3' | null;
  user_name: string | null;
  security_level: string | null;
  auth_protocol: string | null;
  priv_protocol: string | null;
  secret: string | null;
  cred_path: string | null;
  grant_paths: string[] | null;
  managed: boolean | null;
  /** Changes when someone asks for the device's discovery now. */
  discovery_token: string | null;
}

/** The devices with SNMP settings matching `where` (on `d` and `u`, the device's org unit), by id. */
export async function pollCandidates(
  q: Queryable,
  where: string,
  params: unknown[],
): Promise<PollCandidate[]> {
  const r = await q.query<PollCandidate>(
    `SELECT d.id, d.org_unit_id, d.management_address, d.snmp_port, d.snmp_version,
       d.poller_agent_id::text AS poller_agent_id, u.path, d.discovery_token, c.id AS cred_id, c.version,
       c.user_name, c.security_level, c.auth_protocol, c.priv_protocol, c.secret, cu.path AS cred_path,
       ARRAY(SELECT gu.path FROM snmp_credential_grants g JOIN org_units gu ON gu.id = g.org_unit_id
              WHERE g.credential_id = c.id) AS grant_paths,
       ${MANAGED_ADDRESS_SQL} AS managed
     FROM devices d JOIN org_units u ON u.id = d.org_unit_id
     LEFT JOIN snmp_credentials c ON c.id = d.snmp_credential_ref
     LEFT JOIN org_units cu ON cu.id = c.org_unit_id
     WHERE d.snmp_version IS NOT NULL AND (${where})
     ORDER BY d.id`,
    params,
  );
  return r.rows;
}

/** Why a device is not in an edge agent's config; undefined when the agent polls it. */
export function unpolledReason(d: PollCandidate, agentPath: string): string | undefined {
  if (!d.managed) return "management address is not in a management prefix of the device's org unit";
  if (!d.cred_id || !d.secret || !d.cred_path) return 'snmp credential not found';
  const usable =
    d.path === d.cred_path ||
    (d.path.startsWith(d.cred_path) && (d.grant_paths ?? []).some((g) => d.path.startsWith(g)));
  if (!usable) return "snmp credential is not granted to the device's org unit";
  if (d.version !== d.snmp_version) {
    return `snmp credential is v${d.version}, the device is set to v${d.snmp_version}`;
  }
  if (!d.cred_path.startsWith(agentPath)) return "the agent is enrolled below the snmp credential's owner";
  return undefined;
}
