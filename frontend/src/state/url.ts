/** App state that lives in the URL: a link reproduces the screen, Back restores the previous one. */
import { IssueCategory, IssueQueue, IssueStatus, WarningColor } from '../api/generated/graphql';

export type View = 'map' | 'list' | 'coverage';
export type ListTab = 'enterprises' | 'issues' | 'teams';
export type Metric = 'open' | 'overdue' | 'enterprises' | 'teams' | 'gaps' | 'rate';
export type Lang = 'zh-CN' | 'en';
/** A warning colour, or NONE for an enterprise without an open issue. */
export type WarningName = WarningColor | 'NONE';

export const VIEWS: readonly View[] = ['map', 'list', 'coverage'];
export const TABS: readonly ListTab[] = ['enterprises', 'issues', 'teams'];
export const METRICS: readonly Metric[] = ['open', 'overdue', 'enterprises', 'teams', 'gaps', 'rate'];
/** Worst first, as the filter and the legend list them. */
export const WARNINGS: readonly WarningName[] = [...Object.values(WarningColor).reverse(), 'NONE'];
export const CATEGORIES: readonly IssueCategory[] = Object.values(IssueCategory);
export const STATUSES: readonly IssueStatus[] = Object.values(IssueStatus);
export const QUEUES: readonly IssueQueue[] = Object.values(IssueQueue);
export type Category = IssueCategory;

export interface Filters {
  townships: string[];
  categories: Category[];
  warnings: WarningName[];
  search: string;
  aboveScale: boolean | null;
  hasOpen: boolean | null;
  /** Issue statuses (the issue list and figures). */
  statuses: IssueStatus[];
  /** One of the signed-in person's work queues (待办), or none. */
  queue: IssueQueue | null;
}

export interface Sort {
  field: string;
  dir: 'ASC' | 'DESC';
}

export interface AppState {
  view: View;
  tab: ListTab;
  metric: Metric;
  filters: Filters;
  /** Restrict the list to what the map shows. */
  onlyMap: boolean;
  sort: Sort | null;
  /** Selected township code or enterprise global id. */
  township: string | null;
  enterprise: string | null;
  lang: Lang;
  tiles: boolean;
  /** Map position: [lat, lng, zoom]. */
  at: [number, number, number] | null;
}

export function emptyFilters(): Filters {
  return { townships: [], categories: [], warnings: [], search: '', aboveScale: null, hasOpen: null, statuses: [], queue: null };
}

export function defaultState(): AppState {
  return {
    view: 'map',
    tab: 'enterprises',
    metric: 'open',
    filters: emptyFilters(),
    onlyMap: false,
    sort: null,
    township: null,
    enterprise: null,
    lang: 'zh-CN',
    tiles: false,
    at: null,
  };
}

function pick<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

function list<T extends string>(value: string | null, allowed?: readonly T[]): T[] {
  if (value === null || value === '') return [];
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const kept = allowed ? items.filter((s) => (allowed as readonly string[]).includes(s)) : items;
  return [...new Set(kept)] as T[];
}

function tri(value: string | null): boolean | null {
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  return null;
}

/** Parse a location search string ("?view=list&t=410223001") into state; unknown values fall back to defaults. */
export function parseState(search: string): AppState {
  const p = new URLSearchParams(search);
  const d = defaultState();
  const townshipCodes = list<string>(p.get('t')).filter((c) => /^\d{9}$/.test(c));
  let at: AppState['at'] = null;
  const atParts = (p.get('at') ?? '').split(',').map(Number);
  if (atParts.length === 3 && atParts.every((n) => Number.isFinite(n))) {
    const [lat, lng, z] = atParts as [number, number, number];
    if (Math.abs(lat) <= 90 && Math.abs(lng) <= 180 && z >= 0 && z <= 22) at = [lat, lng, z];
  }
  let sort: Sort | null = null;
  const s = p.get('sort');
  if (s !== null && /^[A-Z_]+\.(ASC|DESC)$/.test(s)) {
    const [field, dir] = s.split('.') as [string, 'ASC' | 'DESC'];
    sort = { field, dir };
  }
  const sel = p.get('sel');
  return {
    view: pick(p.get('view'), VIEWS, d.view),
    tab: pick(p.get('tab'), TABS, d.tab),
    metric: pick(p.get('metric'), METRICS, d.metric),
    filters: {
      townships: townshipCodes,
      categories: list(p.get('cat'), CATEGORIES),
      warnings: list(p.get('w'), WARNINGS),
      search: (p.get('q') ?? '').slice(0, 100),
      aboveScale: tri(p.get('above')),
      hasOpen: tri(p.get('open')),
      statuses: list(p.get('st'), STATUSES),
      queue: pick<IssueQueue | ''>(p.get('queue'), QUEUES, '') || null,
    },
    onlyMap: p.get('inmap') === '1',
    sort,
    township: sel !== null && /^\d{9}$/.test(sel) ? sel : null,
    enterprise: p.get('ent') || null,
    lang: pick(p.get('lang'), ['zh-CN', 'en'] as const, d.lang),
    tiles: p.get('tiles') === '1',
    at,
  };
}

/** Serialise state to a search string; defaults are left out so links stay short. Inverse of parseState. */
export function serializeState(state: AppState): string {
  const p = new URLSearchParams();
  const f = state.filters;
  if (state.view !== 'map') p.set('view', state.view);
  if (state.tab !== 'enterprises') p.set('tab', state.tab);
  if (state.metric !== 'open') p.set('metric', state.metric);
  if (f.townships.length) p.set('t', f.townships.join(','));
  if (f.categories.length) p.set('cat', f.categories.join(','));
  if (f.warnings.length) p.set('w', f.warnings.join(','));
  if (f.search) p.set('q', f.search);
  if (f.aboveScale !== null) p.set('above', f.aboveScale ? '1' : '0');
  if (f.hasOpen !== null) p.set('open', f.hasOpen ? '1' : '0');
  if (f.statuses.length) p.set('st', f.statuses.join(','));
  if (f.queue) p.set('queue', f.queue);
  if (state.onlyMap) p.set('inmap', '1');
  if (state.sort) p.set('sort', `${state.sort.field}.${state.sort.dir}`);
  if (state.township) p.set('sel', state.township);
  if (state.enterprise) p.set('ent', state.enterprise);
  if (state.lang !== 'zh-CN') p.set('lang', state.lang);
  if (state.tiles) p.set('tiles', '1');
  if (state.at) p.set('at', `${state.at[0].toFixed(5)},${state.at[1].toFixed(5)},${state.at[2]}`);
  const out = p.toString();
  return out ? `?${out}` : '';
}

/** True when two states differ in more than the map position (such changes get a history entry). */
export function differsBeyondPosition(a: AppState, b: AppState): boolean {
  return serializeState({ ...a, at: null }) !== serializeState({ ...b, at: null });
}
