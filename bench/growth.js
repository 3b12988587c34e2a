#!/usr/bin/env node
/**
 * Growth table (issue 14): how sluice's time and peak RSS grow with the
 * number of records and with the number of groups, with one thread (-j 1)
 * and two (-j 2), so that a cost that grows faster than the input shows.
 *
 *   npm run build && node bench/growth.js [--records 1000000,3000000,10000000]
 *        [--groups 1000,100000,1000000] [--group-records N] [--runs N] [--small]
 *
 * - Records: the generated flights (bench/gen.js) at each size, workloads W1
 *   (NDJSON filter, records written) and W3 (CSV tumbling 1h count by origin).
 * - Groups: NDJSON records {"k":KEY,"v":INT} with G distinct keys (default
 *   1,000,000 records; key i·2654435761 mod 2^32 of i mod G, so keys arrive
 *   scattered), workload `agg 'count, sum(v), p95(v)' by k`.
 *
 * For each: median wall seconds over the runs, nanoseconds per record, and
 * peak RSS (GNU time %M, MB of 10^6 bytes), and whether -j 2 wrote the same
 * bytes as -j 1. `--small` (records 20,000 and 60,000; groups 100 and 1,000
 * over 20,000 records; one run) checks that the script works. Data files go
 * to bench/data/, outputs to bench/out/. Prints Markdown tables; the last
 * table is also written to bench/out/growth.md.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDataset, mulberry32 } from './gen.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SLUICE = process.env.BENCH_SLUICE ? resolve(process.env.BENCH_SLUICE) : join(HERE, '..', 'bin/sluice.js');
const DATA = join(HERE, 'data');
const OUT = join(HERE, 'out');
const args = process.argv.slice(2);
const small = args.includes('--small');
const list = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1].split(',').map(Number) : dflt;
};
const RECORDS = list('--records', small ? [20_000, 60_000] : [1_000_000, 3_000_000, 10_000_000]);
const GROUPS = list('--groups', small ? [100, 1_000] : [1_000, 100_000, 1_000_000]);
const GROUP_RECORDS = list('--group-records', [small ? 20_000 : 1_000_000])[0];
const RUNS = list('--runs', [small ? 1 : 3])[0];
mkdirSync(OUT, { recursive: true });
const log = (m) => process.stderr.write(m + '\n');

/** One run under GNU time: wall seconds, peak RSS bytes, and the output's SHA-1. */
function timeRun(argv, out) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, SLUICE, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 30,
  });
  const last = r.stderr.toString().trim().split('\n').pop() ?? '';
  const [sec, kb] = last.split(' ').map(Number);
  if (r.status !== 0) throw new Error(`sluice ${argv.join(' ')} failed: ${r.stderr.toString().trim().split('\n')[0]}`);
  writeFileSync(out, r.stdout);
  return { sec, rss: kb * 1024, sha1: createHash('sha1').update(r.stdout).digest('hex') };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** -j 1 and -j 2 of one command, RUNS times each. */
function measure(id, argv, records) {
  const res = {};
  for (const j of [1, 2]) {
    const secs = [];
    let rss = 0;
    let sha1 = '';
    for (let k = 0; k < RUNS; k++) {
      const r = timeRun(['-j', String(j), ...argv], join(OUT, `growth-${id}-j${j}.out`));
      secs.push(r.sec);
      rss = Math.max(rss, r.rss);
      sha1 = r.sha1;
    }
    res[j] = { sec: median(secs), rss, sha1, nsPer: (median(secs) * 1e9) / records };
    log(`  ${id} -j ${j}: ${res[j].sec.toFixed(2)} s, ${(rss / 1e6).toFixed(0)} MB`);
  }
  return res;
}

/** NDJSON with `groups` distinct keys over `records` records (written once, then reused). */
async function groupsFile(records, groups) {
  const file = join(DATA, `groups-${records}-g${groups}.ndjson`);
  if (existsSync(file)) return file;
  mkdirSync(DATA, { recursive: true });
  log(`generating ${records.toLocaleString('en-US')} records with ${groups.toLocaleString('en-US')} groups ...`);
  const rnd = mulberry32(groups);
  const s = createWriteStream(file + '.tmp', { highWaterMark: 1 << 20 });
  let buf = '';
  for (let i = 0; i < records; i++) {
    const key = (Math.imul(i % groups, 2654435761) >>> 0).toString(36);
    buf += `{"k":"${key}","v":${Math.floor(rnd() * 1000)}}\n`;
    if (buf.length > 1 << 20) {
      if (!s.write(buf)) await once(s, 'drain');
      buf = '';
    }
  }
  s.end(buf);
  await once(s, 'finish');
  renameSync(file + '.tmp', file);
  return file;
}

const fmtRow = (label, records, r) =>
  `| ${label} | ${records.toLocaleString('en-US')} | ${r[1].sec.toFixed(2)} | ${r[1].nsPer.toFixed(0)} | ${(r[1].rss / 1e6).toFixed(0)} | ` +
  `${r[2].sec.toFixed(2)} | ${r[2].nsPer.toFixed(0)} | ${(r[2].rss / 1e6).toFixed(0)} | ${(r[1].sec / r[2].sec).toFixed(2)}× | ${r[1].sha1 === r[2].sha1 ? 'yes' : 'NO'} |`;
const HEAD = [
  '| workload | records | -j 1 s | -j 1 ns/record | -j 1 RSS MB | -j 2 s | -j 2 ns/record | -j 2 RSS MB | speed-up | same bytes |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
];

const lines = [`Growth (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, load average ${loadavg()[0].toFixed(2)} at start, median of ${RUNS} run(s)).`, ''];
lines.push('Records:', '', ...HEAD);
for (const n of RECORDS) {
  const d = await ensureDataset({ dir: DATA, records: n, log });
  lines.push(fmtRow('W1 NDJSON filter', n, measure(`w1-${n}`, ['--from', d.ndjson, 'filter', 'delay > 60'], n)));
  lines.push(fmtRow('W3 CSV tumbling 1h count by origin', n, measure(`w3-${n}`, ['--from', d.csv, 'window', 'tumbling', '1h', '--time', 'time', 'then', 'agg', 'count', 'by', 'origin'], n)));
}
lines.push('', `Groups (${GROUP_RECORDS.toLocaleString('en-US')} records, agg 'count, sum(v), p95(v)' by k):`, '', ...HEAD.map((h) => h.replace('| workload | records |', '| groups | records |')));
for (const g of GROUPS) {
  const f = await groupsFile(GROUP_RECORDS, g);
  lines.push(fmtRow(g.toLocaleString('en-US'), GROUP_RECORDS, measure(`groups-${g}`, ['--from', f, 'agg', 'count, sum(v), p95(v)', 'by', 'k'], GROUP_RECORDS)));
}
const md = lines.join('\n') + '\n';
process.stdout.write('\n' + md);
writeFileSync(join(OUT, 'growth.md'), md);
