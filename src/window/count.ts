/**
 * Count windows (SPEC §4.1): per `--by` key, window `id` holds that key's
 * records `[id·M, id·M + N)` (0-based, in arrival order); M = `--every`
 * (default N: tumbling count windows). Time plays no part: nothing is late,
 * and a window closes when its N-th record arrives, or at end of input.
 *
 * Alone, each record is written at once, once per window holding it, with
 * `window_id`. Before `agg`, each record is tagged (WINDOW_TAG) with the
 * array of its key's open windows, and the consumer is told when windows
 * close (`WindowConsumer.closed`).
 *
 * Memory: a key's window list is freed when its last open window closes;
 * only its record count stays (so its window ids go on when it comes back).
 *
 * State (for checkpoints): per key with open windows, its record count and
 * open windows (id, creation number, records still needed, and before `agg`
 * the consumer's state of each); the counts of the other keys; and the
 * creation counter.
 */
import type { Rec } from '../engine/types.js';
import { EVENT_TIME, detach, markChanged, setField } from '../engine/values.js';
import { compileKey } from './keys.js';
import type { CountWindow, WindowEnv, WindowKindOps } from './kind.js';
import { decodeArray, decodeCount, decodeObject, decodeString, want } from './state.js';
import { WINDOW_TAG } from './tags.js';

export type { CountWindow } from './kind.js';

/** The count kind. */
export function countKind(env: WindowEnv): WindowKindOps {
  const { spec } = env;
  const consumer = env.consumer;
  const aggMode = consumer !== null;
  const n = spec.size;
  const m = spec.slide;
  const keyOf = compileKey(spec.by);
  interface KeyState {
    count: number;
    open: CountWindow[];
    key: string;
  }
  /** Keys with an open window. */
  const byKey = new Map<string, KeyState>();
  /**
   * Keys whose windows have all closed: only their record count is kept (a
   * number, not a state object and its window list), so that their window
   * ids go on (0, 1, 2, ... per key) when they come back.
   */
  const idle = new Map<string, number>();
  let seq = 0;
  return {
    advance(): void {},
    add(rec: Rec, ts: number): void {
      const k = keyOf(rec);
      let ks = byKey.get(k);
      if (ks === undefined) {
        const seen = idle.get(k);
        const key = detach(k);
        if (seen !== undefined) idle.delete(key);
        ks = { count: seen ?? 0, open: [], key };
        byKey.set(key, ks);
      }
      const i = ks.count++;
      if (i % m === 0) ks.open = [...ks.open, { id: i / m, key: ks.key, seq: seq++, remaining: n, agg: undefined }];
      const open = ks.open;
      (rec as { [EVENT_TIME]?: number })[EVENT_TIME] = ts;
      if (aggMode) {
        (rec as { [WINDOW_TAG]?: unknown })[WINDOW_TAG] = open;
        env.pushTagged(rec, open, open);
      } else {
        for (let j = 0; j < open.length; j++) {
          const out: Rec = j === open.length - 1 ? rec : { ...rec };
          setField(out, 'window_id', open[j]!.id);
          markChanged(out);
          env.emit(out);
        }
      }
      let full = 0;
      for (let j = 0; j < open.length; j++) if (--open[j]!.remaining === 0) full++;
      if (full > 0) {
        const done = open.slice(0, full);
        ks.open = open.slice(full);
        if (ks.open.length === 0) {
          // Free the key's state: the next record of it opens a new window anyway.
          byKey.delete(ks.key);
          idle.set(ks.key, ks.count);
        }
        if (consumer !== null) {
          env.flush();
          consumer.closed(done);
        }
      }
    },
    nextClose(): number {
      return Infinity;
    },
    end(): void {
      if (consumer === null) return;
      const rest: CountWindow[] = [];
      for (const ks of byKey.values()) for (const w of ks.open) rest.push(w);
      rest.sort((a, b) => a.seq - b.seq);
      byKey.clear();
      if (rest.length > 0) consumer.closed(rest);
    },
    snapshot(): unknown {
      const keys: unknown[] = [];
      for (const ks of byKey.values()) {
        const open = ks.open.map((w) => {
          const o: Record<string, unknown> = { id: w.id, seq: w.seq, remaining: w.remaining };
          if (consumer !== null && consumer.windowState !== undefined) {
            const a = consumer.windowState(w);
            if (a !== undefined) o.agg = a;
          }
          return o;
        });
        keys.push({ key: ks.key, count: ks.count, open });
      }
      return { seq, keys, idle: [...idle] };
    },
    restore(state: unknown): void {
      const o = decodeObject(state, 'count windows');
      seq = decodeCount(o.seq, 'seq');
      byKey.clear();
      idle.clear();
      for (const v of decodeArray(o.idle, 'idle keys')) {
        const a = decodeArray(v, 'an idle key');
        want(a.length === 2, 'an idle key is not [key, count]');
        idle.set(decodeString(a[0], 'key'), decodeCount(a[1], 'count'));
      }
      for (const v of decodeArray(o.keys, 'keys')) {
        const ko = decodeObject(v, 'a key');
        const key = decodeString(ko.key, 'key');
        const ks: KeyState = { key, count: decodeCount(ko.count, 'count'), open: [] };
        for (const wv of decodeArray(ko.open, 'open windows')) {
          const wo = decodeObject(wv, 'a count window');
          const w: CountWindow = { id: decodeCount(wo.id, 'window id'), key, seq: decodeCount(wo.seq, 'window seq'), remaining: decodeCount(wo.remaining, 'remaining'), agg: undefined };
          want(w.remaining >= 1 && w.remaining <= n, 'a count window needs a bad number of records');
          if (aggMode && wo.agg !== undefined) {
            want(consumer!.restoreWindow !== undefined, 'the aggregation cannot restore count windows');
            consumer!.restoreWindow!(w, wo.agg);
          }
          ks.open.push(w);
        }
        byKey.set(key, ks);
      }
    },
  };
}
