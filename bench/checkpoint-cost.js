#!/usr/bin/env node
/**
 * What checkpoints cost (issue 15):
 *
 * 1. Throughput of the kill-test pipeline over a generated log with
 *    `--checkpoint-every 5s` and without `--checkpoint`, runs alternated,
 *    CPU time (user + system, from the child's rusage) and wall time: the
 *    median of each and the ratio.
 * 2. One checkpoint with 100,000 open groups: `agg 'count, avg(x), p95(x),
 *    approx_distinct(u)' by g` over 100,000 distinct g, stopped by SIGTERM
 *    with --checkpoint, which writes one final checkpoint; its time
 *    (SLUICE_DEBUG prints it) and its size.
 *
 * Usage: node bench/checkpoint-cost.js [--records 1000000] [--runs 5] [--groups 100000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generateLog } from './kill-test.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = process.env.BENCH_SLUICE ?? path.join(ROOT, 'bin/sluice.js');
/** Output goes to /dev/null (a closed stdout is an error to sluice). */
const DEVNULL = fs.openSync('/dev/null', 'w');

function median(a) {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

/** Run sluice with stdout to /dev/null; resolves with wall and CPU ms and stderr. */
function timed(args, env = {}, onSpawn) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', DEVNULL, 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    if (onSpawn) onSpawn(child);
    child.on('exit', (code, signal) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      resolve({ code, signal, wall, stderr });
    });
  });
}

/** CPU ms of a finished child: from /usr/bin/time when there, else wall only. */
async function cpuOf(args) {
  const out = path.join(os.tmpdir(), `sluice-cost-${process.pid}.time`);
  const hasTime = fs.existsSync('/usr/bin/time');
  if (!hasTime) {
    const r = await timed(args);
    return { wall: r.wall, cpu: NaN, code: r.code };
  }
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', out, process.execPath, BIN, ...args], { stdio: ['ignore', DEVNULL, 'ignore'] });
    child.on('error', reject);
    child.on('exit', (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      const [u, s] = fs.readFileSync(out, 'utf8').trim().split('\n').pop().split(' ').map(Number);
      resolve({ wall, cpu: (u + s) * 1000, code });
    });
  });
}

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf('--' + name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const records = opt('records', 1_000_000);
const runs = opt('runs', 5);
const groups = opt('groups', 100_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cost-'));
const log = path.join(dir, 'log.ndjson');
generateLog(log, records, 3);
const pipeline = [
  '--on-error', 'skip',
  'filter', 'x >= 0',
  'then', 'window', 'tumbling', '1m', '--time', 'ts', '--lateness', '30s',
  'then', 'agg', 'count, avg(x), p95(x), approx_distinct(u)', 'by', 'k',
];
const plain = { wall: [], cpu: [] };
const ckpt = { wall: [], cpu: [] };
for (let r = 0; r < runs; r++) {
  const a = await cpuOf(['--from', log, ...pipeline]);
  const ck = path.join(dir, `ck-${r}`);
  const b = await cpuOf(['--from', log, '--checkpoint', ck, '--checkpoint-every', '5s', ...pipeline]);
  if (a.code !== 0 || b.code !== 0) throw new Error('a run failed');
  plain.wall.push(a.wall);
  plain.cpu.push(a.cpu);
  ckpt.wall.push(b.wall);
  ckpt.cpu.push(b.cpu);
}
const res = {
  records,
  logMB: +(fs.statSync(log).size / 1e6).toFixed(1),
  runs,
  withoutCheckpoint: { wallMs: Math.round(median(plain.wall)), cpuMs: Math.round(median(plain.cpu)) },
  checkpointEvery5s: { wallMs: Math.round(median(ckpt.wall)), cpuMs: Math.round(median(ckpt.cpu)) },
};
res.cpuRatio = +(res.checkpointEvery5s.cpuMs / res.withoutCheckpoint.cpuMs).toFixed(3);
res.wallRatio = +(res.checkpointEvery5s.wallMs / res.withoutCheckpoint.wallMs).toFixed(3);

// One checkpoint with `groups` open groups.
const glog = path.join(dir, 'groups.ndjson');
let text = '';
for (let i = 0; i < groups; i++) text += `{"g":"group-${i}","x":${(i % 997) / 7},"u":"u${i % 5000}"}\n`;
fs.writeFileSync(glog, text);
const gck = path.join(dir, 'groups.ckpt');
const g = await timed(
  ['-F', '--from', glog, '--checkpoint', gck, '--checkpoint-every', '1h', 'agg', 'count, avg(x), p95(x), approx_distinct(u)', 'by', 'g'],
  { SLUICE_DEBUG: '1' },
  (child) => {
    // Ready when all groups are in: poll the child's stderr-less state by waiting for CPU to settle.
    let last = -1;
    const iv = setInterval(() => {
      let ticks = 0;
      try {
        const st = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        ticks = Number(f[11]) + Number(f[12]);
      } catch {
        return;
      }
      if (ticks === last && ticks > 0) {
        clearInterval(iv);
        child.kill('SIGTERM');
      }
      last = ticks;
    }, 500);
  },
);
const m = /checkpoint .*: (\d+) bytes in ([\d.]+) ms/.exec(g.stderr);
res.openGroups = { groups, checkpointBytes: m ? Number(m[1]) : null, checkpointMs: m ? Number(m[2]) : null, exit: g.code };
process.stdout.write(JSON.stringify(res, null, 2) + '\n');
fs.rmSync(dir, { recursive: true, force: true });
