/**
 * A group's checkpoint state, as `agg` (stage.ts) and the window module
 * (window/state.ts) save and restore it: `k` the group's key values as one
 * JSON text with exact numbers (`stringifyValue`; a `NumText` such as `1.50`
 * keeps its text), `a` each accumulator's `toState()` (the partial state
 * format of src/state/). Each caller adds its own fields and its own kind of
 * error (`fail`).
 */
import type { Accumulator, AggPlan, GroupState } from './types.js';
import { stringifyValue } from '../engine/values.js';

/**
 * The `{k, a}` of a group.
 * @param cannotSave the error for accumulator `i` that has no `toState`
 * @throws what `cannotSave` returns
 */
export function encodeGroupState(g: GroupState, cannotSave: (i: number, acc: Accumulator) => Error): { k: string; a: unknown[] } {
  const kv = g.keyValues.map((v) => (v === undefined ? null : v));
  const a = new Array<unknown>(g.accs.length);
  for (let i = 0; i < g.accs.length; i++) {
    const acc = g.accs[i]!;
    if (typeof acc.toState !== 'function') throw cannotSave(i, acc);
    a[i] = acc.toState();
  }
  return { k: stringifyValue(kv), a };
}

/**
 * A fresh group of `plan` (`emptyLike`, with the input position `first`)
 * under the key values `kv` (parsed from `k`), each accumulator restored from
 * its state in `a`.
 * @param fail the error for a state that does not fit `plan` (its argument
 *   says what: `group keys do not match the agg keys`, `group aggregates is
 *   not a list`, `group aggregates do not match the agg`, `aggregate #N
 *   cannot be restored from a checkpoint`, and with `wrap` `aggregate #N:
 *   REASON` for an error of the accumulator's `fromState`)
 * @param wrap true: an accumulator's `fromState` error becomes `fail`'s;
 *   false: it is thrown as it is
 * @throws what `fail` returns, or (without `wrap`) what `fromState` throws
 */
export function decodeGroupState(plan: AggPlan, kv: unknown, a: unknown, first: number | undefined, fail: (what: string) => Error, wrap: boolean): GroupState {
  if (!Array.isArray(kv) || kv.length !== plan.keyNames.length) throw fail('group keys do not match the agg keys');
  const g = plan.emptyLike({ keyValues: kv, accs: [], first });
  if (!Array.isArray(a)) throw fail('group aggregates is not a list');
  if (a.length !== g.accs.length) throw fail('group aggregates do not match the agg');
  for (let i = 0; i < a.length; i++) {
    const acc = g.accs[i]!;
    if (typeof acc.fromState !== 'function') throw fail(`aggregate #${i + 1} cannot be restored from a checkpoint`);
    if (!wrap) {
      acc.fromState(a[i]);
      continue;
    }
    try {
      acc.fromState(a[i]);
    } catch (e) {
      throw fail(`aggregate #${i + 1}: ${(e as Error).message}`);
    }
  }
  return g;
}
