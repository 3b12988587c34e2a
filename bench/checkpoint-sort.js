#!/usr/bin/env node
/**
 * What a checkpoint of `sort` costs (issue 15): N generated NDJSON records
 * followed with `-F --checkpoint`, `sort x` holding them all in memory (or,
 * with --max-memory, mostly in spilled runs); once the checkpoint covers the
 * whole file, SIGTERM makes sluice write one final checkpoint, whose time
 * (SLUICE_DEBUG prints it) and size are reported, with the size of the kept
 * runs (FILE.files) and the time to resume from it and write the sorted output.
 *
 * Usage: node bench/checkpoint-sort.js [--records 1000000] [--max-memory 256m]
 * (small mode to check it works: --records 20000)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = process.env.BENCH_SLUICE ?? path.join(ROOT, 'bin/sluice.js');
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};
const N = Number(arg('--records', '1000000'));
const MAXMEM = arg('--max-memory', '1g');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ckpt-sort-'));
const inp = path.join(dir, 'in.ndjson');
const ck = path.join(dir, 'c.ckpt');
const out = path.join(dir, 'out.ndjson');
{
  const fd = fs.openSync(inp, 'w');
  let s = '';
  for (let i = 0; i < N; i++) {
    s += `{"i":${i},"k":"k${i % 997}","x":${(i * 7919) % 1000003},"msg":"event number ${i}"}\n`;
    if (s.length > 1 << 20) {
      fs.writeSync(fd, s);
      s = '';
    }
  }
  fs.writeSync(fd, s);
  fs.closeSync(fd);
}
const size = fs.statSync(inp).size;

function offsetOf() {
  try {
    const t = fs.readFileSync(ck, 'utf8');
    return JSON.parse(t.slice(t.indexOf('\n') + 1)).sources[0].offset;
  } catch {
    return -1;
  }
}

const args = ['--from', inp, '--checkpoint', ck, 'sort', 'x', '--max-memory', MAXMEM];
fs.writeFileSync(out, '');
const t0 = Date.now();
const child = spawn(process.execPath, [BIN, '-F', '--checkpoint-every', '1s', ...args], {
  stdio: ['ignore', fs.openSync(out, 'a'), 'pipe'],
  env: { ...process.env, SLUICE_DEBUG: '1' },
});
let stderr = '';
child.stderr.on('data', (b) => (stderr += b));
const code = await new Promise((resolve) => {
  const poll = setInterval(() => {
    if (offsetOf() === size) {
      clearInterval(poll);
      child.kill('SIGTERM');
    }
  }, 200);
  child.on('exit', (c) => {
    clearInterval(poll);
    resolve(c);
  });
});
const readMs = Date.now() - t0;
const lines = stderr.split('\n').filter((l) => l.includes('bytes in'));
const last = lines[lines.length - 1] ?? '(none)';
const times = lines.map((l) => Number(/in ([\d.]+) ms/.exec(l)?.[1] ?? NaN));
const kept = fs.existsSync(ck + '.files') ? fs.readdirSync(ck + '.files').reduce((n, f) => n + fs.statSync(path.join(ck + '.files', f)).size, 0) : 0;
const ckSize = fs.statSync(ck).size;
const t1 = Date.now();
const resumed = await new Promise((resolve) => {
  const c = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', fs.openSync(out, 'a'), 'inherit'] });
  c.on('exit', resolve);
});
const resumeMs = Date.now() - t1;
const outText = fs.readFileSync(out, 'utf8');
const outLines = outText.split('\n').length - 1;
const once = path.join(dir, 'once.ndjson');
await new Promise((resolve) => {
  const c = spawn(process.execPath, [BIN, '--from', inp, 'sort', 'x', '--max-memory', MAXMEM], { stdio: ['ignore', fs.openSync(once, 'w'), 'inherit'] });
  c.on('exit', resolve);
});
const same = fs.readFileSync(once, 'utf8') === outText;
console.log(`records: ${N} (${(size / 1048576).toFixed(1)} MiB), sort --max-memory ${MAXMEM}`);
console.log(`first run: exit ${code} after ${readMs} ms; checkpoints written: ${lines.length}, each (snapshot + write) in ms: ${times.map((t) => t.toFixed(0)).join(', ')}`);
console.log(`final checkpoint: ${last.replace(/^sluice: checkpoint \S+: /, '')}; file ${(ckSize / 1048576).toFixed(2)} MiB; FILE.files (journal and kept runs) ${(kept / 1048576).toFixed(1)} MiB`);
console.log(`resume and write sorted output: exit ${resumed}, ${resumeMs} ms, ${outLines} lines (expected ${N}); byte-identical to one uninterrupted run: ${same ? 'yes' : 'NO'}`);
fs.rmSync(dir, { recursive: true, force: true });
