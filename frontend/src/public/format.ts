/**
 * How a public figure reads. A published count is its number; a withheld one reads "不公开（386–390）" /
 * "withheld (386–390)" from the API's own low/high, never "<5" or any bound the page works out itself.
 */
import { formatNumber, formatPercent } from '../i18n';
import { translatePublic } from '../i18n/public';
import type { Lang } from '../state/url';
import type { PublicCount } from './types';

/** True when the API published the exact count. */
export function isPublished(c: PublicCount): c is PublicCount & { value: number } {
  return !c.withheld && typeof c.value === 'number';
}

/** True when the API gave a usable range for a withheld count. */
export function hasRange(c: PublicCount): boolean {
  return Number.isFinite(c.low) && Number.isFinite(c.high) && c.high >= c.low;
}

/** "386–390" (an en dash, as in print); "" when the API gave no usable range. */
export function rangeText(c: PublicCount, lang: Lang): string {
  return hasRange(c) ? `${formatNumber(c.low, lang)}–${formatNumber(c.high, lang)}` : '';
}

/** The figure as it reads in a table cell: "1,234", "不公开（386–390）" or "不公开". */
export function countText(c: PublicCount, lang: Lang): string {
  if (isPublished(c)) return formatNumber(c.value, lang);
  const range = rangeText(c, lang);
  return range ? translatePublic(lang, 'withheldRange', { range }) : translatePublic(lang, 'withheld', {});
}

/** Why a figure is withheld and where it lies, in a sentence or two; "" for a published figure. */
export function withheldExplanation(c: PublicCount, threshold: number, lang: Lang): string {
  if (isPublished(c)) return '';
  const reason = c.reason === 'BELOW_THRESHOLD' ? 'reasonBelow' : c.reason === 'PROTECTS_ANOTHER' ? 'reasonProtects' : 'reasonGeneric';
  const parts = [translatePublic(lang, reason, { threshold })];
  if (hasRange(c))
    parts.push(translatePublic(lang, 'withheldRangeNote', { low: formatNumber(c.low, lang), high: formatNumber(c.high, lang) }));
  return parts.join(lang === 'en' ? ' ' : '');
}

/** A rate as a percentage, or "—" when the API did not publish it. */
export function rateText(rate: number | null | undefined, lang: Lang): string {
  return formatPercent(rate ?? null, lang);
}

/** A rate for CSV: "87%" (Excel reads it as a percentage), "" when not published. */
export function rateCsv(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '';
  return `${Math.round(rate * 1000) / 10}%`;
}

/** Working days, one decimal at most; "—" when not published. */
export function daysText(days: number | null | undefined, lang: Lang): string {
  if (days === null || days === undefined || !Number.isFinite(days)) return '—';
  return new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(days);
}
