/**
 * Partial state (issue 14 item 1): every aggregate's toState/fromState, through
 * JSON text, for 1, 2 and 7 shards cut at random points and merged in random
 * order, equals one pass over the whole input; sketches past the exact limit
 * too. Percentiles answer with values of the data (issue 10 item 5).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Rec } from '../../src/engine/types.js';
import type { GroupState } from '../../src/agg/types.js';
import { NumText, noteNumText, stringifyRecord } from '../../src/engine/values.js';

noteNumText(); // the records below hold NumText made here, not by a reader
import { checkNames, parseAggList, parseKeyList } from '../../src/agg/parse.js';
import { POS_PART, compileAggPlan, type CompiledAggPlan } from '../../src/agg/plan.js';
import { parseExact } from '../../src/formats/exactjson.js';
import { EXACT_LIMIT, QuantileState } from '../../src/agg/quantile.js';
import { Sum } from '../../src/agg/accumulators.js';

const AGGS =
  'count, count(v), sum(v), avg(v), mean(v) as m, min(v), max(v), first(v), last(v), stddev(v), var(v), ' +
  'distinct(v), approx_distinct(v), median(v), p0(v), p90(v), p95(v), p99(v), p99.9(v), p100(v), collect(v)';
const FLOATY = new Set(['sum_v', 'avg_v', 'm', 'stddev_v', 'var_v']);

function plan(aggText: string, keyText: string | null): CompiledAggPlan {
  const aggs = parseAggList(aggText);
  const keys = keyText === null ? [] : parseKeyList(keyText);
  checkNames(keys, aggs);
  return compileAggPlan(aggs, keys);
}

function run(p: CompiledAggPlan, recs: Rec[], part: number): Map<string, GroupState> {
  p.position = part * POS_PART;
  const groups = new Map<string, GroupState>();
  for (const r of recs) p.add(p.groupOf(groups, r), r);
  return groups;
}

/** Groups → JSON text → groups, as a partial travels between processes. */
function roundTrip(p: CompiledAggPlan, groups: Map<string, GroupState>): Map<string, GroupState> {
  const out = new Map<string, GroupState>();
  for (const [k, g] of groups) {
    const text = stringifyRecord({ kv: g.keyValues, s: p.stateOf(g), f: g.first } as Rec);
    const back = parseExact(text) as { kv: unknown[]; s: unknown[]; f: number };
    out.set(k, p.fromStates(back.kv, back.s, back.f));
  }
  return out;
}

function outputs(p: CompiledAggPlan, groups: Map<string, GroupState>): Rec[] {
  return [...groups.values()].sort((a, b) => a.first! - b.first!).map((g) => p.output(g));
}

/**
 * The condition number of a variance, κ = sqrt(1 + mean²/var) (Chan, Golub and
 * LeVeque 1983): no floating-point algorithm, one pass or merged, computes a
 * variance to better than about κ·ε relative, since the inputs themselves carry
 * ε·|mean| of representation error (two values -999.83 and -999.94: var
 * 0.00605, κ ≈ 1.3e4; one pass and a 2-shard merge differ by 1.03e-12
 * relative). Other fields: 1.
 */
function conditionOf(k: string, rec: Rec): number {
  if (k !== 'var_v' && k !== 'stddev_v') return 1;
  const mean = rec.avg_v;
  const v = rec.var_v;
  if (typeof mean !== 'number' || typeof v !== 'number' || v === 0) return 1;
  return Math.sqrt(1 + (mean * mean) / v);
}

function same(got: Rec[], want: Rec[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(Object.keys(got[i]!)).toEqual(Object.keys(want[i]!));
    for (const k of Object.keys(want[i]!)) {
      const w = want[i]![k];
      const g = got[i]![k];
      if (FLOATY.has(k) && typeof w === 'number' && !(k === 'sum_v' && Number.isInteger(w))) {
        expect(typeof g).toBe('number');
        expect(Math.abs((g as number) - w), `${k}: ${g} vs ${w}`).toBeLessThanOrEqual(1e-12 * Math.abs(w) * conditionOf(k, want[i]!));
      } else expect(g, k).toEqual(w);
    }
  }
}

/** Cut `recs` into `n` shards at random points, run, round-trip, merge in a random order. */
function shardMerge(p: CompiledAggPlan, recs: Rec[], n: number, rnd: () => number): Rec[] {
  const cuts = Array.from({ length: n - 1 }, () => Math.floor(rnd() * (recs.length + 1))).sort((a, b) => a - b);
  const bounds = [0, ...cuts, recs.length];
  const parts = [];
  for (let i = 0; i < n; i++) parts.push(roundTrip(p, run(p, recs.slice(bounds[i], bounds[i + 1]), i)));
  // Merge in a shuffled order.
  const order = parts.map((_, i) => i).sort(() => rnd() - 0.5);
  const merged = new Map<string, GroupState>();
  for (const i of order) {
    for (const [k, g] of parts[i]!) {
      const into = merged.get(k);
      if (into) p.merge(into, g);
      else merged.set(k, g);
    }
  }
  return outputs(p, merged);
}

const valueArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -100_000, max: 100_000 }).map((c) => c / 100) },
  { weight: 2, arbitrary: fc.integer({ min: -1e6, max: 1e6 }) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>('a', 'b', 'LAS', '7', '', 'zz', true, false, { o: 1 }, [1, 'x']) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(new NumText(1.5, '1.50'), new NumText(7, '7.0'), new NumText(12345678901234567000, '12345678901234567890')),
  },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(null, undefined) },
);
const keyArb = fc.constantFrom<unknown>(7, '7', null, undefined, 'x', 1.5, new NumText(1.5, '1.50'), '\u0002', '');
const recArb = fc.record({ k: keyArb, v: valueArb }).map(({ k, v }) => {
  const r: Rec = {};
  if (k !== undefined) r.k = k;
  if (v !== undefined) r.v = v;
  return r;
});

function lcg(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('partial state: shards merged equal one pass', () => {
  it('every aggregate, 1, 2 and 7 shards at random cut points, any merge order (random data with nulls and mixed types)', () => {
    const p = plan(AGGS, 'k');
    fc.assert(
      fc.property(fc.array(recArb, { maxLength: 150 }), fc.integer(), (recs, seed) => {
        const whole = outputs(p, run(p, recs, 0));
        const rnd = lcg(seed);
        for (const n of [1, 2, 7]) same(shardMerge(p, recs, n, rnd), whole);
      }),
      { numRuns: 150 },
    );
  });

  it('groups past the exact-percentile limit and past the sparse HyperLogLog: sketches merge to one pass exactly', () => {
    const p = plan('count, sum(v), p50(v), p99(v), p1(v), approx_distinct(v), distinct(v), min(v), max(v)', 'k');
    const rnd = lcg(7);
    const recs: Rec[] = [];
    for (let i = 0; i < 3 * EXACT_LIMIT; i++) {
      const r = rnd();
      const v = r < 0.05 ? 0 : r < 0.3 ? -Math.round(rnd() * 5000) : r < 0.32 ? new NumText(12345678901234567000, '12345678901234567890') : Math.round(rnd() * 1e5) / 10;
      recs.push({ k: i % 3 === 0 ? 'a' : 'b', v });
    }
    const whole = outputs(p, run(p, recs, 0));
    for (const n of [2, 7]) same(shardMerge(p, recs, n, rnd), whole);
  });

  it('float sums are compensated: shards agree with one pass to 1e-12 and integer sums are exact beyond 2^53', () => {
    const s = new Sum();
    for (let i = 0; i < 1000; i++) s.add(0.1);
    expect(s.result()).toBe(100);
    const big = new Sum();
    big.add(Number.MAX_SAFE_INTEGER);
    big.add(Number.MAX_SAFE_INTEGER);
    big.add(new NumText(12345678901234567000, '12345678901234567890'));
    const want = 2n * BigInt(Number.MAX_SAFE_INTEGER) + 12345678901234567890n;
    expect(String(big.result())).toBe(want.toString());
    const over = new Sum();
    over.add(1e308);
    over.add(1e308);
    expect(over.result()).toBe('Infinity');
  });
});

describe('percentiles answer with values of the data (issue 10 item 5)', () => {
  it('beyond the exact limit: p50 of integer delays is an integer of the data, within 1 % of the exact one', () => {
    const rnd = lcg(3);
    const q = new QuantileState();
    const values: number[] = [];
    for (let i = 0; i < 50_000; i++) {
      const v = Math.round(Math.exp(rnd() * 6)) - 20;
      values.push(v);
      q.add(v);
    }
    expect(q.isSketch).toBe(true);
    const set = new Set(values);
    const sorted = values.slice().sort((a, b) => a - b);
    for (const p of [0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999]) {
      const got = q.quantile(p) as number;
      expect(set.has(got), `p${p * 100} = ${got} occurs in the data`).toBe(true);
      const want = sorted[Math.max(1, Math.ceil(p * values.length)) - 1]!;
      expect(Math.abs(got - want)).toBeLessThanOrEqual(0.01 * Math.abs(want) + 1e-9);
    }
  });

  it('p50 of big integers keeps their text, exact and sketched', () => {
    const q = new QuantileState();
    const t = new NumText(12345678901234567000, '12345678901234567890');
    q.add(t.value, t);
    expect(q.quantile(0.5)).toBe(t);
    for (let i = 0; i < EXACT_LIMIT + 10; i++) q.add(t.value, t);
    expect(q.isSketch).toBe(true);
    expect((q.quantile(0.5) as NumText).text).toBe('12345678901234567890');
  });

  it('a state with a bin holding a value of another bin is refused', () => {
    const q = new QuantileState();
    for (let i = 0; i < EXACT_LIMIT + 10; i++) q.add(i + 1);
    const st = q.toState() as { p: [number, number, unknown][] };
    st.p[3]![2] = 999999;
    expect(() => new QuantileState().fromState(st)).toThrow(/another bin/);
  });
});
