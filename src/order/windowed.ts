/**
 * Per-window operation of the ordering verbs (`sort`, `top`, `uniq`, `tail`,
 * `sample`) after a `window` verb: the verb keeps one state per window and
 * writes it when the window closes, not at end of input (Flink's Window Top-N).
 *
 * Two places a verb can stand (with only record-wise verbs between):
 * - after `window ... then agg` (mode `agg`): the windowed aggregation pushes
 *   each window's groups in one batch, when the window closes, so every window
 *   in a batch is complete: the verb writes them at the end of that push.
 * - after `window` alone (mode `alone`, tumbling, sliding or session): records
 *   come as they arrive, each with window_start/window_end; a window is
 *   complete once the watermark (passed on by `window` when it crosses a
 *   window's end) reaches its end.
 *
 * A record is placed in its window by its `window_start`/`window_end` (or
 * `window_id`) fields; one without them (removed by a `select` between) is an
 * error rather than a silently wrong ranking.
 */
import type { Batch, PipelineContext, Rec, Stage, VerbInstance } from '../engine/types.js';
import { arrayTaker, writeBurst } from './burst.js';
import { RuntimeError, UsageError } from '../engine/errors.js';
import { fieldGetter, textOf } from '../engine/values.js';
import { findUpstreamWindow } from '../window/link.js';
import { isWindowInstance } from '../window/instance.js';
import { RecordCodec, openVerbState, stateArray, stateString, verbState } from '../state/records.js';
import { decodeCount, stateError } from '../state/codec.js';

/** Where the windows come from: a windowed `agg`, or `window` alone; null when the verb is not per window. */
export type WindowMode = 'agg' | 'alone' | null;

/**
 * The window mode of verb `plan.index`: looks upstream past record-wise verbs
 * for a windowed `agg` or a `window` verb.
 * @throws UsageError after `window count` alone (a count window's end cannot be known from its records)
 */
export function windowModeOf(verb: string, plan: { verbs: VerbInstance[]; index: number }): WindowMode {
  for (let i = plan.index - 1; i >= 0; i--) {
    const v = plan.verbs[i]!;
    if (v.name === 'agg') return findUpstreamWindow({ verbs: plan.verbs, index: i }) !== undefined ? 'agg' : null;
    if (isWindowInstance(v)) {
      if (v.windowSpec.kind === 'count') {
        throw new UsageError(`${verb}: after 'window count' put agg between (window count N then agg ... then ${verb}), or ${verb} before window`);
      }
      return 'alone';
    }
    if (!v.recordWise) return null;
  }
  return null;
}

/** What a per-window verb does with one window's records. */
export interface WindowOps<S> {
  create(): S;
  add(state: S, rec: Rec): void;
  /** Append the window's output to `out`. */
  flush(state: S, out: Rec[]): void;
  /**
   * For checkpoints: the state as a JSON-serialisable value, records as
   * record lines of `codec` (src/state/records.ts).
   */
  save(state: S, codec: RecordCodec): unknown;
  /** The inverse of `save`. @throws StateError on a state `save` cannot have written */
  load(v: unknown, codec: RecordCodec): S;
  /** State shared by all windows (sample's generator), saved once per stage. */
  saveShared?(): unknown;
  /** The inverse of `saveShared`. @throws StateError */
  loadShared?(v: unknown): void;
}

interface Bucket<S> {
  state: S;
  start: number;
  end: number;
  seq: number;
}

const getStart = fieldGetter('window_start');
const getEnd = fieldGetter('window_end');
const getId = fieldGetter('window_id');

/**
 * A stage that runs `ops` once per window (see the module comment).
 * @param verb for messages
 * @param mode `agg` or `alone` (from windowModeOf)
 */
export function perWindowStage<S>(verb: string, mode: 'agg' | 'alone', next: Stage, ops: WindowOps<S>): Stage {
  const open = new Map<string, Bucket<S>>();
  let seq = 0;
  let lastKey = '';
  let last: Bucket<S> | null = null;

  function bucketOf(rec: Rec): Bucket<S> {
    const s = textOf(getStart(rec));
    const e = textOf(getEnd(rec));
    let key: string;
    let start = NaN;
    let end = NaN;
    if (s !== null && e !== null) {
      key = s + '\u0001' + e;
    } else {
      const id = textOf(getId(rec));
      if (id === null) {
        throw new RuntimeError(`${verb}: a record after 'window' has no window_start/window_end (${verb} works per window): keep those fields until ${verb}`);
      }
      key = '\u0002' + id;
    }
    if (last !== null && key === lastKey) return last;
    let b = open.get(key);
    if (b === undefined) {
      if (s !== null && e !== null) {
        start = Date.parse(s);
        end = Date.parse(e);
      }
      b = { state: ops.create(), start, end, seq: seq++ };
      open.set(key, b);
    }
    lastKey = key;
    last = b;
    return b;
  }

  function flushWhere(pred: (b: Bucket<S>) => boolean): void {
    const done: Array<[string, Bucket<S>]> = [];
    for (const entry of open) if (pred(entry[1])) done.push(entry);
    if (done.length === 0) return;
    if (mode === 'alone') done.sort((x, y) => x[1].end - y[1].end || x[1].start - y[1].start || x[1].seq - y[1].seq);
    const out: Rec[] = [];
    for (const [k, b] of done) {
      open.delete(k);
      ops.flush(b.state, out);
    }
    last = null;
    lastKey = '';
    if (out.length > 0) next.push(out);
  }

  return {
    push(batch: Batch): void {
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i]!;
        ops.add(bucketOf(r).state, r);
      }
      // A windowed agg pushes whole windows, and only closed ones.
      if (mode === 'agg') flushWhere(() => true);
    },
    watermark(ms: number): void {
      if (mode === 'alone') flushWhere((b) => b.end <= ms);
      next.watermark(ms);
    },
    end(): void {
      flushWhere(() => true);
      next.end();
    },
    snapshot(): unknown {
      const codec = new RecordCodec();
      const windows: unknown[] = [];
      for (const [k, b] of open) windows.push([k, numOrNull(b.start), numOrNull(b.end), b.seq, ops.save(b.state, codec)]);
      return verbState(verb, { windows, seq, headers: codec.headerState(), ...(ops.saveShared ? { shared: ops.saveShared() } : {}) });
    },
    restore(state: unknown): void {
      const o = openVerbState(state, verb);
      const codec = new RecordCodec();
      codec.loadHeaders(o.headers);
      open.clear();
      last = null;
      lastKey = '';
      seq = decodeCount(o.seq);
      if (ops.loadShared) ops.loadShared(o.shared);
      for (const w of stateArray(o.windows, 'windows')) {
        const a = stateArray(w, 'a window');
        if (a.length !== 5) throw stateError('a window is not [key, start, end, seq, state]');
        const start = a[1] === null ? NaN : Number(a[1]);
        const end = a[2] === null ? NaN : Number(a[2]);
        open.set(stateString(a[0], 'a window key'), { state: ops.load(a[4], codec), start, end, seq: decodeCount(a[3]) });
      }
    },
  };
}

function numOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * The stage of an ordering verb over the whole input (no window): one state,
 * written at end of input with backpressure (`writeBurst`), checkpointed with
 * `ops.save`/`ops.load` in the envelope of src/state/records.ts.
 */
export function wholeInputStage<S>(verb: string, ops: WindowOps<S>, next: Stage, ctx: PipelineContext): Stage {
  let state = ops.create();
  return {
    push(batch: Batch) {
      for (let i = 0; i < batch.length; i++) ops.add(state, batch[i]!);
    },
    watermark: (ms) => next.watermark(ms),
    end() {
      const out: Rec[] = [];
      ops.flush(state, out);
      writeBurst(ctx, next, arrayTaker(out), () => next.end());
    },
    snapshot(): unknown {
      const codec = new RecordCodec();
      const body = ops.save(state, codec);
      return verbState(verb, { state: body, headers: codec.headerState(), ...(ops.saveShared ? { shared: ops.saveShared() } : {}) });
    },
    restore(v: unknown): void {
      const o = openVerbState(v, verb);
      const codec = new RecordCodec();
      codec.loadHeaders(o.headers);
      if (ops.loadShared) ops.loadShared(o.shared);
      state = ops.load(o.state, codec);
    },
  };
}
