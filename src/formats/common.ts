/**
 * Small helpers shared by the readers and writers.
 */
import type { Batch, Rec } from '../engine/types.js';
import { InputError } from '../engine/errors.js';

/** Default `--max-line-bytes`: 64 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** How much of an overlong line or record is kept as the rejected text (characters). */
export const OVERLONG_TEXT_CHARS = 1024;

/**
 * True when `s` is longer than `max` bytes in UTF-8. Exact, and cheap for the
 * common case: one UTF-16 code unit is 1 to 3 UTF-8 bytes (a surrogate pair,
 * 2 units, is 4 bytes), so only strings between max/3 and max units are
 * measured with `Buffer.byteLength`.
 */
export function longerThan(s: string, max: number): boolean {
  const n = s.length;
  if (n > max) return true;
  if (n * 3 <= max) return false;
  return Buffer.byteLength(s, 'utf8') > max;
}

/** The message for an overlong line or record. */
export function overlongMessage(what: string, max: number): string {
  return `${what} longer than ${max} bytes (--max-line-bytes); only its first ${OVERLONG_TEXT_CHARS} characters are kept`;
}

/** Number of `\n` in `s` between `from` (inclusive) and `to` (exclusive). */
export function countNewlines(s: string, from = 0, to = s.length): number {
  let c = 0;
  for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) c++;
  return c;
}

/**
 * True when a surrogate pair of `s` straddles index `i` (its high half at
 * i - 1): measured in two parts, each half counted 3 UTF-8 bytes instead of
 * the pair's 4.
 */
export function splitsPair(s: string, i: number): boolean {
  if (i <= 0 || i >= s.length) return false;
  return isPair(s.charCodeAt(i - 1), s.charCodeAt(i));
}

/**
 * True when code units `hi` then `lo` form a surrogate pair. (For a text
 * built by appending chunks: reading a character of the growing text itself
 * would flatten it every time, which made long lines quadratic.)
 */
export function isPair(hi: number, lo: number): boolean {
  return hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff;
}

/**
 * Run `fill(out)` (a reader's feed or end) and return the records it added.
 * On a fatal malformed record (an InputError from the ErrorSink in mode
 * `fail`), the records completed before it are attached as the error's
 * `partial`, so the runner writes them and output stops exactly at the bad line.
 */
export function collectRecords(fill: (out: Rec[]) => void): Batch {
  const out: Rec[] = [];
  try {
    fill(out);
  } catch (e) {
    if (e instanceof InputError) e.partial = out;
    throw e;
  }
  return out;
}
