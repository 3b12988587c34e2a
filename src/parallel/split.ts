/**
 * The split-run loop of `-j N` (issue 14 item 5): hands the jobs (jobs.ts)
 * to the worker threads, up to two queued each so that none waits while the
 * main thread is busy, and runs one itself when it is idle (chunk.ts); puts
 * the results back in job order and passes them, merged (agg-merge.ts,
 * windowed.ts) or as they are, to the output side (output.ts).
 *
 * A malformed record stops the run as with -j 1: the output of every job
 * before it (and of its own records before it) is written, then the
 * message, with the record's line in its file, and exit status 1. A result
 * that one thread could write differently (float merges, invalid UTF-8, a
 * malformed record in a windowed run) ends the split run with a Fallback:
 * the caller redoes the run in one thread, skipping what was written.
 *
 * SIGINT / SIGTERM (SPEC §5) end the input where it is, as with one thread:
 * no job is handed out after the signal, the jobs handed out are finished
 * and written, aggregates and windows are closed and written, and the
 * process exits 130 / 143 (cli/main.ts signalStatus).
 */
import fs from 'node:fs';
import type { Worker } from 'node:worker_threads';
import type { RunOptions } from '../engine/run.js';
import { InputError } from '../engine/errors.js';
import { subscribeSignals } from '../engine/signals.js';
import type { OutputFormat } from '../engine/types.js';
import { delimiterFor, outputFormatFor } from '../engine/output.js';
import { inputFields } from '../engine/projection.js';
import type { WindowVerbInstance } from '../window/instance.js';
import { yargsWasUsed } from '../verbs/args.js';
import { WindowedMerger } from './windowed.js';
import type { ParallelPlan } from './plan.js';
import { type ChunkJob, type ChunkResult, type ChunkRunner, type VerbWordsParser, type WorkerInit, createChunkRunner } from './chunk.js';
import { releaseWorkers, takeWorkers, watchWorker } from './pool.js';
import type { JobList } from './deal.js';
import { AggMerger, aggPlanOf } from './agg-merge.js';
import { SplitOutput } from './output.js';
import { CountMerger, KeyedMerger, LastMerger } from './keyed.js';
import { TopMerger } from './ranked.js';
import { SessionMerger } from './sessions.js';

/** Why a split run stopped and must be redone in one thread. */
export interface Fallback {
  fallback: string;
  /** Bytes of output already written (a prefix of what one thread writes). */
  written: number;
  /** A SIGINT / SIGTERM the split run had received: the one-thread redo ends its input at once too. */
  signal?: NodeJS.Signals;
}

/** SLUICE_J_DEBUG=2: where the time went (Timings); any value: why a run fell back to one thread (run.ts). */
const debug = process.env.SLUICE_J_DEBUG === '2';
const clock = (): number => performance.timeOrigin + performance.now();

/**
 * SLUICE_J_DEBUG: where the time of a split run went, per thread: jobs run,
 * ms busy with them, when the thread had loaded and when it first and last
 * ran a job (ms since the process started); the main thread's ms merging
 * and writing results. Written to stderr at the end of the run.
 */
class Timings {
  private readonly threads = new Map<string, { jobs: number; busy: number; loaded: number; first: number; last: number }>();
  merge = 0;
  private readonly t0 = performance.timeOrigin;
  job(who: string, t: [number, number, number]): void {
    let e = this.threads.get(who);
    if (e === undefined) this.threads.set(who, (e = { jobs: 0, busy: 0, loaded: t[2], first: t[0], last: t[1] }));
    e.jobs++;
    e.busy += t[1] - t[0];
    e.last = Math.max(e.last, t[1]);
  }
  report(): string {
    const f = (x: number): string => (x - this.t0).toFixed(0);
    const parts = [...this.threads].map(([who, e]) => `${who}: ${e.jobs} jobs, ${e.busy.toFixed(0)} ms busy, loaded at ${f(e.loaded)}, jobs ${f(e.first)}-${f(e.last)} ms`);
    return `sluice: -j timings: ${parts.join('; ')}; main thread merging/writing ${this.merge.toFixed(0)} ms; end at ${f(clock())} ms\n`;
  }
}

/** Records read before split.ts judges whether a split with verbs in the main thread pays. */
const JUDGE_RECORDS = 20_000;

/** Bytes waiting in the feed of the main thread's verbs above which no more jobs are handed out. */
const FEED_LIMIT = 16 * 1024 * 1024;

/** The WorkerInit for this split: what each thread runs on a range, and how. */
export function workerInit(opts: RunOptions, split: ParallelPlan, inFmt: 'ndjson' | 'csv' | 'tsv', outFmt: OutputFormat, hasRest: boolean): WorkerInit {
  const init: WorkerInit = {
    prefix: split.prefix,
    agg: split.agg,
    keyed: split.keyed ?? null,
    window: split.window,
    render: null,
    // The fields one thread would decode (engine/readers.ts fieldsFor): the ranges decode the same.
    fields:
      opts.readAll || process.env.SLUICE_READ_ALL === '1'
        ? undefined
        : (inputFields(opts.verbs, inFmt === 'ndjson' && (outFmt === 'ndjson' || outFmt === 'json') && opts.wrapWriter === undefined) ?? undefined),
    delimiter: opts.delimiter,
    maxLineBytes: opts.maxLineBytes,
    strictCsv: opts.strictCsv,
    yargs: yargsWasUsed(),
    keepsRaw: inFmt !== 'ndjson' && outFmt === inFmt ? inFmt : null,
    headerOrder: inFmt !== 'ndjson' && (outFmt === 'csv' || outFmt === 'tsv'),
  };
  // Windowed agg: the ranges write each window's rows as this thread's writer would.
  if (split.window !== null) {
    const rendersAs = hasRest ? 'ndjson' : outFmt;
    if (hasRest || (opts.wrapWriter === undefined && !opts.color && (outFmt === 'ndjson' || outFmt === 'csv' || outFmt === 'tsv'))) {
      init.render = {
        fmt: rendersAs as 'ndjson' | 'csv' | 'tsv',
        delimiter: delimiterFor(opts, rendersAs as OutputFormat),
        inputFormat: hasRest ? 'ndjson' : inFmt,
        inputDelimiter: delimiterFor(opts, hasRest ? 'ndjson' : inFmt),
      };
    }
  }
  return init;
}

/** Bytes of the first range the main thread runs the leading verbs on before a split (probeKept). */
const PROBE_BYTES = 256 * 1024;

/**
 * The share of records the leading verbs pass on, judged on the first
 * PROBE_BYTES of the first range (cut at a line end), run in this thread
 * before any job is handed out: a split whose main thread would parse again
 * most records (see `judge` in runSplit) is then not started at all. Null
 * when the range has no line end there, the run has no leading verbs
 * whose records go to the main thread, or a verb cannot be built.
 */
export function probeKept(opts: RunOptions, split: ParallelPlan, job: ChunkJob, parseVerbs: VerbWordsParser): number | null {
  if (split.agg !== null || split.window !== null || split.keyed || split.partition || job.data !== undefined) return null;
  const fd = fs.openSync(job.file, 'r');
  let end: number;
  try {
    const buf = Buffer.allocUnsafe(Math.min(PROBE_BYTES, job.end - job.start));
    const n = fs.readSync(fd, buf, 0, buf.length, job.start);
    const nl = buf.subarray(0, n).lastIndexOf(0x0a);
    if (nl < 0) return null;
    end = job.start + nl + 1;
  } finally {
    fs.closeSync(fd);
  }
  const outFmt = outputFormatFor(job.fmt, opts.outputFormat);
  let r: ChunkResult;
  try {
    r = createChunkRunner(workerInit(opts, split, job.fmt, outFmt, true), parseVerbs)({ ...job, end });
  } catch {
    // A verb that cannot be built (a join table with a malformed row): no judgement; the split says it as one thread does.
    return null;
  }
  return r.kind === 'bytes' && r.kept !== undefined && r.kept[1] > 0 ? r.kept[0] / r.kept[1] : null;
}

/**
 * Run `jobs` on `nThreads` threads (the main thread and nThreads−1 workers).
 * @returns the exit status, or a Fallback (redo the run in one thread)
 */
export function runSplit(opts: RunOptions, split: ParallelPlan, jobs: JobList, nThreads: number, parseVerbs: VerbWordsParser): Promise<number | Fallback> {
  const inFmt = jobs.fmt;
  const outFmt = outputFormatFor(inFmt, opts.outputFormat);
  const restVerbs = opts.verbs.slice(split.rest);
  const init = workerInit(opts, split, inFmt, outFmt, restVerbs.length > 0);
  // N threads: N-1 workers and this one, which takes jobs when it has nothing else to do.
  const workers = takeWorkers(Math.max(0, Math.min(nThreads, jobs.total()) - 1));
  releaseWorkers();
  for (const w of workers) {
    w.ref();
    w.postMessage({ init });
  }
  let mainRunner: ChunkRunner | null = null;
  const timings = debug ? new Timings() : null;

  return new Promise<number | Fallback>((resolve) => {
    /** Jobs of the run: all of the input's, or those handed out before a signal ended the input. */
    let cap = Infinity;
    /** The signal that ended the input (handed to a one-thread redo). */
    let signal: NodeJS.Signals | undefined;
    const total = (): number => Math.min(jobs.total(), cap);
    let next = 0;
    let written = 0;
    const done = new Map<number, ChunkResult>();
    let failed: string | null = null;
    let finished = false;
    const aggs = split.agg !== null ? new AggMerger(aggPlanOf(split.agg)) : null;
    const kv = split.keyed ? opts.verbs[split.prefix.length]! : null;
    const keyed = kv?.firstPerKey !== undefined ? new KeyedMerger(kv.firstPerKey.n) : null;
    const lastKeyed =
      kv?.lastPerKey !== undefined
        ? new LastMerger(kv.lastPerKey.n)
        : kv?.countPerKey !== undefined
          ? new CountMerger(kv.countPerKey.name)
          : kv?.bestPerKey !== undefined
            ? new TopMerger(kv.bestPerKey.n, kv.bestPerKey.desc)
            : null;
    const spec = split.window !== null ? (opts.verbs[split.prefix.length] as WindowVerbInstance).windowSpec : null;
    const sessions = spec !== null && spec.kind === 'session' ? new SessionMerger(aggs!.plan, spec.size, spec.lateness) : null;
    const windowed = spec !== null && sessions === null ? new WindowedMerger(aggs!.plan, spec.lateness, init.render !== null) : null;
    const out = new SplitOutput(
      opts,
      restVerbs,
      inFmt,
      outFmt,
      // Records pass straight to stdout when nothing runs after the workers and the output is NDJSON
      // (not drawn: -o chart/bar/line, a progress line to clear, are writers wrapped by live/).
      split.agg === null && restVerbs.length === 0 && outFmt === 'ndjson' && inFmt === 'ndjson' && opts.wrapWriter === undefined,
      split.agg !== null && restVerbs.length === 0,
      { wake: () => wake(), stop: () => void finish(0) },
    );
    /**
     * Whether the split pays, judged once from the first ranges of a file: when the leading verbs
     * pass on more than half of the records and the main thread runs more than `head` on them, it
     * parses again about what one thread parses, after the workers wrote it out (measured, 2 cores,
     * 1M flights: `filter true then window count 100 --by origin then agg ...` 0.52 s with one
     * thread, 1.48 s split; `filter 'delay > 0' then sort delay` 1.29 s, 1.58 s): one thread then.
     */
    let judged = restVerbs.length === 0 || restVerbs[0]!.name === 'head';
    let keptSum = 0;
    let readSum = 0;
    const judge = (kept: [number, number] | undefined, file: boolean): string | null => {
      if (judged || kept === undefined) return null;
      if (!file) {
        judged = true;
        return null;
      }
      keptSum += kept[0];
      readSum += kept[1];
      if (readSum < JUDGE_RECORDS && written < total()) return null;
      judged = true;
      return keptSum * 2 > readSum
        ? `the leading verbs pass on ${Math.round((100 * keptSum) / Math.max(1, readSum))}% of the records, which the main thread's ${restVerbs[0]!.name} would parse again`
        : null;
    };
    /** Jobs handed out but not yet written: a bound on memory. */
    const maxInFlight = 3 * (workers.length + 1);
    const outstanding = new Map<Worker, number>(workers.map((w) => [w, 0]));
    const blocked = (): boolean =>
      finished || out.restEnded || next >= total() || out.paused || next - written >= maxInFlight || (!out.direct && out.backlog() > FEED_LIMIT);

    const finish = async (code: number, fallback?: string): Promise<void> => {
      if (finished) return;
      finished = true;
      unsubscribe();
      jobs.stop();
      if (process.env.SLUICE_J_TRACE) (opts.stderr ?? process.stderr).write(`sluice: -j trace: ${next} jobs handed out, ${written} written\n`);
      // No message of a worker is handled from here on (finished). Terminating one takes 5-20 ms:
      // the output is written meanwhile, and the workers no longer keep the process alive.
      const terminated = Promise.all(workers.map((w) => w.terminate()));
      if (fallback !== undefined) {
        await terminated;
        if (timings !== null) (opts.stderr ?? process.stderr).write(timings.report());
        // Nothing more from this run: what it wrote is a prefix of one thread's output.
        resolve({ fallback, written: await out.abandon(), signal });
        return;
      }
      // (Unref'd only here: a worker being terminated must keep the process alive until the redo above.)
      for (const w of workers) w.unref();
      if (timings !== null) (opts.stderr ?? process.stderr).write(timings.report());
      resolve(await out.end(code, () => windowed?.summary(), failed, () => jobs.summary()));
    };

    const drain = (): void => {
      const t0 = timings !== null ? clock() : 0;
      drainDone();
      if (timings !== null) timings.merge += clock() - t0;
    };
    const drainDone = (): void => {
      while (!finished && done.has(written)) {
        const r = done.get(written)!;
        done.delete(written);
        const job = jobs.job(written);
        const line = r.kind === 'error' ? jobs.lineOf(job, r.line) : 0;
        jobs.written(r);
        written++;
        if (r.kind === 'fallback') {
          void finish(0, r.why);
          return;
        }
        if (r.kind === 'error') {
          if (windowed !== null || sessions !== null) {
            // One thread writes the windows closed before the bad record, then the message: let it.
            void finish(1, 'a malformed record in a windowed agg');
            return;
          }
          out.write(keyed !== null && r.keys !== undefined ? keyed.add({ id: r.id, kind: 'keyed', bytes: r.partial, keys: r.keys }) : r.partial);
          if (r.message !== undefined) failed = r.user !== undefined ? r.message : `internal error: ${r.message}`;
          else {
            failed = new InputError(r.what, job.file === '/dev/stdin' ? '-' : job.file, line, r.text, r.verb).message;
            out.recordFailure = true;
          }
          void finish(r.user ?? 1);
          return;
        }
        if (r.kind === 'bytes') {
          const why = judge(r.kept, job.data === undefined);
          if (why !== null) {
            void finish(0, why);
            return;
          }
          out.write(r.bytes);
        }
        else if (r.kind === 'keyed') {
          if (keyed !== null) out.write(keyed.add(r));
          else lastKeyed!.add(r);
        }
        else if (r.kind === 'sess') {
          const o = sessions!.add(r);
          if (typeof o === 'string') {
            void finish(0, o);
            return;
          }
          out.writeWindows(o);
        } else if (r.kind === 'wagg') {
          let o = windowed!.add(r);
          if (o === null) {
            // A window another range has too came without its partials (window-job.ts): this thread redoes the range with them.
            if (process.env.SLUICE_J_DEBUG) (opts.stderr ?? process.stderr).write(`sluice: -j: range ${r.id} redone with the partials of every window\n`);
            mainRunner ??= createChunkRunner(init, parseVerbs);
            const again = job.data === undefined ? mainRunner({ ...job, allParts: true }) : null;
            o = again !== null && again.kind === 'wagg' ? windowed!.add(again) : null;
            if (o === null) {
              void finish(0, 'a window of several ranges without its partials');
              return;
            }
          }
          if (windowed!.inexact) {
            void finish(0, 'float sums or variances merged across ranges');
            return;
          }
          out.writeWindows(o);
        } else if (r.kind === 'agg') {
          const why = aggs!.add(r, jobs.once);
          if (why !== null) {
            void finish(0, why);
            return;
          }
        } else {
          void finish(0, `an unexpected ${r.kind} result`);
          return;
        }
      }
      if (!finished && written === total()) {
        const err = jobs.failure();
        if (err !== null) {
          // A read error (a truncated gzip stream): what was read before it is written, then the message, as one thread does.
          failed = err;
          void finish(1);
          return;
        }
        if (windowed !== null) out.writeWindows(windowed.end());
        else if (sessions !== null) {
          const o = sessions.end();
          if (typeof o === 'string') {
            void finish(0, o);
            return;
          }
          out.writeWindows(o);
        }
        else if (lastKeyed !== null) out.write(lastKeyed.end());
        else if (aggs !== null) out.writeRecords(aggs.end());
        void finish(0);
      }
    };

    /** Hand jobs to the workers: up to two each, so none waits while this thread is busy. */
    const wake = (): void => {
      if (!finished && written === total()) drain();
      for (const w of workers) {
        while (!blocked() && outstanding.get(w)! < 2) {
          const job = jobs.take(next, outstanding.get(w) === 0);
          if (job === undefined) break;
          next++;
          outstanding.set(w, outstanding.get(w)! + 1);
          w.postMessage(job, job.data !== undefined ? [job.data.buffer as ArrayBuffer] : []);
        }
      }
      scheduleOwn();
    };

    /** This thread takes the next job itself when nothing else waits for it. */
    let ownScheduled = false;
    const scheduleOwn = (): void => {
      if (ownScheduled || blocked()) return;
      ownScheduled = true;
      setImmediate(() => {
        ownScheduled = false;
        if (blocked()) return;
        // (A stream's partial job goes to an idle worker: this thread reads the stream.)
        const job = jobs.take(next, workers.length === 0);
        if (job === undefined) return;
        next++;
        try {
          mainRunner ??= createChunkRunner(init, parseVerbs);
        } catch (e) {
          // A verb that cannot be built (a join table with a malformed row): one thread says it as it does.
          done.set(job.id, { id: job.id, kind: 'fallback', why: `a verb could not be built: ${(e as Error).message}` });
          drain();
          return;
        }
        const t0 = timings !== null ? clock() : 0;
        done.set(job.id, mainRunner(job));
        timings?.job('main', [t0, clock(), performance.timeOrigin]);
        drain();
        wake();
      });
    };

    workers.forEach((w, i) => {
      w.on('message', (r: ChunkResult) => {
        if (timings !== null && r.t !== undefined) timings.job(`worker ${i + 1}`, r.t);
        outstanding.set(w, outstanding.get(w)! - 1);
        done.set(r.id, r);
        drain();
        wake();
      });
      watchWorker(w, () => finished, (message) => {
        failed ??= message;
        void finish(1);
      });
    });
    const unsubscribe = subscribeSignals((sig) => {
      // The input ends here: what was handed out is finished, written and closed.
      signal ??= sig;
      cap = next;
      jobs.stop();
      wake();
    });
    jobs.start(wake);
    wake();
  });
}
