/**
 * What the CSV reader (csv.ts) needs for rows that hold a quote character:
 * csv-parse (`csv-parse/sync`, the CSV parser of record, loaded on first
 * use), its errors in sluice's words, and the record ends (newlines outside
 * quotes, RFC 4180) of a block of whole records.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** csv-parse's options (the reader passes delimiter, record delimiters, relaxed column count and quotes). */
export type CsvParseOptions = import('csv-parse/sync').Options;
let csvParseFn: ((input: string, options: CsvParseOptions) => string[][]) | undefined;
/**
 * csv-parse's synchronous parser, loaded on first use (its CommonJS build,
 * `csv-parse/sync`), so that input without quotes never pays for loading it.
 */
export function csvParse(input: string, options: CsvParseOptions): string[][] {
  csvParseFn ??= (require('csv-parse/sync') as typeof import('csv-parse/sync')).parse as (input: string, options: CsvParseOptions) => string[][];
  return csvParseFn(input, options);
}

const NL = 10;
const QUOTE = 34;

const CSV_ERRORS: Record<string, string> = {
  CSV_INVALID_CLOSING_QUOTE: 'text after a closing quote',
  INVALID_OPENING_QUOTE: 'quote inside an unquoted field',
  CSV_INVALID_OPENING_QUOTE: 'quote inside an unquoted field',
  CSV_QUOTE_NOT_CLOSED: 'unterminated quoted field',
};

/**
 * The reason a csv-parse error gives, in sluice's words (`text after a
 * closing quote`, `quote inside an unquoted field`, `unterminated quoted
 * field`), else its message without csv-parse's line number.
 */
export function csvReason(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code && CSV_ERRORS[code]) return CSV_ERRORS[code]!;
  return (e instanceof Error ? e.message : String(e)).replace(/ at line \d+/, '');
}

/**
 * The offsets of the record ends (newlines outside quotes) of a block that
 * starts at a record start; `delimCode` is the delimiter's char code (a
 * quote opens a quoted field only after it, or at a line start).
 */
export function recordEnds(block: string, delimCode: number): number[] {
  const ends: number[] = [];
  const L = block.length;
  let p = 0;
  let inQ = false;
  while (p < L) {
    if (!inQ) {
      let q = block.indexOf('"', p);
      if (q < 0) q = L;
      for (let nl = block.indexOf('\n', p); nl >= 0 && nl < q; nl = block.indexOf('\n', nl + 1)) ends.push(nl);
      if (q === L) break;
      const pc = q > 0 ? block.charCodeAt(q - 1) : NL;
      if (pc === delimCode || pc === NL) inQ = true;
      p = q + 1;
    } else {
      const q = block.indexOf('"', p);
      if (q < 0) break;
      if (block.charCodeAt(q + 1) === QUOTE) p = q + 2;
      else {
        inQ = false;
        p = q + 1;
      }
    }
  }
  return ends;
}
