/**
 * The frame of one key for `over`: a FIFO of per-record partial aggregates
 * that answers "aggregate of every record in the frame" after each insert,
 * by Two-Stacks sliding-window aggregation (Tangwongsan, Hirzel, Schneider,
 * "Sliding-Window Aggregation Algorithms", Encyclopedia of Big Data
 * Technologies, 2019) — the same algorithm as the panes of sliding windows
 * (src/window/twostacks.ts), laid out for one element per record:
 *
 * - back stack: the newest records, each as a one-record state, plus `bAgg`,
 *   their running aggregate, to which each new record is *added* directly
 *   (no copy, no merge);
 * - front stack: the oldest records, each stored as the aggregate of itself
 *   and every record newer than it in the front (built newest to oldest in
 *   one pass when the front runs empty, "the flip": one merge per record);
 * - the frame's aggregate = front top ⊕ bAgg. Its result is combined from the
 *   two states without building the merged state for the accumulators whose
 *   result can be combined in O(1) (count, sum, avg, min, max, first, last,
 *   var, stddev); for the others (distinct, approx_distinct, pNN, median,
 *   collect) the front top is copied and bAgg merged into the copy.
 *
 * So each record costs O(1) merges amortised (one add to bAgg, one merge at
 * its flip, one eviction), and the frame holds one state per record: memory
 * proportional to the frame. A merge costs O(1) for the first group above and
 * O(state size) for the second, whose per-record cost therefore grows with
 * the frame. Merges copy what they take (see AggPlan.clone), so a state can
 * be merged into several others.
 */
import type { Accumulator, GroupState } from '../agg/types.js';
import type { CompiledAggPlan } from '../agg/plan.js';
import { Avg, CountAll, CountField, First, Last, MinMax, Sum, Variance } from '../agg/accumulators.js';
import { decodeArray, decodeGroup, decodeObject, decodeTime, encodeGroup, want } from '../window/state.js';
import { PositionStacks } from '../window/stacks.js';

/** One key's frame (positions and eviction: stacks.ts). */
export class Frame extends PositionStacks {
  private fState: GroupState[] = [];
  private bState: GroupState[] = [];
  private bAgg: GroupState | null = null;
  /** Scratch for the fallback of `results`: front top copied, bAgg merged in. */
  private tmp: GroupState | null = null;

  /**
   * @param plan     the aggregates (its merge and clone are the Two-Stacks monoid)
   * @param template a state of this key (for `emptyLike`)
   */
  constructor(
    private readonly plan: CompiledAggPlan,
    private readonly template: GroupState,
  ) {
    super();
  }

  /** Add the newest record at position `pos`. */
  push(rec: Record<string, unknown>, pos: number): void {
    const plan = this.plan;
    const one = plan.emptyLike(this.template);
    plan.add(one, rec);
    this.bState.push(one);
    this.bPos.push(pos);
    if (this.bAgg === null) this.bAgg = plan.emptyLike(this.template);
    plan.add(this.bAgg, rec);
  }

  protected popFront(): void {
    this.fState.pop();
    this.fPos.pop();
  }

  /**
   * The result of aggregate `i` over the frame. Call `prepare()` once per
   * record before asking for the results of that record.
   */
  result(i: number): unknown {
    const ft = this.fState.length - 1;
    const b = this.bAgg;
    if (ft < 0) return b!.accs[i]!.result();
    const f = this.fState[ft]!;
    if (b === null) return f.accs[i]!.result();
    if (this.tmp !== null) return this.tmp.accs[i]!.result();
    return combinedResult(f.accs[i]!, b.accs[i]!);
  }

  /**
   * Get ready to answer `result` for the current frame: builds the merged
   * state only when some aggregate's result cannot be combined directly
   * (`needsMerge`) and both stacks hold records.
   */
  prepare(needsMerge: boolean): void {
    this.tmp = null;
    if (!needsMerge) return;
    const ft = this.fState.length - 1;
    if (ft < 0 || this.bAgg === null) return;
    const t = this.plan.clone(this.fState[ft]!);
    this.plan.merge(t, this.bAgg);
    this.tmp = t;
  }

  /**
   * For checkpoints: both stacks as they are (each element a group state in
   * the partial state format, with its position), and the back aggregate, so
   * a restored frame gives the same results bit for bit (the same flips).
   */
  save(): unknown {
    return { f: this.fState.map(encodeGroup), fp: this.fPos, b: this.bState.map(encodeGroup), bp: this.bPos, a: this.bAgg === null ? null : encodeGroup(this.bAgg) };
  }

  /** The inverse of `save`. @throws StateError */
  load(v: unknown): void {
    const o = decodeObject(v, 'an over frame');
    const f = decodeArray(o.f, 'frame front');
    const fp = decodeArray(o.fp, 'frame front positions');
    const b = decodeArray(o.b, 'frame back');
    const bp = decodeArray(o.bp, 'frame back positions');
    want(f.length === fp.length && b.length === bp.length, 'frame positions do not match its states');
    this.fState = f.map((g) => decodeGroup(this.plan, g));
    this.fPos = fp.map((x) => decodeTime(x, 'a frame position'));
    this.bState = b.map((g) => decodeGroup(this.plan, g));
    this.bPos = bp.map((x) => decodeTime(x, 'a frame position'));
    this.bAgg = o.a === null ? null : decodeGroup(this.plan, o.a);
    this.tmp = null;
  }

  /** Move the back stack to the front, computing suffix aggregates newest to oldest. */
  protected flip(): void {
    const bs = this.bState;
    const plan = this.plan;
    let agg: GroupState | null = null;
    for (let i = bs.length - 1; i >= 0; i--) {
      const v = bs[i]!;
      if (agg !== null) plan.merge(v, agg);
      agg = v;
      this.fState.push(v);
      this.fPos.push(this.bPos[i]!);
    }
    this.clearBack();
  }

  protected clearBack(): void {
    this.bState = [];
    this.bPos = [];
    this.bAgg = null;
  }
}

/**
 * True when `combinedResult` can answer for this kind of accumulator without
 * a merged state.
 */
export function combinable(a: Accumulator): boolean {
  return a instanceof Sum || a instanceof CountAll || a instanceof CountField || a instanceof Variance || a instanceof MinMax || a instanceof First || a instanceof Last;
}

/**
 * The result `merge(a, b).result()` would give, without changing `a` or `b`
 * (`a` holds the older records). Only for accumulators that are `combinable`.
 */
export function combinedResult(a: Accumulator, b: Accumulator): unknown {
  if (a instanceof Sum) return a.mergedResult(b as Sum);
  if (a instanceof CountAll || a instanceof CountField) return a.n + (b as CountAll).n;
  if (a instanceof MinMax) {
    const y = b as MinMax;
    if (!y.has) return a.value;
    if (!a.has) return y.value;
    if (a.isNum !== y.isNum) {
      // Every number sorts before every non-number.
      return a.max === a.isNum ? y.value : a.value;
    }
    if (a.isNum) return (a.max ? y.num > a.num : y.num < a.num) ? y.value : a.value;
    return (a.max ? y.text > a.text : y.text < a.text) ? y.value : a.value;
  }
  if (a instanceof First) return a.has ? a.value : (b as First).value;
  if (a instanceof Last) {
    const y = b as Last;
    return y.value !== null ? y.value : a.value;
  }
  if (a instanceof Variance) return a.mergedResult(b as Variance);
  throw new Error('combinedResult: not a combinable accumulator');
}
