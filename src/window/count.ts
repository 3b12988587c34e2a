/**
 * Count windows (SPEC §4.1): per `--by` key, the key's records are numbered
 * 0, 1, 2, ... in arrival order, and its window number j holds records
 * `[j·M, j·M + N)`; M = `--every` (default N: tumbling count windows). Time
 * plays no part: nothing is late, and a window closes when its N-th record
 * arrives, or at end of input.
 *
 * `window_id` numbers the windows in the order they open, over all keys:
 * 0, 1, 2, ... (without `--by`, the key's window numbers). So an id names one
 * window of one key, and no key needs a history once its windows have closed.
 *
 * Alone, each record is written at once, once per window holding it, with
 * `window_id` (ceil(N/M) copies: at most MAX_WINDOWS_PER_RECORD, checked when
 * the stage is built). Before `agg`, each record is tagged (WINDOW_TAG) with
 * its pane (`CountPane`: records `[idx·P, (idx + 1)·P)` of its key,
 * P = gcd(N, M)), so the aggregation adds it once, to its pane, and merges
 * panes when a window closes (agg.ts, buildCountAgg); the consumer is told
 * when windows close (`WindowConsumer.closed`).
 *
 * Memory: a key's state (its record count and the ids of its open windows)
 * is dropped when its last open window closes; only keys with an open window
 * hold memory (a key with a partial window holds it until end of input).
 *
 * Under `-j` by key partitions (parallel/partitioned.ts) every thread sees
 * every record and numbers every key's windows, but writes (or aggregates)
 * only the windows of the keys it owns (WindowEnv.owns).
 *
 * State (for checkpoints): the creation counter, and per key with open
 * windows its record count, its open windows' ids and, before `agg`, the
 * consumer's state of the key (its panes).
 */
import type { Rec } from '../engine/types.js';
import { EVENT_TIME, detach, markChanged, setField } from '../engine/values.js';
import { compileKey } from './keys.js';
import type { CountPane, CountSeries, CountWindow, WindowEnv, WindowKindOps } from './kind.js';
import { gcd } from './spec.js';
import { decodeArray, decodeCount, decodeObject, decodeString, want } from './state.js';
import { WINDOW_TAG } from './tags.js';

export type { CountWindow } from './kind.js';

/** One key's count windows (see the module comment). */
interface Series extends CountSeries {
  /** Records seen. */
  count: number;
  /** Ids of the open windows, oldest first, from index `head` on. */
  ids: number[];
  head: number;
  /** Before agg: the pane the next record of this key goes to. */
  pane: CountPane | null;
  /** Whether this thread writes the key's windows (`-j` by key partitions: WindowEnv.owns); else only its count and window ids are kept. */
  own: boolean;
}

/** The count kind. */
export function countKind(env: WindowEnv): WindowKindOps {
  const { spec } = env;
  const consumer = env.consumer;
  const aggMode = consumer !== null;
  const n = spec.size;
  const m = spec.slide;
  const paneSize = gcd(n, m);
  const keyOf = compileKey(spec.by);
  const owns = env.owns;
  /** Keys with an open window. */
  const byKey = new Map<string, Series>();
  /** The next window id (windows opened so far). */
  let seq = 0;

  function newSeries(key: string, count: number): Series {
    const s: Series = { key, agg: undefined, count, ids: [], head: 0, pane: null, own: owns === null || owns(key) };
    byKey.set(key, s);
    return s;
  }
  /** The oldest open window of `s` closed: drop its id, and the key when none is left open. */
  function closeOldest(s: Series): CountWindow {
    const open = s.ids.length - s.head;
    const w: CountWindow = { id: s.ids[s.head]!, series: s, first: s.count - n };
    if (open === 1) {
      byKey.delete(s.key);
      s.ids = [];
      s.head = 0;
    } else if (++s.head >= 1024 && s.head * 2 >= s.ids.length) {
      s.ids = s.ids.slice(s.head);
      s.head = 0;
    }
    return w;
  }

  return {
    advance(): void {},
    add(rec: Rec, ts: number): void {
      const k = keyOf(rec);
      const s = byKey.get(k) ?? newSeries(detach(k), 0);
      const i = s.count++;
      if (i % m === 0) s.ids.push(seq++);
      if (!s.own) {
        // Another thread's key (-j by key partitions): its windows are numbered here too, and written there.
        if (s.count >= n && (s.count - n) % m === 0) closeOldest(s);
        return;
      }
      (rec as { [EVENT_TIME]?: number })[EVENT_TIME] = ts;
      if (aggMode) {
        let p = s.pane;
        if (i % paneSize === 0 || p === null) p = s.pane = { series: s, idx: Math.floor(i / paneSize) };
        (rec as { [WINDOW_TAG]?: unknown })[WINDOW_TAG] = p;
        env.pushTagged(rec, p, p);
      } else {
        const ids = s.ids;
        for (let j = s.head; j < ids.length; j++) {
          const out: Rec = j === ids.length - 1 ? rec : { ...rec };
          setField(out, 'window_id', ids[j]!);
          markChanged(out);
          env.emit(out);
        }
      }
      // Window (count - N) / M is full now.
      if (s.count >= n && (s.count - n) % m === 0) {
        const w = closeOldest(s);
        if (consumer !== null) {
          env.flush();
          consumer.closed([w]);
        }
      }
    },
    nextClose(): number {
      return Infinity;
    },
    end(): void {
      if (consumer === null) {
        byKey.clear();
        return;
      }
      const rest: CountWindow[] = [];
      for (const s of byKey.values()) {
        if (!s.own) continue;
        // The newest open window starts at the last multiple of M below count; the others M apart before it.
        const lastFirst = Math.floor((s.count - 1) / m) * m;
        const open = s.ids.length - s.head;
        for (let j = 0; j < open; j++) rest.push({ id: s.ids[s.head + j]!, series: s, first: lastFirst - (open - 1 - j) * m });
      }
      byKey.clear();
      rest.sort((a, b) => a.id - b.id);
      if (rest.length > 0) consumer.closed(rest);
    },
    snapshot(): unknown {
      const keys: unknown[] = [];
      for (const s of byKey.values()) {
        const o: Record<string, unknown> = { key: s.key, count: s.count, ids: s.ids.slice(s.head) };
        if (consumer !== null && consumer.windowState !== undefined) {
          const a = consumer.windowState(s);
          if (a !== undefined) o.agg = a;
        }
        keys.push(o);
      }
      return { seq, keys };
    },
    restore(state: unknown): void {
      const o = decodeObject(state, 'count windows');
      want(o.idle === undefined, 'count windows saved by an older sluice (window ids per key): remove the checkpoint to start afresh');
      seq = decodeCount(o.seq, 'seq');
      byKey.clear();
      for (const v of decodeArray(o.keys, 'keys')) {
        const ko = decodeObject(v, 'a key');
        const key = decodeString(ko.key, 'key');
        want(!byKey.has(key), 'a key appears twice');
        const s = newSeries(key, decodeCount(ko.count, 'count'));
        for (const id of decodeArray(ko.ids, 'open windows')) s.ids.push(decodeCount(id, 'window id'));
        const open = s.ids.length;
        // Open windows: those whose first record j·M is below count and whose last is not yet seen.
        const expected = s.count === 0 ? 0 : Math.floor((s.count - 1) / m) - Math.max(0, Math.floor((s.count - n) / m) + 1) + 1;
        want(open >= 1 && open === expected, 'a key has a wrong number of open count windows');
        for (let j = 1; j < open; j++) want(s.ids[j]! > s.ids[j - 1]! && s.ids[j]! < seq, 'count window ids out of order');
        want(s.ids[0]! < seq, 'a count window id is not below the counter');
        if (aggMode && s.count % paneSize !== 0) s.pane = { series: s, idx: Math.floor((s.count - 1) / paneSize) };
        if (aggMode && ko.agg !== undefined) {
          want(consumer!.restoreWindow !== undefined, 'the aggregation cannot restore count windows');
          consumer!.restoreWindow!(s, ko.agg);
        }
      }
    },
  };
}
