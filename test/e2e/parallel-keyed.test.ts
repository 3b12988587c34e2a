/**
 * `-j N` with per-key verbs that keep the first records of each key
 * (`uniq FIELDS`, `uniq`, `head N --by KEYS`) or the last (`tail N [--by
 * KEYS]`): each thread keeps the first (last) N per key of its range, the
 * main thread the first (last) N per key over the ranges in input order
 * (parallel/keyed.ts). Output identical to `-j 1`.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES, sluice } from '../helpers/run.js';

const LINES = fs.readFileSync(path.join(FIXTURES, 'flights-20k.ndjson'), 'utf8').trim().split('\n');
const CSV = fs.readFileSync(path.join(FIXTURES, 'flights-20k.csv'), 'utf8').trim().split('\n');

describe('-j 3 equals -j 1 for first-N-per-key verbs', () => {
  it.each([
    [['uniq', 'origin,destination']],
    [['map', 'x = delay % 5', 'then', 'uniq']],
    [['filter', 'delay > 0', 'then', 'head', '2', '--by', 'origin', 'then', 'select', 'origin,delay']],
    [['filter', 'delay > 0', 'then', 'uniq', 'destination', 'then', 'head', '4']],
    [['filter', 'delay > 30', 'then', 'tail', '3', '--by', 'origin', 'then', 'select', 'origin,delay']],
    [['map', 'x = delay % 4', 'then', 'tail', '25']],
    [['filter', 'delay > 3', 'then', 'uniq', 'origin,destination', '--count', '--as', 'n', 'then', 'sort', '-nr', 'n']],
    [['map', 'x = delay % 7', 'then', 'select', 'origin,x', 'then', 'uniq', '--count']],
    [['top', '5', 'delay']],
    [['filter', 'delay > 0', 'then', 'top', '3', 'distance', 'asc', '--by', 'origin', 'then', 'select', 'origin,distance,delay']],
    [['map', 'x = delay % 3', 'then', 'top', '4', 'x', '--by', 'destination']],
  ])('%j on a file and on stdin', (words) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jk-'));
    const file = path.join(dir, 'in.ndjson');
    const text = LINES.slice(0, 8000).join('\n') + '\n';
    fs.writeFileSync(file, text);
    try {
      {
        const one = sluice(['--from', file, ...words]);
        expect(one.code).toBe(0);
        const par = sluice(['-j', '3', '--from', file, ...words], '', { SLUICE_J_CHUNK_BYTES: '15000', SLUICE_J_TRACE: '1' });
        expect(par.stderr).toMatch(/^sluice: -j trace: \d+ jobs handed out, \d+ written\n$/);
        expect(par.stdout).toBe(one.stdout);
        const piped = sluice(['-j', '2', ...words], text, { SLUICE_J_CHUNK_BYTES: '40000' });
        expect(piped.stderr).toBe(one.stderr);
        expect(piped.stdout).toBe(one.stdout);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a malformed record: the kept records before it, then the message', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jk-'));
    const file = path.join(dir, 'bad.ndjson');
    const lines = LINES.slice(0, 5000);
    lines.splice(4321, 0, '{"delay": oops}');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    try {
      for (const words of [['uniq', 'destination'], ['head', '1', '--by', 'origin,destination']]) {
        const one = sluice(['--from', file, ...words]);
        const par = sluice(['-j', '2', '--from', file, ...words], '', { SLUICE_J_CHUNK_BYTES: '20000' });
        expect(one.code).toBe(1);
        expect(par.code).toBe(1);
        expect(par.stderr).toBe(one.stderr);
        expect(par.stdout).toBe(one.stdout);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--explain shows the first records per key kept in the threads', () => {
    const r = sluice(['-j', '2', '--explain', 'filter', 'a > 1', 'then', 'head', '3', '--by', 'k', 'then', 'sort', 'a']);
    expect(r.stdout).toMatch(/run filter, head \(the first records of each key per range\) .*keeping the first 3 of each key over all ranges, sort; sort stays in the main thread/);
    const c = sluice(['-j', '2', '--explain', 'uniq', 'k', '--count']);
    expect(c.stdout).toMatch(/run uniq \(a count per key per range\) .*the main thread runs the counts per key summed over all ranges, at the end/);
  });

  it('random pipelines with a first-N-per-key verb over random slices (NDJSON and CSV), byte for byte (property)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jk-'));
    const verbArb = fc.oneof(
      fc.integer({ min: -20, max: 120 }).map((k) => ['filter', `delay > ${k}`]),
      fc.integer({ min: 2, max: 9 }).map((k) => ['map', `x = delay % ${k}`]),
    );
    const keyedArb = fc.oneof(
      fc.constantFrom(['uniq', 'origin'], ['uniq', 'origin,destination'], ['uniq'], ['uniq', 'x']),
      fc.tuple(fc.constantFrom('head', 'tail'), fc.integer({ min: 0, max: 4 }), fc.constantFrom('origin', 'destination', 'origin,x')).map(([v, n, k]) => [v, String(n), '--by', k]),
      fc.integer({ min: 0, max: 30 }).map((n) => ['tail', String(n)]),
      fc.constantFrom(['uniq', 'origin', '--count'], ['uniq', 'destination,x', '-c', '--as', 'n']),
      // Whole records counted (x makes repeats), and the N best per key (ties: map's x has few values).
      fc.constantFrom(['select', 'origin,x', 'then', 'uniq', '--count'], ['select', 'x', 'then', 'uniq', '-c', '--as', 'n']),
      fc
        .tuple(fc.integer({ min: 1, max: 5 }), fc.constantFrom('delay', 'x', 'destination', 'nothing'), fc.constantFrom('asc', 'desc'), fc.constantFrom([], ['--by', 'origin'], ['--by', 'x'], ['--by', 'destination,x']))
        .map(([n, f, d, by]) => ['top', String(n), f, d, ...by]),
    );
    const tailArb = fc.constantFrom<string[][]>([], [['head', '9']], [['select', 'origin']], [['sort', '-f', 'origin']]);
    try {
      fc.assert(
        fc.property(fc.array(verbArb, { maxLength: 2 }), keyedArb, tailArb, fc.boolean(), fc.integer({ min: 100, max: 6000 }), fc.integer({ min: 2000, max: 40000 }), (verbs, keyed, tail, csv, n, chunk) => {
          const file = path.join(dir, csv ? 'in.csv' : 'in.ndjson');
          fs.writeFileSync(file, (csv ? CSV.slice(0, n + 1) : LINES.slice(0, n)).join('\n') + '\n');
          const chain = [...verbs, keyed, ...tail];
          const words = chain.flatMap((v, i) => (i === 0 ? v : ['then', ...v]));
          const one = sluice(['--from', file, ...words]);
          const par = sluice(['-j', '3', '--from', file, ...words], '', { SLUICE_J_CHUNK_BYTES: String(chunk) });
          expect(par.stderr).toBe(one.stderr);
          expect(par.code).toBe(one.code);
          expect(par.stdout).toBe(one.stdout);
        }),
        { numRuns: 10, endOnFailure: true },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('tail with more last records in a range than one burst', () => {
  it('the run is redone in one thread: same output, written once', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jk-'));
    const file = path.join(dir, 'tiny.ndjson');
    let s = '';
    for (let i = 0; i < 300000; i++) s += `{"a":${i % 3}}\n`;
    fs.writeFileSync(file, s);
    try {
      const one = sluice(['--from', file, 'tail', '80000', '--by', 'a']);
      const par = sluice(['-j', '2', '--from', file, 'tail', '80000', '--by', 'a'], '', { SLUICE_J_CHUNK_BYTES: '1500000', SLUICE_J_DEBUG: '1' });
      expect(par.stderr).toMatch(/one thread after all \(tail wrote more records of a range than one burst\)/);
      expect(par.stdout).toBe(one.stdout);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('top and whole-record uniq --count in the threads', () => {
  /** Jobs run per thread, from SLUICE_J_DEBUG=2's timings line. */
  const jobsOf = (stderr: string): Record<string, number> => {
    const m = /^sluice: -j timings: (.*)$/m.exec(stderr);
    expect(m).not.toBeNull();
    const o: Record<string, number> = {};
    for (const x of m![1]!.matchAll(/(main|worker \d+): (\d+) jobs/g)) o[x[1]!] = Number(x[2]);
    return o;
  };

  it('the ranges run in the workers (not one thread after all), with ties, nulls and missing values: same output', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jk-'));
    const file = path.join(dir, 'in.ndjson');
    // Few distinct values (many ties), null, text and missing values, empty records.
    const rows: string[] = [];
    for (let i = 0; i < 12000; i++) {
      const k = i % 7;
      rows.push(i % 97 === 0 ? '{}' : i % 13 === 0 ? `{"k":${k % 3},"v":null}` : i % 17 === 0 ? `{"k":${k % 3},"v":"t${i % 4}"}` : i % 19 === 0 ? `{"k":${k % 3}}` : `{"k":${k % 3},"v":${(i * 7919) % 5},"i":${i}}`);
    }
    fs.writeFileSync(file, rows.join('\n') + '\n');
    try {
      for (const words of [
        ['top', '4', 'v'],
        ['top', '3', 'v', 'asc', '--by', 'k'],
        ['filter', 'i > 100', 'then', 'top', '2', 'i', '--by', 'v'],
        ['uniq', '--count'],
        ['select', 'k,v', 'then', 'uniq', '-c', '--as', 'n', 'then', 'sort', '-nr', 'n'],
      ]) {
        const one = sluice(['--from', file, ...words]);
        expect(one.code).toBe(0);
        const par = sluice(['-j', '3', '--from', file, ...words], '', { SLUICE_J_CHUNK_BYTES: '16000', SLUICE_J_DEBUG: '2' });
        const jobs = jobsOf(par.stderr);
        // Split, not redone in one thread; the workers ran ranges.
        expect(par.stderr).not.toMatch(/one thread/);
        expect((jobs['worker 1'] ?? 0) + (jobs['worker 2'] ?? 0)).toBeGreaterThan(0);
        expect(par.code).toBe(0);
        expect(par.stdout).toBe(one.stdout);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uniq --count over records that already have the count field: one thread says so (redone), as -j 1', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jk-'));
    const file = path.join(dir, 'in.ndjson');
    const lines = LINES.slice(0, 5000);
    lines.splice(4000, 0, '{"count":1}');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    try {
      const one = sluice(['--from', file, 'uniq', '--count']);
      expect(one.code).toBe(1);
      const par = sluice(['-j', '2', '--from', file, 'uniq', '--count'], '', { SLUICE_J_CHUNK_BYTES: '20000', SLUICE_J_DEBUG: '1' });
      expect(par.stderr).toBe(`sluice: -j: one thread after all (uniq: a record already has a field 'count': name the count with --as NAME); 0 bytes were written already\n${one.stderr}`);
      expect(par.code).toBe(1);
      expect(par.stdout).toBe(one.stdout);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--explain shows top and uniq --count in the threads', () => {
    const t = sluice(['-j', '2', '--explain', 'filter', 'a > 1', 'then', 'top', '3', 'a', '--by', 'k']);
    expect(t.stdout).toMatch(/run filter, top \(the best records of each key per range\) .*the main thread runs the 3 best records of each key over all ranges \(equal values in input order\), at the end/);
    const u = sluice(['-j', '2', '--explain', 'uniq', '--count']);
    expect(u.stdout).toMatch(/run uniq \(a count per key per range\) .*the main thread runs the counts per key summed over all ranges, at the end/);
    // What stays in the main thread says why.
    const s = sluice(['-j', '2', '--explain', 'filter', 'a > 1', 'then', 'sample', '3', '--by', 'k']);
    expect(s.stdout).toMatch(/sample stays in the main thread: sample's random draws come from one generator over all records in input order/);
    const o = sluice(['-j', '2', '--explain', 'over', 'sum(a)', '--rows', 'all', '--by', 'k']);
    expect(o.stdout).toMatch(/runs in one thread: over comes first: over's frames reach back into the key's records of earlier ranges/);
  });
});
