/**
 * The CSV and TSV writer (RFC 4180 quoting for CSV; TSV escapes).
 */
import type { Batch, Rec, Writer, WriterOptions } from '../engine/types.js';
import { NumText, rawOf, stringifyValue } from '../engine/values.js';
import { CSV_HEADER, type CsvHeader, checkDelimiter, escapeTsv, makeHeader } from './csv-header.js';

/**
 * CSV/TSV writer (SPEC §2).
 *
 * - The header comes from the first record's fields. A later record whose
 *   fields are the header's, in any order or a subset of them, is written
 *   under it (missing cells empty); a record with a field the header lacks
 *   starts a schema change block (a blank line and a new header: read it
 *   back with `-i csvlite`). No field is ever dropped. A record with no
 *   fields is not written (it has no cell).
 * - TSV (format `tsv`) is never quoted: backslash, tab, LF and CR in a cell
 *   are written `\\`, `\t`, `\n`, `\r` (escapeTsv).
 * - Cells: null → empty; strings as they are; numbers as read (NumText) or
 *   JavaScript's shortest form; booleans `true`/`false`; objects and arrays as
 *   JSON text. A cell is quoted (RFC 4180, `"` doubled) only when it holds the
 *   delimiter, a quote, CR or LF; leading and trailing blanks are kept without
 *   quotes (the reader keeps them too). In a one-column file an empty cell is
 *   written `""`, so that the row is not a blank line.
 * - A record that still has its RAW text from the same format and delimiter is
 *   written as that text, and the header of its block as the input's header
 *   text, so unchanged input comes back byte for byte (apart from CRLF → LF).
 */
export class CsvWriter implements Writer {
  private readonly delim: string;
  private readonly needsQuote: RegExp;
  private readonly rawOk: boolean;
  /** Column names in output order, or null before the first record. */
  private cols: readonly string[] | null = null;
  /** The same names in the order the record's own keys enumerate (integer-like names first, as JS orders keys). */
  private keyOrder: readonly string[] = [];
  /** The input header whose rows can be written as their RAW text in the current block. */
  private curHeader: CsvHeader | undefined;
  /** The current columns as a set (a record whose fields are all in it goes under the current header). */
  private colSet: Set<string> = new Set();
  /** Per column: its name is also an Object.prototype property (`constructor`, `__proto__`): read it as an own field only. */
  private inherited: boolean[] = [];
  private readonly tsv: boolean;

  constructor(format: 'csv' | 'tsv', opts: WriterOptions) {
    const d = opts.delimiter ?? (format === 'tsv' ? '\t' : ',');
    checkDelimiter(d);
    this.delim = d;
    this.tsv = format === 'tsv';
    // (TSV: never quoted; the delimiter in a cell can only be escaped when it is the tab.)
    this.needsQuote = this.tsv ? /[\\\t\n\r]/ : new RegExp(`[${d === ']' || d === '\\' || d === '^' || d === '-' ? '\\' + d : d}"\\r\\n]`);
    const inFmt = opts.inputFormat === 'csvlite' ? 'csv' : opts.inputFormat;
    const inDelim = opts.inputDelimiter ?? (inFmt === 'tsv' ? '\t' : ',');
    this.rawOk = inFmt === format && inDelim === d;
  }

  write(batch: Batch): string {
    let s = '';
    for (let i = 0; i < batch.length; i++) {
      const rec = batch[i]!;
      const raw = this.rawOk ? rawOf(rec) : undefined;
      const h = (rec as { [CSV_HEADER]?: CsvHeader })[CSV_HEADER];
      if (raw !== undefined && h !== undefined && h === this.curHeader) {
        s += raw + '\n';
        continue;
      }
      if (!this.sameFields(rec, raw !== undefined ? h : undefined)) {
        const head = this.startBlock(rec, h);
        if (head === undefined) continue; // a record without fields
        s += head;
      }
      s += (raw !== undefined && h !== undefined && h === this.curHeader ? raw : this.formatRow(rec)) + '\n';
    }
    return s;
  }

  end(): string {
    return '';
  }

  /**
   * For checkpoints: the current block's columns (null before the first
   * record), the key order they were matched in, and the input header the
   * block was started from (`[names, raw]`), if any.
   */
  snapshot(): unknown {
    const h = this.curHeader;
    return { cols: this.cols, keys: this.keyOrder, h: h === undefined ? null : [h.names, h.raw] };
  }

  /**
   * Go on writing an output that holds what the snapshot's writer wrote: the
   * current block's header is not written again.
   * @throws Error on a state `snapshot` cannot have written
   */
  restore(state: unknown): void {
    const o = state as { cols?: unknown; keys?: unknown; h?: unknown } | null;
    const strs = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
    const h = o?.h;
    if (o === null || typeof o !== 'object' || (o.cols !== null && !strs(o.cols)) || !strs(o.keys) || (h !== null && !(Array.isArray(h) && h.length === 2 && strs(h[0]) && typeof h[1] === 'string'))) {
      throw new Error('not a CSV writer state');
    }
    if (o.cols === null) return;
    const cols = o.cols as string[];
    this.cols = cols;
    this.keyOrder = o.keys as string[];
    this.curHeader = h === null ? undefined : makeHeader(h[0] as string[], h[1] as string);
    this.colSet = new Set(cols);
    this.inherited = cols.map((c) => c in Object.prototype);
  }

  /**
   * True when `rec` has exactly the current fields in the current order. `h`
   * is given for an unchanged record (its fields are its header's names).
   */
  private sameFields(rec: Rec, h: CsvHeader | undefined): boolean {
    const cols = this.cols;
    if (cols === null) return false;
    if (h !== undefined) {
      const n = h.names;
      let same = n.length === cols.length;
      for (let i = 0; same && i < n.length; i++) if (n[i] !== cols[i]) same = false;
      if (same) {
        this.curHeader = h;
        return true;
      }
    } else {
      const ko = this.keyOrder;
      let i = 0;
      let same = true;
      for (const k in rec) {
        if (k !== ko[i]) {
          same = false;
          break;
        }
        i++;
      }
      if (same && i === ko.length) return true;
    }
    // The header's fields in another order, or some of them: written under it.
    const set = this.colSet;
    let n = 0;
    for (const k in rec) {
      if (!set.has(k)) return false;
      n++;
    }
    return n > 0;
  }

  /**
   * Start a block for `rec`'s fields; returns its text (blank line + header),
   * or undefined for a record without fields. When the record's fields are
   * those of the CSV header it was read under (same names, in the order
   * JavaScript enumerates them), the block takes the input's column order,
   * and its header text when format and delimiter match.
   */
  private startBlock(rec: Rec, h: CsvHeader | undefined): string | undefined {
    const keys = Object.keys(rec);
    if (keys.length === 0) return undefined;
    const sep = this.cols === null ? '' : '\n';
    this.keyOrder = keys;
    if (h !== undefined && sameList(keys, h.keys)) {
      this.cols = h.names;
      this.curHeader = h;
      if (this.rawOk && h.raw !== '') return sep + h.raw + '\n';
    } else {
      this.cols = keys;
      this.curHeader = undefined;
    }
    const cols = this.cols;
    this.colSet = new Set(cols);
    // A missing field named like an Object.prototype property must not read the inherited one.
    this.inherited = cols.map((c) => c in Object.prototype);
    let line = '';
    for (let j = 0; j < cols.length; j++) line += (j > 0 ? this.delim : '') + this.quote(cols[j]!);
    if (line === '') line = '""';
    return sep + line + '\n';
  }

  private quote(s: string): string {
    if (!this.needsQuote.test(s)) return s;
    return this.tsv ? escapeTsv(s) : '"' + s.replace(/"/g, '""') + '"';
  }

  /** One row in column order. */
  private formatRow(rec: Rec): string {
    const cols = this.cols!;
    const d = this.delim;
    let line = '';
    for (let j = 0; j < cols.length; j++) {
      const v = this.inherited[j] ? (Object.hasOwn(rec, cols[j]!) ? rec[cols[j]!] : undefined) : rec[cols[j]!];
      let c: string;
      if (typeof v === 'string') c = this.needsQuote.test(v) ? this.quote(v) : v;
      else if (typeof v === 'number') c = String(v);
      else if (v === null || v === undefined) c = '';
      else if (v instanceof NumText) c = v.text;
      else if (typeof v === 'boolean') c = v ? 'true' : 'false';
      else c = this.quote(stringifyValue(v) ?? '');
      line = j === 0 ? c : line + d + c;
    }
    return line === '' && cols.length === 1 && !this.tsv ? '""' : line;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
