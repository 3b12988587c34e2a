/**
 * `table` output: aligned columns for people (SPEC §2).
 */
import { createRequire } from 'node:module';
import type { ChalkInstance } from 'chalk';
import type { Batch, Rec, Writer, WriterOptions } from '../engine/types.js';
import { NumText, stringifyValue } from '../engine/values.js';

const require = createRequire(import.meta.url);

/**
 * The header's bold style. chalk is loaded (synchronously: Node >= 20.19
 * `require`s an ES module) only for a table in colour, so that no other run
 * pays for loading it; without colour, bold is the identity, which is what
 * chalk at level 0 is.
 */
function boldStyle(color: boolean): (s: string) => string {
  if (!color) return (s) => s;
  const { Chalk } = require('chalk') as typeof import('chalk');
  const chalk: ChalkInstance = new Chalk({ level: 1 });
  return (s) => chalk.bold(s);
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const CONTROL = /[\x00-\x1f\x7f]/g;
const ZERO_WIDTH = /^[\p{M}\u200b-\u200f\u2060\ufeff]$/u;
const EMOJI_PRESENTATION = /^\p{Emoji_Presentation}$/u;
const PICTOGRAPHIC = /^\p{Extended_Pictographic}$/u;

/** East Asian Wide and Fullwidth ranges (Markus Kuhn's wcwidth, extended to Unicode 15's wide blocks). */
function isWideCJK(c: number): boolean {
  return (
    (c >= 0x1100 && c <= 0x115f) ||
    c === 0x2329 ||
    c === 0x232a ||
    (c >= 0x2e80 && c <= 0xa4cf && c !== 0x303f) ||
    (c >= 0xa960 && c <= 0xa97f) ||
    (c >= 0xac00 && c <= 0xd7a3) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xfe10 && c <= 0xfe19) ||
    (c >= 0xfe30 && c <= 0xfe6f) ||
    (c >= 0xff00 && c <= 0xff60) ||
    (c >= 0xffe0 && c <= 0xffe6) ||
    (c >= 0x16fe0 && c <= 0x18cff) ||
    (c >= 0x1b000 && c <= 0x1b2ff) ||
    (c >= 0x20000 && c <= 0x3fffd)
  );
}

/**
 * Terminal columns a string takes, as most terminals draw it: 0 for combining
 * marks and zero-width characters; 2 for East Asian Wide and Fullwidth
 * characters (CJK, Hangul, fullwidth forms: after Markus Kuhn's wcwidth) and
 * for emoji drawn as emoji (Unicode's Emoji_Presentation property, or a
 * pictograph followed by the emoji selector U+FE0F); 1 otherwise. An emoji
 * sequence counts as one glyph: a pictograph after a zero-width joiner
 * (U+200D) and a skin-tone modifier after an emoji add nothing, and a flag
 * (two regional indicators) takes 2. Control characters are not expected
 * (the table shows them escaped).
 */
export function displayWidth(s: string): number {
  if (PRINTABLE_ASCII.test(s)) return s.length;
  let w = 0;
  /** Columns the previous code point added, and whether it was a pictograph or a zero-width joiner. */
  let prevW = 0;
  let prevPict = false;
  let afterJoiner = false;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    let cw = 1;
    let pict = false;
    if (c < 0x300) cw = 1;
    else if (c === 0xfe0f) cw = prevPict && prevW === 1 ? 1 : 0; // emoji presentation: a text-style pictograph becomes wide
    else if (ZERO_WIDTH.test(ch)) cw = 0;
    else if (isWideCJK(c)) cw = 2;
    else if (c >= 0x1f1e6 && c <= 0x1f1ff) cw = 1; // regional indicator: a flag is a pair, 2 columns
    else if (c >= 0x1f3fb && c <= 0x1f3ff && prevW === 2) cw = 0; // skin tone after an emoji
    else if (c >= 0x2000 && PICTOGRAPHIC.test(ch)) {
      pict = true;
      cw = afterJoiner && prevPict ? 0 : EMOJI_PRESENTATION.test(ch) ? 2 : 1;
    } else if (c >= 0x2000 && EMOJI_PRESENTATION.test(ch)) cw = 2;
    w += cw;
    if (c === 0x200d) afterJoiner = true;
    else {
      afterJoiner = false;
      if (c !== 0xfe0f && !(c >= 0x1f3fb && c <= 0x1f3ff)) {
        prevPict = pict;
        prevW = cw;
      } else prevW += cw;
    }
  }
  return w;
}

function escapeControl(s: string): string {
  CONTROL.lastIndex = 0;
  if (!CONTROL.test(s)) return s;
  return s.replace(CONTROL, (c) =>
    c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'),
  );
}

/** The text of one cell, and whether it is a number (right-aligned). */
function cellOf(v: unknown): { text: string; num: boolean } {
  if (typeof v === 'number') return { text: String(v), num: true };
  if (v instanceof NumText) return { text: v.text, num: true };
  if (typeof v === 'string') return { text: escapeControl(v), num: false };
  if (v === null || v === undefined) return NULL_CELL;
  if (typeof v === 'boolean') return { text: v ? 'true' : 'false', num: false };
  return { text: escapeControl(stringifyValue(v) ?? ''), num: false };
}

/** Null is shown as `-` (as Miller's pprint shows empty values), so that no row is blank. */
const NULL_CELL = { text: '-', num: false };

interface Row {
  texts: string[];
  nums: boolean[];
  widths: number[];
}

/**
 * Table writer. Each batch is printed as soon as it is written (nothing is
 * held back, so `tail -f` works): columns are two spaces apart, text
 * left-aligned, numbers right-aligned (the header too, over a column whose
 * first value is a number), null as `-`, control characters shown
 * as `\n`, `\t`, `\xNN`. Column widths only grow: when a batch needs a wider
 * column, or the field names change (set or order), a blank line and a new
 * header start a new block. The header is bold when `color` is on.
 */
export class TableWriter implements Writer {
  private readonly bold: (s: string) => string;
  private cols: string[] | null = null;
  private widths: number[] = [];
  private rightHead: boolean[] = [];

  constructor(opts: WriterOptions) {
    this.bold = boldStyle(opts.color === true);
  }

  write(batch: Batch): string {
    let s = '';
    let i = 0;
    while (i < batch.length) {
      // A run of records with the same fields.
      const keys = Object.keys(batch[i]!);
      let j = i + 1;
      while (j < batch.length && sameKeys(batch[j]!, keys)) j++;
      if (keys.length > 0) s += this.block(batch, i, j, keys);
      i = j;
    }
    return s;
  }

  end(): string {
    return '';
  }

  private block(batch: Batch, from: number, to: number, keys: string[]): string {
    const n = keys.length;
    const rows: Row[] = [];
    const need = new Array<number>(n).fill(0);
    for (let r = from; r < to; r++) {
      const rec: Rec = batch[r]!;
      const row: Row = { texts: new Array(n), nums: new Array(n), widths: new Array(n) };
      for (let c = 0; c < n; c++) {
        const { text, num } = cellOf(rec[keys[c]!]);
        const w = displayWidth(text);
        row.texts[c] = text;
        row.nums[c] = num;
        row.widths[c] = w;
        if (w > need[c]!) need[c] = w;
      }
      rows.push(row);
    }
    let s = '';
    const same = this.cols !== null && this.cols.length === n && this.cols.every((k, c) => k === keys[c]);
    let grow = false;
    if (same) for (let c = 0; c < n; c++) if (need[c]! > this.widths[c]!) grow = true;
    if (!same || grow) {
      const heads = keys.map(escapeControl);
      const widths = same ? this.widths.slice() : new Array<number>(n).fill(0);
      for (let c = 0; c < n; c++) widths[c] = Math.max(widths[c]!, need[c]!, displayWidth(heads[c]!));
      if (!same) this.rightHead = rows[0]!.nums.slice();
      if (this.cols !== null) s += '\n';
      this.cols = keys;
      this.widths = widths;
      let line = '';
      for (let c = 0; c < n; c++) {
        line += (c > 0 ? '  ' : '') + this.bold(this.pad(heads[c]!, displayWidth(heads[c]!), c, this.rightHead[c]!));
      }
      s += line.trimEnd() + '\n';
    }
    for (const row of rows) {
      let line = '';
      for (let c = 0; c < n; c++) line += (c > 0 ? '  ' : '') + this.pad(row.texts[c]!, row.widths[c]!, c, row.nums[c]!);
      s += line.trimEnd() + '\n';
    }
    return s;
  }

  private pad(text: string, w: number, c: number, right: boolean): string {
    const fill = this.widths[c]! - w;
    if (fill <= 0) return text;
    if (right) return ' '.repeat(fill) + text;
    return c === this.widths.length - 1 ? text : text + ' '.repeat(fill);
  }
}

function sameKeys(rec: Rec, keys: string[]): boolean {
  let i = 0;
  for (const k in rec) {
    if (k !== keys[i]) return false;
    i++;
  }
  return i === keys.length;
}
