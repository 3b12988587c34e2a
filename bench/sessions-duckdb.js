#!/usr/bin/env node
/**
 * Session windows against DuckDB on generated flights (issue 10 item 1):
 *
 *   node bench/sessions-duckdb.js [--records 500000] [--gap 10]
 *   BENCH_SLUICE=path/to/bin/sluice.js node bench/sessions-duckdb.js
 *
 * Takes the first N records of bench/gen.js's flights (generated on the fly),
 * runs `window session GAPm --by origin --time time then agg 'count,
 * max(delay)' by origin`, runs the gaps-and-islands query of
 * bench/sessions-sql.js in DuckDB on the same records, and compares row for
 * row (in order). Prints the figures and exits 1 on any difference.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { sessionsSql } from './sessions-sql.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const records = opt('--records', 500_000);
const gap = opt('--gap', 10);
const bin = process.env.BENCH_SLUICE ?? path.join(here, '..', 'bin', 'sluice.js');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sessions-'));
const data = path.join(tmp, 'flights.ndjson');
const gen = spawnSync(process.execPath, [path.join(here, 'gen.js'), '--stdout', 'ndjson', '--records', String(records)], { maxBuffer: 1 << 30 });
if (gen.status !== 0) throw new Error(`gen.js failed: ${gen.stderr}`);
fs.writeFileSync(data, gen.stdout);

const t0 = Date.now();
const r = spawnSync(process.execPath, [bin, '--from', data, 'window', 'session', `${gap}m`, '--by', 'origin', '--time', 'time', 'then', 'agg', 'count, max(delay)', 'by', 'origin'], {
  encoding: 'utf8',
  maxBuffer: 1 << 30,
});
const sluiceMs = Date.now() - t0;
if (r.status !== 0) throw new Error(`sluice failed (${r.status}): ${r.stderr}`);
const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l));

const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run('SET threads = 1');
await con.run(
  `CREATE TABLE flights AS SELECT row_number() OVER () AS rn, CAST(time AS TIMESTAMP) AS t, delay, origin
   FROM read_json('${data}', format = 'newline_delimited', columns = {time: 'VARCHAR', delay: 'BIGINT', distance: 'BIGINT', origin: 'VARCHAR', destination: 'VARCHAR'})`,
);
const t1 = Date.now();
const want = (await con.runAndReadAll(sessionsSql('flights', gap))).getRowObjectsJson();
const duckMs = Date.now() - t1;
con.closeSync();
fs.rmSync(tmp, { recursive: true, force: true });

const norm = (x) => [x.window_start, x.window_end, x.origin, Number(x.count), Number(x.max_delay)].join(' ');
const a = got.map(norm);
const b = want.map(norm);
let firstDiff = -1;
for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) { firstDiff = i; break; }
const setB = new Set(b);
const notInDuck = a.filter((x) => !setB.has(x)).length;
console.log(`records: ${records}, gap ${gap}m; sluice sessions: ${a.length} (${sluiceMs} ms), DuckDB sessions: ${b.length} (query ${duckMs} ms)`);
console.log(`sluice rows not in DuckDB's result: ${notInDuck}; row-for-row in order: ${firstDiff < 0 ? 'identical' : `first difference at row ${firstDiff + 1}: sluice ${a[firstDiff]} / DuckDB ${b[firstDiff]}`}`);
process.exit(firstDiff < 0 ? 0 : 1);
