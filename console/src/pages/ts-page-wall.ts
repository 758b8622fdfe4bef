import { LitElement, css, html, nothing } from 'lit';
import type { PropertyValues } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { formatCount, formatTime } from '../common/format.js';
import { PollController } from '../common/poll-controller.js';
import { navigate } from '../common/router.js';
import { ApiError } from '../data/api.js';
import { errorText } from '../data/error-text.js';
import type { RefreshStatus, SectionResult, SectionState } from '../data/wall.js';
import {
  WallTimeoutError,
  createLoadContext,
  isAbortError,
  formatClockDate,
  nextSectionState,
  packRows,
  presentAreas,
  refreshStatus,
  wallRefreshMillis,
  wallRequestTimeoutMillis,
  wallSources,
} from '../data/wall.js';
import { currentLocale } from '../i18n/locale.js';
import type { AppLocale } from '../i18n/locale.js';
import { areaTitle, wallSections } from './wall-sections.js';
import type { WallRenderContext } from './wall-sections.js';

/** Where "back to the console" (and Esc outside full screen) goes. */
export const wallExitPath = '/';

/** Why a refresh failed, in the user's language. */
export function wallErrorReason(error: unknown): string {
  if (error instanceof WallTimeoutError) {
    const seconds = formatCount(error.millis / 1000);
    return msg(str`The control plane did not answer within ${seconds} s.`, { id: 'wall.error.timeout' });
  }
  if (error instanceof ApiError) {
    const status = error.status;
    if (status === 0) return msg('The control plane could not be reached.', { id: 'wall.error.unreachable' });
    if (status === 401) return msg('The session has ended; sign in again.', { id: 'wall.error.session' });
    if (status === 429)
      return msg('Too many requests; the next refresh tries again.', { id: 'wall.error.rateLimited' });
    if (status >= 500) {
      return msg(str`The control plane failed to answer (HTTP ${status}).`, { id: 'wall.error.server' });
    }
    return msg(str`The request was refused (HTTP ${status}): ${errorText(error)}`, {
      id: 'wall.error.refused',
    });
  }
  const text = error instanceof Error ? error.message : String(error);
  return msg(str`Unexpected answer from the control plane: ${text}`, { id: 'wall.error.unexpected' });
}

/**
 * Wall mode (大屏): a full-viewport, dark overview for the big screen of a monitoring centre. It shows
 * the registered sections (`wall-sections.ts`) whose areas exist, reloads them every 30 s while the
 * document is visible, and says plainly when the figures are stale and why. It renders without the
 * console's header and navigation; "back to the console" and Esc (outside full screen) leave it.
 */
@localized()
@customElement('ts-page-wall')
export class TsPageWall extends LitElement {
  static override styles = css`
    :host {
      /* One unit: 1 % of the width, but never more than 16:9 allows, so a wall of any shape fits. */
      --u: min(1vw, 1.7778vh);
      --wall-bg: #06101c;
      --wall-bg-2: #0b1a2c;
      --wall-panel: rgba(18, 38, 62, 0.72);
      --wall-border: #1f3a5a;
      --wall-text: #e4eef9;
      --wall-muted: #8ea6c1;
      --wall-accent: #4db3ff;
      --wall-ok: #35d07f;
      --wall-warn: #ffb020;
      --wall-bad: #ff4d4f;
      --wall-idle: #7d8da1;
      --wall-critical: #ff3b3b;
      --wall-major: #ff7a1a;
      --wall-minor: #ffc53d;
      --wall-warning: #40a9ff;
      --wall-band-low: #35d07f;
      --wall-band-medium: #ffc53d;
      --wall-band-high: #ff7a45;
      position: fixed;
      inset: 0;
      z-index: 10;
      display: flex;
      flex-direction: column;
      overflow: hidden;
      background: radial-gradient(ellipse at 50% 0%, var(--wall-bg-2) 0%, var(--wall-bg) 70%);
      color: var(--wall-text);
      color-scheme: dark;
      font-family:
        system-ui,
        -apple-system,
        'Segoe UI',
        'PingFang SC',
        'Hiragino Sans GB',
        'Microsoft YaHei',
        'Noto Sans CJK SC',
        'Source Han Sans SC',
        Roboto,
        'Helvetica Neue',
        Arial,
        sans-serif;
      font-size: clamp(12px, calc(var(--u) * 0.95), 64px);
      line-height: 1.35;
    }
    *,
    *::before,
    *::after {
      box-sizing: border-box;
    }
    .num {
      font-variant-numeric: tabular-nums;
    }
    header {
      display: grid;
      grid-template-columns: minmax(0, 1fr) auto minmax(0, 1fr);
      align-items: center;
      gap: calc(var(--u) * 1.5);
      padding: calc(var(--u) * 0.8) calc(var(--u) * 1.6);
      border-bottom: 1px solid var(--wall-border);
      background: linear-gradient(180deg, rgba(77, 179, 255, 0.1), transparent);
    }
    .title {
      display: flex;
      flex-direction: column;
      min-width: 0;
    }
    h1 {
      margin: 0;
      font-size: calc(var(--u) * 2);
      font-weight: 600;
      letter-spacing: 0.06em;
      white-space: nowrap;
    }
    .scope {
      color: var(--wall-muted);
      font-size: calc(var(--u) * 1.1);
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .clock {
      text-align: center;
    }
    .clock-time {
      font-size: calc(var(--u) * 2.6);
      font-weight: 600;
      line-height: 1.1;
      letter-spacing: 0.04em;
    }
    .clock-date {
      color: var(--wall-muted);
      font-size: calc(var(--u) * 1);
    }
    .status {
      display: flex;
      align-items: center;
      justify-content: flex-end;
      gap: calc(var(--u) * 1);
      min-width: 0;
    }
    .refresh {
      text-align: right;
      color: var(--wall-muted);
      font-size: calc(var(--u) * 0.95);
      white-space: nowrap;
    }
    .refresh .ok-dot::before {
      content: '';
      display: inline-block;
      width: 0.6em;
      height: 0.6em;
      margin-right: 0.4em;
      border-radius: 50%;
      background: var(--wall-ok);
      box-shadow: 0 0 0.6em var(--wall-ok);
    }
    button {
      padding: calc(var(--u) * 0.35) calc(var(--u) * 0.9);
      border: 1px solid var(--wall-border);
      border-radius: calc(var(--u) * 0.3);
      background: rgba(77, 179, 255, 0.08);
      color: var(--wall-text);
      font: inherit;
      font-size: calc(var(--u) * 0.95);
      cursor: pointer;
      white-space: nowrap;
    }
    button:hover {
      border-color: var(--wall-accent);
    }
    button:focus-visible {
      outline: 2px solid var(--wall-accent);
      outline-offset: 2px;
    }
    .stale {
      margin: calc(var(--u) * 0.6) calc(var(--u) * 1.6) 0;
      padding: calc(var(--u) * 0.5) calc(var(--u) * 1);
      border: 1px solid var(--wall-bad);
      border-radius: calc(var(--u) * 0.3);
      background: rgba(255, 77, 79, 0.14);
      color: #ffd6d6;
      font-size: calc(var(--u) * 1.05);
    }
    .stale strong {
      color: var(--wall-bad);
    }
    .notice {
      margin: calc(var(--u) * 0.6) calc(var(--u) * 1.6) 0;
      color: var(--wall-warn);
    }
    main {
      flex: 1;
      min-height: 0;
      display: grid;
      gap: calc(var(--u) * 1.2);
      padding: calc(var(--u) * 1.2) calc(var(--u) * 1.6) calc(var(--u) * 1.4);
    }
    .empty {
      display: grid;
      place-items: center;
      color: var(--wall-muted);
      font-size: calc(var(--u) * 1.6);
    }
    .area {
      display: flex;
      flex-direction: column;
      min-width: 0;
      min-height: 0;
    }
    .area > h2 {
      margin: 0 0 calc(var(--u) * 0.6);
      padding-left: calc(var(--u) * 0.6);
      border-left: calc(var(--u) * 0.3) solid var(--wall-accent);
      font-size: calc(var(--u) * 1.35);
      font-weight: 600;
      letter-spacing: 0.04em;
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .area-sub {
      margin-left: 0.5em;
      color: var(--wall-muted);
      font-size: 0.8em;
      font-weight: 500;
    }
    .area-grid {
      flex: 1;
      min-height: 0;
      display: grid;
      gap: calc(var(--u) * 1);
    }
    section {
      display: flex;
      flex-direction: column;
      min-width: 0;
      min-height: 0;
      padding: calc(var(--u) * 0.9) calc(var(--u) * 1.1);
      border: 1px solid var(--wall-border);
      border-radius: calc(var(--u) * 0.5);
      background: var(--wall-panel);
      box-shadow: inset 0 0 calc(var(--u) * 2) rgba(77, 179, 255, 0.06);
      overflow: hidden;
    }
    section.is-stale .body {
      opacity: 0.55;
    }
    section > h3 {
      display: flex;
      align-items: baseline;
      gap: calc(var(--u) * 0.6);
      margin: 0 0 calc(var(--u) * 0.6);
      color: var(--wall-muted);
      font-size: calc(var(--u) * 1.1);
      font-weight: 500;
    }
    .stale-tag {
      padding: 0 0.5em;
      border-radius: 0.3em;
      background: var(--wall-bad);
      color: #fff;
      font-size: 0.8em;
    }
    .body {
      flex: 1;
      min-height: 0;
      display: flex;
      flex-direction: column;
      justify-content: center;
    }
    .section-error {
      color: #ffb3b3;
      font-size: calc(var(--u) * 1.1);
    }
    .stack {
      display: flex;
      flex-direction: column;
      justify-content: space-around;
      gap: calc(var(--u) * 0.8);
      height: 100%;
    }
    .stack.top {
      justify-content: flex-start;
      gap: calc(var(--u) * 1.2);
    }
    .row {
      display: flex;
      flex-wrap: wrap;
      gap: calc(var(--u) * 0.6) calc(var(--u) * 1.6);
    }
    .row.spread {
      justify-content: space-between;
      align-items: flex-end;
    }
    .row.severities {
      justify-content: space-between;
    }
    .figure-value {
      font-weight: 700;
      line-height: 1.05;
      white-space: nowrap;
    }
    .figure.xl .figure-value {
      font-size: calc(var(--u) * 4.2);
    }
    .figure.l .figure-value {
      font-size: calc(var(--u) * 3);
    }
    .figure.m .figure-value {
      font-size: calc(var(--u) * 2.2);
    }
    .figure-value .of {
      color: var(--wall-muted);
      font-size: 0.55em;
      font-weight: 500;
    }
    .figure-label {
      margin-top: calc(var(--u) * 0.2);
      color: var(--wall-muted);
      font-size: calc(var(--u) * 1.05);
    }
    .ok .figure-value,
    .bar-value.ok {
      color: var(--wall-ok);
    }
    .warn .figure-value,
    .bar-value.warn {
      color: var(--wall-warn);
    }
    .bad .figure-value,
    .bar-value.bad {
      color: var(--wall-bad);
    }
    .idle .figure-value,
    .zero .figure-value {
      color: var(--wall-idle);
    }
    .sev-critical .figure-value {
      color: var(--wall-critical);
    }
    .sev-major .figure-value {
      color: var(--wall-major);
    }
    .sev-minor .figure-value {
      color: var(--wall-minor);
    }
    .sev-warning .figure-value {
      color: var(--wall-warning);
    }
    ul.bars,
    ol.alarm-list {
      list-style: none;
      margin: 0;
      padding: 0;
      display: flex;
      flex-direction: column;
      justify-content: space-around;
      gap: calc(var(--u) * 0.7);
    }
    ul.busy {
      height: 100%;
    }
    ul.bars li {
      display: grid;
      grid-template-columns: auto minmax(0, 1fr) auto;
      grid-template-areas: 'label note value' 'bar bar bar';
      align-items: baseline;
      column-gap: calc(var(--u) * 0.8);
      row-gap: calc(var(--u) * 0.3);
      font-size: calc(var(--u) * 1.15);
    }
    ul.busy li {
      grid-template-columns: minmax(0, 1fr) auto;
      grid-template-areas: 'label value' 'bar bar';
    }
    .bar-label {
      grid-area: label;
    }
    .bar-note {
      grid-area: note;
    }
    .bar-value {
      grid-area: value;
    }
    .bar {
      grid-area: bar;
    }
    .bar-label,
    .bar-note {
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .bar-value {
      text-align: right;
      font-weight: 700;
    }
    .bar-note {
      color: var(--wall-muted);
      font-size: 0.85em;
      white-space: nowrap;
    }
    .bar {
      height: calc(var(--u) * 0.7);
      border-radius: calc(var(--u) * 0.45);
      background: rgba(142, 166, 193, 0.18);
      overflow: hidden;
    }
    .bar-fill {
      height: 100%;
      border-radius: inherit;
      background: var(--wall-accent);
    }
    .bar.ok .bar-fill,
    .bar.band-low .bar-fill {
      background: var(--wall-band-low);
    }
    .bar.band-medium .bar-fill {
      background: var(--wall-band-medium);
    }
    .bar.warn .bar-fill {
      background: var(--wall-warn);
    }
    .bar.band-high .bar-fill {
      background: var(--wall-band-high);
    }
    .bar.bad .bar-fill {
      background: var(--wall-bad);
    }
    .bar-value.band-low {
      color: var(--wall-band-low);
    }
    .bar-value.band-medium {
      color: var(--wall-band-medium);
    }
    .bar-value.band-high {
      color: var(--wall-band-high);
    }
    .muted-line {
      color: var(--wall-muted);
      font-size: calc(var(--u) * 1.05);
    }
    .calm {
      color: var(--wall-ok);
      font-size: calc(var(--u) * 1.4);
    }
    ol.alarm-list {
      justify-content: flex-start;
    }
    ol.alarm-list li {
      display: grid;
      grid-template-columns: auto minmax(0, 1fr) auto;
      align-items: center;
      gap: calc(var(--u) * 0.6);
      padding-bottom: calc(var(--u) * 0.5);
      border-bottom: 1px solid rgba(31, 58, 90, 0.7);
      font-size: calc(var(--u) * 1.05);
    }
    .sev-chip {
      padding: 0.05em 0.45em;
      border-radius: 0.3em;
      color: #0b1320;
      font-weight: 700;
      font-size: 0.9em;
      white-space: nowrap;
    }
    .sev-chip.sev-critical {
      background: var(--wall-critical);
      color: #fff;
    }
    .sev-chip.sev-major {
      background: var(--wall-major);
    }
    .sev-chip.sev-minor {
      background: var(--wall-minor);
    }
    .sev-chip.sev-warning {
      background: var(--wall-warning);
    }
    .alarm-summary {
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .alarm-time {
      color: var(--wall-muted);
    }
  `;

  @state() private _states = new Map<string, SectionState<unknown>>();

  @state() private _status: RefreshStatus = {
    lastCompleteAt: null,
    stale: false,
    errors: [],
    oldestDataAt: null,
  };

  @state() private _scope: string | null = null;

  @state() private _now = Date.now();

  @state() private _fullscreen = false;

  @state() private _notice: string | null = null;

  private _clock?: number;

  private _abort?: AbortController;

  private _refreshing = false;

  constructor() {
    super();
    new PollController(this, wallRefreshMillis, () => void this.refresh());
  }

  override connectedCallback() {
    super.connectedCallback();
    this._clock = window.setInterval(() => (this._now = Date.now()), 1_000);
    document.addEventListener('fullscreenchange', this._onFullscreenChange);
    document.addEventListener('keydown', this._onKeyDown);
    this._fullscreen = document.fullscreenElement !== null;
    void this.refresh();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    window.clearInterval(this._clock);
    document.removeEventListener('fullscreenchange', this._onFullscreenChange);
    document.removeEventListener('keydown', this._onKeyDown);
    this._abort?.abort();
    this._abort = undefined;
    this._refreshing = false;
  }

  protected override firstUpdated(_changed: PropertyValues): void {
    this.renderRoot.querySelector<HTMLButtonElement>('[data-testid="wall-fullscreen"]')?.focus();
  }

  /** Loads every section once; a refresh already under way is not started twice. */
  async refresh(): Promise<void> {
    if (this._refreshing) return;
    this._refreshing = true;
    const abort = new AbortController();
    this._abort = abort;
    const ctx = createLoadContext(abort.signal);
    const sections = wallSections();
    // A control plane that does not answer must not hold the wall: the refresh gives up and says so.
    let timedOut = false;
    const timer = window.setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, wallRequestTimeoutMillis);
    try {
      const [results, scope] = await Promise.all([
        Promise.all(
          sections.map(async (section): Promise<SectionResult<unknown>> => {
            try {
              return { ok: true, data: await section.load(ctx) };
            } catch (error) {
              return { ok: false, error };
            }
          }),
        ),
        wallSources.overview(ctx).then(
          (overview) => overview.orgUnit.name,
          () => this._scope,
        ),
      ]);
      if (abort.signal.aborted && !timedOut) return;
      const now = Date.now();
      const next = new Map<string, SectionState<unknown>>();
      sections.forEach((section, i) => {
        const result = results[i]!;
        const settled: SectionResult<unknown> =
          !result.ok && timedOut && isAbortError(result.error)
            ? { ok: false, error: new WallTimeoutError(wallRequestTimeoutMillis) }
            : result;
        next.set(
          section.id,
          nextSectionState(this._states.get(section.id) ?? { kind: 'loading' }, settled, now),
        );
      });
      this._states = next;
      this._scope = scope;
      this._status = refreshStatus(next.values(), this._status.lastCompleteAt, now, wallErrorReason);
      this._now = now;
    } finally {
      window.clearTimeout(timer);
      if (this._abort === abort) {
        this._refreshing = false;
        this._abort = undefined;
      }
    }
  }

  override render() {
    const locale = currentLocale();
    return html`
      <header>
        <div class="title">
          <h1>${msg('Tianshu · Wall mode', { id: 'wall.title' })}</h1>
          ${
            this._scope !== null
              ? html`<div class="scope" data-testid="wall-scope">
                  ${msg(str`Scope: ${this._scope}`, { id: 'wall.scope' })}
                </div>`
              : nothing
          }
        </div>
        <div class="clock" role="timer">
          <div class="clock-time num" data-testid="wall-clock">${formatTime(this._now, true, locale)}</div>
          <div class="clock-date" data-testid="wall-date">${formatClockDate(this._now, locale)}</div>
        </div>
        <div class="status">
          ${this._renderRefresh(locale)}
          <button type="button" data-testid="wall-fullscreen" @click=${this._toggleFullscreen}>
            ${
              this._fullscreen
                ? msg('Exit full screen', { id: 'wall.fullscreen.exit' })
                : msg('Full screen', { id: 'wall.fullscreen.enter' })
            }
          </button>
          <button type="button" data-testid="wall-exit" @click=${this._exit}>
            ${msg('Back to the console', { id: 'wall.exit' })}
          </button>
        </div>
      </header>
      ${this._renderStale(locale)}
      ${this._notice ? html`<div class="notice" role="status" data-testid="wall-notice">${this._notice}</div>` : nothing}
      ${this._renderAreas(locale)}
    `;
  }

  private _renderRefresh(locale: AppLocale) {
    const at = this._status.lastCompleteAt;
    if (at === null) {
      return this._status.stale
        ? nothing
        : html`<div class="refresh" data-testid="wall-last-refresh">
            ${msg('Loading…', { id: 'wall.loading' })}
          </div>`;
    }
    return html`<div class="refresh" data-testid="wall-last-refresh" data-at=${String(at)}>
      <span class=${this._status.stale ? '' : 'ok-dot'}
        >${msg(str`Refreshed at ${formatTime(at, true, locale)}`, { id: 'wall.refreshedAt' })}</span
      ><br />${msg('Every 30 s', { id: 'wall.refreshEvery' })}
    </div>`;
  }

  private _renderStale(locale: AppLocale) {
    if (!this._status.stale) return nothing;
    const reasons = this._status.errors.map(wallErrorReason).join(' ');
    const since = this._status.oldestDataAt;
    return html`<div class="stale" role="alert" data-testid="wall-stale">
      <strong>${msg('Not refreshed.', { id: 'wall.stale.heading' })}</strong>
      <span data-testid="wall-stale-reason">${reasons}</span>
      ${
        since !== null
          ? msg(str`Figures marked stale are from ${formatTime(since, true, locale)}.`, {
              id: 'wall.stale.since',
            })
          : nothing
      }
    </div>`;
  }

  private _renderAreas(locale: AppLocale) {
    const sections = wallSections();
    const areas = presentAreas(sections, this._states);
    const loading = [...this._states.values()].length === 0;
    if (areas.length === 0) {
      return html`<main class="empty">
        ${
          loading
            ? nothing
            : html`<div data-testid="wall-empty">
                ${msg('Nothing to show in your scope yet.', { id: 'wall.empty' })}
              </div>`
        }
      </main>`;
    }
    const byId = new Map(sections.map((s) => [s.id, s]));
    const layouts = areas.map((a) => {
      const shown = a.sections.map((id) => byId.get(id)!);
      const columns = Math.max(...shown.map((s) => s.width));
      return {
        area: a.area,
        shown,
        columns,
        rows: packRows(
          shown.map((s) => s.width),
          columns,
        ),
      };
    });
    const ctx: WallRenderContext = { now: this._now, locale };
    return html`<main
      style="grid-template-columns: ${layouts.map((l) => `minmax(0, ${l.columns}fr)`).join(' ')}"
    >
      ${layouts.map(
        (l) =>
          html`<div class="area" data-testid="wall-area" data-area=${l.area}>
            <h2>
              <span class="area-name">${areaTitle(l.area).name}</span>
              ${areaTitle(l.area).sub !== null ? html`<span class="area-sub">${areaTitle(l.area).sub}</span>` : nothing}
            </h2>
            <div
              class="area-grid"
              style="grid-template-columns: repeat(${l.columns}, minmax(0, 1fr)); grid-template-rows: ${l.rows.length > 1 ? `repeat(${l.rows.length - 1}, auto) ` : ''}minmax(0, 1fr)"
            >
              ${l.rows.flatMap((row) =>
                row.map(({ index, span }) => {
                  const section = l.shown[index]!;
                  return this._renderSection(section, span, ctx);
                }),
              )}
            </div>
          </div>`,
      )}
    </main>`;
  }

  private _renderSection(
    section: ReturnType<typeof wallSections>[number],
    span: number,
    ctx: WallRenderContext,
  ) {
    const state = this._states.get(section.id)!;
    const stale = state.kind === 'stale';
    return html`<section
      class=${stale ? 'is-stale' : ''}
      style="grid-column: span ${span}"
      data-testid="wall-section"
      data-section=${section.id}
      data-state=${state.kind}
    >
      <h3>
        ${section.title()}
        ${stale ? html`<span class="stale-tag">${msg('stale', { id: 'wall.stale.tag' })}</span>` : nothing}
      </h3>
      <div class="body">
        ${
          state.kind === 'ok' || state.kind === 'stale'
            ? section.render(state.data, ctx)
            : state.kind === 'failed'
              ? html`<div class="section-error" role="alert" data-testid="wall-section-error">
                  ${msg(str`Not loaded: ${wallErrorReason(state.error)}`, { id: 'wall.section.failed' })}
                </div>`
              : nothing
        }
      </div>
    </section>`;
  }

  private _toggleFullscreen = async (): Promise<void> => {
    this._notice = null;
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else await document.documentElement.requestFullscreen();
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      this._notice = msg(str`The browser did not switch to full screen: ${text}`, {
        id: 'wall.fullscreen.refused',
      });
    }
  };

  private _exit = (): void => {
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    navigate(wallExitPath);
  };

  private _onFullscreenChange = (): void => {
    this._fullscreen = document.fullscreenElement !== null;
  };

  /** Esc leaves full screen (the browser does that itself); outside full screen it leaves the wall. */
  private _onKeyDown = (event: KeyboardEvent): void => {
    if (event.key !== 'Escape' || event.defaultPrevented || document.fullscreenElement) return;
    this._exit();
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-wall': TsPageWall;
  }
}
