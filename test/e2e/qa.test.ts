/**
 * End-to-end regression tests for bugs found by QA, run through bin/sluice.js
 * as a user would. Each `describe` names the behaviour; each test would fail
 * on the code before its fix.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sluice, start, sleep } from '../helpers/run.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-qa-'));

/** Parse NDJSON output into objects. */
const lines = (s: string) =>
  s
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('numeric literals in map keep their text', () => {
  it('1.50, 1e3, -0 and a big integer are written as written, even when no input number needed it', () => {
    const r = sluice(['map', 'x = 1.50; y = 1e3; z = -0; w = 12345678901234567890'], '{"a":1}\n');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('{"a":1,"x":1.50,"y":1e3,"z":-0,"w":12345678901234567890}\n');
  });

  it('a literal collected by agg is written as written', () => {
    const r = sluice(['map', 'x = 2.50', 'then', 'agg', 'collect(x), first(x)'], '{"a":1}\n');
    expect(r.stdout).toBe('{"collect_x":[2.50],"first_x":2.50}\n');
  });
});

describe('map on a nested path never changes another record', () => {
  it('the copies a sliding window makes of one record have their own nested objects', () => {
    const r = sluice(
      ['window', 'sliding', '2m', '--every', '1m', '--time', 't', 'then', 'map', 'o.end = window_end'],
      '{"t":"2024-01-01T00:00:10Z","o":{"a":1}}\n',
    );
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(2);
    for (const rec of out) expect((rec.o as Record<string, unknown>).end).toBe(rec.window_end);
  });

  it('the outputs of a join key with several table rows have their own nested objects', () => {
    const table = path.join(tmp, 'two-rows.csv');
    fs.writeFileSync(table, 'id,o\n7,a\n7,b\n');
    const r = sluice(['join', table, '--on', 'id', 'then', 'map', 'n.o = o'], '{"id":7,"n":{"a":1}}\n');
    expect(lines(r.stdout)).toEqual([
      { id: 7, n: { a: 1, o: 'a' }, o: 'a' },
      { id: 7, n: { a: 1, o: 'b' }, o: 'b' },
    ]);
  });

  it('an object from the join table is not changed for the records that follow', () => {
    const table = path.join(tmp, 'nested.ndjson');
    fs.writeFileSync(table, '{"id":7,"o":{"z":1}}\n');
    const r = sluice(['join', table, '--on', 'id', 'then', 'map', 'o.z = o.z + n'], '{"id":7,"n":1}\n{"id":7,"n":2}\n');
    expect(lines(r.stdout)).toEqual([
      { id: 7, n: 1, o: { z: 2 } },
      { id: 7, n: 2, o: { z: 3 } },
    ]);
  });
});

describe('agg keys and fields', () => {
  it('keys separated by a blank instead of a comma are a usage error, not a group by a field "a b"', () => {
    const r = sluice(['agg', 'count', 'by', 'a', 'b'], '{"a":1,"b":2}\n');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^sluice: agg: .*'a b'.*comma/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a field name with blanks still works in backticks', () => {
    const r = sluice(['agg', 'sum(`a b`)', 'by', '`c d`'], '{"a b":1,"c d":"x"}\n{"a b":2,"c d":"x"}\n');
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([{ 'c d': 'x', 'sum_a b': 3 }]);
  });

  it('an aggregate field written with a blank is a usage error too', () => {
    const r = sluice(['agg', 'sum(a b)'], '');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sluice: agg: /);
  });
});

describe('verb option values that begin with -', () => {
  it('window --offset -5h is the same as --offset=-5h', () => {
    const input = '{"t":"2024-01-01T06:30:00Z"}\n';
    const a = sluice(['window', 'tumbling', '1d', '--time', 't', '--offset', '-5h'], input);
    const b = sluice(['window', 'tumbling', '1d', '--time', 't', '--offset=-5h'], input);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    // Window starts are ≡ offset (mod size), as in Flink: -5h is 19:00 UTC for daily windows.
    expect(lines(a.stdout)[0]!.window_start).toBe('2023-12-31T19:00:00.000Z');
  });

  it('window --lateness -1m is reported as a bad duration, not as unknown arguments', () => {
    const r = sluice(['window', 'tumbling', '1m', '--time', 't', '--lateness', '-1m'], '');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/lateness/);
    expect(r.stderr).not.toMatch(/Unknown argument/);
  });

  it('join --prefix may begin with -', () => {
    const table = path.join(tmp, 'users.csv');
    fs.writeFileSync(table, 'id,name\n7,Ann\n');
    const r = sluice(['join', table, '--on', 'id', '--prefix', '-'], '{"id":7,"name":"x"}\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"id":7,"name":"x","-name":"Ann"}\n');
  });
});

describe('durations longer than a timer can wait (2^31 - 1 ms, about 24.8 days)', () => {
  it('agg --every 30d writes no snapshot during a short run', async () => {
    const p = start(['agg', 'count', '--every', '30d']);
    p.child.stdin.write('{"a":1}\n');
    await sleep(300);
    p.child.stdin.end();
    const { code } = await p.exited;
    expect(code).toBe(0);
    // Only the final results (labelled as the last snapshot), no periodic one.
    expect(p.stdout).toMatch(/^\{"snapshot":"\d{4}-\d\d-\d\dT[\d:.]+Z","count":1\}\n$/);
    expect(p.stderr).toBe('');
  });

  it('a 100000-day processing-time window waits quietly and closes at end of input', async () => {
    const p = start(['window', 'tumbling', '100000d', 'then', 'agg', 'count']);
    p.child.stdin.write('{"a":1}\n');
    await sleep(300);
    expect(p.stdout).toBe('');
    p.child.stdin.end();
    const { code } = await p.exited;
    expect(code).toBe(0);
    expect(lines(p.stdout).map((r) => r.count)).toEqual([1]);
    expect(p.stderr).toBe('');
  });

  it('--idle 30d waits quietly', async () => {
    const p = start(['window', 'tumbling', '1m', '--time', 't', '--idle', '30d', 'then', 'agg', 'count']);
    p.child.stdin.write('{"t":"2024-01-01T00:00:00Z"}\n');
    await sleep(300);
    expect(p.stdout).toBe('');
    p.child.stdin.end();
    const { code } = await p.exited;
    expect(code).toBe(0);
    expect(lines(p.stdout).map((r) => r.count)).toEqual([1]);
    expect(p.stderr).toBe('');
  });
});

describe('rename', () => {
  it('two fields renamed to one name is a usage error (one value would be lost)', () => {
    const r = sluice(['rename', 'a=b,c=b'], '{"a":1,"c":3}\n');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^sluice: rename: .*'b'/);
  });
});

describe('windowed agg output names', () => {
  const input = '{"t":"2024-01-01T00:00:10Z","window_start":"x","k":1}\n';
  it('a key named window_start is a usage error (it would hide the window bound)', () => {
    const r = sluice(['window', 'tumbling', '1m', '--time', 't', 'then', 'agg', 'count', 'by', 'window_start'], input);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^sluice: agg: .*window_start/);
  });

  it('an aggregate named window_end is a usage error', () => {
    const r = sluice(['window', 'tumbling', '1m', '--time', 't', 'then', 'agg', 'count as window_end', 'by', 'k'], input);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sluice: agg: .*window_end/);
  });

  it('after a count window, a key named window_id is a usage error', () => {
    const r = sluice(['window', 'count', '2', 'then', 'agg', 'count', 'by', 'window_id'], '{"window_id":"x"}\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sluice: agg: .*window_id/);
  });

  it('the same names are fine without a window', () => {
    const r = sluice(['agg', 'count', 'by', 'window_start'], input);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([{ window_start: 'x', count: 1 }]);
  });
});

describe('verbs between window and agg that read the window fields', () => {
  it('filter on window_start between window and agg is a usage error, not a silent empty result', () => {
    const r = sluice(
      ['window', 'tumbling', '1m', '--time', 't', 'then', 'filter', 'window_start != null', 'then', 'agg', 'count'],
      '{"t":"2024-01-01T00:00:10Z"}\n',
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^sluice: filter: .*window_start/);
  });

  it('map reading window_id between a count window and agg is a usage error', () => {
    const r = sluice(['window', 'count', '2', 'then', 'map', 'w = window_id', 'then', 'agg', 'count'], '{"a":1}\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sluice: map: .*window_id/);
  });

  it('filter on window_start after agg works', () => {
    const r = sluice(
      ['window', 'tumbling', '1m', '--time', 't', 'then', 'agg', 'count', 'then', 'filter', 'window_start != null'],
      '{"t":"2024-01-01T00:00:10Z"}\n',
    );
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(1);
  });
});

describe('group keys with control characters', () => {
  // Two records whose key texts would collide if joined naively with \u0001.
  const input = '{"a":"x\\u0001","b":"y"}\n{"a":"x","b":"\\u0001y"}\n';
  it('head --by keeps both groups', () => {
    const r = sluice(['head', '1', '--by', 'a,b'], input);
    expect(lines(r.stdout)).toHaveLength(2);
  });

  it('head --by tells a null key from the text "\\u0002"', () => {
    const r = sluice(['head', '1', '--by', 'a'], '{"a":null}\n{"a":"\\u0002"}\n');
    expect(lines(r.stdout)).toHaveLength(2);
  });

  it('count windows --by keep one series per key', () => {
    // Colliding keys would make one window of 2 records; two series make two partial windows of 1.
    const r = sluice(['window', 'count', '2', '--by', 'a,b', 'then', 'agg', 'count'], input);
    expect(lines(r.stdout)).toEqual([
      { window_id: 0, count: 1 },
      { window_id: 1, count: 1 },
    ]);
  });

  it('session windows --by tell a null key from the text "\\u0000"', () => {
    const r = sluice(
      ['window', 'session', '1m', '--time', 't', '--by', 'k', 'then', 'agg', 'count'],
      '{"t":0,"k":null}\n{"t":1,"k":"\\u0000"}\n',
    );
    expect(lines(r.stdout).map((x) => x.count)).toEqual([1, 1]);
  });
});

describe('join between window and agg', () => {
  // Key 1 has two table rows, so join writes a copy of each of its records.
  const table = path.join(tmp, 'multi.csv');
  fs.writeFileSync(table, 'k,x\n1,a\n1,b\n2,c\n');
  const input = '{"k":1,"t":0}\n{"k":2,"t":1}\n{"k":1,"t":2}\n{"k":2,"t":3}\n';

  it('the copies join makes stay in their count window', () => {
    const r = sluice(['window', 'count', '2', 'then', 'join', table, '--on', 'k', 'then', 'agg', 'count, collect(x)'], input);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      { window_id: 0, count: 3, collect_x: ['a', 'b', 'c'] },
      { window_id: 1, count: 3, collect_x: ['a', 'b', 'c'] },
    ]);
  });

  it('the copies join makes stay in their session window', () => {
    const r = sluice(
      ['window', 'session', '1500ms', '--time', 't', '--time-format', 'epoch-s', '--by', 'k', 'then', 'join', table, '--on', 'k', 'then', 'agg', 'count, collect(x)', 'by', 'k'],
      input,
    );
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((o) => [o.window_start, o.k, o.collect_x])).toEqual([
      ['1970-01-01T00:00:00.000Z', 1, ['a', 'b']],
      ['1970-01-01T00:00:01.000Z', 2, ['c']],
      ['1970-01-01T00:00:02.000Z', 1, ['a', 'b']],
      ['1970-01-01T00:00:03.000Z', 2, ['c']],
    ]);
  });
});
