/**
 * The accumulators of `agg` that pick values by order (semantics and partial
 * state formats in accumulators.ts): `min` / `max` (the total order of
 * values), `first` / `last` (by input position) and `median` / `pNN` (the
 * quantile sketch of quantile.ts).
 */
import type { Accumulator } from './types.js';
import { NumText, detach, textOf } from '../engine/values.js';
import { QuantileState } from './quantile.js';
import { decodeCount, decodeValue, encodeValue, stateError } from '../state/codec.js';
import { keep } from './keep.js';

/**
 * `min(f)` / `max(f)` in the total order described at the top of accumulators.ts.
 */
export class MinMax implements Accumulator {
  /** A value was kept; it is a number (`num`) or else a non-number with text `text`; `value` as it was read. */
  has = false;
  isNum = false;
  num = 0;
  text = '';
  value: unknown = null;
  /** @param max true: `max`; false: `min` */
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
  toState(): unknown {
    return this.has ? encodeValue(this.value) : null;
  }
  fromState(s: unknown): void {
    this.has = false;
    this.isNum = false;
    this.value = null;
    this.text = '';
    const v = decodeValue(s);
    if (v !== null) this.add(v);
  }
}

/** Read `{"v":V,"p":POS}` (first, last). */
function readPositioned(s: unknown, what: string): { v: unknown; p: number } | null {
  if (s === null) return null;
  if (typeof s !== 'object' || Array.isArray(s)) throw stateError(`${what} state is not an object`);
  const o = s as Record<string, unknown>;
  const v = decodeValue(o.v);
  if (v === null) throw stateError(`${what} state: null value`);
  return { v, p: decodeCount(o.p) };
}

/** `first(f)`: the non-null value of the smallest input position, as it was. */
export class First implements Accumulator {
  /** A value was kept: `value`, at input position `pos`. */
  has = false;
  value: unknown = null;
  pos = 0;
  add(v: unknown, pos = 0): void {
    if (this.has || v === null || v === undefined) return;
    this.has = true;
    this.value = keep(v);
    this.pos = pos;
  }
  merge(o: Accumulator): void {
    const b = o as First;
    if (b.has && (!this.has || b.pos < this.pos)) {
      this.has = true;
      this.value = b.value;
      this.pos = b.pos;
    }
  }
  result(): unknown {
    return this.value;
  }
  toState(): unknown {
    return this.has ? { v: encodeValue(this.value), p: this.pos } : null;
  }
  fromState(s: unknown): void {
    const r = readPositioned(s, 'first');
    this.has = r !== null;
    this.value = r?.v ?? null;
    this.pos = r?.p ?? 0;
  }
}

/**
 * `last(f)`: the non-null value of the largest input position, as it was.
 * (Replaced on every record, so strings go through the cheaper `detach`, not `keep`.)
 */
export class Last implements Accumulator {
  /** The value kept (null: none yet) and its input position. */
  value: unknown = null;
  pos = -1;
  add(v: unknown, pos = 0): void {
    if (v === null || v === undefined) return;
    this.value = typeof v === 'string' ? detach(v) : v instanceof NumText ? keep(v) : v;
    this.pos = pos;
  }
  merge(o: Accumulator): void {
    const b = o as Last;
    if (b.value !== null && b.pos >= this.pos) {
      this.value = b.value;
      this.pos = b.pos;
    }
  }
  result(): unknown {
    return this.value;
  }
  toState(): unknown {
    return this.value !== null ? { v: encodeValue(this.value), p: this.pos } : null;
  }
  fromState(s: unknown): void {
    const r = readPositioned(s, 'last');
    this.value = r?.v ?? null;
    this.pos = r?.p ?? -1;
  }
}

/**
 * `median(f)` / `pNN(f)`. Several percentiles of one field in one group share
 * one `QuantileState`: the first of them (`owner`) adds, merges and holds the
 * partial state; the others only read it (their state is null).
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
    else if (v instanceof NumText) this.state.add(v.value, v);
  }
  merge(o: Accumulator): void {
    if (this.owner) this.state.merge((o as Percentile).state);
  }
  result(): unknown {
    return this.state.quantile(this.p);
  }
  toState(): unknown {
    return this.owner ? this.state.toState() : null;
  }
  fromState(s: unknown): void {
    if (this.owner) this.state.fromState(s);
    else if (s !== null) throw stateError('percentile state: expected null for a percentile sharing an earlier one\'s values');
  }
}
