/** The console's areas, as the left navigation lists them and the router resolves them. */

export type PageKind =
  | 'overview'
  | 'agents'
  | 'audit'
  | 'users'
  | 'topology'
  | 'links'
  | 'link-detail'
  | 'alarms'
  | 'conformance'
  | 'prefixes'
  | 'api-tokens'
  | 'area';

export interface NavItem {
  /** Used for `data-testid="nav-<id>"`. */
  id: string;
  label: string;
  path: string;
  page: PageKind;
  /** For areas not built yet: what the page will offer. */
  description?: string;
}

export interface NavGroup {
  id: string;
  label: string;
  items: NavItem[];
}

/** A top-level entry is either one page or a group of pages. */
export type NavEntry = NavItem | NavGroup;

export const isGroup = (entry: NavEntry): entry is NavGroup => 'items' in entry;

export const navigation: NavEntry[] = [
  { id: 'overview', label: 'Overview', path: '/', page: 'overview' },
  {
    id: 'network',
    label: 'Network',
    items: [
      { id: 'topology', label: 'Topology', path: '/network/topology', page: 'topology' },
      { id: 'links', label: 'Links', path: '/network/links', page: 'links' },
      { id: 'alarms', label: 'Alarms', path: '/network/alarms', page: 'alarms' },
      { id: 'conformance', label: 'Conformance', path: '/network/conformance', page: 'conformance' },
      { id: 'addresses', label: 'Addresses', path: '/network/addresses', page: 'prefixes' },
    ],
  },
  {
    id: 'flows',
    label: 'Flows',
    path: '/flows',
    page: 'area',
    description:
      'Top talkers, applications and org units from NetFlow and IPFIX, traffic over time with filters, ' +
      'and internet egress accounted per org unit.',
  },
  {
    id: 'ipv6',
    label: 'IPv6',
    path: '/ipv6',
    page: 'area',
    description:
      'Measured IPv6 readiness of every router, host and service, the IPv6 share of traffic, and ' +
      'progress per level and org unit against the targets set in policy.',
  },
  {
    id: 'clouds',
    label: 'Clouds & quotas',
    path: '/clouds',
    page: 'area',
    description:
      'The clouds under management, their capacity, hierarchical quotas, resource requests and ' +
      'approvals, and utilisation reviews that find resources to reclaim.',
  },
  {
    id: 'backups',
    label: 'Backups',
    path: '/backups',
    page: 'area',
    description:
      'Backup policies by system class, job runs, off-site copies and restore drills, with RPO and RTO ' +
      'compliance under GB/T 20988.',
  },
  {
    id: 'security',
    label: 'Security',
    items: [
      {
        id: 'alerts',
        label: 'Alerts',
        path: '/security/alerts',
        page: 'area',
        description:
          'Alerts from flow detections, Sigma rules, intrusion detection and log sources, with triage ' +
          'and the risk of each org unit.',
      },
      {
        id: 'incidents',
        label: 'Incidents',
        path: '/security/incidents',
        page: 'area',
        description:
          'Incidents grouped from alerts and escalated between county, city and province, with ' +
          'response status and trends.',
      },
    ],
  },
  {
    id: 'admin',
    label: 'Admin',
    items: [
      { id: 'users', label: 'Users', path: '/admin/users', page: 'users' },
      { id: 'agents', label: 'Agents', path: '/admin/agents', page: 'agents' },
      {
        id: 'policies',
        label: 'Policies',
        path: '/admin/policies',
        page: 'area',
        description:
          'The policy files in force (bandwidth tiers, IPv6 targets, quotas, backup classes, detection ' +
          'rules and roles) and whether each one validates.',
      },
      { id: 'audit', label: 'Audit log', path: '/admin/audit', page: 'audit' },
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
  { id: 'link-detail', label: 'Link', path: '/network/links/:id', page: 'link-detail', groupId: 'network' },
  { id: 'api-tokens', label: 'API tokens', path: '/account/tokens', page: 'api-tokens' },
];

/** The user menu's pages; each link has `data-testid="nav-<id>"`. */
export const accountPages: NavItem[] = detailPages.filter((page) => page.path.startsWith('/account/'));

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
