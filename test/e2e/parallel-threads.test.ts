/**
 * `-j N` uses no more threads than its input pays for (parallel/pool.ts
 * THREAD_BYTES, 48 MiB per thread by default: a thread's start and V8
 * warm-up cost more than it saves on less). Set small here with
 * SLUICE_J_THREAD_BYTES so that the fixtures cross it; SLUICE_J_DEBUG=2
 * shows which threads ran jobs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FIXTURES, shell, sluice } from '../helpers/run.js';

const flights = path.join(FIXTURES, 'flights-20k.ndjson');
const size = fs.statSync(flights).size;
/** Split into ranges of 64 KiB (the fixture is ~2 MB): many ranges either way. */
const env = (threadBytes: number) => ({ SLUICE_J_CHUNK_BYTES: String(64 * 1024), SLUICE_J_DEBUG: '2', SLUICE_J_THREAD_BYTES: String(threadBytes) });
const args = ['filter', 'delay > 60', 'then', 'agg', 'count, avg(delay)', 'by', 'origin', flights];

describe('-j N: at most one thread per SLUICE_J_THREAD_BYTES of input', () => {
  const one = sluice(['-j', '1', ...args]);

  it('under two threads\' worth: one thread, the same output, and --explain says why', () => {
    const r = sluice(['-j', '2', ...args], '', env(Math.floor(size / 1.5)));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(one.stdout);
    expect(r.stderr).toMatch(/-j: one thread \(the input \([\d.]+ MB\) is under 2 × /);
    expect(r.stderr).not.toMatch(/worker 1: /);
    const x = sluice(['--explain', '-j', '2', ...args], '', env(Math.floor(size / 1.5)));
    expect(x.stdout + x.stderr).toMatch(/parallel: 2 threads requested; runs in one thread: the input/);
  });

  it('-j 4 with two threads\' worth: two threads (the main thread and one worker)', () => {
    const r = sluice(['-j', '4', ...args], '', env(Math.floor(size / 2.5)));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(one.stdout);
    expect(r.stderr).toMatch(/worker 1: [1-9]\d* jobs/);
    expect(r.stderr).not.toMatch(/worker 2: /);
    const x = sluice(['--explain', '-j', '4', ...args], '', env(Math.floor(size / 2.5)));
    expect(x.stdout + x.stderr).toMatch(/parallel: 2 threads \(the main thread and 1 worker\)/);
  });

  it('stdin that is a regular file counts as its bytes, as a file named does (it is split into ranges like one)', () => {
    // `sluice -j 2 ... < file` split a file under two threads' worth that `sluice -j 2 ... file` kept in one thread.
    const cmd = (threadBytes: number) =>
      `SLUICE_J_CHUNK_BYTES=${64 * 1024} SLUICE_J_DEBUG=2 SLUICE_J_THREAD_BYTES=${threadBytes} sluice -j 2 ${args.slice(0, -1).map((a) => `'${a}'`).join(' ')} < '${flights}'`;
    const small = shell(cmd(Math.floor(size / 1.5)), 60_000);
    expect(small.code, small.stderr).toBe(0);
    expect(small.stdout).toBe(one.stdout);
    expect(small.stderr).toMatch(/-j: one thread \(the input \([\d.]+ MB\) is under 2 × /);
    expect(small.stderr).not.toMatch(/worker 1: /);
    // Control: two threads' worth of stdin runs two threads.
    const big = shell(cmd(Math.floor(size / 2.5)), 60_000);
    expect(big.code, big.stderr).toBe(0);
    expect(big.stdout).toBe(one.stdout);
    expect(big.stderr).toMatch(/worker 1: [1-9]\d* jobs/);
  });

  it('an empty SLUICE_J_THREAD_BYTES is the default (not 0), and the message gives the minimum as set', () => {
    // '' was Number('') = 0: no minimum. And 1.33 MiB was written "2 × 1 MiB", 0.2 MiB "2 × 0 MiB".
    const r = sluice(['-j', '2', ...args], '', { ...env(0), SLUICE_J_THREAD_BYTES: '' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(one.stdout);
    expect(r.stderr).toMatch(/-j: one thread \(the input \([\d.]+ MB\) is under 2 × 48 MiB/);
    expect(r.stderr).not.toMatch(/worker 1: /);
    const s = sluice(['-j', '2', ...args], '', env(Math.round(size / 1.5)));
    expect(s.stderr).toContain(`is under 2 × ${(Math.round(size / 1.5) / 1048576).toPrecision(3)} MiB`);
  });

  it('0 is no minimum: every thread asked for runs jobs', () => {
    const r = sluice(['-j', '3', ...args], '', env(0));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(one.stdout);
    expect(r.stderr).toMatch(/worker 2: [1-9]\d* jobs/);
  });
});

describe('-j N on gzip: counted by its compressed size (the main thread decompresses it alone)', () => {
  it('a gzip file under two threads\' worth runs in one thread; over it, in two', () => {
    const gz = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jgz-')), 'flights.ndjson.gz');
    fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(flights)));
    const words = ['-j', '2', 'filter', 'delay > 60', 'then', 'agg', 'count', 'by', 'origin', gz];
    const want = sluice(['-j', '1', 'filter', 'delay > 60', 'then', 'agg', 'count', 'by', 'origin', flights]).stdout;
    const small = sluice(words, '', env(Math.floor(fs.statSync(gz).size / 1.5)));
    expect(small.code, small.stderr).toBe(0);
    expect(small.stdout).toBe(want);
    expect(small.stderr).toMatch(/-j: one thread \(the input/);
    const big = sluice(words, '', env(Math.floor(fs.statSync(gz).size / 2.5)));
    expect(big.stdout).toBe(want);
    expect(big.stderr).toMatch(/worker 1: [1-9]\d* jobs/);
    fs.rmSync(path.dirname(gz), { recursive: true, force: true });
  });
});
