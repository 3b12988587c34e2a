/**
 * Bytes to text for the sources (SPEC §1 `--encoding`, issue 10 item 11).
 *
 * - `utf-8` (default): Node's StringDecoder (a character cut by a chunk
 *   boundary is completed from the next chunk). Invalid bytes still become
 *   U+FFFD, but never silently: the lines that hold them are counted, with
 *   the byte offset of the first, for a summary on stderr (`report`). The
 *   check costs nothing on valid input: only a decoded chunk that contains
 *   U+FFFD (impossible in a one-byte string, which V8 finds at once) is
 *   looked at, and only U+FFFD that did not come from the bytes EF BF BD of
 *   a real U+FFFD count.
 * - A UTF-16 byte order mark (FF FE or FE FF) at the start switches to
 *   UTF-16 (little or big endian), decoded by TextDecoder in stream mode.
 * - `latin1`: every byte is the character of that code (ISO 8859-1), so
 *   nothing is invalid; output is then written as Latin-1 too (engine/output.ts),
 *   which gives unchanged bytes back unchanged.
 */
import { StringDecoder } from 'node:string_decoder';

/** The input encodings of `--encoding`. */
export type InputEncoding = 'utf-8' | 'latin1';

const REPLACEMENT = '\ufffd';
const EF_BF_BD = Buffer.from([0xef, 0xbf, 0xbd]);

/** What a decoder found (see InputDecoder.report). */
export interface DecodeReport {
  /** Lines holding bytes that are not UTF-8 (read as U+FFFD). */
  invalidLines: number;
  /** Byte offset (0-based) in the source of the first such line's first replaced character. */
  firstInvalidAt: number;
  /** `UTF-16LE` / `UTF-16BE` when a byte order mark said so. */
  utf16?: string;
}

/** Bytes to text for one source (see the module comment). */
export class InputDecoder {
  private dec: { write(b: Buffer): string; end(): string } | undefined;
  private readonly latin1: boolean;
  private started = false;
  /** Bytes given so far (before the current chunk, while it is decoded). */
  private bytes = 0;
  private readonly utf8 = new Utf8Check();
  readonly report: DecodeReport = this.utf8.report;

  constructor(encoding: InputEncoding = 'utf-8') {
    this.latin1 = encoding === 'latin1';
  }

  /** Text for the next chunk of bytes (maybe '' while a character is incomplete). */
  write(buf: Buffer): string {
    if (!this.started) {
      this.started = true;
      this.dec = this.pick(buf);
      if (this.report.utf16 !== undefined) buf = buf.subarray(2);
    }
    const s = this.dec!.write(buf);
    if (!this.latin1 && this.report.utf16 === undefined) this.utf8.check(s, buf, this.bytes);
    this.bytes += buf.length;
    return s;
  }

  /** The text still held at the end of the source. */
  end(): string {
    if (!this.dec) return '';
    const s = this.dec.end();
    if (s !== '' && !this.latin1 && this.report.utf16 === undefined) this.utf8.check(s, Buffer.alloc(0), this.bytes);
    return s;
  }

  private pick(first: Buffer): { write(b: Buffer): string; end(): string } {
    if (this.latin1) return new StringDecoder('latin1');
    if (first.length >= 2 && ((first[0] === 0xff && first[1] === 0xfe) || (first[0] === 0xfe && first[1] === 0xff))) {
      const label = first[0] === 0xff ? 'utf-16le' : 'utf-16be';
      this.report.utf16 = label.toUpperCase();
      const td = new TextDecoder(label, { ignoreBOM: true });
      return { write: (b) => td.decode(b, { stream: true }), end: () => td.decode() };
    }
    return new StringDecoder('utf8');
  }
}

/**
 * Counts the lines of UTF-8 input that held invalid bytes (decoded as
 * U+FFFD), for a source decoded elsewhere too (`InputDecoder`, and the
 * FileTails of `--follow`, which keep their own StringDecoder for byte
 * positions). Give it each decoded chunk with its bytes, in order.
 */
export class Utf8Check {
  readonly report: DecodeReport = { invalidLines: 0, firstInvalidAt: -1 };
  /** Last two bytes of the previous chunk (an EF BF BD may straddle chunks). */
  private prevTail: Buffer = Buffer.alloc(0);
  /** The text so far ends inside a line already counted as invalid. */
  private lineCounted = false;

  /**
   * Count the lines of `s` (decoded from `buf`) holding replaced bytes.
   * @param s     the text a decoder gave for `buf` (or at its end, with an empty `buf`)
   * @param buf   the bytes
   * @param at    the byte offset of `buf` in the source (for `firstInvalidAt`)
   */
  check(s: string, buf: Buffer, at: number): void {
    let i = s.indexOf(REPLACEMENT);
    if (i < 0) {
      if (s.lastIndexOf('\n') >= 0) this.lineCounted = false;
      this.keepTail(buf);
      return;
    }
    // Replacement characters that are real U+FFFD in the input do not count.
    let real = 0;
    const joined = this.prevTail.length > 0 ? Buffer.concat([this.prevTail, buf]) : buf;
    for (let j = joined.indexOf(EF_BF_BD); j >= 0; j = joined.indexOf(EF_BF_BD, j + 3)) real++;
    let total = 0;
    for (let j = i; j >= 0; j = s.indexOf(REPLACEMENT, j + 1)) total++;
    this.keepTail(buf);
    if (total <= real) {
      if (s.lastIndexOf('\n') >= 0) this.lineCounted = false;
      return;
    }
    // Count each line holding one (a line cut by the chunk boundary once). Linear: the next
    // newline is searched forward once per line, never again per replacement character.
    let counted = this.lineCounted;
    let nextNl = s.indexOf('\n');
    for (; i >= 0; i = s.indexOf(REPLACEMENT, i + 1)) {
      if (nextNl >= 0 && nextNl < i) {
        counted = false;
        nextNl = s.indexOf('\n', i);
      }
      if (!counted) {
        this.report.invalidLines++;
        if (this.report.firstInvalidAt < 0) this.report.firstInvalidAt = at + Buffer.byteLength(s.slice(0, i), 'utf8');
        counted = true;
      }
    }
    this.lineCounted = nextNl >= 0 ? false : counted;
  }

  /** The next bytes start a new text (a file read again from the start, or another file): nothing carries over. */
  restart(): void {
    this.prevTail = Buffer.alloc(0);
    this.lineCounted = false;
  }

  private keepTail(buf: Buffer): void {
    if (buf.length >= 2) this.prevTail = Buffer.from(buf.subarray(buf.length - 2));
    else if (buf.length > 0) this.prevTail = Buffer.concat([this.prevTail, buf]).subarray(-2);
  }
}

/** The stderr summary for a source's DecodeReport, or undefined when there is nothing to say. */
export function decodeSummary(source: string, r: DecodeReport): string | undefined {
  if (r.invalidLines === 0) return undefined;
  const name = source === '-' ? 'stdin' : source;
  const lines = r.invalidLines === 1 ? '1 line' : `${r.invalidLines} lines`;
  return (
    `${name}: ${lines} with invalid UTF-8 (first at byte ${r.firstInvalidAt}) read with U+FFFD in place of the bad bytes; ` +
    `if the input is Latin-1 (ISO 8859-1), use --encoding latin1`
  );
}
