/** A small statistics answer in the API's shape, for the unit tests (not imported by the app). */
import type { IssueStatistics, PublicCount, StatisticsRow, YearSummary } from './types';

export const shown = (value: number): PublicCount => ({ value, withheld: false, low: value, high: value, reason: null });
export const hidden = (low: number, high: number, reason: string | null = 'BELOW_THRESHOLD'): PublicCount => ({
  value: null,
  withheld: true,
  low,
  high,
  reason,
});

export function row(
  key: string,
  label: string,
  reported: PublicCount,
  resolved: PublicCount,
  open: PublicCount,
  overdue: PublicCount = shown(0),
): StatisticsRow {
  return { key, label, reported, resolved, open, overdue, onTimeRate: null, satisfactionRate: null };
}

const months = Array.from({ length: 12 }, (_, i) => {
  const key = `2024-${String(i + 1).padStart(2, '0')}`;
  // March is small: its counts are withheld, with ranges.
  return i === 2
    ? row(key, key, hidden(0, 4), hidden(0, 4), hidden(0, 4), hidden(0, 4))
    : row(key, key, shown(30 + i), shown(28 + i), hidden(0, 4), hidden(0, 4));
});

export const STATS: IssueStatistics = {
  year: 2024,
  threshold: 5,
  releasedAt: '2024-12-01T00:00:00+00:00',
  nextReleaseAt: '2025-01-01T00:00:00+00:00',
  total: {
    ...row('ALL', '尉氏县', shown(390), hidden(386, 390, 'PROTECTS_ANOTHER'), hidden(0, 4)),
    onTimeRate: 0.87,
    satisfactionRate: 0.9,
  },
  byMonth: months,
  byCategory: [
    row('financing', 'FINANCING', shown(120), shown(118), hidden(0, 4)),
    row('land', 'LAND', hidden(0, 4), hidden(0, 4), hidden(0, 4)),
    row('power', 'POWER', hidden(266, 270, 'PROTECTS_ANOTHER'), hidden(264, 270, 'PROTECTS_ANOTHER'), hidden(0, 4)),
  ],
  byTownship: [
    row('410223001', '城关镇', shown(200), shown(198), hidden(0, 4)),
    row('410223101', '洧川镇', shown(10), shown(10), shown(0)),
    row('410223102', '庄头镇', hidden(176, 180, 'WITHHELD'), shown(176), hidden(0, 4)),
  ],
  medianWorkingDaysToResolve: 6.5,
  enterprisesServed: shown(257),
  visits: hidden(0, 4, null),
};

export const YEARS: YearSummary[] = [
  {
    year: 2023,
    total: row('ALL', '尉氏县', shown(300), shown(300), shown(0)),
    medianWorkingDaysToResolve: null,
    enterprisesServed: shown(200),
    visits: shown(500),
  },
  { year: 2024, total: STATS.total, medianWorkingDaysToResolve: 6.5, enterprisesServed: STATS.enterprisesServed, visits: STATS.visits },
];
