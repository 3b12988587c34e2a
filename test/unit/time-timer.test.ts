/**
 * Timers for periods longer than Node's timers take (2^31 - 1 ms): everyLong
 * never asks the context for a longer period and still calls back once per
 * period; timerDelay clamps one-shot delays.
 */
import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS, everyLong, timerDelay } from '../../src/time/timer.js';
import { testCtx } from '../helpers/ctx.js';

const DAY = 86_400_000;

describe('everyLong', () => {
  for (const period of [1000, MAX_TIMER_MS, MAX_TIMER_MS + 1, 30 * DAY, 365 * DAY]) {
    it(`calls back once per ${period} ms and never asks for a timer longer than ${MAX_TIMER_MS} ms`, () => {
      const ctx = testCtx(0);
      const asked: number[] = [];
      const every = ctx.every.bind(ctx);
      ctx.every = (ms, fn) => {
        asked.push(ms);
        return every(ms, fn);
      };
      const at: number[] = [];
      everyLong(ctx, period, () => at.push(ctx.clock));
      ctx.advance(period * 3 + 1);
      expect(asked.every((ms) => ms <= MAX_TIMER_MS)).toBe(true);
      expect(at).toHaveLength(3);
      at.forEach((t, i) => expect(Math.abs(t - period * (i + 1))).toBeLessThanOrEqual(2));
    });
  }

  it('stops when cancelled', () => {
    const ctx = testCtx(0);
    let n = 0;
    const cancel = everyLong(ctx, 60 * DAY, () => n++);
    ctx.advance(61 * DAY);
    cancel();
    ctx.advance(120 * DAY);
    expect(n).toBe(1);
  });
});

describe('timerDelay', () => {
  it('keeps delays within 1 .. 2^31 - 1 ms', () => {
    expect(timerDelay(-5)).toBe(1);
    expect(timerDelay(0.2)).toBe(1);
    expect(timerDelay(1500)).toBe(1500);
    expect(timerDelay(40 * DAY)).toBe(MAX_TIMER_MS);
  });
});
