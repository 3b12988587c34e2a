#!/usr/bin/env node
/**
 * DuckDB as a benchmark peer (issue 14: "DuckDB on 2 threads producing the
 * same result"): runs one SQL statement with @duckdb/node-api (a
 * devDependency) on N threads and writes the result to stdout, so that
 * bench/run.js can time it as a process and compare its output with
 * sluice's like any other peer's.
 *
 *   node bench/duckdb-peer.js [--threads N] [--format ndjson|csv] SQL
 *
 * SQL that starts with COPY writes by itself (`TO '/dev/stdout'`); any other
 * statement's rows are printed as NDJSON (one object per row) or CSV (a
 * header, then the rows; no value here needs quoting). BIGINT counts are
 * printed as numbers. Exit status 3 when @duckdb/node-api is not installed
 * (bench/run.js reports the peer as missing), 1 on a DuckDB error.
 */
const args = process.argv.slice(2);
let threads = '2';
let format = 'ndjson';
let sql = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--threads') threads = args[++i];
  else if (args[i] === '--format') format = args[++i];
  else sql = args[i];
}
if (!sql) {
  process.stderr.write('usage: duckdb-peer.js [--threads N] [--format ndjson|csv] SQL\n');
  process.exit(2);
}
let duck;
try {
  duck = await import('@duckdb/node-api');
} catch {
  process.stderr.write('duckdb-peer: @duckdb/node-api is not installed\n');
  process.exit(3);
}
try {
  const inst = await duck.DuckDBInstance.create(':memory:', { threads });
  const con = await inst.connect();
  if (/^\s*COPY\b/i.test(sql)) {
    await con.run(sql);
  } else {
    const reader = await con.runAndReadAll(sql);
    const names = reader.columnNames();
    const rows = reader.getRowsJS();
    const cell = (v) => (typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : v);
    let out = '';
    if (format === 'csv') {
      out += names.join(',') + '\n';
      for (const r of rows) out += r.map((v) => (v === null ? '' : String(cell(v)))).join(',') + '\n';
    } else {
      for (const r of rows) {
        const o = {};
        names.forEach((n, i) => (o[n] = cell(r[i])));
        out += JSON.stringify(o) + '\n';
      }
    }
    process.stdout.write(out);
  }
} catch (e) {
  process.stderr.write(`duckdb-peer: ${e.message}\n`);
  process.exit(1);
}
