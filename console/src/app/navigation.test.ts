import { describe, expect, it } from 'vitest';
import { resolveRoute } from '../common/router.js';
import { isGroup, navigation, pageLoaders, routes } from './navigation.js';

describe('network routes', () => {
  it('resolves the network pages', () => {
    expect(resolveRoute(routes, '/network/topology')?.route.item?.page).toBe('topology');
    expect(resolveRoute(routes, '/network/links')?.route.item?.page).toBe('links');
    expect(resolveRoute(routes, '/network/alarms')?.route.item?.page).toBe('alarms');
    expect(resolveRoute(routes, '/network/conformance')?.route.item?.page).toBe('conformance');
    expect(resolveRoute(routes, '/network/addresses')?.route.item?.page).toBe('prefixes');
    expect(resolveRoute(routes, '/network/addresses')?.route.group?.id).toBe('network');
    expect(resolveRoute(routes, '/network')?.route.redirect).toBe('/network/topology');
  });

  it('resolves a link detail with its decoded id, inside the network group', () => {
    const match = resolveRoute(routes, '/network/links/link%3Aprov-city%2F1');
    expect(match?.route.item?.page).toBe('link-detail');
    expect(match?.route.group?.id).toBe('network');
    expect(match?.params).toEqual({ id: 'link:prov-city/1' });
    expect(resolveRoute(routes, '/network/links/abc/')?.params).toEqual({ id: 'abc' });
  });

  it('does not take the list for a detail or a detail for anything deeper', () => {
    expect(resolveRoute(routes, '/network/links')?.route.item?.page).toBe('links');
    expect(resolveRoute(routes, '/network/links/abc/metrics')).toBeNull();
  });
});

describe('device routes', () => {
  it('lists Devices in the network group before Links', () => {
    const network = navigation.find((e) => isGroup(e) && e.id === 'network');
    const ids = network && isGroup(network) ? network.items.map((i) => i.id) : [];
    expect(ids).toContain('devices');
    expect(ids.indexOf('devices')).toBeLessThan(ids.indexOf('links'));
    expect(resolveRoute(routes, '/network/devices')?.route.item?.page).toBe('devices');
  });

  it('resolves a device page and a port page with their decoded parameters', () => {
    const device = resolveRoute(routes, '/network/devices/dev%2F1');
    expect(device?.route.item?.page).toBe('device-detail');
    expect(device?.route.group?.id).toBe('network');
    expect(device?.params).toEqual({ id: 'dev/1' });
    const port = resolveRoute(routes, '/network/devices/r1/interfaces/10101');
    expect(port?.route.item?.page).toBe('interface-detail');
    expect(port?.params).toEqual({ id: 'r1', ifIndex: '10101' });
    expect(resolveRoute(routes, '/network/devices/r1/interfaces')).toBeNull();
  });
});

describe('flow routes', () => {
  it('lists the flows area with the explorer, egress and exporters, each its own page', () => {
    const flows = navigation.find((e) => isGroup(e) && e.id === 'flows');
    const ids = flows && isGroup(flows) ? flows.items.map((i) => i.id) : [];
    expect(ids).toEqual(['flow-explorer', 'flow-egress', 'flow-exporters']);
    expect(resolveRoute(routes, '/flows')?.route.item?.page).toBe('flows');
    expect(resolveRoute(routes, '/flows/egress')?.route.item?.page).toBe('flow-egress');
    expect(resolveRoute(routes, '/flows/exporters')?.route.item?.page).toBe('flow-exporters');
    expect(resolveRoute(routes, '/flows/egress')?.route.group?.id).toBe('flows');
  });
});

describe('account routes', () => {
  it('resolves the API tokens page outside any group', () => {
    const match = resolveRoute(routes, '/account/tokens');
    expect(match?.route.item?.page).toBe('api-tokens');
    expect(match?.route.group).toBeUndefined();
  });
});

describe('areas', () => {
  it('lists only areas that exist: every listed page has a module that loads', () => {
    const pages = routes.flatMap((r) => (r.item ? [r.item.page] : []));
    for (const page of pages) expect(typeof pageLoaders[page], page).toBe('function');
    const ids = navigation.flatMap((e) => (isGroup(e) ? [e.id, ...e.items.map((i) => i.id)] : [e.id]));
    for (const unbuilt of ['ipv6', 'clouds', 'backups', 'policies']) expect(ids).not.toContain(unbuilt);
  });

  it('routes the wall display outside every group', () => {
    const match = resolveRoute(routes, '/wall');
    expect(match?.route.item?.page).toBe('wall');
    expect(match?.route.group).toBeUndefined();
  });

  it('has a loader for every page and no loader without a page', () => {
    const pages = new Set(routes.flatMap((r) => (r.item ? [r.item.page] : [])));
    expect([...pages].sort()).toEqual(Object.keys(pageLoaders).sort());
  });
});

describe('security routes', () => {
  it('lists the security area with its five pages, and the incident page inside it', () => {
    const security = navigation.find((e) => isGroup(e) && e.id === 'security');
    const ids = security && isGroup(security) ? security.items.map((i) => i.id) : [];
    expect(ids).toEqual([
      'security-situation',
      'security-alerts',
      'security-incidents',
      'security-events',
      'security-rules',
    ]);
    expect(resolveRoute(routes, '/security')?.route.item?.page).toBe('security');
    expect(resolveRoute(routes, '/security/alerts')?.route.item?.page).toBe('security-alerts');
    expect(resolveRoute(routes, '/security/incidents')?.route.item?.page).toBe('security-incidents');
    expect(resolveRoute(routes, '/security/events')?.route.item?.page).toBe('security-events');
    expect(resolveRoute(routes, '/security/rules')?.route.item?.page).toBe('security-rules');
    const incident = resolveRoute(routes, '/security/incidents/inc%2F7');
    expect(incident?.route.item?.page).toBe('security-incident');
    expect(incident?.route.group?.id).toBe('security');
    expect(incident?.params).toEqual({ id: 'inc/7' });
    for (const page of ['security', 'security-alerts', 'security-incident', 'security-rules'] as const)
      expect(typeof pageLoaders[page]).toBe('function');
  });
});

describe('quota routes', () => {
  it('lists the quota area with its pages; the form is not taken for a request id', () => {
    const quotas = navigation.find((e) => isGroup(e) && e.id === 'quotas');
    const items = quotas && isGroup(quotas) ? quotas.items : [];
    expect(items.map((i) => i.path)).toEqual([
      '/quotas',
      '/quotas/tree',
      '/quotas/requests/new',
      '/quotas/requests',
      '/quotas/inbox',
      '/quotas/reclaims',
      '/quotas/showback',
      '/quotas/scorecards',
    ]);
    expect(resolveRoute(routes, '/quotas')?.route.item?.page).toBe('quotas');
    expect(resolveRoute(routes, '/quotas/requests/new')?.route.item?.page).toBe('quota-request-new');
    const detail = resolveRoute(routes, '/quotas/requests/rq-7');
    expect(detail?.route.item?.page).toBe('quota-request');
    expect(detail?.route.group?.id).toBe('quotas');
    expect(detail?.params).toEqual({ id: 'rq-7' });
    expect(resolveRoute(routes, '/quotas/inbox')?.route.item?.page).toBe('quota-inbox');
  });
});
