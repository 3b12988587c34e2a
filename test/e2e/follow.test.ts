/**
 * End-to-end tests of `--follow` (issue 15): a writer appends, rotates
 * (rename + new file) and truncates while sluice follows two files; every
 * record comes out exactly once, and sluice uses ~no CPU while the writer
 * sleeps. Waits are on sluice's output, never fixed sleeps racing it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sleep, sluice, start } from '../helpers/run.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-follow-'));

function lines(f: string, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += JSON.stringify({ f, i, pad: 'é'.repeat(i % 7) }) + '\n';
  return s;
}

/** CPU time (user + system) of a process in clock ticks, from /proc/PID/stat. */
function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function waitUntil(cond: () => boolean, what: () => string, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting: ${what()}`);
    await sleep(20);
  }
}

describe('--follow', () => {
  it('reads appends, a rotation and a truncation of two files: every record exactly once, no CPU while quiet', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'rot-'));
    const a = path.join(dir, 'a.ndjson');
    const b = path.join(dir, 'b.ndjson');
    fs.writeFileSync(a, lines('a', 0, 1000));
    fs.writeFileSync(b, lines('b', 0, 500));
    const p = start(['-F', '--from', a, '--from', b, 'filter', 'i >= 0']);
    const count = () => p.stdout.split('\n').filter(Boolean).length;
    const state = () => `${count()} lines; stderr: ${p.stderr}`;
    await waitUntil(() => count() === 1500, state);
    // Appends to both, concurrently read.
    fs.appendFileSync(a, lines('a', 1000, 2000));
    fs.appendFileSync(b, lines('b', 500, 700));
    await waitUntil(() => count() === 2700, state);
    // Rotation: rename, a last write to the old file, then a new file by the name.
    fs.renameSync(a, a + '.1');
    fs.appendFileSync(a + '.1', lines('a', 2000, 2010));
    fs.writeFileSync(a, lines('a2', 0, 100));
    await waitUntil(() => count() === 2810, state);
    fs.appendFileSync(a, lines('a2', 100, 150));
    await waitUntil(() => count() === 2860, state);
    // Truncation: noted, then read again from 0.
    fs.truncateSync(b, 0);
    await waitUntil(() => p.stderr.includes('truncated'), state);
    fs.appendFileSync(b, lines('b2', 0, 40));
    await waitUntil(() => count() === 2900, state);
    // Quiet: ~no CPU while the writer sleeps.
    const before = cpuTicks(p.child.pid!);
    await sleep(2500);
    const used = cpuTicks(p.child.pid!) - before;
    expect(used).toBeLessThanOrEqual(10); // clock ticks (10 ms each): at most 4 % of one core; measured 0
    // Writes after the quiet time still arrive.
    fs.appendFileSync(a, lines('a2', 150, 151));
    await waitUntil(() => count() === 2901, state);
    p.child.kill('SIGINT');
    const { code } = await p.exited;
    expect(code).toBe(130);
    const recs = p.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { f: string; i: number });
    const seen = new Map<string, number>();
    for (const r of recs) seen.set(`${r.f}:${r.i}`, (seen.get(`${r.f}:${r.i}`) ?? 0) + 1);
    const expected = [
      ...Array.from({ length: 2010 }, (_, i) => `a:${i}`),
      ...Array.from({ length: 700 }, (_, i) => `b:${i}`),
      ...Array.from({ length: 151 }, (_, i) => `a2:${i}`),
      ...Array.from({ length: 40 }, (_, i) => `b2:${i}`),
    ];
    expect(seen.size).toBe(expected.length);
    for (const k of expected) expect(seen.get(k), k).toBe(1);
    expect(p.stderr).toMatch(/b\.ndjson: file truncated; reading it again from the start/);
  }, 40_000);

  it('waits for a file renamed away until the name comes back', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'gone-'));
    const a = path.join(dir, 'a.ndjson');
    fs.writeFileSync(a, lines('a', 0, 3));
    const p = start(['--follow', '--from', a]);
    await p.waitFor('"i":2');
    fs.renameSync(a, a + '.old');
    await sleep(300);
    fs.writeFileSync(a, lines('n', 0, 2));
    await p.waitFor('"f":"n","i":1', 10_000);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(143);
    expect(p.stdout.split('\n').filter(Boolean)).toHaveLength(5);
  }, 20_000);

  it('with several files, event-time windows follow the slowest source: a fast file does not make a slow one late', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'wm-'));
    const a = path.join(dir, 'a.ndjson');
    const b = path.join(dir, 'b.ndjson');
    const gen = (f: string, from: number, to: number, step: number) => {
      let t = '';
      for (let i = from; i < to; i++) t += JSON.stringify({ f, ts: 1_700_000_000_000 + i * step }) + '\n';
      return t;
    };
    // a (one read: under 64 KiB) is an hour ahead before b has sent anything.
    fs.writeFileSync(a, gen('a', 0, 1200, 3000));
    fs.writeFileSync(b, '');
    const p = start(['-F', '--from', a, '--from', b, 'window', 'tumbling', '10m', '--time', 'ts', 'then', 'agg', 'count', 'by', 'f']);
    await sleep(500);
    fs.appendFileSync(b, gen('b', 0, 1200, 1000));
    // b's first windows close once b has passed them (a, read whole by then, is ahead).
    await p.waitFor(/"f":"b","count":600/, 10_000);
    p.child.kill('SIGINT');
    expect((await p.exited).code).toBe(130);
    expect(p.stderr).not.toMatch(/late/);
    const rows = p.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { f: string; count: number });
    expect(rows.filter((r) => r.f === 'b').reduce((n, r) => n + r.count, 0)).toBe(1200);
    expect(rows.filter((r) => r.f === 'a').reduce((n, r) => n + r.count, 0)).toBe(1200);
  }, 30_000);

  it('is a usage error with stdin', () => {
    const r = sluice(['-F']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--follow reads --from files by name/);
  });

  it('reports a missing file before reading', () => {
    const r = sluice(['-F', '--from', path.join(tmp, 'nope.ndjson')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read .*nope\.ndjson: no such file/);
  });
});
