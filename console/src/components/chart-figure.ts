import { html, type TemplateResult } from 'lit';
import type { ChartSeries } from './ts-line-chart.js';
import './ts-line-chart.js';

/** The time window of a chart panel, and the gap beyond which a line is left open (2.5 steps). */
export interface ChartWindow {
  start: number;
  end: number;
  maxGap: number;
}

export function chartWindow(stepSeconds: number, end: number, rangeMs: number): ChartWindow {
  return { start: end - rangeMs, end, maxGap: Math.max(stepSeconds, 1) * 1000 * 2.5 };
}

export interface ChartFigure {
  testId: string;
  title: string;
  unit: string;
  series: ChartSeries[];
  format: (v: number) => string;
  tick?: (v: number) => string;
  max?: number;
  height?: number;
}

/** One captioned line chart of a panel; `subject` names what it is about for assistive technology. */
export function chartFigure(span: ChartWindow, subject: string, c: ChartFigure): TemplateResult {
  return html`<figure>
    <figcaption>${c.title}</figcaption>
    <ts-line-chart
      data-testid=${c.testId}
      .label=${`${c.title} of ${subject}`}
      .unit=${c.unit}
      .series=${c.series}
      .start=${span.start}
      .end=${span.end}
      .min=${0}
      .max=${c.max}
      .maxGap=${span.maxGap}
      .height=${c.height ?? 170}
      .formatValue=${c.format}
      .formatTick=${c.tick}
    ></ts-line-chart>
  </figure>`;
}
