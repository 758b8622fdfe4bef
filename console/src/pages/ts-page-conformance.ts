import { LitElement, css, html, nothing } from 'lit';
import { customElement } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { fetchConformance } from '../data/network.js';
import type {
  Conformance,
  IntegrationConformance,
  RedundancyConformance,
  TierConformance,
} from '../data/network.js';
import { orgUnitLevelText } from '../data/org-units.js';
import { formatCount } from '../common/format.js';
import {
  formatMbps,
  formatUtilisation,
  integrationRatePercent,
  integrationTargetPercent,
} from '../common/link-style.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import type { DataTableColumn } from '../components/ts-data-table.js';
import { networkErrorPanel, networkStyles } from './network-panels.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';
import '../components/ts-status-badge.js';
import '../components/ts-utilisation-bar.js';

const share = (part: number, whole: number): number | null => (whole > 0 ? (part / whole) * 100 : null);

/** Totals of a column over the rows, for a summary in the panel's title bar. */
const sum = <R>(rows: readonly R[], value: (row: R) => number): number =>
  rows.reduce((total, row) => total + (Number.isFinite(value(row)) ? value(row) : 0), 0);

/**
 * How the extranet measures up to the seeds per org unit: links against the bandwidth target of
 * their level, primary/backup redundancy, and the migration of dedicated networks (target 95 %).
 */
@localized()
@customElement('ts-page-conformance')
export class TsPageConformance extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    networkStyles,
    css`
      .panels {
        display: grid;
        grid-template-columns: repeat(2, minmax(0, 1fr));
        gap: 12px;
        align-items: start;
      }
      .panels > .wide {
        grid-column: 1 / -1;
      }
      @media (max-width: 1200px) {
        .panels {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      ts-panel {
        --ts-panel-padding: 0;
      }
      .bad {
        color: var(--ts-bad);
        font-weight: 600;
      }
      .warn {
        color: var(--ts-warn);
        font-weight: 600;
      }
      .zero {
        color: var(--ts-text-muted);
      }
      .note {
        margin: 0;
        padding: 8px 12px;
        border-top: 1px solid var(--ts-border);
        color: var(--ts-text-muted);
        font-size: 12px;
      }
    `,
  ];

  private readonly _task = new Task<[], Conformance>(this, {
    task: (_args, { signal }) => fetchConformance(signal),
    args: () => [],
  });

  override render() {
    const heading = msg('Conformance', { id: 'conformance.heading' });
    const backbone = formatMbps(10_000);
    const county = formatMbps(1000);
    const township = formatMbps(100);
    const target = integrationTargetPercent;
    return html`
      <div class="page-header">
        <h1><span class="muted">${msg('Network /', { id: 'network.breadcrumb' })}</span> ${heading}</h1>
        <span class="muted"
          >${msg(
            str`${backbone} backbone · ${county} to counties · ${township} to townships · dedicated networks integrated ≥ ${target} %`,
            { id: 'conformance.subtitle' },
          )}</span
        >
        <span class="spacer"></span>
        <button class="btn" type="button" @click=${() => void this._task.run()}>
          ${msg('Refresh', { id: 'conformance.refresh' })}
        </button>
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value
            ? this._panels(this._task.value, true)
            : html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
        complete: (value) => this._panels(value, false),
        error: (error) => networkErrorPanel(heading, error, () => void this._task.run()),
      })}
    `;
  }

  private _panels(conformance: Conformance, busy: boolean) {
    const tiers = Array.isArray(conformance.tiers) ? conformance.tiers : [];
    const redundancy = Array.isArray(conformance.redundancy) ? conformance.redundancy : [];
    const integration = Array.isArray(conformance.integration) ? conformance.integration : [];
    const count = (n: number, tone: 'bad' | 'warn') =>
      html`<span class=${n > 0 ? tone : 'zero'}>${formatCount(n)}</span>`;

    const tierColumns: DataTableColumn<TierConformance>[] = [
      {
        id: 'org',
        title: msg('Org unit', { id: 'conformance.col.orgUnit' }),
        sortValue: (r) => r.orgUnitName,
        render: (r) => r.orgUnitName,
      },
      {
        id: 'level',
        title: msg('Level', { id: 'conformance.col.level' }),
        sortValue: (r) => r.level,
        render: (r) => orgUnitLevelText(r.level),
      },
      {
        id: 'links',
        title: msg('Links', { id: 'conformance.col.links' }),
        align: 'end',
        sortValue: (r) => r.links,
        render: (r) => formatCount(r.links),
      },
      {
        id: 'conforming',
        title: msg('Meet tier', { id: 'conformance.col.meetTier' }),
        align: 'end',
        sortValue: (r) => r.conforming,
        render: (r) => formatCount(r.conforming),
      },
      {
        id: 'below',
        title: msg('Below', { id: 'conformance.col.below' }),
        align: 'end',
        sortValue: (r) => r.below,
        render: (r) => count(r.below, 'bad'),
      },
      {
        id: 'unknown',
        title: msg('Unknown', { id: 'conformance.col.unknown' }),
        align: 'end',
        sortValue: (r) => r.unknown,
        render: (r) => count(r.unknown, 'warn'),
      },
      {
        id: 'share',
        title: msg('Conforming', { id: 'conformance.col.conforming' }),
        sortValue: (r) => share(r.conforming, r.links) ?? -1,
        render: (r) =>
          html`<ts-utilisation-bar
            mode="rate"
            .target=${100}
            .percent=${share(r.conforming, r.links)}
          ></ts-utilisation-bar>`,
      },
    ];

    const redundancyColumns: DataTableColumn<RedundancyConformance>[] = [
      {
        id: 'org',
        title: msg('Org unit', { id: 'conformance.col.orgUnit' }),
        sortValue: (r) => r.orgUnitName,
        render: (r) => r.orgUnitName,
      },
      {
        id: 'pairs',
        title: msg('Pairs', { id: 'conformance.col.pairs' }),
        align: 'end',
        sortValue: (r) => r.pairs,
        render: (r) => formatCount(r.pairs),
      },
      {
        id: 'redundant',
        title: msg('Redundant', { id: 'conformance.col.redundant' }),
        align: 'end',
        sortValue: (r) => r.redundant,
        render: (r) => formatCount(r.redundant),
      },
      {
        id: 'degraded',
        title: msg('Degraded', { id: 'conformance.col.degraded' }),
        align: 'end',
        sortValue: (r) => r.degraded,
        render: (r) => count(r.degraded, 'bad'),
      },
      {
        id: 'failedOver',
        title: msg('Failed over', { id: 'conformance.col.failedOver' }),
        align: 'end',
        sortValue: (r) => r.failedOver,
        render: (r) => count(r.failedOver, 'warn'),
      },
      {
        id: 'share',
        title: msg('Redundant share', { id: 'conformance.col.redundantShare' }),
        sortValue: (r) => share(r.redundant, r.pairs) ?? -1,
        render: (r) =>
          html`<ts-utilisation-bar
            mode="rate"
            .target=${100}
            .percent=${share(r.redundant, r.pairs)}
          ></ts-utilisation-bar>`,
      },
    ];

    const integrationColumns: DataTableColumn<IntegrationConformance>[] = [
      {
        id: 'org',
        title: msg('Org unit', { id: 'conformance.col.orgUnit' }),
        sortValue: (r) => r.orgUnitName ?? r.orgUnitId,
        render: (r) => r.orgUnitName ?? html`<span class="mono">${r.orgUnitId}</span>`,
      },
      {
        id: 'migrated',
        title: msg('Migrated / eligible', { id: 'conformance.col.migrated' }),
        align: 'end',
        sortValue: (r) => r.migrated ?? -1,
        render: (r) =>
          typeof r.migrated === 'number' || typeof r.eligible === 'number'
            ? `${r.migrated ?? '—'} / ${r.eligible ?? '—'}`
            : html`<span class="muted">—</span>`,
      },
      {
        id: 'rate',
        title: msg(str`Integration rate (target ${integrationTargetPercent} %)`, {
          id: 'conformance.col.rate',
        }),
        sortValue: (r) => integrationRatePercent(r) ?? -1,
        render: (r) =>
          html`<ts-utilisation-bar
            style="--ts-bar-width: 120px"
            mode="rate"
            .target=${integrationTargetPercent}
            .percent=${integrationRatePercent(r)}
          ></ts-utilisation-bar>`,
      },
      {
        id: 'meets',
        title: msg('Target', { id: 'conformance.col.target' }),
        sortValue: (r) => (r.meetsTarget === undefined ? 2 : r.meetsTarget ? 1 : 0),
        render: (r) => {
          const rate = integrationRatePercent(r);
          const meets = r.meetsTarget ?? (rate === null ? undefined : rate >= integrationTargetPercent);
          return meets === undefined
            ? html`<span class="muted">—</span>`
            : html`<ts-status-badge
                .status=${meets ? 'met' : 'not met'}
                .label=${
                  meets
                    ? msg('met', { id: 'conformance.target.met' })
                    : msg('not met', { id: 'conformance.target.notMet' })
                }
                .tone=${meets ? 'ok' : 'warn'}
              ></ts-status-badge>`;
        },
      },
    ];

    const linksTotal = sum(tiers, (r) => r.links);
    const conformingTotal = sum(tiers, (r) => r.conforming);
    const pairsTotal = sum(redundancy, (r) => r.pairs);
    const degradedTotal = sum(redundancy, (r) => r.degraded);
    const failedOverTotal = sum(redundancy, (r) => r.failedOver);
    const conforming = formatCount(conformingTotal);
    const linkCount = formatCount(linksTotal);
    const conformingShare = formatUtilisation(share(conformingTotal, linksTotal));
    const pairs = formatCount(pairsTotal);
    const degraded = formatCount(degradedTotal);
    const failedOver = formatCount(failedOverTotal);
    return html`<div class="panels">
      <ts-panel
        class="wide"
        heading=${msg('Bandwidth tiers', { id: 'conformance.tiers.heading' })}
        ?busy=${busy}
      >
        <span slot="meta"
          >${msg(
            str`${conforming} of ${linkCount} links meet the target of their level (${conformingShare})`,
            {
              id: 'conformance.tiers.meta',
            },
          )}</span
        >
        <ts-data-table
          caption=${msg('Bandwidth tier conformance per org unit', { id: 'conformance.tiers.caption' })}
          .columns=${tierColumns}
          .rows=${tiers}
          .rowKey=${(r: TierConformance) => `${r.orgUnitId}:${r.level}`}
          .rowAttributes=${(r: TierConformance) => ({ 'data-testid': 'tier-row', 'data-org-unit-id': r.orgUnitId })}
          emptyMessage=${msg('No links are checked against a tier yet.', { id: 'conformance.tiers.empty' })}
        ></ts-data-table>
      </ts-panel>
      <ts-panel
        heading=${msg('Redundancy (primary / backup)', { id: 'conformance.redundancy.heading' })}
        ?busy=${busy}
      >
        <span slot="meta"
          >${msg(str`${pairs} pairs · ${degraded} degraded · ${failedOver} failed over`, {
            id: 'conformance.redundancy.meta',
          })}</span
        >
        <ts-data-table
          caption=${msg('Redundancy per org unit', { id: 'conformance.redundancy.caption' })}
          .columns=${redundancyColumns}
          .rows=${redundancy}
          .rowKey=${(r: RedundancyConformance) => r.orgUnitId}
          .rowAttributes=${(r: RedundancyConformance) => ({
            'data-testid': 'redundancy-row',
            'data-org-unit-id': r.orgUnitId,
          })}
          emptyMessage=${msg('No primary/backup pairs are defined yet.', { id: 'conformance.redundancy.empty' })}
        ></ts-data-table>
        <p class="note">
          ${msg('Degraded: one member of the pair is down, so the site has no redundancy left.', {
            id: 'conformance.redundancy.note',
          })}
        </p>
      </ts-panel>
      <ts-panel
        heading=${msg('Dedicated-network integration', { id: 'conformance.integration.heading' })}
        ?busy=${busy}
      >
        <span slot="meta"
          >${msg('Non-secret dedicated networks migrated onto the e-government extranet', {
            id: 'conformance.integration.meta',
          })}</span
        >
        <ts-data-table
          caption=${msg('Dedicated-network integration rate per org unit', {
            id: 'conformance.integration.caption',
          })}
          .columns=${integrationColumns}
          .rows=${integration}
          .rowKey=${(r: IntegrationConformance) => r.orgUnitId}
          .rowAttributes=${(r: IntegrationConformance) => ({
            'data-testid': 'integration-row',
            'data-org-unit-id': r.orgUnitId,
          })}
          emptyMessage=${msg('No dedicated networks are tracked yet.', { id: 'conformance.integration.empty' })}
        ></ts-data-table>
        ${
          integration.length > 0
            ? html`<p class="note">
                ${msg(str`The tick on each bar marks the ${integrationTargetPercent} % target.`, {
                  id: 'conformance.integration.note',
                })}
              </p>`
            : nothing
        }
      </ts-panel>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-conformance': TsPageConformance;
  }
}
