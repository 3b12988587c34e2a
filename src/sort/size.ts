/**
 * Byte sizes on the command line: `256MiB`, `64M`, `1.5G`, `500k`, `1000000`.
 * K, M, G, T (with or without `B`/`iB`, any case) are powers of 1024.
 */
import { UsageError } from '../engine/errors.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * Parse a byte size.
 * @returns bytes (a whole number ≥ 1)
 * @throws UsageError naming `what` when the text is not a size
 */
export function parseSize(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`${what}: '${text}' is not a size (e.g. 256MiB, 64M, 1G, 500k)`);
  const n = Math.floor(Number(m[1]) * unit);
  if (!(n >= 1)) throw new UsageError(`${what}: '${text}' must be at least 1 byte`);
  return n;
}

/** A size in words for --explain: `256 MiB`. */
export function formatSize(n: number): string {
  for (const [u, f] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (n >= f && n % f === 0) return `${n / f} ${u}`;
  }
  return `${n} bytes`;
}
