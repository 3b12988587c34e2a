import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as csvParse } from 'csv-parse/sync';
import { FIXTURES, sluice } from '../helpers/run.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-join-e2e-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const flightsCsv = fs.readFileSync(path.join(FIXTURES, 'flights-20k.csv'), 'utf8');
const flightsNd = fs.readFileSync(path.join(FIXTURES, 'flights-20k.ndjson'), 'utf8');
const airportsCsv = fs.readFileSync(path.join(FIXTURES, 'airports.csv'), 'utf8');
const AIRPORTS = path.join(FIXTURES, 'airports.csv');

/** Airports parsed independently of sluice (csv-parse with columns). */
const airports = csvParse(airportsCsv, { columns: true }) as Array<Record<string, string>>;
/** Flight rows (the fixture has no quotes, so a split is exact). */
const flightLines = flightsCsv.trimEnd().split('\n');
const flights = flightLines.slice(1).map((l) => {
  const [time, delay, distance, origin, destination] = l.split(',');
  return { line: l, time, delay, distance, origin: origin!, destination };
});

describe('sluice join (end to end)', () => {
  it('the CLI runs', () => {
    expect(sluice(['--version']).stdout).toMatch(/^sluice \d/);
    expect(flightsCsv).not.toContain('"');
  });

  it('join airports then agg count by state matches an independent count', () => {
    const stateOf = new Map(airports.map((a) => [a.iata!, a.state!]));
    const counts = new Map<string, number>();
    for (const f of flights) {
      const s = stateOf.get(f.origin);
      if (s === undefined) continue;
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    const r = sluice(['--csv', 'join', AIRPORTS, '--on', 'origin=iata', 'then', 'agg', 'count', 'by', 'state'], flightsCsv);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('state,count');
    expect(lines.slice(1)).toEqual([...counts].map(([s, c]) => `${s},${c}`));
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(flights.length); // every origin has an airport
  });

  it('writes the joined fields in order, with clashing names prefixed', () => {
    const r = sluice(['join', AIRPORTS, '--on', 'origin=iata', '--prefix', 'airport_', 'then', 'head', '1'], flightsNd);
    expect(r.code).toBe(0);
    const las = airports.find((a) => a.iata === 'LAS')!;
    expect(JSON.parse(r.stdout)).toEqual({
      time: '2001-01-01T00:01:00Z',
      delay: 33,
      distance: 2176,
      origin: 'LAS',
      destination: 'PHL',
      name: las.name,
      city: las.city,
      state: las.state,
      country: las.country,
      latitude: Number(las.latitude),
      longitude: Number(las.longitude),
    });
  });

  // A table without a few busy airports.
  const missing = new Set(['LAS', 'ATL', 'MCI']);
  const partial = path.join(dir, 'partial-airports.csv');
  fs.writeFileSync(
    partial,
    airportsCsv
      .split('\n')
      .filter((l) => !missing.has(l.split(',')[0]!))
      .join('\n'),
  );

  it('anti keeps exactly the unmatched records, unchanged', () => {
    const r = sluice(['--csv', 'join', partial, '--on', 'origin=iata', '--type', 'anti'], flightsCsv);
    expect(r.code).toBe(0);
    const expected = [flightLines[0], ...flights.filter((f) => missing.has(f.origin)).map((f) => f.line)];
    expect(expected.length).toBeGreaterThan(100);
    expect(r.stdout).toBe(expected.join('\n') + '\n');
  });

  it('left keeps every record: unmatched ones with the table fields as null, the others joined; CSV keeps one header', () => {
    const r = sluice(['--ndjson', 'join', partial, '--on', 'origin=iata', '--type', 'left'], flightsNd);
    expect(r.code).toBe(0);
    const out = r.stdout.trimEnd().split('\n');
    const inLines = flightsNd.trimEnd().split('\n');
    expect(out).toHaveLength(inLines.length);
    let unmatched = 0;
    for (let i = 0; i < out.length; i++) {
      const rec = JSON.parse(inLines[i]!) as Record<string, unknown>;
      const got = JSON.parse(out[i]!) as Record<string, unknown>;
      if (missing.has(rec.origin as string)) {
        unmatched++;
        expect(got).toEqual({ ...rec, name: null, city: null, state: null, country: null, latitude: null, longitude: null });
      } else expect(got).toMatchObject({ ...rec, country: expect.any(String) });
      expect(Object.keys(got)).toEqual([...Object.keys(rec), 'name', 'city', 'state', 'country', 'latitude', 'longitude']);
    }
    expect(unmatched).toBeGreaterThan(100);
    const csv = sluice(['--csv', 'join', partial, '--on', 'origin=iata', '--type', 'left'], flightsCsv);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('time,')).length).toBe(1);
    expect(lines).not.toContain('');
  });

  it('semi keeps the matched records once each, unchanged', () => {
    const r = sluice(['--csv', 'join', partial, '--on', 'origin=iata', '--type', 'semi'], flightsCsv);
    expect(r.code).toBe(0);
    const expected = [flightLines[0], ...flights.filter((f) => !missing.has(f.origin)).map((f) => f.line)];
    expect(r.stdout).toBe(expected.join('\n') + '\n');
  });

  it('a key found twice in the table yields both matches, in table order', () => {
    const dup = path.join(dir, 'dup.csv');
    fs.writeFileSync(dup, 'iata,label\nLAS,first\nSFO,other\nLAS,second\n');
    const r = sluice(['--ndjson', 'join', dup, '--on', 'origin=iata', 'then', 'select', 'origin,label'], flightsNd);
    expect(r.code).toBe(0);
    const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    const las = flights.filter((f) => f.origin === 'LAS').length;
    const sfo = flights.filter((f) => f.origin === 'SFO').length;
    expect(out).toHaveLength(2 * las + sfo);
    const firstLas = out.findIndex((o) => o.origin === 'LAS');
    expect(out.slice(firstLas, firstLas + 2)).toEqual([
      { origin: 'LAS', label: 'first' },
      { origin: 'LAS', label: 'second' },
    ]);
    expect(out.filter((o) => o.label === 'first')).toHaveLength(las);
    expect(out.filter((o) => o.label === 'second')).toHaveLength(las);
  });

  it('an NDJSON stream with numeric keys joins a CSV table whose keys are text', () => {
    const codes = path.join(dir, 'codes.csv');
    fs.writeFileSync(codes, 'code,label\n7,seven\n"8",eight\n007,zero-seven\n1.50,one-fifty\n');
    const input = '{"code":7}\n{"code":8}\n{"code":"007"}\n{"code":1.5}\n{"code":1.50}\n{"code":9}\n{"code":null}\n';
    const r = sluice(['join', codes, '--on', 'code'], input);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      '{"code":7,"label":"seven"}\n{"code":8,"label":"eight"}\n{"code":"007","label":"zero-seven"}\n{"code":1.50,"label":"one-fifty"}\n',
    );
  });

  it('usage errors exit 2 before reading input; malformed table rows follow --on-error', () => {
    const nofile = sluice(['join', path.join(dir, 'nope.csv'), '--on', 'id'], '{"id":1}\n');
    expect(nofile.code).toBe(2);
    expect(nofile.stderr).toMatch(/^sluice: join: cannot read .*nope\.csv: no such file\n$/);
    const nokey = sluice(['join', AIRPORTS, '--on', 'origin=code'], '{"origin":"LAS"}\n');
    expect(nokey.code).toBe(2);
    expect(nokey.stderr).toContain("has no field 'code'");
    const badType = sluice(['join', AIRPORTS, '--on', 'origin=iata', '--type', 'full'], '');
    expect(badType.code).toBe(2);

    const ragged = path.join(dir, 'ragged.csv');
    fs.writeFileSync(ragged, 'id,v\n1,a\n2\n3,c\n');
    const fail = sluice(['join', ragged, '--on', 'id'], '{"id":1}\n');
    expect(fail.code).toBe(1);
    expect(fail.stderr).toContain(`${ragged}:3`);
    expect(fail.stdout).toBe('');
    const skip = sluice(['--on-error', 'skip', 'join', ragged, '--on', 'id'], '{"id":1}\n{"id":3}\n{"id":2}\n');
    expect(skip.code).toBe(0);
    expect(skip.stdout).toBe('{"id":1,"v":"a"}\n{"id":3,"v":"c"}\n');
    expect(skip.stderr).toMatch(/1/);
  });
});
