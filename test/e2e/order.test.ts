/**
 * End-to-end tests of the ordering verbs (issue 11) beyond the DuckDB
 * comparisons: the sort spill path (identical output, temporary directory
 * removed), SIGINT in the middle of the merge, Window Top-N on a trickling
 * stream, tail, sample, uniq of whole records, and usage errors.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIXTURES, sluice, start } from '../helpers/run.js';

const FLIGHTS = path.join(FIXTURES, 'flights-20k.csv');
const FLIGHTS_ND = path.join(FIXTURES, 'flights-20k.ndjson');

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-order-test-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Spill directories sort left in `dir`. */
const spillDirs = (dir: string) => fs.readdirSync(dir).filter((n) => n.startsWith('sluice-sort-'));

describe('sort spills to temporary files', () => {
  for (const [name, file, fmt] of [
    ['CSV', FLIGHTS, '--csv'],
    ['NDJSON', FLIGHTS_ND, '--ndjson'],
  ] as const) {
    it(`${name}: output with a tiny --max-memory equals the in-memory sort; the temporary directory is gone`, () => {
      const env = { TMPDIR: tmp };
      const mem = sluice([fmt, '--from', file, 'sort', 'destination, delay desc'], '', env);
      expect(mem.code).toBe(0);
      const spilled = sluice([fmt, '--from', file, 'sort', 'destination, delay desc', '--max-memory', '64k'], '', env);
      expect(spilled.stderr).toBe('');
      expect(spilled.code).toBe(0);
      expect(spilled.stdout).toBe(mem.stdout);
      expect(spilled.stdout.split('\n').length).toBe(fs.readFileSync(file, 'utf8').split('\n').length);
      expect(spillDirs(tmp)).toEqual([]);
    });
  }

  it('more runs than the merge fan-in (cascaded merge) still sorts stably', () => {
    // 4 KiB per run: about 2,000 runs, merged 64 at a time first.
    const r = sluice(['--csv', '--from', FLIGHTS, 'sort', 'origin', '--max-memory', '4k', 'then', 'select', 'origin,time'], '', { TMPDIR: tmp });
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows.length).toBe(20000);
    for (let i = 1; i < rows.length; i++) {
      const [o0, t0] = rows[i - 1]!;
      const [o1, t1] = rows[i]!;
      expect(o0! < o1! || (o0 === o1 && t0! <= t1!)).toBe(true);
    }
    expect(spillDirs(tmp)).toEqual([]);
  });

  it('RAW text (NDJSON with blanks) and numbers written exactly survive the spill', () => {
    const input = ['{"k":3,"v":1.50}', '{"k":1,"v":12345678901234567890}', '{"k":2,"v":"02134"}', '{"k":2, "v":null}'].join('\n') + '\n';
    const want = ['{"k":1,"v":12345678901234567890}', '{"k":2,"v":"02134"}', '{"k":2, "v":null}', '{"k":3,"v":1.50}'].join('\n') + '\n';
    expect(sluice(['sort', 'k'], input).stdout).toBe(want);
    expect(sluice(['sort', 'k', '--max-memory', '1'], input, { TMPDIR: tmp }).stdout).toBe(want);
    expect(spillDirs(tmp)).toEqual([]);
  });

  it('SIGINT in the middle of the merge: exit 130, a sorted prefix written, the temporary directory removed', async () => {
    const n = 200_000;
    const input: string[] = [];
    for (let i = 0; i < n; i++) input.push(`{"k":${(i * 7919) % 100003},"i":${i}}`);
    const p = start(['sort', 'k', '--max-memory', '512k'], { TMPDIR: tmp });
    p.child.stdin.end(input.join('\n') + '\n');
    // Merge started: the spill directory exists and sorted output arrives.
    await p.waitFor('"k":', 30_000);
    expect(spillDirs(tmp).length).toBe(1);
    // Hold the output so the merge cannot finish before the signal is handled.
    p.child.stdout.pause();
    p.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 200));
    p.child.stdout.resume();
    const { code } = await p.exited;
    expect(code).toBe(130);
    const out = p.stdout.trim().split('\n');
    expect(out.length).toBeLessThan(n);
    let last = -1;
    for (const line of out) {
      const k = (JSON.parse(line) as { k: number }).k;
      expect(k).toBeGreaterThanOrEqual(last);
      last = k;
    }
    expect(spillDirs(tmp)).toEqual([]);
  });
});

describe('Window Top-N', () => {
  it('top 3 per 1-second window of a trickling stream, written within 500 ms of the window end', async () => {
    const p = start(['window', 'tumbling', '1s', '--time', 'ts', 'then', 'agg', 'count', 'by', 'page', 'then', 'top', '3', 'count']);
    const sent: Array<{ ts: number; page: string }> = [];
    const pages = ['a', 'b', 'c', 'd', 'e'];
    let i = 0;
    const send = () => {
      const ts = Date.now();
      const page = pages[[0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 4][i++ % 11]!]!;
      sent.push({ ts, page });
      p.child.stdin.write(JSON.stringify({ ts: new Date(ts).toISOString(), page }) + '\n');
    };
    // Warm-up: a record of 1970, whose window the first real record closes. Once
    // its line is out, sluice is running; windows that start later are timed.
    p.child.stdin.write('{"ts":"1970-01-01T00:00:00Z","page":"warm"}\n');
    send();
    await p.waitFor('"warm"', 20_000);
    const ready = Date.now();
    // About 3.5 s more of records, one every 20 ms; page weights differ so counts differ.
    await new Promise<void>((resolve) => {
      const tick = () => {
        if (Date.now() - ready > 3500) return resolve();
        send();
        setTimeout(tick, 20);
      };
      tick();
    });
    // Windows that closed while input was still flowing (the last closes at end of input).
    const lastEnd = Math.floor(sent[sent.length - 1]!.ts / 1000) * 1000;
    await p.waitFor(new Date(lastEnd).toISOString().replace('Z', '').slice(0, 19), 10_000);
    const arrivals = p.stamps.slice();
    p.child.stdin.end();
    expect((await p.exited).code).toBe(0);

    // Expected: per window, count per page, top 3 by count desc (ties: first appearance).
    const wins = new Map<number, Map<string, number>>();
    for (const s of sent) {
      const w = Math.floor(s.ts / 1000) * 1000;
      if (!wins.has(w)) wins.set(w, new Map());
      const m = wins.get(w)!;
      m.set(s.page, (m.get(s.page) ?? 0) + 1);
    }
    const want: string[] = [];
    for (const [w, m] of [...wins].sort((a, b) => a[0] - b[0])) {
      const top = [...m].sort((a, b) => b[1] - a[1]).slice(0, 3);
      for (const [page, count] of top) {
        want.push(JSON.stringify({ window_start: new Date(w).toISOString(), window_end: new Date(w + 1000).toISOString(), page, count }));
      }
    }
    const lines = p.stdout.trim().split('\n');
    expect(lines[0]).toBe('{"window_start":"1970-01-01T00:00:00.000Z","window_end":"1970-01-01T00:00:01.000Z","page":"warm","count":1}');
    expect(lines.slice(1)).toEqual(want);

    // Latency: each window written before lastEnd was written within 500 ms of its end.
    let checked = 0;
    for (const a of arrivals) {
      for (const line of a.text.trim().split('\n')) {
        const rec = JSON.parse(line) as { window_start: string; window_end: string };
        const end = Date.parse(rec.window_end);
        if (end > lastEnd || Date.parse(rec.window_start) < ready) continue;
        expect(a.at - end).toBeLessThan(500);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6); // at least two whole windows timed
  });
});

describe('tail, sample, uniq', () => {
  const rows = () => fs.readFileSync(FLIGHTS, 'utf8').trimEnd().split('\n');
  it('tail N and tail N --by: the last records, in input order', () => {
    const all = rows();
    expect(sluice(['--csv', '--from', FLIGHTS, 'tail', '3']).stdout).toBe([all[0], ...all.slice(-3)].join('\n') + '\n');
    const r = sluice(['--csv', '--from', FLIGHTS, 'tail', '2', '--by', 'origin', 'then', 'filter', 'origin == "BOS"']);
    const bos = all.slice(1).filter((l) => l.split(',')[3] === 'BOS');
    expect(r.stdout).toBe([all[0], ...bos.slice(-2)].join('\n') + '\n');
  });
  it('sample: N distinct input records in input order, the same for the same seed', () => {
    const a = sluice(['--csv', '--from', FLIGHTS, 'sample', '50', '--seed', '42']).stdout;
    const b = sluice(['--csv', '--from', FLIGHTS, 'sample', '50', '--seed', '42']).stdout;
    const c = sluice(['--csv', '--from', FLIGHTS, 'sample', '50', '--seed', '43']).stdout;
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    const all = rows();
    const picked = a.trimEnd().split('\n');
    expect(picked[0]).toBe(all[0]);
    expect(picked.length).toBe(51);
    // In input order, each an input line.
    let last = 0;
    for (const l of picked.slice(1)) {
      const at = all.indexOf(l, last + 1);
      expect(at).toBeGreaterThan(last);
      last = at;
    }
  });
  it('sample is uniform: over 300 groups every position is picked about N/n of the time', () => {
    const counts = new Array(10).fill(0);
    // One process, 300 independent samples: by-group sampling with 300 groups of the same 10 records.
    const many: string[] = [];
    for (let g = 0; g < 300; g++) for (let i = 0; i < 10; i++) many.push(`{"g":${g},"i":${i}}`);
    const r = sluice(['sample', '3', '--by', 'g', '--seed', '5'], many.join('\n') + '\n');
    for (const l of r.stdout.trim().split('\n')) counts[(JSON.parse(l) as { i: number }).i]++;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(900);
    for (const c of counts) expect(Math.abs(c - 90)).toBeLessThan(40);
  });
  it('uniq without fields: whole records, each at first sight; --count at the end', () => {
    const input = '{"a":1,"b":2}\n{"a":1,"b":2}\n{"a":1,"b":"2"}\n{"a":2}\n{"a":1,"b":2}\n';
    expect(sluice(['uniq'], input).stdout).toBe('{"a":1,"b":2}\n{"a":1,"b":"2"}\n{"a":2}\n');
    expect(sluice(['uniq', '--count'], input).stdout).toBe('{"a":1,"b":2,"count":3}\n{"a":1,"b":"2","count":1}\n{"a":2,"count":1}\n');
    const clash = sluice(['uniq', '--count'], '{"count":1}\n');
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(/--as NAME/);
    expect(sluice(['uniq', '--count', '--as', 'n'], '{"count":1}\n').stdout).toBe('{"count":1,"n":1}\n');
  });
  it('uniq streams: a value is written as soon as it is first seen', async () => {
    const p = start(['uniq', 'k']);
    p.child.stdin.write('{"k":"x"}\n');
    await p.waitFor('"x"', 10_000);
    p.child.stdin.write('{"k":"x"}\n{"k":"y"}\n');
    await p.waitFor('"y"', 10_000);
    p.child.stdin.end();
    expect((await p.exited).code).toBe(0);
    expect(p.stdout).toBe('{"k":"x"}\n{"k":"y"}\n');
  });
});

describe('per window and usage', () => {
  it('sort after window alone writes each window sorted when the watermark passes its end', () => {
    const input = ['{"t":1,"v":3}', '{"t":2,"v":1}', '{"t":1001,"v":9}', '{"t":1002,"v":2}', '{"t":2500,"v":0}'].join('\n') + '\n';
    const r = sluice(['window', 'tumbling', '1s', '--time', 't', '--time-format', 'epoch-ms', 'then', 'sort', 'v', 'then', 'select', 't,v'], input);
    expect(r.stdout).toBe(['{"t":2,"v":1}', '{"t":1,"v":3}', '{"t":1002,"v":2}', '{"t":1001,"v":9}', '{"t":2500,"v":0}'].join('\n') + '\n');
  });
  it('a record without its window fields after window is an error, not a wrong ranking', () => {
    const r = sluice(['window', 'tumbling', '1s', '--time', 't', 'then', 'agg', 'count', 'by', 'k', 'then', 'select', 'k,count', 'then', 'top', '1', 'count'], '{"t":1,"k":"a"}\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/top: a record after 'window' has no window_start\/window_end/);
  });
  it('usage errors name the problem', () => {
    expect(sluice(['sort']).stderr).toMatch(/name at least one field/);
    expect(sluice(['sort', '-c', 'a']).stderr).toMatch(/Miller's -c/);
    expect(sluice(['sort', 'a', 'up']).stderr).toMatch(/'up' after a is not asc or desc/);
    expect(sluice(['sort', 'a', '--max-memory', 'lots']).stderr).toMatch(/not a size/);
    expect(sluice(['top', '0', 'a']).code).toBe(2);
    expect(sluice(['top', '3']).stderr).toMatch(/name the field/);
    expect(sluice(['sample']).code).toBe(2);
    expect(sluice(['window', 'count', '5', 'then', 'sort', 'a']).stderr).toMatch(/after 'window count'/);
  });
});
