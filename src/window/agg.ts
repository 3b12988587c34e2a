/**
 * Windowed aggregation: `agg` after `window` (SPEC §4.2). Each group is emitted
 * once, when its window closes: fields `window_start`, `window_end` (count
 * windows: `window_id`), then the keys, then the aggregates. Windows come out
 * in order of end, then start; groups inside a window in order of first
 * appearance.
 *
 * - Tumbling windows: one map of groups per open window, closed by the watermark.
 * - Sliding windows: records go into panes of gcd(size, slide) (Li, Maier,
 *   Tufte, Papadimos, Tucker, "No Pane, No Gain", SIGMOD Record 2005); each
 *   group keeps its panes in a Two-Stacks queue (twostacks.ts), so closing a
 *   window costs O(1) amortised merges per group instead of a merge of all its
 *   panes, and a record is added once, not once per window. Partial
 *   aggregates are copied with the plan's `clone(g)` when it has one, else
 *   with a structural deep copy (clone.ts). Plans with `first`, `last` or
 *   `collect` keep one state per window instead (see `orderSensitive`).
 * - Checkpoints: `snapshot()` holds the open windows (or panes, Two-Stacks
 *   queues and corrections) with each group in the format of state.ts.
 * - Session windows: session-agg.ts; count windows: count-agg.ts (panes shared
 *   through Two-Stacks as for sliding windows); what they share: agg-parts.ts.
 */
import type { AggPlan, GroupState } from '../agg/types.js';
import { Collect, First, Last } from '../agg/accumulators.js';
import type { Batch, Rec, Stage } from '../engine/types.js';
import { isoString } from '../time/parse.js';
import { type WindowSpec, floorMod, gcd, isCalendar, lastWindowStart, nextWindowEnd } from './spec.js';
import { windowCalendar } from './calendar.js';
import { TwoStacks } from './twostacks.js';
import { structuralClone } from './clone.js';
import { decodeArray, decodeCount, decodeTime, encodeTime, want } from './state.js';
import {
  type CloneableAggPlan,
  type Part,
  STATE_VERSION,
  type WindowedAggStage,
  decodeGroups,
  decodeParts,
  decodeQueues,
  encodeGroups,
  encodeParts,
  encodeQueues,
  envelope,
  eventTimeOf,
  positionState,
  restorePosition,
  timeConsumer,
} from './agg-parts.js';

export type { CloneableAggPlan, WindowedAggStage } from './agg-parts.js';

/**
 * The windowed aggregation for tumbling and sliding windows.
 * @param plan the compiled agg (with `clone` for pane sharing in sliding windows)
 * @param spec the window's spec (kind tumbling or sliding)
 * @param next downstream stage
 * @param opts `panes: false` forces the per-window strategy (for tests)
 */
export function buildTimeWindowAgg(plan: CloneableAggPlan, spec: WindowSpec, next: Stage, opts: { panes?: boolean } = {}): WindowedAggStage {
  const usePanes = spec.size !== spec.slide && opts.panes !== false && !orderSensitive(plan);
  return usePanes ? paneAgg(plan, spec, next) : perWindowAgg(plan, spec, next);
}

/**
 * True when the plan has an aggregate whose result depends on the order of
 * its records (`first`, `last`, `collect`). Pane sharing merges panes in time
 * order, which differs from arrival order once records come out of order, and
 * then one group's result would depend on other groups' records (through the
 * pane frontier). Such plans keep one state per window, fed in arrival order,
 * as tumbling windows do (SPEC §4.2: arrival order, the same for every group).
 */
export function orderSensitive(plan: AggPlan): boolean {
  const g = plan.emptyLike({ keyValues: new Array<unknown>(plan.keyNames.length).fill(null), accs: [] });
  return g.accs.some((a) => a instanceof First || a instanceof Last || a instanceof Collect);
}

/** `groupOf(groups, rec)` of the compiled plan when it has one (get-or-create, detaching the key only once); else the same from the contract. */
function groupFinder(plan: AggPlan): (groups: Map<string, GroupState>, rec: Rec) => GroupState {
  const own = (plan as { groupOf?: (groups: Map<string, GroupState>, rec: Rec) => GroupState }).groupOf;
  if (typeof own === 'function') return (groups, rec) => own.call(plan, groups, rec);
  return (groups, rec) => {
    const k = plan.groupKey(rec);
    let g = groups.get(k);
    if (g === undefined) {
      g = plan.newGroup(rec);
      groups.set(k, g);
    }
    return g;
  };
}

/** Tumbling windows, and sliding windows without `clone`: a map of groups per open window. */
function perWindowAgg(plan: AggPlan, spec: WindowSpec, next: Stage): WindowedAggStage {
  const size = spec.size;
  const slide = spec.slide;
  const offset = spec.offset;
  interface Win {
    start: number;
    end: number;
    groups: Map<string, GroupState>;
  }
  /** --tz or a calendar size (tumbling only): bounds from calendar.ts instead of arithmetic. */
  const cal = isCalendar(spec) ? windowCalendar(size, spec.months ?? 0, offset, spec.tz ?? null) : null;
  const open = new Map<number, Win>();
  /** Starts of open windows, ascending (windows of one size: order of end = order of start). */
  let starts: number[] = [];
  let closedUpTo = -Infinity;
  let lastWin: Win | null = null;
  const stats = { lateInAgg: 0, strategy: size === slide ? 'tumbling' : 'per-window (arrival order)' };

  function win(start: number): Win {
    let w = open.get(start);
    if (w === undefined) {
      w = { start, end: cal !== null ? cal.endOf(start) : start + size, groups: new Map() };
      open.set(start, w);
      let i = starts.length;
      while (i > 0 && starts[i - 1]! > start) i--;
      starts.splice(i, 0, start);
    }
    return w;
  }
  const groupOf = groupFinder(plan);
  function addTo(w: Win, rec: Rec): void {
    plan.add(groupOf(w.groups, rec), rec);
  }
  function emit(upTo: number): void {
    let n = 0;
    while (n < starts.length && (cal !== null ? open.get(starts[n]!)!.end : starts[n]! + size) <= upTo) n++;
    if (n === 0) return;
    const out: Rec[] = [];
    for (let i = 0; i < n; i++) {
      const w = open.get(starts[i]!)!;
      open.delete(w.start);
      if (w === lastWin) lastWin = null;
      const ws = isoString(w.start);
      const we = isoString(w.end);
      for (const g of w.groups.values()) out.push(plan.output(g, { window_start: ws, window_end: we }));
    }
    starts = starts.slice(n);
    if (out.length > 0) next.push(out);
  }

  const consumer = timeConsumer();
  const side = consumer.side;
  return {
    stats,
    ...consumer,
    push(batch: Batch): void {
      for (let i = 0; i < batch.length; i++) {
        const rec = batch[i]!;
        const t = eventTimeOf(rec, side);
        const ls = cal !== null ? cal.startOf(t) : t - floorMod(t - offset, slide);
        if ((cal !== null ? cal.endOf(ls) : ls + size) <= closedUpTo) {
          stats.lateInAgg++;
          continue;
        }
        if (lastWin !== null && lastWin.start === ls) addTo(lastWin, rec);
        else addTo((lastWin = win(ls)), rec);
        for (let s = ls - slide; s > t - size && s + size > closedUpTo; s -= slide) addTo(win(s), rec);
      }
    },
    watermark(ms: number): void {
      if (ms > closedUpTo) {
        closedUpTo = ms;
        emit(ms);
      }
      next.watermark(ms);
    },
    end(): void {
      emit(Infinity);
      next.end();
    },
    snapshot(): unknown {
      const windows = starts.map((st) => [st, encodeGroups(open.get(st)!.groups)]);
      return { v: STATE_VERSION, s: 'windows', closedUpTo: encodeTime(closedUpTo), windows, ...positionState(plan) };
    },
    restore(state: unknown): void {
      const o = envelope(state, 'windows');
      restorePosition(plan, o);
      closedUpTo = decodeTime(o.closedUpTo, 'closedUpTo');
      open.clear();
      starts = [];
      lastWin = null;
      for (const e of decodeArray(o.windows, 'windows')) {
        const a = decodeArray(e, 'a window');
        want(a.length === 2, 'a window is not [start, groups]');
        const w = win(decodeTime(a[0], 'window start'));
        for (const [k, g] of decodeGroups(plan, a[1])) w.groups.set(k, g);
      }
    },
  };
}

/** Sliding windows with pane sharing and a Two-Stacks queue per group. */
function paneAgg(plan: CloneableAggPlan, spec: WindowSpec, next: Stage): WindowedAggStage {
  const size = spec.size;
  const slide = spec.slide;
  const offset = spec.offset;
  const pane = gcd(size, slide);
  const panesPerWindow = size / pane;
  const clone = typeof plan.clone === 'function' ? (g: GroupState) => plan.clone!(g) : structuralClone;
  const monoid = { merge: (a: GroupState, b: GroupState) => plan.merge(a, b), clone };
  const stats = { lateInAgg: 0, strategy: `panes of ${pane} ms, Two-Stacks` };

  /** Panes not yet in the queues (index ≥ frontier): pane index → group key → part. */
  const pendingPanes = new Map<number, Map<string, Part>>();
  /** Their indices, ascending. */
  let pendingIdx: number[] = [];
  /** Groups with panes in their queue. */
  const active = new Map<string, TwoStacks>();
  /**
   * Records that arrived for panes already in the queues (below the frontier)
   * while some of their windows were still open: added to each such window
   * directly. Window start → group key → part.
   */
  const corrections = new Map<number, Map<string, Part>>();
  /** Panes below this index have been moved into the queues. */
  let frontier = -Infinity;
  let closedUpTo = -Infinity;
  let seq = 0;
  let lastPaneIdx = NaN;
  let lastPane: Map<string, Part> | null = null;

  function addPart(m: Map<string, Part>, rec: Rec, s: number): void {
    const k = plan.groupKey(rec);
    let p = m.get(k);
    if (p === undefined) {
      p = { g: plan.newGroup(rec), seq: s };
      m.set(k, p);
    }
    plan.add(p.g, rec);
  }
  function paneMap(idx: number): Map<string, Part> {
    if (idx === lastPaneIdx) return lastPane!;
    let m = pendingPanes.get(idx);
    if (m === undefined) {
      m = new Map();
      pendingPanes.set(idx, m);
      let i = pendingIdx.length;
      while (i > 0 && pendingIdx[i - 1]! > idx) i--;
      pendingIdx.splice(i, 0, idx);
    }
    lastPaneIdx = idx;
    lastPane = m;
    return m;
  }

  /** Close the window starting at `a`, appending its groups to `out`. */
  function closeWindow(a: number, out: Rec[]): void {
    const startPane = Math.round((a - offset) / pane);
    const endPane = startPane + panesPerWindow;
    let n = 0;
    while (n < pendingIdx.length && pendingIdx[n]! < endPane) {
      const idx = pendingIdx[n]!;
      const m = pendingPanes.get(idx)!;
      pendingPanes.delete(idx);
      for (const [k, p] of m) {
        let q = active.get(k);
        if (q === undefined) {
          q = new TwoStacks(monoid);
          active.set(k, q);
        }
        q.push(idx, p.g, p.seq);
      }
      n++;
    }
    if (n > 0) {
      pendingIdx = pendingIdx.slice(n);
      lastPaneIdx = NaN;
      lastPane = null;
    }
    if (endPane > frontier) frontier = endPane;
    const rows: Part[] = [];
    const byKey = new Map<string, Part>();
    for (const [k, q] of active) {
      q.evictBefore(startPane);
      if (q.empty) {
        active.delete(k);
        continue;
      }
      const r = q.query();
      const p = { g: r.g, seq: r.seq };
      rows.push(p);
      byKey.set(k, p);
    }
    const corr = corrections.get(a);
    if (corr !== undefined) {
      corrections.delete(a);
      for (const [k, c] of corr) {
        const p = byKey.get(k);
        if (p === undefined) rows.push(c);
        else {
          // The queue's result may be the queue's own state: merge into a copy.
          const g = clone(p.g);
          plan.merge(g, c.g);
          p.g = g;
          if (c.seq < p.seq) p.seq = c.seq;
        }
      }
    }
    if (rows.length === 0) return;
    rows.sort((x, y) => x.seq - y.seq);
    const ws = isoString(a);
    const we = isoString(a + size);
    for (const p of rows) out.push(plan.output(p.g, { window_start: ws, window_end: we }));
  }

  function closeUpTo(limit: number): void {
    const out: Rec[] = [];
    // The first window not yet closed: the smallest end beyond what was closed.
    let a = closedUpTo === -Infinity ? -Infinity : nextWindowEnd(closedUpTo, offset, size, slide) - size;
    for (;;) {
      if (active.size === 0 && corrections.size === 0) {
        // Nothing in the queues: jump to the first window holding a pending pane.
        if (pendingIdx.length === 0) break;
        const first = offset + pendingIdx[0]! * pane;
        const aData = lastWindowStart(first - size, offset, slide) + slide;
        if (aData > a) a = aData;
      }
      if (a + size > limit) break;
      closeWindow(a, out);
      a += slide;
    }
    closedUpTo = limit;
    if (out.length > 0) next.push(out);
  }

  const consumer = timeConsumer();
  const side = consumer.side;
  return {
    stats,
    ...consumer,
    push(batch: Batch): void {
      for (let i = 0; i < batch.length; i++) {
        const rec = batch[i]!;
        const t = eventTimeOf(rec, side);
        const idx = Math.floor((t - offset) / pane);
        const s = seq++;
        if (idx >= frontier) {
          addPart(paneMap(idx), rec, s);
          continue;
        }
        // Its pane is already queued: add it to each of its windows still open.
        let any = false;
        for (let a = lastWindowStart(t, offset, slide); a > t - size && a + size > closedUpTo; a -= slide) {
          let m = corrections.get(a);
          if (m === undefined) {
            m = new Map();
            corrections.set(a, m);
          }
          addPart(m, rec, s);
          any = true;
        }
        if (!any) stats.lateInAgg++;
      }
    },
    watermark(ms: number): void {
      if (ms > closedUpTo) closeUpTo(ms);
      next.watermark(ms);
    },
    end(): void {
      closeUpTo(Infinity);
      next.end();
    },
    snapshot(): unknown {
      const pend = pendingIdx.map((idx) => [idx, encodeParts(pendingPanes.get(idx)!)]);
      const act = encodeQueues(active);
      const corr: unknown[] = [];
      for (const [a, m] of corrections) corr.push([a, encodeParts(m)]);
      return { v: STATE_VERSION, s: 'panes', closedUpTo: encodeTime(closedUpTo), frontier: encodeTime(frontier), seq, pending: pend, active: act, corrections: corr, ...positionState(plan) };
    },
    restore(state: unknown): void {
      const o = envelope(state, 'panes');
      restorePosition(plan, o);
      closedUpTo = decodeTime(o.closedUpTo, 'closedUpTo');
      frontier = decodeTime(o.frontier, 'frontier');
      seq = decodeCount(o.seq, 'seq');
      pendingPanes.clear();
      pendingIdx = [];
      lastPaneIdx = NaN;
      lastPane = null;
      for (const e of decodeArray(o.pending, 'panes')) {
        const a = decodeArray(e, 'a pane');
        want(a.length === 2 && typeof a[0] === 'number' && Number.isInteger(a[0]), 'a pane is not [index, groups]');
        want(!pendingPanes.has(a[0] as number), 'a pane appears twice');
        pendingPanes.set(a[0] as number, decodeParts(plan, a[1]));
        pendingIdx.push(a[0] as number);
      }
      pendingIdx.sort((x, y) => x - y);
      active.clear();
      for (const [k, q] of decodeQueues(plan, monoid, o.active)) active.set(k, q);
      corrections.clear();
      for (const e of decodeArray(o.corrections, 'corrections')) {
        const a = decodeArray(e, 'a correction');
        want(a.length === 2, 'a correction is not [start, groups]');
        corrections.set(decodeTime(a[0], 'correction start'), decodeParts(plan, a[1]));
      }
    },
  };
}
