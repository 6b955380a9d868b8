/** The list: enterprises / issues / teams tabs, sortable columns, cursor pagination, CSV of the current filter. */
import { type Connection, fetchAll, request } from '../api/client';
import { ENTERPRISES } from '../api/enterprises';
import { ISSUES } from '../api/issues';
import { TEAMS } from '../api/teams';
import { enumLabel, formatDateTime, formatNumber, type Key, t } from '../i18n';
import { warningBadge } from '../pages/panels';
import { hasActiveFilters } from '../state/store';
import type { AppState, ListTab, Sort } from '../state/url';
import { el } from '../ui/dom';
import { errorText } from '../views/errors';
import { csvTime, download, toCsv } from './csv';

type Row = Record<string, unknown> & { id: string };

interface Column {
  key: Key;
  sort?: string;
  num?: boolean;
  cell(r: Row): string | Node;
  csv(r: Row): unknown;
}

const get = (r: Row, path: string): unknown => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | null)?.[k], r);

export interface ListHost {
  state(): AppState;
  variables(tab: ListTab): Record<string, unknown>;
  openEnterprise(id: string): void;
  hover(id: string | null, location?: { lon: number; lat: number }): void;
  setSort(sort: Sort | null): void;
  setTab(tab: ListTab): void;
  setOnlyMap(on: boolean): void;
  clearFilters(): void;
}

/** One page of a tab's connection, and all its rows (for the CSV); rows are read by column. */
interface TabQuery {
  page(variables: Record<string, unknown>): Promise<Connection<Row>>;
  all(variables: Record<string, unknown>): Promise<Row[]>;
}

const TAB_QUERIES: Record<ListTab, TabQuery> = {
  enterprises: {
    page: async (v) => (await request(ENTERPRISES, v)).enterprises,
    all: (v) => fetchAll(ENTERPRISES, (d) => d.enterprises, v),
  },
  issues: {
    page: async (v) => (await request(ISSUES, v)).issues,
    all: (v) => fetchAll(ISSUES, (d) => d.issues, v),
  },
  teams: {
    page: async (v) => (await request(TEAMS, v)).serviceTeams,
    all: (v) => fetchAll(TEAMS, (d) => d.serviceTeams, v),
  },
};

export class ListView {
  readonly root = el('section', { class: 'list-view', 'aria-labelledby': 'list-heading' });
  private readonly body = el('div', { class: 'list-body' });
  private readonly status = el('p', { class: 'list-status', role: 'status', 'aria-live': 'polite' });
  private cursors: Array<string | null> = [null];
  private pageIndex = 0;
  private seq = 0;

  constructor(private readonly host: ListHost) {}

  private columns(tab: ListTab): Column[] {
    const entName = (r: Row): Node => {
      const b = el('button', { type: 'button', class: 'linkish' }, String(r.name));
      b.addEventListener('click', () => this.host.openEnterprise(r.id));
      return b;
    };
    if (tab === 'enterprises')
      return [
        { key: 'name', sort: 'NAME', cell: entName, csv: (r) => r.name },
        { key: 'uscc', sort: 'USCC', cell: (r) => String(r.uscc), csv: (r) => r.uscc },
        { key: 'township', cell: (r) => String(get(r, 'township.name')), csv: (r) => get(r, 'township.name') },
        { key: 'industry', cell: (r) => String(r.industry), csv: (r) => r.industry },
        {
          key: 'size',
          cell: (r) => `${enumLabel(String(r.size))}${r.aboveScale ? ` · ${t('aboveScale')}` : ''}`,
          csv: (r) => enumLabel(String(r.size)),
        },
        { key: 'risk', cell: (r) => enumLabel(String(r.riskColor)), csv: (r) => enumLabel(String(r.riskColor)) },
        {
          key: 'openIssues',
          sort: 'OPEN_ISSUE_COUNT',
          num: true,
          cell: (r) => formatNumber(Number(r.openIssueCount)),
          csv: (r) => r.openIssueCount,
        },
      ];
    if (tab === 'issues')
      return [
        { key: 'number', sort: 'NUMBER', cell: (r) => String(r.number), csv: (r) => r.number },
        { key: 'title', cell: (r) => String(r.title), csv: (r) => r.title },
        {
          key: 'enterprise',
          cell: (r) => {
            const b = el('button', { type: 'button', class: 'linkish' }, String(get(r, 'enterprise.name')));
            b.addEventListener('click', () => this.host.openEnterprise(String(get(r, 'enterprise.id'))));
            return b;
          },
          csv: (r) => get(r, 'enterprise.name'),
        },
        { key: 'category', cell: (r) => enumLabel(String(r.category)), csv: (r) => enumLabel(String(r.category)) },
        { key: 'status', sort: 'STATUS', cell: (r) => enumLabel(String(r.status)), csv: (r) => enumLabel(String(r.status)) },
        {
          key: 'warning',
          cell: (r) => warningBadge((r.warningColor as string | null) ?? null),
          csv: (r) => (r.warningColor ? enumLabel(String(r.warningColor)) : ''),
        },
        { key: 'priority', sort: 'PRIORITY', cell: (r) => enumLabel(String(r.priority)), csv: (r) => enumLabel(String(r.priority)) },
        {
          key: 'reportedAt',
          sort: 'REPORTED_AT',
          cell: (r) => formatDateTime(String(r.reportedAt)),
          csv: (r) => csvTime(String(r.reportedAt)),
        },
        { key: 'deadline', sort: 'DEADLINE', cell: (r) => formatDateTime(String(r.deadline)), csv: (r) => csvTime(String(r.deadline)) },
        { key: 'leadTeam', cell: (r) => String(get(r, 'leadTeam.name') ?? '—'), csv: (r) => get(r, 'leadTeam.name') ?? '' },
      ];
    return [
      { key: 'name', cell: (r) => String(r.name), csv: (r) => r.name },
      { key: 'kind', cell: (r) => enumLabel(String(r.kind)), csv: (r) => enumLabel(String(r.kind)) },
      { key: 'leadDept', cell: (r) => String(get(r, 'leadDepartment.name')), csv: (r) => get(r, 'leadDepartment.name') },
      { key: 'leader', cell: (r) => String(get(r, 'leader.name') ?? '—'), csv: (r) => get(r, 'leader.name') ?? '' },
      {
        key: 'specialities',
        cell: (r) => (r.specialities as string[]).map((s) => enumLabel(s)).join('、'),
        csv: (r) => (r.specialities as string[]).map((x) => enumLabel(x)).join(' '),
      },
      {
        key: 'townshipsCovered',
        num: true,
        cell: (r) => String((r.townships as unknown[]).length),
        csv: (r) => (r.townships as Array<{ name: string }>).map((x) => x.name).join(' '),
      },
      { key: 'openIssues', num: true, cell: (r) => formatNumber(Number(r.openIssueCount)), csv: (r) => r.openIssueCount },
    ];
  }

  /** Rebuild the chrome (tabs, toggle, CSV) and load page 1. */
  render(): void {
    const s = this.host.state();
    this.cursors = [null];
    this.pageIndex = 0;
    const tabs = el('div', { class: 'tabs', role: 'tablist', 'aria-label': t('viewList') });
    for (const tab of ['enterprises', 'issues', 'teams'] as const) {
      const b = el(
        'button',
        {
          type: 'button',
          role: 'tab',
          id: `tab-${tab}`,
          'aria-selected': String(s.tab === tab),
          'aria-controls': 'list-panel',
          tabindex: s.tab === tab ? '0' : '-1',
        },
        t(tab),
      );
      b.addEventListener('click', () => this.host.setTab(tab));
      b.addEventListener('keydown', (ev) => {
        const order = ['enterprises', 'issues', 'teams'] as const;
        const i = order.indexOf(tab);
        if (ev.key === 'ArrowRight' || ev.key === 'ArrowLeft') {
          const next = order[(i + (ev.key === 'ArrowRight' ? 1 : 2)) % 3]!;
          this.host.setTab(next);
          queueMicrotask(() => document.getElementById(`tab-${next}`)?.focus());
        }
      });
      tabs.append(b);
    }
    const only = el('input', { type: 'checkbox', id: 'only-map' });
    only.checked = s.onlyMap;
    only.addEventListener('change', () => this.host.setOnlyMap(only.checked));
    const csv = el('button', { type: 'button', class: 'btn', id: 'csv' }, t('csv'));
    csv.addEventListener('click', () => void this.downloadCsv(csv));
    const tools = el('div', { class: 'list-tools' }, el('label', { class: 'check', for: 'only-map' }, only, ' ', t('onlyMap')), csv);
    this.root.replaceChildren(
      el('h2', { id: 'list-heading', class: 'sr-only' }, t('viewList')),
      el('div', { class: 'list-head' }, tabs, tools),
      this.status,
      el('div', { id: 'list-panel', role: 'tabpanel', 'aria-labelledby': `tab-${s.tab}` }, this.body),
    );
    void this.load();
  }

  async load(): Promise<void> {
    const s = this.host.state();
    const seq = ++this.seq;
    const vars: Record<string, unknown> = { ...this.host.variables(s.tab), first: 25, after: this.cursors[this.pageIndex] ?? null };
    this.root.setAttribute('aria-busy', 'true');
    this.status.className = 'list-status';
    this.status.textContent = t('loading');
    try {
      const conn = await TAB_QUERIES[s.tab].page(vars);
      if (seq !== this.seq) return;
      this.cursors[this.pageIndex + 1] = conn.pageInfo.endCursor ?? null;
      this.root.dataset.total = String(conn.totalCount);
      if (!conn.nodes.length && this.pageIndex === 0) {
        this.renderEmpty(s);
        return;
      }
      this.renderTable(s, conn);
      this.status.textContent = `${t('total', { n: formatNumber(conn.totalCount) })} · ${t('page', { n: this.pageIndex + 1 })}`;
    } catch (err) {
      if (seq !== this.seq) return;
      // Rows of an earlier answer would read as this filter's: they go, the error stays.
      this.body.replaceChildren();
      delete this.root.dataset.total;
      this.status.className = 'list-status alert';
      this.status.textContent = t('loadFailed') + errorText(err);
      const retry = el('button', { type: 'button', class: 'btn', id: 'list-retry' }, t('retry'));
      retry.addEventListener('click', () => void this.load());
      this.status.append(' ', retry);
    } finally {
      if (seq === this.seq) this.root.setAttribute('aria-busy', 'false');
    }
  }

  /** No rows: say so, and offer to clear the filters when some are set. */
  private renderEmpty(s: AppState): void {
    const filtered = hasActiveFilters(s.filters) || s.onlyMap;
    this.status.textContent = t('total', { n: formatNumber(0) });
    const box = el('div', { class: 'empty-state', id: 'list-empty' }, el('p', {}, filtered ? t('emptyResults') : t('emptyNoFilters')));
    if (filtered) {
      const clear = el('button', { type: 'button', class: 'btn', id: 'list-clear-filters' }, t('clearFilters'));
      clear.addEventListener('click', () => {
        if (s.onlyMap) this.host.setOnlyMap(false);
        this.host.clearFilters();
      });
      box.append(clear);
    }
    this.body.replaceChildren(box);
  }

  private renderTable(s: AppState, conn: Connection<Row>): void {
    const cols = this.columns(s.tab);
    const table = el('table', { class: 'data-table' });
    const tr = el('tr');
    for (const c of cols) {
      const th = el('th', { scope: 'col', class: c.num ? 'num' : '' });
      if (c.sort) {
        const active = s.sort?.field === c.sort;
        th.setAttribute('aria-sort', active ? (s.sort!.dir === 'ASC' ? 'ascending' : 'descending') : 'none');
        const b = el(
          'button',
          { type: 'button', class: 'sort' },
          t(c.key),
          el('span', { 'aria-hidden': 'true', class: 'arrow' }, active ? (s.sort!.dir === 'ASC' ? ' ▲' : ' ▼') : ' ↕'),
        );
        b.addEventListener('click', () => this.host.setSort({ field: c.sort!, dir: active && s.sort!.dir === 'ASC' ? 'DESC' : 'ASC' }));
        th.append(b);
      } else th.textContent = t(c.key);
      tr.append(th);
    }
    table.append(el('thead', {}, tr));
    const body = el('tbody');
    for (const r of conn.nodes) {
      const entId = s.tab === 'enterprises' ? r.id : s.tab === 'issues' ? String(get(r, 'enterprise.id')) : null;
      const row = el('tr', { 'data-id': r.id, 'data-enterprise': entId });
      for (const c of cols) row.append(el('td', { class: c.num ? 'num' : null, 'data-label': t(c.key) }, c.cell(r)));
      if (entId) {
        const loc = (r.location as { lon: number; lat: number } | undefined) ?? undefined;
        row.addEventListener('mouseenter', () => this.host.hover(entId, loc));
        row.addEventListener('mouseleave', () => this.host.hover(null));
        row.addEventListener('focusin', () => this.host.hover(entId, loc));
      }
      body.append(row);
    }
    table.append(body);
    const prev = el('button', { type: 'button', class: 'btn', id: 'prev-page' }, t('prev'));
    prev.disabled = this.pageIndex === 0;
    prev.addEventListener('click', () => {
      this.pageIndex--;
      void this.load();
    });
    const next = el('button', { type: 'button', class: 'btn', id: 'next-page' }, t('next'));
    next.disabled = !conn.pageInfo.hasNextPage;
    next.addEventListener('click', () => {
      this.pageIndex++;
      void this.load();
    });
    this.body.replaceChildren(
      el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-labelledby': `tab-${s.tab}` }, table),
      el('nav', { class: 'pager', 'aria-label': t('page', { n: '' }) }, prev, next),
    );
  }

  /** Highlight the rows of an enterprise hovered on the map. */
  highlightRow(enterpriseId: string | null): void {
    for (const r of this.body.querySelectorAll('tr.hl')) r.classList.remove('hl');
    if (!enterpriseId) return;
    for (const r of this.body.querySelectorAll('tr[data-enterprise]')) {
      if ((r as HTMLElement).dataset.enterprise === enterpriseId) r.classList.add('hl');
    }
  }

  private async downloadCsv(button: HTMLButtonElement): Promise<void> {
    const s = this.host.state();
    button.disabled = true;
    button.textContent = t('csvBusy');
    try {
      const rows = await TAB_QUERIES[s.tab].all(this.host.variables(s.tab));
      const cols = this.columns(s.tab);
      const csv = toCsv(
        cols.map((c) => t(c.key)),
        rows.map((r) => cols.map((c) => c.csv(r))),
      );
      download(`yimi-${s.tab}.csv`, csv, 'text/csv;charset=utf-8');
    } catch (err) {
      this.status.textContent = t('loadFailed') + errorText(err);
    } finally {
      button.disabled = false;
      button.textContent = t('csv');
    }
  }
}
