/**
 * Devices as operators use them (issue 8): discovery fills the inventory's interfaces (descr, type,
 * MAC, admin status, counter width; `missing_since` for interfaces no longer seen; `source` tells
 * discovered from typed-in rows) and keeps a history of their changes; the device's facts from the
 * system group and ENTITY-MIB; poll outcomes (`outcome`, `missing`, `warnings`) and the
 * `device-poll-failed` alarm's flag; discards and counter width of the latest interface samples;
 * on-demand discovery tokens; a name given automatically (the address, until discovery brings the
 * sysName); bounded sweeps of address ranges.
 */
export const sql = `
ALTER TABLE interfaces ADD COLUMN descr text;
ALTER TABLE interfaces ADD COLUMN if_type integer;
ALTER TABLE interfaces ADD COLUMN mac text;
ALTER TABLE interfaces ADD COLUMN admin_status text;
ALTER TABLE interfaces ADD COLUMN counter_bits smallint CHECK (counter_bits IN (32, 64));
ALTER TABLE interfaces ADD COLUMN missing_since timestamptz;
-- When discovery created or last changed the row.
ALTER TABLE interfaces ADD COLUMN discovered_at timestamptz;
ALTER TABLE interfaces ADD COLUMN source text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'discovery'));

CREATE TABLE interface_history (
  id bigserial PRIMARY KEY,
  interface_id uuid NOT NULL REFERENCES interfaces(id) ON DELETE CASCADE,
  device_id text NOT NULL REFERENCES devices(id) ON DELETE CASCADE ON UPDATE CASCADE,
  at timestamptz NOT NULL,
  change text NOT NULL CHECK (change IN ('added', 'renamed', 'reindexed', 'speed', 'alias', 'admin',
    'missing', 'back', 'oper')),
  before text,
  after text,
  detail text NOT NULL
);
CREATE INDEX interface_history_interface_idx ON interface_history (interface_id, at DESC);

ALTER TABLE devices ADD COLUMN name_auto boolean NOT NULL DEFAULT false;
ALTER TABLE devices ADD COLUMN discovery_token text;
ALTER TABLE devices ADD COLUMN discovery_requested_at timestamptz;

ALTER TABLE device_discovery ADD COLUMN outcome text;
ALTER TABLE device_discovery ADD COLUMN missing jsonb NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE device_discovery ADD COLUMN sys_location text;
ALTER TABLE device_discovery ADD COLUMN sys_contact text;
ALTER TABLE device_discovery ADD COLUMN sys_uptime bigint;
ALTER TABLE device_discovery ADD COLUMN vendor text;
ALTER TABLE device_discovery ADD COLUMN model text;
ALTER TABLE device_discovery ADD COLUMN os_version text;
ALTER TABLE device_discovery ADD COLUMN serial text;
ALTER TABLE device_discovery ADD COLUMN entity jsonb;

ALTER TABLE device_poll_state ADD COLUMN outcome text;
ALTER TABLE device_poll_state ADD COLUMN missing jsonb NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE device_poll_state ADD COLUMN warnings jsonb NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE device_poll_state ADD COLUMN poll_failed_alarm boolean NOT NULL DEFAULT false;

ALTER TABLE interface_state ADD COLUMN in_discards_ps double precision;
ALTER TABLE interface_state ADD COLUMN out_discards_ps double precision;
ALTER TABLE interface_state ADD COLUMN counter_bits smallint;
ALTER TABLE interface_state ADD COLUMN last_change_at timestamptz;

CREATE TABLE network_sweeps (
  id text PRIMARY KEY,
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
  site_id text NOT NULL,
  cidr text NOT NULL,
  addresses jsonb NOT NULL,
  snmp_version text NOT NULL CHECK (snmp_version IN ('2c', '3')),
  credential_ref text NOT NULL,
  snmp_port integer,
  role text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
  probed integer NOT NULL DEFAULT 0,
  found jsonb NOT NULL DEFAULT '[]'::jsonb,
  added jsonb NOT NULL DEFAULT '[]'::jsonb,
  error text,
  requested_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX network_sweeps_org_unit_idx ON network_sweeps (org_unit_id) WHERE state IN ('pending', 'running');
`;
