import { describe, expect, it } from 'vitest';
import { enterpriseFilter, issueFilter, OPEN_STATUSES, teamFilter, warningMatches } from './filters';
import { emptyFilters } from './url';

describe('filters → GraphQL variables', () => {
  it('sends nothing for empty filters', () => {
    expect(enterpriseFilter(emptyFilters())).toEqual({});
    expect(issueFilter(emptyFilters())).toEqual({});
    expect(teamFilter(emptyFilters())).toEqual({});
  });

  it('maps the shared filters to each connection', () => {
    const f = {
      ...emptyFilters(),
      townships: ['410223101'],
      categories: ['LAND' as const],
      warnings: ['RED' as const],
      search: ' 纸业 ',
      aboveScale: true,
    };
    expect(enterpriseFilter(f, [114.1, 34.2, 114.3, 34.5])).toEqual({
      townshipCodes: ['410223101'],
      search: '纸业',
      aboveScale: true,
      hasOpenIssues: true,
      bbox: [114.1, 34.2, 114.3, 34.5],
    });
    expect(issueFilter(f)).toEqual({
      townshipCodes: ['410223101'],
      categories: ['LAND'],
      warningColors: ['RED'],
      statuses: OPEN_STATUSES,
      search: '纸业',
    });
    expect(teamFilter(f)).toEqual({ townshipCodes: ['410223101'], speciality: 'LAND', search: '纸业' });
  });

  it('intersects townships with those in view', () => {
    const f = { ...emptyFilters(), townships: ['410223101', '410223102'] };
    expect(issueFilter(f, ['410223102', '410223103']).townshipCodes).toEqual(['410223102']);
    expect(issueFilter(emptyFilters(), ['410223103']).townshipCodes).toEqual(['410223103']);
  });

  it('"no warning" alone means enterprises without open issues', () => {
    expect(enterpriseFilter({ ...emptyFilters(), warnings: ['NONE'] }).hasOpenIssues).toBe(false);
    expect(enterpriseFilter({ ...emptyFilters(), warnings: ['NONE', 'RED'] }).hasOpenIssues).toBeUndefined();
    expect(warningMatches(['NONE'], null)).toBe(true);
    expect(warningMatches(['RED'], 'YELLOW')).toBe(false);
    expect(warningMatches([], 'YELLOW')).toBe(true);
  });
  it('sends the chosen statuses and queue; a warning colour keeps only the open ones', () => {
    const f = { ...emptyFilters(), statuses: ['IN_PROGRESS' as const, 'CLOSED' as const], queue: 'TEAM_OVERDUE' as const };
    expect(issueFilter(f)).toEqual({ statuses: ['IN_PROGRESS', 'CLOSED'], queue: 'TEAM_OVERDUE' });
    expect(issueFilter({ ...f, warnings: ['RED'] })).toEqual({ statuses: ['IN_PROGRESS'], warningColors: ['RED'], queue: 'TEAM_OVERDUE' });
  });
});
