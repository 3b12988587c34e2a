/**
 * The closures of the expression language's binary operators (compile.ts
 * picks them once per node): arithmetic (`+ - * / %`), comparisons
 * (`== != < <= > >=`) of two compiled operands, and the specialised
 * comparisons of a field with a non-null literal, the hot shape of `filter`
 * (`typeof v === 'number' ? v > 60 : slowPath(v)`). Semantics as described
 * in compile.ts (null compares false; numbers numerically, else by text;
 * arithmetic with a non-number or a non-finite result is null).
 */
import type { Rec } from '../engine/types.js';
import { numberOf, textOf } from '../engine/values.js';
import { cmpValues, eqValues, finite } from './functions.js';
import type { BinOp } from './parser.js';
import type { Fn, Pred } from './compiled.js';

/** A comparison operator. */
export type CmpOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** Each comparison with its operands swapped (`1 < x` is `x > 1`). */
export const FLIP = { '==': '==', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as const;

/**
 * `lf(rec) OP rf(rec)` for an arithmetic operator: numbers (NumText by
 * value) give a finite number or null; `+` of two strings concatenates;
 * anything else is null.
 * @throws Error for an operator that is not arithmetic (a compiler bug)
 */
export function arithFn(op: BinOp, lf: Fn, rf: Fn): Fn {
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
  return fn;
}

/** `lf(rec) OP rf(rec)` for a comparison: false when either side is null; numbers numerically, else `eqValues`/`cmpValues`. */
export function compareFn(op: CmpOp, lf: Fn, rf: Fn): Pred {
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
  return fn;
}

/**
 * `field OP lit` for a non-null literal, the field read by `get` (undefined =
 * missing = null, which compares false): a numeric literal compares numbers
 * directly and other values by `cmpValues`; another literal (string,
 * boolean) compares by text.
 */
export function literalCompare(get: (rec: Rec) => unknown, op: CmpOp, lit: unknown): Pred {
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
