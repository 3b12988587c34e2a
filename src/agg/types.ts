/**
 * The contract between aggregation (`agg`) and windowed aggregation: a
 * compiled aggregation plan whose per-group state is mergeable, so sliding
 * windows can merge per-slide partials and, later, shards can merge partial
 * aggregates.
 */
import type { Rec } from '../engine/types.js';

/**
 * One aggregate for one group (count, sum(f), p95(f), ...).
 * Invariant: for any split of the input into A and B,
 * `merge(add*(A), add*(B)).result()` equals `add*(A+B).result()`
 * (exactly for exact aggregates, within the stated error for sketches).
 */
export interface Accumulator {
  /**
   * Add one field value (`undefined`/null are skipped by all but `count`).
   * `pos` is the record's input position (see `AggPlan.position`): `first`,
   * `last` and `collect` order by it, so merges in any order agree with one pass.
   */
  add(v: unknown, pos?: number): void;
  /** Fold another accumulator of the same aggregate into this one (`other` is left unusable). */
  merge(other: Accumulator): void;
  /** The aggregate's value now (may be called repeatedly, e.g. for `--every` snapshots). */
  result(): unknown;
  /**
   * For partial aggregates (`agg --partial`, `merge`, `-j`, checkpoints):
   * this accumulator's state as a JSON-serialisable value in the versioned
   * partial state format (src/state/, man page PARTIAL STATE). A fresh
   * accumulator of the same aggregate loaded with `fromState(toState())`
   * behaves exactly like this one for add, merge and result.
   */
  toState?(): unknown;
  /** Load a state written by `toState` (replacing this accumulator's contents). @throws Error on a malformed state. */
  fromState?(state: unknown): void;
}

/** The per-group state: one accumulator per aggregate, plus the group's key values as first seen. */
export interface GroupState {
  keyValues: unknown[];
  accs: Accumulator[];
  /** The input position of the group's first record (merges keep the smallest). */
  first?: number;
}

/**
 * A compiled `agg 'AGG, ...' by KEYS`: built once per pipeline.
 */
export interface AggPlan {
  /** Output field names of the keys (`origin`, or the last step of a path `user.id` → `user.id`). */
  readonly keyNames: readonly string[];
  /** Output field names of the aggregates (`count`, `avg_delay`, or the `as NAME`). */
  readonly outputNames: readonly string[];
  /**
   * The group key of a record: the keys' texts joined (a number's text as read,
   * so 7 and "7" are one group; null keys form their own group). A string safe
   * to keep (it does not pin the input chunk).
   */
  groupKey(rec: Rec): string;
  /**
   * Optional fast path (the plan compiled by `agg` always has it): the group
   * of `rec` in `groups`, created with `newGroup` and filed under its group
   * key when new. One key computation and one Map lookup per record; the key
   * string is copied (so it does not pin the input chunk) only on insertion,
   * where `groupKey` copies a long key on every call. Groups stay in the Map
   * in order of first appearance.
   */
  groupOf?(groups: Map<string, GroupState>, rec: Rec): GroupState;
  /** A new, empty group state for a record's group (its key values taken from `rec`). */
  newGroup(rec: Rec): GroupState;
  /** Add a record to a group's accumulators. */
  add(g: GroupState, rec: Rec): void;
  /** A new empty state with the same key values (for merging partials into). */
  emptyLike(g: GroupState): GroupState;
  /**
   * Optional (the plan compiled by `agg` always has it): an independent deep
   * copy of a group state, equal in every result; adding to or merging into
   * either one leaves the other unchanged. Cheaper and exact where a
   * structural copy would have to know the accumulators' insides.
   */
  clone?(g: GroupState): GroupState;
  /** Merge `from` into `into` (same group). */
  merge(into: GroupState, from: GroupState): void;
  /**
   * The output record of a group: `prefix` fields first (window_start, window_end),
   * then the keys, then the aggregates.
   */
  output(g: GroupState, prefix?: Rec): Rec;
}
