/**
 * Calendar-aligned tumbling windows (SPEC §4.1): `--tz ZONE` aligns window
 * bounds to wall-clock time in ZONE (a `1d` window is one local day, 23 or 25
 * hours long across a DST change), and sizes in calendar units `Nmo`, `Ny`
 * are months and years as on the calendar (in UTC, or in ZONE with --tz).
 *
 * Alignment: a window of fixed SIZE starts where the local wall-clock time
 * is ≡ --offset (mod SIZE), counted from 1970-01-01T00:00 local; a window of
 * N months starts on the first of a month whose number since January 1970 is
 * ≡ 0 (mod N) (so `3mo` gives calendar quarters, `1y` calendar years). Its
 * bounds are the UTC instants of those local readings (zone.ts).
 *
 * Windows of equal size in UTC keep the arithmetic of spec.ts (no calendar):
 * this module serves only --tz and calendar sizes.
 */
import { civilFromDays, daysFromCivil } from '../time/parse.js';
import { type Zone, zoneOf } from '../time/zone.js';
import { floorMod } from './spec.js';

const MS_PER_DAY = 86_400_000;

/** The windows of a calendar-aligned tumbling spec. */
export interface WindowCalendar {
  /** The start (UTC ms) of the window holding `ts`. */
  startOf(ts: number): number;
  /** The end (UTC ms) of the window starting at `start` (a value startOf returned). */
  endOf(start: number): number;
}

/**
 * The calendar of a tumbling spec with --tz or a calendar size.
 * @param size   the size in ms (ignored when months > 0)
 * @param months the size in months (0: a fixed size)
 * @param offset --offset in ms (fixed sizes only)
 * @param tz     the zone name, or null for UTC
 * @throws UsageError for an unknown zone
 */
export function windowCalendar(size: number, months: number, offset: number, tz: string | null): WindowCalendar {
  const raw = rawCalendar(size, months, offset, tz);
  // Records mostly fall in the window of the one before: remember it (zone offsets cost an Intl call).
  let lastS = NaN;
  let lastE = NaN;
  return {
    startOf(ts) {
      if (ts >= lastS && ts < lastE) return lastS;
      const s = raw.startOf(ts);
      lastS = s;
      lastE = raw.endOf(s);
      return s;
    },
    endOf(start) {
      return start === lastS ? lastE : raw.endOf(start);
    },
  };
}

function rawCalendar(size: number, months: number, offset: number, tz: string | null): WindowCalendar {
  const zone: Zone = zoneOf(tz ?? 'UTC', 'window: --tz');
  const local = (utc: number): number => utc + zone.offset(utc);
  if (months > 0) {
    const monthStart = (idx: number): number => {
      const y = 1970 + Math.floor(idx / 12);
      const m = floorMod(idx, 12) + 1;
      return zone.toUtc(daysFromCivil(y, m, 1) * MS_PER_DAY);
    };
    const indexOf = (utc: number): number => {
      const c = civilFromDays(Math.floor(local(utc) / MS_PER_DAY));
      return (c.y - 1970) * 12 + (c.m - 1);
    };
    return {
      startOf(ts) {
        const idx = indexOf(ts);
        return monthStart(idx - floorMod(idx, months));
      },
      endOf(start) {
        return monthStart(indexOf(start) + months);
      },
    };
  }
  return {
    startOf(ts) {
      const l = local(ts);
      return zone.toUtc(l - floorMod(l - offset, size));
    },
    endOf(start) {
      // The local reading of the start is aligned (or, in a skipped hour, just after an aligned one).
      const l = local(start);
      return zone.toUtc(l - floorMod(l - offset, size) + size);
    },
  };
}
