import { describe, expect, it } from 'vitest';
import { extrasFor } from './engine.js';

describe('extrasFor', () => {
  it('needs nothing beyond the base for line charts', () => {
    expect(extrasFor({ series: [{ type: 'line', data: [] }] })).toEqual([]);
    expect(extrasFor({})).toEqual([]);
  });

  it('loads each other series type, and mark lines, on first use', () => {
    expect(
      extrasFor({
        series: [
          { type: 'graph', data: [] },
          { type: 'line', data: [], markLine: { data: [{ yAxis: 80 }] } },
          { type: 'sankey', data: [] },
          { type: 'graph', data: [] },
        ],
      }).sort(),
    ).toEqual(['graph', 'markLine', 'sankey']);
    expect(extrasFor({ series: { type: 'heatmap', data: [] } })).toEqual(['heatmap']);
  });

  it('refuses a series type the console does not register', () => {
    expect(() => extrasFor({ series: [{ type: 'pie' } as never] })).toThrow(
      /does not draw series of type pie/,
    );
  });
});
