/**
 * `-o markdown`: records as GitHub-flavoured Markdown tables, for notes and
 * issues. It streams: the header (and the column alignment: right for a
 * column whose first value is a number) comes from the first record; a later
 * record whose fields are the header's, in any order or a subset, is a row
 * of that table (missing cells empty); a record with a field the table lacks
 * starts a new table after a blank line, as CSV output starts a new block.
 * Cells: null empty, numbers as read, objects and arrays as JSON text; `|` is
 * written `\|`, a backslash `\\`, line ends `<br>` and other control
 * characters as escapes, so that a cell never breaks the table.
 */
import type { Batch, Rec, Writer } from '../engine/types.js';
import { NumText, stringifyValue } from '../engine/values.js';

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean') s = String(v);
  else if (v instanceof NumText) s = v.text;
  else s = stringifyValue(v) ?? '';
  // eslint-disable-next-line no-control-regex
  if (!/[|\\\x00-\x1f\x7f]/.test(s)) return s;
  // eslint-disable-next-line no-control-regex
  return s.replace(/\r\n|[|\\\x00-\x1f\x7f]/g, (c) =>
    c === '|' ? '\\|' : c === '\\' ? '\\\\' : c === '\n' || c === '\r\n' || c === '\r' ? '<br>' : c === '\t' ? ' ' : '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'),
  );
}

const isNumber = (v: unknown) => typeof v === 'number' || v instanceof NumText;

/** The Markdown table writer (see the module comment). */
export class MarkdownWriter implements Writer {
  private cols: string[] | null = null;
  private colSet = new Set<string>();

  write(batch: Batch): string {
    let s = '';
    for (let i = 0; i < batch.length; i++) {
      const rec = batch[i]!;
      if (!this.fits(rec)) {
        const keys = Object.keys(rec);
        if (keys.length === 0) continue; // a record without fields has no cell
        s += (this.cols === null ? '' : '\n') + this.header(keys, rec);
      }
      const cols = this.cols!;
      let line = '|';
      for (let j = 0; j < cols.length; j++) {
        const k = cols[j]!;
        // (A missing field named like an Object.prototype property is not the inherited one.)
        line += ' ' + cellText(Object.hasOwn(rec, k) ? rec[k] : undefined) + ' |';
      }
      s += line + '\n';
    }
    return s;
  }

  end(): string {
    return '';
  }

  /** True when every field of `rec` is a column of the current table (and it has one). */
  private fits(rec: Rec): boolean {
    if (this.cols === null) return false;
    let n = 0;
    for (const k in rec) {
      if (!this.colSet.has(k)) return false;
      n++;
    }
    return n > 0;
  }

  private header(keys: string[], rec: Rec): string {
    this.cols = keys;
    this.colSet = new Set(keys);
    let head = '|';
    let rule = '|';
    for (const k of keys) {
      head += ' ' + (cellText(k) || ' ') + ' |';
      rule += isNumber(rec[k]) ? ' ---: |' : ' --- |';
    }
    return head + '\n' + rule + '\n';
  }
}
