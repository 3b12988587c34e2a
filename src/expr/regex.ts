/**
 * Regexes of the expression language (`~`, `!~`, `replace`): JavaScript
 * syntax in Unicode mode, run by a linear-time engine (SPEC §3), so that no
 * pattern and no input can make one match take more than linear time
 * (issue 10 item 14: `(a+)+$` on `aaaa…a!` used to hang sluice for ever).
 *
 * Engine: re2js, the JavaScript port of RE2 (Russ Cox, "Regular Expression
 * Matching in the Wild", 2010; Go's regexp): automata, no backtracking. A
 * pattern is checked twice when compiled: by JavaScript's own parser with the
 * `u` flag (so its syntax and messages are JavaScript's), then by RE2, which
 * refuses what it cannot run in linear time (backreferences, lookahead,
 * lookbehind). JavaScript escapes RE2 spells differently are translated
 * (`\uXXXX`, `\u{X}`, surrogate pairs, `\cX`, `\0`, `\p{Script=X}`).
 *
 * Differences from JavaScript's engine, as documented in the man page:
 * `\s` is ASCII white space; `.` excludes only `\n`; a leading `(?i)` makes
 * the pattern case-insensitive (Unicode case folding).
 *
 * Speed: RE2's DFA costs ~1 µs per short string, several times V8's engine.
 * Two fast paths keep `filter 's ~ "..."'` quick: a pattern that is a plain
 * literal is `String.includes`; otherwise a literal every match must contain
 * (found conservatively from the pattern text) is looked for with
 * `String.includes` first, and only strings holding it go to RE2.
 */
import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';

/**
 * re2js, loaded when the first pattern that needs RE2 is compiled (its
 * CommonJS build, synchronously): 263 KB of code that a run without such a
 * pattern no longer parses at start-up (~5 ms per thread).
 */
let re2: typeof RE2JS | undefined;
function re2js(): typeof RE2JS {
  return (re2 ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof RE2JS }).RE2JS);
}

/** A compiled regex. */
export interface LinearRegex {
  /** The pattern as the user wrote it. */
  readonly source: string;
  /** True when the pattern matches somewhere in `s`. */
  test(s: string): boolean;
  /**
   * Every match replaced by `w`, expanded as JavaScript's `String.replace`
   * expands it (`$1`, `$<name>`, `$&`, `$$`).
   */
  replaceAll(s: string, w: string): string;
  /** The first match with its groups (named groups under `groups`), or null. */
  exec(s: string): { index: number; groups: Record<string, string | undefined> | undefined; [i: number]: string | undefined } | null;
}

/** A pattern the engine refuses; the message names what is wrong. */
export class RegexSyntaxError extends SyntaxError {
  constructor(message: string) {
    super(message);
    this.name = 'RegexSyntaxError';
  }
}

const hex = (cp: number): string => `\\x{${cp.toString(16)}}`;

/**
 * Translate JavaScript (u-mode) escapes into RE2's spelling. Walks the
 * pattern once, tracking character classes; everything else is kept.
 */
function toRe2(src: string): string {
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const d = src[i + 1];
    if (d === 'u') {
      if (src[i + 2] === '{') {
        const end = src.indexOf('}', i + 3);
        out += hex(parseInt(src.slice(i + 3, end), 16));
        i = end;
        continue;
      }
      let cp = parseInt(src.slice(i + 2, i + 6), 16);
      i += 5;
      // A surrogate pair written as two escapes is one code point in u-mode.
      if (cp >= 0xd800 && cp <= 0xdbff && src[i + 1] === '\\' && src[i + 2] === 'u' && src[i + 3] !== '{') {
        const lo = parseInt(src.slice(i + 3, i + 7), 16);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          i += 6;
        }
      }
      out += hex(cp);
      continue;
    }
    if (d === 'c') {
      out += hex(src.charCodeAt(i + 2) % 32);
      i += 2;
      continue;
    }
    if (d === '0') {
      out += hex(0);
      i += 1;
      continue;
    }
    if ((d === 'p' || d === 'P') && src[i + 2] === '{') {
      const end = src.indexOf('}', i + 3);
      let name = src.slice(i + 3, end);
      const eq = name.indexOf('=');
      if (eq >= 0) name = name.slice(eq + 1);
      out += `\\${d}{${name}}`;
      i = end;
      continue;
    }
    out += c + (d ?? '');
    i++;
  }
  return out;
}

const META = new Set(['\\', '^', '$', '.', '|', '?', '*', '+', '(', ')', '[', ']', '{', '}']);

/**
 * The longest literal that every match of `src` contains, or '' when none is
 * found. Conservative: only top-level literal characters count (not inside
 * groups or classes), a quantified character ends a run and does not count,
 * and a top-level `|` gives ''. `whole` is true when the pattern is exactly
 * that literal (no anchors, classes, groups or quantifiers).
 */
export function requiredLiteral(src: string): { lit: string; whole: boolean } {
  let best = '';
  let run = '';
  let whole = true;
  const endRun = (): void => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    let ch: string | null = null;
    if (c === '\\') {
      const d = src[i + 1];
      if (d !== undefined && META.has(d)) ch = d;
      else if (d === '/' || d === '-') ch = d;
      i++;
      if (ch === null) {
        whole = false;
        endRun();
        // Skip the rest of the escape: \u{...}, \p{...}, \uXXXX, \xHH, \cX.
        if (src[i + 1] === '{' && (d === 'u' || d === 'p' || d === 'P')) {
          const end = src.indexOf('}', i);
          i = end < 0 ? src.length : end;
        } else if (d === 'u') i += 4;
        else if (d === 'x') i += 2;
        else if (d === 'c') i += 1;
        continue;
      }
    } else if (c === '[') {
      whole = false;
      endRun();
      let j = i + 1;
      if (src[j] === '^') j++;
      if (src[j] === ']') j++;
      for (; j < src.length && src[j] !== ']'; j++) if (src[j] === '\\') j++;
      i = j;
      continue;
    } else if (c === '(') {
      whole = false;
      endRun();
      let depth = 0;
      let j = i;
      for (; j < src.length; j++) {
        const x = src[j]!;
        if (x === '\\') j++;
        else if (x === '[') {
          for (j++; j < src.length && src[j] !== ']'; j++) if (src[j] === '\\') j++;
        } else if (x === '(') depth++;
        else if (x === ')' && --depth === 0) break;
      }
      i = j;
      continue;
    } else if (c === '|') {
      return { lit: '', whole: false };
    } else if (META.has(c)) {
      whole = false;
      endRun();
      if (c === '{') {
        const end = src.indexOf('}', i);
        if (end > i) i = end;
      }
      continue;
    } else ch = c;
    // A quantifier after it: the character may be absent or repeated.
    const q = src[i + 1];
    if (q === '?' || q === '*' || q === '{' || q === '+') {
      whole = false;
      endRun();
      continue;
    }
    run += ch;
  }
  endRun();
  return { lit: best, whole: whole && best.length === src.length - countEscapes(src) };
}

function countEscapes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s[i] === '\\') (n++, i++);
  return n;
}

/**
 * `src` (JavaScript syntax, checked) compiled by RE2.
 * @throws RegexSyntaxError for what RE2 cannot run in linear time
 */
function compileRe2(src: string, icase: boolean): RE2JS {
  try {
    const R = re2js();
    return R.compile(toRe2(src), icase ? R.CASE_INSENSITIVE : 0);
  } catch (e) {
    const m = (e as Error).message;
    const what = /\\[1-9]|\\k</.test(src)
      ? 'backreferences'
      : /\(\?<?[=!]/.test(src)
        ? 'lookahead and lookbehind'
        : m.replace(/^error parsing regexp: /, '');
    throw new RegexSyntaxError(`${what} cannot run in linear time (sluice's regex engine is RE2: see REGEXES in the man page)`);
  }
}

/**
 * Compile a pattern (see the module comment).
 * @throws RegexSyntaxError for a pattern that is not valid JavaScript u-mode
 *   syntax, or that uses what the linear-time engine cannot run
 */
export function compileRegex(pattern: string): LinearRegex {
  let src = pattern;
  let icase = false;
  if (src.startsWith('(?i)')) {
    src = src.slice(4);
    icase = true;
  }
  try {
    new RegExp(src, icase ? 'iu' : 'u');
  } catch (e) {
    throw new RegexSyntaxError((e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, ''));
  }
  const { lit, whole } = icase ? { lit: '', whole: false } : requiredLiteral(src);
  // A plain literal is found with String.includes; RE2 (and re2js's code) only when a replace or
  // exec needs it. Any other pattern is compiled now: one RE2 cannot run fails before any input.
  let compiled: RE2JS | undefined;
  const re = (): RE2JS => (compiled ??= compileRe2(src, icase));
  // A literal holding a lone surrogate goes to RE2 for ~ and replace alike: in u-mode it never
  // matches half of a surrogate pair, which String.includes and split would.
  const plain = whole && !/[\uD800-\uDFFF]/u.test(src);
  let test: (s: string) => boolean;
  if (plain) test = (s) => s.includes(lit);
  else {
    const r = re();
    if (lit.length >= 2) test = (s) => s.includes(lit) && r.test(s);
    else test = (s) => r.test(s);
  }
  return {
    source: pattern,
    test,
    replaceAll: (s, w) => (plain && lit.length > 0 && !w.includes('$') ? s.split(lit).join(w) : re().matcher(s).replaceAll(w)),
    exec(s) {
      const m = re().exec(s) as unknown as { index: number; groups?: Record<string, string | undefined>; [i: number]: string | undefined } | null;
      if (m === null) return null;
      return Object.assign(m, { groups: m.groups });
    },
  };
}
