/**
 * The fake OpenStack's Neutron: quotas (with `/details.json` and `/default`), external networks and
 * their IP availability (https://docs.openstack.org/api-ref/network/v2/).
 */
import type { IncomingMessage } from 'node:http';
import { INT_MAX, NEUTRON_DEFAULTS, HttpError, quotaInt, type FakeCloud, type Send } from './common.js';

export function network(
  c: FakeCloud,
  req: IncomingMessage,
  method: string,
  rest: string[],
  url: URL,
  body: unknown,
  send: Send,
): void {
  const versionDoc = {
    id: 'v2.0',
    status: 'CURRENT',
    links: [{ href: `${c.base}/network/v2.0/`, rel: 'self' }],
  };
  if (rest.length === 0) return send(200, { versions: [versionDoc] });
  if (rest[0] !== 'v2.0') throw new HttpError(404, 'The resource could not be found.');
  const r = rest.slice(1);
  const t = c.authenticate(req);
  if (r.length === 0) {
    return send(200, {
      resources: ['quotas', 'networks', 'subnets', 'ports', 'floatingips', 'routers'].map((n) => ({
        name: n.replace(/s$/, ''),
        collection: n,
        links: [{ href: `${c.base}/network/v2.0/${n}`, rel: 'self' }],
      })),
    });
  }
  if (r[0] === 'networks' && r.length === 1 && method === 'GET') {
    const filter = url.searchParams.get('router:external');
    const external = filter === null ? undefined : ['true', '1'].includes(filter.toLowerCase());
    return send(200, {
      networks: c.externalNetworks
        .filter(() => external !== false)
        .map((n) => ({
          id: n.id,
          name: n.name,
          status: 'ACTIVE',
          admin_state_up: true,
          shared: false,
          'router:external': true,
          subnets: [n.subnetId],
          project_id: c.admin.id,
          tenant_id: c.admin.id,
        })),
    });
  }
  if (r[0] === 'network-ip-availabilities' && r.length === 2 && method === 'GET') {
    c.requireAdmin(t, 'The request you have made requires admin privileges.');
    const n = c.externalNetworks.find((x) => x.id === r[1]);
    if (!n) throw new HttpError(404, `Network ${r[1]} could not be found.`);
    return send(200, {
      network_ip_availability: {
        network_id: n.id,
        network_name: n.name,
        project_id: c.admin.id,
        tenant_id: c.admin.id,
        total_ips: n.totalIps,
        used_ips: 0,
        subnet_ip_availability: [
          {
            subnet_id: n.subnetId,
            subnet_name: `${n.name}-subnet`,
            cidr: n.cidr,
            ip_version: 4,
            total_ips: n.totalIps,
            used_ips: 0,
          },
        ],
      },
    });
  }
  if (r[0] === 'extensions' && r.length === 1 && method === 'GET') {
    return send(200, {
      extensions: [
        {
          alias: 'quotas',
          name: 'Quota management support',
          description: 'Expose functions for quotas management per project',
          links: [],
          updated: '2012-07-29T10:00:00-00:00',
        },
        {
          alias: 'quota_details',
          name: 'Quota details management support',
          description: 'Expose functions for quotas usage statistics per project',
          links: [],
          updated: '2017-02-10T10:00:00-00:00',
        },
      ],
    });
  }
  if (r[0] === 'quotas' && r[1]) {
    const id = r[1].replace(/\.json$/, '');
    const tail = r.slice(2).map((x) => x.replace(/\.json$/, ''));
    if (tail.length === 1 && tail[0] === 'default' && method === 'GET') {
      return send(200, { quota: { ...NEUTRON_DEFAULTS } });
    }
    if (id !== t.projectId && !t.roles.includes('admin')) {
      throw new HttpError(403, 'The request you have made requires admin privileges.');
    }
    const lim = c.limits(id).network;
    if (tail.length === 1 && tail[0] === 'details' && method === 'GET') {
      return send(200, {
        quota: Object.fromEntries(
          Object.keys(NEUTRON_DEFAULTS).map((k) => [
            k,
            { used: c.inUse(id, 'network', k), limit: lim[k], reserved: 0 },
          ]),
        ),
      });
    }
    if (tail.length !== 0) throw new HttpError(404, 'The resource could not be found.');
    if (method === 'GET') return send(200, { quota: lim });
    if (method === 'PUT') {
      c.requireAdmin(t, 'The request you have made requires admin privileges.');
      const q = (body as { quota?: unknown } | undefined)?.quota;
      if (!q || typeof q !== 'object' || Array.isArray(q)) {
        throw new HttpError(400, 'Resource body required');
      }
      const entries = Object.entries(q as Record<string, unknown>).filter(
        ([k]) => k !== 'project_id' && k !== 'tenant_id',
      );
      const bad = entries
        .map(([k]) => k)
        .filter((k) => !(k in NEUTRON_DEFAULTS) && k !== 'force' && k !== 'check_limit');
      if (bad.length) throw new HttpError(400, `Unrecognized attribute(s) '${bad.join(', ')}'`);
      const values: Record<string, number> = {};
      for (const [k, v] of entries) {
        if (k === 'force' || k === 'check_limit') continue;
        const n = quotaInt(v);
        if (n === undefined) {
          throw new HttpError(400, `Invalid input for ${k}. Reason: '${String(v)}' is not an integer.`);
        }
        if (n < -1 || n > INT_MAX) {
          throw new HttpError(
            400,
            `Invalid input for ${k}. Reason: '${String(v)}' is not in range -1 through ${INT_MAX}.`,
          );
        }
        values[k] = n;
      }
      c.setLimits(id, 'network', values);
      return send(200, { quota: c.limits(id).network });
    }
    if (method === 'DELETE') {
      c.requireAdmin(t, 'The request you have made requires admin privileges.');
      c.clearLimits(id, 'network');
      return send(204, undefined);
    }
    throw new HttpError(405, 'Method Not Allowed');
  }
  throw new HttpError(404, 'The resource could not be found.');
}
