/**
 * logfmt (`key=value key2="quoted value" flag`), as Heroku and Go services
 * write it (github.com/go-logfmt/logfmt, the npm `logfmt` package): one
 * record per line.
 *
 * Reading (own parser: one pass over the characters of a line, no regex):
 * - pairs are separated by spaces (or tabs); a key runs to `=`, a space or
 *   the line end and may not contain `"`; a key without `=` (a bare key) is
 *   `true`;
 * - an unquoted value runs to the next space and is typed as a CSV cell is
 *   (SPEC §2: `12` and `-3.5` are numbers, `key=` is null, everything else,
 *   `true` included, is text);
 * - a double-quoted value may hold spaces and `=`; escapes `\"` `\\` `\n` `\t`
 *   `\r`, and `\` before any other character stands for that character (as
 *   the npm package reads it); a quoted value is always text (`"12"` is the
 *   string 12, `""` the empty string);
 * - a later duplicate key replaces the earlier value (the field keeps its
 *   first position);
 * - blank lines are skipped; a line with an unterminated quote, a quote in a
 *   key, or `=` with no key before it is a malformed record (`--on-error`).
 * Each record keeps its line as RAW, so `-i logfmt -o logfmt` writes an
 * unchanged record back byte for byte.
 *
 * Writing: `key=value` pairs joined by one space, in field order. A string
 * is written bare when that reads back as the same string (not empty, no
 * space, `=`, `"`, `\` or control character, not typed as a number by the
 * reader), else quoted with the escapes above; numbers as read (NumText
 * text); true as a bare key, false as `key=false`; null as `key=`; objects
 * and arrays as quoted JSON text. logfmt has no quoting for keys: a key's
 * spaces, `=`, `"` and control characters are written as `_` (an empty key
 * as `_`).
 */
import type { Batch, Rec, Writer, WriterOptions } from '../engine/types.js';
import { NumText, rawOf, setField, setLine, setRaw, stringifyValue, typeCell } from '../engine/values.js';
import { LineReader, type LineReaderOptions } from './linereader.js';

/** Options of the logfmt reader (see ReaderOptions). */
export type LogfmtReaderOptions = LineReaderOptions;

/**
 * Parse one logfmt line into `rec`.
 * @returns undefined on success, else what is malformed (one line, with the column)
 */
export function parseLogfmtLine(s: string, rec: Rec): string | undefined {
  const n = s.length;
  let i = 0;
  for (;;) {
    while (i < n && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
    if (i >= n) return undefined;
    const k0 = i;
    let c = 0;
    while (i < n && (c = s.charCodeAt(i)) !== 61 /* = */ && c !== 32 && c !== 9) {
      if (c === 34) return `quote in a key at column ${i + 1}`;
      i++;
    }
    if (i === k0) return `'=' without a key at column ${i + 1}`;
    const key = s.slice(k0, i);
    if (i >= n || c !== 61) {
      setField(rec, key, true);
      continue;
    }
    i++; // '='
    if (i < n && s.charCodeAt(i) === 34) {
      // Quoted: find the closing quote; unescape only when there is a backslash.
      const q0 = ++i;
      let esc = false;
      while (i < n && (c = s.charCodeAt(i)) !== 34) {
        if (c === 92) {
          esc = true;
          i++;
        }
        i++;
      }
      if (i >= n) return `unterminated quoted value of '${key}' (quote at column ${q0})`;
      setField(rec, key, esc ? unescape(s, q0, i) : s.slice(q0, i));
      i++;
      continue;
    }
    const v0 = i;
    while (i < n && (c = s.charCodeAt(i)) !== 32 && c !== 9) i++;
    setField(rec, key, typeCell(s.slice(v0, i)));
  }
}

function unescape(s: string, from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[++i]!;
    out += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
  }
  return out;
}

/** See the module comment. */
export class LogfmtReader extends LineReader {
  protected overlongReason(): string {
    return `logfmt line longer than ${this.max} bytes (--max-line-bytes)`;
  }

  protected handleLine(text: string, lineNo: number, out: Rec[]): void {
    const rec: Rec = {};
    const err = parseLogfmtLine(text, rec);
    if (err !== undefined) {
      this.errors.reject(this.source, lineNo, 'malformed logfmt: ' + err, text);
      return;
    }
    // (A blank line gives no field: skipped.)
    let any = false;
    for (const _ in rec) {
      any = true;
      break;
    }
    if (!any) return;
    setRaw(rec, text);
    if (this.lineNumbers) setLine(rec, lineNo);
    out.push(rec);
  }
}

/** True when a bare (unquoted) logfmt value `s` reads back as the string `s`. */
function bareString(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c === 61 || c === 34 || c === 92 || c === 127) return false;
  }
  return typeof typeCell(s) === 'string';
}

function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' || c === '\\') out += '\\' + c;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else out += c;
  }
  return out + '"';
}

/** A key as logfmt can hold it: space, `=`, `"` (and control characters) become `_`; an empty key `_`. */
function keyText(k: string): string {
  // eslint-disable-next-line no-control-regex
  const t = k.replace(/[\x00-\x20"=\x7f]/g, '_');
  return t === '' ? '_' : t;
}

/** One record as a logfmt line (without line end). */
export function logfmtLine(rec: Rec): string {
  let line = '';
  for (const k in rec) {
    const v = rec[k];
    if (v === undefined) continue;
    const key = keyText(k);
    let part: string;
    if (v === null) part = key + '=';
    else if (v === true) part = key;
    else if (v === false) part = key + '=false';
    else if (typeof v === 'number') part = key + '=' + (Number.isFinite(v) ? String(v) : quote(String(v)));
    else if (v instanceof NumText) part = key + '=' + v.text;
    else if (typeof v === 'string') part = key + '=' + (bareString(v) ? v : quote(v));
    else part = key + '=' + quote(stringifyValue(v));
    line = line === '' ? part : line + ' ' + part;
  }
  return line;
}

/**
 * logfmt writer: one line per record (see the module comment). A record that
 * still has its RAW text from logfmt input is written as that text.
 */
export class LogfmtWriter implements Writer {
  private readonly useRaw: boolean;
  constructor(opts: WriterOptions) {
    this.useRaw = opts.inputFormat === 'logfmt';
  }
  write(batch: Batch): string {
    let s = '';
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      const raw = this.useRaw ? rawOf(r) : undefined;
      s += (raw !== undefined ? raw : logfmtLine(r)) + '\n';
    }
    return s;
  }
  end(): string {
    return '';
  }
}
