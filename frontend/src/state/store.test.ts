import { describe, expect, it } from 'vitest';
import type { IssueSummary } from '../api/issues';
import type { Township } from '../api/townships';
import { metricValues, shading } from '../map/shading';
import { filtersChanged, hasActiveFilters, type Snapshot, Store, type UrlPort } from './store';
import { emptyFilters } from './url';

/** A URL that records what the store wrote, as the browser's history would. */
function fakeUrl(search = ''): UrlPort & { current: string; pushed: string[]; replaced: string[] } {
  const url = {
    current: search,
    pushed: [] as string[],
    replaced: [] as string[],
    search: () => url.current,
    push: (s: string) => {
      url.pushed.push(s);
      url.current = s;
    },
    replace: (s: string) => {
      url.replaced.push(s);
      url.current = s;
    },
  };
  return url;
}

function township(code: string, open: number, overdue = 0): Township {
  return {
    id: `T${code}`,
    code,
    name: `乡${code.slice(-1)}`,
    kind: 'TOWN',
    seat: { lon: 114, lat: 34 },
    boundary: null,
    enterpriseCount: 10,
    openIssueCount: open,
    overdueIssueCount: overdue,
    coveringTeams: [],
  };
}

/** A summary whose townships have [code, total, open, overdue, resolved]. */
function summary(rows: Array<[string, number, number, number, number]>): IssueSummary {
  const byTownship = rows.map(([code, total, open, overdue, resolved]) => ({ township: { code }, total, open, overdue, resolved }));
  const sum = (k: 'total' | 'open' | 'overdue' | 'resolved'): number => byTownship.reduce((n, r) => n + r[k], 0);
  return {
    total: sum('total'),
    open: sum('open'),
    overdue: sum('overdue'),
    resolved: sum('resolved'),
    dueThisWeek: 0,
    onTimeRate: null,
    satisfactionRate: null,
    byTownship,
  };
}

describe('the dashboard store', () => {
  it('starts from the URL', () => {
    const store = new Store(fakeUrl('?view=list&cat=LAND&sel=410223101'));
    expect(store.state.view).toBe('list');
    expect(store.state.filters.categories).toEqual(['LAND']);
    expect(store.state.township).toBe('410223101');
  });

  it('writes a history entry for a filter and tells every subscriber what changed', () => {
    const url = fakeUrl();
    const store = new Store(url);
    const seen: Array<[Snapshot, Snapshot]> = [];
    store.subscribe((next, prev) => seen.push([next, prev]));
    store.setFilters({ categories: ['FINANCING'], warnings: ['RED'] });
    expect(url.pushed).toEqual(['?cat=FINANCING&w=RED']);
    expect(seen).toHaveLength(1);
    const [next, prev] = seen[0]!;
    expect(filtersChanged(prev, next)).toBe(true);
    expect(prev.ui.filters.categories).toEqual([]);
    expect(next.ui.filters.categories).toEqual(['FINANCING']);
  });

  it('keeps the other filters when one changes, and clears them all at once', () => {
    const url = fakeUrl('?cat=LAND&q=纸业');
    const store = new Store(url);
    store.setFilters({ aboveScale: true });
    expect(store.state.filters).toMatchObject({ categories: ['LAND'], search: '纸业', aboveScale: true });
    expect(hasActiveFilters(store.state.filters)).toBe(true);
    store.clearFilters();
    expect(store.state.filters).toEqual(emptyFilters());
    expect(hasActiveFilters(store.state.filters)).toBe(false);
    expect(url.current).toBe('');
  });

  it('follows the map position without filling the history', () => {
    const url = fakeUrl('?view=list');
    const store = new Store(url);
    store.setPosition([34.4, 114.2, 11]);
    store.setPosition([34.5, 114.3, 12]);
    expect(url.pushed).toEqual([]);
    expect(url.replaced.at(-1)).toBe('?view=list&at=34.50000%2C114.30000%2C12');
    // A change of position alone is no new screen: the next real change is one entry.
    store.update({ view: 'map' });
    expect(url.pushed).toEqual(['?at=34.50000%2C114.30000%2C12']);
  });

  it('does not push an entry when nothing but the position differs', () => {
    const url = fakeUrl();
    const store = new Store(url);
    store.update({ view: 'map' });
    expect(url.pushed).toEqual([]);
  });

  it('reads the URL again on Back', () => {
    const url = fakeUrl('?cat=LAND');
    const store = new Store(url);
    store.setFilters({ categories: ['POWER'] });
    url.current = '?cat=LAND';
    let calls = 0;
    store.subscribe(() => calls++);
    store.fromUrl();
    expect(store.state.filters.categories).toEqual(['LAND']);
    expect(calls).toBe(1);
  });

  it('tracks each load: loading, then ready with the data, or failed with the message', () => {
    const store = new Store(fakeUrl());
    store.loading('townships');
    expect(store.snapshot.loads.townships).toBe('loading');
    store.failed('townships', 'HTTP 502');
    expect(store.snapshot.loads.townships).toBe('error');
    expect(store.snapshot.errors.townships).toBe('HTTP 502');
    store.setData({ townships: [township('410223101', 3)] }, 'townships');
    expect(store.snapshot.loads.townships).toBe('ready');
    expect(store.snapshot.errors.townships).toBeUndefined();
    expect(store.data.townships).toHaveLength(1);
  });

  it('stops telling a subscriber once it unsubscribed', () => {
    const store = new Store(fakeUrl());
    let calls = 0;
    const off = store.subscribe(() => calls++);
    store.update({ view: 'list' });
    off();
    store.update({ view: 'coverage' });
    expect(calls).toBe(1);
  });

  it('gives the map the values of the active metric', () => {
    const store = new Store(fakeUrl('?metric=overdue'));
    store.setData({ townships: [township('410223101', 31, 4), township('410223102', 15, 0)] });
    expect([...metricValues(store.snapshot)]).toEqual([
      ['410223101', 4],
      ['410223102', 0],
    ]);
    store.update({ metric: 'rate' });
    store.setData({ summary: summary([['410223101', 8, 2, 1, 4]]) });
    const sh = shading(store.snapshot);
    expect(sh.values.get('410223101')).toBe(50);
    expect(sh.label(store.data.townships[1]!, 0)).toBe('—');
  });

  it('makes township figures follow the filters once their summary is in', () => {
    const store = new Store(fakeUrl('?cat=FINANCING&w=RED'));
    store.setData({ townships: [township('410223101', 31, 4), township('410223102', 15, 0)] });
    // Before the filtered figures arrive, the townships' own counts.
    expect(metricValues(store.snapshot).get('410223101')).toBe(31);
    store.setData({ summary: summary([['410223101', 6, 6, 3, 0]]) }, 'summary');
    expect([...metricValues(store.snapshot)]).toEqual([
      ['410223101', 6],
      ['410223102', 0],
    ]);
    store.update({ metric: 'overdue' });
    expect(metricValues(store.snapshot).get('410223101')).toBe(3);
  });
});
