/**
 * Reading one `-j` range (issue 14 item 5), shared by the range runner
 * (chunk.ts) and the key partitions (partitioned.ts): a file range read
 * and decoded in cache-sized slices cut at line ends (or a dealt job's
 * bytes so cut), the checks that send a range to one thread (invalid
 * UTF-8, a late CSV quote, text a same-format writer would not copy as it
 * was read), result bytes that can be moved between threads, and the
 * pipeline context of the verbs a range runs.
 */
import fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import type { ErrorSink, PipelineContext, Rec } from '../engine/types.js';
import { InputError } from '../engine/errors.js';
import { lineOf } from '../engine/values.js';
import type { ChunkJob } from './messages.js';

/** Feed size: the reader gets a range in slices of about this many characters. */
const SLICE = 64 * 1024;

/**
 * UTF-8 bytes of `text` in a Buffer that owns its whole ArrayBuffer (never a
 * slice of Node's shared pool), so that the ArrayBuffer can be transferred.
 */
export function ownBytes(text: string): Buffer {
  const n = Buffer.byteLength(text);
  const b = Buffer.from(new ArrayBuffer(n));
  if (n > 0) b.write(text, 0, n, 'utf8');
  return b;
}

/** One slice of a job's text: its characters (null: the range must be left to one thread, for `why`) and the job's bytes up to its end. */
export interface Slice {
  text: string | null;
  at: number;
  why?: string;
}

/**
 * Whether the writer of `fmt` would write a line of `b` otherwise than as it
 * was read (WorkerInit.keepsRaw): a CR not before an LF (CSV quotes the cell,
 * TSV escapes it) or, in TSV, a backslash (escaped as `\\`).
 */
export function rawDiffers(b: Buffer, fmt: 'csv' | 'tsv'): boolean {
  if (fmt === 'tsv' && b.indexOf(0x5c) >= 0) return true;
  for (let i = b.indexOf(0x0d); i >= 0; i = b.indexOf(0x0d, i + 1)) if (b[i + 1] !== 0x0a) return true;
  return false;
}

/** The buffer the file ranges are read into, slice by slice (grown for a longer line). */
let sliceBuf = Buffer.allocUnsafe(2 * SLICE);

/**
 * Bytes [start, end) of `file`, read SLICE bytes at a time into one reused
 * buffer and decoded up to the last line end read, so that each piece is
 * still in the CPU's cache when it is decoded and parsed (reading the whole
 * 2 MiB range first, then decoding it, cost about twice the read time).
 * Yields text null for a piece that is not valid UTF-8 or, with `noQuotes`
 * (a CSV range, cut at line ends in advance: jobs.ts), holds a double quote
 * (a quoted field may span lines), or with `keepsRaw` (WorkerInit.keepsRaw)
 * holds a CR alone or, in TSV, a backslash: the caller stops.
 */
export function* fileSlices(file: string, start: number, end: number, noQuotes: boolean, keepsRaw: 'csv' | 'tsv' | null = null): Generator<Slice> {
  const fd = fs.openSync(file, 'r');
  try {
    let pos = start;
    let carry = 0;
    while (pos < end || carry > 0) {
      let filled = carry;
      if (pos < end) {
        if (sliceBuf.length - carry < SLICE) {
          // A line longer than the buffer so far: a larger buffer, with the line's start.
          const bigger = Buffer.allocUnsafe(2 * sliceBuf.length);
          sliceBuf.copy(bigger, 0, 0, carry);
          sliceBuf = bigger;
        }
        // Up to SLICE bytes held (more only for a line longer than that): each decoded string stays
        // under V8's largest regular object (128 KiB); a larger one is a large object, mapped and
        // unmapped on its own (a read of 128 KiB at a time cost ~15% more CPU, much of it system time).
        const want = Math.min(end - pos, carry < SLICE ? SLICE - carry : sliceBuf.length - carry);
        const n = fs.readSync(fd, sliceBuf, carry, want, pos);
        // A file cut short since the ranges were made: what it still has.
        if (n === 0) pos = end;
        pos += n;
        filled += n;
      }
      let to = filled;
      if (pos < end) {
        const nl = sliceBuf.lastIndexOf(0x0a, filled - 1);
        if (nl < 0) {
          carry = filled;
          continue;
        }
        to = nl + 1;
      }
      if (!isUtf8(sliceBuf.subarray(0, to))) {
        yield { text: null, at: 0, why: 'invalid UTF-8' };
        return;
      }
      if (noQuotes && sliceBuf.subarray(0, to).indexOf(0x22) >= 0) {
        yield { text: null, at: 0, why: 'CSV with a quoted field after its first range' };
        return;
      }
      if (keepsRaw !== null && rawDiffers(sliceBuf.subarray(0, to), keepsRaw)) {
        yield { text: null, at: 0, why: `${keepsRaw.toUpperCase()} output of ${keepsRaw.toUpperCase()} input with a ${keepsRaw === 'tsv' ? 'backslash or ' : ''}CR alone in a cell (one thread writes the line as it was read)` };
        return;
      }
      const text = sliceBuf.toString('utf8', 0, to);
      sliceBuf.copyWithin(0, to, filled);
      carry = filled - to;
      yield { text, at: end - start - (end - pos) - carry };
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** A dealt job's bytes (whole records, valid UTF-8 or counted: deal.ts) in slices of at most SLICE bytes (more for a longer line) cut at line ends. */
export function* dealtSlices(data: Uint8Array): Generator<Slice> {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const got = buf.length;
  for (let at = 0; at < got; ) {
    let to = Math.min(got, at + SLICE);
    if (to < got) {
      // The last line end within SLICE bytes (strings under 128 KiB, as fileSlices), else the next one.
      let nl = buf.lastIndexOf(0x0a, to - 1);
      if (nl < at) nl = buf.indexOf(0x0a, to);
      to = nl < 0 || nl >= got ? got : nl + 1;
    }
    const text = buf.toString('utf8', at, to);
    at = to;
    yield { text, at };
  }
}

/**
 * The pipeline context of the verbs a range job runs (this thread's, or a
 * worker's): a malformed record throws (InputError: the job reports it, or
 * the run goes to one thread); no timers, no files, no summary lines.
 * @param current the job being run (for the source a verb's message names)
 * @param extra   more members (`ownsKey` for key partitions)
 */
export function rangeContext(current: () => ChunkJob | null, extra: Partial<PipelineContext> = {}): PipelineContext {
  const errors: ErrorSink = {
    mode: 'fail',
    count: 0,
    reject(source, line, error, text, verb) {
      throw new InputError(error, source, line, text, verb);
    },
  } as ErrorSink;
  return {
    errors,
    stopInput() {},
    every() {
      return () => {};
    },
    now: () => Date.now(),
    outputBlocked: () => false,
    whenDrained(fn: () => void) {
      fn();
    },
    warn() {},
    summary() {},
    locate: (rec: Rec) => ({ source: current()?.file ?? '-', line: lineOf(rec) }),
    openOutput() {
      throw new Error('a verb that writes files cannot run in a -j worker');
    },
    ...extra,
  } as unknown as PipelineContext;
}
