/**
 * Aggregation plans and accumulators (issue 4): every aggregate against a
 * straightforward batch computation written here, for random records and
 * random split points, and merge(add(A), add(B)) against add(A + B).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Rec } from '../../src/engine/types.js';
import type { GroupState } from '../../src/agg/types.js';
import { NumText, textOf } from '../../src/engine/values.js';
import { checkNames, parseAggList, parseKeyList } from '../../src/agg/parse.js';
import { compileAggPlan, type CompiledAggPlan } from '../../src/agg/plan.js';

const AGGS =
  'count, count(v), sum(v), avg(v), mean(v) as m, min(v), max(v), first(v), last(v), stddev(v), var(v), ' +
  'distinct(v), approx_distinct(v), median(v), p0(v), p90(v), p95(v), p99(v), p99.9(v), p100(v), collect(v)';

/** Percentiles of the list above, in thousandths (exact integer arithmetic in the reference). */
const PCTS: Record<string, number> = {
  median_v: 500,
  p0_v: 0,
  p90_v: 900,
  p95_v: 950,
  p99_v: 990,
  'p99.9_v': 999,
  p100_v: 1000,
};

// ---- the reference: plain batch computations ---------------------------------

const isNum = (v: unknown): boolean => typeof v === 'number' || v instanceof NumText;
const num = (v: unknown): number => (v instanceof NumText ? v.value : (v as number));
const present = (v: unknown): boolean => v !== null && v !== undefined;

/** Order for min/max: numbers numerically and first, then the rest by text. */
function cmp(a: unknown, b: unknown): number {
  if (isNum(a) && isNum(b)) return num(a) - num(b);
  if (isNum(a)) return -1;
  if (isNum(b)) return 1;
  const ta = textOf(a)!;
  const tb = textOf(b)!;
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

function reference(values: unknown[]): Record<string, unknown> {
  const nn = values.filter(present);
  const nums = nn.filter(isNum).map(num);
  // Sum in integer cents (the generators below only make multiples of 0.01 as numbers).
  const cents = nums.reduce((s, x) => s + Math.round(x * 100), 0);
  const mean = nums.length ? cents / 100 / nums.length : null;
  let variance: number | null = null;
  if (nums.length >= 2) {
    const mu = nums.reduce((s, x) => s + x, 0) / nums.length;
    variance = nums.reduce((s, x) => s + (x - mu) * (x - mu), 0) / (nums.length - 1);
  }
  const minV = nn.length ? nn.find((v) => nn.every((w) => cmp(v, w) <= 0)) : null;
  const maxV = nn.length ? nn.find((v) => nn.every((w) => cmp(v, w) >= 0)) : null;
  const sorted = [...nums].sort((a, b) => a - b);
  const out: Record<string, unknown> = {
    count: values.length,
    count_v: nn.length,
    sum_v: nums.length ? cents / 100 : null,
    avg_v: mean,
    m: mean,
    min_v: minV,
    max_v: maxV,
    first_v: nn.length ? nn[0] : null,
    last_v: nn.length ? nn[nn.length - 1] : null,
    stddev_v: variance === null ? null : Math.sqrt(variance),
    var_v: variance,
    distinct_v: new Set(nn.map(textOf)).size,
    approx_distinct_v: new Set(nn.map(textOf)).size, // exact while small
    collect_v: nn,
  };
  for (const [name, thousandths] of Object.entries(PCTS)) {
    const n = sorted.length;
    // nearest rank: max(1, ceil(thousandths * n / 1000)), in integers
    const rank = Math.max(1, Math.floor((thousandths * n + 999) / 1000));
    out[name] = n ? sorted[rank - 1] : null;
  }
  return out;
}

const FLOAT_FIELDS = new Set(['sum_v', 'avg_v', 'm', 'stddev_v', 'var_v']);

function expectSameAggs(got: Rec, want: Record<string, unknown>, where: string): void {
  for (const [k, w] of Object.entries(want)) {
    const g = got[k];
    if (FLOAT_FIELDS.has(k) && typeof w === 'number') {
      expect(typeof g, `${where} ${k}`).toBe('number');
      expect(Math.abs((g as number) - w), `${where} ${k}: ${g} vs ${w}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(w)));
    } else if (g instanceof NumText && typeof w === 'number' && /^(p|median)/.test(k)) {
      // A percentile answers with a value of the data as read: 1.50 for 1.5 when the data holds 1.50.
      expect(g.value, `${where} ${k}`).toBe(w);
    } else {
      expect(g, `${where} ${k}`).toEqual(w);
    }
  }
}

// ---- generators -----------------------------------------------------------------

const valueArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -100_000, max: 100_000 }).map((c) => c / 100) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>('a', 'b', 'LAS', '7', '', 'zz', true, false) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(new NumText(1.5, '1.50'), new NumText(7, '7.0'), new NumText(-2, '-2.00')) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(null, undefined) },
);
const keyArb = fc.constantFrom<unknown>(7, '7', null, undefined, 'null', 'x', 1.5, new NumText(1.5, '1.50'), '\u0002', '\u0002x', '');
const recArb = fc.record({ k: keyArb, v: valueArb }).map(({ k, v }) => {
  const r: Rec = {};
  if (k !== undefined) r.k = k;
  if (v !== undefined) r.v = v;
  return r;
});

function plan(aggText: string, keyText: string | null): CompiledAggPlan {
  const aggs = parseAggList(aggText);
  const keys = keyText === null ? [] : parseKeyList(keyText);
  checkNames(keys, aggs);
  return compileAggPlan(aggs, keys);
}

function run(p: CompiledAggPlan, recs: Rec[]): Map<string, GroupState> {
  const groups = new Map<string, GroupState>();
  for (const r of recs) p.add(p.groupOf(groups, r), r);
  return groups;
}

/** Merge `b` into `a` as a shard merge would: matching groups merged, new ones appended. */
function mergeInto(p: CompiledAggPlan, a: Map<string, GroupState>, b: Map<string, GroupState>): void {
  for (const [k, g] of b) {
    const into = a.get(k);
    if (into) p.merge(into, g);
    else a.set(k, g);
  }
}

/** Reference grouping: by the keys' texts, null distinct from "null", in order of first appearance. */
function refGroups(recs: Rec[], keys: string[]): Map<string, { keyValues: unknown[]; values: unknown[] }> {
  const m = new Map<string, { keyValues: unknown[]; values: unknown[] }>();
  for (const r of recs) {
    const kv = keys.map((k) => (r[k] === undefined ? null : r[k]));
    const id = JSON.stringify(kv.map(textOf));
    let g = m.get(id);
    if (!g) m.set(id, (g = { keyValues: kv, values: [] }));
    g.values.push(r.v);
  }
  return m;
}

describe('aggregates against a batch computation', () => {
  it('every aggregate equals the reference, for the whole input and for any split merged', () => {
    const p = plan(AGGS, 'k');
    fc.assert(
      fc.property(fc.array(recArb, { maxLength: 120 }), fc.nat(), (recs, cut) => {
        const at = recs.length ? cut % (recs.length + 1) : 0;
        const whole = run(p, recs);
        const merged = run(p, recs.slice(0, at));
        mergeInto(p, merged, run(p, recs.slice(at)));
        const ref = refGroups(recs, ['k']);
        const wholeOut = [...whole.values()].map((g) => p.output(g));
        const mergedOut = [...merged.values()].map((g) => p.output(g));
        expect(wholeOut.length).toBe(ref.size);
        let i = 0;
        for (const g of ref.values()) {
          expect(wholeOut[i]!.k).toEqual(g.keyValues[0]);
          expectSameAggs(wholeOut[i]!, reference(g.values), `whole group ${i}`);
          i++;
        }
        // merge(add(A), add(B)) equals add(A + B): same groups, same order, same values.
        expect(mergedOut.map((r) => Object.keys(r))).toEqual(wholeOut.map((r) => Object.keys(r)));
        for (let j = 0; j < wholeOut.length; j++) {
          expectSameAggs(mergedOut[j]!, wholeOut[j]!, `merged group ${j}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('emptyLike + merge of per-part partials (as sliding windows do) equals the whole', () => {
    const p = plan(AGGS, 'k');
    fc.assert(
      fc.property(fc.array(recArb, { minLength: 1, maxLength: 80 }), fc.array(fc.nat(), { maxLength: 4 }), (recs, cuts) => {
        const points = [...new Set(cuts.map((c) => c % recs.length))].sort((a, b) => a - b);
        const parts: Rec[][] = [];
        let from = 0;
        for (const c of [...points, recs.length]) {
          parts.push(recs.slice(from, c));
          from = c;
        }
        const partials = parts.map((part) => run(p, part));
        const total = new Map<string, GroupState>();
        for (const part of partials) {
          for (const [k, g] of part) {
            let t = total.get(k);
            if (!t) total.set(k, (t = p.emptyLike(g)));
            p.merge(t, g);
          }
        }
        const whole = run(p, recs);
        expect([...total.keys()]).toEqual([...whole.keys()]);
        for (const [k, g] of whole) {
          const want = p.output(g);
          expectSameAggs(p.output(total.get(k)!), want, `group ${JSON.stringify(k)}`);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('clone(g) is an exact, independent copy (also of sketches past 10,000 values)', () => {
    const p = plan(AGGS, 'k');
    fc.assert(
      fc.property(fc.array(recArb, { maxLength: 60 }), fc.array(recArb, { maxLength: 30 }), (recs, more) => {
        const groups = run(p, recs);
        for (const g of groups.values()) {
          const before = p.output(g);
          const c = p.clone(g);
          expect(p.output(c)).toEqual(before);
          for (const r of more) {
            p.add(c, r);
            p.merge(c, p.clone(c));
          }
          expect(p.output(g)).toEqual(before);
        }
      }),
      { numRuns: 100 },
    );
    const big = plan('p50(v), p99(v), approx_distinct(v), count', null);
    const g = big.newGroup({});
    for (let i = 0; i < 30_000; i++) big.add(g, { v: (i * 7919) % 30_011 });
    const before = big.output(g);
    const c = big.clone(g);
    expect(big.output(c)).toEqual(before);
    for (let i = 0; i < 30_000; i++) big.add(c, { v: 1e6 + i });
    expect(big.output(g)).toEqual(before);
    expect(big.output(c)).not.toEqual(before);
  });

  it('group keys: texts match (7 and "7"), null and missing are one group, null is not "null"', () => {
    const p = plan('count, collect(v)', 'k');
    const recs: Rec[] = [{ k: 7, v: 1 }, { k: '7', v: 2 }, { v: 3 }, { k: null, v: 4 }, { k: 'null', v: 5 }, { k: '\u0002', v: 6 }];
    const out = [...run(p, recs).values()].map((g) => p.output(g));
    expect(out).toEqual([
      { k: 7, count: 2, collect_v: [1, 2] },
      { k: null, count: 2, collect_v: [3, 4] },
      { k: 'null', count: 1, collect_v: [5] },
      { k: '\u0002', count: 1, collect_v: [6] },
    ]);
  });

  it('several keys: matched by the tuple of texts, with separators inside values kept apart', () => {
    const p = plan('count', 'a, b');
    const recs: Rec[] = [
      { a: 'x\u0001', b: 'y' },
      { a: 'x', b: '\u0001y' },
      { a: null, b: 'y' },
      { a: 'null', b: 'y' },
      { a: '\u0002\u0004', b: 'y' },
      { a: 1, b: 'y' },
      { a: '1', b: 'y' },
      { b: 'y' },
    ];
    const out = [...run(p, recs).values()].map((g) => p.output(g));
    expect(out).toEqual([
      { a: 'x\u0001', b: 'y', count: 1 },
      { a: 'x', b: '\u0001y', count: 1 },
      { a: null, b: 'y', count: 2 },
      { a: 'null', b: 'y', count: 1 },
      { a: '\u0002\u0004', b: 'y', count: 1 },
      { a: 1, b: 'y', count: 2 },
    ]);
  });

  it('random multi-key records group exactly like the reference', () => {
    const p = plan('count, first(v)', 'k, j');
    const rec2 = fc
      .record({ k: keyArb, j: fc.constantFrom<unknown>('\u0001', 'a', '\u0001a', 'a\u0001', null, 'null', '\u0002\u0004'), v: valueArb })
      .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as Rec);
    fc.assert(
      fc.property(fc.array(rec2, { maxLength: 60 }), (recs) => {
        const ref = refGroups(recs, ['k', 'j']);
        const got = [...run(p, recs).values()].map((g) => p.output(g));
        expect(got.map((r) => [r.k, r.j, r.count])).toEqual([...ref.values()].map((g) => [...g.keyValues, g.values.length]));
      }),
    );
  });

  it('keys by path and backticked name; fields named like Object.prototype members are ordinary', () => {
    const p = plan('sum(`__proto__`) as s, max(constructor), count(toString)', 'user.id, `a.b`');
    const r1: Rec = JSON.parse('{"user":{"id":3},"a.b":"q","__proto__":5,"constructor":"c","toString":1}');
    const r2: Rec = JSON.parse('{"user":{"id":"3"},"a.b":"q","__proto__":2}');
    const out = [...run(p, [r1, r2]).values()].map((g) => p.output(g));
    expect(out).toEqual([{ 'user.id': 3, 'a.b': 'q', s: 7, max_constructor: 'c', count_toString: 1 }]);
    expect(Object.getPrototypeOf(out[0])).toBe(Object.prototype);
  });

  it('first, last, min, max keep NumText so the text read survives', () => {
    const p = plan('first(v), last(v), min(v), max(v)', null);
    const a = new NumText(1.5, '1.50');
    const b = new NumText(2, '2.0');
    const out = p.output([...run(p, [{ v: a }, { v: null }, { v: b }, {}]).values()][0]!);
    expect(out.first_v).toBe(a);
    expect(out.last_v).toBe(b);
    expect(out.min_v).toBe(a);
    expect(out.max_v).toBe(b);
  });

  it('empty and all-null groups: count 0, sum/avg/min/percentiles null, distinct 0, collect []', () => {
    const p = plan(AGGS, null);
    const g = p.newGroup({});
    for (const r of [{}, { v: null }] as Rec[]) p.add(g, r);
    const out = p.output(g);
    expect(out).toMatchObject({ count: 2, count_v: 0, sum_v: null, avg_v: null, min_v: null, max_v: null, stddev_v: null, var_v: null, distinct_v: 0, approx_distinct_v: 0, median_v: null, collect_v: [], first_v: null, last_v: null });
  });

  it('results can be read repeatedly (snapshots) while adding continues', () => {
    const p = plan('count, collect(v), p50(v)', null);
    const g = p.newGroup({});
    p.add(g, { v: 3 });
    const first = p.output(g);
    p.add(g, { v: 1 });
    p.add(g, { v: 2 });
    expect(first).toEqual({ count: 1, collect_v: [3], p50_v: 3 });
    expect(p.output(g)).toEqual({ count: 3, collect_v: [3, 1, 2], p50_v: 2 });
  });

  it('output puts the prefix first, then keys, then aggregates', () => {
    const p = plan('count, max(v)', 'k');
    const groups = run(p, [{ k: 'a', v: 1 }]);
    const out = p.output([...groups.values()][0]!, { window_start: 's', window_end: 'e' });
    expect(Object.keys(out)).toEqual(['window_start', 'window_end', 'k', 'count', 'max_v']);
    expect(p.keyNames).toEqual(['k']);
    expect(p.outputNames).toEqual(['count', 'max_v']);
  });

  it('groupKey is the same string groupOf files the group under', () => {
    const p = plan('count', 'k');
    const recs: Rec[] = [{ k: 7 }, { k: '7' }, {}, { k: 'null' }];
    const groups = run(p, recs);
    expect([...groups.keys()]).toEqual([p.groupKey({ k: '7' }), p.groupKey({}), p.groupKey({ k: 'null' })]);
  });
});
