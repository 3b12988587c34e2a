/**
 * The main thread's half of a plain `agg` under `-j N` (issue 14 item 5):
 * merges the partial groups of the ranges (chunk.ts) as they come, and at
 * the end gives the groups in order of first position (job number · 2^36 +
 * record number), which is -j 1's order of first appearance.
 */
import type { GroupState } from '../agg/types.js';
import type { Rec } from '../engine/types.js';
import { checkNames, parseAggList, parseKeyList, splitAggWords } from '../agg/parse.js';
import { compileAggPlan } from '../agg/plan.js';
import { Collect, Percentile } from '../agg/accumulators.js';
import { decodeValue } from '../state/codec.js';
import { exactMerge } from './exact.js';

/** A plain agg with more than one group per this many records of a range runs in one thread. */
export const MANY_GROUPS = 4;

/** Compile the agg of `-j N` partials from its words (without 'agg'), as the workers do. */
export function aggPlanOf(words: string[]): ReturnType<typeof compileAggPlan> {
  const { aggs: aggText, keys: keyText } = splitAggWords(words);
  const aggs = parseAggList(aggText);
  const keys = keyText === null ? [] : parseKeyList(keyText);
  checkNames(keys, aggs);
  return compileAggPlan(aggs, keys);
}

/**
 * Why the partials of this agg (its words, without 'agg') would cost more
 * to send and merge than one thread's pass, or null. Exact percentiles
 * (median, pNN: every value up to 10,000 per group) and collect keep every
 * value: each range's partials hold all its values, so the main thread
 * would decode and merge as many values as there are records.
 */
export function valuesInPartials(words: string[]): string | null {
  const p = aggPlanOf(words);
  const g = p.newGroup({});
  const heavy = g.accs.some((a) => a instanceof Percentile || a instanceof Collect);
  return heavy ? 'median, percentiles and collect keep every value in their partial state, which would cost more to merge than one pass' : null;
}

/** Merges the partials of a plain agg, range by range. */
export class AggMerger {
  private readonly groups = new Map<string, GroupState>();
  constructor(readonly plan: ReturnType<typeof compileAggPlan>) {}

  /**
   * Merge one range's partials (chunk.ts `agg` result).
   * @param once the input is read once (a stream: deal.ts): the run cannot be left to one thread
   * @returns null, or why the run must be left to one thread
   */
  add(r: { json: string; groups: number; records: number }, once = false): string | null {
    // Many groups per range (a key per few records): merging their partials costs more
    // than one thread's pass; leave the run to one thread while little is lost.
    if (!once && r.records >= 1000 && r.groups * MANY_GROUPS > r.records) return `${r.groups} groups in a range of ${r.records} records`;
    const p = this.plan;
    const groups = this.groups;
    for (const [k, kv, states, first] of JSON.parse(r.json) as [string, unknown[], unknown[], number][]) {
      const g = p.fromStates(kv.map(decodeValue), states, first);
      const into = groups.get(k);
      if (into === undefined) groups.set(k, g);
      else {
        if (!exactMerge(into, g)) return 'float sums or variances merged across ranges';
        p.merge(into, g);
      }
    }
    return null;
  }

  /** The output records, in order of first appearance. */
  end(): Rec[] {
    const p = this.plan;
    const gs = [...this.groups.values()].sort((a, b) => (a.first ?? 0) - (b.first ?? 0));
    if (gs.length === 0 && p.global) gs.push(p.newGroup({}));
    return gs.map((g) => p.output(g));
  }
}
