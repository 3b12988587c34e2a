/**
 * Record formats: readers (text chunks → batches of records) and writers
 * (batches → text), and how sluice picks the input format.
 */
import type { InputFormat, OutputFormat, Reader, ReaderOptions, Writer, WriterOptions } from '../engine/types.js';
import { CsvReader, CsvWriter } from './csv.js';
import { NdjsonReader, NdjsonWriter } from './ndjson.js';
import { TableWriter } from './table.js';
import { JsonReader, JsonWriter } from './json.js';
import { MarkdownWriter } from './markdown.js';
import { acceptCrLineEnds } from './lineends.js';
import { LinesReader } from './lines.js';
import { LogfmtReader, LogfmtWriter } from './logfmt.js';

export { CSV_HEADER, CsvReader, CsvWriter, checkDelimiter, type CsvHeader } from './csv.js';
export { NdjsonReader, NdjsonWriter } from './ndjson.js';
export { TableWriter, displayWidth } from './table.js';
export { parseExact, mayHoldInexactNumber } from './exactjson.js';
export { DEFAULT_MAX_LINE_BYTES } from './common.js';

/**
 * A reader for one source.
 * @param format `ndjson`, `json`, `csv`, `csvlite`, `tsv`, `lines` or `logfmt`
 * @param opts   source name, error sink, delimiter (default `,` for csv, tab
 *               for tsv), `noHeader`, `maxLineBytes` (default 64 MiB)
 * @throws UsageError for a delimiter that is not one character other than `"`, CR, LF
 */
export function createReader(format: InputFormat, opts: ReaderOptions): Reader {
  if (format === 'json') return new JsonReader(opts);
  if (format === 'lines') return acceptCrLineEnds(new LinesReader(opts));
  if (format === 'logfmt') return acceptCrLineEnds(new LogfmtReader(opts));
  // (NDJSON and CSV/TSV accept CR-only line ends: formats/lineends.ts; not a -j range of an LF source.)
  const crOk = (r: Reader): Reader => (opts.lfLineEnds === true ? r : acceptCrLineEnds(r));
  if (format === 'ndjson') return crOk(new NdjsonReader(opts));
  return crOk(
    new CsvReader({
      source: opts.source,
      errors: opts.errors,
      delimiter: opts.delimiter ?? (format === 'tsv' ? '\t' : ','),
      noHeader: opts.noHeader,
      maxLineBytes: opts.maxLineBytes,
      lineNumbers: opts.lineNumbers,
      dialect: format,
      strictQuotes: opts.strictCsv,
      fields: opts.fields,
    }),
  );
}

/**
 * A writer for the output.
 * @param format `ndjson`, `json`, `csv`, `tsv`, `table`, `markdown` or `logfmt`
 * @param opts   delimiter (default `,` for csv, tab for tsv), colour (table),
 *               and the input format and delimiter (records still carrying
 *               their RAW text are written as it when the formats match)
 * @throws UsageError for a bad delimiter
 */
export function createWriter(format: OutputFormat, opts: WriterOptions): Writer {
  switch (format) {
    case 'ndjson':
      return new NdjsonWriter(opts);
    case 'csv':
    case 'tsv':
      return new CsvWriter(format, opts);
    case 'table':
      return new TableWriter(opts);
    case 'json':
      return new JsonWriter(opts);
    case 'markdown':
      return new MarkdownWriter();
    case 'logfmt':
      return new LogfmtWriter(opts);
  }
}

/**
 * Guess the input format from the start of the input (SPEC §1): the first
 * character that is not blank (space, tab, CR, LF) or a UTF-8 BOM is `{` →
 * `ndjson`, `[` → `json`; else a tab in the first line → `tsv`; anything
 * else (and empty input) → `csv`.
 */
export function sniffFormat(firstChunk: string): InputFormat {
  const m = /[^\s\ufeff]/.exec(firstChunk);
  if (m && m[0] === '{') return 'ndjson';
  if (m && m[0] === '[') return 'json';
  // A tab in the first line (after any leading line ends): TSV.
  const start = /[^\r\n\ufeff]/.exec(firstChunk)?.index ?? 0;
  const nl = firstChunk.indexOf('\n', start);
  const tab = firstChunk.indexOf('\t', start);
  return tab >= 0 && (nl < 0 || tab < nl) ? 'tsv' : 'csv';
}

/**
 * The input format a file name implies (case-insensitive): `.ndjson`,
 * `.jsonl` → ndjson; `.json` → json (an array or concatenated values, which
 * NDJSON also is); `.csv` → csv; `.tsv`, `.tab` → tsv; otherwise undefined.
 * `.logfmt` → logfmt. A `.gz` suffix is looked through (`app.ndjson.gz` is NDJSON).
 */
export function formatFromPath(path: string): InputFormat | undefined {
  const m = /\.([A-Za-z]+)(?:\.gz)?$/i.exec(path);
  if (!m) return undefined;
  switch (m[1]!.toLowerCase()) {
    case 'ndjson':
    case 'jsonl':
      return 'ndjson';
    case 'json':
      return 'json';
    case 'csv':
      return 'csv';
    case 'tsv':
    case 'tab':
      return 'tsv';
    case 'logfmt':
      return 'logfmt';
    default:
      return undefined;
  }
}
