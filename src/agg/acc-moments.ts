/**
 * The counting and summing accumulators of `agg` (semantics and partial
 * state formats in accumulators.ts): `count`, `count(f)`, `sum`, `avg` /
 * `mean` (exact integer sums, Neumaier's compensated sum for the rest) and
 * `var` / `stddev` (Welford's online update, Chan et al.'s merge, exact
 * integer sums while every number is an integer).
 */
import type { Accumulator } from './types.js';
import { NumText, noteNumText } from '../engine/values.js';
import { decodeCount, decodeNum, encodeNum, stateError } from '../state/codec.js';

/** `count`: every record. */
export class CountAll implements Accumulator {
  /** Records counted. */
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
  toState(): unknown {
    return this.n;
  }
  fromState(s: unknown): void {
    this.n = decodeCount(s);
  }
}

/** `count(f)`: records where f is not null. */
export class CountField implements Accumulator {
  /** Non-null values counted. */
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
  toState(): unknown {
    return this.n;
  }
  fromState(s: unknown): void {
    this.n = decodeCount(s);
  }
}

const INT_TEXT_RE = /^-?\d+$/;

/** A float sum past the largest double goes on scaled by 2^-SCALE_BITS (Sum.scaled). */
const SCALE_BITS = 64;
const SCALE = 2 ** -SCALE_BITS;

/**
 * A number that JSON cannot hold, as the text sluice writes for it: a sum
 * that overflowed is reported as the string "Infinity" or "-Infinity" (or
 * "NaN" when both occurred), never as null (JSON has no infinity).
 */
export function reportNonFinite(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

/**
 * `sum(f)`: the sum of the numbers; null when the group has none.
 *
 * Integers are summed exactly (a safe-integer running sum, spilling into a
 * BigInt beyond 2^53; integers read as text beyond 2^53 by their text), so a
 * sum of integers is exact whatever the order or split; it is written as an
 * exact integer (with its full text beyond 2^53). Other numbers are summed
 * with Neumaier's compensated summation (Neumaier 1974, an improved Kahan
 * sum): S + C with the lost low-order bits in C, so a merge of partial sums
 * agrees with one pass to about 1e-16 relative. When a running sum of
 * finite numbers would pass the largest double (1e308 + 1e308, which the
 * numbers after it may bring back: + -1.7e308), S and C go on scaled by
 * 2^-64 (`scaled`, exact for all but numbers below ~1e-289), so the sum and
 * the average stay right; only a sum that is itself beyond the largest
 * double is reported as "Infinity" / "-Infinity" (see `reportNonFinite`).
 */
export class Sum implements Accumulator {
  /** Numbers added. */
  n = 0;
  /** Non-integers added. */
  nf = 0;
  /** Exact integer sum: i + big. */
  i = 0;
  big = 0n;
  /** Neumaier sum of the non-integers: s + c, c the lost low-order part (both times SCALE when `scaled`). */
  s = 0;
  c = 0;
  /** s and c hold the sum times SCALE: unscaled, it passed the largest double. */
  scaled = false;
  add(v: unknown): void {
    let x: number;
    if (typeof v === 'number') x = v;
    else if (v instanceof NumText) {
      x = v.value;
      if (!Number.isSafeInteger(x) && INT_TEXT_RE.test(v.text)) {
        this.n++;
        this.big += BigInt(v.text);
        return;
      }
    } else return;
    this.n++;
    // An integer at or past 2^53 whose text is its value (-9007199254740992, 1e20 is not): exact, as text beyond 2^53 is
    // (summed as a float, it mixed an exact and a float part: 2^53+1, -2^53, 2^53+1 summed to 2^53, not 2^53+2).
    if (!Number.isSafeInteger(x) && Number.isInteger(x) && Math.abs(x) < 1e21) {
      this.big += BigInt(x);
      return;
    }
    if (Number.isSafeInteger(x)) {
      const t = this.i + x;
      if (t <= Number.MAX_SAFE_INTEGER && t >= -Number.MAX_SAFE_INTEGER) this.i = t;
      else {
        this.big += BigInt(this.i) + BigInt(x);
        this.i = 0;
      }
    } else this.addFloat(x);
  }
  private addFloat(x: number): void {
    this.nf++;
    this.addUnscaled(x);
  }
  /** Add `x` (not scaled) to s + c, going over to the scaled form when the sum of finite numbers overflows. */
  private addUnscaled(x: number): void {
    if (this.scaled) this.neumaier(x * SCALE);
    else {
      const t = this.s + x;
      if ((t === Infinity || t === -Infinity) && Number.isFinite(this.s) && Number.isFinite(x)) {
        this.rescale();
        this.neumaier(x * SCALE);
      } else this.neumaier(x);
    }
  }
  /** s and c from now on times SCALE (powers of two: exact unless tiny). */
  private rescale(): void {
    this.scaled = true;
    this.s *= SCALE;
    this.c *= SCALE;
  }
  /** Neumaier's step: s + c += x. */
  private neumaier(x: number): void {
    const s = this.s;
    const t = s + x;
    if (Math.abs(s) >= Math.abs(x)) this.c += s - t + x;
    else this.c += x - t + s;
    this.s = t;
  }
  merge(o: Accumulator): void {
    const b = o as Sum;
    this.n += b.n;
    this.big += b.big;
    const t = this.i + b.i;
    if (t <= Number.MAX_SAFE_INTEGER && t >= -Number.MAX_SAFE_INTEGER) this.i = t;
    else {
      this.big += BigInt(this.i) + BigInt(b.i);
      this.i = 0;
    }
    if (b.nf > 0) {
      if (b.scaled) {
        if (!this.scaled) this.rescale();
        this.neumaier(b.s);
        this.neumaier(b.c);
      } else {
        this.addUnscaled(b.s);
        this.addUnscaled(b.c);
      }
      this.nf += b.nf;
    }
  }
  /** The exact integer part as a BigInt, or null when it fits `i`. */
  private intBig(): bigint | null {
    return this.big === 0n ? null : this.big + BigInt(this.i);
  }
  /** The sum as a double. */
  total(): number {
    return this.totalOver(1);
  }
  /** The sum divided by `d` (the mean for d = n), computed so that a scaled sum's quotient does not overflow when it fits. */
  protected totalOver(d: number): number {
    const ib = this.intBig();
    const ip = ib === null ? this.i : Number(ib);
    if (this.nf === 0) return ip / d;
    if (this.scaled) return (this.s + this.c + ip * SCALE) / d / SCALE;
    const f = this.s + this.c;
    if (!Number.isFinite(this.s)) return (this.s + ip) / d;
    return (ip + f) / d;
  }
  result(): unknown {
    if (this.n === 0) return null;
    if (this.nf === 0) {
      const ib = this.intBig();
      if (ib === null) return this.i;
      const x = Number(ib);
      if (!Number.isFinite(x)) return reportNonFinite(x);
      const text = ib.toString();
      if (String(x) === text) return x;
      noteNumText();
      return new NumText(x, text);
    }
    return reportNonFinite(this.total());
  }
  /**
   * What `merge(other)` then `result()` would give, leaving both unchanged
   * (for frames that combine two states per record, e.g. `over`).
   */
  mergedResult(other: Sum): unknown {
    const n = this.n + other.n;
    if (n === 0) return null;
    const avg = this instanceof Avg;
    if (this.big === 0n && other.big === 0n && this.nf === 0 && other.nf === 0) {
      const t = this.i + other.i;
      if (Number.isSafeInteger(t)) return avg ? t / n : t;
    } else if (this.big === 0n && other.big === 0n && !this.scaled && !other.scaled) {
      const t = this.total() + other.total();
      if (Number.isFinite(t)) return avg ? t / n : t;
    }
    const c = avg ? new Avg() : new Sum();
    c.merge(this);
    c.merge(other);
    return c.result();
  }
  toState(): unknown {
    const ib = this.intBig();
    const st: Record<string, unknown> = { n: this.n, i: ib === null ? String(this.i) : ib.toString(), nf: this.nf, s: encodeNum(this.s), c: encodeNum(this.c) };
    if (this.scaled) st.k = SCALE_BITS;
    return st;
  }
  fromState(st: unknown): void {
    if (st === null || typeof st !== 'object' || Array.isArray(st)) throw stateError('sum state is not an object');
    const o = st as Record<string, unknown>;
    this.n = decodeCount(o.n);
    this.nf = decodeCount(o.nf);
    if (typeof o.i !== 'string' || !INT_TEXT_RE.test(o.i) || o.i.length > 400) throw stateError('sum state: bad integer sum');
    const ib = BigInt(o.i);
    if (ib <= BigInt(Number.MAX_SAFE_INTEGER) && ib >= -BigInt(Number.MAX_SAFE_INTEGER)) {
      this.i = Number(ib);
      this.big = 0n;
    } else {
      this.i = 0;
      this.big = ib;
    }
    this.s = decodeNum(o.s);
    this.c = decodeNum(o.c);
    if (o.k !== undefined && o.k !== SCALE_BITS) throw stateError(`sum state: scale k must be ${SCALE_BITS}`);
    this.scaled = o.k === SCALE_BITS;
    if (this.nf > this.n) throw stateError('sum state: more non-integers than numbers');
  }
}

/** `avg(f)` / `mean(f)`: the (exact or compensated, see Sum) sum over the count of numbers; null when none. */
export class Avg extends Sum {
  override result(): unknown {
    return this.n === 0 ? null : reportNonFinite(this.totalOver(this.n));
  }
}

/**
 * `var(f)` / `stddev(f)`: sample variance (n − 1) and its square root, by
 * Welford's online algorithm (1962) and Chan, Golub & LeVeque's pairwise
 * update for merging (1979). Null below two numbers.
 *
 * While every number is an integer (the common case: counts, delays,
 * milliseconds), the exact sums Σx and Σx² are kept too (BigInt beyond
 * 2^53) and the variance is (n·Σx² − (Σx)²) / (n·(n − 1)) from them: exact
 * up to one rounding, and the same for any split of the input (so `-j N`
 * and `merge` write the digits one pass writes).
 */
export class Variance implements Accumulator {
  /** Numbers added, their running mean and the sum of squared deviations from it (Welford). */
  n = 0;
  mean = 0;
  m2 = 0;
  /** All numbers so far are safe integers: s1 + b1 = Σx, s2 + b2 = Σx² exactly. */
  allInt = true;
  s1 = 0;
  s2 = 0;
  b1 = 0n;
  b2 = 0n;
  /** @param sqrt true: `stddev` (the square root of the variance); false: `var` */
  constructor(readonly sqrt: boolean) {}
  add(v: unknown): void {
    const x = typeof v === 'number' ? v : v instanceof NumText ? v.value : NaN;
    if (x !== x) return;
    const n = ++this.n;
    const d = x - this.mean;
    this.mean += d / n;
    this.m2 += d * (x - this.mean);
    if (this.allInt) {
      if (!Number.isSafeInteger(x)) this.allInt = false;
      else {
        const t1 = this.s1 + x;
        const t2 = this.s2 + x * x;
        if (Number.isSafeInteger(t1) && Number.isSafeInteger(t2)) {
          this.s1 = t1;
          this.s2 = t2;
        } else {
          const bx = BigInt(x);
          this.b1 += BigInt(this.s1) + bx;
          this.b2 += BigInt(this.s2) + bx * bx;
          this.s1 = 0;
          this.s2 = 0;
        }
      }
    }
  }
  merge(o: Accumulator): void {
    const b = o as Variance;
    if (b.n === 0) return;
    if (this.allInt) {
      if (!b.allInt) this.allInt = false;
      else {
        this.b1 += BigInt(this.s1) + BigInt(b.s1) + b.b1;
        this.b2 += BigInt(this.s2) + BigInt(b.s2) + b.b2;
        this.s1 = 0;
        this.s2 = 0;
      }
    }
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
  result(): number | string | null {
    if (this.n < 2) return null;
    let v: number;
    if (this.allInt) {
      const n = BigInt(this.n);
      const s1 = this.b1 + BigInt(this.s1);
      const s2 = this.b2 + BigInt(this.s2);
      v = Number(n * s2 - s1 * s1) / (this.n * (this.n - 1));
    } else if (!Number.isFinite(this.m2) || !Number.isFinite(this.mean)) {
      // Two values more than the largest double apart (a deviation overflowed, which Math.max below
      // turned into 0): the variance is beyond the doubles too, and so reported (the square root
      // might not be, but Welford's state no longer holds it).
      v = this.m2 !== this.m2 && this.mean !== this.mean ? NaN : Infinity;
    } else v = Math.max(0, this.m2 / (this.n - 1));
    return reportNonFinite(this.sqrt ? Math.sqrt(v) : v);
  }
  /** What `merge(other)` then `result()` would give, leaving both unchanged (for `over` frames). */
  mergedResult(other: Variance): unknown {
    const n = this.n + other.n;
    if (n < 2) return null;
    if (this.allInt && other.allInt && this.b1 === 0n && other.b1 === 0n && this.b2 === 0n && other.b2 === 0n) {
      const s1 = this.s1 + other.s1;
      const s2 = this.s2 + other.s2;
      if (Number.isSafeInteger(s1 * s1) && Number.isSafeInteger(n * s2)) {
        const v = (n * s2 - s1 * s1) / (n * (n - 1));
        return reportNonFinite(this.sqrt ? Math.sqrt(v) : v);
      }
    }
    const c = new Variance(this.sqrt);
    c.merge(this);
    c.merge(other);
    return c.result();
  }
  toState(): unknown {
    const st: Record<string, unknown> = { n: this.n, mean: encodeNum(this.mean), m2: encodeNum(this.m2) };
    if (this.allInt) {
      st.i1 = (this.b1 + BigInt(this.s1)).toString();
      st.i2 = (this.b2 + BigInt(this.s2)).toString();
    }
    return st;
  }
  fromState(st: unknown): void {
    if (st === null || typeof st !== 'object' || Array.isArray(st)) throw stateError('var state is not an object');
    const o = st as Record<string, unknown>;
    this.n = decodeCount(o.n);
    this.mean = decodeNum(o.mean);
    this.m2 = decodeNum(o.m2);
    this.s1 = 0;
    this.s2 = 0;
    if (o.i1 !== undefined || o.i2 !== undefined) {
      for (const k of ['i1', 'i2'] as const) {
        const t = o[k];
        if (typeof t !== 'string' || !INT_TEXT_RE.test(t) || t.length > 800) throw stateError('var state: bad exact sum');
      }
      this.allInt = true;
      this.b1 = BigInt(o.i1 as string);
      this.b2 = BigInt(o.i2 as string);
    } else {
      this.allInt = false;
      this.b1 = 0n;
      this.b2 = 0n;
    }
  }
}
