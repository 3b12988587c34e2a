/**
 * Wall-clock timers for periods of any length. Node's timers wait at most
 * 2^31 - 1 ms (about 24.8 days): a longer delay is taken as 1 ms, with a
 * TimeoutOverflowWarning, so `agg --every 30d` or a processing-time window of
 * 30 days would fire every millisecond. Stages go through these helpers.
 */
import type { PipelineContext } from '../engine/types.js';

/** The longest delay a Node timer takes, in milliseconds (2^31 - 1, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `ctx.every(ms, fn)` for any period in milliseconds: a period longer than
 * MAX_TIMER_MS is split into k equal ticks (k = ceil(ms / MAX_TIMER_MS)) and
 * `fn` runs on every k-th tick, so it still runs once per period.
 * @returns the cancel function of the underlying timer
 */
export function everyLong(ctx: Pick<PipelineContext, 'every'>, ms: number, fn: () => void): () => void {
  if (ms <= MAX_TIMER_MS) return ctx.every(ms, fn);
  const k = Math.ceil(ms / MAX_TIMER_MS);
  let tick = 0;
  return ctx.every(ms / k, () => {
    if (++tick < k) return;
    tick = 0;
    fn();
  });
}

/**
 * A delay in milliseconds that a timer can take: at least 1, at most
 * MAX_TIMER_MS. A caller whose target lies further ahead is woken early and
 * must check the clock and wait again.
 */
export function timerDelay(ms: number): number {
  return ms < 1 ? 1 : ms > MAX_TIMER_MS ? MAX_TIMER_MS : ms;
}
