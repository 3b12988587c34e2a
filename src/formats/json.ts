/**
 * JSON that is not NDJSON (`-i json`, `-o json`; SPEC §2).
 *
 * Reader: a JSON array of objects, or concatenated JSON values (pretty-printed
 * objects one after another, as jq reads them; NDJSON is a special case), or
 * several arrays one after another. It streams: a small state machine finds
 * where each record (an element of a top-level array, or a top-level value)
 * begins and ends, keeping only the current record's text, so a big array is
 * read in memory bounded by its largest element. Each record's text is then
 * parsed like an NDJSON line (`parseJsonValue`: numbers keep their text,
 * nesting is limited). A record that is not an object, does not parse, or is
 * longer than `maxLineBytes` is a malformed record (`malformed JSON: ...`,
 * with the line where it starts).
 *
 * Writer: one JSON array, one record per line:
 * `[\n{...},\n{...}\n]\n`; `[]\n` when there is no record.
 */
import type { Batch, ErrorSink, Rec, Reader, Writer, WriterOptions } from '../engine/types.js';
import { rawOf, setLine, stringifyRecord } from '../engine/values.js';
import { DEFAULT_MAX_LINE_BYTES, OVERLONG_TEXT_CHARS, collectRecords, longerThan, overlongMessage } from './common.js';
import { parseJsonValue } from './ndjson.js';

/** Options of the JSON reader. */
export interface JsonReaderOptions {
  /** Source name for messages (`-` for stdin). */
  source: string;
  errors: ErrorSink;
  /** A record longer than this many UTF-8 bytes is malformed. Default 64 MiB. */
  maxLineBytes?: number;
  /** Stamp records with the line where they start (symbol LINE). */
  lineNumbers?: boolean;
}

const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const NL = 10;

function isBlank(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff;
}

/** JSON array / concatenated values reader (see the module comment). */
export class JsonReader implements Reader {
  private readonly source: string;
  private readonly errors: ErrorSink;
  private readonly max: number;
  private readonly lineNumbers: boolean;
  /** Line of the next character (1-based). */
  private line = 1;
  /** Inside a top-level array (records are its elements). */
  private inArray = false;
  /** Inside a record's text: its nesting depth (0: a scalar), or -1 between records. */
  private depth = -1;
  private inString = false;
  private escaped = false;
  /** The record's text so far (parts of chunks; joined once at its end). */
  private parts: string[] = [];
  private chars = 0;
  /** The record is beyond maxLineBytes: its text is no longer kept. */
  private overlong = false;
  private startLine = 0;

  constructor(opts: JsonReaderOptions) {
    this.source = opts.source;
    this.errors = opts.errors;
    this.max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.lineNumbers = opts.lineNumbers ?? false;
  }

  feed(chunk: string): Batch {
    return collectRecords((out) => this.scan(chunk, out));
  }

  end(): Batch {
    return collectRecords((out) => {
      if (this.depth >= 0) {
        if (this.depth === 0 && !this.inString) this.finish(out);
        else {
          const text = this.parts.join('');
          this.parts = [];
          this.depth = -1;
          this.errors.reject(this.source, this.startLine, 'malformed JSON: unexpected end of input inside a value', text.slice(0, OVERLONG_TEXT_CHARS));
        }
      } else if (this.inArray) {
        this.inArray = false;
        this.errors.reject(this.source, this.line, 'malformed JSON: unexpected end of input inside an array (no closing ])', '');
      }
    });
  }

  /** Start a record at `i` of `s`. */
  private begin(s: string, i: number, depth: number): void {
    this.depth = depth;
    this.startLine = this.line;
    this.parts = [];
    this.chars = 0;
    this.overlong = false;
    this.inString = false;
    this.escaped = false;
    void s;
    void i;
  }

  private keep(part: string): void {
    if (this.overlong || part.length === 0) return;
    this.chars += part.length;
    if (this.chars > this.max) {
      this.overlong = true;
      const text = (this.parts.join('') + part).slice(0, OVERLONG_TEXT_CHARS);
      this.parts = [];
      this.errors.reject(this.source, this.startLine, 'malformed JSON: ' + overlongMessage('JSON record', this.max), text);
      return;
    }
    this.parts.push(part);
  }

  /** The record's text is complete: parse it. */
  private finish(out: Rec[]): void {
    this.depth = -1;
    if (this.overlong) {
      this.parts = [];
      return;
    }
    const text = this.parts.length === 1 ? this.parts[0]! : this.parts.join('');
    this.parts = [];
    if (longerThan(text, this.max)) {
      this.errors.reject(this.source, this.startLine, 'malformed JSON: ' + overlongMessage('JSON record', this.max), text.slice(0, OVERLONG_TEXT_CHARS));
      return;
    }
    let v: unknown;
    try {
      v = parseJsonValue(text);
    } catch (e) {
      this.errors.reject(this.source, this.startLine, 'malformed JSON: ' + (e as Error).message, text);
      return;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !isPlain(v)) {
      this.errors.reject(this.source, this.startLine, `malformed JSON: not an object (${kindOf(v)})`, text);
      return;
    }
    if (this.lineNumbers) setLine(v as Rec, this.startLine);
    out.push(v as Rec);
  }

  private scan(s: string, out: Rec[]): void {
    const L = s.length;
    let i = 0;
    /** Start of the part of `s` that belongs to the current record. */
    let from = this.depth >= 0 ? 0 : -1;
    while (i < L) {
      const c = s.charCodeAt(i);
      if (this.depth < 0) {
        // Between records.
        if (c === NL) this.line++;
        if (isBlank(c)) {
          i++;
          continue;
        }
        if (this.inArray) {
          if (c === COMMA) {
            i++;
            continue;
          }
          if (c === RBRACKET) {
            this.inArray = false;
            i++;
            continue;
          }
        } else if (c === LBRACKET) {
          this.inArray = true;
          i++;
          continue;
        }
        this.begin(s, i, c === LBRACE || c === LBRACKET ? 1 : 0);
        from = i;
        if (c === QUOTE) this.inString = true;
        i++;
        continue;
      }
      // Inside a record.
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        else if (c === NL) this.line++;
        i++;
        continue;
      }
      if (this.depth === 0) {
        // A scalar ends at a blank, a comma, a bracket or a quote.
        if (isBlank(c) || c === COMMA || c === RBRACKET || c === LBRACE || c === LBRACKET || c === QUOTE) {
          this.keep(s.slice(from, i));
          this.finish(out);
          from = -1;
          continue; // this character is looked at again between records
        }
        i++;
        continue;
      }
      if (c === QUOTE) this.inString = true;
      else if (c === LBRACE || c === LBRACKET) this.depth++;
      else if (c === RBRACE || c === RBRACKET) {
        if (--this.depth === 0) {
          this.keep(s.slice(from, i + 1));
          this.finish(out);
          from = -1;
          i++;
          continue;
        }
      } else if (c === NL) this.line++;
      i++;
    }
    if (from >= 0 && this.depth >= 0) this.keep(s.slice(from));
  }
}

function isPlain(v: object): boolean {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'object') return 'a number';
  return 'a ' + typeof v;
}

/**
 * `-o json`: one JSON array of the records, one per line. A record that still
 * has its RAW text from NDJSON input is written as that text (one JSON object).
 */
export class JsonWriter implements Writer {
  private readonly useRaw: boolean;
  private first = true;
  constructor(opts: WriterOptions) {
    this.useRaw = opts.inputFormat === 'ndjson';
  }
  write(batch: Batch): string {
    let s = '';
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      const raw = this.useRaw ? rawOf(r) : undefined;
      s += (this.first ? '[\n' : ',\n') + (raw !== undefined ? raw : stringifyRecord(r));
      this.first = false;
    }
    return s;
  }
  end(): string {
    return this.first ? '[]\n' : '\n]\n';
  }
}
