import type { Amounts, ProjectTarget } from '../../types.js';
import { CloudError } from '../../types.js';

/**
 * Tianshu's resource classes on OpenStack's quota sets, both ways. Pure functions, tested without I/O.
 *
 * | class           | service | quota key (unit)        | capacity from                                 |
 * |-----------------|---------|-------------------------|-----------------------------------------------|
 * | `vcpu`          | Nova    | `cores` (vCPU)          | Σ `vcpus` of enabled hypervisors              |
 * | `memory` (GiB)  | Nova    | `ram` (MiB, × 1024)     | Σ `memory_mb` of enabled hypervisors ÷ 1024   |
 * | `block-storage` | Cinder  | `gigabytes` (GiB)       | Σ `total_capacity_gb` of the scheduler pools  |
 * | `public-ip`     | Neutron | `floatingip` (address)  | IPv4 addresses of the external networks       |
 *
 * Not mapped: `gpu` (Nova counts GPUs through flavors and Placement resource classes, not quota
 * sets), `object-storage` (Swift account quotas are a reseller-admin header, not these APIs) and
 * `bandwidth` (no quota API). `ensure` refuses them with a `rejected` error naming them, before
 * writing anything, so an allocation the cloud cannot enforce is shown, never silently dropped.
 * The hypervisors' `local_gb` (ephemeral disk on compute nodes) feeds no class: block storage is
 * Cinder's volumes, which the `gigabytes` quota limits.
 */

export type QuotaService = 'compute' | 'volume' | 'network';

export interface ClassMapping {
  service: QuotaService;
  key: string;
  /** Quota-set units per Tianshu unit (`ram` is MiB, `memory` GiB). */
  factor: number;
}

export const OPENSTACK_CLASSES: Readonly<Record<string, ClassMapping>> = {
  vcpu: { service: 'compute', key: 'cores', factor: 1 },
  memory: { service: 'compute', key: 'ram', factor: 1024 },
  'block-storage': { service: 'volume', key: 'gigabytes', factor: 1 },
  'public-ip': { service: 'network', key: 'floatingip', factor: 1 },
};

/** The services' names as operators know them, for messages. */
export const SERVICE_NAMES: Readonly<Record<QuotaService | 'identity', string>> = {
  identity: 'Keystone',
  compute: 'Nova',
  volume: 'Cinder',
  network: 'Neutron',
};

/** The limits and usage a service reports for one quota key; `limit` -1 is unlimited. */
export interface QuotaEntry {
  limit: number;
  used: number;
}

/**
 * The quota-set bodies that set `hard`, per service (only the services whose classes are given).
 * Refuses classes OpenStack's quota sets cannot hold, and amounts that are not whole, non-negative
 * numbers in the quota key's unit.
 */
export function toQuotaSets(hard: Amounts): Partial<Record<QuotaService, Record<string, number>>> {
  const unknown = Object.keys(hard).filter((c) => !(c in OPENSTACK_CLASSES));
  if (unknown.length) {
    throw new CloudError(
      'rejected',
      `OpenStack's quota sets have no limit for ${unknown.sort().join(', ')}: only ${Object.keys(OPENSTACK_CLASSES).join(', ')} can be enforced on this cloud`,
    );
  }
  const out: Partial<Record<QuotaService, Record<string, number>>> = {};
  for (const [cls, amount] of Object.entries(hard)) {
    const m = OPENSTACK_CLASSES[cls];
    if (!m) continue;
    const value = amount * m.factor;
    if (!Number.isFinite(value) || value < 0 || !Number.isInteger(value) || value > 2_147_483_647) {
      throw new CloudError(
        'rejected',
        `${cls} ${amount} cannot be written as ${SERVICE_NAMES[m.service]} ${m.key}: it must be a whole number of ${m.factor === 1 ? 'units' : `1/${m.factor} units`} from 0 to 2147483647`,
      );
    }
    (out[m.service] ??= {})[m.key] = value;
  }
  return out;
}

/**
 * Tianshu's classes from the services' quota entries: `hard` holds the classes with a limit
 * (unlimited, -1, is left out), `used` what is in use (with what is reserved) for every class read.
 */
export function fromQuotaSets(entries: Partial<Record<QuotaService, Record<string, QuotaEntry>>>): {
  hard: Amounts;
  used: Amounts;
} {
  const hard: Amounts = {};
  const used: Amounts = {};
  for (const [cls, m] of Object.entries(OPENSTACK_CLASSES)) {
    const e = entries[m.service]?.[m.key];
    if (!e) continue;
    if (e.limit >= 0) hard[cls] = e.limit / m.factor;
    used[cls] = e.used / m.factor;
  }
  return { hard, used };
}

/** Whether the limits read back already hold `wanted` (quota-set units), key by key. */
export function sameLimits(wanted: Record<string, number>, current: Record<string, QuotaEntry>): boolean {
  return Object.entries(wanted).every(([k, v]) => current[k]?.limit === v);
}

/* ───────────── project tags ───────────── */

/** The tag every project Tianshu manages carries (listed with `GET /v3/projects?tags=tianshu:managed`). */
export const MANAGED_TAG = 'tianshu:managed';
/** A project Tianshu created whose limits are not written yet (it stays disabled until they are). */
export const PENDING_TAG = 'tianshu:pending';
const PROJECT_TAG = 'tianshu:project=';
const ORG_UNIT_TAG = 'tianshu:org-unit=';

/** Keystone tags are 1–255 characters without "," or "/". */
const tagValue = (v: string) => v.replace(/[,/]/g, '_').slice(0, 200);

/** The tags naming the Tianshu project and its org unit. */
export function tagsFor(target: ProjectTarget): string[] {
  return [MANAGED_TAG, PROJECT_TAG + tagValue(target.projectId), ORG_UNIT_TAG + tagValue(target.orgUnitId)];
}

/** The description of a managed project (Keystone shows it in `openstack project show`). */
export function descriptionFor(target: ProjectTarget): string {
  return `Managed by Tianshu: project ${target.projectId} of org unit ${target.orgUnitId} (${target.orgPath})`.slice(
    0,
    255,
  );
}

/** A project's tags with Tianshu's replaced by the target's (other tags kept as they are). */
export function mergeTags(existing: readonly string[], target: ProjectTarget): string[] {
  return [...existing.filter((t) => t !== MANAGED_TAG && !t.startsWith('tianshu:')), ...tagsFor(target)];
}

/** The Tianshu project a project's tags name, if any. */
export function projectOfTags(tags: readonly string[]): string | undefined {
  return tags.find((t) => t.startsWith(PROJECT_TAG))?.slice(PROJECT_TAG.length);
}

/** The labels (in the Kubernetes adapter's terms) a managed project's tags carry. */
export function labelsOfTags(tags: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  if (tags.includes(MANAGED_TAG)) labels['app.kubernetes.io/managed-by'] = 'tianshu';
  const project = projectOfTags(tags);
  if (project !== undefined) labels['tianshu.gov.cn/project'] = project;
  const unit = tags.find((t) => t.startsWith(ORG_UNIT_TAG))?.slice(ORG_UNIT_TAG.length);
  if (unit !== undefined) labels['tianshu.gov.cn/org-unit'] = unit;
  return labels;
}

/* ───────────── capacity ───────────── */

export interface HypervisorTotals {
  status?: string | undefined;
  vcpus?: number | undefined;
  memory_mb?: number | undefined;
}

/**
 * vCPU and memory capacity from Nova's hypervisors: the enabled ones (a disabled compute service
 * takes no new servers); memory in whole GiB, rounded down.
 */
export function capacityOfHypervisors(hypervisors: readonly HypervisorTotals[]): Amounts {
  const enabled = hypervisors.filter((h) => h.status === undefined || h.status === 'enabled');
  const sum = (f: (h: HypervisorTotals) => number | undefined) =>
    enabled.reduce((a, h) => a + Math.max(0, f(h) ?? 0), 0);
  if (enabled.length === 0) return { vcpu: 0, memory: 0 };
  return { vcpu: sum((h) => h.vcpus), memory: Math.floor(sum((h) => h.memory_mb) / 1024) };
}

/**
 * Block-storage capacity from Cinder's pools (`total_capacity_gb`); pools that report `infinite` or
 * `unknown` (some thin back ends) give no figure, so neither does a cloud with only such pools.
 */
export function capacityOfPools(totals: ReadonlyArray<number | string | undefined>): number | undefined {
  const numbers = totals.filter((t): t is number => typeof t === 'number' && Number.isFinite(t) && t >= 0);
  if (numbers.length === 0) return undefined;
  return Math.floor(numbers.reduce((a, b) => a + b, 0));
}
