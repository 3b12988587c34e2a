/**
 * The ordering machinery (src/order, src/sort): key parsing, the total order
 * of values, the external sorter against a stable in-memory sort on random
 * records for budgets from "every record its own run" to "no spill", and
 * the safe file names of split.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rec } from '../../src/engine/types.js';
import { NumText } from '../../src/engine/values.js';
import { compareKeyValues, compileKeyOrder, keyValue, parseSortKeys } from '../../src/order/keys.js';
import { ExternalSorter } from '../../src/sort/external.js';
import { parseSize } from '../../src/sort/size.js';
import { safeName, safePart } from '../../src/fanout/files.js';

let tmp: string;
let oldTmp: string | undefined;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sort-unit-'));
  oldTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
});
afterAll(() => {
  if (oldTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = oldTmp;
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('sort keys', () => {
  it('parses sluice and Miller forms', () => {
    const show = (w: string[]) => parseSortKeys('sort', w).map((k) => `${k.path.join('/')}:${k.desc ? 'd' : 'a'}`);
    expect(show(['a'])).toEqual(['a:a']);
    expect(show(['a', 'desc,', 'b'])).toEqual(['a:d', 'b:a']);
    expect(show(['a desc, b.c asc'])).toEqual(['a:d', 'b/c:a']);
    expect(show(['`x, y` desc'])).toEqual(['x, y:d']);
    expect(show(['-nr', 'count', '-f', 'a,b'])).toEqual(['count:d', 'a:a', 'b:a']);
    expect(() => parseSortKeys('sort', ['-c', 'a'])).toThrow(/Miller's -c/);
    expect(() => parseSortKeys('sort', ['a', 'b'])).toThrow(/'b' after a is not asc or desc/);
    expect(() => parseSortKeys('sort', [])).toThrow(/at least one field/);
  });
  it('orders numbers numerically before text, text by code units, null last', () => {
    const vals: unknown[] = ['b', 10, null, 'a', 9, new NumText(1.5, '1.50'), true, '10', undefined, -3];
    const sorted = vals.map(keyValue).sort(compareKeyValues);
    expect(sorted).toEqual([-3, 1.5, 9, 10, '10', 'a', 'b', 'true', null, null]);
  });
  it('parses sizes', () => {
    expect(parseSize('256MiB', 'x')).toBe(256 * 1024 * 1024);
    expect(parseSize('64k', 'x')).toBe(65536);
    expect(parseSize('1.5G', 'x')).toBe(1.5 * 1024 ** 3);
    expect(() => parseSize('lots', 'x')).toThrow(/not a size/);
  });
});

describe('ExternalSorter', () => {
  const value = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom('a', 'b', 'B', 'é', ''), fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true, min: -3, max: 3 }));
  const record = fc.record({ x: value, y: value, s: fc.string({ maxLength: 30 }) }, { requiredKeys: ['s'] });
  it('equals a stable in-memory sort for any budget (spilled runs, cascaded merges)', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 300 }), fc.constantFrom(1, 200, 2000, 1e9), fc.boolean(), (recs, budget, desc) => {
        const keys = parseSortKeys('sort', [`x ${desc ? 'desc' : 'asc'}, y`]);
        const order = compileKeyOrder(keys);
        const input = recs.map((r, i) => ({ ...r, i }) as Rec);
        const want = input
          .map((r) => ({ k: order.extract(r), r }))
          .sort((a, b) => order.compare(a.k, b.k))
          .map((e) => JSON.stringify(e.r));
        const sorter = new ExternalSorter({ order, maxMemory: budget, verb: 'sort' });
        for (const r of input) sorter.add(r);
        const src = sorter.finish();
        const got: string[] = [];
        for (let b = src.take(7); b.length > 0; b = src.take(7)) for (const r of b) got.push(JSON.stringify(r));
        src.close();
        expect(got).toEqual(want);
        expect(fs.readdirSync(tmp)).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});

describe('ExternalSorter checkpoints', () => {
  const value = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom('a', 'b', 'é'), fc.constant(null));
  const record = fc.record({ x: value, s: fc.string({ maxLength: 20 }) });
  it('snapshots at any points (journal appended, spills between), restored any number of times, equal one uninterrupted sort', async () => {
    const { KeptFiles } = await import('../../src/checkpoint/keep.js');
    fc.assert(
      fc.property(fc.array(record, { maxLength: 200 }), fc.constantFrom(300, 3000, 1e9), fc.array(fc.nat({ max: 200 }), { maxLength: 6 }), fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), (recs, budget, cuts, restarts) => {
        const order = compileKeyOrder(parseSortKeys('sort', ['x']));
        const input = recs.map((r, i) => ({ ...r, i }) as Rec);
        const want = input
          .map((r) => ({ k: order.extract(r), r }))
          .sort((a, b) => order.compare(a.k, b.k))
          .map((e) => JSON.stringify(e.r));
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sortck-'));
        const files = new KeptFiles(path.join(dir, 'c.ckpt'));
        let sorter = new ExternalSorter({ order, maxMemory: budget, verb: 'sort' });
        const points = new Set(cuts);
        let c = 0;
        for (let i = 0; i <= input.length; i++) {
          if (points.has(i)) {
            // A checkpoint through JSON text; maybe a new process restores it.
            const st = JSON.parse(JSON.stringify(sorter.snapshot((f) => files.keep(f), () => files.journal('held')))) as { headers: unknown; runs: string[]; journal: string | null; bytes: number; count: number };
            if (restarts[c++ % restarts.length]) {
              sorter.close();
              sorter = new ExternalSorter({ order, maxMemory: budget, verb: 'sort' });
              sorter.restore(st, st.runs.map((n) => files.path(n)), st.journal === null ? null : files.path(st.journal));
            }
          }
          if (i < input.length) sorter.add(input[i]!);
        }
        const src = sorter.finish();
        const got: string[] = [];
        for (let b = src.take(7); b.length > 0; b = src.take(7)) for (const r of b) got.push(JSON.stringify(r));
        src.close();
        files.removeAll();
        fs.rmSync(dir, { recursive: true, force: true });
        expect(got).toEqual(want);
      }),
      { numRuns: 60 },
    );
  });
});

describe('split file names', () => {
  it('keep safe text, encode the rest, one-to-one', () => {
    expect(safePart('LAS')).toBe('LAS');
    expect(safePart('../x')).toBe('%2E.%2Fx');
    expect(safePart('a b/é')).toBe('a%20b%2F%C3%A9');
    expect(safePart(null)).toBe('%null');
    expect(safePart('')).toBe('%empty');
    expect(safeName(['a', 'b+c'])).toBe('a+b%2Bc');
    fc.assert(
      fc.property(fc.array(fc.option(fc.string(), { nil: null }), { minLength: 1, maxLength: 3 }), fc.array(fc.option(fc.string(), { nil: null }), { minLength: 1, maxLength: 3 }), (a, b) => {
        const na = safeName(a);
        expect(na).toMatch(/^[A-Za-z0-9_.%+~-]+$/);
        expect(na.startsWith('.')).toBe(false);
        if (JSON.stringify(a) !== JSON.stringify(b)) expect(na).not.toBe(safeName(b));
      }),
      { numRuns: 300 },
    );
  });
});
