/**
 * `over` (issue 11) on small inputs: step functions, frames, nulls and
 * strings, records out of time order, usage errors. The full comparisons with
 * DuckDB are in over-duckdb.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { sluice } from '../helpers/run.js';

const lines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('over', () => {
  const input = ['{"k":"a","t":"2024-01-01T00:00:00Z","x":1}', '{"k":"b","t":"2024-01-01T00:00:00Z","x":10}', '{"k":"a","t":"2024-01-01T00:00:10Z","x":4}', '{"k":"a","t":"2024-01-01T00:00:30Z","x":null}', '{"k":"a","t":"2024-01-01T00:01:00Z","x":"n/a"}', '{"k":"a","t":"2024-01-01T00:01:05Z","x":10}'].join('\n') + '\n';

  it('writes each record with its frame, in arrival order, other fields untouched', () => {
    const r = sluice(['over', 'sum(x) as s, count as n, count(x) as nx, max(x) as mx', '--rows', '2', '--by', 'k'], input);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      { k: 'a', t: '2024-01-01T00:00:00Z', x: 1, s: 1, n: 1, nx: 1, mx: 1 },
      { k: 'b', t: '2024-01-01T00:00:00Z', x: 10, s: 10, n: 1, nx: 1, mx: 10 },
      { k: 'a', t: '2024-01-01T00:00:10Z', x: 4, s: 5, n: 2, nx: 2, mx: 4 },
      { k: 'a', t: '2024-01-01T00:00:30Z', x: null, s: 4, n: 2, nx: 1, mx: 4 },
      // A string is not summed; max puts every string above every number.
      { k: 'a', t: '2024-01-01T00:01:00Z', x: 'n/a', s: null, n: 2, nx: 1, mx: 'n/a' },
      { k: 'a', t: '2024-01-01T00:01:05Z', x: 10, s: 10, n: 2, nx: 2, mx: 'n/a' },
    ]);
  });

  it('step functions: row_number, lag n, delta, rate per second of event time, ewma', () => {
    const r = sluice(['over', 'row_number(), lag(x, 2), delta(x), rate(x), ewma(x, 0.5) as e', '--time', 't', '--by', 'k'], input);
    expect(r.stderr).toBe('');
    const a = lines(r.stdout).filter((o) => o.k === 'a');
    expect(a.map((o) => o.row_number)).toEqual([1, 2, 3, 4, 5]);
    expect(a.map((o) => o.lag2_x)).toEqual([null, null, 1, 4, null]);
    expect(a.map((o) => o.delta_x)).toEqual([null, 3, null, null, null]);
    // 1 -> 4 over 10 seconds: 0.3 per second.
    expect(a.map((o) => o.rate_x)).toEqual([null, 0.3, null, null, null]);
    expect(a.map((o) => o.e)).toEqual([1, 2.5, 2.5, 2.5, 6.25]);
  });

  it('--range 30s: bounds included, per key', () => {
    const r = sluice(['over', 'count as n, collect(x) as xs', '--range', '30s', '--time', 't', '--by', 'k'], input);
    expect(lines(r.stdout).map((o) => [o.k, o.n, o.xs])).toEqual([
      ['a', 1, [1]],
      ['b', 1, [10]],
      ['a', 2, [1, 4]],
      ['a', 3, [1, 4]],
      ['a', 2, ['n/a']],
      ['a', 2, ['n/a', 10]],
    ]);
  });

  it('--rows all gives running totals; a running percentile and distinct', () => {
    const r = sluice(['over', 'sum(v), p50(v), distinct(v)', '--rows', 'all'], '{"v":3}\n{"v":1}\n{"v":3}\n{"v":2}\n');
    expect(lines(r.stdout).map((o) => [o.sum_v, o.p50_v, o.distinct_v])).toEqual([
      [3, 3, 1],
      [4, 1, 2],
      [7, 3, 2],
      [9, 2, 3],
    ]);
  });

  it('a record that goes back in time within its key is malformed (--range), named with its line', () => {
    const bad = '{"k":"a","t":10}\n{"k":"b","t":5}\n{"k":"a","t":9}\n';
    const r = sluice(['over', 'count', '--range', '5s', '--time', 't', '--by', 'k'], bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/over: time 1970-01-01T00:00:09\.000Z is before 1970-01-01T00:00:10\.000Z.*stdin:3/);
    const skip = sluice(['--on-error', 'skip', 'over', 'count', '--range', '5s', '--time', 't', '--by', 'k'], bad);
    expect(skip.code).toBe(0);
    expect(lines(skip.stdout).map((o) => o.count)).toEqual([1, 1]);
    expect(skip.stderr).toMatch(/1/);
  });

  it('keeps CSV cells as read and appends the new fields', () => {
    const r = sluice(['--csv', 'over', 'avg(p) as m, first(p)', '--rows', '2'], 'p,q\n1.50,x\n2.50,y\n');
    expect(r.stdout).toBe('p,q,m,first_p\n1.50,x,1.5,1.50\n2.50,y,2,1.50\n');
  });

  it('an output name that exists replaces the field in place', () => {
    const r = sluice(['over', 'sum(x) as x', '--rows', 'all'], '{"x":1,"y":0}\n{"x":2,"y":0}\n');
    expect(r.stdout).toBe('{"x":1,"y":0}\n{"x":3,"y":0}\n');
  });

  it('nested keys and fields; __proto__ is an ordinary key value', () => {
    const r = sluice(['over', 'sum(m.v) as s', '--rows', 'all', '--by', 'u.id'], '{"u":{"id":"__proto__"},"m":{"v":1}}\n{"u":{"id":"x"},"m":{"v":5}}\n{"u":{"id":"__proto__"},"m":{"v":2}}\n');
    expect(lines(r.stdout).map((o) => o.s)).toEqual([1, 5, 3]);
  });

  it('usage errors (exit 2) before reading input', () => {
    const cases: Array<[string[], RegExp]> = [
      [['over', 'avg(x)'], /aggregates need a frame: --rows N/],
      [['over', 'avg(x)', '--rows', '0'], /--rows must be a whole number/],
      [['over', 'avg(x)', '--rows', '3', '--range', '1h'], /--rows or --range, not both/],
      [['over', 'avg(x)', '--range', '1h'], /--range needs --time FIELD/],
      [['over', 'rate(x)'], /needs --time FIELD/],
      [['over', 'avgg(x)', '--rows', '3'], /unknown aggregate 'avgg' \(did you mean avg\?\)/],
      [['over', 'lag(x, 0)'], /lag's count/],
      [['over', 'ewma(x, 2)'], /alpha/],
      [['over', 'ewma(x)'], /ewma takes a field and alpha/],
      [['over', 'sum(x), sum(x)', '--rows', '2'], /two output fields named 'sum_x'/],
      [['over'], /no aggregates given/],
      [['over', 'count', '--rows', '3', '--lateness', '1s'], /--lateness goes with --range/],
    ];
    for (const [args, re] of cases) {
      const r = sluice(args, '{"x":1}\n');
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(re);
      expect(r.stdout).toBe('');
    }
  });

  it('help shows the usage with examples', () => {
    const r = sluice(['help', 'over']);
    expect(r.stdout).toMatch(/--rows all/);
    expect(r.stdout).toMatch(/ma3/);
  });
});
