/**
 * The line splitting shared by the line-per-record readers (NDJSON, lines,
 * logfmt): a pure state machine fed chunk by chunk, an `indexOf('\n')`
 * loop per chunk with the unfinished last line carried to the next chunk.
 * `LineFramer` carries the unfinished line, the line count, the BOM and the
 * overlong skipping; its subclass says what to do with the complete lines of
 * a chunk (ndjson.ts has its own loop) and with a line put together from the
 * carried part. `LineReader` is the simple case: one call per line.
 *
 * - LF and CRLF line ends (the CR is dropped; CR-only sources go through
 *   lineends.ts); a UTF-8 BOM at the start of the source is dropped.
 * - Lines are numbered from 1; a last line without a line end is a line, an
 *   empty one is not.
 * - A line longer than `--max-line-bytes` goes to `overlong` (the reader's
 *   rejection) instead of `line`; an unfinished line that grows past the
 *   limit is rejected at once and the rest of it skipped, never held whole
 *   (its UTF-8 size is kept up to date from the parts added, so a long line
 *   is measured once, not once per chunk).
 * - For checkpoints: `position()` (the unfinished line and the lines
 *   completed) and `resumeAt(line)`.
 */
import type { Batch, ErrorSink, Reader, Rec } from '../engine/types.js';
import { DEFAULT_MAX_LINE_BYTES, OVERLONG_TEXT_CHARS, collectRecords, isPair, longerThan } from './common.js';

/**
 * The line framing of a line-per-record reader (see the top of this file):
 * `feed` cuts each chunk at its line ends, hands the complete lines of the
 * chunk to `lines` in one call and a line completed from the carried part
 * (or the last one at end of input) to `whole`, and carries the rest.
 */
export abstract class LineFramer implements Reader {
  /** The unfinished last line of the previous chunk(s). */
  protected tail = '';
  /** Number of lines completed so far (the next line is `line + 1`). */
  protected line = 0;
  private atStart = true;
  /** Inside an overlong line already rejected: discard until the next newline. */
  private skipping = false;
  /** UTF-8 size of `tail` once it is long enough to be measured, else -1. */
  private tailBytes = -1;
  /** The last code unit of `tail` (read from the chunk it came from: reading the grown string would flatten it). */
  private lastCode = 0;

  /** @param max `--max-line-bytes` (bytes of UTF-8) */
  constructor(protected readonly max: number) {}

  /**
   * The complete lines of `chunk` from `pos`, `nl` the first newline at or
   * after `pos` (-1: none): handle each (its text without the `\n`, numbered
   * `++this.line`), adding records to `out`; return the position after the
   * last newline handled (`pos` when there was none).
   */
  protected abstract lines(chunk: string, pos: number, nl: number, out: Rec[]): number;
  /** One line (without its `\n`; a CR before it is still there) put together from the carried part, or the last line at end of input. */
  protected abstract whole(text: string, lineNo: number, out: Rec[]): void;
  /** A line longer than `max` (`text` may be only its start: at least its first OVERLONG_TEXT_CHARS characters): reject it. */
  protected abstract overlong(lineNo: number, text: string): void;

  /** Reader.feed: the records of the lines this chunk completes. */
  feed(chunk: string): Batch {
    return collectRecords((out) => this.feedInto(chunk, out));
  }

  /** Reader.end: the record of a last line without a line end, if any. */
  end(): Batch {
    return collectRecords((out) => this.endInto(out));
  }

  /** For checkpoints (Reader.position): the unfinished line and the lines completed; null while skipping an overlong line. */
  position(): { pending: string; line: number } | null {
    return this.skipping ? null : { pending: this.tail, line: this.line };
  }

  /** For checkpoints (Reader.resumeAt): go on after `line` lines, past the start of the source (no BOM there). */
  resumeAt(line: number): void {
    this.line = line;
    this.atStart = false;
  }

  /** `feed`, adding the records to `out` (so that those before a fatal malformed record reach InputError.partial). */
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
        this.checkTail(chunk);
        return;
      }
      const text = this.tail + chunk.slice(0, nl);
      this.tail = '';
      this.tailBytes = -1;
      this.whole(text, ++this.line, out);
      pos = nl + 1;
      nl = chunk.indexOf('\n', pos);
    }
    pos = this.lines(chunk, pos, nl, out);
    if (pos < chunk.length) {
      this.tail = pos === 0 ? chunk : chunk.slice(pos);
      this.tailBytes = -1;
      this.checkTail(this.tail);
    }
  }

  private endInto(out: Rec[]): void {
    if (this.tail !== '') {
      const text = this.tail;
      this.tail = '';
      this.tailBytes = -1;
      this.whole(text, ++this.line, out);
    }
    this.skipping = false;
  }

  /**
   * The unfinished line has grown by `added`: when it is beyond the limit,
   * reject it now and skip the rest of it. Its size in bytes is kept up to
   * date from the added parts once it is long enough to matter, so a long
   * line is measured once, not once per chunk.
   */
  private checkTail(added: string): void {
    const hi = this.lastCode;
    this.lastCode = added.charCodeAt(added.length - 1);
    const t = this.tail;
    // (Kept until it has OVERLONG_TEXT_CHARS characters, so the rejected text does not depend on chunk sizes.)
    if (t.length * 3 <= this.max || t.length < OVERLONG_TEXT_CHARS) return;
    if (this.tailBytes < 0) this.tailBytes = Buffer.byteLength(t, 'utf8');
    else this.tailBytes += Buffer.byteLength(added, 'utf8') - (isPair(hi, added.charCodeAt(0)) ? 2 : 0);
    // A CR at the end may be the first half of a CRLF line end, which is not part of the line.
    if (this.tailBytes - (this.lastCode === 13 ? 1 : 0) > this.max) {
      const text = t.slice(0, OVERLONG_TEXT_CHARS);
      this.tail = '';
      this.tailBytes = -1;
      this.skipping = true;
      this.overlong(this.line + 1, text);
    }
  }
}

/** Options of a LineReader (lines.ts, logfmt.ts; see ReaderOptions). */
export interface LineReaderOptions {
  source: string;
  errors: ErrorSink;
  /** `--max-line-bytes` (bytes of UTF-8; default DEFAULT_MAX_LINE_BYTES). */
  maxLineBytes?: number;
  /** Stamp records with their line number (LINE). */
  lineNumbers?: boolean;
}

/**
 * A reader of one record (or none) per line: subclasses say what a line
 * gives (handleLine) and what an overlong line is called (overlongReason);
 * such a line is rejected here with its first OVERLONG_TEXT_CHARS characters.
 */
export abstract class LineReader extends LineFramer {
  protected readonly source: string;
  protected readonly errors: ErrorSink;
  protected readonly lineNumbers: boolean;

  constructor(opts: LineReaderOptions) {
    super(opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
    this.source = opts.source;
    this.errors = opts.errors;
    this.lineNumbers = opts.lineNumbers ?? false;
  }

  /** A complete line (without its line end): add its record, if any, to `out`, or reject it. */
  protected abstract handleLine(text: string, lineNo: number, out: Rec[]): void;
  /** The message for a line longer than `max` bytes. */
  protected abstract overlongReason(): string;

  protected overlong(lineNo: number, text: string): void {
    this.errors.reject(this.source, lineNo, this.overlongReason(), text.slice(0, OVERLONG_TEXT_CHARS));
  }

  protected lines(chunk: string, pos: number, nl: number, out: Rec[]): number {
    while (nl >= 0) {
      this.emit(chunk.slice(pos, nl), ++this.line, out);
      pos = nl + 1;
      nl = chunk.indexOf('\n', pos);
    }
    return pos;
  }

  protected whole(text: string, lineNo: number, out: Rec[]): void {
    this.emit(text, lineNo, out);
  }

  private emit(text: string, lineNo: number, out: Rec[]): void {
    const last = text.length - 1;
    if (last >= 0 && text.charCodeAt(last) === 13) text = text.slice(0, last);
    if (text.length * 3 > this.max && longerThan(text, this.max)) {
      this.overlong(lineNo, text);
      return;
    }
    this.handleLine(text, lineNo, out);
  }
}
