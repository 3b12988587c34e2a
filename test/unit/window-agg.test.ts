/**
 * The windowed operator with the real agg plan (src/agg): pane sharing with
 * Two-Stacks gives the same groups and values as adding every record to every
 * window, for every aggregate; and `agg` after `window` goes through the link.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Rec, Stage } from '../../src/engine/types.js';
import { compileAggPlan } from '../../src/agg/plan.js';
import { parseAggList, parseKeyList } from '../../src/agg/parse.js';
import { agg } from '../../src/verbs/agg.js';
import { window } from '../../src/verbs/window.js';
import { buildTimeWindowAgg } from '../../src/window/agg.js';
import type { WindowVerbInstance } from '../../src/window/instance.js';
import { TwoStacks } from '../../src/window/twostacks.js';
import { collector, testCtx } from '../helpers/ctx.js';

// Order-insensitive aggregates only: with first, last or collect sliding windows do not share panes (see below).
const AGGS = 'count, count(d), sum(d), avg(d), min(d), max(d), stddev(d), var(d), distinct(o), approx_distinct(o), median(d), p90(d)';

/** Deep equality with a relative tolerance for floating-point results (sums merged in another order). */
function close(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => close(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.join() === kb.join() && ka.every((k) => close((a as Rec)[k], (b as Rec)[k]));
  }
  return a === b;
}

function runWith(panes: boolean, args: string[], recs: Rec[], aggs = AGGS): Rec[] {
  const inst = window.parse(args) as WindowVerbInstance;
  const plan = compileAggPlan(parseAggList(aggs), parseKeyList('k'));
  const out = collector();
  const a = buildTimeWindowAgg(plan, inst.windowSpec, out, { panes });
  inst.consumer = a;
  const ctx = testCtx(0);
  const s = inst.build(a, ctx, { verbs: [inst], index: 0 });
  for (let i = 0; i < recs.length; i += 7) s.push(recs.slice(i, i + 7).map((r) => ({ ...r })));
  s.end();
  return out.records;
}

describe('sliding windows with the real aggregates', () => {
  it('panes + Two-Stacks equal one state per window, for every aggregate (in-order input)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.constantFrom('x', 'y', 'z'), fc.option(fc.integer({ min: -50, max: 50 })), fc.constantFrom('A', 'B', 'C', 'D')), {
          maxLength: 150,
        }),
        fc.integer({ min: 2, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        (rows, size, slideRaw) => {
          const slide = Math.min(size - 1, slideRaw) || 1;
          let t = 1_000;
          const recs = rows.map(([dt, k, d, o]) => ({ t: (t += dt), k, d, o }));
          const args = ['sliding', `${size}ms`, '--every', `${slide}ms`, '--time', 't', '--time-format', 'epoch-ms'];
          const a = runWith(true, args, recs);
          const b = runWith(false, args, recs);
          expect(a.length).toBe(b.length);
          for (let i = 0; i < a.length; i++) if (!close(a[i], b[i])) expect(a[i]).toEqual(b[i]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('an hour sliding every minute agrees with the per-window computation on real flights', async () => {
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(new URL('../fixtures/flights-20k.ndjson', import.meta.url), 'utf8').trim().split('\n').slice(0, 3000);
    const recs = lines.map((l) => {
      const r = JSON.parse(l) as Rec;
      return { t: r.time, k: r.origin === 'ATL' || r.origin === 'ORD' ? r.origin : 'other', d: r.delay, o: r.destination };
    });
    const args = ['sliding', '1h', '--every', '1m', '--time', 't'];
    const a = runWith(true, args, recs);
    const b = runWith(false, args, recs);
    expect(a.length).toBeGreaterThan(500);
    expect(a.length).toBe(b.length);
    for (let i = 0; i < a.length; i++) if (!close(a[i], b[i])) expect(a[i]).toEqual(b[i]);
  });
});

describe('sliding windows: first, last and collect take records in arrival order, the same for every group (issue 10 item 2)', () => {
  const args = ['sliding', '2h', '--every', '30m', '--time', 't', '--lateness', '1h'];
  const ORDERED = 'first(id), last(id), collect(id), count';
  const a1 = { t: '2001-01-01T03:05:00Z', k: 'a', id: 'a1' };
  const a2 = { t: '2001-01-01T02:18:00Z', k: 'a', id: 'a2' };
  const u1 = { t: '2001-01-01T01:50:00Z', k: 'u', id: 'u1' };
  const u2 = { t: '2001-01-01T04:20:00Z', k: 'u', id: 'u2' };
  const windowOfA = (out: Rec[]) => out.find((r) => r.k === 'a' && r.window_start === '2001-01-01T01:30:00.000Z');

  it('the example of the issue: key a in [01:30, 03:30) gives first a1, last a2 with or without the u records', () => {
    for (const recs of [[u1, a1, u2, a2], [a1, a2]]) {
      const w = windowOfA(runWith(true, args, recs, ORDERED));
      expect(w).toMatchObject({ first_id: 'a1', last_id: 'a2', collect_id: ['a1', 'a2'], count: 2 });
    }
  });

  it('property: each group equals a reference from SPEC §4.1 that adds records to their open windows in arrival order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.constantFrom('x', 'y')), { maxLength: 60 }),
        fc.integer({ min: 2, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 30 }),
        (rows, size, slideRaw, lateness) => {
          const slide = Math.min(size - 1, slideRaw) || 1;
          const recs = rows.map(([t, k], id) => ({ t: 1000 + t, k, id }));
          const a = ['sliding', `${size}ms`, '--every', `${slide}ms`, '--time', 't', '--time-format', 'epoch-ms', '--lateness', `${lateness}ms`];
          const got = runWith(true, a, recs, ORDERED);
          // Reference: the watermark before record i is the largest earlier time minus lateness;
          // the record joins each window [s, s + size) holding it whose end is past that watermark.
          const ref = new Map<string, number[]>();
          let maxT = -Infinity;
          for (const r of recs) {
            const wm = maxT - lateness;
            for (let s0 = r.t - (((r.t % slide) + slide) % slide); s0 > r.t - size; s0 -= slide) {
              if (s0 + size <= wm) continue;
              const key = `${s0} ${r.k}`;
              if (!ref.has(key)) ref.set(key, []);
              ref.get(key)!.push(r.id);
            }
            maxT = Math.max(maxT, r.t);
          }
          const seen = new Map<string, Rec>();
          for (const r of got) seen.set(`${Date.parse(r.window_start as string)} ${r.k}`, r);
          expect([...seen.keys()].sort()).toEqual([...ref.keys()].sort());
          for (const [key, ids] of ref) {
            expect(seen.get(key)).toMatchObject({ first_id: ids[0], last_id: ids[ids.length - 1], collect_id: ids, count: ids.length });
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('agg after window through the verbs', () => {
  it('agg.build finds the window upstream and emits per window', () => {
    const w = window.parse(['tumbling', '10m', '--time', 'ts']);
    const a = agg.parse(['count, sum(v)', 'by', 'k']);
    const ctx = testCtx(0);
    const out = collector();
    const verbs = [w, a];
    const aStage: Stage = a.build(out, ctx, { verbs, index: 1 });
    const wStage = w.build(aStage, ctx, { verbs, index: 0 });
    wStage.push([
      { ts: '2001-01-01T08:05:00Z', k: 'p', v: 4 },
      { ts: '2001-01-01T08:07:00Z', k: 'q', v: 2 },
      { ts: '2001-01-01T08:09:00Z', k: 'p', v: 5 },
      { ts: '2001-01-01T08:11:00Z', k: 'p', v: 3 },
    ]);
    expect(out.records).toEqual([
      { window_start: '2001-01-01T08:00:00.000Z', window_end: '2001-01-01T08:10:00.000Z', k: 'p', count: 2, sum_v: 9 },
      { window_start: '2001-01-01T08:00:00.000Z', window_end: '2001-01-01T08:10:00.000Z', k: 'q', count: 1, sum_v: 2 },
    ]);
    wStage.end();
    expect(out.records[2]).toEqual({ window_start: '2001-01-01T08:10:00.000Z', window_end: '2001-01-01T08:20:00.000Z', k: 'p', count: 1, sum_v: 3 });
    expect(out.ended).toBe(true);
  });
});

describe('TwoStacks', () => {
  it('query equals the fold of the panes held, under random push/evict', () => {
    // Monoid on "states" that record the sequence of panes they hold (order-sensitive, like collect).
    const m = {
      merge: (a: { keyValues: unknown[]; accs: never[]; xs?: number[] }, b: { xs?: number[] }) => {
        a.xs!.push(...b.xs!);
        b.xs = undefined;
      },
      clone: (g: { keyValues: unknown[]; accs: never[]; xs?: number[] }) => ({ keyValues: [], accs: [], xs: [...g.xs!] }),
    };
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant('push'), fc.constant('evict'), fc.constant('query')), { maxLength: 200 }), (ops) => {
        const q = new TwoStacks(m as never);
        const model: number[] = [];
        let next = 0;
        let low = 0;
        for (const op of ops) {
          if (op === 'push') {
            const p = next++;
            q.push(p, { keyValues: [], accs: [], xs: [p] } as never, p);
            model.push(p);
          } else if (op === 'evict') {
            low += 2;
            q.evictBefore(low);
            while (model.length && model[0]! < low) model.shift();
          } else if (model.length) {
            const r = q.query() as unknown as { g: { xs: number[] }; seq: number };
            expect(r.g.xs).toEqual(model);
            expect(r.seq).toBe(model[0]);
          }
          expect(q.length).toBe(model.length);
        }
      }),
    );
  });
});
