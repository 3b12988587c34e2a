/**
 * Count windows before agg share panes of gcd(N, M) records (issue 10 item
 * 17): results equal a naive reference that adds every record to each of its
 * windows, with the real aggregates (order-sensitive ones included), agg
 * groups other than the --by key, any batch split, and N/M up to 40.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Rec } from '../../src/engine/types.js';
import { compileAggPlan } from '../../src/agg/plan.js';
import { parseAggList, parseKeyList } from '../../src/agg/parse.js';
import { pipeline } from './window-helpers.js';

interface In {
  k: string;
  g: string;
  v: number;
}

/** The naive reference, from SPEC §4.1/§4.2 alone: windows in closing order, then the open ones by id; groups by first appearance. */
function reference(recs: In[], n: number, m: number): Rec[] {
  interface Win {
    id: number;
    recs: In[];
    closedAt: number;
  }
  const perKey = new Map<string, number>();
  const open = new Map<string, Win[]>();
  const all: Win[] = [];
  let nextId = 0;
  recs.forEach((r, pos) => {
    const i = perKey.get(r.k) ?? 0;
    perKey.set(r.k, i + 1);
    let list = open.get(r.k);
    if (list === undefined) open.set(r.k, (list = []));
    if (i % m === 0) {
      const w: Win = { id: nextId++, recs: [], closedAt: Infinity };
      list.push(w);
      all.push(w);
    }
    for (const w of list) w.recs.push(r);
    if (list[0]!.recs.length === n) list.shift()!.closedAt = pos;
  });
  const order = [...all.filter((w) => w.closedAt < Infinity).sort((a, b) => a.closedAt - b.closedAt), ...all.filter((w) => w.closedAt === Infinity)];
  const out: Rec[] = [];
  for (const w of order) {
    const groups = new Map<string, In[]>();
    for (const r of w.recs) {
      let l = groups.get(r.g);
      if (l === undefined) groups.set(r.g, (l = []));
      l.push(r);
    }
    for (const [g, l] of groups) {
      const vs = l.map((r) => r.v);
      out.push({ window_id: w.id, g, count: l.length, sum_v: vs.reduce((a, b) => a + b, 0), first_v: vs[0], last_v: vs.at(-1), collect_v: vs, max_v: Math.max(...vs) });
    }
  }
  return out;
}

describe('count windows with pane sharing equal the naive reference (property)', () => {
  it('window count N --every M [--by k] then agg count, sum, first, last, collect, max by g', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ k: fc.constantFrom('a', 'b', '__proto__'), g: fc.constantFrom('x', 'y', 'z'), v: fc.integer({ min: -50, max: 50 }) }), { maxLength: 150 }),
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 10 }),
        (recs, n, f, by, cuts) => {
          const m = Math.max(1, Math.round(n * f));
          const input = by ? recs : recs.map((r) => ({ ...r, k: '' }));
          const plan = compileAggPlan(parseAggList('count, sum(v), first(v), last(v), collect(v), max(v)'), parseKeyList('g'));
          const { stage, out } = pipeline(['count', String(n), '--every', String(m), ...(by ? ['--by', 'k'] : [])], { plan });
          let at = 0;
          for (let c = 0; at < input.length; c++) {
            const len = cuts[c % cuts.length]!;
            stage.push(input.slice(at, at + len).map((r) => ({ ...r })));
            at += len;
          }
          stage.end();
          const got = out.records.map((r) => JSON.parse(JSON.stringify(r)) as Rec);
          expect(got).toEqual(reference(input, n, m));
        },
      ),
      { numRuns: 300 },
    );
  });
});
