/**
 * HTML tables of the public page (the accessible alternative to each chart), each with CSV and JSON
 * downloads. A withheld figure is a link to the definitions with its explanation as a tooltip that
 * shows on hover and on keyboard focus and is read out as the link's description.
 */

import { getLang } from '../i18n';
import { pt } from '../i18n/public';
import { download } from '../list/csv';
import { el } from '../ui/dom';
import { tableCsv, tableJson } from './csv';
import { countText, daysText, isPublished, rateText, withheldExplanation } from './format';
import type { SpecCell, SpecRow, TableSpec } from './tableSpec';
import type { PublicCount } from './types';

export const DEFINITIONS_ID = 'definitions';
export const WITHHELD_DEF_ID = 'def-withheld';

let tipSeq = 0;

/** A withheld figure: "不公开（386–390）" linking to the definition, with why on hover and focus. */
export function withheldFigure(count: PublicCount, threshold: number, text = countText(count, getLang())): HTMLElement {
  const id = `tip-${++tipSeq}`;
  return el(
    'span',
    { class: 'withheld' },
    el('a', { class: 'withheld-link', href: `#${WITHHELD_DEF_ID}`, 'aria-describedby': id }, text),
    el('span', { class: 'tip', role: 'tooltip', id }, withheldExplanation(count, threshold, getLang())),
  );
}

/** A rate or median that the API did not publish: "—" with why, for hover and screen readers. */
export function notPublished(reason: string): HTMLElement {
  return el(
    'abbr',
    { class: 'not-published', title: reason },
    el('span', { 'aria-hidden': 'true' }, '—'),
    el('span', { class: 'sr-only' }, reason),
  );
}

function cellContent(cell: SpecCell, threshold: number): Node | string {
  const lang = getLang();
  switch (cell.kind) {
    case 'count':
      return isPublished(cell.count) ? countText(cell.count, lang) : withheldFigure(cell.count, threshold);
    case 'rate':
      return cell.value === null ? notPublished(pt('rateNotPublished')) : rateText(cell.value, lang);
    case 'number':
      return cell.value === null ? notPublished(pt('medianNotPublished')) : daysText(cell.value, lang);
    default:
      return cell.text;
  }
}

function tableRow(row: SpecRow, threshold: number): HTMLTableRowElement {
  const tr = el('tr', { 'data-key': row.key }, el('th', { scope: 'row' }, row.head));
  for (const cell of row.cells) {
    const withheld = cell.kind === 'count' && !isPublished(cell.count);
    tr.append(el('td', { class: cell.kind === 'text' ? null : `num${withheld ? ' is-withheld' : ''}` }, cellContent(cell, threshold)));
  }
  return tr;
}

/** The download buttons of a table; their names say which table ("下载 CSV：每月受理与办结"). */
function downloads(spec: TableSpec): HTMLElement {
  const button = (label: string, kind: 'csv' | 'json'): HTMLButtonElement => {
    const b = el(
      'button',
      { type: 'button', class: 'btn download', 'data-download': kind },
      label,
      el('span', { class: 'sr-only' }, `${getLang() === 'en' ? ': ' : '：'}${spec.title}`),
    );
    b.addEventListener('click', () => {
      if (kind === 'csv') download(`${spec.fileName}.csv`, tableCsv(spec, getLang()), 'text/csv;charset=utf-8');
      else download(`${spec.fileName}.json`, tableJson(spec), 'application/json;charset=utf-8');
    });
    return b;
  };
  return el('div', { class: 'downloads' }, button(pt('downloadCsv'), 'csv'), button(pt('downloadJson'), 'json'));
}

/** The table and its downloads. The wrapper scrolls sideways on a phone, so it is focusable and named. */
export function renderTable(spec: TableSpec): HTMLElement {
  const captionId = `${spec.id}-caption`;
  const head = el(
    'tr',
    {},
    el('th', { scope: 'col' }, spec.rowHeader),
    ...spec.columns.map((c) => el('th', { scope: 'col', class: c.kind === 'text' ? null : 'num' }, c.label)),
  );
  const body = el('tbody', {}, ...spec.rows.map((r) => tableRow(r, spec.threshold)));
  const table = el(
    'table',
    { class: 'data-table public-table', id: `${spec.id}-table` },
    el('caption', { id: captionId }, pt('table', { title: spec.title })),
    el('thead', {}, head),
    body,
  );
  if (spec.footer) table.append(el('tfoot', {}, tableRow(spec.footer, spec.threshold)));
  const scroller = el('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-labelledby': captionId }, table);
  return el('div', { class: 'table-block', 'data-table': spec.id }, scroller, downloads(spec));
}
