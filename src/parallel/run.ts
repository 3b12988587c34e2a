/**
 * `-j N` / `--parallel N` (issue 14 item 5): the pipeline on N threads (the
 * main thread and N-1 worker threads, started early by pool.ts), with
 * output identical to `-j 1`, order included. The parts, one concern each:
 *
 * - plan.ts: where the pipeline is split (what the workers run, what stays
 *   in the main thread, and why);
 * - jobs.ts: regular files cut into ranges at line ends (the jobs);
 * - chunk.ts / worker.ts (slices.ts: reading a range): one job run (in a worker, or in the main thread
 *   when it is idle): records back as NDJSON bytes, or agg partials;
 * - split.ts: the loop handing out jobs and putting results back in job
 *   order; agg-merge.ts / windowed.ts merge partials (windowed.ts redoes
 *   one pass's watermark exactly);
 * - output.ts / relay.ts: what the merged results become (stdout, the
 *   writer, or the verbs the main thread runs).
 *
 * - stream.ts / deal.ts: input that cannot be cut in advance (stdin and
 *   pipes, gzip, CSV with quoted fields) read by the main thread and dealt
 *   out batch by batch.
 *
 * When the run cannot be split (--on-error skip, --follow, ...)
 * `runParallel` returns null and the caller runs it with one thread; when a split run finds something one thread could write
 * differently, it is redone in one thread, skipping what was written.
 */
import { valuesInPartials } from './agg-merge.js';
import { escapeControls } from '../engine/errors.js';
import type { RunOptions } from '../engine/run.js';
import { run } from '../engine/run.js';
import { MAX_PART } from '../agg/plan.js';
import { runFileUses } from '../engine/options.js';
import { checkFileUses, stdoutWasClosed } from '../engine/files.js';
import { deferSignal } from '../engine/signals.js';
import type { WindowVerbInstance } from '../window/instance.js';
import { type ParallelPlan, planParallel } from './plan.js';
import { outputFormatFor } from '../engine/output.js';
import type { VerbWordsParser } from './messages.js';
import { THREAD_BYTES, fileBytes, releaseWorkers, threadCount, threadsForBytes } from './pool.js';
import { CHUNK, makeJobs } from './jobs.js';
import { fileJobs } from './deal.js';
import { openDealt } from './stream.js';
import { RelayOut } from './relay.js';
import { type Fallback, probeKept, runSplit } from './split.js';
import { runPartitioned } from './partition-run.js';

/** The number of threads for `-j N` (0 = every core). */
export const workerCount = threadCount;

/**
 * Run with N threads.
 * @param words the verb chain's words, one array per verb (for the workers to parse)
 * @param parseVerbs the command line's verb parser (for the ranges the main thread runs itself)
 * @returns the exit status, or null when this run cannot be split (the caller runs it with one thread)
 */
export async function runParallel(opts: RunOptions, words: string[][], n: number, parseVerbs: VerbWordsParser): Promise<number | null> {
  const threads = threadsFor(opts, n);
  if (typeof threads === 'string') {
    releaseWorkers();
    if (process.env.SLUICE_J_DEBUG) (opts.stderr ?? process.stderr).write(`sluice: -j: one thread (${threads})\n`);
    return null;
  }
  let split = planParallel(opts, words, threads);
  if (typeof split === 'string') {
    releaseWorkers();
    return null;
  }
  const heavy = split.agg !== null ? valuesInPartials(split.agg) : null;
  if (heavy !== null) {
    releaseWorkers();
    if (process.env.SLUICE_J_DEBUG) (opts.stderr ?? process.stderr).write(`sluice: -j: one thread (${heavy})\n`);
    return null;
  }
  if (opts.stdout === undefined) {
    // What one thread checks first (an output that is an input, a closed stdout): its messages.
    try {
      checkFileUses(...runFileUses(opts));
    } catch {
      releaseWorkers();
      return null;
    }
    if (stdoutWasClosed()) {
      releaseWorkers();
      return null;
    }
  }
  const jobs = makeJobs(opts);
  if (split.partition && typeof jobs !== 'string' && !partitionsWriteStdout(opts, split, jobs[0]!.fmt)) {
    // The threads write NDJSON: another output format, or verbs after them, would have the main thread parse it all again.
    if (split.prefix.length === 0) {
      releaseWorkers();
      return null;
    }
    split = { ...split, partition: null, rest: split.prefix.length, kept: `${opts.verbs[split.prefix.length]!.name} runs by key partitions only when their NDJSON goes straight to stdout (-o ndjson, no verb after them)` };
  }
  if (split.partition && typeof jobs !== 'string') {
    const r = await runPartitioned(opts, split, jobs, threads, parseVerbs);
    if (typeof r === 'number') return r;
    return redo(opts, r);
  }
  if (split.partition) {
    // Key partitions read the whole input in every thread: a stream is read once. The leading verbs only.
    if (split.prefix.length === 0) {
      releaseWorkers();
      return null;
    }
    split = { ...split, partition: null, rest: split.prefix.length, kept: `on input read once (stdin, pipes, gzip, CSV with quotes), ${opts.verbs[split.prefix.length]!.name} runs in the main thread (key partitions read the whole input in every thread)` };
  }
  if (typeof jobs === 'string') {
    // Input that cannot be cut in advance: dealt out as it is read (stream.ts, deal.ts).
    const dealt = await openDealt(opts, split, jobs, CHUNK);
    if (dealt === null) {
      releaseWorkers();
      return null;
    }
    if ('replay' in dealt) {
      releaseWorkers();
      if (process.env.SLUICE_J_DEBUG) (opts.stderr ?? process.stderr).write(`sluice: -j: one thread (${dealt.why})\n`);
      return run(dealt.replay !== null ? { ...opts, stdin: dealt.replay } : opts);
    }
    const r = await runSplit(opts, dealt.plan, dealt.jobs, threads, parseVerbs);
    if (typeof r === 'number') return r;
    // A verb no thread could build (a join table with a malformed row): its message, as one thread writes it.
    const built = /^a verb could not be built: ([\s\S]*)$/.exec(r.fallback);
    (opts.stderr ?? process.stderr).write(
      built !== null ? `sluice: ${escapeControls(built[1]!)}\n` : `sluice: internal error: -j on a stream cannot be redone in one thread (${r.fallback})\n`,
    );
    return 1;
  }
  if (split.agg !== null && jobs.length > MAX_PART + 1) {
    releaseWorkers();
    return null;
  }
  const rest = opts.verbs[split.rest];
  if (rest !== undefined && rest.name !== 'head') {
    // Leading verbs that pass on most records to verbs of the main thread: one thread is faster (split.ts judge).
    const kept = probeKept(opts, split, jobs[0]!, parseVerbs);
    if (kept !== null && kept > 0.5) {
      releaseWorkers();
      if (process.env.SLUICE_J_DEBUG) (opts.stderr ?? process.stderr).write(`sluice: -j: one thread (the leading verbs pass on ${Math.round(100 * kept)}% of the first records, which the main thread's ${rest.name} would parse again)\n`);
      return null;
    }
  }
  const r = await runSplit(opts, split, fileJobs(jobs), threads, parseVerbs);
  if (typeof r === 'number') return r;
  return redo(opts, r);
}

/**
 * Whether a run by key partitions writes the threads' NDJSON straight to
 * stdout (NDJSON output, nothing after them, no colour or live view): the
 * only case where it pays, else the main thread parses all of it again.
 */
function partitionsWriteStdout(opts: RunOptions, split: ParallelPlan, inFmt: string): boolean {
  return split.rest === opts.verbs.length && outputFormatFor(inFmt as 'ndjson', opts.outputFormat) === 'ndjson' && opts.wrapWriter === undefined && !opts.color;
}

/** Redo the run in one thread; its first r.written bytes of output are out already. */
async function redo(opts: RunOptions, r: Fallback): Promise<number> {
  if (process.env.SLUICE_J_DEBUG) (opts.stderr ?? process.stderr).write(`sluice: -j: one thread after all (${r.fallback}); ${r.written} bytes were written already\n`);
  // A signal the split run took ends this run's input at once too (it would read to the end).
  if (r.signal !== undefined) deferSignal(r.signal);
  const stdout = opts.stdout ?? process.stdout;
  const code = await run({ ...opts, stdout: new RelayOut(stdout, r.written) });
  // The relay has handed everything to stdout, which may still hold it (a pipe): the caller exits
  // once the run returns, so wait until stdout has written it (the tail of the output was lost).
  await new Promise<void>((resolve) => stdout.write('', () => resolve()));
  return code;
}

/**
 * The threads a run of `-j n` uses on its input: `n` (0: every core), fewer
 * when the input files are too small for each thread to pay for its start
 * (pool.ts threadsForBytes), or why one thread is used.
 */
function threadsFor(opts: RunOptions, n: number): number | string {
  const asked = workerCount(n);
  const bytes = opts.sources !== undefined && opts.sources.length > 0 ? fileBytes(opts.sources) : null;
  const t = threadsForBytes(asked, bytes);
  if (t >= 2 || asked < 2) return t;
  return `the input (${((bytes ?? 0) / 1e6).toFixed(1)} MB) is under 2 × ${mib(THREAD_BYTES)} MiB: a thread's start and warm-up (~0.3 s of CPU) cost more than it saves on less (SLUICE_J_THREAD_BYTES=0 splits it anyway)`;
}

/** `bytes` in MiB for a message: whole, or to 3 significant digits (a small SLUICE_J_THREAD_BYTES is not "0 MiB"). */
function mib(bytes: number): string {
  const m = bytes / 1048576;
  return Number.isInteger(m) ? String(m) : m.toPrecision(3);
}

/** A description of the split for --explain. */
export function explainParallel(opts: RunOptions, words: string[][], n: number): string {
  const t0 = threadsFor(opts, n);
  if (typeof t0 === 'string') return `parallel: ${workerCount(n)} threads requested; runs in one thread: ${t0}`;
  const t = t0;
  const split = planParallel(opts, words, t);
  if (typeof split === 'string') return `parallel: ${t} threads requested; runs in one thread: ${split}`;
  const heavy = split.agg !== null ? valuesInPartials(split.agg) : null;
  if (heavy !== null) return `parallel: ${t} threads requested; runs in one thread: ${heavy}`;
  const names = opts.verbs.map((v) => v.name);
  if (split.partition) {
    const part = names.slice(split.prefix.length, split.rest).join(' + ');
    const lead = split.prefix.length > 0 ? `${names.slice(0, split.prefix.length).join(', ')} and ` : '';
    return (
      `parallel: ${t} threads (the main thread and ${t - 1} worker${t === 2 ? '' : 's'}) by key partitions: each thread reads the whole input and runs ${lead}${part} ` +
      `for the keys whose hash (MurmurHash3 of the key text, seed 0) mod ${t} is its own; the main thread merges their output in input order and writes it (NDJSON output only: with CSV or TSV output, ${part} runs in one thread)` +
      (split.rest < names.length ? `, then runs ${names.slice(split.rest).join(', ')}` : '') +
      (split.kept ? `; ${names[split.rest]} stays in the main thread: ${split.kept}` : '') +
      '. A malformed record, invalid UTF-8 or a double quote in a CSV file after its first range make the run go to one thread; stdin, pipes and gzip are not split so (the leading verbs only).'
    );
  }
  const inWorkers = names.slice(0, split.prefix.length);
  const wkind = split.window ? (opts.verbs[split.prefix.length] as WindowVerbInstance).windowSpec.kind : null;
  if (wkind === 'session') inWorkers.push('window session + agg (as partials per session and group)');
  else if (split.window) inWorkers.push(`window ${wkind} + agg (as partials per window and group)`);
  else if (split.agg) inWorkers.push('agg (as partials)');
  const kv = split.keyed ? opts.verbs[split.prefix.length]! : null;
  if (kv !== null) inWorkers.push(`${kv.name} (${kv.countPerKey ? 'a count per key per range' : `the ${kv.firstPerKey ? 'first' : kv.bestPerKey ? 'best' : 'last'} records of each key per range`})`);
  const merge = wkind === 'session'
    ? 'merge of the session partials (a key\'s sessions that touch across ranges join; watermark: the largest time of the ranges before, minus --lateness; ' +
      'a record more than --lateness behind an earlier time, or sessions one pass would merge with min, max, float sums or variances, make the run go to one thread)'
    : split.window
    ? 'merge of the window partials (watermark: the largest time of the ranges before, minus --lateness)'
    : split.agg
      ? 'merge of the partials'
      : split.keyed
        ? kv!.firstPerKey
          ? `records put back in input order, keeping the first ${kv!.firstPerKey.n} of each key over all ranges`
          : kv!.lastPerKey
            ? `the last ${kv!.lastPerKey.n} records of each key over all ranges, at the end`
            : kv!.bestPerKey
              ? `the ${kv!.bestPerKey.n} best records of each key over all ranges (equal values in input order), at the end`
              : 'the counts per key summed over all ranges, at the end'
        : 'records put back in input order';
  const inMain = [merge, ...names.slice(split.rest)];
  return (
    `parallel: ${t} threads (the main thread and ${t - 1} worker${t === 2 ? '' : 's'}) run ${inWorkers.join(', ')} on 2 MiB ranges of regular files ` +
    `(stdin, pipes, gzip and CSV with quoted fields: on batches the main thread reads and deals out, cut at record ends when 2 MiB arrived or the input pauses); ` +
    `the main thread runs ${inMain.join(', ')}` +
    (split.kept ? `; ${names[split.rest]} stays in the main thread: ${split.kept}` : '') +
    '. On input read once (stdin, pipes, gzip, CSV with quotes), windowed aggs and aggs with sums, averages or variances run in the main thread; ' +
    'on files, float sums or variances merged across ranges, invalid UTF-8, and a double quote in a CSV file after its first range (a CSV file with one in its first range is dealt out), make the run go to one thread.'
  );
}

