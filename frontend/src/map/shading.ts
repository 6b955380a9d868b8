/** Township shading for the active metric: a value, a colour and a label per township. */
import type { IssueSummary } from '../api/issues';
import type { Township } from '../api/townships';
import { formatNumber, formatPercent } from '../i18n';
import type { Snapshot } from '../state/store';
import type { Metric } from '../state/url';
import type { Shading } from './mapView';
import { breaks, colorFor, GAP_RAMP, PERCENT_BREAKS, RAMP } from './scale';

type Figures = IssueSummary['byTownship'][number];

/** Each township's issue figures under the active filters (a township with none matching is absent). */
export function townshipFigures(snap: Snapshot): Map<string, Figures> {
  return new Map((snap.data.summary?.byTownship ?? []).map((f) => [f.township.code, f]));
}

/** Resolved (or closed) issues over all matching issues, by township; absent where none match. */
export function resolutionRates(snap: Snapshot): Map<string, number> {
  const out = new Map<string, number>();
  for (const [code, f] of townshipFigures(snap)) if (f.total) out.set(code, f.resolved / f.total);
  return out;
}

/**
 * Each township's value of the metric (a rate in whole percent). Issue counts follow the active
 * filters (the summary's byTownship); until it has loaded, the township's own unfiltered counts.
 */
export function metricValues(snap: Snapshot): Map<string, number> {
  const m = snap.ui.metric;
  const gaps = new Map(snap.data.coverage.map((c) => [c.township.code, c.gaps.length]));
  const figures = snap.data.summary ? townshipFigures(snap) : null;
  const rates = resolutionRates(snap);
  const value = (tw: Township): number => {
    switch (m) {
      case 'open':
        return figures ? (figures.get(tw.code)?.open ?? 0) : tw.openIssueCount;
      case 'overdue':
        return figures ? (figures.get(tw.code)?.overdue ?? 0) : tw.overdueIssueCount;
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
  const rates = resolutionRates(snap);
  const label =
    m === 'rate'
      ? (tw: Township): string => {
          const r = rates.get(tw.code);
          return r === undefined ? '—' : formatPercent(r);
        }
      : (_tw: Township, v: number): string => formatNumber(v);
  return { values, color: (v) => colorFor(v, bks, ramp), label };
}
