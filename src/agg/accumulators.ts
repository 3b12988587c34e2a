/**
 * The accumulators behind each aggregate of `agg` (SPEC §4.2). Each one has
 * `add` (one field value), `merge` (fold the accumulator of a later part of
 * the same group's input into this one) and `result`, with the invariant of
 * `Accumulator`: merge(add*(A), add*(B)) gives the result of add*(A + B)
 * (exactly for the exact aggregates; floating-point sums up to rounding;
 * sketches within their error).
 *
 * Semantics shared by all:
 * - null and missing values are skipped (SQL); only `count` counts records.
 * - "Numbers" are JSON numbers and numbers read from CSV (also `NumText`);
 *   strings are never converted. `sum avg mean stddev var median pNN` skip
 *   non-numbers.
 * - `min`/`max` order every non-null value: numbers numerically, and below
 *   every non-number; non-numbers (strings, booleans, objects) by their text
 *   (code-unit order). So a column of numbers gives the numeric min/max, a
 *   column of strings the textual one, and a mixed column gives the smallest
 *   number as min and the greatest string as max. Ties keep the first value.
 * - Values kept (min, max, first, last, collect, distinct keys) are copied
 *   off the input chunk (see `detach`); NumText values are kept, so
 *   `first` of a CSV cell `1.50` is written `1.50`.
 */
import type { Accumulator } from './types.js';
import { NumText, detach, textOf } from '../engine/values.js';
import { HyperLogLog } from './hll.js';
import { QuantileState } from './quantile.js';


/** A value safe to keep beyond the batch: strings copied, NumText with a copied text. */
export function keep(v: unknown): unknown {
  if (typeof v === 'string') return detach(v);
  if (v instanceof NumText && v.text.length >= 13) return new NumText(v.value, detach(v.text));
  return v;
}

/** `count`: every record. */
export class CountAll implements Accumulator {
  n = 0;
  add(_v: unknown): void {
    this.n++;
  }
  merge(o: Accumulator): void {
    this.n += (o as CountAll).n;
  }
  result(): number {
    return this.n;
  }
}

/** `count(f)`: records where f is not null. */
export class CountField implements Accumulator {
  n = 0;
  add(v: unknown): void {
    if (v !== null && v !== undefined) this.n++;
  }
  merge(o: Accumulator): void {
    this.n += (o as CountField).n;
  }
  result(): number {
    return this.n;
  }
}

/** `sum(f)`: the sum of the numbers; null when the group has none. */
export class Sum implements Accumulator {
  n = 0;
  s = 0;
  add(v: unknown): void {
    if (typeof v === 'number') {
      this.n++;
      this.s += v;
    } else if (v instanceof NumText) {
      this.n++;
      this.s += v.value;
    }
  }
  merge(o: Accumulator): void {
    const b = o as Sum;
    this.n += b.n;
    this.s += b.s;
  }
  result(): number | null {
    return this.n === 0 ? null : this.s;
  }
}

/** `avg(f)` / `mean(f)`: the sum over the count of numbers; null when none. */
export class Avg extends Sum {
  override result(): number | null {
    return this.n === 0 ? null : this.s / this.n;
  }
}

/**
 * `var(f)` / `stddev(f)`: sample variance (n − 1) and its square root, by
 * Welford's online algorithm (1962) and Chan, Golub & LeVeque's pairwise
 * update for merging (1979). Null below two numbers.
 */
export class Variance implements Accumulator {
  n = 0;
  mean = 0;
  m2 = 0;
  constructor(readonly sqrt: boolean) {}
  add(v: unknown): void {
    const x = typeof v === 'number' ? v : v instanceof NumText ? v.value : NaN;
    if (x !== x) return;
    const n = ++this.n;
    const d = x - this.mean;
    this.mean += d / n;
    this.m2 += d * (x - this.mean);
  }
  merge(o: Accumulator): void {
    const b = o as Variance;
    if (b.n === 0) return;
    if (this.n === 0) {
      this.n = b.n;
      this.mean = b.mean;
      this.m2 = b.m2;
      return;
    }
    const n = this.n + b.n;
    const d = b.mean - this.mean;
    this.m2 += b.m2 + (d * d * this.n * b.n) / n;
    this.mean += (d * b.n) / n;
    this.n = n;
  }
  result(): number | null {
    if (this.n < 2) return null;
    const v = Math.max(0, this.m2 / (this.n - 1));
    return this.sqrt ? Math.sqrt(v) : v;
  }
}

/**
 * `min(f)` / `max(f)` in the total order described at the top of this file.
 */
export class MinMax implements Accumulator {
  has = false;
  isNum = false;
  num = 0;
  text = '';
  value: unknown = null;
  constructor(readonly max: boolean) {}
  add(v: unknown): void {
    if (v === null || v === undefined) return;
    let x: number;
    if (typeof v === 'number') x = v;
    else if (v instanceof NumText) x = v.value;
    else {
      this.addText(v, textOf(v)!);
      return;
    }
    if (!this.has || (this.max ? this.isNum && x > this.num : !this.isNum || x < this.num)) {
      this.has = true;
      this.isNum = true;
      this.num = x;
      this.value = keep(v);
    }
  }
  private addText(v: unknown, t: string): void {
    if (!this.has || (this.max ? this.isNum || t > this.text : !this.isNum && t < this.text)) {
      this.has = true;
      this.isNum = false;
      this.text = detach(t);
      this.value = typeof v === 'string' ? this.text : v;
    }
  }
  merge(o: Accumulator): void {
    const b = o as MinMax;
    if (!b.has) return;
    if (b.isNum) this.add(b.value);
    else this.addText(b.value, b.text);
  }
  result(): unknown {
    return this.value;
  }
}

/** `first(f)`: the first non-null value, as it was. */
export class First implements Accumulator {
  has = false;
  value: unknown = null;
  add(v: unknown): void {
    if (this.has || v === null || v === undefined) return;
    this.has = true;
    this.value = keep(v);
  }
  merge(o: Accumulator): void {
    const b = o as First;
    if (!this.has && b.has) {
      this.has = true;
      this.value = b.value;
    }
  }
  result(): unknown {
    return this.value;
  }
}

/**
 * `last(f)`: the last non-null value, as it was. (Replaced on every record,
 * so strings go through the cheaper `detach`, not `keep`.)
 */
export class Last implements Accumulator {
  value: unknown = null;
  add(v: unknown): void {
    if (v === null || v === undefined) return;
    this.value = typeof v === 'string' ? detach(v) : v instanceof NumText ? keep(v) : v;
  }
  merge(o: Accumulator): void {
    const b = o as Last;
    if (b.value !== null) this.value = b.value;
  }
  result(): unknown {
    return this.value;
  }
}

/** `distinct(f)`: the exact number of distinct non-null values, compared by text (7 and "7" are one). */
export class Distinct implements Accumulator {
  set = new Set<string>();
  add(v: unknown): void {
    if (v === null || v === undefined) return;
    const t = textOf(v)!;
    if (!this.set.has(t)) this.set.add(detach(t));
  }
  merge(o: Accumulator): void {
    for (const t of (o as Distinct).set) this.set.add(t);
  }
  result(): number {
    return this.set.size;
  }
}

/** `approx_distinct(f)`: HyperLogLog over the values' texts (see hll.ts). */
export class ApproxDistinct implements Accumulator {
  hll = new HyperLogLog();
  add(v: unknown): void {
    if (v === null || v === undefined) return;
    this.hll.addString(textOf(v)!);
  }
  merge(o: Accumulator): void {
    this.hll.merge((o as ApproxDistinct).hll);
  }
  result(): number {
    return this.hll.estimate();
  }
}

/** `collect(f)`: the non-null values in order, as an array. */
export class Collect implements Accumulator {
  values: unknown[] = [];
  add(v: unknown): void {
    if (v === null || v === undefined) return;
    this.values.push(keep(v));
  }
  merge(o: Accumulator): void {
    const b = (o as Collect).values;
    for (let i = 0; i < b.length; i++) this.values.push(b[i]);
  }
  result(): unknown[] {
    return this.values.slice();
  }
}

/**
 * `median(f)` / `pNN(f)`. Several percentiles of one field in one group share
 * one `QuantileState`: the first of them (`owner`) adds and merges, the others
 * only read it.
 */
export class Percentile implements Accumulator {
  constructor(
    /** Fraction in [0, 1]. */
    readonly p: number,
    readonly state: QuantileState,
    readonly owner: boolean,
  ) {}
  add(v: unknown): void {
    if (!this.owner) return;
    if (typeof v === 'number') this.state.add(v);
    else if (v instanceof NumText) this.state.add(v.value);
  }
  merge(o: Accumulator): void {
    if (this.owner) this.state.merge((o as Percentile).state);
  }
  result(): number | null {
    return this.state.quantile(this.p);
  }
}
