/**
 * Session windows against DuckDB (issue 10 item 1): `window session 10m --by
 * origin --time time then agg 'count, max(delay)' by origin` over the flights
 * fixture equals a gaps-and-islands query (bench/sessions-sql.js) row for
 * row, in order. The fixture is in time order, so nothing is late; sessions
 * of one origin exactly 10 minutes apart are where a watermark moved by
 * another origin used to split them.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { FIXTURES, sluice } from '../helpers/run.js';
// @ts-expect-error plain JS module shared with the bench script
import { sessionsSql } from '../../bench/sessions-sql.js';

const FLIGHTS = path.join(FIXTURES, 'flights-20k.ndjson');
let con: DuckDBConnection;

beforeAll(async () => {
  const db = await DuckDBInstance.create(':memory:');
  con = await db.connect();
  await con.run('SET threads = 1');
  await con.run(
    `CREATE TABLE flights AS SELECT row_number() OVER () AS rn, CAST(time AS TIMESTAMP) AS t, delay, origin
     FROM read_json('${FLIGHTS}', format = 'newline_delimited', columns = {time: 'VARCHAR', delay: 'BIGINT', distance: 'BIGINT', origin: 'VARCHAR', destination: 'VARCHAR'})`,
  );
});

afterAll(() => {
  con?.closeSync();
});

describe('session windows equal DuckDB gaps-and-islands', () => {
  it('flights-20k: window session 10m --by origin, count and max(delay) by origin, row for row', async () => {
    const want = (await con.runAndReadAll((sessionsSql as (t: string, g: number) => string)('flights', 10))).getRowObjectsJson();
    const r = sluice(['--from', FLIGHTS, 'window', 'session', '10m', '--by', 'origin', '--time', 'time', 'then', 'agg', 'count, max(delay)', 'by', 'origin']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const norm = (rows: Array<Record<string, unknown>>) =>
      rows.map((x) => [x.window_start, x.window_end, x.origin, Number(x.count), Number(x.max_delay)].join(' '));
    expect(got.length).toBeGreaterThan(3000);
    expect(norm(got)).toEqual(norm(want as Array<Record<string, unknown>>));
  });
});
