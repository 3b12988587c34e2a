/**
 * The link between `window` and a downstream `agg` (with only record-wise
 * verbs between them). Owned by the window module; agg calls it.
 */
import type { PipelineContext, Stage, VerbInstance } from '../engine/types.js';
import type { AggPlan } from '../agg/types.js';
import { UsageError } from '../engine/errors.js';
import { type CloneableAggPlan, buildCountAgg, buildSessionAgg, buildTimeWindowAgg } from './agg.js';
import { isWindowInstance } from './instance.js';

/**
 * The window verb upstream of verb `index`, when only record-wise verbs stand
 * between them (`window ... then filter ... then agg ...`); undefined otherwise.
 */
export function findUpstreamWindow(plan: { verbs: VerbInstance[]; index: number }): VerbInstance | undefined {
  for (let i = plan.index - 1; i >= 0; i--) {
    const v = plan.verbs[i]!;
    if (isWindowInstance(v)) return v;
    if (!v.recordWise) return undefined;
  }
  return undefined;
}

/**
 * Build the windowed aggregation stage for `agg` after `window`, and mark the
 * window instance as consumed (so its stage, built afterwards, tags records
 * with EVENT_TIME / WINDOW_TAG instead of copying them per window).
 *
 * Emits each group once, when its window closes: `window_start`,
 * `window_end` (count windows: `window_id`), the keys, the aggregates; windows
 * in order of end then start, groups in order of first appearance (SPEC §4.2).
 * Sliding windows share panes of gcd(size, slide) merged with Two-Stacks when
 * the plan has `clone(g)` (see agg.ts).
 *
 * @param agg    the compiled aggregation
 * @param window the instance findUpstreamWindow returned
 * @param next   the stage after agg
 * @param _ctx   pipeline context (unused: the window stage owns timers and late records)
 * @throws UsageError when `window` is not a window verb instance
 */
export function buildWindowedAgg(agg: AggPlan, window: VerbInstance, next: Stage, _ctx: PipelineContext): Stage {
  if (!isWindowInstance(window)) throw new UsageError('agg: the verb before is not a window');
  const spec = window.windowSpec;
  const stage =
    spec.kind === 'session'
      ? buildSessionAgg(agg, next)
      : spec.kind === 'count'
        ? buildCountAgg(agg, next)
        : buildTimeWindowAgg(agg as CloneableAggPlan, spec, next);
  window.consumer = stage;
  return stage;
}
