/**
 * `window session GAP --time F [--by K] then agg ...` under `-j N` (issue 14
 * item 5): every thread runs the session window and its agg on its ranges,
 * as if each range were the whole input, and sends each session it saw (a
 * "piece": key, bounds, the time of its first record, and its groups as
 * partial states); the main thread merges the pieces of one key that touch
 * across ranges and writes each session once it is complete, as one pass
 * (`-j 1`) writes it, byte for byte, order included.
 *
 * One pass (window/session.ts, window/session-agg.ts) is order-dependent in
 * three ways: a record whose sessions have all closed is late or starts a new
 * session (the watermark), a record touching two open sessions merges them
 * (their states merged, not added in input order), and sessions close, and
 * are written, as the watermark passes them. The run goes to one thread
 * (the split run's Fallback) unless
 *
 * - no record is more than --lateness behind the largest time before it
 *   (each range checks its own records; the main thread checks each range's
 *   smallest time against the largest time of the ranges before it). Then
 *   no record is late, no record meets a closed session of its key (a
 *   closed session ended before the watermark, which no record is behind),
 *   and one pass's sessions are the pieces that touch, joined;
 * - and, for a session one pass may have merged, its groups' states are
 *   order-free (counts, first/last, distinct, approx_distinct, sums,
 *   averages and variances of integers: `orderFree`). One pass merged none
 *   of a session when no range merged sessions of it, each piece touches at
 *   most one session of the ranges before it, the piece's first record
 *   touches that session (so one pass adds it there rather than starting a
 *   session that merges later), and no two pieces of one range join it.
 *
 * A session one pass did not merge gets its records added in input order
 * (ranges in order, each range's records in order), so merging the pieces'
 * partial states in range order equals one pass for every aggregate that
 * merges exactly (exact.ts; float sums and variances are checked per
 * merge); and sessions
 * are written in order of (end, start, position of their first record),
 * groups in order of their first position, which is one pass's order (its
 * sessions close as the watermark passes their end: in order of end; equal
 * ends close together, sorted by start, then creation order). After range k
 * the watermark is the largest time so far minus --lateness: every session
 * ending before it is complete, and written.
 */
import type { CompiledAggPlan } from '../agg/plan.js';
import { POS_PART } from '../agg/plan.js';
import type { GroupState } from '../agg/types.js';
import type { Batch, PipelineContext, Rec, Stage } from '../engine/types.js';
import { EVENT_TIME } from '../engine/values.js';
import { encodeValue, decodeValue } from '../state/codec.js';
import { isoString } from '../time/parse.js';
import { groupKeyOfValues } from '../agg/plan.js';
import type { WindowVerbInstance } from '../window/instance.js';
import { type Session, type WindowStats, sessionRoot } from '../window/stage.js';
import type { CountWindow } from '../window/kind.js';
import { newSide, tagOf } from '../window/agg-parts.js';
import { MinHeap } from '../window/heap.js';
import type { ChunkJob } from './messages.js';
import type { WindowOutput } from './windowed.js';
import { exactMerge } from './exact.js';
import { ApproxDistinct, Avg, CountAll, CountField, Distinct, First, Last, Sum, Variance } from '../agg/accumulators.js';
import { SMI_PAST } from './window-job.js';
import { MANY_GROUPS } from './agg-merge.js';

/**
 * One session of a range: [key, start ms, end ms (last time + gap), time of
 * its first record, position of its first record, its groups: [[group key,
 * encoded key values, states, first position], ...], 1 when sessions merged
 * into it in the range (else 0)].
 */
export type SessionPiece = [string, number, number, number, number, [string, unknown[], unknown[], number][], number];

/** The answer for one job of a session-windowed agg (run as if the range were the whole input). */
export interface SessionResult {
  id: number;
  kind: 'sess';
  /** The JSON text of the range's sessions (SessionPiece[]), in the order they closed. */
  pieces: string;
  /** The smallest and largest times of the range's records (Infinity / -Infinity when none). */
  minT: number;
  maxT: number;
}

/** A session's state in a range: its groups, and its first record. */
interface PieceState {
  groups: Map<string, GroupState>;
  tFirst: number;
  firstPos: number;
  /** Sessions merged into this one in the range. */
  merged: boolean;
}

/**
 * The worker's side: for each job, a fresh session window stage (its
 * watermark from -infinity) feeding a consumer that keeps each session's
 * groups; `finish()` gives the range's pieces, or why the range cannot be
 * merged exactly (a record more than --lateness behind, a late record, or
 * two sessions merged in the range: marked on the piece).
 * @param ctx the chunk runner's context (the window stage reads its clock and error sink)
 */
export function sessionJob(winVerb: WindowVerbInstance, plan: CompiledAggPlan, ctx: PipelineContext): (job: ChunkJob) => { target: Stage; finish(): SessionResult | { why: string } } {
  const spec = winVerb.windowSpec;
  const lateness = spec.lateness;
  return (job) => {
    // (Past the small integers from the first job on, as window-job.ts does.)
    plan.position = job.id * POS_PART + SMI_PAST;
    const pieces: SessionPiece[] = [];
    let minT = Infinity;
    let maxT = -Infinity;
    let why: string | null = null;
    /** Records of the range, and the session groups it closed: as many partials as records would cost more to merge than one pass. */
    let records = 0;
    let closedGroups = 0;
    const side = newSide();
    const consumer: Stage & { side: typeof side; sessionMerged(into: Session, from: Session): void; closed(ws: readonly (Session | CountWindow)[]): void } = {
      side,
      push(batch: Batch): void {
        records += batch.length;
        // More than one session group per MANY_GROUPS records (as plain agg's rule, agg-merge.ts):
        // merging that many partials costs more than one thread's pass. Said part way into the range.
        if (why === null && records >= 1000 && closedGroups * MANY_GROUPS > records) why = `${closedGroups} session groups closed in the first ${records} records of a range (more than one per ${MANY_GROUPS} records)`;
        for (let i = 0; i < batch.length; i++) {
          const rec = batch[i]!;
          const t = (rec as { [EVENT_TIME]?: number })[EVENT_TIME]!;
          if (t < maxT - lateness && why === null) why = 'a record more than --lateness behind the largest time before it';
          if (t > maxT) maxT = t;
          if (t < minT) minT = t;
          const s = sessionRoot(tagOf<Session>(rec, side));
          let st = s.agg as PieceState | undefined;
          if (st === undefined) s.agg = st = { groups: new Map(), tFirst: t, firstPos: plan.position, merged: false };
          plan.add(plan.groupOf(st.groups, rec), rec);
        }
      },
      sessionMerged(into: Session, from: Session): void {
        // As one pass merges them (window/session-agg.ts); the piece is marked: its state is only
        // exact when every aggregate of its groups is order-free (SessionMerger).
        const fs = from.agg as PieceState | undefined;
        if (fs === undefined) {
          if (into.agg !== undefined) (into.agg as PieceState).merged = true;
          return;
        }
        from.agg = undefined;
        fs.merged = true;
        const is = into.agg as PieceState | undefined;
        if (is === undefined) {
          into.agg = fs;
          return;
        }
        is.merged = true;
        if (fs.firstPos < is.firstPos) {
          is.firstPos = fs.firstPos;
          is.tFirst = fs.tFirst;
        }
        for (const [k, g] of fs.groups) {
          const q = is.groups.get(k);
          if (q === undefined) is.groups.set(k, g);
          else plan.merge(q, g);
        }
      },
      closed(ws: readonly (Session | CountWindow)[]): void {
        for (const w of ws) {
          const s = w as Session;
          const st = s.agg as PieceState | undefined;
          if (st === undefined) continue;
          s.agg = undefined;
          const gs: [string, unknown[], unknown[], number][] = [];
          for (const g of st.groups.values()) gs.push([groupKeyOfValues(g.keyValues), g.keyValues.map(encodeValue), plan.stateOf(g), g.first ?? 0]);
          pieces.push([s.key, s.start, s.end, st.tFirst, st.firstPos, gs, st.merged ? 1 : 0]);
          closedGroups += gs.length;
        }
      },
      watermark(): void {},
      end(): void {},
    };
    winVerb.consumer = consumer;
    const stage = winVerb.build(consumer, ctx, { verbs: [winVerb], index: 0 }) as Stage & { stats: WindowStats };
    return {
      target: stage,
      finish() {
        stage.end();
        if (stage.stats.late > 0) why ??= 'a late record';
        if (why !== null) return { why };
        return { id: job.id, kind: 'sess', pieces: JSON.stringify(pieces), minT, maxT };
      },
    };
  };
}

/** A session of the ranges merged so far (one key). */
interface OpenSession {
  key: string;
  start: number;
  end: number;
  firstPos: number;
  /** The job that last added a piece. */
  job: number;
  groups: Map<string, GroupState>;
  closed: boolean;
  /** One pass may have merged sessions into it (its states merged in another order than one pass's): exact only when its groups are order-free. */
  merged: boolean;
}

/**
 * Whether a group's state is the same whatever order its records' partial
 * states were merged in: counts, first/last (by input position), distinct
 * sets and HyperLogLog sketches, and sums, averages and variances of
 * integers only (exact). Not: min/max (equal values of another text, 7 and
 * 7.0, keep the one merged first), float sums, percentiles, collect.
 */
function orderFree(g: GroupState): boolean {
  for (const a of g.accs) {
    if (a instanceof Sum || a instanceof Avg) {
      if (a.nf > 0) return false;
    } else if (a instanceof Variance) {
      if (!a.allInt) return false;
    } else if (!(a instanceof CountAll || a instanceof CountField || a instanceof First || a instanceof Last || a instanceof Distinct || a instanceof ApproxDistinct)) return false;
  }
  return true;
}

/**
 * The main thread's side: the pieces of the ranges, taken in range order,
 * joined into one pass's sessions (see the module comment).
 */
export class SessionMerger {
  /** Open sessions per key (keys from data: a Map), pairwise not touching. */
  private readonly byKey = new Map<string, OpenSession[]>();
  /** Open sessions by end (keys may be stale: an end only grows). */
  private readonly heap = new MinHeap<OpenSession>();
  /** The largest time of the ranges merged so far. */
  private maxT = -Infinity;

  /**
   * @param plan     the compiled agg (fromStates, merge, output)
   * @param gap      the session gap (ms)
   * @param lateness the window's --lateness (ms)
   */
  constructor(
    private readonly plan: CompiledAggPlan,
    private readonly gap: number,
    private readonly lateness: number,
  ) {}

  /**
   * Merge the next range's result.
   * @returns the output of the sessions now complete, in output order, or why the run must go to one thread
   */
  add(r: SessionResult): WindowOutput[] | string {
    if (r.minT < this.maxT - this.lateness) return 'a record more than --lateness behind the largest time before it (in an earlier range)';
    const p = this.plan;
    const gap = this.gap;
    for (const [key, start, end, tFirst, firstPos, groups, merged] of JSON.parse(r.pieces) as SessionPiece[]) {
      let list = this.byKey.get(key);
      /** The sessions of earlier ranges this piece touches (it joins them all). */
      const touched: OpenSession[] = [];
      if (list !== undefined) for (const s of list) if (s.start <= end && start <= s.end) touched.push(s);
      if (touched.length === 0) {
        const s: OpenSession = { key, start, end, firstPos, job: r.id, groups: new Map(), closed: false, merged: merged === 1 };
        for (const [k, kv, states, first] of groups) s.groups.set(k, p.fromStates(kv.map(decodeValue), states, first));
        if (list === undefined) this.byKey.set(key, (list = []));
        list.push(s);
        this.heap.push(end, s);
        continue;
      }
      // One pass adds the piece's records to the one session it touches, one by one, unless the piece
      // touches several (one pass merges them), or another piece of the range joined it, or the piece's
      // first record does not touch it (it starts a session that one pass merges later).
      const into = touched[0]!;
      if (merged === 1 || touched.length > 1 || into.job === r.id || !(tFirst <= into.end && into.start <= tFirst + gap)) into.merged = true;
      into.job = r.id;
      if (start < into.start) into.start = start;
      if (end > into.end) into.end = end;
      for (let i = 1; i < touched.length; i++) {
        // (Pieces of earlier ranges joined by this one: into starts first; each is dropped from the key's list.)
        const o = touched[i]!;
        o.closed = true;
        list!.splice(list!.indexOf(o), 1);
        if (o.start < into.start) into.start = o.start;
        if (o.end > into.end) into.end = o.end;
        if (o.firstPos < into.firstPos) into.firstPos = o.firstPos;
        for (const [k, g] of o.groups) {
          const had = into.groups.get(k);
          if (had === undefined) into.groups.set(k, g);
          else {
            if (!exactMerge(had, g)) return 'float sums or variances merged across ranges';
            p.merge(had, g);
          }
        }
      }
      for (const [k, kv, states, first] of groups) {
        const g = p.fromStates(kv.map(decodeValue), states, first);
        const had = into.groups.get(k);
        if (had === undefined) into.groups.set(k, g);
        else {
          if (!exactMerge(had, g)) return 'float sums or variances merged across ranges';
          p.merge(had, g);
        }
      }
      // (Its end grew: the heap's key for it is stale, and emit() pushes it again with its end.)
    }
    if (r.maxT > this.maxT) this.maxT = r.maxT;
    return this.emit(this.maxT - this.lateness);
  }

  /** The output of every session still open (end of input), or why the run must go to one thread. */
  end(): WindowOutput[] | string {
    return this.emit(Infinity);
  }

  /** Write the sessions ending before `limit` (the watermark has passed them), in one pass's order. */
  private emit(limit: number): WindowOutput[] | string {
    const due: OpenSession[] = [];
    const heap = this.heap;
    while (heap.size > 0 && heap.peekKey() < limit) {
      const s = heap.pop()!;
      if (s.closed) continue;
      if (s.end >= limit) {
        heap.push(s.end, s);
        continue;
      }
      s.closed = true;
      due.push(s);
    }
    if (due.length === 0) return [];
    for (const s of due) {
      if (s.merged) for (const g of s.groups.values()) if (!orderFree(g)) return 'sessions merged, with aggregates whose merge depends on its order (min, max, float sums, ...)';
    }
    due.sort((a, b) => a.end - b.end || a.start - b.start || a.firstPos - b.firstPos);
    const recs: Rec[] = [];
    for (const s of due) {
      const list = this.byKey.get(s.key)!;
      list.splice(list.indexOf(s), 1);
      if (list.length === 0) this.byKey.delete(s.key);
      const gs = [...s.groups.values()].sort((a, b) => (a.first ?? 0) - (b.first ?? 0));
      const prefix = { window_start: isoString(s.start), window_end: isoString(s.end) };
      for (const g of gs) recs.push(this.plan.output(g, prefix));
    }
    return recs.length > 0 ? [{ recs }] : [];
  }
}
