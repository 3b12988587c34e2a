/**
 * A `-j N` worker thread (node:worker_threads). It loads sluice's modules
 * as soon as it starts (possibly before the main thread has parsed the
 * command line: see pool.ts), then waits for one `{init}` message (a
 * WorkerInit, chunk.ts) and answers each ChunkJob message with its
 * ChunkResult, moving the result's bytes rather than copying them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ChunkJob, type ChunkRunner, type WorkerInit, createChunkRunner, transferList } from './chunk.js';
import { parseVerbWords } from '../cli.js';

export type { ChunkJob, ChunkResult, WorkerInit } from './chunk.js';

let runner: ChunkRunner | null = (workerData as { init?: WorkerInit } | null)?.init ? createChunkRunner((workerData as { init: WorkerInit }).init, parseVerbWords) : null;

parentPort!.on('message', (m: ChunkJob | { init: WorkerInit }) => {
  if ('init' in m) {
    runner = createChunkRunner(m.init, parseVerbWords);
    return;
  }
  const r = runner!(m);
  parentPort!.postMessage(r, transferList(r));
});
