/**
 * The benchmark's data generator (bench/gen.js): deterministic for a seed,
 * independent of how it is pulled, and shaped like the flights data.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error plain ESM JavaScript without type declarations
import * as gen from '../../bench/gen.js';

const { flightSource, wideSource, loadBase, mulberry32, ensureDataset, START_MS, FLIGHTS_PER_MINUTE } = gen as {
  flightSource: (o: { records: number; seed?: number; base?: unknown }) => {
    next: (max: number) => { ndjson: string; csv: string; count: number } | null;
    csvHeader: string;
  };
  wideSource: (o: { bytes: number; seed?: number }) => { next: (max: number) => string | null };
  loadBase: () => { codes: string[]; airportsCsv: string; delays: number[] };
  mulberry32: (seed: number) => () => number;
  ensureDataset: (o: { dir: string; records: number; seed?: number }) => Promise<{
    ndjson: string;
    csv: string;
    airports: string;
    reused: boolean;
  }>;
  START_MS: number;
  FLIGHTS_PER_MINUTE: number;
};

const base = loadBase();

/** Pulls a whole flight source with the given chunk sizes (cycled). */
function pull(records: number, seed: number, sizes: number[] = [100_000]) {
  const src = flightSource({ records, seed, base });
  let nd = '';
  let cs = src.csvHeader;
  for (let i = 0; ; i++) {
    const c = src.next(sizes[i % sizes.length]);
    if (!c) break;
    expect(c.count).toBeGreaterThan(0);
    nd += c.ndjson;
    cs += c.csv;
  }
  return { nd, cs };
}

describe('mulberry32', () => {
  it('is deterministic, in [0, 1), and seed-dependent', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
  });
});

describe('flightSource', () => {
  it('gives the same bytes for the same seed and different bytes for another', () => {
    const a = pull(5000, 7);
    const b = pull(5000, 7);
    expect(b.nd).toBe(a.nd);
    expect(b.cs).toBe(a.cs);
    expect(pull(5000, 8).nd).not.toBe(a.nd);
  });

  it('does not depend on the chunk sizes it is pulled with', () => {
    const whole = pull(2000, 3).nd;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }), (sizes) => {
        expect(pull(2000, 3, sizes).nd).toBe(whole);
      }),
      { numRuns: 30 },
    );
  });

  it('makes flight-shaped records in time order, the same in NDJSON and CSV', () => {
    const n = 30_000;
    const { nd, cs } = pull(n, 20010101);
    const lines = nd.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(n);
    const csvLines = cs.split('\n');
    expect(csvLines.pop()).toBe('');
    expect(csvLines[0]).toBe('time,delay,distance,origin,destination');
    expect(csvLines).toHaveLength(n + 1);

    const codes = new Set(base.codes);
    let prev = -Infinity;
    let negative = 0;
    let over60 = 0;
    const origins = new Set<string>();
    for (let i = 0; i < n; i++) {
      const r = JSON.parse(lines[i]);
      expect(Object.keys(r)).toEqual(['time', 'delay', 'distance', 'origin', 'destination']);
      expect(r.time).toMatch(/^2001-\d\d-\d\dT\d\d:\d\d:00Z$/);
      const t = Date.parse(r.time);
      expect(t).toBeGreaterThanOrEqual(prev);
      prev = t;
      expect(Number.isInteger(r.delay)).toBe(true);
      if (r.delay < 0) negative++;
      if (r.delay > 60) over60++;
      expect(Number.isInteger(r.distance) && r.distance > 0).toBe(true);
      expect(codes.has(r.origin)).toBe(true);
      expect(codes.has(r.destination)).toBe(true);
      expect(r.destination).not.toBe(r.origin);
      origins.add(r.origin);
      expect(csvLines[i + 1]).toBe([r.time, r.delay, r.distance, r.origin, r.destination].join(','));
    }
    // Like the real data: ~40 % early departures, ~8 % over an hour late.
    expect(negative / n).toBeGreaterThan(0.3);
    expect(negative / n).toBeLessThan(0.5);
    expect(over60 / n).toBeGreaterThan(0.05);
    expect(over60 / n).toBeLessThan(0.12);
    expect(origins.size).toBeGreaterThan(150);
    // Starts on 2001-01-01 and runs at about FLIGHTS_PER_MINUTE.
    const first = Date.parse(JSON.parse(lines[0]).time);
    expect(first - START_MS).toBeLessThan(3_600_000);
    const minutes = (prev - first) / 60_000;
    expect(n / minutes).toBeGreaterThan(FLIGHTS_PER_MINUTE * 0.8);
    expect(n / minutes).toBeLessThan(FLIGHTS_PER_MINUTE * 1.25);
  });
});

describe('loadBase', () => {
  it('has about 230 IATA codes and an airports row for each', () => {
    expect(base.codes.length).toBeGreaterThan(200);
    expect(base.codes.length).toBeLessThan(260);
    for (const c of base.codes) expect(c).toMatch(/^[A-Z0-9]{3}$/);
    const rows = base.airportsCsv.trimEnd().split('\n');
    expect(rows[0]).toBe('iata,name,city,state,country,latitude,longitude');
    expect(rows.slice(1).map((r) => r.slice(0, r.indexOf(',')))).toEqual(base.codes);
  });
});

describe('wideSource', () => {
  it('is deterministic, stops just past the byte count, and has fields a and b', () => {
    const take = (seed: number) => {
      const s = wideSource({ bytes: 100_000, seed });
      let out = '';
      for (let c = s.next(4096); c !== null; c = s.next(4096)) out += c;
      return out;
    };
    const a = take(1);
    expect(take(1)).toBe(a);
    expect(take(2)).not.toBe(a);
    expect(a.length).toBeGreaterThanOrEqual(100_000);
    const lines = a.trimEnd().split('\n');
    expect(a.length - 100_000).toBeLessThan(lines[0].length + 50);
    lines.forEach((l, i) => {
      const r = JSON.parse(l);
      expect(r.a).toBe(i);
      expect(typeof r.b).toBe('string');
      expect(Object.keys(r).length).toBeGreaterThan(4);
    });
  });
});

describe('ensureDataset', () => {
  it('writes the generated files once and reuses them after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-gen-'));
    try {
      const p = await ensureDataset({ dir, records: 12_345, seed: 5 });
      expect(p.reused).toBe(false);
      const { nd, cs } = pull(12_345, 5);
      expect(readFileSync(p.ndjson, 'utf8')).toBe(nd);
      expect(readFileSync(p.csv, 'utf8')).toBe(cs);
      expect(readFileSync(p.airports, 'utf8')).toBe(base.airportsCsv);
      const mtime = statSync(p.ndjson).mtimeMs;
      const again = await ensureDataset({ dir, records: 12_345, seed: 5 });
      expect(again.reused).toBe(true);
      expect(statSync(again.ndjson).mtimeMs).toBe(mtime);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
