/**
 * Checkpoint state of the window module: how values, held records and group
 * states become JSON-serialisable values and back (`Stage.snapshot` /
 * `Stage.restore`, src/engine/types.ts).
 *
 * - A value or a record is kept as its JSON text with exact numbers
 *   (`stringifyValue`: a `NumText` such as `1.50` keeps its text) and read
 *   back with the exact parser (`parseExact`), so a restored record writes the
 *   same bytes as the original would have.
 * - A group state is `{k, a}`: its key values as one JSON text, and each
 *   accumulator's `toState()` (the partial state format of src/state/); it is
 *   rebuilt with the plan's `emptyLike` and each accumulator's `fromState`.
 */
import type { AggPlan, GroupState } from '../agg/types.js';
import type { Rec } from '../engine/types.js';
import { InputError } from '../engine/errors.js';
import { EVENT_TIME, stringifyRecord } from '../engine/values.js';
import { parseExact } from '../formats/exactjson.js';
import { decodeGroupState, encodeGroupState } from '../agg/group-state.js';

/**
 * Thrown by `want` and the decoders on a state this module did not write: an
 * InputError (the `Stage.restore` contract), naming the checkpoint as source.
 */
export class StateError extends InputError {
  constructor(what: string) {
    super(`checkpoint state does not fit this pipeline: ${what}`, 'checkpoint', 0, '(window state)', 'window');
    this.name = 'StateError';
  }
}

/** Assert a condition on a state being restored. @throws StateError naming `what` */
export function want(cond: unknown, what: string): asserts cond {
  if (!cond) throw new StateError(what);
}

/** A finite number or ±Infinity from a state (JSON has no Infinity: written as the strings "inf" / "-inf"). */
export function encodeTime(t: number): number | string {
  return t === Infinity ? 'inf' : t === -Infinity ? '-inf' : t;
}

/** The inverse of `encodeTime`. @throws StateError */
export function decodeTime(v: unknown, what: string): number {
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  want(typeof v === 'number' && Number.isFinite(v), `${what} is not a time`);
  return v;
}

/** A whole number ≥ 0 from a state. @throws StateError */
export function decodeCount(v: unknown, what: string): number {
  want(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0, `${what} is not a count`);
  return v;
}

/** A string from a state. @throws StateError */
export function decodeString(v: unknown, what: string): string {
  want(typeof v === 'string', `${what} is not a string`);
  return v;
}

/** An array from a state. @throws StateError */
export function decodeArray(v: unknown, what: string): unknown[] {
  want(Array.isArray(v), `${what} is not a list`);
  return v;
}

/** A plain object from a state. @throws StateError */
export function decodeObject(v: unknown, what: string): Record<string, unknown> {
  want(v !== null && typeof v === 'object' && !Array.isArray(v), `${what} is not an object`);
  return v as Record<string, unknown>;
}

/** A held record and its event time: `[time, JSON text]`. */
export function encodeRecord(rec: Rec): [number, string] {
  const t = (rec as { [EVENT_TIME]?: number })[EVENT_TIME];
  return [typeof t === 'number' ? t : 0, stringifyRecord(rec)];
}

/** The inverse of `encodeRecord`: the record with its EVENT_TIME. @throws StateError */
export function decodeRecord(v: unknown): Rec {
  const a = decodeArray(v, 'a held record');
  want(a.length === 2, 'a held record is not [time, text]');
  const t = decodeTime(a[0], 'a held record time');
  let rec: unknown;
  try {
    rec = parseExact(decodeString(a[1], 'a held record'));
  } catch {
    throw new StateError('a held record is not JSON');
  }
  want(rec !== null && typeof rec === 'object' && !Array.isArray(rec), 'a held record is not an object');
  (rec as { [EVENT_TIME]?: number })[EVENT_TIME] = t;
  return rec as Rec;
}

/** A group state: its key values as JSON text, and each accumulator's state (agg/group-state.ts). @throws StateError when an accumulator cannot be saved */
export function encodeGroup(g: GroupState): { k: string; a: unknown[] } {
  return encodeGroupState(g, (i, acc) => new StateError(`aggregate #${i + 1} (${acc.constructor.name}) cannot be saved in a checkpoint`));
}

/** The inverse of `encodeGroup`, with a fresh group of `plan`. @throws StateError */
export function decodeGroup(plan: AggPlan, v: unknown): GroupState {
  const o = decodeObject(v, 'a group');
  let kv: unknown;
  try {
    kv = parseExact(decodeString(o.k, 'group keys'));
  } catch (e) {
    if (e instanceof StateError) throw e;
    throw new StateError('group keys are not JSON');
  }
  return decodeGroupState(plan, kv, o.a, undefined, (what) => new StateError(what), true);
}
