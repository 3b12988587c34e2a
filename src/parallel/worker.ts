/**
 * A `-j N` worker thread (node:worker_threads). It loads the chunk runner
 * and the verbs its command line names as soon as it starts (possibly before
 * the main thread has parsed the command line: see pool.ts), then waits for
 * one `{init}` message (a WorkerInit, messages.ts) and answers each ChunkJob
 * message with its ChunkResult, moving the result's bytes rather than
 * copying them. Only what the run uses is loaded (as the entry does,
 * cli/main.ts): not the other verbs, nor checkpoint, live view or progress
 * code, nor yargs unless the main thread needed it for these words.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ChunkRunner, type WorkerInit, type WorkerMessage, createChunkRunner, transferList } from './chunk.js';
import { parseVerbWords } from '../cli/command.js';
import { createPartitionRunner } from './partitioned.js';
import { loadVerbs } from '../verbs/registry.js';

export type { ChunkJob, ChunkResult, WorkerInit } from './chunk.js';

/** The verbs of the command line (pool.ts passes its words): loaded while the main thread plans the run. */
const argv = (workerData as { argv?: string[] } | null)?.argv ?? [];
let ready: Promise<unknown> = loadVerbs(argv).catch(() => {});

/** SLUICE_J_DEBUG: when this thread had loaded sluice (ms since the epoch). */
let loaded = 0;
const debug = process.env.SLUICE_J_DEBUG === '2';

let runner: ChunkRunner | null = null;

/** Every word of the verbs a WorkerInit names (loadVerbs ignores the words that are not verb names). */
function initWords(init: WorkerInit): string[] {
  return [...init.prefix.flat(), 'agg', ...(init.window ?? []), ...(init.keyed ?? []), ...(init.partition?.words.flat() ?? [])];
}

async function start(init: WorkerInit): Promise<void> {
  await loadVerbs(initWords(init));
  // A require of an ES module in a worker terminated meanwhile aborts V8 (IsGraphAsync): yargs,
  // when these words need it (args.ts), is imported here rather than required in the parse.
  if (init.yargs) await import('yargs');
  try {
    runner = (init.partition ? createPartitionRunner : createChunkRunner)(init, (words) => parseVerbWords(words, {}));
  } catch (e) {
    // A verb that cannot be built (a join table with a malformed row): each job says so, and the run goes to one thread.
    const why = `a verb could not be built: ${(e as Error).message}`;
    runner = (job) => ({ id: job.id, kind: 'fallback', why });
  }
  loaded = performance.timeOrigin + performance.now();
}

function runJob(m: WorkerMessage): void {
  const t0 = debug ? performance.timeOrigin + performance.now() : 0;
  const r = runner!(m as Parameters<ChunkRunner>[0]);
  if (debug) r.t = [t0, performance.timeOrigin + performance.now(), loaded];
  parentPort!.postMessage(r, transferList(r));
}

parentPort!.on('message', (m: WorkerMessage) => {
  if ('init' in m) {
    ready = ready.then(() => start(m.init));
    return;
  }
  // Jobs that come before the runner is made wait for it, in order.
  if (runner !== null) runJob(m);
  else ready = ready.then(() => runJob(m));
});
