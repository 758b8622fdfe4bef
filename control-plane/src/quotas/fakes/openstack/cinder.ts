/**
 * The fake OpenStack's Cinder v3: quota sets (with `?usage=true` and `/defaults`), scheduler pools
 * (https://docs.openstack.org/api-ref/block-storage/v3/).
 */
import type { IncomingMessage } from 'node:http';
import { CINDER_DEFAULTS, INT_MAX, HttpError, quotaInt, type FakeCloud, type Send } from './common.js';

export function volume(
  c: FakeCloud,
  req: IncomingMessage,
  method: string,
  rest: string[],
  url: URL,
  body: unknown,
  send: Send,
): void {
  const versionDoc = {
    id: 'v3.0',
    status: 'CURRENT',
    version: '3.70',
    min_version: '3.0',
    updated: '2023-08-31T00:00:00Z',
    links: [{ rel: 'self', href: `${c.base}/volume/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
  };
  if (rest.length === 0) return send(300, { versions: [versionDoc] });
  if (rest[0] !== 'v3') throw new HttpError(404, 'The resource could not be found.');
  if (rest.length === 1) return send(200, { versions: [versionDoc] });
  const t = c.authenticate(req);
  const owner = rest[1] ?? '';
  if (owner !== t.projectId) throw new HttpError(403, 'Policy does not allow this request to be performed.');
  const r = rest.slice(2);
  const headers = { 'openstack-api-version': 'volume 3.0', vary: 'OpenStack-API-Version' };
  if (r[0] === 'scheduler-stats' && r[1] === 'get_pools' && method === 'GET') {
    c.requireAdmin(t, "Policy doesn't allow scheduler_extension:scheduler_stats:get_pools to be performed.");
    const detail = ['true', '1', 'yes'].includes((url.searchParams.get('detail') ?? '').toLowerCase());
    return send(
      200,
      {
        pools: c.volumePoolsGb.map((gb, i) => ({
          name: `cinder-volume-${i + 1}@lvm#lvm`,
          ...(detail
            ? {
                capabilities: {
                  pool_name: 'lvm',
                  volume_backend_name: 'lvm',
                  storage_protocol: 'iSCSI',
                  vendor_name: 'Open Source',
                  driver_version: '3.0.0',
                  total_capacity_gb: gb,
                  free_capacity_gb: gb,
                  allocated_capacity_gb: 0,
                  reserved_percentage: 0,
                  max_over_subscription_ratio: '20.0',
                  thin_provisioning_support: true,
                  timestamp: new Date().toISOString(),
                },
              }
            : {}),
        })),
      },
      headers,
    );
  }
  if (r[0] === 'os-quota-sets' && r[1]) {
    const id = r[1];
    if (r[2] === 'defaults' && r.length === 3 && method === 'GET') {
      return send(200, { quota_set: { id, ...CINDER_DEFAULTS } }, headers);
    }
    if (r.length !== 2) throw new HttpError(404, 'The resource could not be found.');
    if (id !== t.projectId && !t.roles.includes('admin'))
      throw new HttpError(403, 'Policy does not allow this request to be performed.');
    const lim = c.limits(id).volume;
    if (method === 'GET') {
      const usageParam = (url.searchParams.get('usage') ?? '').toLowerCase();
      const withUsage = ['true', '1', 'yes', 'on', 't', 'y'].includes(usageParam);
      return send(
        200,
        {
          quota_set: {
            id,
            ...Object.fromEntries(
              Object.keys(CINDER_DEFAULTS).map((k) => [
                k,
                withUsage
                  ? { limit: lim[k], in_use: c.inUse(id, 'volume', k), reserved: 0, allocated: 0 }
                  : lim[k],
              ]),
            ),
          },
        },
        headers,
      );
    }
    if (method === 'PUT') {
      c.requireAdmin(t, 'Policy does not allow this request to be performed.');
      const qs = (body as { quota_set?: unknown } | undefined)?.quota_set;
      if (!qs || typeof qs !== 'object' || Array.isArray(qs)) {
        throw new HttpError(400, 'Missing required element quota_set in request body.');
      }
      const entries = Object.entries(qs as Record<string, unknown>).filter(
        ([k]) => k !== 'tenant_id' && k !== 'id',
      );
      const bad = entries.map(([k]) => k).filter((k) => !(k in CINDER_DEFAULTS));
      if (bad.length) throw new HttpError(400, `Bad key(s) in quota set: ${bad.join(',')}`);
      const values: Record<string, number> = {};
      for (const [k, v] of entries) {
        const n = typeof v === 'number' ? (Number.isInteger(v) ? v : undefined) : quotaInt(v);
        if (n === undefined) throw new HttpError(400, 'Quota limit must be specified as an integer value.');
        if (n < -1) throw new HttpError(400, 'Quota limit must be -1 or greater.');
        if (n > INT_MAX) throw new HttpError(400, `Invalid input received: ${k} must be <= ${INT_MAX}.`);
        values[k] = n;
      }
      c.setLimits(id, 'volume', values);
      return send(200, { quota_set: c.limits(id).volume }, headers);
    }
    if (method === 'DELETE') {
      c.requireAdmin(t, 'Policy does not allow this request to be performed.');
      c.clearLimits(id, 'volume');
      return send(200, undefined, headers);
    }
    throw new HttpError(405, 'Method Not Allowed');
  }
  throw new HttpError(404, 'The resource could not be found.');
}
