/**
 * The group-state encoder shared by agg and the window module for
 * checkpoints (src/agg/group-state.ts, used by window/state.ts): a group
 * survives the round trip with its key text (numbers as read) and every
 * accumulator's result, and states that do not fit the plan fail with the
 * caller's kind of error and the words of each case.
 */
import { describe, expect, it } from 'vitest';
import type { Rec } from '../../src/engine/types.js';
import { NumText, noteNumText } from '../../src/engine/values.js';
import { parseExact } from '../../src/formats/exactjson.js';
import { checkNames, parseAggList, parseKeyList } from '../../src/agg/parse.js';
import { compileAggPlan, type CompiledAggPlan } from '../../src/agg/plan.js';
import { decodeGroupState, encodeGroupState } from '../../src/agg/group-state.js';
import type { Accumulator, GroupState } from '../../src/agg/types.js';
import { StateError, decodeGroup, encodeGroup } from '../../src/window/state.js';

function plan(aggText: string, keyText: string): CompiledAggPlan {
  const aggs = parseAggList(aggText);
  const keys = parseKeyList(keyText);
  checkNames(keys, aggs);
  return compileAggPlan(aggs, keys);
}

function group(p: CompiledAggPlan, recs: Rec[]): GroupState {
  const g = p.newGroup(recs[0]!);
  for (const r of recs) p.add(g, r);
  return g;
}

noteNumText(); // as a reader does when it keeps a number's text
const P = plan('count, sum(x), avg(x), p50(x), first(s), collect(s), approx_distinct(s)', 'k');
const RECS: Rec[] = [
  { k: new NumText(1.5, '1.50'), x: 3, s: 'a' },
  { k: new NumText(1.5, '1.50'), x: 4.25, s: 'b' },
  { k: new NumText(1.5, '1.50'), x: -1, s: 'a' },
];

const fail = (what: string): Error => new Error(`T: ${what}`);
const results = (g: GroupState): Rec => P.output(g, {});

describe('group state for checkpoints', () => {
  it('round trip: same key text, same results, through JSON', () => {
    const g = group(P, RECS);
    const st = JSON.parse(JSON.stringify(encodeGroupState(g, () => new Error('cannot save')))) as { k: string; a: unknown[] };
    // The window module's wrapper writes the same state (before a result sorts the quantile buffer).
    const w = JSON.parse(JSON.stringify(encodeGroup(g)));
    expect(w).toEqual(st);
    expect(st.k).toBe('[1.50]');
    expect(st.a).toHaveLength(7);
    const back = decodeGroupState(P, parseExact(st.k), st.a, 5, fail, false);
    expect(back.first).toBe(5);
    expect(results(back)).toEqual(results(g));
    expect(results(decodeGroup(P, w))).toEqual(results(g));
  });

  it('states that do not fit the plan fail with the caller\'s error and say why', () => {
    const st = encodeGroupState(group(P, RECS), () => new Error('cannot save'));
    const kv = [1];
    expect(() => decodeGroupState(P, [1, 2], st.a, 0, fail, false)).toThrow('T: group keys do not match the agg keys');
    expect(() => decodeGroupState(P, 'x', st.a, 0, fail, false)).toThrow('T: group keys do not match the agg keys');
    expect(() => decodeGroupState(P, kv, {}, 0, fail, false)).toThrow('T: group aggregates is not a list');
    expect(() => decodeGroupState(P, kv, st.a.slice(1), 0, fail, false)).toThrow('T: group aggregates do not match the agg');
    const bad = st.a.slice();
    bad[1] = 'not a sum state';
    // Without wrap the accumulator's own error passes through; with wrap it is the caller's, naming the aggregate.
    expect(() => decodeGroupState(P, kv, bad, 0, fail, false)).toThrow('sum state is not an object');
    expect(() => decodeGroupState(P, kv, bad, 0, fail, true)).toThrow('T: aggregate #2: ');
    // The window module: StateError (an InputError naming the checkpoint).
    expect(() => decodeGroup(P, { k: '[1', a: st.a })).toThrow(StateError);
    expect(() => decodeGroup(P, { k: '[1', a: st.a })).toThrow('group keys are not JSON');
    expect(() => decodeGroup(P, { k: '[1]', a: bad })).toThrow(/checkpoint state does not fit this pipeline: aggregate #2: /);
  });

  it('an accumulator without toState or fromState is named', () => {
    const g = group(P, RECS);
    const odd: Accumulator = { add() {}, merge() {}, result: () => null };
    g.accs[3] = odd;
    expect(() => encodeGroupState(g, (i) => new Error(`#${i + 1} cannot be saved`))).toThrow('#4 cannot be saved');
    expect(() => encodeGroup(g)).toThrow(/aggregate #4 \(Object\) cannot be saved in a checkpoint/);
    const st = encodeGroupState(group(P, RECS), () => new Error('cannot save'));
    const q = plan('count', 'k');
    const h = q.emptyLike({ keyValues: [1], accs: [] });
    (h.accs as Accumulator[])[0] = odd;
    const lying = { ...q, emptyLike: () => h } as CompiledAggPlan;
    expect(() => decodeGroupState(lying, [1], st.a.slice(0, 1), 0, fail, false)).toThrow('T: aggregate #1 cannot be restored from a checkpoint');
  });
});
