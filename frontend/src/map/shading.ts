/** Township shading for the active metric: a value, a colour and a label per township. */
import type { Township } from '../api/townships';
import { formatNumber, formatPercent } from '../i18n';
import type { Snapshot } from '../state/store';
import type { Metric } from '../state/url';
import type { Shading } from './mapView';
import { breaks, colorFor, GAP_RAMP, PERCENT_BREAKS, RAMP } from './scale';

/** Each township's value of the metric (a rate in whole percent). */
export function metricValues(snap: Snapshot): Map<string, number> {
  const m = snap.ui.metric;
  const gaps = new Map(snap.data.coverage.map((c) => [c.township.code, c.gaps.length]));
  const rates = snap.data.rates;
  const value = (tw: Township): number => {
    switch (m) {
      case 'open':
        return tw.openIssueCount;
      case 'overdue':
        return tw.overdueIssueCount;
      case 'enterprises':
        return tw.enterpriseCount;
      case 'teams':
        return tw.coveringTeams.length;
      case 'gaps':
        return gaps.get(tw.code) ?? 0;
      case 'rate':
        return Math.round((rates.get(tw.code) ?? 0) * 100);
    }
  };
  return new Map(snap.data.townships.map((tw) => [tw.code, value(tw)]));
}

export function breaksFor(metric: Metric, values: ReadonlyMap<string, number>): number[] {
  return metric === 'rate' ? [...PERCENT_BREAKS] : breaks([...values.values()]);
}

export function rampFor(metric: Metric): readonly string[] {
  return metric === 'gaps' ? GAP_RAMP : RAMP;
}

export function shading(snap: Snapshot): Shading {
  const m = snap.ui.metric;
  const values = metricValues(snap);
  const bks = breaksFor(m, values);
  const ramp = rampFor(m);
  const rates = snap.data.rates;
  const label =
    m === 'rate'
      ? (tw: Township): string => {
          const r = rates.get(tw.code);
          return r === undefined ? '—' : formatPercent(r);
        }
      : (_tw: Township, v: number): string => formatNumber(v);
  return { values, color: (v) => colorFor(v, bks, ramp), label };
}
