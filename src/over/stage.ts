/**
 * The `over` stage: each record goes on at once, with the aggregates of its
 * frame and its step functions added (SQL/Flink `OVER (PARTITION BY keys
 * ORDER BY arrival|time ROWS|RANGE BETWEEN ... PRECEDING AND CURRENT ROW)`).
 *
 * Per key: one GroupState of the agg plan (found with one Map lookup; for
 * `--rows all` it is the running aggregate itself), a `Frame` (Two-Stacks,
 * frame.ts) for bounded frames, and the step functions' states.
 */
import type { Batch, PipelineContext, Rec, Stage } from '../engine/types.js';
import type { GroupState } from '../agg/types.js';
import type { CompiledAggPlan } from '../agg/plan.js';
import { markChanged, pathGetter, rawOf, setField, stringifyRecord, textOf } from '../engine/values.js';
import { compileTimeParser, isoString } from '../time/parse.js';
import { formatDuration } from '../time/duration.js';
import { combinable, Frame } from './frame.js';
import { NumFrame, type NumLayout } from './numframe.js';
import type { StepMaker, StepState } from './steps.js';
import { decodeGroup, encodeGroup } from '../window/state.js';
import { decodeCount, decodeNum, encodeNum, stateError } from '../state/codec.js';
import { openVerbState, stateArray, stateString, verbState } from '../state/records.js';

/** The frame of `over`. */
export type FrameSpec =
  | { kind: 'all' }
  | { kind: 'rows'; n: number }
  | { kind: 'range'; ms: number }
  | { kind: 'none' };

/** What the stage needs, parsed by src/verbs/over.ts. */
export interface OverSpec {
  frame: FrameSpec;
  plan: CompiledAggPlan;
  /** Output names of the aggregates, then of the steps, in the order written. */
  aggNames: string[];
  steps: StepMaker[];
  stepNames: string[];
  /** Where each output goes, in the order written: `a` index into aggs, `s` into steps. */
  order: Array<{ kind: 'a' | 's'; i: number; name: string }>;
  timePath: string[] | null;
  timeName: string | null;
  timeFormat: string;
  /**
   * `--lateness DUR` (range frames): records of any key arrive at most this
   * far behind the largest time seen; a record further behind is late
   * (rejected), and keys whose frame can no longer hold anything are freed.
   * Null: no such promise, keys are kept until end of input.
   */
  lateness: number | null;
  /** Set when every aggregate is count, sum, avg, var or stddev: frames in typed arrays. */
  numLayout: NumLayout | null;
}

/** One key's state. */
interface KeyState {
  frame: Frame | NumFrame | null;
  steps: StepState[];
  /** Newest event time of the key (range frames), for time-order checks and freeing. */
  lastT: number;
  seq: number;
}

type OverGroup = GroupState & { over?: KeyState };

/** Build the stage. */
export function buildOverStage(spec: OverSpec, next: Stage, ctx: PipelineContext): Stage & { readonly keys: number } {
  const { plan, frame, steps } = spec;
  const groups = new Map<string, GroupState>();
  const getTime = spec.timePath !== null ? pathGetter(spec.timePath) : null;
  const parseTime = getTime !== null ? compileTimeParser(spec.timeFormat) : null;
  const order = spec.order;
  const no = order.length;
  const nSteps = steps.length;
  const nAggs = spec.aggNames.length;
  let needsMerge: boolean | null = null;
  const isRange = frame.kind === 'range';
  const rangeMs = frame.kind === 'range' ? frame.ms : 0;
  const rowsN = frame.kind === 'rows' ? frame.n : 0;
  const bounded = frame.kind === 'rows' || frame.kind === 'range';
  const stepVals = new Array<unknown>(nSteps);
  let lastSweep = -Infinity;
  const lateness = spec.lateness;
  let maxT = -Infinity;
  /** Sweep for empty keys each time event time has advanced this far (amortised O(1) per record). */
  const sweepEvery = Math.max(rangeMs, 1000);
  /**
   * No record below `ms` will come: a range frame whose newest record is
   * older than ms - DUR is empty for every later record of its key. Keys
   * without step functions (whose states run over all records) are freed.
   */
  function free(ms: number): void {
    for (const [k, g] of groups) {
      const ks = (g as OverGroup).over;
      if (ks !== undefined && ks.lastT < ms - rangeMs) groups.delete(k);
    }
  }

  function reject(rec: Rec, what: string): void {
    const at = ctx.locate(rec);
    ctx.errors.reject(at.source, at.line, what, rawOf(rec) ?? stringifyRecord(rec), 'over');
  }

  function newKey(g: GroupState): KeyState {
    const st: StepState[] = new Array(nSteps);
    for (let i = 0; i < nSteps; i++) st[i] = steps[i]!();
    return { frame: bounded ? (spec.numLayout !== null ? new NumFrame(spec.numLayout) : new Frame(plan, g)) : null, steps: st, lastT: -Infinity, seq: 0 };
  }

  /** Process one record; false when it was rejected. */
  function one(rec: Rec): boolean {
    let t = NaN;
    if (getTime !== null) {
      const v = getTime(rec);
      const parsed = parseTime!(v);
      if (parsed === null) {
        reject(
          rec,
          v === undefined || v === null
            ? `time field '${spec.timeName}' is missing`
            : `cannot read time '${textOf(v)}' in field '${spec.timeName}' (--time-format ${spec.timeFormat})`,
        );
        return false;
      }
      t = parsed;
      // Before the key is looked up: a sweep may free keys.
      if (lateness !== null) {
        if (t > maxT) {
          maxT = t;
          if (nSteps === 0 && maxT - lastSweep >= sweepEvery) {
            lastSweep = maxT;
            free(maxT - lateness);
          }
        } else if (t < maxT - lateness) {
          reject(rec, `time ${isoString(t)} is more than --lateness ${formatDuration(lateness)} behind the latest time, ${isoString(maxT)}: late`);
          return false;
        }
      }
    }
    const g = plan.groupOf(groups, rec) as OverGroup;
    let ks = g.over;
    if (ks === undefined) ks = g.over = newKey(g);
    if (isRange) {
      if (t < ks.lastT) {
        reject(
          rec,
          `time ${isoString(t)} is before ${isoString(ks.lastT)}, the time of the previous record of its key: over --range needs each key's records in time order (sort them first)`,
        );
        return false;
      }
      ks.lastT = t;
    }
    // Step functions see the record before it is changed.
    for (let i = 0; i < nSteps; i++) stepVals[i] = ks.steps[i]!.step(rec, t);
    const f = ks.frame;
    if (f !== null) {
      if (isRange) {
        f.push(rec, t);
        f.evictBefore(t - rangeMs);
      } else {
        f.push(rec, ks.seq++);
        if (f.length > rowsN) f.evictOldest();
      }
      if (needsMerge === null) needsMerge = !g.accs.every(combinable);
      f.prepare(needsMerge);
    } else if (nAggs > 0) {
      plan.add(g, rec);
    }
    for (let k = 0; k < no; k++) {
      const o = order[k]!;
      const v = o.kind === 's' ? stepVals[o.i] : f !== null ? f.result(o.i) : g.accs[o.i]!.result();
      setField(rec, o.name, v);
    }
    markChanged(rec);
    return true;
  }

  return {
    /** For tests: how many keys are held. */
    get keys(): number {
      return groups.size;
    },
    push(batch: Batch): void {
      let w = 0;
      try {
        for (let i = 0; i < batch.length; i++) {
          const rec = batch[i]!;
          if (one(rec)) batch[w++] = rec;
        }
      } catch (e) {
        // A record rejected under --on-error fail: the records before it are written first (as before a malformed input line).
        if (w > 0) {
          batch.length = w;
          next.push(batch);
        }
        throw e;
      }
      if (w === 0) return;
      batch.length = w;
      next.push(batch);
    },
    watermark(ms: number): void {
      if (isRange && nSteps === 0 && ms - lastSweep >= sweepEvery) {
        lastSweep = ms;
        free(ms);
      }
      next.watermark(ms);
    },
    end(): void {
      groups.clear();
      next.end();
    },
    /**
     * Checkpoint: per key [key, its group state (partial state format), its
     * frame (frame.ts / numframe.ts `save`), its step states, newest time,
     * sequence], the largest time seen and the last sweep.
     */
    snapshot(): unknown {
      const keys: unknown[] = [];
      for (const [k, g] of groups) {
        const ks = (g as OverGroup).over;
        keys.push([k, encodeGroup(g), ks === undefined ? null : [ks.frame === null ? null : ks.frame.save(), ks.steps.map((st) => st.save()), encodeNum(ks.lastT), ks.seq]]);
      }
      // (The plan's next input position: first/last compare positions when frames merge.)
      return verbState('over', { keys, maxT: encodeNum(maxT), lastSweep: encodeNum(lastSweep), pos: plan.position });
    },
    restore(state: unknown): void {
      const o = openVerbState(state, 'over');
      maxT = decodeNum(o.maxT);
      lastSweep = decodeNum(o.lastSweep);
      plan.position = decodeCount(o.pos);
      groups.clear();
      for (const e of stateArray(o.keys, 'over keys')) {
        const a = stateArray(e, 'an over key');
        const g = decodeGroup(plan, a[1]) as OverGroup;
        if (a[2] !== null) {
          const kv = stateArray(a[2], 'an over key state');
          const ks = newKey(g);
          if ((ks.frame === null) !== (kv[0] === null)) throw stateError('an over frame of another kind');
          ks.frame?.load(kv[0]);
          const st = stateArray(kv[1], 'over step states');
          if (st.length !== ks.steps.length) throw stateError('over step states do not match the steps');
          for (let i = 0; i < st.length; i++) ks.steps[i]!.load(st[i]);
          ks.lastT = decodeNum(kv[2]);
          ks.seq = decodeCount(kv[3]);
          g.over = ks;
        }
        groups.set(stateString(a[0], 'an over key'), g);
      }
    },
  };
}
