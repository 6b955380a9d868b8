/** A table of the public page as data: rendered to HTML (tables.ts), CSV and JSON (csv.ts) from one spec. */
import type { PublicCount } from './types';

export type SpecCell =
  | { kind: 'text'; text: string }
  | { kind: 'count'; count: PublicCount }
  | { kind: 'rate'; value: number | null }
  | { kind: 'number'; value: number | null };

export interface SpecColumn {
  label: string;
  kind: SpecCell['kind'];
}

export interface SpecRow {
  key: string;
  /** The row header (month, category, township, year). */
  head: string;
  cells: SpecCell[];
}

export interface TableSpec {
  /** Element id and download file stem, e.g. "by-month". */
  id: string;
  title: string;
  rowHeader: string;
  columns: SpecColumn[];
  rows: SpecRow[];
  /** A total row, shown in <tfoot> and exported last. */
  footer?: SpecRow;
  /** The download's base name, without extension. */
  fileName: string;
  /** What the JSON download holds: the API's own rows with the year and threshold. */
  json: unknown;
  threshold: number;
}
