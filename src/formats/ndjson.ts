/**
 * NDJSON (one JSON object per line) reader and writer.
 *
 * The reader splits each chunk into lines itself (an `indexOf('\n')` loop,
 * the unfinished last line carried to the next chunk) and returns one batch
 * per chunk: no per-line events. Each record keeps its line as `RAW`, so an
 * unchanged record is written back byte for byte.
 */
import type { Batch, ErrorSink, Rec, Writer, WriterOptions } from '../engine/types.js';
import { JSON_TEXT, LINE_PREFIX, NumText, rawOf, setLine, setRaw, stringifyRecord } from '../engine/values.js';
import { DEFAULT_MAX_LINE_BYTES, OVERLONG_TEXT_CHARS, longerThan, overlongMessage } from './common.js';
import { LineFramer } from './linereader.js';
import { INEXACT_NUMBER_RE, mayHoldInexactNumber, parseExact } from './exactjson.js';
import { FieldMatcher, type FieldSelection } from './fields.js';
import { flatRunEnd, scanFlatLine, scanSelected } from './ndjson-select.js';

/** Options of the NDJSON reader. */
export interface NdjsonReaderOptions {
  /** Source name for messages (`-` for stdin). */
  source: string;
  /** Where rejected lines go (with source, line number and reason). */
  errors: ErrorSink;
  /** A line longer than this many UTF-8 bytes (without its line end) is malformed. Default 64 MiB. */
  maxLineBytes?: number;
  /** Stamp records with their line number (symbol LINE). */
  lineNumbers?: boolean;
  /**
   * Decode only these top-level fields (ReaderOptions.fields): records hold
   * the selected fields only (as the full parse has them), and their RAW
   * line. Absent: every field.
   */
  fields?: FieldSelection;
}

const INEXACT_G = new RegExp(INEXACT_NUMBER_RE.source, 'g');
/**
 * The end of an exponent number without fraction (`1e3`, `2E+5`, `5e-1`):
 * digit, `e` or `E`, optional sign, digits, and then what may follow a JSON
 * value in a line (`,`, `}`, `]`, blank). Every such number matches, so a
 * line without a match holds none. Run forward over the chunk like the `.`
 * search (one scan per chunk when nothing is found); a match inside a string
 * (`"x 1e3,"`) is told apart by `exponentAt`. Strings of hex digits
 * (`"5e0f…"`, UUIDs) do not match: no `,` `}` `]` or blank after the digits.
 */
const EXPONENT_END_G = /\d[eE][-+]?\d+[,}\] \t\r]/g;
const BLANK = /^[ \t\r\f\v]*$/;

/** How a line is parsed: JSON.parse (its numbers are known to be exact), */
const TRUST = 0;
/** JSON.parse, then parseExact if a parsed number shows a loss (line without `.` or exponent), */
const WALK = 1;
/** parseExact. */
const EXACT = 2;

const MAX_EXACT = 9007199254740992; // 2^53

/**
 * True when a value parsed from text without any `.` or exponent holds a
 * number whose text JSON.parse cannot have kept: an integer of magnitude 2^53
 * or more (it may have been rounded, and JavaScript would write it in
 * exponent form from 1e21 on), or -0. (Every other such number is an integer
 * written without leading zeros, which is how JavaScript writes it back.)
 */
function hasInexactInteger(o: object): boolean {
  if (Array.isArray(o)) {
    for (let i = 0; i < o.length; i++) {
      const x: unknown = o[i];
      if (typeof x === 'number') {
        if (!(x < MAX_EXACT && x > -MAX_EXACT) || (x === 0 && 1 / x < 0)) return true;
      } else if (typeof x === 'object' && x !== null && hasInexactInteger(x)) return true;
    }
    return false;
  }
  for (const k in o) {
    const x: unknown = (o as Record<string, unknown>)[k];
    if (typeof x === 'number') {
      if (!(x < MAX_EXACT && x > -MAX_EXACT) || (x === 0 && 1 / x < 0)) return true;
    } else if (typeof x === 'object' && x !== null && hasInexactInteger(x)) return true;
  }
  return false;
}

/**
 * True when the EXPONENT_END_G match ending at `end` in `s` (in a line
 * without any `.`) is a number: its digits start after an optional `-` and
 * blanks that follow `:`, `,` or `[`, where JSON puts a value. Inside a
 * string it is not, unless the string itself reads like that (`"x:1e2,"`: a
 * false alarm, which only costs an exact parse). Every exponent number of a
 * valid line passes, as a number in a line without `.` has no fraction.
 */
function exponentAt(s: string, end: number): boolean {
  let i = end;
  let c = s.charCodeAt(--i);
  while (c >= 48 && c <= 57) c = s.charCodeAt(--i); // exponent digits
  if (c === 43 || c === 45) c = s.charCodeAt(--i); // + -
  c = s.charCodeAt(--i); // past the e or E
  while (c >= 48 && c <= 57) c = s.charCodeAt(--i); // digits
  if (c === 45) c = s.charCodeAt(--i); // -
  while (c === 32 || c === 9 || c === 13) c = s.charCodeAt(--i);
  return c === 58 || c === 44 || c === 91; // : , [
}

/**
 * The next exponent number (see EXPONENT_END_G, `exponentAt`) in `s` at or
 * after `from`: the index of the character after it, or Infinity. Only
 * asked where `s` has no `.` up to the line end the caller cares about.
 */
function nextExponent(s: string, from: number): number {
  let end = matchEnd(EXPONENT_END_G, s, from);
  while (end !== Infinity && !exponentAt(s, end)) end = matchEnd(EXPONENT_END_G, s, end + 1);
  return end;
}

/**
 * How to parse a whole line (one that was not looked at in its chunk: the
 * carried tail, the last line at end of input). See TRUST, WALK, EXACT.
 */
function howOf(text: string): number {
  if (text.indexOf('.') < 0) return nextExponent(text, 0) === Infinity ? WALK : EXACT;
  return mayHoldInexactNumber(text) ? EXACT : TRUST;
}

/**
 * Index of the last character of the next match of global `re` in `s` from
 * `from`, or Infinity. (`test` and `lastIndex`, not `exec`: no match array is
 * allocated. The patterns used never match a line end, so the index is in the
 * line where the match is.)
 */
function matchEnd(re: RegExp, s: string, from: number): number {
  re.lastIndex = from;
  return re.test(s) ? re.lastIndex - 1 : Infinity;
}

/**
 * A short reason from a JSON.parse error of `text`, with the column where it
 * is (Node 20 quotes the whole text in it: dropped; a position becomes a
 * 1-based column). When JSON.parse gives no position (`Unexpected token`),
 * the reason comes from parseExact, which always gives one.
 */
function reasonOf(e: unknown, text: string): string {
  // JSON.parse throws RangeError only when the nesting exhausts the stack (about 10^4-10^5 levels).
  if (e instanceof RangeError) return `nested more than ${MAX_NESTING} levels deep`;
  const m = e instanceof Error ? e.message : String(e);
  const r = m.replace(/, ".*" is not valid JSON$/s, '').replace(/ in JSON at position (\d+)(?: \(line \d+ column \d+\))?/, (_, p: string) => ` at column ${+p + 1}`);
  if (/column \d+|end of JSON/.test(r)) return r;
  try {
    parseExact(text);
  } catch (e2) {
    return (e2 as Error).message;
  }
  return r;
}

/**
 * Deepest nesting of objects and arrays a record may have (levels). A deeper
 * record is a malformed record in the reader (SPEC §5, one line, kept in
 * --errors), instead of exhausting the stack in a later verb.
 */
export const MAX_NESTING = 1000;

/** True when `v` nests objects/arrays more than `left` levels below it. Recursion is bounded by MAX_NESTING. */
function deeperThan(v: object, left: number): boolean {
  if (left === 0) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === 'object' && x !== null && deeperThan(x, left - 1)) return true;
    }
    return false;
  }
  for (const k in v) {
    const x: unknown = (v as Record<string, unknown>)[k];
    if (typeof x === 'object' && x !== null && deeperThan(x, left - 1)) return true;
  }
  return false;
}

/**
 * Parse the text of one JSON value as the NDJSON reader does (exact numbers
 * where JSON.parse would lose their text, see `howOf`), for other readers of
 * JSON text (`-i json`).
 * @throws Error with a short reason (`malformed ...` is for the caller to add), also for nesting deeper than MAX_NESTING
 */
export function parseJsonValue(text: string): unknown {
  let v: unknown;
  const how = howOf(text);
  try {
    v = how === EXACT ? parseExact(text) : JSON.parse(text);
    if (how === WALK && v !== null && typeof v === 'object' && hasInexactInteger(v)) v = parseExact(text);
  } catch (e) {
    throw new Error(reasonOf(e, text));
  }
  if (text.length > MAX_NESTING && typeof v === 'object' && v !== null && deeperThan(v, MAX_NESTING)) {
    throw new Error(`nested more than ${MAX_NESTING} levels deep`);
  }
  return v;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number' || v instanceof NumText) return 'a number';
  return 'a ' + typeof v;
}

/**
 * NDJSON reader (SPEC §2): a UTF-8 BOM at the start of the source is ignored;
 * LF and CRLF line ends; blank (empty or whitespace-only) lines are skipped;
 * every other line must be one JSON object, else it is rejected as
 * `malformed NDJSON: <reason>` with its 1-based line number. A line longer
 * than `maxLineBytes` UTF-8 bytes is rejected (with its first 1024
 * characters as text) without being buffered whole: the reader skips to the
 * next newline (it holds at most max(maxLineBytes, 1024 characters)).
 *
 * Numbers: a line whose numbers `JSON.parse` may not keep as read is parsed
 * by `parseExact`, which yields `NumText` for them; other lines by
 * `JSON.parse`. A line with a `.`, or with a digit followed by `e`/`E`, is
 * checked by `INEXACT_NUMBER_RE`; both searches and the regex run forward
 * over the chunk, so a chunk where they find nothing costs one `indexOf('.')`
 * and one `/\d[eE]/` scan. A line with neither can only hold inexact
 * integers, found on the parsed values (magnitude 2^53 or more, or -0), which
 * costs next to nothing. So changed records keep every number's text as read
 * (`1.50`, `0.0000001`, `-0`, `1e3`, `1E+3`, `5e-1`, big integers), as SPEC
 * §2 asks of a field no verb changed.
 */
export class NdjsonReader extends LineFramer {
  private readonly source: string;
  private readonly errors: ErrorSink;

  constructor(opts: NdjsonReaderOptions) {
    super(opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
    this.source = opts.source;
    this.errors = opts.errors;
    this.lineNumbers = opts.lineNumbers ?? false;
    this.matcher = opts.fields !== undefined ? new FieldMatcher(opts.fields) : null;
  }
  private readonly lineNumbers: boolean;
  /** The selected fields (ReaderOptions.fields), or null for every field. */
  private readonly matcher: FieldMatcher | null;

  /** The complete lines of a chunk (LineFramer.lines), with the number searches described above. */
  protected lines(chunk: string, pos: number, nl: number, out: Rec[]): number {
    if (this.matcher !== null) {
      // Selected fields: no number searches (the values decoded are typed one by one). The lines
      // of a run of compact flat lines (flatRunEnd: one regex call) are known valid and flat. A
      // line of the run that may be too long (--max-line-bytes) is checked in full, and the run
      // goes on after it: checking the rest of the chunk again for each line would be quadratic.
      let flatEnd = -1;
      while (nl >= 0) {
        if (pos >= flatEnd) flatEnd = flatRunEnd(chunk, pos);
        if (nl < flatEnd && (nl - pos) * 3 <= this.max) {
          // (Without a CR before the LF, as the full reader keeps it.)
          const text = chunk.slice(pos, chunk.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
          const rec = scanFlatLine(text, this.matcher);
          setRaw(rec, text);
          if (this.lineNumbers) setLine(rec, ++this.line);
          else ++this.line;
          out.push(rec);
        } else this.handleSelected(chunk.slice(pos, nl), ++this.line, out);
        pos = nl + 1;
        nl = chunk.indexOf('\n', pos);
      }
    }
    // A line with a `.` may hold a number JSON.parse would not keep (`1.50`,
    // `1.5e3`): INEXACT_G says whether it does. It runs forward over the chunk
    // from the first such line; once it finds nothing, every line after is
    // TRUST with no more searching. A line without `.` may hold an exponent
    // number (`1e3`): found by EXPONENT_END_G and `exponentAt`, also run forward
    // from the first such line (one scan per chunk when none has one; none at
    // all when every line has a `.`); such a line is EXACT. A line with
    // neither can only hold inexact integers: checked on the parsed values
    // (WALK), which costs next to nothing.
    // `dot`, `exp`, `suspect`: a position in the next `.`, exponent and
    // INEXACT_G match at or after the line they were searched from (Infinity: none).
    const re = INEXACT_G;
    let dot = chunk.indexOf('.', pos);
    if (dot < 0) dot = Infinity;
    let exp = -1;
    let suspect = -1;
    while (nl >= 0) {
      let how = WALK;
      if (suspect === Infinity) how = TRUST;
      else if (dot < nl) {
        if (suspect < pos) suspect = matchEnd(re, chunk, pos);
        how = suspect < nl ? EXACT : TRUST;
      } else {
        if (exp < pos) exp = nextExponent(chunk, pos);
        if (exp < nl) how = EXACT;
      }
      this.handle(chunk.slice(pos, nl), ++this.line, how, out);
      pos = nl + 1;
      nl = chunk.indexOf('\n', pos);
      if (dot < pos && suspect !== Infinity) {
        dot = chunk.indexOf('.', pos);
        if (dot < 0) dot = Infinity;
      }
    }
    return pos;
  }

  /** A line that grew past `--max-line-bytes` while carried (LineFramer.overlong). */
  protected overlong(lineNo: number, text: string): void {
    this.errors.reject(this.source, lineNo, overlongMessage('NDJSON line', this.max), text);
  }

  /** Parse one line (without its `\n`) that was not looked at in its chunk into `out`, or reject it. */
  protected whole(text: string, lineNo: number, out: Rec[]): void {
    if (this.matcher !== null) this.handleSelected(text, lineNo, out);
    else this.handle(text, lineNo, howOf(text), out);
  }

  /**
   * `handle` with the selected fields only (ndjson-select.ts): a line the
   * scanner does not vouch for (invalid, not an object, very deep, very long)
   * takes the full parse, which also gives every message.
   */
  private handleSelected(line: string, lineNo: number, out: Rec[]): void {
    let text = line;
    const last = text.length - 1;
    if (last >= 0 && text.charCodeAt(last) === 13) text = text.slice(0, last);
    if (text.length === 0) return;
    if (text.length * 3 <= this.max) {
      const rec = scanSelected(text, this.matcher!, parseJsonValue);
      if (rec !== null) {
        setRaw(rec, text);
        if (this.lineNumbers) setLine(rec, lineNo);
        out.push(rec);
        return;
      }
    }
    this.handle(line, lineNo, howOf(line), out);
  }

  /** Parse one line (without its `\n`) into `out`, or reject it. `how`: see TRUST, WALK, EXACT. */
  private handle(text: string, lineNo: number, how: number, out: Rec[]): void {
    const last = text.length - 1;
    if (last >= 0 && text.charCodeAt(last) === 13) text = text.slice(0, last);
    if (text.length === 0) return;
    if (text.length * 3 > this.max && longerThan(text, this.max)) {
      this.errors.reject(this.source, lineNo, overlongMessage('NDJSON line', this.max), text.slice(0, OVERLONG_TEXT_CHARS));
      return;
    }
    let v: unknown;
    try {
      v = how === EXACT ? parseExact(text) : JSON.parse(text);
      if (how === WALK && v !== null && typeof v === 'object' && hasInexactInteger(v)) v = parseExact(text);
    } catch (e) {
      if (BLANK.test(text)) return; // a line of blanks only
      this.errors.reject(this.source, lineNo, 'malformed NDJSON: ' + reasonOf(e, text), text);
      return;
    }
    // Nesting deeper than MAX_NESTING takes more than MAX_NESTING characters.
    if (text.length > MAX_NESTING && typeof v === 'object' && v !== null && deeperThan(v, MAX_NESTING)) {
      this.errors.reject(this.source, lineNo, `malformed NDJSON: nested more than ${MAX_NESTING} levels deep`, text);
      return;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !isPlain(v)) {
      this.errors.reject(this.source, lineNo, `malformed NDJSON: not an object (${kindOf(v)})`, text);
      return;
    }
    setRaw(v as Rec, text);
    if (this.lineNumbers) setLine(v as Rec, lineNo);
    out.push(v as Rec);
  }
}

/** A JSON object (not a NumText a top-level number became). */
function isPlain(v: object): boolean {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/**
 * NDJSON writer: one line per record. A record that still has its `RAW` text
 * from NDJSON input is written as that text; one that carries its JSON_TEXT
 * (values.ts) as that; any other record as `stringifyRecord` (NumText
 * numbers as read).
 */
export class NdjsonWriter implements Writer {
  private readonly useRaw: boolean;
  constructor(opts: WriterOptions) {
    this.useRaw = opts.inputFormat === 'ndjson';
  }
  write(batch: Batch): string {
    let s = '';
    if (this.useRaw) {
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i]!;
        const raw = rawOf(r);
        if (raw !== undefined) s += raw + '\n';
        else {
          const pre = (r as { [LINE_PREFIX]?: string })[LINE_PREFIX];
          const json = (r as { [JSON_TEXT]?: string })[JSON_TEXT];
          s += (pre !== undefined ? pre : '') + (json !== undefined ? json : stringifyRecord(r)) + '\n';
        }
      }
    } else {
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i]!;
        const pre = (r as { [LINE_PREFIX]?: string })[LINE_PREFIX];
        const json = (r as { [JSON_TEXT]?: string })[JSON_TEXT];
        s += (pre !== undefined ? pre : '') + (json !== undefined ? json : stringifyRecord(r)) + '\n';
      }
    }
    return s;
  }
  end(): string {
    return '';
  }
}
