/**
 * `-j N` (issue 14 item 5): output identical to `-j 1`, order included, for
 * random pipelines over random inputs (fast-check); malformed input stops
 * at the same record with the same message; --explain shows the split.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES, sluice } from '../helpers/run.js';

const LINES = fs.readFileSync(path.join(FIXTURES, 'flights-20k.ndjson'), 'utf8').trim().split('\n');
const CSV = fs.readFileSync(path.join(FIXTURES, 'flights-20k.csv'), 'utf8').trim().split('\n');

const verbArb = fc.oneof(
  fc.integer({ min: -20, max: 120 }).map((k) => ['filter', `delay > ${k}`]),
  fc.integer({ min: 1, max: 9 }).map((k) => ['map', `x = delay * ${k}; y = upper(origin)`]),
  fc.constantFrom(['select', 'origin,delay,time'], ['drop', 'distance'], ['rename', 'delay=d'], ['filter', 'origin ~ "^[A-M]"']),
);
const aggArb = fc.constantFrom(
  ['agg', 'count, avg(delay), first(destination), last(time), p95(delay), collect(destination)', 'by', 'origin'],
  ['agg', 'count, sum(distance), max(destination), distinct(destination), approx_distinct(time)'],
  ['agg', 'count, stddev(delay), median(distance)', 'by', 'destination,origin'],
);
const tailArb = fc.constantFrom<string[][]>([], [['head', '7']], [['window', 'tumbling', '1h', '--time', 'time'], ['agg', 'count', 'by', 'origin']]);

describe('-j 3 equals -j 1', () => {
  it('random pipelines over random slices of flights (NDJSON and CSV), byte for byte', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-j-'));
    fc.assert(
      fc.property(
        fc.array(verbArb, { maxLength: 3 }),
        fc.option(aggArb),
        tailArb,
        fc.boolean(),
        fc.integer({ min: 100, max: 8000 }),
        fc.integer({ min: 2000, max: 60000 }),
        (verbs, agg, tail, csv, n, chunk) => {
          const file = path.join(dir, csv ? 'in.csv' : 'in.ndjson');
          fs.writeFileSync(file, (csv ? CSV.slice(0, n + 1) : LINES.slice(0, n)).join('\n') + '\n');
          let chain = [...verbs, ...(agg ? [agg] : []), ...tail];
          // A renamed or dropped field makes a later verb read null: still a valid pipeline, same on both sides.
          if (chain.length === 0) chain = [['filter', 'delay > 0']];
          const words = chain.flatMap((v, i) => (i === 0 ? v : ['then', ...v]));
          const one = sluice(['--from', file, ...words]);
          const par = sluice(['-j', '3', '--from', file, ...words], '', { SLUICE_J_CHUNK_BYTES: String(chunk) });
          expect(par.stderr).toBe(one.stderr);
          expect(par.code).toBe(one.code);
          expect(par.stdout).toBe(one.stdout);
        },
      ),
      { numRuns: 6, endOnFailure: true },
    );
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('a malformed record: the same output before it, the same message (line in its file), exit 1', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-j-'));
    const file = path.join(dir, 'bad.ndjson');
    const lines = LINES.slice(0, 3000);
    lines.splice(2500, 0, '{"delay": oops}');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const one = sluice(['--from', file, 'filter', 'delay > 10']);
    const par = sluice(['-j', '2', '--from', file, 'filter', 'delay > 10'], '', { SLUICE_J_CHUNK_BYTES: '5000' });
    expect(one.code).toBe(1);
    expect(par.code).toBe(1);
    expect(par.stderr).toBe(one.stderr);
    expect(par.stderr).toMatch(/bad.ndjson:2501/);
    expect(par.stdout).toBe(one.stdout);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('head in the main thread stops every worker: a malformed record far behind is never read', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-j-'));
    const file = path.join(dir, 'long.ndjson');
    // ~1.9 MB of records (about 380 jobs of 5000 bytes), then a malformed one.
    const body = LINES.join('\n') + '\n';
    fs.writeFileSync(file, body + '{"delay": oops}\n');
    const one = sluice(['--from', file, 'filter', 'delay > 10', 'then', 'head', '3']);
    const par = sluice(['-j', '2', '--from', file, 'filter', 'delay > 10', 'then', 'head', '3'], '', { SLUICE_J_CHUNK_BYTES: '5000' });
    expect(one.code).toBe(0);
    expect(par.stderr).toBe('');
    expect(par.code).toBe(0);
    expect(par.stdout).toBe(one.stdout);
    expect(par.stdout.trim().split('\n')).toHaveLength(3);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--explain shows where the pipeline is split', () => {
    const r = sluice(['-j', '2', '--explain', '--from', 'x.ndjson', 'filter', 'delay > 0', 'then', 'agg', 'count', 'by', 'origin', 'then', 'head', '3']);
    expect(r.stdout).toMatch(/parallel: 2 workers run filter, agg \(as partials\) .* the main thread runs merge of the partials, head/);
    const w = sluice(['-j', '2', '--explain', 'window', 'tumbling', '1h', '--time', 't', 'then', 'agg', 'count']);
    expect(w.stdout).toMatch(/runs in one thread/);
  });
});
