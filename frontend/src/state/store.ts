/**
 * The dashboard's one store: what the URL holds (view, filters, selection…) and the data loaded for
 * it. The map, the list, the panels and the legend read it and subscribe to its changes; only the
 * store writes the URL, so a link reproduces the screen and Back restores the previous one.
 */
import type { IssueSummary } from '../api/issues';
import type { TeamRef } from '../api/teams';
import type { CoverageRow, Township } from '../api/townships';
import type { PointFeature } from '../map/clusters';
import { type AppState, differsBeyondPosition, emptyFilters, type Filters, parseState, serializeState } from './url';

/** Where the state is mirrored: the browser's location and history (a fake in the unit tests). */
export interface UrlPort {
  search(): string;
  /** A new history entry (Back returns to the previous state). */
  push(search: string): void;
  /** The current entry changes (the map position, which should not flood the history). */
  replace(search: string): void;
}

export function browserUrl(): UrlPort {
  return {
    search: () => location.search,
    push: (search) => history.pushState(null, '', location.pathname + search),
    replace: (search) => history.replaceState(null, '', location.pathname + search),
  };
}

/** What the dashboard loads; each resource is loading, ready or failed. */
export type Resource = 'townships' | 'points' | 'coverage' | 'teams' | 'summary';
export type LoadStatus = 'loading' | 'ready' | 'error';

export interface DashboardData {
  townships: Township[];
  coverage: CoverageRow[];
  /** Enterprise points of the map, already filtered. */
  points: PointFeature[];
  teams: TeamRef[];
  /** The issue figures of the active filters: the county's and each township's (null until loaded). */
  summary: IssueSummary | null;
}

export interface Snapshot {
  readonly ui: AppState;
  readonly data: DashboardData;
  readonly loads: Readonly<Partial<Record<Resource, LoadStatus>>>;
  /** The message of each resource's last failed load. */
  readonly errors: Readonly<Partial<Record<Resource, string>>>;
}

export type Listener = (next: Snapshot, prev: Snapshot) => void;

export function emptyData(): DashboardData {
  return { townships: [], coverage: [], points: [], teams: [], summary: null };
}

export class Store {
  private snap: Snapshot;
  private readonly listeners = new Set<Listener>();

  constructor(private readonly url: UrlPort) {
    this.snap = { ui: parseState(url.search()), data: emptyData(), loads: {}, errors: {} };
  }

  get snapshot(): Snapshot {
    return this.snap;
  }

  get state(): AppState {
    return this.snap.ui;
  }

  get data(): DashboardData {
    return this.snap.data;
  }

  /** Change what the URL holds; anything beyond the map position gets a history entry. */
  update(patch: Partial<AppState>): void {
    const ui = { ...this.snap.ui, ...patch };
    if (differsBeyondPosition(this.snap.ui, ui)) this.url.push(serializeState(ui));
    this.set({ ...this.snap, ui });
  }

  setFilters(patch: Partial<Filters>): void {
    this.update({ filters: { ...this.snap.ui.filters, ...patch } });
  }

  clearFilters(): void {
    this.update({ filters: emptyFilters() });
  }

  /** The map moved: the URL follows without a history entry. */
  setPosition(at: [number, number, number]): void {
    const ui = { ...this.snap.ui, at };
    this.url.replace(serializeState(ui));
    this.set({ ...this.snap, ui });
  }

  /** The URL changed under us (Back/Forward): read the state from it again. */
  fromUrl(): void {
    this.set({ ...this.snap, ui: parseState(this.url.search()) });
  }

  setData(patch: Partial<DashboardData>, loaded?: Resource): void {
    const loads = loaded ? { ...this.snap.loads, [loaded]: 'ready' as const } : this.snap.loads;
    const errors = loaded ? { ...this.snap.errors, [loaded]: undefined } : this.snap.errors;
    this.set({ ...this.snap, data: { ...this.snap.data, ...patch }, loads, errors });
  }

  loading(resource: Resource): void {
    this.set({ ...this.snap, loads: { ...this.snap.loads, [resource]: 'loading' } });
  }

  failed(resource: Resource, message: string): void {
    this.set({ ...this.snap, loads: { ...this.snap.loads, [resource]: 'error' }, errors: { ...this.snap.errors, [resource]: message } });
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(next: Snapshot): void {
    const prev = this.snap;
    this.snap = next;
    for (const listener of [...this.listeners]) listener(next, prev);
  }
}

/** True when the filters differ (the lists are compared by value). */
export function filtersChanged(prev: Snapshot, next: Snapshot): boolean {
  return prev.ui.filters !== next.ui.filters && JSON.stringify(prev.ui.filters) !== JSON.stringify(next.ui.filters);
}

/** True when the active filters narrow anything down (the empty state then suggests clearing them). */
export function hasActiveFilters(f: Filters): boolean {
  return JSON.stringify(f) !== JSON.stringify(emptyFilters());
}
