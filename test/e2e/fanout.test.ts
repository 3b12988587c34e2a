/**
 * tee and split (issue 11): files written as stdout would write them,
 * records passed on, outputs that are inputs refused, failed writes exit 1,
 * split's LRU of open files giving the same files, safe file names.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIXTURES, shell, sluice } from '../helpers/run.js';

const FLIGHTS = path.join(FIXTURES, 'flights-20k.csv');
let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-fanout-test-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('tee', () => {
  it('writes every record passing through, as read, and passes them on to the next verb', () => {
    const out = path.join(tmp, 'all.csv');
    const r = sluice(['--csv', '--from', FLIGHTS, 'tee', out, 'then', 'filter', 'delay > 600']);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toBe(fs.readFileSync(FLIGHTS, 'utf8'));
    expect(r.stdout).toBe(sluice(['--csv', '--from', FLIGHTS, 'filter', 'delay > 600']).stdout);
  });
  it('writes before later verbs change the records; format by extension', () => {
    const out = path.join(tmp, 'copy.ndjson');
    const r = sluice(['--csv', '--from', FLIGHTS, 'head', '50', 'then', 'tee', out, 'then', 'map', 'delay = 0']);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toBe(sluice(['-i', 'csv', '-o', 'ndjson', '--from', FLIGHTS, 'head', '50']).stdout);
  });
  it('refuses a file that is an input (exit 2, file untouched), also as redirected stdin', () => {
    const copy = path.join(tmp, 'in.csv');
    fs.copyFileSync(FLIGHTS, copy);
    const a = sluice(['--csv', '--from', copy, 'tee', copy]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/tee(:| output) .*in\.csv is also an input/);
    const b = shell(`sluice --csv tee '${copy}' < '${copy}'`);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/is also an input/);
    expect(fs.readFileSync(copy, 'utf8')).toBe(fs.readFileSync(FLIGHTS, 'utf8'));
  });
  it('a failed write is exit 1 with the reason in words', () => {
    const r = sluice(['--csv', '--from', FLIGHTS, 'tee', '/dev/full']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('sluice: tee: cannot write /dev/full: no space left on device (ENOSPC)\n');
  });
});

describe('split', () => {
  it('one file per group, each equal to a filter of that group; passes records on', () => {
    const r = sluice(['--csv', '--from', FLIGHTS, 'split', '--by', 'origin', '--to', path.join(tmp, 'o/{}.csv'), 'then', 'agg', 'count']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('count\n20000\n');
    const files = fs.readdirSync(path.join(tmp, 'o')).sort();
    expect(files.length).toBe(222);
    for (const f of ['LAS.csv', 'ABE.csv', 'ORD.csv']) {
      const want = sluice(['--csv', '--from', FLIGHTS, 'filter', `origin == "${f.slice(0, 3)}"`]).stdout;
      expect(fs.readFileSync(path.join(tmp, 'o', f), 'utf8')).toBe(want);
    }
  });
  it('with at most 2 open files (LRU closed and reopened for append) the files are the same', () => {
    const a = sluice(['--csv', '--from', FLIGHTS, 'split', '--by', 'origin', '--to', path.join(tmp, 'a/{}.csv')]);
    const b = sluice(['--csv', '--from', FLIGHTS, 'split', '--by', 'origin', '--to', path.join(tmp, 'b/{}.csv'), '--max-open', '2']);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const fa = fs.readdirSync(path.join(tmp, 'a')).sort();
    expect(fs.readdirSync(path.join(tmp, 'b')).sort()).toEqual(fa);
    expect(fa.length).toBe(222);
    for (const f of fa) expect(fs.readFileSync(path.join(tmp, 'b', f), 'utf8')).toBe(fs.readFileSync(path.join(tmp, 'a', f), 'utf8'));
  });
  it('file names are safe and distinct whatever the key text', () => {
    const keys = ['../../escape', '/abs', '.hidden', '..', '', null, 'a+b', 'a%2Bb', 'é', 'x'.repeat(300), 'x'.repeat(299) + 'y', 'con', 'a\nb'];
    const input = keys.map((k) => JSON.stringify({ k })).join('\n') + '\n{}\n';
    const r = sluice(['split', '--by', 'k', '--to', path.join(tmp, 'd/{}.ndjson')], input);
    expect(r.code).toBe(0);
    const files = fs.readdirSync(path.join(tmp, 'd'));
    // null and missing are one group; every other key its own file, all inside d/.
    expect(files.length).toBe(keys.length);
    expect(fs.readdirSync(tmp)).toEqual(['d']);
    for (const f of files) {
      expect(f).toMatch(/^[A-Za-z0-9_.%+~-]+$/);
      expect(f.startsWith('.')).toBe(false);
      expect(f.length).toBeLessThanOrEqual(210);
    }
    expect(fs.readFileSync(path.join(tmp, 'd', '%null.ndjson'), 'utf8')).toBe('{"k":null}\n{}\n');
  });
  it('usage errors', () => {
    expect(sluice(['split', '--by', 'k', '--to', 'x.csv']).stderr).toMatch(/has no \{\}/);
    expect(sluice(['split', '--to', 'x/{}.csv']).code).toBe(2);
    expect(sluice(['split', '--by', 'k', '--to', 'x/{}.csv', '--max-open', '0']).code).toBe(2);
  });
});

describe('split with several keys', () => {
  it('joins the key parts with +', () => {
    const r = sluice(['--csv', '--from', FLIGHTS, 'head', '3', 'then', 'split', '--by', 'origin,destination', '--to', path.join(tmp, '{}.csv')]);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(tmp).sort()).toEqual(['ATL+SAV.csv', 'LAS+PHL.csv', 'MCI+MDW.csv']);
  });
});
