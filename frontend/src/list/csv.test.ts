import { describe, expect, it } from 'vitest';
import { csvCell, csvTime, toCsv } from './csv';

describe('CSV', () => {
  it('quotes commas, quotes and newlines', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell(null)).toBe('');
    expect(csvCell(3)).toBe('3');
  });
  it('defuses spreadsheet formulas', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell('-1')).toBe("'-1");
  });
  it('starts with a BOM and uses CRLF', () => {
    expect(toCsv(['名称'], [['甲']])).toBe('\uFEFF名称\r\n甲\r\n');
  });
  it('writes times in county time, not UTC nor the device zone', () => {
    expect(csvTime('2026-12-09T09:00:00+00:00')).toBe('2026-12-09 17:00');
    expect(csvTime('2026-12-31T16:30:00Z')).toBe('2027-01-01 00:30');
    expect(csvTime(null)).toBe('');
  });
});
