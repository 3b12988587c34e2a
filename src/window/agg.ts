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
 * - Session windows: the window stage tags records with their session and
 *   tells this stage about merges and closes.
 * - Count windows: the window stage tags records with their pane (records of
 *   one key, gcd(N, M) of them), and tells this stage when windows close;
 *   panes are shared through Two-Stacks as for sliding windows.
 */
import type { AggPlan, GroupState } from '../agg/types.js';
import { Collect, First, Last } from '../agg/accumulators.js';
import type { Batch, Rec, Stage } from '../engine/types.js';
import { RuntimeError } from '../engine/errors.js';
import { EVENT_TIME } from '../engine/values.js';
import { isoString } from '../time/parse.js';
import { type WindowSpec, floorMod, gcd, isCalendar, lastWindowStart, nextWindowEnd } from './spec.js';
import { windowCalendar } from './calendar.js';
import { type CountPane, type CountSeries, type CountWindow, type Session, type WindowConsumer, type WindowSideChannel, sessionRoot } from './kind.js';
import { WINDOW_TAG } from './tags.js';
import { type Monoid, TwoStacks } from './twostacks.js';
import { structuralClone } from './clone.js';
import { decodeArray, decodeCount, decodeGroup, decodeObject, decodeString, decodeTime, encodeGroup, encodeTime, want } from './state.js';

/** An AggPlan that may also deep-copy a group state (needed for pane sharing in sliding windows). */
export type CloneableAggPlan = AggPlan & { clone?(g: GroupState): GroupState };

/** A windowed aggregation stage, which also listens to its window stage. */
export type WindowedAggStage = Stage & WindowConsumer & { stats: { lateInAgg: number; strategy: string } };

function lostTag(): never {
  throw new RuntimeError(
    'agg: a record reached the windowed agg without its window (a verb between window and agg must pass records on as it gets them)',
  );
}

/** A fresh side channel (see WindowConsumer.side). */
function newSide(): WindowSideChannel {
  return { current: undefined, confirmed: false };
}

/** The event time of a record: its EVENT_TIME, else what the window stage put on the side channel. */
function eventTimeOf(rec: Rec, side: WindowSideChannel): number {
  const t = (rec as { [EVENT_TIME]?: number })[EVENT_TIME];
  if (typeof t === 'number') {
    side.confirmed = true;
    return t;
  }
  const c = side.current;
  if (typeof c !== 'number') lostTag();
  return c;
}

/** The window tag of a record (session, count windows), else the side channel's. */
function tagOf<T>(rec: Rec, side: WindowSideChannel): T {
  const t = (rec as { [WINDOW_TAG]?: T })[WINDOW_TAG];
  if (t !== undefined) {
    side.confirmed = true;
    return t;
  }
  const c = side.current as T | undefined;
  if (c === undefined) lostTag();
  return c;
}

/** One group's state inside a window or pane, with the arrival number of its first record. */
interface Part {
  g: GroupState;
  seq: number;
}

/** `[[group key, first arrival, group state], ...]` of a map of parts, for a checkpoint. */
function encodeParts(m: Map<string, Part>): unknown[] {
  const out: unknown[] = [];
  for (const [k, p] of m) out.push([k, p.seq, encodeGroup(p.g)]);
  return out;
}

/** The inverse of `encodeParts`. @throws StateError */
function decodeParts(plan: AggPlan, v: unknown): Map<string, Part> {
  const m = new Map<string, Part>();
  for (const e of decodeArray(v, 'groups')) {
    const a = decodeArray(e, 'a group');
    want(a.length === 3, 'a group is not [key, seq, state]');
    m.set(decodeString(a[0], 'group key'), { g: decodeGroup(plan, a[2]), seq: decodeCount(a[1], 'group seq') });
  }
  return m;
}

/** `[[group key, group state], ...]` of a map of groups, for a checkpoint. */
function encodeGroups(m: Map<string, GroupState>): unknown[] {
  const out: unknown[] = [];
  for (const [k, g] of m) out.push([k, encodeGroup(g)]);
  return out;
}

/** The inverse of `encodeGroups`. @throws StateError */
function decodeGroups(plan: AggPlan, v: unknown): Map<string, GroupState> {
  const m = new Map<string, GroupState>();
  for (const e of decodeArray(v, 'groups')) {
    const a = decodeArray(e, 'a group');
    want(a.length === 2, 'a group is not [key, state]');
    m.set(decodeString(a[0], 'group key'), decodeGroup(plan, a[1]));
  }
  return m;
}

/** `[[group key, Two-Stacks state], ...]` of the groups' pane queues, for a checkpoint. */
function encodeQueues(m: Map<string, TwoStacks>): unknown[] {
  const out: unknown[] = [];
  for (const [k, q] of m) out.push([k, q.toState(encodeGroup)]);
  return out;
}

/** The inverse of `encodeQueues`. @throws StateError */
function decodeQueues(plan: AggPlan, monoid: Monoid, v: unknown): Map<string, TwoStacks> {
  const m = new Map<string, TwoStacks>();
  for (const e of decodeArray(v, 'queues')) {
    const a = decodeArray(e, 'a queue');
    want(a.length === 2, 'a queue is not [key, state]');
    let q: TwoStacks;
    try {
      q = TwoStacks.fromState(monoid, a[1], (x) => decodeGroup(plan, x));
    } catch (err) {
      if (err instanceof Error && err.name === 'StateError') throw err;
      want(false, (err as Error).message);
    }
    m.set(decodeString(a[0], 'queue key'), q!);
  }
  return m;
}

/** The version of the windowed aggregation's checkpoint state. */
const STATE_VERSION = 1;

/** Check the envelope `{v, s}` of a windowed aggregation state. @throws StateError */
function envelope(state: unknown, strategy: string): Record<string, unknown> {
  const o = decodeObject(state, 'the windowed agg');
  want(o.v === STATE_VERSION, `windowed agg state version ${String(o.v)} (this sluice writes ${STATE_VERSION})`);
  want(o.s === strategy, `windowed agg state of strategy ${String(o.s)}, not ${strategy}`);
  return o;
}

/**
 * The compiled plan's next input position (`CompiledAggPlan.position`), which
 * `first`/`last`/`collect` compare when states merge (sessions that merge,
 * panes): a restored run must go on numbering after the saved positions, or a
 * merge would take a new record for an older one. `{}` for a plan without one.
 */
function positionState(plan: AggPlan): { pos?: number } {
  const p = (plan as { position?: unknown }).position;
  return typeof p === 'number' ? { pos: p } : {};
}

/** The inverse of `positionState`. @throws StateError on a bad position */
function restorePosition(plan: AggPlan, o: Record<string, unknown>): void {
  if (o.pos === undefined) return;
  const pos = decodeCount(o.pos, 'input position');
  if (typeof (plan as { position?: unknown }).position === 'number') (plan as unknown as { position: number }).position = pos;
}

function timeConsumer(): WindowConsumer {
  return { side: newSide(), sessionMerged(): void {}, closed(): void {} };
}

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

/** Session windows: one map of groups per session, told of merges and closes by the window stage. */
export function buildSessionAgg(plan: AggPlan, next: Stage): WindowedAggStage {
  let seq = 0;
  /** Sessions holding groups, for end of input. */
  const live = new Set<Session>();
  const stats = { lateInAgg: 0, strategy: 'session' };
  const side = newSide();

  function emitSessions(list: readonly Session[], out: Rec[]): void {
    for (const s of list) {
      const m = s.agg as Map<string, Part> | undefined;
      if (m === undefined) continue;
      s.agg = undefined;
      live.delete(s);
      const parts = [...m.values()].sort((x, y) => x.seq - y.seq);
      const ws = isoString(s.start);
      const we = isoString(s.end);
      for (const p of parts) out.push(plan.output(p.g, { window_start: ws, window_end: we }));
    }
  }

  return {
    stats,
    side,
    push(batch: Batch): void {
      for (let i = 0; i < batch.length; i++) {
        const rec = batch[i]!;
        const s = sessionRoot(tagOf<Session>(rec, side));
        let m = s.agg as Map<string, Part> | undefined;
        if (m === undefined) {
          m = new Map();
          s.agg = m;
          live.add(s);
        }
        const k = plan.groupKey(rec);
        let p = m.get(k);
        if (p === undefined) {
          p = { g: plan.newGroup(rec), seq: seq };
          m.set(k, p);
        }
        seq++;
        plan.add(p.g, rec);
      }
    },
    sessionMerged(into: Session, from: Session): void {
      const fm = from.agg as Map<string, Part> | undefined;
      if (fm === undefined) return;
      from.agg = undefined;
      live.delete(from);
      const im = into.agg as Map<string, Part> | undefined;
      if (im === undefined) {
        into.agg = fm;
        live.add(into);
        return;
      }
      for (const [k, p] of fm) {
        const q = im.get(k);
        if (q === undefined) im.set(k, p);
        else {
          plan.merge(q.g, p.g);
          if (p.seq < q.seq) q.seq = p.seq;
        }
      }
    },
    closed(windows: readonly (Session | CountWindow)[]): void {
      const out: Rec[] = [];
      emitSessions(windows as Session[], out);
      if (out.length > 0) next.push(out);
    },
    windowState(w: Session | CountSeries): unknown {
      const m = w.agg as Map<string, Part> | undefined;
      return m === undefined ? undefined : encodeParts(m);
    },
    restoreWindow(w: Session | CountSeries, state: unknown): void {
      w.agg = decodeParts(plan, state);
      live.add(w as Session);
    },
    snapshot(): unknown {
      // The groups hang on the sessions: the window stage's snapshot holds them (windowState).
      return { v: STATE_VERSION, s: 'session', seq, ...positionState(plan) };
    },
    restore(state: unknown): void {
      const o = envelope(state, 'session');
      seq = decodeCount(o.seq, 'seq');
      restorePosition(plan, o);
    },
    watermark(ms: number): void {
      next.watermark(ms);
    },
    end(): void {
      const rest = [...live].sort((a, b) => a.end - b.end || a.start - b.start || a.seq - b.seq);
      const out: Rec[] = [];
      emitSessions(rest, out);
      if (out.length > 0) next.push(out);
      next.end();
    },
  };
}

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
