/**
 * Table downloads: CSV (UTF-8 with a BOM so that Excel opens Chinese, RFC 4180 quoting, formula guard:
 * the staff list's toCsv) and JSON. A withheld count takes three columns in CSV — the figure or
 * "不公开", and the low and high ends of its range — so a spreadsheet can use the range too.
 */

import { translatePublic } from '../i18n/public';
import { toCsv } from '../list/csv';
import type { Lang } from '../state/url';
import { isPublished, rateCsv } from './format';
import type { TableSpec } from './tableSpec';

export function tableCsv(spec: TableSpec, lang: Lang): string {
  const header: string[] = [spec.rowHeader];
  for (const col of spec.columns) {
    header.push(col.label);
    if (col.kind === 'count') {
      header.push(translatePublic(lang, 'col_low', { name: col.label }), translatePublic(lang, 'col_high', { name: col.label }));
    }
  }
  const rows = [...spec.rows, ...(spec.footer ? [spec.footer] : [])].map((row) => {
    const out: Array<string | number> = [row.head];
    row.cells.forEach((cell) => {
      if (cell.kind === 'count') {
        const c = cell.count;
        if (isPublished(c)) out.push(c.value, c.value, c.value);
        else out.push(translatePublic(lang, 'withheld', {}), c.low, c.high);
      } else if (cell.kind === 'rate') {
        out.push(rateCsv(cell.value));
      } else if (cell.kind === 'number') {
        out.push(cell.value === null || !Number.isFinite(cell.value) ? '' : cell.value);
      } else {
        out.push(cell.text);
      }
    });
    return out;
  });
  return toCsv(header, rows);
}

export function tableJson(spec: TableSpec): string {
  return `${JSON.stringify(spec.json, null, 2)}\n`;
}
