/**
 * Durations on the command line: `250ms`, `30s`, `5m`, `1h`, `1d`, `1w`, and
 * sums of them like `1h30m` (SPEC §4.1).
 */
import { UsageError } from '../engine/errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;

/**
 * Parse a duration into milliseconds.
 * @param text  e.g. `1h30m`
 * @param what  what it is for, for the message (`window: size`)
 * @returns a positive number of milliseconds (fractions allowed, e.g. `1.5s`)
 * @throws UsageError when the text is not a duration or is zero
 */
export function parseDuration(text: string, what: string): number {
  const s = text.trim();
  let ms = 0;
  let pos = 0;
  PART_RE.lastIndex = 0;
  while (pos < s.length) {
    PART_RE.lastIndex = pos;
    const m = PART_RE.exec(s);
    if (!m) break;
    ms += parseFloat(m[1]!) * UNIT_MS[m[2]!]!;
    pos = PART_RE.lastIndex;
  }
  if (s === '' || pos !== s.length) {
    throw new UsageError(`${what}: bad duration '${text}' (use e.g. 250ms, 30s, 5m, 1h, 1d, 1h30m)`);
  }
  return ms;
}

/** Format milliseconds as a duration (`90000` → `1m30s`), for --explain and messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [u, n] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    if (rest >= n) {
      const k = Math.floor(rest / n);
      out += k + u;
      rest -= k * n;
    }
  }
  return out + (rest > 0 ? `${rest}ms` : '');
}

/**
 * A calendar duration for window sizes: `Nmo` (months) or `Ny` (years), N a
 * whole number ≥ 1. Returns the number of months, or null when `text` is not
 * one (then it may be an ordinary duration).
 */
export function parseCalendarMonths(text: string): number | null {
  const m = /^(\d+)(mo|y)$/.exec(text.trim());
  if (m === null) return null;
  const n = Number(m[1]);
  if (!Number.isSafeInteger(n) || n < 1) return null;
  return m[2] === 'y' ? n * 12 : n;
}
