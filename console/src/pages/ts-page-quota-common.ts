/**
 * The pieces the quota pages share: their styles, amounts in words with the classes' names and
 * units, the status badges of requests, reclaims, clouds and enforcement, a cloud error with its kind
 * and reason, and the "not available on this server" notice.
 */
import { css, html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { formatDateTime, formatNumber } from '../common/format.js';
import {
  cloudErrorKindText,
  cloudSyncText,
  enforcementText,
  localName,
  reclaimStatusText,
  reclaimStatusTone,
  requestStatusText,
  requestStatusTone,
  stepStateText,
} from '../data/quotas.js';
import type { Amounts, CloudError, ResourceClass } from '../data/quotas.js';
import { securityStyles } from './ts-page-security-common.js';
import '../components/ts-status-badge.js';

export const quotaStyles = [
  securityStyles,
  css`
    .cards {
      display: grid;
      gap: 12px;
      grid-template-columns: repeat(auto-fit, minmax(460px, 1fr));
    }
    ts-chart.bars {
      height: 220px;
    }
    ts-chart.treemap {
      height: 360px;
    }
    ts-chart.wide {
      height: 320px;
    }
    table.amounts {
      border-collapse: collapse;
      font-size: 12px;
      font-variant-numeric: tabular-nums;
    }
    table.amounts th,
    table.amounts td {
      padding: 3px 10px 3px 0;
      text-align: end;
      border-bottom: 1px solid var(--ts-border);
    }
    table.amounts th:first-child,
    table.amounts td:first-child {
      text-align: start;
    }
    table.amounts input {
      width: 7em;
    }
    .cost {
      font-size: 18px;
      font-weight: 600;
      font-variant-numeric: tabular-nums;
    }
    ol.steps,
    ol.timeline {
      margin: 0;
      padding-left: 18px;
      font-size: 13px;
      display: grid;
      gap: 4px;
    }
    .indent {
      display: inline-block;
    }
    .toggle {
      border: none;
      background: none;
      cursor: pointer;
      width: 18px;
      padding: 0;
      font: inherit;
      color: var(--ts-text-muted);
    }
    label.field.block {
      display: grid;
      gap: 4px;
      align-items: start;
      justify-items: start;
    }
    label.field.block select,
    label.field.block input[type='text'],
    label.field.block input[type='number'] {
      min-width: 280px;
      max-width: 100%;
    }
    label.field.block textarea {
      width: min(720px, 100%);
    }
    table.amounts td {
      white-space: nowrap;
    }
    table.amounts td.wrap {
      white-space: normal;
    }
    a.btn {
      text-decoration: none;
    }
    .legend {
      display: flex;
      gap: 12px;
      font-size: 12px;
      color: var(--ts-text-muted);
    }
    .swatch {
      display: inline-block;
      width: 10px;
      height: 10px;
      margin-right: 4px;
      border-radius: 2px;
      vertical-align: middle;
    }
  `,
];

/** A class's name in the console's language (its id when the price list does not name it). */
export const classLabel = (id: string, classes: readonly ResourceClass[]): string => {
  const c = classes.find((x) => x.id === id);
  return c ? localName(c.names) : id;
};

/** An amount with its class's unit, e.g. `16 GiB`. */
export const amountText = (id: string, n: number, classes: readonly ResourceClass[]): string => {
  const unit = classes.find((x) => x.id === id)?.unit ?? '';
  return unit ? `${formatNumber(n)} ${unit}` : formatNumber(n);
};

/** Amounts as `vCPU 8 vCPU · Memory 16 GiB`, in the price list's order. */
export function amountsText(a: Amounts, classes: readonly ResourceClass[]): string {
  const order = [
    ...classes.map((c) => c.id),
    ...Object.keys(a).filter((k) => !classes.some((c) => c.id === k)),
  ];
  return order
    .filter((k) => a[k] !== undefined && a[k] !== 0)
    .map((k) => {
      const label = classLabel(k, classes);
      const amount = amountText(k, a[k] ?? 0, classes);
      return amount.endsWith(` ${label}`) ? amount : `${label} ${amount}`;
    })
    .join(' · ');
}

/** A money amount in CNY. */
export const yuan = (n: number): string => `¥${formatNumber(n, 2)}`;

export const requestStatusBadge = (status: string): TemplateResult =>
  html`<ts-status-badge
    data-status=${status}
    .status=${status}
    .label=${requestStatusText(status)}
    .tone=${requestStatusTone(status)}
  ></ts-status-badge>`;

export const reclaimStatusBadge = (status: string): TemplateResult =>
  html`<ts-status-badge
    data-status=${status}
    .status=${status}
    .label=${reclaimStatusText(status)}
    .tone=${reclaimStatusTone(status)}
  ></ts-status-badge>`;

export const cloudSyncBadge = (state: string): TemplateResult =>
  html`<ts-status-badge
    data-status=${state}
    .status=${state}
    .label=${cloudSyncText(state)}
    .tone=${state === 'ok' ? 'ok' : state === 'error' ? 'bad' : 'idle'}
  ></ts-status-badge>`;

export const enforcementBadge = (state: string): TemplateResult =>
  html`<ts-status-badge
    data-status=${state}
    .status=${state}
    .label=${enforcementText(state)}
    .tone=${state === 'applied' ? 'ok' : state === 'error' ? 'bad' : state === 'drift' ? 'warn' : 'info'}
  ></ts-status-badge>`;

export const stepBadge = (state: string): TemplateResult =>
  html`<ts-status-badge
    data-status=${state}
    .status=${state}
    .label=${stepStateText(state)}
    .tone=${state === 'approved' || state === 'auto' ? 'ok' : state === 'rejected' ? 'bad' : 'warn'}
  ></ts-status-badge>`;

/** A cloud's error: its kind in words, the cloud's own message, and when. */
export const cloudErrorLine = (e: CloudError | null, testId: string): TemplateResult | typeof nothing =>
  e
    ? html`<p class="error" role="alert" data-testid=${testId} data-kind=${e.kind}>
        ${msg(str`${cloudErrorKindText(e.kind)}: ${e.message}`, { id: 'quotas.cloudError.line' })}
        ${e.at ? html`<span class="muted">(${formatDateTime(e.at)})</span>` : nothing}
      </p>`
    : nothing;

export const quotasUnavailable = (heading: string): TemplateResult =>
  html`<div class="page-header"><h1>${heading}</h1></div>
    <p class="unavailable" data-testid="quotas-unavailable">
      ${msg('Cloud quotas are not available on this server.', { id: 'quotas.unavailable' })}
    </p>`;
