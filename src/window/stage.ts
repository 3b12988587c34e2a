/**
 * The `window` stage: reads each record's time, keeps the watermark, finds
 * late records, and either
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
 * seen minus `--lateness`. A window closes when the watermark reaches its end.
 * A record whose every window has closed when it arrives is late: it is
 * counted, written to `--late-output`, and left out.
 *
 * Downstream sees the watermark through `Stage.watermark` each time it crosses
 * a window end; records that arrived before the crossing are pushed first, so
 * a downstream aggregation closes exactly the windows the watermark closed
 * here, at the same point of the stream.
 */
import type { Batch, PipelineContext, Rec, Stage } from '../engine/types.js';
import { EVENT_TIME, detach, markChanged, pathGetter, rawOf, setField, stringifyRecord, textOf } from '../engine/values.js';
import { compileTimeParser, isoString } from '../time/parse.js';
import { timerDelay } from '../time/timer.js';
import { MinHeap } from './heap.js';
import { compileKey } from './keys.js';
import { type WindowSpec, floorMod, gcd, nextWindowEnd } from './spec.js';
import { WINDOW_TAG } from './tags.js';

/**
 * An open session window of one `--by` key: `[start, end)` where end is the
 * last event time plus the gap. When a record bridges two sessions they merge:
 * the later-starting one points to the earlier via `mergedInto`.
 */
export interface Session {
  start: number;
  end: number;
  /** The `--by` key text. */
  readonly key: string;
  /** Creation order of its oldest part (ties in the output order: first appearance). */
  seq: number;
  mergedInto: Session | null;
  closed: boolean;
  /** Alone: the records held until the session closes, and their arrival numbers. */
  recs: Rec[] | null;
  seqs: number[] | null;
  /** For the windowed aggregation's per-session state. */
  agg: unknown;
}

/** A count window: records `[id·M, id·M + N)` of one `--by` key. */
export interface CountWindow {
  /** The window's number within its key: 0, 1, 2, ... */
  readonly id: number;
  readonly key: string;
  /** Creation order across keys. */
  readonly seq: number;
  /** Records still needed to fill it. */
  remaining: number;
  /** For the windowed aggregation's state. */
  agg: unknown;
}

/** The session a (possibly merged) session now belongs to, with path compression. */
export function sessionRoot(s: Session): Session {
  let r = s;
  while (r.mergedInto !== null) r = r.mergedInto;
  while (s.mergedInto !== null && s.mergedInto !== r) {
    const n = s.mergedInto;
    s.mergedInto = r;
    s = n;
  }
  return r;
}

/**
 * A windowed aggregation downstream, told directly about what the watermark
 * cannot say: session merges, and the closing of session and count windows.
 * Calls come after every record tagged for those windows has been pushed.
 */
export interface WindowConsumer {
  /**
   * The side channel for records that lost their tags on the way (a
   * record-wise verb between window and agg that builds new records without
   * carrying EVENT_TIME / WINDOW_TAG). Until the consumer has seen one tagged
   * record (`confirmed`), the window stage pushes sub-batches whose records
   * share one window assignment and sets `current` to it (the event time of
   * one of them, the session, or the count windows) before each push;
   * record-wise stages pass records on synchronously, so the consumer can read
   * it for an untagged record.
   */
  readonly side: WindowSideChannel;
  /** `from` was merged into `into` (both open sessions of one key). */
  sessionMerged(into: Session, from: Session): void;
  /** These windows closed, in output order (end, then start; count windows in closing order). */
  closed(windows: readonly (Session | CountWindow)[]): void;
}

/** See WindowConsumer.side. */
export interface WindowSideChannel {
  current: unknown;
  confirmed: boolean;
}

/** Counts of what the stage left out, for tests and the exit summary. */
export interface WindowStats {
  late: number;
}

/**
 * Build the window stage.
 * @param spec     the parsed verb
 * @param consumer the windowed aggregation downstream, or null when `window` stands alone
 * @param next     the downstream stage
 * @param ctx      pipeline context (clock, timers, errors, --late-output, summary)
 */
export function buildWindowStage(spec: WindowSpec, consumer: WindowConsumer | null, next: Stage, ctx: PipelineContext): Stage & { stats: WindowStats } {
  const aggMode = consumer !== null;
  const stats: WindowStats = { late: 0 };
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
  function late(rec: Rec): void {
    stats.late++;
    if (lateOut !== null) lateOut.write(stringifyRecord(rec) + '\n');
  }
  ctx.summary(() => {
    if (stats.late === 0) return undefined;
    const n = `${stats.late} late record${stats.late === 1 ? '' : 's'}`;
    return spec.lateOutput !== null ? `window: ${n} written to ${spec.lateOutput}` : `window: ${n} left out (keep them with --late-output FILE)`;
  });

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
  /**
   * Queue a tagged record for the consumer. Until the consumer confirms that
   * tags arrive, records of different assignments (`sig`) go in separate
   * pushes, with `val` on the side channel (see WindowConsumer.side).
   */
  function pushTagged(rec: Rec, sig: unknown, val: unknown): void {
    if (!side!.confirmed && sig !== pendingSig) {
      flush();
      pendingSig = sig;
      pendingVal = val;
    }
    pending.push(rec);
  }

  // ---- watermark and wall clock -----------------------------------------
  let wm = -Infinity;
  let maxTs = -Infinity;
  let lastArrival = ctx.now();
  let lastNow = -Infinity;

  const kind = spec.kind === 'count' ? countKind() : spec.kind === 'session' ? sessionKind() : timeKind();

  let timerCancel: (() => void) | null = null;
  let timerAt = NaN;
  let ended = false;
  const useTimer = spec.kind !== 'count' && (processing || idle !== null) && (aggMode || spec.kind === 'session');

  /** Wall-clock time at which the next open window would close, or Infinity. */
  function timerTarget(): number {
    const e = kind.nextClose();
    if (e === Infinity) return Infinity;
    if (processing) return e;
    return Math.max(lastArrival + idle!, lastArrival + (e + lateness - maxTs));
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
      kind.advance(maxTs + (now - lastArrival) - lateness);
    }
    flush();
    schedule();
  }

  const stage = {
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
        for (let i = 0; i < batch.length; i++) {
          const rec = batch[i]!;
          const v = getTime!(rec);
          const t = parseTime!(v);
          if (t === null) {
            reject(rec, v);
            continue;
          }
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
  };
  return stage;

  // =======================================================================
  // Tumbling and sliding windows
  // =======================================================================
  function timeKind() {
    const size = spec.size;
    const slide = spec.slide;
    const offset = spec.offset;
    const tumbling = size === slide;
    const pane = gcd(size, slide);
    let nextBoundary = -Infinity;
    /** The end of the latest window holding a record, to know when nothing is open. */
    let lastDataEnd = -Infinity;
    const isoCache = new Map<number, string>();
    function iso(ms: number): string {
      let s = isoCache.get(ms);
      if (s === undefined) {
        if (isoCache.size >= 4096) isoCache.clear();
        s = isoString(ms);
        isoCache.set(ms, s);
      }
      return s;
    }
    let cStart = NaN;
    let cS = '';
    let cE = '';

    function advance(c: number): void {
      if (c > wm) {
        wm = c;
        if (wm >= nextBoundary) {
          flush();
          next.watermark(wm);
          nextBoundary = nextWindowEnd(wm, offset, size, slide);
        }
      }
    }
    return {
      advance,
      add(rec: Rec, ts: number): void {
        const ls = ts - floorMod(ts - offset, slide);
        const lastEnd = ls + size;
        if (lastEnd <= wm) {
          late(rec);
          return;
        }
        (rec as { [EVENT_TIME]?: number })[EVENT_TIME] = ts;
        if (aggMode) {
          // Records of one pane belong to the same windows: any of their times stands for all.
          pushTagged(rec, Math.floor((ts - offset) / pane), ts);
        } else if (tumbling) {
          if (ls !== cStart) {
            cStart = ls;
            cS = isoString(ls);
            cE = isoString(lastEnd);
          }
          setField(rec, 'window_start', cS);
          setField(rec, 'window_end', cE);
          markChanged(rec);
          pending.push(rec);
        } else {
          // Every window holding ts whose end is past the watermark, oldest first.
          let s0 = ls;
          while (s0 - slide > ts - size && s0 - slide + size > wm) s0 -= slide;
          for (let s = s0; s < ls; s += slide) {
            const out: Rec = { ...rec };
            setField(out, 'window_start', iso(s));
            setField(out, 'window_end', iso(s + size));
            markChanged(out);
            pending.push(out);
          }
          setField(rec, 'window_start', iso(ls));
          setField(rec, 'window_end', iso(lastEnd));
          markChanged(rec);
          pending.push(rec);
        }
        if (lastEnd > lastDataEnd) lastDataEnd = lastEnd;
        if (ts > maxTs) maxTs = ts;
        advance(ts - lateness);
      },
      nextClose(): number {
        if (wm >= lastDataEnd) return Infinity;
        return nextWindowEnd(wm, offset, size, slide);
      },
      end(): void {},
    };
  }

  // =======================================================================
  // Session windows
  // =======================================================================
  function sessionKind() {
    const gap = spec.size;
    const keyOf = compileKey(spec.by);
    /** Open sessions per key, sorted by start (usually one). */
    const byKey = new Map<string, Session[]>();
    const heap = new MinHeap<Session>();
    let seq = 0;
    let arrival = 0;

    function emit(s: Session): void {
      const recs = s.recs!;
      const ws = isoString(s.start);
      const we = isoString(s.end);
      let order = recs;
      if (s.seqs !== null && !isSorted(s.seqs)) {
        const idx = s.seqs.map((_, i) => i).sort((a, b) => s.seqs![a]! - s.seqs![b]!);
        order = idx.map((i) => recs[i]!);
      }
      for (const rec of order) {
        setField(rec, 'window_start', ws);
        setField(rec, 'window_end', we);
        markChanged(rec);
        pending.push(rec);
      }
      s.recs = null;
      s.seqs = null;
    }

    function closeUpTo(limit: number): void {
      const closing: Session[] = [];
      while (heap.size > 0 && heap.peekKey() <= limit) {
        const s = heap.pop()!;
        if (s.closed || s.mergedInto !== null) continue;
        if (s.end > limit) {
          heap.push(s.end, s);
          continue;
        }
        s.closed = true;
        closing.push(s);
      }
      if (closing.length === 0) return;
      closing.sort((a, b) => a.end - b.end || a.start - b.start || a.seq - b.seq);
      for (const s of closing) {
        const list = byKey.get(s.key)!;
        const i = list.indexOf(s);
        list.splice(i, 1);
        if (list.length === 0) byKey.delete(s.key);
      }
      flush();
      if (aggMode) consumer!.closed(closing);
      else {
        for (const s of closing) emit(s);
        flush();
      }
    }

    function advance(c: number): void {
      if (c > wm) {
        wm = c;
        if (heap.peekKey() <= wm) {
          closeUpTo(wm);
          flush();
          next.watermark(wm);
        }
      }
    }

    return {
      advance,
      add(rec: Rec, ts: number): void {
        const k = keyOf(rec);
        let list = byKey.get(k);
        const tEnd = ts + gap;
        // Sessions this record's window [ts, ts + gap) touches (Flink's TimeWindow.intersects: inclusive).
        let first = -1;
        let last = -1;
        if (list !== undefined) {
          for (let i = 0; i < list.length; i++) {
            const s = list[i]!;
            if (ts <= s.end && tEnd >= s.start) {
              if (first < 0) first = i;
              last = i;
            } else if (s.start > tEnd) break;
          }
        }
        let s: Session;
        if (first < 0) {
          if (tEnd <= wm) {
            late(rec);
            return;
          }
          s = {
            start: ts,
            end: tEnd,
            key: list === undefined ? detach(k) : list[0]!.key,
            seq: seq++,
            mergedInto: null,
            closed: false,
            recs: aggMode ? null : [],
            seqs: aggMode ? null : [],
            agg: undefined,
          };
          if (list === undefined) {
            list = [s];
            byKey.set(s.key, list);
          } else {
            let i = list.length;
            while (i > 0 && list[i - 1]!.start > ts) i--;
            list.splice(i, 0, s);
          }
          heap.push(s.end, s);
        } else {
          s = list![first]!;
          if (ts < s.start) s.start = ts;
          if (tEnd > s.end) s.end = tEnd;
          if (last > first) {
            const gone = list!.splice(first + 1, last - first);
            for (const o of gone) {
              if (o.end > s.end) s.end = o.end;
              if (o.seq < s.seq) s.seq = o.seq;
              o.mergedInto = s;
              if (aggMode) consumer!.sessionMerged(s, o);
              else {
                mergeByArrival(s, o);
              }
            }
          }
        }
        (rec as { [EVENT_TIME]?: number })[EVENT_TIME] = ts;
        if (aggMode) {
          (rec as { [WINDOW_TAG]?: unknown })[WINDOW_TAG] = s;
          pushTagged(rec, s, s);
        } else {
          s.recs!.push(rec);
          s.seqs!.push(arrival++);
        }
        if (ts > maxTs) maxTs = ts;
        advance(ts - lateness);
      },
      nextClose(): number {
        // The heap's smallest key may be stale (a session that grew): pop and re-push until it is real.
        for (;;) {
          if (heap.size === 0) return Infinity;
          const k = heap.peekKey();
          const s = heap.pop()!;
          if (s.closed || s.mergedInto !== null) continue;
          heap.push(s.end, s);
          if (s.end === k) return k;
        }
      },
      end(): void {
        closeUpTo(Infinity);
        byKey.clear();
        heap.clear();
      },
    };
  }

  // =======================================================================
  // Count windows
  // =======================================================================
  function countKind() {
    const n = spec.size;
    const m = spec.slide;
    const keyOf = compileKey(spec.by);
    interface KeyState {
      count: number;
      open: CountWindow[];
      key: string;
    }
    const byKey = new Map<string, KeyState>();
    let seq = 0;
    return {
      advance(): void {},
      add(rec: Rec, ts: number): void {
        const k = keyOf(rec);
        let ks = byKey.get(k);
        if (ks === undefined) {
          ks = { count: 0, open: [], key: detach(k) };
          byKey.set(ks.key, ks);
        }
        const i = ks.count++;
        if (i % m === 0) ks.open = [...ks.open, { id: i / m, key: ks.key, seq: seq++, remaining: n, agg: undefined }];
        const open = ks.open;
        (rec as { [EVENT_TIME]?: number })[EVENT_TIME] = ts;
        if (aggMode) {
          (rec as { [WINDOW_TAG]?: unknown })[WINDOW_TAG] = open;
          pushTagged(rec, open, open);
        } else {
          for (let j = 0; j < open.length; j++) {
            const out: Rec = j === open.length - 1 ? rec : { ...rec };
            setField(out, 'window_id', open[j]!.id);
            markChanged(out);
            pending.push(out);
          }
        }
        let full = 0;
        for (let j = 0; j < open.length; j++) if (--open[j]!.remaining === 0) full++;
        if (full > 0) {
          const done = open.slice(0, full);
          ks.open = open.slice(full);
          if (aggMode) {
            flush();
            consumer!.closed(done);
          }
        }
      },
      nextClose(): number {
        return Infinity;
      },
      end(): void {
        if (!aggMode) return;
        const rest: CountWindow[] = [];
        for (const ks of byKey.values()) for (const w of ks.open) rest.push(w);
        rest.sort((a, b) => a.seq - b.seq);
        byKey.clear();
        if (rest.length > 0) consumer!.closed(rest);
      },
    };
  }
}

function isSorted(a: number[]): boolean {
  for (let i = 1; i < a.length; i++) if (a[i]! < a[i - 1]!) return false;
  return true;
}

/** Merge the held records of session `o` into `s`, keeping both lists' arrival numbers. */
function mergeByArrival(s: Session, o: Session): void {
  s.recs!.push(...o.recs!);
  s.seqs!.push(...o.seqs!);
  o.recs = null;
  o.seqs = null;
}
