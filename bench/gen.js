#!/usr/bin/env node
/**
 * Deterministic generator of flight-shaped benchmark data for sluice.
 *
 * Records look like the real 2001 US DOT on-time data in test/fixtures
 * (`time,delay,distance,origin,destination`), and are built by resampling it:
 *
 * - time: minute by minute from 2001-01-01T00:00:00Z; each minute holds a
 *   Poisson-distributed number of flights (Knuth's multiplication method,
 *   TAOCP vol. 2, 3.4.1) whose mean follows the fixture's hour-of-day profile,
 *   scaled so that 3,000,000 flights span January to June 2001 (about 11.5
 *   flights a minute). Times are ISO 8601 UTC with seconds (`...T00:01:00Z`)
 *   and never go backwards.
 * - delay: drawn from the empirical distribution of the 20,000 real delays
 *   (integer minutes, -80 to 1191, about 8 % above 60).
 * - origin, destination, distance: a real route (row) of the fixture, drawn
 *   uniformly, so busy airports stay busy and distances stay true (223 IATA
 *   codes in all).
 *
 * Randomness is mulberry32 (Tommy Ettinger, 2017, public domain; a 32-bit
 * state generator with period 2^32, good enough for benchmark data and
 * identical on every platform). The same seed, count and fixtures give
 * byte-identical files.
 *
 * Also makes the airports table the join workload needs: the fixture rows of
 * `airports.csv` (iata,name,city,state,country,latitude,longitude) for every
 * code used, in code order, copied verbatim.
 *
 * CLI:
 *   node bench/gen.js --records N [--seed S] [--out DIR]   write
 *        DIR/flights-N-sS.ndjson, .csv and DIR/airports.csv (default bench/data)
 *   node bench/gen.js --stdout ndjson|csv --records N [--seed S]
 *        stream flights to stdout
 *   node bench/gen.js --stdout wide --bytes B [--seed S]
 *        stream NDJSON records with fields a..g (about 190 bytes each) until
 *        B bytes, for the memory checks (`sluice select a,b`)
 */
import { createWriteStream, mkdirSync, readFileSync, existsSync, writeFileSync, renameSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Default folder of the real data the generator resamples. */
export const FIXTURES = resolve(HERE, '../test/fixtures');
/** Bumped whenever the output for a given seed and count changes. */
export const GEN_VERSION = 1;
/** Default seed. */
export const DEFAULT_SEED = 20010101;
/** Mean flights per minute: 3,000,000 flights over January to June 2001 (181 days). */
export const FLIGHTS_PER_MINUTE = 3_000_000 / (181 * 1440);
/** 2001-01-01T00:00:00Z in epoch milliseconds. */
export const START_MS = Date.UTC(2001, 0, 1);

/**
 * mulberry32 PRNG (Tommy Ettinger, 2017, public domain).
 * @param {number} seed 32-bit integer seed
 * @returns {() => number} uniform floats in [0, 1)
 */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Reads the real data the generator resamples.
 * @param {string} [dir] folder holding flights-20k.csv and airports.csv
 * @returns {{delays: number[], routes: {origin: string, destination: string, distance: number}[],
 *   hourRate: number[], codes: string[], airportsCsv: string}}
 *   hourRate[h] is the mean flights per minute during UTC hour h (average over
 *   hours = FLIGHTS_PER_MINUTE); airportsCsv is the header plus one verbatim
 *   row per code, sorted by code.
 * @throws {Error} when a code has no airports row
 */
export function loadBase(dir = FIXTURES) {
  const lines = readFileSync(join(dir, 'flights-20k.csv'), 'utf8').split('\n');
  const header = lines[0].trim();
  if (header !== 'time,delay,distance,origin,destination') throw new Error(`unexpected header ${header}`);
  const delays = [];
  const routes = [];
  const hourCount = new Array(24).fill(0);
  const hourSeen = new Array(24).fill(0);
  const codeSet = new Set();
  let firstMs = Infinity;
  let lastMs = -Infinity;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const [time, delay, distance, origin, destination] = line.split(',');
    const ms = Date.parse(time);
    firstMs = Math.min(firstMs, ms);
    lastMs = Math.max(lastMs, ms);
    hourCount[new Date(ms).getUTCHours()]++;
    delays.push(Number(delay));
    routes.push({ origin, destination, distance: Number(distance) });
    codeSet.add(origin);
    codeSet.add(destination);
  }
  // How many times each UTC hour of day occurs within the fixture's span.
  for (let h = Math.floor(firstMs / 3.6e6); h <= Math.floor(lastMs / 3.6e6); h++) hourSeen[h % 24]++;
  const perHour = hourCount.map((c, h) => (hourSeen[h] ? c / hourSeen[h] : 0));
  const mean = perHour.reduce((a, b) => a + b, 0) / 24;
  const hourRate = perHour.map((x) => (x / mean) * FLIGHTS_PER_MINUTE);

  const codes = [...codeSet].sort();
  const airportLines = readFileSync(join(dir, 'airports.csv'), 'utf8').split('\n');
  const byCode = new Map();
  for (let i = 1; i < airportLines.length; i++) {
    const l = airportLines[i].replace(/\r$/, '');
    if (l) byCode.set(l.slice(0, l.indexOf(',')), l);
  }
  const rows = codes.map((c) => {
    const row = byCode.get(c);
    if (!row) throw new Error(`no airports row for ${c}`);
    return row;
  });
  const airportsCsv = airportLines[0].replace(/\r$/, '') + '\n' + rows.join('\n') + '\n';
  return { delays, routes, hourRate, codes, airportsCsv };
}

/**
 * A pull-based generator of flight records as text.
 * @param {{records: number, seed?: number, base?: ReturnType<typeof loadBase>}} opts
 * @returns {{next: (max: number) => ({ndjson: string, csv: string, count: number} | null),
 *   csvHeader: string}} next() returns up to `max` more records in both
 *   formats (same records), or null when all `records` have been made.
 */
export function flightSource({ records, seed = DEFAULT_SEED, base = loadBase() }) {
  const rand = mulberry32(seed);
  const { delays, routes, hourRate } = base;
  const jsonTail = routes.map(
    (r) => `,"distance":${r.distance},"origin":"${r.origin}","destination":"${r.destination}"}\n`,
  );
  const csvTail = routes.map((r) => `,${r.distance},${r.origin},${r.destination}\n`);
  const expRate = hourRate.map((l) => Math.exp(-l));
  let made = 0;
  let minute = -1; // minutes since START_MS (the loop below steps to 0 first)
  let leftInMinute = 0;
  let timeText = '';

  /** Poisson draw, Knuth: count uniforms until their product drops below e^-lambda. */
  function poisson(limit) {
    let k = 0;
    let p = rand();
    while (p > limit) {
      k++;
      p *= rand();
    }
    return k;
  }

  function next(max) {
    if (made >= records) return null;
    const n = Math.min(max, records - made);
    let nd = '';
    let cs = '';
    for (let i = 0; i < n; i++) {
      while (leftInMinute === 0) {
        minute++;
        const ms = START_MS + minute * 60_000;
        leftInMinute = poisson(expRate[Math.floor(minute / 60) % 24]);
        if (leftInMinute) timeText = new Date(ms).toISOString().slice(0, 19) + 'Z';
      }
      leftInMinute--;
      const delay = delays[Math.floor(rand() * delays.length)];
      const r = Math.floor(rand() * routes.length);
      nd += '{"time":"' + timeText + '","delay":' + delay + jsonTail[r];
      cs += timeText + ',' + delay + csvTail[r];
    }
    made += n;
    return { ndjson: nd, csv: cs, count: n };
  }
  return { next, csvHeader: 'time,delay,distance,origin,destination\n' };
}

/**
 * A pull-based generator of "wide" NDJSON records with fields a..g (numbers,
 * strings, a nested object and an array; about 190 bytes each), used by the
 * memory checks.
 * @param {{bytes: number, seed?: number}} opts stop once at least `bytes` bytes were made
 * @returns {{next: (maxBytes: number) => (string | null)}}
 */
export function wideSource({ bytes, seed = DEFAULT_SEED }) {
  const rand = mulberry32(seed);
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
  let made = 0;
  let i = 0;
  function next(maxBytes) {
    if (made >= bytes) return null;
    let s = '';
    while (s.length < maxBytes && made + s.length < bytes) {
      const w = words[Math.floor(rand() * words.length)];
      s +=
        `{"a":${i},"b":"${w}-${i}","c":${(rand() * 1000).toFixed(3)},` +
        `"d":{"e":[${i % 7},${i % 11},${i % 13}],"f":"${w}"},"e":${rand() < 0.5},` +
        `"f":null,"g":"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod ${w}"}\n`;
      i++;
    }
    made += s.length; // ASCII only: characters are bytes
    return s;
  }
  return { next };
}

/** Writes `chunk` to every stream, waiting for 'drain' where write() asks to. */
async function writeAll(streams, chunks) {
  const waits = [];
  for (let i = 0; i < streams.length; i++) {
    if (!streams[i].write(chunks[i])) waits.push(once(streams[i], 'drain'));
  }
  if (waits.length) await Promise.all(waits);
}

async function closeAll(streams) {
  await Promise.all(
    streams.map((s) => {
      if (s === process.stdout) return undefined;
      s.end();
      return once(s, 'finish');
    }),
  );
}

/** Records per chunk the writers pull at once (about 0.9 MB of NDJSON). */
const CHUNK_RECORDS = 10_000;

/**
 * File names of a flights data set.
 * @param {string} dir
 * @param {number} records
 * @param {number} seed
 */
export function datasetPaths(dir, records, seed = DEFAULT_SEED) {
  const stem = join(dir, `flights-${records}-s${seed}`);
  return { ndjson: stem + '.ndjson', csv: stem + '.csv', meta: stem + '.meta.json', airports: join(dir, 'airports.csv') };
}

/**
 * Writes (or reuses, when a matching .meta.json sits beside them) the NDJSON
 * and CSV files of `records` flights and the airports table, streaming with
 * backpressure so memory stays flat whatever the count.
 * @param {{dir: string, records: number, seed?: number, formats?: ('ndjson'|'csv')[],
 *   log?: (msg: string) => void}} opts
 * @returns {Promise<ReturnType<typeof datasetPaths> & {reused: boolean}>}
 */
export async function ensureDataset({ dir, records, seed = DEFAULT_SEED, formats = ['ndjson', 'csv'], log = () => {} }) {
  mkdirSync(dir, { recursive: true });
  const paths = datasetPaths(dir, records, seed);
  const base = loadBase();
  if (!existsSync(paths.airports) || readFileSync(paths.airports, 'utf8') !== base.airportsCsv) {
    writeFileSync(paths.airports, base.airportsCsv);
  }
  const want = { version: GEN_VERSION, records, seed, formats: [...formats].sort() };
  if (existsSync(paths.meta)) {
    try {
      const have = JSON.parse(readFileSync(paths.meta, 'utf8'));
      if (
        have.version === want.version &&
        have.records === records &&
        have.seed === seed &&
        formats.every((f) => have.formats.includes(f) && existsSync(paths[f]))
      ) {
        return { ...paths, reused: true };
      }
    } catch {
      /* regenerate */
    }
  }
  log(`generating ${records.toLocaleString('en-US')} records (seed ${seed}) as ${formats.join(' + ')} in ${dir} ...`);
  const t0 = performance.now();
  const src = flightSource({ records, seed, base });
  const tmp = formats.map((f) => paths[f] + '.tmp');
  const streams = tmp.map((p) => createWriteStream(p, { highWaterMark: 1 << 20 }));
  const pick = formats.map((f) => (f === 'ndjson' ? 'ndjson' : 'csv'));
  await writeAll(streams, formats.map((f) => (f === 'csv' ? src.csvHeader : '')));
  for (let c = src.next(CHUNK_RECORDS); c; c = src.next(CHUNK_RECORDS)) {
    await writeAll(streams, pick.map((k) => c[k]));
  }
  await closeAll(streams);
  formats.forEach((f, i) => renameSync(tmp[i], paths[f]));
  writeFileSync(paths.meta, JSON.stringify({ ...want, generatedAt: new Date().toISOString() }) + '\n');
  log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { ...paths, reused: false };
}

/** Streams a source to stdout with backpressure; stops quietly on EPIPE. */
async function toStdout(pull) {
  let closed = false;
  process.stdout.on('error', (e) => {
    if (e.code === 'EPIPE') closed = true;
    else throw e;
  });
  for (let c = pull(); c !== null && !closed; c = pull()) {
    if (!process.stdout.write(c)) {
      await once(process.stdout, 'drain').catch(() => {});
    }
  }
}

function parseCli(argv) {
  const o = { records: 300_000, seed: DEFAULT_SEED, out: join(HERE, 'data'), stdout: null, bytes: 1e9 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--records') o.records = Number(v());
    else if (a === '--seed') o.seed = Number(v());
    else if (a === '--out') o.out = v();
    else if (a === '--stdout') o.stdout = v();
    else if (a === '--bytes') o.bytes = Number(v());
    else throw new Error(`unknown option ${a}`);
  }
  for (const k of ['records', 'seed', 'bytes']) {
    if (!Number.isInteger(o[k]) || o[k] < 0) throw new Error(`--${k} must be a non-negative integer`);
  }
  return o;
}

async function main() {
  const o = parseCli(process.argv.slice(2));
  if (o.stdout === 'wide') {
    const src = wideSource({ bytes: o.bytes, seed: o.seed });
    await toStdout(() => src.next(1 << 16));
  } else if (o.stdout === 'ndjson' || o.stdout === 'csv') {
    const src = flightSource({ records: o.records, seed: o.seed });
    let first = o.stdout === 'csv';
    const k = o.stdout;
    await toStdout(() => {
      if (first) {
        first = false;
        return src.csvHeader;
      }
      const c = src.next(CHUNK_RECORDS);
      return c && c[k];
    });
  } else if (o.stdout) {
    throw new Error(`--stdout takes ndjson, csv or wide`);
  } else {
    const p = await ensureDataset({ dir: o.out, records: o.records, seed: o.seed, log: (m) => process.stderr.write(m + '\n') });
    process.stderr.write(`${p.reused ? 'up to date' : 'wrote'}: ${p.ndjson} ${p.csv} ${p.airports}\n`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`gen: ${e.message}\n`);
    process.exit(2);
  });
}
