/**
 * One range of a windowed `agg` under `-j N` (issue 14 item 5): `window
 * tumbling|sliding ... then agg` run on one byte range as if it were the
 * whole input (its own watermark from -infinity), for the main thread to
 * merge in range order (windowed.ts). Per range the result holds
 *
 * - each window's output rows, rendered here as the main thread's writer
 *   would write them, UTF-8, back to back in one buffer that is moved to the
 *   main thread (not copied). Rendered straight into bytes: a window's rows
 *   kept as a string until the range ended were a rope of ~10 small strings
 *   per row that lived through several scavenges (about half of the range's
 *   CPU time went to the garbage collector);
 * - each window's group partials (JSON text), but only for the windows
 *   another range may also have (the others cost their encoding for
 *   nothing: about a sixth of a range's CPU time on W3):
 *     - windows still open when the range ends (a later range may add to
 *       them; a window the range's own watermark closed never gets a record
 *       from a later range: one pass's watermark there is at least as far);
 *     - windows starting before `lastEnd(t) + lateness` for the largest t of
 *       the range's first BOUND_RECORDS on-time records: an earlier range
 *       holds a record of a window only up to its largest time M, and when
 *       one of those records is on time in one pass, M − lateness < lastEnd(t);
 *     - every window of the first range, of input dealt by the main thread
 *       (it cannot be read again), when rows are not rendered, and when the
 *       job asks (`allParts`).
 *   When the guess was wrong (a range whose first records one pass all
 *   finds late), the main thread sees a window without partials that an
 *   earlier range has too, and redoes the range with `allParts` (split.ts);
 * - what the main thread needs to redo one pass's watermark: the largest
 *   time, the late records, and per last window end the count of the
 *   records that were on time here (the `spy` stage between window and agg).
 */
import type { Batch, PipelineContext, Rec, Stage } from '../engine/types.js';
import { EVENT_TIME } from '../engine/values.js';
import { createWriter } from '../formats/index.js';
import { type CompiledAggPlan, POS_PART, groupKeyOfValues } from '../agg/plan.js';
import type { GroupState } from '../agg/types.js';
import { encodeValue } from '../state/codec.js';
import { buildTimeWindowAgg, orderSensitive } from '../window/agg.js';
import { windowCalendar } from '../window/calendar.js';
import type { WindowVerbInstance } from '../window/instance.js';
import { floorMod, isCalendar } from '../window/spec.js';
import type { WindowStats } from '../window/stage.js';
import type { ChunkJob, WindowPart, WindowedResult, WorkerInit } from './messages.js';

/** Added to each job's first input position (POS_PART: still within the job's numbers, and in the same order). */
export const SMI_PAST = 2 ** 31;

/**
 * How many of a range's first records (on time there) bound the windows an
 * earlier range may have: enough that one of them is very likely on time in
 * one pass too (input merged from sources some minutes apart), few enough
 * that no window closes before.
 */
const BOUND_RECORDS = 64;

/** One windowed job: the stage its records go to, and its result once they all went. */
export interface WindowJob {
  target: Stage;
  /** End the range (its windows still open close) and give its result. @throws InputError as the stages do */
  finish(): WindowedResult;
}

/**
 * A window stage and windowed agg built once for a thread and reset per job
 * from snapshots of their empty state (the same functions for every job keep
 * V8's call sites monomorphic: a stage chain per job made them megamorphic).
 * @param init    the run's WorkerInit (`render`: how rows are written, or null)
 * @param plan    the compiled agg
 * @param winVerb the parsed `window tumbling|sliding` verb
 * @param ctx     the runner's pipeline context
 * @returns a function that starts a job
 */
export function windowJobRunner(init: WorkerInit, plan: CompiledAggPlan, winVerb: WindowVerbInstance, ctx: PipelineContext): (job: ChunkJob) => WindowJob {
  const spec = winVerb.windowSpec;
  const lateness = spec.lateness;
  const cal = isCalendar(spec) ? windowCalendar(spec.size, spec.months ?? 0, spec.offset, spec.tz ?? null) : null;
  /** The end of the last window holding time t. */
  const lastEnd = (t: number): number => {
    if (cal !== null) return cal.endOf(cal.startOf(t));
    return t - floorMod(t - spec.offset, spec.slide) + spec.size;
  };
  const p = plan;

  let windows: WindowPart[] = [];
  /** Partials of the windows output since the last `collect.push`, in output order. */
  let parts: unknown[] = [];
  /** Windows starting before this get partials (NaN: no record yet; Infinity: every window). */
  let partsBefore = NaN;
  /** How many more of the range's first records raise `partsBefore`. */
  let boundLeft = 0;
  /** Set while the range ends: the windows closing then are still open for the next range. */
  let ending = false;
  const wantParts = (start: number): boolean => ending || start < partsBefore;
  /** The window_start of the last group output ('' after a reset: a string, as V8 saw it), and whether its window gets partials. */
  let curWs = '';
  let curParts = false;

  /** A group's partial as the merger reads it (windowed.ts). */
  const partOf = (g: GroupState): unknown => [groupKeyOfValues(g.keyValues), g.keyValues.map(encodeValue), p.stateOf(g), g.first ?? 0];
  // One state per window (tumbling; sliding without pane sharing: window/agg.ts): a group output
  // is not changed after, so the partials of the windows that need them are taken in `collect`
  // and the per-group hook stays a push (the same work in every job: no V8 deoptimisation when
  // the share of windows with partials changes). With pane sharing a group output may be a
  // Two-Stacks queue's own state, which changes for the next window: taken at once.
  const perWindow = spec.size === spec.slide || orderSensitive(p);
  /** The groups output since the last `collect.push`, in output order (perWindow). */
  let groupsOut: GroupState[] = [];
  const wrapped = Object.create(p) as CompiledAggPlan;
  wrapped.output = perWindow
    ? (g: GroupState, prefix?: Rec): Rec => {
        groupsOut.push(g);
        return p.output(g, prefix);
      }
    : (g: GroupState, prefix?: Rec): Rec => {
        const ws = prefix!.window_start as string;
        if (ws !== curWs) {
          curWs = ws;
          curParts = wantParts(Date.parse(ws));
        }
        if (curParts) parts.push(partOf(g));
        return p.output(g, prefix);
      };

  // The rows of the job's windows, back to back (reused: each result gets a copy of its part).
  let rowBuf = Buffer.allocUnsafe(256 * 1024);
  let rowPos = 0;
  const putRows = (s: string): void => {
    const need = rowPos + 3 * s.length;
    if (need > rowBuf.length) {
      const b = Buffer.allocUnsafe(Math.max(need, 2 * rowBuf.length));
      rowBuf.copy(b, 0, 0, rowPos);
      rowBuf = b;
    }
    rowPos += rowBuf.write(s, rowPos);
  };

  // Output records of one window arrive together, in order (agg.ts): one WindowPart per window.
  let writer: ReturnType<typeof createWriter> | null = null;
  const collect: Stage = {
    push(recs: Batch) {
      let i = 0;
      let k = 0;
      while (i < recs.length) {
        const ws = recs[i]!.window_start as string;
        let j = i + 1;
        while (j < recs.length && recs[j]!.window_start === ws) j++;
        const we = recs[i]!.window_end as string;
        const from = rowPos;
        if (init.render !== null) {
          if (writer === null) {
            const r = init.render;
            writer = createWriter(r.fmt, { delimiter: r.delimiter, color: false, inputFormat: r.inputFormat as never, inputDelimiter: r.inputDelimiter });
            // The header (CSV/TSV) goes out with the first record: the main thread writes it.
            writer.write([recs[i]!]);
          }
          putRows(writer.write(recs.slice(i, j)));
        }
        const start = Date.parse(ws);
        let json: string | null = null;
        if (wantParts(start)) {
          if (perWindow) json = JSON.stringify(groupsOut.slice(i, j).map(partOf));
          else {
            json = JSON.stringify(parts.slice(k, k + j - i));
            k += j - i;
          }
        }
        windows.push([start, Date.parse(we), ws, we, from, rowPos, json]);
        i = j;
      }
      if (k !== parts.length || (perWindow && groupsOut.length !== recs.length)) throw new Error('-j: windowed partials out of step with their rows');
      parts = [];
      groupsOut = [];
    },
    watermark() {},
    end() {},
  };
  const aggStage = buildTimeWindowAgg(wrapped, spec, collect);
  winVerb.consumer = aggStage;

  // Between window and agg: per last window end, the records on time here.
  let buckets = new Map<number, [number, number, number, number]>();
  let maxT = -Infinity;
  let lastKey = NaN;
  let last: [number, number, number, number] | undefined;
  /** The times [lo, hi) all have `lastKey` as the end of their last window (calendar windows: tumbling only). */
  let lo = NaN;
  let hi = NaN;
  const spy: Stage = {
    push(batch: Batch) {
      if (boundLeft > 0) {
        // The range's first records set the bound of the windows an earlier range may have.
        const n = Math.min(boundLeft, batch.length);
        for (let i = 0; i < n; i++) {
          const b = lastEnd((batch[i] as { [EVENT_TIME]?: number })[EVENT_TIME]!) + lateness;
          if (!(b <= partsBefore)) partsBefore = b;
        }
        boundLeft -= n;
      }
      for (let i = 0; i < batch.length; i++) {
        const t = (batch[i] as { [EVENT_TIME]?: number })[EVENT_TIME]!;
        if (!(t >= lo && t < hi)) {
          // Another slide (or calendar window): its last window end, and the bucket of that end.
          let le: number;
          if (cal !== null) {
            lo = cal.startOf(t);
            le = hi = cal.endOf(lo);
          } else {
            lo = t - floorMod(t - spec.offset, spec.slide);
            hi = lo + spec.slide;
            le = lo + spec.size;
          }
          if (le !== lastKey) {
            lastKey = le;
            last = buckets.get(le);
            if (last === undefined) buckets.set(le, (last = [le, 0, t, -Infinity]));
          }
        }
        const b = last!;
        b[1]++;
        if (t < b[2]) b[2] = t;
        if (maxT - t > b[3]) b[3] = maxT - t;
        if (t > maxT) maxT = t;
      }
      aggStage.push(batch);
    },
    watermark(ms: number) {
      aggStage.watermark(ms);
    },
    end() {
      aggStage.end();
    },
  };
  const stage = winVerb.build(spy, ctx, { verbs: [winVerb], index: 0 }) as Stage & { stats: WindowStats };
  const emptyWindow = stage.snapshot!();
  const emptyAgg = aggStage.snapshot!();

  return (job) => {
    stage.restore!(emptyWindow);
    aggStage.restore!(emptyAgg);
    stage.stats.minLateTs = undefined;
    // Past the small integers (2^30) from the first job on: positions of the second job on are
    // not, and code that V8 had optimised for small integers in the first was deoptimised.
    p.position = job.id * POS_PART + SMI_PAST;
    windows = [];
    parts = [];
    groupsOut = [];
    rowPos = 0;
    curWs = '';
    ending = false;
    partsBefore = job.allParts === true || job.id === 0 || job.data !== undefined || init.render === null ? Infinity : NaN;
    boundLeft = partsBefore === Infinity ? 0 : BOUND_RECORDS;
    buckets = new Map();
    maxT = -Infinity;
    lastKey = NaN;
    last = undefined;
    lo = hi = NaN;
    return {
      target: stage,
      finish(): WindowedResult {
        // What the window stage's end() does for time windows (their kind holds nothing),
        // without marking the stage ended: it serves the next job.
        ending = true;
        curWs = '';
        try {
          spy.end();
        } finally {
          ending = false;
          curWs = '';
        }
        const rows = Buffer.from(new ArrayBuffer(rowPos));
        rowBuf.copy(rows, 0, 0, rowPos);
        const st = stage.stats;
        return {
          id: job.id,
          kind: 'wagg',
          windows,
          rows,
          maxT,
          seen: st.seen,
          late: st.late,
          lateMinT: st.minLateTs ?? Infinity,
          maxBehind: st.maxBehind,
          buckets: [...buckets.values()],
        };
      },
    };
  };
}
