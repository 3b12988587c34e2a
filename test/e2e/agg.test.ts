/**
 * End-to-end tests of `agg` (issue 4) through bin/sluice.js: the flights
 * fixture against values computed here from the parsed fixture, CSV and NDJSON
 * giving the same answer, usage errors, and `--every` snapshots from an input
 * that never ends, closed by SIGINT.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, sleep, sluice, start } from '../helpers/run.js';

const CSV = path.join(FIXTURES, 'flights-20k.csv');
const NDJSON = path.join(FIXTURES, 'flights-20k.ndjson');
const AGGS = 'count, sum(delay), avg(delay), min(delay), max(delay), distinct(destination), p50(delay), p95(delay)';

interface Flight {
  delay: number;
  origin: string;
  destination: string;
}

/** The fixture, parsed here (plain CSV: no quoting in this file). */
function flights(): Flight[] {
  const lines = fs.readFileSync(CSV, 'utf8').trim().split('\n');
  const head = lines[0]!.split(',');
  return lines.slice(1).map((l) => {
    const cells = l.split(',');
    const get = (n: string) => cells[head.indexOf(n)]!;
    return { delay: Number(get('delay')), origin: get('origin'), destination: get('destination') };
  });
}

/** Nearest rank: the value at 1-based rank ceil(p·n) of the sorted values (p in percent, integer). */
function pct(sorted: number[], p: number): number {
  return sorted[Math.max(1, Math.ceil((p * sorted.length) / 100)) - 1]!;
}

function expected(): Array<Record<string, unknown>> {
  const by = new Map<string, Flight[]>();
  for (const f of flights()) {
    if (!by.has(f.origin)) by.set(f.origin, []);
    by.get(f.origin)!.push(f);
  }
  return [...by].map(([origin, fs]) => {
    const d = fs.map((f) => f.delay);
    const sorted = [...d].sort((a, b) => a - b);
    const sum = d.reduce((a, b) => a + b, 0);
    return {
      origin,
      count: fs.length,
      sum_delay: sum,
      avg_delay: sum / fs.length,
      min_delay: sorted[0],
      max_delay: sorted[sorted.length - 1],
      distinct_destination: new Set(fs.map((f) => f.destination)).size,
      p50_delay: pct(sorted, 50),
      p95_delay: pct(sorted, 95),
    };
  });
}

const parseLines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('agg on the flights fixture', () => {
  it('matches values computed independently, group by group, in order of first appearance', () => {
    const r = sluice(['--from', CSV, '-o', 'ndjson', 'agg', AGGS, 'by', 'origin']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = parseLines(r.stdout);
    const want = expected();
    expect(got.length).toBe(want.length);
    expect(got.length).toBeGreaterThan(100);
    for (let i = 0; i < want.length; i++) {
      const { avg_delay: wantAvg, ...rest } = want[i]!;
      expect(got[i]).toMatchObject(rest);
      expect(got[i]!.avg_delay as number).toBeCloseTo(wantAvg as number, 9);
      expect(Object.keys(got[i]!)).toEqual(Object.keys(want[i]!));
    }
  });

  it('gives the same result from CSV and from NDJSON input', () => {
    const a = sluice(['--from', CSV, '-o', 'ndjson', 'agg', AGGS, 'by', 'origin']);
    const b = sluice(['--from', NDJSON, 'agg', AGGS, 'by', 'origin']);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    const c = sluice(['--csv', 'agg', AGGS, 'by', 'origin'], fs.readFileSync(CSV, 'utf8'));
    const d = sluice(['--from', NDJSON, '-o', 'csv', 'agg', AGGS, 'by', 'origin']);
    expect(d.stdout).toBe(c.stdout);
  });

  it('agrees with a filter before it, and with keys written word by word', () => {
    const r = sluice(['--from', CSV, '-o', 'ndjson', 'filter', 'delay > 60', 'then', 'agg', 'count,', 'avg(delay)', 'as', 'mean', 'by', 'origin,', 'destination']);
    expect(r.code).toBe(0);
    const got = parseLines(r.stdout);
    const late = flights().filter((f) => f.delay > 60);
    const key = (f: { origin: unknown; destination: unknown }) => `${f.origin}>${f.destination}`;
    const groups = new Map<string, number[]>();
    for (const f of late) groups.set(key(f), [...(groups.get(key(f)) ?? []), f.delay]);
    expect(got.map(key)).toEqual([...groups.keys()]);
    for (const g of got) {
      const d = groups.get(key(g))!;
      expect(g.count).toBe(d.length);
      expect(g.mean as number).toBeCloseTo(d.reduce((a, b) => a + b, 0) / d.length, 9);
      expect(Object.keys(g)).toEqual(['origin', 'destination', 'count', 'mean']);
    }
  });

  it('writes one record without keys, also for empty input', () => {
    const r = sluice(['--from', CSV, 'agg', 'count, approx_distinct(destination), distinct(destination)']);
    const [head, row] = r.stdout.trim().split('\n');
    expect(head).toBe('count,approx_distinct_destination,distinct_destination');
    const [count, approx, exact] = row!.split(',').map(Number);
    expect(count).toBe(20_000);
    expect(exact).toBe(new Set(flights().map((f) => f.destination)).size);
    expect(approx).toBe(exact); // exact below ~2,000 distinct values
    const e = sluice(['--ndjson', 'agg', 'count, avg(x)'], '');
    expect(e.stdout).toBe('{"count":0,"avg_x":null}\n');
  });

  it('reports usage errors with exit 2 before reading input', () => {
    const a = sluice(['--from', CSV, 'agg', 'avgg(delay)', 'by', 'origin']);
    expect(a.code).toBe(2);
    expect(a.stdout).toBe('');
    expect(a.stderr).toMatch(/^sluice: agg: unknown aggregate 'avgg' \(did you mean avg\?\)/);
    expect(a.stderr.trim().split('\n').length).toBe(1);
    const b = sluice(['agg', 'sum()']);
    expect(b.code).toBe(2);
    expect(b.stderr).toBe('sluice: agg: sum needs a field, e.g. sum(delay)\n');
    const c = sluice(['agg', 'count as 1x']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain("bad name '1x' after 'as'");
    const d = sluice(['agg', 'count', 'by']);
    expect(d.code).toBe(2);
    expect(d.stderr).toBe("sluice: agg: 'by' needs at least one key, e.g. by origin\n");
    const e = sluice(['agg', 'count', '--every', 'often']);
    expect(e.code).toBe(2);
  });
});

describe('agg --every on a stream that never ends', () => {
  it('writes snapshots as totals grow, and on SIGINT the final totals, then exits 130', async () => {
    const p = start(['--ndjson', 'agg', 'count, max(n)', 'by', 'k', '--every', '1s']);
    let sent = 0;
    const writer = setInterval(() => {
      p.child.stdin.write(JSON.stringify({ k: 'a', n: ++sent }) + '\n');
    }, 100);
    try {
      // At least two snapshots, with growing totals, while the input stays open.
      const t0 = Date.now();
      while (p.stdout.trim().split('\n').filter(Boolean).length < 2 && Date.now() - t0 < 10_000) await sleep(50);
      const snaps = parseLines(p.stdout);
      expect(snaps.length).toBeGreaterThanOrEqual(2);
      expect(snaps[0]!.k).toBe('a');
      expect(snaps[1]!.count as number).toBeGreaterThan(snaps[0]!.count as number);
      expect(snaps[0]!.count as number).toBeGreaterThan(0);
      // Snapshots are written while input still arrives: the stamps are ~1 s apart.
      expect(p.stamps.length).toBeGreaterThanOrEqual(2);
      expect(p.stamps[1]!.at - p.stamps[0]!.at).toBeGreaterThan(500);
    } finally {
      clearInterval(writer);
    }
    await sleep(150);
    const before = parseLines(p.stdout).length;
    p.child.kill('SIGINT');
    const { code } = await p.exited;
    expect(code).toBe(130);
    const all = parseLines(p.stdout);
    expect(all.length).toBe(before + 1);
    expect(all[all.length - 1]).toMatchObject({ k: 'a', count: sent, max_n: sent });
    // Every snapshot is labelled with its time, and the labels grow.
    const times = all.map((r) => Date.parse(r.snapshot as string));
    expect(times.every((t) => Number.isFinite(t))).toBe(true);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
  }, 20_000);
});
