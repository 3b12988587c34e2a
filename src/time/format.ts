/**
 * Formatting epoch milliseconds as UTC text: strftime patterns (the
 * expression function `strftime()`) and ISO 8601 (`window_start`,
 * `window_end`, `snapshot`).
 */
import { UsageError } from '../engine/errors.js';
import { MS_PER_DAY, civilFromDays, daysFromCivil } from './civil.js';
import { DAYS, MONTHS, tokenize } from './pattern.js';

function pad2(n: number): string {
  return n < 10 ? '0' + n : '' + n;
}
function pad3(n: number): string {
  return n < 10 ? '00' + n : n < 100 ? '0' + n : '' + n;
}
function padYear(y: number): string {
  if (y >= 0 && y <= 9999) return y < 1000 ? ('000' + y).slice(-4) : '' + y;
  return y < 0 ? '-' + ('000' + -y).slice(-Math.max(4, String(-y).length)) : '' + y;
}

/** Broken-down UTC time of an epoch-ms value. */
interface Tm {
  y: number;
  m: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
  wday: number;
  yday: number;
  days: number;
}

/** Break epoch ms (fractions floored) down into UTC calendar fields (proleptic Gregorian, civil.ts). */
function breakDown(ms: number): Tm {
  const t = Math.floor(ms);
  const days = Math.floor(t / MS_PER_DAY);
  let rem = t - days * MS_PER_DAY;
  const c = civilFromDays(days);
  const h = Math.floor(rem / 3_600_000);
  rem -= h * 3_600_000;
  const mi = Math.floor(rem / 60_000);
  rem -= mi * 60_000;
  const s = Math.floor(rem / 1000);
  const wday = (((days + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  return { y: c.y, m: c.m, d: c.d, h, mi, s, ms: rem - s * 1000, wday, yday: days - daysFromCivil(c.y, 1, 1), days };
}

/** A compiled formatter: epoch ms to text. */
type Formatter = (ms: number) => string;

function compileFormatter(format: string): Formatter {
  const tokens = tokenize(format);
  const parts: Array<(tm: Tm) => string> = tokens.map((t) => {
    if ('lit' in t) {
      const lit = t.lit;
      return () => lit;
    }
    switch (t.dir) {
      case 'Y':
        return (tm) => padYear(tm.y);
      case 'y':
        return (tm) => pad2(((tm.y % 100) + 100) % 100);
      case 'm':
        return (tm) => pad2(tm.m);
      case 'd':
        return (tm) => pad2(tm.d);
      case 'e':
        return (tm) => (tm.d < 10 ? ' ' + tm.d : '' + tm.d);
      case 'j':
        return (tm) => pad3(tm.yday + 1);
      case 'H':
        return (tm) => pad2(tm.h);
      case 'I':
        return (tm) => pad2(tm.h % 12 === 0 ? 12 : tm.h % 12);
      case 'p':
        return (tm) => (tm.h < 12 ? 'AM' : 'PM');
      case 'M':
        return (tm) => pad2(tm.mi);
      case 'S':
        return (tm) => pad2(tm.s);
      case 'f':
        return (tm) => pad3(tm.ms) + '000';
      case 'z':
        return () => '+0000';
      case 'Z':
        return () => 'UTC';
      case 'b':
      case 'h':
        return (tm) => MONTHS[tm.m - 1]!.slice(0, 3);
      case 'B':
        return (tm) => MONTHS[tm.m - 1]!;
      case 'a':
        return (tm) => DAYS[tm.wday]!.slice(0, 3);
      case 'A':
        return (tm) => DAYS[tm.wday]!;
      case 's':
        return (tm) => String(Math.floor((tm.days * MS_PER_DAY + tm.h * 3_600_000 + tm.mi * 60_000 + tm.s * 1000) / 1000));
      default:
        throw new UsageError(`time format: unknown directive %${t.dir}`);
    }
  });
  return (ms) => {
    const tm = breakDown(ms);
    let out = '';
    for (let i = 0; i < parts.length; i++) out += parts[i]!(tm);
    return out;
  };
}

const formatterCache = new Map<string, Formatter>();

/**
 * Compile a strftime pattern once into a formatter of epoch milliseconds (UTC).
 * @throws UsageError for an unknown directive or a lone `%`.
 */
export function compileStrftime(format: string): (ms: number) => string {
  return compileFormatter(format);
}

/**
 * Format epoch milliseconds as UTC text with a strftime pattern (the directives
 * of TIME_DIRECTIVES; `%f` gives 6 digits, microseconds; `%z` gives `+0000`).
 * Compiled patterns are cached (up to 64), so a constant pattern costs one
 * Map lookup per call.
 * @throws UsageError for an unknown directive or a lone `%`.
 */
export function strftime(ms: number, format: string): string {
  let f = formatterCache.get(format);
  if (f === undefined) {
    f = compileFormatter(format);
    if (formatterCache.size >= 64) formatterCache.clear();
    formatterCache.set(format, f);
  }
  return f(ms);
}

/**
 * ISO 8601 UTC text with milliseconds: `2001-01-01T00:00:00.000Z`, also for
 * times before 1970. Years outside 0–9999 are written as JavaScript's
 * `toISOString` does (`+012345`, `-000001`). Fractions of a millisecond are
 * floored.
 */
export function isoString(ms: number): string {
  const tm = breakDown(ms);
  const y = tm.y;
  const ys = y >= 0 && y <= 9999 ? (y < 1000 ? ('000' + y).slice(-4) : '' + y) : (y < 0 ? '-' : '+') + ('00000' + Math.abs(y)).slice(-6);
  return ys + '-' + pad2(tm.m) + '-' + pad2(tm.d) + 'T' + pad2(tm.h) + ':' + pad2(tm.mi) + ':' + pad2(tm.s) + '.' + pad3(tm.ms) + 'Z';
}
