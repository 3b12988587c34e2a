#!/usr/bin/env node
/**
 * `-j 2` against `-j 1` (issue 14 item 5) on the generated flights
 * (bench/gen.js), workloads W1–W4 of bench/run.js, with DuckDB on 2 threads
 * (@duckdb/node-api) as a peer doing the same work, in the same run.
 *
 *   npm run build && node bench/parallel.js [--records N] [--runs N]
 *
 * For each workload: median wall time, median CPU time (user + system) and
 * peak RSS (GNU time %M) of `sluice -j 1` and `sluice -j 2`, whether their
 * outputs are byte-identical, the speed-up, and DuckDB's time. The runs of
 * -j 1 and -j 2 take turns (1, 2, 1, 2, ...) so that a busy spell of a
 * shared machine hits both alike; the load average at the start is printed
 * (on 2 cores, above ~0.5 someone else is running). Prints a Markdown table.
 *
 * The columns "start" and "best": what no split can beat. `start` is the wall
 * (and CPU) time of the same command on the file's first 100 lines: Node's
 * start, sluice's modules, the verbs built, the output flushed. No thread
 * runs a record before then, and -j 2 cannot do less work than -j 1 did
 * (its CPU time, C1, counts V8's GC and compiler threads, which one thread
 * already runs on the second core), so on 2 cores -j 2 takes at least
 * L = start + (C1 - start cpu) / 2 and its speed-up is at most A / L.
 *
 * The column "2 × -j 1 side by side" is the machine's own ceiling: two
 * `sluice -j 1` runs of the workload started together (the slower one's
 * wall time). If one run alone takes A and the pair P, two threads that
 * split the work perfectly, with nothing to start, merge or copy, would
 * still take about P/2: the speed-up ceiling printed is 2A/P (1.0 when the
 * two runs slow each other down to half speed: shared caches, memory
 * bandwidth, the host's other guests; 2.0 when they do not at all).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { ensureDataset } from './gen.js';
import { HERE, OUT, SLUICE, md5File as md5, median, numberOption } from './common.js';

const RECORDS = numberOption('--records', 3_000_000);
const RUNS = numberOption('--runs', 3);

const d = await ensureDataset({ dir: join(HERE, 'data'), records: RECORDS });
const W = [
  { id: 'W1', title: 'NDJSON filter', file: d.ndjson, args: ['filter', 'delay > 60'],
    duck: `COPY (SELECT * FROM read_json_auto('${d.ndjson}') WHERE delay > 60) TO '${OUT}/duck-w1.ndjson' (FORMAT JSON)` },
  { id: 'W2', title: 'CSV filter + agg by origin', file: d.csv, args: ['filter', 'delay > 60', 'then', 'agg', 'count, avg(delay)', 'by', 'origin'],
    duck: `SELECT origin, count(*), avg(delay) FROM read_csv_auto('${d.csv}') WHERE delay > 60 GROUP BY origin` },
  { id: 'W3', title: 'CSV tumbling 1h count by origin', file: d.csv, args: ['window', 'tumbling', '1h', '--time', 'time', 'then', 'agg', 'count', 'by', 'origin'],
    duck: `SELECT time_bucket(INTERVAL 1 HOUR, time::TIMESTAMP) AS w, origin, count(*) FROM read_csv_auto('${d.csv}') GROUP BY ALL` },
  { id: 'W4', title: 'NDJSON join airports + count by state', file: d.ndjson, args: ['join', d.airports, '--on', 'origin=iata', 'then', 'agg', 'count', 'by', 'state'],
    duck: `SELECT a.state, count(*) FROM read_json_auto('${d.ndjson}') f JOIN read_csv_auto('${d.airports}') a ON f.origin = a.iata GROUP BY a.state` },
];

function timeIt(cmd, argv, outFile) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', 'bash', '-c', `"$0" "$@" > ${outFile}`, cmd, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const last = r.stderr.trim().split('\n').pop();
  const [sec, kb, user, sys] = last.split(' ').map(Number);
  return { sec, mb: (kb * 1024) / 1e6, cpu: user + sys, code: r.status };
}
/** Two runs started together: the slower one's wall time (s). */
async function pairIt(cmd, argv, outFile) {
  const one = (k) =>
    new Promise((done) => {
      const c = spawn('/usr/bin/time', ['-f', '%e', 'bash', '-c', `"$0" "$@" > ${outFile}.${k}`, cmd, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      c.stderr.on('data', (b) => (err += b));
      c.on('close', () => done(Number(err.trim().split('\n').pop())));
    });
  const [a, b] = await Promise.all([one(1), one(2)]);
  return Math.max(a, b);
}

let duck = null;
try {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
  duck = await inst.connect();
} catch {
  duck = null;
}

const load = loadavg()[0];
const rows = [];
for (const w of W) {
  const res = { 1: { times: [], cpus: [], mb: 0 }, 2: { times: [], cpus: [], mb: 0 } };
  const pairs = [];
  const starts = [];
  const tiny = join(OUT, `par-${w.id}-head100.${w.file.endsWith('.csv') ? 'csv' : 'ndjson'}`);
  writeFileSync(tiny, readFileSync(w.file, 'latin1').slice(0, 1 << 16).split('\n').slice(0, 101).join('\n') + '\n', 'latin1');
  for (let k = 0; k < RUNS; k++) {
    starts.push(timeIt(process.execPath, [SLUICE, '-j', '1', '--from', tiny, ...w.args], `${OUT}/par-${w.id}-head100.out`));
    pairs.push(await pairIt(process.execPath, [SLUICE, '-j', '1', '--from', w.file, ...w.args], `${OUT}/par-${w.id}-pair.out`));
    for (const j of [1, 2]) {
      const t = timeIt(process.execPath, [SLUICE, '-j', String(j), '--from', w.file, ...w.args], `${OUT}/par-${w.id}-j${j}.out`);
      res[j].times.push(t.sec);
      res[j].cpus.push(t.cpu);
      res[j].mb = Math.max(res[j].mb, t.mb);
    }
  }
  for (const j of [1, 2]) Object.assign(res[j], { sec: median(res[j].times), cpu: median(res[j].cpus) });
  const same = md5(`${OUT}/par-${w.id}-j1.out`) === md5(`${OUT}/par-${w.id}-j2.out`);
  let duckSec = null;
  if (duck) {
    const times = [];
    for (let k = 0; k < RUNS; k++) {
      const t0 = performance.now();
      const r = await duck.run(w.duck);
      if (r.fetchAllChunks) await r.fetchAllChunks();
      times.push((performance.now() - t0) / 1000);
    }
    duckSec = median(times);
  }
  const pair = median(pairs);
  const start = { sec: median(starts.map((t) => t.sec)), cpu: median(starts.map((t) => t.cpu)) };
  const least = start.sec + Math.max(0, res[1].cpu - start.cpu) / 2;
  rows.push({ ...w, res, same, duckSec, pair, start, least });
  process.stderr.write(`${w.id}: -j1 ${res[1].sec}s (cpu ${res[1].cpu.toFixed(2)}) ${res[1].mb.toFixed(0)}MB, -j2 ${res[2].sec}s (cpu ${res[2].cpu.toFixed(2)}) ${res[2].mb.toFixed(0)}MB, identical ${same}, duckdb ${duckSec?.toFixed(2)}s, two -j1 side by side ${pair}s\n`);
}

console.log(`${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, load average ${load.toFixed(2)} at start, median of ${RUNS} run(s), -j 1 and -j 2 taking turns.\n`);
console.log(`| workload (${(RECORDS / 1e6).toFixed(1)}M flights) | -j 1 s | -j 2 s | speed-up | -j 1 cpu s | -j 2 cpu s | -j 1 RSS MB | -j 2 RSS MB | identical | DuckDB 2 threads s | -j 2 / DuckDB | 2 × -j 1 side by side s | ceiling 2A/P | start s (cpu) | least -j 2 s L | best speed-up A/L | best L / DuckDB |`);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const sp = r.res[1].sec / r.res[2].sec;
  console.log(
    `| ${r.id} ${r.title} | ${r.res[1].sec.toFixed(2)} | ${r.res[2].sec.toFixed(2)} | ${sp.toFixed(2)}× | ${r.res[1].cpu.toFixed(2)} | ${r.res[2].cpu.toFixed(2)} | ${r.res[1].mb.toFixed(0)} | ${r.res[2].mb.toFixed(0)} | ${r.same ? 'yes' : 'NO'} | ${r.duckSec === null ? 'n/a' : r.duckSec.toFixed(2)} | ${r.duckSec === null ? 'n/a' : (r.res[2].sec / r.duckSec).toFixed(2)} | ${r.pair.toFixed(2)} | ${((2 * r.res[1].sec) / r.pair).toFixed(2)}× | ${r.start.sec.toFixed(2)} (${r.start.cpu.toFixed(2)}) | ${r.least.toFixed(2)} | ${(r.res[1].sec / r.least).toFixed(2)}× | ${r.duckSec === null ? 'n/a' : (r.least / r.duckSec).toFixed(2)} |`,
  );
}
