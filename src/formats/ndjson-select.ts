/**
 * Reading only the selected fields of an NDJSON line (issue 14 item 7).
 *
 * `scanSelected` walks a line's top-level keys once, checking the whole line
 * against the JSON grammar (RFC 8259) as it goes, and decodes only the values
 * of selected keys; every other value is skipped structurally (strings with
 * their escapes, numbers, literals, nested objects and arrays). The result is
 * the record `JSON.parse` would give, restricted to the selected fields, with
 * the same values:
 * - strings: the text between the quotes, or JSON.parse of the quoted text
 *   when it holds an escape;
 * - numbers: `typeCellIn`, the number or a NumText exactly when the NDJSON
 *   reader's exact parse makes one (its text is not `String(n)`);
 * - objects and arrays: `parseJsonValue` (the reader's own parse);
 * - duplicate keys: the last value wins and the key keeps the position of
 *   its first occurrence, as with JSON.parse (and parseExact); a key written
 *   with escapes (`"d\u0065lay"`) is the same key as written plainly;
 * - `__proto__` is an ordinary own field.
 *
 * Anything the scanner does not vouch for returns null, and the caller parses
 * the line in full as before (so every error message, and the nesting limit,
 * stay those of the full reader): invalid JSON, a top-level value that is not
 * an object, nesting deeper than SCAN_DEPTH.
 */
import type { Rec } from '../engine/types.js';
import { setField, typeCellIn } from '../engine/values.js';
import type { FieldMatcher } from './fields.js';

/** Deepest nesting the scanner follows; a deeper line goes to the full parse (which rejects past MAX_NESTING). */
const SCAN_DEPTH = 256;
const FAIL = -1;

/** Set by `skipString` when the string holds a backslash escape. */
let escaped = false;

function skipWs(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13 || c === 10) i++;
    else return i;
  }
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** `s[i]` is `"`: the index after the closing quote, or FAIL (control character, bad escape, no end). Sets `escaped`. */
function skipString(s: string, i: number): number {
  const n = s.length;
  i++;
  for (;;) {
    if (i >= n) return FAIL;
    const c = s.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c === 92) {
      escaped = true;
      const e = s.charCodeAt(i + 1);
      if (e === 117) {
        // \uXXXX
        if (!(isHex(s.charCodeAt(i + 2)) && isHex(s.charCodeAt(i + 3)) && isHex(s.charCodeAt(i + 4)) && isHex(s.charCodeAt(i + 5)))) return FAIL;
        i += 6;
      } else if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) i += 2;
      else return FAIL;
    } else if (c < 32) return FAIL;
    else i++;
  }
}

/** A JSON number starts at `i`: the index after it, or FAIL. */
function skipNumber(s: string, i: number): number {
  let c = s.charCodeAt(i);
  if (c === 45) c = s.charCodeAt(++i);
  if (c === 48) c = s.charCodeAt(++i);
  else if (c >= 49 && c <= 57) {
    do c = s.charCodeAt(++i);
    while (c >= 48 && c <= 57);
  } else return FAIL;
  if (c === 46) {
    c = s.charCodeAt(++i);
    if (!(c >= 48 && c <= 57)) return FAIL;
    do c = s.charCodeAt(++i);
    while (c >= 48 && c <= 57);
  }
  if (c === 101 || c === 69) {
    c = s.charCodeAt(++i);
    if (c === 43 || c === 45) c = s.charCodeAt(++i);
    if (!(c >= 48 && c <= 57)) return FAIL;
    do c = s.charCodeAt(++i);
    while (c >= 48 && c <= 57);
  }
  return i;
}

/** A JSON value starts at `i` (no blanks before it): the index after it, or FAIL. `depth`: containers around it. */
function skipValue(s: string, i: number, depth: number): number {
  const c = s.charCodeAt(i);
  if (c === 34) return skipString(s, i);
  if (c === 123 || c === 91) {
    if (depth >= SCAN_DEPTH) return FAIL;
    const obj = c === 123;
    const close = obj ? 125 : 93;
    i = skipWs(s, i + 1);
    if (s.charCodeAt(i) === close) return i + 1;
    for (;;) {
      if (obj) {
        if (s.charCodeAt(i) !== 34) return FAIL;
        i = skipString(s, i);
        if (i === FAIL) return FAIL;
        i = skipWs(s, i);
        if (s.charCodeAt(i) !== 58) return FAIL;
        i = skipWs(s, i + 1);
      }
      i = skipValue(s, i, depth + 1);
      if (i === FAIL) return FAIL;
      i = skipWs(s, i);
      const d = s.charCodeAt(i);
      if (d === 44) i = skipWs(s, i + 1);
      else if (d === close) return i + 1;
      else return FAIL;
    }
  }
  if (c === 116) return s.startsWith('true', i) ? i + 4 : FAIL;
  if (c === 102) return s.startsWith('false', i) ? i + 5 : FAIL;
  if (c === 110) return s.startsWith('null', i) ? i + 4 : FAIL;
  return skipNumber(s, i);
}

/** A JSON string without escapes, control characters or quotes in it. */
const PLAIN_STRING = '"[^"\\\\\\u0000-\\u001f]*"';
const FLAT_VALUE = `(?:${PLAIN_STRING}|-?(?:0|[1-9]\\d*)(?:\\.\\d+)?(?:[eE][+-]?\\d+)?|true|false|null)`;
/** A compact flat object: no blanks, no escapes, no nested values (`{"a":1,"b":"x"}`, as sluice and most tools write NDJSON). */
const FLAT_LINE = `\\{${PLAIN_STRING}:${FLAT_VALUE}(?:,${PLAIN_STRING}:${FLAT_VALUE})*\\}`;
/** One line FLAT_LINE. Irregexp checks it much faster than a loop in JavaScript can, and then keys and values are found with indexOf. */
const FLAT = new RegExp(`^${FLAT_LINE}$`);
/** A run of FLAT_LINE lines, each with its `\n` or `\r\n` (sticky: from lastIndex). */
const FLAT_RUN = new RegExp(`(?:${FLAT_LINE}\\r?\\n)*`, 'y');

/**
 * Most of a chunk one FLAT_RUN call looks at: at most ~150 000 lines, far
 * from the ~2 million short lines (~16 MiB) over which its backtrack stack
 * overflows. (Chunks are 64 KiB when read from files and pipes.)
 */
const RUN_WINDOW = 1 << 20;

/**
 * Where the run of compact flat lines (FLAT, each ended by `\n` or `\r\n`) that starts
 * at `pos` of `chunk` ends: the index after the last one's `\n` (`pos` when
 * the line at `pos` is not one). One regex call for a whole chunk of lines
 * instead of one per line (~50 ns less per line, measured on the flights);
 * in a chunk longer than RUN_WINDOW from `pos`, the run within that window
 * (the line the window cuts is not in it).
 */
export function flatRunEnd(chunk: string, pos: number): number {
  let s = chunk;
  let from = pos;
  if (chunk.length - pos > RUN_WINDOW) {
    s = chunk.slice(pos, pos + RUN_WINDOW);
    from = 0;
  }
  FLAT_RUN.lastIndex = from;
  try {
    return FLAT_RUN.test(s) ? pos + (FLAT_RUN.lastIndex - from) : pos;
  } catch {
    // The regex's backtrack stack overflowed (not expected within a window): line by line.
    return pos;
  }
}

/** `scanSelected` of a line FLAT matches (flatRunEnd found it so). */
export function scanFlatLine(s: string, m: FieldMatcher): Rec {
  if (m.empty) return {};
  const texts = m.keyTexts;
  return (texts !== null ? scanKeyed(s, m, texts) : undefined) ?? scanFlat(s, m);
}

/** In a line FLAT matches, the end of the value that starts at `vs` (after its closing quote, or at the `,` or `}` after it). */
function flatValueEnd(s: string, vs: number): number {
  if (s.charCodeAt(vs) === 34) return s.indexOf('"', vs + 1) + 1;
  let e = vs + 1;
  for (;;) {
    const d = s.charCodeAt(e);
    if (d === 44 || d === 125) return e;
    e++;
  }
}

/** The value `s[vs, e)` of a line FLAT matches: a string without escapes, a literal, or a number typed as the reader types it. */
function flatValue(s: string, vs: number, e: number): unknown {
  const c = s.charCodeAt(vs);
  return c === 34 ? s.slice(vs + 1, e - 1) : c === 116 ? true : c === 102 ? false : c === 110 ? null : typeCellIn(s, vs, e);
}

/** Where each key text of scanKeyed was found (reused: no array per line). */
const keyAt: number[] = [];

/**
 * Where `text` (a FieldMatcher key text, `name":`) follows a `"` in `s` from
 * `from` on, or -1. The text is searched without its opening quote: a
 * search for a pattern that starts with `"`, the commonest character of a
 * JSON line, stops at every quote (measured: 2-3× slower).
 */
function keyIndex(s: string, text: string, from: number): number {
  for (;;) {
    const p = s.indexOf(text, from);
    if (p < 0 || s.charCodeAt(p - 1) === 34) return p;
    from = p + 1;
  }
}

/**
 * `scanSelected` for a line FLAT matches and a selection with `keyTexts`
 * (FieldMatcher): each selected key found with indexOf (in such a line a
 * `"name":` can only be that key), the fields set in the order of the line.
 * Undefined when a selected key occurs twice (scanFlat keeps JSON.parse's
 * rule: the last value, at the first key's place).
 */
function scanKeyed(s: string, m: FieldMatcher, texts: readonly string[]): Rec | undefined {
  const names = m.list;
  const n = texts.length;
  for (let k = 0; k < n; k++) {
    const t = texts[k]!;
    const p = keyIndex(s, t, 2);
    if (p >= 0 && keyIndex(s, t, p + t.length) >= 0) return undefined;
    keyAt[k] = p;
  }
  const rec: Rec = {};
  for (let done = 0; done < n; done++) {
    // The next key in the line's order (n is at most 3).
    let best = -1;
    for (let k = 0; k < n; k++) if (keyAt[k]! >= 0 && (best < 0 || keyAt[k]! < keyAt[best]!)) best = k;
    if (best < 0) break;
    const name = names[best]!;
    const vs = keyAt[best]! + texts[best]!.length;
    const v = flatValue(s, vs, flatValueEnd(s, vs));
    keyAt[best] = -1;
    if (name === '__proto__') setField(rec, name, v);
    else rec[name] = v;
  }
  return rec;
}

/** `scanSelected` for a line FLAT matches: every `"` opens or closes a key or a string value, every `,` and `}` ends a value. */
function scanFlat(s: string, m: FieldMatcher): Rec {
  const rec: Rec = {};
  let i = 1;
  for (;;) {
    const ke = s.indexOf('"', i + 1);
    const name = m.nameAt(s, i + 1, ke);
    const vs = ke + 2;
    const e = flatValueEnd(s, vs);
    if (name !== undefined) {
      const v = flatValue(s, vs, e);
      if (name === '__proto__') setField(rec, name, v);
      else rec[name] = v;
    }
    if (s.charCodeAt(e) === 125) return rec;
    i = e + 1;
  }
}

/**
 * The selected fields of one NDJSON line (without its line end), or null
 * when the line must be parsed in full (see the module comment).
 * @param s     the line
 * @param m     the selected fields
 * @param whole parses the text of a nested value the way the full reader does (`parseJsonValue`)
 */
export function scanSelected(s: string, m: FieldMatcher, whole: (text: string) => unknown): Rec | null {
  if (FLAT.test(s)) return scanFlatLine(s, m);
  const n = s.length;
  let i = skipWs(s, 0);
  if (s.charCodeAt(i) !== 123) return null;
  const rec: Rec = {};
  i = skipWs(s, i + 1);
  if (s.charCodeAt(i) !== 125) {
    for (;;) {
      if (s.charCodeAt(i) !== 34) return null;
      const ks = i + 1;
      escaped = false;
      i = skipString(s, i);
      if (i === FAIL) return null;
      let name: string | undefined;
      if (!escaped) name = m.nameAt(s, ks, i - 1);
      else {
        const k = JSON.parse(s.slice(ks - 1, i)) as string;
        if (m.has(k)) name = k;
      }
      i = skipWs(s, i);
      if (s.charCodeAt(i) !== 58) return null;
      i = skipWs(s, i + 1);
      const vs = i;
      if (name === undefined) {
        i = skipValue(s, i, 1);
        if (i === FAIL) return null;
      } else {
        const c = s.charCodeAt(i);
        let v: unknown;
        if (c === 34) {
          escaped = false;
          i = skipString(s, i);
          if (i === FAIL) return null;
          v = escaped ? JSON.parse(s.slice(vs, i)) : s.slice(vs + 1, i - 1);
        } else if (c === 123 || c === 91) {
          i = skipValue(s, i, 1);
          if (i === FAIL) return null;
          try {
            v = whole(s.slice(vs, i));
          } catch {
            return null;
          }
        } else if (c === 116 || c === 102 || c === 110) {
          i = skipValue(s, i, 1);
          if (i === FAIL) return null;
          v = c === 116 ? true : c === 102 ? false : null;
        } else {
          i = skipNumber(s, i);
          if (i === FAIL) return null;
          v = typeCellIn(s, vs, i);
        }
        if (name === '__proto__') setField(rec, name, v);
        else rec[name] = v;
      }
      i = skipWs(s, i);
      const d = s.charCodeAt(i);
      if (d === 44) i = skipWs(s, i + 1);
      else if (d === 125) break;
      else return null;
    }
  }
  return skipWs(s, i + 1) === n ? rec : null;
}
