/** "How these numbers are made" (口径说明): every figure's definition in plain words, with the API's threshold. */
import { type PublicKey, pt } from '../i18n/public';
import { el } from '../ui/dom';
import { DEFINITIONS_ID, WITHHELD_DEF_ID } from './tables';

const ITEMS: ReadonlyArray<[string, PublicKey]> = [
  ['def-year', 'def_year'],
  ['def-reported', 'def_reported'],
  ['def-resolved', 'def_resolved'],
  ['def-open', 'def_open'],
  ['def-overdue', 'def_overdue'],
  ['def-on-time', 'def_onTime'],
  ['def-satisfaction', 'def_satisfaction'],
  ['def-rates', 'def_rates'],
  ['def-median', 'def_median'],
  ['def-enterprises', 'def_enterprises'],
  ['def-visits', 'def_visits'],
  [WITHHELD_DEF_ID, 'def_withheld'],
  ['def-range', 'def_range'],
  ['def-release', 'def_release'],
  ['def-privacy', 'def_privacy'],
];

/** Each definition reads "term: explanation"; the term before the first colon is set in bold. */
function definition(id: string, text: string): HTMLElement {
  const m = /^([^:：]+[:：])\s*(.*)$/s.exec(text);
  return el('li', { id, tabindex: id === WITHHELD_DEF_ID ? '-1' : null }, m ? el('strong', {}, m[1]!) : '', m ? ` ${m[2]!}` : text);
}

export function renderDefinitions(threshold: number): HTMLElement {
  return el(
    'section',
    { class: 'public-section definitions', id: DEFINITIONS_ID, 'aria-labelledby': 'definitions-title' },
    el('h2', { id: 'definitions-title' }, pt('definitions')),
    el('p', {}, pt('definitionsIntro')),
    el('p', { class: 'threshold', id: 'def-threshold' }, pt('def_threshold', { threshold })),
    el('ul', { class: 'definition-list' }, ...ITEMS.map(([id, key]) => definition(id, pt(key, { threshold })))),
  );
}
