/**
 * Property: windowed results equal a batch computation that assigns every
 * record to its windows directly, for random times, sizes, slides, offsets,
 * lateness, batch splits and mildly shuffled arrival order. The reference
 * below is written from SPEC §4.1 alone (no code shared with src/window).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Rec } from '../../src/engine/types.js';
import { freshStage, pipeline, testPlan } from './window-helpers.js';

interface In {
  t: number;
  k: string;
  v: number;
}

/** Mildly shuffled times: increasing steps, then random nearby swaps. */
const streamArb = fc
  .record({
    base: fc.integer({ min: -5000, max: 5000 }),
    steps: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 0, maxLength: 120 }),
    keys: fc.array(fc.constantFrom('a', 'b', 'c', '__proto__'), { minLength: 120, maxLength: 120 }),
    swaps: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 6 })), { maxLength: 40 }),
    cuts: fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 1, maxLength: 20 }),
  })
  .map(({ base, steps, keys, swaps, cuts }) => {
    let t = base;
    const recs: In[] = steps.map((s, i) => {
      t += s;
      return { t, k: keys[i]!, v: (i % 7) + 1 };
    });
    for (const [i, d] of swaps) {
      if (recs.length < 2) break;
      const a = i % recs.length;
      const b = Math.min(recs.length - 1, a + d);
      [recs[a], recs[b]] = [recs[b]!, recs[a]!];
    }
    return { recs, cuts };
  });

const windowArb = fc
  .record({
    size: fc.integer({ min: 1, max: 60 }),
    slideFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    sliding: fc.boolean(),
    offset: fc.integer({ min: -40, max: 40 }),
    lateness: fc.integer({ min: 0, max: 25 }),
  })
  .map(({ size, slideFrac, sliding, offset, lateness }) => ({
    size,
    slide: sliding ? Math.max(1, Math.round(size * slideFrac)) : size,
    offset,
    lateness,
  }));

/** Split records into batches of the given sizes (cycling). */
function batches<T>(xs: T[], cuts: number[]): T[][] {
  const out: T[][] = [];
  let i = 0;
  let c = 0;
  while (i < xs.length) {
    const n = cuts[c++ % cuts.length]!;
    out.push(xs.slice(i, i + n));
    i += n;
  }
  return out;
}

/** The reference: each record, in arrival order, goes to every window holding its time whose end the watermark has not reached. */
function reference(recs: In[], w: { size: number; slide: number; offset: number; lateness: number }, byKey: boolean) {
  let wm = -Infinity;
  let late = 0;
  const wins = new Map<number, Map<string, { k: string; count: number; sum: number }>>();
  const lateRecs: In[] = [];
  const perRecord: Array<{ rec: In; starts: number[] }> = [];
  for (const r of recs) {
    const starts: number[] = [];
    // Starts s with s ≡ offset (mod slide) and t − size < s ≤ t.
    const last = Math.floor((r.t - w.offset) / w.slide) * w.slide + w.offset;
    for (let s = last; s > r.t - w.size; s -= w.slide) if (s + w.size > wm) starts.unshift(s);
    if (starts.length === 0) {
      late++;
      lateRecs.push(r);
    } else {
      perRecord.push({ rec: r, starts });
      for (const s of starts) {
        let m = wins.get(s);
        if (!m) wins.set(s, (m = new Map()));
        const key = byKey ? r.k : '';
        let g = m.get(key);
        if (!g) m.set(key, (g = { k: r.k, count: 0, sum: 0 }));
        g.count++;
        g.sum += r.v;
      }
    }
    wm = Math.max(wm, r.t - w.lateness);
  }
  const rows: Rec[] = [];
  const closedBeforeEnd: Rec[] = [];
  for (const s of [...wins.keys()].sort((a, b) => a - b)) {
    for (const g of wins.get(s)!.values()) {
      const row: Rec = { window_start: new Date(s).toISOString(), window_end: new Date(s + w.size).toISOString() };
      if (byKey) Object.defineProperty(row, 'k', { value: g.k, enumerable: true, writable: true, configurable: true });
      row.count = g.count;
      row.sum_v = g.sum;
      rows.push(row);
      if (s + w.size <= wm) closedBeforeEnd.push(row);
    }
  }
  return { rows, late, lateRecs, closedBeforeEnd, perRecord };
}

function args(w: { size: number; slide: number; offset: number; lateness: number }): string[] {
  const a = w.size === w.slide ? ['tumbling', `${w.size}ms`] : ['sliding', `${w.size}ms`, '--every', `${w.slide}ms`];
  return [...a, '--time', 't', '--time-format', 'epoch-ms', `--offset=${w.offset}ms`, '--lateness', `${w.lateness}ms`, '--late-output', 'late'];
}

describe('windowed agg equals direct assignment (property)', () => {
  const strategies = [
    { name: 'panes + Two-Stacks, plan clone', clone: true, panes: true },
    { name: 'panes + Two-Stacks, structural clone', clone: false, panes: true },
    { name: 'one state per window', clone: false, panes: false },
    { name: 'panes, through a verb that builds new records (side channel)', clone: true, panes: true, fresh: true },
    { name: 'one state per window, through a verb that builds new records', clone: false, panes: false, fresh: true },
  ];
  for (const st of strategies) {
    it(`tumbling and sliding, ${st.name}`, () => {
      fc.assert(
        fc.property(streamArb, windowArb, fc.boolean(), ({ recs, cuts }, w, byKey) => {
          const ref = reference(recs, w, byKey);
          const plan = testPlan({ by: byKey ? 'k' : undefined, clone: st.clone });
          const { stage, out, ctx, aggStage } = pipeline(args(w), { plan, panes: st.panes, between: 'fresh' in st ? freshStage() : undefined });
          for (const b of batches(recs, cuts)) stage.push(b.map((r) => ({ ...r })));
          const beforeEnd = out.records.length;
          stage.end();
          expect(out.records).toEqual(ref.rows);
          // Every window the watermark closed was written before end of input.
          expect(beforeEnd).toBe(ref.closedBeforeEnd.length);
          expect(stage.stats.late).toBe(ref.late);
          expect(aggStage!.stats!.lateInAgg).toBe(0);
          expect(ctx.outputs.get('late')).toBe(ref.lateRecs.map((r) => JSON.stringify(r) + '\n').join(''));
          expect(out.ended).toBe(true);
        }),
        { numRuns: 400 },
      );
    });
  }

  it('window alone: each in-time record once per open window, as it arrives', () => {
    fc.assert(
      fc.property(streamArb, windowArb, ({ recs, cuts }, w) => {
        const ref = reference(recs, w, false);
        const { stage, out } = pipeline(args(w));
        for (const b of batches(recs, cuts)) stage.push(b.map((r) => ({ ...r })));
        stage.end();
        const expected = ref.perRecord.flatMap(({ rec, starts }) =>
          starts.map((s) => ({ ...rec, window_start: new Date(s).toISOString(), window_end: new Date(s + w.size).toISOString() })),
        );
        expect(out.records.map((r) => JSON.parse(JSON.stringify(r)))).toEqual(JSON.parse(JSON.stringify(expected)));
        expect(stage.stats.late).toBe(ref.late);
      }),
      { numRuns: 300 },
    );
  });
});

describe('session windows equal gap clustering (property)', () => {
  it('with lateness covering the disorder, sessions are the batch clustering of each key', () => {
    fc.assert(
      fc.property(streamArb, fc.integer({ min: 1, max: 30 }), fc.boolean(), ({ recs, cuts }, gap, ordered) => {
        // Ordered: strictly increasing times. (With equal times, a record of another key can move the
        // watermark to exactly a session's end and close it before a record GAP after its last one
        // arrives: then, as in Flink, that record starts a new session.)
        const input = ordered ? [...recs].sort((a, b) => a.t - b.t).map((r, i) => ({ ...r, t: r.t + i })) : recs;
        const span = recs.length ? Math.max(...recs.map((r) => r.t)) - Math.min(...recs.map((r) => r.t)) : 0;
        const lateness = ordered ? 0 : span + 1;
        // Reference: per key, sort times, cut where consecutive times are more than gap apart.
        const expected: Array<{ start: number; end: number; k: string; count: number; sum: number; first: number }> = [];
        const keys = [...new Set(input.map((r) => r.k))];
        for (const k of keys) {
          const pts = input.map((r, i) => ({ ...r, i })).filter((r) => r.k === k).sort((a, b) => a.t - b.t);
          let cur: (typeof expected)[number] | null = null;
          for (const p of pts) {
            if (cur && p.t - (cur.end - gap) <= gap) {
              cur.end = Math.max(cur.end, p.t + gap);
              cur.count++;
              cur.sum += p.v;
              cur.first = Math.min(cur.first, p.i);
            } else {
              cur = { start: p.t, end: p.t + gap, k, count: 1, sum: p.v, first: p.i };
              expected.push(cur);
            }
          }
        }
        // Output order: by end, then start; sessions of different keys with equal bounds by first record.
        expected.sort((a, b) => a.end - b.end || a.start - b.start || a.first - b.first);
        const plan = testPlan({ by: 'k' });
        const { stage, out } = pipeline(['session', `${gap}ms`, '--by', 'k', '--time', 't', '--time-format', 'epoch-ms', '--lateness', `${lateness}ms`], { plan });
        for (const b of batches(input, cuts)) stage.push(b.map((r) => ({ ...r })));
        stage.end();
        expect(stage.stats.late).toBe(0);
        expect(out.records.map((r) => [r.window_start, r.window_end, r.k, r.count, r.sum_v])).toEqual(
          expected.map((e) => [new Date(e.start).toISOString(), new Date(e.end).toISOString(), e.k, e.count, e.sum]),
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('count windows equal direct assignment (property)', () => {
  it('record i of a key is in windows j with j·M ≤ i < j·M + N', () => {
    fc.assert(
      fc.property(streamArb, fc.integer({ min: 1, max: 30 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), ({ recs, cuts }, n, f, withClone) => {
        const m = Math.max(1, Math.round(n * f));
        const idx = new Map<string, number>();
        const wins = new Map<string, { k: string; id: number; count: number; sum: number; closedAt: number; seq: number }>();
        let seq = 0;
        recs.forEach((r, pos) => {
          const i = idx.get(r.k) ?? 0;
          idx.set(r.k, i + 1);
          for (let j = Math.floor(i / m); j >= 0 && j * m + n > i; j--) {
            const key = `${r.k}/${j}`;
            let w = wins.get(key);
            if (!w) wins.set(key, (w = { k: r.k, id: j, count: 0, sum: 0, closedAt: Infinity, seq: 0 }));
            w.count++;
            w.sum += r.v;
            if (i === j * m + n - 1) w.closedAt = pos;
          }
        });
        // Windows are created in order of their first record; emitted when full (by the filling record), the rest at end by creation.
        const created = [...wins.values()];
        created.forEach((w) => (w.seq = seq++));
        const firstPos = (w: { k: string; id: number }) => {
          let c = 0;
          return recs.findIndex((r) => r.k === w.k && c++ === w.id * m);
        };
        const full = created.filter((w) => w.closedAt < Infinity).sort((a, b) => a.closedAt - b.closedAt || a.id - b.id);
        const partial = created.filter((w) => w.closedAt === Infinity).sort((a, b) => firstPos(a) - firstPos(b));
        // window_id: the window's number in the order windows open, over all keys.
        const expected = [...full, ...partial].map((w) => ({ window_id: w.seq, k: w.k, count: w.count, sum_v: w.sum }));
        const { stage, out } = pipeline(['count', String(n), '--every', String(m), '--by', 'k'], { plan: testPlan({ by: 'k', clone: withClone }) });
        for (const b of batches(recs, cuts)) stage.push(b.map((r) => ({ ...r })));
        stage.end();
        expect(out.records.map((r) => ({ ...r }))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
