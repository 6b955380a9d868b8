/**
 * The staff dashboard: puts the store, the loaders and the views together. The store holds the
 * state (mirrored in the URL) and the data; each view renders from it when what it shows changed.
 */
import L from 'leaflet';
import { type IssueChangeEvent, LiveIssues, wsUrl } from '../api/live';
import type { StaffRef } from '../api/session';
import { enumLabel, formatNumber, setLang, t } from '../i18n';
import { ListView } from '../list/listView';
import { MapView } from '../map/mapView';
import { shading } from '../map/shading';
import { enterpriseFilter, issueFilter, teamFilter } from '../state/filters';
import { Loaders } from '../state/loaders';
import { browserUrl, filtersChanged, type Snapshot, Store } from '../state/store';
import type { ListTab } from '../state/url';
import { el } from '../ui/dom';
import { showClusterList } from '../views/clusterList';
import { FilterBar, queuesFor } from '../views/filters';
import { Header } from '../views/header';
import { renderLegend } from '../views/legend';
import { Panel } from '../views/panel';
import { renderSummary } from '../views/summary';
import { Toasts } from '../views/toasts';
import { coverageMatrix } from './coverage';

/** What the dashboard needs from the session shell. */
export interface AppHost {
  /** The user signed out (the signOut mutation succeeded): show the sign-in screen. */
  signedOut(): void;
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

export class App {
  readonly store = new Store(browserUrl());
  private readonly loaders = new Loaders(this.store);
  private readonly toasts = new Toasts();
  private readonly header: Header;
  private readonly filters: FilterBar;
  private readonly panel: Panel;
  private readonly list: ListView;
  private readonly mapView: MapView;
  private readonly live: LiveIssues;
  private readonly workspace = el('div', { class: 'workspace' });
  private readonly mapBox = el('div', { class: 'map-box' });
  private readonly mapEl = absolute(el('div', { id: 'map', class: 'map' }));
  private readonly coverageBox = el('section', { class: 'coverage-view', 'aria-label': 'coverage' });
  private readonly legendBox = el('div', { class: 'legend' });
  private readonly summaryBox = el('section', { class: 'summary-strip', id: 'summary' });
  /** Over the map: loading on the first screen, or what failed with a retry. */
  private readonly mapStatus = el('div', { class: 'map-status', id: 'map-status', role: 'status', hidden: '' });
  private readonly tileUrl = document.querySelector<HTMLMetaElement>('meta[name="yimi-tile-url"]')?.content || null;
  /** Removes the window/document listeners when the dashboard goes (sign-out, session ended). */
  private readonly listeners = new AbortController();
  private resizeObserver: ResizeObserver | null = null;
  private unsubscribe: () => void = () => undefined;
  private listTimer = 0;
  private liveTimer = 0;
  private livePanelStale = false;
  private disposed = false;

  constructor(
    private readonly root: HTMLElement,
    me: StaffRef,
    host: AppHost,
  ) {
    const store = this.store;
    setLang(store.state.lang);
    const toast = (text: string, isError = false): void => this.toasts.show(text, isError);
    this.header = new Header(store, me, { signedOut: () => host.signedOut(), toast });
    this.filters = new FilterBar(store, this.tileUrl, queuesFor(me.roles));
    this.mapBox.append(this.mapEl, this.mapStatus);
    const at = store.state.at;
    if (at) this.mapEl.dataset.restored = '1';
    this.mapView = new MapView(
      this.mapEl,
      {
        onTownship: (code) => store.update({ township: code, enterprise: null }),
        onEnterprise: (id) => store.update({ enterprise: id, township: null }),
        onMove: () => this.onMapMove(),
        onPointHover: (id) => this.list.highlightRow(id),
        onClusterList: (ids, total, at) =>
          showClusterList(this.mapView.map, ids, total, at, (id) => store.update({ enterprise: id, township: null })),
      },
      t('viewMap'),
      {
        cluster: (n) => t('mapClusterLabel', { n: formatNumber(n) }),
        point: (colour, open) => t('mapPointLabel', { warning: enumLabel(colour), n: formatNumber(open) }),
      },
    );
    if (at) this.mapView.map.setView([at[0], at[1]], at[2]);
    this.mapView.focus = new Set(store.state.filters.townships);
    const legendControl = new L.Control({ position: 'bottomleft' });
    legendControl.onAdd = () => {
      L.DomEvent.disableClickPropagation(this.legendBox);
      return this.legendBox;
    };
    legendControl.addTo(this.mapView.map);
    this.panel = new Panel(store, { highlight: (id, loc) => this.mapView.highlight(id, loc) });
    this.list = new ListView({
      state: () => store.state,
      variables: (tab) => this.listVariables(tab),
      openEnterprise: (id) => store.update({ enterprise: id, township: null }),
      hover: (id, loc) => this.mapView.highlight(id, loc),
      setSort: (sort) => store.update({ sort }),
      setTab: (tab) => store.update({ tab, sort: null }),
      setOnlyMap: (on) => store.update({ onlyMap: on }),
      clearFilters: () => store.clearFilters(),
    });
    this.live = new LiveIssues(wsUrl(location), {
      onChange: (e) => this.onLive(e),
      onResync: () => this.onResync(),
      onStatus: (c) => this.header.setLive(c),
    });
    window.addEventListener(
      'popstate',
      () => {
        store.fromUrl();
        const pos = store.state.at;
        if (pos) this.mapView.map.setView([pos[0], pos[1]], pos[2], { animate: false });
      },
      { signal: this.listeners.signal },
    );
    document.addEventListener(
      'keydown',
      (ev) => {
        if (ev.key === 'Escape' && this.panel.open) this.panel.close();
      },
      { signal: this.listeners.signal },
    );
  }

  /** Tear the dashboard down: close the live subscription, drop listeners, timers and the map. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unsubscribe();
    this.listeners.abort();
    this.resizeObserver?.disconnect();
    this.live.stop();
    for (const timer of [this.listTimer, this.liveTimer]) clearTimeout(timer);
    this.toasts.dispose();
    this.filters.dispose();
    this.loaders.dispose();
    this.panel.dispose();
    this.mapView.destroy();
    this.root.replaceChildren();
  }

  async start(): Promise<void> {
    this.root.replaceChildren(this.filters.root, this.summaryBox, this.workspace, this.toasts.root);
    this.workspace.append(this.mapBox, this.list.root, this.coverageBox, this.panel.root);
    document.querySelector('header.site-header')?.replaceWith(this.header.root);
    this.renderChrome();
    this.layout();
    this.mapView.setTiles(this.store.state.tiles ? this.tileUrl : null);
    this.unsubscribe = this.store.subscribe((next, prev) => this.onChange(next, prev));
    this.live.start();
    this.resizeObserver = new ResizeObserver(() => this.mapView.invalidate());
    this.resizeObserver.observe(this.mapBox);
    this.mapEl.setAttribute('aria-busy', 'true');
    this.workspace.setAttribute('aria-busy', 'true');
    await Promise.all([
      this.loaders.townships(),
      this.loaders.points(),
      this.loaders.teams(),
      this.loaders.coverage(),
      this.loaders.summary(),
    ]);
    if (this.disposed) return;
    this.workspace.setAttribute('aria-busy', 'false');
    this.list.render();
    this.panel.render();
    this.renderCoverage();
  }

  // ---- reacting to the store ----------------------------------------------------------------

  private onChange(next: Snapshot, prev: Snapshot): void {
    if (this.disposed) return;
    const s = next.ui;
    const p = prev.ui;
    if (p.lang !== s.lang) {
      setLang(s.lang);
      this.mapEl.setAttribute('aria-label', t('viewMap'));
      this.renderChrome();
      this.restyleTownships(next);
      this.list.render();
      this.panel.render();
      this.renderCoverage();
      return;
    }
    const filters = filtersChanged(prev, next);
    if (filters) {
      this.filters.sync();
      this.mapView.focus = new Set(s.filters.townships);
      if (JSON.stringify(p.filters.townships) !== JSON.stringify(s.filters.townships)) {
        this.restyleTownships(next);
        if (s.filters.townships.length === 1) this.mapView.zoomToTownship(s.filters.townships[0]!);
      }
      void this.loaders.points();
      void this.loaders.summary();
      this.renderCoverage();
    }
    if (p.view !== s.view) {
      this.layout();
      this.header.renderNav();
    }
    if (p.metric !== s.metric) {
      this.restyleTownships(next);
      this.filters.sync();
    }
    if (p.tiles !== s.tiles) this.mapView.setTiles(s.tiles ? this.tileUrl : null);
    if (filters || p.tab !== s.tab || p.onlyMap !== s.onlyMap || JSON.stringify(p.sort) !== JSON.stringify(s.sort)) this.list.render();
    if (p.township !== s.township || p.enterprise !== s.enterprise) this.panel.render();
    this.onData(next, prev);
  }

  private onData(next: Snapshot, prev: Snapshot): void {
    const d = next.data;
    const was = prev.data;
    if (d.townships !== was.townships) {
      this.restyleTownships(next);
      this.filters.fillTownships();
      if (!was.townships.length && next.ui.township) this.panel.render();
    } else if (d.summary !== was.summary || d.coverage !== was.coverage) {
      this.restyleTownships(next);
      // The township panel's figures follow the filters as the map's labels do.
      if (next.ui.township && !next.ui.enterprise) this.panel.render();
    }
    if (d.coverage !== was.coverage && next.ui.view === 'coverage') this.renderCoverage();
    if (d.points !== was.points) this.mapView.setPoints(d.points);
    // Ready once the points are drawn in the first view: the townships' arrival fits the map to them,
    // which draws every badge anew (a badge focused before that would be gone).
    const settled = (r: 'points' | 'townships'): boolean => next.loads[r] === 'ready' || next.loads[r] === 'error';
    if (!this.mapEl.dataset.ready && next.loads.points === 'ready' && settled('townships')) {
      performance.mark('yimi-map-ready');
      this.mapEl.dataset.ready = '1';
    }
    const pts = next.loads.points;
    if (pts !== prev.loads.points) {
      this.mapEl.setAttribute('aria-busy', String(pts === 'loading'));
      // Points of an earlier filter would read as this one's: a failed load leaves none.
      if (pts === 'error') this.mapView.setPoints([]);
    }
    if (next.loads.points !== prev.loads.points || next.loads.townships !== prev.loads.townships) this.renderMapStatus(next);
    if (d.summary !== was.summary || next.loads.summary !== prev.loads.summary) renderSummary(this.summaryBox, next);
  }

  private renderMapStatus(snap: Snapshot): void {
    const failed = (['townships', 'points'] as const).filter((r) => snap.loads[r] === 'error');
    const box = this.mapStatus;
    if (failed.length) {
      const retry = el('button', { type: 'button', class: 'btn', id: 'map-retry' }, t('retry'));
      retry.addEventListener('click', () => {
        for (const r of failed) void (r === 'townships' ? this.loaders.townships() : this.loaders.points());
      });
      box.className = 'map-status alert';
      box.replaceChildren(t('loadFailed') + failed.map((r) => snap.errors[r] ?? '').join('; '), ' ', retry);
      box.hidden = false;
    } else if (!snap.data.townships.length || !this.mapEl.dataset.ready) {
      box.className = 'map-status';
      box.textContent = t('loadingDashboard');
      box.hidden = snap.loads.townships !== 'loading' && snap.loads.points !== 'loading';
    } else box.hidden = true;
  }

  private onMapMove(): void {
    if (this.disposed) return;
    const c = this.mapView.map.getCenter();
    this.store.setPosition([Number(c.lat.toFixed(5)), Number(c.lng.toFixed(5)), this.mapView.map.getZoom()]);
    const s = this.store.state;
    if (s.onlyMap && s.view === 'list') {
      clearTimeout(this.listTimer);
      this.listTimer = window.setTimeout(() => this.list.render(), 300);
    }
  }

  private listVariables(tab: ListTab): Record<string, unknown> {
    const s = this.store.state;
    const orderBy = s.sort ? { orderBy: { field: s.sort.field, direction: s.sort.dir } } : {};
    if (tab === 'enterprises') return { filter: enterpriseFilter(s.filters, s.onlyMap ? this.mapView.bbox() : null), ...orderBy };
    const inView = s.onlyMap ? this.mapView.townshipsInView() : null;
    if (tab === 'issues') return { filter: issueFilter(s.filters, inView), ...orderBy };
    return { filter: teamFilter(s.filters, inView) };
  }

  // ---- live updates -------------------------------------------------------------------------

  private onLive(e: IssueChangeEvent): void {
    this.toasts.show(t('updated', { n: e.issue.number }));
    this.refetchLive(this.store.state.enterprise === e.issue.enterprise.id);
  }

  /** Live updates had a gap, so any change may have been missed: refetch all that is shown. */
  private onResync(): void {
    const s = this.store.state;
    this.refetchLive(s.enterprise !== null || s.township !== null);
  }

  private refetchLive(panel: boolean): void {
    // A burst of events (or a resync among them) is one refetch; the panel is redone if any asked.
    this.livePanelStale ||= panel;
    clearTimeout(this.liveTimer);
    this.liveTimer = window.setTimeout(() => {
      if (this.disposed) return;
      void this.loaders.points();
      void this.loaders.townships();
      void this.loaders.summary();
      if (this.store.state.view === 'list') void this.list.load();
      if (this.livePanelStale) this.panel.refreshSafely();
      this.livePanelStale = false;
    }, 400);
  }

  // ---- rendering ----------------------------------------------------------------------------

  private restyleTownships(snap: Snapshot): void {
    if (!snap.data.townships.length) return;
    const sh = shading(snap);
    this.mapView.setTownships(snap.data.townships, sh);
    this.mapView.selectTownship(snap.ui.township, sh);
    renderLegend(this.legendBox, snap);
  }

  private layout(): void {
    const v = this.store.state.view;
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
    this.header.render();
    this.filters.render();
    renderLegend(this.legendBox, this.store.snapshot);
    renderSummary(this.summaryBox, this.store.snapshot);
  }

  private renderCoverage(): void {
    const snap = this.store.snapshot;
    if (!snap.data.coverage.length) {
      const failed = snap.loads.coverage === 'error';
      const msg = el(
        'p',
        { class: failed ? 'alert' : 'muted', role: failed ? 'alert' : 'status' },
        failed ? t('loadFailed') + (snap.errors.coverage ?? '') : t('loading'),
      );
      if (failed) {
        const retry = el('button', { type: 'button', class: 'btn' }, t('retry'));
        retry.addEventListener('click', () => void this.loaders.coverage());
        msg.append(' ', retry);
      } else if (snap.loads.coverage !== 'loading') void this.loaders.coverage();
      this.coverageBox.replaceChildren(msg);
      return;
    }
    this.coverageBox.replaceChildren(
      coverageMatrix(
        snap.data.coverage,
        (code) => this.store.update({ township: code, enterprise: null }),
        snap.ui.filters.townships,
        snap.ui.filters.categories,
      ),
    );
  }
}
