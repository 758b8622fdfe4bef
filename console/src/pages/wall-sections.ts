/**
 * The sections of wall mode (大屏) and their registry. A later area adds itself to the big screen by
 * calling `registerWallSection` with a loader and a renderer; the wall lays out whatever is registered
 * and present, so nothing of an area that does not exist is ever drawn.
 *
 * A loader resolves the section's figures, or null when its area has nothing in the user's scope; it
 * throws the API's error otherwise (404 and 403 leave the section out, anything else is shown as a
 * stale or failed section with its reason).
 */
import { html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { formatCount, formatPercent } from '../common/format.js';
import { formatUtilisation, utilisationBand } from '../common/link-style.js';
import type { AlarmSeverity } from '../data/alarms.js';
import { alarmSeverities } from '../data/alarms.js';
import type { LinkLevel } from '../data/network.js';
import type {
  AlarmFigures,
  BusyLink,
  ComplianceFigures,
  FleetFigures,
  LinkFigures,
  WallArea,
  WallLoadContext,
} from '../data/wall.js';
import { securityWallFigures } from '../data/security.js';
import type { SecurityWallFigures } from '../data/security.js';
import {
  alarmFigures,
  busiestLinks,
  complianceFigures,
  fleetFigures,
  formatWallMoment,
  linkFigures,
  wallSources,
} from '../data/wall.js';

/** What a renderer may use besides its figures. */
export interface WallRenderContext {
  /** The wall clock (epoch ms). */
  now: number;
  /** The locale in force, for `Intl`. */
  locale: string;
}

export interface WallSection<T> {
  /** Unique; shown as `data-section` on the section. */
  id: string;
  area: WallArea;
  /** Order within the area, smallest first. */
  order: number;
  /** Columns of the area the section wants: 2 for a wide one, 1 otherwise. */
  width: 1 | 2;
  title: () => string;
  load: (ctx: WallLoadContext) => Promise<T | null>;
  render: (data: T, ctx: WallRenderContext) => TemplateResult;
}

// The registry holds sections of any figure type; each section's render only ever gets its own load's value.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySection = WallSection<any>;

const registry: AnySection[] = [];

/** Adds a section to the wall. An id may be registered once. */
export function registerWallSection<T>(section: WallSection<T>): void {
  if (registry.some((s) => s.id === section.id)) {
    throw new Error(`wall section "${section.id}" is already registered`);
  }
  registry.push(section);
}

/** The registered sections, in registration order. */
export function wallSections(): readonly AnySection[] {
  return registry;
}

/** The heading of an area's column: the area's name in the shared base, and what it covers. */
export function areaTitle(area: WallArea): { name: string; sub: string | null } {
  switch (area) {
    case 'cloud':
      return {
        name: msg('One cloud', { id: 'wall.area.cloud' }),
        sub: msg('e-government cloud', { id: 'wall.area.cloudSub' }),
      };
    case 'network':
      return {
        name: msg('One network', { id: 'wall.area.network' }),
        sub: msg('e-government extranet', { id: 'wall.area.networkSub' }),
      };
    case 'security':
      return {
        name: msg('One wall', { id: 'wall.area.security' }),
        sub: msg('security', { id: 'wall.area.securitySub' }),
      };
    case 'alarms':
      return {
        name: msg('Alarms', { id: 'wall.area.alarms' }),
        sub: null,
      };
  }
}

export function severityLabel(severity: AlarmSeverity): string {
  switch (severity) {
    case 'critical':
      return msg('Critical', { id: 'wall.severity.critical' });
    case 'major':
      return msg('Major', { id: 'wall.severity.major' });
    case 'minor':
      return msg('Minor', { id: 'wall.severity.minor' });
    case 'warning':
      return msg('Warning', { id: 'wall.severity.warning' });
  }
}

export function levelLabel(level: LinkLevel): string {
  switch (level) {
    case 'backbone':
      return msg('Backbone', { id: 'wall.level.backbone' });
    case 'city':
      return msg('City', { id: 'wall.level.city' });
    case 'county':
      return msg('County', { id: 'wall.level.county' });
    case 'township':
      return msg('Township', { id: 'wall.level.township' });
    case 'department':
      return msg('Department', { id: 'wall.level.department' });
  }
}

/** A big figure with its label; `tone` colours the number (ok, warn, bad, idle or none). */
function figure(label: string, value: string, testId: string, tone = '', size: 'xl' | 'l' | 'm' = 'l') {
  return html`<div class="figure ${size} ${tone}">
    <div class="figure-value num" data-testid=${testId}>${value}</div>
    <div class="figure-label">${label}</div>
  </div>`;
}

/** `online / total` as one big figure whose parts are readable by tests. */
function ratio(
  label: string,
  part: number,
  whole: number,
  testId: string,
  tone: string,
  size: 'xl' | 'l' = 'xl',
) {
  return html`<div class="figure ${size} ${tone}">
    <div class="figure-value num">
      <span data-testid="${testId}-part">${formatCount(part)}</span
      ><span class="of">/<span data-testid="${testId}-whole">${formatCount(whole)}</span></span>
    </div>
    <div class="figure-label">${label}</div>
  </div>`;
}

const countTone = (value: number, tone: string): string => (value === 0 ? 'zero' : tone);

/** A horizontal bar for a share in percent, with an optional band class for its colour. */
function bar(percent: number | null, band = '') {
  const width = percent === null ? 0 : Math.max(0, Math.min(100, percent));
  return html`<div class="bar ${band}">
    <div class="bar-fill" style="width: ${width}%"></div>
  </div>`;
}

function renderFleet(f: FleetFigures): TemplateResult {
  const agentsTone = f.agents.online === f.agents.total ? 'ok' : 'warn';
  const hostsTone = f.hosts.online === f.hosts.total ? 'ok' : 'warn';
  return html`<div class="stack">
    ${ratio(msg('Agents online', { id: 'wall.fleet.agentsOnline' }), f.agents.online, f.agents.total, 'wall-agents', agentsTone)}
    <div class="row">
      ${figure(msg('Stale', { id: 'wall.fleet.stale' }), formatCount(f.agents.stale), 'wall-agents-stale', countTone(f.agents.stale, 'warn'), 'm')}
      ${figure(msg('Offline', { id: 'wall.fleet.offline' }), formatCount(f.agents.offline), 'wall-agents-offline', countTone(f.agents.offline, 'bad'), 'm')}
    </div>
    ${
      f.hosts.total > 0
        ? ratio(
            msg('Cloud hosts online', { id: 'wall.fleet.hostsOnline' }),
            f.hosts.online,
            f.hosts.total,
            'wall-hosts',
            hostsTone,
          )
        : nothing
    }
    ${figure(msg('Samples in the last hour', { id: 'wall.fleet.samples' }), formatCount(f.samplesLastHour), 'wall-samples', '', 'm')}
  </div>`;
}

function renderLinks(f: LinkFigures): TemplateResult {
  return html`<div class="row spread">
    ${figure(msg('Links', { id: 'wall.links.total' }), formatCount(f.total), 'wall-links-total', '', 'xl')}
    ${figure(msg('Up', { id: 'wall.links.up' }), formatCount(f.byStatus.up), 'wall-links-up', countTone(f.byStatus.up, 'ok'), 'xl')}
    ${figure(msg('Down', { id: 'wall.links.down' }), formatCount(f.byStatus.down), 'wall-links-down', countTone(f.byStatus.down, 'bad'), 'xl')}
    ${
      f.byStatus.unknown > 0
        ? figure(
            msg('Unknown', { id: 'wall.links.unknown' }),
            formatCount(f.byStatus.unknown),
            'wall-links-unknown',
            'idle',
            'xl',
          )
        : nothing
    }
    ${figure(msg('Failed over to backup', { id: 'wall.links.failedOver' }), formatCount(f.failedOver), 'wall-failed-over', countTone(f.failedOver, 'warn'), 'xl')}
    ${
      f.flapping > 0
        ? figure(
            msg('Flapping', { id: 'wall.links.flapping' }),
            formatCount(f.flapping),
            'wall-links-flapping',
            'warn',
            'xl',
          )
        : nothing
    }
    ${figure(msg('Links up', { id: 'wall.links.upRate' }), formatPercent(f.upPercent), 'wall-links-up-rate', f.byStatus.down > 0 ? 'warn' : 'ok', 'xl')}
  </div>`;
}

function complianceTone(rate: number | null): string {
  if (rate === null) return 'idle';
  return rate >= 95 ? 'ok' : rate >= 80 ? 'warn' : 'bad';
}

function renderCompliance(f: ComplianceFigures): TemplateResult {
  return html`<div class="stack">
    ${figure(
      msg(
        str`All levels · ${formatCount(f.overall.conforming)} of ${formatCount(f.overall.conforming + f.overall.below)} measured links`,
        { id: 'wall.compliance.overall' },
      ),
      formatPercent(f.overall.ratePercent),
      'wall-compliance-overall',
      complianceTone(f.overall.ratePercent),
      'l',
    )}
    <ul class="bars">
      ${f.levels.map(
        (l) =>
          html`<li
            data-testid="wall-compliance-level"
            data-level=${l.level}
            data-rate=${l.ratePercent === null ? '' : l.ratePercent.toFixed(1)}
          >
            <span class="bar-label">${levelLabel(l.level)}</span>
            ${bar(l.ratePercent, complianceTone(l.ratePercent))}
            <span class="bar-value num ${complianceTone(l.ratePercent)}"
              >${formatPercent(l.ratePercent)}</span
            >
            <span class="bar-note num"
              >${
                l.below > 0
                  ? msg(str`${formatCount(l.below)} below`, { id: 'wall.compliance.below' })
                  : l.conforming > 0
                    ? msg(str`${formatCount(l.conforming)} meet`, { id: 'wall.compliance.meet' })
                    : msg(str`${formatCount(l.unknown)} not measured`, { id: 'wall.compliance.unmeasured' })
              }</span
            >
          </li>`,
      )}
    </ul>
  </div>`;
}

function renderBusiest(links: BusyLink[]): TemplateResult {
  return html`<ul class="bars busy">
    ${links.map(
      (l) =>
        html`<li data-testid="wall-busy-link" data-link-id=${l.id}>
          <span class="bar-label name" title=${l.name}>${l.name}</span>
          ${bar(l.maxPercent, `band-${utilisationBand(l.maxPercent)}`)}
          <span class="bar-value num band-${utilisationBand(l.maxPercent)}"
            >${formatUtilisation(l.maxPercent)}</span
          >
        </li>`,
    )}
  </ul>`;
}

function renderAlarms(f: AlarmFigures, ctx: WallRenderContext): TemplateResult {
  return html`<div class="stack top">
    <div class="row severities">
      ${alarmSeverities.map((s) =>
        figure(
          severityLabel(s),
          formatCount(f.bySeverity[s]),
          `wall-alarms-${s}`,
          countTone(f.bySeverity[s], `sev-${s}`),
          'xl',
        ),
      )}
    </div>
    <div class="muted-line num" data-testid="wall-alarms-unacknowledged">
      ${msg(str`${formatCount(f.firing)} active · ${formatCount(f.unacknowledged)} not acknowledged`, { id: 'wall.alarms.totals' })}
    </div>
    ${
      f.newest.length === 0
        ? html`<div class="calm" data-testid="wall-alarms-none">
            ${msg('No active alarms', { id: 'wall.alarms.none' })}
          </div>`
        : html`<ol class="alarm-list">
            ${f.newest.map(
              (a) =>
                html`<li data-testid="wall-alarm-row" data-alarm-id=${a.id} data-severity=${a.severity}>
                  <span class="sev-chip sev-${a.severity}">${severityLabel(a.severity)}</span>
                  <span class="alarm-summary" title=${a.summary}>${a.summary}</span>
                  <span class="alarm-time num"
                    >${formatWallMoment(Date.parse(a.startsAt), ctx.now, ctx.locale)}</span
                  >
                </li>`,
            )}
          </ol>`
    }
  </div>`;
}

/** How many of the newest alarms the wall lists. */
const newestAlarmCount = 8;

registerWallSection<FleetFigures>({
  id: 'cloud-fleet',
  area: 'cloud',
  order: 10,
  width: 1,
  title: () => msg('Agents and cloud hosts', { id: 'wall.fleet.title' }),
  load: async (ctx) => {
    const [overview, agents] = await Promise.all([wallSources.overview(ctx), wallSources.agents(ctx)]);
    return fleetFigures(overview, agents);
  },
  render: renderFleet,
});

registerWallSection<LinkFigures>({
  id: 'network-links',
  area: 'network',
  order: 10,
  width: 2,
  title: () => msg('Link status', { id: 'wall.links.title' }),
  load: async (ctx) => linkFigures(await wallSources.links(ctx)),
  render: renderLinks,
});

registerWallSection<ComplianceFigures>({
  id: 'network-compliance',
  area: 'network',
  order: 20,
  width: 1,
  title: () => msg('Bandwidth compliance rate', { id: 'wall.compliance.title' }),
  load: async (ctx) => complianceFigures(await wallSources.links(ctx)),
  render: renderCompliance,
});

registerWallSection<BusyLink[]>({
  id: 'network-busiest',
  area: 'network',
  order: 30,
  width: 1,
  title: () => msg('Busiest links', { id: 'wall.busiest.title' }),
  load: async (ctx) => busiestLinks(await wallSources.links(ctx)),
  render: renderBusiest,
});

registerWallSection<AlarmFigures>({
  id: 'alarms-active',
  area: 'alarms',
  order: 10,
  width: 1,
  title: () => msg('Active alarms', { id: 'wall.alarms.title' }),
  load: async (ctx) => {
    const [summary, newest] = await Promise.all([
      wallSources.alarmSummary(ctx),
      wallSources.newestAlarms(ctx, newestAlarmCount),
    ]);
    return alarmFigures(summary, newest, newestAlarmCount);
  },
  render: renderAlarms,
});

// ---- One wall (security): open incidents by severity and the riskiest units (issue 10) ----

/** The wall's severity tones for the security words, as the alarms' figures colour them. */
const securityTone = {
  critical: 'sev-critical',
  high: 'sev-major',
  medium: 'sev-minor',
  low: 'sev-warning',
} as const;

function renderSecurity(f: SecurityWallFigures): TemplateResult {
  return html`<div class="stack">
    <div class="row severities">
      ${f.severities.map((s) =>
        figure(
          securitySeverityLabel(s),
          formatCount(f.openIncidents[s]),
          `wall-incidents-${s}`,
          countTone(f.openIncidents[s], securityTone[s]),
          'l',
        ),
      )}
    </div>
    <div class="muted-line num" data-testid="wall-incidents-total">
      ${
        f.openIncidentTotal === 1
          ? msg(str`${formatCount(f.openIncidentTotal)} open incident`, { id: 'wall.security.incidents.one' })
          : msg(str`${formatCount(f.openIncidentTotal)} open incidents`, {
              id: 'wall.security.incidents.other',
            })
      }
    </div>
    <ul class="bars">
      ${f.riskTop.map(
        (u) =>
          html`<li data-testid="wall-risk-unit" data-org-unit=${u.orgUnitId} data-score=${u.score}>
            <span class="bar-label name" title=${u.name}>${u.name}</span>
            ${bar(u.score, `band-${u.band}`)}
            <span class="bar-value num band-${u.band}">${formatCount(Math.round(u.score))}</span>
          </li>`,
      )}
    </ul>
  </div>`;
}

function securitySeverityLabel(s: keyof typeof securityTone): string {
  switch (s) {
    case 'critical':
      return msg('Critical', { id: 'wall.security.critical' });
    case 'high':
      return msg('High', { id: 'wall.security.high' });
    case 'medium':
      return msg('Medium', { id: 'wall.security.medium' });
    case 'low':
      return msg('Low', { id: 'wall.security.low' });
  }
}

registerWallSection<SecurityWallFigures>({
  id: 'security-situation',
  area: 'security',
  order: 10,
  width: 1,
  title: () => msg('Security incidents and risk', { id: 'wall.security.title' }),
  load: (ctx) => securityWallFigures(ctx.signal),
  render: renderSecurity,
});
