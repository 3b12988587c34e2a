/**
 * Where a run's records go: the output format and writer (`outputFormatFor`,
 * `makeWriter`), the last stage `Sink` that writes stdout one string per
 * batch and notes backpressure, and `OutputFiles`, the files stages open
 * (--late-output, tee, split, ...) with their checkpoint truncation.
 *
 * Backpressure: the sink remembers when `write()` returned false (`blocked`);
 * the runner then pauses the source until stdout emits `drain`.
 */
import fs from 'node:fs';
import type { Writable } from 'node:stream';
import { ioError } from './errors.js';
import { openMaybeFifo } from './files.js';
import type { Batch, InputFormat, OutputFormat, Stage, Writer } from './types.js';
import type { RunOptions } from './options.js';
import { createWriter } from '../formats/index.js';
import type { CheckpointSession } from '../checkpoint/session.js';

/** The output format: the chosen one, else the input's (csvlite → csv, lines → ndjson). */
export function outputFormatFor(inFmt: InputFormat, chosen: OutputFormat | undefined): OutputFormat {
  return chosen ?? (inFmt === 'csvlite' ? 'csv' : inFmt === 'lines' ? 'ndjson' : inFmt);
}

/** The delimiter of format `f`: `--delimiter`, else tab for TSV and comma otherwise. */
export function delimiterFor(opts: RunOptions, f: InputFormat | OutputFormat): string {
  return opts.delimiter ?? (f === 'tsv' ? '\t' : ',');
}

/**
 * A writer of `outFmt` for records read as `inFmt` (whose RAW text it may copy).
 * @param color colour the output (a terminal)
 */
export function makeWriter(opts: RunOptions, inFmt: InputFormat, outFmt: OutputFormat, color: boolean): Writer {
  return createWriter(outFmt, { delimiter: delimiterFor(opts, outFmt), color, inputFormat: inFmt, inputDelimiter: delimiterFor(opts, inFmt) });
}

/** Batches shorter than this (UTF-16 units) are written as strings: Writable's own small buffers come from a pool. */
const REUSE_MIN_CHARS = 4096;
/** ... and longer ones too (a buffer of 3 bytes a unit would be held for a few huge records): 4 Mi units, at most a 12 MiB buffer. */
const REUSE_MAX_CHARS = 4 * 1024 * 1024;

/** The last stage: serialises each batch to one string and writes it. */
export class Sink implements Stage {
  writer: Writer | undefined;
  /** Set when a write returned false; cleared on 'drain'. */
  blocked = false;
  /** Characters beyond U+00FF written as `?` in Latin-1 output (reported at exit). */
  notLatin1 = 0;
  /**
   * The UTF-8 bytes of the last batch, when the destination is the process's
   * stdout: reused for the next batch once stdout holds no reference to it
   * (see put), instead of a new buffer per write (which Writable makes for a
   * string, at a cost in allocation, page faults and GC on large outputs).
   */
  private bytes: Buffer | undefined;
  private readonly reuseBytes: boolean;
  constructor(
    private readonly out: Writable,
    private readonly makeWriter: () => Writer,
    /** Called once the whole pipeline has ended (its last output is written or queued). */
    private readonly onEnd: () => void,
    /** `--encoding latin1`: write Latin-1 bytes (so unchanged input bytes come back unchanged). */
    private readonly latin1 = false,
  ) {
    // Only the real stdout (a file, pipe or terminal) is known to copy the
    // bytes out by the time its writableLength is back to 0; a Writable
    // given by a caller may keep the chunk.
    this.reuseBytes = out === process.stdout;
  }
  private w(): Writer {
    return (this.writer ??= this.makeWriter());
  }
  private put(text: string): void {
    if (text.length === 0) return;
    let ok: boolean;
    if (this.latin1) {
      if (/[^\x00-\xff]/.test(text)) {
        text = text.replace(/[\ud800-\udbff][\udc00-\udfff]|[^\x00-\xff]/g, () => {
          this.notLatin1++;
          return '?';
        });
      }
      ok = this.out.write(text, 'latin1');
    } else if (this.reuseBytes && this.out.writableLength === 0 && text.length >= REUSE_MIN_CHARS && text.length <= REUSE_MAX_CHARS) {
      // At most 3 bytes of UTF-8 per UTF-16 unit (a surrogate pair: 4 for 2).
      const most = text.length * 3;
      let b = this.bytes;
      if (b === undefined || b.length < most) b = this.bytes = Buffer.allocUnsafeSlow(Math.max(most, 1 << 20));
      const n = b.write(text, 0, 'utf8');
      ok = this.out.write(n === b.length ? b : b.subarray(0, n));
      // Written synchronously (a file, or a pipe that took it all): the bytes
      // are out, and the buffer is free again; else the stream still holds it.
      if (this.out.writableLength !== 0) this.bytes = undefined;
    } else ok = this.out.write(text);
    if (!ok) this.blocked = true;
  }
  push(batch: Batch): void {
    this.put(this.w().write(batch));
  }
  watermark(): void {}
  end(): void {
    this.put(this.w().end());
    this.onEnd();
  }
  /** The line for stderr at exit, when characters were replaced in Latin-1 output. */
  summary(): string | undefined {
    const n = this.notLatin1;
    return n > 0 ? `${n} character${n === 1 ? '' : 's'} beyond Latin-1 written as '?' (--encoding latin1)` : undefined;
  }
}

/**
 * Output files that stages open (`PipelineContext.openOutput`): written
 * synchronously; with a checkpoint, a resumed run appends to each after
 * truncating it back to its checkpointed length, and each checkpoint records
 * its length.
 */
export class OutputFiles {
  private readonly fds: number[] = [];
  constructor(private readonly cp: CheckpointSession | undefined) {}

  /**
   * Open `path` for writing.
   * @returns its writer, whose `write` throws RuntimeError (errno in words) on a failed write
   * @throws RuntimeError when it cannot be opened
   */
  open(path: string): { write(text: string): void } {
    let fd: number;
    const cp = this.cp;
    const resumeLength = cp?.outputLength(path);
    try {
      fd = openMaybeFifo(path, resumeLength !== undefined ? 'a' : 'w');
    } catch (e) {
      throw ioError('cannot open', path, e);
    }
    this.fds.push(fd);
    if (cp) {
      if (resumeLength !== undefined) cp.truncateTo(path, fd, resumeLength);
      cp.addOutput(path, fd);
    }
    return {
      write: (text: string) => {
        try {
          fs.writeSync(fd, text);
        } catch (e) {
          throw ioError('cannot write', path, e);
        }
      },
    };
  }

  /** Close every file opened (errors ignored: writes were synchronous). */
  closeAll(): void {
    for (const fd of this.fds) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already closed */
      }
    }
  }
}
