import { describe, expect, it } from 'vitest';
import { chartWindow } from './chart-figure.js';

describe('chartWindow', () => {
  it('spans the range back from the end and leaves lines open after 2.5 steps', () => {
    expect(chartWindow(30, 1_000_000, 3_600_000)).toEqual({
      start: -2_600_000,
      end: 1_000_000,
      maxGap: 75_000,
    });
  });
  it('treats a step under a second as one second', () => {
    expect(chartWindow(0, 10, 5).maxGap).toBe(2500);
  });
});
