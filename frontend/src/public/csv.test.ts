import { describe, expect, it } from 'vitest';
import { tableCsv, tableJson } from './csv';
import { breakdownTable, yearOverYearTable } from './shape';
import { STATS, YEARS } from './testFixture';

/** Split our CSV (no embedded newlines in these tables) into rows of cells, honouring quotes. */
function parse(csv: string): string[][] {
  return csv
    .replace(/^\uFEFF/, '')
    .trimEnd()
    .split('\r\n')
    .map((line) => {
      const cells: string[] = [];
      let cur = '';
      let quoted = false;
      for (let i = 0; i < line.length; i++) {
        const ch = line[i]!;
        if (quoted && ch === '"' && line[i + 1] === '"') {
          cur += '"';
          i++;
        } else if (ch === '"') quoted = !quoted;
        else if (ch === ',' && !quoted) {
          cells.push(cur);
          cur = '';
        } else cur += ch;
      }
      cells.push(cur);
      return cells;
    });
}

describe('table downloads', () => {
  it('CSV starts with a BOM, uses CRLF and Chinese headers', () => {
    const csv = tableCsv(breakdownTable(STATS, 'by-township', 'zh-CN'), 'zh-CN');
    expect(csv.startsWith('\uFEFF乡镇/街道,受理诉求,受理诉求·下限,受理诉求·上限,已办结,')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv).toContain('\r\n城关镇,200,200,200,198,198,198,');
  });

  it('CSV gives a withheld count as 不公开 with its low and high ends', () => {
    const rows = parse(tableCsv(breakdownTable(STATS, 'by-township', 'zh-CN'), 'zh-CN'));
    const zhuangtou = rows.find((r) => r[0] === '庄头镇')!;
    expect(zhuangtou.slice(1, 4)).toEqual(['不公开', '176', '180']);
    const total = rows.at(-1)!;
    expect(total[0]).toBe('全县合计');
    expect(total.slice(1, 7)).toEqual(['390', '390', '390', '不公开', '386', '390']);
  });

  it('CSV in English, with rates as percentages and quoting where needed', () => {
    const rows = parse(tableCsv(breakdownTable(STATS, 'by-category', 'en'), 'en'));
    expect(rows[0]!.slice(0, 4)).toEqual(['Category', 'Issues received', 'Issues received (low)', 'Issues received (high)']);
    expect(rows[1]![0]).toBe('Financing');
    expect(rows.at(-1)!.slice(-2)).toEqual(['87%', '90%']);
    const yoy = tableCsv(yearOverYearTable(YEARS, 5, 'en'), 'en');
    expect(yoy).toContain('"Median time to resolve"'.replace(/"/g, ''));
    expect(parse(yoy)[1]![0]).toBe('2023');
  });

  it('JSON holds the API rows with the year and threshold', () => {
    const json = JSON.parse(tableJson(breakdownTable(STATS, 'by-month', 'zh-CN')));
    expect(json.year).toBe(2024);
    expect(json.threshold).toBe(5);
    expect(json.rows).toHaveLength(12);
    expect(json.rows[2].reported).toEqual({ value: null, withheld: true, low: 0, high: 4, reason: 'BELOW_THRESHOLD' });
  });
});
