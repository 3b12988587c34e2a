/**
 * Checkpoint state of the window stage and the windowed aggregation: a run
 * split in two, with snapshot → JSON text → restore into a freshly built
 * pipeline in between, writes exactly what one uninterrupted run writes (the
 * same records in the same order, the same late records and counts), for
 * every window kind, alone and before agg, at any split point.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { AggPlan } from '../../src/agg/types.js';
import type { Rec, Stage } from '../../src/engine/types.js';
import { EVENT_TIME, NumText, noteNumText, stringifyRecord } from '../../src/engine/values.js';
import { InputError } from '../../src/engine/errors.js';
import { pipeline, testPlan } from './window-helpers.js';
import { testCtx } from '../helpers/ctx.js';

// As readers do when they make a NumText (writers then look for its placeholder).
noteNumText();

interface In {
  t: number;
  k: string;
  v: number | NumText;
}

type Built = ReturnType<typeof pipeline>;

/** Snapshot every stage that has state, through JSON text (as a checkpoint file would). */
function snap(p: Built): string {
  const s = p.stage as Stage;
  const a = p.aggStage as Stage | null;
  return JSON.stringify({ w: s.snapshot!(), a: a?.snapshot?.() ?? null });
}

function restore(p: Built, text: string): void {
  const st = JSON.parse(text) as { w: unknown; a: unknown };
  // Restore the aggregation first, then the window (either order must work).
  if (p.aggStage && st.a !== null) (p.aggStage as Stage).restore!(st.a);
  (p.stage as Stage).restore!(st.w);
}

function toRecs(xs: In[]): Rec[] {
  return xs.map((x) => ({ t: x.t, k: x.k, v: x.v }));
}

/** What a run writes: records as text (symbols dropped), the late file, the late count. */
function outcome(p: Built, extra: { out: string[] }) {
  return {
    out: [...extra.out, ...p.out.records.map((r) => stringifyRecord(r))],
    late: p.ctx.outputs.get('late.ndjson') ?? '',
  };
}

function runWhole(args: string[], plan: AggPlan | null, batches: Rec[][], panes?: boolean) {
  const p = pipeline(args, { plan, ctx: testCtx(0), panes });
  for (const b of batches) p.stage.push(b);
  p.stage.end();
  return { ...outcome(p, { out: [] }), lateCount: p.stage.stats.late, wms: p.out.watermarks };
}

function runSplit(args: string[], plan: () => AggPlan | null, batches: Rec[][], cut: number, panes?: boolean) {
  const p1 = pipeline(args, { plan: plan(), ctx: testCtx(0), panes });
  for (const b of batches.slice(0, cut)) p1.stage.push(b);
  const text = snap(p1);
  const first = outcome(p1, { out: [] });
  // A new process: nothing shared with the first half but the JSON text.
  const p2 = pipeline(args, { plan: plan(), ctx: testCtx(0), panes });
  restore(p2, text);
  for (const b of batches.slice(cut)) p2.stage.push(b);
  p2.stage.end();
  const second = outcome(p2, first);
  return { out: second.out, late: first.late + second.late, lateCount: p2.stage.stats.late, text, wms: [...p1.out.watermarks, ...p2.out.watermarks] };
}

const streamArb = fc
  .record({
    base: fc.integer({ min: 0, max: 5000 }),
    steps: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 0, maxLength: 80 }),
    keys: fc.array(fc.constantFrom('a', 'b', 'c', '__proto__'), { minLength: 80, maxLength: 80 }),
    swaps: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 6 })), { maxLength: 30 }),
    cuts: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 10 }),
    split: fc.nat(),
  })
  .map(({ base, steps, keys, swaps, cuts, split }) => {
    let t = base;
    const recs: In[] = steps.map((s, i) => {
      t += s;
      return { t, k: keys[i]!, v: i % 5 === 0 ? new NumText(1.5, '1.50') : (i % 7) + 1 };
    });
    for (const [i, d] of swaps) {
      if (recs.length < 2) break;
      const a = i % recs.length;
      const b = Math.min(recs.length - 1, a + d);
      [recs[a], recs[b]] = [recs[b]!, recs[a]!];
    }
    const bs: Rec[][] = [];
    let i = 0;
    let c = 0;
    const rs = toRecs(recs);
    while (i < rs.length) {
      const n = cuts[c++ % cuts.length]!;
      bs.push(rs.slice(i, i + n));
      i += n;
    }
    return { batches: bs, split: bs.length === 0 ? 0 : split % (bs.length + 1) };
  });

const specArb = fc.oneof(
  fc.record({ size: fc.integer({ min: 1, max: 40 }), lateness: fc.integer({ min: 0, max: 15 }) }).map(({ size, lateness }) => ({
    args: ['tumbling', `${size}ms`, '--lateness', `${lateness}ms`],
  })),
  fc
    .record({ size: fc.integer({ min: 2, max: 40 }), frac: fc.double({ min: 0.05, max: 1, noNaN: true }), lateness: fc.integer({ min: 0, max: 15 }) })
    .map(({ size, frac, lateness }) => ({
      args: ['sliding', `${size}ms`, '--every', `${Math.max(1, Math.round(size * frac))}ms`, '--lateness', `${lateness}ms`],
    })),
  fc.record({ gap: fc.integer({ min: 1, max: 20 }), lateness: fc.integer({ min: 0, max: 15 }), by: fc.boolean() }).map(({ gap, lateness, by }) => ({
    args: ['session', `${gap}ms`, '--lateness', `${lateness}ms`, ...(by ? ['--by', 'k'] : [])],
  })),
);

const TIME = ['--time', 't', '--time-format', 'epoch-ms', '--late-output', 'late.ndjson'];

describe('window checkpoint state: snapshot, then restore in a new pipeline, equals one run', () => {
  for (const mode of ['alone', 'agg', 'agg by k', 'agg per-window'] as const) {
    it(`time and session windows, ${mode}`, () => {
      fc.assert(
        fc.property(streamArb, specArb, ({ batches, split }, { args }) => {
          const plan = () => (mode === 'alone' ? null : testPlan({ by: mode === 'agg by k' ? 'k' : undefined, clone: true }));
          const panes = mode === 'agg per-window' ? false : undefined;
          const all = [...args, ...TIME];
          const copy = () => batches.map((b) => b.map((r) => ({ ...r })));
          const whole = runWhole(all, plan(), copy(), panes);
          const parts = runSplit(all, plan, copy(), split, panes);
          expect(parts.out).toEqual(whole.out);
          expect(parts.late).toBe(whole.late);
          expect(parts.lateCount).toBe(whole.lateCount);
          // Downstream sees the same watermarks (agg --partial writes each as a control record).
          expect(parts.wms).toEqual(whole.wms);
        }),
        { numRuns: Number(process.env.SNAPSHOT_RUNS ?? 150) },
      );
    });
  }

  it('count windows, alone and before agg, with and without --every and --by', () => {
    fc.assert(
      fc.property(
        streamArb,
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        fc.constantFrom('alone', 'agg'),
        ({ batches, split }, n, m0, by, mode) => {
          const m = Math.min(n, m0);
          const args = ['count', String(n), '--every', String(m), ...(by ? ['--by', 'k'] : [])];
          const plan = () => (mode === 'alone' ? null : testPlan({ by: 'k', clone: true }));
          const copy = () => batches.map((b) => b.map((r) => ({ ...r })));
          const whole = runWhole(args, plan(), copy());
          const parts = runSplit(args, plan, copy(), split);
          expect(parts.out).toEqual(whole.out);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a session that grew before the checkpoint: the restored run tells downstream the same watermarks (seed -2097881125)', () => {
    // Session 7ms, lateness 1ms: t0 opens [0,7), t1 grows it to [0,8); after the
    // restore, t9 moves the watermark to 8, which closes nothing. The stage once
    // told downstream about watermark 8 in one run only (a stale heap key 7),
    // so a time-window agg there closed [0,7) early and dropped t2.
    const args = ['session', '7ms', '--lateness', '1ms', ...TIME];
    const batches = (): Rec[][] => [
      [{ t: 0, k: 'a', v: 1 }, { t: 1, k: 'a', v: 2 }],
      [{ t: 9, k: 'a', v: 4 }, { t: 2, k: 'a', v: 3 }],
    ];
    for (const mode of ['session agg', 'time agg'] as const) {
      const panes = mode === 'time agg' ? false : undefined;
      const plan = () => testPlan({ clone: true });
      const whole = runWhole(args, plan(), batches(), panes);
      const parts = runSplit(args, plan, batches(), 1, panes);
      expect(parts.out).toEqual(whole.out);
      expect(parts.wms).toEqual(whole.wms);
      // t2 bridges the two sessions (one session of 4); the time agg's [0,7) holds t0, t1, t2.
      expect(whole.out[0]).toContain(mode === 'time agg' ? '"window_end":"1970-01-01T00:00:00.007Z","count":3' : '"count":4');
    }
  });

  it('held session records keep their exact numbers and event time across a restore', () => {
    const args = ['session', '10ms', '--time', 't', '--time-format', 'epoch-ms'];
    const p1 = pipeline(args, { plan: null });
    p1.stage.push([{ t: 100, v: new NumText(1.5, '1.50'), big: new NumText(2 ** 60, '1152921504606846977') }]);
    const text = snap(p1);
    expect(p1.out.records).toEqual([]);
    const p2 = pipeline(args, { plan: null });
    restore(p2, text);
    p2.stage.end();
    expect(p2.out.records.map((r) => stringifyRecord(r))).toEqual([
      '{"t":100,"v":1.50,"big":1152921504606846977,"window_start":"1970-01-01T00:00:00.100Z","window_end":"1970-01-01T00:00:00.110Z"}',
    ]);
    expect((p2.out.records[0] as { [EVENT_TIME]?: number })[EVENT_TIME]).toBe(100);
  });

  it('a state of another pipeline or a damaged one is an InputError, not a crash', () => {
    const p1 = pipeline(['tumbling', '10ms', '--time', 't'], { plan: testPlan({ clone: true }) });
    p1.stage.push([{ t: '1970-01-01T00:00:00.005Z' }]);
    const good = JSON.parse(snap(p1)) as { w: unknown; a: unknown };
    const session = pipeline(['session', '10ms', '--time', 't'], { plan: testPlan({ clone: true }) });
    expect(() => (session.stage as Stage).restore!(good.w)).toThrow(InputError);
    expect(() => (session.aggStage as Stage).restore!(good.a)).toThrow(/strategy/);
    const p2 = pipeline(['tumbling', '10ms', '--time', 't'], { plan: testPlan({ clone: true }) });
    for (const bad of [null, 7, 'x', { v: 99 }, { ...(good.w as object), wm: 'soon' }]) expect(() => (p2.stage as Stage).restore!(bad)).toThrow(InputError);
    const a = good.a as { windows: unknown[] };
    for (const bad of [{ ...a, windows: [[5]] }, { ...a, windows: [[0, [['', { k: '[]', a: ['x', 1] }]]]] }, { ...a, windows: [[0, [['', { k: '{', a: [1, 1] }]]]] }]) {
      expect(() => (p2.aggStage as Stage).restore!(bad)).toThrow(InputError);
    }
  });
});

describe('window checkpoint state with the real aggregates (Accumulator.toState/fromState)', () => {
  it('a restored session merged with a new one keeps the older first value (input positions go on after a restore)', async () => {
    const { compileAggPlan } = await import('../../src/agg/plan.js');
    const { parseAggList, parseKeyList } = await import('../../src/agg/parse.js');
    const plan = () => compileAggPlan(parseAggList('first(v), last(v), collect(v)'), []);
    const args = ['session', '10ms', '--lateness', '20ms', ...TIME];
    // t1 (v 1) is the session's first value; after the restore, t18 opens a second
    // session and (in a later batch, so its state exists) t9 bridges the two: the
    // merged first must still be 1.
    const batches = (): Rec[][] => [[{ t: 0 }, { t: 1, v: 1 }], [{ t: 18, v: 2 }], [{ t: 9, v: 3 }]];
    const whole = runWhole(args, plan(), batches());
    const parts = runSplit(args, plan, batches(), 1);
    expect(whole.out).toEqual(['{"window_start":"1970-01-01T00:00:00.000Z","window_end":"1970-01-01T00:00:00.028Z","first_v":1,"last_v":3,"collect_v":[1,2,3]}']);
    expect(parts.out).toEqual(whole.out);
  });

  it('tumbling, sliding (panes and per-window), session and count windows: split run equals one run', async () => {
    const { compileAggPlan } = await import('../../src/agg/plan.js');
    const { parseAggList, parseKeyList } = await import('../../src/agg/parse.js');
    const plan = () => compileAggPlan(parseAggList('count, sum(v), avg(v), p95(v), approx_distinct(k), distinct(k), min(v), max(v), stddev(v)'), parseKeyList('k'));
    const ordered = () => compileAggPlan(parseAggList('count, first(v), last(v), collect(v)'), parseKeyList('k'));
    fc.assert(
      fc.property(
        streamArb,
        fc.constantFrom(
          ['tumbling', '7ms', ...TIME],
          ['sliding', '12ms', '--every', '4ms', '--lateness', '5ms', ...TIME],
          ['session', '3ms', '--by', 'k', '--lateness', '4ms', ...TIME],
          ['count', '5', '--every', '2', '--by', 'k'],
        ),
        fc.boolean(),
        ({ batches, split }, args, useOrdered) => {
          const mk = useOrdered ? ordered : plan;
          const copy = () => batches.map((b) => b.map((r) => ({ ...r })));
          const whole = runWhole(args, mk(), copy());
          const parts = runSplit(args, mk, copy(), split);
          expect(parts.out).toEqual(whole.out);
        },
      ),
      { numRuns: 120 },
    );
  });
});
