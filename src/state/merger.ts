/**
 * Merging partial aggregates (the `merge` verb, and `-j` workers' partials):
 * groups (per window) from any number of producers, in any order, merged
 * with the accumulators' own `merge`, written as one `agg` over all the
 * input would have written them.
 *
 * Order rule (documented in `sluice help merge`): groups in order of their
 * first record's input position (part·2^36 + record number, see plan.ts),
 * which is one `agg`'s order of first appearance when each producer was given
 * its part number in input order (`agg --partial --part N`); windows in order
 * of end, then start (sessions then by first position).
 *
 * Windows close when every producer's watermark has reached their end (the
 * minimum of the producers' watermarks, as Flink combines input watermarks),
 * else at end of input. A partial for a window that already closed is late.
 * Session partials of one session key that touch (one's start ≤ the other's
 * end) merge into one session.
 */
import type { Rec } from '../engine/types.js';
import type { GroupState } from '../agg/types.js';
import type { CompiledAggPlan } from '../agg/plan.js';
import { compileAggPlan } from '../agg/plan.js';
import { parseAggList } from '../agg/parse.js';
import { isoString } from '../time/parse.js';
import { StateError, stateError } from './codec.js';
import { type PartialMeta, type ReadPartial, describeMeta, partialRecord } from './partial.js';

interface Win {
  start: number;
  end: number;
  groups: Map<string, GroupState>;
  first: number;
}

/** The merge plan for partials of `meta`: keys read by their output names. @throws StateError when the aggregate list does not parse */
export function planFor(meta: PartialMeta): CompiledAggPlan {
  try {
    return compileAggPlan(
      parseAggList(meta.aggs),
      meta.by.map((name) => ({ path: [name], name })),
    );
  } catch (e) {
    throw stateError(`cannot read the aggregate list '${meta.aggs}': ${(e as Error).message}`);
  }
}

/** Options of a merger. */
export interface MergerOptions {
  /** Write merged partials (combiner trees) instead of results. */
  partial: boolean;
  /** The part number written into merged partials. */
  part?: number;
}

/**
 * Merges partial groups; emits records through `emit` as windows close (and all at `end`).
 */
export class Merger {
  meta: PartialMeta | null = null;
  plan: CompiledAggPlan | null = null;
  private groups = new Map<string, GroupState>();
  private wins = new Map<string, Win>();
  private sessions = new Map<string, Win[]>();
  private closedUpTo = -Infinity;
  /** Partials for windows already closed. */
  late = 0;

  constructor(
    private readonly emit: (recs: Rec[]) => void,
    private readonly opts: MergerOptions,
  ) {}

  /**
   * Add a partial group record.
   * @returns false when it was late (its window had closed)
   * @throws StateError when it does not fit the partials read before, or its states are malformed
   */
  add(p: Extract<ReadPartial, { kind: 'group' }>, rec: Rec): boolean {
    if (this.meta === null) {
      this.plan = planFor(p.meta);
      this.meta = p.meta;
    } else {
      const m = this.meta;
      if (m.aggs !== p.meta.aggs || m.by.join('\u0001') !== p.meta.by.join('\u0001') || m.w !== p.meta.w) {
        throw stateError(`a partial of ${describeMeta(p.meta)} cannot merge with earlier partials of ${describeMeta(m)}`);
      }
    }
    const plan = this.plan!;
    const kv = plan.keyNames.map((n) => {
      // agg --partial writes every key (null when a record had none): a partial without one is corrupt.
      if (!Object.prototype.hasOwnProperty.call(rec, n)) throw stateError(`the key field '${n}' is missing`);
      return rec[n];
    });
    const g = plan.fromStates(kv, p.states, p.first);
    const gk = plan.groupKey(rec);
    if (p.start === null) {
      mergeInto(plan, this.groups, gk, g);
      return true;
    }
    const end = p.end!;
    if (end <= this.closedUpTo) {
      this.late++;
      return false;
    }
    if (p.meta.w !== 'session') {
      const id = `${p.start}/${end}`;
      let w = this.wins.get(id);
      if (w === undefined) {
        w = { start: p.start, end, groups: new Map(), first: p.first };
        this.wins.set(id, w);
      }
      if (p.first < w.first) w.first = p.first;
      mergeInto(plan, w.groups, gk, g);
      return true;
    }
    // Sessions of one session key that touch merge.
    let list = this.sessions.get(p.sk);
    if (list === undefined) this.sessions.set(p.sk, (list = []));
    const s: Win = { start: p.start, end, groups: new Map([[gk, g]]), first: p.first };
    for (let i = list.length - 1; i >= 0; i--) {
      const o = list[i]!;
      if (o.start <= s.end && s.start <= o.end) {
        list.splice(i, 1);
        if (o.start < s.start) s.start = o.start;
        if (o.end > s.end) s.end = o.end;
        if (o.first < s.first) s.first = o.first;
        for (const [k, og] of o.groups) mergeInto(plan, s.groups, k, og);
      }
    }
    list.push(s);
    return true;
  }

  /** Close every window whose end is at most `wm` (sessions too), writing them in order. */
  watermark(wm: number): void {
    if (!(wm > this.closedUpTo)) return;
    this.closedUpTo = wm;
    this.flush(wm);
  }

  /** End of input: write everything still open. */
  end(): void {
    this.flush(Infinity);
    const plan = this.plan;
    if (plan === null) return;
    const gs = [...this.groups.values()].sort(byFirst);
    this.groups.clear();
    const out: Rec[] = [];
    for (const g of gs) out.push(this.output(g));
    if (out.length > 0) this.emit(out);
  }

  private output(g: GroupState, w?: Win): Rec {
    const plan = this.plan!;
    const prefix = w !== undefined ? { window_start: isoString(w.start), window_end: isoString(w.end) } : undefined;
    if (this.opts.partial) {
      let sk: number[] | null = null;
      if (this.meta!.w === 'session') sk = []; // the session key is carried below
      const r = partialRecord(plan, g, this.meta!.w, this.opts.part ?? 0, prefix, null);
      if (sk !== null) (r._partial as Record<string, unknown>).sk = (w as Win & { sk?: string }).sk ?? '';
      return r;
    }
    return plan.output(g, prefix);
  }

  private flush(upTo: number): void {
    if (this.plan === null) return;
    const closing: (Win & { sk?: string })[] = [];
    for (const [id, w] of this.wins) {
      if (w.end <= upTo) {
        closing.push(w);
        this.wins.delete(id);
      }
    }
    for (const [sk, list] of this.sessions) {
      for (let i = list.length - 1; i >= 0; i--) {
        const s = list[i]!;
        if (s.end <= upTo) {
          list.splice(i, 1);
          closing.push(Object.assign(s, { sk }));
        }
      }
      if (list.length === 0) this.sessions.delete(sk);
    }
    if (closing.length === 0) return;
    closing.sort((a, b) => a.end - b.end || a.start - b.start || a.first - b.first);
    const out: Rec[] = [];
    for (const w of closing) for (const g of [...w.groups.values()].sort(byFirst)) out.push(this.output(g, w));
    if (out.length > 0) this.emit(out);
  }
}

function byFirst(a: GroupState, b: GroupState): number {
  return (a.first ?? 0) - (b.first ?? 0);
}

function mergeInto(plan: CompiledAggPlan, m: Map<string, GroupState>, k: string, g: GroupState): void {
  const into = m.get(k);
  if (into === undefined) m.set(k, g);
  else plan.merge(into, g);
}

export { StateError };
