/**
 * The summary strip: the county's figures for the active filters (open, overdue, due this week,
 * on-time rate, satisfaction), the first thing a leader looks at. It follows the filters.
 */
import { formatNumber, formatPercent, type Key, t } from '../i18n';
import { hasActiveFilters, type Snapshot } from '../state/store';
import { el } from '../ui/dom';

export function renderSummary(box: HTMLElement, snap: Snapshot): void {
  const s = snap.data.summary;
  box.setAttribute('aria-label', t('summary'));
  box.setAttribute('aria-busy', String(snap.loads.summary === 'loading'));
  if (!s) {
    const failed = snap.loads.summary === 'error';
    box.replaceChildren(
      el(
        'p',
        { class: failed ? 'summary-note alert' : 'summary-note' },
        failed ? t('loadFailed') + (snap.errors.summary ?? '') : t('loading'),
      ),
    );
    return;
  }
  const stat = (key: Key, value: string, name: string, warn = false): HTMLElement =>
    el(
      'div',
      { class: `summary-stat${warn ? ' warn' : ''}`, 'data-stat': name },
      el('span', { class: 'summary-value' }, value),
      el('span', { class: 'summary-label' }, t(key)),
    );
  const list = el(
    'div',
    { class: 'summary-stats' },
    stat('m_open', formatNumber(s.open), 'open'),
    stat('m_overdue', formatNumber(s.overdue), 'overdue', s.overdue > 0),
    stat('dueThisWeek', formatNumber(s.dueThisWeek), 'dueThisWeek'),
    stat('onTimeRate', formatPercent(s.onTimeRate), 'onTimeRate'),
    stat('satisfactionRate', formatPercent(s.satisfactionRate), 'satisfactionRate'),
  );
  const scope = hasActiveFilters(snap.ui.filters)
    ? t('summaryFiltered', { n: formatNumber(s.total) })
    : t('summaryCounty', { n: formatNumber(s.total) });
  box.replaceChildren(el('h2', { class: 'summary-scope' }, scope), list);
}
