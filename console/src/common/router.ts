/** Client-side routing with the History API. Path matching is pure and unit-tested. */

export type RouteParams = Record<string, string>;

/**
 * Matches a pathname against a pattern such as `/hosts/:agentId`. Segments starting with `:` capture
 * one non-empty segment; a trailing `*` captures the rest. Trailing slashes are ignored. Returns the
 * captured parameters (URI-decoded) or null.
 */
export function matchPath(pattern: string, pathname: string): RouteParams | null {
  const patternParts = split(pattern);
  const pathParts = split(pathname);
  const params: RouteParams = {};
  for (let i = 0; i < patternParts.length; i++) {
    const part = patternParts[i] as string;
    if (part === '*') {
      params['rest'] = pathParts.slice(i).map(safeDecode).join('/');
      return params;
    }
    const segment = pathParts[i];
    if (segment === undefined) return null;
    if (part.startsWith(':')) {
      params[part.slice(1)] = safeDecode(segment);
    } else if (part !== segment) {
      return null;
    }
  }
  return pathParts.length === patternParts.length ? params : null;
}

function split(path: string): string[] {
  return path.split('/').filter((p) => p.length > 0);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export interface RouteMatch<R extends { path: string }> {
  route: R;
  params: RouteParams;
}

/** Finds the first route whose pattern matches, in the order given. */
export function resolveRoute<R extends { path: string }>(
  routes: readonly R[],
  pathname: string,
): RouteMatch<R> | null {
  for (const route of routes) {
    const params = matchPath(route.path, pathname);
    if (params) return { route, params };
  }
  return null;
}

/** Tells whether a path is the same as, or below, a navigation entry's path (for highlighting). */
export function isActivePath(entryPath: string, pathname: string): boolean {
  const entry = split(entryPath);
  const path = split(pathname);
  if (entry.length === 0) return path.length === 0;
  return entry.every((part, i) => path[i] === part);
}

/** Fired on `window` whenever the console changes its location itself (pushState fires nothing). */
export const locationChangedEvent = 'ts-location-changed';

/** Moves to a path inside the console without reloading the page. */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const current = window.location.pathname + window.location.search;
  if (path === current) return;
  if (options.replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  window.dispatchEvent(new Event(locationChangedEvent));
}

/**
 * Finds the internal link a click landed on, for the app to handle it without a page load. Returns
 * null for modified clicks, other windows, downloads, other origins and API paths.
 */
export function internalLinkTarget(event: MouseEvent): string | null {
  if (event.defaultPrevented || event.button !== 0) return null;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return null;
  const anchor = event
    .composedPath()
    .find((node): node is HTMLAnchorElement => node instanceof HTMLAnchorElement);
  if (!anchor || !anchor.href) return null;
  if (anchor.target && anchor.target !== '_self') return null;
  if (anchor.hasAttribute('download')) return null;
  const url = new URL(anchor.href);
  if (url.origin !== window.location.origin) return null;
  if (url.pathname.startsWith('/api/') || url.pathname === '/metrics') return null;
  return url.pathname + url.search + url.hash;
}
