#!/usr/bin/env node
/**
 * Where `-j 2` loses on short runs: W2's range jobs (`filter 'delay > 60'
 * then agg 'count, avg(delay)' by origin` on the flights CSV) split into two
 * halves (even and odd ranges), run by the chunk runner the workers use
 * (dist/parallel/chunk.js), three times each (the first rep is cold: V8
 * still interprets, then compiles, the hot code), in three ways:
 *
 *   one thread       every range, in this thread
 *   two processes    each half in its own `node` process, at the same time
 *   two threads      each half in a worker thread of one process
 *
 * It prints the wall ms of each rep. On the 2-core benchmark machine
 * (2026-12-02, 3M flights) a half took 220-300 ms cold and 150-210 ms warm,
 * alike in two processes and in two threads, against ~320 ms warm for all
 * ranges in one thread: the halves scale when warm, and each thread pays
 * its own warm-up (no V8 flag tried helped: --always-sparkplug,
 * --no-lazy-feedback-allocation, a lower --interrupt-budget).
 *
 *   npm run build && node bench/range-halves.js [--records N]
 *
 * Small mode: --records 20000 (64 KiB ranges).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { HERE, numberOption, rangeModules } from './common.js';
import { ensureDataset } from './gen.js';

const records = isMainThread ? numberOption('--records', 3_000_000) : workerData.records;
if (records < 200_000) process.env.SLUICE_J_CHUNK_BYTES = String(64 * 1024);
const REPS = 3;

/** Run the ranges `k` mod `n` REPS times; the wall ms of each rep. */
async function half(file, k, n) {
  const { createChunkRunner, makeJobs, parseVerbWords, loadVerbs, inputFields } = await rangeModules();
  await loadVerbs(['filter', 'agg']);
  const agg = ['count, avg(delay)', 'by', 'origin'];
  const verbs = parseVerbWords(['filter', 'delay > 60', 'then', 'agg', ...agg], {});
  // The WorkerInit of `sluice -j 2 filter 'delay > 60' then agg ... FILE.csv`.
  const init = { prefix: [['filter', 'delay > 60']], agg, window: null, keyed: null, render: null, fields: inputFields(verbs, false) ?? undefined, maxLineBytes: 1 << 30 };
  const jobs = makeJobs({ sources: [file], inputFormat: 'auto' });
  if (typeof jobs === 'string') throw new Error(`no range jobs: ${jobs}`);
  const run = createChunkRunner(init, (w) => parseVerbWords(w, {}));
  const ms = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    for (const job of jobs) if (job.id % n === k) run(job);
    ms.push(Math.round(performance.now() - t0));
  }
  return ms;
}

const fmt = (ms) => `cold ${ms[0]} ms, warm ${ms.slice(1).join(', ')} ms`;

if (!isMainThread) {
  parentPort.postMessage(await half(workerData.file, workerData.k, 2));
} else if (process.argv[2] === '--half') {
  process.stdout.write(JSON.stringify(await half(process.argv[3], Number(process.argv[4]), 2)));
} else {
  const data = await ensureDataset({ dir: join(HERE, 'data'), records, formats: ['csv'], log: (m) => process.stderr.write(m + '\n') });
  const self = fileURLToPath(import.meta.url);
  console.log(`W2's ranges of ${data.csv} (${records.toLocaleString('en-US')} records)`);
  console.log(`one thread, every range: ${fmt(await half(data.csv, 0, 1))}`);
  const procs = await Promise.all(
    [0, 1].map(
      (k) =>
        new Promise((done) => {
          const c = spawn(process.execPath, [self, '--half', data.csv, String(k)], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          c.stdout.on('data', (b) => (out += b));
          c.on('close', () => done(JSON.parse(out)));
        }),
    ),
  );
  console.log(`two processes: ${procs.map(fmt).join(' | ')}`);
  const threads = await Promise.all(
    [0, 1].map(
      (k) =>
        new Promise((done, fail) => {
          const w = new Worker(self, { workerData: { file: data.csv, k, records } });
          w.on('message', done);
          w.on('error', fail);
        }),
    ),
  );
  console.log(`two threads:   ${threads.map(fmt).join(' | ')}`);
}
