import { LitElement, css, html, nothing } from 'lit';
import { customElement } from 'lit/decorators.js';
import { Task } from '@lit/task';
import { fetchConformance } from '../data/network.js';
import type {
  Conformance,
  IntegrationConformance,
  RedundancyConformance,
  TierConformance,
} from '../data/network.js';
import { formatCount } from '../common/format.js';
import { formatUtilisation, integrationRatePercent, integrationTargetPercent } from '../common/link-style.js';
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
    return html`
      <div class="page-header">
        <h1><span class="muted">Network /</span> Conformance</h1>
        <span class="muted"
          >10 Gbit/s backbone · 1 Gbit/s to counties · 100 Mbit/s to townships · 专网整合率 ≥ 95 %</span
        >
        <span class="spacer"></span>
        <button class="btn" type="button" @click=${() => void this._task.run()}>Refresh</button>
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value
            ? this._panels(this._task.value, true)
            : html`<ts-panel heading="Conformance" state="loading"></ts-panel>`,
        complete: (value) => this._panels(value, false),
        error: (error) => networkErrorPanel('Conformance', error, () => void this._task.run()),
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
      { id: 'org', title: 'Org unit', sortValue: (r) => r.orgUnitName, render: (r) => r.orgUnitName },
      { id: 'level', title: 'Level', sortValue: (r) => r.level, render: (r) => r.level },
      {
        id: 'links',
        title: 'Links',
        align: 'end',
        sortValue: (r) => r.links,
        render: (r) => formatCount(r.links),
      },
      {
        id: 'conforming',
        title: 'Meet tier',
        align: 'end',
        sortValue: (r) => r.conforming,
        render: (r) => formatCount(r.conforming),
      },
      {
        id: 'below',
        title: 'Below',
        align: 'end',
        sortValue: (r) => r.below,
        render: (r) => count(r.below, 'bad'),
      },
      {
        id: 'unknown',
        title: 'Unknown',
        align: 'end',
        sortValue: (r) => r.unknown,
        render: (r) => count(r.unknown, 'warn'),
      },
      {
        id: 'share',
        title: 'Conforming',
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
      { id: 'org', title: 'Org unit', sortValue: (r) => r.orgUnitName, render: (r) => r.orgUnitName },
      {
        id: 'pairs',
        title: 'Pairs',
        align: 'end',
        sortValue: (r) => r.pairs,
        render: (r) => formatCount(r.pairs),
      },
      {
        id: 'redundant',
        title: 'Redundant',
        align: 'end',
        sortValue: (r) => r.redundant,
        render: (r) => formatCount(r.redundant),
      },
      {
        id: 'degraded',
        title: 'Degraded',
        align: 'end',
        sortValue: (r) => r.degraded,
        render: (r) => count(r.degraded, 'bad'),
      },
      {
        id: 'failedOver',
        title: 'Failed over',
        align: 'end',
        sortValue: (r) => r.failedOver,
        render: (r) => count(r.failedOver, 'warn'),
      },
      {
        id: 'share',
        title: 'Redundant share',
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
        title: 'Org unit',
        sortValue: (r) => r.orgUnitName ?? r.orgUnitId,
        render: (r) => r.orgUnitName ?? html`<span class="mono">${r.orgUnitId}</span>`,
      },
      {
        id: 'migrated',
        title: 'Migrated / eligible',
        align: 'end',
        sortValue: (r) => r.migrated ?? -1,
        render: (r) =>
          typeof r.migrated === 'number' || typeof r.eligible === 'number'
            ? `${r.migrated ?? '—'} / ${r.eligible ?? '—'}`
            : html`<span class="muted">—</span>`,
      },
      {
        id: 'rate',
        title: `Integration rate (target ${integrationTargetPercent} %)`,
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
        title: 'Target',
        sortValue: (r) => (r.meetsTarget === undefined ? 2 : r.meetsTarget ? 1 : 0),
        render: (r) => {
          const rate = integrationRatePercent(r);
          const meets = r.meetsTarget ?? (rate === null ? undefined : rate >= integrationTargetPercent);
          return meets === undefined
            ? html`<span class="muted">—</span>`
            : html`<ts-status-badge
                .status=${meets ? 'met' : 'not met'}
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
    return html`<div class="panels">
      <ts-panel class="wide" heading="Bandwidth tiers" ?busy=${busy}>
        <span slot="meta"
          >${formatCount(conformingTotal)} of ${formatCount(linksTotal)} links meet the target of their level
          (${formatUtilisation(share(conformingTotal, linksTotal))})</span
        >
        <ts-data-table
          caption="Bandwidth tier conformance per org unit"
          .columns=${tierColumns}
          .rows=${tiers}
          .rowKey=${(r: TierConformance) => `${r.orgUnitId}:${r.level}`}
          .rowAttributes=${(r: TierConformance) => ({ 'data-testid': 'tier-row', 'data-org-unit-id': r.orgUnitId })}
          emptyMessage="No links are checked against a tier yet."
        ></ts-data-table>
      </ts-panel>
      <ts-panel heading="Redundancy (primary / backup)" ?busy=${busy}>
        <span slot="meta"
          >${formatCount(pairsTotal)} pairs · ${formatCount(degradedTotal)} degraded ·
          ${formatCount(failedOverTotal)} failed over</span
        >
        <ts-data-table
          caption="Redundancy per org unit"
          .columns=${redundancyColumns}
          .rows=${redundancy}
          .rowKey=${(r: RedundancyConformance) => r.orgUnitId}
          .rowAttributes=${(r: RedundancyConformance) => ({
            'data-testid': 'redundancy-row',
            'data-org-unit-id': r.orgUnitId,
          })}
          emptyMessage="No primary/backup pairs are defined yet."
        ></ts-data-table>
        <p class="note">Degraded: one member of the pair is down, so the site has no redundancy left.</p>
      </ts-panel>
      <ts-panel heading="Dedicated-network integration" ?busy=${busy}>
        <span slot="meta">Non-secret dedicated networks migrated onto the extranet</span>
        <ts-data-table
          caption="Dedicated-network integration rate per org unit"
          .columns=${integrationColumns}
          .rows=${integration}
          .rowKey=${(r: IntegrationConformance) => r.orgUnitId}
          .rowAttributes=${(r: IntegrationConformance) => ({
            'data-testid': 'integration-row',
            'data-org-unit-id': r.orgUnitId,
          })}
          emptyMessage="No dedicated networks are tracked yet."
        ></ts-data-table>
        ${
          integration.length > 0
            ? html`<p class="note">The tick on each bar marks the ${integrationTargetPercent} % target.</p>`
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
