#!/usr/bin/env node
/**
 * Issue 11's budget for `over`: `over 'avg(delay)' --rows 100 --by origin`
 * within 2x the time of `window tumbling 1h --time time then agg
 * 'avg(delay)'` on the same 3,000,000 generated flights (bench/gen.js), both
 * measured in one run, taking turns (A, B, B, A, ...), output to /dev/null.
 * Also `over --rows all` and `map` writing one more field per record (the
 * cost of writing every record, which `over` must pay and `agg` does not).
 *
 * Usage: node bench/over.js [--records N] [--runs R] [--format ndjson|csv]
 * Needs GNU time (/usr/bin/time) for CPU seconds and peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.BENCH_SLUICE ?? resolve(HERE, '../bin/sluice.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const records = Number(arg('records', '3000000'));
const runs = Number(arg('runs', '3'));
const format = arg('format', 'ndjson');
const dataDir = join(HERE, 'data');
const file = join(dataDir, `flights-${records}-s20010101.${format}`);
if (!existsSync(file)) {
  const g = spawnSync(process.execPath, [join(HERE, 'gen.js'), '--records', String(records), '--out', dataDir], { stdio: 'inherit' });
  if (g.status !== 0) process.exit(1);
}
readFileSync(file); // into the page cache before the first run

const workloads = [
  { name: 'window tumbling 1h then agg avg(delay)', args: ['window', 'tumbling', '1h', '--time', 'time', 'then', 'agg', 'avg(delay)'] },
  { name: "over 'avg(delay)' --rows 100 --by origin", args: ['over', 'avg(delay)', '--rows', '100', '--by', 'origin'] },
  { name: "over 'avg(delay)' --rows all --by origin", args: ['over', 'avg(delay)', '--rows', 'all', '--by', 'origin'] },
  { name: "map 'x = delay / 3' (writes every record)", args: ['map', 'x = delay / 3'] },
];
const hasTime = existsSync('/usr/bin/time');
const results = workloads.map(() => []);

function once(w) {
  const fd = openSync(file, 'r');
  const nul = openSync('/dev/null', 'w');
  const cmd = hasTime ? '/usr/bin/time' : process.execPath;
  const args = hasTime ? ['-f', '%U %S %M', process.execPath, BIN, ...w.args] : [BIN, ...w.args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: [fd, nul, 'pipe'], encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  closeSync(fd);
  closeSync(nul);
  if (r.status !== 0) throw new Error(`${w.name} failed: ${r.stderr}`);
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [u, s, m] = last.split(' ').map(Number);
  return { wall, cpu: hasTime ? u + s : NaN, rssMB: hasTime ? (m * 1024) / 1e6 : NaN };
}

for (let r = 0; r < runs; r++) {
  const order = r % 2 === 0 ? workloads.map((_, i) => i) : workloads.map((_, i) => workloads.length - 1 - i);
  for (const i of order) results[i].push(once(workloads[i]));
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};
console.log(`${new Date().toISOString()}  ${os.cpus().length} cores  load ${os.loadavg()[0].toFixed(2)}  ${records} records (${format})  ${runs} runs each`);
const base = { wall: median(results[0].map((x) => x.wall)), cpu: median(results[0].map((x) => x.cpu)) };
for (let i = 0; i < workloads.length; i++) {
  const wall = median(results[i].map((x) => x.wall));
  const cpu = median(results[i].map((x) => x.cpu));
  const rss = Math.max(...results[i].map((x) => x.rssMB));
  console.log(
    `${workloads[i].name.padEnd(44)} wall ${wall.toFixed(2).padStart(6)} s (${results[i].map((x) => x.wall.toFixed(2)).join(' ')})  cpu ${cpu.toFixed(2).padStart(6)} s  rss ${rss.toFixed(0).padStart(4)} MB  ÷window wall ${(wall / base.wall).toFixed(2)} cpu ${(cpu / base.cpu).toFixed(2)}`,
  );
}
