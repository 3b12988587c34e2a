/**
 * What the CSV/TSV reader (csv.ts) and writer (csv-writer.ts) share: the
 * header a record was read under, the delimiter check, and TSV's cell
 * escapes.
 */
import { UsageError } from '../engine/errors.js';

/**
 * The header a CSV/TSV record was read under. Readers attach it to every
 * record under the symbol `CSV_HEADER`; the CSV writer uses it, for records
 * that still carry their RAW text, to write the input's header line back byte
 * for byte (`raw`) and in the input's column order (`names`).
 */
export interface CsvHeader {
  /** Field names in column order, as read (no typing, no trimming). */
  readonly names: readonly string[];
  /** The header row's text as read, without its line end; '' when there was no header row (`--no-header`). */
  readonly raw: string;
  /** The names in the order a record's keys enumerate (JavaScript puts integer-like keys first, ascending). */
  readonly keys: readonly string[];
}

/** A CsvHeader for these names. */
export function makeHeader(names: readonly string[], raw: string): CsvHeader {
  const o: Record<string, true> = Object.create(null);
  for (const n of names) o[n] = true;
  return { names, raw, keys: Object.keys(o) };
}

/** Symbol under which CSV/TSV records carry their `CsvHeader` (see there). */
export const CSV_HEADER: unique symbol = Symbol('sluice.csvHeader');

/**
 * Check a delimiter for CSV/TSV.
 * @throws UsageError unless it is one character other than `"`, CR and LF
 */
export function checkDelimiter(d: string): void {
  if (d.length !== 1 || d === '"' || d === '\n' || d === '\r') {
    throw new UsageError(`--delimiter must be one character other than a double quote or a line end (got ${JSON.stringify(d)})`);
  }
}

/** A TSV cell as read: `\t` tab, `\n` LF, `\r` CR, `\\` backslash; any other backslash is kept as it is. */
export function unescapeTsv(cell: string): string {
  if (cell.indexOf('\\') < 0) return cell;
  return cell.replace(/\\([tnr\\])/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
}

/** A TSV cell as written: backslash, tab, LF and CR escaped (the inverse of unescapeTsv). */
export function escapeTsv(cell: string): string {
  return /[\\\t\n\r]/.test(cell) ? cell.replace(/[\\\t\n\r]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\\\')) : cell;
}
