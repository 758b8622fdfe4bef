import type { NotificationsPolicy, Route } from './policy.js';
import type { AlarmSeverity } from './types.js';

/** What routing looks at: the alarm's kind, severity and the materialized path of its org unit. */
export interface RoutableAlarm {
  kind: string;
  severity: AlarmSeverity;
  /** E.g. `/sc/sc-cd/sc-cd-jj/`. */
  orgUnitPath: string;
}

function kindMatches(patterns: string[], kind: string): boolean {
  return patterns.some((p) => (p.endsWith('*') ? kind.startsWith(p.slice(0, -1)) : kind === p));
}

/** True when every matcher the route has accepts the alarm (a route without matchers takes all). */
export function routeMatches(route: Route, alarm: RoutableAlarm): boolean {
  const m = route.match;
  if (m.kind && !kindMatches(m.kind, alarm.kind)) return false;
  if (m.severity && !m.severity.includes(alarm.severity)) return false;
  // Org unit ids are unique across the tree, so "in the subtree of X" is "X is a segment of the path".
  if (m.orgUnit && !alarm.orgUnitPath.includes(`/${m.orgUnit}/`)) return false;
  return true;
}

/**
 * The receivers an alarm goes to: routes are tried in order, the first match ends the walk unless it
 * says `continue: true`. Each receiver appears once.
 */
export function receiversFor(policy: NotificationsPolicy, alarm: RoutableAlarm): string[] {
  const out = new Set<string>();
  for (const route of policy.routes) {
    if (!routeMatches(route, alarm)) continue;
    for (const r of route.receivers) out.add(r);
    if (!route.continue) break;
  }
  return [...out];
}
