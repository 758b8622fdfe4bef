import { can } from '../auth/identity.js';
import { defineModule, moduleRef, policyRef } from '../modules/contract.js';
import { ADAPTERS } from './adapters/index.js';
import { QUOTAS_ALARM_DOMAIN } from './alarms.js';
import { CLOUDS_POLICIES, CLOUDS_STATE_MIGRATIONS } from './clouds/migrations.js';
import { cloudRoutes } from './clouds/routes.js';
import { QuotaClouds } from './clouds/service.js';
import { QuotasPolicy } from './policy.js';
import { RECONCILE_POLICIES, RECONCILE_STATE_MIGRATIONS } from './reconcile/migrations.js';
import { reconcileRoutes } from './reconcile/routes.js';
import { QuotaReconciler } from './reconcile/service.js';
import { REQUESTS_POLICIES, REQUESTS_STATE_MIGRATIONS } from './requests/migrations.js';
import { requestRoutes } from './requests/routes.js';
import { QuotaRequests } from './requests/service.js';
import { REVIEW_POLICIES, REVIEW_STATE_MIGRATIONS } from './review/migrations.js';
import { reviewRoutes } from './review/routes.js';
import { QuotaReview } from './review/service.js';
import { QUOTAS_TELEMETRY_MIGRATIONS } from './review/telemetry-schema.js';
import { TREE_POLICIES, TREE_STATE_MIGRATIONS } from './tree/migrations.js';
import { treeRoutes } from './tree/routes.js';
import { QuotaTree } from './tree/service.js';

/** `policies/quotas.yaml`: resource classes and prices, catalogue, approval chain, reconcile, review. */
export const QUOTAS_POLICY = policyRef('quotas.yaml', QuotasPolicy);

/** What the quota module offers; each part in its own folder. */
export interface QuotasModule {
  /** Clouds under quota management: connections (sealed secrets), capacity, overcommit, catalogue. */
  clouds: QuotaClouds;
  /** Capacity → org-unit quotas → project quotas, with usage and physical usage; the invariants. */
  tree: QuotaTree;
  /** Apply → approve (chain from policy) → allocate → enforced → expiry. */
  requests: QuotaRequests;
  /** Reconcile loops writing the desired limits to each cloud and reading usage back; drift. */
  reconcile: QuotaReconciler;
  /** Utilisation review and reclaim, monthly showback and provider scorecards. */
  review: QuotaReview;
}

export const quotasRef = moduleRef<QuotasModule>('quotas');

/**
 * Multi-cloud quotas (统一申请、统一分配、统一调度、统一监测): cloud capacity, hierarchical quotas, requests
 * with approval, enforcement on Kubernetes and OpenStack, utilisation review and reclaim, showback and
 * provider scorecards.
 */
export const quotasModule = defineModule<QuotasModule>({
  name: 'quotas',
  migrations: {
    state: [
      ...CLOUDS_STATE_MIGRATIONS,
      ...TREE_STATE_MIGRATIONS,
      ...REQUESTS_STATE_MIGRATIONS,
      ...RECONCILE_STATE_MIGRATIONS,
      ...REVIEW_STATE_MIGRATIONS,
    ],
    telemetry: QUOTAS_TELEMETRY_MIGRATIONS,
  },
  policies: [
    QUOTAS_POLICY,
    ...CLOUDS_POLICIES,
    ...TREE_POLICIES,
    ...REQUESTS_POLICIES,
    ...RECONCILE_POLICIES,
    ...REVIEW_POLICIES,
  ],
  alarmDomains: [QUOTAS_ALARM_DOMAIN],
  create: (d) => {
    const policy = () => d.policies.get(QUOTAS_POLICY);
    const clouds = new QuotaClouds(d, { policy, adapters: ADAPTERS });
    const tree = new QuotaTree(d, { policy, clouds });
    // A unit sees (read-only) the clouds it or its subtree holds quota on without owning them.
    clouds.quotaHolders = async (identity) => (await tree.visibleClouds(identity)).map((c) => c.id);
    const reconcile = new QuotaReconciler(d, { policy, clouds, ledger: tree, adapters: ADAPTERS });
    const requests = new QuotaRequests(d, { policy, clouds, ledger: tree, sync: reconcile });
    const review = new QuotaReview(d, {
      policy,
      clouds,
      ledger: tree,
      sync: reconcile,
      requests,
      adapters: ADAPTERS,
    });
    return { clouds, tree, requests, reconcile, review };
  },
  seed: async (svc, system) => {
    await svc.clouds.seed(system);
  },
  // The cloud connections file names the inventory file's clouds: loaded once they exist.
  afterInventory: async (svc, system) => {
    await svc.clouds.afterInventory(system);
  },
  routes: (r, svc) => {
    cloudRoutes(r, svc);
    treeRoutes(r, svc);
    requestRoutes(r, svc);
    reconcileRoutes(r, svc);
    reviewRoutes(r, svc);
  },
  jobs: (svc) => [
    ...svc.clouds.jobs(),
    ...svc.tree.jobs(),
    ...svc.requests.jobs(),
    ...svc.reconcile.jobs(),
    ...svc.review.jobs(),
  ],
  overview: async (svc, identity) => {
    if (!can(identity, 'quotas:read')) return {};
    return {
      ...(await svc.clouds.overview(identity)),
      ...(await svc.tree.overview(identity)),
      ...(await svc.requests.overview(identity)),
      ...(await svc.reconcile.overview(identity)),
      ...(await svc.review.overview(identity)),
    };
  },
  stop: (svc) => svc.reconcile.stop(),
});
