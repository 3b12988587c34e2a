#!/usr/bin/env node
/**
 * The CPU cost of the ranges of a windowed agg under `-j N` (W3: `window
 * tumbling 1h --time time then agg count by origin` on the flights CSV),
 * apart from what threads add (a second V8 isolate's start, compile and
 * warm-up, messages, the main thread's merge): every range job of the file
 * run one after another in this thread by the chunk runner the workers use
 * (dist/parallel/chunk.js, window-job.ts), `--reps` times.
 *
 *   node bench/window-jobs.js [--records N] [--reps N] [--chunk BYTES]
 *
 * Defaults: 1,000,000 records, 3 reps (the first is cold: V8 still compiles).
 * Prints per rep: jobs, CPU ms (process.cpuUsage: this thread and V8's
 * helper threads), wall ms, windows, windows sent with partials, bytes of
 * rendered rows (`node --trace-gc bench/window-jobs.js` for the collector).
 * `--chunk`: range size (default 2 MiB as sluice cuts; 64 KiB under 200,000
 * records). Compare the CPU of a warm rep with `-j 1` on the same file
 * (`/usr/bin/time -f '%U %S' node bin/sluice.js window ...`): the ranges
 * should cost about what one pass costs. Small mode: `--records 20000`.
 * Needs `npm run build` first.
 */
import { join } from 'node:path';
import { HERE, numberOption, rangeModules } from './common.js';
import { ensureDataset } from './gen.js';

const records = numberOption('--records', 1_000_000);
const reps = numberOption('--reps', 3);
// Range size (jobs.ts reads SLUICE_J_CHUNK_BYTES when it loads): 2 MiB as sluice cuts, smaller for a small file.
const chunk = numberOption('--chunk', records < 200_000 ? 64 * 1024 : 0);
if (chunk > 0) process.env.SLUICE_J_CHUNK_BYTES = String(chunk);
const { createChunkRunner, makeJobs, parseVerbWords, loadVerbs, inputFields } = await rangeModules();

const data = await ensureDataset({ dir: join(HERE, 'data'), records, log: (m) => process.stderr.write(m + '\n') });
const win = ['window', 'tumbling', '1h', '--time', 'time'];
const agg = ['count', 'by', 'origin'];
await loadVerbs(['window', 'agg']);
const verbs = parseVerbWords([...win, 'then', 'agg', ...agg], {});
// The WorkerInit of `sluice -j 2 window ... then agg ... FILE.csv` (CSV out, rows rendered in the ranges).
const init = {
  prefix: [],
  agg,
  window: win,
  keyed: null,
  render: { fmt: 'csv', delimiter: ',', inputFormat: 'csv', inputDelimiter: ',' },
  fields: inputFields(verbs, false) ?? undefined,
  maxLineBytes: 1 << 30,
};
const jobs = makeJobs({ sources: [data.csv], inputFormat: 'auto' });
if (typeof jobs === 'string') throw new Error(`no range jobs: ${jobs}`);
const run = createChunkRunner(init, (w) => parseVerbWords(w, {}));

console.log(`W3 ranges of ${data.csv} (${records.toLocaleString('en-US')} records), one after another in one thread:`);
for (let r = 0; r < reps; r++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let windows = 0;
  let withParts = 0;
  let bytes = 0;
  for (const job of jobs) {
    const res = run(job);
    if (res.kind !== 'wagg') throw new Error(`job ${job.id}: ${res.kind} ${res.why ?? res.what ?? ''}`);
    bytes += res.rows.length;
    windows += res.windows.length;
    for (const w of res.windows) if (w[6] !== null) withParts++;
  }
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  console.log(
    `rep ${r}${r === 0 ? ' (cold)' : ''}: ${jobs.length} jobs, ${((c.user + c.system) / 1000).toFixed(0)} ms CPU, ${wall.toFixed(0)} ms wall, ` +
      `${windows} windows (${withParts} with partials), ${bytes} bytes of rows`,
  );
}
