/**
 * Writing a long burst of records (at end of input: a sorted run merge, every
 * group of `top`, the counts of `uniq --count`) with backpressure: a batch at a
 * time, pausing while stdout refuses data (`ctx.whenDrained`), and yielding to
 * the event loop every few batches so that signals are handled mid-burst.
 */
import type { PipelineContext, Rec, Stage } from '../engine/types.js';

/** Records per batch of a burst. */
export const BURST_BATCH = 1024;
/** Batches written between two yields to the event loop when stdout never blocks (a file). */
const BATCHES_PER_TURN = 64;

/**
 * Write what `take` returns, batch after batch, to `next`, then call `done`
 * (which must end the stage, calling `next.end()`).
 * @param take     returns the next records (at most `BURST_BATCH` wanted); an empty array ends the burst
 * @param done     called once after the last batch
 * @param stopped  polled between batches: true abandons the burst (a signal); `done` is not called then
 */
export function writeBurst(ctx: PipelineContext, next: Stage, take: () => Rec[], done: () => void, stopped: () => boolean = () => false): void {
  const step = (): void => {
    for (let turns = 0; ; turns++) {
      if (stopped()) return;
      const out = take();
      if (out.length === 0) {
        done();
        return;
      }
      next.push(out);
      if (ctx.outputBlocked()) {
        ctx.whenDrained(step);
        return;
      }
      if (turns >= BATCHES_PER_TURN) {
        // whenDrained runs `step` under the runner's error handling (at once when stdout is not blocked).
        setImmediate(() => ctx.whenDrained(step));
        return;
      }
    }
  };
  step();
}

/** A `take` function over an array: successive slices of `BURST_BATCH` records. */
export function arrayTaker(recs: Rec[]): () => Rec[] {
  let i = 0;
  return () => {
    if (i >= recs.length) return [];
    const out = recs.slice(i, i + BURST_BATCH);
    i += out.length;
    if (i >= recs.length) recs.length = 0;
    return out;
  };
}
