/**
 * Tumbling and sliding windows on event or processing time (SPEC §4.1).
 *
 * Assignment follows Flink's `SlidingEventTimeWindows`: the windows holding
 * `ts` are those with `start ≡ offset (mod slide)` and
 * `ts − size < start ≤ ts`; tumbling windows are the case slide = size. A
 * window's bounds are a function of the time alone, so this kind never holds
 * a record: alone it writes each record at once, once per window still open
 * (with `window_start`, `window_end`); before `agg` it tags the record with
 * its time and lets the windowed aggregation (agg.ts) place it.
 *
 * Closing: the watermark closes every window whose end is at or before it;
 * downstream learns it through `next.watermark(wm)`, sent once each time the
 * watermark crosses a window end, after the records that came before.
 *
 * State (for checkpoints): the next window end the watermark must reach, and
 * the end of the latest window holding a record (to know when nothing is open
 * and no timer is needed).
 */
import type { Rec } from '../engine/types.js';
import { EVENT_TIME, markChanged, setField } from '../engine/values.js';
import { isoString } from '../time/parse.js';
import type { WindowEnv, WindowKindOps } from './kind.js';
import { windowCalendar } from './calendar.js';
import { floorMod, gcd, isCalendar, nextWindowEnd } from './spec.js';
import { decodeObject, decodeTime, encodeTime } from './state.js';

/** The tumbling/sliding kind. */
export function timeKind(env: WindowEnv): WindowKindOps {
  const { spec, next, clock } = env;
  const aggMode = env.consumer !== null;
  const size = spec.size;
  const slide = spec.slide;
  const offset = spec.offset;
  const lateness = spec.lateness;
  const tumbling = size === slide;
  const pane = gcd(size, slide);
  /** --tz or a calendar size (tumbling only): bounds from calendar.ts instead of arithmetic. */
  const cal = isCalendar(spec) ? windowCalendar(size, spec.months ?? 0, offset, spec.tz ?? null) : null;
  const nextEnd = (t: number): number => (cal !== null ? cal.endOf(cal.startOf(t)) : nextWindowEnd(t, offset, size, slide));
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
    if (c > clock.wm) {
      clock.wm = c;
      if (c >= nextBoundary) {
        env.flush();
        next.watermark(c);
        nextBoundary = nextEnd(c);
      }
    }
  }

  return {
    advance,
    add(rec: Rec, ts: number): void {
      const ls = cal !== null ? cal.startOf(ts) : ts - floorMod(ts - offset, slide);
      const lastEnd = cal !== null ? cal.endOf(ls) : ls + size;
      const wm = clock.wm;
      if (lastEnd <= wm) {
        env.late(rec, ts);
        return;
      }
      (rec as { [EVENT_TIME]?: number })[EVENT_TIME] = ts;
      if (aggMode) {
        // Records of one pane belong to the same windows: any of their times stands for all.
        env.pushTagged(rec, cal !== null ? ls : Math.floor((ts - offset) / pane), ts);
      } else if (tumbling) {
        if (ls !== cStart) {
          cStart = ls;
          cS = isoString(ls);
          cE = isoString(lastEnd);
        }
        setField(rec, 'window_start', cS);
        setField(rec, 'window_end', cE);
        markChanged(rec);
        env.emit(rec);
      } else {
        // Every window holding ts whose end is past the watermark, oldest first.
        let s0 = ls;
        while (s0 - slide > ts - size && s0 - slide + size > wm) s0 -= slide;
        for (let s = s0; s < ls; s += slide) {
          const out: Rec = { ...rec };
          setField(out, 'window_start', iso(s));
          setField(out, 'window_end', iso(s + size));
          markChanged(out);
          env.emit(out);
        }
        setField(rec, 'window_start', iso(ls));
        setField(rec, 'window_end', iso(lastEnd));
        markChanged(rec);
        env.emit(rec);
      }
      if (lastEnd > lastDataEnd) lastDataEnd = lastEnd;
      advance(clock.observe(ts) - lateness);
    },
    nextClose(): number {
      if (clock.wm >= lastDataEnd) return Infinity;
      return nextEnd(clock.wm);
    },
    end(): void {},
    snapshot(): unknown {
      return { nextBoundary: encodeTime(nextBoundary), lastDataEnd: encodeTime(lastDataEnd) };
    },
    restore(state: unknown): void {
      const o = decodeObject(state, 'time windows');
      nextBoundary = decodeTime(o.nextBoundary, 'nextBoundary');
      lastDataEnd = decodeTime(o.lastDataEnd, 'lastDataEnd');
    },
  };
}
