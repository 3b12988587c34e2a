#!/usr/bin/env node
/**
 * sluice benchmark: times each workload with sluice and with every peer that
 * is installed (Miller `mlr`, `jq`, the minimal Node loop, DuckDB on 2
 * threads through @duckdb/node-api: bench/duckdb-peer.js), side by side on
 * the same machine and the same generated data, one process at a time.
 * W1–W5 also run as `sluice -j 2` (issue 14): its "sluice ÷ tool" is the
 * speed-up over -j 1, its output must be byte-identical to -j 1's, and the
 * budget lines check speed-up ≥ 1.6 and -j 2 ÷ DuckDB ≤ 1.25 for W1–W4.
 * Growth with records and groups: bench/growth.js.
 *
 *   node bench/run.js [--quick] [--runs N] [--records N] [--only W1,W3]
 *                     [--timeout SEC] [--seed S] [--update-readme | --no-readme]
 *
 * Environment: BENCH_RUNS, BENCH_RECORDS, BENCH_TIMEOUT (seconds) set the
 * same as the flags (flags win); BENCH_SLUICE=path/to/sluice.js benches
 * another build of sluice.
 *
 * For each workload and tool: median wall time over the runs (measured around
 * the process, from spawn to exit), peak RSS (GNU time's %M, the maximum
 * resident set of the process and its children, in MB of 10^6 bytes), the
 * median CPU time (user + system; steadier than wall time on a busy machine,
 * but it charges a tool for using several cores), and
 * sluice's time divided by the tool's (below 1 means sluice is faster). Every
 * tool writes its output to bench/out/; the outputs are summarised (rows, sum
 * of the count column) and a peer whose summary differs from sluice's is
 * flagged, so that a ratio never compares different work.
 *
 * A tool that is not installed is reported as missing; a run that exits
 * non-zero is reported as "failed: <its first error line>" and the bench goes
 * on. The exit status is 0 unless the bench itself breaks (budget misses are
 * reported, not fatal).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, createReadStream } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SEED, ensureDataset } from './gen.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const DATA = join(HERE, 'data');
const OUT = join(HERE, 'out');
/** The sluice entry point; BENCH_SLUICE=path/to/sluice.js benches another build. */
const SLUICE = process.env.BENCH_SLUICE ? resolve(process.env.BENCH_SLUICE) : join(ROOT, 'bin/sluice.js');
const TIME = '/usr/bin/time';
const MB = 1e6;
/** Peak RSS budget of every sluice workload, in bytes. */
const RSS_BUDGET = 150 * MB;
/** Peak RSS budget of `sluice -j 2` (issue 14: ≤ 250 MB at 3M records), in bytes. */
const RSS_BUDGET_J2 = 250 * MB;
const README = join(HERE, 'README.md');
const MARK_START = '<!-- bench:table:start -->';
const MARK_END = '<!-- bench:table:end -->';

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const env = process.env;
  const o = {
    quick: false,
    runs: env.BENCH_RUNS ? Number(env.BENCH_RUNS) : 3,
    records: env.BENCH_RECORDS ? Number(env.BENCH_RECORDS) : undefined,
    timeout: env.BENCH_TIMEOUT ? Number(env.BENCH_TIMEOUT) : 600,
    seed: DEFAULT_SEED,
    only: null,
    readme: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--runs') o.runs = Number(v());
    else if (a === '--records') o.records = Number(v());
    else if (a === '--timeout') o.timeout = Number(v());
    else if (a === '--seed') o.seed = Number(v());
    else if (a === '--only') o.only = v().toUpperCase().split(',').map((s) => s.trim());
    else if (a === '--update-readme') o.readme = true;
    else if (a === '--no-readme') o.readme = false;
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown option ${a}`);
  }
  o.records ??= o.quick ? 300_000 : 3_000_000;
  for (const k of ['runs', 'records', 'timeout']) {
    if (!Number.isInteger(o[k]) || o[k] < 1) usage(`--${k} must be a positive integer`);
  }
  // The README keeps the table of a full run only, unless asked.
  o.readme ??= !o.quick && !o.only && o.records === 3_000_000;
  return o;
}

function usage(err) {
  const text = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(2).join('\n').split('\n */')[0];
  process[err ? 'stderr' : 'stdout'].write((err ? `bench: ${err}\n` : '') + text.replace(/^ \*\/?/gm, '') + '\n');
  process.exit(err ? 2 : 0);
}

// ---------------------------------------------------------------- workloads

/**
 * The workloads. `sluice` is sluice's argument list; each peer runs a command
 * on the same input. `summary` says how outputs are compared: 'lines' (record
 * count), 'groups' (rows and the sum of the count column), 'bytes' (identical
 * to the input for sluice, record count for peers).
 */
export function workloads(d) {
  const nd = { file: d.ndjson, fmt: 'ndjson' };
  const csv = { file: d.csv, fmt: 'csv' };
  const node = process.execPath;
  const loop = join(HERE, 'minimal-loop.js');
  const duckPeer = join(HERE, 'duckdb-peer.js');
  /** DuckDB on 2 threads doing the same work (bench/duckdb-peer.js), output in the workload's format. */
  const duck = (fmt, sql) => ({ name: 'DuckDB 2 threads', cmd: node, args: [duckPeer, '--threads', '2', '--format', fmt, sql], duck: true });
  const q = (f) => `'${f.replace(/'/g, "''")}'`;
  return [
    {
      id: 'W1',
      title: 'NDJSON filter',
      input: nd,
      sluice: ['filter', 'delay > 60'],
      peers: [
        { name: 'jq', cmd: 'jq', args: ['-c', 'select(.delay > 60)'] },
        { name: 'mlr', cmd: 'mlr', args: ['--ijsonl', '--ojsonl', 'filter', '$delay > 60'] },
        { name: 'minimal loop', cmd: node, args: [loop, '--filter'] },
        duck('ndjson', `COPY (SELECT * FROM read_json_auto(${q(d.ndjson)}) WHERE delay > 60) TO '/dev/stdout' (FORMAT JSON)`),
      ],
      parallel: true,
      summary: 'lines',
    },
    {
      id: 'W2',
      title: 'CSV filter + agg by origin',
      input: csv,
      sluice: ['filter', 'delay > 60', 'then', 'agg', 'count, avg(delay)', 'by', 'origin'],
      peers: [
        {
          name: 'mlr',
          cmd: 'mlr',
          args: ['--icsv', '--ocsv', 'filter', '$delay > 60', 'then', 'stats1', '-a', 'count,mean', '-f', 'delay', '-g', 'origin'],
        },
        duck('csv', `SELECT origin, count(*) AS count, avg(delay) AS avg_delay FROM read_csv_auto(${q(d.csv)}) WHERE delay > 60 GROUP BY origin`),
      ],
      parallel: true,
      summary: 'groups',
    },
    {
      id: 'W3',
      title: 'CSV tumbling 1h count by origin',
      input: csv,
      sluice: ['window', 'tumbling', '1h', '--time', 'time', 'then', 'agg', 'count', 'by', 'origin'],
      peers: [
        {
          name: 'mlr',
          cmd: 'mlr',
          args: [
            '--icsv', '--ocsv', 'put', '$h = sec2gmt(strptime($time, "%Y-%m-%dT%H:%M:%SZ") // 3600 * 3600)',
            'then', 'count', '-g', 'h,origin',
          ],
        },
        duck('csv', `SELECT time_bucket(INTERVAL 1 HOUR, "time"::TIMESTAMP) AS window_start, origin, count(*) AS count FROM read_csv_auto(${q(d.csv)}) GROUP BY ALL`),
      ],
      parallel: true,
      summary: 'groups',
    },
    {
      id: 'W4',
      title: 'NDJSON join airports + count by state',
      input: nd,
      sluice: ['join', d.airports, '--on', 'origin=iata', 'then', 'agg', 'count', 'by', 'state'],
      peers: [
        {
          name: 'mlr',
          cmd: 'mlr',
          args: ['--ijsonl', '--ojsonl', 'join', '-i', 'csv', '-j', 'iata', '-l', 'iata', '-r', 'origin', '-f', d.airports, 'then', 'count', '-g', 'state'],
        },
        duck('ndjson', `SELECT a.state, count(*) AS count FROM read_json_auto(${q(d.ndjson)}) f JOIN read_csv_auto(${q(d.airports)}) a ON f.origin = a.iata GROUP BY a.state`),
      ],
      parallel: true,
      summary: 'groups',
    },
    {
      id: 'W5a',
      title: 'NDJSON pass-through',
      input: nd,
      sluice: [],
      peers: [
        { name: 'minimal loop', cmd: node, args: [loop] },
        { name: 'mlr', cmd: 'mlr', args: ['--ijsonl', '--ojsonl', 'cat'] },
      ],
      parallel: true,
      summary: 'bytes',
    },
    {
      id: 'W5b',
      title: 'CSV pass-through',
      input: csv,
      sluice: [],
      peers: [
        { name: 'minimal CSV loop', cmd: node, args: [loop, '--csv'] },
        { name: 'mlr', cmd: 'mlr', args: ['--icsv', '--ocsv', 'cat'] },
      ],
      summary: 'bytes',
    },
    {
      id: 'W6',
      title: `NDJSON sliding 1d/1m vs tumbling 1d (${d.w6.records / 1e6}M)`,
      input: { file: d.w6.ndjson, fmt: 'ndjson' },
      sluice: ['window', 'sliding', '1d', '--every', '1m', '--time', 'time', 'then', 'agg', 'count'],
      sluiceLabel: 'sluice sliding',
      peers: [
        {
          name: 'sluice tumbling',
          cmd: node,
          args: [SLUICE, 'window', 'tumbling', '1d', '--time', 'time', 'then', 'agg', 'count'],
          isSluice: true,
          different: true, // other work by design: no agreement check
        },
      ],
      summary: 'groups',
    },
  ];
}

/** Each workload's budgets: sluice's time must be at most `max` times the peer's. */
const BUDGETS = [
  { id: 'W1', peer: 'jq', max: 0.33 },
  { id: 'W1', peer: 'minimal loop', max: 1.25 },
  { id: 'W2', peer: 'mlr', max: 1.0 },
  { id: 'W3', peer: 'mlr', max: 0.25 },
  { id: 'W4', peer: 'mlr', max: 0.2 },
];

// ---------------------------------------------------------------- tools

/** Version line of a tool, or null when it is not installed. */
function version(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return (r.stdout || r.stderr).trim().split('\n')[0];
}

/** The checked-out commit of sluice, `+` when src/ has changes not committed (read-only git calls). */
function commitOf() {
  const head = version('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  if (!head) return 'unknown';
  const dirty = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).stdout?.trim();
  return head + (dirty ? '+' : '');
}

/** The line of a failed run's stderr that best says what went wrong. */
export function firstErrorLine(stderr) {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  // A Node crash starts with the file and line; the message comes a few lines later.
  const msg = lines.find((l) => /^(sluice:|\w*Error\b|error:|mlr:|jq: error)/i.test(l));
  return (msg ?? lines[0] ?? '(no stderr)').slice(0, 160);
}

/**
 * Runs one command once under GNU time, stdin from `input`, stdout to `output`.
 * @returns {Promise<{ok: boolean, wall: number, rss: number|null, cpu: number|null, error?: string}>}
 *   wall and cpu (user + system of the process and its children) in seconds, rss in bytes
 */
function runOnce(cmd, args, input, output, timeoutSec, haveTime) {
  return new Promise((done) => {
    const timeFile = join(OUT, '.time');
    const inFd = openSync(input, 'r');
    const outFd = openSync(output, 'w');
    const argv = haveTime ? ['-f', '%e %M %U %S', '-o', timeFile, cmd, ...args] : args;
    const t0 = process.hrtime.bigint();
    let child;
    try {
      child = spawn(haveTime ? TIME : cmd, argv, { stdio: [inFd, outFd, 'pipe'], detached: true });
    } finally {
      closeSync(inFd);
      closeSync(outFd);
    }
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s) => {
      if (stderr.length < 65536) stderr += s;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL'); // the process group this run started
      } catch {
        /* already gone */
      }
    }, timeoutSec * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      done({ ok: false, wall: 0, rss: null, error: e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      let rss = null;
      let cpu = null;
      if (haveTime && existsSync(timeFile)) {
        const last = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
        const m = /^([\d.]+) (\d+) ([\d.]+) ([\d.]+)$/.exec(last);
        if (m) {
          rss = Number(m[2]) * 1024;
          cpu = Number(m[3]) + Number(m[4]);
        }
      }
      if (timedOut) done({ ok: false, wall, rss, cpu, error: `timeout after ${timeoutSec} s` });
      else if (code !== 0) done({ ok: false, wall, rss, cpu, error: firstErrorLine(stderr) || `exit ${code}` });
      else done({ ok: true, wall, rss, cpu });
    });
  });
}

// ---------------------------------------------------------------- output summaries

/**
 * Summarises an output file: number of records, sum of its count column
 * (`count` or `*_count`, when there is one) and a SHA-1 of the bytes.
 * CSV is split naively (the outputs compared here hold no quoted commas); a
 * blank line starts a new header block.
 */
async function summarise(file, fmt, kind) {
  const counts = kind === 'groups';
  const hash = createHash('sha1');
  let rows = 0;
  let countSum = null;
  let header = null;
  let countIdx = -1;
  const rl = createInterface({ input: createReadStream(file).on('data', (b) => hash.update(b)), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line) {
      header = null;
      continue;
    }
    if (fmt === 'ndjson') {
      rows++;
      if (counts && line.includes('count')) {
        const r = JSON.parse(line);
        for (const k of Object.keys(r)) {
          if (k === 'count' || k.endsWith('_count')) countSum = (countSum ?? 0) + Number(r[k]);
        }
      }
    } else if (header === null) {
      header = line.split(',');
      countIdx = counts ? header.findIndex((k) => k === 'count' || k.endsWith('_count')) : -1;
    } else {
      rows++;
      if (countIdx >= 0) countSum = (countSum ?? 0) + Number(line.split(',')[countIdx]);
    }
  }
  return { rows, countSum, sha1: hash.digest('hex') };
}

function describe(s, kind) {
  if (!s) return '';
  const rows = `${s.rows.toLocaleString('en-US')} rows`;
  return kind === 'groups' && s.countSum !== null ? `${rows}, Σcount ${s.countSum.toLocaleString('en-US')}` : rows;
}

/** Whether a peer's summary shows the same work as sluice's. */
function agrees(kind, sluice, peer) {
  if (!sluice || !peer) return null;
  if (kind === 'bytes') return peer.rows === sluice.rows;
  if (kind === 'groups') return peer.rows === sluice.rows && peer.countSum === sluice.countSum;
  return peer.rows === sluice.rows;
}

// ---------------------------------------------------------------- stats and formatting

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmtS = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const fmtMB = (b) => (b === null ? 'n/a' : (b / MB).toFixed(0));

function mdTable(rows) {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) => '| ' + r.map((c, i) => String(c).padEnd(w[i])).join(' | ') + ' |';
  return [line(rows[0]), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...rows.slice(1).map(line)].join('\n');
}

// ---------------------------------------------------------------- main

async function main() {
  const o = parseArgs(process.argv.slice(2));
  mkdirSync(OUT, { recursive: true });
  const log = (m) => process.stderr.write(m + '\n');

  const haveTime = existsSync(TIME);
  if (!haveTime) log(`bench: ${TIME} not found: peak RSS will not be measured`);
  const tools = {
    node: process.version,
    mlr: version('mlr', ['--version']),
    jq: version('jq', ['--version']),
    duckdb: await import('@duckdb/node-api').then(
      () => 'DuckDB (@duckdb/node-api)',
      () => null,
    ),
  };
  const cpu = cpus();
  const machine = {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    cores: cpu.length,
    cpu: cpu[0]?.model?.replace(/\s+/g, ' ').trim() ?? 'unknown',
    memGB: Math.round(totalmem() / 2 ** 30),
    node: tools.node,
    mlr: tools.mlr ?? 'missing',
    jq: tools.jq ?? 'missing',
    commit: commitOf(),
    load: loadavg()[0].toFixed(2),
    records: o.records,
    runs: o.runs,
    seed: o.seed,
  };

  const data = await ensureDataset({ dir: DATA, records: o.records, seed: o.seed, log });
  const w6n = Math.min(1_000_000, o.records);
  const w6 = w6n === o.records ? { ...data, records: w6n } : { ...(await ensureDataset({ dir: DATA, records: w6n, seed: o.seed, formats: ['ndjson'], log })), records: w6n };

  let list = workloads({ ...data, w6 });
  if (o.only) {
    list = list.filter((w) => o.only.some((x) => w.id.toUpperCase() === x || (x === 'W5' && w.id.startsWith('W5'))));
    if (!list.length) usage(`--only matched no workload`);
  }

  if (loadavg()[0] > 0.5) log(`bench: load average ${machine.load}: the machine is busy, expect noisy times`);
  log(`bench: ${o.records.toLocaleString('en-US')} records, ${o.runs} run(s) each, ${machine.cores} cores, node ${machine.node}, ${machine.mlr}, ${machine.jq}`);
  const results = [];
  for (const w of list) {
    // Warm the page cache so the first tool does not pay for the disk.
    await new Promise((r) => createReadStream(w.input.file).on('data', () => {}).on('close', r));
    const entries = [
      { name: w.sluiceLabel ?? 'sluice', cmd: process.execPath, args: [SLUICE, ...w.sluice], isSluice: true, main: true },
      // -j 2 beside -j 1: its "sluice ÷ tool" is the speed-up; its output must be byte-identical.
      ...(w.parallel ? [{ name: 'sluice -j 2', cmd: process.execPath, args: [SLUICE, '-j', '2', ...w.sluice], isSluice: true, sameBytes: true }] : []),
      ...w.peers.map((p) => ({ ...p, missing: p.cmd === 'mlr' ? !tools.mlr : p.cmd === 'jq' ? !tools.jq : p.duck ? !tools.duckdb : false })),
    ].map((e, i) => ({ ...e, out: join(OUT, `${w.id}-${i}-${e.name.replace(/\W+/g, '_')}.out`), walls: [], cpus: [], rsss: [], error: null }));
    for (let run = 1; run <= o.runs; run++) {
      for (const e of entries) {
        if (e.missing || e.error) continue;
        const r = await runOnce(e.cmd, e.args, w.input.file, e.out, o.timeout, haveTime);
        if (!r.ok) {
          e.error = run > 1 ? `${r.error} (run ${run})` : r.error;
          log(`  ${w.id} ${e.name}: failed: ${r.error}`);
          continue;
        }
        e.walls.push(r.wall);
        if (r.rss !== null) e.rsss.push(r.rss);
        if (r.cpu !== null) e.cpus.push(r.cpu);
        if (haveTime && (r.rss === null || r.cpu === null)) log(`  ${w.id} ${e.name}: no figures from ${TIME}`);
        log(`  ${w.id} ${e.name} run ${run}: ${r.wall.toFixed(2)} s, cpu ${r.cpu?.toFixed(2)} s, ${fmtMB(r.rss)} MB`);
      }
    }
    for (const e of entries) {
      if (!e.error && !e.missing && e.walls.length) e.summary = await summarise(e.out, w.input.fmt, w.summary);
      // A tool that failed on any run has no result, even if earlier runs passed.
      e.median = e.walls.length && !e.error ? median(e.walls) : null;
      e.cpuMedian = e.cpus.length && !e.error ? median(e.cpus) : null;
      e.peak = e.rsss.length && !e.error ? Math.max(...e.rsss) : null;
    }
    const s = entries[0];
    if (w.summary === 'bytes' && s.summary) {
      s.identical = s.summary.sha1 === (await summarise(w.input.file, w.input.fmt, 'bytes')).sha1;
    }
    for (const e of entries.slice(1)) {
      e.agrees = e.different ? null : e.sameBytes ? (s.summary && e.summary ? s.summary.sha1 === e.summary.sha1 : null) : agrees(w.summary, s.summary, e.summary);
    }
    results.push({ w, entries });
  }

  // ---- table
  const rows = [['workload', 'tool', 'median s', 'runs (s)', 'cpu s', 'peak RSS MB', 'sluice ÷ tool', '÷ cpu', 'output']];
  for (const { w, entries } of results) {
    const s = entries[0];
    for (const e of entries) {
      let status;
      if (e.missing) status = 'missing';
      else if (e.error) status = `failed: ${e.error}`;
      let out = status ?? describe(e.summary, w.summary);
      if (!status && e === s && s.identical !== undefined) out += s.identical ? ', bytes = input' : ', bytes ≠ input';
      if (!status && e !== s && e.agrees === false) out += e.sameBytes ? ', bytes ≠ -j 1' : ' ≠ sluice';
      if (!status && e.sameBytes && e.agrees === true) out += ', bytes = -j 1';
      const ratio = e === s || e.median === null || s.median === null ? '' : (s.median / e.median).toFixed(2);
      const cpuRatio = e === s || !e.cpuMedian || s.cpuMedian === null ? '' : (s.cpuMedian / e.cpuMedian).toFixed(2);
      rows.push([
        e === s ? `${w.id} ${w.title}` : '',
        e.name,
        status ? '' : fmtS(e.median),
        status ? '' : e.walls.map(fmtS).join(' '),
        status || e.cpuMedian === null ? '' : fmtS(e.cpuMedian),
        status ? '' : fmtMB(e.peak),
        ratio,
        cpuRatio,
        out,
      ]);
    }
  }
  const budgetLines = [];
  for (const b of BUDGETS) {
    const r = results.find((x) => x.w.id === b.id);
    if (!r) continue;
    const s = r.entries[0];
    const p = r.entries.find((e) => e.name === b.peer);
    const what = `${b.id} sluice ÷ ${b.peer} ≤ ${b.max}`;
    if (s.median === null) budgetLines.push(`n/a   ${what}: sluice ${s.error ? 'failed' : 'did not run'}`);
    else if (!p || p.median === null) budgetLines.push(`n/a   ${what}: ${b.peer} ${p?.missing ? 'missing' : 'failed'}`);
    else {
      const ratio = s.median / p.median;
      const warn = p.agrees === false ? ' (outputs differ!)' : '';
      const cpu = s.cpuMedian !== null && p.cpuMedian ? ` (cpu ${(s.cpuMedian / p.cpuMedian).toFixed(2)})` : '';
      budgetLines.push(`${ratio <= b.max ? 'PASS' : 'MISS'}  ${what}: ${ratio.toFixed(3)}${cpu}${warn}`);
    }
  }
  for (const { w, entries } of results) {
    for (const e of entries.filter((x) => x.isSluice)) {
      const budget = e.sameBytes ? RSS_BUDGET_J2 : RSS_BUDGET;
      const what = `${w.id} ${e.name} peak RSS ≤ ${budget / MB} MB`;
      if (e.peak === null) budgetLines.push(`n/a   ${what}: ${e.error ? 'failed' : 'not measured'}`);
      else budgetLines.push(`${e.peak <= budget ? 'PASS' : 'MISS'}  ${what}: ${fmtMB(e.peak)}`);
    }
  }
  // -j 2 (issue 14): at least 1.6× faster than -j 1 with the same bytes, and within 1.25× of DuckDB on 2 threads.
  for (const { w, entries } of results) {
    const s = entries[0];
    const j2 = entries.find((e) => e.sameBytes);
    const dk = entries.find((e) => e.duck);
    if (!j2 || !['W1', 'W2', 'W3', 'W4'].includes(w.id)) continue;
    if (s.median === null || j2.median === null) budgetLines.push(`n/a   ${w.id} -j 2 speed-up ≥ 1.6: a run failed`);
    else {
      const sp = s.median / j2.median;
      budgetLines.push(`${sp >= 1.6 && j2.agrees === true ? 'PASS' : 'MISS'}  ${w.id} -j 2 speed-up ≥ 1.6 (bytes identical): ${sp.toFixed(2)}${j2.agrees === true ? '' : ', OUTPUT DIFFERS'}`);
    }
    if (!dk || dk.missing) budgetLines.push(`n/a   ${w.id} -j 2 ÷ DuckDB 2 threads ≤ 1.25: DuckDB missing`);
    else if (j2.median === null || dk.median === null) budgetLines.push(`n/a   ${w.id} -j 2 ÷ DuckDB 2 threads ≤ 1.25: a run failed`);
    else {
      const r = j2.median / dk.median;
      budgetLines.push(`${r <= 1.25 ? 'PASS' : 'MISS'}  ${w.id} -j 2 ÷ DuckDB 2 threads ≤ 1.25: ${r.toFixed(2)}${dk.agrees === false ? ' (outputs differ!)' : ''}`);
    }
  }
  const w6r = results.find((x) => x.w.id === 'W6');
  const notes = [];
  if (w6r && w6r.entries[0].median !== null && w6r.entries[1].median !== null) {
    notes.push(`W6: sliding 1d every 1m takes ${(w6r.entries[0].median / w6r.entries[1].median).toFixed(2)}× the time of tumbling 1d (each record is in 1,440 sliding windows).`);
  }

  const header =
    `${machine.date}; ${machine.cores} cores (${machine.cpu}), ${machine.memGB} GB; node ${machine.node}; ` +
    `${machine.mlr}; ${machine.jq}; sluice ${machine.commit}; load average ${machine.load} at start; ` +
    `${o.records.toLocaleString('en-US')} records (seed ${o.seed}), median of ${o.runs} run(s).`;
  const md = [header, '', mdTable(rows), '', '```', ...budgetLines, '```', ...(notes.length ? ['', ...notes] : [])].join('\n');
  process.stdout.write('\n' + md + '\n');
  writeFileSync(join(OUT, 'latest.md'), md + '\n');
  writeFileSync(
    join(OUT, 'latest.json'),
    JSON.stringify(
      {
        machine,
        results: results.map(({ w, entries }) => ({
          id: w.id,
          title: w.title,
          tools: entries.map((e) => ({
            name: e.name,
            command: [e.cmd === process.execPath ? 'node' : e.cmd, ...e.args.map((a) => (a.startsWith(ROOT) ? relative(ROOT, a) : a))],
            missing: !!e.missing,
            error: e.error,
            walls: e.walls,
            cpus: e.cpus,
            median: e.median,
            peakRss: e.peak,
            summary: e.summary ?? null,
            agrees: e.agrees ?? null,
          })),
        })),
        budgets: budgetLines,
      },
      null,
      2,
    ) + '\n',
  );
  if (o.readme) updateReadme(md);
  log(`\nbench: wrote ${relative(ROOT, join(OUT, 'latest.md'))}${o.readme ? ' and the table in bench/README.md' : ''}`);
}

/** Replaces the text between the table markers of bench/README.md. */
function updateReadme(md) {
  if (!existsSync(README)) return;
  const text = readFileSync(README, 'utf8');
  const a = text.indexOf(MARK_START);
  const b = text.indexOf(MARK_END);
  if (a < 0 || b < a) return;
  writeFileSync(README, text.slice(0, a + MARK_START.length) + '\n' + md + '\n' + text.slice(b));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`bench: ${e.stack ?? e}\n`);
    process.exit(1);
  });
}
