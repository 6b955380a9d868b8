/** Data shaping: API answers to table specs and to chart series (pure functions, unit-tested). */
import { enumLabel, formatNumber } from '../i18n';
import { type PublicKey, translatePublic } from '../i18n/public';
import { breaks, colorFor, type LegendItem, legend, RAMP } from '../map/scale';
import type { Lang } from '../state/url';
import { hasRange, isPublished } from './format';
import type { SpecCell, SpecColumn, SpecRow, TableSpec } from './tableSpec';
import type { IssueStatistics, Measure, PublicCount, StatisticsRow, TownshipOutline, YearSummary } from './types';

const ROW_MEASURES: ReadonlyArray<[Measure, PublicKey]> = [
  ['reported', 'f_reported'],
  ['resolved', 'f_resolved'],
  ['open', 'f_open'],
  ['overdue', 'f_overdue'],
];

/** "2024-03" → "3月" / "Mar"; anything else is shown as it is. */
export function monthLabel(key: string, lang: Lang): string {
  const m = /^(\d{4})-(\d{2})$/.exec(key);
  if (!m) return key;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 15));
  return new Intl.DateTimeFormat(lang, { month: 'short', timeZone: 'UTC' }).format(date);
}

/** A category's label in the page's language; the API's label when the page does not know the key. */
export function categoryLabel(row: Pick<StatisticsRow, 'key' | 'label'>, lang: Lang): string {
  const upper = row.key.toUpperCase();
  const known = enumLabel(upper, lang);
  return known !== upper ? known : row.label;
}

function rowColumns(lang: Lang): SpecColumn[] {
  return [
    ...ROW_MEASURES.map(([, key]): SpecColumn => ({ label: translatePublic(lang, key), kind: 'count' })),
    { label: translatePublic(lang, 'f_onTime'), kind: 'rate' },
    { label: translatePublic(lang, 'f_satisfaction'), kind: 'rate' },
  ];
}

function rowCells(row: StatisticsRow): SpecCell[] {
  return [
    ...ROW_MEASURES.map(([m]): SpecCell => ({ kind: 'count', count: row[m] })),
    { kind: 'rate', value: row.onTimeRate },
    { kind: 'rate', value: row.satisfactionRate },
  ];
}

export type Breakdown = 'by-month' | 'by-category' | 'by-township';

const BREAKDOWN: Record<Breakdown, { field: 'byMonth' | 'byCategory' | 'byTownship'; title: PublicKey; head: PublicKey }> = {
  'by-month': { field: 'byMonth', title: 'monthly', head: 'col_month' },
  'by-category': { field: 'byCategory', title: 'byCategory', head: 'col_category' },
  'by-township': { field: 'byTownship', title: 'byTownship', head: 'col_township' },
};

export function rowLabel(breakdown: Breakdown, row: StatisticsRow, lang: Lang): string {
  if (breakdown === 'by-month') return monthLabel(row.key, lang);
  if (breakdown === 'by-category') return categoryLabel(row, lang);
  return row.label;
}

/** The table of one breakdown of the year, with the county total as its footer. */
export function breakdownTable(stats: IssueStatistics, breakdown: Breakdown, lang: Lang): TableSpec {
  const b = BREAKDOWN[breakdown];
  const rows = stats[b.field];
  return {
    id: breakdown,
    title: translatePublic(lang, b.title),
    rowHeader: translatePublic(lang, b.head),
    columns: rowColumns(lang),
    rows: rows.map((r): SpecRow => ({ key: r.key, head: rowLabel(breakdown, r, lang), cells: rowCells(r) })),
    footer: { key: stats.total.key, head: translatePublic(lang, 'countyTotal'), cells: rowCells(stats.total) },
    fileName: `yimi-statistics-${stats.year}-${breakdown}`,
    json: { year: stats.year, threshold: stats.threshold, table: breakdown, total: stats.total, rows },
    threshold: stats.threshold,
  };
}

/** The county's figures, one row per year, oldest first. */
export function yearOverYearTable(years: readonly YearSummary[], threshold: number, lang: Lang): TableSpec {
  const columns: SpecColumn[] = [
    ...rowColumns(lang),
    { label: translatePublic(lang, 'f_median'), kind: 'number' },
    { label: translatePublic(lang, 'f_enterprises'), kind: 'count' },
    { label: translatePublic(lang, 'f_visits'), kind: 'count' },
  ];
  return {
    id: 'year-over-year',
    title: translatePublic(lang, 'yearOverYear'),
    rowHeader: translatePublic(lang, 'col_year'),
    columns,
    rows: years.map(
      (y): SpecRow => ({
        key: String(y.year),
        head: String(y.year),
        cells: [
          ...rowCells(y.total),
          { kind: 'number', value: y.medianWorkingDaysToResolve },
          { kind: 'count', count: y.enterprisesServed },
          { kind: 'count', count: y.visits },
        ],
      }),
    ),
    fileName: 'yimi-statistics-year-over-year',
    json: { threshold, years },
    threshold,
  };
}

/**
 * Bars that never fake a withheld count. Stacked per measure: `exact` holds a published count; a
 * withheld one is an invisible `base` up to its low end and a hatched `span` from low to high.
 */
export interface RangeBars {
  exact: Array<number | null>;
  base: Array<number | null>;
  span: Array<number | null>;
}

export function rangeBars(counts: readonly PublicCount[]): RangeBars {
  const out: RangeBars = { exact: [], base: [], span: [] };
  for (const c of counts) {
    const published = isPublished(c);
    const ranged = !published && hasRange(c);
    out.exact.push(published ? c.value : null);
    out.base.push(ranged ? c.low : null);
    out.span.push(ranged ? c.high - c.low : null);
  }
  return out;
}

/** The series of the monthly chart: month labels and range bars of received and resolved. */
export function monthlySeries(stats: IssueStatistics, lang: Lang): { labels: string[]; reported: RangeBars; resolved: RangeBars } {
  return {
    labels: stats.byMonth.map((r) => monthLabel(r.key, lang)),
    reported: rangeBars(stats.byMonth.map((r) => r.reported)),
    resolved: rangeBars(stats.byMonth.map((r) => r.resolved)),
  };
}

export function categorySeries(stats: IssueStatistics, lang: Lang): { labels: string[]; reported: RangeBars } {
  return {
    labels: stats.byCategory.map((r) => categoryLabel(r, lang)),
    reported: rangeBars(stats.byCategory.map((r) => r.reported)),
  };
}

export interface ChoroplethArea {
  code: string;
  name: string;
  /** The published count, or null when withheld (drawn grey and hatched) or missing. */
  value: number | null;
  count: PublicCount | null;
  color: string;
}

export const WITHHELD_FILL = '#d5d9df';

/**
 * The township map's shading by issues received: class breaks over the published counts only (a
 * withheld township must not stretch or shift the scale), the same ramp as the staff map.
 */
export function choropleth(
  stats: IssueStatistics,
  outlines: readonly TownshipOutline[],
): { areas: ChoroplethArea[]; legend: LegendItem[] } {
  const byCode = new Map(stats.byTownship.map((r) => [r.key, r]));
  const published = stats.byTownship.filter((r) => isPublished(r.reported)).map((r) => r.reported.value as number);
  const bks = breaks(published);
  const areas = outlines.map((o): ChoroplethArea => {
    const count = byCode.get(o.code)?.reported ?? null;
    const value = count && isPublished(count) ? count.value : null;
    return { code: o.code, name: o.name, value, count, color: value === null ? WITHHELD_FILL : colorFor(value, bks, RAMP) };
  });
  return { areas, legend: legend(bks, RAMP) };
}

/** "12–40" for a legend item, "0" for the zero class. */
export function legendLabel(item: LegendItem, lang: Lang): string {
  return item.from === item.to ? formatNumber(item.from, lang) : `${formatNumber(item.from, lang)}–${formatNumber(item.to, lang)}`;
}
