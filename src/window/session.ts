/**
 * Session windows (SPEC §4.1): per `--by` key, events at most GAP apart share
 * a session, whose window is `[first ts, last ts + GAP)`.
 *
 * Assignment follows Flink's merging windows (`EventTimeSessionWindows`): a
 * record opens the proto-window `[ts, ts + GAP)`, which merges with every
 * open session of its key it touches (`TimeWindow.intersects`, inclusive: two
 * events exactly GAP apart share a session). A record that bridges two
 * sessions merges them: the later-starting one points to the earlier via
 * `mergedInto`, and a consumer is told (`sessionMerged`).
 *
 * Closing: a session closes once the watermark has passed its end. A record
 * is late when it would open a new session that the watermark has already
 * passed; a record joining an open session is never late.
 *
 * Alone, a session's bounds are known only when it closes, so its records are
 * held (with their arrival numbers, to write them in arrival order) until
 * then. Before `agg`, records are tagged with their session (WINDOW_TAG) and
 * the windowed aggregation keeps its groups on the session object (`agg`).
 *
 * State (for checkpoints): the open sessions with their bounds, key and
 * creation number; alone their records, before `agg` the consumer's state of
 * each (`WindowConsumer.windowState`); and the two counters.
 */
import type { Rec } from '../engine/types.js';
import { EVENT_TIME, detach, markChanged, setField } from '../engine/values.js';
import { isoString } from '../time/parse.js';
import { MinHeap } from './heap.js';
import { compileKey } from './keys.js';
import type { Session, WindowEnv, WindowKindOps } from './kind.js';
import { decodeArray, decodeCount, decodeObject, decodeRecord, decodeString, decodeTime, encodeRecord, want } from './state.js';
import { WINDOW_TAG } from './tags.js';

export type { Session } from './kind.js';
export { sessionRoot } from './kind.js';

/** The session kind. */
export function sessionKind(env: WindowEnv): WindowKindOps {
  const { spec, next, clock } = env;
  const consumer = env.consumer;
  const aggMode = consumer !== null;
  const gap = spec.size;
  const lateness = spec.lateness;
  const keyOf = compileKey(spec.by);
  /** Open sessions per key, sorted by start (usually one). */
  const byKey = new Map<string, Session[]>();
  const heap = new MinHeap<Session>();
  let seq = 0;
  let arrival = 0;

  function newSession(start: number, end: number, key: string, sq: number): Session {
    return { start, end, key, seq: sq, mergedInto: null, closed: false, recs: aggMode ? null : [], seqs: aggMode ? null : [], agg: undefined };
  }

  /** Write a closed session's held records (alone), in arrival order. */
  function emitHeld(s: Session): void {
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
      env.emit(rec);
    }
    s.recs = null;
    s.seqs = null;
  }

  /**
   * Close every session whose end is before `limit` (the watermark has passed
   * it: an event at exactly the end could still join it), in output order.
   * Returns whether a session closed. Heap keys may be stale (a session that
   * grew keeps its old, smaller key until popped), so the answer is read from
   * the sessions themselves, never from the heap's smallest key: what the
   * stage does must not depend on heap history, which a checkpoint does not
   * keep (a restored heap holds only real keys).
   */
  function closeBefore(limit: number): boolean {
    const closing: Session[] = [];
    while (heap.size > 0 && heap.peekKey() < limit) {
      const s = heap.pop()!;
      if (s.closed || s.mergedInto !== null) continue;
      if (s.end >= limit) {
        heap.push(s.end, s);
        continue;
      }
      s.closed = true;
      closing.push(s);
    }
    if (closing.length === 0) return false;
    closing.sort((a, b) => a.end - b.end || a.start - b.start || a.seq - b.seq);
    for (const s of closing) {
      const list = byKey.get(s.key)!;
      const i = list.indexOf(s);
      list.splice(i, 1);
      if (list.length === 0) byKey.delete(s.key);
    }
    env.flush();
    if (consumer !== null) consumer.closed(closing);
    else {
      for (const s of closing) emitHeld(s);
      env.flush();
    }
    return true;
  }

  /**
   * The watermark moves to `c`: close the sessions it passed, and tell
   * downstream (`next.watermark`) only when one closed, so that downstream
   * sees the same watermarks whether or not the run was restored from a
   * checkpoint (`agg --partial` writes each one as a control record).
   */
  function advance(c: number): void {
    if (c > clock.wm) {
      clock.wm = c;
      if (heap.peekKey() < c && closeBefore(c)) {
        env.flush();
        next.watermark(c);
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
        // A new session [ts, ts + gap) is late only if the watermark has passed its end.
        if (tEnd < clock.wm) {
          env.late(rec, ts);
          return;
        }
        s = newSession(ts, tEnd, list === undefined ? detach(k) : list[0]!.key, seq++);
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
            if (consumer !== null) consumer.sessionMerged(s, o);
            else {
              s.recs!.push(...o.recs!);
              s.seqs!.push(...o.seqs!);
              o.recs = null;
              o.seqs = null;
            }
          }
        }
      }
      (rec as { [EVENT_TIME]?: number })[EVENT_TIME] = ts;
      if (aggMode) {
        (rec as { [WINDOW_TAG]?: unknown })[WINDOW_TAG] = s;
        env.pushTagged(rec, s, s);
      } else {
        s.recs!.push(rec);
        s.seqs!.push(arrival++);
      }
      advance(clock.observe(ts) - lateness);
    },
    nextClose(): number {
      // The smallest open session end closes once the watermark passes it:
      // at the next millisecond. The heap's smallest key may be stale (a
      // session that grew): pop and re-push until it is real.
      for (;;) {
        if (heap.size === 0) return Infinity;
        const k = heap.peekKey();
        const s = heap.pop()!;
        if (s.closed || s.mergedInto !== null) continue;
        heap.push(s.end, s);
        if (s.end === k) return k + 1;
      }
    },
    end(): void {
      closeBefore(Infinity);
      byKey.clear();
      heap.clear();
    },
    snapshot(): unknown {
      const sessions: unknown[] = [];
      for (const list of byKey.values()) {
        for (const s of list) {
          const o: Record<string, unknown> = { start: s.start, end: s.end, key: s.key, seq: s.seq };
          if (s.recs !== null) {
            o.recs = s.recs.map(encodeRecord);
            o.seqs = s.seqs!.slice();
          }
          if (consumer !== null && consumer.windowState !== undefined) {
            const a = consumer.windowState(s);
            if (a !== undefined) o.agg = a;
          }
          sessions.push(o);
        }
      }
      return { seq, arrival, sessions };
    },
    restore(state: unknown): void {
      const o = decodeObject(state, 'session windows');
      seq = decodeCount(o.seq, 'seq');
      arrival = decodeCount(o.arrival, 'arrival');
      byKey.clear();
      heap.clear();
      for (const v of decodeArray(o.sessions, 'sessions')) {
        const so = decodeObject(v, 'a session');
        const s = newSession(decodeTime(so.start, 'session start'), decodeTime(so.end, 'session end'), decodeString(so.key, 'session key'), decodeCount(so.seq, 'session seq'));
        want(s.start < s.end, 'a session ends before it starts');
        if (!aggMode) {
          const recs = decodeArray(so.recs, 'session records');
          const seqs = decodeArray(so.seqs, 'session arrival numbers');
          want(recs.length === seqs.length, 'session records and arrival numbers differ in number');
          s.recs = recs.map(decodeRecord);
          s.seqs = seqs.map((x) => decodeCount(x, 'an arrival number'));
        } else if (so.agg !== undefined) {
          want(consumer!.restoreWindow !== undefined, 'the aggregation cannot restore sessions');
          consumer!.restoreWindow!(s, so.agg);
        }
        let list = byKey.get(s.key);
        if (list === undefined) byKey.set(s.key, (list = []));
        let i = list.length;
        while (i > 0 && list[i - 1]!.start > s.start) i--;
        list.splice(i, 0, s);
        heap.push(s.end, s);
      }
    },
  };
}

function isSorted(a: number[]): boolean {
  for (let i = 1; i < a.length; i++) if (a[i]! < a[i - 1]!) return false;
  return true;
}
