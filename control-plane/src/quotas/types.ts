import type { Identity } from '../auth/identity.js';
import type { Queryable } from '../store/state/index.js';

/**
 * The seams between the quota module's parts (clouds, tree, requests, reconcile, adapters, review).
 * Each part lives in its own folder and meets the others only through these types.
 */

/** Amounts per resource class id (`vcpu`, `memory`, …), in the class's unit from `quotas.yaml`. */
export type Amounts = Record<string, number>;

/* ───────────────────────────── adapters (kubernetes: D, openstack: E) ───────────────────────────── */

export type CloudKind = 'kubernetes' | 'openstack' | 'manual';

/** How to reach a cloud: the connection settings with the secrets unsealed (never logged, never shown). */
export interface CloudConnection {
  cloudId: string;
  kind: CloudKind;
  /** Kubernetes API server URL; OpenStack Keystone v3 URL (`…/v3`). */
  endpoint: string;
  region: string | null;
  /** Kind-specific, not secret: e.g. `{ "caCert": PEM, "insecureSkipTlsVerify": false }`, `{ "projectDomain": "Default" }`. */
  settings: Record<string, unknown>;
  /** Kind-specific secrets: `{ "token" }` (Kubernetes bearer token), `{ "applicationCredentialId", "applicationCredentialSecret" }`. */
  secrets: Record<string, string>;
}

export const CLOUD_ERROR_KINDS = [
  'unreachable',
  'timeout',
  'unauthorized',
  'forbidden',
  'not-found',
  'conflict',
  'rejected',
  'invalid-answer',
] as const;
export type CloudErrorKind = (typeof CLOUD_ERROR_KINDS)[number];

/**
 * A cloud's refusal or failure, with what the operator needs to act: the kind, the HTTP status when
 * there was one, and a one-line message without secrets (`error.message`).
 */
export class CloudError extends Error {
  constructor(
    readonly kind: CloudErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CloudError';
  }
}

/** One Tianshu project as it exists on a cloud: a Kubernetes namespace, an OpenStack project. */
export interface ProjectTarget {
  projectId: string;
  /** Namespace / OpenStack project name (DNS-1123 label, from the project id). */
  externalName: string;
  orgUnitId: string;
  orgPath: string;
  /** Labels naming the owner: `tianshu.gov.cn/org-unit`, `tianshu.gov.cn/project`, `app.kubernetes.io/managed-by: tianshu`. */
  labels: Record<string, string>;
}

/** What the cloud says about one project. */
export interface ProjectState {
  externalName: string;
  exists: boolean;
  /** The hard limits on the cloud, per resource class (classes the cloud has no limit for absent). */
  hard: Amounts;
  /** What the cloud reports as allocated/used against the limits (`status.used`, quota-set `in_use`). */
  used: Amounts;
  /** The object's version on the cloud when it has one (`resourceVersion`). */
  version?: string;
  labels?: Record<string, string>;
}

/** One cloud's API, behind which Kubernetes and OpenStack look alike. Every method may throw CloudError. */
export interface CloudAdapter {
  readonly kind: Exclude<CloudKind, 'manual'>;
  /** The capacity the cloud reports per class (classes it cannot report are absent). */
  capacity(): Promise<Amounts>;
  /**
   * Makes the project exist (with its labels) and its hard limits equal to `hard` (classes absent
   * from `hard` are left alone); idempotent; retries a version conflict with the fresh version.
   * Resolves with the state read back after writing.
   */
  ensure(target: ProjectTarget, hard: Amounts): Promise<ProjectState>;
  /** The state of the managed projects (those with Tianshu's labels), or of the names given. */
  read(externalNames?: readonly string[]): Promise<ProjectState[]>;
  /** Measured (physical) use per project external name, when the cloud has metrics. */
  physical?(): Promise<Map<string, Amounts>>;
  /** Calls `onChange` when a managed project's limits change on the cloud; `stop` ends the watch. */
  watch?(onChange: (externalName: string) => void, onError: (err: CloudError) => void): { stop(): void };
  close(): Promise<void>;
}

export type AdapterFactory = (connection: CloudConnection) => CloudAdapter;

/* ───────────────────────────── clouds (A) ───────────────────────────── */

/** Capacity and overcommit of one cloud per class. */
export interface CloudCapacity {
  cloudId: string;
  /** Physical capacity per class; `source` says whether the cloud reported it or an admin entered it. */
  capacity: Record<string, { amount: number; source: 'cloud' | 'manual'; observedAt: string }>;
  /** Overcommit factor per class (the cloud's own, else the policy's default, else 1). */
  overcommit: Amounts;
  /** capacity × overcommit: the most the org-unit quotas of the cloud may add up to. */
  allocatable: Amounts;
}

export interface CloudDirectory {
  /** Capacity of a cloud; inside `tx` when given (read under the caller's locks). */
  capacity(cloudId: string, tx?: Queryable): Promise<CloudCapacity | undefined>;
  /** The connection with secrets unsealed, for the reconcile part only; undefined when none is set. */
  connection(cloudId: string): Promise<CloudConnection | undefined>;
  /** Clouds under quota management (kind kubernetes, openstack or manual), every org unit. */
  managedClouds(): Promise<Array<{ cloudId: string; kind: CloudKind; orgUnitId: string; orgPath: string }>>;
}

/* ───────────────────────────── tree (B) ───────────────────────────── */

/** The desired limits of one project on one cloud, with the version that changes on every change. */
export interface DesiredProject {
  target: ProjectTarget;
  cloudId: string;
  hard: Amounts;
  version: number;
}

export interface QuotaLedger {
  /**
   * Adds `amounts` to the project's quota on the cloud inside `tx`, under locks that make concurrent
   * allocations on the same parent safe; refuses (InputError with a reason and code
   * `quota.exceeds_parent` | `quota.exceeds_capacity` | `quota.unknown_class` | `quota.not_whole`)
   * without changing anything.
   */
  allocate(
    tx: Queryable,
    a: { cloudId: string; projectId: string; amounts: Amounts; actor: string; reason: string },
  ): Promise<void>;
  /**
   * Takes `amounts` back from the project's quota inside `tx`. Below what the cloud reports as used
   * only when `reclaim` is true (`quota.below_usage` otherwise).
   */
  release(
    tx: Queryable,
    a: {
      cloudId: string;
      projectId: string;
      amounts: Amounts;
      actor: string;
      reason: string;
      reclaim: boolean;
    },
  ): Promise<void>;
  /** Creates a project (or returns the existing one of that id) of an org unit. */
  ensureProject(
    tx: Queryable,
    p: { id: string; orgUnitId: string; name: string; actor: string },
  ): Promise<{ id: string; orgUnitId: string; orgPath: string; externalName: string }>;
  /** The desired limits of every project with a quota on the cloud. */
  desired(cloudId: string, projectIds?: readonly string[]): Promise<DesiredProject[]>;
  /** Records what the cloud reports as used (reconcile) per project. */
  recordUsage(cloudId: string, used: ReadonlyArray<{ projectId: string; used: Amounts }>): Promise<void>;
  /** Records what was measured (review: cloud metrics and host agents) per project. */
  recordPhysical(
    cloudId: string,
    physical: ReadonlyArray<{ projectId: string; physical: Amounts }>,
  ): Promise<void>;
  /** Per project on a cloud: quota, used, physically used (for review and showback). */
  projectsOf(cloudId: string): Promise<
    Array<{
      projectId: string;
      orgUnitId: string;
      orgPath: string;
      quota: Amounts;
      used: Amounts;
      physical: Amounts;
    }>
  >;
  /** Sums per cloud: allocated to org units, allocated to projects, used, physically used. */
  totals(cloudId: string): Promise<{ allocated: Amounts; used: Amounts; physical: Amounts }>;
}

/* ───────────────────────────── reconcile (D) ───────────────────────────── */

export const SYNC_STATES = ['pending', 'applied', 'drift', 'error', 'awaiting-confirmation'] as const;
export type SyncState = (typeof SYNC_STATES)[number];

/** How far a project's desired limits have reached its cloud. */
export interface SyncStatus {
  projectId: string;
  cloudId: string;
  state: SyncState;
  /** The desired version last applied on the cloud (0 when never). */
  appliedVersion: number;
  /** The latest error, with its kind, when `state` is `error` (kept until a pass succeeds). */
  error: { kind: CloudErrorKind | 'manual'; message: string; at: string } | null;
  /** Limits found on the cloud that differ from ours, when `state` is `drift`. */
  drift: { found: Amounts; expected: Amounts; at: string } | null;
  checkedAt: string | null;
}

export interface ProjectSync {
  status(cloudId: string, projectIds: readonly string[]): Promise<Map<string, SyncStatus>>;
  /** Asks for a reconcile pass of the cloud soon (after an allocation or a release). */
  kick(cloudId: string): void;
  /** A manual cloud's admin confirms that `version` of the project's limits is in place. */
  confirmManual(identity: Identity, cloudId: string, projectId: string, version: number): Promise<void>;
}
