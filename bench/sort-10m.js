#!/usr/bin/env node
/**
 * Bounded-memory sort benchmark (issue 11): sort N generated CSV records
 * (default 10,000,000, about 1.2 GB) by one key with sluice, check that the
 * output is byte-identical to GNU `sort -s` (stable) on the same key, and
 * report wall time and peak RSS (GNU time's %M) of both.
 *
 * Records: `id,key,name,payload`: id the line number, key an integer in
 * [-500000, 500000) (many ties, so stability shows), name one of 5,000
 * words, payload 80 random letters. mulberry32, seed 1: the same file every
 * time. The header stays first (sluice keeps it; GNU sort gets only the body).
 *
 * Usage: node bench/sort-10m.js [--records N] [--key key|name] [--max-memory SIZE] [--keep]
 *   needs /usr/bin/time and GNU sort; writes bench/data/sort-N.csv (kept for
 *   reruns) and two outputs in bench/data (removed unless --keep).
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from './gen.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf('--' + name);
  return i >= 0 ? args[i + 1] : dflt;
};
const N = Number(opt('records', '10000000'));
const KEY = opt('key', 'key');
const MAXMEM = opt('max-memory', null);
const KEEP = args.includes('--keep');
const DATA = join(ROOT, 'bench/data');
mkdirSync(DATA, { recursive: true });
const input = join(DATA, `sort-${N}.csv`);

async function generate() {
  const rand = mulberry32(1);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const words = [];
  for (let i = 0; i < 5000; i++) {
    let w = '';
    const len = 3 + Math.floor(rand() * 8);
    for (let j = 0; j < len; j++) w += letters[Math.floor(rand() * 26)];
    words.push(w);
  }
  const out = createWriteStream(input + '.tmp');
  out.write('id,key,name,payload\n');
  let buf = '';
  for (let i = 1; i <= N; i++) {
    let p = '';
    for (let j = 0; j < 80; j++) p += letters[Math.floor(rand() * 26)];
    buf += `${i},${Math.floor(rand() * 1_000_000) - 500_000},${words[Math.floor(rand() * 5000)]},${p}\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.write(buf);
  out.end();
  await once(out, 'finish');
  spawnSync('mv', [input + '.tmp', input]);
}

/** Run a shell command under GNU time; returns seconds and peak RSS in MB. */
function timed(cmd) {
  const r = spawnSync('bash', ['-c', `/usr/bin/time -f '%e %M' bash -c "$0" 2>&1 >/dev/null | tail -1`, cmd], { encoding: 'utf8', cwd: ROOT });
  const m = /([\d.]+) (\d+)\s*$/.exec(r.stdout);
  if (!m) throw new Error(`no figures from: ${cmd}\n${r.stdout}${r.stderr}`);
  return { s: Number(m[1]), rssMB: Number(m[2]) / 1024 };
}

if (!existsSync(input)) {
  console.log(`generating ${N.toLocaleString('en')} records into ${input} ...`);
  await generate();
}
const bytes = statSync(input).size;
console.log(`input: ${input}, ${N.toLocaleString('en')} records, ${(bytes / 1e9).toFixed(2)} GB`);

const outS = join(DATA, 'sort-out-sluice.csv');
const outG = join(DATA, 'sort-out-gnu.csv');
const col = KEY === 'name' ? 3 : 2;
const gnuKey = KEY === 'name' ? `-k${col},${col}` : `-k${col},${col}n`;
const mm = MAXMEM ? ` --max-memory ${MAXMEM}` : '';
// --max-old-space-size is not set: the budget is sluice's own --max-memory (default 256 MiB).
const BIN = process.env.BENCH_SLUICE ?? 'bin/sluice.js';
const sl = timed(`node ${BIN} --csv --from ${input} sort ${KEY}${mm} > ${outS}`);
console.log(`sluice sort ${KEY}${mm}: ${sl.s.toFixed(1)} s, peak RSS ${sl.rssMB.toFixed(0)} MB`);
const gn = timed(`(head -1 ${input}; tail -n +2 ${input} | LC_ALL=C sort -s -t, ${gnuKey}) > ${outG}`);
console.log(`GNU sort -s ${gnuKey}: ${gn.s.toFixed(1)} s, peak RSS ${gn.rssMB.toFixed(0)} MB`);
const same = spawnSync('cmp', [outS, outG], { encoding: 'utf8' });
console.log(same.status === 0 ? 'outputs identical (cmp)' : `OUTPUTS DIFFER: ${same.stdout}${same.stderr}`);
const leftovers = spawnSync('bash', ['-c', 'ls -d "${TMPDIR:-/tmp}"/sluice-sort-* 2>/dev/null | wc -l'], { encoding: 'utf8' }).stdout.trim();
console.log(`temporary directories left: ${leftovers}`);
if (!KEEP) {
  rmSync(outS, { force: true });
  rmSync(outG, { force: true });
}
process.exit(same.status === 0 && sl.rssMB < 400 ? 0 : 1);
