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
  const w = new Worker(new URL('./worker.js', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: 16 } });
  w.unref();
  // A worker that fails before it is used is replaced (takeWorkers); never an uncaught error.
  w.on('error', () => dead.add(w));
  w.on('exit', () => dead.add(w));
  return w;
}

/**
 * Start the workers a `-j N` command line will want, before the CLI loads.
 * Only a quick look at argv (`-j N`, `-jN`, `--parallel N`, `--parallel=N`);
 * the CLI parses it properly later. Nothing is started for --help, --explain
 * or `help`. Never throws.
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
    const k = threadCount(n) - 1;
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

/** Terminate the started workers nobody took. */
export function releaseWorkers(): void {
  for (const w of started.splice(0)) void w.terminate();
}
