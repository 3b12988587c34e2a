/**
 * A `-j N` worker thread (node:worker_threads). It loads sluice's modules
 * as soon as it starts (possibly before the main thread has parsed the
 * command line: see pool.ts), then waits for one `{init}` message (a
 * WorkerInit, chunk.ts) and answers each ChunkJob message with its
 * ChunkResult, moving the result's bytes rather than copying them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ChunkRunner, type WorkerInit, type WorkerMessage, createChunkRunner, transferList } from './chunk.js';
import { parseVerbWords } from '../cli.js';

export type { ChunkJob, ChunkResult, WorkerInit } from './chunk.js';

// Verbs with options (window, join --on, ...) parse them with yargs, loaded on first use: ~50 ms
// (more on a busy machine). Imported now, while this thread waits for the main thread to plan the
// run, rather than in the first job (messages wait in the port meanwhile). Not with require: a
// require of an ES module in a worker terminated meanwhile aborts V8 (IsGraphAsync).
await import('yargs').catch(() => {});

/** SLUICE_J_DEBUG: when this thread had loaded sluice (ms since the epoch). */
const loaded = performance.timeOrigin + performance.now();
const debug = process.env.SLUICE_J_DEBUG === '2';

let runner: ChunkRunner | null = (workerData as { init?: WorkerInit } | null)?.init ? createChunkRunner((workerData as { init: WorkerInit }).init, parseVerbWords) : null;

parentPort!.on('message', (m: WorkerMessage) => {
  if ('init' in m) {
    runner = createChunkRunner(m.init, parseVerbWords);
    return;
  }
  const t0 = debug ? performance.timeOrigin + performance.now() : 0;
  const r = runner!(m);
  if (debug) r.t = [t0, performance.timeOrigin + performance.now(), loaded];
  parentPort!.postMessage(r, transferList(r));
});
