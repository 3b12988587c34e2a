/**
 * Calendar arithmetic in UTC: Howard Hinnant's `days_from_civil` /
 * `civil_from_days` algorithms ("chrono-Compatible Low-Level Date
 * Algorithms", https://howardhinnant.github.io/date_algorithms.html), exact
 * for the proleptic Gregorian calendar on both sides of 1970, so no
 * per-record `Date` object is needed.
 */

/** Milliseconds in a day. */
export const MS_PER_DAY = 86_400_000;

/**
 * Days since 1970-01-01 of a proleptic Gregorian civil date.
 * Howard Hinnant, `days_from_civil` (public domain). Exact for any integer year.
 * @param y year (…, -1, 0, 1, …; 0 is 1 BC)
 * @param m month 1–12
 * @param d day 1–31
 */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400; // [0, 399]
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1; // [0, 365]
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy; // [0, 146096]
  return era * 146097 + doe - 719468;
}

/** A civil date: year, month 1–12, day 1–31. */
export interface Civil {
  y: number;
  m: number;
  d: number;
}

/**
 * The civil date of a day number (days since 1970-01-01).
 * Howard Hinnant, `civil_from_days` (public domain); the inverse of daysFromCivil.
 */
export function civilFromDays(z: number): Civil {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097; // [0, 146096]
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365); // [0, 399]
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100)); // [0, 365]
  const mp = Math.floor((5 * doy + 2) / 153); // [0, 11]
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1; // [1, 31]
  const m = mp < 10 ? mp + 3 : mp - 9; // [1, 12]
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

/** True for a leap year of the proleptic Gregorian calendar. */
export function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Number of days in month `m` (1–12) of year `y`. */
export function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeap(y) ? 29 : MONTH_DAYS[m]!;
}
