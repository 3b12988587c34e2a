/**
 * The frames of `over` (Two-Stacks over GroupStates, and over typed arrays)
 * against brute force: for random streams (several keys, nulls, strings,
 * NumText, equal times, random batch splits), every output aggregate must
 * equal the aggregate of a fresh group fed the records of its frame.
 */
import { describe, expect, it } from 'vitest';
import { parseAggList, parseKeyList } from '../../src/agg/parse.js';
import { compileAggPlan } from '../../src/agg/plan.js';
import { buildOverStage, type FrameSpec } from '../../src/over/stage.js';
import { numLayout } from '../../src/over/numframe.js';
import { NumText } from '../../src/engine/values.js';
import type { Rec } from '../../src/engine/types.js';
import { collector, testCtx } from '../helpers/ctx.js';

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function stream(seed: number, n: number): Rec[] {
  const r = rng(seed);
  const times = new Map<string, number>();
  const out: Rec[] = [];
  for (let i = 0; i < n; i++) {
    const k = 'k' + Math.floor(r() * 3);
    const t = (times.get(k) ?? 0) + (r() < 0.3 ? 0 : Math.floor(r() * 4000));
    times.set(k, t);
    const u = r();
    const x = u < 0.1 ? null : u < 0.15 ? 'txt' + Math.floor(r() * 3) : u < 0.2 ? new NumText(1.5, '1.50') : u < 0.22 ? undefined : Math.round(r() * 200 - 50);
    const rec: Rec = { k, t, i };
    if (x !== undefined) rec.x = x;
    out.push(rec);
  }
  return out;
}

const AGGS = {
  // Results combined from the two stacks without a merged state.
  combinable: 'count, count(x) as cx, sum(x), avg(x), min(x), max(x), first(x), last(x), var(x), stddev(x)',
  // Typed-array frames.
  numeric: 'count, count(x) as cx, sum(x), avg(x), var(x), stddev(x)',
  general: 'count, sum(x), avg(x), min(x), max(x), first(x), last(x), stddev(x), distinct(x), p50(x), p90(x), collect(x)',
};

function run(text: string, frame: FrameSpec, recs: Rec[], seed: number): Rec[] {
  const aggs = parseAggList(text);
  const keys = parseKeyList('k');
  const c = collector();
  const stage = buildOverStage(
    {
      frame,
      plan: compileAggPlan(aggs, keys),
      aggNames: aggs.map((a) => a.name),
      steps: [],
      stepNames: [],
      order: aggs.map((a, i) => ({ kind: 'a' as const, i, name: a.name })),
      timePath: frame.kind === 'range' ? ['t'] : null,
      timeName: 't',
      timeFormat: 'epoch-ms',
      numLayout: text === AGGS.numeric ? numLayout(aggs) : null,
      lateness: null,
    },
    c,
    testCtx(),
  );
  const r = rng(seed);
  const copy = recs.map((x) => ({ ...x }));
  for (let i = 0; i < copy.length; ) {
    const n = 1 + Math.floor(r() * 7);
    stage.push(copy.slice(i, i + n));
    i += n;
  }
  stage.end();
  return c.records;
}

function brute(text: string, frame: FrameSpec, recs: Rec[]): unknown[][] {
  const aggs = parseAggList(text);
  const plan = compileAggPlan(aggs, []);
  return recs.map((rec, i) => {
    const inFrame = recs.slice(0, i + 1).filter((o) => o.k === rec.k);
    const f =
      frame.kind === 'rows'
        ? inFrame.slice(Math.max(0, inFrame.length - frame.n))
        : frame.kind === 'range'
          ? inFrame.filter((o) => (o.t as number) >= (rec.t as number) - frame.ms)
          : inFrame;
    const g = plan.newGroup(rec);
    for (const o of f) plan.add(g, o);
    return g.accs.map((a) => a.result());
  });
}

function close(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  return JSON.stringify(a) === JSON.stringify(b);
}

describe('over frames against brute force', () => {
  const frames: FrameSpec[] = [{ kind: 'rows', n: 1 }, { kind: 'rows', n: 4 }, { kind: 'rows', n: 17 }, { kind: 'all' }, { kind: 'range', ms: 0 }, { kind: 'range', ms: 5000 }, { kind: 'range', ms: 20000 }];
  for (const kind of ['combinable', 'numeric', 'general'] as const) {
    for (const frame of frames) {
      it(`${kind} aggregates, ${JSON.stringify(frame)}`, () => {
        for (let seed = 1; seed <= 6; seed++) {
          const recs = stream(seed * 7919, 300);
          const got = run(AGGS[kind], frame, recs, seed);
          const want = brute(AGGS[kind], frame, recs);
          const names = parseAggList(AGGS[kind]).map((a) => a.name);
          expect(got.length).toBe(recs.length);
          for (let i = 0; i < recs.length; i++) {
            for (let j = 0; j < names.length; j++) {
              const g = got[i]![names[j]!];
              if (!close(g, want[i]![j])) {
                throw new Error(`seed ${seed} record ${i} ${names[j]}: got ${JSON.stringify(g)} want ${JSON.stringify(want[i]![j])}`);
              }
            }
            expect(got[i]!.i).toBe(i);
          }
        }
      });
    }
  }
});

describe('over --range --lateness frees keys whose frame has emptied', () => {
  function build(lateness: number | null, ctx = testCtx()) {
    const aggs = parseAggList('count, avg(x)');
    const c = collector();
    const stage = buildOverStage(
      {
        frame: { kind: 'range', ms: 1000 },
        plan: compileAggPlan(aggs, parseKeyList('k')),
        aggNames: aggs.map((a) => a.name),
        steps: [],
        stepNames: [],
        order: aggs.map((a, i) => ({ kind: 'a' as const, i, name: a.name })),
        timePath: ['t'],
        timeName: 't',
        timeFormat: 'epoch-ms',
        numLayout: numLayout(aggs),
        lateness,
      },
      c,
      ctx,
    );
    return { stage, c };
  }
  it('keys stay few on an endless stream of new keys, and outputs are those of a run that keeps every key', () => {
    const kept = build(null);
    const freed = build(0);
    let maxKeys = 0;
    for (let i = 0; i < 50_000; i += 100) {
      const batch = (): Rec[] => Array.from({ length: 100 }, (_, j) => ({ k: `ip${(i + j) % 20_000}`, t: (i + j) * 10, x: j }));
      kept.stage.push(batch());
      freed.stage.push(batch());
      maxKeys = Math.max(maxKeys, freed.stage.keys);
    }
    expect(kept.stage.keys).toBe(20_000);
    // 1 s of frame at 100 records/s of event time, plus one sweep period: a few hundred keys.
    expect(maxKeys).toBeLessThan(500);
    expect(freed.c.records).toEqual(kept.c.records);
  });
  it('a record more than --lateness behind the latest time is late: rejected, not counted', () => {
    const ctx = testCtx();
    const { stage, c } = build(500, ctx);
    stage.push([{ k: 'a', t: 10_000, x: 1 }, { k: 'b', t: 9_600, x: 2 }, { k: 'c', t: 9_400, x: 3 }, { k: 'a', t: 10_100, x: 4 }]);
    expect(c.records.map((r) => [r.k, r.count])).toEqual([['a', 1], ['b', 1], ['a', 2]]);
    expect(ctx.errorsSink.rejected.map((r) => r.error)).toEqual([expect.stringMatching(/more than --lateness 500ms behind the latest time.*late/)]);
  });
});
