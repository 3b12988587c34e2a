/**
 * Percentiles (median, pNN): exact nearest rank up to 10,000 values, then a
 * DDSketch within 1 % relative error; merging in every combination.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EXACT_LIMIT, QuantileState, nearestRank } from '../../src/agg/quantile.js';

const QS = [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1];

/** The exact nearest-rank value (1-based rank max(1, ceil(q n))), q in thousandths to stay in integers. */
function exact(sorted: number[], q: number): number {
  const t = Math.round(q * 1000);
  const rank = Math.max(1, Math.floor((t * sorted.length + 999) / 1000));
  return sorted[rank - 1]!;
}

function stateOf(values: number[]): QuantileState {
  const s = new QuantileState();
  for (const v of values) s.add(v);
  return s;
}

function withinSketchError(got: number, want: number): boolean {
  return Math.abs(got - want) <= 0.01 * Math.abs(want) + 1e-12;
}

describe('nearest rank', () => {
  it('is DuckDB quantile_disc: max(1, ceil(q n)) - 1, with p99.9 of 1000 at rank 999', () => {
    expect(nearestRank(0.5, 4)).toBe(1); // median of 1,2,3,4 is 2
    expect(nearestRank(0.5, 5)).toBe(2);
    expect(nearestRank(0, 7)).toBe(0);
    expect(nearestRank(1, 7)).toBe(6);
    expect(nearestRank(99.9 / 100, 1000)).toBe(998);
    expect(nearestRank(0.95, 20)).toBe(18);
  });
});

describe('QuantileState', () => {
  it('is exact up to 10,000 values', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }), (values) => {
        const s = stateOf(values);
        const sorted = [...values].sort((a, b) => a - b);
        for (const q of QS) expect(s.quantile(q) === exact(sorted, q), `q ${q}`).toBe(true); // (-0 and 0 may swap places)
        expect(s.isSketch).toBe(false);
      }),
    );
    const s = stateOf(Array.from({ length: EXACT_LIMIT }, (_, i) => EXACT_LIMIT - i));
    expect(s.isSketch).toBe(false);
    expect(s.quantile(0.95)).toBe(9500);
    s.add(0.5);
    expect(s.isSketch).toBe(true);
  });

  it('null with no values', () => {
    expect(new QuantileState().quantile(0.5)).toBeNull();
  });

  it('beyond 10,000 values: within 1 % of the exact value at the same rank (positive, negative, zero), min/max exact', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: EXACT_LIMIT + 1, max: 40_000 }),
        fc.constantFrom('positive', 'mixed', 'negative', 'wide'),
        fc.integer(),
        (n, kind, seed) => {
          let x = seed >>> 0 || 1;
          const rnd = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
          const values = Array.from({ length: n }, () => {
            const r = rnd();
            if (kind === 'positive') return 1 + r * 1000;
            if (kind === 'negative') return -(1 + r * 1000);
            if (kind === 'wide') return Math.exp(r * 30 - 10);
            return r < 0.1 ? 0 : (r - 0.5) * 2000;
          });
          const s = stateOf(values);
          expect(s.isSketch).toBe(true);
          const sorted = [...values].sort((a, b) => a - b);
          for (const q of QS) {
            const got = s.quantile(q)!;
            expect(withinSketchError(got, exact(sorted, q)), `${kind} q=${q}: ${got} vs ${exact(sorted, q)}`).toBe(true);
          }
          expect(s.quantile(0)).toBe(sorted[0]);
          expect(s.quantile(1)).toBe(sorted[n - 1]);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('merge(add(A), add(B)) equals add(A + B): exactly while small, within the sketch error after', () => {
    let sketched = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 16_000 }), fc.integer({ min: 0, max: 16_000 }), fc.integer(), (na, nb, seed) => {
        let x = seed >>> 0 || 7;
        const rnd = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) % 10_001) - 5000;
        const a = Array.from({ length: na }, rnd);
        const b = Array.from({ length: nb }, rnd);
        const left = stateOf(a);
        left.merge(stateOf(b));
        const whole = stateOf([...a, ...b]);
        const sorted = [...a, ...b].sort((p, q) => p - q);
        expect(left.count).toBe(na + nb);
        if (sorted.length > EXACT_LIMIT) sketched++;
        for (const q of QS) {
          if (sorted.length === 0) {
            expect(left.quantile(q)).toBeNull();
            continue;
          }
          const want = exact(sorted, q);
          if (sorted.length <= EXACT_LIMIT) {
            expect(left.quantile(q)).toBe(want);
            expect(whole.quantile(q)).toBe(want);
          } else {
            expect(withinSketchError(left.quantile(q)!, want), `merged q=${q}`).toBe(true);
            expect(withinSketchError(whole.quantile(q)!, want), `whole q=${q}`).toBe(true);
          }
        }
      }),
      { numRuns: 40, examples: [[0, 0, 1], [10_000, 0, 2], [5000, 5000, 3], [5000, 5001, 4], [12_000, 3, 5], [3, 12_000, 6], [12_000, 12_000, 7]] },
    );
    expect(sketched).toBeGreaterThan(3);
  });

  it('merges sketch into sketch, keeping negative values (which sketches-js merge would drop)', () => {
    const a = stateOf(Array.from({ length: 12_000 }, (_, i) => -(i + 1)));
    const b = stateOf(Array.from({ length: 12_000 }, (_, i) => i + 1));
    a.merge(b);
    expect(a.count).toBe(24_000);
    expect(withinSketchError(a.quantile(0.25)!, -6000)).toBe(true);
    expect(withinSketchError(a.quantile(0.75)!, 6000)).toBe(true);
    // Values around 1 (DDSketch key 0) merged into a store of values below 1.
    const c = stateOf(Array.from({ length: 11_000 }, (_, i) => 0.001 + i * 1e-6));
    const d = stateOf(Array.from({ length: 11_000 }, () => 1));
    c.merge(d);
    expect(withinSketchError(c.quantile(0.9)!, 1)).toBe(true);
    expect(withinSketchError(c.quantile(0.25)!, 0.001 + 5499 * 1e-6)).toBe(true);
  });
});
