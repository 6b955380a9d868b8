/**
 * The map legend: the shading's classes for the active metric (township labels show the same
 * count of issues or teams), then the enterprise points' colours; cluster badges count enterprises.
 */
import { enumLabel, formatNumber, type Key, t } from '../i18n';
import { legend, WARNING_HEX } from '../map/scale';
import { breaksFor, metricValues, rampFor } from '../map/shading';
import type { Snapshot } from '../state/store';
import { type Metric, WARNINGS } from '../state/url';
import { el } from '../ui/dom';

export const METRIC_KEY: Record<Metric, Key> = {
  open: 'm_open',
  overdue: 'm_overdue',
  enterprises: 'm_enterprises',
  teams: 'm_teams',
  gaps: 'm_gaps',
  rate: 'm_rate',
};

export function renderLegend(box: HTMLElement, snap: Snapshot): void {
  const m = snap.ui.metric;
  const items = legend(breaksFor(m, metricValues(snap)), rampFor(m));
  const pct = m === 'rate' ? '%' : '';
  box.replaceChildren(el('h2', { class: 'legend-title' }, `${t('legend')} · ${t(METRIC_KEY[m])}`));
  const ul = el('ul', {});
  for (const it of items) {
    const sw = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    sw.style.background = it.color;
    const range = it.from === it.to ? formatNumber(it.from) : `${formatNumber(it.from)}–${formatNumber(it.to)}`;
    ul.append(el('li', {}, sw, `${range}${pct}`));
  }
  box.append(ul, el('p', { class: 'legend-note' }, t('legendLabels', { metric: t(METRIC_KEY[m]) })));
  box.append(el('h2', { class: 'legend-title' }, t('points')));
  const wl = el('ul', { class: 'legend-points' });
  for (const w of WARNINGS) {
    const dot = el('span', { class: 'dot', 'aria-hidden': 'true' });
    dot.style.background = WARNING_HEX[w]!;
    wl.append(el('li', {}, dot, enumLabel(w === 'NONE' ? null : w)));
  }
  const badge = el('span', { class: 'legend-badge', 'aria-hidden': 'true' }, '12');
  wl.append(el('li', { class: 'legend-clusters' }, badge, t('legendClusters')));
  box.append(wl);
}
