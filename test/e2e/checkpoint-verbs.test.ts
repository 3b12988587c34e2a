/**
 * `--checkpoint` with the verbs that hold state until end of input or keep
 * state across records (tail, top, sort with spilled runs, uniq, sample,
 * fill-down, unsparsify, and the per-window forms): a run that follows the
 * first part of the input, is stopped with SIGTERM once its checkpoint covers
 * that part, and is resumed over the whole input, writes byte for byte what
 * one uninterrupted run writes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, sluice } from '../helpers/run.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ckverbs-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** NDJSON records with a key, a number kept as written, gaps for fill-down, and spacing kept as RAW text. */
function records(from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) {
    const k = ['a', 'b', 'c', '__proto__'][i % 4];
    const t = `2024-01-01T00:00:${String(Math.floor(i / 10) % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}Z`;
    const x = i % 5 === 0 ? `${(i * 37) % 101}.50` : String((i * 37) % 101);
    const note = i % 3 === 0 ? null : `"n${i % 7}"`;
    s += i % 2 === 0 ? `{"i":${i},"k":"${k}","t":"${t}","x":${x},"note":${note}}\n` : `{"i": ${i}, "k": "${k}", "t": "${t}", "x": ${x}${note !== null ? `, "note": ${note}` : ''}${i % 11 === 0 ? ', "extra": true' : ''}}\n`;
  }
  return s;
}

/** The checkpoint's body (after its header line). */
function readCheckpoint(file: string): { sources: Array<{ offset: number }>; stages: unknown[] } | null {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return JSON.parse(text.slice(text.indexOf('\n') + 1)) as { sources: Array<{ offset: number }>; stages: unknown[] };
  } catch {
    return null;
  }
}

/**
 * Follow the first part until the checkpoint covers it, SIGTERM, append the
 * rest, resume without -F; returns the output file's text and the one-run text.
 */
async function killAndResume(
  name: string,
  verbsOrMaker: string[] | ((dir: string) => string[]),
  n = 600,
  input: { ext: string; make: (from: number, to: number) => string } = { ext: 'ndjson', make: records },
): Promise<{ resumed: string; once: string; checkpointState: unknown[]; show: string; dir: string }> {
  const records = input.make;
  const d = fs.mkdtempSync(path.join(tmp, name + '-'));
  const verbs = typeof verbsOrMaker === 'function' ? verbsOrMaker(d) : verbsOrMaker;
  const onceVerbs = typeof verbsOrMaker === 'function' ? verbsOrMaker(path.join(d, 'once')) : verbsOrMaker;
  fs.mkdirSync(path.join(d, 'once'));
  const inp = path.join(d, 'in.' + input.ext);
  const ck = path.join(d, 'c.ckpt');
  const out = path.join(d, 'out.ndjson');
  const cut = Math.floor(n / 2);
  const first = records(0, cut);
  fs.writeFileSync(inp, first);
  fs.writeFileSync(out, '');
  const fd = fs.openSync(out, 'a');
  const child = spawn(process.execPath, [BIN, '-F', '--from', inp, '--checkpoint', ck, '--checkpoint-every', '0', ...verbs], { cwd: ROOT, stdio: ['ignore', fd, 'pipe'] });
  fs.closeSync(fd);
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  let exited = false;
  const closed = new Promise<number | null>((resolve) =>
    child.on('close', (c) => {
      exited = true;
      resolve(c);
    }),
  );
  const t0 = Date.now();
  // Ready once a checkpoint covers the whole first part (then the state holds all of it).
  for (;;) {
    const c = readCheckpoint(ck);
    if (c !== null && c.sources[0]?.offset === Buffer.byteLength(first)) break;
    if (exited || Date.now() - t0 > 12_000) {
      child.kill('SIGKILL');
      throw new Error(`no checkpoint covering the first part: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill('SIGTERM');
  const code = await closed;
  expect(code, stderr).toBe(143);
  const state = readCheckpoint(ck)!.stages;
  const show = sluice(['checkpoint', 'show', ck]).stdout;
  fs.appendFileSync(inp, records(cut, n));
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const fd2 = fs.openSync(out, 'a');
    const c2 = spawn(process.execPath, [BIN, '--from', inp, '--checkpoint', ck, ...verbs], { cwd: ROOT, stdio: ['ignore', fd2, 'pipe'] });
    fs.closeSync(fd2);
    let e = '';
    c2.stderr.on('data', (b: Buffer) => (e += b.toString()));
    c2.on('close', (c) => resolve({ code: c, stderr: e }));
  });
  expect(r.code, r.stderr).toBe(0);
  const once = sluice(['--from', inp, ...onceVerbs]);
  expect(once.code, once.stderr).toBe(0);
  return { resumed: fs.readFileSync(out, 'utf8'), once: once.stdout, checkpointState: state, show, dir: d };
}

const W = ['window', 'tumbling', '10s', '--time', 't', 'then'];

const cases: Array<[string, string[]]> = [
  ['tail', ['tail', '7']],
  ['tail --by', ['tail', '2', '--by', 'k']],
  ['top --by', ['top', '3', 'x', '--by', 'k']],
  ['top asc', ['top', '4', 'x', 'asc']],
  ['uniq', ['uniq', 'k,note']],
  ['uniq --count', ['uniq', 'note', '--count']],
  ['uniq whole records', ['select', 'k,note', 'then', 'uniq']],
  ['sample --seed', ['sample', '9', '--seed', '11']],
  ['sample --by --seed', ['sample', '3', '--by', 'k', '--seed', '5']],
  ['sort', ['sort', 'x', 'desc,', 'k']],
  ['fill-down', ['fill-down', 'note']],
  ['fill-down -a', ['fill-down', '-a']],
  ['unsparsify', ['unsparsify']],
  ['over --rows, numeric frame, steps', ['over', 'sum(x), avg(x), count, stddev(x), row_number(), lag(x, 2), delta(x), ewma(x, 0.3)', '--rows', '5', '--by', 'k']],
  ['over --rows, general frame', ['over', 'min(x), first(note), p50(x), distinct(note)', '--rows', '7', '--by', 'k']],
  ['over --rows all', ['over', 'sum(x), max(x), collect(i)', '--rows', 'all', '--by', 'k']],
  ['over --range', ['over', 'count, avg(x), rate(x)', '--range', '2s', '--time', 't', '--by', 'k']],
  ['per window: sort', [...W, 'sort', 'x']],
  ['per window: top', [...W, 'top', '2', 'x', '--by', 'k']],
  ['per window: sample', [...W, 'sample', '2', '--seed', '3']],
  ['per window after agg: tail', [...W, 'agg', 'count,sum(x)', 'by', 'k', 'then', 'tail', '2']],
];

describe('--checkpoint with the stateful verbs: stopped mid-input and resumed equals one run', () => {
  for (const [name, verbs] of cases) {
    it(name, async () => {
      const r = await killAndResume(name.replace(/\W+/g, '-'), verbs);
      expect(r.once.length).toBeGreaterThan(0);
      expect(r.resumed).toBe(r.once);
      // The verb's own state was in the checkpoint (not an empty one), and `checkpoint show` tells its size.
      expect(r.checkpointState.some((s) => s !== null)).toBe(true);
      const verb = verbs[verbs.length - 1 - [...verbs].reverse().findIndex((v) => /^(tail|top|uniq|sample|sort|fill-down|unsparsify|over)$/.test(v))];
      expect(r.show).toMatch(new RegExp(`\\d\\. ${verb}: \\d+(\\.\\d)? (B|KiB)\\n`));
    }, 30_000);
  }

  it('sort with spilled runs: the runs are kept beside the checkpoint, read on resume, removed when the run finishes', async () => {
    const r = await killAndResume('sort-spill', ['sort', 'k,', 'x', '--max-memory', '4k'], 1200);
    expect(r.resumed).toBe(r.once);
    const st = r.checkpointState.find((s) => s !== null) as { runs: string[]; count: number; bytes: number };
    expect(st.runs.length).toBeGreaterThan(1);
    expect(r.show).toMatch(new RegExp(`spilled runs: ${st.runs.length}, [\\d.]+ KiB kept in .*c\\.ckpt\\.files\\n`));
    expect(r.show).toMatch(new RegExp(`\\n +${st.count} records held in memory, in a journal of`));
    const dirs = fs.readdirSync(tmp).filter((f) => f.startsWith('sort-spill-'));
    for (const d of dirs) expect(fs.existsSync(path.join(tmp, d, 'c.ckpt.files'))).toBe(false);
  }, 30_000);
});

/** CSV rows (header first when `from` is 0), with a quoted multi-line cell now and then. */
function csvRows(sep: string) {
  return (from: number, to: number): string => {
    let s = from === 0 ? ['t', 'k', 'x', 'note'].join(sep) + '\n' : '';
    for (let i = from; i < to; i++) {
      const t = `2024-01-01T00:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`;
      const note = sep === ',' && i % 13 === 0 ? '"two\nlines, quoted"' : i % 3 === 0 ? '' : `n${i % 7}`;
      s += [t, ['a', 'b', 'c'][i % 3], i % 5 === 0 ? `${i}.50` : String(i), note].join(sep) + '\n';
    }
    return s;
  };
}

describe('--checkpoint with CSV, TSV, logfmt and lines input and output', () => {
  const csv = { ext: 'csv', make: csvRows(',') };
  const tsv = { ext: 'tsv', make: csvRows('\t') };

  it('CSV to CSV through windows and agg: resumed equals one run, one header', async () => {
    const r = await killAndResume('csv-window', ['window', 'tumbling', '1m', '--time', 't', 'then', 'agg', 'count,sum(x),first(note)', 'by', 'k'], 600, csv);
    expect(r.resumed).toBe(r.once);
    expect(r.resumed.split('\n').filter((l) => l.startsWith('window_start,')).length).toBe(1);
  }, 30_000);

  it('CSV to CSV record by record (output before the stop): the header is not written twice', async () => {
    const r = await killAndResume('csv-filter', ['filter', 'x % 2 == 0'], 600, csv);
    expect(r.resumed).toBe(r.once);
    expect(r.resumed.split('\n').filter((l) => l === 't,k,x,note').length).toBe(1);
    expect(r.show).toMatch(/header: t, k, x, note\n/);
    expect(r.show).toMatch(/output columns \(header written\): t, k, x, note\n/);
  }, 30_000);

  it('CSV to CSV with a stateful verb (sort)', async () => {
    const r = await killAndResume('csv-sort', ['sort', 'k,', 'x', 'desc'], 600, csv);
    expect(r.resumed).toBe(r.once);
  }, 30_000);

  it('tee into a CSV file: the file is truncated back and appended to, its header written once', async () => {
    const r = await killAndResume('csv-tee', (d) => ['filter', 'x % 3 == 0', 'then', 'tee', path.join(d, 'copy.csv'), 'then', 'tail', '2'], 600, csv);
    expect(r.resumed).toBe(r.once);
    const teed = fs.readFileSync(path.join(r.dir, 'copy.csv'), 'utf8');
    expect(teed).toBe(fs.readFileSync(path.join(r.dir, 'once', 'copy.csv'), 'utf8'));
    expect(teed.split('\n').filter((l) => l === 't,k,x,note').length).toBe(1);
    expect(teed.split('\n').length).toBeGreaterThan(150);
  }, 30_000);

  it('split into CSV files: each is truncated back and appended to, its header written once', async () => {
    const r = await killAndResume('csv-split', (d) => ['split', '--by', 'k', '--to', path.join(d, 'parts', '{}.csv'), '--max-open', '2', 'then', 'tail', '1'], 600, csv);
    expect(r.resumed).toBe(r.once);
    const names = fs.readdirSync(path.join(r.dir, 'parts')).sort();
    expect(names).toEqual(['a.csv', 'b.csv', 'c.csv']);
    for (const n of names) {
      const text = fs.readFileSync(path.join(r.dir, 'parts', n), 'utf8');
      expect(text).toBe(fs.readFileSync(path.join(r.dir, 'once', 'parts', n), 'utf8'));
      expect(text.split('\n').filter((l) => l === 't,k,x,note').length).toBe(1);
    }
  }, 30_000);

  it('TSV to TSV with tail --by', async () => {
    const r = await killAndResume('tsv-tail', ['tail', '3', '--by', 'k'], 600, tsv);
    expect(r.resumed).toBe(r.once);
  }, 30_000);

  it('logfmt and lines input', async () => {
    const logfmt = (from: number, to: number) => {
      let s = '';
      for (let i = from; i < to; i++) s += `level=${i % 4 === 0 ? 'warn' : 'info'} i=${i} msg="hello ${i}"\n`;
      return s;
    };
    const a = await killAndResume('logfmt', ['uniq', 'level', '--count'], 400, { ext: 'logfmt', make: logfmt });
    expect(a.resumed).toBe(a.once);
    const b = await killAndResume('lines', ['-i', 'lines', 'tail', '4'], 400, { ext: 'log', make: logfmt });
    expect(b.resumed).toBe(b.once);
  }, 30_000);
});
