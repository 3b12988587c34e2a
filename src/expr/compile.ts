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
import { UsageError } from '../engine/errors.js';
import { NumText, numberOf, pathGetter, setField, textOf, truthy, markChanged, recnoOf } from '../engine/values.js';
import { compileStrftimeIn, compileTimeIn } from '../time/zone.js';
import { cmpValues, eqValues, finite, FUNCTIONS, makeRegex, pickExtreme, regexCache, replaceWith } from './functions.js';
import type { LinearRegex } from './regex.js';
import { errorAt } from './lexer.js';
import { isNullLit, pathText, type Assignment, type BinOp, type Node } from './parser.js';

/** A compiled expression: record to value (null, never undefined, for a missing field). */
export type Fn = (rec: Rec) => unknown;
/** A compiled condition: record to boolean. */
export type Pred = (rec: Rec) => boolean;

interface Compiled {
  fn: Fn;
  /** True when fn always returns a boolean. */
  bool: boolean;
  /** True when fn reads no field (it can be folded to a constant). */
  konst: boolean;
}

const EMPTY: Rec = Object.freeze(Object.create(null)) as Rec;
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
    const lf = l.fn;
    const rf = r.fn;
    const konst = l.konst && r.konst;
    let fn: Fn;
    switch (op) {
      case '+':
        fn = (rec) => {
          const a = lf(rec);
          const b = rf(rec);
          if (typeof a === 'number' && typeof b === 'number') return finite(a + b);
          if (typeof a === 'string') return typeof b === 'string' ? a + b : null;
          const x = numberOf(a);
          const y = numberOf(b);
          return x === null || y === null ? null : finite(x + y);
        };
        break;
      case '-':
        fn = (rec) => {
          const a = lf(rec);
          const b = rf(rec);
          if (typeof a === 'number' && typeof b === 'number') return finite(a - b);
          const x = numberOf(a);
          const y = numberOf(b);
          return x === null || y === null ? null : finite(x - y);
        };
        break;
      case '*':
        fn = (rec) => {
          const a = lf(rec);
          const b = rf(rec);
          if (typeof a === 'number' && typeof b === 'number') return finite(a * b);
          const x = numberOf(a);
          const y = numberOf(b);
          return x === null || y === null ? null : finite(x * y);
        };
        break;
      case '/':
        fn = (rec) => {
          const x = numberOf(lf(rec));
          const y = numberOf(rf(rec));
          return x === null || y === null ? null : finite(x / y);
        };
        break;
      case '%':
        fn = (rec) => {
          const x = numberOf(lf(rec));
          const y = numberOf(rf(rec));
          return x === null || y === null ? null : finite(x % y);
        };
        break;
      default:
        throw new Error(`unknown operator ${op}`);
    }
    return { fn, bool: false, konst };
  }

  private comparison(n: Extract<Node, { k: 'bin' }>, op: '==' | '!=' | '<' | '<=' | '>' | '>='): Compiled {
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
    const lf = l.fn;
    const rf = r.fn;
    let fn: Pred;
    switch (op) {
      case '==':
        fn = (rec) => {
          const a = lf(rec);
          const b = rf(rec);
          if (a === null || b === null) return false;
          if (typeof a === 'number' && typeof b === 'number') return a === b;
          return eqValues(a, b);
        };
        break;
      case '!=':
        fn = (rec) => {
          const a = lf(rec);
          const b = rf(rec);
          if (a === null || b === null) return false;
          if (typeof a === 'number' && typeof b === 'number') return a !== b;
          return !eqValues(a, b);
        };
        break;
      case '<':
        fn = (rec) => {
          const a = lf(rec);
          const b = rf(rec);
          if (a === null || b === null) return false;
          if (typeof a === 'number' && typeof b === 'number') return a < b;
          return cmpValues(a, b) < 0;
        };
        break;
      case '<=':
        fn = (rec) => {
          const a = lf(rec);
          const b = rf(rec);
          if (a === null || b === null) return false;
          if (typeof a === 'number' && typeof b === 'number') return a <= b;
          return cmpValues(a, b) <= 0;
        };
        break;
      case '>':
        fn = (rec) => {
          const a = lf(rec);
          const b = rf(rec);
          if (a === null || b === null) return false;
          if (typeof a === 'number' && typeof b === 'number') return a > b;
          return cmpValues(a, b) > 0;
        };
        break;
      case '>=':
        fn = (rec) => {
          const a = lf(rec);
          const b = rf(rec);
          if (a === null || b === null) return false;
          if (typeof a === 'number' && typeof b === 'number') return a >= b;
          return cmpValues(a, b) >= 0;
        };
        break;
    }
    return { fn, bool: true, konst };
  }

  /**
   * `field OP literal`, the hot shape of `filter`: the field is read with its
   * getter (undefined = missing = null) and compared without going through the
   * generic value closures.
   */
  private vsLiteral(field: Extract<Node, { k: 'field' }>, op: '==' | '!=' | '<' | '<=' | '>' | '>=', lit: unknown): Pred {
    this.noteField(field.path);
    const get = pathGetter(field.path);
    const ln = numberOf(lit);
    if (ln !== null) {
      const n = ln;
      const slow = (v: unknown): number | undefined => (v === undefined || v === null ? undefined : cmpValues(v, lit));
      switch (op) {
        case '==':
          return (rec) => {
            const v = get(rec);
            if (typeof v === 'number') return v === n;
            return slow(v) === 0;
          };
        case '!=':
          return (rec) => {
            const v = get(rec);
            if (typeof v === 'number') return v !== n;
            const c = slow(v);
            return c !== undefined && c !== 0;
          };
        case '<':
          return (rec) => {
            const v = get(rec);
            if (typeof v === 'number') return v < n;
            const c = slow(v);
            return c !== undefined && c < 0;
          };
        case '<=':
          return (rec) => {
            const v = get(rec);
            if (typeof v === 'number') return v <= n;
            const c = slow(v);
            return c !== undefined && c <= 0;
          };
        case '>':
          return (rec) => {
            const v = get(rec);
            if (typeof v === 'number') return v > n;
            const c = slow(v);
            return c !== undefined && c > 0;
          };
        case '>=':
          return (rec) => {
            const v = get(rec);
            if (typeof v === 'number') return v >= n;
            const c = slow(v);
            return c !== undefined && c >= 0;
          };
      }
    }
    // A non-numeric literal (string, boolean): compare by text.
    const s = textOf(lit)!;
    const slowText = (v: unknown): number | undefined => {
      if (v === undefined || v === null) return undefined;
      const t = textOf(v)!;
      return t < s ? -1 : t > s ? 1 : 0;
    };
    switch (op) {
      case '==':
        return (rec) => {
          const v = get(rec);
          if (typeof v === 'string') return v === s;
          return slowText(v) === 0;
        };
      case '!=':
        return (rec) => {
          const v = get(rec);
          if (typeof v === 'string') return v !== s;
          const c = slowText(v);
          return c !== undefined && c !== 0;
        };
      case '<':
        return (rec) => {
          const v = get(rec);
          if (typeof v === 'string') return v < s;
          const c = slowText(v);
          return c !== undefined && c < 0;
        };
      case '<=':
        return (rec) => {
          const v = get(rec);
          if (typeof v === 'string') return v <= s;
          const c = slowText(v);
          return c !== undefined && c <= 0;
        };
      case '>':
        return (rec) => {
          const v = get(rec);
          if (typeof v === 'string') return v > s;
          const c = slowText(v);
          return c !== undefined && c > 0;
        };
      case '>=':
        return (rec) => {
          const v = get(rec);
          if (typeof v === 'string') return v >= s;
          const c = slowText(v);
          return c !== undefined && c >= 0;
        };
    }
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
    if (def.special === 'time') return { fn: this.timeFn(n, fs, args), bool: false, konst };
    if (def.special === 'strftime') return { fn: this.strftimeFn(n, fs, args), bool: false, konst };
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

  /** `time(v[, format])`: a constant format is compiled once (a bad string literal is a usage error with a caret). */
  private timeFn(n: Extract<Node, { k: 'call' }>, fs: Fn[], args: Compiled[]): Fn {
    return this.zonedFn(n, fs, args, (fmt, zone) => compileTimeIn(fmt ?? 'auto', zone, `${this.verb}: time()`), 'auto');
  }

  /** `strftime(t, format[, zone])`: t as ISO text, epoch s or epoch ms (the auto rule). */
  private strftimeFn(n: Extract<Node, { k: 'call' }>, fs: Fn[], args: Compiled[]): Fn {
    return this.zonedFn(n, fs, args, (fmt, zone) => compileStrftimeIn(fmt!, zone, `${this.verb}: strftime()`), null);
  }

  /**
   * `time(v[, format[, zone]])` and `strftime(t, format[, zone])`: the
   * converter is compiled once when format and zone are constant (a bad
   * string literal is a usage error with a caret), else per distinct
   * (format, zone) of the records, where a bad one gives null.
   */
  private zonedFn(
    n: Extract<Node, { k: 'call' }>,
    fs: Fn[],
    args: Compiled[],
    make: (fmt: string | null, zone: string | null) => (v: unknown) => unknown,
    dflt: string | null,
  ): Fn {
    const vf = fs[0]!;
    const rest = args.slice(1);
    if (rest.every((a) => a.konst)) {
      const fmt = fs.length > 1 ? fs[1]!(EMPTY) : dflt;
      const zone = fs.length > 2 ? fs[2]!(EMPTY) : null;
      if (fmt === null || (fs.length > 2 && zone === null)) return () => null;
      let conv: (v: unknown) => unknown;
      try {
        conv = make(textOf(fmt), zone === null ? null : textOf(zone));
      } catch (e) {
        if (e instanceof UsageError) {
          const bad = /time zone/.test(e.message) ? 2 : 1;
          if (isStringLit(n.args[bad])) throw errorAt(this.verb, this.text, n.args[bad]!.pos, bad === 2 ? e.message.replace(/^[^:]*: [^:]*: /, '') : timeMessage(e.message));
        }
        return () => null;
      }
      return (rec) => {
        const v = vf(rec);
        return v === null ? null : conv(v);
      };
    }
    const cache = new Map<string, ((v: unknown) => unknown) | null>();
    return (rec) => {
      const v = vf(rec);
      const f = fs.length > 1 ? fs[1]!(rec) : dflt;
      const z = fs.length > 2 ? fs[2]!(rec) : null;
      if (v === null || f === null || (fs.length > 2 && z === null)) return null;
      const ft = textOf(f)!;
      const zt = z === null ? null : textOf(z)!;
      const key = `${ft}\u0000${zt ?? ''}`;
      let conv = cache.get(key);
      if (conv === undefined) {
        try {
          conv = make(ft, zt);
        } catch {
          conv = null;
        }
        if (cache.size >= 64) cache.clear();
        cache.set(key, conv);
      }
      return conv === null ? null : conv(v);
    };
  }
}

function isStringLit(n: Node | undefined): boolean {
  return n !== undefined && n.k === 'lit' && typeof n.v === 'string';
}

/** The truthiness closure of a compiled node. */
function predOf(c: Compiled): Pred {
  if (c.bool) return c.fn as Pred;
  const f = c.fn;
  if (c.konst) {
    const v = truthy(f(EMPTY));
    return () => v;
  }
  return (rec) => truthy(f(rec));
}

/** JavaScript's Date range in ms: strftime of anything beyond is null. */
export const MAX_MS = 8.64e15;

/** The time module's message for a bad pattern, fitted after `VERB: `. */
function timeMessage(m: string): string {
  return m.startsWith('time format') ? m : `bad time format: ${m}`;
}

const FLIP = { '==': '==', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as const;

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

/** A deep copy of a JSON value (NumText kept), so that two fields never share one object. */
function copyValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || v instanceof NumText) return v;
  if (Array.isArray(v)) return v.map(copyValue);
  const out: Rec = {};
  for (const k of Object.keys(v)) setField(out, k, copyValue((v as Rec)[k]));
  return out;
}

/**
 * Set a nested path like `setPath`, but copy (shallowly) each object on the way
 * instead of changing it in place: a nested object may be shared with another
 * record (the copies `window` makes for each window of a record, the outputs of
 * a join key with several table rows, the table row's own values), and an
 * assignment to one record must not show in another. Only the objects on the
 * assigned path are copied; a non-object step is replaced by a new object.
 */
function setPathCopying(rec: Rec, path: readonly string[], value: unknown): void {
  let o: Rec = rec;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    const cur = hasOwn.call(o, k) ? o[k] : undefined;
    // Spread copies own enumerable keys as data properties, `__proto__` included.
    const child: Rec = cur !== null && typeof cur === 'object' && !Array.isArray(cur) && !(cur instanceof NumText) ? { ...(cur as Rec) } : {};
    setField(o, k, child);
    o = child;
  }
  setField(o, path[path.length - 1]!, value);
}

/**
 * Compile `map` assignments into one function that applies them in order to a
 * record, in place. Each assignment sees the ones before it. A record whose
 * every assignment leaves the field's value identical (`x = x`) is not marked
 * changed, so its original text survives; otherwise `markChanged` is called.
 * An object or array value is copied, so two fields never share one object;
 * a nested target copies the objects on its path (`setPathCopying`), so no
 * other record that shares them sees the change.
 */
export function compileAssignmentList(list: Assignment[], c: Compiler): (rec: Rec) => void {
  const fns = list.map((a) => c.value(a.expr));
  const gets = list.map((a) => pathGetter(a.path));
  const sets = list.map((a): ((rec: Rec, v: unknown) => void) => {
    if (a.path.length === 1) {
      const name = a.path[0]!;
      return (rec, v) => setField(rec, name, v);
    }
    const p = a.path;
    return (rec, v) => setPathCopying(rec, p, v);
  });
  const count = list.length;
  return (rec) => {
    let changed = false;
    for (let i = 0; i < count; i++) {
      let v = fns[i]!(rec);
      const old = gets[i]!(rec);
      if (old !== undefined && old === v) continue;
      if (v !== null && typeof v === 'object' && !(v instanceof NumText)) v = copyValue(v);
      sets[i]!(rec, v);
      changed = true;
    }
    if (changed) markChanged(rec);
  };
}
