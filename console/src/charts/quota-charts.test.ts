import { describe, expect, it } from 'vitest';
import type { BarSeriesOption, TreemapSeriesOption } from './option.js';
import {
  clickedNode,
  cloudBarsOption,
  quotaTreemapOption,
  scorecardOption,
  showbackOption,
  utilisationColor,
} from './quota-charts.js';
import type { QuotaBarDatum, TreemapDatum } from './quota-charts.js';
import { parseClasses, parseClouds, parseTreeNode } from '../data/quotas.js';

const classes = parseClasses([
  { id: 'vcpu', names: { 'zh-CN': '虚拟CPU', en: 'vCPU' }, unit: 'vCPU', monthlyPrice: 45 },
  { id: 'memory', names: { 'zh-CN': '内存', en: 'Memory' }, unit: 'GiB', monthlyPrice: 20 },
]);

describe('quota charts', () => {
  it('draws a cloud’s classes as shares of allocatable, with the amounts kept for the tooltip', () => {
    const [cloud] = parseClouds([
      {
        id: 'k',
        name: 'k',
        kind: 'kubernetes',
        orgUnitId: 'sc',
        classes: [
          {
            class: 'vcpu',
            capacity: 100,
            overcommit: 2,
            allocatable: 200,
            allocated: 50,
            used: 20,
            physical: 5,
          },
          {
            class: 'memory',
            capacity: 400,
            overcommit: 1,
            allocatable: 400,
            allocated: 400,
            used: 100,
            physical: 80,
          },
        ],
      },
    ]);
    const option = cloudBarsOption(cloud!, classes);
    // Category axes draw from the bottom: the first class is the top bar.
    expect((option.yAxis as { data: string[] }).data).toEqual(['Memory', 'vCPU']);
    const series = option.series as BarSeriesOption[];
    expect(series.map((s) => s.name)).toEqual(['Allocatable', 'Allocated', 'Used', 'Physically used']);
    const allocated = series[1]!.data as QuotaBarDatum[];
    expect(allocated.map((d) => [d.value, d.amount, d.unit])).toEqual([
      [100, 400, 'GiB'],
      [25, 50, 'vCPU'],
    ]);
    expect((series[3]!.data as QuotaBarDatum[])[1]!.value).toBe(2.5);
  });

  it('draws the tree’s children as a treemap sized by quota, coloured by use, and a click names the node', () => {
    const root = parseTreeNode({
      kind: 'org-unit',
      id: 'sc',
      name: '四川省',
      quota: { vcpu: 100 },
      children: [
        {
          kind: 'org-unit',
          id: 'sc-cd',
          name: '成都市',
          quota: { vcpu: 60 },
          used: { vcpu: 57 },
          children: [{ kind: 'project', id: 'p1', name: 'p1', quota: { vcpu: 10 }, used: { vcpu: 1 } }],
        },
        { kind: 'project', id: 'idle', name: 'idle', quota: { vcpu: 20 }, used: { vcpu: 2 } },
        { kind: 'project', id: 'none', name: 'none', quota: { memory: 8 } },
      ],
    });
    const option = quotaTreemapOption(root, 'vcpu', classes);
    const data = (option.series as TreemapSeriesOption[])[0]!.data as TreemapDatum[];
    expect(data.map((d) => [d.id, d.value])).toEqual([
      ['sc-cd', 60],
      ['idle', 20],
    ]);
    expect(data[0]!.itemStyle.color).toBe(utilisationColor(0.95));
    expect(data[1]!.itemStyle.color).toBe(utilisationColor(0.1));
    // One level: the unit's own projects are seen after a click goes down to it.
    expect(data[0]!.children).toBeUndefined();
    expect(clickedNode(data[0])).toEqual({ kind: 'org-unit', id: 'sc-cd' });
    expect(clickedNode({ name: 'x' })).toBeUndefined();
    expect(clickedNode(null)).toBeUndefined();
  });

  it('stacks showback cost by class, costliest unit at the top; scores best at the top', () => {
    const option = showbackOption(
      {
        month: '2026-11',
        currency: 'CNY',
        items: [
          { orgUnitId: 'a', name: 'A', byClass: { vcpu: { quota: 1, used: 1, cost: 45 } }, total: 45 },
          {
            orgUnitId: 'b',
            name: 'B',
            byClass: { vcpu: { quota: 2, used: 1, cost: 90 }, memory: { quota: 1, used: 0, cost: 20 } },
            total: 110,
          },
        ],
      },
      classes,
    );
    expect((option.yAxis as { data: string[] }).data).toEqual(['A', 'B']);
    const series = option.series as BarSeriesOption[];
    expect(series.map((s) => [s.name, s.data])).toEqual([
      ['vCPU', [45, 90]],
      ['Memory', [0, 20]],
    ]);
    const scores = scorecardOption(
      [
        {
          cloudId: 'x',
          name: 'X',
          availability: 1,
          fulfilmentHoursMedian: 1,
          utilisation: {},
          drift: 0,
          errors: 0,
          score: 90,
        },
        {
          cloudId: 'y',
          name: 'Y',
          availability: null,
          fulfilmentHoursMedian: null,
          utilisation: {},
          drift: 0,
          errors: 3,
          score: null,
        },
      ],
      '2026-11',
    );
    expect((scores.yAxis as { data: string[] }).data).toEqual(['Y', 'X']);
  });
});
