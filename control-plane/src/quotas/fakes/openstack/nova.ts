/**
 * The fake OpenStack's Nova: quota sets (with `/detail` and `/defaults`), microversions, hypervisors
 * (https://docs.openstack.org/api-ref/compute/).
 */
import type { IncomingMessage } from 'node:http';
import type { FakeHypervisor } from '../openstack.js';
import {
  INT_MAX,
  NOVA_DEFAULTS,
  NOVA_FILE_KEYS,
  NOVA_MAX_MICROVERSION,
  NOVA_NETWORK_KEYS,
  HttpError,
  pyRepr,
  quotaInt,
  type FakeCloud,
  type Send,
} from './common.js';

function microversion(req: IncomingMessage): [number, number] {
  const legacy = req.headers['x-openstack-nova-api-version'];
  const modern = req.headers['openstack-api-version'];
  let v: string | undefined;
  if (typeof modern === 'string') v = /compute\s+([0-9.]+|latest)/i.exec(modern)?.[1];
  if (!v && typeof legacy === 'string') v = legacy.trim();
  if (!v) return [2, 1];
  if (v === 'latest') return [...NOVA_MAX_MICROVERSION];
  const m = /^(\d+)\.(\d+)$/.exec(v);
  const parsed: [number, number] | undefined = m ? [Number(m[1]), Number(m[2])] : undefined;
  if (!parsed || parsed[0] !== 2 || parsed[1] < 1 || parsed[1] > NOVA_MAX_MICROVERSION[1]) {
    throw new HttpError(406, `Version ${v} is not supported by the API. Minimum is 2.1 and maximum is 2.90.`);
  }
  return parsed;
}

function novaKeys(mv: [number, number]): string[] {
  return Object.keys(NOVA_DEFAULTS).filter(
    (k) => !(mv[1] >= 36 && NOVA_NETWORK_KEYS.includes(k)) && !(mv[1] >= 57 && NOVA_FILE_KEYS.includes(k)),
  );
}

export function compute(
  c: FakeCloud,
  req: IncomingMessage,
  method: string,
  rest: string[],
  body: unknown,
  send: Send,
): void {
  const versionDoc = {
    id: 'v2.1',
    status: 'CURRENT',
    version: '2.90',
    min_version: '2.1',
    updated: '2013-07-23T11:33:21Z',
    links: [{ rel: 'self', href: `${c.base}/compute/v2.1/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
  };
  if (rest.length === 0) return send(200, { versions: [versionDoc] });
  if (rest[0] !== 'v2.1') throw new HttpError(404, 'The resource could not be found.');
  let r = rest.slice(1);
  if (r.length === 0) return send(200, { version: versionDoc });
  const t = c.authenticate(req);
  const mv = microversion(req);
  const mvHeaders = {
    'openstack-api-version': `compute ${mv.join('.')}`,
    'x-openstack-nova-api-version': mv.join('.'),
    vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
  };
  // The legacy endpoint form carries the caller's project id first: /v2.1/{project_id}/os-quota-sets/…
  if (r[0] && c.projects.has(r[0]) && r[1]?.startsWith('os-')) r = r.slice(1);
  if (r[0] === 'os-hypervisors') {
    c.requireAdmin(t, "Policy doesn't allow os_compute_api:os-hypervisors:list-detail to be performed.");
    if (r[1] === 'detail' && r.length === 2 && method === 'GET') {
      return send(
        200,
        {
          hypervisors: c.hypervisors.map((h) => ({
            id: h.id,
            hypervisor_hostname: h.hypervisor_hostname,
            state: h.state,
            status: h.status,
            hypervisor_type: 'QEMU',
            hypervisor_version: 6002000,
            host_ip: `192.0.2.${h.id}`,
            vcpus: h.vcpus,
            memory_mb: h.memory_mb,
            local_gb: h.local_gb,
            vcpus_used: h.vcpus_used,
            memory_mb_used: h.memory_mb_used,
            local_gb_used: h.local_gb_used,
            free_ram_mb: h.memory_mb - h.memory_mb_used,
            free_disk_gb: h.local_gb - h.local_gb_used,
            disk_available_least: h.local_gb - h.local_gb_used,
            running_vms: 0,
            current_workload: 0,
            cpu_info: '{"arch": "x86_64", "model": "Cascadelake-Server", "vendor": "Intel"}',
            service: { host: h.hypervisor_hostname, id: h.id, disabled_reason: null },
          })),
        },
        mvHeaders,
      );
    }
    if (r[1] === 'statistics' && r.length === 2 && method === 'GET') {
      const sum = (f: (h: FakeHypervisor) => number) => c.hypervisors.reduce((a, h) => a + f(h), 0);
      return send(
        200,
        {
          hypervisor_statistics: {
            count: c.hypervisors.length,
            vcpus: sum((h) => h.vcpus),
            vcpus_used: sum((h) => h.vcpus_used),
            memory_mb: sum((h) => h.memory_mb),
            memory_mb_used: sum((h) => h.memory_mb_used),
            free_ram_mb: sum((h) => h.memory_mb - h.memory_mb_used),
            local_gb: sum((h) => h.local_gb),
            local_gb_used: sum((h) => h.local_gb_used),
            free_disk_gb: sum((h) => h.local_gb - h.local_gb_used),
            disk_available_least: sum((h) => h.local_gb - h.local_gb_used),
            running_vms: 0,
            current_workload: 0,
          },
        },
        mvHeaders,
      );
    }
    throw new HttpError(404, 'The resource could not be found.');
  }
  if (r[0] === 'os-quota-sets' && r[1]) {
    const id = r[1];
    const keys = novaKeys(mv);
    if (r[2] === 'defaults' && r.length === 3 && method === 'GET') {
      return send(
        200,
        { quota_set: { id, ...Object.fromEntries(keys.map((k) => [k, NOVA_DEFAULTS[k]])) } },
        mvHeaders,
      );
    }
    if (id !== t.projectId && !t.roles.includes('admin')) {
      throw new HttpError(403, "Policy doesn't allow os_compute_api:os-quota-sets:show to be performed.");
    }
    const lim = c.limits(id).compute;
    if (r[2] === 'detail' && r.length === 3 && method === 'GET') {
      return send(
        200,
        {
          quota_set: {
            id,
            ...Object.fromEntries(
              keys.map((k) => [k, { in_use: c.inUse(id, 'compute', k), limit: lim[k], reserved: 0 }]),
            ),
          },
        },
        mvHeaders,
      );
    }
    if (r.length !== 2) throw new HttpError(404, 'The resource could not be found.');
    if (method === 'GET') {
      return send(200, { quota_set: { id, ...Object.fromEntries(keys.map((k) => [k, lim[k]])) } }, mvHeaders);
    }
    if (method === 'PUT') {
      c.requireAdmin(t, "Policy doesn't allow os_compute_api:os-quota-sets:update to be performed.");
      const qs = (body as { quota_set?: unknown } | undefined)?.quota_set;
      if (!body || typeof body !== 'object' || Object.keys(body).some((k) => k !== 'quota_set')) {
        throw new HttpError(
          400,
          `Invalid input for field/attribute quota_set. Value: ${pyRepr(body)}. 'quota_set' is a required property`,
        );
      }
      if (!qs || typeof qs !== 'object' || Array.isArray(qs)) {
        throw new HttpError(
          400,
          `Invalid input for field/attribute quota_set. Value: ${pyRepr(qs)}. ${pyRepr(qs)} is not of type 'object'`,
        );
      }
      const entries = Object.entries(qs as Record<string, unknown>);
      const allowed = new Set([...keys, 'force']);
      const extra = entries.map(([k]) => k).filter((k) => !allowed.has(k));
      if (extra.length) {
        throw new HttpError(
          400,
          `Invalid input for field/attribute quota_set. Value: ${pyRepr(qs)}. Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length === 1 ? 'was' : 'were'} unexpected)`,
        );
      }
      const force = (qs as Record<string, unknown>).force;
      if (force !== undefined && typeof force !== 'boolean' && !['true', 'false'].includes(String(force))) {
        throw new HttpError(
          400,
          `Invalid input for field/attribute force. Value: ${pyRepr(force)}. ${pyRepr(force)} is not of type 'boolean', 'string'`,
        );
      }
      const values: Record<string, number> = {};
      for (const [k, v] of entries) {
        if (k === 'force') continue;
        const n = quotaInt(v);
        if (n === undefined) {
          throw new HttpError(
            400,
            `Invalid input for field/attribute ${k}. Value: ${pyRepr(v)}. ${pyRepr(v)} is not of type 'integer', 'string'`,
          );
        }
        if (n < -1)
          throw new HttpError(
            400,
            `Invalid input for field/attribute ${k}. Value: ${pyRepr(v)}. ${n} is less than the minimum of -1`,
          );
        if (n > INT_MAX)
          throw new HttpError(
            400,
            `Invalid input for field/attribute ${k}. Value: ${pyRepr(v)}. ${n} is greater than the maximum of ${INT_MAX}`,
          );
        values[k] = n;
      }
      if (!c.projects.has(id)) throw new HttpError(400, `Project ID ${id} is not a valid project.`);
      if (force !== true && String(force) !== 'true') {
        for (const [k, n] of Object.entries(values)) {
          const used = c.inUse(id, 'compute', k);
          if (n !== -1 && n < used) {
            throw new HttpError(
              400,
              `Quota limit ${n} for ${k} must be greater than or equal to already used and reserved ${used}.`,
            );
          }
        }
      }
      c.setLimits(id, 'compute', values);
      const after = c.limits(id).compute;
      return send(200, { quota_set: Object.fromEntries(keys.map((k) => [k, after[k]])) }, mvHeaders);
    }
    if (method === 'DELETE') {
      c.requireAdmin(t, "Policy doesn't allow os_compute_api:os-quota-sets:delete to be performed.");
      c.clearLimits(id, 'compute');
      return send(202, undefined, mvHeaders);
    }
    throw new HttpError(405, 'Method Not Allowed');
  }
  throw new HttpError(404, 'The resource could not be found.');
}
