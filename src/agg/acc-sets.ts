/**
 * The accumulators of `agg` over the set of values (semantics and partial
 * state formats in accumulators.ts): `distinct` (exact, by text),
 * `approx_distinct` (HyperLogLog, hll.ts) and `collect` (every value, in
 * input order).
 */
import type { Accumulator } from './types.js';
import { detach, textOf } from '../engine/values.js';
import { HyperLogLog } from './hll.js';
import { decodeCount, decodeValue, encodeValue, stateError } from '../state/codec.js';
import { keep } from './keep.js';

/** `distinct(f)`: the exact number of distinct non-null values, compared by text (7 and "7" are one). */
export class Distinct implements Accumulator {
  /** The texts of the values seen. */
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
  toState(): unknown {
    return [...this.set];
  }
  fromState(s: unknown): void {
    if (!Array.isArray(s)) throw stateError('distinct state is not an array');
    this.set = new Set();
    for (const t of s) {
      if (typeof t !== 'string') throw stateError('distinct state holds a non-string');
      this.set.add(t);
    }
  }
}

/** `approx_distinct(f)`: HyperLogLog over the values' texts (see hll.ts). */
export class ApproxDistinct implements Accumulator {
  /** The HyperLogLog sketch of the texts seen (see hll.ts). */
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
  toState(): unknown {
    return this.hll.toState();
  }
  fromState(s: unknown): void {
    this.hll = new HyperLogLog();
    this.hll.fromState(s);
  }
}

/** `collect(f)`: the non-null values in order of input position, as an array. */
export class Collect implements Accumulator {
  /** The values kept and their input positions, in position order. */
  values: unknown[] = [];
  positions: number[] = [];
  add(v: unknown, pos = 0): void {
    if (v === null || v === undefined) return;
    this.values.push(keep(v));
    this.positions.push(pos);
  }
  merge(o: Accumulator): void {
    const b = o as Collect;
    const bv = b.values;
    const bp = b.positions;
    if (bv.length === 0) return;
    const av = this.values;
    const ap = this.positions;
    if (av.length === 0 || ap[ap.length - 1]! <= bp[0]!) {
      for (let i = 0; i < bv.length; i++) {
        av.push(bv[i]);
        ap.push(bp[i]!);
      }
      return;
    }
    // Interleaved positions (windows, shards merged out of order): merge the two sorted runs (stable: ties keep this side first).
    const v: unknown[] = [];
    const p: number[] = [];
    let i = 0;
    let j = 0;
    while (i < av.length || j < bv.length) {
      if (j >= bv.length || (i < av.length && ap[i]! <= bp[j]!)) {
        v.push(av[i]);
        p.push(ap[i++]!);
      } else {
        v.push(bv[j]);
        p.push(bp[j++]!);
      }
    }
    this.values = v;
    this.positions = p;
  }
  result(): unknown[] {
    return this.values.slice();
  }
  toState(): unknown {
    return { v: this.values.map(encodeValue), p: this.positions.slice() };
  }
  fromState(s: unknown): void {
    if (s === null || typeof s !== 'object' || Array.isArray(s)) throw stateError('collect state is not an object');
    const o = s as Record<string, unknown>;
    if (!Array.isArray(o.v) || !Array.isArray(o.p) || o.v.length !== o.p.length) throw stateError('collect state: values and positions differ in length');
    this.values = o.v.map(decodeValue);
    this.positions = o.p.map(decodeCount);
    for (let i = 1; i < this.positions.length; i++) if (this.positions[i]! < this.positions[i - 1]!) throw stateError('collect state: positions out of order');
  }
}
