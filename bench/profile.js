#!/usr/bin/env node
/**
 * CPU profile of sluice on benchmark workloads: runs each under
 * `node --cpu-prof` and prints the functions with the most self time.
 *
 *   node bench/profile.js [W1 W2 ...] [--records N] [--top N]
 *
 * Defaults: W1 and W2 on 3,000,000 records, top 25. The .cpuprofile files are
 * kept in bench/out/prof/ (open them in Chrome DevTools or speedscope for
 * the call tree). Self time of a function = the sampling intervals whose
 * sample stopped in it (V8's sampling profiler, 1 ms interval by default).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDataset } from './gen.js';
import { workloads } from './run.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const SLUICE = process.env.BENCH_SLUICE ? resolve(process.env.BENCH_SLUICE) : join(ROOT, 'bin/sluice.js');

/**
 * Sums self time per function of a V8 .cpuprofile.
 * @param {{nodes: {id: number, callFrame: {functionName: string, url: string, lineNumber: number}}[],
 *   samples: number[], timeDeltas: number[]}} prof
 * @returns {{total: number, rows: {name: string, where: string, ms: number}[]}} ms, sorted by self time
 */
export function selfTimes(prof) {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const acc = new Map();
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = (prof.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const f = byId.get(prof.samples[i]).callFrame;
    const where = f.url ? `${f.url.replace(/^file:\/\//, '').replace(ROOT + '/', '')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'}\u0000${where}`;
    acc.set(key, (acc.get(key) ?? 0) + dt);
  }
  const rows = [...acc].map(([k, ms]) => {
    const [name, where] = k.split('\u0000');
    return { name, where, ms };
  });
  rows.sort((a, b) => b.ms - a.ms);
  return { total, rows };
}

async function main() {
  const argv = process.argv.slice(2);
  let records = 3_000_000;
  let top = 25;
  const ids = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--records') records = Number(argv[++i]);
    else if (argv[i] === '--top') top = Number(argv[++i]);
    else ids.push(argv[i].toUpperCase());
  }
  if (!ids.length) ids.push('W1', 'W2');
  const data = await ensureDataset({ dir: join(HERE, 'data'), records, log: (m) => process.stderr.write(m + '\n') });
  const list = workloads({ ...data, w6: { ...data, records } });
  for (const id of ids) {
    const w = list.find((x) => x.id.toUpperCase() === id);
    if (!w) throw new Error(`no workload ${id}`);
    const dir = join(HERE, "out", "prof", w.id);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const inFd = openSync(w.input.file, 'r');
    const outFd = openSync('/dev/null', 'w');
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, SLUICE, ...w.sluice], {
      stdio: [inFd, outFd, 'pipe'],
      encoding: 'utf8',
    });
    const wall = (performance.now() - t0) / 1000;
    closeSync(inFd);
    closeSync(outFd);
    const args = w.sluice.map((a) => (/[\s'>]/.test(a) ? `'${a}'` : a)).join(' ');
    console.log(`\n${w.id} ${w.title}: sluice ${args} < ${relative(ROOT, w.input.file)}  (${wall.toFixed(2)} s with profiler)`);
    if (r.status !== 0) {
      console.log(`  failed: ${(r.stderr || '').split('\n').find((l) => /Error|sluice:/.test(l)) ?? r.stderr.split('\n')[0]}`);
      continue;
    }
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    const { total, rows } = selfTimes(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    console.log(`  profile: ${relative(ROOT, join(dir, file))}, ${total.toFixed(0)} ms sampled`);
    console.log('  self ms   self %  function  (file:line)');
    for (const x of rows.slice(0, top)) {
      console.log(`  ${x.ms.toFixed(0).padStart(7)}  ${((x.ms / total) * 100).toFixed(1).padStart(6)}  ${x.name}  ${x.where}`);
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`profile: ${e.stack ?? e}\n`);
    process.exit(1);
  });
}
