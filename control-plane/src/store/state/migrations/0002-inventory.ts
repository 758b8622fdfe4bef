/**
 * Inventory: sites, devices, interfaces, links, clouds, hosts and dedicated networks.
 *
 * Every table carries `org_unit_id`, so scoping a query is one join to `org_units` for the path.
 * Devices and interfaces inherit theirs: `devices (site_id, org_unit_id)` references
 * `sites (id, org_unit_id)` and `interfaces (device_id, org_unit_id)` references
 * `devices (id, org_unit_id)`, both `ON UPDATE CASCADE`, so moving a site moves its devices and their
 * interfaces and the copies can never disagree. Operator-named records use slugs; interfaces and
 * links use server-made UUIDs (their natural keys are `(device_id, if_index)` and the endpoint
 * interfaces).
 */
export const sql = `
CREATE TABLE sites (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE RESTRICT,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind text NOT NULL CHECK (kind IN ('datacenter', 'node', 'access', 'dr-site')),
  address text,
  latitude double precision CHECK (latitude BETWEEN -90 AND 90),
  longitude double precision CHECK (longitude BETWEEN -180 AND 180),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, org_unit_id)
);
CREATE INDEX sites_org_unit_idx ON sites (org_unit_id);

CREATE TABLE devices (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  site_id text NOT NULL,
  org_unit_id text NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  role text NOT NULL CHECK (role IN ('core', 'aggregation', 'access', 'firewall', 'egress')),
  vendor text,
  model text,
  management_address text NOT NULL UNIQUE,
  snmp_version text CHECK (snmp_version IN ('2c', '3')),
  snmp_credential_ref text,
  sys_object_id text,
  plane text CHECK (plane IN ('A', 'B')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((snmp_version IS NULL) = (snmp_credential_ref IS NULL)),
  FOREIGN KEY (site_id, org_unit_id) REFERENCES sites (id, org_unit_id) ON UPDATE CASCADE ON DELETE RESTRICT,
  UNIQUE (id, org_unit_id)
);
CREATE INDEX devices_org_unit_idx ON devices (org_unit_id);
CREATE INDEX devices_site_idx ON devices (site_id);

CREATE TABLE interfaces (
  id uuid PRIMARY KEY,
  device_id text NOT NULL,
  org_unit_id text NOT NULL,
  if_index integer NOT NULL CHECK (if_index >= 1),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  alias text,
  speed_mbps integer CHECK (speed_mbps > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (device_id, org_unit_id) REFERENCES devices (id, org_unit_id) ON UPDATE CASCADE ON DELETE CASCADE,
  UNIQUE (device_id, if_index),
  UNIQUE (id, device_id)
);
CREATE INDEX interfaces_org_unit_idx ON interfaces (org_unit_id);

CREATE TABLE links (
  id uuid PRIMARY KEY,
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE RESTRICT,
  a_device_id text NOT NULL,
  a_interface_id uuid NOT NULL UNIQUE,
  b_device_id text NOT NULL,
  b_interface_id uuid NOT NULL UNIQUE,
  level text NOT NULL CHECK (level IN ('backbone', 'city', 'county', 'township', 'department')),
  role text NOT NULL CHECK (role IN ('primary', 'backup')),
  plane text NOT NULL CHECK (plane IN ('A', 'B')),
  pair_id text CHECK (pair_id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  target_mbps integer CHECK (target_mbps > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (a_interface_id <> b_interface_id),
  FOREIGN KEY (a_interface_id, a_device_id) REFERENCES interfaces (id, device_id) ON UPDATE CASCADE ON DELETE RESTRICT,
  FOREIGN KEY (b_interface_id, b_device_id) REFERENCES interfaces (id, device_id) ON UPDATE CASCADE ON DELETE RESTRICT
);
CREATE INDEX links_org_unit_idx ON links (org_unit_id);
CREATE INDEX links_a_device_idx ON links (a_device_id);
CREATE INDEX links_b_device_idx ON links (b_device_id);
CREATE UNIQUE INDEX links_pair_role_idx ON links (pair_id, role) WHERE pair_id IS NOT NULL;

CREATE TABLE clouds (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE RESTRICT,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind text NOT NULL CHECK (kind IN ('kubernetes', 'openstack', 'vmware', 'xinchuang', 'other')),
  tier text NOT NULL CHECK (tier IN ('provincial', 'city', 'department', 'carrier', 'dr')),
  api_endpoint text,
  region text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clouds_org_unit_idx ON clouds (org_unit_id);

CREATE TABLE hosts (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  cloud_id text REFERENCES clouds(id) ON DELETE RESTRICT,
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE RESTRICT,
  hostname text NOT NULL CHECK (length(hostname) BETWEEN 1 AND 253),
  addresses text[] NOT NULL DEFAULT '{}',
  agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  role text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hosts_org_unit_idx ON hosts (org_unit_id);
CREATE INDEX hosts_cloud_idx ON hosts (cloud_id);
CREATE UNIQUE INDEX hosts_agent_idx ON hosts (agent_id) WHERE agent_id IS NOT NULL;

CREATE TABLE dedicated_networks (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  org_unit_id text NOT NULL REFERENCES org_units(id) ON DELETE RESTRICT,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  owner_department text NOT NULL CHECK (length(owner_department) BETWEEN 1 AND 200),
  classification text NOT NULL CHECK (classification IN ('non-secret', 'secret')),
  migration_state text NOT NULL CHECK (migration_state IN ('not-started', 'planned', 'migrating', 'migrated', 'exempt')),
  planned_at date,
  migrated_at date,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (classification = 'non-secret' OR migration_state IN ('not-started', 'exempt'))
);
CREATE INDEX dedicated_networks_org_unit_idx ON dedicated_networks (org_unit_id);
`;
