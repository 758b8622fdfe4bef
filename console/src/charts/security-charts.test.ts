import { describe, expect, it } from 'vitest';
import type { BarSeriesOption, LineSeriesOption } from './option.js';
import { clickedOrgUnit, riskBarsOption, riskTrendOption, severityBarsOption } from './security-charts.js';
import type { RiskItem } from '../data/security.js';

const unit = (orgUnitId: string, name: string, score: number): RiskItem => ({
  orgUnitId,
  name,
  path: `/sc/${orgUnitId}`,
  level: 'city',
  score,
  openAlerts: 0,
  openIncidents: 0,
  vulnerabilities: { critical: 0, high: 0, medium: 0, low: 0 },
  change7d: 0,
});

describe('security charts', () => {
  it('draws the risk of units as bars, riskiest at the top, and a click names the unit', () => {
    const option = riskBarsOption([unit('sc-my', '绵阳市', 20), unit('sc-cd', '成都市', 75.04)]);
    const yAxis = option.yAxis as { data: string[] };
    // Category axes draw from the bottom: the last category is the top bar.
    expect(yAxis.data).toEqual(['绵阳市', '成都市']);
    const data = (option.series as BarSeriesOption[])[0]!.data as { value: number; orgUnitId: string }[];
    expect(data.map((d) => [d.orgUnitId, d.value])).toEqual([
      ['sc-my', 20],
      ['sc-cd', 75],
    ]);
    expect(clickedOrgUnit(data[1])).toBe('sc-cd');
    expect(clickedOrgUnit({ value: 3 })).toBeUndefined();
    expect(clickedOrgUnit(null)).toBeUndefined();
  });

  it('draws the daily trend in day order on a 0–100 axis', () => {
    const option = riskTrendOption({
      orgUnitId: 'sc',
      points: [
        ['2026-12-01', 40],
        ['2026-11-30', 35],
      ],
    });
    expect((option.xAxis as { data: string[] }).data).toEqual(['2026-11-30', '2026-12-01']);
    expect((option.series as LineSeriesOption[])[0]!.data).toEqual([35, 40]);
    expect(option.yAxis).toMatchObject({ min: 0, max: 100 });
  });

  it('counts open alerts per severity, critical first', () => {
    const option = severityBarsOption({ critical: 1, high: 4, medium: 0, low: 2 });
    const data = (option.series as BarSeriesOption[])[0]!.data as { value: number }[];
    expect(data.map((d) => d.value)).toEqual([1, 4, 0, 2]);
  });
});
