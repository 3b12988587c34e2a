/**
 * What a parsed `window` verb asks for, and the arithmetic of window
 * assignment shared by the window stage and the windowed aggregation.
 *
 * Time windows follow Flink's window assignment
 * (`TimeWindow.getWindowStartWithOffset`): window bounds are half-open
 * `[start, end)`, aligned to the Unix epoch in UTC shifted by `offset`, and the
 * start of the last window holding time `ts` is `ts - floorMod(ts - offset, slide)`.
 * floorMod (not JavaScript's `%`, which keeps the dividend's sign) makes times
 * before 1970 land in the right window too.
 */

/** The four kinds of window. */
export type WindowKind = 'tumbling' | 'sliding' | 'session' | 'count';

/** A parsed `window` verb. All durations in milliseconds. */
export interface WindowSpec {
  readonly kind: WindowKind;
  /**
   * tumbling/sliding: the window length (ms); session: the gap (ms);
   * count: N, the records per window.
   */
  readonly size: number;
  /** sliding: `--every` (ms); tumbling: = size; count: `--every M` (default N); session: = size (unused). */
  readonly slide: number;
  /** `--offset` (ms, may be negative): window starts are ≡ offset (mod slide). Time windows only. */
  readonly offset: number;
  /** `--lateness` (ms, default 0): the watermark is the largest event time seen minus this. */
  readonly lateness: number;
  /** `--time FIELD` as a path, or null for processing time (the wall clock at arrival). */
  readonly timePath: readonly string[] | null;
  /** `--time FIELD` as written (for messages). */
  readonly timeName: string | null;
  /** `--time-format` (auto, epoch-s, epoch-ms, or a strftime pattern). */
  readonly timeFormat: string;
  /** `--late-output FILE`, or null. */
  readonly lateOutput: string | null;
  /** `--idle DUR` (ms), or null. */
  readonly idle: number | null;
  /** `--by KEYS` (session and count windows) as paths; empty for one global key. */
  readonly by: readonly (readonly string[])[];
  /** `--by KEYS` as written. */
  readonly byNames: readonly string[];
  /** `--tz ZONE` (tumbling windows), or null for UTC. */
  readonly tz?: string | null;
  /** tumbling: the size in calendar months (`1mo` = 1, `1y` = 12), else 0. */
  readonly months?: number;
}

/** True when a tumbling spec needs calendar.ts (--tz, or a size in months or years). */
export function isCalendar(spec: WindowSpec): boolean {
  return (spec.tz !== undefined && spec.tz !== null) || (spec.months ?? 0) > 0;
}

/** `a mod m` with the sign of `m` (m > 0): the result is in [0, m). */
export function floorMod(a: number, m: number): number {
  const r = a % m;
  return r < 0 ? r + m : r;
}

/** The start of the last (latest-starting) window holding `ts`: `ts − floorMod(ts − offset, slide)`. */
export function lastWindowStart(ts: number, offset: number, slide: number): number {
  return ts - floorMod(ts - offset, slide);
}

/** The smallest window end strictly greater than `t` (window ends are ≡ offset + size (mod slide)). */
export function nextWindowEnd(t: number, offset: number, size: number, slide: number): number {
  return t - floorMod(t - offset - size, slide) + slide;
}

/** Greatest common divisor of two positive integers (Euclid): the pane size of a sliding window. */
export function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}
