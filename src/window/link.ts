/**
 * The link between `window` and a downstream `agg` (with only record-wise
 * verbs between them). Owned by the window module; agg calls it.
 */
import type { PipelineContext, Stage, VerbInstance } from '../engine/types.js';
import type { AggPlan } from '../agg/types.js';

/**
 * The window verb upstream of verb `index`, when only record-wise verbs stand
 * between them; undefined otherwise. (Placeholder: windows not built yet.)
 */
export function findUpstreamWindow(_plan: { verbs: VerbInstance[]; index: number }): VerbInstance | undefined {
  return undefined;
}

/** Build the windowed aggregation stage for `agg` after `window`. (Placeholder.) */
export function buildWindowedAgg(_agg: AggPlan, _window: VerbInstance, _next: Stage, _ctx: PipelineContext): Stage {
  throw new Error('windowed agg not built yet');
}
