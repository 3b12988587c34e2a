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

describe('many late records: the summary says why and what to do (issue 12, Time)', () => {
  it('stocks sorted by symbol then date: the hint names time order, sorting and --lateness; few late records get no hint', () => {
    const r = sluice(['--from', path.join(FIXTURES, 'stocks.csv'), 'window', 'tumbling', '7d', '--time', 'date', 'then', 'agg', 'count', 'by', 'symbol']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^sluice: window: \d+ late records left out \(keep them with --late-output FILE\); that is \d+% of the records: the input is not in time order \(sorted by key\?\)\. Sort it by time first, or let the watermark wait with --lateness \d+d/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const few = ['{"t":"2001-01-01T10:00:00Z"}', ...Array.from({ length: 30 }, (_, i) => `{"t":"2001-01-01T11:${String(i).padStart(2, '0')}:00Z"}`), '{"t":"2001-01-01T09:00:00Z"}'];
    const f = sluice(['window', 'tumbling', '1h', '--time', 't', 'then', 'agg', 'count'], few.join('\n') + '\n');
    expect(f.stderr).toBe('sluice: window: 1 late record left out (keep them with --late-output FILE)\n');
  });
});
