/**
 * The functions of the expression language (SPEC §3) and the value semantics
 * shared by the compiler (compile.ts) and the reference interpreter
 * (interpret.ts).
 *
 * Conventions, stated once for the man page:
 * - A function of null (a missing field) gives null, except `coalesce`,
 *   `exists`, `min`/`max` (which skip nulls) and the predicates noted below.
 * - Text functions work on the text of their argument (`textOf`): a number is
 *   its text as read (`1.50`), a boolean `true`/`false`, an object or array its
 *   JSON text.
 * - Math functions take numbers only (a string such as "12" is not converted:
 *   use `number()`); any other argument gives null. A result that is not a
 *   finite number (`sqrt(-1)`, `log(0)`, `x / 0`) is null, since JSON has no
 *   NaN or Infinity.
 * - Lengths and positions count Unicode code points, not UTF-16 units.
 */
import { NumText, numberOf, textOf } from '../engine/values.js';
import { type LinearRegex, compileRegex } from './regex.js';

/** A result number, or null when it is NaN or ±Infinity. */
export function finite(n: number): number | null {
  return n - n === 0 ? n : null;
}

/** True when the string has a UTF-16 surrogate (so code points differ from units). */
function hasSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

/** Length in code points. */
function cpLength(s: string): number {
  if (!hasSurrogate(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Compile a regex from expression text (see regex.ts): JavaScript syntax in
 * Unicode mode, run in linear time; a leading `(?i)` makes it
 * case-insensitive. One compiled regex serves `~` and `replace` alike.
 * @param _global kept for callers' clarity (`replace` replaces every match)
 * @throws RegexSyntaxError for an invalid or unsupported pattern
 */
export function makeRegex(pattern: string, _global: boolean): LinearRegex {
  return compileRegex(pattern);
}

/** How many patterns computed per record (`x ~ field`) a cache keeps compiled. */
const REGEX_CACHE_SIZE = 64;

/**
 * A regex cache for patterns computed per record (`x ~ field`): keeps the
 * last REGEX_CACHE_SIZE patterns (least recently used goes first); an invalid
 * pattern gives null (no match).
 */
export function regexCache(global: boolean): (pattern: string) => LinearRegex | null {
  let lastSrc: string | undefined;
  let last: LinearRegex | null = null;
  const cache = new Map<string, LinearRegex | null>();
  return (p) => {
    if (p === lastSrc) return last;
    let r = cache.get(p);
    if (r === undefined) {
      try {
        r = makeRegex(p, global);
      } catch {
        r = null;
      }
      if (cache.size >= REGEX_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    } else cache.delete(p);
    cache.set(p, r);
    lastSrc = p;
    last = r;
    return r;
  };
}

/**
 * `==` of two non-null values: numeric when both are numbers, otherwise by text.
 */
export function eqValues(a: unknown, b: unknown): boolean {
  const na = numberOf(a);
  if (na !== null) {
    const nb = numberOf(b);
    if (nb !== null) return na === nb;
  }
  return textOf(a) === textOf(b);
}

/**
 * Order of two non-null values: numeric when both are numbers, otherwise by
 * text (UTF-16 code unit order, as JavaScript compares strings).
 * @returns negative, 0 or positive
 */
export function cmpValues(a: unknown, b: unknown): number {
  const na = numberOf(a);
  if (na !== null) {
    const nb = numberOf(b);
    if (nb !== null) return na < nb ? -1 : na > nb ? 1 : 0;
  }
  const ta = textOf(a)!;
  const tb = textOf(b)!;
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

/** `number(v)`: accepts decimal text with optional sign, fraction and exponent, surrounding blanks allowed. */
const NUMBER_TEXT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Round half away from zero to `digits` decimal places (negative digits round
 * to tens, hundreds, ...). Uses decimal-exponent shifting so that
 * `round(1.005, 2)` is 1.01, as the decimal text suggests.
 */
export function roundHalfAway(x: number, digits: number): number | null {
  if (!Number.isFinite(x)) return null;
  const d = Math.trunc(digits);
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  if (d === 0) return finite(sign * Math.round(ax));
  if (d > 0 && d <= 22) {
    // Fast path: away from a tie, scaling by the exact power of ten rounds the same as the decimal text.
    const p = POW10[d]!;
    const y = ax * p;
    const fl = Math.floor(y);
    const frac = y - fl;
    if (Math.abs(frac - 0.5) > Number.EPSILON * 8 * (y + 1)) return finite((sign * (frac > 0.5 ? fl + 1 : fl)) / p);
  }
  const shifted = Number(shiftExp(ax, d));
  const r = Number(shiftExp(Math.round(shifted), -d));
  if (Number.isFinite(r)) return sign * r;
  const p = Math.pow(10, d);
  return finite((sign * Math.round(ax * p)) / p);
}

const POW10 = Array.from({ length: 23 }, (_, i) => Number('1e' + i));

function shiftExp(x: number, d: number): string {
  const s = String(x);
  const e = s.indexOf('e');
  if (e < 0) return s + 'e' + d;
  return s.slice(0, e) + 'e' + (Number(s.slice(e + 1)) + d);
}

/**
 * One function of the language. `fixed` functions take their arguments
 * positionally; `variadic` ones get an array (the compiler has faster
 * special cases for those). `min`/`max` are the allowed argument counts
 * (`max` Infinity for variadic).
 */
export interface FnDef {
  min: number;
  max: number;
  /** What the man page says about it (one line). */
  doc: string;
  /** Positional implementation (unused arguments are undefined). */
  fixed?: (a: unknown, b: unknown, c: unknown) => unknown;
  /** Implementation over all arguments. */
  variadic?: (args: unknown[]) => unknown;
  /** Argument positions that are regexes (compiled once when a literal). */
  regexArg?: number;
  /** Special handling in the compiler/interpreter (exists, time, strftime). */
  special?: 'exists' | 'time' | 'strftime' | 'now' | 'nr';
}

function num1(f: (x: number) => number): (a: unknown) => unknown {
  return (a) => {
    const n = numberOf(a);
    return n === null ? null : finite(f(n));
  };
}

function text1(f: (s: string) => unknown): (a: unknown) => unknown {
  return (a) => {
    const s = textOf(a);
    return s === null ? null : f(s);
  };
}

/** `substr(s, start[, len])`: 0-based code-point start (negative counts from the end), optional length. */
function substr(s: unknown, start: unknown, len: unknown): unknown {
  const t = textOf(s);
  const st = numberOf(start);
  if (t === null || st === null) return null;
  let ln: number | null = null;
  if (len !== undefined) {
    ln = numberOf(len);
    if (ln === null) return null;
  }
  const cps = hasSurrogate(t) ? Array.from(t) : null;
  const n = cps ? cps.length : t.length;
  let from = Math.trunc(st);
  if (from < 0) from = Math.max(0, n + from);
  if (from > n) from = n;
  let to = ln === null ? n : from + Math.max(0, Math.trunc(ln));
  if (to > n) to = n;
  return cps ? cps.slice(from, to).join('') : t.slice(from, to);
}

/** Pick min (sign -1) or max (sign 1) of the non-null values: numeric when all are numbers, else by text. */
export function pickExtreme(args: unknown[], sign: number): unknown {
  let best: unknown = null;
  for (const v of args) {
    if (v === null || v === undefined) continue;
    if (best === null) {
      best = v;
      continue;
    }
    if (sign * cmpExtreme(v, best) > 0) best = v;
  }
  return best;
}

/** The order min/max use: numeric when both are numbers, else text. */
function cmpExtreme(a: unknown, b: unknown): number {
  return cmpValues(a, b);
}

function numberFn(v: unknown): unknown {
  if (typeof v === 'number') return v;
  if (v instanceof NumText) return v.value;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const t = v.trim();
    if (!NUMBER_TEXT_RE.test(t)) return null;
    return finite(Number(t));
  }
  return null;
}

function containsFn(a: unknown, b: unknown): unknown {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  if (Array.isArray(a)) {
    for (const x of a) if (x !== null && x !== undefined && eqValues(x, b)) return true;
    return false;
  }
  return textOf(a)!.includes(textOf(b)!);
}

function text2(f: (a: string, b: string) => unknown): (a: unknown, b: unknown) => unknown {
  return (a, b) => {
    const ta = textOf(a);
    const tb = textOf(b);
    return ta === null || tb === null ? null : f(ta, tb);
  };
}

function lenFn(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.length;
  if (typeof v === 'object' && !(v instanceof NumText)) return Object.keys(v as object).length;
  return cpLength(textOf(v)!);
}

function roundFn(x: unknown, digits: unknown): unknown {
  const n = numberOf(x);
  if (n === null) return null;
  let d = 0;
  if (digits !== undefined) {
    const dn = numberOf(digits);
    if (dn === null) return null;
    d = dn;
  }
  return roundHalfAway(n, d);
}

function powFn(a: unknown, b: unknown): unknown {
  const x = numberOf(a);
  const y = numberOf(b);
  return x === null || y === null ? null : finite(Math.pow(x, y));
}

/**
 * `replace(s, re, with)` with a compiled global regex: every match replaced;
 * `with` may use `$1`, `$&`, `$$` (JavaScript replacement patterns).
 */
export function replaceWith(s: unknown, re: LinearRegex | null, w: unknown): unknown {
  const t = textOf(s);
  const r = textOf(w);
  if (t === null || r === null || re === null) return null;
  return re.replaceAll(t, r);
}

/** Every function, by name (a null-prototype table: names come from user text). */
export const FUNCTIONS: Readonly<Record<string, FnDef>> = Object.assign(Object.create(null) as Record<string, FnDef>, {
  lower: { min: 1, max: 1, doc: 'lower(s): lower-case text', fixed: text1((s) => s.toLowerCase()) },
  upper: { min: 1, max: 1, doc: 'upper(s): upper-case text', fixed: text1((s) => s.toUpperCase()) },
  trim: { min: 1, max: 1, doc: 'trim(s): text without leading and trailing white space', fixed: text1((s) => s.trim()) },
  len: { min: 1, max: 1, doc: 'len(v): characters of text; elements of an array; keys of an object', fixed: lenFn },
  substr: { min: 2, max: 3, doc: 'substr(s, start[, n]): n characters from 0-based start (negative: from the end)', fixed: substr },
  contains: { min: 2, max: 2, doc: 'contains(s, t): s contains the text t (array: an element == t)', fixed: containsFn },
  startswith: { min: 2, max: 2, doc: 'startswith(s, t): s begins with t', fixed: text2((a, b) => a.startsWith(b)) },
  endswith: { min: 2, max: 2, doc: 'endswith(s, t): s ends with t', fixed: text2((a, b) => a.endsWith(b)) },
  replace: { min: 3, max: 3, doc: 'replace(s, re, with): every match of regex re replaced ($1 for groups)', regexArg: 1 },
  abs: { min: 1, max: 1, doc: 'abs(x)', fixed: num1(Math.abs) },
  round: { min: 1, max: 2, doc: 'round(x[, digits]): half away from zero', fixed: roundFn },
  floor: { min: 1, max: 1, doc: 'floor(x)', fixed: num1(Math.floor) },
  ceil: { min: 1, max: 1, doc: 'ceil(x)', fixed: num1(Math.ceil) },
  sqrt: { min: 1, max: 1, doc: 'sqrt(x)', fixed: num1(Math.sqrt) },
  log: { min: 1, max: 1, doc: 'log(x): natural logarithm', fixed: num1(Math.log) },
  exp: { min: 1, max: 1, doc: 'exp(x)', fixed: num1(Math.exp) },
  pow: { min: 2, max: 2, doc: 'pow(x, y): x to the power y', fixed: powFn },
  min: { min: 1, max: Infinity, doc: 'min(a, b, ...): smallest non-null argument', variadic: (args) => pickExtreme(args, -1) },
  max: { min: 1, max: Infinity, doc: 'max(a, b, ...): largest non-null argument', variadic: (args) => pickExtreme(args, 1) },
  coalesce: {
    min: 1,
    max: Infinity,
    doc: 'coalesce(a, b, ...): first non-null argument',
    variadic: (args) => {
      for (const v of args) if (v !== null && v !== undefined) return v;
      return null;
    },
  },
  exists: { min: 1, max: 1, doc: 'exists(field): the record has the field (even when null)', special: 'exists' },
  number: { min: 1, max: 1, doc: 'number(v): v as a number; null when it is not one', fixed: numberFn },
  string: { min: 1, max: 1, doc: 'string(v): the text of v', fixed: (v) => textOf(v) },
  time: { min: 1, max: 3, doc: 'time(v[, format[, zone]]): epoch milliseconds', special: 'time' },
  strftime: { min: 2, max: 3, doc: 'strftime(t, format[, zone]): text in UTC or the zone', special: 'strftime' },
  now: { min: 0, max: 0, doc: 'now(): the wall-clock time, epoch milliseconds (read for each record)', special: 'now' },
  nr: { min: 0, max: 0, doc: "nr(): the record's number in the input, 1, 2, ... across all inputs (awk's NR), followed files and runs resumed from a checkpoint too", special: 'nr' },
  split: { min: 2, max: 2, doc: 'split(s, sep): array of the pieces of text s between each sep (plain text, not a regex)', fixed: splitFn },
  join: { min: 2, max: 2, doc: 'join(a, sep): the elements of array a as text with sep between (nulls skipped)', fixed: joinFn },
  fmtnum: { min: 2, max: 2, doc: 'fmtnum(x, fmt): number x as printf text, e.g. "%.2f", "%05d", "%x", "%,d"', fixed: fmtnumFn },
} satisfies Record<string, FnDef>);

/**
 * `split(s, sep)`: pieces of the text of s between each occurrence of the
 * text sep (no regex), as JavaScript's and Python's split do: `split("", ",")`
 * is `[""]`; an empty sep splits into characters (code points).
 */
function splitFn(s: unknown, sep: unknown): unknown {
  const t = textOf(s);
  const p = textOf(sep);
  if (t === null || p === null) return null;
  return p === '' ? Array.from(t) : t.split(p);
}

/** `join(a, sep)`: the text of each non-null element of array a, with sep between (DuckDB's array_to_string); null when a is not an array. */
function joinFn(a: unknown, sep: unknown): unknown {
  const p = textOf(sep);
  if (!Array.isArray(a) || p === null) return null;
  const parts: string[] = [];
  for (const v of a) if (v !== null && v !== undefined) parts.push(textOf(v)!);
  return parts.join(p);
}

/** A compiled printf format: text before and after one conversion. */
interface NumFormat {
  before: string;
  after: string;
  flags: string;
  width: number;
  precision: number | undefined;
  conv: string;
}

/** The largest width or precision a fmtnum format may have. */
const MAX_FMT_DIGITS = 1000;
const FMT_RE = /%([-+ 0#,']*)(\d+)?(?:\.(\d+))?(?:l{1,2}|h)?([diouxXeEfFgGs])/;
const fmtCache = new Map<string, NumFormat | null>();

/**
 * Parse a printf format with exactly one conversion (`%d %i %u %o %x %X %e
 * %E %f %F %g %G %s`, flags `- + space 0 #` and `,` or `'` for thousands
 * separators, width, precision; C's `l`/`ll`/`h` are accepted and ignored);
 * `%%` is a percent sign. Miller's `fmtnum` takes the same.
 * @returns the format, or null when it has no conversion or more than one, or a width or precision over 1000
 */
export function parseNumFormat(fmt: string): NumFormat | null {
  const cached = fmtCache.get(fmt);
  if (cached !== undefined) return cached;
  let result: NumFormat | null = null;
  const esc = fmt.replace(/%%/g, '\u0000');
  const m = FMT_RE.exec(esc);
  if (m) {
    const before = esc.slice(0, m.index);
    const after = esc.slice(m.index + m[0].length);
    if (!before.includes('%') && !after.includes('%')) {
      const un = (x: string) => x.replace(/\u0000/g, '%');
      result = { before: un(before), after: un(after), flags: m[1]!, width: m[2] ? Number(m[2]) : 0, precision: m[3] !== undefined ? Number(m[3]) : undefined, conv: m[4]! };
      // A width or precision past MAX_FMT_DIGITS is no format: '%999999999d' would be a string past V8's limit.
      if (result.width > MAX_FMT_DIGITS || (result.precision ?? 0) > MAX_FMT_DIGITS) result = null;
    }
  }
  if (fmtCache.size > 1000) fmtCache.clear();
  fmtCache.set(fmt, result);
  return result;
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * `fmtnum(x, fmt)`: x as text by a printf format with one conversion. An
 * integer conversion (`%d`, `%x`, ...) of a fraction truncates toward zero,
 * as C's cast does; `%s` gives the number's own text. Null when x is not a
 * number or fmt is not a format (see parseNumFormat).
 */
export function fmtnumFn(x: unknown, fmt: unknown): unknown {
  const n = numberOf(x);
  const f = textOf(fmt);
  if (n === null || f === null) return null;
  const spec = parseNumFormat(f);
  if (spec === null) return null;
  const { flags, precision, conv } = spec;
  // The sign of what is printed: an integer conversion of -0.5 prints 0, as C's (int) cast gives.
  const neg = /[diuxXo]/.test(conv) ? Math.trunc(n) < 0 : n < 0;
  const a = Math.abs(n);
  let body: string;
  switch (conv) {
    case 'd':
    case 'i':
    case 'u': {
      const t = Math.trunc(a);
      body = Number.isSafeInteger(t) ? String(t) : BigInt(t).toString();
      if (precision !== undefined) body = body.padStart(precision, '0');
      break;
    }
    case 'x':
    case 'X':
    case 'o': {
      const t = BigInt(Math.trunc(a));
      body = t.toString(conv === 'o' ? 8 : 16);
      if (conv === 'X') body = body.toUpperCase();
      if (flags.includes('#') && t !== 0n) body = (conv === 'o' ? '0' : conv === 'x' ? '0x' : '0X') + body;
      break;
    }
    case 'e':
    case 'E': {
      body = a.toExponential(Math.min(precision ?? 6, 100)).replace(/e([+-])(\d)$/, 'e$10$2');
      if (conv === 'E') body = body.toUpperCase();
      break;
    }
    case 'f':
    case 'F':
      body = a.toFixed(Math.min(precision ?? 6, 100));
      break;
    case 'g':
    case 'G': {
      const p = precision === 0 ? 1 : Math.min(precision ?? 6, 96);
      const exp = a === 0 ? 0 : Math.floor(Math.log10(a));
      if (exp < -4 || exp >= p) body = a.toExponential(p - 1).replace(/e([+-])(\d)$/, 'e$10$2');
      else body = a.toFixed(Math.max(0, p - 1 - exp));
      if (!flags.includes('#') && body.includes('.')) body = body.replace(/\.?0+(?=e|$)/, '');
      if (conv === 'G') body = body.toUpperCase();
      break;
    }
    default:
      body = textOf(a)!;
  }
  if (flags.includes(',') || flags.includes("'")) {
    const dot = body.search(/[.eE]/);
    body = dot < 0 ? groupThousands(body) : groupThousands(body.slice(0, dot)) + body.slice(dot);
  }
  const sign = neg ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  let out = sign + body;
  if (out.length < spec.width) {
    if (flags.includes('-')) out = out.padEnd(spec.width);
    else if (flags.includes('0') && conv !== 's') out = sign + body.padStart(spec.width - sign.length, '0');
    else out = out.padStart(spec.width);
  }
  return spec.before + out + spec.after;
}

/** Names of all functions (for suggestions). */
export const FUNCTION_NAMES: readonly string[] = Object.keys(FUNCTIONS);
