/**
 * `filter` and `map` end to end: `node bin/sluice.js` with the flights sample
 * on stdin; the expected records are computed here by parsing the fixture in
 * JavaScript, independently of sluice.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, sluice } from '../helpers/run.js';

interface Flight {
  time: string;
  delay: number;
  distance: number;
  origin: string;
  destination: string;
}

const ndjsonText = fs.readFileSync(path.join(FIXTURES, 'flights-20k.ndjson'), 'utf8');
const csvText = fs.readFileSync(path.join(FIXTURES, 'flights-20k.csv'), 'utf8');
const ndLines = ndjsonText.split('\n').filter((l) => l !== '');
const flights: Flight[] = ndLines.map((l) => JSON.parse(l) as Flight);
const csvLines = csvText.split(/\r?\n/).filter((l) => l !== '');
const csvHeader = csvLines[0]!;
const csvRows = csvLines.slice(1);
/** The CSV rows parsed by hand (the fixture has no quoting). */
const csvFlights: Flight[] = csvRows.map((row) => {
  const [time, delay, distance, origin, destination] = row.split(',');
  return { time: time!, delay: Number(delay), distance: Number(distance), origin: origin!, destination: destination! };
});

function lines(out: string): string[] {
  return out.split('\n').filter((l) => l !== '');
}

/** The predicates under test, written in plain JavaScript. */
const CASES: Array<{ expr: string; pred: (f: Flight) => boolean }> = [
  { expr: 'delay > 60', pred: (f) => f.delay > 60 },
  { expr: 'origin in ("SFO", "LAX", "ORD") && delay >= 0', pred: (f) => ['SFO', 'LAX', 'ORD'].includes(f.origin) && f.delay >= 0 },
  { expr: 'destination ~ "^S[A-F]" || destination ~ "X$"', pred: (f) => /^S[A-F]/.test(f.destination) || /X$/.test(f.destination) },
  { expr: 'time >= "2001-01-01T12:00" and time < "2001-01-02"', pred: (f) => f.time >= '2001-01-01T12:00' && f.time < '2001-01-02' },
  { expr: '-delay > 5', pred: (f) => -f.delay > 5 },
  { expr: 'origin not in ("ATL") && distance % 2 == 1 && !(destination == "ORD")', pred: (f) => f.origin !== 'ATL' && f.distance % 2 === 1 && f.destination !== 'ORD' },
];

describe('filter end to end on the flights sample', () => {
  it('the fixture is what these tests assume', () => {
    expect(flights.length).toBe(20000);
    expect(csvFlights.length).toBe(20000);
    expect(csvHeader).toBe('time,delay,distance,origin,destination');
  });

  for (const { expr, pred } of CASES) {
    it(`NDJSON: filter '${expr}' keeps exactly the records JavaScript picks`, () => {
      const want = ndLines.filter((_, i) => pred(flights[i]!));
      expect(want.length).toBeGreaterThan(0);
      expect(want.length).toBeLessThan(20000);
      const r = sluice(['filter', expr], ndjsonText);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(lines(r.stdout).length).toBe(want.length);
      expect(lines(r.stdout)).toEqual(want); // unchanged records are written back as read
    });

    it(`CSV: filter '${expr}' keeps exactly the rows JavaScript picks`, () => {
      const want = csvRows.filter((_, i) => pred(csvFlights[i]!));
      const r = sluice(['--csv', 'filter', expr], csvText);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = lines(r.stdout);
      expect(out[0]).toBe(csvHeader);
      expect(out.length - 1).toBe(want.length);
      expect(out.slice(1)).toEqual(want);
    });
  }

  it('a bad expression is a usage error (exit 2) with a caret, before reading input', () => {
    const r = sluice(['filter', 'delay > (60 &&'], ndjsonText);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const err = r.stderr.split('\n');
    expect(err[0]).toBe('sluice: filter: syntax error: unexpected end of expression at column 15');
    expect(err[1]).toBe('delay > (60 &&');
    expect(err[2]).toBe(' '.repeat(14) + '^');
    const r2 = sluice(['filter', 'lenn(origin) > 2'], ndjsonText);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/^sluice: filter: unknown function 'lenn' at column 1 \(did you mean len\(\)\?\)\n/);
    expect(r2.stderr).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
  });
});

describe('map end to end on the flights sample', () => {
  const assign = 'hours = round(delay / 60, 2); route = origin + "-" + destination; far = distance > 1000; t.ms = time(time); t.day = strftime(time(time), "%a %e %b")';

  function expected(f: Flight) {
    const hours = Math.sign(f.delay) * Math.round((Math.abs(f.delay) / 60) * 100 + 1e-9) / 100;
    const ms = Date.parse(f.time);
    const d = new Date(ms);
    const day = `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' })}`;
    return { hours: hours === 0 ? 0 : hours, route: `${f.origin}-${f.destination}`, far: f.distance > 1000, t: { ms, day } };
  }

  it('NDJSON: adds the fields with the right values, other fields unchanged', () => {
    const r = sluice(['map', assign], ndjsonText);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.length).toBe(flights.length);
    for (let i = 0; i < flights.length; i++) {
      const f = flights[i]!;
      expect(out[i], `record ${i}`).toEqual({ ...f, ...expected(f) });
      expect(Object.keys(out[i]!)).toEqual(['time', 'delay', 'distance', 'origin', 'destination', 'hours', 'route', 'far', 't']);
    }
  });

  it('CSV: adds the columns with the right values', () => {
    const r = sluice(['--csv', 'map', 'hours = round(delay / 60, 2); route = origin + "-" + destination; far = distance > 1000; delay = delay + 0'], csvText);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toBe('time,delay,distance,origin,destination,hours,route,far');
    expect(out.length - 1).toBe(csvFlights.length);
    for (let i = 0; i < csvFlights.length; i++) {
      const f = csvFlights[i]!;
      const e = expected(f);
      expect(out[i + 1], `row ${i}`).toBe([f.time, f.delay, f.distance, f.origin, f.destination, e.hours, e.route, e.far].join(','));
    }
  });

  it('map then filter: the assigned field is seen downstream', () => {
    const r = sluice(['map', 'late = delay > 60', 'then', 'filter', 'late && origin == "ORD"'], ndjsonText);
    expect(r.code).toBe(0);
    expect(lines(r.stdout).length).toBe(flights.filter((f) => f.delay > 60 && f.origin === 'ORD').length);
  });

  it('fields map does not change keep their text (CSV 1.50 and 02134, NDJSON big integers)', () => {
    const r = sluice(['--csv', 'map', 'c = a * 2'], 'a,b,z\n1.50,02134,x\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('a,b,z,c\n1.50,02134,x,3\n');
    const r2 = sluice(['map', 'n = n; m = 1'], '{"n":12345678901234567890,"x":1.50}\n');
    expect(r2.stdout).toBe('{"n":12345678901234567890,"x":1.50,"m":1}\n');
    const r3 = sluice(['map', 'n = n'], '{"n": 1.50}\n');
    expect(r3.stdout).toBe('{"n": 1.50}\n'); // nothing changed: the line as read
  });

  it('__proto__, constructor and toString are ordinary fields', () => {
    const input = '{"__proto__":{"admin":true},"constructor":3,"toString":"x"}\n{"a":1}\n';
    const r = sluice(['filter', '__proto__.admin == true && constructor > 2 && toString == "x"', 'then', 'map', '__proto__ = 1; constructor = constructor + 1; y = admin'], input);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"__proto__":1,"constructor":4,"toString":"x","y":null}\n');
    const r2 = sluice(['map', '__proto__ = 1'], '{"a":1}\n{"b":2}\n');
    expect(r2.stdout).toBe('{"a":1,"__proto__":1}\n{"b":2,"__proto__":1}\n');
  });

  it('a bad assignment is a usage error with a caret', () => {
    const r = sluice(['map', 'x = 1; y == 2'], ndjsonText);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("sluice: map: syntax error: expected '=' at column 10\nx = 1; y == 2\n         ^\n");
  });
});
