/**
 * Where `-j N` splits a pipeline (issue 14 item 5). The threads run, on
 * byte ranges of the input, the leading record-wise verbs (filter, map,
 * select, join, ...) and then, when the next verb is
 *
 * - a plain `agg` (no `--every`, no `--partial`): that agg as partial state
 *   per range, merged in the main thread with the merge code (groups by
 *   first position: -j 1's order of first appearance);
 * - `window tumbling|sliding --time F` directly followed by such an agg:
 *   window and agg as partials per range, merged in the main thread by
 *   windowed.ts, which redoes one pass's watermark exactly;
 * - `window session GAP --time F` directly followed by such an agg: sessions
 *   as partials per range, joined across ranges by sessions.ts (exact for
 *   input out of order by at most --lateness; otherwise the run is redone
 *   in one thread).
 *
 * - a verb that keeps the first N records of each key (`uniq FIELDS`,
 *   `uniq`, `head N --by KEYS`: keyed.ts): the first N per key of each range
 *   in the threads, the first N per key over the ranges in the main thread;
 *   or the last N (`tail N [--by KEYS]`), likewise; or counts per key
 *   (`uniq [FIELDS] --count`: summed); or the N best (`top N F [--by K]`:
 *   ranked.ts).
 *
 * The main thread runs every later verb. What stays in the main thread, and
 * why, is in `kept` (for --explain): count windows, and the other per-key
 * verbs (sample [--by], over [--by]),
 * depend on the order of all of a key's records, which ranges of the input
 * split; `head` needs only the first records
 * (the workers stop once it has them); windows with --late-output, --idle or
 * on processing time depend on arrival timing or write a file in input order.
 */
import type { RunOptions } from '../engine/run.js';
import { isWindowInstance } from '../window/instance.js';
import { windowModeOf } from '../order/windowed.js';

/** Verbs that keep one state per window after `window ... then agg` (order/windowed.ts). */
const PER_WINDOW = new Set(['sort', 'top', 'tail', 'uniq', 'sample']);

/**
 * Whether a verb after the windowed agg at `aggIndex` works per window: it
 * needs the windowed agg's pushes (one batch per closed window) in its own
 * pipeline, which the main thread's merge of partials does not give it.
 */
function perWindowAfter(opts: RunOptions, aggIndex: number): boolean {
  for (let k = aggIndex + 1; k < opts.verbs.length; k++) {
    const v = opts.verbs[k]!;
    if (PER_WINDOW.has(v.name) && windowModeOf(v.name, { verbs: opts.verbs, index: k }) === 'agg') return true;
  }
  return false;
}

/**
 * Whether the per-key verb at `i` (it has `byKey`) can run by key
 * partitions: a count window must not write late records or close on the
 * clock, and its windows must not be worked on later per window (sort, top,
 * tail, uniq, sample after it) nor by an agg other than a plain one right
 * after it (which the partitions run with it).
 */
function byKeyOk(opts: RunOptions, i: number): boolean {
  const v = opts.verbs[i]!;
  // Their output goes to stdout as the threads write it: NDJSON only (run.ts checks the input's format).
  if (opts.outputFormat !== undefined && opts.outputFormat !== 'ndjson') return false;
  if (!isWindowInstance(v)) return true;
  const s = v.windowSpec;
  if (s.lateOutput !== null || s.idle !== null) return false;
  const after = opts.verbs.slice(i + 1);
  if (after.some((x) => PER_WINDOW.has(x.name))) return false;
  const aggAt = after.findIndex((x) => x.name === 'agg');
  if (aggAt < 0) return true;
  const agg = after[aggAt]!.explain as { every?: unknown; partial?: unknown };
  return aggAt === 0 && agg.every === undefined && agg.partial === undefined;
}

/** The split of a pipeline for workers. */
export interface ParallelPlan {
  /** Words of the record-wise verbs the workers run (each verb's words, without 'then'). */
  prefix: string[][];
  /** The words of a plain agg the workers run as partials (without 'agg'), or null. */
  agg: string[] | null;
  /** The words of a tumbling, sliding or session window before that agg (with 'window'), or null. */
  window: string[] | null;
  /** The words (with the name) of a per-key verb after the prefix (`uniq [FIELDS] [--count]`, `head N --by K`, `tail N [--by K]`: keyed.ts; `top N F [--by K]`: ranked.ts), or null. */
  keyed?: string[] | null;
  /**
   * The words (with the names) of a per-key verb with `byKey` after the prefix
   * (`over --by`, `window count --by`, and the plain agg right after such a
   * window), run by key partitions (partitioned.ts), or null.
   */
  partition?: string[][] | null;
  /** Index of the first verb the main thread runs. */
  rest: number;
  /** Why the first verb of the rest is not split (empty when there is no rest). */
  kept: string;
}

/** Verbs whose output depends on more than the record itself (record numbers, wall clock). */
const ORDER_SENSITIVE = /\bnr\s*\(|\bnow\s*\(/;

/** Verbs that may stop reading the input before its end (ctx.stopInput). */
const stopsInput = (v: { name: string }): boolean => v.name === 'head' || v.name === 'merge';

/** Why verb `name` (which the workers do not run) stays in the main thread. */
function whyKept(opts: RunOptions, i: number, words: string[][]): string {
  const v = opts.verbs[i]!;
  if (v.recordWise && words[i]!.some((w) => ORDER_SENSITIVE.test(w))) return `${v.name} uses nr() or now(), which need one pass in input order`;
  if (v.name === 'partition' || v.name === 'tee') return `${v.name} writes files in input order`;
  if (v.name === 'parse') return 'parse counts unmatched lines for its exit summary and reads the clock for syslog years';
  if (isWindowInstance(v)) {
    const s = v.windowSpec;
    if (s.kind === 'count')
      return s.by.length === 0
        ? "count windows without --by number all records over the whole input, which ranges of the input split"
        : `count windows per key (and a plain agg right after them), last in the pipeline and with NDJSON output, run by key partitions from ${PARTITION_THREADS} threads on (each thread reads the whole input); not with --late-output or --idle`;
    if (s.timePath === null) return 'windows on processing time depend on arrival timing';
    if (s.lateOutput !== null) return '--late-output writes late records in input order';
    if (s.idle !== null) return '--idle closes windows on the wall clock';
    if (opts.verbs.slice(i + 2).some(stopsInput)) return 'a later head stops reading early, and the late-record count in the exit summary depends on how much one pass read';
    if (perWindowAfter(opts, i + 1)) return 'a later verb (sort, top, tail, uniq, sample) works per window of the windowed agg';
    const next = opts.verbs[i + 1];
    if (next === undefined || next.name !== 'agg') return 'window without a directly following agg copies records per window';
    return 'agg --every or --partial after window';
  }
  switch (v.name) {
    case 'head':
      return 'head needs only the first records (the workers stop once it has them)';
    case 'uniq':
      return 'uniq --count with a count name that is not a plain word counts in the main thread';
    case 'sample':
      return "sample's random draws come from one generator over all records in input order (a range cannot know how many draws came before it, nor how many records of each key)";
    case 'over':
      return (
        "over's frames reach back into the key's records of earlier ranges (the last N, the last DUR, or all of them); " +
        `over --by without --lateness, last in the pipeline and with NDJSON output, runs by key partitions from ${PARTITION_THREADS} threads on (each thread reads the whole input)`
      );
    case 'top':
    case 'tail':
      return `${v.name} keeps per key (or over all records) state that depends on the order of all records of the key; -j splits only the verbs that keep the first, last or best records of each key or count them (uniq, head --by, tail, top), and only right after the record-wise verbs`;
    case 'sort':
    case 'fill-down':
    case 'unsparsify':
    case 'merge':
    case 'split':
      return `${v.name} depends on the order of all records (or of all of a key's records)`;
    case 'agg':
      return 'agg --every or --partial';
    default:
      return `${v.name} is not record-wise`;
  }
}

/**
 * Threads from which per-key verbs run by key partitions: every thread reads
 * and parses the whole input, so on 2 threads they save nothing (measured,
 * 2 cores, 1M flights: `over ... --rows 3 --by origin` 1.48 s with one
 * thread, 1.57 s by 2 partitions). bench/partition-thread.js times each
 * partition's thread alone: the slowest of 3 takes 0.79 s, of 4 0.74 s, of
 * 8 0.58 s, against 1.30 s for one thread's whole run.
 */
export const PARTITION_THREADS = 3;

/**
 * The split for these options and verb words, or a reason why the run is not split.
 * @param words   the verb chain's words, one array per verb
 * @param threads the threads of the run (key partitions from PARTITION_THREADS on)
 */
export function planParallel(opts: RunOptions, words: string[][], threads = 2): ParallelPlan | string {
  if (opts.follow) return '--follow reads files as they grow';
  if (opts.checkpoint) return '--checkpoint';
  if (opts.onError !== 'fail' || opts.errorsFile !== undefined) return '--on-error skip/warn and --errors keep exact counts in one thread';
  if ((opts.encoding ?? 'utf-8') !== 'utf-8') return '--encoding latin1';
  if (opts.noHeader) return '--no-header';
  const prefix: string[][] = [];
  let i = 0;
  for (; i < opts.verbs.length; i++) {
    const v = opts.verbs[i]!;
    if (!v.recordWise || v.name === 'partition' || v.name === 'tee' || v.name === 'parse') break;
    if (words[i]!.some((w) => ORDER_SENSITIVE.test(w))) break;
    prefix.push(words[i]!);
  }
  let agg: string[] | null = null;
  let window: string[] | null = null;
  const plainAgg = (j: number): boolean => {
    const v = opts.verbs[j];
    if (v === undefined || v.name !== 'agg') return false;
    const ex = v.explain as { every?: unknown; partial?: unknown };
    return ex.every === undefined && ex.partial === undefined;
  };
  const v = opts.verbs[i];
  let keyed: string[] | null = null;
  let partition: string[][] | null = null;
  // (SLUICE_J_PARTITIONS=1: by key partitions on any number of threads, for benchmarks: bench/partitions.js.)
  if (v !== undefined && v.byKey !== undefined && (threads >= PARTITION_THREADS || process.env.SLUICE_J_PARTITIONS === '1') && byKeyOk(opts, i)) {
    partition = [words[i]!];
    i++;
    if (plainAgg(i)) partition.push(words[i++]!);
    // Verbs after them would have the main thread parse all the threads' output again.
    if (i < opts.verbs.length) {
      i -= partition.length;
      partition = null;
    }
  } else if (v !== undefined && (v.firstPerKey !== undefined || v.lastPerKey !== undefined || v.countPerKey !== undefined || v.bestPerKey !== undefined)) {
    keyed = words[i]!;
    i++;
  } else if (v !== undefined && plainAgg(i)) {
    agg = words[i]!.slice(1);
    i++;
  } else if (v !== undefined && isWindowInstance(v) && plainAgg(i + 1)) {
    const s = v.windowSpec;
    if (
      (s.kind === 'tumbling' || s.kind === 'sliding' || s.kind === 'session') &&
      s.timePath !== null &&
      s.lateOutput === null &&
      s.idle === null &&
      !opts.verbs.slice(i + 2).some(stopsInput) &&
      !perWindowAfter(opts, i + 1)
    ) {
      window = words[i]!;
      agg = words[i + 1]!.slice(1);
      i += 2;
    }
  }
  if (prefix.length === 0 && agg === null && keyed === null && partition === null) return opts.verbs.length === 0 ? 'no verb to split' : `${opts.verbs[0]!.name} comes first: ${whyKept(opts, 0, words)}`;
  if (opts.verbs.slice(i).some((x) => x.needsLineNumbers === true)) return 'a later verb names input lines in its messages';
  // The table writer's columns grow batch by batch (formats/table.ts): records in other batches than one thread's draw other blocks.
  if (opts.outputFormat === 'table' && agg === null && keyed === null) return "-o table of records: its column widths grow with the batches one thread reads";
  return { prefix, agg, window, keyed, partition, rest: i, kept: i < opts.verbs.length ? whyKept(opts, i, words) : '' };
}

/** Aggregates whose partials always merge exactly (exact.ts): no run has to be redone in one thread. */
const ALWAYS_EXACT = new Set(['count', 'min', 'max', 'first', 'last', 'distinct', 'approx_distinct', 'median', 'percentile', 'collect']);

/**
 * The split for input the main thread reads and deals out (stdin, pipes,
 * gzip, CSV with quoted fields: deal.ts). Such input cannot be read again,
 * so nothing that may have to be redone in one thread runs in the workers: a
 * windowed agg (a malformed record, float sums), and an agg with sums,
 * averages or variances (float merges), stay in the main thread.
 * @param aggFns the function names of the split's agg (parsed by the caller)
 * @returns the split, or why the run is not split
 */
export function streamPlan(opts: RunOptions, split: ParallelPlan, aggFns: string[]): ParallelPlan | string {
  const why = 'on input read once (stdin, pipes, gzip, CSV with quotes)';
  let p = split;
  if (p.window !== null) p = { ...p, window: null, agg: null, rest: p.prefix.length, kept: `${why}, a windowed agg runs in the main thread (its merge may have to be redone in one thread)` };
  else if (p.agg !== null && aggFns.some((f) => !ALWAYS_EXACT.has(f)))
    p = { ...p, agg: null, rest: p.prefix.length, kept: `${why}, an agg with sums, averages or variances runs in the main thread (float merges may have to be redone in one thread)` };
  else if (p.keyed && opts.verbs[p.prefix.length]!.firstPerKey === undefined)
    p = { ...p, keyed: null, rest: p.prefix.length, kept: `${why}, ${opts.verbs[p.prefix.length]!.name} runs in the main thread (a range with more records at its end than one burst would have the run redone in one thread)` };
  if (p.prefix.length === 0 && p.agg === null && !p.keyed) return `${opts.verbs[0]!.name} comes first: ${p.kept}`;
  return p;
}
