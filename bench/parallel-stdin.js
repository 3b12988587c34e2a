#!/usr/bin/env node
/**
 * `-j 2` against `-j 1` on a pipe (issue 14 item 5: stdin dealt out batch
 * by batch): `cat FILE | sluice -j J ...` over the generated flights
 * (bench/gen.js; NDJSON, and gzip of it).
 *
 *   npm run build && node bench/parallel-stdin.js [--records N] [--runs N]
 *
 * For each workload: median wall time, CPU time (user + sys) and peak RSS
 * (GNU time, of the sluice process) of -j 1 and -j 2, whether the outputs
 * are byte-identical, and the speed-up. Prints a Markdown table. A small
 * mode to check that it works: --records 20000 --runs 1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDataset } from './gen.js';
import { HERE, OUT, SLUICE, md5File as md5, median, numberOption } from './common.js';

const RECORDS = numberOption('--records', 3_000_000);
const RUNS = numberOption('--runs', 3);

const d = await ensureDataset({ dir: join(HERE, 'data'), records: RECORDS, formats: ['ndjson'] });
const gz = d.ndjson + '.gz';
if (!existsSync(gz)) spawnSync('bash', ['-c', `gzip -1 -c '${d.ndjson}' > '${gz}'`], { stdio: 'inherit' });

const W = [
  { id: 'S1', title: 'pipe: NDJSON filter', src: `cat '${d.ndjson}'`, args: ['filter', 'delay > 60'] },
  { id: 'S2', title: 'pipe: filter + agg count,max by origin', src: `cat '${d.ndjson}'`, args: ['filter', 'delay > 0', 'then', 'agg', 'count, max(delay)', 'by', 'origin'] },
  { id: 'S3', title: 'pipe: map + uniq origin,destination', src: `cat '${d.ndjson}'`, args: ['map', 'x = delay * 2', 'then', 'uniq', 'origin,destination'] },
  { id: 'S4', title: 'gzip pipe: NDJSON filter', src: `cat '${gz}'`, args: ['filter', 'delay > 60'] },
];

/** Wall time, CPU time and peak RSS of the sluice process reading `src` through a pipe. */
function timeIt(src, argv, outFile) {
  const t0 = process.hrtime.bigint();
  const q = (s) => `'${s.replaceAll("'", "'\\''")}'`;
  const r = spawnSync('bash', ['-c', `${src} | /usr/bin/time -f '%U %S %M' -o ${outFile}.time ${q(process.execPath)} ${q(SLUICE)} ${argv.map(q).join(' ')} > ${outFile}`], {
    encoding: 'utf8',
  });
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  const [u, s, kb] = readFileSync(`${outFile}.time`, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { sec, cpu: u + s, mb: (kb * 1024) / 1e6, code: r.status };
}

console.log(`${RECORDS} records, ${RUNS} run(s) each, load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
console.log('| workload | -j 1 wall s | -j 1 CPU s | -j 1 RSS MB | -j 2 wall s | -j 2 CPU s | -j 2 RSS MB | speed-up | identical |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const w of W) {
  const res = {};
  for (const j of [1, 2]) {
    const runs = [];
    for (let k = 0; k < RUNS; k++) runs.push(timeIt(w.src, ['-j', String(j), ...w.args], join(OUT, `stdin-${w.id}-j${j}.out`)));
    res[j] = { sec: median(runs.map((r) => r.sec)), cpu: median(runs.map((r) => r.cpu)), mb: Math.max(...runs.map((r) => r.mb)), md5: md5(join(OUT, `stdin-${w.id}-j${j}.out`)) };
  }
  const same = res[1].md5 === res[2].md5;
  console.log(
    `| ${w.id} ${w.title} | ${res[1].sec.toFixed(2)} | ${res[1].cpu.toFixed(2)} | ${res[1].mb.toFixed(0)} | ${res[2].sec.toFixed(2)} | ${res[2].cpu.toFixed(2)} | ${res[2].mb.toFixed(0)} | ${(res[1].sec / res[2].sec).toFixed(2)}x | ${same ? 'yes' : 'NO'} |`,
  );
}
