/**
 * `-j N` by key partitions (parallel/partitioned.ts, partition-run.ts):
 * `over --by` and `window count --by [then agg]` run on every thread, each
 * thread writing the keys whose hash falls to it, the main thread merging
 * by input position. Output identical to `-j 1` (window_id numbering over
 * all keys included); a malformed record or an out-of-order time is said
 * as one thread says it; on 2 threads, and on stdin, no partitions.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES, sluice, start } from '../helpers/run.js';
import { END, type PartitionResult, partitionOf } from '../../src/parallel/partitioned.js';
import { mergeByPosition } from '../../src/parallel/partition-run.js';

const LINES = fs.readFileSync(path.join(FIXTURES, 'flights-20k.ndjson'), 'utf8').trim().split('\n');
const CSV = fs.readFileSync(path.join(FIXTURES, 'flights-20k.csv'), 'utf8').trim().split('\n');
const TRACE = /^sluice: -j trace: 3 key partitions, (\d+) of (\d+) jobs written\n$/;

function withFiles(fn: (ndjson: string, csv: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jp-'));
  try {
    const nd = path.join(dir, 'in.ndjson');
    const csv = path.join(dir, 'in.csv');
    fs.writeFileSync(nd, LINES.slice(0, 9000).join('\n') + '\n');
    fs.writeFileSync(csv, CSV.slice(0, 9001).join('\n') + '\n');
    fn(nd, csv);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('-j 3 by key partitions equals -j 1', () => {
  it.each([
    [['over', 'avg(delay) as ma3', '--rows', '3', '--by', 'origin']],
    [['over', 'count, sum(delay), first(destination)', '--rows', 'all', '--by', 'origin,destination']],
    [['over', 'avg(delay), max(distance)', '--range', '2h', '--time', 'time', '--by', 'origin']],
    [['over', 'row_number(), lag(delay), delta(distance)', '--by', 'destination']],
    [['filter', 'delay > 5', 'then', 'over', 'avg(delay) as ma5', '--rows', '5', '--by', 'origin', 'then', 'head', '300']],
    [['map', 'x = delay * 2', 'then', 'over', 'avg(x)', '--rows', '4', '--by', 'origin']],
    [['window', 'count', '7', '--by', 'origin', 'then', 'agg', 'count, avg(delay), first(destination), last(destination), collect(distance)']],
    [['window', 'count', '6', '--every', '4', '--by', 'origin', 'then', 'agg', 'count, sum(delay), p50(distance)', 'by', 'destination']],
    [['window', 'count', '3', '--by', 'origin,destination']],
    [['window', 'count', '5', '--by', 'origin', 'then', 'agg', 'count, avg(delay)', 'then', 'filter', 'count == 5']],
  ])('%j, NDJSON and CSV (-o ndjson and csv)', (words) => {
    // By key partitions only when their NDJSON goes straight to stdout (nothing after the per-key verb and its agg).
    const last = words.lastIndexOf('then');
    const tail = last < 0 ? '' : words[last + 1];
    const direct = !(tail === 'head' || tail === 'filter');
    withFiles((nd, csv) => {
      for (const [file, fmt] of [[nd, []], [csv, []], [csv, ['-o', 'ndjson']]] as [string, string[]][]) {
        const one = sluice([...fmt, '--from', file, ...words]);
        expect(one.code).toBe(0);
        expect(one.stdout.length).toBeGreaterThan(1000);
        const par = sluice(['-j', '3', ...fmt, '--from', file, ...words], '', { SLUICE_J_CHUNK_BYTES: '20000', SLUICE_J_TRACE: '1' });
        if (direct && !(file === csv && fmt.length === 0)) {
          // Run by key partitions over many ranges (the trace line), not redone in one thread.
          const m = TRACE.exec(par.stderr);
          expect(m, par.stderr).not.toBeNull();
          expect(Number(m![2])).toBeGreaterThan(10);
        } else expect(par.stderr).not.toMatch(/key partitions/);
        expect(par.code).toBe(0);
        expect(par.stdout).toBe(one.stdout);
      }
    });
  });

  it('window_id counts windows over all keys, as one thread does', () => {
    withFiles((nd) => {
      const words = ['window', 'count', '2', '--by', 'origin', 'then', 'agg', 'count'];
      const par = sluice(['-j', '3', '--from', nd, ...words], '', { SLUICE_J_CHUNK_BYTES: '20000' });
      const ids = par.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { window_id: number }).window_id);
      // Every id once, from 0 up: the windows of three threads' keys numbered as one sequence.
      expect([...ids].sort((a, b) => a - b)).toEqual(ids.map((_, i) => i));
      expect(par.stdout).toBe(sluice(['--from', nd, ...words]).stdout);
    });
  });

  it('a malformed record, and a time that goes back in over --range: what one thread writes, its message and status', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jp-'));
    try {
      const bad = path.join(dir, 'bad.ndjson');
      const lines = LINES.slice(0, 6000);
      lines.splice(4000, 0, '{"origin": oops}');
      fs.writeFileSync(bad, lines.join('\n') + '\n');
      const back = path.join(dir, 'back.ndjson');
      const lines2 = LINES.slice(0, 6000);
      lines2.splice(4500, 0, '{"time":"2000-01-01T00:00:00Z","delay":1,"distance":2,"origin":"SFO","destination":"LAX"}');
      fs.writeFileSync(back, lines2.join('\n') + '\n');
      for (const [file, words] of [
        [bad, ['over', 'count', '--rows', '2', '--by', 'origin']],
        [bad, ['window', 'count', '3', '--by', 'origin', 'then', 'agg', 'count']],
        [back, ['over', 'avg(delay)', '--range', '1h', '--time', 'time', '--by', 'origin']],
      ] as [string, string[]][]) {
        const one = sluice(['--from', file, ...words]);
        expect(one.code).toBe(1);
        expect(one.stderr).toMatch(/^sluice: .*:(4001|4501)/);
        const par = sluice(['-j', '3', '--from', file, ...words], '', { SLUICE_J_CHUNK_BYTES: '20000' });
        expect(par.stderr).toBe(one.stderr);
        expect(par.code).toBe(1);
        expect(par.stdout).toBe(one.stdout);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('over: a variance, delta, rate or ewma past the doubles is "Infinity" (as agg writes it) in every output format, by key partitions too', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jp-'));
    try {
      const file = path.join(dir, 'inf.ndjson');
      const lines: string[] = [];
      for (let i = 0; i < 3000; i++) lines.push(JSON.stringify({ t: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(), k: `k${i % 5}`, v: i % 3 === 0 ? 1.5e308 : i % 3 === 1 ? -1.7e308 : 2 }));
      fs.writeFileSync(file, lines.join('\n') + '\n');
      const words = ['over', 'var(v), stddev(v), delta(v), rate(v), ewma(v, 0.5)', '--rows', '3', '--time', 't', '--by', 'k'];
      // One thread: the non-finite results as text (NDJSON wrote null where CSV wrote Infinity; what went
      // through NDJSON between threads came out as an empty CSV cell).
      const nd = sluice(['--from', file, ...words]);
      expect(nd.code).toBe(0);
      expect(nd.stdout.split('\n')[6]).toBe('{"t":"2024-01-01T00:00:06.000Z","k":"k1","v":1.5e+308,"var_v":0,"stddev_v":0,"delta_v":"Infinity","rate_v":"Infinity","ewma_v":-9.999999999999996e+306}');
      expect(nd.stdout.split('\n')[7]).toMatch(/"var_v":"Infinity","stddev_v":"Infinity",.*"rate_v":"-Infinity"/);
      const csv = sluice(['-o', 'csv', '--from', file, ...words]);
      expect(csv.stdout.split('\n')[8]).toBe('2024-01-01T00:00:07.000Z,k2,-1.7e+308,Infinity,Infinity,-1.7e+308,-Infinity,-8.5e+307');
      const par = sluice(['-j', '3', '--from', file, ...words], '', { SLUICE_J_CHUNK_BYTES: '20000', SLUICE_J_TRACE: '1' });
      expect(par.stderr).toMatch(TRACE);
      expect(par.code).toBe(0);
      expect(par.stdout).toBe(nd.stdout);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('not on 2 threads, nor on stdin, nor with over --lateness; --explain says so', () => {
    withFiles((nd) => {
      const words = ['over', 'avg(delay)', '--rows', '3', '--by', 'origin'];
      expect(sluice(['-j', '3', '--explain', '--from', nd, ...words]).stdout + sluice(['-j', '3', '--explain', '--from', nd, ...words]).stderr).toMatch(/by key partitions/);
      const two = sluice(['-j', '2', '--explain', '--from', nd, ...words]);
      expect(two.stdout + two.stderr).not.toMatch(/parallel: 2 threads \(the main thread and 1 worker\) by key partitions/);
      const text = fs.readFileSync(nd, 'utf8');
      const one = sluice(words, text);
      const piped = sluice(['-j', '3', ...words], text, { SLUICE_J_CHUNK_BYTES: '20000', SLUICE_J_TRACE: '1' });
      expect(piped.stderr).not.toMatch(/key partitions/);
      expect(piped.stdout).toBe(one.stdout);
      const late = ['over', 'avg(delay)', '--range', '1h', '--time', 'time', '--lateness', '1h', '--by', 'origin'];
      const lateRun = sluice(['-j', '3', '--from', nd, ...late], '', { SLUICE_J_CHUNK_BYTES: '20000', SLUICE_J_TRACE: '1' });
      expect(lateRun.stderr).not.toMatch(/key partitions/);
      expect(lateRun.stdout).toBe(sluice(['--from', nd, ...late]).stdout);
    });
  });
});

describe('mergeByPosition', () => {
  const part = (blocks: [number, string][]): PartitionResult => {
    let text = '';
    const ends: number[] = [];
    for (const [, t] of blocks) {
      text += t;
      ends.push(text.length);
    }
    return { id: 0, kind: 'part', text, ends: Uint32Array.from(ends), pos: Float64Array.from(blocks.map((b) => b[0])) };
  };
  it('interleaves the threads by position, runs of one thread as one slice, end blocks by window_id', () => {
    const a = part([[0, 'a0\n'], [1, 'a1\n'], [5, 'a5\n'], [END + 2, 'A2\n']]);
    const b = part([[2, 'b2\n'], [3, 'b3\nb3\n'], [END + 0, 'B0\n'], [END + 3, 'B3\n']]);
    const c = part([[4, 'c4\n'], [END + 1, 'C1\n']]);
    expect(mergeByPosition([a, b, c])).toBe('a0\na1\nb2\nb3\nb3\nc4\na5\nB0\nC1\nA2\nB3\n');
    expect(mergeByPosition([part([]), part([])])).toBe('');
  });
  it('partitionOf is MurmurHash3 x86_32 (seed 0) mod n: the same on every run', () => {
    // murmur3("hello") = 0x248bfa47 = 613153351
    expect(partitionOf('hello', 1000)).toBe(613153351 % 1000);
    expect(partitionOf('', 7)).toBe(0);
  });
});

describe('-j with verbs in the main thread: whether the split pays', () => {
  it('leading verbs that pass on most records to a sort: one thread after the first ranges; a selective filter: split', () => {
    withFiles((nd) => {
      const all = ['filter', 'delay > -1000', 'then', 'sort', 'delay'];
      const par = sluice(['-j', '2', '--from', nd, ...all], '', { SLUICE_J_CHUNK_BYTES: '20000', SLUICE_J_DEBUG: '1' });
      // Judged on the first 256 KiB before any job is handed out.
      expect(par.stderr).toBe("sluice: -j: one thread (the leading verbs pass on 100% of the first records, which the main thread's sort would parse again)\n");
      expect(par.stdout).toBe(sluice(['--from', nd, ...all]).stdout);
      // First records filtered out, the later ones kept: split, then judged on the first ranges' results.
      const mixed = path.join(path.dirname(nd), 'mixed.ndjson');
      fs.writeFileSync(mixed, LINES.slice(0, 3500).map((l) => l.replace(/"delay":-?\d+/, '"delay":-5000')).join('\n') + '\n' + LINES.slice(3500, 20000).join('\n') + '\n');
      const late = sluice(['-j', '2', '--from', mixed, ...all], '', { SLUICE_J_CHUNK_BYTES: '20000', SLUICE_J_DEBUG: '1' });
      expect(late.stderr).toMatch(/^sluice: -j: one thread after all \(the leading verbs pass on \d+% of the records, which the main thread's sort would parse again\); 0 bytes were written already\n$/);
      expect(late.stdout).toBe(sluice(['--from', mixed, ...all]).stdout);
      const few = ['filter', 'delay > 90', 'then', 'sort', 'delay'];
      const split = sluice(['-j', '2', '--from', nd, ...few], '', { SLUICE_J_CHUNK_BYTES: '20000', SLUICE_J_DEBUG: '1' });
      expect(split.stderr).toBe('');
      expect(split.stdout).toBe(sluice(['--from', nd, ...few]).stdout);
      // head after them: not judged (it stops the threads early anyway).
      const head = sluice(['-j', '2', '--from', nd, 'filter', 'delay > -1000', 'then', 'head', '3'], '', { SLUICE_J_CHUNK_BYTES: '20000', SLUICE_J_DEBUG: '1' });
      expect(head.stderr).toBe('');
    });
  });
});

describe('-j: the probe of the leading verbs', () => {
  it('a join table with a malformed row: the message one thread gives, no stack trace (the probe built the verbs unguarded)', () => {
    withFiles((nd) => {
      const dir = path.dirname(nd);
      const table = path.join(dir, 'bad.ndjson');
      fs.writeFileSync(table, '{"iata":"ATL","n":1}\n{"iata": oops}\n');
      const words = ['join', table, '--on', 'origin=iata', 'then', 'sort', '-f', 'origin'];
      const one = sluice(['--from', nd, ...words]);
      expect(one.code).toBe(1);
      expect(one.stderr).toMatch(/^sluice: malformed NDJSON: .*bad\.ndjson:2: /);
      const par = sluice(['-j', '2', '--from', nd, ...words], '', { SLUICE_J_CHUNK_BYTES: '20000' });
      expect(par.stderr).toBe(one.stderr);
      expect(par.code).toBe(1);
      expect(par.stdout).toBe('');
    });
  });
});

describe('-j ranges of a source with LF line ends', () => {
  it('a range that starts at a line with a CR alone in it (JSON whitespace) is not read as CR-ended', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jp-'));
    try {
      const file = path.join(dir, 'cr.ndjson');
      // Line 1 ends in LF (one thread reads LF line ends); two lines in three later hold a CR between tokens.
      const lines = LINES.slice(0, 3000).map((l, i) => (i % 3 !== 0 && i > 2 ? l.replace(',', ',\r') : l));
      fs.writeFileSync(file, lines.join('\n') + '\n');
      const map = ['map', 'x = 1'];
      const one = sluice(['--from', file, ...map]);
      expect(one.code).toBe(0);
      expect(one.stdout.split('\n').length).toBe(3001);
      // Was: 'malformed NDJSON ... at cr.ndjson:N' (exit 1) from the range that began at such a line.
      const par = sluice(['-j', '2', '--from', file, ...map], '', { SLUICE_J_CHUNK_BYTES: '4096' });
      expect(par.stderr).toBe('');
      expect(par.code).toBe(0);
      expect(par.stdout).toBe(one.stdout);
      const over = ['over', 'count', '--rows', '2', '--by', 'origin'];
      const parts = sluice(['-j', '3', '--from', file, ...over], '', { SLUICE_J_CHUNK_BYTES: '4096', SLUICE_J_TRACE: '1' });
      expect(parts.stderr).toMatch(TRACE);
      expect(parts.stdout).toBe(sluice(['--from', file, ...over]).stdout);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('-j with CSV or TSV output of CSV or TSV input: unchanged lines as they were read, columns in header order', () => {
  it('a TSV cell with a backslash, a CSV or TSV cell with a CR alone: as -j 1 writes them (their RAW text), not escaped or quoted', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jp-'));
    try {
      const rows = CSV.slice(1, 4001);
      const tsv = path.join(dir, 'in.tsv');
      fs.writeFileSync(tsv, [CSV[0]!, ...rows.map((l, i) => (i % 10 === 9 ? l.replace(/,([A-Z]+),/, ',C:\\$1\\x,') : l))].map((l) => l.replaceAll(',', '\t')).join('\n') + '\n');
      const csv = path.join(dir, 'in.csv');
      fs.writeFileSync(csv, [CSV[0]!, ...rows.map((l, i) => (i % 10 === 9 ? l.replace(/,([A-Z]+),/, ',$1\r$1,') : l))].join('\n') + '\n');
      const tsvCr = path.join(dir, 'cr.tsv');
      fs.writeFileSync(tsvCr, fs.readFileSync(csv, 'utf8').replaceAll(',', '\t'));
      // A header with a backslash (one thread writes the header as read, the main thread from the names).
      const tsvHead = path.join(dir, 'head.tsv');
      fs.writeFileSync(tsvHead, [CSV[0]!.replace('delay', 'de\\lay'), ...rows].map((l) => l.replaceAll(',', '\t')).join('\n') + '\n');
      for (const [file, fmt] of [[tsv, '--tsv'], [csv, '--csv'], [tsvCr, '--tsv'], [tsvHead, '--tsv']]) {
        const words = [fmt, 'filter', file === tsvHead ? 'distance > 0' : 'delay > -1000'];
        const one = sluice([...words, file]);
        expect(one.code).toBe(0);
        expect(one.stdout).toBe(fs.readFileSync(file, 'utf8'));
        // File ranges (was: C:\\ATL\\x, "ATL\rATL", ATL\\rATL from the ranges' NDJSON), and a pipe (TSV was dealt out).
        const par = sluice(['-j', '2', ...words, file], '', { SLUICE_J_CHUNK_BYTES: '20000' });
        expect(par.stdout).toBe(one.stdout);
        expect(par.stderr).toBe('');
        const piped = sluice(['-j', '2', ...words], fs.readFileSync(file, 'utf8'), { SLUICE_J_CHUNK_BYTES: '20000' });
        expect(piped.stdout).toBe(one.stdout);
      }
      // Integer-like column names: one thread writes an unchanged record's columns in header order
      // (CSV and TSV output alike); the threads' NDJSON put them first (1,2,time,... for time,2,...,1).
      const intNames = path.join(dir, 'int.csv');
      fs.writeFileSync(intNames, [CSV[0]!.replace('delay', '2').replace('destination', '1'), ...rows].join('\n') + '\n');
      for (const out of ['csv', 'tsv']) {
        const words = ['--csv', '-o', out, 'filter', 'distance > 0'];
        const one = sluice([...words, intNames]);
        expect(one.stdout.split('\n')[0]).toBe(out === 'csv' ? 'time,2,distance,origin,1' : 'time\t2\tdistance\torigin\t1');
        expect(sluice(['-j', '2', ...words, intNames], '', { SLUICE_J_CHUNK_BYTES: '20000' }).stdout).toBe(one.stdout);
        expect(sluice(['-j', '2', ...words], fs.readFileSync(intNames, 'utf8'), { SLUICE_J_CHUNK_BYTES: '20000' }).stdout).toBe(one.stdout);
      }
      // NDJSON output of them: no RAW text to keep, the ranges run in the workers.
      const nd = sluice(['-j', '2', '--tsv', '-o', 'ndjson', 'filter', 'delay > -1000', tsv], '', { SLUICE_J_CHUNK_BYTES: '20000', SLUICE_J_DEBUG: '1' });
      expect(nd.stderr).toBe('');
      expect(nd.stdout).toBe(sluice(['--tsv', '-o', 'ndjson', 'filter', 'delay > -1000', tsv]).stdout);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('-j 3 by key partitions stops on a signal', () => {
  it('SIGINT: the ranges handed out are finished and written (a prefix of one pass), status 130', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jp-'));
    try {
      const file = path.join(dir, 'big.ndjson');
      const text = LINES.join('\n') + '\n';
      fs.writeFileSync(file, text.repeat(5));
      const words = ['over', 'count', '--rows', 'all', '--by', 'origin'];
      const full = sluice(['--from', file, ...words]).stdout;
      const p = start(['-j', '3', '--from', file, ...words], { SLUICE_J_CHUNK_BYTES: '65536', SLUICE_J_TRACE: '1' });
      // Running once output comes; then stdout is not read, so the run waits on the full pipe
      // (its output is far larger than a pipe holds) until after the signal.
      await p.waitFor('\n', 30_000);
      p.child.stdout.pause();
      p.child.kill('SIGINT');
      p.child.stdout.resume();
      const timer = setTimeout(() => p.child.kill('SIGKILL'), 60_000);
      const { code, signal } = await p.exited;
      clearTimeout(timer);
      expect(signal).toBeNull();
      expect(code).toBe(130);
      expect(p.stderr).toMatch(TRACE);
      expect(p.stdout.length).toBeGreaterThan(0);
      expect(p.stdout.length).toBeLessThan(full.length);
      expect(p.stdout.endsWith('\n')).toBe(true);
      expect(full.startsWith(p.stdout)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('mergeByPosition, defensively', () => {
  it('blocks of two threads at one position (which partitions never write) come out, one at a time, without a standstill', () => {
    const mk = (blocks: [number, string][]): PartitionResult => {
      let text = '';
      const ends: number[] = [];
      for (const [, t] of blocks) ends.push((text += t).length);
      return { id: 0, kind: 'part', text, ends: Uint32Array.from(ends), pos: Float64Array.from(blocks.map((b) => b[0])) };
    };
    expect(mergeByPosition([mk([[1, 'a\n'], [2, 'b\n']]), mk([[1, 'c\n'], [3, 'd\n']])])).toBe('a\nc\nb\nd\n');
  });
});
