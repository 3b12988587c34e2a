/**
 * Where `-j N` splits a pipeline (issue 14 item 5): the workers run the
 * leading record-wise verbs (filter, map, select, join, ...) and, when the
 * next verb is a plain `agg` (not after `window`, no `--every`), that agg as
 * partial state per input chunk; the main thread merges the partials with
 * the merge code (src/state/merger.ts's rules: groups by first position) and
 * runs every later verb. Anything else (windows, head, over, sort, ...) runs
 * in the main thread as with `-j 1`, and a pipeline with nothing to split
 * runs exactly as `-j 1`.
 */
import type { RunOptions } from '../engine/run.js';

/** The split of a pipeline for workers. */
export interface ParallelPlan {
  /** Words of the record-wise verbs the workers run (each verb's words, without 'then'). */
  prefix: string[][];
  /** The words of a plain agg the workers run as partials, or null. */
  agg: string[] | null;
  /** Index of the first verb the main thread runs. */
  rest: number;
}

/** Verbs whose output depends on more than the record itself (record numbers, wall clock). */
const ORDER_SENSITIVE = /\bnr\s*\(|\bnow\s*\(/;

/**
 * The split for these options and verb words, or a reason why the run is not split.
 * @param words the verb chain's words, one array per verb
 */
export function planParallel(opts: RunOptions, words: string[][]): ParallelPlan | string {
  if (opts.follow) return '--follow reads files as they grow';
  if (opts.checkpoint) return '--checkpoint';
  if (opts.onError !== 'fail' || opts.errorsFile !== undefined) return '--on-error skip/warn and --errors keep exact counts in one thread';
  if ((opts.encoding ?? 'utf-8') !== 'utf-8') return '--encoding latin1';
  if (opts.noHeader) return '--no-header';
  const prefix: string[][] = [];
  let i = 0;
  for (; i < opts.verbs.length; i++) {
    const v = opts.verbs[i]!;
    if (!v.recordWise || v.name === 'partition' || v.name === 'tee') break;
    if (words[i]!.some((w) => ORDER_SENSITIVE.test(w))) break;
    prefix.push(words[i]!);
  }
  let agg: string[] | null = null;
  const next = opts.verbs[i];
  if (next !== undefined && next.name === 'agg') {
    const ex = next.explain as { every?: unknown; partial?: unknown };
    if (ex.every === undefined && ex.partial === undefined) {
      agg = words[i]!.slice(1);
      i++;
    }
  }
  if (prefix.length === 0 && agg === null) return 'no record-wise verb or plain agg leads the pipeline';
  if (opts.verbs.slice(i).some((v) => v.needsLineNumbers === true)) return 'a later verb names input lines in its messages';
  return { prefix, agg, rest: i };
}
