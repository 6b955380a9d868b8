import { describe, expect, it } from 'vitest';
import {
  breakdownTable,
  categoryLabel,
  categorySeries,
  choropleth,
  legendLabel,
  monthLabel,
  monthlySeries,
  rangeBars,
  WITHHELD_FILL,
} from './shape';
import { hidden, STATS, shown } from './testFixture';

describe('chart data never fakes a withheld count', () => {
  it('range bars: exact for published, invisible base + hatched span for withheld', () => {
    const bars = rangeBars([
      shown(12),
      hidden(386, 390),
      hidden(0, 4),
      { value: null, withheld: true, low: Number.NaN, high: Number.NaN, reason: null },
    ]);
    expect(bars.exact).toEqual([12, null, null, null]);
    expect(bars.base).toEqual([null, 386, 0, null]);
    expect(bars.span).toEqual([null, 4, 4, null]);
  });

  it('monthly series: 12 month labels per language, withheld March as a range', () => {
    const zh = monthlySeries(STATS, 'zh-CN');
    expect(zh.labels).toHaveLength(12);
    expect(zh.labels[0]).toBe('1月');
    expect(monthlySeries(STATS, 'en').labels[2]).toBe('Mar');
    expect(zh.reported.exact[2]).toBeNull();
    expect(zh.reported.base[2]).toBe(0);
    expect(zh.reported.span[2]).toBe(4);
    expect(zh.resolved.exact[0]).toBe(28);
  });

  it('category labels in the page language, the API label for an unknown key', () => {
    expect(categoryLabel({ key: 'financing', label: 'FINANCING' }, 'zh-CN')).toBe('融资');
    expect(categoryLabel({ key: 'LAND', label: 'LAND' }, 'en')).toBe('Land');
    expect(categoryLabel({ key: 'tourism', label: '文旅' }, 'zh-CN')).toBe('文旅');
    expect(categorySeries(STATS, 'en').labels).toEqual(['Financing', 'Land', 'Power']);
    expect(monthLabel('not-a-month', 'en')).toBe('not-a-month');
  });

  it('choropleth: scale from published counts only; withheld townships grey', () => {
    const outlines = STATS.byTownship.map((r) => ({ code: r.key, name: r.label, boundary: null }));
    const { areas, legend } = choropleth(STATS, outlines);
    expect(areas.map((a) => a.value)).toEqual([200, 10, null]);
    expect(areas[2]!.color).toBe(WITHHELD_FILL);
    expect(areas[0]!.color).not.toBe(areas[1]!.color);
    // The top class ends at the largest published count (200), not at a withheld township's range.
    expect(legend.at(-1)!.to).toBe(200);
    expect(legendLabel(legend[0]!, 'en')).toBe('0');
    expect(legendLabel({ color: '#000', from: 1, to: 40 }, 'zh-CN')).toBe('1–40');
  });

  it('breakdown tables carry the total as the footer, in the page language', () => {
    const t = breakdownTable(STATS, 'by-month', 'en');
    expect(t.rows).toHaveLength(12);
    expect(t.rows[0]!.head).toBe('Jan');
    expect(t.footer!.head).toBe('County total');
    expect(t.columns.map((c) => c.kind)).toEqual(['count', 'count', 'count', 'count', 'rate', 'rate']);
    expect(t.fileName).toBe('yimi-statistics-2024-by-month');
  });
});
