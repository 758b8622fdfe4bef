/**
 * Network monitoring: SNMP credentials, poll assignment, and the state the link evaluation keeps
 * between polls.
 *
 * `snmp_credentials.secret` holds the secret fields (community, or v3 auth and privacy keys) sealed
 * with AES-256-GCM under the control plane's secret key (see `auth/crypto.ts`); they must be
 * recoverable to be handed to the edge agents, so they cannot be hashed. The other columns are not
 * secret and stay readable for listings.
 *
 * `interface_state`, `device_poll_state`, `link_state` and `pair_state` hold the latest evaluated
 * view (one row each, replaced on every poll); `link_events` is the history of down, up, failover,
 * failback and flap events. Discovery keeps the latest system information per device, its LLDP
 * neighbours, and proposed links that no inventory link joins yet.
 */
export const sql = `
CREATE TABLE snmp_credentials (
  id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE RESTRICT,
  version text NOT NULL CHECK (version IN ('2c', '3')),
  user_name text,
  security_level text CHECK (security_level IN ('noAuthNoPriv', 'authNoPriv', 'authPriv')),
  auth_protocol text,
  priv_protocol text,
  secret text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((version = '3') = (user_name IS NOT NULL))
);
CREATE INDEX snmp_credentials_org_unit_idx ON snmp_credentials (org_unit_id);

ALTER TABLE devices ADD COLUMN snmp_port integer CHECK (snmp_port BETWEEN 1 AND 65535);
ALTER TABLE devices ADD COLUMN poller_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL;
CREATE INDEX devices_poller_agent_idx ON devices (poller_agent_id) WHERE poller_agent_id IS NOT NULL;

CREATE TABLE device_poll_state (
  device_id text PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE ON UPDATE CASCADE,
  agent_id uuid,
  polled_at timestamptz NOT NULL,
  reachable boolean NOT NULL,
  consecutive_failures integer NOT NULL DEFAULT 0,
  unreachable_alarm boolean NOT NULL DEFAULT false,
  error text,
  sys_uptime bigint,
  duration_ms double precision
);

CREATE TABLE interface_state (
  device_id text NOT NULL REFERENCES devices(id) ON DELETE CASCADE ON UPDATE CASCADE,
  if_index integer NOT NULL,
  if_name text NOT NULL,
  oper_status text NOT NULL,
  admin_status text NOT NULL,
  speed_mbps integer NOT NULL,
  in_bps double precision,
  out_bps double precision,
  in_errors_ps double precision,
  out_errors_ps double precision,
  polled_at timestamptz NOT NULL,
  PRIMARY KEY (device_id, if_index)
);

CREATE TABLE link_state (
  link_id uuid PRIMARY KEY REFERENCES links(id) ON DELETE CASCADE,
  state jsonb NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE pair_state (
  pair_id text PRIMARY KEY,
  state jsonb NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE link_events (
  id bigserial PRIMARY KEY,
  link_id uuid NOT NULL REFERENCES links(id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  event text NOT NULL CHECK (event IN ('down', 'up', 'failover', 'failback', 'flap')),
  detail text NOT NULL
);
CREATE INDEX link_events_link_idx ON link_events (link_id, at DESC);

CREATE TABLE device_discovery (
  device_id text PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE ON UPDATE CASCADE,
  discovered_at timestamptz NOT NULL,
  reachable boolean NOT NULL,
  error text,
  sys_name text,
  sys_descr text,
  sys_object_id text,
  interfaces jsonb NOT NULL DEFAULT '[]'::jsonb
);

CREATE TABLE lldp_neighbours (
  device_id text NOT NULL REFERENCES devices(id) ON DELETE CASCADE ON UPDATE CASCADE,
  local_if_index integer NOT NULL,
  local_port_name text,
  remote_chassis_id text NOT NULL,
  remote_port_id text NOT NULL,
  remote_sys_name text NOT NULL,
  remote_port_description text,
  seen_at timestamptz NOT NULL,
  PRIMARY KEY (device_id, local_if_index, remote_chassis_id, remote_port_id)
);

CREATE TABLE link_proposals (
  id uuid PRIMARY KEY,
  a_interface_id uuid NOT NULL REFERENCES interfaces(id) ON DELETE CASCADE,
  b_interface_id uuid NOT NULL REFERENCES interfaces(id) ON DELETE CASCADE,
  first_seen_at timestamptz NOT NULL,
  seen_at timestamptz NOT NULL,
  dismissed_at timestamptz,
  CHECK (a_interface_id < b_interface_id),
  UNIQUE (a_interface_id, b_interface_id)
);
`;
