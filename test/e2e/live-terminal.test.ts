/**
 * Issue 12, "Live terminal", under a pseudo-terminal (util-linux `script`;
 * the tests are skipped where it is missing): `agg --every -o table` redraws
 * in place on a terminal and writes labelled blocks elsewhere; a long file
 * read shows a progress line on a terminal's stderr, cleared at the end, and
 * none when stderr is not a terminal or with --no-progress; a terminal on
 * stdin with no input file gets a hint.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURES } from '../helpers/run.js';

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const CLEAR = '\x1b[H\x1b[2J';
let dir: string;
let big: string;

/**
 * Run a bash command line under a pseudo-terminal; `sluice` is bin/sluice.js.
 * Returns what the terminal received (script's typescript file, `$TS` in
 * the command, which a producer may watch for sluice's output).
 */
function underPty(cmd: string, timeout = 30_000): { out: string; code: number | null } {
  const ts = path.join(dir, `typescript-${Math.random().toString(36).slice(2)}`);
  const line = `TS=${shq(ts)}; sluice() { "${process.execPath}" "${BIN}" "$@"; }; ${cmd}`;
  const r = spawnSync('script', ['-qfec', `bash -c ${shq(line)}`, ts], {
    encoding: 'utf8',
    timeout,
    // The bar shows at once (it waits 300 ms by default, so that quick runs never flicker one).
    env: { ...process.env, NO_COLOR: '1', TERM: 'xterm', SLUICE_PROGRESS_DELAY_MS: '0' },
    cwd: dir,
    input: '',
  });
  const out = fs.readFileSync(ts, 'utf8');
  // script's typescript opens and closes with a line of its own (not with -q on every version).
  return { out: out.replace(/^Script started[^\n]*\n/, '').replace(/\n?Script done[^\n]*\n?$/, ''), code: r.status };
}
function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
function plain(cmd: string, timeout = 30_000) {
  const r = spawnSync('bash', ['-c', `sluice() { "${process.execPath}" "${BIN}" "$@"; }; ${cmd}`], {
    encoding: 'utf8',
    timeout,
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', SLUICE_PROGRESS_DELAY_MS: '0' },
  });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}

/**
 * Input that trickles until the file `watch` shows three snapshots (lines
 * matching `pattern`; at most 30 s):
 * one record of key b, then a record of key a every 50 ms. No fixed sleep
 * races sluice: the producer waits for what sluice has written.
 */
const trickle = (watch: string, pattern = 'snapshot 20') =>
  `(printf '{"k":"b"}\\n'; i=0; while [ "$(cat ${watch} 2>/dev/null | grep -c '${pattern}')" -lt 3 ] && [ $i -lt 600 ]; do printf '{"k":"a"}\\n'; i=$((i+1)); sleep 0.05; done)`;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-live-'));
  // ~11 MB of CSV: above the progress threshold (4 MiB).
  const src = fs.readFileSync(path.join(FIXTURES, 'flights-20k.csv'), 'utf8');
  const body = src.slice(src.indexOf('\n') + 1);
  big = path.join(dir, 'big.csv');
  const fd = fs.openSync(big, 'w');
  fs.writeSync(fd, src);
  for (let i = 0; i < 15; i++) fs.writeSync(fd, body);
  fs.closeSync(fd);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasScript)('live terminal (pseudo-terminal via script)', () => {
  it('agg --every -o table on a terminal redraws each snapshot in place', () => {
    const r = underPty(`${trickle('"$TS"')} | sluice agg count by k --every 200ms -o table`);
    expect(r.code).toBe(0);
    const frames = r.out.split(CLEAR).slice(1);
    // Periodic snapshots and the final one, each a whole screen drawn from the top.
    expect(frames.length).toBeGreaterThanOrEqual(3);
    for (const f of frames) expect(f.replace(/\r/g, '')).toMatch(/^snapshot \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\nk +count\nb +1\n(a +\d+\n)?$/);
    expect(r.out.slice(0, r.out.indexOf(CLEAR))).not.toContain('snapshot');
  });

  it('not on a terminal: snapshot blocks one after another, no escape codes', () => {
    const r = plain(`${trickle('out.txt')} | sluice agg count by k --every 200ms -o table > out.txt; cat out.txt`);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\x1b');
    const blocks = r.stdout.trimEnd().split('\n\n');
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const b of blocks) expect(b).toMatch(/^snapshot \S+Z\nk +count\nb +1(\na +\d+)?$/);
    // NDJSON: each record leads with its snapshot time; times grow.
    const nd = plain(`${trickle('out.ndjson', '"k":"b"')} | sluice agg count by k --every 200ms > out.ndjson; cat out.ndjson`);
    const recs = nd.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(recs[0]!)).toEqual(['snapshot', 'k', 'count']);
    const times = recs.map((x) => Date.parse(x.snapshot as string));
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    expect(new Set(times).size).toBeGreaterThanOrEqual(3);
  });

  it('a long file read shows a progress line on a terminal, cleared at the end', () => {
    const r = underPty(`sluice agg count ${shq(big)}`);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/sluice: reading .*% \| [\d.]+\/11\.\d MiB \| \d+ records\/s \| ETA/);
    // The result is there, and the last thing on the terminal is the cleared line.
    expect(r.out).toContain('count\r\n320000\r\n');
    expect(r.out.endsWith('\x1b[2K')).toBe(true);
    // --no-progress: no line.
    const q = underPty(`sluice --no-progress agg count ${shq(big)}`);
    expect(q.out).not.toContain('sluice: reading');
    expect(q.out.replace(/\r/g, '')).toBe('count\n320000\n');
  });

  it('no progress line when stderr is not a terminal (even with stdout on one)', () => {
    const r = underPty(`sluice agg count ${shq(big)} 2>/dev/null`);
    expect(r.out.replace(/\r/g, '')).toBe('count\n320000\n');
    const p = plain(`sluice agg count ${shq(big)}`);
    expect(p.stderr).toBe('');
    expect(p.stdout).toBe('count\n320000\n');
  });

  it('a terminal on stdin with no input file gets a hint on stderr, not a silent wait', () => {
    // script's own stdin is empty: the terminal sees end of input (Ctrl-D) at once.
    const r = underPty(`sluice head 1 2>&1 >/dev/null`, 15_000);
    expect(r.out).toContain('sluice: reading records from the terminal: type them and end with Ctrl-D, or name a file');
    const p = plain('sluice head 1 < /dev/null');
    expect(p.stderr).toBe('');
  });
});
