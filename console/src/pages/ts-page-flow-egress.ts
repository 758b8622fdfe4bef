import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import {
  allowanceUsed,
  fetchFlowEgress,
  filterClause,
  flowErrorText,
  flowExplorerPath,
  isFlowsMissing,
  keyLabel,
} from '../data/flows.js';
import type { EgressPeriod, FlowEgress } from '../data/flows.js';
import { fetchOrgUnits, orgUnitOptions } from '../data/org-units.js';
import type { OrgUnit } from '../data/org-units.js';
import type { User } from '../data/auth.js';
import { formatBitRate, formatBytes, formatNumber, formatPercent } from '../common/format.js';
import { locationChangedEvent, navigate } from '../common/router.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import { cachedOption, chartFigure } from '../charts/figure.js';
import { egressDaysOption } from '../charts/flow-charts.js';
import type { DataTableColumn } from '../components/ts-data-table.js';
import { networkStyles } from './network-panels.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';
import '../components/ts-status-badge.js';

interface EgressSelection {
  orgUnitId: string;
  period: EgressPeriod;
  at: string;
}

/** Reads the page's selection from the URL; the caller's own unit, this month, by default. */
export function parseEgressSelection(search: string, defaultOrgUnitId: string, now: number): EgressSelection {
  const params = new URLSearchParams(search);
  const period = params.get('period') === 'day' ? 'day' : 'month';
  const at = params.get('at') ?? '';
  return {
    orgUnitId: params.get('orgUnitId') || defaultOrgUnitId,
    period,
    // Without a date the server takes its own today (the allowances' time zone), not this browser's.
    at:
      /^\d{4}-\d{2}-\d{2}$/.test(at) && Number.isFinite(Date.parse(at)) && Date.parse(at) <= now + 86_400_000
        ? at
        : '',
  };
}

const egressSearch = (s: EgressSelection): string => {
  const params = new URLSearchParams({ orgUnitId: s.orgUnitId, period: s.period });
  if (s.at) params.set('at', s.at);
  return `?${params.toString()}`;
};

/**
 * Internet egress (互联网出口) per org unit: the day's or month's volume out and in, peak and 95th
 * percentile, the allowance and how much of it is used (exceeded shown first), the volume per day,
 * and the top destinations, applications and internal sources. The org-unit picker lists the
 * caller's subtree only; the selection is in the URL.
 */
@localized()
@customElement('ts-page-flow-egress')
export class TsPageFlowEgress extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    networkStyles,
    css`
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 8px 14px;
        margin-bottom: 12px;
      }
      label.field {
        display: inline-flex;
        align-items: center;
        gap: 6px;
        font-size: 12px;
        color: var(--ts-text-muted);
      }
      select,
      input[type='date'],
      input[type='month'] {
        height: 28px;
        padding: 0 6px;
        border: 1px solid var(--ts-border-strong);
        border-radius: var(--ts-radius);
        background: var(--ts-surface);
        color: var(--ts-text);
        font: inherit;
      }
      .exceeded {
        margin: 0 0 12px;
        padding: 10px 14px;
        border: 1px solid var(--ts-bad);
        border-left-width: 4px;
        border-radius: var(--ts-radius);
        background: var(--ts-bad-soft, #fdecec);
        color: var(--ts-bad);
        font-weight: 600;
      }
      .figures {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(150px, 1fr));
        gap: 12px;
      }
      .figure {
        display: grid;
        gap: 2px;
      }
      .figure .label {
        color: var(--ts-text-muted);
        font-size: 12px;
      }
      .figure .value {
        font-size: 20px;
        font-weight: 600;
        font-variant-numeric: tabular-nums;
      }
      .figure .value.bad {
        color: var(--ts-bad);
      }
      .meter {
        height: 6px;
        margin-top: 4px;
        border-radius: 3px;
        background: var(--ts-border);
        overflow: hidden;
      }
      .meter span {
        display: block;
        height: 100%;
        background: var(--ts-accent);
      }
      .meter span.bad {
        background: var(--ts-bad);
      }
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(320px, 1fr));
        gap: 12px;
        margin-top: 12px;
      }
      .wide {
        margin-top: 12px;
      }
      figure {
        margin: 0;
      }
      figcaption {
        margin-bottom: 4px;
        font-weight: 600;
        font-size: 12px;
      }
    `,
  ];

  @property({ attribute: false }) user?: User;

  @state() private _selection = parseEgressSelection(window.location.search, '', Date.now());

  override connectedCallback() {
    super.connectedCallback();
    window.addEventListener('popstate', this._onLocation);
    window.addEventListener(locationChangedEvent, this._onLocation);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this._onLocation);
    window.removeEventListener(locationChangedEvent, this._onLocation);
  }

  protected override willUpdate() {
    if (!this._selection.orgUnitId && this.user?.orgUnitId) {
      this._selection = { ...this._selection, orgUnitId: this.user.orgUnitId };
    }
  }

  private _onLocation = () => {
    if (window.location.pathname !== '/flows/egress') return;
    const next = parseEgressSelection(window.location.search, this.user?.orgUnitId ?? '', Date.now());
    if (egressSearch(next) !== egressSearch(this._selection)) this._selection = next;
  };

  private _select(change: Partial<EgressSelection>) {
    this._selection = { ...this._selection, ...change };
    navigate(`/flows/egress${egressSearch(this._selection)}`);
  }

  private readonly _unitsTask = new Task<[], OrgUnit[]>(this, {
    task: async (_args, { signal }) => (await fetchOrgUnits(signal)).items,
    args: () => [],
  });

  private readonly _egressTask = new Task(this, {
    task: async ([orgUnitId, period, at]: [string, EgressPeriod, string], { signal }) => {
      if (!orgUnitId) return undefined;
      return fetchFlowEgress({ orgUnitId, period, at }, signal);
    },
    args: () =>
      [this._selection.orgUnitId, this._selection.period, this._selection.at] as [
        string,
        EgressPeriod,
        string,
      ],
  });

  override render() {
    return html`
      <div class="page-header">
        <h1>${msg('Internet egress', { id: 'flows.egress.heading' })}</h1>
        <span class="muted"
          >${msg('Traffic between the org units in scope and the internet', { id: 'flows.egress.subtitle' })}</span
        >
      </div>
      ${this._renderToolbar()}
      ${this._egressTask.render({
        pending: () =>
          this._egressTask.value
            ? this._renderEgress(this._egressTask.value, true)
            : html`<ts-panel
                heading=${msg('Internet egress', { id: 'flows.egress.heading' })}
                state="loading"
              ></ts-panel>`,
        complete: (egress) => (egress ? this._renderEgress(egress, false) : nothing),
        error: (error) =>
          isFlowsMissing(error)
            ? html`<ts-panel heading=${msg('Internet egress', { id: 'flows.egress.heading' })}>
                <p class="unavailable" data-testid="flows-unavailable">
                  ${msg('Flow analysis is not available on this server.', { id: 'flows.unavailable' })}
                </p>
              </ts-panel>`
            : html`<ts-panel
                heading=${msg('Internet egress', { id: 'flows.egress.heading' })}
                state="error"
                data-testid="egress-error"
                .error=${flowErrorText(error)}
                @ts-retry=${() => void this._egressTask.run()}
              ></ts-panel>`,
      })}
    `;
  }

  private _renderToolbar() {
    const s = this._selection;
    const units = this._unitsTask.value;
    const options = units ? orgUnitOptions(units) : [];
    return html`<div class="toolbar">
      <label class="field"
        >${msg('Org unit', { id: 'flows.egress.orgUnit' })}
        <select
          data-testid="egress-org-unit"
          ?disabled=${!units}
          @change=${(e: Event) => this._select({ orgUnitId: (e.target as HTMLSelectElement).value })}
        >
          ${
            options.length === 0 && s.orgUnitId
              ? html`<option value=${s.orgUnitId} selected>${this.user?.orgUnitName ?? s.orgUnitId}</option>`
              : nothing
          }
          ${options.map((o) => html`<option value=${o.id} ?selected=${o.id === s.orgUnitId}>${o.label}</option>`)}
        </select></label
      >
      <span
        class="segmented"
        role="group"
        aria-label=${msg('Period', { id: 'flows.egress.period' })}
        data-testid="egress-period"
        data-value=${s.period}
      >
        <button
          type="button"
          data-value="day"
          aria-pressed=${s.period === 'day' ? 'true' : 'false'}
          @click=${() => this._select({ period: 'day' })}
        >
          ${msg('Day', { id: 'flows.egress.period.day' })}
        </button>
        <button
          type="button"
          data-value="month"
          aria-pressed=${s.period === 'month' ? 'true' : 'false'}
          @click=${() => this._select({ period: 'month' })}
        >
          ${msg('Month', { id: 'flows.egress.period.month' })}
        </button>
      </span>
      <label class="field"
        >${msg('Date', { id: 'flows.egress.date' })}
        <input
          type="date"
          data-testid="egress-date"
          .value=${s.at || (this._egressTask.value?.period === 'day' ? this._egressTask.value.label : '')}
          @change=${(e: Event) => {
            const value = (e.target as HTMLInputElement).value;
            if (value) this._select({ at: value });
          }}
      /></label>
    </div>`;
  }

  private _renderEgress(egress: FlowEgress, busy: boolean) {
    const allowance = egress.allowance;
    const monthly = allowance?.monthlyGigabytes ?? null;
    const used = allowance ? allowanceUsed(allowance.monthBytes, monthly) : null;
    const exceeded = allowance?.exceeded === true;
    const peakLimit = allowance?.peakMbps ? allowance.peakMbps * 1e6 : null;
    const name = egress.orgUnitName;
    const gigabytes = monthly ? formatNumber(monthly, 3) : '';
    const limitText = monthly ? msg(str`${gigabytes} GB`, { id: 'flows.egress.gigabytes' }) : '';
    const peakLimitText = peakLimit !== null ? formatBitRate(peakLimit) : '';
    const usedText = formatPercent(used);
    const monthPeakText = allowance ? formatBitRate(allowance.monthPeakBps) : '';
    const peakOut = egress.peakOutBps;
    const names = new Map((this._unitsTask.value ?? []).map((u) => [u.id, u.name]));
    return html`
      ${
        exceeded && allowance
          ? html`<p class="exceeded" role="alert" data-testid="egress-exceeded">
              ${msg(str`${name} has exceeded its internet egress allowance.`, { id: 'flows.egress.exceeded' })}
              ${
                allowance.volumeExceeded
                  ? msg(str`Used ${usedText} of ${limitText} this month.`, {
                      id: 'flows.egress.exceededVolume',
                    })
                  : nothing
              }
              ${
                allowance.peakExceeded
                  ? msg(str`The month's peak of ${monthPeakText} is above the allowed ${peakLimitText}.`, {
                      id: 'flows.egress.exceededPeak',
                    })
                  : nothing
              }
            </p>`
          : nothing
      }
      <ts-panel
        heading=${msg(str`${name}: volume and rates`, { id: 'flows.egress.figures.heading' })}
        ?busy=${busy}
      >
        <span slot="meta" data-testid="egress-label">${egress.label}</span>
        <a
          slot="actions"
          href=${flowExplorerPath({
            by: ['dstAddr'],
            filter: `${filterClause('direction', 'egress')} AND ${filterClause('srcOrgUnit', egress.orgUnitId)}`,
            custom: { from: Date.parse(egress.from), to: Math.min(Date.now(), Date.parse(egress.to)) },
          })}
          >${msg('Open in the flow explorer', { id: 'flows.egress.explore' })}</a
        >
        <div class="figures" data-testid="egress-figures">
          ${this._figure(msg('Out to the internet', { id: 'flows.egress.chart.out' }), formatBytes(egress.outBytes), 'egress-out', egress.outBytes)}
          ${this._figure(msg('In from the internet', { id: 'flows.egress.chart.in' }), formatBytes(egress.inBytes), 'egress-in', egress.inBytes)}
          ${this._figure(msg('Peak out', { id: 'flows.egress.peak' }), formatBitRate(peakOut), 'egress-peak', peakOut, peakLimit !== null && peakOut > peakLimit)}
          ${this._figure(msg('95th percentile out', { id: 'flows.egress.p95' }), formatBitRate(egress.p95OutBps), 'egress-p95', egress.p95OutBps)}
          ${this._figure(msg('Peak in', { id: 'flows.egress.peakIn' }), formatBitRate(egress.peakInBps), 'egress-peak-in', egress.peakInBps)}
          ${this._figure(msg('95th percentile in', { id: 'flows.egress.p95In' }), formatBitRate(egress.p95InBps), 'egress-p95-in', egress.p95InBps)}
          <div
            class="figure"
            data-testid="egress-allowance"
            data-used=${used ?? ''}
            data-exceeded=${exceeded ? 'true' : 'false'}
          >
            <span class="label">${msg('Monthly allowance', { id: 'flows.egress.allowance' })}</span>
            ${
              monthly
                ? html`<span class="value ${allowance?.volumeExceeded ? 'bad' : ''}">${usedText}</span>
                    <span class="muted"
                      >${msg(str`of ${limitText}`, { id: 'flows.egress.allowanceOf' })}</span
                    >
                    <div class="meter">
                      <span
                        class=${allowance?.volumeExceeded ? 'bad' : ''}
                        style="width:${Math.min(100, used ?? 0)}%"
                      ></span>
                    </div>`
                : html`<span class="value">—</span>
                    <span class="muted"
                      >${msg('No allowance set in the flows policy', { id: 'flows.egress.noAllowance' })}</span
                    >`
            }
          </div>
        </div>
      </ts-panel>
      <ts-panel class="wide" heading=${msg('Per day', { id: 'flows.egress.days' })}>
        ${chartFigure({
          testId: 'chart-egress-days',
          title: msg('Volume per day', { id: 'flows.egress.daysTitle' }),
          subject: name,
          option: cachedOption(egress, 'days', () => egressDaysOption(egress)),
          empty: egress.days.length === 0,
          height: 220,
        })}
      </ts-panel>
      <div class="grid">
        ${this._ranked(
          msg('Top destinations', { id: 'flows.egress.destinations' }),
          msg('Destination', { id: 'flows.egress.destination' }),
          egress.topDestinations.map((d) => ({
            key: d.address,
            label: d.address,
            sub: [d.country, d.as ? `AS${d.as}` : ''].filter((x) => x).join(' · '),
            outBytes: d.outBytes,
            inBytes: d.inBytes,
          })),
          'egress-destinations',
        )}
        ${this._ranked(
          msg('Applications', { id: 'flows.egress.applications' }),
          msg('Application', { id: 'flows.dim.app' }),
          egress.applications.map((a) => ({
            key: a.app,
            label: keyLabel('app', a.app),
            sub: '',
            outBytes: a.outBytes,
            inBytes: a.inBytes,
          })),
          'egress-applications',
        )}
        ${this._ranked(
          msg('Internal sources', { id: 'flows.egress.sources' }),
          msg('Source', { id: 'flows.egress.source' }),
          egress.internalSources.map((x) => ({
            key: x.address,
            label: x.address,
            sub: names.get(x.orgUnitId) ?? x.orgUnitId,
            outBytes: x.outBytes,
            inBytes: x.inBytes,
          })),
          'egress-sources',
        )}
      </div>
    `;
  }

  private _figure(label: string, value: string, testId: string, raw: number, bad = false) {
    return html`<div class="figure" data-testid=${testId} data-value=${raw}>
      <span class="label">${label}</span>
      <span class="value ${bad ? 'bad' : ''}">${value}</span>
    </div>`;
  }

  private _ranked(heading: string, keyTitle: string, rows: RankedRow[], testId: string) {
    const columns: DataTableColumn<RankedRow>[] = [
      {
        id: 'key',
        title: keyTitle,
        render: (r) =>
          r.sub
            ? html`<span class="cell-stack"
                ><span>${r.label}</span><span class="cell-sub">${r.sub}</span></span
              >`
            : r.label,
      },
      {
        id: 'out',
        title: msg('Out', { id: 'flows.egress.out' }),
        align: 'end',
        render: (r) => formatBytes(r.outBytes),
        sortValue: (r) => r.outBytes,
      },
      {
        id: 'in',
        title: msg('In', { id: 'flows.egress.in' }),
        align: 'end',
        render: (r) => formatBytes(r.inBytes),
        sortValue: (r) => r.inBytes,
      },
    ];
    return html`<ts-panel heading=${heading}>
      <ts-data-table
        data-testid=${testId}
        caption=${heading}
        .columns=${columns}
        .rows=${rows}
        .rowKey=${(r: RankedRow) => r.key}
        .rowAttributes=${(r: RankedRow) => ({ 'data-testid': `${testId}-row`, 'data-key': r.key })}
        emptyMessage=${msg('No traffic in this period.', { id: 'flows.egress.empty' })}
      ></ts-data-table>
    </ts-panel>`;
  }
}

interface RankedRow {
  key: string;
  label: string;
  sub: string;
  outBytes: number;
  inBytes: number;
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-flow-egress': TsPageFlowEgress;
  }
}
