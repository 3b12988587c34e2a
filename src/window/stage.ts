/**
 * The `window` stage: reads each record's time, keeps the watermark and the
 * wall-clock timers, finds late records, and hands each record to its window
 * kind (kind.ts: time-kind.ts for tumbling and sliding, session.ts, count.ts),
 * which either
 *
 * - (alone) emits each record once per window it belongs to, with
 *   `window_start`/`window_end` (or `window_id` for count windows), or
 * - (before `agg`, with only record-wise verbs between) tags each record with
 *   `EVENT_TIME` (and `WINDOW_TAG` for session and count windows) and passes it
 *   on unchanged, so the windowed aggregation (agg.ts) can place it without a
 *   copy per window.
 *
 * Watermark (SPEC §4.1, as Flink's bounded-out-of-orderness generator, but
 * updated on every record rather than periodically): the largest event time
 * seen minus `--lateness`. A window closes when the watermark reaches its end
 * (a session window: passes it). A record whose every window has closed when
 * it arrives is late: it is counted, written to `--late-output`, and left out.
 *
 * Downstream sees the watermark through `Stage.watermark` each time it crosses
 * a window end; records that arrived before the crossing are pushed first, so
 * a downstream aggregation closes exactly the windows the watermark closed
 * here, at the same point of the stream.
 *
 * Checkpoints: `snapshot()` is `{v, kind, wm, maxTs, lastNow, late, state}`,
 * where `state` is the kind's own (see each kind's file); `restore` loads it.
 */
import type { Batch, PipelineContext, Rec, Stage } from '../engine/types.js';
import { pathGetter, rawOf, stringifyRecord, textOf } from '../engine/values.js';
import { compileTimeParser } from '../time/parse.js';
import { timerDelay } from '../time/timer.js';
import { formatDuration } from '../time/duration.js';
import { countKind } from './count.js';
import type { WindowClock, WindowConsumer, WindowEnv, WindowKindOps } from './kind.js';
import { sessionKind } from './session.js';
import type { WindowSpec } from './spec.js';
import { decodeCount, decodeObject, decodeTime, encodeTime, want } from './state.js';
import { timeKind } from './time-kind.js';
import { SourceClocks } from './sources.js';

export type { CountWindow, Session, WindowConsumer, WindowSideChannel } from './kind.js';
export { sessionRoot } from './kind.js';

/** Counts of what the stage left out, for tests and the exit summary. */
export interface WindowStats {
  late: number;
  /** Records placed or found late (those with a readable time). */
  seen: number;
  /** How far the latest late record was behind the largest time seen (ms). */
  maxBehind: number;
  /** The smallest time of a late record (ms; Infinity when none): `-j N` recomputes maxBehind across input ranges with it. */
  minLateTs?: number;
}

/** Above this share of late records (and at least LATE_HINT_MIN of them) the summary says why and what to do. */
export const LATE_HINT_SHARE = 0.05;
export const LATE_HINT_MIN = 10;

/**
 * The exit summary line about late records, with a hint when many were late:
 * the input is likely not in time order (e.g. sorted by key, then time).
 */
export function lateSummary(stats: WindowStats, lateOutput: string | null): string | undefined {
  if (stats.late === 0) return undefined;
  const n = `${stats.late} late record${stats.late === 1 ? '' : 's'}`;
  let line = lateOutput !== null ? `window: ${n} written to ${lateOutput}` : `window: ${n} left out (keep them with --late-output FILE)`;
  if (stats.late >= LATE_HINT_MIN && stats.late > LATE_HINT_SHARE * stats.seen) {
    const pct = Math.round((100 * stats.late) / Math.max(1, stats.seen));
    line +=
      `; that is ${pct}% of the records: the input is not in time order (sorted by key?). ` +
      `Sort it by time first, or let the watermark wait with --lateness ${formatDuration(Math.ceil(stats.maxBehind))} ` +
      `(the most any late record was behind the largest time before it)`;
  }
  return line;
}

/** The version of the window stage's checkpoint state. */
const STATE_VERSION = 1;

/**
 * Build the window stage.
 * @param spec     the parsed verb
 * @param consumer the windowed aggregation downstream, or null when `window` stands alone
 * @param next     the downstream stage
 * @param ctx      pipeline context (clock, timers, errors, --late-output, summary)
 */
export function buildWindowStage(spec: WindowSpec, consumer: WindowConsumer | null, next: Stage, ctx: PipelineContext): Stage & { stats: WindowStats } {
  const stats: WindowStats = { late: 0, seen: 0, maxBehind: 0 };
  const processing = spec.timePath === null;
  const lateness = spec.lateness;
  const idle = spec.idle;

  // ---- time of a record -------------------------------------------------
  const getTime = spec.timePath ? pathGetter(spec.timePath) : null;
  const parseTime = spec.timePath ? compileTimeParser(spec.timeFormat) : null;
  const timeName = spec.timeName ?? '';
  function reject(rec: Rec, v: unknown): void {
    const what =
      v === undefined || v === null
        ? `time field '${timeName}' is missing`
        : `cannot read time '${textOf(v)}' in field '${timeName}' (--time-format ${spec.timeFormat})`;
    const at = ctx.locate(rec);
    ctx.errors.reject(at.source, at.line, what, rawOf(rec) ?? stringifyRecord(rec), 'window');
  }

  // ---- late records -----------------------------------------------------
  const lateOut = spec.lateOutput !== null ? ctx.openOutput(spec.lateOutput) : null;
  ctx.summary(() => lateSummary(stats, spec.lateOutput));

  // ---- output -----------------------------------------------------------
  let pending: Rec[] = [];
  const side = consumer !== null ? consumer.side : null;
  const NO_SIG = {};
  let pendingSig: unknown = NO_SIG;
  let pendingVal: unknown = undefined;
  function flush(): void {
    if (pending.length > 0) {
      const b = pending;
      pending = [];
      if (side !== null) side.current = pendingVal;
      next.push(b);
    }
    pendingSig = NO_SIG;
  }

  // ---- watermark and wall clock -----------------------------------------
  // Several files followed at once: the watermark follows the slowest source that is not idle (sources.ts).
  const sources = ctx.followSources !== undefined && ctx.followSources.length > 1 && !processing ? new SourceClocks(ctx.followSources, idle, ctx.now()) : null;
  const clock: WindowClock = {
    wm: -Infinity,
    maxTs: -Infinity,
    observe(ts: number): number {
      if (ts > clock.maxTs) clock.maxTs = ts;
      return sources === null ? ts : sources.observe(ts);
    },
  };
  let lastArrival = ctx.now();
  let lastNow = -Infinity;

  const env: WindowEnv = {
    spec,
    consumer,
    next,
    clock,
    late(rec: Rec, ts: number): void {
      stats.late++;
      if (!(ts >= stats.minLateTs!)) stats.minLateTs = ts;
      if (clock.maxTs - ts > stats.maxBehind) stats.maxBehind = clock.maxTs - ts;
      if (lateOut !== null) lateOut.write(stringifyRecord(rec) + '\n');
    },
    emit(rec: Rec): void {
      pending.push(rec);
    },
    pushTagged(rec: Rec, sig: unknown, val: unknown): void {
      if (!side!.confirmed && sig !== pendingSig) {
        flush();
        pendingSig = sig;
        pendingVal = val;
      }
      pending.push(rec);
    },
    flush,
    owns: ctx.ownsKey ?? null,
  };
  const kind: WindowKindOps = spec.kind === 'count' ? countKind(env) : spec.kind === 'session' ? sessionKind(env) : timeKind(env);

  let timerCancel: (() => void) | null = null;
  let timerAt = NaN;
  let ended = false;
  const useTimer = spec.kind !== 'count' && (processing || idle !== null) && (consumer !== null || spec.kind === 'session');

  /** Wall-clock time at which the next open window would close, or Infinity. */
  function timerTarget(): number {
    const e = kind.nextClose();
    if (e === Infinity) return Infinity;
    if (processing) return e;
    return Math.max(lastArrival + idle!, lastArrival + (e + lateness - clock.maxTs));
  }
  function schedule(): void {
    if (!useTimer || ended) return;
    const target = timerTarget();
    if (target === timerAt) return;
    if (timerCancel !== null) timerCancel();
    timerCancel = null;
    timerAt = target;
    if (target === Infinity) return;
    // A target beyond a timer's reach wakes us early: onTimer finds nothing due and schedules again.
    const delay = timerDelay(target - ctx.now());
    const cancel: () => void = ctx.every(delay, () => {
      cancel();
      if (timerCancel === cancel) {
        timerCancel = null;
        timerAt = NaN;
      }
      onTimer();
    });
    timerCancel = cancel;
  }
  function onTimer(): void {
    if (ended) return;
    const now = ctx.now();
    if (processing) {
      lastNow = Math.max(now, lastNow);
      kind.advance(lastNow);
    } else if (now - lastArrival >= idle!) {
      kind.advance(clock.maxTs + (now - lastArrival) - lateness);
    }
    flush();
    schedule();
  }

  return {
    stats,
    push(batch: Batch): void {
      const now = ctx.now();
      lastArrival = now;
      if (processing) {
        const t = Math.max(now, lastNow);
        lastNow = t;
        kind.advance(t);
        for (let i = 0; i < batch.length; i++) kind.add(batch[i]!, t);
      } else {
        if (sources !== null && batch.length > 0) sources.begin(ctx.locate(batch[0]!).source, now);
        for (let i = 0; i < batch.length; i++) {
          const rec = batch[i]!;
          const v = getTime!(rec);
          const t = parseTime!(v);
          if (t === null) {
            try {
              reject(rec, v);
            } catch (e) {
              // Under --on-error fail: what the records before it produced is written first (as before a malformed input line).
              flush();
              throw e;
            }
            continue;
          }
          stats.seen++;
          kind.add(rec, t);
        }
      }
      flush();
      schedule();
    },
    watermark(_ms: number): void {
      // The window verb makes its own watermark from the records' times.
    },
    end(): void {
      if (ended) return;
      ended = true;
      if (timerCancel !== null) timerCancel();
      timerCancel = null;
      flush();
      kind.end();
      flush();
      next.end();
    },
    snapshot(): unknown {
      // Between batches nothing is queued: every push and timer ends with a flush.
      return {
        v: STATE_VERSION,
        kind: spec.kind,
        wm: encodeTime(clock.wm),
        maxTs: encodeTime(clock.maxTs),
        lastNow: encodeTime(lastNow),
        late: stats.late,
        seen: stats.seen,
        maxBehind: stats.maxBehind,
        state: kind.snapshot(),
        ...(sources !== null ? { sources: sources.snapshot() } : {}),
      };
    },
    restore(state: unknown): void {
      const o = decodeObject(state, 'the window stage');
      want(o.v === STATE_VERSION, `version ${String(o.v)} (this sluice writes ${STATE_VERSION})`);
      want(o.kind === spec.kind, `${String(o.kind)} windows, not ${spec.kind}`);
      clock.wm = decodeTime(o.wm, 'watermark');
      clock.maxTs = decodeTime(o.maxTs, 'largest time');
      lastNow = decodeTime(o.lastNow, 'last wall-clock time');
      stats.late = decodeCount(o.late, 'late count');
      stats.seen = decodeCount(o.seen ?? 0, 'record count');
      stats.maxBehind = typeof o.maxBehind === 'number' && o.maxBehind >= 0 ? o.maxBehind : 0;
      kind.restore(o.state);
      lastArrival = ctx.now();
      if (sources !== null && o.sources !== undefined) sources.restore(o.sources, lastArrival);
      schedule();
    },
  };
}
