import { describe, expect, it } from 'vitest';
import { breaks, classOf, colorFor, contrast, legend, PERCENT_BREAKS, RAMP, textOn, WARNING_HEX, warningRank } from './scale';

describe('colour scales', () => {
  it('computes nice equal-interval breaks', () => {
    expect(breaks([0, 3, 25, 10])).toEqual([5, 10, 15, 20, 25]);
    expect(breaks([0, 2])).toEqual([1, 2]);
    expect(breaks([0, 0])).toEqual([]);
  });

  it('classes values and colours them light to dark', () => {
    const b = [5, 10, 15, 20, 25];
    expect(classOf(0, b)).toBe(-1);
    expect(classOf(5, b)).toBe(0);
    expect(classOf(6, b)).toBe(1);
    expect(classOf(99, b)).toBe(4);
    expect(colorFor(1, b)).toBe(RAMP[0]);
    expect(colorFor(25, b)).toBe(RAMP[4]);
    expect(colorFor(2, [1, 2])).toBe(RAMP[4]);
  });

  it('uses fixed percentage classes for rates', () => {
    expect(classOf(100, PERCENT_BREAKS)).toBe(4);
    expect(classOf(41, PERCENT_BREAKS)).toBe(2);
    expect(legend(PERCENT_BREAKS).map((i) => i.to)).toEqual([0, 20, 40, 60, 80, 100]);
  });

  it('builds a legend whose ranges tile the values', () => {
    const items = legend([5, 10]);
    expect(items.map((i) => [i.from, i.to])).toEqual([
      [0, 0],
      [1, 5],
      [6, 10],
    ]);
    expect(items[2]!.color).toBe(RAMP[4]);
  });

  it('ranks warnings worst-first and keeps label contrast AA', () => {
    expect(warningRank('RED')).toBeGreaterThan(warningRank('ORANGE'));
    expect(warningRank(null)).toBe(0);
    for (const bg of [...RAMP, ...Object.values(WARNING_HEX)]) {
      expect(contrast(bg, textOn(bg))).toBeGreaterThanOrEqual(4.5);
    }
  });
});
