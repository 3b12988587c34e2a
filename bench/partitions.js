#!/usr/bin/env node
/**
 * `-j N` by key partitions (src/parallel/partitioned.ts) against one thread,
 * on the generated flights (bench/gen.js): `over --by` and `window count
 * --by then agg`, NDJSON and CSV. For each: median wall and CPU (user +
 * system) seconds of `-j 1`, and of `-j 2` and `-j 3` with
 * SLUICE_J_PARTITIONS=1 (by key partitions even on 2 threads, which plan.ts
 * does not choose by itself), and whether the outputs are byte-identical.
 * Prints a Markdown table.
 *
 *   npm run build && node bench/partitions.js [--records N] [--runs N]
 *
 * Small mode: --records 20000.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { ensureDataset } from './gen.js';
import { HERE, OUT, SLUICE, md5File as md5, median, numberOption } from './common.js';

const RECORDS = numberOption('--records', 1_000_000);
const RUNS = numberOption('--runs', 3);
const d = await ensureDataset({ dir: join(HERE, 'data'), records: RECORDS });
const W = [
  { id: 'over rows 3 by origin (NDJSON)', file: d.ndjson, args: ['over', 'avg(delay) as ma3', '--rows', '3', '--by', 'origin'] },
  { id: 'over rows all by origin,destination (CSV)', file: d.csv, args: ['over', 'count, sum(delay)', '--rows', 'all', '--by', 'origin,destination'] },
  { id: 'window count 100 by origin then agg (CSV)', file: d.csv, args: ['window', 'count', '100', '--by', 'origin', 'then', 'agg', 'count, avg(delay)'] },
];

function timeIt(argv, outFile, env) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', 'bash', '-c', `"$0" "$@" > ${outFile}`, process.execPath, SLUICE, ...argv], { encoding: 'utf8', env: { ...process.env, ...env } });
  const [sec, user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { sec, cpu: user + sys };
}

console.log(`${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${RECORDS.toLocaleString('en-US')} flights, load average ${loadavg()[0].toFixed(2)} at start, median of ${RUNS} run(s)\n`);
console.log('| pipeline | -j 1 s (cpu) | -j 2 partitions s (cpu) | -j 3 partitions s (cpu) | identical |');
console.log('|---|---:|---:|---:|---|');
for (const w of W) {
  const res = {};
  for (const j of [1, 2, 3]) {
    const times = [];
    const cpus = [];
    for (let k = 0; k < RUNS; k++) {
      const t = timeIt(['-j', String(j), '--from', w.file, ...w.args], `${OUT}/part-j${j}.out`, j > 1 ? { SLUICE_J_PARTITIONS: '1' } : {});
      times.push(t.sec);
      cpus.push(t.cpu);
    }
    res[j] = { sec: median(times), cpu: median(cpus), md5: md5(`${OUT}/part-j${j}.out`) };
  }
  const same = res[1].md5 === res[2].md5 && res[1].md5 === res[3].md5;
  const f = (r) => `${r.sec.toFixed(2)} (${r.cpu.toFixed(2)})`;
  console.log(`| ${w.id} | ${f(res[1])} | ${f(res[2])} | ${f(res[3])} | ${same ? 'yes' : 'NO'} |`);
}
