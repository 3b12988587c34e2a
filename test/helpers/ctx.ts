/**
 * Test helpers: a PipelineContext with a fake clock and manual timers, and a
 * stage that collects what reaches the end of a pipeline.
 */
import type { Batch, ErrorSink, PipelineContext, Rec, Stage } from '../../src/engine/types.js';
import { InputError } from '../../src/engine/errors.js';
import { lineOf } from '../../src/engine/values.js';

export interface Rejected {
  source: string;
  line: number;
  error: string;
  text: string;
  verb?: string;
}

/** An ErrorSink that records rejections (mode `skip`) or throws (mode `fail`). */
export function testErrors(mode: 'fail' | 'skip' = 'skip'): ErrorSink & { rejected: Rejected[] } {
  const rejected: Rejected[] = [];
  return {
    mode,
    rejected,
    get count() {
      return rejected.length;
    },
    reject(source, line, error, text, verb) {
      if (mode === 'fail') throw new InputError(error, source, line, text, verb);
      rejected.push({ source, line, error, text, verb });
    },
  };
}

export interface TestCtx extends PipelineContext {
  /** Move the fake clock forward by `ms`, running due timers in order. */
  advance(ms: number): void;
  clock: number;
  warnings: string[];
  summaries: Array<() => string | undefined>;
  outputs: Map<string, string>;
  stopped: boolean;
  errorsSink: ReturnType<typeof testErrors>;
}

/** A context with a fake wall clock starting at `start` ms. */
export function testCtx(start = 0, mode: 'fail' | 'skip' = 'skip'): TestCtx {
  const timers: Array<{ period: number; due: number; fn: () => void; live: boolean }> = [];
  const errorsSink = testErrors(mode);
  const ctx: TestCtx = {
    clock: start,
    warnings: [],
    summaries: [],
    outputs: new Map(),
    stopped: false,
    errorsSink,
    errors: errorsSink,
    stopInput() {
      ctx.stopped = true;
    },
    every(ms, fn) {
      const t = { period: ms, due: ctx.clock + ms, fn, live: true };
      timers.push(t);
      return () => {
        t.live = false;
      };
    },
    now() {
      return ctx.clock;
    },
    outputBlocked() {
      return false;
    },
    whenDrained(fn) {
      fn();
    },
    locate(rec) {
      return { source: '-', line: lineOf(rec) };
    },
    warn(m) {
      ctx.warnings.push(m);
    },
    summary(fn) {
      ctx.summaries.push(fn);
    },
    openOutput(path) {
      ctx.outputs.set(path, ctx.outputs.get(path) ?? '');
      return {
        write(text: string) {
          ctx.outputs.set(path, (ctx.outputs.get(path) ?? '') + text);
        },
      };
    },
    advance(ms) {
      const target = ctx.clock + ms;
      for (;;) {
        let next: (typeof timers)[number] | undefined;
        for (const t of timers) if (t.live && t.due <= target && (!next || t.due < next.due)) next = t;
        if (!next) break;
        ctx.clock = next.due;
        next.due += next.period;
        next.fn();
      }
      ctx.clock = target;
    },
  };
  return ctx;
}

/** A terminal stage that keeps everything it receives. */
export function collector(): Stage & { records: Rec[]; watermarks: number[]; ended: boolean; batches: Batch[] } {
  const c = {
    records: [] as Rec[],
    watermarks: [] as number[],
    batches: [] as Batch[],
    ended: false,
    push(b: Batch) {
      c.batches.push(b);
      for (const r of b) c.records.push(r);
    },
    watermark(ms: number) {
      c.watermarks.push(ms);
    },
    end() {
      c.ended = true;
    },
  };
  return c;
}
