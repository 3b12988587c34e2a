/**
 * What the windowed aggregations (agg.ts for time windows, session-agg.ts,
 * count-agg.ts) share: the stage type, reading a record's time or window tag
 * (or the side channel when a verb between dropped them), and their
 * checkpoint state (groups and parts in the format of state.ts, Two-Stacks
 * queues, the `{v, s}` envelope, the plan's input position).
 */
import type { AggPlan, GroupState } from '../agg/types.js';
import type { Rec, Stage } from '../engine/types.js';
import { RuntimeError } from '../engine/errors.js';
import { EVENT_TIME } from '../engine/values.js';
import { WINDOW_TAG } from './tags.js';
import type { WindowConsumer, WindowSideChannel } from './kind.js';
import { type Monoid, TwoStacks } from './twostacks.js';
import { decodeArray, decodeCount, decodeGroup, decodeObject, decodeString, encodeGroup, want } from './state.js';

/** An AggPlan that may also deep-copy a group state (needed for pane sharing in sliding windows). */
export type CloneableAggPlan = AggPlan & { clone?(g: GroupState): GroupState };

/** A windowed aggregation stage, which also listens to its window stage. */
export type WindowedAggStage = Stage & WindowConsumer & { stats: { lateInAgg: number; strategy: string } };

export function lostTag(): never {
  throw new RuntimeError(
    'agg: a record reached the windowed agg without its window (a verb between window and agg must pass records on as it gets them)',
  );
}

/** A fresh side channel (see WindowConsumer.side). */
export function newSide(): WindowSideChannel {
  return { current: undefined, confirmed: false };
}

/** The event time of a record: its EVENT_TIME, else what the window stage put on the side channel. */
export function eventTimeOf(rec: Rec, side: WindowSideChannel): number {
  const t = (rec as { [EVENT_TIME]?: number })[EVENT_TIME];
  if (typeof t === 'number') {
    side.confirmed = true;
    return t;
  }
  const c = side.current;
  if (typeof c !== 'number') lostTag();
  return c;
}

/** The window tag of a record (session, count windows), else the side channel's. */
export function tagOf<T>(rec: Rec, side: WindowSideChannel): T {
  const t = (rec as { [WINDOW_TAG]?: T })[WINDOW_TAG];
  if (t !== undefined) {
    side.confirmed = true;
    return t;
  }
  const c = side.current as T | undefined;
  if (c === undefined) lostTag();
  return c;
}

/** One group's state inside a window or pane, with the arrival number of its first record. */
export interface Part {
  g: GroupState;
  seq: number;
}

/** `[[group key, first arrival, group state], ...]` of a map of parts, for a checkpoint. */
export function encodeParts(m: Map<string, Part>): unknown[] {
  const out: unknown[] = [];
  for (const [k, p] of m) out.push([k, p.seq, encodeGroup(p.g)]);
  return out;
}

/** The inverse of `encodeParts`. @throws StateError */
export function decodeParts(plan: AggPlan, v: unknown): Map<string, Part> {
  const m = new Map<string, Part>();
  for (const e of decodeArray(v, 'groups')) {
    const a = decodeArray(e, 'a group');
    want(a.length === 3, 'a group is not [key, seq, state]');
    m.set(decodeString(a[0], 'group key'), { g: decodeGroup(plan, a[2]), seq: decodeCount(a[1], 'group seq') });
  }
  return m;
}

/** `[[group key, group state], ...]` of a map of groups, for a checkpoint. */
export function encodeGroups(m: Map<string, GroupState>): unknown[] {
  const out: unknown[] = [];
  for (const [k, g] of m) out.push([k, encodeGroup(g)]);
  return out;
}

/** The inverse of `encodeGroups`. @throws StateError */
export function decodeGroups(plan: AggPlan, v: unknown): Map<string, GroupState> {
  const m = new Map<string, GroupState>();
  for (const e of decodeArray(v, 'groups')) {
    const a = decodeArray(e, 'a group');
    want(a.length === 2, 'a group is not [key, state]');
    m.set(decodeString(a[0], 'group key'), decodeGroup(plan, a[1]));
  }
  return m;
}

/** `[[group key, Two-Stacks state], ...]` of the groups' pane queues, for a checkpoint. */
export function encodeQueues(m: Map<string, TwoStacks>): unknown[] {
  const out: unknown[] = [];
  for (const [k, q] of m) out.push([k, q.toState(encodeGroup)]);
  return out;
}

/** The inverse of `encodeQueues`. @throws StateError */
export function decodeQueues(plan: AggPlan, monoid: Monoid, v: unknown): Map<string, TwoStacks> {
  const m = new Map<string, TwoStacks>();
  for (const e of decodeArray(v, 'queues')) {
    const a = decodeArray(e, 'a queue');
    want(a.length === 2, 'a queue is not [key, state]');
    let q: TwoStacks;
    try {
      q = TwoStacks.fromState(monoid, a[1], (x) => decodeGroup(plan, x));
    } catch (err) {
      if (err instanceof Error && err.name === 'StateError') throw err;
      want(false, (err as Error).message);
    }
    m.set(decodeString(a[0], 'queue key'), q!);
  }
  return m;
}

/** The version of the windowed aggregation's checkpoint state. */
export const STATE_VERSION = 1;

/** Check the envelope `{v, s}` of a windowed aggregation state. @throws StateError */
export function envelope(state: unknown, strategy: string): Record<string, unknown> {
  const o = decodeObject(state, 'the windowed agg');
  want(o.v === STATE_VERSION, `windowed agg state version ${String(o.v)} (this sluice writes ${STATE_VERSION})`);
  want(o.s === strategy, `windowed agg state of strategy ${String(o.s)}, not ${strategy}`);
  return o;
}

/**
 * The compiled plan's next input position (`CompiledAggPlan.position`), which
 * `first`/`last`/`collect` compare when states merge (sessions that merge,
 * panes): a restored run must go on numbering after the saved positions, or a
 * merge would take a new record for an older one. `{}` for a plan without one.
 */
export function positionState(plan: AggPlan): { pos?: number } {
  const p = (plan as { position?: unknown }).position;
  return typeof p === 'number' ? { pos: p } : {};
}

/** The inverse of `positionState`. @throws StateError on a bad position */
export function restorePosition(plan: AggPlan, o: Record<string, unknown>): void {
  if (o.pos === undefined) return;
  const pos = decodeCount(o.pos, 'input position');
  if (typeof (plan as { position?: unknown }).position === 'number') (plan as unknown as { position: number }).position = pos;
}

export function timeConsumer(): WindowConsumer {
  return { side: newSide(), sessionMerged(): void {}, closed(): void {} };
}
