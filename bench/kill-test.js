#!/usr/bin/env node
/**
 * The kill test of checkpoints (issue 15): a generated NDJSON log (event
 * times out of order within a bound, some records far behind = late, some
 * malformed lines), the pipeline
 *
 *   sluice --from log.ndjson --checkpoint ck --on-error skip --errors errors.ndjson
 *     filter 'x >= 0' then window tumbling 1m --time ts --lateness 30s
 *     --late-output late.ndjson then agg 'count, avg(x), p95(x), approx_distinct(u)' by k
 *     >> results.ndjson
 *
 * run once without interruption, then again (in another directory) SIGKILLed
 * at random moments and restarted each time until it finishes: the results,
 * late and errors files must be byte-identical.
 *
 * Usage:
 *   node bench/kill-test.js [--records 2000000] [--kills 10] [--seed 7] [--every 1s] [--keep]
 *
 * Kills land at a random moment after the run has written at least one
 * checkpoint of its own (so each restart makes progress), uniformly within
 * the next ~1.5 checkpoint periods. Prints a JSON summary; exit 1 when a file differs.
 *
 * Also exports `generateLog` and `killRun` for the small version in
 * test/e2e/checkpoint-kill.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from './gen.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = process.env.BENCH_SLUICE ?? path.join(ROOT, 'bin/sluice.js');

/**
 * Write a log of `records` events to `file`: one event every ~30 ms of event
 * time from 2024-01-01, each shifted back by up to 20 s (out of order within
 * the 30 s lateness), 1 in 500 shifted back 40–120 s (late when its window
 * has closed), 1 in 1000 malformed (`broken`), every 7th line ended by CRLF.
 * `line(e)` gives the text of event `e` = {i, t (epoch ms), k, x, u, iso (true:
 * write the time as ISO text, else as epoch ms), broken}, without its line end.
 * @returns the file's size in bytes
 */
function writeLog(file, records, seed, header, line) {
  const rnd = mulberry32(seed);
  const fd = fs.openSync(file, 'w');
  const t0 = Date.UTC(2024, 0, 1);
  let buf = header;
  const keys = ['api', 'web', 'db', 'cache', 'queue', 'auth', 'search', 'mail', 'cdn', 'billing', 'ünïcode', '日本'];
  for (let i = 0; i < records; i++) {
    let t = t0 + i * 30 - Math.floor(rnd() * 20_000);
    if (rnd() < 0.002) t -= 40_000 + Math.floor(rnd() * 80_000);
    const k = keys[Math.floor(rnd() * keys.length)];
    const x = Math.round((rnd() * rnd() * 1000 - 20) * 100) / 100;
    const u = 'u' + Math.floor(rnd() * 20_000);
    const iso = rnd() < 0.5;
    const nl = i % 7 === 0 ? '\r\n' : '\n';
    const broken = rnd() < 0.001;
    buf += line({ i, t, k, x, u, iso, broken }) + nl;
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
  return fs.statSync(file).size;
}

/**
 * Write the NDJSON log (see `writeLog`; a malformed line is cut after `x`,
 * some lines hold multi-byte text).
 * @returns the file's size in bytes
 */
export function generateLog(file, records, seed = 7) {
  return writeLog(file, records, seed, '', ({ i, t, k, x, u, iso, broken }) => {
    const ts = iso ? `"${new Date(t).toISOString()}"` : String(t);
    return broken ? `{"ts":${ts},"k":"${k}","x":${x},broken` : `{"ts":${ts},"k":"${k}","x":${x},"u":"${u}","msg":"req ${i} ✓"}`;
  });
}

/**
 * The same log as CSV (header `ts,k,x,u,msg`; a malformed row has a field
 * too many; a quoted message with a comma now and then), for the CSV → CSV
 * kill test: the checkpoint must keep the input header and the output's.
 * @returns the file's size in bytes
 */
export function generateCsvLog(file, records, seed = 7) {
  return writeLog(file, records, seed, 'ts,k,x,u,msg\n', ({ i, t, k, x, u, iso, broken }) => {
    const ts = iso ? new Date(t).toISOString() : String(t);
    const msg = i % 11 === 0 ? `"req ${i}, ✓"` : `req ${i} ✓`;
    return broken ? `${ts},${k},${x},${u},${msg},broken` : `${ts},${k},${x},${u},${msg}`;
  });
}

/** The sluice arguments of the kill test, in directory `dir` reading `log`. */
export function pipelineArgs(dir, log, every) {
  return [
    '--from', log,
    '--checkpoint', path.join(dir, 'ck'),
    '--checkpoint-every', every,
    '--on-error', 'skip',
    '--errors', path.join(dir, 'errors.ndjson'),
    'filter', 'x >= 0',
    'then', 'window', 'tumbling', '1m', '--time', 'ts', '--lateness', '30s', '--late-output', path.join(dir, 'late.ndjson'),
    'then', 'agg', 'count, avg(x), p95(x), approx_distinct(u)', 'by', 'k',
  ];
}

/**
 * Run the pipeline in `dir` (stdout appended to dir/results.ndjson).
 * @param killAfter undefined: run to the end; else a function returning ms to wait
 *   (after this run's first checkpoint) before SIGKILL
 * @returns {Promise<{code, signal, stderr, ms}>}
 */
function runOnce(dir, log, every, killAfter) {
  return new Promise((resolve, reject) => {
    const out = fs.openSync(path.join(dir, 'results.ndjson'), 'a');
    const ck = path.join(dir, 'ck');
    const before = fs.existsSync(ck) ? fs.statSync(ck).ino : -1;
    const t0 = Date.now();
    const child = spawn(process.execPath, [BIN, ...pipelineArgs(dir, log, every)], { stdio: ['ignore', out, 'pipe'] });
    fs.closeSync(out);
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    let timer;
    let poll;
    if (killAfter !== undefined) {
      // Wait for a checkpoint of this run (a new inode: written by rename), then kill at a random moment.
      poll = setInterval(() => {
        let ino = -1;
        try {
          ino = fs.statSync(ck).ino;
        } catch {
          /* not yet */
        }
        if (ino !== -1 && ino !== before) {
          clearInterval(poll);
          poll = undefined;
          timer = setTimeout(() => child.kill('SIGKILL'), killAfter());
        }
      }, 5);
    }
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (poll) clearInterval(poll);
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stderr, ms: Date.now() - t0 });
    });
  });
}

/**
 * The uninterrupted run in `refDir` and the killed-and-restarted run in `killDir`.
 * @param killWithinMs each kill lands uniformly within this many ms after the
 *   run's first checkpoint (default 1.5 checkpoint periods)
 * @returns a summary: kills that landed before the end, restarts, and whether each file is identical
 */
export async function killRun({ log, refDir, killDir, kills, every = '1s', seed = 1, killWithinMs }) {
  const rnd = mulberry32(seed);
  const everyMs = every === '0' ? 0 : every.endsWith('ms') ? Number(every.slice(0, -2)) : Number(every.slice(0, -1)) * 1000;
  const within = killWithinMs ?? everyMs * 1.5;
  const ref = await runOnce(refDir, log, every, undefined);
  if (ref.code !== 0) throw new Error(`reference run failed (${ref.code}): ${ref.stderr}`);
  let landed = 0;
  let runs = 0;
  const runMs = [];
  for (let k = 0; k < kills; k++) {
    const r = await runOnce(killDir, log, every, () => Math.floor(rnd() * within));
    runs++;
    runMs.push(r.ms);
    if (r.signal === 'SIGKILL') landed++;
    else if (r.code === 0) break; // finished before the kill: the rest is the final check
    else throw new Error(`run ${runs} failed (${r.code}): ${r.stderr}`);
  }
  const last = await runOnce(killDir, log, every, undefined);
  runs++;
  if (last.code !== 0) throw new Error(`final run failed (${last.code}): ${last.stderr}`);
  const same = {};
  const sizes = {};
  for (const f of ['results.ndjson', 'late.ndjson', 'errors.ndjson']) {
    const a = fs.readFileSync(path.join(refDir, f));
    const b = fs.readFileSync(path.join(killDir, f));
    same[f] = a.equals(b);
    sizes[f] = a.length;
  }
  return { referenceMs: ref.ms, killsLanded: landed, runs, runMs, identical: same, bytes: sizes, ok: Object.values(same).every(Boolean) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, def) => {
    const i = args.indexOf('--' + name);
    return i >= 0 ? args[i + 1] : def;
  };
  const records = Number(opt('records', '2000000'));
  const kills = Number(opt('kills', '10'));
  const seed = Number(opt('seed', '7'));
  const every = opt('every', '1s');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kill-'));
  const log = path.join(dir, 'log.ndjson');
  const t0 = Date.now();
  const size = generateLog(log, records, seed);
  process.stderr.write(`generated ${records} records (${(size / 1e6).toFixed(1)} MB) in ${Date.now() - t0} ms\n`);
  const refDir = fs.mkdtempSync(path.join(dir, 'ref-'));
  const killDir = fs.mkdtempSync(path.join(dir, 'kill-'));
  const summary = await killRun({ log, refDir, killDir, kills, every, seed });
  process.stdout.write(JSON.stringify({ records, logBytes: size, every, ...summary }, null, 2) + '\n');
  if (!args.includes('--keep')) fs.rmSync(dir, { recursive: true, force: true });
  else process.stderr.write(`kept ${dir}\n`);
  process.exit(summary.ok ? 0 : 1);
}
