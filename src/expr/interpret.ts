/**
 * A straightforward tree-walking evaluator of the expression language, used
 * only by the tests as the reference that the compiled closures (compile.ts)
 * must agree with. It is written for clarity, not speed: no specialisation,
 * no constant folding, regexes and time parsers compiled on every call.
 *
 * It implements SPEC §3 directly:
 * - a missing field is null; fields are own properties only;
 * - `==`/`!=` with the literal `null` on one side test for null; any other
 *   comparison with a null operand is false;
 * - comparison is numeric when both sides are numbers, else by text;
 * - arithmetic needs numbers (null otherwise); `+` of two strings concatenates;
 *   non-finite results are null;
 * - `&&`, `||`, `!` give booleans; `??` the left value unless it is null.
 */
import type { Rec } from '../engine/types.js';
import { NumText, numberOf, recnoOf, textOf, truthy } from '../engine/values.js';
import { compileStrftimeIn, compileTimeIn } from '../time/zone.js';
import { givesEpochMs } from './zoned.js';
import { FUNCTIONS, finite, makeRegex, replaceWith } from './functions.js';
import type { LinearRegex } from './regex.js';
import type { Node } from './parser.js';

const hasOwn = Object.prototype.hasOwnProperty;

function isObj(v: unknown): v is Rec {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof NumText);
}

function getPath(rec: Rec, path: string[]): unknown {
  let v: unknown = rec;
  for (const seg of path) {
    if (!isObj(v) || !hasOwn.call(v, seg)) return null;
    v = v[seg];
  }
  return v === undefined ? null : v;
}

function isNull(v: unknown): boolean {
  return v === null || v === undefined;
}

function eq(a: unknown, b: unknown): boolean {
  const x = numberOf(a);
  const y = numberOf(b);
  if (x !== null && y !== null) return x === y;
  return textOf(a) === textOf(b);
}

function order(a: unknown, b: unknown): number {
  const x = numberOf(a);
  const y = numberOf(b);
  if (x !== null && y !== null) return x - y;
  const s = textOf(a)!;
  const t = textOf(b)!;
  return s === t ? 0 : s < t ? -1 : 1;
}

function regexOrNull(p: string, global: boolean): LinearRegex | null {
  try {
    return makeRegex(p, global);
  } catch {
    return null;
  }
}

/**
 * Evaluate a syntax tree against one record.
 * @returns the value (null for missing)
 */
export function evaluate(n: Node, rec: Rec): unknown {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'field':
      return getPath(rec, n.path);
    case 'neg': {
      const x = numberOf(evaluate(n.e, rec));
      return x === null ? null : -x;
    }
    case 'not':
      return !truthy(evaluate(n.e, rec));
    case 'cond':
      return truthy(evaluate(n.c, rec)) ? evaluate(n.t, rec) : evaluate(n.f, rec);
    case 'in': {
      const v = evaluate(n.e, rec);
      let found = false;
      for (const item of n.items) {
        if (item.k === 'lit' && item.v === null) {
          if (isNull(v)) found = true;
          continue;
        }
        const iv = evaluate(item, rec);
        if (!isNull(v) && !isNull(iv) && eq(v, iv)) found = true;
      }
      if (n.neg) return isNull(v) ? false : !found;
      return found;
    }
    case 'call':
      return call(n, rec);
    case 'bin': {
      const op = n.op;
      if (op === '&&') return truthy(evaluate(n.l, rec)) && truthy(evaluate(n.r, rec));
      if (op === '||') return truthy(evaluate(n.l, rec)) || truthy(evaluate(n.r, rec));
      if (op === '??') {
        const l = evaluate(n.l, rec);
        return isNull(l) ? evaluate(n.r, rec) : l;
      }
      if ((op === '==' || op === '!=') && ((n.l.k === 'lit' && n.l.v === null) || (n.r.k === 'lit' && n.r.v === null))) {
        const other = n.l.k === 'lit' && n.l.v === null ? n.r : n.l;
        const isN = isNull(evaluate(other, rec));
        return op === '==' ? isN : !isN;
      }
      const a = evaluate(n.l, rec);
      const b = evaluate(n.r, rec);
      switch (op) {
        case '==':
          return !isNull(a) && !isNull(b) && eq(a, b);
        case '!=':
          return !isNull(a) && !isNull(b) && !eq(a, b);
        case '<':
          return !isNull(a) && !isNull(b) && order(a, b) < 0;
        case '<=':
          return !isNull(a) && !isNull(b) && order(a, b) <= 0;
        case '>':
          return !isNull(a) && !isNull(b) && order(a, b) > 0;
        case '>=':
          return !isNull(a) && !isNull(b) && order(a, b) >= 0;
        case '~':
        case '!~': {
          if (isNull(a) || isNull(b)) return false;
          const re = regexOrNull(textOf(b)!, false);
          if (re === null) return false;
          const m = re.test(textOf(a)!);
          return op === '~' ? m : !m;
        }
        case '+':
        case '-':
        case '*':
        case '/':
        case '%': {
          if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
          const x = numberOf(a);
          const y = numberOf(b);
          if (x === null || y === null) return null;
          const r = op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? x / y : x % y;
          return finite(r);
        }
      }
    }
  }
  throw new Error('unreachable');
}

function call(n: Extract<Node, { k: 'call' }>, rec: Rec): unknown {
  const def = FUNCTIONS[n.name]!;
  if (def.special === 'exists') {
    const path = (n.args[0] as Extract<Node, { k: 'field' }>).path;
    let v: unknown = rec;
    for (const seg of path) {
      if (!isObj(v) || !hasOwn.call(v, seg)) return false;
      v = v[seg];
    }
    return true;
  }
  if (def.special === 'now') return Date.now();
  if (def.special === 'nr') return recnoOf(rec);
  const args = n.args.map((a) => evaluate(a, rec));
  switch (n.name) {
    case 'time':
    case 'strftime': {
      // Compiled on every call: the reference semantics, not the fast path.
      if (isNull(args[0]) || args.slice(1).some(isNull)) return null;
      const fmt = args.length > 1 ? textOf(args[1])! : 'auto';
      const zone = args.length > 2 ? textOf(args[2])! : null;
      try {
        return n.name === 'time' ? compileTimeIn(fmt, zone, 'time')(args[0]) : compileStrftimeIn(fmt, zone, 'strftime', givesEpochMs(n.args[0]) ? 'epoch-ms' : 'auto')(args[0]);
      } catch {
        return null;
      }
    }
    case 'replace':
      return replaceWith(args[0], isNull(args[1]) ? null : regexOrNull(textOf(args[1])!, true), args[2]);
  }
  if (def.variadic) return def.variadic(args);
  return def.fixed!(args[0], args[1], args[2]);
}
