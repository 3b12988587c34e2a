/**
 * Terminal charts (`-o bar`, `-o line`, `-o chart`): pictures of ranked and
 * windowed results, for people who would rather look than read.
 *
 * - `bar`: one horizontal bar per record (`agg count by path then head 10`):
 *   the label is the record's text fields, the length its first number
 *   field, scaled to the widest value; eighth-block characters give the
 *   fraction.
 * - `line`: one line per group over time, drawn by asciichart: x is
 *   `window_start` (else `snapshot`), the series are the groups (the text
 *   fields other than x and `window_end`), y is the first number field. A
 *   window where a group has no record counts 0 for `count...` and `sum...`
 *   fields and keeps the group's previous value for others (the legend says
 *   so). With more points than the terminal is wide, the last ones are drawn.
 * - `chart`: `line` when the records have a time field with two or more
 *   values, else `bar`.
 *
 * A chart needs every value to scale, so it is drawn at end of input (and on
 * SIGINT/SIGTERM, as all results are). At most MAX_CHART_RECORDS records.
 */
import { createRequire } from 'node:module';
import type { Batch, Rec, Writer } from '../engine/types.js';
import { RuntimeError } from '../engine/errors.js';
import { NumText, textOf } from '../engine/values.js';
import { displayWidth } from '../formats/table.js';

/** More records than this make no chart anyone can read: a runtime error that says what to do. */
export const MAX_CHART_RECORDS = 10_000;

export type ChartKind = 'chart' | 'bar' | 'line';
export const CHART_KINDS: readonly ChartKind[] = ['chart', 'bar', 'line'];

interface Asciichart {
  plot(series: number[] | number[][], cfg?: { height?: number; colors?: string[]; format?: (x: number) => string }): string;
  [color: string]: unknown;
}

/** The number a value holds, or undefined. */
function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof NumText) return v.value;
  return undefined;
}

/** Text of a label value (null as `-`), control characters escaped. */
function label(v: unknown): string {
  const t = v === null || v === undefined ? '-' : (textOf(v) ?? '-');
  return t.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A number as a short label: integers as they are, others with 4 significant digits. */
function short(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(4)));
}

const TIME_FIELDS = ['window_start', 'snapshot'];
const SKIP = new Set(['window_end', 'window_id']);

/**
 * A writer that draws a chart at the end.
 * @param kind    bar, line, or chart (either, by the data)
 * @param columns terminal width (stdout's, else 80)
 * @param rows    terminal height, for the line chart's height
 * @param color   colour the series (line) and bars
 * @throws RuntimeError (from write) beyond MAX_CHART_RECORDS records; (from end) when no field is a number
 */
export function chartWriter(kind: ChartKind, columns: number, rows: number, color: boolean): Writer {
  const recs: Rec[] = [];
  return {
    write(batch: Batch): string {
      for (let i = 0; i < batch.length; i++) recs.push(batch[i]!);
      if (recs.length > MAX_CHART_RECORDS) {
        throw new RuntimeError(`-o ${kind}: more than ${MAX_CHART_RECORDS} records to draw; chart fewer (head N, or agg by fewer keys) or use -o table`);
      }
      return '';
    },
    end(): string {
      if (recs.length === 0) return '';
      const fields = Object.keys(recs[0]!);
      const valueField = fields.find((f) => !SKIP.has(f) && recs.some((r) => num(r[f]) !== undefined));
      if (valueField === undefined) throw new RuntimeError(`-o ${kind}: no field holds numbers to draw (fields: ${fields.join(', ')})`);
      const xField = TIME_FIELDS.find((f) => fields.includes(f));
      const labelFields = fields.filter((f) => f !== valueField && f !== xField && !SKIP.has(f) && recs.every((r) => num(r[f]) === undefined));
      const distinctX = xField === undefined ? 0 : new Set(recs.map((r) => label(r[xField]))).size;
      const useLine = kind === 'line' || (kind === 'chart' && distinctX >= 2);
      return useLine
        ? lineChart(recs, valueField, xField, labelFields, columns, rows, color)
        : barChart(recs, valueField, xField === undefined ? labelFields : [xField, ...labelFields], columns, color);
    },
  };
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

function barChart(recs: Rec[], valueField: string, labelFields: string[], columns: number, color: boolean): string {
  const labels = recs.map((r) => (labelFields.length ? labelFields.map((f) => label(r[f])).join(' ') : ''));
  const values = recs.map((r) => num(r[valueField]));
  const texts = values.map((v) => (v === undefined ? '-' : short(v)));
  const lw = Math.min(40, Math.max(0, ...labels.map(displayWidth)));
  const vw = Math.max(...texts.map((t) => t.length));
  const max = Math.max(0, ...values.map((v) => (v === undefined ? 0 : v)));
  const room = Math.max(10, columns - lw - vw - 4);
  const paint = color ? (s: string) => `\x1b[36m${s}\x1b[39m` : (s: string) => s;
  let out = `${valueField}${labelFields.length ? ' by ' + labelFields.join(', ') : ''}\n`;
  for (let i = 0; i < recs.length; i++) {
    let l = labels[i]!;
    if (displayWidth(l) > lw) l = l.slice(0, Math.max(1, lw - 1)) + '…';
    const v = values[i];
    const eighths = v === undefined || v <= 0 || max <= 0 ? 0 : Math.round((v / max) * room * 8);
    const bar = '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]!;
    out += `${l}${' '.repeat(Math.max(0, lw - displayWidth(l)))}  ${paint(bar)}${bar ? ' ' : ''}${texts[i]!.padStart(bar ? 0 : vw)}\n`;
  }
  return out;
}

function lineChart(recs: Rec[], valueField: string, xField: string | undefined, labelFields: string[], columns: number, rows: number, color: boolean): string {
  const require = createRequire(import.meta.url);
  const ac = require('asciichart') as Asciichart;
  // x positions in order of first appearance (windows come out in time order).
  const xs: string[] = [];
  const xIndex = new Map<string, number>();
  const series = new Map<string, Map<number, number>>();
  recs.forEach((r, i) => {
    const x = xField === undefined ? String(i) : label(r[xField]);
    let xi = xIndex.get(x);
    if (xi === undefined) {
      xi = xs.length;
      xIndex.set(x, xi);
      xs.push(x);
    }
    const name = labelFields.map((f) => label(r[f])).join(' ') || valueField;
    let s = series.get(name);
    if (s === undefined) series.set(name, (s = new Map()));
    const v = num(r[valueField]);
    if (v !== undefined) s.set(xi, v);
  });
  const zeroFill = /^(count|sum)/.test(valueField);
  const width = Math.max(10, columns - 14);
  const from = Math.max(0, xs.length - width);
  const names = [...series.keys()].slice(0, 8);
  const lines = names.map((n) => {
    const s = series.get(n)!;
    const out: number[] = [];
    let prev: number | undefined;
    for (let x = 0; x < xs.length; x++) {
      const v = s.get(x);
      if (v !== undefined) prev = v;
      out.push(v ?? (zeroFill ? 0 : (prev ?? [...s.values()][0] ?? 0)));
    }
    return out.slice(from);
  });
  const palette = ['green', 'blue', 'magenta', 'yellow', 'cyan', 'red', 'lightgray', 'default'].map((c) => ac[c] as string);
  const height = Math.max(5, Math.min(20, rows - 6 - names.length));
  let out = `${valueField}${labelFields.length ? ' by ' + labelFields.join(', ') : ''}${xField ? ' over ' + xField : ''}\n`;
  out += ac.plot(lines, { height, ...(color ? { colors: palette } : {}), format: (x: number) => short(x).padStart(10) }) + '\n';
  if (xField !== undefined) {
    const a = xs[from]!;
    const b = xs[xs.length - 1]!;
    out += `${' '.repeat(11)}${a}${b !== a ? ' '.repeat(Math.max(1, Math.min(width, xs.length - from) - a.length - b.length + 1)) + b : ''}\n`;
  }
  if (from > 0) out += `(the last ${xs.length - from} of ${xs.length} points)\n`;
  if (names.length > 1 || series.size > names.length) {
    out += names.map((n, i) => (color ? `${palette[i % palette.length]}──\x1b[0m ${n}` : `${i + 1}: ${n}`)).join('   ') + '\n';
    if (series.size > names.length) out += `(${series.size - names.length} more series not drawn: filter or head the groups)\n`;
    if (!color) out += '(lines are told apart by colour: --color always)\n';
  }
  out += zeroFill ? '(a window without a record of a group counts 0)\n' : '(a window without a record of a group keeps its last value)\n';
  return out;
}
