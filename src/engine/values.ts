/**
 * Values inside records: numbers that keep their text, safe field access for
 * keys that come from data, and the symbols records carry through the pipeline.
 */
import type { Rec } from './types.js';

/**
 * The original text of a record as read (one NDJSON line, or one CSV row
 * without its line end). Writers use it for records no verb changed, so an
 * unchanged record is written back byte for byte. Cleared by `markChanged`.
 */
export const RAW: unique symbol = Symbol('sluice.raw');

/**
 * The 1-based input line where a record starts. Set by readers only when a
 * verb may reject records after reading (`ReaderOptions.lineNumbers`), so
 * that its message can name the line; read it with `lineOf`.
 */
export const LINE: unique symbol = Symbol('sluice.line');

/** The input line of a record, or 0 when it was not stamped (or the record was rebuilt). */
export function lineOf(rec: Rec): number {
  return (rec as { [LINE]?: number })[LINE] ?? 0;
}

/** Stamp a record with its input line (readers). */
export function setLine(rec: Rec, line: number): void {
  (rec as { [LINE]?: number })[LINE] = line;
}

/**
 * Text the NDJSON writer puts before a record's line (`agg --partial
 * --shuffle-key`: the key and a tab, as Hadoop Streaming reads lines).
 */
export const LINE_PREFIX: unique symbol = Symbol('sluice.linePrefix');

/**
 * The 1-based number of a record in the input (across all sources, as awk's
 * NR), for the expression function `nr()`. Stamped by the runner only when a
 * verb asks for it (`VerbInstance.needsRecordNumbers`).
 */
export const RECNO: unique symbol = Symbol('sluice.recno');

/** The input record number of a record, or null when it was not stamped (or the record was rebuilt, as by agg). */
export function recnoOf(rec: Rec): number | null {
  return (rec as { [RECNO]?: number })[RECNO] ?? null;
}

/** Event time of a record in epoch milliseconds, set by `window` (processing time: arrival time). */
export const EVENT_TIME: unique symbol = Symbol('sluice.eventTime');

/**
 * A number read from input whose text is not JavaScript's shortest form for
 * its value: `1.50`, `1e3`, `-0`, `00.5` is never one (not a JSON number), or
 * an integer beyond 2^53 (`12345678901234567890`). `value` is for arithmetic
 * and numeric comparison; `text` is what is written back and what text
 * comparison and group keys use ("a number's text is the text it was read as").
 */
export class NumText {
  constructor(
    readonly value: number,
    readonly text: string,
  ) {}
  /** JSON.stringify hook: a placeholder that `stringifyRecord` swaps for the raw text. */
  toJSON(): string {
    return NUM_MARK + this.text + NUM_MARK;
  }
  toString(): string {
    return this.text;
  }
}

const NUM_MARK = '\u0000#';
// JSON.stringify escapes U+0000 as \u0000, so the placeholder appears in its output as "\u0000#TEXT\u0000#" (quoted).
const NUM_MARK_RE = /"\\u0000#([^"\\]*)\\u0000#"/g;

/** True when a batch may contain NumText values (set by readers that made one); see `stringifyRecord`. */
let numTextSeen = false;
/** Readers call this when they create a NumText, so writers know to look for placeholders. */
export function noteNumText(): void {
  numTextSeen = true;
}

/**
 * JSON text of a record, with NumText values written as their original text.
 * Costs one JSON.stringify, plus one regex replace only once a NumText exists.
 */
export function stringifyRecord(rec: Rec): string {
  const s = JSON.stringify(rec);
  return numTextSeen && s.includes('\\u0000#') ? s.replace(NUM_MARK_RE, '$1') : s;
}

/** JSON text of any value (a cell of CSV output holding an object or array). */
export function stringifyValue(v: unknown): string {
  const s = JSON.stringify(v);
  return numTextSeen && s !== undefined && s.includes('\\u0000#') ? s.replace(NUM_MARK_RE, '$1') : s;
}

/** A JSON number's grammar (RFC 8259 §6). */
export const JSON_NUMBER_RE = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * Type a CSV cell (SPEC §2): a valid JSON number (RFC 8259 §6 grammar)
 * becomes a number — a NumText when `String(n)` is not the cell's text (`1.50`,
 * `1e3`, `-0`, 16 or more significant digits) — an empty cell null, and
 * anything else stays a string.
 *
 * One pass over the characters checks the grammar (no regex). A number
 * without exponent, with at most 15 digits, not `-0`, not ending in a
 * fraction `0`, and not below 1e-6 (6 zeros after the point) is known to be
 * canonical without calling String(n): any decimal of at most 15 significant
 * digits survives the trip to a double and back (DBL_DIG = 15), and
 * JavaScript writes such a number without exponent. Every other number is
 * compared with String(n).
 */
export function typeCell(cell: string): unknown {
  return typeCellIn(cell, 0, cell.length);
}

/**
 * `typeCell(text.slice(from, to))`, without making the slice for a cell that
 * is an integer of at most 15 digits (readers type cells in place this way).
 */
export function typeCellIn(text: string, from: number, to: number): unknown {
  if (from >= to) return null;
  let c = text.charCodeAt(from);
  let i = from;
  if (c === 45) {
    // '-'
    if (to - from === 1) return text.slice(from, to);
    c = text.charCodeAt(from + 1);
    i = from + 1;
  }
  if (c < 48 || c > 57) return text.slice(from, to);
  const intStart = i;
  // The integer part's value, exact while it has at most 15 digits.
  let v = c - 48;
  i++;
  if (v !== 0) {
    while (i < to) {
      c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
    }
  }
  if (i === to) {
    // An integer.
    if (i - intStart <= 15) {
      if (intStart === from) return v;
      if (v !== 0) return -v;
    }
    return canonicalOrNumText(text.slice(from, to));
  }
  let digits = i - intStart;
  let plain = true; // no exponent, fraction not ending in 0, not 6 zeros after the point
  c = text.charCodeAt(i);
  if (c === 46) {
    // '.'
    const fracStart = ++i;
    while (i < to && (c = text.charCodeAt(i)) >= 48 && c <= 57) i++;
    if (i === fracStart) return text.slice(from, to);
    digits += i - fracStart;
    if (text.charCodeAt(i - 1) === 48 || (i - fracStart >= 6 && text.startsWith('000000', fracStart))) plain = false;
  }
  if (i < to) {
    if (c !== 101 && c !== 69) return text.slice(from, to); // 'e' 'E'
    plain = false;
    i++;
    if (i < to && ((c = text.charCodeAt(i)) === 43 || c === 45)) i++; // '+' '-'
    const expStart = i;
    while (i < to && (c = text.charCodeAt(i)) >= 48 && c <= 57) i++;
    if (i === expStart || i < to) return text.slice(from, to);
  }
  const cell = text.slice(from, to);
  if (plain && digits <= 15) {
    const n = +cell;
    if (n !== 0 || intStart === from) return n;
  }
  return canonicalOrNumText(cell);
}

/** A number with the JSON grammar: the number when String(n) gives its text back, else a NumText. */
function canonicalOrNumText(cell: string): unknown {
  const n = +cell;
  if (String(n) === cell) return n;
  numTextSeen = true;
  return new NumText(n, cell);
}

/** The numeric value of a field value, or null when it is not a number (strings are not converted). */
export function numberOf(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (v instanceof NumText) return v.value;
  return null;
}

/**
 * The text of a value for text comparison, group keys and join keys:
 * strings as they are, numbers as read, booleans `true`/`false`,
 * objects and arrays as JSON; null and missing give null.
 */
export function textOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (v === null || v === undefined) return null;
  if (v instanceof NumText) return v.text;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return stringifyValue(v);
}

/** Truthiness as in SPEC §3: not null, false, 0 or "". */
export function truthy(v: unknown): boolean {
  if (v instanceof NumText) return v.value !== 0;
  return v !== null && v !== undefined && v !== false && v !== 0 && v !== '' && !(typeof v === 'number' && Number.isNaN(v));
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Field names that exist on Object.prototype: a plain `rec[name]` would find the prototype's. */
function shadowsPrototype(name: string): boolean {
  return name in Object.prototype;
}

/**
 * A compiled getter for one top-level field. Missing fields give `undefined`
 * (callers map it to null). Names like `__proto__` or `toString` read only own
 * properties, so they behave like any other field.
 */
export function fieldGetter(name: string): (rec: Rec) => unknown {
  if (shadowsPrototype(name)) return (rec) => (hasOwn.call(rec, name) ? rec[name] : undefined);
  return (rec) => rec[name];
}

/**
 * A compiled getter for a path of names (`['user','id']` for `user.id`).
 * A missing step, or a step into a non-object, gives `undefined`.
 */
export function pathGetter(path: readonly string[]): (rec: Rec) => unknown {
  if (path.length === 1) return fieldGetter(path[0]!);
  const steps = path.map(fieldGetter);
  return (rec) => {
    let v: unknown = rec;
    for (let i = 0; i < steps.length; i++) {
      if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof NumText) return undefined;
      v = steps[i]!(v as Rec);
    }
    return v;
  };
}

/**
 * Set one top-level field as an own, enumerable data property, even for names
 * like `__proto__` (a plain assignment would change the prototype instead).
 * Keeps key order for existing fields; new fields go last.
 */
export function setField(rec: Rec, name: string, value: unknown): void {
  if (name === '__proto__') {
    Object.defineProperty(rec, name, { value, writable: true, enumerable: true, configurable: true });
  } else {
    rec[name] = value;
  }
}

/** Set a nested path, creating objects on the way (a non-object step is replaced by an object). */
export function setPath(rec: Rec, path: readonly string[], value: unknown): void {
  let o: Rec = rec;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    const cur = hasOwn.call(o, k) ? o[k] : undefined;
    if (cur !== null && typeof cur === 'object' && !Array.isArray(cur) && !(cur instanceof NumText)) {
      o = cur as Rec;
    } else {
      const child: Rec = {};
      setField(o, k, child);
      o = child;
    }
  }
  setField(o, path[path.length - 1]!, value);
}

/** Mark a record as changed: writers re-serialise it instead of writing its RAW text. */
export function markChanged(rec: Rec): void {
  if ((rec as { [RAW]?: string })[RAW] !== undefined) (rec as { [RAW]?: string })[RAW] = undefined;
  if ((rec as { [JSON_TEXT]?: string })[JSON_TEXT] !== undefined) (rec as { [JSON_TEXT]?: string })[JSON_TEXT] = undefined;
}

/**
 * A record's NDJSON text, made by the verb that built it when that is cheap
 * (`parse --pattern combined`: from the matched line), exactly
 * `stringifyRecord(rec)`. The NDJSON writer uses it instead of serialising
 * the record. Cleared by `markChanged`, like RAW.
 */
export const JSON_TEXT: unique symbol = Symbol('sluice.jsonText');

/** The RAW text of a record, if it still has one. */
export function rawOf(rec: Rec): string | undefined {
  return (rec as { [RAW]?: string })[RAW];
}

/** Attach the RAW text to a record (readers). */
export function setRaw(rec: Rec, text: string): void {
  (rec as { [RAW]?: string })[RAW] = text;
}

/**
 * A copy of a string that does not keep a larger string alive. V8 represents
 * `s.slice(...)` of 13+ characters as a view into the parent; a group key or a
 * join key kept for the life of a pipeline must not pin a 64 KiB input chunk.
 * The copy is one flat string (a sliced string over a fresh parent would cost
 * about 30 bytes more per kept key: a lot for a million groups); shorter
 * strings are never slices and are returned as they are.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

/** A new record with no prototype-sensitive behaviour for data keys; plain `{}` is used since setField guards `__proto__`. */
export function newRecord(): Rec {
  return {};
}
