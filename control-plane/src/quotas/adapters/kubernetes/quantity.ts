import type { Amounts } from '../../types.js';

/**
 * Kubernetes resource quantities (the `resource.Quantity` serialisation of the published API,
 * k8s.io/apimachinery/pkg/api/resource): `<sign><digits>[.<digits>]<suffix>`, suffix one of the
 * binary `Ki Mi Gi Ti Pi Ei`, the decimal `n u m "" k M G T P E`, or an exponent `e<n>` / `E<n>`.
 */

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** The value of a quantity in base units (cores, bytes, items); throws on what is not a quantity. */
export function parseQuantity(q: string): number {
  if (typeof q !== 'string' || q.length === 0 || q.length > 64) {
    throw new Error(`"${String(q).slice(0, 64)}" is not a Kubernetes quantity`);
  }
  const m = QUANTITY.exec(q);
  if (!m) throw new Error(`"${q}" is not a Kubernetes quantity`);
  const sign = m[1] === '-' ? -1 : 1;
  const num = Number(m[2]);
  const suffix = m[3] ?? '';
  let factor: number;
  if (suffix in BINARY) factor = BINARY[suffix]!;
  else if (suffix in DECIMAL) factor = DECIMAL[suffix]!;
  else factor = 10 ** Number(suffix.slice(1));
  const v = sign * num * factor;
  if (!Number.isFinite(v)) throw new Error(`"${q}" is out of range`);
  return v;
}

/** CPU cores as a quantity: whole cores `8`, else millicores `500m` (rounded up to a millicore). */
export function formatCpu(cores: number): string {
  if (Number.isInteger(cores)) return String(cores);
  return `${Math.ceil(Math.round(cores * 1e6) / 1e3)}m`;
}

/** GiB as a quantity: whole GiB `16Gi`, else MiB `512Mi` (rounded up to a MiB). */
export function formatGiB(gib: number): string {
  if (Number.isInteger(gib)) return `${gib}Gi`;
  return `${Math.ceil(Math.round(gib * 1024 * 1e6) / 1e6)}Mi`;
}

/** Rounds to 6 decimals so that `500m` reads back as 0.5 and `1536Mi` as 1.5 exactly. */
function tidy(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/** Cores from a quantity (`500m` → 0.5, `2` → 2, `1k` → 1000). */
export function cpuOf(q: string): number {
  return tidy(parseQuantity(q));
}

/** GiB from a quantity (`16Gi` → 16, `1T` → 931.322575, `512Mi` → 0.5). */
export function gibOf(q: string): number {
  return tidy(parseQuantity(q) / 2 ** 30);
}

/**
 * How Tianshu's resource classes map onto `ResourceQuota` keys. vCPU limits both the requested and
 * the limited CPU of the namespace's pods (`requests.cpu`, `limits.cpu`), memory likewise; block
 * storage is `requests.storage` (every storage class); GPU is the extended resource
 * `requests.nvidia.com/gpu`. Object storage, public IPs and bandwidth have no Kubernetes quota: they
 * are left out of the ResourceQuota (the adapter neither writes nor reads them).
 */
export const CLASS_KEYS: Readonly<Record<string, { keys: readonly string[]; unit: 'cpu' | 'gib' | 'count' }>> = {
  vcpu: { keys: ['requests.cpu', 'limits.cpu'], unit: 'cpu' },
  memory: { keys: ['requests.memory', 'limits.memory'], unit: 'gib' },
  'block-storage': { keys: ['requests.storage'], unit: 'gib' },
  gpu: { keys: ['requests.nvidia.com/gpu'], unit: 'count' },
};

/** The ResourceQuota key that is read back for each class (the first of its keys). */
const PRIMARY: ReadonlyMap<string, string> = new Map(Object.entries(CLASS_KEYS).map(([c, m]) => [m.keys[0]!, c]));

function format(unit: 'cpu' | 'gib' | 'count', v: number): string {
  if (unit === 'cpu') return formatCpu(v);
  if (unit === 'gib') return formatGiB(v);
  return String(Math.ceil(v));
}

function valueOf(unit: 'cpu' | 'gib' | 'count', q: string): number {
  if (unit === 'cpu') return cpuOf(q);
  if (unit === 'gib') return gibOf(q);
  return tidy(parseQuantity(q));
}

/** `spec.hard` for our amounts; classes without a Kubernetes quota are left out. */
export function hardFromAmounts(amounts: Amounts): Record<string, string> {
  const hard: Record<string, string> = {};
  for (const [cls, v] of Object.entries(amounts)) {
    const m = CLASS_KEYS[cls];
    if (!m) continue;
    if (!Number.isFinite(v) || v < 0) throw new Error(`${cls}: ${v} is not a quota amount`);
    for (const k of m.keys) hard[k] = format(m.unit, v);
  }
  return hard;
}

/**
 * Our amounts from a ResourceQuota's `hard` or `used` map (each class from its primary key; other
 * keys ignored). Throws on a value that is not a quantity.
 */
export function amountsFromQuantities(map: Record<string, string> | undefined): Amounts {
  const out: Amounts = {};
  for (const [k, q] of Object.entries(map ?? {})) {
    const cls = PRIMARY.get(k);
    if (!cls) continue;
    out[cls] = valueOf(CLASS_KEYS[cls]!.unit, q);
  }
  return out;
}

/** Our classes the Kubernetes adapter can enforce. */
export const KUBERNETES_CLASSES: readonly string[] = Object.keys(CLASS_KEYS);
