import { describe, expect, it } from 'vitest';
import { isActivePath, matchPath, resolveRoute } from './router.js';

describe('matchPath', () => {
  it('matches static paths, ignoring trailing slashes', () => {
    expect(matchPath('/', '/')).toEqual({});
    expect(matchPath('/admin/audit', '/admin/audit')).toEqual({});
    expect(matchPath('/admin/audit', '/admin/audit/')).toEqual({});
    expect(matchPath('/admin/audit', '/admin')).toBeNull();
    expect(matchPath('/admin', '/admin/audit')).toBeNull();
    expect(matchPath('/', '/flows')).toBeNull();
  });

  it('captures and decodes parameters', () => {
    expect(matchPath('/hosts/:agentId', '/hosts/web%2001')).toEqual({ agentId: 'web 01' });
    expect(matchPath('/hosts/:agentId', '/hosts')).toBeNull();
  });

  it('keeps a malformed escape as it is', () => {
    expect(matchPath('/hosts/:agentId', '/hosts/%E0%A4%A')).toEqual({ agentId: '%E0%A4%A' });
  });

  it('captures the rest with a wildcard', () => {
    expect(matchPath('/docs/*', '/docs/a/b')).toEqual({ rest: 'a/b' });
  });
});

describe('resolveRoute', () => {
  const routes = [
    { path: '/', id: 'overview' },
    { path: '/admin/agents', id: 'agents' },
    { path: '/hosts/:agentId', id: 'host' },
    { path: '*', id: 'not-found' },
  ];

  it('takes the first matching route', () => {
    expect(resolveRoute(routes, '/')?.route.id).toBe('overview');
    expect(resolveRoute(routes, '/admin/agents')?.route.id).toBe('agents');
    expect(resolveRoute(routes, '/hosts/a1')).toEqual({ route: routes[2], params: { agentId: 'a1' } });
    expect(resolveRoute(routes, '/nowhere')?.route.id).toBe('not-found');
  });

  it('returns null when nothing matches', () => {
    expect(resolveRoute([{ path: '/' }], '/x')).toBeNull();
  });
});

describe('isActivePath', () => {
  it('highlights an entry for its own path and paths below it', () => {
    expect(isActivePath('/', '/')).toBe(true);
    expect(isActivePath('/', '/flows')).toBe(false);
    expect(isActivePath('/network', '/network/links')).toBe(true);
    expect(isActivePath('/network/links', '/network/topology')).toBe(false);
    expect(isActivePath('/admin', '/administrator')).toBe(false);
  });
});
