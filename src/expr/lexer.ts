/**
 * The lexer of sluice's expression language (SPEC §3): turns the text of a
 * `filter` or `map` expression into tokens, each with its 0-based offset in
 * the text (for the caret under the column in error messages).
 *
 * Hand-written, no regular expressions on the hot path; user text is only ever
 * read as data (never handed to `eval` or `new Function`).
 */
import { UsageError } from '../engine/errors.js';

/** Token kinds. `op` covers punctuation and operators; `field` is a (possibly dotted) field path. */
export type TokenKind = 'num' | 'str' | 'field' | 'kw' | 'op' | 'eof';

/** One token. `pos` is the 0-based offset of its first character. */
export interface Token {
  kind: TokenKind;
  /** The token's text as written (`60`, `"SFO"`, `a.b`, `&&`); for `eof`, ''. */
  text: string;
  pos: number;
  /** `num`: the value; `str`: the decoded string. */
  value?: number | string;
  /** `field`: the path segments (`a.b` → ['a','b']). */
  path?: string[];
  /** `field`: true when the token is one plain identifier (a candidate function name or keyword). */
  plain?: boolean;
}

/** Words with a meaning of their own; a field with one of these names must be written in backticks. */
export const KEYWORDS: ReadonlySet<string> = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null']);

/** Operators, longest first so that `==` wins over `=`. */
const OPS = ['==', '!=', '!~', '<=', '>=', '&&', '||', '??', '<', '>', '~', '!', '?', ':', '+', '-', '*', '/', '%', '(', ')', ',', ';', '='];

/**
 * Build the UsageError for a problem at an offset of the expression: the
 * message names the column (and line, when the text has several), and the
 * detail holds the line of the expression and a caret under the column.
 *
 * @param verb  the verb, for the message prefix (`filter`)
 * @param text  the whole expression
 * @param pos   0-based offset of the problem (text.length for "at the end")
 * @param what  what is wrong (`syntax error: expected ')'`)
 * @param hint  optional text appended after the position (` (did you mean len?)`)
 */
export function errorAt(verb: string, text: string, pos: number, what: string, hint = ''): UsageError {
  const lineStart = text.lastIndexOf('\n', pos - 1) + 1;
  let lineEnd = text.indexOf('\n', pos);
  if (lineEnd < 0) lineEnd = text.length;
  const line = text.slice(lineStart, lineEnd).replace(/[\t\r]/g, ' ');
  const col = pos - lineStart + 1;
  const lineNo = text.slice(0, lineStart).split('\n').length;
  const where = text.includes('\n') ? `line ${lineNo}, column ${col}` : `column ${col}`;
  return new UsageError(`${verb}: ${what} at ${where}${hint}`, `${line}\n${' '.repeat(col - 1)}^`);
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c >= 0x80;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/**
 * Split an expression into tokens, ending with one `eof` token.
 *
 * - Numbers: JSON-like (`12`, `-` is an operator, `3.5`, `1e3`, `.5`).
 * - Strings: `"..."` or `'...'`, with the escapes `\n \t \r \b \f \\ \' \" \/ \uXXXX`;
 *   any other backslash pair is kept as written (so `'\d+'` is the regex `\d+`).
 * - Fields: identifiers and `` `any name` `` (a doubled backtick is one backtick),
 *   joined by `.` into a path (`user.id`, ``a.`b c`.d``). A leading `$` is
 *   Miller's field sigil and is dropped (`$delay` is `delay`; `${a b}` is the
 *   field `a b`).
 *
 * @throws UsageError (with a caret) for an unexpected character, an unterminated
 *         string or backtick name, or a malformed number.
 */
export function lex(text: string, verb: string): Token[] {
  const out: Token[] = [];
  const n = text.length;
  let i = 0;
  while (true) {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    const c = text.charCodeAt(i);
    // Number
    if (isDigit(c) || (c === 46 && i + 1 < n && isDigit(text.charCodeAt(i + 1)))) {
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      if (i < n && text.charCodeAt(i) === 46) {
        i++;
        const fracStart = i;
        while (i < n && isDigit(text.charCodeAt(i))) i++;
        if (i === fracStart) throw errorAt(verb, text, i, 'syntax error: expected a digit after the decimal point');
      }
      if (i < n && (text.charCodeAt(i) === 101 || text.charCodeAt(i) === 69)) {
        let j = i + 1;
        if (j < n && (text.charCodeAt(j) === 43 || text.charCodeAt(j) === 45)) j++;
        if (j < n && isDigit(text.charCodeAt(j))) {
          i = j;
          while (i < n && isDigit(text.charCodeAt(i))) i++;
        } else {
          throw errorAt(verb, text, j, 'syntax error: expected the digits of an exponent');
        }
      }
      if (i < n && isIdentPart(text.charCodeAt(i))) {
        throw errorAt(verb, text, i, `syntax error: unexpected '${text[i]}' after a number`);
      }
      const t = text.slice(start, i);
      out.push({ kind: 'num', text: t, pos: start, value: Number(t) });
      continue;
    }
    // String
    if (c === 34 || c === 39) {
      const s = readString(text, i, verb);
      out.push({ kind: 'str', text: text.slice(start, s.end), pos: start, value: s.value });
      i = s.end;
      continue;
    }
    // Field path or keyword
    if (isIdentStart(c) || c === 96) {
      const path: string[] = [];
      let plain = true;
      // Miller's field sigil: `$delay` is the field delay, `${Cost Total}` a
      // name with any characters (a field named `$x` itself: in backticks).
      if (c === 36 && i + 1 < n) {
        const c1 = text.charCodeAt(i + 1);
        if (c1 === 123) {
          const close = text.indexOf('}', i + 2);
          if (close < 0) throw errorAt(verb, text, i, "syntax error: unterminated ${name} (missing closing '}')");
          path.push(text.slice(i + 2, close));
          i = close + 1;
          out.push({ kind: 'field', text: text.slice(start, i), pos: start, path, plain: false });
          continue;
        }
        if (c1 === 96 || (isIdentStart(c1) && c1 !== 36)) {
          i++;
          plain = false;
        }
      }
      for (;;) {
        const sc = text.charCodeAt(i);
        if (sc === 96) {
          const b = readBacktick(text, i, verb);
          path.push(b.value);
          i = b.end;
          plain = false;
        } else {
          const segStart = i;
          // After a dot, a segment may start with a digit (`a.0`).
          while (i < n && isIdentPart(text.charCodeAt(i))) i++;
          path.push(text.slice(segStart, i));
        }
        if (i + 1 < n && text.charCodeAt(i) === 46 && (isIdentPart(text.charCodeAt(i + 1)) || text.charCodeAt(i + 1) === 96)) {
          i++;
          plain = false;
          continue;
        }
        break;
      }
      const t = text.slice(start, i);
      if (plain && KEYWORDS.has(t)) out.push({ kind: 'kw', text: t, pos: start });
      else out.push({ kind: 'field', text: t, pos: start, path, plain });
      continue;
    }
    // Operators
    let op: string | undefined;
    for (const o of OPS) {
      if (text.startsWith(o, i)) {
        op = o;
        break;
      }
    }
    if (op === undefined) {
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      const hint = ch === '&' ? " (did you mean '&&'?)" : ch === '|' ? " (did you mean '||'?)" : '';
      throw errorAt(verb, text, i, `syntax error: unexpected character '${ch}'`, hint);
    }
    out.push({ kind: 'op', text: op, pos: start });
    i += op.length;
  }
  out.push({ kind: 'eof', text: '', pos: n });
  return out;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '\\': '\\', "'": "'", '"': '"', '/': '/' };

function readString(text: string, start: number, verb: string): { value: string; end: number } {
  const q = text[start]!;
  let i = start + 1;
  let value = '';
  let chunk = i;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === q) {
      value += text.slice(chunk, i);
      return { value, end: i + 1 };
    }
    if (ch === '\\' && i + 1 < text.length) {
      value += text.slice(chunk, i);
      const e = text[i + 1]!;
      if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
        i += 6;
      } else if (Object.prototype.hasOwnProperty.call(ESCAPES, e)) {
        value += ESCAPES[e];
        i += 2;
      } else {
        // Unknown escape: keep it as written, so regexes like '\d' survive.
        value += '\\' + e;
        i += 2;
      }
      chunk = i;
      continue;
    }
    i++;
  }
  throw errorAt(verb, text, start, `syntax error: unterminated string (missing closing ${q})`);
}

function readBacktick(text: string, start: number, verb: string): { value: string; end: number } {
  let i = start + 1;
  let value = '';
  while (i < text.length) {
    if (text.charCodeAt(i) === 96) {
      if (text.charCodeAt(i + 1) === 96) {
        value += '`';
        i += 2;
        continue;
      }
      if (value === '') throw errorAt(verb, text, start, 'syntax error: empty field name ``');
      return { value, end: i + 1 };
    }
    value += text[i];
    i++;
  }
  throw errorAt(verb, text, start, 'syntax error: unterminated `field name` (missing closing `)');
}
