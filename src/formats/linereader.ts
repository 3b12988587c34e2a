/**
 * The line splitting shared by the line-per-record readers (lines.ts,
 * logfmt.ts): a pure state machine fed chunk by chunk, an `indexOf('\n')`
 * loop per chunk with the unfinished last line carried to the next chunk.
 *
 * - LF and CRLF line ends (the CR is dropped; CR-only sources go through
 *   lineends.ts); a UTF-8 BOM at the start of the source is dropped.
 * - Lines are numbered from 1; a last line without a line end is a line, an
 *   empty one is not.
 * - A line longer than `--max-line-bytes` goes to `overlong` (the reader's
 *   rejection) instead of `line`; an unfinished line that grows past the
 *   limit is rejected at once and the rest of it skipped, never held whole.
 * - For checkpoints: `position()` (the unfinished line and the lines
 *   completed) and `resumeAt(line)`.
 */
import type { Batch, Reader, Rec } from '../engine/types.js';
import { OVERLONG_TEXT_CHARS, collectRecords, longerThan } from './common.js';

/** A reader of one record (or none) per line: subclasses say what a line gives. */
export abstract class LineReader implements Reader {
  private tail = '';
  /** Lines completed so far. */
  private line = 0;
  private atStart = true;
  /** Inside an overlong line already rejected: skip to its end. */
  private skipping = false;

  /** @param max `--max-line-bytes` (bytes of UTF-8) */
  constructor(protected readonly max: number) {}

  /** A complete line (without its line end): add its record, if any, to `out`, or reject it. */
  protected abstract handleLine(text: string, lineNo: number, out: Rec[]): void;
  /** A line longer than `max` (`text` may be only its start): reject it. */
  protected abstract overlong(lineNo: number, text: string): void;

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

  /** For checkpoints (Reader.position): null while skipping an overlong line. */
  position(): { pending: string; line: number } | null {
    return this.skipping ? null : { pending: this.tail, line: this.line };
  }

  /** For checkpoints (Reader.resumeAt): go on after `line` lines, past the start of the source (no BOM there). */
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
    this.overlong(this.line + 1, t);
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
