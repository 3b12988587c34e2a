/**
 * Time zones (IANA names such as `America/New_York`, and `UTC`) for
 * `time(v, format, zone)`, `strftime(t, format, zone)` and `window --tz`.
 * Zone rules come from the platform's Intl data through luxon's IANAZone;
 * none are written here.
 *
 * Local time ("wall clock") is handled as epoch milliseconds of the same
 * wall-clock reading in UTC: `local = utc + offset(utc)`. Going back,
 * `toUtc(local)` takes the offset in force at that wall-clock time; a
 * reading that does not exist (the hour skipped when DST starts) moves
 * forward by the gap, and one that exists twice (the hour repeated when DST
 * ends) is taken at its first occurrence — as luxon and java.time do.
 */
import { createRequire } from 'node:module';
import type { IANAZone } from 'luxon';
import { UsageError } from '../engine/errors.js';
import { compileStrftime, compileTimeParser } from './parse.js';

/** A time zone: offsets and names at an instant. */
export interface Zone {
  readonly name: string;
  /** Offset from UTC in milliseconds at the UTC instant `utc` (ms). */
  offset(utc: number): number;
  /** The UTC instant of a local wall-clock reading (see the module comment). */
  toUtc(local: number): number;
  /** Short name at an instant (`EST`, `CEST`; `UTC` for UTC; `GMT+5` where Intl has none). */
  abbreviation(utc: number): string;
}

/**
 * luxon's IANAZone, loaded when the first zone other than UTC is asked for
 * (its CommonJS build, synchronously): 262 KB of code that a run without
 * zones no longer parses at start-up (~5-10 ms per thread).
 */
let luxonZone: typeof IANAZone | undefined;
function ianaZone(): typeof IANAZone {
  return (luxonZone ??= (createRequire(import.meta.url)('luxon') as { IANAZone: typeof IANAZone }).IANAZone);
}

const UTC_ZONE: Zone = { name: 'UTC', offset: () => 0, toUtc: (l) => l, abbreviation: () => 'UTC' };
const zones = new Map<string, Zone>();

/**
 * The zone of an IANA name (or `UTC`, `Z`).
 * @param what what it is for, for the message (`window: --tz`)
 * @throws UsageError for an unknown zone
 */
export function zoneOf(name: string, what: string): Zone {
  const n = name.trim();
  if (n === 'UTC' || n === 'Z' || n === 'utc' || n === 'Etc/UTC') return UTC_ZONE;
  let z = zones.get(n);
  if (z !== undefined) return z;
  const iana = ianaZone().create(n);
  if (!iana.isValid) throw new UsageError(`${what}: unknown time zone '${name}' (use an IANA name such as America/New_York, Europe/Paris or UTC)`);
  // Offsets change at most a few times a year: remember the last one's span (an hour around it is safe to reuse only if equal at both ends).
  const offset = (utc: number): number => iana.offset(utc) * 60_000;
  z = {
    name: iana.name,
    offset,
    toUtc(local: number): number {
      const guess = local - offset(local);
      const off = offset(guess);
      const u = local - off;
      // Skipped reading: the offset after the gap maps it forward.
      const back = offset(u);
      return back === off ? u : local - back;
    },
    abbreviation: (utc) => iana.offsetName(utc, { format: 'short' }) ?? iana.name,
  };
  if (zones.size < 64) zones.set(n, z);
  return z;
}

/** True when a value read by `format` states its own zone (so a zone argument does not apply). */
function statesZone(v: unknown, format: string): boolean {
  if (format === 'auto') {
    if (typeof v !== 'string') return true; // epoch numbers are instants
    const t = v.trim();
    if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(t)) return true;
    return /(?:[zZ]|[+-]\d\d(?::?\d\d)?)$/.test(t);
  }
  if (format === 'epoch-s' || format === 'epoch-ms') return true;
  return /%[zZs]/.test(format);
}

/**
 * `time(v, format, zone)`: a parser of field values into epoch ms, where a
 * value without its own zone is a wall-clock time in `zone` (null: UTC).
 * @throws UsageError for a bad format or zone
 */
export function compileTimeIn(format: string, zone: string | null, what: string): (v: unknown) => number | null {
  const parse = compileTimeParser(format);
  if (zone === null) return parse;
  const z = zoneOf(zone, what);
  if (z === UTC_ZONE) return parse;
  return (v) => {
    const t = parse(v);
    if (t === null || statesZone(v, format)) return t;
    return z.toUtc(t);
  };
}

/** JavaScript's Date range in ms. */
const MAX_MS = 8.64e15;

/**
 * `strftime(t, format, zone)`: `t` is read like `--time-format auto` (ISO
 * text, epoch seconds below 1e11, else epoch ms; with `input` epoch-ms, a
 * number is always ms) and written as wall-clock text in `zone` (null: UTC);
 * `%z` gives the zone's offset (`-0500`), `%Z` its
 * short name.
 * @returns a formatter giving null for a value that is not a time
 * @throws UsageError for a bad format or zone
 */
export function compileStrftimeIn(format: string, zone: string | null, what: string, input: 'auto' | 'epoch-ms' = 'auto'): (v: unknown) => string | null {
  const read = compileTimeParser(input);
  const z = zone === null ? UTC_ZONE : zoneOf(zone, what);
  if (z === UTC_ZONE) {
    const f = compileStrftime(format);
    return (v) => {
      const ms = read(v);
      return ms === null || Math.abs(ms) > MAX_MS ? null : f(ms);
    };
  }
  // %z, %Z and %s depend on the instant: format them here, the rest on the wall-clock reading.
  const pieces = format.split(/(%%|%z|%Z|%s)/);
  const fs = pieces.map((p, i) => (i % 2 === 1 ? null : p === '' ? null : compileStrftime(p)));
  return (v) => {
    const ms = read(v);
    if (ms === null || Math.abs(ms) > MAX_MS) return null;
    const off = z.offset(ms);
    const local = ms + off;
    let out = '';
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (i % 2 === 1) {
        if (p === '%%') out += '%';
        else if (p === '%z') {
          const m = Math.round(Math.abs(off) / 60_000);
          out += (off < 0 ? '-' : '+') + String(Math.floor(m / 60)).padStart(2, '0') + String(m % 60).padStart(2, '0');
        } else if (p === '%s') out += String(Math.floor(ms / 1000));
        else out += z.abbreviation(ms);
      } else if (fs[i] !== null) out += fs[i]!(local);
    }
    return out;
  };
}
