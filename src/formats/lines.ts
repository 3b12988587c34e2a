/**
 * `-i lines`: each line of text is one record `{"line": TEXT}` (SPEC §2), the
 * way into sluice for logs that are not records yet (then `parse`).
 *
 * Lines are split by linereader.ts (LF and CRLF line ends, a UTF-8 BOM at
 * the start dropped; CR-only sources go through lineends.ts). Every line is
 * a record, blank ones too (`{"line":""}`), so record N is line N; a last
 * line without a line end is a record, an empty one is not. Nothing is malformed, except a line longer
 * than `--max-line-bytes`, which is rejected (its first 1024 characters kept)
 * and skipped without being held whole.
 */
import type { Rec } from '../engine/types.js';
import { LINE } from '../engine/values.js';
import { OVERLONG_TEXT_CHARS } from './common.js';
import { LineReader, type LineReaderOptions } from './linereader.js';

/** Options of the lines reader (see ReaderOptions). */
export type LinesReaderOptions = LineReaderOptions;

/** See the module comment. */
export class LinesReader extends LineReader {
  protected overlongReason(): string {
    return `line longer than ${this.max} bytes (--max-line-bytes); only its first ${OVERLONG_TEXT_CHARS} characters are kept`;
  }

  protected handleLine(text: string, lineNo: number, out: Rec[]): void {
    // (The line number first: then 'line' is the last property, which parse removes cheaply.)
    out.push(this.lineNumbers ? { [LINE]: lineNo, line: text } : { line: text });
  }
}
