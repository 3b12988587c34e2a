/**
 * Properties of the expression language (fast-check):
 * - any text either compiles or throws UsageError (never another exception);
 * - random well-formed expressions compile, and the compiled closures agree
 *   with the reference tree-walking interpreter on random records;
 * - printing a tree with the fewest parentheses the precedence table allows
 *   parses to the same tree as printing it fully parenthesised.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/engine/errors.js';
import type { Rec } from '../../src/engine/types.js';
import { NumText, setField, truthy } from '../../src/engine/values.js';
import { compileExpr, parseExpr } from '../../src/expr/index.js';
import { evaluate } from '../../src/expr/interpret.js';

// ---------------------------------------------------------------------------
// Random well-formed expressions
// ---------------------------------------------------------------------------

/** A test-side expression tree (printed to text, then parsed by sluice). */
type T =
  | { t: 'leaf'; text: string; level: number }
  | { t: 'un'; op: '-' | '!' | 'not'; e: T }
  | { t: 'bin'; op: string; l: T; r: T }
  | { t: 'in'; neg: boolean; e: T; items: T[] }
  | { t: 'cond'; c: T; a: T; b: T }
  | { t: 'call'; name: string; args: T[] };

const LEVEL: Record<string, number> = {
  '??': 2, '||': 3, or: 3, '&&': 4, and: 4,
  '==': 6, '!=': 6, '<': 6, '<=': 6, '>': 6, '>=': 6, '~': 6, '!~': 6,
  '+': 8, '-': 8, '*': 9, '/': 9, '%': 9,
};
const PRIMARY = 11;

function levelOf(n: T): number {
  switch (n.t) {
    case 'leaf':
      return n.level;
    case 'un':
      return n.op === '-' ? 10 : 5;
    case 'bin':
      return LEVEL[n.op]!;
    case 'in':
      return 7;
    case 'cond':
      return 1;
    case 'call':
      return PRIMARY;
  }
}

/** Print: `full` parenthesises every subexpression; otherwise only where precedence needs it. */
function print(n: T, full: boolean, need = 0): string {
  const s = printBare(n, full);
  return full ? (n.t === 'leaf' || n.t === 'call' ? s : `(${s})`) : levelOf(n) < need ? `(${s})` : s;
}

function printBare(n: T, full: boolean): string {
  switch (n.t) {
    case 'leaf':
      return n.text;
    case 'un':
      if (n.op === '-') {
        // `-5` would be a literal; keep negation of a number literal a negation.
        const inner = n.e.t === 'leaf' && /^[\d.]/.test(n.e.text) ? `(${n.e.text})` : print(n.e, full, 10);
        return inner.startsWith('-') ? `- ${inner}` : `-${inner}`;
      }
      return `${n.op === 'not' ? 'not ' : '!'}${print(n.e, full, 5)}`;
    case 'bin': {
      const L = LEVEL[n.op]!;
      return `${print(n.l, full, L)} ${n.op} ${print(n.r, full, L + 1)}`;
    }
    case 'in':
      return `${print(n.e, full, 8)} ${n.neg ? 'not in' : 'in'} (${n.items.map((i) => print(i, full, 1)).join(', ')})`;
    case 'cond':
      return `${print(n.c, full, 2)} ? ${print(n.a, full, 1)} : ${print(n.b, full, 1)}`;
    case 'call':
      return `${n.name}(${n.args.map((a) => print(a, full, 1)).join(', ')})`;
  }
}

const FIELDS = ['a', 'b', 'c', 'u.v', '`x y`', '__proto__', 'constructor', 'toString', 'u.__proto__', 'missing'];
const fieldLeaf = fc.constantFrom(...FIELDS).map((text): T => ({ t: 'leaf', text, level: PRIMARY }));
const numLeaf = fc
  .oneof(
    fc.constantFrom(-5, -1, 0, 1, 2, 10, 60, 100).map(String),
    fc.integer({ min: -5, max: 100 }).map(String),
    fc.constantFrom('0', '1.5', '1.50', '0.0', '1e2', '60', '2.25', '-1.5'),
  )
  .map((text): T => ({ t: 'leaf', text, level: text.startsWith('-') ? 10 : PRIMARY }));
const strLeaf = fc
  .constantFrom('', 'a', 'A', '1', '10', '1.50', 'abc', 'SFO', 'S', '2001-01-01T00:01:00Z', 'x y', 'true')
  .map((s): T => ({ t: 'leaf', text: JSON.stringify(s), level: PRIMARY }));
const kwLeaf = fc.constantFrom('true', 'false', 'null').map((text): T => ({ t: 'leaf', text, level: PRIMARY }));
const regexLeaf = fc.constantFrom('^a', 'b$', '[0-9]+', '(?i)sfo', '^$', '\\\\.', 'a|S').map((s): T => ({ t: 'leaf', text: JSON.stringify(s), level: PRIMARY }));
const timeFmtLeaf = fc.constantFrom('auto', 'epoch-s', 'epoch-ms', '%Y-%m-%d', '%Y', '%H:%M').map((s): T => ({ t: 'leaf', text: JSON.stringify(s), level: PRIMARY }));

const FN_ARITY: Array<[string, number, number]> = [
  ['lower', 1, 1], ['upper', 1, 1], ['trim', 1, 1], ['len', 1, 1], ['substr', 2, 3], ['contains', 2, 2],
  ['startswith', 2, 2], ['endswith', 2, 2], ['abs', 1, 1], ['round', 1, 2], ['floor', 1, 1], ['ceil', 1, 1],
  ['sqrt', 1, 1], ['log', 1, 1], ['exp', 1, 1], ['pow', 2, 2], ['min', 1, 4], ['max', 1, 4], ['coalesce', 1, 4],
  ['number', 1, 1], ['string', 1, 1],
];

const { expr } = fc.letrec<{ expr: T; leaf: T }>((tie) => ({
  leaf: fc.oneof(fieldLeaf, fieldLeaf, numLeaf, strLeaf, kwLeaf),
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    fc.record({ t: fc.constant('un' as const), op: fc.constantFrom('-' as const, '!' as const, 'not' as const), e: tie('expr') }),
    fc.record({
      t: fc.constant('bin' as const),
      op: fc.constantFrom('??', '||', 'or', '&&', 'and', '==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%'),
      l: tie('expr'),
      r: tie('expr'),
    }),
    // The shapes the compiler specialises: field OP literal, literal OP field.
    fc.record({ t: fc.constant('bin' as const), op: fc.constantFrom('==', '!=', '<', '<=', '>', '>='), l: fieldLeaf, r: fc.oneof(numLeaf, strLeaf, kwLeaf) }),
    fc.record({ t: fc.constant('bin' as const), op: fc.constantFrom('==', '!=', '<', '<=', '>', '>='), l: fc.oneof(numLeaf, strLeaf, kwLeaf), r: fieldLeaf }),
    fc.record({ t: fc.constant('in' as const), neg: fc.boolean(), e: fieldLeaf, items: fc.array(fc.oneof(numLeaf, strLeaf, kwLeaf), { minLength: 1, maxLength: 4 }) }),
    fc.record({ t: fc.constant('bin' as const), op: fc.constantFrom('~', '!~'), l: tie('expr'), r: fc.oneof(regexLeaf, tie('expr')) }),
    fc.record({ t: fc.constant('in' as const), neg: fc.boolean(), e: tie('expr'), items: fc.array(fc.oneof(tie('leaf'), tie('expr')), { minLength: 1, maxLength: 4 }) }),
    fc.record({ t: fc.constant('cond' as const), c: tie('expr'), a: tie('expr'), b: tie('expr') }),
    fc.constantFrom(...FN_ARITY).chain(([name, min, max]) =>
      fc.array(tie('expr'), { minLength: min, maxLength: max }).map((args): T => ({ t: 'call', name, args })),
    ),
    fc.record({ t: fc.constant('call' as const), name: fc.constant('replace'), args: fc.tuple(tie('expr'), fc.oneof(regexLeaf, tie('expr')), tie('expr')) }),
    fieldLeaf.map((f): T => ({ t: 'call', name: 'exists', args: [f] })),
    fc.tuple(tie('expr'), fc.option(fc.oneof(timeFmtLeaf, tie('expr')), { nil: undefined })).map(([v, f]): T => ({ t: 'call', name: 'time', args: f ? [v, f] : [v] })),
    fc.tuple(tie('expr'), fc.oneof(timeFmtLeaf, tie('expr'))).map(([v, f]): T => ({ t: 'call', name: 'strftime', args: [v, f] })),
  ),
})) as { expr: fc.Arbitrary<T> };

// ---------------------------------------------------------------------------
// Random records (fields named like Object.prototype members included)
// ---------------------------------------------------------------------------

const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.constantFrom(-5, -1, 0, 1, 2, 10, 60, 100),
  fc.integer({ min: -5, max: 120 }),
  fc.constantFrom(1.5, 0.25, -2.5, 60, 978307260, 978307260000),
  fc.constantFrom(new NumText(1.5, '1.50'), new NumText(0, '0.0'), new NumText(100, '1e2'), new NumText(60, '60.00')),
  fc.constantFrom('', 'a', 'A', '1', '10', '60', '1.50', 'abc', 'SFO', 'sfo', 'S', '2001-01-01T00:01:00Z', 'x y', 'true', ' 7 ', '😀b'),
  fc.boolean(),
  fc.constantFrom([1, 'a'], [], { v: 1 }, {}),
);

const record: fc.Arbitrary<Rec> = fc
  .tuple(
    fc.dictionary(fc.constantFrom('a', 'b', 'c', 'x y', '__proto__', 'constructor', 'toString'), value, { maxKeys: 7 }),
    fc.option(fc.oneof(value, fc.dictionary(fc.constantFrom('v', '__proto__'), value)), { nil: undefined }),
  )
  .map(([top, u]) => {
    const rec: Rec = {};
    for (const k of Object.keys(top)) setField(rec, k, top[k]);
    if (u !== undefined) {
      if (u !== null && typeof u === 'object' && !Array.isArray(u) && !(u instanceof NumText)) {
        const o: Rec = {};
        for (const k of Object.keys(u)) setField(o, k, (u as Rec)[k]);
        setField(rec, 'u', o);
      } else setField(rec, 'u', u);
    }
    return rec;
  });

/** Comparable form of a value: NumText kept distinct from a plain number. */
function norm(v: unknown): unknown {
  if (v instanceof NumText) return { numText: v.text, value: v.value };
  if (Array.isArray(v)) return v.map(norm);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = Object.create(null);
    for (const k of Object.keys(v)) o[k] = norm((v as Rec)[k]);
    return o;
  }
  if (typeof v === 'number' && Object.is(v, -0)) return 0;
  return v;
}

/** A syntax tree without positions (to compare two parses). */
/** The terms of a chain of one associative operator (`||`, `&&`, `??`), however the parser grouped it. */
function chain(n: unknown, op: string, out: unknown[]): unknown[] {
  const b = n as { k?: string; op?: string; l?: unknown; r?: unknown };
  if (b && b.k === 'bin' && b.op === op) {
    chain(b.l, op, out);
    chain(b.r, op, out);
  } else out.push(n);
  return out;
}

function shape(n: unknown): unknown {
  if (n instanceof NumText) return { numText: n.text };
  // The parser balances chains of associative operators (same value, same order of evaluation): compare them flat.
  const b = n as { k?: string; op?: string };
  if (b && typeof b === 'object' && b.k === 'bin' && (b.op === '||' || b.op === '&&' || b.op === '??')) {
    return { chain: b.op, terms: chain(n, b.op, []).map(shape) };
  }
  if (Array.isArray(n)) return n.map(shape);
  if (n !== null && typeof n === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n)) if (k !== 'pos' && k !== 'text') o[k] = shape(v);
    return o;
  }
  return n;
}

describe('expr properties', () => {
  it('any text compiles or throws UsageError, never another exception', () => {
    const TOKENS = ['a', 'b.c', '`x`', '`', '1', '1.5', '1e', '.', '"s"', "'", '"', '(', ')', ',', ';', '=', '==', '!', '!=', '~', '!~', '<', '>=',
      '&&', '&', '||', '|', '??', '?', ':', '+', '-', '*', '/', '%', 'in', 'not', 'and', 'or', 'true', 'null', 'len', 'lenn', 'exists', 'time',
      'replace', 'round', 'min', '\\', '\n', '#', '$', 'é', '😀', '"(?i)x"', '"["'];
    const soup = fc.oneof(
      fc.array(fc.constantFrom(...TOKENS), { maxLength: 25 }).chain((toks) =>
        fc.array(fc.constantFrom('', ' ', '  '), { minLength: toks.length, maxLength: toks.length }).map((sp) => toks.map((t, i) => t + sp[i]).join('')),
      ),
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 30 }),
    );
    fc.assert(
      fc.property(soup, record, (text, rec) => {
        let c;
        try {
          c = compileExpr(text, 'filter');
        } catch (e) {
          if (!(e instanceof UsageError)) throw e;
          expect(e.message.startsWith('filter: ')).toBe(true);
          expect(e.message).toMatch(/at (line \d+, )?column \d+/);
          expect(e.detail!.split('\n')[1]).toMatch(/^ *\^$/);
          return;
        }
        // Whatever compiles must also evaluate without throwing.
        c.fn(rec);
        c.test(rec);
      }),
      { numRuns: 3000 },
    );
  });

  it('compiled closures agree with the reference interpreter on random records', () => {
    fc.assert(
      fc.property(expr, fc.array(record, { minLength: 1, maxLength: 8 }), (tree, recs) => {
        const text = print(tree, true);
        let c;
        try {
          c = compileExpr(text, 'filter');
        } catch (e) {
          // The only well-formed trees that do not compile: a string literal that is not a time format.
          expect(e).toBeInstanceOf(UsageError);
          expect((e as Error).message).toMatch(/time format/);
          fc.pre(false);
          return;
        }
        const ast = parseExpr(text, 'filter');
        for (const rec of recs) {
          const want = evaluate(ast, rec);
          expect(norm(c.fn(rec)), `${text} on ${JSON.stringify(rec)}`).toEqual(norm(want));
          expect(c.test(rec), `${text} (truthiness)`).toBe(truthy(want));
        }
      }),
      { numRuns: 2000 },
    );
    // Evaluating never touched the prototype.
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  it('the specialised shapes (field OP literal, literal OP field, field in literals) agree with the interpreter', () => {
    const lits = ['0', '1', '60', '-1', '1.5', '1.50', '1e2', '"60"', '"1.50"', '"a"', '""', '"SFO"', 'true', 'false', 'null'];
    const vals: unknown[] = [null, 0, 1, 60, -1, 1.5, 100, new NumText(1.5, '1.50'), new NumText(100, '1e2'), new NumText(60, '60.0'), '60', '1.50', '1.5', 'a', '', 'SFO', true, false, [60], { v: 60 }];
    const shapeArb = fc.oneof(
      fc.tuple(fc.constantFrom('a', 'u.v', '__proto__', 'toString'), fc.constantFrom('==', '!=', '<', '<=', '>', '>='), fc.constantFrom(...lits), fc.boolean()).map(([f, op, l, flip]) =>
        flip ? `${l} ${op} ${f}` : `${f} ${op} ${l}`,
      ),
      fc.tuple(fc.constantFrom('a', 'u.v', '__proto__'), fc.boolean(), fc.array(fc.constantFrom(...lits), { minLength: 1, maxLength: 4 })).map(
        ([f, neg, items]) => `${f} ${neg ? 'not in' : 'in'} (${items.join(', ')})`,
      ),
    );
    const recArb = fc.tuple(fc.option(fc.constantFrom(...vals), { nil: undefined }), fc.option(fc.constantFrom(...vals), { nil: undefined })).map(([a, v]) => {
      const rec: Rec = {};
      if (a !== undefined) {
        setField(rec, 'a', a);
        setField(rec, '__proto__', a);
        setField(rec, 'toString', a);
      }
      if (v !== undefined) rec.u = { v };
      return rec;
    });
    fc.assert(
      fc.property(shapeArb, fc.array(recArb, { minLength: 1, maxLength: 10 }), (text, recs) => {
        const c = compileExpr(text, 'filter');
        const ast = parseExpr(text, 'filter');
        for (const rec of recs) expect(c.fn(rec), `${text} on ${JSON.stringify(rec)}`).toBe(evaluate(ast, rec));
      }),
      { numRuns: 3000 },
    );
  });

  it('fewest parentheses by precedence parse to the same tree as full parentheses', () => {
    fc.assert(
      fc.property(expr, (tree) => {
        const full = print(tree, true);
        const min = print(tree, false);
        expect(shape(parseExpr(min, 'filter')), `${min}  vs  ${full}`).toEqual(shape(parseExpr(full, 'filter')));
      }),
      { numRuns: 2000 },
    );
  });
});
