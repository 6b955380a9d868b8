/** GraphQL documents of the public page: everything here is readable without signing in. */
import { request } from '../api/client';
import { graphql } from '../api/generated';
import type { IssueStatistics, TownshipOutline, YearSummary } from './types';

graphql(`
  fragment PublicCountFields on PublicCount {
    value withheld low high reason
  }
`);

graphql(`
  fragment StatisticsRowFields on StatisticsRow {
    key label
    reported { ...PublicCountFields }
    open { ...PublicCountFields }
    resolved { ...PublicCountFields }
    overdue { ...PublicCountFields }
    onTimeRate satisfactionRate
  }
`);

export const STATISTICS_YEARS = graphql(`
  query PublicYears {
    statisticsYears
  }
`);

export const STATISTICS = graphql(`
  query PublicStatistics($year: Int!) {
    statistics(year: $year) {
      year threshold releasedAt nextReleaseAt
      total { ...StatisticsRowFields }
      byMonth { ...StatisticsRowFields }
      byCategory { ...StatisticsRowFields }
      byTownship { ...StatisticsRowFields }
      medianWorkingDaysToResolve
      enterprisesServed { ...PublicCountFields }
      visits { ...PublicCountFields }
    }
  }
`);

/** A year's county figures for the year-over-year table. */
export const YEAR_SUMMARY = graphql(`
  query PublicYearSummary($year: Int!) {
    statistics(year: $year) {
      year
      total { ...StatisticsRowFields }
      medianWorkingDaysToResolve
      enterprisesServed { ...PublicCountFields }
      visits { ...PublicCountFields }
    }
  }
`);

export const TOWNSHIP_OUTLINES = graphql(`
  query PublicTownships {
    townships(first: 100) { nodes { code name boundary } }
  }
`);

export async function fetchYears(): Promise<number[]> {
  const data = await request(STATISTICS_YEARS);
  return [...data.statisticsYears].sort((a, b) => b - a);
}

export async function fetchStatistics(year: number): Promise<IssueStatistics> {
  return (await request(STATISTICS, { year })).statistics;
}

/** One small request per year, in parallel (years are few). */
export async function fetchYearOverYear(years: readonly number[]): Promise<YearSummary[]> {
  const answers = await Promise.all(years.map((year) => request(YEAR_SUMMARY, { year })));
  return answers.map((data) => data.statistics).sort((a, b) => a.year - b.year);
}

export async function fetchOutlines(): Promise<TownshipOutline[]> {
  const data = await request(TOWNSHIP_OUTLINES);
  return data.townships.nodes.map((n) => ({ ...n, boundary: n.boundary as TownshipOutline['boundary'] }));
}
