import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import {
  fetchFlowExporters,
  fetchFlowReconciliation,
  flowErrorText,
  isFlowsMissing,
  malformedReasonText,
  malformedReasons,
  malformedTotal,
  reconciliationHintText,
  reconciliationStatusText,
  reconciliationTone,
  samplingSourceText,
  flowVersionText,
} from '../data/flows.js';
import type {
  FlowExporter,
  FlowExporterList,
  FlowReconciliation,
  FlowReconciliationRow,
} from '../data/flows.js';
import { metricsRanges, rangeMillis } from '../data/hosts.js';
import { fetchOrgUnits, orgUnitNames } from '../data/org-units.js';
import type { MetricsRange } from '../data/hosts.js';
import {
  formatBytes,
  formatCount,
  formatDateTime,
  formatNumber,
  formatPercent,
  formatRelativeTime,
} from '../common/format.js';
import { locationChangedEvent, navigate } from '../common/router.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import { rangeButtons } from '../charts/range-buttons.js';
import type { DataTableColumn, RowSelectDetail } from '../components/ts-data-table.js';
import { networkStyles } from './network-panels.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';
import '../components/ts-status-badge.js';

const refreshMillis = 30_000;

interface ExportersSelection {
  range: MetricsRange;
  exporter: string;
}

export function parseExportersSelection(search: string): ExportersSelection {
  const params = new URLSearchParams(search);
  const range = params.get('range') ?? '';
  return {
    range: (metricsRanges as readonly string[]).includes(range) ? (range as MetricsRange) : '1h',
    exporter: params.get('exporter') ?? '',
  };
}

const selectionSearch = (s: ExportersSelection): string => {
  const params = new URLSearchParams({ range: s.range });
  if (s.exporter) params.set('exporter', s.exporter);
  return `?${params.toString()}`;
};

/**
 * Exporter health (流量采集): every exporter the collectors hear, with its rates, drops, malformed
 * datagrams by reason, missing templates, sequence gaps, sampling rates and where they come from,
 * when it was last heard, and whether its flows agree with SNMP; for one exporter, the
 * reconciliation per interface and direction with the likely reason of a divergence.
 */
@localized()
@customElement('ts-page-flow-exporters')
export class TsPageFlowExporters extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    networkStyles,
    css`
      .stack {
        display: grid;
        gap: 12px;
      }
      .problems {
        display: grid;
        gap: 2px;
        font-size: 12px;
      }
      .bad {
        color: var(--ts-bad);
        font-weight: 600;
      }
      .warn {
        color: var(--ts-warn);
      }
      .hint {
        white-space: normal;
        font-size: 12px;
      }
      ts-data-table {
        --ts-cell-wrap-width: 22em;
      }
    `,
  ];

  @state() private _selection = parseExportersSelection(window.location.search);

  @state() private _now = Date.now();

  private _timer?: number;

  override connectedCallback() {
    super.connectedCallback();
    window.addEventListener('popstate', this._onLocation);
    window.addEventListener(locationChangedEvent, this._onLocation);
    this._timer = window.setInterval(() => {
      if (!document.hidden) this._now = Date.now();
    }, refreshMillis);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this._onLocation);
    window.removeEventListener(locationChangedEvent, this._onLocation);
    window.clearInterval(this._timer);
  }

  private _onLocation = () => {
    if (window.location.pathname !== '/flows/exporters') return;
    const next = parseExportersSelection(window.location.search);
    if (selectionSearch(next) !== selectionSearch(this._selection)) this._selection = next;
  };

  private _select(change: Partial<ExportersSelection>) {
    this._selection = { ...this._selection, ...change };
    this._now = Date.now();
    navigate(`/flows/exporters${selectionSearch(this._selection)}`);
  }

  private _window() {
    const to = Math.ceil(this._now / 60_000) * 60_000;
    return { from: to - rangeMillis[this._selection.range], to };
  }

  private readonly _unitsTask = new Task<[], Map<string, string>>(this, {
    task: async (_args, { signal }) => orgUnitNames((await fetchOrgUnits(signal)).items),
    args: () => [],
  });

  private readonly _exportersTask = new Task(this, {
    task: ([from, to]: [number, number], { signal }): Promise<FlowExporterList> =>
      fetchFlowExporters({ from, to }, signal),
    args: () => {
      const w = this._window();
      return [w.from, w.to] as [number, number];
    },
  });

  private readonly _reconTask = new Task(this, {
    task: async (
      [exporter, from, to]: [string, number, number],
      { signal },
    ): Promise<FlowReconciliation | undefined> =>
      exporter ? fetchFlowReconciliation({ from, to, exporter }, signal) : undefined,
    args: () => {
      const w = this._window();
      return [this._selection.exporter, w.from, w.to] as [string, number, number];
    },
  });

  override render() {
    const heading = msg('Flow exporters', { id: 'flows.exporters.heading' });
    const ranges = rangeButtons({
      range: this._selection.range,
      custom: undefined,
      label: msg('Time range', { id: 'flows.range.label' }),
      testId: 'exporters-range',
      onSelect: (range) => this._select({ range }),
    });
    return html`
      <div class="page-header">
        <h1>${heading}</h1>
        <span class="muted"
          >${msg('Routers that export NetFlow, IPFIX or sFlow to the edge agents', { id: 'flows.exporters.subtitle' })}</span
        >
      </div>
      <div class="stack">
        ${this._exportersTask.render({
          pending: () =>
            this._exportersTask.value
              ? this._exportersPanel(this._exportersTask.value, ranges, true)
              : html`<ts-panel heading=${heading} state="loading">${ranges}</ts-panel>`,
          complete: (list) => this._exportersPanel(list, ranges, false),
          error: (error) =>
            isFlowsMissing(error)
              ? html`<ts-panel heading=${heading}
                  ><p class="unavailable" data-testid="flows-unavailable">
                    ${msg('Flow analysis is not available on this server.', { id: 'flows.unavailable' })}
                  </p></ts-panel
                >`
              : html`<ts-panel
                  heading=${heading}
                  state="error"
                  .error=${flowErrorText(error)}
                  @ts-retry=${() => void this._exportersTask.run()}
                  >${ranges}</ts-panel
                >`,
        })}
        ${this._selection.exporter ? this._renderReconciliation() : nothing}
      </div>
    `;
  }

  private _columns(): DataTableColumn<FlowExporter>[] {
    return [
      {
        id: 'exporter',
        title: msg('Exporter', { id: 'flows.dim.exporter' }),
        render: (e) =>
          html`<span class="cell-stack"
            >${
              e.deviceId
                ? html`<a
                    href="/network/devices/${encodeURIComponent(e.deviceId)}"
                    @click=${(ev: Event) => ev.stopPropagation()}
                    >${e.deviceName || e.deviceId}</a
                  >`
                : html`<span class="warn"
                    >${msg('not in the inventory', { id: 'flows.exporters.unknownDevice' })}</span
                  >`
            }
            <span class="cell-sub"
              ><span class="mono">${e.address}</span> ·
              ${this._unitsTask.value?.get(e.orgUnitId) ?? e.orgUnitId}</span
            ></span
          >`,
        sortValue: (e) => e.deviceName || e.address,
      },
      {
        id: 'rates',
        title: msg('Datagrams / records per second', { id: 'flows.exporters.rates' }),
        align: 'end',
        render: (e) => {
          const p = formatNumber(e.packetsPerSecond, 1);
          const r = formatNumber(e.recordsPerSecond, 1);
          return msg(str`${p} / ${r}`, { id: 'flows.exporters.ratesValue' });
        },
        sortValue: (e) => e.recordsPerSecond,
      },
      {
        id: 'versions',
        title: msg('Protocols', { id: 'flows.exporters.versions' }),
        render: (e) => e.versions.map(flowVersionText).join(', ') || '—',
      },
      {
        id: 'sampling',
        title: msg('Sampling', { id: 'flows.exporters.sampling' }),
        render: (e) => this._sampling(e),
      },
      {
        id: 'problems',
        title: msg('Drops and errors', { id: 'flows.exporters.problems' }),
        render: (e) => this._problems(e),
        sortValue: (e) => e.dropped + malformedTotal(e.malformed) + e.missingTemplates + e.sequenceGaps,
      },
      {
        id: 'recon',
        title: msg('Flows vs SNMP', { id: 'flows.exporters.recon' }),
        render: (e) => this._reconCell(e),
        sortValue: (e) => e.reconciliation?.status ?? '',
      },
      {
        id: 'lastSeen',
        title: msg('Last heard', { id: 'flows.exporters.lastSeen' }),
        render: (e) =>
          e.lastSeen
            ? html`<span title=${formatDateTime(e.lastSeen)}
                >${formatRelativeTime(e.lastSeen, this._now)}</span
              >`
            : msg('never', { id: 'flows.exporters.never' }),
        sortValue: (e) => (e.lastSeen ? Date.parse(e.lastSeen) : 0),
      },
    ];
  }

  private _sampling(e: FlowExporter) {
    const rates = e.samplingRates.length ? e.samplingRates.map((r) => `1:${formatCount(r)}`).join(', ') : '—';
    const sources = Object.entries(e.samplingSources ?? {}).filter(([, n]) => (n ?? 0) > 0);
    const fromDefault = (e.samplingSources?.default ?? 0) > 0;
    return html`<span class="cell-stack" data-testid="exporter-sampling"
      ><span class="mono">${rates}</span>
      <span class="cell-sub ${fromDefault ? 'warn' : ''}"
        >${sources.map(([s]) => samplingSourceText(s)).join(', ')}</span
      ></span
    >`;
  }

  private _problems(e: FlowExporter) {
    const lines = [];
    if (e.dropped > 0) {
      const n = formatCount(e.dropped);
      lines.push(html`<span class="bad">${msg(str`${n} dropped`, { id: 'flows.exporters.dropped' })}</span>`);
    }
    for (const [reason, count] of malformedReasons(e.malformed)) {
      const n = formatCount(count);
      const why = malformedReasonText(reason);
      lines.push(
        html`<span class="bad" data-reason=${reason}
          >${msg(str`${n} malformed: ${why}`, { id: 'flows.exporters.malformed' })}</span
        >`,
      );
    }
    if (e.missingTemplates > 0) {
      const n = formatCount(e.missingTemplates);
      lines.push(
        html`<span class="warn"
          >${msg(str`${n} without a template`, { id: 'flows.exporters.missingTemplates' })}</span
        >`,
      );
    }
    if (e.sequenceGaps > 0) {
      const n = formatCount(e.sequenceGaps);
      lines.push(
        html`<span class="warn"
          >${msg(str`${n} lost (sequence gaps)`, { id: 'flows.exporters.sequenceGaps' })}</span
        >`,
      );
    }
    return lines.length
      ? html`<span class="problems" data-testid="exporter-problems">${lines}</span>`
      : html`<span class="muted">${msg('none', { id: 'flows.exporters.noProblems' })}</span>`;
  }

  private _reconCell(e: FlowExporter) {
    const r = e.reconciliation;
    const worst = r.worstInterface;
    const worstName = worst ? worst.ifName || String(worst.ifIndex) : '';
    const pct = formatPercent(worst?.divergencePercent ?? null);
    const hint = worst?.hint ? reconciliationHintText(worst.hint) : '';
    return html`<span
      class="cell-stack"
      data-testid="exporter-recon"
      data-status=${r.status}
      title=${r.reason}
      ><ts-status-badge
        .status=${r.status}
        .label=${reconciliationStatusText(r.status)}
        .tone=${reconciliationTone(r.status)}
      ></ts-status-badge>
      ${
        worst && r.status === 'diverging'
          ? html`<span class="cell-sub"
              >${msg(str`worst: ${worstName} (${pct})`, { id: 'flows.exporters.worst' })}</span
            >`
          : nothing
      }
      ${
        // The badge names the state; the server's own sentence (English) is the cell's tooltip.
        hint ? html`<span class="cell-sub hint cell-wrap">${hint}</span>` : nothing
      }</span
    >`;
  }

  private _exportersPanel(list: FlowExporterList, ranges: unknown, busy: boolean) {
    const count = list.items.length;
    return html`<ts-panel heading=${msg('Flow exporters', { id: 'flows.exporters.heading' })} ?busy=${busy}>
      <span slot="meta"
        >${
          count === 1
            ? msg('1 exporter', { id: 'flows.exporters.count.one' })
            : msg(str`${count} exporters`, { id: 'flows.exporters.count.other' })
        }</span
      >
      ${ranges}
      <ts-data-table
        data-testid="flow-exporters"
        caption=${msg('Flow exporters', { id: 'flows.exporters.heading' })}
        selectable
        .selectedKey=${this._selection.exporter}
        .columns=${this._columns()}
        .rows=${list.items}
        .rowKey=${(e: FlowExporter) => e.address}
        .rowAttributes=${(e: FlowExporter) => ({ 'data-testid': 'flow-exporter-row', 'data-address': e.address })}
        emptyMessage=${msg('No exporter has sent flows in this time range.', { id: 'flows.exporters.empty' })}
        @ts-row-select=${(ev: CustomEvent<RowSelectDetail<FlowExporter>>) => this._select({ exporter: ev.detail.row.address })}
      ></ts-data-table>
    </ts-panel>`;
  }

  private _renderReconciliation() {
    const exporter = this._selection.exporter;
    const heading = msg(str`Flows vs SNMP: ${exporter}`, { id: 'flows.recon.heading' });
    const close = html`<button
      slot="actions"
      type="button"
      class="action"
      @click=${() => this._select({ exporter: '' })}
    >
      ${msg('Close', { id: 'flows.recon.close' })}
    </button>`;
    return this._reconTask.render({
      pending: () =>
        this._reconTask.value
          ? this._reconPanel(heading, close, this._reconTask.value, true)
          : html`<ts-panel heading=${heading} state="loading">${close}</ts-panel>`,
      complete: (r) => (r ? this._reconPanel(heading, close, r, false) : nothing),
      error: (error) =>
        html`<ts-panel
          heading=${heading}
          state="error"
          .error=${flowErrorText(error)}
          @ts-retry=${() => void this._reconTask.run()}
          >${close}</ts-panel
        >`,
    });
  }

  private _reconPanel(heading: string, close: unknown, r: FlowReconciliation, busy: boolean) {
    const detail = r.items[0];
    const rows = detail?.interfaces ?? [];
    const count = formatCount(detail?.diverging ?? 0);
    const columns: DataTableColumn<FlowReconciliationRow>[] = [
      {
        id: 'if',
        title: msg('Interface', { id: 'flows.recon.interface' }),
        render: (x) => html`<span class="mono">${x.ifName || x.ifIndex}</span>`,
      },
      {
        id: 'dir',
        title: msg('Direction', { id: 'flows.dim.direction' }),
        render: (x) =>
          x.direction === 'in' ? msg('in', { id: 'flows.recon.in' }) : msg('out', { id: 'flows.recon.out' }),
      },
      {
        id: 'flow',
        title: msg('Flow bytes', { id: 'flows.recon.flowBytes' }),
        align: 'end',
        render: (x) => formatBytes(x.flowBytes),
        sortValue: (x) => x.flowBytes,
      },
      {
        id: 'snmp',
        title: msg('SNMP bytes', { id: 'flows.recon.snmpBytes' }),
        align: 'end',
        render: (x) => formatBytes(x.snmpBytes),
        sortValue: (x) => x.snmpBytes,
      },
      {
        id: 'div',
        title: msg('Divergence', { id: 'flows.recon.divergence' }),
        align: 'end',
        render: (x) => formatPercent(x.divergencePercent),
        sortValue: (x) => Math.abs(x.divergencePercent ?? 0),
      },
      {
        id: 'status',
        title: msg('Status', { id: 'flows.recon.status' }),
        render: (x) =>
          html`<ts-status-badge
              .status=${x.status}
              .label=${reconciliationStatusText(x.status)}
              .tone=${x.belowMinimum ? 'idle' : reconciliationTone(x.status)}
            ></ts-status-badge>
            ${
              x.belowMinimum
                ? html`<span class="muted"
                    >${msg('too little traffic to judge', { id: 'flows.recon.belowMinimum' })}</span
                  >`
                : nothing
            }`,
      },
      {
        id: 'hint',
        title: msg('Likely reason', { id: 'flows.recon.hint' }),
        render: (x) => {
          const rate = formatCount(x.samplingRate);
          return html`<span class="cell-stack"
            ><span class="cell-wrap hint">${reconciliationHintText(x.hint)}</span
            ><span class="cell-sub"
              >${msg(str`sampling 1:${rate}`, { id: 'flows.recon.samplingRate' })}</span
            ></span
          >`;
        },
      },
    ];
    return html`<ts-panel heading=${heading} ?busy=${busy}>
      <span slot="meta" data-testid="flow-recon-diverging" data-count=${detail?.diverging ?? 0}
        >${msg(str`${count} diverging`, { id: 'flows.recon.diverging' })}</span
      >
      ${close}
      <ts-data-table
        data-testid="flow-reconciliation"
        caption=${heading}
        .columns=${columns}
        .rows=${rows}
        .rowKey=${(x: FlowReconciliationRow) => `${x.ifIndex}:${x.direction}`}
        .rowAttributes=${(x: FlowReconciliationRow) => ({ 'data-testid': 'flow-recon-row', 'data-status': x.status })}
        emptyMessage=${msg('No interface of this exporter has flows or SNMP counters in this time range.', { id: 'flows.recon.empty' })}
      ></ts-data-table>
    </ts-panel>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-flow-exporters': TsPageFlowExporters;
  }
}
