/**
 * The quota API as the console uses it (`/api/v1/quotas/*`, see the quotas contract), and the pure
 * pieces of the quota pages: the parsing of every answer (a field of the wrong type is an error naming
 * the field, never a silent blank), the monthly cost from the price list, the checks the API makes on
 * requested amounts (so the form says what is wrong before sending), the quota tree flattened into
 * table rows, the request list's query held in the URL, and the words of statuses and kinds. Pure
 * apart from the fetch functions; unit-tested.
 */
import { msg } from '@lit/localize';
import { currentLocale } from '../i18n/locale.js';
import { ApiError, apiFetch, query } from './api.js';

export const quotasApi = '/api/v1/quotas';

/** Amounts per resource class id, in the class's unit. */
export type Amounts = Record<string, number>;

/** A name in both languages of the console, as `policies/quotas.yaml` gives it. */
export interface Names {
  'zh-CN': string;
  en: string;
}

export interface ResourceClass {
  id: string;
  names: Names;
  unit: string;
  /** Whole units only. */
  integer: boolean;
  /** CNY per unit per month. */
  monthlyPrice: number;
}

export interface CataloguePackage {
  id: string;
  names: Names;
  description: Names | null;
  resources: Amounts;
}

export const cloudKinds = ['kubernetes', 'openstack', 'manual'] as const;
export const syncStates = ['ok', 'error', 'never'] as const;

export interface CloudError {
  kind: string;
  message: string;
  at: string;
}

export interface CloudClass {
  class: string;
  capacity: number | null;
  capacitySource: 'cloud' | 'manual' | null;
  overcommit: number;
  allocatable: number | null;
  allocated: number;
  used: number;
  physical: number;
}

export interface Cloud {
  id: string;
  name: string;
  kind: string;
  tier: string;
  orgUnitId: string;
  orgUnitName: string;
  region: string;
  /** Null when none is set, or when the caller may not see it (a unit holding quota on the cloud). */
  connection: {
    endpoint: string;
    settings: Record<string, unknown>;
    secrets: Record<string, boolean>;
  } | null;
  classes: CloudClass[];
  /** `owner`: the cloud is in the caller's org units; `quota-holder`: the caller only holds quota on it. */
  access: 'owner' | 'quota-holder';
  /** The last reading of capacity from the cloud. */
  capacityRead: { state: string; at: string | null; error: CloudError | null; ignoredClasses: string[] };
  sync: { state: string; error: CloudError | null; checkedAt: string | null };
}

export interface TreeNode {
  kind: 'org-unit' | 'project';
  id: string;
  name: string;
  orgUnitId: string;
  quota: Amounts;
  allocatedToChildren: Amounts;
  used: Amounts;
  physical: Amounts;
  children: TreeNode[];
}

export interface QuotaTree {
  cloudId: string | null;
  clouds: string[];
  classes: string[];
  root: TreeNode;
}

export interface Project {
  id: string;
  orgUnitId: string;
  name: string;
  externalName: string;
}

export const requestStatuses = [
  'pending',
  'approved',
  'rejected',
  'withdrawn',
  'enforced',
  'expired',
  'failed',
] as const;
export type RequestStatus = (typeof requestStatuses)[number];

export interface RequestStep {
  level: number;
  approverLevel: string;
  /** The unit that must act, when the chain names one. */
  orgUnitName: string;
  state: string;
  by: string | null;
  at: string | null;
  comment: string | null;
}

export interface TimelineEntry {
  at: string;
  kind: string;
  by: string | null;
  text: string | null;
}

export interface Enforcement {
  /** D's sync state of the project on the cloud (`pending`, `applied`, `drift`, `error`, `awaiting-confirmation`). */
  state: string;
  applied: boolean;
  version: number | null;
  appliedVersion: number | null;
  error: CloudError | null;
  checkedAt: string | null;
}

export interface QuotaRequest {
  id: string;
  cloudId: string;
  projectId: string;
  orgUnitId: string;
  orgUnitName: string;
  applicant: string;
  amounts: Amounts;
  package: string | null;
  quantity: number | null;
  monthlyCost: number;
  justification: string;
  durationDays: number;
  status: string;
  steps: RequestStep[];
  createdAt: string;
  decidedAt: string | null;
  expiresAt: string | null;
  /** Why it waits or failed: `allocation` (the ledger refused), `release`, or a cloud error's kind. */
  error: { kind: string; code: string; message: string } | null;
  timeline: TimelineEntry[];
  enforcement: Enforcement | null;
}

export interface RequestPage {
  items: QuotaRequest[];
  nextCursor: string | null;
}

export const reclaimStatuses = ['proposed', 'declined', 'applied', 'cancelled'] as const;

export interface Reclaim {
  id: string;
  cloudId: string;
  projectId: string;
  orgUnitId: string;
  amounts: Amounts;
  evidence: { windowDays: number; peakUsed: Amounts; peakPhysical: Amounts; quota: Amounts };
  status: string;
  proposedAt: string;
  applyAfter: string;
  decidedBy: string | null;
  reason: string | null;
  /** What was really taken back, once applied. */
  applied: Amounts | null;
  /** Why applying it failed (the cloud or the ledger refused), kept until it succeeds. */
  error: { message: string; at: string } | null;
}

export interface ShowbackItem {
  orgUnitId: string;
  name: string;
  byClass: Record<string, { quota: number; used: number; cost: number }>;
  total: number;
}

export interface Showback {
  month: string;
  currency: string;
  items: ShowbackItem[];
}

export interface Scorecard {
  cloudId: string;
  name: string;
  /** 0–1. */
  availability: number | null;
  fulfilmentHoursMedian: number | null;
  /** Used ÷ quota per class, 0–1. */
  utilisation: Amounts;
  drift: number;
  errors: number;
  /** 0–100. */
  score: number | null;
}

// ---- Parsing ----

/** An answer that does not have the contract's shape: names the field, so the page can say what is wrong. */
export class ShapeError extends Error {
  readonly path: string;

  constructor(path: string, expected: string) {
    super(`unexpected answer from the server: ${path} is not ${expected}`);
    this.name = 'ShapeError';
    this.path = path;
  }
}

type Obj = Record<string, unknown>;

function obj(v: unknown, path: string): Obj {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ShapeError(path, 'an object');
  return v as Obj;
}
function str(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new ShapeError(`${path}.${key}`, 'a string');
  return v;
}
function optStr(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new ShapeError(`${path}.${key}`, 'a string');
  return v;
}
function strOrNull(o: Obj, key: string, path: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new ShapeError(`${path}.${key}`, 'a string or null');
  return v;
}
function num(o: Obj, key: string, path: string, fallback?: number): number {
  const v = o[key];
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ShapeError(`${path}.${key}`, 'a number');
  return v;
}
function numOrNull(o: Obj, key: string, path: string): number | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ShapeError(`${path}.${key}`, 'a number or null');
  return v;
}
function bool(o: Obj, key: string, path: string, fallback: boolean): boolean {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new ShapeError(`${path}.${key}`, 'true or false');
  return v;
}
function list<T>(
  o: Obj,
  key: string,
  path: string,
  item: (v: unknown, path: string) => T,
  optional = false,
): T[] {
  const v = o[key];
  if ((v === undefined || v === null) && optional) return [];
  if (!Array.isArray(v)) throw new ShapeError(`${path}.${key}`, 'a list');
  return v.map((x, i) => item(x, `${path}.${key}[${i}]`));
}
const strItem = (v: unknown, path: string): string => {
  if (typeof v !== 'string') throw new ShapeError(path, 'a string');
  return v;
};
/** Amounts per class; absent is empty; every value must be a finite number. */
function amounts(o: Obj, key: string, path: string): Amounts {
  const v = o[key];
  if (v === undefined || v === null) return {};
  const m = obj(v, `${path}.${key}`);
  const out: Amounts = {};
  for (const [k, n] of Object.entries(m)) {
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new ShapeError(`${path}.${key}.${k}`, 'a number');
    out[k] = n;
  }
  return out;
}
function names(o: Obj, key: string, path: string, fallback?: string): Names {
  const v = o[key];
  if ((v === undefined || v === null) && fallback !== undefined) return { 'zh-CN': fallback, en: fallback };
  if (typeof v === 'string') return { 'zh-CN': v, en: v };
  const m = obj(v, `${path}.${key}`);
  const en = typeof m['en'] === 'string' ? m['en'] : undefined;
  const zh = typeof m['zh-CN'] === 'string' ? m['zh-CN'] : undefined;
  if (en === undefined && zh === undefined) throw new ShapeError(`${path}.${key}`, 'names in zh-CN and en');
  return { 'zh-CN': zh ?? en ?? '', en: en ?? zh ?? '' };
}
/** A list answer: `{items: […]}` (or, from an older part, a bare list). */
function items<T>(v: unknown, path: string, item: (v: unknown, path: string) => T, key = 'items'): T[] {
  if (Array.isArray(v)) return v.map((x, i) => item(x, `${path}[${i}]`));
  return list(obj(v, path), key, path, item);
}
function cloudError(v: unknown, path: string): CloudError | null {
  if (v === undefined || v === null) return null;
  const o = obj(v, path);
  return {
    kind: optStr(o, 'kind', path) || 'unknown',
    message: str(o, 'message', path),
    at: optStr(o, 'at', path),
  };
}

/** The name in the console's language. */
export const localName = (n: Names): string => (currentLocale() === 'zh-CN' ? n['zh-CN'] : n.en) || n.en;

export function parseClass(v: unknown, path = 'class'): ResourceClass {
  const o = obj(v, path);
  const id = str(o, 'id', path);
  return {
    id,
    names: names(o, 'names', path, id),
    unit: optStr(o, 'unit', path),
    integer: bool(o, 'integer', path, true),
    monthlyPrice: num(o, 'monthlyPrice', path, 0),
  };
}

export const parseClasses = (v: unknown): ResourceClass[] => items(v, 'classes', parseClass);

export function parsePackage(v: unknown, path = 'package'): CataloguePackage {
  const o = obj(v, path);
  const id = str(o, 'id', path);
  return {
    id,
    names: names(o, 'names', path, id),
    description:
      o['description'] === undefined || o['description'] === null ? null : names(o, 'description', path),
    resources: amounts(o, 'resources', path),
  };
}

export const parseCatalogue = (v: unknown): CataloguePackage[] => items(v, 'catalogue', parsePackage);

function parseCloudClass(v: unknown, path: string): CloudClass {
  const o = obj(v, path);
  const source = o['capacitySource'];
  if (source !== undefined && source !== null && source !== 'cloud' && source !== 'manual')
    throw new ShapeError(`${path}.capacitySource`, '"cloud", "manual" or null');
  return {
    class: str(o, 'class', path),
    capacity: numOrNull(o, 'capacity', path),
    capacitySource: (source as CloudClass['capacitySource'] | undefined) ?? null,
    overcommit: num(o, 'overcommit', path, 1),
    allocatable: numOrNull(o, 'allocatable', path),
    allocated: num(o, 'allocated', path, 0),
    used: num(o, 'used', path, 0),
    physical: num(o, 'physical', path, 0),
  };
}

export function parseCloud(v: unknown, path = 'cloud'): Cloud {
  const o = obj(v, path);
  let connection: Cloud['connection'] = null;
  if (o['connection'] !== undefined && o['connection'] !== null) {
    const c = obj(o['connection'], `${path}.connection`);
    const secrets: Record<string, boolean> = {};
    if (c['secrets'] !== undefined && c['secrets'] !== null)
      for (const [k, s] of Object.entries(obj(c['secrets'], `${path}.connection.secrets`)))
        secrets[k] = s === true;
    connection = {
      endpoint: optStr(c, 'endpoint', `${path}.connection`),
      settings: c['settings'] ? obj(c['settings'], `${path}.connection.settings`) : {},
      secrets,
    };
  }
  const sync = o['sync'] === undefined || o['sync'] === null ? {} : obj(o['sync'], `${path}.sync`);
  const read =
    o['capacityRead'] === undefined || o['capacityRead'] === null
      ? {}
      : obj(o['capacityRead'], `${path}.capacityRead`);
  return {
    id: str(o, 'id', path),
    name: str(o, 'name', path),
    kind: str(o, 'kind', path),
    tier: optStr(o, 'tier', path),
    orgUnitId: str(o, 'orgUnitId', path),
    orgUnitName: optStr(o, 'orgUnitName', path),
    region: optStr(o, 'region', path),
    connection,
    classes: list(o, 'classes', path, parseCloudClass, true),
    access: o['access'] === 'quota-holder' ? 'quota-holder' : 'owner',
    capacityRead: {
      state: optStr(read, 'state', `${path}.capacityRead`) || 'never',
      at: strOrNull(read, 'at', `${path}.capacityRead`),
      error: cloudError(read['error'], `${path}.capacityRead.error`),
      ignoredClasses: list(read, 'ignoredClasses', `${path}.capacityRead`, strItem, true),
    },
    sync: {
      state: optStr(sync, 'state', `${path}.sync`) || 'never',
      error: cloudError(sync['error'], `${path}.sync.error`),
      checkedAt: strOrNull(sync, 'checkedAt', `${path}.sync`),
    },
  };
}

export const parseClouds = (v: unknown): Cloud[] => items(v, 'clouds', parseCloud);

export function parseTreeNode(v: unknown, path = 'root'): TreeNode {
  const o = obj(v, path);
  const kind = o['kind'];
  if (kind !== 'org-unit' && kind !== 'project')
    throw new ShapeError(`${path}.kind`, '"org-unit" or "project"');
  return {
    kind,
    id: str(o, 'id', path),
    name: optStr(o, 'name', path) || str(o, 'id', path),
    orgUnitId: optStr(o, 'orgUnitId', path),
    quota: amounts(o, 'quota', path),
    allocatedToChildren: amounts(o, 'allocatedToChildren', path),
    used: amounts(o, 'used', path),
    physical: amounts(o, 'physical', path),
    children: list(o, 'children', path, parseTreeNode, true),
  };
}

export function parseTree(v: unknown): QuotaTree {
  const o = obj(v, 'tree');
  return {
    cloudId: strOrNull(o, 'cloudId', 'tree'),
    clouds: list(o, 'clouds', 'tree', strItem, true),
    classes: list(
      o,
      'classes',
      'tree',
      (c, p) => (typeof c === 'string' ? c : str(obj(c, p), 'id', p)),
      true,
    ),
    root: parseTreeNode(o['root'], 'tree.root'),
  };
}

export function parseProject(v: unknown, path = 'project'): Project {
  const o = obj(v, path);
  return {
    id: str(o, 'id', path),
    orgUnitId: str(o, 'orgUnitId', path),
    name: optStr(o, 'name', path) || str(o, 'id', path),
    externalName: optStr(o, 'externalName', path),
  };
}

export const parseProjects = (v: unknown): Project[] => items(v, 'projects', parseProject);

function parseStep(v: unknown, path: string): RequestStep {
  const o = obj(v, path);
  return {
    level: num(o, 'level', path, 0),
    approverLevel: optStr(o, 'approverLevel', path),
    orgUnitName: optStr(o, 'orgUnitName', path),
    state: str(o, 'state', path),
    by: strOrNull(o, 'by', path),
    at: strOrNull(o, 'at', path),
    comment: strOrNull(o, 'comment', path),
  };
}

function parseTimelineEntry(v: unknown, path: string): TimelineEntry {
  const o = obj(v, path);
  const kind = optStr(o, 'kind', path) || optStr(o, 'event', path) || optStr(o, 'action', path);
  const text =
    strOrNull(o, 'text', path) ??
    strOrNull(o, 'comment', path) ??
    strOrNull(o, 'reason', path) ??
    strOrNull(o, 'message', path);
  return { at: str(o, 'at', path), kind, by: strOrNull(o, 'by', path) ?? strOrNull(o, 'actor', path), text };
}

function parseEnforcement(v: unknown, path: string): Enforcement | null {
  if (v === undefined || v === null) return null;
  const o = obj(v, path);
  const sync = o['sync'] && typeof o['sync'] === 'object' ? obj(o['sync'], `${path}.sync`) : o;
  const version = numOrNull(o, 'version', path);
  const appliedVersion = numOrNull(sync, 'appliedVersion', path);
  const applied =
    typeof o['applied'] === 'boolean'
      ? o['applied']
      : version !== null && appliedVersion !== null && appliedVersion >= version;
  return {
    state: optStr(sync, 'state', path) || (applied ? 'applied' : 'pending'),
    applied,
    version,
    appliedVersion,
    error: cloudError(sync['error'], `${path}.error`),
    checkedAt: strOrNull(sync, 'checkedAt', path),
  };
}

export function parseRequest(v: unknown, path = 'request'): QuotaRequest {
  const o = obj(v, path);
  let error: QuotaRequest['error'] = null;
  if (o['error'] !== undefined && o['error'] !== null) {
    const e = obj(o['error'], `${path}.error`);
    error = {
      kind: optStr(e, 'kind', `${path}.error`),
      code: optStr(e, 'code', `${path}.error`),
      message: str(e, 'message', `${path}.error`),
    };
  }
  return {
    id: str(o, 'id', path),
    cloudId: str(o, 'cloudId', path),
    projectId: str(o, 'projectId', path),
    orgUnitId: str(o, 'orgUnitId', path),
    orgUnitName: optStr(o, 'orgUnitName', path),
    applicant: optStr(o, 'applicant', path),
    amounts: amounts(o, 'amounts', path),
    package: strOrNull(o, 'package', path),
    quantity: numOrNull(o, 'quantity', path),
    monthlyCost: num(o, 'monthlyCost', path, 0),
    justification: optStr(o, 'justification', path),
    durationDays: num(o, 'durationDays', path, 0),
    status: str(o, 'status', path),
    steps: list(o, 'steps', path, parseStep, true),
    createdAt: str(o, 'createdAt', path),
    decidedAt: strOrNull(o, 'decidedAt', path),
    expiresAt: strOrNull(o, 'expiresAt', path),
    error,
    timeline: list(o, 'timeline', path, parseTimelineEntry, true),
    enforcement: parseEnforcement(o['enforcement'], `${path}.enforcement`),
  };
}

export function parseRequestPage(v: unknown): RequestPage {
  const o = obj(v, 'requests');
  return {
    items: list(o, 'items', 'requests', parseRequest),
    nextCursor: strOrNull(o, 'nextCursor', 'requests'),
  };
}

export function parseReclaim(v: unknown, path = 'reclaim'): Reclaim {
  const o = obj(v, path);
  const e =
    o['evidence'] === undefined || o['evidence'] === null ? {} : obj(o['evidence'], `${path}.evidence`);
  return {
    id: str(o, 'id', path),
    cloudId: str(o, 'cloudId', path),
    projectId: str(o, 'projectId', path),
    orgUnitId: optStr(o, 'orgUnitId', path),
    amounts: amounts(o, 'amounts', path),
    evidence: {
      windowDays: num(e, 'windowDays', `${path}.evidence`, 0),
      peakUsed: amounts(e, 'peakUsed', `${path}.evidence`),
      peakPhysical: amounts(e, 'peakPhysical', `${path}.evidence`),
      quota: amounts(e, 'quota', `${path}.evidence`),
    },
    status: str(o, 'status', path),
    proposedAt: str(o, 'proposedAt', path),
    applyAfter: str(o, 'applyAfter', path),
    decidedBy: strOrNull(o, 'decidedBy', path),
    reason: strOrNull(o, 'reason', path),
    applied: o['applied'] === undefined || o['applied'] === null ? null : amounts(o, 'applied', path),
    error:
      o['error'] === undefined || o['error'] === null
        ? null
        : (() => {
            const e = obj(o['error'], `${path}.error`);
            return { message: str(e, 'message', `${path}.error`), at: optStr(e, 'at', `${path}.error`) };
          })(),
  };
}

export const parseReclaims = (v: unknown): Reclaim[] => items(v, 'reclaims', parseReclaim);

export function parseShowback(v: unknown): Showback {
  const o = obj(v, 'showback');
  return {
    month: str(o, 'month', 'showback'),
    currency: optStr(o, 'currency', 'showback') || 'CNY',
    items: list(o, 'items', 'showback', (x, p) => {
      const i = obj(x, p);
      const byClass: ShowbackItem['byClass'] = {};
      const raw =
        i['byClass'] === undefined || i['byClass'] === null ? {} : obj(i['byClass'], `${p}.byClass`);
      for (const [cls, c] of Object.entries(raw)) {
        const cp = `${p}.byClass.${cls}`;
        const co = obj(c, cp);
        byClass[cls] = {
          quota: num(co, 'quota', cp, 0),
          used: num(co, 'used', cp, 0),
          cost: num(co, 'cost', cp, 0),
        };
      }
      return {
        orgUnitId: str(i, 'orgUnitId', p),
        name: optStr(i, 'name', p),
        byClass,
        total: num(i, 'total', p),
      };
    }),
  };
}

export function parseScorecards(v: unknown): Scorecard[] {
  return items(v, 'scorecards', (x, p) => {
    const o = obj(x, p);
    return {
      cloudId: str(o, 'cloudId', p),
      name: optStr(o, 'name', p) || str(o, 'cloudId', p),
      availability: numOrNull(o, 'availability', p),
      fulfilmentHoursMedian: numOrNull(o, 'fulfilmentHoursMedian', p),
      utilisation: amounts(o, 'utilisation', p),
      drift: num(o, 'drift', p, 0),
      errors: num(o, 'errors', p, 0),
      score: numOrNull(o, 'score', p),
    };
  });
}

// ---- Pure pieces ----

/** The monthly cost of amounts by the price list (CNY); classes without a price cost nothing. */
export function monthlyCost(a: Amounts, classes: readonly ResourceClass[]): number {
  let total = 0;
  for (const c of classes) total += (a[c.id] ?? 0) * c.monthlyPrice;
  return Math.round(total * 100) / 100;
}

/** A catalogue package times a quantity. */
export function packageAmounts(pkg: CataloguePackage, quantity: number): Amounts {
  const out: Amounts = {};
  for (const [cls, n] of Object.entries(pkg.resources)) out[cls] = n * quantity;
  return out;
}

export type AmountProblem = 'unknown-class' | 'not-number' | 'negative' | 'not-whole';

/** One problem with a requested amount, for the form to show beside the class. */
export interface AmountIssue {
  class: string;
  problem: AmountProblem;
}

/**
 * The checks the API makes on requested amounts (`quota.unknown_class`, `quota.not_whole`,
 * `input.invalid`): every class known, every amount a finite number ≥ 0, whole where the class counts
 * whole units. The server checks again; this only says sooner what it would refuse.
 */
export function amountIssues(a: Record<string, number>, classes: readonly ResourceClass[]): AmountIssue[] {
  const byId = new Map(classes.map((c) => [c.id, c]));
  const issues: AmountIssue[] = [];
  for (const [cls, n] of Object.entries(a)) {
    const def = byId.get(cls);
    if (!def) issues.push({ class: cls, problem: 'unknown-class' });
    else if (typeof n !== 'number' || !Number.isFinite(n)) issues.push({ class: cls, problem: 'not-number' });
    else if (n < 0) issues.push({ class: cls, problem: 'negative' });
    else if (def.integer && !Number.isInteger(n)) issues.push({ class: cls, problem: 'not-whole' });
  }
  return issues;
}

/**
 * The form's text fields per class as amounts: blank fields left out; a field that is not a number
 * becomes NaN (so `amountIssues` names it).
 */
export function amountsFromInputs(inputs: Record<string, string>): Amounts {
  const out: Amounts = {};
  for (const [cls, text] of Object.entries(inputs)) {
    const t = text.trim();
    if (t === '') continue;
    out[cls] = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : Number.NaN;
  }
  return out;
}

/** Whether any amount is above zero (a request of nothing is refused). */
export const anyAmount = (a: Amounts): boolean => Object.values(a).some((n) => Number.isFinite(n) && n > 0);

/** used ÷ quota (0–1, may exceed 1), or null when there is no quota. */
export const ratio = (used: number | undefined, quota: number | undefined): number | null =>
  quota && quota > 0 ? (used ?? 0) / quota : null;

/** The classes that appear in a node (quota, used) in the order of the price list, then any others. */
export function nodeClasses(root: TreeNode, classes: readonly string[]): string[] {
  const seen = new Set<string>();
  const walk = (n: TreeNode) => {
    for (const k of [...Object.keys(n.quota), ...Object.keys(n.used)]) seen.add(k);
    n.children.forEach(walk);
  };
  walk(root);
  return [...classes.filter((c) => seen.has(c)), ...[...seen].filter((c) => !classes.includes(c)).sort()];
}

/** One row of the quota table: the node, its depth, whether it has children and is expanded. */
export interface TreeRow {
  node: TreeNode;
  depth: number;
  hasChildren: boolean;
  expanded: boolean;
  path: string[];
}

/**
 * The tree as table rows, depth first: the root's children always, a node's children when its id is
 * in `expanded`; org units before projects, then by name.
 */
export function treeRows(root: TreeNode, expanded: ReadonlySet<string>): TreeRow[] {
  const rows: TreeRow[] = [];
  const order = (a: TreeNode, b: TreeNode) =>
    a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'org-unit' ? -1 : 1;
  const walk = (n: TreeNode, depth: number, path: string[]) => {
    const key = `${n.kind}:${n.id}`;
    const open = depth === 0 || expanded.has(key);
    rows.push({ node: n, depth, hasChildren: n.children.length > 0, expanded: open, path });
    if (open) for (const c of [...n.children].sort(order)) walk(c, depth + 1, [...path, key]);
  };
  walk(root, 0, []);
  return rows;
}

/** The row key of a node (`org-unit:sc-cd`, `project:web-1`). */
export const nodeKey = (n: Pick<TreeNode, 'kind' | 'id'>): string => `${n.kind}:${n.id}`;

/** The node of an org unit in the tree, or undefined. */
export function findOrgUnit(root: TreeNode, orgUnitId: string): TreeNode | undefined {
  if (root.kind === 'org-unit' && root.id === orgUnitId) return root;
  for (const c of root.children) {
    const found = findOrgUnit(c, orgUnitId);
    if (found) return found;
  }
  return undefined;
}

/** The share of a class a cloud has handed out: allocated ÷ allocatable, 0 when nothing is allocatable. */
export const allocatedShare = (c: CloudClass): number =>
  c.allocatable && c.allocatable > 0 ? c.allocated / c.allocatable : 0;

/** The review: how much of a reclaim's quota stayed unused (quota − peak used), per class. */
export function idleAmounts(r: Reclaim): Amounts {
  const out: Amounts = {};
  for (const [cls, q] of Object.entries(r.evidence.quota))
    out[cls] = Math.max(0, q - (r.evidence.peakUsed[cls] ?? 0));
  return out;
}

/** Whether the grace period of a proposal is over (the review applies it on its next pass). */
export const graceOver = (r: Pick<Reclaim, 'applyAfter'>, now: number): boolean =>
  Date.parse(r.applyAfter) <= now;

/** The month `YYYY-MM` of a time (UTC, as the control plane counts months). */
export function monthOf(t: number): string {
  const d = new Date(t);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The `count` months ending with the month of `t`, newest first. */
export function recentMonths(t: number, count = 12): string[] {
  const d = new Date(t);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - i, 1));
    out.push(monthOf(m.getTime()));
  }
  return out;
}

export const isMonth = (v: string): boolean => /^\d{4}-(0[1-9]|1[0-2])$/.test(v);

/** The request list's filters, held in the URL (`?status=pending,approved&scope=mine`). */
export interface RequestQuery {
  status: RequestStatus[];
  /** `mine`: my own requests; `all`: every request in my subtree. */
  scope: 'mine' | 'all';
  cloud: string;
}

export const defaultRequestQuery = (): RequestQuery => ({ status: [], scope: 'all', cloud: '' });

export function parseRequestQuery(search: string): RequestQuery {
  const p = new URLSearchParams(search);
  const status = (p.get('status') ?? '')
    .split(',')
    .filter((s): s is RequestStatus => (requestStatuses as readonly string[]).includes(s));
  const cloud = (p.get('cloud') ?? '').slice(0, 200);
  return {
    status: requestStatuses.filter((s) => status.includes(s)),
    scope: p.get('scope') === 'mine' ? 'mine' : 'all',
    cloud,
  };
}

export function requestQuerySearch(q: RequestQuery): string {
  return query({
    status: q.status.length ? q.status.join(',') : undefined,
    scope: q.scope === 'mine' ? 'mine' : undefined,
    cloud: q.cloud || undefined,
  });
}

/** The API's filter for a request query. */
export const requestFilter = (q: RequestQuery): Record<string, string> => ({
  ...(q.status.length ? { status: q.status.join(',') } : {}),
  ...(q.scope === 'mine' ? { mine: 'true' } : {}),
  ...(q.cloud ? { cloud: q.cloud } : {}),
});

/** Whether the quota module is missing on this server (an older one): the pages say so. */
export const isQuotasMissing = (error: unknown): boolean =>
  error instanceof ApiError && error.status === 404 && error.code === 'route.not_found';

// ---- Words ----

export function requestStatusText(status: string): string {
  switch (status) {
    case 'pending':
      return msg('Awaiting approval', { id: 'quotas.status.pending' });
    case 'approved':
      return msg('Approved, being applied', { id: 'quotas.status.approved' });
    case 'rejected':
      return msg('Rejected', { id: 'quotas.status.rejected' });
    case 'withdrawn':
      return msg('Withdrawn', { id: 'quotas.status.withdrawn' });
    case 'enforced':
      return msg('In force on the cloud', { id: 'quotas.status.enforced' });
    case 'expired':
      return msg('Expired', { id: 'quotas.status.expired' });
    case 'failed':
      return msg('Failed', { id: 'quotas.status.failed' });
    default:
      return status;
  }
}

export const requestStatusTone = (status: string): 'ok' | 'warn' | 'bad' | 'info' | 'idle' =>
  status === 'enforced'
    ? 'ok'
    : status === 'pending'
      ? 'warn'
      : status === 'approved'
        ? 'info'
        : status === 'rejected' || status === 'failed'
          ? 'bad'
          : 'idle';

export function timelineKindText(kind: string): string {
  switch (kind) {
    case 'applied':
      return msg('Applied', { id: 'quotas.timeline.applied' });
    case 'auto-approved':
      return msg('Approved automatically', { id: 'quotas.step.auto' });
    case 'step-approved':
      return msg('Step approved', { id: 'quotas.timeline.stepApproved' });
    case 'allocated':
      return msg('Quota allocated', { id: 'quotas.timeline.allocated' });
    case 'allocation-refused':
      return msg('Allocation refused', { id: 'quotas.timeline.allocationRefused' });
    case 'rejected':
      return msg('Rejected', { id: 'quotas.status.rejected' });
    case 'withdrawn':
      return msg('Withdrawn', { id: 'quotas.status.withdrawn' });
    case 'enforced':
      return msg('In force on the cloud', { id: 'quotas.status.enforced' });
    case 'cloud-error':
      return msg('Cloud error', { id: 'quotas.timeline.cloudError' });
    case 'expiry-notice':
      return msg('Expiry notice sent', { id: 'quotas.timeline.expiryNotice' });
    case 'expired':
      return msg('Expired', { id: 'quotas.status.expired' });
    case 'release-failed':
      return msg('Release failed', { id: 'quotas.timeline.releaseFailed' });
    default:
      return kind;
  }
}

export function stepStateText(state: string): string {
  switch (state) {
    case 'waiting':
      return msg('Waiting', { id: 'quotas.step.waiting' });
    case 'approved':
      return msg('Approved', { id: 'quotas.step.approved' });
    case 'rejected':
      return msg('Rejected', { id: 'quotas.step.rejected' });
    case 'auto':
      return msg('Approved automatically', { id: 'quotas.step.auto' });
    default:
      return state;
  }
}

export function levelText(level: string): string {
  switch (level) {
    case 'province':
      return msg('Province', { id: 'quotas.level.province' });
    case 'city':
      return msg('City', { id: 'quotas.level.city' });
    case 'county':
      return msg('County', { id: 'quotas.level.county' });
    case 'township':
      return msg('Township', { id: 'quotas.level.township' });
    case 'village':
      return msg('Village', { id: 'quotas.level.village' });
    default:
      return level;
  }
}

export function cloudKindText(kind: string): string {
  switch (kind) {
    case 'kubernetes':
      return msg('Kubernetes', { id: 'quotas.kind.kubernetes' });
    case 'openstack':
      return msg('OpenStack', { id: 'quotas.kind.openstack' });
    case 'manual':
      return msg('Manual (confirmed by an admin)', { id: 'quotas.kind.manual' });
    default:
      return kind;
  }
}

export function tierText(tier: string): string {
  switch (tier) {
    case 'provincial':
      return msg('Provincial cloud', { id: 'quotas.tier.province' });
    case 'city':
      return msg('City cloud', { id: 'quotas.tier.city' });
    case 'department':
      return msg('Department cloud', { id: 'quotas.tier.department' });
    case 'carrier':
      return msg('Carrier cloud', { id: 'quotas.tier.carrier' });
    case 'dr':
      return msg('Disaster backup cloud', { id: 'quotas.tier.dr' });
    default:
      return tier;
  }
}

/** A cloud's connection state (`sync.state`). */
export function cloudSyncText(state: string): string {
  switch (state) {
    case 'ok':
      return msg('Connected', { id: 'quotas.sync.ok' });
    case 'error':
      return msg('Error', { id: 'quotas.sync.error' });
    case 'never':
      return msg('Not yet contacted', { id: 'quotas.sync.never' });
    default:
      return state;
  }
}

/** A project's enforcement state on a cloud (D's `SyncStatus.state`). */
export function enforcementText(state: string): string {
  switch (state) {
    case 'pending':
      return msg('Waiting to be applied', { id: 'quotas.enforcement.pending' });
    case 'applied':
      return msg('Applied on the cloud', { id: 'quotas.enforcement.applied' });
    case 'drift':
      return msg('Changed on the cloud (drift)', { id: 'quotas.enforcement.drift' });
    case 'error':
      return msg('The cloud refused or failed', { id: 'quotas.enforcement.error' });
    case 'awaiting-confirmation':
      return msg('Awaiting an admin’s confirmation', { id: 'quotas.enforcement.awaitingConfirmation' });
    default:
      return state;
  }
}

/** The kind of a cloud's error (`CloudError.kind`). */
export function cloudErrorKindText(kind: string): string {
  switch (kind) {
    case 'unreachable':
      return msg('Cloud unreachable', { id: 'quotas.cloudError.unreachable' });
    case 'timeout':
      return msg('Cloud timed out', { id: 'quotas.cloudError.timeout' });
    case 'unauthorized':
      return msg('Credentials refused', { id: 'quotas.cloudError.unauthorized' });
    case 'forbidden':
      return msg('Not permitted on the cloud', { id: 'quotas.cloudError.forbidden' });
    case 'not-found':
      return msg('Not found on the cloud', { id: 'quotas.cloudError.notFound' });
    case 'conflict':
      return msg('Conflicting change on the cloud', { id: 'quotas.cloudError.conflict' });
    case 'rejected':
      return msg('Rejected by the cloud', { id: 'quotas.cloudError.rejected' });
    case 'invalid-answer':
      return msg('The cloud’s answer could not be read', { id: 'quotas.cloudError.invalidAnswer' });
    case 'manual':
      return msg('Awaiting manual confirmation', { id: 'quotas.cloudError.manual' });
    default:
      return kind;
  }
}

/** The kind of a request's error: the ledger's refusal, a failed release, or the cloud's. */
export function requestErrorKindText(kind: string): string {
  switch (kind) {
    case 'allocation':
      return msg('Allocation refused', { id: 'quotas.timeline.allocationRefused' });
    case 'release':
      return msg('Release failed', { id: 'quotas.timeline.releaseFailed' });
    default:
      return cloudErrorKindText(kind);
  }
}

export function reclaimStatusText(status: string): string {
  switch (status) {
    case 'proposed':
      return msg('Proposed', { id: 'quotas.reclaim.proposed' });
    case 'declined':
      return msg('Declined', { id: 'quotas.reclaim.declined' });
    case 'applied':
      return msg('Reclaimed', { id: 'quotas.reclaim.applied' });
    case 'cancelled':
      return msg('Cancelled', { id: 'quotas.reclaim.cancelled' });
    default:
      return status;
  }
}

export const reclaimStatusTone = (status: string): 'ok' | 'warn' | 'idle' | 'info' =>
  status === 'proposed' ? 'warn' : status === 'applied' ? 'ok' : status === 'declined' ? 'info' : 'idle';

export function amountProblemText(problem: AmountProblem): string {
  switch (problem) {
    case 'unknown-class':
      return msg('Unknown resource class', { id: 'quotas.amount.unknownClass' });
    case 'not-number':
      return msg('Not a number', { id: 'quotas.amount.notNumber' });
    case 'negative':
      return msg('Cannot be negative', { id: 'quotas.amount.negative' });
    case 'not-whole':
      return msg('Whole units only', { id: 'quotas.amount.notWhole' });
  }
}

// ---- Fetching ----

const get = async <T>(path: string, parse: (v: unknown) => T, signal?: AbortSignal): Promise<T> =>
  parse(await apiFetch<unknown>(`${quotasApi}${path}`, { signal }));

const id = encodeURIComponent;

export const fetchClasses = (signal?: AbortSignal): Promise<ResourceClass[]> =>
  get('/classes', parseClasses, signal);
export const fetchCatalogue = (signal?: AbortSignal): Promise<CataloguePackage[]> =>
  get('/catalogue', parseCatalogue, signal);
export const fetchClouds = (signal?: AbortSignal): Promise<Cloud[]> => get('/clouds', parseClouds, signal);
export const fetchCloud = (cloudId: string, signal?: AbortSignal): Promise<Cloud> =>
  get(`/clouds/${id(cloudId)}`, (v) => parseCloud(v), signal);

/** Sets entered capacity and/or overcommit per class. */
export const putCapacity = (
  cloudId: string,
  classes: Record<string, { capacity?: number; overcommit?: number }>,
): Promise<unknown> =>
  apiFetch(`${quotasApi}/clouds/${id(cloudId)}/capacity`, { method: 'PUT', body: { classes } });
export const refreshCloud = (cloudId: string): Promise<unknown> =>
  apiFetch(`${quotasApi}/clouds/${id(cloudId)}/refresh`, { method: 'POST' });
export const reconcileCloud = (cloudId: string): Promise<unknown> =>
  apiFetch(`${quotasApi}/clouds/${id(cloudId)}/reconcile`, { method: 'POST' });

export const fetchTree = (cloudId: string, root: string, signal?: AbortSignal): Promise<QuotaTree> =>
  get(`/tree${query({ cloud: cloudId || undefined, root: root || undefined })}`, parseTree, signal);

export const fetchProjects = (orgUnit: string, cloud: string, signal?: AbortSignal): Promise<Project[]> =>
  get(
    `/projects${query({ orgUnit: orgUnit || undefined, cloud: cloud || undefined })}`,
    parseProjects,
    signal,
  );

export const setOrgUnitQuota = (body: {
  cloudId: string;
  orgUnitId: string;
  amounts: Amounts;
}): Promise<unknown> => apiFetch(`${quotasApi}/org-unit-quotas`, { method: 'PUT', body });

export interface NewRequest {
  cloudId: string;
  projectId?: string;
  newProject?: { id: string; name: string };
  package?: string;
  quantity?: number;
  amounts?: Amounts;
  justification: string;
  durationDays: number;
}

export const createRequest = async (body: NewRequest): Promise<QuotaRequest> =>
  parseRequest(await apiFetch<unknown>(`${quotasApi}/requests`, { method: 'POST', body }));

export const fetchRequests = (
  filter: Record<string, string>,
  cursor: string | null,
  limit = 100,
  signal?: AbortSignal,
): Promise<RequestPage> =>
  get(`/requests${query({ ...filter, limit, cursor: cursor ?? undefined })}`, parseRequestPage, signal);

export const fetchRequest = (requestId: string, signal?: AbortSignal): Promise<QuotaRequest> =>
  get(`/requests/${id(requestId)}`, (v) => parseRequest(v), signal);

export const approveRequest = (requestId: string, comment: string): Promise<unknown> =>
  apiFetch(`${quotasApi}/requests/${id(requestId)}/approve`, {
    method: 'POST',
    body: comment.trim() ? { comment: comment.trim() } : {},
  });
export const rejectRequest = (requestId: string, reason: string): Promise<unknown> =>
  apiFetch(`${quotasApi}/requests/${id(requestId)}/reject`, {
    method: 'POST',
    body: { reason: reason.trim() },
  });
export const withdrawRequest = (requestId: string): Promise<unknown> =>
  apiFetch(`${quotasApi}/requests/${id(requestId)}/withdraw`, { method: 'POST' });

export const fetchReclaims = (filter: Record<string, string>, signal?: AbortSignal): Promise<Reclaim[]> =>
  get(`/reclaims${query(filter)}`, parseReclaims, signal);
export const declineReclaim = (reclaimId: string, reason: string): Promise<unknown> =>
  apiFetch(`${quotasApi}/reclaims/${id(reclaimId)}/decline`, {
    method: 'POST',
    body: { reason: reason.trim() },
  });
export const applyReclaim = (reclaimId: string): Promise<unknown> =>
  apiFetch(`${quotasApi}/reclaims/${id(reclaimId)}/apply`, { method: 'POST' });
/** What one run of the review did. */
export interface ReviewRun {
  proposed: number;
  judged: number;
  notJudged: number;
  errors: { cloudId: string; message: string }[];
}

export function parseReviewRun(v: unknown): ReviewRun {
  const o = obj(v, 'review');
  return {
    proposed: num(o, 'proposed', 'review', 0),
    judged: num(o, 'judged', 'review', 0),
    notJudged: num(o, 'notJudged', 'review', 0),
    errors: list(
      o,
      'errors',
      'review',
      (x, p) => {
        const e = obj(x, p);
        return { cloudId: optStr(e, 'cloudId', p), message: str(e, 'message', p) };
      },
      true,
    ),
  };
}

export const runReview = async (): Promise<ReviewRun> =>
  parseReviewRun(await apiFetch<unknown>(`${quotasApi}/review/run`, { method: 'POST' }));

export const fetchShowback = (month: string, orgUnit: string, signal?: AbortSignal): Promise<Showback> =>
  get(`/showback${query({ month, orgUnit: orgUnit || undefined })}`, parseShowback, signal);
export const fetchScorecards = (month: string, signal?: AbortSignal): Promise<Scorecard[]> =>
  get(`/scorecards${query({ month })}`, parseScorecards, signal);

/** The permissions the console offers quota actions by (the roles that grant them in `policies/roles.yaml`). */
export const quotaRoles = {
  apply: ['admin', 'cloud-admin', 'applicant'],
  write: ['admin', 'cloud-admin'],
  approve: ['admin', 'cloud-admin'],
} as const;

export const mayQuotas = (
  user: { roles: readonly string[] } | null | undefined,
  what: keyof typeof quotaRoles,
): boolean => user?.roles.some((r) => (quotaRoles[what] as readonly string[]).includes(r)) ?? false;
