/**
 * The console's areas, as the left navigation lists them and the router resolves them. Only areas
 * that exist are listed; a later area adds its pages here. Labels are functions, so they follow the
 * language in force; pages load on first visit (`pageLoaders`), each in its own chunk.
 */
import { msg } from '@lit/localize';

export type PageKind =
  | 'overview'
  | 'agents'
  | 'audit'
  | 'users'
  | 'topology'
  | 'devices'
  | 'device-detail'
  | 'interface-detail'
  | 'links'
  | 'link-detail'
  | 'alarms'
  | 'conformance'
  | 'prefixes'
  | 'api-tokens'
  | 'wall'
  | 'flows'
  | 'flow-egress'
  | 'flow-exporters'
  | 'security'
  | 'security-alerts'
  | 'security-incidents'
  | 'security-incident'
  | 'security-events'
  | 'security-rules'
  | 'quotas'
  | 'quota-tree'
  | 'quota-request-new'
  | 'quota-requests'
  | 'quota-request'
  | 'quota-inbox'
  | 'quota-reclaims'
  | 'quota-showback'
  | 'quota-scorecards';

export interface NavItem {
  /** Used for `data-testid="nav-<id>"`. */
  id: string;
  label: () => string;
  path: string;
  page: PageKind;
}

export interface NavGroup {
  id: string;
  label: () => string;
  items: NavItem[];
}

/** A top-level entry is either one page or a group of pages. */
export type NavEntry = NavItem | NavGroup;

export const isGroup = (entry: NavEntry): entry is NavGroup => 'items' in entry;

export const navigation: NavEntry[] = [
  { id: 'overview', label: () => msg('Overview', { id: 'nav.overview' }), path: '/', page: 'overview' },
  {
    id: 'network',
    label: () => msg('Network', { id: 'nav.network' }),
    items: [
      {
        id: 'topology',
        label: () => msg('Topology', { id: 'nav.topology' }),
        path: '/network/topology',
        page: 'topology',
      },
      {
        id: 'devices',
        label: () => msg('Devices', { id: 'nav.devices' }),
        path: '/network/devices',
        page: 'devices',
      },
      { id: 'links', label: () => msg('Links', { id: 'nav.links' }), path: '/network/links', page: 'links' },
      {
        id: 'alarms',
        label: () => msg('Alarms', { id: 'nav.alarms' }),
        path: '/network/alarms',
        page: 'alarms',
      },
      {
        id: 'conformance',
        label: () => msg('Conformance', { id: 'nav.conformance' }),
        path: '/network/conformance',
        page: 'conformance',
      },
      {
        id: 'addresses',
        label: () => msg('Addresses', { id: 'nav.addresses' }),
        path: '/network/addresses',
        page: 'prefixes',
      },
    ],
  },
  {
    id: 'flows',
    label: () => msg('Flows', { id: 'nav.flows' }),
    items: [
      {
        id: 'flow-explorer',
        label: () => msg('Flow explorer', { id: 'nav.flowExplorer' }),
        path: '/flows',
        page: 'flows',
      },
      {
        id: 'flow-egress',
        label: () => msg('Internet egress', { id: 'nav.flowEgress' }),
        path: '/flows/egress',
        page: 'flow-egress',
      },
      {
        id: 'flow-exporters',
        label: () => msg('Flow exporters', { id: 'nav.flowExporters' }),
        path: '/flows/exporters',
        page: 'flow-exporters',
      },
    ],
  },
  {
    id: 'security',
    label: () => msg('Security', { id: 'nav.security' }),
    items: [
      {
        id: 'security-situation',
        label: () => msg('Situation', { id: 'nav.securitySituation' }),
        path: '/security',
        page: 'security',
      },
      {
        id: 'security-alerts',
        label: () => msg('Alert queue', { id: 'nav.securityAlerts' }),
        path: '/security/alerts',
        page: 'security-alerts',
      },
      {
        id: 'security-incidents',
        label: () => msg('Incidents', { id: 'nav.securityIncidents' }),
        path: '/security/incidents',
        page: 'security-incidents',
      },
      {
        id: 'security-events',
        label: () => msg('Event search', { id: 'nav.securityEvents' }),
        path: '/security/events',
        page: 'security-events',
      },
      {
        id: 'security-rules',
        label: () => msg('Detection rules', { id: 'nav.securityRules' }),
        path: '/security/rules',
        page: 'security-rules',
      },
    ],
  },
  {
    id: 'quotas',
    label: () => msg('Cloud quotas', { id: 'nav.quotas' }),
    items: [
      {
        id: 'quota-clouds',
        label: () => msg('Clouds', { id: 'nav.quotaClouds' }),
        path: '/quotas',
        page: 'quotas',
      },
      {
        id: 'quota-tree',
        label: () => msg('Quota tree', { id: 'nav.quotaTree' }),
        path: '/quotas/tree',
        page: 'quota-tree',
      },
      {
        id: 'quota-request-new',
        label: () => msg('Apply for resources', { id: 'nav.quotaApply' }),
        path: '/quotas/requests/new',
        page: 'quota-request-new',
      },
      {
        id: 'quota-requests',
        label: () => msg('Applications', { id: 'nav.quotaRequests' }),
        path: '/quotas/requests',
        page: 'quota-requests',
      },
      {
        id: 'quota-inbox',
        label: () => msg('Approval inbox', { id: 'nav.quotaInbox' }),
        path: '/quotas/inbox',
        page: 'quota-inbox',
      },
      {
        id: 'quota-reclaims',
        label: () => msg('Reclaim proposals', { id: 'nav.quotaReclaims' }),
        path: '/quotas/reclaims',
        page: 'quota-reclaims',
      },
      {
        id: 'quota-showback',
        label: () => msg('Showback', { id: 'nav.quotaShowback' }),
        path: '/quotas/showback',
        page: 'quota-showback',
      },
      {
        id: 'quota-scorecards',
        label: () => msg('Provider scorecards', { id: 'nav.quotaScorecards' }),
        path: '/quotas/scorecards',
        page: 'quota-scorecards',
      },
    ],
  },
  {
    id: 'admin',
    label: () => msg('Admin', { id: 'nav.admin' }),
    items: [
      { id: 'users', label: () => msg('Users', { id: 'nav.users' }), path: '/admin/users', page: 'users' },
      {
        id: 'agents',
        label: () => msg('Agents', { id: 'nav.agents' }),
        path: '/admin/agents',
        page: 'agents',
      },
      {
        id: 'audit',
        label: () => msg('Audit log', { id: 'nav.audit' }),
        path: '/admin/audit',
        page: 'audit',
      },
    ],
  },
];

/** A route: a page for a path pattern, or a redirect. */
export interface AppRoute {
  path: string;
  item?: NavItem;
  group?: NavGroup;
  redirect?: string;
}

/**
 * Pages that the navigation does not list, reached from other pages or the user menu; `groupId` names
 * their group when they have one.
 */
const detailPages: (NavItem & { groupId?: string })[] = [
  {
    id: 'device-detail',
    label: () => msg('Device', { id: 'nav.deviceDetail' }),
    path: '/network/devices/:id',
    page: 'device-detail',
    groupId: 'network',
  },
  {
    id: 'interface-detail',
    label: () => msg('Interface', { id: 'nav.interfaceDetail' }),
    path: '/network/devices/:id/interfaces/:ifIndex',
    page: 'interface-detail',
    groupId: 'network',
  },
  {
    id: 'link-detail',
    label: () => msg('Link', { id: 'nav.linkDetail' }),
    path: '/network/links/:id',
    page: 'link-detail',
    groupId: 'network',
  },
  {
    id: 'api-tokens',
    label: () => msg('API tokens', { id: 'nav.apiTokens' }),
    path: '/account/tokens',
    page: 'api-tokens',
  },
  { id: 'wall', label: () => msg('Wall mode', { id: 'nav.wall' }), path: '/wall', page: 'wall' },
  {
    id: 'security-incident',
    label: () => msg('Incident', { id: 'nav.securityIncident' }),
    path: '/security/incidents/:id',
    page: 'security-incident',
    groupId: 'security',
  },
  {
    id: 'quota-request',
    label: () => msg('Application', { id: 'nav.quotaRequest' }),
    path: '/quotas/requests/:id',
    page: 'quota-request',
    groupId: 'quotas',
  },
];

/** The user menu's pages; each link has `data-testid="nav-<id>"`. */
export const accountPages: NavItem[] = detailPages.filter((page) => page.path.startsWith('/account/'));

/** The wall display (大屏): full screen, without the console's header and navigation. */
export const wallPage = detailPages.find((page) => page.page === 'wall') as NavItem;

const groupById = (id: string): NavGroup | undefined =>
  navigation.find((entry): entry is NavGroup => isGroup(entry) && entry.id === id);

/** Every page, every detail page and every group path (which opens the group's first page). */
export const routes: AppRoute[] = [
  ...navigation.flatMap((entry): AppRoute[] => {
    if (!isGroup(entry)) return [{ path: entry.path, item: entry }];
    const first = entry.items[0];
    return [
      ...entry.items.map((item) => ({ path: item.path, item, group: entry })),
      ...(first ? [{ path: `/${entry.id}`, redirect: first.path, group: entry }] : []),
    ];
  }),
  ...detailPages.map(({ groupId, ...item }): AppRoute => {
    const group = groupId === undefined ? undefined : groupById(groupId);
    return group ? { path: item.path, item, group } : { path: item.path, item };
  }),
];

/**
 * Each page's module, imported on first visit so that the initial bundle carries only the shell
 * (and the login page); Vite puts each in its own chunk.
 */
export const pageLoaders: Record<PageKind, () => Promise<unknown>> = {
  overview: () => import('../pages/ts-page-overview.js'),
  agents: () => import('../pages/ts-page-agents.js'),
  audit: () => import('../pages/ts-page-audit.js'),
  users: () => import('../pages/ts-page-users.js'),
  topology: () => import('../pages/ts-page-topology.js'),
  devices: () => import('../pages/ts-page-devices.js'),
  'device-detail': () => import('../pages/ts-page-device-detail.js'),
  'interface-detail': () => import('../pages/ts-page-interface-detail.js'),
  links: () => import('../pages/ts-page-links.js'),
  'link-detail': () => import('../pages/ts-page-link-detail.js'),
  alarms: () => import('../pages/ts-page-alarms.js'),
  conformance: () => import('../pages/ts-page-conformance.js'),
  prefixes: () => import('../pages/ts-page-prefixes.js'),
  'api-tokens': () => import('../pages/ts-page-api-tokens.js'),
  wall: () => import('../pages/ts-page-wall.js'),
  flows: () => import('../pages/ts-page-flows.js'),
  'flow-egress': () => import('../pages/ts-page-flow-egress.js'),
  'flow-exporters': () => import('../pages/ts-page-flow-exporters.js'),
  security: () => import('../pages/ts-page-security.js'),
  'security-alerts': () => import('../pages/ts-page-security-alerts.js'),
  'security-incidents': () => import('../pages/ts-page-security-incidents.js'),
  'security-incident': () => import('../pages/ts-page-security-incident.js'),
  'security-events': () => import('../pages/ts-page-security-events.js'),
  'security-rules': () => import('../pages/ts-page-security-rules.js'),
  quotas: () => import('../pages/ts-page-quotas.js'),
  'quota-tree': () => import('../pages/ts-page-quota-tree.js'),
  'quota-request-new': () => import('../pages/ts-page-quota-request-new.js'),
  'quota-requests': () => import('../pages/ts-page-quota-requests.js'),
  'quota-request': () => import('../pages/ts-page-quota-request.js'),
  'quota-inbox': () => import('../pages/ts-page-quota-requests.js'),
  'quota-reclaims': () => import('../pages/ts-page-quota-reclaims.js'),
  'quota-showback': () => import('../pages/ts-page-quota-reports.js'),
  'quota-scorecards': () => import('../pages/ts-page-quota-reports.js'),
};
