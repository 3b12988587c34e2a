/**
 * The kill test of checkpoints, small (issue 15; the full one, 2,000,000
 * records and 10 kills, is bench/kill-test.js): a generated NDJSON log with
 * out-of-order times, late records and malformed lines, through
 * `filter then window tumbling 1m --lateness 30s --late-output then agg
 * 'count, avg(x), p95(x), approx_distinct(u)' by k`, SIGKILLed 3 times at
 * random moments (each after a checkpoint of its own run) and restarted:
 * results, late and errors files byte-identical to one uninterrupted run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM JavaScript without type declarations
import * as kill from '../../bench/kill-test.js';

const { generateLog, generateCsvLog, killRun } = kill as {
  generateLog: (file: string, records: number, seed?: number) => number;
  generateCsvLog: (file: string, records: number, seed?: number) => number;
  killRun: (o: { log: string; refDir: string; killDir: string; kills: number; every?: string; seed?: number; killWithinMs?: number }) => Promise<{
    killsLanded: number;
    runs: number;
    identical: Record<string, boolean>;
    bytes: Record<string, number>;
    ok: boolean;
  }>;
};

describe('checkpoint kill test (small)', () => {
  it('3 SIGKILLs and restarts give byte-identical results, late and errors files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kill-'));
    const log = path.join(dir, 'log.ndjson');
    generateLog(log, 60_000, 11);
    const refDir = fs.mkdtempSync(path.join(dir, 'ref-'));
    const killDir = fs.mkdtempSync(path.join(dir, 'kill-'));
    // A checkpoint after every output batch and a kill within 40 ms of a run's
    // first checkpoint: every kill lands before the run ends however fast or
    // loaded the machine (a 100 ms period raced the ~1 s run on a quiet one).
    const r = await killRun({ log, refDir, killDir, kills: 3, every: '0', seed: 5, killWithinMs: 40 });
    // The files are not trivial: results, late records and malformed lines.
    expect(r.bytes['results.ndjson']).toBeGreaterThan(10_000);
    expect(r.bytes['late.ndjson']).toBeGreaterThan(1000);
    expect(r.bytes['errors.ndjson']).toBeGreaterThan(1000);
    expect(r.identical).toEqual({ 'results.ndjson': true, 'late.ndjson': true, 'errors.ndjson': true });
    expect(r.killsLanded).toBe(3);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('CSV in and out: 3 SIGKILLs and restarts give byte-identical results (one header), late and errors files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kill-csv-'));
    const log = path.join(dir, 'log.csv');
    generateCsvLog(log, 40_000, 13);
    const refDir = fs.mkdtempSync(path.join(dir, 'ref-'));
    const killDir = fs.mkdtempSync(path.join(dir, 'kill-'));
    const r = await killRun({ log, refDir, killDir, kills: 3, every: '0', seed: 7, killWithinMs: 40 });
    const results = fs.readFileSync(path.join(killDir, 'results.ndjson'), 'utf8');
    expect(results.startsWith('window_start,window_end,k,count,avg_x,p95_x,approx_distinct_u\n')).toBe(true);
    expect(results.split('\n').filter((l) => l.startsWith('window_start,')).length).toBe(1);
    expect(r.bytes['results.ndjson']).toBeGreaterThan(10_000);
    expect(r.bytes['late.ndjson']).toBeGreaterThan(500);
    expect(r.bytes['errors.ndjson']).toBeGreaterThan(500);
    expect(r.identical).toEqual({ 'results.ndjson': true, 'late.ndjson': true, 'errors.ndjson': true });
    expect(r.killsLanded).toBe(3);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
