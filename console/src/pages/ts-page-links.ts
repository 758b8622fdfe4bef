import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { fetchLinks, linkLevels, linkStatuses } from '../data/network.js';
import type { LinkLevel, LinkStatus, LinkView } from '../data/network.js';
import {
  formatBitRate,
  formatCount,
  formatDateTime,
  formatNumber,
  formatRelativeTime,
} from '../common/format.js';
import {
  activeText,
  flappingText,
  formatMbps,
  formatTier,
  formatUtilisationPair,
  linkLevelText,
  linkRoleText,
  linkStatusText,
  linkStatusTone,
  planeText,
  tierVerdictText,
  verdictTone,
} from '../common/link-style.js';
import { PollController } from '../common/poll-controller.js';
import { navigate } from '../common/router.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import type { DataTableColumn, RowSelectDetail } from '../components/ts-data-table.js';
import { networkErrorPanel, networkStyles } from './network-panels.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';
import '../components/ts-status-badge.js';
import '../components/ts-utilisation-bar.js';
import './ts-discovery-panel.js';

const refreshMillis = 10_000;

type LevelFilter = LinkLevel | 'all';
type StatusFilter = LinkStatus | 'all';

const statusRank: Record<LinkStatus, number> = { down: 0, unknown: 1, up: 2 };

/** Problems first: down, unknown, failed over; then by name. */
function sortLinks(links: readonly LinkView[]): LinkView[] {
  return [...links].sort(
    (a, b) =>
      statusRank[a.status] - statusRank[b.status] ||
      Number(b.failedOver) - Number(a.failedOver) ||
      a.name.localeCompare(b.name, undefined, { numeric: true }),
  );
}

/** Every extranet link in scope with its state, utilisation, tier and failover; plus discovered links. */
@localized()
@customElement('ts-page-links')
export class TsPageLinks extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    networkStyles,
    css`
      .links {
        --ts-panel-padding: 0;
        margin-bottom: 12px;
      }
      /* The table scrolls inside the window's height, so that its horizontal scroll bar is on screen
         when the columns are wider than the page (narrow windows, long names). */
      .links ts-data-table {
        --ts-table-max-height: max(320px, calc(100vh - 210px));
        --ts-cell-wrap-width: 22em;
      }
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        gap: 6px 14px;
        padding: 8px 12px;
        border-bottom: 1px solid var(--ts-border);
      }
      .fo {
        color: var(--ts-warn);
        font-weight: 600;
      }
      .standby {
        color: var(--ts-text-muted);
      }
      .err {
        color: var(--ts-bad);
        font-weight: 600;
      }
    `,
  ];

  @state() private _level: LevelFilter = 'all';

  @state() private _status: StatusFilter = 'all';

  @state() private _now = Date.now();

  private readonly _task = new Task<[], LinkView[]>(this, {
    task: async (_args, { signal }) => (await fetchLinks({}, signal)).items,
    args: () => [],
  });

  private readonly _poll = new PollController(this, refreshMillis, () => {
    this._now = Date.now();
    void this._task.run();
  });

  override render() {
    const heading = msg('Links', { id: 'links.heading' });
    return html`
      <div class="page-header">
        <h1><span class="muted">${msg('Network /', { id: 'network.breadcrumb' })}</span> ${heading}</h1>
        <span class="muted"
          >${msg('Refreshed every 10 s · select a link for its charts and failover history', {
            id: 'links.subtitle',
          })}</span
        >
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value
            ? this._panel(this._task.value, true)
            : html`<ts-panel class="links" heading=${heading} state="loading"></ts-panel>`,
        complete: (links) => this._panel(links, false),
        error: (error) =>
          this._task.value
            ? this._panel(this._task.value, false)
            : networkErrorPanel(heading, error, () => void this._task.run(), 'links'),
      })}
      <ts-discovery-panel @ts-proposal-accepted=${() => void this._task.run()}></ts-discovery-panel>
    `;
  }

  private _panel(links: LinkView[], busy: boolean) {
    const byLevel = new Map<string, number>();
    const byStatus = new Map<string, number>();
    for (const l of links) {
      byLevel.set(l.level, (byLevel.get(l.level) ?? 0) + 1);
      byStatus.set(l.status, (byStatus.get(l.status) ?? 0) + 1);
    }
    const rows = links.filter(
      (l) =>
        (this._level === 'all' || l.level === this._level) &&
        (this._status === 'all' || l.status === this._status),
    );
    const chip = <T extends string>(
      value: T,
      label: string,
      current: T,
      count: number,
      set: (v: T) => void,
    ) =>
      html`<button
        type="button"
        data-testid="link-filter"
        data-value=${value}
        aria-pressed=${value === current ? 'true' : 'false'}
        @click=${() => set(value)}
      >
        ${label}<span class="count">${formatCount(count)}</span>
      </button>`;
    const all = msg('all', { id: 'links.filter.all' });
    const heading = msg('Links', { id: 'links.heading' });
    const shown = formatCount(rows.length);
    const total = formatCount(links.length);
    return html`<ts-panel class="links" heading=${heading} ?busy=${busy}>
      <span slot="meta">${msg(str`${shown} of ${total}`, { id: 'links.shownOf' })}</span>
      <div class="toolbar">
        <div
          class="filters"
          role="group"
          aria-label=${msg('Filter by level', { id: 'links.filter.levelGroup' })}
        >
          <span class="label">${msg('Level', { id: 'links.filter.level' })}</span>
          ${chip<LevelFilter>('all', all, this._level, links.length, (v) => (this._level = v))}
          ${linkLevels
            .filter((level) => byLevel.has(level))
            .map((level) =>
              chip<LevelFilter>(
                level,
                linkLevelText(level),
                this._level,
                byLevel.get(level) ?? 0,
                (v) => (this._level = v),
              ),
            )}
        </div>
        <div
          class="filters"
          role="group"
          aria-label=${msg('Filter by status', { id: 'links.filter.statusGroup' })}
        >
          <span class="label">${msg('Status', { id: 'links.filter.status' })}</span>
          ${chip<StatusFilter>('all', all, this._status, links.length, (v) => (this._status = v))}
          ${linkStatuses.map((status) =>
            chip<StatusFilter>(
              status,
              linkStatusText(status),
              this._status,
              byStatus.get(status) ?? 0,
              (v) => (this._status = v),
            ),
          )}
        </div>
      </div>
      <ts-data-table
        caption=${heading}
        selectable
        .columns=${this._columns()}
        .rows=${sortLinks(rows)}
        .rowKey=${(l: LinkView) => l.id}
        .rowAttributes=${(l: LinkView) => ({
          'data-testid': 'link-row',
          'data-link-id': l.id,
          'data-status': l.status,
          'data-failed-over': l.failedOver ? 'true' : 'false',
        })}
        emptyMessage=${
          links.length === 0
            ? msg('No links are monitored in your scope yet.', { id: 'links.empty' })
            : msg('No links match the filters.', { id: 'links.emptyFiltered' })
        }
        @ts-row-select=${this._onSelect}
      ></ts-data-table>
    </ts-panel>`;
  }

  private _columns(): DataTableColumn<LinkView>[] {
    return [
      {
        id: 'name',
        title: msg('Link', { id: 'links.col.link' }),
        sortValue: (l) => l.name,
        render: (l) => {
          const ends = `${l.a.deviceName} ${l.a.ifName} ↔ ${l.b.deviceName} ${l.b.ifName}`;
          // A link named after its ends says them once; a link with a name of its own shows both.
          return html`<span class="cell-stack cell-wrap"
            ><a href="/network/links/${encodeURIComponent(l.id)}" @click=${(e: Event) => e.stopPropagation()}
              >${l.name}</a
            >${ends === l.name ? nothing : html`<span class="cell-sub">${ends}</span>`}</span
          >`;
        },
      },
      {
        id: 'level',
        title: msg('Level', { id: 'links.col.level' }),
        sortValue: (l) => linkLevels.indexOf(l.level),
        render: (l) => linkLevelText(l.level),
      },
      {
        id: 'role',
        title: msg('Role · plane', { id: 'links.col.role' }),
        sortValue: (l) => `${l.role}${l.plane}`,
        render: (l) => {
          const pairId = l.pairId;
          return html`<span class="cell-stack"
            ><span>${linkRoleText(l.role)} · ${planeText(l.plane)}</span
            ><span class="cell-sub"
              >${
                pairId
                  ? msg(str`pair ${pairId}`, { id: 'links.pair' })
                  : msg('unpaired', { id: 'link.traffic.unpaired' })
              }</span
            ></span
          >`;
        },
      },
      {
        id: 'status',
        title: msg('Status', { id: 'links.col.status' }),
        sortValue: (l) => statusRank[l.status],
        render: (l) =>
          html`<span class="cell-stack"
            ><span
              ><ts-status-badge
                .status=${l.status}
                .label=${linkStatusText(l.status)}
                .tone=${linkStatusTone(l.status)}
              ></ts-status-badge
              >${
                l.flapping
                  ? html` <ts-status-badge
                      status="flapping"
                      .label=${flappingText()}
                      tone="warn"
                    ></ts-status-badge>`
                  : nothing
              }</span
            ><span class="cell-sub" title=${formatDateTime(l.lastChangeAt)}
              >${this._changedText(l.lastChangeAt)}</span
            ></span
          >`,
      },
      {
        id: 'utilisation',
        title: msg('Utilisation', { id: 'links.col.utilisation' }),
        sortValue: (l) => l.utilisation?.maxPercent ?? -1,
        render: (l) =>
          html`<ts-utilisation-bar
            .percent=${l.utilisation?.maxPercent ?? null}
            .detail=${formatUtilisationPair(l.utilisation)}
          ></ts-utilisation-bar>`,
      },
      {
        id: 'bps',
        title: msg('In / out', { id: 'links.col.bps' }),
        align: 'end',
        sortValue: (l) => (l.bps ? Math.max(l.bps.in, l.bps.out) : -1),
        render: (l) =>
          l.bps
            ? html`<span class="cell-stack"
                ><span>↓ ${formatBitRate(l.bps.in)}</span><span>↑ ${formatBitRate(l.bps.out)}</span></span
              >`
            : html`<span class="muted">—</span>`,
      },
      {
        id: 'errors',
        title: msg('Errors/s', { id: 'links.col.errors' }),
        align: 'end',
        sortValue: (l) => l.errorsPerSecond ?? -1,
        render: (l) =>
          l.errorsPerSecond === null
            ? html`<span class="muted">—</span>`
            : html`<span class=${l.errorsPerSecond > 0 ? 'err' : ''}
                >${formatNumber(l.errorsPerSecond, 2)}</span
              >`,
      },
      {
        id: 'tier',
        title: msg('Tier', { id: 'links.col.tier' }),
        sortValue: (l) => l.tier.verdict,
        render: (l) =>
          html`<span class="cell-stack"
            ><span
              ><ts-status-badge
                .status=${l.tier.verdict}
                .label=${tierVerdictText(l.tier.verdict)}
                .tone=${verdictTone(l.tier.verdict)}
              ></ts-status-badge></span
            ><span class="cell-sub" title=${formatTier(l.tier)}
              >${formatMbps(l.tier.actualMbps ?? l.speedMbps)} / ${formatMbps(l.tier.targetMbps)}</span
            ></span
          >`,
      },
      {
        id: 'active',
        title: msg('Traffic', { id: 'links.col.traffic' }),
        sortValue: (l) => (l.failedOver ? 0 : l.active ? 1 : 2),
        render: (l) =>
          html`<span class=${l.failedOver ? 'fo' : l.active === false ? 'standby' : ''}
            >${activeText(l)}</span
          >`,
      },
    ];
  }

  private _changedText(at: string | null): string {
    const when = formatRelativeTime(at, this._now);
    return msg(str`changed ${when}`, { id: 'links.changed' });
  }

  private _onSelect(event: CustomEvent<RowSelectDetail<unknown>>) {
    navigate(`/network/links/${encodeURIComponent(event.detail.key)}`);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-links': TsPageLinks;
  }
}
