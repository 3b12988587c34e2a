/**
 * The link between `window` and a downstream `agg` (with only record-wise
 * verbs between them). Owned by the window module; agg calls it.
 */
import type { PipelineContext, Stage, VerbInstance } from '../engine/types.js';
import type { AggPlan } from '../agg/types.js';
import { UsageError } from '../engine/errors.js';
import { type CloneableAggPlan, buildTimeWindowAgg } from './agg.js';
import { buildCountAgg } from './count-agg.js';
import { buildSessionAgg } from './session-agg.js';
import { type WindowVerbInstance, isWindowInstance } from './instance.js';

/** The fields a windowed aggregation writes before the keys, for a window of this kind. */
function boundNames(window: WindowVerbInstance): readonly string[] {
  return window.windowSpec.kind === 'count' ? ['window_id'] : ['window_start', 'window_end'];
}

/** The first window field (`window_start`, ...) that one of `needs` reads, if any. */
function readsBound(needs: readonly string[], bounds: readonly string[]): string | undefined {
  for (const n of needs) for (const b of bounds) if (n === b || n.startsWith(b + '.')) return b;
  return undefined;
}

/**
 * The window verb upstream of verb `index`, when only record-wise verbs stand
 * between them (`window ... then filter ... then agg ...`); undefined otherwise.
 * @throws UsageError when a verb between them reads `window_start`,
 *   `window_end` or `window_id`: linked to agg, `window` tags records instead
 *   of adding those fields (agg adds them to its output), so the verb would
 *   silently see null.
 */
export function findUpstreamWindow(plan: { verbs: VerbInstance[]; index: number }): VerbInstance | undefined {
  for (let i = plan.index - 1; i >= 0; i--) {
    const v = plan.verbs[i]!;
    if (isWindowInstance(v)) {
      const bounds = boundNames(v);
      for (let j = i + 1; j < plan.index; j++) {
        const between = plan.verbs[j]!;
        const b = readsBound(between.needs, bounds);
        if (b !== undefined) {
          throw new UsageError(
            `${between.name}: ${b} is not set on records between 'window' and 'agg' (agg adds it to its output): put ${between.name} after agg`,
          );
        }
      }
      return v;
    }
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
 * @throws UsageError when `window` is not a window verb instance, or when a key
 *   or aggregate of `agg` is named like a window field it writes
 *   (`window_start`, `window_end`; `window_id` for count windows)
 */
export function buildWindowedAgg(agg: AggPlan, window: VerbInstance, next: Stage, _ctx: PipelineContext): Stage {
  if (!isWindowInstance(window)) throw new UsageError('agg: the verb before is not a window');
  for (const b of boundNames(window)) {
    if (agg.keyNames.includes(b)) throw new UsageError(`agg: the key '${b}' has the name of the window field agg writes first: rename it before agg (rename ${b}=NAME)`);
    if (agg.outputNames.includes(b)) throw new UsageError(`agg: the aggregate '${b}' has the name of the window field agg writes first: name it with 'as NAME'`);
  }
  const spec = window.windowSpec;
  const stage =
    spec.kind === 'session'
      ? buildSessionAgg(agg, next)
      : spec.kind === 'count'
        ? buildCountAgg(agg as CloneableAggPlan, spec, next)
        : buildTimeWindowAgg(agg as CloneableAggPlan, spec, next);
  window.consumer = stage;
  return stage;
}
