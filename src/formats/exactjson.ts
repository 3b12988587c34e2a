/**
 * An exact JSON parser for the few NDJSON lines whose numbers JavaScript
 * cannot keep as read: it yields a `NumText` for every number whose text is
 * not `String(Number(text))` (integers beyond 2^53, `1.50`, `1e3`, `-0`,
 * `0.0000001`, more than 15 significant digits), so such numbers survive even
 * when a verb changes the record. Everything else parses as `JSON.parse` does
 * (same grammar, same duplicate-key rule: last value wins, first position kept;
 * `__proto__` is an ordinary own key).
 *
 * `JSON.parse` with source text access (TC39 "JSON.parse source text access")
 * would do this natively but is not in Node 20, hence this small parser; it is
 * only used on lines that `mayHoldInexactNumber` flags, so the hot path stays
 * on `JSON.parse`.
 */
import { NumText, noteNumText, setField } from '../engine/values.js';

/**
 * True when `text` (a chunk or one line of JSON) may contain a number whose
 * text `JSON.parse` would not keep. Conservative: false means every number in
 * the text is in JavaScript's shortest form; true may be a false alarm (the
 * pattern also looks inside strings). A number is looked for only after `:`,
 * `,` or `[` (optionally with spaces, tabs or CRs: the JSON whitespace a line
 * can hold), i.e. where JSON puts values:
 * - `-0` (becomes `0`);
 * - 16 or more digits and dots in a row (more than 15 significant digits do not
 *   always round-trip; integers beyond 2^53);
 * - a fraction ending in `0` (`1.50`, `2.0`);
 * - an exponent (`1e3`);
 * - `0.000000…` (below 1e-6 JavaScript writes an exponent).
 * Every other JSON number (≤ 15 significant digits, ≥ 1e-6, < 1e21, no
 * exponent, no trailing fraction zero) is canonical: decimals of at most 15
 * significant digits map to distinct doubles (DBL_DIG = 15), so the shortest
 * round-trip form is the same digits. Checked by a property test.
 */
export const INEXACT_NUMBER_RE = /[:,[][ \t\r]*(?:-0(?![\d.eE])|-?(?:[\d.]{16}|0\.0{6}|\d+(?:\.\d*0(?!\d)|(?:\.\d+)?[eE])))/;

/** See `INEXACT_NUMBER_RE`. */
export function mayHoldInexactNumber(text: string): boolean {
  return INEXACT_NUMBER_RE.test(text);
}

const NUMBER_Y = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const SIMPLE_STRING_Y = /"[^"\\\u0000-\u001f]*"/y;
const STRING_Y = /"(?:[^"\\\u0000-\u001f]|\\[^])*"/y;

/** A JSON syntax error with a short reason (`unexpected ']' at column 7`). */
export class JsonSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

/**
 * Parse one JSON text exactly (see the module comment).
 * @throws JsonSyntaxError on invalid JSON (also for nesting deeper than 10,000 levels)
 */
export function parseExact(text: string): unknown {
  let pos = 0;
  let depth = 0;
  const n = text.length;

  const fail = (what?: string): never => {
    if (pos >= n) throw new JsonSyntaxError('unexpected end of JSON input');
    throw new JsonSyntaxError(what ?? `unexpected ${JSON.stringify(text[pos])} at column ${pos + 1}`);
  };
  const ws = (): void => {
    while (pos < n) {
      const c = text.charCodeAt(pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) pos++;
      else break;
    }
  };
  const str = (): string => {
    SIMPLE_STRING_Y.lastIndex = pos;
    if (SIMPLE_STRING_Y.test(text)) {
      const s = text.slice(pos + 1, SIMPLE_STRING_Y.lastIndex - 1);
      pos = SIMPLE_STRING_Y.lastIndex;
      return s;
    }
    STRING_Y.lastIndex = pos;
    if (!STRING_Y.test(text)) return fail(pos < n && text.indexOf('"', pos + 1) < 0 ? 'unterminated string' : 'bad string');
    const tok = text.slice(pos, STRING_Y.lastIndex);
    let s: string;
    try {
      s = JSON.parse(tok) as string;
    } catch {
      return fail(`bad escape in string at column ${pos + 1}`);
    }
    pos = STRING_Y.lastIndex;
    return s;
  };
  const value = (): unknown => {
    ws();
    if (pos >= n) return fail();
    const c = text.charCodeAt(pos);
    if (c === 34) return str();
    if (c === 123) {
      if (++depth > 10000) fail('nesting too deep');
      pos++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text.charCodeAt(pos) === 125) {
        pos++;
        depth--;
        return obj;
      }
      for (;;) {
        ws();
        if (text.charCodeAt(pos) !== 34) fail();
        const k = str();
        ws();
        if (text.charCodeAt(pos) !== 58) fail();
        pos++;
        setField(obj, k, value());
        ws();
        const d = text.charCodeAt(pos);
        if (d === 44) pos++;
        else if (d === 125) {
          pos++;
          depth--;
          return obj;
        } else fail();
      }
    }
    if (c === 91) {
      if (++depth > 10000) fail('nesting too deep');
      pos++;
      const arr: unknown[] = [];
      ws();
      if (text.charCodeAt(pos) === 93) {
        pos++;
        depth--;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        const d = text.charCodeAt(pos);
        if (d === 44) pos++;
        else if (d === 93) {
          pos++;
          depth--;
          return arr;
        } else fail();
      }
    }
    if (c === 45 || (c >= 48 && c <= 57)) {
      NUMBER_Y.lastIndex = pos;
      if (!NUMBER_Y.test(text)) fail();
      const t = text.slice(pos, NUMBER_Y.lastIndex);
      pos = NUMBER_Y.lastIndex;
      const v = +t;
      if (String(v) === t) return v;
      noteNumText();
      return new NumText(v, t);
    }
    if (text.startsWith('true', pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith('false', pos)) {
      pos += 5;
      return false;
    }
    if (text.startsWith('null', pos)) {
      pos += 4;
      return null;
    }
    return fail();
  };

  const v = value();
  ws();
  if (pos < n) fail();
  return v;
}
