/**
 * `-i lines`: each line of text is one record `{"line": TEXT}` (SPEC §2), the
 * way into sluice for logs that are not records yet (then `parse`).
 *
 * A pure state machine like the other readers: an `indexOf('\n')` loop per
 * chunk, the unfinished last line carried to the next chunk. LF and CRLF
 * line ends (the CR is dropped; CR-only sources go through lineends.ts);
 * a UTF-8 BOM at the start is dropped. Every line is a record, blank ones too
 * (`{"line":""}`), so record N is line N; a last line without a line end is
 * a record, an empty one is not. Nothing is malformed, except a line longer
 * than `--max-line-bytes`, which is rejected (its first 1024 characters kept)
 * and skipped without being held whole.
 */
import type { Batch, ErrorSink, Rec, Reader } from '../engine/types.js';
import { LINE } from '../engine/values.js';
import { DEFAULT_MAX_LINE_BYTES, OVERLONG_TEXT_CHARS, collectRecords, longerThan } from './common.js';

/** Options of the lines reader (see ReaderOptions). */
export interface LinesReaderOptions {
  source: string;
  errors: ErrorSink;
  maxLineBytes?: number;
  lineNumbers?: boolean;
}

/** See the module comment. */
export class LinesReader implements Reader {
  private readonly source: string;
  private readonly errors: ErrorSink;
  private readonly max: number;
  private readonly lineNumbers: boolean;
  private tail = '';
  private line = 0;
  private atStart = true;
  private skipping = false;

  constructor(opts: LinesReaderOptions) {
    this.source = opts.source;
    this.errors = opts.errors;
    this.max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.lineNumbers = opts.lineNumbers ?? false;
  }

  feed(chunk: string): Batch {
    return collectRecords((out) => this.feedInto(chunk, out));
  }

  end(): Batch {
    return collectRecords((out) => {
      if (this.tail !== '' && !this.skipping) this.emit(this.tail, ++this.line, out);
      this.tail = '';
      this.skipping = false;
    });
  }

  /** For checkpoints (Reader.position): the unfinished line and the lines completed; null while skipping an overlong line. */
  position(): { pending: string; line: number } | null {
    return this.skipping ? null : { pending: this.tail, line: this.line };
  }

  /** For checkpoints (Reader.resumeAt): go on after `line` lines, mid-file (no BOM there). */
  resumeAt(line: number): void {
    this.line = line;
    this.atStart = false;
  }

  private feedInto(chunk: string, out: Rec[]): void {
    if (chunk.length === 0) return;
    if (this.atStart) {
      this.atStart = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    let pos = 0;
    let nl = chunk.indexOf('\n');
    if (this.skipping) {
      if (nl < 0) return;
      this.skipping = false;
      this.line++;
      pos = nl + 1;
      nl = chunk.indexOf('\n', pos);
    } else if (this.tail !== '') {
      if (nl < 0) {
        this.tail += chunk;
        this.checkTail();
        return;
      }
      const text = this.tail + chunk.slice(0, nl);
      this.tail = '';
      this.emit(text, ++this.line, out);
      pos = nl + 1;
      nl = chunk.indexOf('\n', pos);
    }
    while (nl >= 0) {
      this.emit(chunk.slice(pos, nl), ++this.line, out);
      pos = nl + 1;
      nl = chunk.indexOf('\n', pos);
    }
    if (pos < chunk.length) {
      this.tail = pos === 0 ? chunk : chunk.slice(pos);
      this.checkTail();
    }
  }

  /** An unfinished line beyond the limit: reject it now and skip the rest of it. */
  private checkTail(): void {
    const t = this.tail;
    if (t.length * 3 <= this.max || t.length < OVERLONG_TEXT_CHARS || !longerThan(t, this.max)) return;
    this.tail = '';
    this.skipping = true;
    this.reject(this.line + 1, t);
  }

  private reject(lineNo: number, text: string): void {
    this.errors.reject(this.source, lineNo, `line longer than ${this.max} bytes (--max-line-bytes); only its first ${OVERLONG_TEXT_CHARS} characters are kept`, text.slice(0, OVERLONG_TEXT_CHARS));
  }

  private emit(text: string, lineNo: number, out: Rec[]): void {
    const last = text.length - 1;
    if (last >= 0 && text.charCodeAt(last) === 13) text = text.slice(0, last);
    if (text.length * 3 > this.max && longerThan(text, this.max)) {
      this.reject(lineNo, text);
      return;
    }
    // (The line number first: then 'line' is the last property, which parse removes cheaply.)
    out.push(this.lineNumbers ? { [LINE]: lineNo, line: text } : { line: text });
  }
}
