/**
 * sort, top and uniq against DuckDB (issue 11): the full output of sluice is
 * compared with the rows DuckDB orders, on the flights fixture and on a
 * stocks fixture with ties and nulls. DuckDB reads the file single-threaded
 * with a row number, so ties are ordered by input position (stability).
 * Expected output is built from the input lines themselves (in DuckDB's
 * order), so the comparison also checks that sluice writes records unchanged.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, sluice } from '../helpers/run.js';

const FLIGHTS = path.join(FIXTURES, 'flights-20k.csv');
const STOCKS = path.join(FIXTURES, 'stocks-3k.csv');

let con: DuckDBConnection;
const lines: Record<string, string[]> = {};

beforeAll(async () => {
  const db = await DuckDBInstance.create(':memory:');
  con = await db.connect();
  await con.run('SET threads = 1');
  await con.run(
    `CREATE TABLE flights AS SELECT row_number() OVER () AS rn, * FROM read_csv('${FLIGHTS}', header = true,
       columns = {'time': 'VARCHAR', 'delay': 'BIGINT', 'distance': 'BIGINT', 'origin': 'VARCHAR', 'destination': 'VARCHAR'})`,
  );
  await con.run(
    `CREATE TABLE stocks AS SELECT row_number() OVER () AS rn, * FROM read_csv('${STOCKS}', header = true,
       columns = {'symbol': 'VARCHAR', 'time': 'VARCHAR', 'price': 'DOUBLE', 'volume': 'BIGINT'})`,
  );
  for (const [name, file] of [['flights', FLIGHTS], ['stocks', STOCKS]] as const) {
    lines[name] = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  }
});
afterAll(() => con?.closeSync());

/** The input lines (header first) in the order of the row numbers DuckDB returns. */
async function byRowNumbers(table: string, sql: string): Promise<string> {
  const r = await con.runAndReadAll(sql);
  const rows = r.getRows().map((row) => Number(row[0]));
  expect(rows.length).toBeGreaterThan(0);
  const ls = lines[table]!;
  return [ls[0], ...rows.map((rn) => ls[rn]!)].join('\n') + '\n';
}

/** CSV text of DuckDB's rows (values written as DuckDB's JSON does; no quoting needed here). */
async function rowsCsv(sql: string): Promise<string> {
  const r = await con.runAndReadAll(sql);
  const head = r.columnNames().join(',');
  const body = r.getRowsJson().map((row) => row.map((v) => (v === null ? '' : String(v))).join(','));
  return [head, ...body].join('\n') + '\n';
}

function run(args: string[], file: string): string {
  const r = sluice(['--from', file, ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

describe('sort against DuckDB', () => {
  it('one key, ties kept in input order (flights, sort delay)', async () => {
    const want = await byRowNumbers('flights', 'SELECT rn FROM flights ORDER BY delay ASC NULLS LAST, rn');
    expect(run(['--csv', 'sort', 'delay'], FLIGHTS)).toBe(want);
  });
  it('two keys, mixed directions (flights, sort origin, delay desc)', async () => {
    const want = await byRowNumbers('flights', 'SELECT rn FROM flights ORDER BY origin ASC, delay DESC NULLS LAST, rn');
    expect(run(['--csv', 'sort', 'origin,', 'delay', 'desc'], FLIGHTS)).toBe(want);
    // The same keys in one quoted word, and Miller's flags.
    expect(run(['--csv', 'sort', 'origin asc, delay desc'], FLIGHTS)).toBe(want);
    expect(run(['--csv', 'sort', '-f', 'origin', '-nr', 'delay'], FLIGHTS)).toBe(want);
  });
  it('descending with nulls last and ties (stocks, sort price desc)', async () => {
    const want = await byRowNumbers('stocks', 'SELECT rn FROM stocks ORDER BY price DESC NULLS LAST, rn');
    expect(run(['--csv', 'sort', 'price', 'desc'], STOCKS)).toBe(want);
  });
  it('two keys with nulls in the second (stocks, sort symbol desc, volume)', async () => {
    const want = await byRowNumbers('stocks', 'SELECT rn FROM stocks ORDER BY symbol DESC, volume ASC NULLS LAST, rn');
    expect(run(['--csv', 'sort', 'symbol desc, volume'], STOCKS)).toBe(want);
  });
  it('spilled runs give the same output (tiny --max-memory)', async () => {
    const want = await byRowNumbers('stocks', 'SELECT rn FROM stocks ORDER BY symbol DESC, volume ASC NULLS LAST, rn');
    expect(run(['--csv', 'sort', 'symbol desc, volume', '--max-memory', '16k'], STOCKS)).toBe(want);
  });
});

describe('top and uniq against DuckDB', () => {
  it('top 5 delay desc --by origin (flights): groups in order of first appearance, best first', async () => {
    const want = await byRowNumbers(
      'flights',
      `SELECT rn FROM (SELECT rn, row_number() OVER (PARTITION BY origin ORDER BY delay DESC NULLS LAST, rn) AS r,
         min(rn) OVER (PARTITION BY origin) AS first FROM flights) WHERE r <= 5 ORDER BY first, r`,
    );
    expect(run(['--csv', 'top', '5', 'delay', 'desc', '--by', 'origin'], FLIGHTS)).toBe(want);
  });
  it('top 3 price asc --by symbol (stocks, with nulls and ties)', async () => {
    const want = await byRowNumbers(
      'stocks',
      `SELECT rn FROM (SELECT rn, row_number() OVER (PARTITION BY symbol ORDER BY price ASC NULLS LAST, rn) AS r,
         min(rn) OVER (PARTITION BY symbol) AS first FROM stocks) WHERE r <= 3 ORDER BY first, r`,
    );
    expect(run(['--csv', 'top', '3', 'price', 'asc', '--by', 'symbol'], STOCKS)).toBe(want);
  });
  it('uniq destination (flights): each value once, in order of first appearance', async () => {
    const want = await rowsCsv('SELECT destination FROM flights GROUP BY destination ORDER BY min(rn)');
    expect(run(['--csv', 'uniq', 'destination'], FLIGHTS)).toBe(want);
  });
  it('uniq origin --count (flights)', async () => {
    const want = await rowsCsv('SELECT origin, count(*) AS count FROM flights GROUP BY origin ORDER BY min(rn)');
    expect(run(['--csv', 'uniq', 'origin', '--count'], FLIGHTS)).toBe(want);
  });
  it('uniq symbol,volume --count (stocks, null volumes are one value)', async () => {
    const want = await rowsCsv('SELECT symbol, volume, count(*) AS count FROM stocks GROUP BY symbol, volume ORDER BY min(rn)');
    expect(run(['--csv', 'uniq', 'symbol,volume', '--count'], STOCKS)).toBe(want);
  });
});
