/**
 * A structural deep copy of a group state, for aggregation plans that do not
 * provide `clone(g)` themselves. Sliding windows need copies of partial
 * aggregates (Two-Stacks combines values it also keeps), and the AggPlan
 * contract's `merge` consumes its argument.
 *
 * Copies class instances by prototype and own enumerable properties (string
 * and symbol keys), arrays, typed arrays, Maps and Sets; keeps primitives, functions and
 * NumText (immutable) as they are. Objects reached twice are copied once, so
 * accumulators that share a state (several percentiles of one field) still
 * share it in the copy. Key values are immutable and shared.
 *
 * Not for objects with JavaScript private fields (`#x`), which cannot be
 * copied from outside (their methods would throw on the copy).
 */
import type { GroupState } from '../agg/types.js';
import { NumText } from '../engine/values.js';

function copy(v: unknown, memo: Map<object, unknown>): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof NumText) return v;
  const seen = memo.get(v);
  if (seen !== undefined) return seen;
  if (Array.isArray(v)) {
    const a: unknown[] = new Array(v.length);
    memo.set(v, a);
    for (let i = 0; i < v.length; i++) a[i] = copy(v[i], memo);
    return a;
  }
  if (ArrayBuffer.isView(v)) {
    const c = v instanceof DataView ? new DataView(v.buffer.slice(0)) : (v as unknown as { slice(): unknown }).slice();
    memo.set(v, c);
    return c;
  }
  if (v instanceof Map) {
    const m = new Map();
    memo.set(v, m);
    for (const [k, x] of v) m.set(copy(k, memo), copy(x, memo));
    return m;
  }
  if (v instanceof Set) {
    const s = new Set();
    memo.set(v, s);
    for (const x of v) s.add(copy(x, memo));
    return s;
  }
  const o = Object.create(Object.getPrototypeOf(v)) as Record<string | symbol, unknown>;
  memo.set(v, o);
  const src = v as Record<string | symbol, unknown>;
  const keys = Object.keys(src);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const x = src[k];
    const c = x === null || typeof x !== 'object' ? x : copy(x, memo);
    if (k === '__proto__') Object.defineProperty(o, k, { value: c, writable: true, enumerable: true, configurable: true });
    else o[k] = c;
  }
  const syms = Object.getOwnPropertySymbols(src);
  for (let i = 0; i < syms.length; i++) o[syms[i]!] = copy(src[syms[i]!], memo);
  return o;
}

/** A deep copy of a group state (its accumulators); key values are shared. */
export function structuralClone(g: GroupState): GroupState {
  const memo = new Map<object, unknown>();
  return { ...g, keyValues: g.keyValues, accs: copy(g.accs, memo) as GroupState['accs'] };
}
