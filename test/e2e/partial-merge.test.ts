/**
 * Issue 14 items 1–4 end to end: `agg --partial` from 1, 2 and 7 shards cut at
 * random points, `merge`d, equals one `agg` (exact where exact, 1e-12
 * relative for float sums, avg, var, stddev), for plain, tumbling, sliding
 * and session windows; two producers through fifos into `merge --producers
 * 2`; Hadoop-style map/partition/sort/reduce with plain processes; GNU
 * parallel where installed; malformed partials; partition's usage errors.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { BIN, FIXTURES, shell, sluice, start } from '../helpers/run.js';
import { parseCommand } from '../../src/cli.js';
import { run } from '../../src/engine/run.js';

/** Run a sluice command line in this process (input from --from files only): spawning dozens of processes is slow on a busy machine. */
async function inproc(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        add(String(chunk));
        cb();
      },
    });
  const cmd = parseCommand(args);
  const code = await run({ ...cmd.options!, stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) });
  return { stdout, stderr, code };
}

const FLIGHTS = fs.readFileSync(path.join(FIXTURES, 'flights-20k.ndjson'), 'utf8');
const ALL =
  'count, count(delay), sum(delay), sum(x), avg(delay), mean(x), min(delay), max(destination), first(destination), last(delay), ' +
  'stddev(delay), var(x), distinct(destination), approx_distinct(destination), median(delay), p95(delay), p99.9(x), collect(destination)';
const FLOATY = /^(sum_x|avg_|mean_|stddev_|var_)/;

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-merge-'));
}

function lcg(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Lines of NDJSON, with a float field x added so that float sums are tested. */
function withFloats(text: string, seed: number): string[] {
  const rnd = lcg(seed);
  return text
    .trim()
    .split('\n')
    .map((l) => l.slice(0, -1) + `,"x":${(rnd() * 1000 - 300).toFixed(3)}}`);
}

/** Compare two NDJSON outputs: same records, fields, order; float aggregates within 1e-12 relative. */
function expectSameOutput(got: string, want: string): void {
  const g = got.trim().split('\n');
  const w = want.trim().split('\n');
  expect(g.length).toBe(w.length);
  for (let i = 0; i < w.length; i++) {
    if (g[i] === w[i]) continue;
    const a = JSON.parse(g[i]!) as Record<string, unknown>;
    const b = JSON.parse(w[i]!) as Record<string, unknown>;
    expect(Object.keys(a)).toEqual(Object.keys(b));
    for (const k of Object.keys(b)) {
      if (FLOATY.test(k) && typeof b[k] === 'number') {
        const x = a[k] as number;
        const y = b[k] as number;
        expect(Math.abs(x - y), `line ${i + 1} ${k}: ${x} vs ${y}`).toBeLessThanOrEqual(1e-12 * Math.abs(y));
      } else expect(a[k], `line ${i + 1} ${k}`).toEqual(b[k]);
    }
  }
}

/**
 * Run `pre then agg AGGS by KEYS` once over all lines, and as `agg --partial --part i`
 * over `n` shards cut at random points, then `merge` them (files given in a shuffled order).
 */
async function shardsEqualOne(lines: string[], pre: string[], aggs: string, by: string[], ns: number[], seed: number): Promise<void> {
  const dir = tmpdir();
  const all = path.join(dir, 'all.ndjson');
  fs.writeFileSync(all, lines.join('\n') + '\n');
  const aggArgs = ['agg', aggs, ...(by.length ? ['by', by.join(',')] : [])];
  const one = await inproc(['--from', all, ...pre, ...aggArgs]);
  expect(one.stderr).toBe('');
  expect(one.code).toBe(0);
  const rnd = lcg(seed);
  for (const n of ns) {
    const cuts = Array.from({ length: n - 1 }, () => Math.floor(rnd() * lines.length)).sort((a, b) => a - b);
    const bounds = [0, ...cuts, lines.length];
    const files: string[] = [];
    for (let i = 0; i < n; i++) {
      const shard = path.join(dir, `shard-${n}-${i}.ndjson`);
      const part = path.join(dir, `part-${n}-${i}.ndjson`);
      fs.writeFileSync(shard, lines.slice(bounds[i], bounds[i + 1]).join('\n') + (bounds[i] === bounds[i + 1] ? '' : '\n'));
      const r = await inproc(['-i', 'ndjson', '--from', shard, ...pre, ...aggArgs, '--partial', '--part', String(i)]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      fs.writeFileSync(part, r.stdout);
      files.push(part);
    }
    files.sort(() => rnd() - 0.5);
    const merged = await inproc(['merge', ...files]);
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(0);
    expectSameOutput(merged.stdout, one.stdout);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

describe('agg --partial then merge equals one agg (flights)', () => {
  const lines = withFloats(FLIGHTS, 1);
  it('every aggregate, by origin and without keys; 1, 2 and 7 shards', async () => {
    await shardsEqualOne(lines, [], ALL, ['origin'], [1, 2, 7], 11);
    await shardsEqualOne(lines, [], ALL, [], [2, 7], 12);
  }, 30_000);
  it('tumbling windows', async () => {
    await shardsEqualOne(lines, ['window', 'tumbling', '1h', '--time', 'time', 'then'], ALL, ['origin'], [1, 2, 7], 13);
  }, 30_000);
  it('sliding windows', async () => {
    await shardsEqualOne(lines.slice(0, 6000), ['window', 'sliding', '2h', '--every', '30m', '--time', 'time', 'then'], ALL, ['origin'], [2, 7], 14);
  }, 30_000);
});

describe('agg --partial then merge equals one agg (random data)', () => {
  /** Random records: nulls, mixed types, one group past the exact-percentile limit, times with milliseconds. */
  function randomLines(n: number, seed: number): string[] {
    const rnd = lcg(seed);
    const out: string[] = [];
    let t = Date.UTC(2024, 0, 1);
    for (let i = 0; i < n; i++) {
      t += Math.floor(rnd() * 90_000) + 1;
      const r = rnd();
      const k = r < 0.6 ? 'big' : r < 0.8 ? 7 : r < 0.9 ? '7' : null;
      const v = rnd();
      const d = v < 0.1 ? null : v < 0.2 ? `"s${Math.floor(rnd() * 50)}"` : v < 0.25 ? '12345678901234567890' : v < 0.3 ? '1.50' : String(Math.floor(rnd() * 2000) - 500);
      const x = rnd() < 0.1 ? 'null' : (rnd() * 1e4 - 2e3).toFixed(4);
      const dest = rnd() < 0.05 ? 'true' : `"D${Math.floor(rnd() * 3000)}"`;
      const rec = `{"time":${t},"origin":${k === null ? 'null' : JSON.stringify(k)},"delay":${d},"x":${x},"destination":${dest}}`;
      out.push(rnd() < 0.03 ? rec.replace(/,"delay":[^,]*/, '') : rec);
    }
    return out;
  }
  const lines = randomLines(26_000, 5);
  it('every aggregate; a group past 10,000 values (sketch); 1, 2 and 7 shards', async () => {
    await shardsEqualOne(lines, [], ALL, ['origin'], [1, 2, 7], 21);
  }, 30_000);
  it('session windows: sessions spanning shards merge', async () => {
    const few = lines.slice(0, 8000);
    await shardsEqualOne(few, ['window', 'session', '3m', '--by', 'origin', '--time', 'time', '--time-format', 'epoch-ms', 'then'], ALL, ['origin'], [2, 7], 22);
  }, 30_000);
});

describe('merge: producers, watermarks, malformed partials', () => {
  it('two producers through fifos at different speeds: windows close only when both have passed; output equals one process', async () => {
    const dir = tmpdir();
    const lines = FLIGHTS.trim().split('\n').slice(0, 4000);
    const half = lines.length / 2;
    fs.writeFileSync(path.join(dir, 'a.ndjson'), lines.slice(0, half).join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'b.ndjson'), lines.slice(half).join('\n') + '\n');
    const w = ['window', 'tumbling', '1h', '--time', 'time', 'then', 'agg', 'count, max(delay)', 'by', 'origin'];
    const one = sluice(['--from', path.join(FIXTURES, 'flights-20k.ndjson'), 'head', '4000', 'then', ...w]);
    for (const f of ['a', 'b']) expect(spawnSync('mkfifo', [path.join(dir, f + '.fifo')]).status).toBe(0);
    const m = start(['merge', '--producers', '2', path.join(dir, 'a.fifo'), path.join(dir, 'b.fifo')]);
    // Producer a is fast: all of its partials and its end arrive first. The merge may not close any window
    // of b's time range until b's watermark passes it: b trickles.
    const a = shell(`sluice --from ${dir}/a.ndjson ${w.slice(0, 6).join(' ')} agg 'count, max(delay)' by origin --partial --part 0 > ${dir}/a.fifo`);
    expect(a.code).toBe(0);
    const aEnd = lines[half - 1]!.slice(9, 29);
    // Nothing after a's time range can have been written while b has sent nothing.
    const bProc = start(['--from', path.join(dir, 'b.ndjson'), ...w.slice(0, 6), 'agg', 'count, max(delay)', 'by', 'origin', '--partial', '--part', '1']);
    const fifo = fs.createWriteStream(path.join(dir, 'b.fifo'));
    const before = m.stdout;
    expect(before.includes(aEnd.slice(0, 13))).toBe(false);
    await bProc.exited;
    fifo.end(bProc.stdout);
    const r = await m.exited;
    expect(m.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(m.stdout).toBe(one.stdout);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('a corrupt partial, one of another version, one of another aggregate list: malformed records with a clear message', () => {
    const dir = tmpdir();
    const good = sluice(['agg', 'count', 'by', 'k', '--partial'], '{"k":1}\n').stdout;
    const other = sluice(['agg', 'count, sum(v)', 'by', 'k', '--partial'], '{"k":1,"v":2}\n').stdout;
    const f = path.join(dir, 'p.ndjson');
    fs.writeFileSync(f, good + other);
    let r = sluice(['merge', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/merge: malformed partial: a partial of aggregates 'count as count, sum\(v\) as sum_v' by k cannot merge with earlier partials of aggregates 'count as count' by k at .*p.ndjson:2/);
    fs.writeFileSync(f, good + good.replace('"v":1', '"v":2'));
    r = sluice(['merge', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/partial state format version 2, but this sluice reads version 1 at .*:2/);
    fs.writeFileSync(f, good + good.replace('"s":[1]', '"s":["x"]') + '{"k":3}\n' + good);
    r = sluice(['--on-error', 'warn', 'merge', f]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/count as count: bad count at .*:2/);
    expect(r.stderr).toMatch(/not a partial aggregate .* at .*:3/);
    expect(r.stdout).toBe('{"k":1,"count":2}\n');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('merge --partial (combiner tree) then merge equals one merge; --shuffle-key lines are read', () => {
    const dir = tmpdir();
    const lines = FLIGHTS.trim().split('\n');
    const parts: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = sluice(['agg', 'count, avg(delay), first(destination)', 'by', 'origin', '--partial', '--part', String(i), ...(i % 2 ? ['--shuffle-key'] : [])], lines.slice(i * 5000, (i + 1) * 5000).join('\n') + '\n');
      const p = path.join(dir, `p${i}`);
      fs.writeFileSync(p, r.stdout);
      parts.push(p);
    }
    expect(fs.readFileSync(parts[1]!, 'utf8')).toMatch(/^\["[A-Z]+"\]\t\{"origin"/);
    const c1 = sluice(['merge', '--partial', parts[0]!, parts[1]!]).stdout;
    const c2 = sluice(['merge', '--partial', parts[2]!, parts[3]!]).stdout;
    fs.writeFileSync(path.join(dir, 'c'), c2 + c1);
    const top = sluice(['merge', path.join(dir, 'c')]);
    const one = sluice(['agg', 'count, avg(delay), first(destination)', 'by', 'origin'], FLIGHTS);
    expectSameOutput(top.stdout, one.stdout);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('partition into a directory that does not exist is a usage error before any input is read', async () => {
    // stdin stays open and empty: only an error found before reading ends the run.
    const p = start(['partition', '--by', 'origin', '-n', '4', '--to', '/nonexistent-dir/part-{}.ndjson']);
    const r = await p.exited;
    p.child.stdin.end();
    expect(r.code).toBe(2);
    expect(p.stderr).toMatch(/partition: the directory '\/nonexistent-dir' of --to does not exist/);
  });
});

describe('scaling out with plain processes', () => {
  it('Hadoop-style: 3 mappers over 3 slices, partition, sort, 2 merge reducers equal one process', () => {
    const dir = tmpdir();
    const lines = FLIGHTS.trim().split('\n');
    const k = Math.ceil(lines.length / 3);
    for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(dir, `in${i}`), lines.slice(i * k, (i + 1) * k).join('\n') + '\n');
    const aggs = `'count, avg(delay), p95(delay), distinct(destination)' by origin`;
    const script = [
      `cd ${dir} && mkdir -p map`,
      // map: each slice to partials, partitioned by key into 2 reducer inputs
      ...[0, 1, 2].map((i) => `sluice --from in${i} agg ${aggs} --partial --part ${i} then partition --by origin -n 2 --to 'map/m${i}-{}.ndjson'`),
      // shuffle: every mapper's part r goes to reducer r, sorted (as Hadoop sorts by key)
      ...[0, 1].map((r) => `cat map/m*-${r}.ndjson | LC_ALL=C sort > red${r}.in && sluice merge red${r}.in > red${r}.out`),
      `cat red0.out red1.out`,
    ].join(' && ');
    const r = shell(script, 60_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const one = sluice(['agg', 'count, avg(delay), p95(delay), distinct(destination)', 'by', 'origin'], FLIGHTS);
    const sortLines = (s: string) => s.trim().split('\n').sort();
    // Reducers own disjoint keys: the union of their outputs is one process's output (in another order).
    expect(sortLines(r.stdout)).toEqual(sortLines(one.stdout));
    fs.rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  const hasParallel = spawnSync('bash', ['-c', 'command -v parallel']).status === 0;
  it.skipIf(!hasParallel)('the README GNU parallel recipe (--pipepart, {#} as part) equals one process, order included', () => {
    const f = path.join(FIXTURES, 'flights-20k.ndjson');
    const r = shell(
      `parallel --will-cite --pipepart -a ${f} --block 200k -k ${process.execPath} ${BIN} filter "'delay > 0'" then agg --partial --part {#} "'count, avg(delay), first(destination)'" by origin | sluice merge`,
      60_000,
    );
    expect(r.code).toBe(0);
    const one = sluice(['filter', 'delay > 0', 'then', 'agg', 'count, avg(delay), first(destination)', 'by', 'origin'], FLIGHTS);
    expectSameOutput(r.stdout, one.stdout);
  }, 30_000);
});
