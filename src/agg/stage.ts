/**
 * The plain (unwindowed) aggregation stage: groups in a Map in order of first
 * appearance, emitted at end of input, and every `everyMs` of wall-clock time
 * as a snapshot when asked (`agg --every`).
 */
import type { Batch, PipelineContext, Rec, Stage } from '../engine/types.js';
import type { GroupState } from './types.js';
import type { CompiledAggPlan } from './plan.js';
import { everyLong } from '../time/timer.js';
import { parseExact } from '../formats/exactjson.js';
import { decodeGroupState, encodeGroupState } from './group-state.js';

/** Output records per emitted batch (a million groups are not one batch). */
const OUT_BATCH = 4096;

/**
 * Build the stage.
 * @param plan    the compiled plan
 * @param next    the downstream stage
 * @param ctx     the pipeline context (its wall-clock timer drives snapshots)
 * @param everyMs snapshot period in milliseconds, or undefined for none
 *
 * Output: one record per group (keys, then aggregates), groups in order of
 * first appearance. With no keys there is always exactly one record, even
 * for empty input (`count` 0, other aggregates null), as in SQL. With
 * `everyMs`, each record (of every snapshot and of the final results at end
 * of input) leads with `snapshot`, the wall-clock time of its snapshot as
 * ISO 8601 UTC text with milliseconds.
 */
export function buildAggStage(plan: CompiledAggPlan, next: Stage, ctx: PipelineContext, everyMs?: number): Stage {
  const groups = new Map<string, GroupState>();
  let global: GroupState | undefined;
  let ended = false;

  /** With --every, every output record leads with `snapshot`: the wall-clock time of its snapshot (ISO 8601 UTC, ms). */
  const label = (): Rec | undefined => (everyMs === undefined ? undefined : { snapshot: new Date(ctx.now()).toISOString() });

  // Snapshots (--every) respect backpressure: a tick while stdout is full, or
  // while the last snapshot is still being written, is skipped (the next one
  // shows the groups as they are then), and a snapshot of many groups is
  // written a batch at a time, waiting for stdout to drain in between, so
  // memory holds the groups and one batch, never a backlog of snapshots.
  let snapGen = 0;
  let snapping = false;
  let skipped = 0;
  const tick = (): void => {
    if (ended) return;
    if (snapping || ctx.outputBlocked()) {
      skipped++;
      return;
    }
    const prefix = label();
    if (plan.global) {
      global ??= plan.newGroup({} as Rec);
      next.push([plan.output(global, prefix)]);
      return;
    }
    if (groups.size === 0) return;
    const gen = ++snapGen;
    snapping = true;
    writeGroups(
      prefix,
      () => gen !== snapGen || ended,
      () => {
        snapping = false;
      },
    );
  };

  /**
   * Write every group's output record (led by `prefix`), OUT_BATCH records a
   * push, waiting for stdout to drain whenever it is full (so memory holds
   * the groups and one batch), then call `done`. Stops, without `done`, once
   * `stale()` is true when it resumes (a newer snapshot or the end began).
   */
  function writeGroups(prefix: Rec | undefined, stale: () => boolean, done: () => void): void {
    const it = groups.values();
    const step = (): void => {
      if (stale()) return;
      let out: Batch = [];
      for (let r = it.next(); !r.done; r = it.next()) {
        out.push(plan.output(r.value, prefix));
        if (out.length >= OUT_BATCH) {
          next.push(out);
          out = [];
          if (ctx.outputBlocked()) {
            ctx.whenDrained(step);
            return;
          }
        }
      }
      if (out.length > 0) next.push(out);
      done();
    };
    step();
  }

  const cancel = everyMs !== undefined ? everyLong(ctx, everyMs, tick) : undefined;
  if (everyMs !== undefined && process.env.SLUICE_DEBUG_SNAPSHOTS) ctx.summary(() => `agg: ${snapGen} snapshots written, ${skipped} ticks skipped while output was blocked`);

  const push = plan.global
    ? (batch: Batch): void => {
        const g = (global ??= plan.newGroup(batch[0]!));
        for (let i = 0; i < batch.length; i++) plan.add(g, batch[i]!);
      }
    : (batch: Batch): void => {
        for (let i = 0; i < batch.length; i++) {
          const rec = batch[i]!;
          plan.add(plan.groupOf(groups, rec), rec);
        }
      };

  return {
    push(batch) {
      if (batch.length > 0) push(batch);
    },
    /**
     * Checkpoints: `{groups: [[group key, {k, a}], ...]}` in order of first
     * appearance (`{global: {k, a} | null}` without keys), where `k` is the
     * JSON text of the key values (numbers as read) and `a` each
     * accumulator's partial state (Accumulator.toState).
     */
    snapshot(): unknown {
      // `pos`: the next input position (first/last/collect and partials' group order go by positions).
      if (plan.global) return { global: global === undefined ? null : encodeGroup(global), pos: plan.position };
      const out: unknown[] = [];
      for (const [k, g] of groups) out.push([k, encodeGroup(g)]);
      return { groups: out, pos: plan.position };
    },
    restore(state: unknown): void {
      const o = state as { groups?: unknown; global?: unknown } | null;
      if (o === null || typeof o !== 'object') throw new Error('agg: not an agg state');
      const pos = (o as { pos?: unknown }).pos;
      if (typeof pos === 'number' && Number.isSafeInteger(pos) && pos >= 0) plan.position = pos;
      if (plan.global) {
        if (!('global' in o)) throw new Error('agg: not an agg state without keys');
        global = o.global === null ? undefined : decodeGroup(plan, o.global);
        return;
      }
      if (!Array.isArray(o.groups)) throw new Error('agg: not an agg state with keys');
      groups.clear();
      for (const e of o.groups) {
        if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string') throw new Error('agg: a group is not [key, state]');
        groups.set(e[0], decodeGroup(plan, e[1]));
      }
    },
    watermark(ms) {
      next.watermark(ms);
    },
    end() {
      if (ended) return;
      ended = true;
      cancel?.();
      // A snapshot still being written stops here: the final results follow.
      snapGen++;
      const prefix = label();
      if (plan.global) {
        global ??= plan.newGroup({} as Rec);
        next.push([plan.output(global, prefix)]);
        next.end();
        return;
      }
      // A million groups make a long burst of output: write it a batch at a
      // time, pausing while stdout is full, so memory holds the groups only.
      writeGroups(
        prefix,
        () => false,
        () => {
          groups.clear();
          next.end();
        },
      );
    },
  };
}

/** A group's checkpoint state: `k` the JSON text of its key values (numbers as read), `a` its accumulators' states (group-state.ts), `f` its first input position. @throws Error when an aggregate cannot be saved */
function encodeGroup(g: GroupState): { k: string; a: unknown[]; f: number } {
  const { k, a } = encodeGroupState(g, (i) => new Error(`agg: aggregate #${i + 1} cannot be saved in a checkpoint`));
  return { k, a, f: g.first ?? 0 };
}

/** The inverse of encodeGroup, a fresh group of `plan`. @throws Error on a state that does not fit the plan */
function decodeGroup(plan: CompiledAggPlan, v: unknown): GroupState {
  const o = v as { k?: unknown; a?: unknown; f?: unknown } | null;
  if (o === null || typeof o !== 'object' || typeof o.k !== 'string' || !Array.isArray(o.a)) throw new Error('agg: a group state is not {k, a}');
  return decodeGroupState(plan, parseExact(o.k), o.a, typeof o.f === 'number' ? o.f : 0, (what) => new Error(`agg: ${what}`), false);
}
