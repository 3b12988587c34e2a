/**
 * Percentiles for `median(f)` and `pNN(f)`: exact while small, a sketch when big.
 *
 * - Exact: the numbers are kept (a Float64Array) while the group holds at most
 *   `EXACT_LIMIT` = 10,000 of them; the p-th percentile is the nearest-rank
 *   value, the value at 1-based rank max(1, ⌈p/100 · n⌉) of the sorted values
 *   (DuckDB's `quantile_disc`; the median of 1,2,3,4 is 2).
 * - Sketch: on the 10,001st value the buffered values are fed into a DDSketch
 *   (Masson, Rim, Lee, "DDSketch: a fast and fully-mergeable quantile sketch
 *   with relative-error guarantees", VLDB 2019; `@datadog/sketches-js`) with
 *   1 % relative accuracy and the buffer is dropped, so memory stays bounded
 *   (a few KiB per group). The sketch is asked for the same nearest rank; the
 *   answer is within 1 % of the exact value at that rank, and is clamped to the
 *   exact minimum and maximum (and ranks 1 and n, p0 and p100, are exact).
 *
 * Merging is exact while the union stays within the limit, else both sides
 * become sketches and merge bin by bin (DDSketch is fully mergeable).
 */
import { DDSketch } from '@datadog/sketches-js';

/** How many values a group keeps exactly before switching to the sketch. */
export const EXACT_LIMIT = 10_000;
/** The sketch's relative accuracy. */
export const SKETCH_ACCURACY = 0.01;

type Store = DDSketch['store'];

/**
 * The values of one field in one group, for one or more percentiles of it.
 */
export class QuantileState {
  private buf: Float64Array | null = new Float64Array(8);
  private n = 0;
  private sorted = true;
  private sketch: DDSketch | null = null;

  /** Add a number (callers pass numbers only). */
  add(x: number): void {
    const buf = this.buf;
    if (buf !== null) {
      if (this.n === buf.length) {
        if (this.n >= EXACT_LIMIT) {
          this.toSketch();
          this.sketch!.accept(x);
          return;
        }
        const grown = new Float64Array(Math.min(EXACT_LIMIT, buf.length * 2));
        grown.set(buf);
        this.buf = grown;
        grown[this.n++] = x;
      } else {
        buf[this.n++] = x;
      }
      this.sorted = false;
    } else {
      this.sketch!.accept(x);
    }
  }

  /** How many values were added. */
  get count(): number {
    return this.buf !== null ? this.n : this.sketch!.count;
  }

  /** True once the values went into the sketch. */
  get isSketch(): boolean {
    return this.sketch !== null;
  }

  private toSketch(): void {
    const s = new DDSketch({ relativeAccuracy: SKETCH_ACCURACY });
    const buf = this.buf!;
    for (let i = 0; i < this.n; i++) s.accept(buf[i]!);
    this.sketch = s;
    this.buf = null;
    this.n = 0;
  }

  /** Fold `other` into this state (`other` is left unusable). */
  merge(other: QuantileState): void {
    if (other.buf !== null && other.n === 0) return;
    if (this.buf !== null && other.buf !== null && this.n + other.n <= EXACT_LIMIT) {
      const need = this.n + other.n;
      if (need > this.buf.length) {
        const grown = new Float64Array(Math.min(EXACT_LIMIT, Math.max(need, this.buf.length * 2)));
        grown.set(this.buf.subarray(0, this.n));
        this.buf = grown;
      }
      this.buf.set(other.buf.subarray(0, other.n), this.n);
      this.n = need;
      this.sorted = false;
      return;
    }
    if (this.buf !== null) this.toSketch();
    if (other.buf !== null) {
      for (let i = 0; i < other.n; i++) this.sketch!.accept(other.buf[i]!);
      return;
    }
    mergeSketch(this.sketch!, other.sketch!);
  }

  /**
   * The nearest-rank percentile.
   * @param p a fraction in [0, 1] (0.95 for p95)
   * @returns the value, or null when the group has no numbers
   */
  quantile(p: number): number | null {
    const buf = this.buf;
    if (buf !== null) {
      const n = this.n;
      if (n === 0) return null;
      if (!this.sorted) {
        buf.subarray(0, n).sort();
        this.sorted = true;
      }
      return buf[nearestRank(p, n)]!;
    }
    const s = this.sketch!;
    const n = s.count;
    const r = nearestRank(p, n);
    if (r === 0) return s.min;
    if (r === n - 1) return s.max;
    // DDSketch looks up rank q·(n−1) (0-based, "first bin whose running count
    // exceeds it"); ask for r + 0.5 so that it lands on the bin holding value r.
    const rank = Math.min(r + 0.5, n - 1);
    let v = s.getValueAtQuantile(n > 1 ? rank / (n - 1) : 0);
    if (v < s.min) v = s.min;
    if (v > s.max) v = s.max;
    return v;
  }
}

/**
 * The 0-based index of the nearest-rank p-quantile of n sorted values:
 * max(1, ⌈p·n⌉) − 1. `p·n` is rounded to 12 significant digits first so that
 * e.g. 0.999·1000 counts as 999, not 999.0000000000001.
 */
export function nearestRank(p: number, n: number): number {
  const pn = Number((p * n).toPrecision(12));
  return Math.max(1, Math.ceil(pn)) - 1;
}

/**
 * Merge sketch `b` into `a` bin by bin. (sketches-js 2.1.1's own `merge`
 * skips the negative-value store and mishandles a store whose largest key is 0,
 * so it is not used.)
 */
function mergeSketch(a: DDSketch, b: DDSketch): void {
  if (b.count === 0) return;
  addStore(a.store, b.store);
  addStore(a.negativeStore, b.negativeStore);
  a.zeroCount += b.zeroCount;
  a.count += b.count;
  a.sum += b.sum;
  if (b.min < a.min) a.min = b.min;
  if (b.max > a.max) a.max = b.max;
}

function addStore(into: Store, from: Store): void {
  if (from.count === 0) return;
  const bins = from.bins;
  for (let i = 0; i < bins.length; i++) {
    const c = bins[i]!;
    if (c > 0) into.add(i + from.offset, c);
  }
}
