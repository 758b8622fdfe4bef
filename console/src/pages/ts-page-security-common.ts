/**
 * The pieces the security pages share: their styles, the severity and status badges, the range
 * buttons, the org-unit picker,.
 */
import { css, html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import { msg } from '@lit/localize';
import {
  alertStatusText,
  incidentStatusText,
  rangeText,
  securityRanges,
  severityText,
  severityTone,
} from '../data/security.js';
import type { SecurityRange } from '../data/security.js';
import type { OrgUnitOption } from '../data/org-units.js';
import '../components/ts-status-badge.js';

export const securityStyles = css`
  .grid {
    display: grid;
    gap: 12px;
    grid-template-columns: repeat(auto-fit, minmax(420px, 1fr));
  }
  .stack {
    display: grid;
    gap: 12px;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 8px 14px;
  }
  label.field {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    font-size: 12px;
    color: var(--ts-text-muted);
  }
  select,
  input[type='text'],
  input[type='search'],
  input[type='number'],
  textarea {
    min-height: 28px;
    padding: 0 6px;
    border: 1px solid var(--ts-border-strong);
    border-radius: var(--ts-radius);
    background: var(--ts-surface);
    color: var(--ts-text);
    font: inherit;
    box-sizing: border-box;
  }
  textarea {
    padding: 6px;
    font-family: var(--ts-mono, monospace);
    width: 100%;
  }
  input.wide {
    min-width: 320px;
    flex: 1;
  }
  .segmented button[aria-pressed='true'] {
    background: var(--ts-accent);
    color: #fff;
  }
  .segmented {
    display: inline-flex;
    gap: 0;
  }
  .segmented button {
    height: 26px;
    padding: 0 10px;
    border: 1px solid var(--ts-border-strong);
    background: var(--ts-surface);
    color: var(--ts-text);
    font: inherit;
    font-size: 12px;
    cursor: pointer;
  }
  .segmented button + button {
    border-left: none;
  }
  .figures {
    display: flex;
    flex-wrap: wrap;
    gap: 18px;
  }
  .figure {
    display: grid;
    gap: 2px;
  }
  .figure .value {
    font-size: 22px;
    font-weight: 600;
    font-variant-numeric: tabular-nums;
  }
  .figure .label {
    font-size: 12px;
    color: var(--ts-text-muted);
  }
  .error {
    margin: 0;
    color: var(--ts-bad);
    font-size: 12px;
  }
  .ok-text {
    color: var(--ts-ok);
    font-size: 12px;
  }
  .help {
    color: var(--ts-text-muted);
    font-size: 12px;
  }
  .subnav {
    display: flex;
    gap: 14px;
    margin: 0 0 12px;
    font-size: 13px;
  }
  .subnav a {
    color: var(--ts-accent);
    text-decoration: none;
  }
  .subnav a[aria-current='page'] {
    font-weight: 600;
    color: var(--ts-text);
  }
  pre.raw {
    margin: 0;
    padding: 8px;
    max-height: 240px;
    overflow: auto;
    background: var(--ts-surface-alt);
    border-radius: var(--ts-radius);
    font-size: 12px;
    white-space: pre-wrap;
    word-break: break-all;
  }
  dl.fields {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 2px 12px;
    margin: 0;
    font-size: 12px;
  }
  dl.fields dt {
    color: var(--ts-text-muted);
    font-family: var(--ts-mono, monospace);
  }
  dl.fields dd {
    margin: 0;
    font-family: var(--ts-mono, monospace);
    word-break: break-all;
  }
  .unavailable,
  .empty {
    color: var(--ts-text-muted);
  }
  a {
    color: var(--ts-accent);
  }
`;

export const severityBadge = (severity: string): TemplateResult =>
  html`<ts-status-badge
    data-severity=${severity}
    .status=${severity}
    .label=${severityText(severity)}
    .tone=${severityTone(severity)}
  ></ts-status-badge>`;

const alertTone = (status: string) =>
  status === 'new' ? 'bad' : status === 'acknowledged' ? 'warn' : status === 'closed' ? 'ok' : 'idle';

export const alertStatusBadge = (status: string): TemplateResult =>
  html`<ts-status-badge
    data-status=${status}
    .status=${status}
    .label=${alertStatusText(status)}
    .tone=${alertTone(status)}
  ></ts-status-badge>`;

const incidentTone = (status: string) =>
  status === 'new'
    ? 'bad'
    : status === 'resolved'
      ? 'ok'
      : status === 'false-positive'
        ? 'idle'
        : status === 'contained'
          ? 'info'
          : 'warn';

export const incidentStatusBadge = (status: string): TemplateResult =>
  html`<ts-status-badge
    data-status=${status}
    .status=${status}
    .label=${incidentStatusText(status)}
    .tone=${incidentTone(status)}
  ></ts-status-badge>`;

/** The preset range buttons of a security page. */
export function securityRangeButtons(
  current: SecurityRange,
  custom: boolean,
  testId: string,
  onSelect: (range: SecurityRange) => void,
): TemplateResult {
  return html`<span
    class="segmented"
    role="group"
    aria-label=${msg('Time range', { id: 'security.range.label' })}
    data-testid=${testId}
  >
    ${securityRanges.map(
      (r) =>
        html`<button
          type="button"
          data-value=${r}
          aria-pressed=${!custom && r === current ? 'true' : 'false'}
          @click=${() => onSelect(r)}
        >
          ${rangeText(r)}
        </button>`,
    )}
  </span>`;
}

/** An org-unit `<select>` with "all in scope" first. */
export function orgUnitSelect(
  options: readonly OrgUnitOption[],
  value: string,
  testId: string,
  onChange: (id: string) => void,
): TemplateResult {
  return html`<label class="field"
    >${msg('Org unit', { id: 'security.filter.orgUnit' })}
    <select data-testid=${testId} @change=${(e: Event) => onChange((e.target as HTMLSelectElement).value)}>
      <option value="" ?selected=${value === ''}>
        ${msg('All in scope', { id: 'security.filter.allUnits' })}
      </option>
      ${options.map((o) => html`<option value=${o.id} ?selected=${o.id === value}>${o.label}</option>`)}
    </select></label
  >`;
}

/** ATT&CK technique ids as chips linking to MITRE's pages. */
export const attackChips = (ids: readonly string[]): TemplateResult | typeof nothing =>
  ids.length
    ? html`<span class="chips"
        >${ids.map(
          (id) =>
            html`<a
              class="chip mono"
              href=${`https://attack.mitre.org/techniques/${id.replace('.', '/')}/`}
              target="_blank"
              rel="noopener noreferrer"
              >${id}</a
            >`,
        )}</span
      >`
    : nothing;

/** A time as a `datetime-local` input shows it: local time, to the minute. */
const localInput = (t: number): string => {
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

/**
 * A from–to form for a custom window; `onApply` gets the window, or an error text when the start is
 * not before the end.
 */
export function customRangeForm(
  window: { from: number; to: number },
  testId: string,
  onApply: (custom: { from: number; to: number } | string) => void,
): TemplateResult {
  return html`<form
    class="row"
    data-testid=${testId}
    @submit=${(e: Event) => {
      e.preventDefault();
      const form = e.target as HTMLFormElement;
      const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? '';
      const from = Date.parse(value('from'));
      const to = Date.parse(value('to'));
      onApply(
        Number.isFinite(from) && Number.isFinite(to) && from < to
          ? { from, to }
          : msg('Choose a start before the end.', { id: 'security.range.invalid' }),
      );
    }}
  >
    <label class="field"
      >${msg('From', { id: 'security.range.from' })}
      <input type="datetime-local" name="from" required .value=${localInput(window.from)}
    /></label>
    <label class="field"
      >${msg('To', { id: 'security.range.to' })}
      <input type="datetime-local" name="to" required .value=${localInput(window.to)}
    /></label>
    <button type="submit" class="btn">${msg('Show this range', { id: 'security.range.apply' })}</button>
  </form>`;
}
