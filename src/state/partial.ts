/**
 * Partial aggregate records (`agg --partial`, read by `merge`; man page
 * PARTIAL STATE). Format version 1, one NDJSON record per group (per window
 * and group after `window`):
 *
 *   {"window_start":"…","window_end":"…",        (windowed only)
 *    "origin":"LAS",                               (the keys, as agg writes them)
 *    "_partial":{"v":1,"aggs":"count as count, avg(delay) as avg_delay",
 *                "by":["origin"],"w":"tumbling","part":0,"p":POS,"s":[STATE,…]}}
 *
 * - `v`: the format version; `aggs`: the aggregate list in canonical form
 *   (plan.ts `canonicalAgg`), `by`: the key names; a merge refuses partials
 *   whose `v`, `aggs`, `by` or `w` differ from the first one it read.
 * - `w`: null, or the window kind (`tumbling`, `sliding`, `session`).
 * - `part`: the producer's part number (`agg --part N`, default 0).
 * - `sk` (session windows): the JSON array of the texts of the window's `--by`
 *   keys: sessions of one `sk` that touch merge.
 * - `p`: the input position of the group's first record (part·2^36 + record
 *   number): `merge` writes groups in order of it, as one `agg` writes them in
 *   order of first appearance; first/last/collect order by positions too.
 * - `s`: one state per aggregate (src/agg/accumulators.ts).
 *
 * Control records carry a producer's event-time watermark (windowed
 * partials only): `{"_partial":{"v":1,"part":N,"wm":MS}}` (epoch
 * milliseconds) and, at the end of its input, `{"_partial":{"v":1,"part":N,"end":true}}`.
 */
import type { Rec } from '../engine/types.js';
import type { GroupState } from '../agg/types.js';
import type { CompiledAggPlan } from '../agg/plan.js';
import { LINE_PREFIX, setField, textOf } from '../engine/values.js';
import { STATE_VERSION, stateError } from './codec.js';

/** The reserved field that holds the partial state. */
export const PARTIAL_FIELD = '_partial';

/** What every partial of one merge must agree on. */
export interface PartialMeta {
  aggs: string;
  by: string[];
  /** Window kind, or null. */
  w: string | null;
}

/** A partial record read back. */
export type ReadPartial =
  | { kind: 'group'; meta: PartialMeta; part: number; first: number; states: unknown[]; start: number | null; end: number | null; sk: string }
  | { kind: 'watermark'; part: number; wm: number }
  | { kind: 'end'; part: number };

/**
 * A plan whose output is partial records instead of results: for the
 * aggregation stages (plain and windowed), which call `output(g, prefix)`.
 * It shares the plan's position counter (prototype delegation).
 */
export function partialPlan(plan: CompiledAggPlan, window: string | null, part: number, sessionKeys: number[] | null = null, shuffle = false): CompiledAggPlan {
  const p = Object.create(plan) as CompiledAggPlan;
  p.output = (g: GroupState, prefix?: Rec): Rec => {
    const r = partialRecord(plan, g, window, part, prefix, sessionKeys);
    if (shuffle) (r as { [LINE_PREFIX]?: string })[LINE_PREFIX] = shuffleKey(plan, g) + '\t';
    return r;
  };
  return p;
}

/**
 * The partial record of one group.
 * @param sessionKeys for session windows: the indices of the agg keys that are the window's `--by` keys
 */
export function partialRecord(plan: CompiledAggPlan, g: GroupState, window: string | null, part: number, prefix?: Rec, sessionKeys: number[] | null = null): Rec {
  const out: Rec = {};
  if (prefix !== undefined) for (const k of Object.keys(prefix)) setField(out, k, prefix[k]);
  const kv = g.keyValues;
  for (let i = 0; i < plan.keyNames.length; i++) setField(out, plan.keyNames[i]!, kv[i] === undefined ? null : kv[i]);
  setField(out, PARTIAL_FIELD, {
    v: STATE_VERSION,
    aggs: plan.signature,
    by: plan.keyNames,
    w: window,
    part,
    p: g.first ?? 0,
    ...(sessionKeys !== null ? { sk: JSON.stringify(sessionKeys.map((i) => textOf(kv[i]))) } : {}),
    s: plan.stateOf(g),
  });
  return out;
}

/** A watermark control record. */
export function watermarkRecord(part: number, wm: number): Rec {
  return { [PARTIAL_FIELD]: { v: STATE_VERSION, part, wm } };
}

/** The end-of-input control record. */
export function endRecord(part: number): Rec {
  return { [PARTIAL_FIELD]: { v: STATE_VERSION, part, end: true } };
}

/** The shuffle key of a partial: the JSON array of its key texts (no tab or newline can occur in it). */
export function shuffleKey(plan: CompiledAggPlan, g: GroupState): string {
  return JSON.stringify(g.keyValues.map((v) => textOf(v)));
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** Milliseconds of an ISO window bound. @throws StateError */
function bound(v: unknown, name: string): number {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(t)) throw stateError(`${name} is not an ISO time`);
  return t;
}

/**
 * Read one record as a partial.
 * @throws StateError (a malformed record) naming what is wrong
 */
export function readPartial(rec: Rec): ReadPartial {
  const o = Object.prototype.hasOwnProperty.call(rec, PARTIAL_FIELD) ? rec[PARTIAL_FIELD] : undefined;
  if (o === undefined) throw stateError(`not a partial aggregate (no '${PARTIAL_FIELD}' field; make partials with agg --partial)`);
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw stateError(`'${PARTIAL_FIELD}' is not an object`);
  const p = o as Record<string, unknown>;
  if (p.v !== STATE_VERSION) {
    throw stateError(`partial state format version ${JSON.stringify(p.v) ?? 'missing'}, but this sluice reads version ${STATE_VERSION}`);
  }
  const part = p.part === undefined ? 0 : p.part;
  if (!isInt(part) || part < 0) throw stateError('bad part number');
  if (p.end === true) return { kind: 'end', part };
  if (p.wm !== undefined) {
    if (typeof p.wm !== 'number' || !Number.isFinite(p.wm)) throw stateError('bad watermark');
    return { kind: 'watermark', part, wm: p.wm };
  }
  if (typeof p.aggs !== 'string') throw stateError('no aggregate list');
  if (!Array.isArray(p.by) || !p.by.every((b) => typeof b === 'string')) throw stateError('bad key list');
  const w = p.w ?? null;
  if (w !== null && w !== 'tumbling' && w !== 'sliding' && w !== 'session') throw stateError(`unknown window kind ${JSON.stringify(w)}`);
  if (!isInt(p.p) || p.p < 0) throw stateError('bad first position');
  if (!Array.isArray(p.s)) throw stateError('no aggregate states');
  let start: number | null = null;
  let end: number | null = null;
  if (w !== null) {
    start = bound(rec.window_start, 'window_start');
    end = bound(rec.window_end, 'window_end');
    if (!(end > start)) throw stateError('window_end is not after window_start');
  }
  const sk = p.sk ?? '';
  if (typeof sk !== 'string') throw stateError('bad session key');
  return { kind: 'group', meta: { aggs: p.aggs, by: p.by as string[], w }, part, first: p.p, states: p.s, start, end, sk };
}

/** Describe partial metadata for messages: `aggregates 'count as count' by origin (tumbling windows)`. */
export function describeMeta(m: PartialMeta): string {
  return `aggregates '${m.aggs}'${m.by.length ? ` by ${m.by.join(', ')}` : ' (no keys)'}${m.w ? ` (${m.w} windows)` : ''}`;
}
