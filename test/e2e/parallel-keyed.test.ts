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
        { numRuns: 6, endOnFailure: true },
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
