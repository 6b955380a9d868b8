/** Coverage matrix: townships × issue categories; a cell lists the teams, uncovered cells are marked. */
import type { CoverageRow } from '../api/townships';
import { enumLabel, t } from '../i18n';
import { CATEGORIES } from '../state/url';
import { el } from '../ui/dom';

export function coverageMatrix(
  all: CoverageRow[],
  onTownship: (code: string) => void,
  townships: readonly string[] = [],
  categories: readonly string[] = [],
): HTMLElement {
  const rows = townships.length ? all.filter((r) => townships.includes(r.township.code)) : all;
  const table = el('table', { class: 'matrix' });
  table.append(el('caption', {}, t('coverageTitle'), el('div', { class: 'muted small' }, t('coverageHint'))));
  const head = el('tr', {}, el('th', { scope: 'col' }, t('township')));
  for (const c of CATEGORIES) head.append(el('th', { scope: 'col', class: categories.includes(c) ? 'focus-col' : null }, enumLabel(c)));
  head.append(el('th', { scope: 'col', class: 'num' }, t('gaps')));
  table.append(el('thead', {}, head));
  const body = el('tbody');
  for (const row of rows) {
    const name = el('button', { type: 'button', class: 'linkish' }, row.township.name);
    name.addEventListener('click', () => onTownship(row.township.code));
    const tr = el('tr', { 'data-code': row.township.code }, el('th', { scope: 'row' }, name));
    for (const c of CATEGORIES) {
      const cell = row.categories.find((x) => x.category === c);
      if (!cell?.covered) {
        tr.append(
          el(
            'td',
            { class: `gap${categories.includes(c) ? ' focus-col' : ''}`, 'data-covered': 'false' },
            el('span', { 'aria-hidden': 'true' }, '✕'),
            el('span', { class: 'sr-only' }, t('uncovered')),
          ),
        );
      } else {
        const names = cell.teams.map((x) => x.name);
        const td = el(
          'td',
          { class: `covered${categories.includes(c) ? ' focus-col' : ''}`, 'data-covered': 'true', title: names.join('\n') },
          el('span', { class: 'count' }, String(names.length)),
          el('span', { class: 'sr-only' }, `${t('covered')}: ${names.join('、')}`),
        );
        tr.append(td);
      }
    }
    tr.append(el('td', { class: `num ${row.gaps.length ? 'gap-count' : ''}` }, String(row.gaps.length)));
    body.append(tr);
  }
  table.append(body);
  return el('div', { class: 'matrix-wrap', tabindex: '0', role: 'region', 'aria-label': t('coverageTitle') }, table);
}
