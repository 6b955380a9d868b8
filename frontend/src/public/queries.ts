/** GraphQL documents of the public page: everything here is readable without signing in. */
import { graphqlRequest } from '../api/graphql';
import type { IssueStatistics, TownshipOutline, YearSummary } from './types';

const COUNT = 'value withheld low high reason';
const ROW = `key label reported { ${COUNT} } open { ${COUNT} } resolved { ${COUNT} } overdue { ${COUNT} } onTimeRate satisfactionRate`;

export const STATISTICS_YEARS = /* GraphQL */ `query PublicYears { statisticsYears }`;

export const STATISTICS = /* GraphQL */ `
  query PublicStatistics($year: Int!) {
    statistics(year: $year) {
      year threshold
      total { ${ROW} }
      byMonth { ${ROW} }
      byCategory { ${ROW} }
      byTownship { ${ROW} }
      medianWorkingDaysToResolve
      enterprisesServed { ${COUNT} }
      visits { ${COUNT} }
    }
  }`;

export const TOWNSHIP_OUTLINES = /* GraphQL */ `query PublicTownships { townships(first: 100) { nodes { code name boundary } } }`;

/** One request for every year's county figures: one alias per year (years are few). */
export function yearOverYearQuery(years: readonly number[]): string {
  const parts = years
    .filter((y) => Number.isInteger(y))
    .map((y) => `y${y}: statistics(year: ${y}) { year total { ${ROW} } medianWorkingDaysToResolve enterprisesServed { ${COUNT} } visits { ${COUNT} } }`);
  return `query PublicYearOverYear { ${parts.join('\n')} }`;
}

export async function fetchYears(): Promise<number[]> {
  const data = await graphqlRequest<{ statisticsYears: number[] }>(STATISTICS_YEARS);
  return [...data.statisticsYears].sort((a, b) => b - a);
}

export async function fetchStatistics(year: number): Promise<IssueStatistics> {
  const data = await graphqlRequest<{ statistics: IssueStatistics }, { year: number }>(STATISTICS, { year });
  return data.statistics;
}

/** Years per request: the API refuses more than 30 aliases (YIMI_MAX_QUERY_ALIASES). */
const YEARS_PER_REQUEST = 20;

export async function fetchYearOverYear(years: readonly number[]): Promise<YearSummary[]> {
  const batches: number[][] = [];
  for (let i = 0; i < years.length; i += YEARS_PER_REQUEST) batches.push(years.slice(i, i + YEARS_PER_REQUEST));
  const answers = await Promise.all(batches.map((b) => graphqlRequest<Record<string, YearSummary>>(yearOverYearQuery(b))));
  return answers.flatMap((data) => Object.values(data)).sort((a, b) => a.year - b.year);
}

export async function fetchOutlines(): Promise<TownshipOutline[]> {
  const data = await graphqlRequest<{ townships: { nodes: TownshipOutline[] } }>(TOWNSHIP_OUTLINES);
  return data.townships.nodes;
}
