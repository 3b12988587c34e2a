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
import { StateError, stateError } from '../state/codec.js';

/** An AggPlan with the optional members always present. */
export interface CompiledAggPlan extends AggPlan {
  /** The group of `rec` in `groups`, created (key copied) when new. */
  groupOf(groups: Map<string, GroupState>, rec: Rec): GroupState;
  /** An independent exact copy of a group state. */
  clone(g: GroupState): GroupState;
  /** True when there are no keys (one group for everything). */
  readonly global: boolean;
  /**
   * The input position the next added record gets (see POS_PART); each
   * `add` takes it and moves it on by one. Set it to `part · POS_PART` before
   * the records of input part `part` (`agg --part`, `-j` workers).
   */
  position: number;
  /** The aggregates in canonical form (`count,avg(delay) as mean`): what partials must agree on. */
  readonly signature: string;
  /** The accumulators' partial states of a group (see accumulators.ts), one per aggregate. */
  stateOf(g: GroupState): unknown[];
  /**
   * A group rebuilt from partial states.
   * @param keyValues the key values (as the output writes them)
   * @param states    one state per aggregate, as `stateOf` wrote them
   * @param first     the group's first input position
   * @throws StateError on a malformed state (message names the aggregate)
   */
  fromStates(keyValues: unknown[], states: unknown[], first: number): GroupState;
}

/**
 * Input positions: part · POS_PART + record number within the part. A part is
 * one producer of partials (`agg --part N`, N < 2^17) or one chunk of a `-j`
 * run; within a part up to 2^36 records are numbered. Positions order
 * `first`, `last`, `collect` and the groups of `merge`'s output.
 */
export const POS_PART = 2 ** 36;
/** The largest part number (positions stay below 2^53). */
export const MAX_PART = 2 ** 17 - 1;

/** The group-key text of a null (or missing) key value. */
const NULL_PART = '\u0002';
const CTL_RE = /[\u0001\u0002]/;

/** Escape one key text for the multi-key form: `\u0002` → `\u0002\u0002`, `\u0001` → `\u0002\u0003`. */
function escapePart(t: string): string {
  return CTL_RE.test(t) ? t.replace(/\u0002/g, '\u0002\u0002').replace(/\u0001/g, '\u0002\u0003') : t;
}

/**
 * The group key that `groupKey` gives a record whose key values are
 * `keyValues` (as a group keeps them): for states that travel without their
 * key (`-j N` windowed partials), so that keys still compare by text.
 */
export function groupKeyOfValues(keyValues: readonly unknown[]): string {
  if (keyValues.length === 0) return '';
  if (keyValues.length === 1) {
    const t = textOf(keyValues[0]);
    if (t === null) return NULL_PART;
    return t.charCodeAt(0) === 2 ? NULL_PART + t : t;
  }
  let k = '';
  for (let i = 0; i < keyValues.length; i++) {
    const t = textOf(keyValues[i]);
    if (i > 0) k += '\u0001';
    k += t === null ? NULL_PART + '\u0004' : escapePart(t);
  }
  return k;
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
    public first: number,
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
    public first: number,
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
      return new OneKeyGroup(kv, newAccs(), self.position);
    }
    const keyValues = new Array<unknown>(nk);
    for (let i = 0; i < nk; i++) {
      const v = keyGetters[i]!(rec);
      keyValues[i] = v === undefined ? null : keep(v);
    }
    return new Group(keyValues, newAccs(), self.position);
  };
  const newGroup = (rec: Rec): GroupState => makeGroup(rec, undefined);

  const add = (g: GroupState, rec: Rec): void => {
    const accs = g.accs;
    const pos = self.position++;
    for (let j = 0; j < nAdd; j++) accs[addIdx[j]!]!.add(addGetters[j]!(rec), pos);
  };
  const signature = aggs.map((a) => canonicalAgg(a)).join(', ');
  const makeEmpty = (keyValues: unknown[], first: number): GroupState =>
    nk === 1 ? new OneKeyGroup(keyValues[0], newAccs(), first) : new Group(keyValues, newAccs(), first);

  const self: CompiledAggPlan = {
    keyNames,
    outputNames,
    global: nk === 0,
    position: 0,
    signature,
    stateOf(g) {
      const out = new Array<unknown>(na);
      for (let i = 0; i < na; i++) out[i] = g.accs[i]!.toState!();
      return out;
    },
    fromStates(keyValues, states, first) {
      if (states.length !== na) throw stateError(`${states.length} aggregate states for ${na} aggregates`);
      const g = makeEmpty(keyValues, first);
      for (let i = 0; i < na; i++) {
        try {
          g.accs[i]!.fromState!(states[i]);
        } catch (e) {
          if (e instanceof StateError) throw stateError(`${aggs[i]!.text}: ${e.message}`);
          throw e;
        }
      }
      return g;
    },
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
    emptyLike: (g) => makeEmpty(g.keyValues, g.first ?? 0),
    merge(into, from) {
      const a = into.accs;
      const b = from.accs;
      for (let i = 0; i < na; i++) a[i]!.merge(b[i]!);
      if (from.first !== undefined && (into.first === undefined || from.first < into.first)) {
        into.first = from.first;
        // The key value as first seen: the earlier group's.
        into.keyValues = from.keyValues;
      }
    },
    clone(g) {
      // Every accumulator's merge copies what it takes from `other` (none keeps
      // a reference to another's mutable state), so merging into an empty
      // state is an exact, independent copy.
      const c = makeEmpty(g.keyValues, g.first ?? 0);
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
  return self;
}

/**
 * An aggregate in canonical form, `fn(field) as NAME` (`count as count`,
 * `p95(delay) as p95_delay`), which `parseAggList` reads back: the aggregate
 * lists of partials are compared (and `merge` compiles its plan) in this form.
 */
export function canonicalAgg(a: AggSpec): string {
  const fn = a.fn === 'percentile' ? `p${+(a.p * 100).toPrecision(12)}` : a.fn;
  const quote = (s: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : '`' + s + '`');
  const f = a.path === null ? fn : `${fn}(${a.path.map(quote).join('.')})`;
  const name = /^[A-Za-z_][A-Za-z0-9_.]*$/.test(a.name) ? a.name : '`' + a.name + '`';
  return `${f} as ${name}`;
}
