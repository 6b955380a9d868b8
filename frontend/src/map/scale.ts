/** Colour scales and legend breaks for township shading and warning colours. */

/** Sequential blue ramp (light → dark), ColorBrewer "Blues", 5 classes. */
export const RAMP = ['#eff3ff', '#bdd7e7', '#6baed6', '#3182bd', '#08519c'] as const;
/** Diverging ramp for coverage gaps: none = pale green, many = deep orange. */
export const GAP_RAMP = ['#edf8e9', '#fdd0a2', '#fdae6b', '#e6550d', '#a63603'] as const;

export const WARNING_HEX: Record<string, string> = {
  RED: '#c62828',
  ORANGE: '#ef6c00',
  YELLOW: '#f2c200',
  GREEN: '#2e7d32',
  NONE: '#7b8794',
};
/** Rank for "worst colour": higher is worse. */
export const WARNING_RANK: Record<string, number> = { NONE: 0, GREEN: 1, YELLOW: 2, ORANGE: 3, RED: 4 };
export const RANK_WARNING = ['NONE', 'GREEN', 'YELLOW', 'ORANGE', 'RED'] as const;

export function warningRank(color: string | null | undefined): number {
  return WARNING_RANK[color ?? 'NONE'] ?? 0;
}

/**
 * Class breaks for integer counts: up to `classes` ascending upper bounds, equal-interval
 * from 0 to max rounded to "nice" integers, without duplicates. [] when every value is 0.
 */
export function breaks(values: readonly number[], classes = 5): number[] {
  const max = values.reduce((m, v) => (Number.isFinite(v) && v > m ? v : m), 0);
  if (max <= 0) return [];
  const out: number[] = [];
  for (let i = 1; i <= classes; i++) {
    const b = Math.ceil((max * i) / classes);
    if (!out.includes(b)) out.push(b);
  }
  return out;
}

/** Fixed breaks for percentages (resolution rate). */
export const PERCENT_BREAKS = [20, 40, 60, 80, 100] as const;

/** Index of the class a value falls in (0 for ≤ first break); -1 for 0 / missing = "none". */
export function classOf(value: number, bks: readonly number[]): number {
  if (!Number.isFinite(value) || value <= 0 || bks.length === 0) return -1;
  for (let i = 0; i < bks.length; i++) if (value <= bks[i]!) return i;
  return bks.length - 1;
}

/** Fill colour for a value; classes spread across the ramp so 3 classes still use light→dark. */
export function colorFor(value: number, bks: readonly number[], ramp: readonly string[] = RAMP): string {
  const c = classOf(value, bks);
  if (c < 0) return '#f7f7f7';
  const idx = bks.length === 1 ? ramp.length - 1 : Math.round((c * (ramp.length - 1)) / (bks.length - 1));
  return ramp[idx]!;
}

export interface LegendItem {
  color: string;
  /** Inclusive bounds. */
  from: number;
  to: number;
}

export function legend(bks: readonly number[], ramp: readonly string[] = RAMP): LegendItem[] {
  const items: LegendItem[] = [{ color: '#f7f7f7', from: 0, to: 0 }];
  let prev = 0;
  bks.forEach((b, i) => {
    const idx = bks.length === 1 ? ramp.length - 1 : Math.round((i * (ramp.length - 1)) / (bks.length - 1));
    items.push({ color: ramp[idx]!, from: prev + 1, to: b });
    prev = b;
  });
  return items;
}

/** Relative luminance contrast ratio (WCAG) between two #rrggbb colours. */
export function contrast(a: string, b: string): number {
  const lum = (hex: string): number => {
    const n = parseInt(hex.slice(1), 16);
    const ch = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * ch[0]! + 0.7152 * ch[1]! + 0.0722 * ch[2]!;
  };
  const [l1, l2] = [lum(a), lum(b)].sort((x, y) => y - x) as [number, number];
  return (l1 + 0.05) / (l2 + 0.05);
}

/** Black or white text, whichever contrasts more with the background. */
export function textOn(bg: string): string {
  return contrast(bg, '#000000') >= contrast(bg, '#ffffff') ? '#111111' : '#ffffff';
}
