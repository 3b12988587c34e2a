/**
 * The parser of sluice's expression language (SPEC §3): tokens to a syntax
 * tree, by recursive descent with one function per precedence level.
 *
 * Precedence, loosest first (SPEC §3):
 *   ?:            right-associative    a ? b : c ? d : e  =  a ? b : (c ? d : e)
 *   ??            left
 *   || or         left
 *   && and        left
 *   ! not         prefix               !a == b  =  !(a == b)
 *   == != < <= > >= ~ !~   left        a < b == c  =  (a < b) == c
 *   in (...)  not in (...)             a + 1 in (2, 3)  =  (a + 1) in (2, 3)
 *   + -           left
 *   * / %         left
 *   unary -       prefix
 *
 * The parser also checks what can be checked before any input is read:
 * function names and argument counts, `exists(field)` taking a field, and
 * regex literals being valid. Every problem is a UsageError with a caret.
 */
import { NumText, noteNumText } from '../engine/values.js';
import { closest } from '../verbs/args.js';
import { FUNCTIONS, FUNCTION_NAMES, makeRegex } from './functions.js';
import { errorAt, KEYWORDS, lex, type Token } from './lexer.js';

/** Binary operators. */
export type BinOp = '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '~' | '!~' | '&&' | '||' | '??';

/** A syntax tree node. `pos` is the 0-based offset of the node's first (or operator) token. */
export type Node =
  | { k: 'lit'; v: null | boolean | number | string | NumText; pos: number }
  | { k: 'field'; path: string[]; text: string; pos: number }
  | { k: 'neg'; e: Node; pos: number }
  | { k: 'not'; e: Node; pos: number }
  | { k: 'bin'; op: BinOp; l: Node; r: Node; pos: number }
  | { k: 'in'; e: Node; items: Node[]; neg: boolean; pos: number }
  | { k: 'cond'; c: Node; t: Node; f: Node; pos: number }
  | { k: 'call'; name: string; args: Node[]; pos: number };

/** One `path = expr` of a `map`. */
export interface Assignment {
  path: string[];
  /** The target as written (`a.b`). */
  text: string;
  pos: number;
  expr: Node;
}

/** The deepest expression tree accepted (nesting and chains like a+b+c+... alike). */
export const MAX_DEPTH = 500;

const COMPARE_OPS: ReadonlySet<string> = new Set(['==', '!=', '<', '<=', '>', '>=', '~', '!~']);

/**
 * A numeric literal's value: a plain number when its text is JavaScript's own,
 * else a NumText keeping the text (`1.50`, `1e3`). Making one tells the writers
 * to look for NumText values (`noteNumText`), as readers do, so a literal is
 * written as written even when no input number was a NumText.
 */
export function numberLiteral(text: string): number | NumText {
  const n = Number(text);
  if (String(n) === text) return n;
  noteNumText();
  return new NumText(n, text);
}

/** True when the node is the literal `null` (for the null tests `== null` / `!= null`). */
export function isNullLit(n: Node): boolean {
  return n.k === 'lit' && n.v === null;
}

class Parser {
  private i = 0;
  constructor(
    private readonly toks: Token[],
    private readonly text: string,
    private readonly verb: string,
  ) {}

  peek(): Token {
    return this.toks[this.i]!;
  }
  next(): Token {
    return this.toks[this.i++]!;
  }
  isOp(t: Token, op: string): boolean {
    return t.kind === 'op' && t.text === op;
  }
  isKw(t: Token, kw: string): boolean {
    return t.kind === 'kw' && t.text === kw;
  }

  fail(pos: number, what: string, hint = ''): never {
    throw errorAt(this.verb, this.text, pos, what, hint);
  }

  /** "unexpected X" for the token at hand. */
  unexpected(t: Token, hint = ''): never {
    if (t.kind === 'eof') this.fail(t.pos, 'syntax error: unexpected end of expression', hint);
    if (!hint && this.isOp(t, '=')) hint = ' (use == to compare)';
    this.fail(t.pos, `syntax error: unexpected '${t.text}'`, hint);
  }

  expectOp(op: string): Token {
    const t = this.peek();
    if (!this.isOp(t, op)) this.fail(t.pos, `syntax error: expected '${op}'`);
    return this.next();
  }

  expectEnd(): void {
    const t = this.peek();
    if (t.kind !== 'eof') this.unexpected(t);
  }

  /** Nesting of the recursive rules (parentheses, calls, prefix operators), bounded so deep input cannot overflow the stack. */
  private depth = 0;

  enter(pos: number): void {
    if (++this.depth > MAX_DEPTH) this.fail(pos, `expression nested too deeply (more than ${MAX_DEPTH} levels)`);
  }

  ternary(): Node {
    this.enter(this.peek().pos);
    try {
      return this.ternaryInner();
    } finally {
      this.depth--;
    }
  }

  ternaryInner(): Node {
    const c = this.coalesce();
    const t = this.peek();
    if (this.isOp(t, '?')) {
      this.next();
      const a = this.ternary();
      this.expectOp(':');
      const b = this.ternary();
      return { k: 'cond', c, t: a, f: b, pos: t.pos };
    }
    return c;
  }

  coalesce(): Node {
    const terms = [this.or()];
    const ops: number[] = [];
    for (;;) {
      const t = this.peek();
      if (!this.isOp(t, '??')) return balanced('??', terms, ops);
      this.next();
      ops.push(t.pos);
      terms.push(this.or());
    }
  }

  or(): Node {
    const terms = [this.and()];
    const ops: number[] = [];
    for (;;) {
      const t = this.peek();
      if (!this.isOp(t, '||') && !this.isKw(t, 'or')) return balanced('||', terms, ops);
      this.next();
      ops.push(t.pos);
      terms.push(this.and());
    }
  }

  and(): Node {
    const terms = [this.not()];
    const ops: number[] = [];
    for (;;) {
      const t = this.peek();
      if (!this.isOp(t, '&&') && !this.isKw(t, 'and')) return balanced('&&', terms, ops);
      this.next();
      ops.push(t.pos);
      terms.push(this.not());
    }
  }

  not(): Node {
    const t = this.peek();
    if (this.isOp(t, '!') || this.isKw(t, 'not')) {
      this.next();
      this.enter(t.pos);
      const e = this.not();
      this.depth--;
      return { k: 'not', e, pos: t.pos };
    }
    return this.compare();
  }

  compare(): Node {
    let l = this.inList();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || !COMPARE_OPS.has(t.text)) return l;
      this.next();
      const r = this.inList();
      if ((t.text === '~' || t.text === '!~') && r.k === 'lit' && typeof r.v === 'string') this.checkRegex(r.v, r.pos);
      l = { k: 'bin', op: t.text as BinOp, l, r, pos: t.pos };
    }
  }

  inList(): Node {
    let e = this.add();
    for (;;) {
      const t = this.peek();
      let neg = false;
      if (this.isKw(t, 'in')) {
        this.next();
      } else if (this.isKw(t, 'not') && this.isKw(this.toks[this.i + 1]!, 'in')) {
        this.next();
        this.next();
        neg = true;
      } else {
        return e;
      }
      this.expectOp('(');
      const items: Node[] = [];
      if (this.isOp(this.peek(), ')')) this.fail(this.peek().pos, 'syntax error: expected a value in the list');
      for (;;) {
        items.push(this.ternary());
        if (this.isOp(this.peek(), ',')) {
          this.next();
          continue;
        }
        this.expectOp(')');
        break;
      }
      e = { k: 'in', e, items, neg, pos: t.pos };
    }
  }

  add(): Node {
    let l = this.mul();
    for (;;) {
      const t = this.peek();
      if (!this.isOp(t, '+') && !this.isOp(t, '-')) return l;
      this.next();
      l = { k: 'bin', op: t.text as BinOp, l, r: this.mul(), pos: t.pos };
    }
  }

  mul(): Node {
    let l = this.unary();
    for (;;) {
      const t = this.peek();
      if (!this.isOp(t, '*') && !this.isOp(t, '/') && !this.isOp(t, '%')) return l;
      this.next();
      l = { k: 'bin', op: t.text as BinOp, l, r: this.unary(), pos: t.pos };
    }
  }

  unary(): Node {
    const t = this.peek();
    if (this.isOp(t, '-')) {
      this.next();
      const n = this.peek();
      // `-5` is a literal (so `x > -5` still takes the numeric fast path).
      if (n.kind === 'num') {
        this.next();
        return { k: 'lit', v: numberLiteral('-' + n.text), pos: t.pos };
      }
      this.enter(t.pos);
      const e = this.unary();
      this.depth--;
      return { k: 'neg', e, pos: t.pos };
    }
    return this.primary();
  }

  primary(): Node {
    const t = this.next();
    switch (t.kind) {
      case 'num':
        return { k: 'lit', v: numberLiteral(t.text), pos: t.pos };
      case 'str':
        return { k: 'lit', v: t.value as string, pos: t.pos };
      case 'kw':
        if (t.text === 'true') return { k: 'lit', v: true, pos: t.pos };
        if (t.text === 'false') return { k: 'lit', v: false, pos: t.pos };
        if (t.text === 'null') return { k: 'lit', v: null, pos: t.pos };
        return this.unexpected(t);
      case 'field':
        if (t.plain && this.isOp(this.peek(), '(')) return this.call(t);
        if (t.plain && (t.text === 'NR' || t.text === 'FNR')) {
          // awk's and Miller's record number: not silently a missing field.
          this.fail(t.pos, `'${t.text}' is not a variable in sluice`, `; the record number is nr() (a field named ${t.text}: $${t.text} or \`${t.text}\`)`);
        }
        return { k: 'field', path: t.path!, text: t.text, pos: t.pos };
      case 'op':
        if (t.text === '(') {
          const e = this.ternary();
          this.expectOp(')');
          return e;
        }
        return this.unexpected(t);
      default:
        return this.unexpected(t);
    }
  }

  call(nameTok: Token): Node {
    const name = nameTok.text;
    const def = FUNCTIONS[name];
    if (def === undefined) {
      const lower = name.toLowerCase();
      const best =
        (Object.hasOwn(FOREIGN_FUNCTIONS, lower) ? FOREIGN_FUNCTIONS[lower] : undefined) ??
        (FUNCTIONS[lower] !== undefined ? `${lower}()` : undefined) ??
        closest(name, FUNCTION_NAMES as string[]);
      this.fail(nameTok.pos, `unknown function '${name}'`, best ? ` (did you mean ${/[(~]/.test(best) ? best : best + '()'}?)` : '');
    }
    this.expectOp('(');
    const args: Node[] = [];
    if (!this.isOp(this.peek(), ')')) {
      for (;;) {
        args.push(this.ternary());
        if (this.isOp(this.peek(), ',')) {
          this.next();
          continue;
        }
        this.expectOp(')');
        break;
      }
    } else {
      this.next();
    }
    if (args.length < def.min || args.length > def.max) {
      const want = def.min === def.max ? `${def.min}` : def.max === Infinity ? `at least ${def.min}` : `${def.min} or ${def.max}`;
      this.fail(nameTok.pos, `${name}() takes ${want} argument${want === '1' ? '' : 's'}, not ${args.length}`);
    }
    if (def.special === 'exists' && args[0]!.k !== 'field') {
      this.fail(args[0]!.pos, 'exists() takes a field name');
    }
    if (def.regexArg !== undefined) {
      const r = args[def.regexArg]!;
      if (r.k === 'lit' && typeof r.v === 'string') this.checkRegex(r.v, r.pos);
    }
    return { k: 'call', name, args, pos: nameTok.pos };
  }

  checkRegex(src: string, pos: number): void {
    try {
      makeRegex(src, false);
    } catch (e) {
      this.fail(pos, `bad regex: ${(e as Error).message}`);
    }
  }

  /** `path = expr (; path = expr)* ;?` */
  assignments(): Assignment[] {
    const out: Assignment[] = [];
    for (;;) {
      while (this.isOp(this.peek(), ';')) this.next();
      const t = this.peek();
      if (t.kind === 'eof') break;
      if (t.kind !== 'field') {
        if (t.kind === 'kw') this.fail(t.pos, `syntax error: '${t.text}' is a keyword; write the field name in backticks: \`${t.text}\``);
        this.fail(t.pos, 'syntax error: expected a field name to assign to (name = expression)');
      }
      this.next();
      const eq = this.peek();
      if (!this.isOp(eq, '=')) this.fail(eq.pos, "syntax error: expected '='");
      this.next();
      const expr = this.ternary();
      out.push({ path: t.path!, text: t.text, pos: t.pos, expr });
      const sep = this.peek();
      if (sep.kind === 'eof') break;
      if (!this.isOp(sep, ';')) this.unexpected(sep, " (separate assignments with ';')");
    }
    if (out.length === 0) this.fail(this.text.length, 'syntax error: expected an assignment (name = expression)');
    return out;
  }
}

/**
 * Parse one expression.
 * @param text the expression
 * @param verb the verb, for messages
 * @throws UsageError (message with the column, detail with a caret)
 */
export function parseExpr(text: string, verb: string): Node {
  const p = new Parser(lex(text, verb), text, verb);
  if (p.peek().kind === 'eof') throw errorAt(verb, text, text.length, 'syntax error: empty expression');
  const e = p.ternary();
  p.expectEnd();
  checkDepth(e, text, verb);
  return e;
}

/**
 * A chain `t0 op t1 op ... op tn` of an associative operator (`||`, `&&`,
 * `??`: with short-circuit evaluation, `(a || b) || (c || d)` gives the same
 * value as `((a || b) || c) || d` and evaluates the same terms in the same
 * order) as a balanced tree: a flat chain of 600 terms is then 10 levels
 * deep, not 600, so it is not "nested too deeply". `opPos[i]` is the column
 * of the operator before `terms[i + 1]`.
 */
function balanced(op: '||' | '&&' | '??', terms: Node[], opPos: number[], from = 0, to = terms.length): Node {
  if (to - from === 1) return terms[from]!;
  const mid = (from + to) >> 1;
  return { k: 'bin', op, l: balanced(op, terms, opPos, from, mid), r: balanced(op, terms, opPos, mid, to), pos: opPos[mid - 1]! };
}

/** Reject trees deeper than MAX_DEPTH (a long chain `a + b + c + ...` is as deep as it is long). */
function checkDepth(root: Node, text: string, verb: string): void {
  const walk = (n: Node, d: number): void => {
    if (d > MAX_DEPTH) throw errorAt(verb, text, n.pos, `expression nested too deeply (more than ${MAX_DEPTH} levels)`);
    switch (n.k) {
      case 'lit':
      case 'field':
        return;
      case 'neg':
      case 'not':
        return walk(n.e, d + 1);
      case 'bin':
        walk(n.l, d + 1);
        return walk(n.r, d + 1);
      case 'in':
        walk(n.e, d + 1);
        for (const i of n.items) walk(i, d + 1);
        return;
      case 'cond':
        walk(n.c, d + 1);
        walk(n.t, d + 1);
        return walk(n.f, d + 1);
      case 'call':
        for (const a of n.args) walk(a, d + 1);
        return;
    }
  };
  walk(root, 1);
}

/**
 * Parse the assignments of `map`: `name = expr; other.path = expr`.
 * @throws UsageError (message with the column, detail with a caret)
 */
export function parseAssignments(text: string, verb: string): Assignment[] {
  const list = new Parser(lex(text, verb), text, verb).assignments();
  for (const a of list) checkDepth(a.expr, text, verb);
  return list;
}

/**
 * Functions of other tools (awk, Miller, SQL, jq) by their lower-case name,
 * and what sluice calls them, for the "did you mean" of an unknown function.
 */
const FOREIGN_FUNCTIONS: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  strlen: 'len()',
  length: 'len()',
  tolower: 'lower()',
  toupper: 'upper()',
  sub: 'replace()',
  gsub: 'replace()',
  regsub: 'replace()',
  regexp_replace: 'replace()',
  systime: 'now()',
  systimeint: 'now()',
  current_timestamp: 'now()',
  splitax: 'split()',
  splitnv: 'split()',
  string_split: 'split()',
  array_to_string: 'join()',
  concat_ws: 'join()',
  format: 'fmtnum()',
  format_values: 'fmtnum()',
  printf: 'fmtnum()',
  sprintf: 'fmtnum()',
  int: 'floor()',
  float: 'number()',
  tonumber: 'number()',
  tostring: 'string()',
  strptime: 'time()',
  sec2gmt: 'strftime()',
  is_present: 'exists()',
  ifnull: 'coalesce()',
  nvl: 'coalesce()',
  substring: 'substr()',
  row_number: 'nr()',
  fnr: 'nr()',
  regexp_matches: "the ~ operator (s ~ 're')",
  match: "the ~ operator (s ~ 're')",
  test: "the ~ operator (s ~ 're')",
});

/** The text of a field path for messages and `--explain`: dotted, with backticks where a segment needs them. */
export function pathText(path: readonly string[]): string {
  return path.map((s) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s) && !KEYWORDS.has(s) ? s : '`' + s.replace(/`/g, '``') + '`')).join('.');
}
