#!/usr/bin/env node
/**
 * What one thread of a `-j N` run by key partitions costs (src/parallel/
 * partitioned.ts), for N = 1, 2, 3, 4, 8, measured on this machine without
 * N cores: partition 0 of N runs alone in this thread over every range of
 * the input, as each of N threads would beside the others; its time is the
 * wall time an N-core run would spend in its threads (without the main
 * thread's merge and the start of the workers). N = 1 is one thread doing
 * all the work of the verb (the partition code's own overhead included).
 * Every partition of N is timed (after a warm-up run: V8 has compiled the
 * hot code); the slowest one is what an N-core run waits for, the fastest
 * shows how unevenly the keys fall. `sluice -j 1`'s whole run (start-up
 * included, ~80 ms) is printed for comparison.
 *
 *   npm run build && node bench/partition-thread.js [--records N]
 *
 * Small mode: --records 20000.
 */
import { spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { HERE, ROOT, SLUICE, numberOption } from './common.js';
import { ensureDataset } from './gen.js';

const records = numberOption('--records', 1_000_000);
if (records < 200_000) process.env.SLUICE_J_CHUNK_BYTES = String(64 * 1024);
const d = await ensureDataset({ dir: join(HERE, 'data'), records, formats: ['ndjson', 'csv'], log: (m) => process.stderr.write(m + '\n') });
const dist = join(ROOT, 'dist');
const [{ createPartitionRunner }, { makeJobs }, { parseVerbWords }, { loadVerbs }, { inputFields }] = await Promise.all([
  import(join(dist, 'parallel/partitioned.js')),
  import(join(dist, 'parallel/jobs.js')),
  import(join(dist, 'cli/command.js')),
  import(join(dist, 'verbs/registry.js')),
  import(join(dist, 'engine/projection.js')),
]);
const W = [
  { id: 'over avg(delay) --rows 3 --by origin (NDJSON)', file: d.ndjson, words: ['over', 'avg(delay) as ma3', '--rows', '3', '--by', 'origin'] },
  { id: "window count 100 --by origin then agg (CSV, -o ndjson)", file: d.csv, words: ['window', 'count', '100', '--by', 'origin', 'then', 'agg', 'count, avg(delay)'] },
];
await loadVerbs(['over', 'window', 'agg']);
console.log(`${records.toLocaleString('en-US')} flights; ms of a partition's thread over the whole input: the slowest partition (the fastest), warm\n`);
console.log('| pipeline | sluice -j 1 (whole run) | N=1 | N=2 | N=3 | N=4 | N=8 |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const w of W) {
  const t0 = performance.now();
  spawnSync(process.execPath, [SLUICE, '--from', w.file, '-o', 'ndjson', ...w.words], { stdio: ['ignore', openSync('/dev/null', 'w'), 'inherit'] });
  const one = Math.round(performance.now() - t0);
  const cells = [];
  const verbs = parseVerbWords(w.words, {});
  const split = w.words.indexOf('then');
  const parts = split < 0 ? [w.words] : [w.words.slice(0, split), w.words.slice(split + 1)];
  const jobs = makeJobs({ sources: [w.file], inputFormat: 'auto' });
  if (typeof jobs === 'string') throw new Error(`no ranges: ${jobs}`);
  /** ms of partition `index` of `n` over every range, then its end. */
  const time = (index, n) => {
    const init = { prefix: [], agg: null, window: null, render: null, fields: inputFields(verbs, w.file.endsWith('.ndjson')) ?? undefined, maxLineBytes: 1 << 30, partition: { index, count: n, words: parts } };
    const run = createPartitionRunner(init, (ws) => parseVerbWords(ws, {}));
    const a = performance.now();
    for (const job of jobs) run(job);
    run({ ...jobs[0], id: jobs.length, finish: true, start: 0, end: 0, header: '' });
    return performance.now() - a;
  };
  time(0, 1); // warm-up (V8 compiles the hot code)
  for (const n of [1, 2, 3, 4, 8]) {
    const ms = [];
    for (let i = 0; i < n; i++) ms.push(time(i, n));
    cells.push(`${Math.round(Math.max(...ms))} (${Math.round(Math.min(...ms))})`);
  }
  console.log(`| ${w.id} | ${one} | ${cells.join(' | ')} |`);
}
