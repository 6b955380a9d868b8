/** The filter bar: township, category, warning, above-scale, search; the shading metric and the tiles switch. */

import type { IssueQueue, IssueStatus } from '../api/generated/graphql';
import { enumLabel, type Key, t } from '../i18n';
import type { Store } from '../state/store';
import { CATEGORIES, type Category, METRICS, type Metric, STATUSES, WARNINGS, type WarningName } from '../state/url';
import { el } from '../ui/dom';
import { METRIC_KEY } from './legend';

const QUEUE_KEY: Record<IssueQueue, Key> = {
  TEAM_TO_ACCEPT: 'q_teamToAccept',
  TEAM_IN_PROGRESS: 'q_teamInProgress',
  TEAM_OVERDUE: 'q_teamOverdue',
  TO_DISPATCH: 'q_toDispatch',
  RETURNED: 'q_returned',
  EXTENSIONS_TO_DECIDE: 'q_extensionsToDecide',
  TO_CONFIRM: 'q_toConfirm',
  MY_ENTERPRISES: 'q_myEnterprises',
};

/** The work queues of each role, in the order they are offered. */
const ROLE_QUEUES: Record<string, readonly IssueQueue[]> = {
  team_member: ['TEAM_TO_ACCEPT', 'TEAM_IN_PROGRESS', 'TEAM_OVERDUE'],
  dispatcher: ['TO_DISPATCH', 'RETURNED', 'EXTENSIONS_TO_DECIDE', 'TO_CONFIRM'],
  admin: ['TO_DISPATCH', 'RETURNED', 'EXTENSIONS_TO_DECIDE', 'TO_CONFIRM'],
  commissioner: ['MY_ENTERPRISES', 'TO_CONFIRM'],
};

export function queuesFor(roles: readonly string[]): IssueQueue[] {
  return [...new Set(roles.flatMap((r) => ROLE_QUEUES[r] ?? []))];
}

export class FilterBar {
  readonly root = el('form', { class: 'filter-bar', role: 'search' });
  private searchTimer = 0;

  constructor(
    private readonly store: Store,
    private readonly tileUrl: string | null,
    /** The work queues of the signed-in person's roles (none: no queue choice). */
    private readonly queues: readonly IssueQueue[] = [],
  ) {
    this.root.addEventListener('submit', (ev) => {
      ev.preventDefault();
      clearTimeout(this.searchTimer);
      this.store.setFilters({ search: this.input('f-search')?.value ?? '' });
    });
  }

  render(): void {
    const s = this.store.state;
    const f = this.root;
    f.replaceChildren(el('h2', { class: 'sr-only' }, t('filters')));
    f.setAttribute('aria-label', t('filters'));
    const field = (id: string, key: Key, control: HTMLElement): HTMLElement =>
      el('div', { class: 'field inline' }, el('label', { for: id }, t(key)), control);

    const tw = el('select', { id: 'f-township' });
    tw.addEventListener('change', () => this.store.setFilters({ townships: tw.value ? [tw.value] : [] }));
    f.append(field('f-township', 'township', tw));

    const cat = el('select', { id: 'f-category' }, el('option', { value: '' }, t('allCategories')));
    for (const c of CATEGORIES) cat.append(el('option', { value: c }, enumLabel(c)));
    cat.addEventListener('change', () => this.store.setFilters({ categories: cat.value ? [cat.value as Category] : [] }));
    f.append(field('f-category', 'category', cat));

    const warn = el('select', { id: 'f-warning' }, el('option', { value: '' }, t('allWarnings')));
    for (const w of WARNINGS) warn.append(el('option', { value: w }, enumLabel(w === 'NONE' ? null : w)));
    warn.addEventListener('change', () => this.store.setFilters({ warnings: warn.value ? [warn.value as WarningName] : [] }));
    f.append(field('f-warning', 'warning', warn));

    const st = el('select', { id: 'f-status' }, el('option', { value: '' }, t('allStatuses')));
    for (const x of STATUSES) st.append(el('option', { value: x }, enumLabel(x)));
    st.addEventListener('change', () => this.store.setFilters({ statuses: st.value ? [st.value as IssueStatus] : [] }));
    f.append(field('f-status', 'status', st));

    if (this.queues.length) {
      const queue = el('select', { id: 'f-queue' }, el('option', { value: '' }, t('noQueue')));
      for (const x of this.queues) queue.append(el('option', { value: x }, t(QUEUE_KEY[x])));
      // A queue is a list of issues to work through: it opens the issue list.
      queue.addEventListener('change', () => {
        const q = (queue.value || null) as IssueQueue | null;
        this.store.update({
          filters: { ...this.store.state.filters, queue: q },
          ...(q ? { view: 'list' as const, tab: 'issues' as const } : {}),
        });
      });
      f.append(field('f-queue', 'myQueue', queue));
    }

    const above = el(
      'select',
      { id: 'f-above' },
      el('option', { value: '' }, t('any')),
      el('option', { value: '1' }, t('yes')),
      el('option', { value: '0' }, t('no')),
    );
    above.addEventListener('change', () => this.store.setFilters({ aboveScale: above.value === '' ? null : above.value === '1' }));
    f.append(field('f-above', 'aboveScale', above));

    const q = el('input', { id: 'f-search', type: 'search', placeholder: t('searchPlaceholder'), size: '22' });
    q.addEventListener('input', () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = window.setTimeout(() => this.store.setFilters({ search: q.value }), 400);
    });
    f.append(field('f-search', 'search', q));

    const reset = el('button', { type: 'button', class: 'btn ghost', id: 'f-reset' }, t('reset'));
    reset.addEventListener('click', () => this.store.clearFilters());
    f.append(reset, el('div', { class: 'spacer' }));

    const metric = el('select', { id: 'metric' });
    for (const m of METRICS) metric.append(el('option', { value: m }, t(METRIC_KEY[m])));
    metric.addEventListener('change', () => this.store.update({ metric: metric.value as Metric }));
    f.append(field('metric', 'metric', metric));

    const tiles = el('input', { type: 'checkbox', id: 'tiles' });
    tiles.checked = s.tiles && !!this.tileUrl;
    tiles.disabled = !this.tileUrl;
    tiles.addEventListener('change', () => this.store.update({ tiles: tiles.checked }));
    f.append(el('label', { class: 'check', for: 'tiles', title: this.tileUrl ? '' : t('tilesUnavailable') }, tiles, ' ', t('tiles')));

    this.fillTownships();
    this.sync();
  }

  /** The township choices, once the townships have loaded. */
  fillTownships(): void {
    const tw = this.root.querySelector<HTMLSelectElement>('#f-township');
    if (!tw) return;
    tw.replaceChildren(el('option', { value: '' }, t('allTownships')));
    for (const x of this.store.data.townships) tw.append(el('option', { value: x.code }, x.name));
    tw.value = this.store.state.filters.townships[0] ?? '';
  }

  /** Show the store's filters (after Back, a reset, or a link). */
  sync(): void {
    const s = this.store.state;
    const f = s.filters;
    const set = (id: string, v: string): void => {
      const n = this.input(id);
      if (n && n.value !== v) n.value = v;
    };
    set('f-township', f.townships[0] ?? '');
    set('f-category', f.categories[0] ?? '');
    set('f-warning', f.warnings[0] ?? '');
    set('f-status', f.statuses[0] ?? '');
    set('f-queue', f.queue ?? '');
    set('f-above', f.aboveScale === null ? '' : f.aboveScale ? '1' : '0');
    set('f-search', f.search);
    set('metric', s.metric);
  }

  dispose(): void {
    clearTimeout(this.searchTimer);
  }

  private input(id: string): HTMLInputElement | HTMLSelectElement | null {
    return this.root.querySelector<HTMLInputElement | HTMLSelectElement>(`#${id}`);
  }
}
