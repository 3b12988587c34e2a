/**
 * Windowed aggregation over count windows (SPEC §4.2), with pane sharing: see
 * `buildCountAgg`. The window stage (count.ts) tags each record with its pane
 * and tells this stage when windows close; the panes hang on the count series.
 */
import type { GroupState } from '../agg/types.js';
import type { Batch, Rec, Stage } from '../engine/types.js';
import type { WindowSpec } from './spec.js';
import { gcd } from './spec.js';
import type { CountPane, CountSeries, CountWindow, Session } from './kind.js';
import { TwoStacks } from './twostacks.js';
import { structuralClone } from './clone.js';
import { decodeCount, decodeObject, want } from './state.js';
import {
  type CloneableAggPlan,
  type Part,
  STATE_VERSION,
  type WindowedAggStage,
  decodeParts,
  decodeQueues,
  encodeParts,
  encodeQueues,
  envelope,
  newSide,
  positionState,
  restorePosition,
  tagOf,
} from './agg-parts.js';

/** The aggregation's state of one count series (CountSeries.agg): its panes. */
interface SeriesPanes {
  /** The pane being filled (its index; -1 before the first) and its groups. */
  curIdx: number;
  cur: Map<string, Part>;
  /** Per group: its finished panes, oldest first. */
  queues: Map<string, TwoStacks>;
  /** Arrival number of the series' next record (first appearance order of groups in a window). */
  seq: number;
}

/**
 * Count windows with pane sharing: each record is added once, to its pane
 * (records `[idx·P, (idx + 1)·P)` of its key, P = gcd(N, M), see count.ts);
 * each group keeps the finished panes of its key in a Two-Stacks queue, so a
 * closing window costs O(1) amortised merges per group, whatever N/M. Panes
 * of one key hold consecutive records, so merging them keeps arrival order
 * (first, last and collect are right too). Groups in a window come out in
 * order of first appearance in it; windows in closing order, then the rest
 * at end of input in order of their ids.
 * @param plan the compiled agg (`clone` used to copy partial states, else a structural copy)
 * @param spec the count window's spec (size N, slide M)
 */
export function buildCountAgg(plan: CloneableAggPlan, spec: WindowSpec, next: Stage): WindowedAggStage {
  const n = spec.size;
  const pane = gcd(n, spec.slide);
  const panesPerWindow = n / pane;
  const clone = typeof plan.clone === 'function' ? (g: GroupState) => plan.clone!(g) : structuralClone;
  const monoid = { merge: (a: GroupState, b: GroupState) => plan.merge(a, b), clone };
  const stats = { lateInAgg: 0, strategy: panesPerWindow === 1 ? 'count' : `count panes of ${pane} records, Two-Stacks` };
  const side = newSide();
  const newPanes = (): SeriesPanes => ({ curIdx: -1, cur: new Map(), queues: new Map(), seq: 0 });

  /** Move the pane being filled into the groups' queues. */
  function finishPane(sp: SeriesPanes): void {
    if (sp.cur.size === 0) return;
    for (const [k, p] of sp.cur) {
      let q = sp.queues.get(k);
      if (q === undefined) {
        q = new TwoStacks(monoid);
        sp.queues.set(k, q);
      }
      q.push(sp.curIdx, p.g, p.seq);
    }
    sp.cur = new Map();
  }

  function emit(list: readonly CountWindow[], out: Rec[]): void {
    for (const w of list) {
      const sp = w.series.agg as SeriesPanes | undefined;
      if (sp === undefined) continue;
      const startPane = w.first / pane;
      const endPane = startPane + panesPerWindow;
      const prefix = { window_id: w.id };
      if (panesPerWindow === 1 && sp.queues.size === 0) {
        // Tumbling count windows: the window is the pane being filled (groups in insertion order).
        if (sp.curIdx === startPane) {
          for (const p of sp.cur.values()) out.push(plan.output(p.g, prefix));
          sp.cur = new Map();
        }
        continue;
      }
      if (sp.curIdx < endPane) finishPane(sp);
      const rows: Part[] = [];
      for (const [k, q] of sp.queues) {
        q.evictBefore(startPane);
        if (q.empty) {
          sp.queues.delete(k);
          continue;
        }
        rows.push(q.query());
      }
      rows.sort((x, y) => x.seq - y.seq);
      for (const p of rows) out.push(plan.output(p.g, prefix));
      // Panes before the key's next window are no longer needed.
      const nextStart = (w.first + spec.slide) / pane;
      for (const [k, q] of sp.queues) {
        q.evictBefore(nextStart);
        if (q.empty) sp.queues.delete(k);
      }
    }
  }

  return {
    stats,
    side,
    push(batch: Batch): void {
      for (let i = 0; i < batch.length; i++) {
        const rec = batch[i]!;
        const p = tagOf<CountPane>(rec, side);
        const series = p.series;
        let sp = series.agg as SeriesPanes | undefined;
        if (sp === undefined) sp = series.agg = newPanes();
        if (p.idx !== sp.curIdx) {
          finishPane(sp);
          sp.curIdx = p.idx;
        }
        const k = plan.groupKey(rec);
        let part = sp.cur.get(k);
        if (part === undefined) {
          part = { g: plan.newGroup(rec), seq: sp.seq };
          sp.cur.set(k, part);
        }
        sp.seq++;
        plan.add(part.g, rec);
      }
    },
    sessionMerged(): void {},
    closed(windows: readonly (Session | CountWindow)[]): void {
      const out: Rec[] = [];
      emit(windows as CountWindow[], out);
      if (out.length > 0) next.push(out);
    },
    // The panes hang on the count series: the window stage's snapshot holds them.
    windowState(w: Session | CountSeries): unknown {
      const sp = (w as CountSeries).agg as SeriesPanes | undefined;
      if (sp === undefined) return undefined;
      return { curIdx: sp.curIdx, cur: encodeParts(sp.cur), queues: encodeQueues(sp.queues), seq: sp.seq };
    },
    restoreWindow(w: Session | CountSeries, state: unknown): void {
      const o = decodeObject(state, 'count panes');
      const sp = newPanes();
      want(typeof o.curIdx === 'number' && Number.isInteger(o.curIdx) && o.curIdx >= -1, 'count panes: bad pane index');
      sp.curIdx = o.curIdx;
      sp.cur = decodeParts(plan, o.cur);
      sp.seq = decodeCount(o.seq, 'seq');
      sp.queues = decodeQueues(plan, monoid, o.queues);
      (w as CountSeries).agg = sp;
    },
    // The groups hang on the count series (the window stage's snapshot holds them);
    // here only the plan's input position, which orders first/last/collect across panes.
    snapshot(): unknown {
      return { v: STATE_VERSION, s: 'count', ...positionState(plan) };
    },
    restore(state: unknown): void {
      restorePosition(plan, envelope(state, 'count'));
    },
    watermark(ms: number): void {
      next.watermark(ms);
    },
    end(): void {
      // The window stage closed every open window before this (count.ts end).
      next.end();
    },
  };
}
