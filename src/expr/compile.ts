/**
 * The compiler of sluice's expression language: a syntax tree (parser.ts) to
 * plain JavaScript closures, built once per pipeline. Nothing is generated as
 * source text; user text is never evaluated as JavaScript.
 *
 * Speed: field reads are `fieldGetter`/`pathGetter` closures; a comparison
 * with a numeric literal on one side compiles to
 * `typeof v === 'number' ? v > 60 : slowPath(v)`; a comparison with a string
 * literal to `typeof v === 'string' ? v === s : slowPath(v)`; `in (...)` with
 * literal items to Set lookups; `~` with a literal pattern compiles the regex
 * once; subtrees without field reads are evaluated once (constant folding);
 * conditions (`&&`, `||`, `!`, comparisons) return booleans directly, so
 * `filter` does not re-test truthiness.
 *
 * Parts: compiled.ts (closure types, truthiness), operators.ts (the
 * closures of arithmetic and comparisons), zoned.ts (`time`, `strftime`),
 * assign.ts (`map` assignments).
 *
 * Semantics (identical to the reference interpreter, interpret.ts):
 * - A missing field is null. Comparison is numeric when both sides are numbers
 *   (`numberOf`), otherwise by text (`textOf`: a number's text as read).
 * - Every comparison with a null operand is false, except the null tests
 *   `e == null` and `e != null` (the literal `null` on either side).
 * - Arithmetic with null or a non-number gives null; `+` of two strings
 *   concatenates; a result that is not finite (`x / 0`) is null.
 * - `&&`, `||`, `!` give booleans (truthiness: not null, false, 0 or "").
 */
import type { Rec } from '../engine/types.js';
import { NumText, numberOf, pathGetter, textOf, recnoOf } from '../engine/values.js';
import { eqValues, FUNCTIONS, makeRegex, pickExtreme, regexCache, replaceWith } from './functions.js';
import type { LinearRegex } from './regex.js';
import { isNullLit, pathText, type BinOp, type Node } from './parser.js';
import { EMPTY, predOf, type Compiled, type Fn, type Pred } from './compiled.js';
import { FLIP, arithFn, compareFn, literalCompare, type CmpOp } from './operators.js';
import { strftimeFn, timeFn } from './zoned.js';

const hasOwn = Object.prototype.hasOwnProperty;

/** Compiles one tree; collects the field paths it reads. */
export class Compiler {
  /** Field paths read, as text (`a.b`, `` `x y` ``), in order of first appearance. */
  readonly fields: string[] = [];
  /** True when the expression calls `nr()` (the runner must stamp input record numbers). */
  recordNumbers = false;
  private readonly seen = new Set<string>();
  /** The top-level names of the field paths read (`a` of `a.b`), for reading only what is needed. */
  readonly roots = new Set<string>();

  /**
   * @param text the expression text (for carets in errors found while compiling)
   * @param verb the verb, for messages
   */
  constructor(
    readonly text: string,
    readonly verb: string,
  ) {}

  /** Compile to a value-returning closure. */
  value(node: Node): Fn {
    return this.node(node).fn;
  }

  /** Compile to a boolean closure (truthiness of the value). */
  pred(node: Node): Pred {
    return predOf(this.node(node));
  }

  /** Compile once to both closures. */
  both(node: Node): { fn: Fn; test: Pred } {
    const c = this.node(node);
    return { fn: c.fn, test: predOf(c) };
  }

  private noteField(path: string[]): void {
    this.roots.add(path[0]!);
    const t = pathText(path);
    if (!this.seen.has(t)) {
      this.seen.add(t);
      this.fields.push(t);
    }
  }

  private node(n: Node): Compiled {
    const c = this.build(n);
    if (c.konst && n.k !== 'lit') {
      const v = c.fn(EMPTY);
      return { fn: () => v, bool: c.bool, konst: true };
    }
    return c;
  }

  private build(n: Node): Compiled {
    switch (n.k) {
      case 'lit': {
        const v = n.v;
        return { fn: () => v, bool: typeof v === 'boolean', konst: true };
      }
      case 'field': {
        this.noteField(n.path);
        const get = pathGetter(n.path);
        return {
          fn: (rec) => {
            const v = get(rec);
            return v === undefined ? null : v;
          },
          bool: false,
          konst: false,
        };
      }
      case 'neg': {
        const e = this.node(n.e);
        const f = e.fn;
        return {
          fn: (rec) => {
            const v = f(rec);
            if (typeof v === 'number') return -v;
            return v instanceof NumText ? -v.value : null;
          },
          bool: false,
          konst: e.konst,
        };
      }
      case 'not': {
        const e = this.node(n.e);
        const p = predOf(e);
        return { fn: (rec) => !p(rec), bool: true, konst: e.konst };
      }
      case 'cond': {
        const c = this.node(n.c);
        const t = this.node(n.t);
        const f = this.node(n.f);
        const p = predOf(c);
        const tf = t.fn;
        const ff = f.fn;
        return { fn: (rec) => (p(rec) ? tf(rec) : ff(rec)), bool: t.bool && f.bool, konst: c.konst && t.konst && f.konst };
      }
      case 'in':
        return this.inList(n);
      case 'call':
        return this.call(n);
      case 'bin':
        return this.bin(n);
    }
  }

  private bin(n: Extract<Node, { k: 'bin' }>): Compiled {
    const op = n.op;
    switch (op) {
      case '&&': {
        const l = this.node(n.l);
        const r = this.node(n.r);
        const lp = predOf(l);
        const rp = predOf(r);
        return { fn: (rec) => lp(rec) && rp(rec), bool: true, konst: l.konst && r.konst };
      }
      case '||': {
        const l = this.node(n.l);
        const r = this.node(n.r);
        const lp = predOf(l);
        const rp = predOf(r);
        return { fn: (rec) => lp(rec) || rp(rec), bool: true, konst: l.konst && r.konst };
      }
      case '??': {
        const l = this.node(n.l);
        const r = this.node(n.r);
        const lf = l.fn;
        const rf = r.fn;
        return {
          fn: (rec) => {
            const v = lf(rec);
            return v === null ? rf(rec) : v;
          },
          bool: l.bool && r.bool,
          konst: l.konst && r.konst,
        };
      }
      case '==':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=':
        return this.comparison(n, op);
      case '~':
      case '!~':
        return this.match(n, op === '!~');
      default:
        return this.arith(n, op);
    }
  }

  private arith(n: Extract<Node, { k: 'bin' }>, op: BinOp): Compiled {
    const l = this.node(n.l);
    const r = this.node(n.r);
    return { fn: arithFn(op, l.fn, r.fn), bool: false, konst: l.konst && r.konst };
  }

  private comparison(n: Extract<Node, { k: 'bin' }>, op: CmpOp): Compiled {
    // Null tests: `e == null`, `e != null` (either side).
    if ((op === '==' || op === '!=') && (isNullLit(n.l) || isNullLit(n.r))) {
      const other = isNullLit(n.l) ? n.r : n.l;
      const o = this.node(other);
      const f = o.fn;
      const fn: Pred = op === '==' ? (rec) => f(rec) === null : (rec) => f(rec) !== null;
      return { fn, bool: true, konst: o.konst };
    }
    const l = this.node(n.l);
    const r = this.node(n.r);
    const konst = l.konst && r.konst;
    if (!konst) {
      // A literal on one side: specialise (literal on the left is flipped to the right).
      if (r.konst && n.r.k === 'lit' && n.r.v !== null && n.l.k === 'field') return { fn: this.vsLiteral(n.l, op, n.r.v), bool: true, konst };
      if (l.konst && n.l.k === 'lit' && n.l.v !== null && n.r.k === 'field') return { fn: this.vsLiteral(n.r, FLIP[op], n.l.v), bool: true, konst };
    }
    return { fn: compareFn(op, l.fn, r.fn), bool: true, konst };
  }

  /**
   * `field OP literal`, the hot shape of `filter`: the field is read with its
   * getter (undefined = missing = null) and compared without going through the
   * generic value closures.
   */
  private vsLiteral(field: Extract<Node, { k: 'field' }>, op: CmpOp, lit: unknown): Pred {
    this.noteField(field.path);
    return literalCompare(pathGetter(field.path), op, lit);
  }

  private match(n: Extract<Node, { k: 'bin' }>, negate: boolean): Compiled {
    const l = this.node(n.l);
    const r = this.node(n.r);
    const lf = l.fn;
    const konst = l.konst && r.konst;
    let fn: Pred;
    if (r.konst) {
      const pat = r.fn(EMPTY);
      if (pat === null) return { fn: () => false, bool: true, konst: true };
      let re: LinearRegex | null = null;
      try {
        re = makeRegex(textOf(pat)!, false);
      } catch {
        re = null; // a computed constant pattern that is invalid: never matches
      }
      if (re === null) return { fn: () => false, bool: true, konst: true };
      const rx = re;
      fn = negate
        ? (rec) => {
            const v = lf(rec);
            if (v === null) return false;
            return !rx.test(typeof v === 'string' ? v : textOf(v)!);
          }
        : (rec) => {
            const v = lf(rec);
            if (v === null) return false;
            return rx.test(typeof v === 'string' ? v : textOf(v)!);
          };
    } else {
      const rf = r.fn;
      const cache = regexCache(false);
      fn = (rec) => {
        const v = lf(rec);
        const p = rf(rec);
        if (v === null || p === null) return false;
        const rx = cache(textOf(p)!);
        if (rx === null) return false;
        return rx.test(textOf(v)!) !== negate;
      };
    }
    return { fn, bool: true, konst };
  }

  private inList(n: Extract<Node, { k: 'in' }>): Compiled {
    const e = this.node(n.e);
    const ef = e.fn;
    const neg = n.neg;
    const hasNullLit = n.items.some(isNullLit);
    const items = n.items.filter((i) => !isNullLit(i)).map((i) => this.node(i));
    const konst = e.konst && items.every((i) => i.konst);
    if (items.every((i) => i.konst)) {
      // Literal list: Set lookups.
      const numSet = new Set<number>();
      const nonNumText = new Set<string>();
      const allText = new Set<string>();
      for (const it of items) {
        const v = it.fn(EMPTY);
        if (v === null) continue;
        const nv = numberOf(v);
        const t = textOf(v)!;
        allText.add(t);
        if (nv !== null) numSet.add(nv);
        else nonNumText.add(t);
      }
      const found = (v: unknown): boolean => {
        if (typeof v === 'string') return allText.has(v);
        const nv = numberOf(v);
        if (nv !== null) return numSet.has(nv) || (nonNumText.size > 0 && nonNumText.has(textOf(v)!));
        return allText.has(textOf(v)!);
      };
      const fn: Pred = neg ? (rec) => {
        const v = ef(rec);
        return v !== null && !found(v);
      } : (rec) => {
        const v = ef(rec);
        return v === null ? hasNullLit : found(v);
      };
      return { fn, bool: true, konst };
    }
    const fns = items.map((i) => i.fn);
    const found = (v: unknown, rec: Rec): boolean => {
      for (let i = 0; i < fns.length; i++) {
        const iv = fns[i]!(rec);
        if (iv !== null && eqValues(v, iv)) return true;
      }
      return false;
    };
    const fn: Pred = neg ? (rec) => {
      const v = ef(rec);
      return v !== null && !found(v, rec);
    } : (rec) => {
      const v = ef(rec);
      return v === null ? hasNullLit : found(v, rec);
    };
    return { fn, bool: true, konst };
  }

  private call(n: Extract<Node, { k: 'call' }>): Compiled {
    const def = FUNCTIONS[n.name]!;
    if (def.special === 'exists') {
      const f = n.args[0] as Extract<Node, { k: 'field' }>;
      this.noteField(f.path);
      return { fn: pathExists(f.path), bool: true, konst: false };
    }
    if (def.special === 'now') return { fn: () => Date.now(), bool: false, konst: false };
    if (def.special === 'nr') {
      this.recordNumbers = true;
      return { fn: recnoOf, bool: false, konst: false };
    }
    const args = n.args.map((a) => this.node(a));
    const konst = args.every((a) => a.konst);
    const fs = args.map((a) => a.fn);
    if (def.special === 'time') return { fn: timeFn(this.verb, this.text, n, fs, args), bool: false, konst };
    if (def.special === 'strftime') return { fn: strftimeFn(this.verb, this.text, n, fs, args), bool: false, konst };
    if (n.name === 'replace') {
      const [sf, , wf] = fs as [Fn, Fn, Fn];
      if (args[1]!.konst) {
        const p = fs[1]!(EMPTY);
        let re: LinearRegex | null = null;
        if (p !== null) {
          try {
            re = makeRegex(textOf(p)!, true);
          } catch {
            re = null;
          }
        }
        const rx = re;
        return { fn: (rec) => replaceWith(sf(rec), rx, wf(rec)), bool: false, konst };
      }
      const pf = fs[1]!;
      const cache = regexCache(true);
      return {
        fn: (rec) => {
          const p = pf(rec);
          return replaceWith(sf(rec), p === null ? null : cache(textOf(p)!), wf(rec));
        },
        bool: false,
        konst,
      };
    }
    if (n.name === 'coalesce') {
      return {
        fn: (rec) => {
          for (let i = 0; i < fs.length; i++) {
            const v = fs[i]!(rec);
            if (v !== null) return v;
          }
          return null;
        },
        bool: args.every((a) => a.bool),
        konst,
      };
    }
    if (def.variadic) {
      // min / max: evaluate into a buffer reused across records (no allocation per record).
      const buf: unknown[] = new Array(fs.length);
      const impl = def.variadic;
      if (n.name === 'min' || n.name === 'max') {
        const sign = n.name === 'min' ? -1 : 1;
        return {
          fn: (rec) => {
            for (let i = 0; i < fs.length; i++) buf[i] = fs[i]!(rec);
            const v = pickExtreme(buf, sign);
            buf.fill(null);
            return v;
          },
          bool: false,
          konst,
        };
      }
      return { fn: (rec) => impl(fs.map((f) => f(rec))), bool: false, konst };
    }
    const impl = def.fixed!;
    switch (fs.length) {
      case 1: {
        const a = fs[0]!;
        return { fn: (rec) => impl(a(rec), undefined, undefined), bool: false, konst };
      }
      case 2: {
        const a = fs[0]!;
        const b = fs[1]!;
        return { fn: (rec) => impl(a(rec), b(rec), undefined), bool: false, konst };
      }
      default: {
        const a = fs[0]!;
        const b = fs[1]!;
        const c = fs[2]!;
        return { fn: (rec) => impl(a(rec), b(rec), c(rec)), bool: false, konst };
      }
    }
  }

}

/** `exists(a.b)`: every step is an own property of an object (the last may hold null). */
export function pathExists(path: readonly string[]): Pred {
  return (rec) => {
    let v: unknown = rec;
    for (let i = 0; i < path.length; i++) {
      if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof NumText) return false;
      if (!hasOwn.call(v, path[i]!)) return false;
      v = (v as Rec)[path[i]!];
    }
    return true;
  };
}
