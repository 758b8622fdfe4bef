import { z } from 'zod';
import type {
  AdapterFactory,
  Amounts,
  CloudAdapter,
  CloudConnection,
  ProjectState,
  ProjectTarget,
} from '../../types.js';
import { CloudError } from '../../types.js';
import {
  MANAGED_TAG,
  OPENSTACK_CLASSES,
  PENDING_TAG,
  SERVICE_NAMES,
  capacityOfHypervisors,
  capacityOfPools,
  descriptionFor,
  fromQuotaSets,
  labelsOfTags,
  mergeTags,
  projectOfTags,
  sameLimits,
  tagsFor,
  toQuotaSets,
  type QuotaEntry,
  type QuotaService,
} from './mapping.js';
import { KeystoneSession, describe, type EndpointInterface } from './session.js';

/**
 * The OpenStack adapter: a Keystone v3 project per Tianshu project (named by its `externalName`,
 * tagged `tianshu:managed`, `tianshu:project=<id>`, `tianshu:org-unit=<id>`, described with the org
 * unit's path), and its limits in Nova's, Cinder's and Neutron's quota sets (classes mapped in
 * `mapping.ts`). Authenticates with an application credential (`secrets.applicationCredentialId`,
 * `secrets.applicationCredentialSecret`), which needs the `admin` role on its project to manage other
 * projects' quotas.
 *
 * Settings (`connection.settings`, all optional): `interface` (`public` | `internal` | `admin`, the
 * catalog endpoints used; default `public`), `projectDomain` (id or name of the Keystone domain the
 * projects live in; default `default`), `timeoutSeconds` (per HTTP request; default 15),
 * `concurrency` (projects read at once; default 8), `forceBelowUsage` (send Nova's `force` so a
 * limit may go below what servers already use, as a reclaim may; default false: Nova refuses and
 * the refusal is shown).
 *
 * OpenStack has no watch on quota sets and no per-project metrics in these APIs, so `watch` and
 * `physical` are absent: the reconcile loop's polling notices changes.
 */

const Settings = z.object({
  interface: z.enum(['public', 'internal', 'admin']).default('public'),
  projectDomain: z.string().trim().min(1).max(255).default('default'),
  timeoutSeconds: z.number().min(1).max(300).default(15),
  concurrency: z.number().int().min(1).max(64).default(8),
  forceBelowUsage: z.boolean().default(false),
});
export type OpenStackSettings = z.infer<typeof Settings>;

const Project = z.object({
  id: z.string().min(1),
  name: z.string(),
  domain_id: z.string().optional(),
  description: z.string().nullish(),
  enabled: z.boolean().optional(),
  tags: z.array(z.string()).default([]),
});
type Project = z.infer<typeof Project>;
const ProjectList = z.object({
  projects: z.array(Project),
  links: z.object({ next: z.string().nullish() }).partial().optional(),
});
const ProjectAnswer = z.object({ project: Project });
const DomainList = z.object({ domains: z.array(z.object({ id: z.string(), name: z.string() })) });

const Num = z.number().finite();
/** Nova's `/detail` and Cinder's `?usage=true` entries. */
const NovaCinderEntry = z.object({ limit: Num, in_use: Num, reserved: Num.optional() });
const NeutronEntry = z.object({ limit: Num, used: Num, reserved: Num.optional() });
const QuotaSetAnswer = z.object({ quota_set: z.record(z.string(), z.unknown()) });
const NeutronAnswer = z.object({ quota: z.record(z.string(), z.unknown()) });
const Hypervisors = z.object({
  hypervisors: z.array(
    z.object({ status: z.string().optional(), vcpus: Num.optional(), memory_mb: Num.optional() }),
  ),
});
const Pools = z.object({
  pools: z.array(
    z.object({
      capabilities: z
        .object({ total_capacity_gb: z.union([Num, z.string()]).optional() })
        .partial()
        .optional(),
    }),
  ),
});

const Networks = z.object({
  networks: z.array(z.object({ id: z.string(), 'router:external': z.boolean().optional() })),
});
const IpAvailability = z.object({
  network_ip_availability: z.object({
    subnet_ip_availability: z.array(z.object({ ip_version: z.number(), total_ips: Num.nonnegative() })),
  }),
});

/** Zero of every class the quota sets of these services hold. */
const zeroOfMapped = (services: readonly QuotaService[]): Amounts =>
  Object.fromEntries(
    Object.entries(OPENSTACK_CLASSES)
      .filter(([, m]) => services.includes(m.service))
      .map(([c]) => [c, 0]),
  );

/** The quota keys each service's answer is read for. */
const KEYS: Record<QuotaService, string[]> = {
  compute: ['cores', 'ram'],
  volume: ['gigabytes'],
  network: ['floatingip'],
};

export interface OpenStackAdapterOptions {
  now?: () => number;
  fetch?: typeof fetch;
}

export class OpenStackAdapter implements CloudAdapter {
  readonly kind = 'openstack' as const;
  private readonly session: KeystoneSession;
  private readonly settings: OpenStackSettings;
  private domainId: string | undefined;
  private closed = false;

  constructor(
    private readonly connection: CloudConnection,
    options: OpenStackAdapterOptions = {},
  ) {
    const settings = Settings.safeParse(connection.settings ?? {});
    if (!settings.success) {
      throw new CloudError(
        'rejected',
        `the OpenStack connection settings are invalid: ${describe(settings.error)}`,
      );
    }
    this.settings = settings.data;
    const id = connection.secrets.applicationCredentialId;
    const secret = connection.secrets.applicationCredentialSecret;
    if (!id || !secret) {
      throw new CloudError(
        'unauthorized',
        'the OpenStack connection needs the secrets applicationCredentialId and applicationCredentialSecret',
      );
    }
    let url: URL;
    try {
      url = new URL(connection.endpoint);
    } catch {
      throw new CloudError(
        'rejected',
        `the OpenStack endpoint is not a URL: ${connection.endpoint.slice(0, 200)}`,
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new CloudError('rejected', `the OpenStack endpoint must be http(s): ${url.origin}`);
    }
    this.session = new KeystoneSession({
      authUrl: connection.endpoint,
      credentialId: id,
      credentialSecret: secret,
      region: connection.region,
      interface: this.settings.interface as EndpointInterface,
      timeoutMs: this.settings.timeoutSeconds * 1000,
      ...(options.now ? { now: options.now } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  async capacity(): Promise<Amounts> {
    this.open();
    const hv = parse(
      Hypervisors,
      await this.session.request('compute', 'GET', '/os-hypervisors/detail'),
      'compute',
    );
    const out: Amounts = capacityOfHypervisors(hv.hypervisors);
    if (await this.session.has('volume')) {
      try {
        const pools = parse(
          Pools,
          await this.session.request('volume', 'GET', '/scheduler-stats/get_pools?detail=true'),
          'volume',
        );
        const gb = capacityOfPools(pools.pools.map((p) => p.capabilities?.total_capacity_gb));
        if (gb !== undefined) out['block-storage'] = gb;
      } catch (err) {
        // A Cinder that does not show its pools to this credential cannot report block storage:
        // the class is left out (an admin enters it); anything else is the cloud failing.
        if (!(err instanceof CloudError && (err.kind === 'forbidden' || err.kind === 'not-found'))) throw err;
      }
    }
    if (await this.session.has('network')) {
      const ips = await this.floatingIpCapacity();
      if (ips !== undefined) out['public-ip'] = ips;
    }
    return out;
  }

  /** Floating-IP capacity: the IPv4 addresses of the external networks' subnets. */
  private async floatingIpCapacity(): Promise<number | undefined> {
    try {
      const nets = parse(
        Networks,
        await this.session.request('network', 'GET', '/v2.0/networks?router%3Aexternal=true'),
        'network',
      );
      let total = 0;
      for (const n of nets.networks.filter((x) => x['router:external'] !== false)) {
        const a = parse(
          IpAvailability,
          await this.session.request(
            'network',
            'GET',
            `/v2.0/network-ip-availabilities/${encodeURIComponent(n.id)}`,
          ),
          'network',
        );
        total += a.network_ip_availability.subnet_ip_availability
          .filter((sub) => sub.ip_version === 4)
          .reduce((sum, sub) => sum + sub.total_ips, 0);
      }
      return total;
    } catch (err) {
      // The network-ip-availability API is admin-only and an extension: without it, no figure.
      if (err instanceof CloudError && (err.kind === 'forbidden' || err.kind === 'not-found'))
        return undefined;
      throw err;
    }
  }

  async ensure(target: ProjectTarget, hard: Amounts): Promise<ProjectState> {
    this.open();
    // Refuses what cannot be enforced, and fails on a service missing from the catalog, before
    // anything is created or written.
    for (const s of Object.keys(toQuotaSets(hard)) as QuotaService[]) await this.session.endpoint(s);
    let project = await this.ensureProject(target);
    // A project Tianshu has just created starts at zero of every class it was not allocated, not at
    // the cloud's default quotas; it is enabled once its limits are in place.
    const fresh = project.tags.includes(PENDING_TAG);
    const present = await this.presentServices();
    const sets = toQuotaSets(fresh ? { ...zeroOfMapped(present), ...hard } : hard);
    const services = Object.keys(sets) as QuotaService[];
    const before = await this.quotas(project.id, present);
    const written: QuotaService[] = [];
    try {
      for (const s of services) {
        const wanted = sets[s] ?? {};
        if (sameLimits(wanted, before[s] ?? {})) continue;
        await this.writeQuota(project.id, s, wanted);
        written.push(s);
      }
    } catch (err) {
      // Put back what this call already changed, so a refusal by one service leaves none half-applied.
      const undo: string[] = [];
      for (const s of [...written].reverse()) {
        const previous = Object.fromEntries(KEYS[s].map((k) => [k, before[s]?.[k]?.limit ?? -1]));
        const keys = Object.keys(sets[s] ?? {});
        try {
          await this.writeQuota(
            project.id,
            s,
            Object.fromEntries(keys.map((k) => [k, previous[k] ?? -1])),
            true,
          );
        } catch (undoErr) {
          undo.push(`${SERVICE_NAMES[s]}: ${undoErr instanceof Error ? undoErr.message : String(undoErr)}`);
        }
      }
      if (err instanceof CloudError) {
        const note = written.length
          ? undo.length
            ? `; putting back ${written.map((s) => SERVICE_NAMES[s]).join(', ')} failed too (${undo.join('; ')})`
            : `; ${written.map((s) => SERVICE_NAMES[s]).join(', ')} put back as before`
          : '';
        throw new CloudError(err.kind, err.message + note, err.status);
      }
      throw err;
    }
    if (fresh) {
      const enabled = await this.session.request(
        'identity',
        'PATCH',
        `/projects/${encodeURIComponent(project.id)}`,
        {
          project: { enabled: true, tags: project.tags.filter((t) => t !== PENDING_TAG) },
        },
      );
      project = parse(ProjectAnswer, enabled, 'identity').project;
    }
    // Read back what was written; the services left alone answered just before.
    const after = { ...before, ...(await this.quotas(project.id, written)) };
    return this.stateOf(project, after);
  }

  async read(externalNames?: readonly string[]): Promise<ProjectState[]> {
    this.open();
    const domain = await this.domain();
    const services = await this.presentServices();
    if (externalNames === undefined) {
      const managed = await this.listProjects({ tags: MANAGED_TAG, domain_id: domain });
      return pool(managed, this.settings.concurrency, async (p) =>
        this.stateOf(p, await this.quotas(p.id, services)),
      );
    }
    return pool([...externalNames], this.settings.concurrency, async (name) => {
      const p = await this.findProject(name);
      if (!p) return { externalName: name, exists: false, hard: {}, used: {} };
      return this.stateOf(p, await this.quotas(p.id, services));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.session.reset();
  }

  /* ───────────── projects ───────────── */

  private async domain(): Promise<string> {
    if (this.domainId !== undefined) return this.domainId;
    const wanted = this.settings.projectDomain;
    let id = wanted;
    if (wanted !== 'default') {
      // Accept a domain name as well as an id (`Default` is the usual name of `default`).
      const found = parse(
        DomainList,
        await this.session.request('identity', 'GET', `/domains?name=${encodeURIComponent(wanted)}`),
        'identity',
      );
      const d = found.domains.find((x) => x.name === wanted);
      if (d) id = d.id;
    }
    this.domainId = id;
    return id;
  }

  private async listProjects(filters: Record<string, string>): Promise<Project[]> {
    const out: Project[] = [];
    let next: string | undefined = `/projects?${new URLSearchParams(filters).toString()}`;
    for (let page = 0; next && page < 1000; page++) {
      const answer: z.infer<typeof ProjectList> = parse(
        ProjectList,
        await this.session.request('identity', 'GET', next),
        'identity',
      );
      out.push(...answer.projects);
      next = answer.links?.next ?? undefined;
    }
    return out;
  }

  private async findProject(name: string): Promise<Project | undefined> {
    const found = await this.listProjects({ name, domain_id: await this.domain() });
    return found.find((p) => p.name === name);
  }

  private async ensureProject(target: ProjectTarget): Promise<Project> {
    const domain = await this.domain();
    let p = await this.findProject(target.externalName);
    if (!p) {
      try {
        const created = await this.session.request('identity', 'POST', '/projects', {
          project: {
            name: target.externalName,
            domain_id: domain,
            description: descriptionFor(target),
            // Disabled until its limits are written: nobody can use the cloud's default quotas.
            enabled: false,
            tags: [...tagsFor(target), PENDING_TAG],
          },
        });
        return parse(ProjectAnswer, created, 'identity').project;
      } catch (err) {
        // Created meanwhile by another replica: use that one.
        if (!(err instanceof CloudError && err.kind === 'conflict')) throw err;
        p = await this.findProject(target.externalName);
        if (!p) throw err;
      }
    }
    const owner = projectOfTags(p.tags);
    if (owner !== undefined && owner !== target.projectId.replace(/[,/]/g, '_').slice(0, 200)) {
      throw new CloudError(
        'conflict',
        `the OpenStack project ${target.externalName} (${p.id}) belongs to Tianshu project ${owner}, not ${target.projectId}`,
      );
    }
    const tags = [...mergeTags(p.tags, target), ...(p.tags.includes(PENDING_TAG) ? [PENDING_TAG] : [])];
    const description = descriptionFor(target);
    if (tags.join('\n') !== p.tags.join('\n') || (p.description ?? '') !== description) {
      const patched = await this.session.request(
        'identity',
        'PATCH',
        `/projects/${encodeURIComponent(p.id)}`,
        {
          project: { tags, description },
        },
      );
      p = parse(ProjectAnswer, patched, 'identity').project;
    }
    return p;
  }

  /* ───────────── quota sets ───────────── */

  private async presentServices(): Promise<QuotaService[]> {
    const out: QuotaService[] = [];
    for (const s of ['compute', 'volume', 'network'] as const) if (await this.session.has(s)) out.push(s);
    return out;
  }

  /** The limits and usage of the mapped keys, per service asked. */
  private async quotas(
    projectId: string,
    services: readonly QuotaService[],
  ): Promise<Partial<Record<QuotaService, Record<string, QuotaEntry>>>> {
    const id = encodeURIComponent(projectId);
    const entries = await Promise.all(
      services.map(async (s): Promise<[QuotaService, Record<string, QuotaEntry>]> => {
        if (s === 'network') {
          const a = parse(
            NeutronAnswer,
            await this.session.request(s, 'GET', `/v2.0/quotas/${id}/details.json`),
            s,
          );
          return [
            s,
            pick(a.quota, KEYS[s], NeutronEntry, s, (e) => ({
              limit: e.limit,
              used: e.used + (e.reserved ?? 0),
            })),
          ];
        }
        const path = s === 'compute' ? `/os-quota-sets/${id}/detail` : `/os-quota-sets/${id}?usage=true`;
        const a = parse(QuotaSetAnswer, await this.session.request(s, 'GET', path), s);
        return [
          s,
          pick(a.quota_set, KEYS[s], NovaCinderEntry, s, (e) => ({
            limit: e.limit,
            used: e.in_use + (e.reserved ?? 0),
          })),
        ];
      }),
    );
    return Object.fromEntries(entries);
  }

  private async writeQuota(
    projectId: string,
    s: QuotaService,
    values: Record<string, number>,
    force = false,
  ) {
    const id = encodeURIComponent(projectId);
    if (s === 'network') {
      parse(NeutronAnswer, await this.session.request(s, 'PUT', `/v2.0/quotas/${id}`, { quota: values }), s);
      return;
    }
    const body =
      s === 'compute' && (force || this.settings.forceBelowUsage) ? { ...values, force: true } : values;
    parse(
      QuotaSetAnswer,
      await this.session.request(s, 'PUT', `/os-quota-sets/${id}`, { quota_set: body }),
      s,
    );
  }

  private stateOf(
    p: Project,
    entries: Partial<Record<QuotaService, Record<string, QuotaEntry>>>,
  ): ProjectState {
    const { hard, used } = fromQuotaSets(entries);
    return { externalName: p.name, exists: true, hard, used, labels: labelsOfTags(p.tags) };
  }

  private open(): void {
    if (this.closed)
      throw new CloudError(
        'unreachable',
        `the OpenStack adapter of cloud ${this.connection.cloudId} is closed`,
      );
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, service: QuotaService | 'identity'): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new CloudError(
      'invalid-answer',
      `${SERVICE_NAMES[service]}'s answer has an unexpected shape (${describe(r.error)})`,
    );
  }
  return r.data;
}

function pick<E>(
  set: Record<string, unknown>,
  keys: readonly string[],
  schema: z.ZodType<E>,
  service: QuotaService,
  toEntry: (e: E) => QuotaEntry,
): Record<string, QuotaEntry> {
  const out: Record<string, QuotaEntry> = {};
  for (const k of keys) {
    const r = schema.safeParse(set[k]);
    if (!r.success) {
      throw new CloudError(
        'invalid-answer',
        `${SERVICE_NAMES[service]}'s quota set has no usable ${k} (${describe(r.error)})`,
      );
    }
    out[k] = toEntry(r.data);
  }
  return out;
}

/** Maps `items` with at most `n` calls in flight; the first failure rejects (after the others settle). */
async function pool<T, R>(items: readonly T[], n: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        out[i] = await f(items[i] as T);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  if (failure) throw failure.err;
  return out;
}

export const openstackAdapter: AdapterFactory = (connection) => new OpenStackAdapter(connection);
