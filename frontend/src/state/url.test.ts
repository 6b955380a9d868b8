import { describe, expect, it } from 'vitest';
import { type AppState, defaultState, differsBeyondPosition, parseState, serializeState } from './url';

describe('URL state', () => {
  it('round-trips a full state', () => {
    const s: AppState = {
      view: 'list',
      tab: 'issues',
      metric: 'overdue',
      filters: {
        townships: ['410223001', '410223101'],
        categories: ['LAND', 'POWER'],
        warnings: ['RED'],
        search: '猪 运输',
        aboveScale: true,
        hasOpen: false,
        statuses: ['DISPATCHED', 'IN_PROGRESS'],
        queue: 'TEAM_OVERDUE',
      },
      onlyMap: true,
      sort: { field: 'DEADLINE', dir: 'ASC' },
      township: '410223101',
      enterprise: 'RW50ZXJwcmlzZToz',
      lang: 'en',
      tiles: true,
      at: [34.41, 114.19, 11],
    };
    expect(parseState(serializeState(s))).toEqual(s);
  });

  it('leaves defaults out of the URL', () => {
    expect(serializeState(defaultState())).toBe('');
    expect(parseState('')).toEqual(defaultState());
  });

  it('drops invalid values instead of trusting them', () => {
    const s = parseState(
      '?view=evil&t=410223001,123,abc&cat=LAND,DROP&w=RED,PINK&above=maybe&sort=x;y&sel=<img>&at=91,0,3&st=CLOSED,GONE&queue=ALL',
    );
    expect(s.filters.statuses).toEqual(['CLOSED']);
    expect(s.filters.queue).toBeNull();
    expect(s.view).toBe('map');
    expect(s.filters.townships).toEqual(['410223001']);
    expect(s.filters.categories).toEqual(['LAND']);
    expect(s.filters.warnings).toEqual(['RED']);
    expect(s.filters.aboveScale).toBeNull();
    expect(s.sort).toBeNull();
    expect(s.township).toBeNull();
    expect(s.at).toBeNull();
  });

  it('tells a map move apart from a filter change', () => {
    const a = defaultState();
    expect(differsBeyondPosition(a, { ...a, at: [1, 2, 3] })).toBe(false);
    expect(differsBeyondPosition(a, { ...a, view: 'list' })).toBe(true);
  });
});
