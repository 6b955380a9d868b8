/** Shared filters → GraphQL filter variables for each connection. */
import { type EnterpriseFilter, type IssueFilter, IssueStatus, type ServiceTeamFilter, type WarningColor } from '../api/generated/graphql';
import type { Filters, WarningName } from './url';

export type BBox = [number, number, number, number];

const RESOLVED: readonly IssueStatus[] = [IssueStatus.Resolved, IssueStatus.Closed];
/** Statuses of issues still being worked on: all but resolved and closed. */
export const OPEN_STATUSES: IssueStatus[] = Object.values(IssueStatus).filter((s) => !RESOLVED.includes(s));

export function enterpriseFilter(f: Filters, bbox: BBox | null = null): EnterpriseFilter {
  const out: EnterpriseFilter = {};
  if (f.townships.length) out.townshipCodes = [...f.townships];
  if (f.search.trim()) out.search = f.search.trim();
  if (f.aboveScale !== null) out.aboveScale = f.aboveScale;
  // A warning colour other than "none" implies an open issue.
  const colours = f.warnings.filter((w) => w !== 'NONE');
  if (f.hasOpen !== null) out.hasOpenIssues = f.hasOpen;
  else if (f.warnings.length && colours.length === f.warnings.length) out.hasOpenIssues = true;
  else if (f.warnings.length === 1 && f.warnings[0] === 'NONE') out.hasOpenIssues = false;
  if (bbox) out.bbox = bbox.map((n) => Math.round(n * 1e6) / 1e6) as BBox;
  return out;
}

/** Issues: the township filter, or the townships in view when "only what the map shows" is on. */
export function issueFilter(f: Filters, townshipsInView: string[] | null = null): IssueFilter {
  const out: IssueFilter = {};
  let codes = f.townships.length ? [...f.townships] : null;
  if (townshipsInView) codes = codes ? codes.filter((c) => townshipsInView.includes(c)) : [...townshipsInView];
  if (codes) out.townshipCodes = codes;
  if (f.categories.length) out.categories = [...f.categories];
  const colours = f.warnings.filter((w): w is WarningColor => w !== 'NONE');
  if (colours.length) {
    out.warningColors = colours;
  }
  // A warning colour (or "has open issues") means an open issue: the chosen statuses, of those.
  const open = f.hasOpen === true || colours.length > 0;
  if (f.statuses.length) out.statuses = open ? f.statuses.filter((s) => OPEN_STATUSES.includes(s)) : [...f.statuses];
  else if (open) out.statuses = [...OPEN_STATUSES];
  if (f.queue) out.queue = f.queue;
  if (f.search.trim()) out.search = f.search.trim();
  return out;
}

export function teamFilter(f: Filters, townshipsInView: string[] | null = null): ServiceTeamFilter {
  const out: ServiceTeamFilter = {};
  let codes = f.townships.length ? [...f.townships] : null;
  if (townshipsInView) codes = codes ? codes.filter((c) => townshipsInView.includes(c)) : [...townshipsInView];
  if (codes) out.townshipCodes = codes;
  if (f.categories.length === 1) out.speciality = f.categories[0]!;
  if (f.search.trim()) out.search = f.search.trim();
  return out;
}

/** Client-side filter of map points by warning colour (null = no open issue). */
export function warningMatches(selected: WarningName[], color: string | null): boolean {
  if (!selected.length) return true;
  return selected.includes((color ?? 'NONE') as WarningName);
}
