/**
 * The main thread's loop of a `-j N` run by key partitions (partitioned.ts):
 * every thread (the main thread is partition 0, worker k partition k) takes
 * every range of the input in order, then a `finish` job; the main thread
 * merges the N results of each range by position, in range order, and
 * passes them to the output side (output.ts): straight to stdout (NDJSON
 * from NDJSON, nothing after), else through the verbs the main thread runs.
 *
 * Memory: a thread is handed at most AHEAD ranges past the last one written,
 * so at most AHEAD results per thread wait. A result that is not a partition
 * result (a malformed record, invalid UTF-8, a quote in a CSV range) ends
 * the run with a Fallback: the caller redoes it in one thread, skipping what
 * was written (a prefix of one thread's output).
 *
 * SIGINT / SIGTERM: no thread is handed a range past those already handed to
 * some thread; each takes those, then finishes, and what they wrote is
 * written, as one thread ends its input where the signal found it.
 */
import type { Worker } from 'node:worker_threads';
import type { RunOptions } from '../engine/run.js';
import { subscribeSignals } from '../engine/signals.js';
import { outputFormatFor } from '../engine/output.js';
import type { ParallelPlan } from './plan.js';
import type { ChunkJob, ChunkResult, ChunkRunner, VerbWordsParser } from './messages.js';
import { type PartitionResult, createPartitionRunner } from './partitioned.js';
import { releaseWorkers, takeWorkers, watchWorker } from './pool.js';
import { type Fallback, workerInit } from './split.js';
import { SplitOutput } from './output.js';

/** Ranges a thread may be handed past the last one written. */
const AHEAD = 4;

/**
 * Merge one range's results of the N partitions by position (each in
 * position order; a position is one thread's only) into one text.
 */
export function mergeByPosition(parts: readonly PartitionResult[]): string {
  const n = parts.length;
  const at = new Array<number>(n).fill(0);
  let out = '';
  for (;;) {
    // The thread with the smallest next position, and the next smallest position of the others.
    let best = -1;
    let bestPos = Infinity;
    let second = Infinity;
    for (let i = 0; i < n; i++) {
      const p = parts[i]!;
      if (at[i]! >= p.pos.length) continue;
      const v = p.pos[at[i]!]!;
      if (v < bestPos) {
        second = bestPos;
        bestPos = v;
        best = i;
      } else if (v < second) second = v;
    }
    if (best < 0) return out;
    // Its blocks up to the others' next position, as one slice.
    const p = parts[best]!;
    const from = at[best]! === 0 ? 0 : p.ends[at[best]! - 1]!;
    let k = at[best]!;
    while (k < p.pos.length && p.pos[k]! < second) k++;
    // (Two threads never write at one position; were they to, one block at a time, never a standstill.)
    if (k === at[best]!) k++;
    out += p.text.slice(from, p.ends[k - 1]!);
    at[best] = k;
  }
}

/**
 * Run `jobs` (ranges of regular files, in input order) by key partitions on
 * `nThreads` threads.
 * @returns the exit status, or a Fallback (redo the run in one thread)
 */
export function runPartitioned(opts: RunOptions, split: ParallelPlan, jobs: ChunkJob[], nThreads: number, parseVerbs: VerbWordsParser): Promise<number | Fallback> {
  const inFmt = jobs[0]!.fmt;
  const outFmt = outputFormatFor(inFmt, opts.outputFormat);
  const restVerbs = opts.verbs.slice(split.rest);
  const base = workerInit(opts, split, inFmt, outFmt, restVerbs.length > 0);
  const n = nThreads;
  const words = split.partition!;
  const workers = takeWorkers(n - 1);
  releaseWorkers();
  workers.forEach((w, k) => {
    w.ref();
    w.postMessage({ init: { ...base, partition: { index: k + 1, count: n, words } } });
  });
  const finishJob: ChunkJob = { id: jobs.length, file: '', fmt: inFmt, start: 0, end: 0, header: '', finish: true };
  /** The jobs of every partition: the ranges, then the finish. */
  let last = jobs.length;
  const jobAt = (i: number): ChunkJob => (i === last ? { ...finishJob, id: i } : jobs[i]!);

  return new Promise<number | Fallback>((resolve) => {
    let written = 0;
    let finished = false;
    /** The signal that ended the input (handed to a one-thread redo). */
    let signal: NodeJS.Signals | undefined;
    let failed: string | null = null;
    /** Per range: the results of the partitions so far. */
    const results = new Map<number, (ChunkResult | undefined)[]>();
    /** Per thread (0: this one): the next job to hand it, and how many it holds. */
    const next = new Array<number>(n).fill(0);
    const held = new Array<number>(n).fill(0);
    let own: ChunkRunner | null = null;
    // (NDJSON straight to stdout: run.ts partitionsWriteStdout. The threads write NDJSON as one thread's writer does: records
    // they changed or made, serialised; CSV input's RAW text is not NDJSON.)
    const out = new SplitOutput(opts, restVerbs, inFmt, outFmt, restVerbs.length === 0 && outFmt === 'ndjson' && opts.wrapWriter === undefined, false, {
      wake: () => wake(),
      stop: () => void finish(0),
    });
    const blocked = (t: number): boolean => finished || out.restEnded || out.paused || next[t]! > last || next[t]! - written >= AHEAD || out.backlog() > 16 * 1024 * 1024;

    const finish = async (code: number, fallback?: string): Promise<void> => {
      if (finished) return;
      finished = true;
      unsubscribe();
      if (process.env.SLUICE_J_TRACE) (opts.stderr ?? process.stderr).write(`sluice: -j trace: ${n} key partitions, ${written} of ${last + 1} jobs written\n`);
      const terminated = Promise.all(workers.map((w) => w.terminate()));
      if (fallback !== undefined) {
        await terminated;
        resolve({ fallback, written: await out.abandon(), signal });
        return;
      }
      for (const w of workers) w.unref();
      resolve(await out.end(code, () => undefined, failed));
    };

    const add = (t: number, r: ChunkResult): void => {
      let rs = results.get(r.id);
      if (rs === undefined) results.set(r.id, (rs = new Array<ChunkResult | undefined>(n)));
      rs[t] = r;
    };
    const drain = (): void => {
      while (!finished) {
        const rs = results.get(written);
        if (rs === undefined) return;
        for (let t = 0; t < n; t++) {
          const r = rs[t];
          if (r === undefined) return;
          if (r.kind !== 'part') {
            void finish(0, r.kind === 'fallback' ? r.why : `a ${r.kind} result in a key partition`);
            return;
          }
        }
        results.delete(written);
        const text = mergeByPosition(rs as PartitionResult[]);
        if (text.length > 0) out.write(Buffer.from(text));
        if (written++ === last) {
          void finish(0);
          return;
        }
      }
    };

    const wake = (): void => {
      workers.forEach((w, k) => {
        const t = k + 1;
        while (!blocked(t) && held[t]! < 2) {
          const job = jobAt(next[t]!++);
          held[t]!++;
          w.postMessage(job);
        }
      });
      scheduleOwn();
    };
    let ownScheduled = false;
    const scheduleOwn = (): void => {
      if (ownScheduled || blocked(0)) return;
      ownScheduled = true;
      setImmediate(() => {
        ownScheduled = false;
        if (blocked(0)) return;
        const job = jobAt(next[0]!++);
        try {
          own ??= createPartitionRunner({ ...base, partition: { index: 0, count: n, words } }, parseVerbs);
        } catch (e) {
          void finish(0, `a verb could not be built: ${(e as Error).message}`);
          return;
        }
        add(0, own(job));
        drain();
        wake();
      });
    };

    workers.forEach((w, k) => {
      w.on('message', (r: ChunkResult) => {
        if (finished) return;
        held[k + 1]!--;
        add(k + 1, r);
        drain();
        wake();
      });
      watchWorker(w, () => finished, (message) => {
        failed ??= message;
        void finish(1);
      });
    });
    const unsubscribe = subscribeSignals((sig) => {
      signal ??= sig;
      // The input ends after the ranges some thread was handed: every thread takes those, then finishes.
      const handed = Math.max(...next.map((x) => Math.min(x, jobs.length)));
      if (handed < last) {
        last = handed;
        // A thread already handed the old finish job's number has it as a range past the new end: none can be.
      }
      wake();
    });
    wake();
  });
}
