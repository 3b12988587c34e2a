/**
 * `-j N` / `--parallel N` (issue 14 item 5): the pipeline on N threads (the
 * main thread and N-1 worker threads, started early by pool.ts), with
 * output identical to `-j 1`, order included.
 *
 * Input: regular files (NDJSON; CSV/TSV without any double quote, so that no
 * quoted field can span a line) are cut into ranges of about 2 MiB at line
 * ends; each range is a job, numbered in input order, handed to a worker
 * (up to two queued each, so none waits while the main thread is busy) or
 * run by the main thread itself when it is idle (chunk.ts). Records come
 * back as NDJSON bytes per job, their memory moved, not copied, and are put
 * back in job order (written straight to stdout when nothing else runs); a plain `agg` runs in the workers as partial
 * state per job (positions = job number · 2^36 + record number), merged in
 * the main thread by first position, which is -j 1's order of first
 * appearance. The records then go through the verbs that run in the main
 * thread (plan.ts) and the writer, by the ordinary runner. When the run
 * cannot be split (stdin from a pipe, gzip, quoted CSV, --on-error skip, ...)
 * `runParallel` returns null and the caller runs it with one thread.
 *
 * A malformed record stops the run as with -j 1: the output of every job
 * before it (and of its own records before it) is written, then the
 * message, with the record's line in its file, and exit status 1.
 */
import fs from 'node:fs';
import { Readable, Writable } from 'node:stream';
import type { RunOptions } from '../engine/run.js';
import { run } from '../engine/run.js';
import { InputError } from '../engine/errors.js';
import type { GroupState } from '../agg/types.js';
import type { InputFormat } from '../engine/types.js';
import { MAX_PART, compileAggPlan } from '../agg/plan.js';
import type { Rec } from '../engine/types.js';
import { Sink, delimiterFor, makeWriter, outputFormatFor } from '../engine/output.js';
import type { OutputFormat } from '../engine/types.js';
import { runFileUses } from '../engine/options.js';
import { inputFields } from '../engine/projection.js';
import { checkFileUses, stdoutWasClosed } from '../engine/files.js';
import type { WindowVerbInstance } from '../window/instance.js';
import { type WindowOutput, WindowedMerger } from './windowed.js';
import { exactMerge } from './exact.js';
import { checkNames, parseAggList, parseKeyList, splitAggWords } from '../agg/parse.js';
import { decodeValue } from '../state/codec.js';
import { stringifyRecord } from '../engine/values.js';
import { formatFromPath, sniffFormat } from '../formats/index.js';
import { type ParallelPlan, planParallel } from './plan.js';
import type { Worker } from 'node:worker_threads';
import { type ChunkJob, type ChunkResult, type ChunkRunner, type VerbWordsParser, type WorkerInit, createChunkRunner } from './chunk.js';
import { releaseWorkers, takeWorkers, threadCount } from './pool.js';

/** Bytes per job (SLUICE_J_CHUNK_BYTES overrides it, for tests on small files). */
const CHUNK = Number(process.env.SLUICE_J_CHUNK_BYTES) > 0 ? Number(process.env.SLUICE_J_CHUNK_BYTES) : 2 * 1024 * 1024;

/** The number of threads for `-j N` (0 = every core). */
export const workerCount = threadCount;

/** Cut the sources into jobs, or say why not. */
function makeJobs(opts: RunOptions): ChunkJob[] | string {
  const jobs: ChunkJob[] = [];
  let fixed: InputFormat | undefined;
  for (const src of opts.sources) {
    const file = src === '-' ? '/dev/stdin' : src;
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      return `cannot stat ${src}`;
    }
    if (!st.isFile()) return `${src === '-' ? 'stdin' : src} is not a regular file`;
    const fd = fs.openSync(file, 'r');
    try {
      const head = Buffer.alloc(Math.min(st.size, 64 * 1024));
      fs.readSync(fd, head, 0, head.length, 0);
      if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip input';
      if (head[0] === 0xff || head[0] === 0xfe) return 'UTF-16 input';
      const fmt = opts.inputFormat !== 'auto' ? opts.inputFormat : (src !== '-' ? formatFromPath(src) : undefined) ?? sniffFormat(head.toString('utf8'));
      if (fmt !== 'ndjson' && fmt !== 'csv' && fmt !== 'tsv') return `${fmt} input`;
      if (fixed !== undefined && fmt !== fixed) return 'mixed input formats';
      fixed = fmt;
      let start = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
      // CR-only line ends (decided by the first line end, for the whole source: formats/lineends.ts).
      const cr = head.indexOf(0x0d, start);
      const lf = head.indexOf(0x0a, start);
      if (cr >= 0 && (lf < 0 || cr < lf) && head[cr + 1] !== 0x0a) return 'CR-only line ends';
      let header = '';
      if (fmt !== 'ndjson') {
        // CSV/TSV: no double quote anywhere (then no field spans a line).
        // Scanned in 1 MiB blocks: the file is never held whole.
        if (fmt === 'csv') {
          const block = Buffer.allocUnsafe(1 << 20);
          for (let pos = 0; pos < st.size; ) {
            const n = fs.readSync(fd, block, 0, block.length, pos);
            if (n === 0) break;
            if (block.subarray(0, n).indexOf(0x22) >= 0) return 'CSV with quoted fields';
            pos += n;
          }
        }
        const nl = head.indexOf(0x0a, start);
        if (nl < 0) return 'a CSV header longer than 64 KiB, or one line';
        header = head.toString('utf8', start, nl + 1);
        start = nl + 1;
      }
      const size = st.size;
      const buf = Buffer.alloc(64 * 1024);
      while (start < size) {
        let end = Math.min(size, start + CHUNK);
        if (end < size) {
          // Move the end to just after the next newline.
          let pos = end;
          for (;;) {
            const n = fs.readSync(fd, buf, 0, buf.length, pos);
            if (n === 0) {
              end = size;
              break;
            }
            const i = buf.subarray(0, n).indexOf(0x0a);
            if (i >= 0) {
              end = pos + i + 1;
              break;
            }
            pos += n;
          }
        }
        jobs.push({ id: jobs.length, file, fmt, start, end, header });
        start = end;
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  if (jobs.length < 2) return 'input smaller than two ranges';
  return jobs;
}

/** The 1-based line of byte `pos` of `file` (for messages). */
function lineAt(file: string, pos: number): number {
  const b = fs.readFileSync(file);
  let n = 1;
  for (let i = b.indexOf(0x0a); i >= 0 && i < pos; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * A stand-in for stdout (or stderr): drops the first `skip` bytes written to
 * it (a run redone in one thread, whose output up to there was written
 * already), counts what it passes on, and drops everything once `muted`.
 * Backpressure and errors of the destination pass through.
 */
class RelayOut extends Writable {
  /** Bytes passed on to the destination. */
  count = 0;
  muted = false;
  constructor(
    private readonly dest: NodeJS.WritableStream,
    private skip = 0,
  ) {
    super({ decodeStrings: true });
    dest.on('error', (e: Error) => this.destroy(e));
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.muted) return cb();
    if (this.skip > 0) {
      const k = Math.min(this.skip, chunk.length);
      this.skip -= k;
      chunk = chunk.subarray(k);
    }
    this.count += chunk.length;
    if (this.dest.write(chunk)) cb();
    else this.dest.once('drain', () => cb());
  }
}

/** A plain agg with more than one group per this many records of a range runs in one thread. */
const MANY_GROUPS = 4;

/** Why a split run stopped and must be redone in one thread. */
interface Fallback {
  fallback: string;
  /** Bytes of output already written (a prefix of what one thread writes). */
  written: number;
}

/**
 * Run with N threads.
 * @param words the verb chain's words, one array per verb (for the workers to parse)
 * @param parseVerbs the command line's verb parser (for the ranges the main thread runs itself)
 * @returns the exit status, or null when this run cannot be split (the caller runs it with one thread)
 */
export async function runParallel(opts: RunOptions, words: string[][], n: number, parseVerbs: VerbWordsParser): Promise<number | null> {
  const split = planParallel(opts, words);
  if (typeof split === 'string') {
    releaseWorkers();
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
  if (typeof jobs === 'string' || (split.agg !== null && jobs.length > MAX_PART + 1)) {
    releaseWorkers();
    return null;
  }
  const r = await runSplit(opts, split, jobs, workerCount(n), parseVerbs);
  if (typeof r === 'number') return r;
  // Redo the run in one thread; its first r.written bytes of output are out already.
  if (process.env.SLUICE_J_DEBUG) (opts.stderr ?? process.stderr).write(`sluice: -j: one thread after all (${r.fallback}); ${r.written} bytes were written already\n`);
  return run({ ...opts, stdout: new RelayOut(opts.stdout ?? process.stdout, r.written) });
}

/** A description of the split for --explain. */
export function explainParallel(opts: RunOptions, words: string[][], n: number): string {
  const t = workerCount(n);
  const split = planParallel(opts, words);
  if (typeof split === 'string') return `parallel: ${t} threads requested; runs in one thread: ${split}`;
  const names = opts.verbs.map((v) => v.name);
  const nw = split.prefix.length + (split.window ? 1 : 0) + (split.agg ? 1 : 0);
  const inWorkers = names.slice(0, split.prefix.length);
  if (split.window) inWorkers.push(`window ${(opts.verbs[split.prefix.length] as WindowVerbInstance).windowSpec.kind} + agg (as partials per window and group)`);
  else if (split.agg) inWorkers.push('agg (as partials)');
  void nw;
  const merge = split.window ? 'merge of the window partials (watermark: the largest time of the ranges before, minus --lateness)' : split.agg ? 'merge of the partials' : 'records put back in input order';
  const inMain = [merge, ...names.slice(split.rest)];
  return (
    `parallel: ${t} threads (the main thread and ${t - 1} worker${t === 2 ? '' : 's'}) run ${inWorkers.join(', ')} on 2 MiB ranges of regular files; ` +
    `the main thread runs ${inMain.join(', ')}` +
    (split.kept ? `; ${names[split.rest]} stays in the main thread: ${split.kept}` : '') +
    '. Input that cannot be cut (stdin, pipes, gzip, CSV with quotes, invalid UTF-8) and float sums or variances merged across ranges run in one thread.'
  );
}

function runSplit(opts: RunOptions, split: ParallelPlan, jobs: ChunkJob[], nThreads: number, parseVerbs: VerbWordsParser): Promise<number | Fallback> {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const inFmt = jobs[0]!.fmt;
  const outFmt = outputFormatFor(inFmt, opts.outputFormat);
  const restVerbs = opts.verbs.slice(split.rest);
  // Records pass straight to stdout when nothing runs after the workers and the output is NDJSON.
  const direct = split.agg === null && restVerbs.length === 0 && outFmt === 'ndjson' && inFmt === 'ndjson';

  const init: WorkerInit = {
    prefix: split.prefix,
    agg: split.agg,
    window: split.window,
    render: null as WorkerInit['render'],
    // The fields one thread would decode (engine/readers.ts fieldsFor): the ranges decode the same.
    fields:
      opts.readAll || process.env.SLUICE_READ_ALL === '1'
        ? undefined
        : (inputFields(opts.verbs, inFmt === 'ndjson' && (outFmt === 'ndjson' || outFmt === 'json') && opts.wrapWriter === undefined) ?? undefined),
    delimiter: opts.delimiter,
    maxLineBytes: opts.maxLineBytes,
    strictCsv: opts.strictCsv,
  };
  // Windowed agg: the ranges write each window's rows as this thread's writer would.
  if (split.window !== null) {
    const rendersAs = restVerbs.length > 0 ? 'ndjson' : outFmt;
    if (restVerbs.length > 0 || (opts.wrapWriter === undefined && !opts.color && (outFmt === 'ndjson' || outFmt === 'csv' || outFmt === 'tsv'))) {
      init.render = {
        fmt: rendersAs as 'ndjson' | 'csv' | 'tsv',
        delimiter: delimiterFor(opts, rendersAs as OutputFormat),
        inputFormat: restVerbs.length > 0 ? 'ndjson' : inFmt,
        inputDelimiter: delimiterFor(opts, restVerbs.length > 0 ? 'ndjson' : inFmt),
      };
    }
  }
  // N threads: N-1 workers and this one, which takes jobs when it has nothing else to do.
  const workers = takeWorkers(Math.max(0, Math.min(nThreads, jobs.length) - 1));
  releaseWorkers();
  for (const w of workers) {
    w.ref();
    w.postMessage({ init });
  }
  let mainRunner: ChunkRunner | null = null;

  // Records for the main thread's part of the pipeline: a stream of NDJSON bytes in job order,
  // read by the ordinary runner, started at the first bytes (so a run redone in one thread wrote nothing).
  let wakeFn = (): void => {};
  const feed = new Readable({
    read() {
      wakeFn();
    },
  });
  /** Bytes waiting in the feed above which no more jobs are handed out. */
  const FEED_LIMIT = 16 * 1024 * 1024;
  const restOut = new RelayOut(stdout);
  const restErr = new RelayOut(stderr);
  restErr.on('error', () => {});
  // An agg with nothing after it: its records go straight to the writer, as with one thread.
  const sink =
    split.agg !== null && restVerbs.length === 0
      ? new Sink(
          restOut,
          () => {
            const make = () => makeWriter(opts, inFmt, outFmt, opts.color);
            return opts.wrapWriter ? opts.wrapWriter(make) : make();
          },
          () => {},
        )
      : null;
  let mainRun: Promise<number> | null = null;
  let directBytes = 0;

  return new Promise<number | Fallback>((resolve) => {
    let next = 0;
    let written = 0;
    const done = new Map<number, ChunkResult>();
    let failed: { message: string } | null = null;
    let finished = false;
    let mainEnded = false;
    // Partials of a plain agg, merged as they come; or windowed partials.
    let aggPlan: ReturnType<typeof compileAggPlan> | null = null;
    const groups = new Map<string, GroupState>();
    if (split.agg !== null) {
      const { aggs: aggText, keys: keyText } = splitAggWords(split.agg);
      const aggs = parseAggList(aggText);
      const keys = keyText === null ? [] : parseKeyList(keyText);
      checkNames(keys, aggs);
      aggPlan = compileAggPlan(aggs, keys);
    }
    const windowed = split.window !== null ? new WindowedMerger(aggPlan!, (opts.verbs[split.prefix.length] as WindowVerbInstance).windowSpec.lateness, init.render !== null) : null;
    /** Jobs handed out but not yet written: a bound on memory. */
    const maxInFlight = 3 * (workers.length + 1);
    const outstanding = new Map<Worker, number>(workers.map((w) => [w, 0]));
    let paused = false;
    const blocked = (): boolean =>
      finished || mainEnded || next >= jobs.length || paused || next - written >= maxInFlight || (!direct && feed.readableLength > FEED_LIMIT);

    if (sink !== null) {
      restOut.on('drain', () => {
        sink.blocked = false;
        paused = false;
        wake();
      });
      restOut.on('error', () => void finish(0));
    } else restOut.on('error', () => {});

    const startRest = (): void => {
      if (direct || sink !== null || mainRun !== null) return;
      mainRun = run({
        ...opts,
        sources: ['-'],
        inputFormat: 'ndjson',
        outputFormat: outFmt,
        verbs: restVerbs,
        stdin: feed,
        stdout: restOut,
        stderr: restErr,
        onError: 'fail',
      });
      // `head` (or another verb) in the main thread stopped reading: hand out no more jobs, stop every worker.
      feed.on('pause', () => {
        if (feed.listenerCount('data') === 0) mainEnded = true;
      });
      void mainRun.then(() => {
        mainEnded = true;
        if (!finished) void finish(0);
      });
    };

    const finish = async (code: number, fallback?: string): Promise<void> => {
      if (finished) return;
      finished = true;
      await Promise.all(workers.map((w) => w.terminate()));
      if (fallback !== undefined) {
        // Nothing more from this run: what it wrote is a prefix of one thread's output.
        restOut.muted = true;
        restErr.muted = true;
        if (mainRun !== null) {
          if (!mainEnded) feed.push(null);
          await mainRun;
        }
        resolve({ fallback, written: direct ? directBytes : restOut.count });
        return;
      }
      if (sink !== null && code === 0) {
        sink.end();
        if (windowed !== null) {
          const line = windowed.summary();
          if (line) stderr.write(`sluice: ${line}\n`);
        }
      }
      startRest();
      if (mainRun !== null) {
        if (!mainEnded) feed.push(null);
        const c = await mainRun;
        if (code === 0) code = c;
        if (c === 0 && windowed !== null) {
          const line = windowed.summary();
          if (line) stderr.write(`sluice: ${line}\n`);
        }
      }
      if (failed !== null) stderr.write(`sluice: ${failed.message}\n`);
      restOut.write('', () => stdout.write('', () => resolve(code)));
    };

    const write = (bytes: Uint8Array): void => {
      if (bytes.length === 0) return;
      if (direct) {
        directBytes += bytes.length;
        if (!stdout.write(bytes)) paused = true;
      } else {
        startRest();
        feed.push(bytes);
      }
    };
    const writeRecords = (recs: Rec[]): void => {
      if (recs.length === 0) return;
      if (sink !== null) {
        sink.push(recs);
        if (sink.blocked) paused = true;
        return;
      }
      let text = '';
      for (const r of recs) {
        text += stringifyRecord(r) + '\n';
        if (text.length > 1 << 20) {
          write(Buffer.from(text));
          text = '';
        }
      }
      if (text.length > 0) write(Buffer.from(text));
    };

    const writeWindows = (out: WindowOutput[]): void => {
      for (const o of out) {
        if ('recs' in o) writeRecords(o.recs);
        else if (sink !== null) {
          if (!restOut.write(o.text)) paused = true;
        } else write(Buffer.from(o.text));
      }
    };

    const drain = (): void => {
      while (!finished && done.has(written)) {
        const r = done.get(written)!;
        done.delete(written);
        written++;
        if (r.kind === 'fallback') {
          void finish(0, r.why);
          return;
        }
        if (r.kind === 'error') {
          if (windowed !== null) {
            // One thread writes the windows closed before the bad record, then the message: let it.
            void finish(1, 'a malformed record in a windowed agg');
            return;
          }
          write(r.partial);
          let message: string;
          if (r.message !== undefined) message = `internal error: ${r.message}`;
          else {
            const job = jobs[r.id]!;
            const line = r.line > 0 ? lineAt(job.file, job.start) + r.line - 1 - (job.header ? 1 : 0) : 0;
            message = new InputError(r.what, job.file === '/dev/stdin' ? '-' : job.file, line, r.text, r.verb).message;
          }
          failed = { message };
          void finish(1);
          return;
        }
        if (r.kind === 'bytes') write(r.bytes);
        else if (r.kind === 'wagg') {
          const out = windowed!.add(r);
          if (windowed!.inexact) {
            void finish(0, 'float sums or variances merged across ranges');
            return;
          }
          writeWindows(out);
        } else {
          // Many groups per range (a key per few records): merging their partials costs more
          // than one thread's pass; leave the run to one thread while little is lost.
          if (r.records >= 1000 && r.groups * MANY_GROUPS > r.records) {
            void finish(0, `${r.groups} groups in a range of ${r.records} records`);
            return;
          }
          const p = aggPlan!;
          for (const [k, kv, states, first] of JSON.parse(r.json) as [string, unknown[], unknown[], number][]) {
            const g = p.fromStates(kv.map(decodeValue), states, first);
            const into = groups.get(k);
            if (into === undefined) groups.set(k, g);
            else {
              if (!exactMerge(into, g)) {
                void finish(0, 'float sums or variances merged across ranges');
                return;
              }
              p.merge(into, g);
            }
          }
        }
      }
      if (!finished && written === jobs.length) {
        if (windowed !== null) writeWindows(windowed.end());
        else if (aggPlan !== null) {
          const gs = [...groups.values()].sort((a, b) => (a.first ?? 0) - (b.first ?? 0));
          if (gs.length === 0 && aggPlan.global) gs.push(aggPlan.newGroup({}));
          writeRecords(gs.map((g) => aggPlan!.output(g)));
        }
        void finish(0);
      }
    };

    /** Hand jobs to the workers: up to two each, so none waits while this thread is busy. */
    const wake = (): void => {
      for (const w of workers) {
        while (!blocked() && outstanding.get(w)! < 2) {
          outstanding.set(w, outstanding.get(w)! + 1);
          w.postMessage(jobs[next++]!);
        }
      }
      scheduleOwn();
    };
    wakeFn = wake;

    /** This thread takes the next job itself when nothing else waits for it. */
    let ownScheduled = false;
    const scheduleOwn = (): void => {
      if (ownScheduled || blocked()) return;
      ownScheduled = true;
      setImmediate(() => {
        ownScheduled = false;
        if (blocked()) return;
        mainRunner ??= createChunkRunner(init, parseVerbs);
        const job = jobs[next++]!;
        done.set(job.id, mainRunner(job));
        drain();
        wake();
      });
    };

    if (direct) {
      stdout.on('drain', () => {
        paused = false;
        wake();
      });
      stdout.on('error', () => void finish(0));
    }

    for (const w of workers) {
      w.on('message', (r: ChunkResult) => {
        outstanding.set(w, outstanding.get(w)! - 1);
        done.set(r.id, r);
        drain();
        wake();
      });
      w.on('error', (e) => {
        failed ??= { message: `internal error in a worker: ${e.message}` };
        void finish(1);
      });
      w.on('exit', (code) => {
        if (finished) return;
        failed ??= { message: `internal error: a worker stopped (exit code ${code})` };
        void finish(1);
      });
    }
    wake();
  });
}
