/**
 * The plain (unwindowed) aggregation stage: groups in a Map in order of first
 * appearance, emitted at end of input, and every `everyMs` of wall-clock time
 * as a snapshot when asked (`agg --every`).
 */
import type { Batch, PipelineContext, Rec, Stage } from '../engine/types.js';
import type { GroupState } from './types.js';
import type { CompiledAggPlan } from './plan.js';
import { everyLong } from '../time/timer.js';

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
 * for empty input (`count` 0, other aggregates null), as in SQL.
 */
export function buildAggStage(plan: CompiledAggPlan, next: Stage, ctx: PipelineContext, everyMs?: number): Stage {
  const groups = new Map<string, GroupState>();
  let global: GroupState | undefined;
  let ended = false;

  const emitAll = (): void => {
    let out: Batch = [];
    if (plan.global) {
      global ??= plan.newGroup({} as Rec);
      next.push([plan.output(global)]);
      return;
    }
    for (const g of groups.values()) {
      out.push(plan.output(g));
      if (out.length >= OUT_BATCH) {
        next.push(out);
        out = [];
      }
    }
    if (out.length > 0) next.push(out);
  };

  const cancel = everyMs !== undefined ? everyLong(ctx, everyMs, () => { if (!ended) emitAll(); }) : undefined;

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
    watermark(ms) {
      next.watermark(ms);
    },
    end() {
      if (ended) return;
      ended = true;
      cancel?.();
      if (plan.global) {
        emitAll();
        next.end();
        return;
      }
      // A million groups make a long burst of output: write it a batch at a
      // time, pausing while stdout is full, so memory holds the groups only.
      const it = groups.values();
      const step = (): void => {
        let out: Batch = [];
        for (let r = it.next(); !r.done; r = it.next()) {
          out.push(plan.output(r.value));
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
        groups.clear();
        next.end();
      };
      step();
    },
  };
}
