import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { msg } from '@lit/localize';
import { currentLocale } from '../i18n/locale.js';
import type { ChartOption } from './option.js';
import './ts-chart.js';

const optionCache = new WeakMap<object, Map<string, ChartOption>>();

/**
 * The option built from `source` (e.g. one fetched metrics result) under `key`, built once per
 * source and language: a page that re-renders (a clock tick, a poll) hands `<ts-chart>` the same
 * object, so the chart is not redrawn and keeps the user's zoom.
 */
export function cachedOption(source: object, key: string, build: () => ChartOption): ChartOption {
  let byKey = optionCache.get(source);
  if (!byKey) {
    byKey = new Map();
    optionCache.set(source, byKey);
  }
  const fullKey = `${currentLocale()}:${key}`;
  let option = byKey.get(fullKey);
  if (!option) {
    option = build();
    byKey.set(fullKey, option);
  }
  return option;
}

/** The time window of a chart that ends at `end` and spans `rangeMillis` back. */
export const chartSpan = (end: number, rangeMillis: number): { start: number; end: number } => ({
  start: end - rangeMillis,
  end,
});

export interface ChartFigure {
  testId: string;
  title: string;
  /** What the chart is about (a hostname, a link name), for assistive technology. */
  subject: string;
  option: ChartOption;
  /** No line has a sample: the chart says so. */
  empty: boolean;
  height?: number;
}

/** One captioned `<ts-chart>` of a panel. */
export function chartFigure(c: ChartFigure): TemplateResult {
  return html`<figure>
    <figcaption>${c.title}</figcaption>
    <ts-chart
      data-testid=${c.testId}
      .label=${`${c.title} · ${c.subject}`}
      .option=${c.option}
      .height=${c.height ?? 200}
      .overlay=${c.empty ? msg('No samples in this range.', { id: 'charts.empty' }) : ''}
    ></ts-chart>
  </figure>`;
}
