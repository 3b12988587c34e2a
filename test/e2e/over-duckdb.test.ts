/**
 * `over` against DuckDB's window functions (issue 11), full output compared
 * record by record: the flights fixture (20,000 records, time order) and the
 * stocks fixture (5 symbols × 252 trading days, sorted by symbol then date).
 *
 * Arrival order is the file's order; DuckDB gets it as `rn`
 * (row_number() OVER () of the file read in order), and every ORDER BY is
 * (time, rn), so ties in time are broken by arrival as sluice does.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { FIXTURES, sluice } from '../helpers/run.js';

const FLIGHTS = path.join(FIXTURES, 'flights-20k.ndjson');
const STOCKS = path.join(FIXTURES, 'stocks.csv');

let con: DuckDBConnection;

beforeAll(async () => {
  const db = await DuckDBInstance.create(':memory:');
  con = await db.connect();
  await con.run('SET preserve_insertion_order = true; SET threads = 1');
  await con.run(
    `CREATE TABLE flights AS SELECT row_number() OVER () AS rn, CAST(time AS TIMESTAMP) AS t, delay, distance, origin, destination
     FROM read_json('${FLIGHTS}', format = 'newline_delimited', columns = {time: 'VARCHAR', delay: 'BIGINT', distance: 'BIGINT', origin: 'VARCHAR', destination: 'VARCHAR'})`,
  );
  await con.run(
    `CREATE TABLE stocks AS SELECT row_number() OVER () AS rn, symbol, CAST(date AS DATE) AS d, price
     FROM read_csv('${STOCKS}', header = true, columns = {symbol: 'VARCHAR', date: 'VARCHAR', price: 'DOUBLE'})`,
  );
});

afterAll(() => {
  con?.closeSync();
});

async function query(sql: string): Promise<Array<Record<string, unknown>>> {
  const r = await con.runAndReadAll(sql);
  return r.getRowObjectsJson() as Array<Record<string, unknown>>;
}

function ndjson(text: string): Array<Record<string, unknown>> {
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Compare two values: numbers within 1e-9 relative (sums run in another order), others exactly. */
function same(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined) return b === null || b === undefined;
  if (typeof a === 'number' || typeof b === 'number') {
    const x = Number(a);
    const y = Number(b);
    return Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
  }
  return a === b;
}

/** Every record of `got` has, for each of `fields`, the value of the same row of `want`. */
function compare(got: Array<Record<string, unknown>>, want: Array<Record<string, unknown>>, fields: string[]): void {
  expect(got.length).toBe(want.length);
  const bad: string[] = [];
  for (let i = 0; i < got.length && bad.length < 5; i++) {
    for (const f of fields) {
      if (!same(got[i]![f], want[i]![f])) bad.push(`row ${i + 1} ${f}: sluice ${JSON.stringify(got[i]![f])} duckdb ${JSON.stringify(want[i]![f])}`);
    }
  }
  expect(bad).toEqual([]);
}

describe('over vs DuckDB on flights', () => {
  it('--rows 10 --by origin: avg, sum, count, min, max, stddev, first, last, p50, distinct', async () => {
    const r = sluice([
      '--from',
      FLIGHTS,
      'over',
      'avg(delay) as a, sum(delay) as s, count as c, min(delay) as mn, max(delay) as mx, stddev(delay) as sd, first(destination) as fd, last(destination) as ld, p50(delay) as med, distinct(destination) as nd',
      '--rows',
      '10',
      '--by',
      'origin',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const w = 'OVER (PARTITION BY origin ORDER BY t, rn ROWS BETWEEN 9 PRECEDING AND CURRENT ROW)';
    const want = await query(
      `SELECT avg(delay) ${w} AS a, sum(delay) ${w} AS s, count(*) ${w} AS c, min(delay) ${w} AS mn, max(delay) ${w} AS mx,
              stddev_samp(delay) ${w} AS sd, first_value(destination) ${w} AS fd, last_value(destination) ${w} AS ld,
              quantile_disc(delay, 0.5) ${w} AS med, count(DISTINCT destination) ${w} AS nd
       FROM flights ORDER BY rn`,
    );
    const got = ndjson(r.stdout);
    compare(got, want, ['a', 's', 'c', 'mn', 'mx', 'sd', 'fd', 'ld', 'med', 'nd']);
    // The input fields are still there, unchanged.
    expect(got[0]).toMatchObject({ time: '2001-01-01T00:01:00Z', delay: 33, origin: 'LAS', destination: 'PHL' });
  });

  it('--rows all (running totals), row_number, lag, lag n, delta', async () => {
    const r = sluice(['--from', FLIGHTS, 'over', 'sum(delay) as run, row_number() as n, lag(delay) as l1, lag(delay, 3) as l3, delta(delay) as d, max(delay) as mx', '--rows', 'all', '--by', 'origin']);
    expect(r.code).toBe(0);
    const o = 'OVER (PARTITION BY origin ORDER BY t, rn)';
    const want = await query(
      `SELECT sum(delay) OVER (PARTITION BY origin ORDER BY t, rn ROWS UNBOUNDED PRECEDING) AS run,
              row_number() ${o} AS n, lag(delay) ${o} AS l1, lag(delay, 3) ${o} AS l3, delay - lag(delay) ${o} AS d,
              max(delay) OVER (PARTITION BY origin ORDER BY t, rn ROWS UNBOUNDED PRECEDING) AS mx
       FROM flights ORDER BY rn`,
    );
    compare(ndjson(r.stdout), want, ['run', 'n', 'l1', 'l3', 'd', 'mx']);
  });

  it('a running sum without --by is one series', async () => {
    const r = sluice(['--from', FLIGHTS, 'over', 'sum(distance) as run, row_number()', '--rows', 'all']);
    const want = await query('SELECT sum(distance) OVER (ORDER BY rn) AS run, row_number() OVER (ORDER BY rn) AS row_number FROM flights ORDER BY rn');
    compare(ndjson(r.stdout), want, ['run', 'row_number']);
  });

  it('--range 1h --time time: the SQL RANGE frame, ties broken by arrival', async () => {
    const r = sluice(['--from', FLIGHTS, 'over', 'avg(delay) as a, count as c, max(delay) as mx, sum(distance) as sd', '--range', '1h', '--time', 'time', '--by', 'origin']);
    expect(r.code).toBe(0);
    const got = ndjson(r.stdout);
    // 1. The literal SQL frame. SQL puts every record of the same time (its
    //    peers) in the frame, later ones too; sluice writes each record at
    //    once, with the records up to itself. So they agree on every record
    //    that is the last of its peers: compare those.
    const w = 'OVER (PARTITION BY origin ORDER BY t RANGE BETWEEN INTERVAL 1 HOUR PRECEDING AND CURRENT ROW)';
    const lit = await query(
      `SELECT rn, avg(delay) ${w} AS a, count(*) ${w} AS c, max(delay) ${w} AS mx, sum(distance) ${w} AS sd,
              rn = max(rn) OVER (PARTITION BY origin, t) AS lastpeer
       FROM flights ORDER BY rn`,
    );
    const idx = lit.map((x, i) => (x.lastpeer ? i : -1)).filter((i) => i >= 0);
    expect(idx.length).toBeGreaterThan(15_000);
    compare(
      idx.map((i) => got[i]!),
      idx.map((i) => lit[i]!),
      ['a', 'c', 'mx', 'sd'],
    );
    // 2. Every record: the same frame with ties broken by arrival, as a RANGE
    //    over the unique order key ms·N + rn (N above the row count): a record
    //    t−1h..t, and at t only those that arrived before it.
    const N = 100_000;
    const key = `(epoch_ms(t) * ${N} + rn)`;
    const w2 = `OVER (PARTITION BY origin ORDER BY ${key} RANGE BETWEEN ${3_600_000 * N + N - 1} PRECEDING AND CURRENT ROW)`;
    const all = await query(`SELECT avg(delay) ${w2} AS a, count(*) ${w2} AS c, max(delay) ${w2} AS mx, sum(distance) ${w2} AS sd FROM flights ORDER BY rn`);
    compare(got, all, ['a', 'c', 'mx', 'sd']);
  });
});

describe('over vs DuckDB: the typed-array frame (count, sum, avg, var, stddev only)', () => {
  it('--rows 10 and --range 1h, chained', async () => {
    const r = sluice([
      '--from',
      FLIGHTS,
      'over',
      'avg(delay) as a10, sum(distance) as s10, stddev(delay) as sd10, var(delay) as v10, count(delay) as c10',
      '--rows',
      '10',
      '--by',
      'origin',
      'then',
      'over',
      'avg(delay) as ah, count as ch, stddev(distance) as sdh',
      '--range',
      '1h',
      '--time',
      'time',
      '--by',
      'destination',
    ]);
    expect(r.stderr).toBe('');
    const w = 'OVER (PARTITION BY origin ORDER BY t, rn ROWS BETWEEN 9 PRECEDING AND CURRENT ROW)';
    const N = 100_000;
    const h = `OVER (PARTITION BY destination ORDER BY (epoch_ms(t) * ${N} + rn) RANGE BETWEEN ${3_600_000 * N + N - 1} PRECEDING AND CURRENT ROW)`;
    const want = await query(
      `SELECT avg(delay) ${w} AS a10, sum(distance) ${w} AS s10, stddev_samp(delay) ${w} AS sd10, var_samp(delay) ${w} AS v10, count(delay) ${w} AS c10,
              avg(delay) ${h} AS ah, count(*) ${h} AS ch, stddev_samp(distance) ${h} AS sdh
       FROM flights ORDER BY rn`,
    );
    compare(ndjson(r.stdout), want, ['a10', 's10', 'sd10', 'v10', 'c10', 'ah', 'ch', 'sdh']);
  });
});

describe('over vs DuckDB on stocks', () => {
  it("the seed case: over 'avg(price) as ma3' --rows 3 --by symbol", async () => {
    const r = sluice(['--from', STOCKS, '--csv', 'over', 'avg(price) as ma3', '--rows', '3', '--by', 'symbol']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('symbol,date,price,ma3');
    // Input fields are written as read (183.30 stays 183.30).
    expect(lines[2]!.startsWith('AAPL,2024-01-03,183.30,')).toBe(true);
    const got = lines.slice(1).map((l) => {
      const [symbol, date, price, ma3] = l.split(',');
      return { symbol, date, price: Number(price), ma3: Number(ma3) };
    });
    const want = await query(
      `SELECT symbol, strftime(d, '%Y-%m-%d') AS date, price, avg(price) OVER (PARTITION BY symbol ORDER BY d ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS ma3
       FROM stocks ORDER BY rn`,
    );
    compare(got, want, ['symbol', 'date', 'price', 'ma3']);
  });

  it('--range 7d --time date (no ties: the literal SQL frame), --rows 10, running sum, lag, row_number', async () => {
    const r = sluice([
      '--from',
      STOCKS,
      '-o',
      'ndjson',
      'over',
      'avg(price) as wk, min(price) as lo, count as n7',
      '--range',
      '7d',
      '--time',
      'date',
      '--by',
      'symbol',
      'then',
      'over',
      'avg(price) as ma10, stddev(price) as sd10',
      '--rows',
      '10',
      '--by',
      'symbol',
      'then',
      'over',
      'sum(price) as cum, row_number() as rownum, lag(price) as prev',
      '--rows',
      'all',
      '--by',
      'symbol',
    ]);
    expect(r.stderr).toBe('');
    const got = ndjson(r.stdout);
    const p = 'PARTITION BY symbol ORDER BY d';
    const want = await query(
      `SELECT avg(price) OVER (${p} RANGE BETWEEN INTERVAL 7 DAY PRECEDING AND CURRENT ROW) AS wk,
              min(price) OVER (${p} RANGE BETWEEN INTERVAL 7 DAY PRECEDING AND CURRENT ROW) AS lo,
              count(*) OVER (${p} RANGE BETWEEN INTERVAL 7 DAY PRECEDING AND CURRENT ROW) AS n7,
              avg(price) OVER (${p} ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS ma10,
              stddev_samp(price) OVER (${p} ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS sd10,
              sum(price) OVER (${p} ROWS UNBOUNDED PRECEDING) AS cum,
              row_number() OVER (${p}) AS rownum, lag(price) OVER (${p}) AS prev
       FROM stocks ORDER BY rn`,
    );
    compare(got, want, ['wk', 'lo', 'n7', 'ma10', 'sd10', 'cum', 'rownum', 'prev']);
    // A week of trading days is 5 or 6 records (bounds included), fewer around holidays.
    expect(new Set(got.map((g) => g.n7))).toEqual(new Set([1, 2, 3, 4, 5, 6]));
  });
});
