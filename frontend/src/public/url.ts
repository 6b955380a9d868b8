/**
 * The public page's state in the URL: /public?year=2024&lang=en. A link reproduces the page; the
 * language parameter is the staff app's (`lang`, absent for Chinese) so switching keeps working.
 */
import type { Lang } from '../state/url';

export const PUBLIC_PATH = '/public';

export interface PublicState {
  /** null: the latest year the API publishes. */
  year: number | null;
  lang: Lang;
}

export function isPublicPath(pathname: string): boolean {
  return pathname === PUBLIC_PATH || pathname === `${PUBLIC_PATH}/`;
}

export function parsePublicState(search: string): PublicState {
  const p = new URLSearchParams(search);
  const y = p.get('year');
  const year = y !== null && /^\d{4}$/.test(y) ? Number(y) : null;
  return { year, lang: p.get('lang') === 'en' ? 'en' : 'zh-CN' };
}

export function serializePublicState(state: PublicState): string {
  const p = new URLSearchParams();
  if (state.year !== null) p.set('year', String(state.year));
  if (state.lang !== 'zh-CN') p.set('lang', state.lang);
  const out = p.toString();
  return out ? `?${out}` : '';
}

/** The year to show: the one asked for when the API publishes it, else the latest one (years sorted newest first). */
export function chooseYear(asked: number | null, years: readonly number[]): number | null {
  if (asked !== null && years.includes(asked)) return asked;
  return years.length ? Math.max(...years) : null;
}

/** The open-data addresses of a year (plain GET, no sign-in). */
export function openDataUrls(origin: string, year: number): { json: string; csv: string } {
  const base = `${origin}/open-data/statistics/${year}`;
  return { json: `${base}.json`, csv: `${base}.csv` };
}
