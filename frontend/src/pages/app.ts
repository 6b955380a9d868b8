/** The staff dashboard: header, filters, map, list, coverage, side panel; state mirrored in the URL. */
import L from 'leaflet';
import { graphqlRequest, isForbidden } from '../api/graphql';
import { LiveIssues, wsUrl, type IssueChangeEvent } from '../api/live';
import {
  ALL_TEAMS, COVERAGE, ENTERPRISE_DETAIL, MAP_LAYER, SIGN_OUT, TOWNSHIPS,
  type CoverageRow, type StaffRef, type TeamRef, type Township,
} from '../api/queries';
import { enumLabel, formatNumber, formatPercent, roleLabel, setLang, t, type Key } from '../i18n';
import { ListView } from '../list/listView';
import type { PointFeature } from '../map/clusters';
import { MapView, type Shading } from '../map/mapView';
import { breaks, colorFor, GAP_RAMP, legend, PERCENT_BREAKS, RAMP, WARNING_HEX } from '../map/scale';
import { enterpriseFilter, issueFilter, teamFilter, warningMatches } from '../state/filters';
import {
  CATEGORIES, differsBeyondPosition, METRICS, parseState, serializeState, WARNINGS,
  type AppState, type ListTab, type Metric,
} from '../state/url';
import { el } from '../ui/dom';
import { coverageMatrix } from './coverage';
import { enterpriseProfile, issueCard, townshipPanel, type EnterpriseDetail } from './panels';
import { importEntry } from './imports';
import { actionsFor, renderActions, renderForm, reportSpec } from './workflow';

/** What the dashboard needs from the session shell. */
export interface AppHost {
  /** The user signed out (the signOut mutation succeeded): show the sign-in screen. */
  signedOut(): void;
}

/** An error message for the user: FORBIDDEN gets a plain sentence instead of the server's. */
function errorText(err: unknown): string {
  if (isForbidden(err)) return t('forbidden');
  return err instanceof Error ? err.message : String(err);
}

/**
 * Absolute from the start: the module may run before styles.css has loaded, and Leaflet makes a
 * container it finds static `position: relative` (height 0 here). Set through the CSSOM, which the
 * Content-Security-Policy allows (it refuses style attributes).
 */
function absolute(node: HTMLElement): HTMLElement {
  node.style.position = 'absolute';
  node.style.inset = '0';
  return node;
}

const METRIC_KEY: Record<Metric, Key> = { open: 'm_open', overdue: 'm_overdue', enterprises: 'm_enterprises', teams: 'm_teams', gaps: 'm_gaps', rate: 'm_rate' };

export class App {
  private state: AppState;
  private townships: Township[] = [];
  private coverage: CoverageRow[] = [];
  private features: PointFeature[] = [];
  private teams: TeamRef[] = [];
  private readonly header = el('header', { class: 'site-header' });
  private readonly filterBar = el('form', { class: 'filter-bar', role: 'search' });
  private readonly workspace = el('div', { class: 'workspace' });
  private readonly mapBox = el('div', { class: 'map-box' });
  private readonly mapEl = absolute(el('div', { id: 'map', class: 'map' }));
  private readonly panel = el('aside', { class: 'panel', id: 'panel', 'aria-labelledby': 'panel-title', hidden: '' });
  private readonly coverageBox = el('section', { class: 'coverage-view', 'aria-label': 'coverage' });
  private readonly announcer = el('div', { class: 'toast', role: 'status', 'aria-live': 'polite' });
  private readonly legendBox = el('div', { class: 'legend' });
  private readonly list: ListView;
  private readonly mapView: MapView;
  private readonly live: LiveIssues;
  private liveConnected = false;
  private mapSeq = 0;
  private tileUrl: string | null;
  private listTimer = 0;
  /** Removes the window/document listeners when the dashboard goes (sign-out, session ended). */
  private readonly listeners = new AbortController();
  private resizeObserver: ResizeObserver | null = null;
  private disposed = false;

  constructor(private readonly root: HTMLElement, private readonly me: StaffRef, private readonly host: AppHost) {
    this.state = parseState(location.search);
    setLang(this.state.lang);
    this.tileUrl = document.querySelector<HTMLMetaElement>('meta[name="yimi-tile-url"]')?.content || null;
    this.mapBox.append(this.mapEl);
    if (this.state.at) this.mapEl.dataset.restored = '1';
    this.mapView = new MapView(this.mapEl, {
      onTownship: (code) => this.update({ township: code, enterprise: null }),
      onEnterprise: (id) => this.update({ enterprise: id, township: null }),
      onMove: () => this.onMapMove(),
      onPointHover: (id) => this.list.highlightRow(id),
    }, t('viewMap'));
    if (this.state.at) this.mapView.map.setView([this.state.at[0], this.state.at[1]], this.state.at[2]);
    this.mapView.focus = new Set(this.state.filters.townships);
    const legendControl = new L.Control({ position: 'bottomleft' });
    legendControl.onAdd = () => {
      L.DomEvent.disableClickPropagation(this.legendBox);
      return this.legendBox;
    };
    legendControl.addTo(this.mapView.map);
    this.list = new ListView({
      state: () => this.state,
      variables: (tab) => this.listVariables(tab),
      openEnterprise: (id) => this.update({ enterprise: id, township: null }),
      hover: (id, loc) => this.mapView.highlight(id, loc),
      setSort: (sort) => this.update({ sort }),
      setTab: (tab) => this.update({ tab, sort: null }),
      setOnlyMap: (on) => this.update({ onlyMap: on }),
    });
    this.live = new LiveIssues(wsUrl(location), {
      onChange: (e) => this.onLive(e),
      onResync: () => this.onResync(),
      onStatus: (c) => {
        this.liveConnected = c;
        this.renderLiveBadge();
      },
    });
    window.addEventListener('popstate', () => {
      const prev = this.state;
      this.state = parseState(location.search);
      if (this.state.at) this.mapView.map.setView([this.state.at[0], this.state.at[1]], this.state.at[2], { animate: false });
      this.apply(prev);
    }, { signal: this.listeners.signal });
    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && !this.panel.hidden) this.update({ township: null, enterprise: null });
    }, { signal: this.listeners.signal });
  }

  /** Tear the dashboard down: close the live subscription, drop listeners, timers and the map. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.listeners.abort();
    this.resizeObserver?.disconnect();
    this.live.stop();
    for (const timer of [this.listTimer, this.liveTimer, this.toastTimer]) clearTimeout(timer);
    this.mapSeq++;
    this.panelSeq++;
    this.mapView.destroy();
    this.root.replaceChildren();
  }

  async start(): Promise<void> {
    this.root.replaceChildren(this.filterBar, this.workspace, this.announcer);
    this.workspace.append(this.mapBox, this.list.root, this.coverageBox, this.panel);
    document.querySelector('header.site-header')?.replaceWith(this.header);
    this.renderChrome();
    this.layout();
    this.mapView.setTiles(this.state.tiles ? this.tileUrl : null);
    this.live.start();
    this.resizeObserver = new ResizeObserver(() => this.mapView.invalidate());
    this.resizeObserver.observe(this.mapBox);
    await Promise.all([this.loadTownships(), this.loadPoints(), this.loadTeams(), this.loadCoverage()]);
    if (this.disposed) return;
    this.list.render();
    this.renderPanel();
    this.renderCoverage();
  }

  // ---- state -------------------------------------------------------------------------------

  update(patch: Partial<AppState>): void {
    const prev = this.state;
    this.state = { ...prev, ...patch };
    if (differsBeyondPosition(prev, this.state)) history.pushState(null, '', location.pathname + serializeState(this.state));
    this.apply(prev);
  }

  private apply(prev: AppState): void {
    const s = this.state;
    if (prev.lang !== s.lang) {
      setLang(s.lang);
      this.mapEl.setAttribute('aria-label', t('viewMap'));
      this.renderChrome();
      this.restyleTownships();
      this.list.render();
      this.renderPanel();
      this.renderCoverage();
      this.renderLegend();
      return;
    }
    const filtersChanged = JSON.stringify(prev.filters) !== JSON.stringify(s.filters);
    if (filtersChanged) {
      this.syncFilterInputs();
      this.mapView.focus = new Set(s.filters.townships);
      if (JSON.stringify(prev.filters.townships) !== JSON.stringify(s.filters.townships)) {
        this.restyleTownships();
        if (s.filters.townships.length === 1) this.mapView.zoomToTownship(s.filters.townships[0]!);
      }
      void this.loadPoints();
      this.renderCoverage();
    }
    if (prev.view !== s.view) {
      this.layout();
      this.renderNav();
    }
    if (prev.metric !== s.metric) {
      if (s.metric === 'rate' && !this.rates.size) void this.loadRates();
      this.restyleTownships();
      const sel = this.filterBar.querySelector<HTMLSelectElement>('#metric');
      if (sel) sel.value = s.metric;
    }
    if (prev.tiles !== s.tiles) this.mapView.setTiles(s.tiles ? this.tileUrl : null);
    if (filtersChanged || prev.tab !== s.tab || prev.onlyMap !== s.onlyMap || JSON.stringify(prev.sort) !== JSON.stringify(s.sort)) {
      this.list.render();
    }
    if (prev.township !== s.township || prev.enterprise !== s.enterprise) this.renderPanel();
  }

  private syncUrlPosition(): void {
    const c = this.mapView.map.getCenter();
    this.state = { ...this.state, at: [Number(c.lat.toFixed(5)), Number(c.lng.toFixed(5)), this.mapView.map.getZoom()] };
    history.replaceState(null, '', location.pathname + serializeState(this.state));
  }

  private onMapMove(): void {
    if (this.disposed) return;
    this.syncUrlPosition();
    if (this.state.onlyMap && this.state.view === 'list') {
      clearTimeout(this.listTimer);
      this.listTimer = window.setTimeout(() => this.list.render(), 300);
    }
  }

  private listVariables(tab: ListTab): Record<string, unknown> {
    const s = this.state;
    const f = s.filters;
    if (tab === 'enterprises') {
      const v: Record<string, unknown> = { filter: enterpriseFilter(f, s.onlyMap ? this.mapView.bbox() : null) };
      if (s.sort) v.orderBy = { field: s.sort.field, direction: s.sort.dir };
      return v;
    }
    const inView = s.onlyMap ? this.mapView.townshipsInView() : null;
    if (tab === 'issues') {
      const v: Record<string, unknown> = { filter: issueFilter(f, inView) };
      if (s.sort) v.orderBy = { field: s.sort.field, direction: s.sort.dir };
      return v;
    }
    return { filter: teamFilter(f, inView) };
  }

  // ---- data --------------------------------------------------------------------------------

  private async loadTownships(): Promise<void> {
    try {
      const data = await graphqlRequest<{ townships: { nodes: Township[] } }>(TOWNSHIPS);
      if (this.disposed) return;
      this.townships = data.townships.nodes;
      this.mapView.setTownships(this.townships, this.shading());
      this.mapView.selectTownship(this.state.township, this.shading());
      this.renderLegend();
      this.fillTownshipSelect();
      if (this.state.metric === 'rate') void this.loadRates();
    } catch (err) {
      this.toast(t('loadFailed') + errorText(err), true);
    }
  }

  private async loadCoverage(): Promise<void> {
    try {
      const data = await graphqlRequest<{ coverage: CoverageRow[] }>(COVERAGE);
      if (this.disposed) return;
      this.coverage = data.coverage;
      if (this.state.metric === 'gaps') this.restyleTownships();
    } catch {
      /* the panel shows "loading" for gaps; not fatal */
    }
  }

  private async loadPoints(): Promise<void> {
    const seq = ++this.mapSeq;
    this.mapEl.setAttribute('aria-busy', 'true');
    try {
      const data = await graphqlRequest<{ mapLayer: GeoJSON.FeatureCollection<GeoJSON.Point, PointFeature['properties']> }, Record<string, unknown>>(
        MAP_LAYER, { filter: enterpriseFilter(this.state.filters) });
      if (seq !== this.mapSeq) return;
      this.features = data.mapLayer.features.filter((f) => warningMatches(this.state.filters.warnings, f.properties.warningColor));
      this.mapView.setPoints(this.features);
      if (!this.mapEl.dataset.ready) performance.mark('yimi-map-ready');
      this.mapEl.dataset.ready = '1';
    } catch (err) {
      if (seq === this.mapSeq) this.toast(t('loadFailed') + errorText(err), true);
    } finally {
      if (seq === this.mapSeq) this.mapEl.setAttribute('aria-busy', 'false');
    }
  }

  /** Team names for the dispatch form. */
  private async loadTeams(): Promise<void> {
    try {
      const data = await graphqlRequest<{ serviceTeams: { nodes: TeamRef[] } }>(ALL_TEAMS);
      this.teams = data.serviceTeams.nodes;
    } catch {
      /* the dispatch form then offers no team; the server's userError says why */
    }
  }

  private liveTimer = 0;
  private livePanelStale = false;
  private onLive(e: IssueChangeEvent): void {
    this.toast(t('updated', { n: e.issue.number }));
    this.refetchLive(this.state.enterprise === e.issue.enterprise.id);
  }

  /** Live updates had a gap, so any change may have been missed: refetch all that is shown. */
  private onResync(): void {
    this.refetchLive(this.state.enterprise !== null || this.state.township !== null);
  }

  private refetchLive(panel: boolean): void {
    // A burst of events (or a resync among them) is one refetch; the panel is redone if any asked.
    this.livePanelStale ||= panel;
    clearTimeout(this.liveTimer);
    this.liveTimer = window.setTimeout(() => {
      if (this.disposed) return;
      void this.loadPoints();
      void this.loadTownships();
      if (this.state.view === 'list') void this.list.load();
      if (this.livePanelStale) this.refreshPanelSafely();
      this.livePanelStale = false;
    }, 400);
  }

  // ---- rendering ---------------------------------------------------------------------------

  private shading(): Shading {
    const m = this.state.metric;
    const gaps = new Map(this.coverage.map((c) => [c.township.code, c.gaps.length]));
    const value = (tw: Township): number =>
      m === 'open' ? tw.openIssueCount : m === 'overdue' ? tw.overdueIssueCount : m === 'enterprises' ? tw.enterpriseCount
        : m === 'teams' ? tw.coveringTeams.length : m === 'gaps' ? gaps.get(tw.code) ?? 0
          : Math.round((this.rates.get(tw.code) ?? 0) * 100);
    const values = new Map(this.townships.map((tw) => [tw.code, value(tw)]));
    const bks = this.breaksFor(values);
    const ramp = m === 'gaps' ? GAP_RAMP : RAMP;
    const label = m === 'rate'
      ? (tw: Township): string => (this.rates.has(tw.code) ? formatPercent(this.rates.get(tw.code)!) : '—')
      : (_tw: Township, v: number): string => formatNumber(v);
    return { values, color: (v) => colorFor(v, bks, ramp), label };
  }

  private breaksFor(values: Map<string, number>): number[] {
    return this.state.metric === 'rate' ? [...PERCENT_BREAKS] : breaks([...values.values()]);
  }

  /** Resolution rate per township: resolved or closed issues over all issues, in one aliased request. */
  private rates = new Map<string, number>();
  private async loadRates(): Promise<void> {
    if (!this.townships.length) return;
    // Batches of 10 townships (20 aliases) stay under the API's alias limit (30 by default).
    const batches: Township[][] = [];
    for (let i = 0; i < this.townships.length; i += 10) batches.push(this.townships.slice(i, i + 10));
    let results: Array<Array<[string, number]>>;
    try {
      results = await this.rateBatches(batches);
    } catch (err) {
      this.toast(t('loadFailed') + errorText(err), true);
      return;
    }
    if (this.disposed) return;
    this.rates = new Map(results.flat());
    if (this.state.metric === 'rate') this.restyleTownships();
  }

  private rateBatches(batches: Township[][]): Promise<Array<Array<[string, number]>>> {
    return Promise.all(batches.map(async (batch) => {
      const parts = batch.map((tw, i) => {
        const code = tw.code.replace(/\D/g, '');
        return `a${i}: issues(filter: {townshipCodes: ["${code}"]}, first: 0) { totalCount }
          r${i}: issues(filter: {townshipCodes: ["${code}"], statuses: [RESOLVED, CLOSED]}, first: 0) { totalCount }`;
      });
      const data = await graphqlRequest<Record<string, { totalCount: number }>>(`query Rates { ${parts.join('\n')} }`);
      return batch.map((tw, i): [string, number] => {
        const all = data[`a${i}`]!.totalCount;
        return [tw.code, all ? data[`r${i}`]!.totalCount / all : 0];
      });
    }));
  }

  private restyleTownships(): void {
    if (!this.townships.length) return;
    this.mapView.setTownships(this.townships, this.shading());
    this.mapView.selectTownship(this.state.township, this.shading());
    this.renderLegend();
  }

  private renderLegend(): void {
    const m = this.state.metric;
    const sh = this.shading();
    const items = legend(this.breaksFor(sh.values), m === 'gaps' ? GAP_RAMP : RAMP);
    const pct = m === 'rate' ? '%' : '';
    const box = this.legendBox;
    box.replaceChildren(el('h2', { class: 'legend-title' }, `${t('legend')} · ${t(METRIC_KEY[m])}`));
    const ul = el('ul', {});
    for (const it of items) {
      const sw = el('span', { class: 'swatch', 'aria-hidden': 'true' });
      sw.style.background = it.color;
      ul.append(el('li', {}, sw, it.from === it.to ? `${formatNumber(it.from)}${pct}` : `${formatNumber(it.from)}–${formatNumber(it.to)}${pct}`));
    }
    box.append(ul, el('h2', { class: 'legend-title' }, t('points')));
    const wl = el('ul', { class: 'legend-points' });
    for (const w of ['RED', 'ORANGE', 'YELLOW', 'GREEN', 'NONE']) {
      const dot = el('span', { class: 'dot', 'aria-hidden': 'true' });
      dot.style.background = WARNING_HEX[w]!;
      wl.append(el('li', {}, dot, enumLabel(w === 'NONE' ? null : w)));
    }
    box.append(wl);
  }

  private layout(): void {
    const v = this.state.view;
    this.workspace.dataset.view = v;
    this.list.root.hidden = v !== 'list';
    this.coverageBox.hidden = v !== 'coverage';
    this.mapBox.hidden = v === 'coverage';
    setTimeout(() => this.mapView.invalidate(), 0);
  }

  private renderChrome(): void {
    document.title = t('appTitle');
    const skip = document.querySelector('.skip-link');
    if (skip) skip.textContent = t('skip');
    this.renderHeader();
    this.renderFilters();
  }

  private renderHeader(): void {
    const brand = el('div', { class: 'brand' }, el('span', { class: 'emblem', 'aria-hidden': 'true' }, '一米'), el('h1', {}, t('appTitle')));
    const nav = el('nav', { class: 'views', 'aria-label': t('views') });
    const right = el('div', { class: 'header-right' });
    const langBtn = el('button', { type: 'button', class: 'btn ghost', id: 'lang', title: t('langLabel'), lang: this.state.lang === 'en' ? 'zh-CN' : 'en' }, t('lang'));
    langBtn.addEventListener('click', () => this.update({ lang: this.state.lang === 'en' ? 'zh-CN' : 'en' }));
    right.append(el('span', { class: 'live', id: 'live-badge' }), ...importEntry(this.me), langBtn, el('div', { class: 'auth', id: 'auth' }));
    this.header.replaceChildren(brand, nav, right);
    this.renderNav();
    this.renderAuth();
    this.renderLiveBadge();
  }

  private renderNav(): void {
    const nav = this.header.querySelector('nav.views');
    if (!nav) return;
    nav.replaceChildren();
    for (const [v, key] of [['map', 'viewMap'], ['list', 'viewList'], ['coverage', 'viewCoverage']] as const) {
      const b = el('button', { type: 'button', class: 'view-btn', 'data-view': v, 'aria-current': this.state.view === v ? 'page' : null }, t(key));
      b.addEventListener('click', () => this.update({ view: v }));
      nav.append(b);
    }
  }

  private renderLiveBadge(): void {
    const b = this.header.querySelector('#live-badge');
    if (!b) return;
    b.className = `live ${this.liveConnected ? 'on' : 'off'}`;
    b.replaceChildren(el('span', { class: 'live-dot', 'aria-hidden': 'true' }), t('live'));
    b.setAttribute('title', this.liveConnected ? t('liveOn') : t('liveOff'));
    b.setAttribute('aria-label', this.liveConnected ? t('liveOn') : t('liveOff'));
  }

  private renderAuth(): void {
    const box = this.header.querySelector('#auth');
    if (!box) return;
    const roles = (this.me.roles ?? []).map((r) => roleLabel(r)).join('、');
    const who = el('span', { class: 'who', id: 'who', title: [this.me.department?.name, roles].filter(Boolean).join(' · ') || null },
      t('signedInAs', { name: this.me.name }), roles ? el('span', { class: 'who-role' }, ` · ${roles}`) : null);
    const out = el('button', { type: 'button', class: 'btn ghost', id: 'sign-out' }, t('signOut'));
    out.addEventListener('click', () => void (async () => {
      out.disabled = true;
      try {
        await graphqlRequest(SIGN_OUT);
      } catch (err) {
        out.disabled = false;
        this.toast(t('signOutFailed') + errorText(err), true);
        return;
      }
      this.host.signedOut();
    })());
    box.replaceChildren(who, out);
  }

  private renderFilters(): void {
    const s = this.state;
    const f = this.filterBar;
    f.replaceChildren(el('h2', { class: 'sr-only' }, t('filters')));
    f.setAttribute('aria-label', t('filters'));
    const field = (id: string, key: Key, control: HTMLElement): HTMLElement => el('div', { class: 'field inline' }, el('label', { for: id }, t(key)), control);

    const tw = el('select', { id: 'f-township' });
    f.append(field('f-township', 'township', tw));
    const cat = el('select', { id: 'f-category' }, el('option', { value: '' }, t('allCategories')));
    for (const c of CATEGORIES) cat.append(el('option', { value: c }, enumLabel(c)));
    f.append(field('f-category', 'category', cat));
    const warn = el('select', { id: 'f-warning' }, el('option', { value: '' }, t('allWarnings')));
    for (const w of WARNINGS) warn.append(el('option', { value: w }, enumLabel(w === 'NONE' ? null : w)));
    f.append(field('f-warning', 'warning', warn));
    const above = el('select', { id: 'f-above' }, el('option', { value: '' }, t('any')), el('option', { value: '1' }, t('yes')), el('option', { value: '0' }, t('no')));
    f.append(field('f-above', 'aboveScale', above));
    const q = el('input', { id: 'f-search', type: 'search', placeholder: t('searchPlaceholder'), size: '22' });
    f.append(field('f-search', 'search', q));
    const reset = el('button', { type: 'button', class: 'btn ghost', id: 'f-reset' }, t('reset'));
    reset.addEventListener('click', () => this.update({ filters: { townships: [], categories: [], warnings: [], search: '', aboveScale: null, hasOpen: null } }));
    f.append(reset);

    const sep = el('div', { class: 'spacer' });
    f.append(sep);
    const metric = el('select', { id: 'metric' });
    for (const m of METRICS) metric.append(el('option', { value: m }, t(METRIC_KEY[m])));
    metric.addEventListener('change', () => this.update({ metric: metric.value as Metric }));
    f.append(field('metric', 'metric', metric));
    const tiles = el('input', { type: 'checkbox', id: 'tiles' });
    tiles.checked = s.tiles && !!this.tileUrl;
    tiles.disabled = !this.tileUrl;
    tiles.addEventListener('change', () => this.update({ tiles: tiles.checked }));
    f.append(el('label', { class: 'check', for: 'tiles', title: this.tileUrl ? '' : t('tilesUnavailable') }, tiles, ' ', t('tiles')));

    tw.addEventListener('change', () => this.update({ filters: { ...this.state.filters, townships: tw.value ? [tw.value] : [] } }));
    cat.addEventListener('change', () => this.update({ filters: { ...this.state.filters, categories: cat.value ? [cat.value as (typeof CATEGORIES)[number]] : [] } }));
    warn.addEventListener('change', () => this.update({ filters: { ...this.state.filters, warnings: warn.value ? [warn.value as (typeof WARNINGS)[number]] : [] } }));
    above.addEventListener('change', () => this.update({ filters: { ...this.state.filters, aboveScale: above.value === '' ? null : above.value === '1' } }));
    let timer = 0;
    q.addEventListener('input', () => {
      clearTimeout(timer);
      timer = window.setTimeout(() => this.update({ filters: { ...this.state.filters, search: q.value } }), 400);
    });
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      clearTimeout(timer);
      this.update({ filters: { ...this.state.filters, search: q.value } });
    });
    this.fillTownshipSelect();
    this.syncFilterInputs();
  }

  private fillTownshipSelect(): void {
    const tw = this.filterBar.querySelector<HTMLSelectElement>('#f-township');
    if (!tw) return;
    tw.replaceChildren(el('option', { value: '' }, t('allTownships')));
    for (const x of this.townships) tw.append(el('option', { value: x.code }, x.name));
    tw.value = this.state.filters.townships[0] ?? '';
  }

  private syncFilterInputs(): void {
    const f = this.state.filters;
    const set = (id: string, v: string): void => {
      const n = this.filterBar.querySelector<HTMLInputElement | HTMLSelectElement>(`#${id}`);
      if (n && n.value !== v) n.value = v;
    };
    set('f-township', f.townships[0] ?? '');
    set('f-category', f.categories[0] ?? '');
    set('f-warning', f.warnings[0] ?? '');
    set('f-above', f.aboveScale === null ? '' : f.aboveScale ? '1' : '0');
    set('f-search', f.search);
    set('metric', this.state.metric);
  }

  private renderCoverage(): void {
    if (!this.coverage.length) {
      this.coverageBox.replaceChildren(el('p', { class: 'muted' }, t('loading')));
      void this.loadCoverage().then(() => { if (this.coverage.length) this.renderCoverage(); });
      return;
    }
    this.coverageBox.replaceChildren(coverageMatrix(this.coverage, (code) => this.update({ township: code, enterprise: null }),
      this.state.filters.townships, this.state.filters.categories));
  }

  private panelSeq = 0;
  private renderPanel(): void {
    const s = this.state;
    const seq = ++this.panelSeq;
    this.mapView.selectTownship(s.township, this.townships.length ? this.shading() : null);
    if (!s.township && !s.enterprise) {
      this.panel.hidden = true;
      this.panel.replaceChildren();
      this.mapView.highlight(null);
      return;
    }
    const wasHidden = this.panel.hidden;
    this.panel.hidden = false;
    const close = el('button', { type: 'button', class: 'btn ghost close', id: 'panel-close', 'aria-label': t('close') }, '✕');
    close.addEventListener('click', () => this.update({ township: null, enterprise: null }));
    const title = el('h2', { id: 'panel-title', tabindex: '-1' });
    const head = el('div', { class: 'panel-head' }, title, close);
    const body = el('div', { class: 'panel-body' });
    this.panel.replaceChildren(head, body);
    const focus = (): void => { if (wasHidden) title.focus(); };
    if (s.township) {
      const tw = this.townships.find((x) => x.code === s.township);
      this.panel.dataset.kind = 'township';
      if (!tw) {
        title.textContent = t('loading');
        return;
      }
      title.textContent = tw.name;
      body.append(...townshipPanel(tw, this.coverage.find((c) => c.township.code === tw.code)));
      focus();
      return;
    }
    this.panel.dataset.kind = 'enterprise';
    title.textContent = t('loading');
    const id = s.enterprise!;
    void graphqlRequest<{ node: EnterpriseDetail | null }, Record<string, unknown>>(ENTERPRISE_DETAIL, { id }).then((data) => {
      if (seq !== this.panelSeq) return;
      const e = data.node;
      if (!e) {
        title.textContent = '—';
        return;
      }
      title.textContent = e.name;
      this.mapView.highlight(e.id, e.location);
      body.append(...enterpriseProfile(e));
      const issues = el('section', { class: 'panel-section' }, el('h3', {}, `${t('issueList')}（${formatNumber(e.issues.totalCount)}）`));
      issues.append(el('div', { class: 'report-box' }, renderForm(reportSpec(), { enterpriseId: e.id }, () => this.renderPanel(), () => this.renderPanel())));
      if (!e.issues.nodes.length) issues.append(el('p', { class: 'muted' }, t('noIssues')));
      const specs = actionsFor(() => this.teams);
      for (const issue of e.issues.nodes) {
        const actions = renderActions(issue, specs, () => this.renderPanel(), () => this.renderPanel());
        issues.append(issueCard(issue, actions));
      }
      body.append(issues);
      focus();
    }).catch((err: unknown) => {
      if (seq !== this.panelSeq) return;
      title.textContent = t('loadFailed');
      body.append(el('p', { class: 'alert' }, errorText(err)));
    });
  }

  /** Re-render the enterprise panel after a live change, unless the user is filling in a form. */
  private refreshPanelSafely(): void {
    const busy = this.panel.querySelector('details.action[open]') !== null || this.panel.querySelector('form :focus') !== null;
    if (!busy) {
      this.renderPanel();
      return;
    }
    if (this.panel.querySelector('.stale-notice')) return;
    const reload = el('button', { type: 'button', class: 'btn' }, t('reload'));
    reload.addEventListener('click', () => this.renderPanel());
    this.panel.querySelector('.panel-head')?.after(el('div', { class: 'stale-notice', role: 'status' }, t('staleNotice'), ' ', reload));
  }

  private toastTimer = 0;
  private toast(text: string, isError = false): void {
    this.announcer.textContent = text;
    this.announcer.className = `toast show${isError ? ' error' : ''}`;
    clearTimeout(this.toastTimer);
    this.toastTimer = window.setTimeout(() => { this.announcer.className = 'toast'; }, 4000);
  }
}
