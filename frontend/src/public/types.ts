/** The shapes of the public statistics API (schema.graphql: PublicCount, StatisticsRow, IssueStatistics). */

/**
 * A count anyone may read. `value` is null when the figure is withheld; `low..high` is then the honest
 * range the published figures already imply (at least 5 wide). `reason` is an enum value the page
 * explains when it knows it and describes generically when it does not (the API may add values).
 */
export interface PublicCount {
  value: number | null;
  withheld: boolean;
  low: number;
  high: number;
  reason: string | null;
}

/** The counts of a row. */
export type Measure = 'reported' | 'resolved' | 'open' | 'overdue';

export interface StatisticsRow {
  key: string;
  label: string;
  reported: PublicCount;
  open: PublicCount;
  resolved: PublicCount;
  overdue: PublicCount;
  onTimeRate: number | null;
  satisfactionRate: number | null;
}

export interface IssueStatistics {
  year: number;
  threshold: number;
  /** When these figures were released (ISO 8601): they are as of then, and change only at the next release. */
  releasedAt: string;
  /** The next scheduled release; null once the year's figures are final. */
  nextReleaseAt: string | null;
  total: StatisticsRow;
  byTownship: StatisticsRow[];
  byCategory: StatisticsRow[];
  /** 12 rows, key "YYYY-MM". */
  byMonth: StatisticsRow[];
  medianWorkingDaysToResolve: number | null;
  enterprisesServed: PublicCount;
  visits: PublicCount;
}

/** The county's figures of one year, for the year-over-year table. */
export type YearSummary = Pick<IssueStatistics, 'year' | 'total' | 'medianWorkingDaysToResolve' | 'enterprisesServed' | 'visits'>;

/** A public township outline (GeoJSON, WGS-84). */
export interface TownshipOutline {
  code: string;
  name: string;
  boundary: GeoJSON.MultiPolygon | GeoJSON.Polygon | null;
}
