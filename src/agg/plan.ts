/**
 * Compiling `agg 'AGGS' by KEYS` into an `AggPlan`: field getters, group-key
 * function and accumulator factories are built once; per record the work is
 * one group-key computation, one Map lookup and one `add` per aggregate.
 */
import type { Rec } from '../engine/types.js';
import type { Accumulator, AggPlan, GroupState } from './types.js';
import { detach, pathGetter, setField, textOf } from '../engine/values.js';
import type { AggSpec, KeySpec } from './parse.js';
import {
  ApproxDistinct,
  Avg,
  Collect,
  CountAll,
  CountField,
  Distinct,
  First,
  keep,
  Last,
  MinMax,
  Percentile,
  Sum,
  Variance,
} from './accumulators.js';
import { QuantileState } from './quantile.js';

/** An AggPlan with the optional members always present. */
export interface CompiledAggPlan extends AggPlan {
  /** The group of `rec` in `groups`, created (key copied) when new. */
  groupOf(groups: Map<string, GroupState>, rec: Rec): GroupState;
  /** An independent exact copy of a group state. */
  clone(g: GroupState): GroupState;
  /** True when there are no keys (one group for everything). */
  readonly global: boolean;
}

/** The group-key text of a null (or missing) key value. */
const NULL_PART = '\u0002';
const CTL_RE = /[\u0001\u0002]/;

/** Escape one key text for the multi-key form: `\u0002` → `\u0002\u0002`, `\u0001` → `\u0002\u0003`. */
function escapePart(t: string): string {
  return CTL_RE.test(t) ? t.replace(/\u0002/g, '\u0002\u0002').replace(/\u0001/g, '\u0002\u0003') : t;
}

type Maker = (accs: Accumulator[]) => Accumulator;

function makerFor(spec: AggSpec, ownerIndex: number): Maker {
  switch (spec.fn) {
    case 'count':
      return spec.path === null ? () => new CountAll() : () => new CountField();
    case 'sum':
      return () => new Sum();
    case 'avg':
    case 'mean':
      return () => new Avg();
    case 'stddev':
      return () => new Variance(true);
    case 'var':
      return () => new Variance(false);
    case 'min':
      return () => new MinMax(false);
    case 'max':
      return () => new MinMax(true);
    case 'first':
      return () => new First();
    case 'last':
      return () => new Last();
    case 'distinct':
      return () => new Distinct();
    case 'approx_distinct':
      return () => new ApproxDistinct();
    case 'collect':
      return () => new Collect();
    case 'median':
    case 'percentile': {
      const p = spec.p;
      if (ownerIndex < 0) return () => new Percentile(p, new QuantileState(), true);
      return (accs) => new Percentile(p, (accs[ownerIndex] as Percentile).state, false);
    }
  }
}

const noField = (): undefined => undefined;

/** A group's state. */
class Group implements GroupState {
  constructor(
    public keyValues: unknown[],
    public accs: Accumulator[],
  ) {}
}

/**
 * A group's state for a one-key plan: the key value is held directly and
 * `keyValues` is a view made on request. (An array per group costs 56 bytes:
 * 56 MB for a million groups.)
 */
class OneKeyGroup implements GroupState {
  constructor(
    public key: unknown,
    public accs: Accumulator[],
  ) {}
  get keyValues(): unknown[] {
    return [this.key];
  }
  set keyValues(v: unknown[]) {
    this.key = v[0];
  }
}

/**
 * Compile a plan.
 * @param aggs the parsed aggregates (names already checked unique)
 * @param keys the group keys (may be empty: one global group)
 */
export function compileAggPlan(aggs: readonly AggSpec[], keys: readonly KeySpec[]): CompiledAggPlan {
  const keyNames = keys.map((k) => k.name);
  const outputNames = aggs.map((a) => a.name);
  const keyGetters = keys.map((k) => pathGetter(k.path));
  const nk = keyGetters.length;

  // Percentiles of one field share one QuantileState per group: the first is the owner.
  const makers: Maker[] = [];
  const addIdx: number[] = [];
  const addGetters: Array<(rec: Rec) => unknown> = [];
  const firstQuantile = new Map<string, number>();
  aggs.forEach((a, i) => {
    let owner = -1;
    if (a.fn === 'percentile' || a.fn === 'median') {
      const id = JSON.stringify(a.path);
      const o = firstQuantile.get(id);
      if (o === undefined) firstQuantile.set(id, i);
      else owner = o;
    }
    makers.push(makerFor(a, owner));
    if (owner < 0) {
      addIdx.push(i);
      addGetters.push(a.path === null ? noField : pathGetter(a.path));
    }
  });
  const na = makers.length;
  const nAdd = addIdx.length;

  const newAccs = (): Accumulator[] => {
    const accs = new Array<Accumulator>(na);
    for (let i = 0; i < na; i++) accs[i] = makers[i]!(accs);
    return accs;
  };

  // The raw group key: may share memory with the input chunk; detach before keeping.
  let rawKey: (rec: Rec) => string;
  if (nk === 0) {
    rawKey = () => '';
  } else if (nk === 1) {
    const get = keyGetters[0]!;
    rawKey = (rec) => {
      const t = textOf(get(rec));
      if (t === null) return NULL_PART;
      return t.charCodeAt(0) === 2 ? NULL_PART + t : t;
    };
  } else {
    rawKey = (rec) => {
      let k = '';
      for (let i = 0; i < nk; i++) {
        const t = textOf(keyGetters[i]!(rec));
        if (i > 0) k += '\u0001';
        k += t === null ? NULL_PART + '\u0004' : escapePart(t);
      }
      return k;
    };
  }

  /** A new group; `keptKey` is the kept Map key, reused as the key value when it is the same string. */
  const makeGroup = (rec: Rec, keptKey: string | undefined): GroupState => {
    if (nk === 1) {
      const v = keyGetters[0]!(rec);
      const kv = v === undefined ? null : keptKey !== undefined && v === keptKey ? keptKey : keep(v);
      return new OneKeyGroup(kv, newAccs());
    }
    const keyValues = new Array<unknown>(nk);
    for (let i = 0; i < nk; i++) {
      const v = keyGetters[i]!(rec);
      keyValues[i] = v === undefined ? null : keep(v);
    }
    return new Group(keyValues, newAccs());
  };
  const newGroup = (rec: Rec): GroupState => makeGroup(rec, undefined);

  const add = (g: GroupState, rec: Rec): void => {
    const accs = g.accs;
    for (let j = 0; j < nAdd; j++) accs[addIdx[j]!]!.add(addGetters[j]!(rec));
  };

  return {
    keyNames,
    outputNames,
    global: nk === 0,
    groupKey: (rec) => detach(rawKey(rec)),
    groupOf(groups, rec) {
      const k = rawKey(rec);
      let g = groups.get(k);
      if (g === undefined) {
        const kept = detach(k);
        g = makeGroup(rec, kept);
        groups.set(kept, g);
      }
      return g;
    },
    newGroup,
    add,
    emptyLike: (g) => (nk === 1 ? new OneKeyGroup(g.keyValues[0], newAccs()) : new Group(g.keyValues, newAccs())),
    merge(into, from) {
      const a = into.accs;
      const b = from.accs;
      for (let i = 0; i < na; i++) a[i]!.merge(b[i]!);
    },
    clone(g) {
      // Every accumulator's merge copies what it takes from `other` (none keeps
      // a reference to another's mutable state), so merging into an empty
      // state is an exact, independent copy.
      const c = nk === 1 ? new OneKeyGroup(g.keyValues[0], newAccs()) : new Group(g.keyValues, newAccs());
      const a = c.accs;
      const b = g.accs;
      for (let i = 0; i < na; i++) a[i]!.merge(b[i]!);
      return c;
    },
    output(g, prefix) {
      const out: Rec = {};
      if (prefix !== undefined) for (const k of Object.keys(prefix)) setField(out, k, prefix[k]);
      if (nk === 1) setField(out, keyNames[0]!, g instanceof OneKeyGroup ? g.key : g.keyValues[0]);
      else for (let i = 0; i < nk; i++) setField(out, keyNames[i]!, g.keyValues[i]);
      for (let i = 0; i < na; i++) setField(out, outputNames[i]!, g.accs[i]!.result());
      return out;
    },
  };
}
