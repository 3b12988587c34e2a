/**
 * Two-Stacks sliding-window aggregation (Tangwongsan, Hirzel, Schneider,
 * "Sliding-Window Aggregation Algorithms", Encyclopedia of Big Data
 * Technologies, 2019; the algorithm is folklore from the "queue from two
 * stacks"): a FIFO of partial aggregates (here: one per pane) that answers
 * "aggregate of everything in the queue" with O(1) amortised merges per
 * insert, evict and query, whatever the window length.
 *
 * - back stack: the newest elements as they were inserted, plus `bAgg`, their
 *   running aggregate;
 * - front stack: the oldest elements, each stored as the aggregate of itself
 *   and every element newer than it in the front stack (built in one pass when
 *   the front runs empty: the "flip").
 * - query = front top (oldest … end of front) ⊕ bAgg.
 *
 * The combine operator is the AggPlan's `merge(into, from)` (older into newer
 * order: into holds the older records), which consumes `from`; values used
 * twice are cloned first. Besides the aggregate, each element carries the
 * smallest arrival number of its records (combined with min), so a closed
 * window lists its groups in order of first appearance.
 */
import type { GroupState } from '../agg/types.js';
import { PositionStacks } from './stacks.js';

/** The operations Two-Stacks needs from an aggregation plan. */
export interface Monoid {
  /** Fold `from` (newer records) into `into` (older records); `from` is consumed. */
  merge(into: GroupState, from: GroupState): void;
  /** An independent deep copy. */
  clone(g: GroupState): GroupState;
}

/** A FIFO of (pane index, partial aggregate, first arrival number), panes inserted in increasing order. */
export class TwoStacks extends PositionStacks {
  private fAgg: GroupState[] = [];
  private fSeq: number[] = [];
  private bVal: GroupState[] = [];
  private bSeq: number[] = [];
  private bAgg: GroupState | null = null;
  private bMin = Infinity;

  constructor(private readonly m: Monoid) {
    super();
  }

  /** True when no pane is held. */
  get empty(): boolean {
    return this.fPos.length === 0 && this.bPos.length === 0;
  }

  /** Append the newest pane (its index must exceed every held one). `g` is owned from now on. */
  push(pane: number, g: GroupState, seq: number): void {
    this.bPos.push(pane);
    this.bVal.push(g);
    this.bSeq.push(seq);
    const c = this.m.clone(g);
    if (this.bAgg === null) this.bAgg = c;
    else this.m.merge(this.bAgg, c);
    if (seq < this.bMin) this.bMin = seq;
  }

  protected popFront(): void {
    this.fPos.pop();
    this.fAgg.pop();
    this.fSeq.pop();
  }

  /**
   * The aggregate of every held pane, and the smallest arrival number among
   * them. The returned state must only be read (`output`), never changed.
   * @throws Error when empty
   */
  query(): { g: GroupState; seq: number } {
    const ft = this.fAgg.length - 1;
    if (ft >= 0 && this.bAgg !== null) {
      const r = this.m.clone(this.fAgg[ft]!);
      this.m.merge(r, this.m.clone(this.bAgg));
      return { g: r, seq: Math.min(this.fSeq[ft]!, this.bMin) };
    }
    if (ft >= 0) return { g: this.fAgg[ft]!, seq: this.fSeq[ft]! };
    if (this.bAgg !== null) return { g: this.bAgg, seq: this.bMin };
    throw new Error('TwoStacks.query on an empty queue');
  }

  /** Move the back stack to the front, computing suffix aggregates newest to oldest. */
  protected flip(): void {
    const bVal = this.bVal;
    let agg: GroupState | null = null;
    let mn = Infinity;
    for (let i = bVal.length - 1; i >= 0; i--) {
      const v = bVal[i]!;
      if (agg !== null) this.m.merge(v, this.m.clone(agg));
      agg = v;
      const s = this.bSeq[i]!;
      if (s < mn) mn = s;
      this.fPos.push(this.bPos[i]!);
      this.fAgg.push(v);
      this.fSeq.push(mn);
    }
    this.clearBack();
  }

  protected clearBack(): void {
    this.bPos = [];
    this.bVal = [];
    this.bSeq = [];
    this.bAgg = null;
    this.bMin = Infinity;
  }

  /**
   * The queue's contents for a checkpoint, each group state written by `enc`:
   * `{f: [[pane, agg, seq], ...], b: [[pane, value, seq], ...], bAgg, bMin}`
   * (front oldest last, as held).
   */
  toState(enc: (g: GroupState) => unknown): unknown {
    const f = this.fPos.map((p, i) => [p, enc(this.fAgg[i]!), this.fSeq[i]!]);
    const b = this.bPos.map((p, i) => [p, enc(this.bVal[i]!), this.bSeq[i]!]);
    return { f, b, bAgg: this.bAgg === null ? null : enc(this.bAgg), bMin: this.bMin === Infinity ? null : this.bMin };
  }

  /**
   * The inverse of `toState`.
   * @throws Error (from `dec`, or on a malformed state)
   */
  static fromState(m: Monoid, state: unknown, dec: (v: unknown) => GroupState): TwoStacks {
    const bad = (): never => {
      throw new Error('malformed Two-Stacks state');
    };
    if (state === null || typeof state !== 'object') bad();
    const o = state as { f?: unknown; b?: unknown; bAgg?: unknown; bMin?: unknown };
    if (!Array.isArray(o.f) || !Array.isArray(o.b)) bad();
    const q = new TwoStacks(m);
    const triple = (t: unknown): [number, GroupState, number] => {
      if (!Array.isArray(t) || t.length !== 3 || typeof t[0] !== 'number' || typeof t[2] !== 'number') bad();
      const a = t as unknown[];
      return [a[0] as number, dec(a[1]), a[2] as number];
    };
    for (const t of o.f as unknown[]) {
      const [p, g, s] = triple(t);
      q.fPos.push(p);
      q.fAgg.push(g);
      q.fSeq.push(s);
    }
    for (const t of o.b as unknown[]) {
      const [p, g, s] = triple(t);
      q.bPos.push(p);
      q.bVal.push(g);
      q.bSeq.push(s);
    }
    if (q.bPos.length > 0) {
      if (o.bAgg === null || typeof o.bMin !== 'number') bad();
      q.bAgg = dec(o.bAgg);
      q.bMin = o.bMin as number;
    }
    return q;
  }
}
