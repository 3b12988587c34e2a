/**
 * Building blocks for pipeline stages.
 */
import type { Batch, Stage } from './types.js';

/**
 * A stage that holds no records between batches (filter, map, select, head,
 * join, ...): `push` handles each batch and calls `next.push` with what it
 * keeps (never an empty array); watermarks and end of input pass straight on.
 */
export function recordStage(next: Stage, push: (batch: Batch) => void): Stage {
  return {
    push,
    watermark: (ms) => next.watermark(ms),
    end: () => next.end(),
  };
}
