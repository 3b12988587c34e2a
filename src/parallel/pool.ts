/**
 * Worker threads for `-j N`, started as early as possible (issue 14 item 5).
 *
 * Starting a worker costs about as much as starting sluice itself (a V8
 * isolate, Node's bootstrap, then sluice's modules: ~150 ms of CPU). So that
 * this overlaps the main thread's own start, bin/sluice.js calls
 * `prestartFromArgv` before it loads the CLI: when the command line asks for
 * `-j N` (N ≠ 1), N−1 workers start loading at once and wait for their
 * WorkerInit message (worker.ts). The main thread is the N-th: it takes jobs
 * too while it has nothing else to do (run.ts). Workers that the run does not
 * use (the pipeline cannot be split) are terminated by `releaseWorkers`;
 * they are unref'd, so they never keep the process alive.
 *
 * This module imports nothing of sluice, so that loading it costs nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';

const started: Worker[] = [];
/** Workers that failed or exited before anybody took them. */
const dead = new WeakSet<Worker>();

/** The number of threads for `-j N` (0 = every core). */
export function threadCount(n: number): number {
  return n === 0 ? Math.max(1, os.availableParallelism?.() ?? os.cpus().length) : n;
}

function spawn(): Worker {
  // A young generation of 16 MiB (V8's default grows to 3 × 16 MiB): about 25 MB less peak RSS
  // per worker on a windowed agg of 3M records, at the same CPU time.
  // The command line's words: the worker loads the verbs they name while the main thread plans the run.
  const w = new Worker(new URL('./worker.js', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: 16 }, workerData: { argv: process.argv.slice(2) } });
  w.unref();
  // A worker that fails before it is used is replaced (takeWorkers); never an uncaught error.
  w.on('error', () => dead.add(w));
  w.on('exit', () => dead.add(w));
  return w;
}

/** Bytes of one range (SLUICE_J_CHUNK_BYTES overrides the 2 MiB of jobs.ts, for tests on small files). */
function chunkBytes(): number {
  return Number(process.env.SLUICE_J_CHUNK_BYTES) > 0 ? Number(process.env.SLUICE_J_CHUNK_BYTES) : 2 * 1024 * 1024;
}

/**
 * Input bytes each thread of a `-j` run should have, at least: below
 * THREAD_BYTES × N, fewer threads are used (one below 2 × THREAD_BYTES).
 * Measured on 2 cores (bench/parallel.js, 2026-12-02): a thread costs
 * ~0.15 s of start-up and ~0.15-0.2 s of V8 warm-up on its first range, so
 * -j 2 won nothing under ~100 MB (1M flights: W1 NDJSON 93 MB 0.95×, W3
 * CSV 36 MB 0.81×, W2 0.93×) and gains from ~100 MB on (3M flights, 108 and
 * 280 MB: 1.0-1.6×). 48 MiB; SLUICE_J_THREAD_BYTES overrides it (0: no
 * minimum, as the tests that split small files set).
 */
export const THREAD_BYTES = threadBytesFromEnv(process.env.SLUICE_J_THREAD_BYTES);

/** SLUICE_J_THREAD_BYTES read: a number from 0 up, else (unset, empty, not a number) 48 MiB. */
function threadBytesFromEnv(v: string | undefined): number {
  return v !== undefined && v.trim() !== '' && Number(v) >= 0 ? Number(v) : 48 * 1024 * 1024;
}

/**
 * The threads worth starting for `threads` requested and `bytes` of input
 * (null: unknown, a stream): at most one per THREAD_BYTES of input, at least 1.
 */
export function threadsForBytes(threads: number, bytes: number | null): number {
  if (bytes === null || THREAD_BYTES === 0) return threads;
  return Math.max(1, Math.min(threads, Math.floor(bytes / THREAD_BYTES)));
}

/**
 * The bytes of the regular files `paths` names, or null when one of them is
 * not a regular file (a pipe, a terminal: may be long) or cannot be read.
 * Stdin `-` counts as what it is, once (jobs.ts splits a regular file on
 * stdin into ranges as it does a file named). A gzip file counts as its
 * compressed size: the main thread decompresses it alone, which bounds what
 * more threads can gain (a 37 MB .gz of 280 MB: -j 2 no faster than -j 1).
 */
export function fileBytes(paths: readonly string[]): number | null {
  let bytes = 0;
  let stdinSeen = false;
  for (const p of paths) {
    if (p === '-') {
      // A second '-' reads on from where the first left stdin: its end.
      if (stdinSeen) continue;
      stdinSeen = true;
    }
    try {
      const st = fs.statSync(p === '-' ? '/dev/stdin' : p, { throwIfNoEntry: false });
      if (st === undefined || !st.isFile()) return null;
      bytes += st.size;
    } catch {
      return null;
    }
  }
  return bytes;
}

/**
 * The input's bytes as far as a quick look at argv tells, before the CLI
 * parses it: the words that name regular files (the sources, and maybe a
 * join table: counted too, which errs towards starting) or, when none does,
 * stdin when it is a regular file; null for a pipe or terminal on stdin.
 */
function argvInputBytes(argv: string[]): number | null {
  const files: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-') || a.length > 4096) continue;
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(a, { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    if (st?.isFile()) files.push(a);
  }
  if (files.length > 0) return fileBytes(files);
  try {
    const st = fs.fstatSync(0);
    return st.isFile() ? st.size : null;
  } catch {
    return null;
  }
}

/**
 * Start the workers a `-j N` command line will want, before the CLI loads.
 * Only a quick look at argv (`-j N`, `-jN`, `--parallel N`, `--parallel=N`);
 * the CLI parses it properly later. Nothing is started for --help, --explain
 * or `help`, nor when the input is too small to be split (under two ranges),
 * and no more than one per THREAD_BYTES of input (`threadsForBytes`): a
 * worker loading sluice costs ~0.15-0.25 s of CPU, more than such a run.
 * Never throws.
 */
export function prestartFromArgv(argv: string[]): void {
  try {
    if (argv.some((a) => a === '--help' || a === '-h' || a === '--explain' || a === '--version') || argv[0] === 'help') return;
    let n: number | null = null;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      let v: string | undefined;
      if (a === '-j' || a === '--parallel') v = argv[i + 1];
      else if (a.startsWith('--parallel=')) v = a.slice(11);
      else if (/^-j\d+$/.test(a)) v = a.slice(2);
      if (v !== undefined && /^\d+$/.test(v)) n = Number(v);
    }
    if (n === null || n === 1 || n > 256) return;
    const bytes = argvInputBytes(argv);
    if (bytes !== null && bytes < 2 * chunkBytes()) {
      if (process.env.SLUICE_J_DEBUG === '2') process.stderr.write('sluice: -j: no worker started: the input is smaller than two ranges\n');
      return;
    }
    const k = threadsForBytes(threadCount(n), bytes) - 1;
    for (let i = 0; i < k; i++) started.push(spawn());
  } catch {
    /* an optimisation only */
  }
}

/**
 * `k` workers: those already started first, then new ones. The caller owns
 * them (terminates them when done).
 */
export function takeWorkers(k: number): Worker[] {
  const out = started.splice(0, k).filter((w) => !dead.has(w));
  while (out.length < k) out.push(spawn());
  return out;
}

/**
 * Fail a run when one of its workers fails or stops before the run has
 * finished (a worker never stops by itself): `fail` gets the message, an
 * internal error. After the end (`finished()`), a worker that fails while
 * it is terminated changes nothing.
 */
export function watchWorker(w: Worker, finished: () => boolean, fail: (message: string) => void): void {
  w.on('error', (e) => {
    if (!finished()) fail(`internal error in a worker: ${e.message}`);
  });
  w.on('exit', (code) => {
    if (!finished()) fail(`internal error: a worker stopped (exit code ${code})`);
  });
}

/** Terminate the started workers nobody took. */
export function releaseWorkers(): void {
  for (const w of started.splice(0)) void w.terminate();
}
