/**
 * The jobs of a `-j N` run (issue 14 item 5): what the runner (run.ts) hands
 * to the threads, in job order.
 *
 * - `fileJobs`: byte ranges of regular files, cut in advance (run.ts
 *   makeJobs); each thread reads its range itself.
 * - `openStream`: input that cannot be cut in advance (stdin or a FIFO, a
 *   pipe, gzip, CSV whose quoted fields may span lines) is read by the main
 *   thread and dealt out batch by batch. The bytes (decompressed by
 *   node:zlib, which works on libuv's thread pool) are cut at record ends —
 *   NDJSON and TSV at a newline, CSV at a newline outside quotes
 *   (cutters.ts; the quote state is tracked over the bytes with the CSV reader's own rules:
 *   formats/csv.ts `scan`) — into jobs whose ArrayBuffer is moved to the
 *   worker, not copied.
 *
 * When a stream's job is cut: as soon as about `chunkBytes` (2 MiB) have
 * arrived; or, so that a line typed into a pipe comes out at once, when a
 * thread is idle and the input is quiet: no new bytes arrived since the last
 * turn of the event loop (one `setImmediate` after the last read: libuv
 * polls the pipe once in between, so there are no bytes ready). No timer is
 * involved. Then whatever whole records are held become a job. Records
 * longer than `--max-line-bytes` are cut anyway: the worker's reader rejects
 * them with the message one thread gives.
 *
 * Memory stays flat on endless input: at most two jobs wait to be handed
 * out; beyond that the input is paused (the runner hands out jobs only while
 * fewer than a bound are in flight and stdout takes the output, so stdout's
 * backpressure reaches the reader).
 *
 * Invalid UTF-8 is found here (`isUtf8` per job, no decoding unless a job
 * holds some) and counted as one thread counts it (formats/decode.ts
 * Utf8Check), for the same summary at exit.
 *
 * Before the first job, the stream's first bytes decide its format as one
 * thread would; a stream this cannot deal (a UTF-16 byte order mark, CR-only
 * line ends, another format, no record at all) is given back whole: the
 * bytes read so far followed by the rest of the stream (`replay`), for a run
 * in one thread.
 */
import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import { PassThrough, type Readable } from 'node:stream';
import type zlibModule from 'node:zlib';
import { Utf8Check, decodeSummary } from '../formats/decode.js';
import { formatFromPath, sniffFormat } from '../formats/index.js';
import { gzipError, isGzipMagic } from '../sources/gzip.js';
import { ioError } from '../engine/errors.js';
import { deferSignal, subscribeSignals } from '../engine/signals.js';
import type { InputFormat } from '../engine/types.js';
import type { ChunkJob, ChunkResult } from './messages.js';
import { lineAt } from './jobs.js';
import { CR, CsvCutter, type Cutter, LF, lineCutter } from './cutters.js';

const require = createRequire(import.meta.url);

/** The jobs of a run, as the runner takes them (see the module comment). */
export interface JobList {
  /** The input format of every job. */
  readonly fmt: 'ndjson' | 'csv' | 'tsv';
  /** The input is read once (a stream): a run cannot be redone in one thread. */
  readonly once: boolean;
  /**
   * Job `id` (the next one the runner hands out) when it is ready, else
   * undefined. `idle`: a thread has nothing to do; a stream then cuts the
   * whole records it holds when its input is quiet.
   */
  take(id: number, idle: boolean): ChunkJob | undefined;
  /** Job `id` (handed out and not yet written). */
  job(id: number): ChunkJob;
  /** The number of jobs: known once the input has ended, Infinity before. */
  total(): number;
  /** The runner has written the result of the next job (results come in job order). */
  written(r: ChunkResult): void;
  /** The line in its source of line `line` (1-based, header lines included) of job `job`'s text: for messages. */
  lineOf(job: ChunkJob, line: number): number;
  /** A read error that ends the input after the last job (the message, without `sluice: `), or null. */
  failure(): string | null;
  /** The line for the exit summary (invalid UTF-8), or undefined. */
  summary(): string | undefined;
  /** Start reading (a stream); `wake` is called when a job may be ready or the input has ended. */
  start(wake: () => void): void;
  /** Stop reading for good. */
  stop(): void;
}

/** The jobs of byte ranges of regular files, cut in advance (at least one). */
export function fileJobs(jobs: ChunkJob[]): JobList {
  return {
    fmt: jobs[0]!.fmt,
    once: false,
    take: (id) => jobs[id],
    job: (id) => jobs[id]!,
    total: () => jobs.length,
    written() {},
    lineOf: (job, line) => (line > 0 ? lineAt(job.file, job.start) + line - 1 - (job.header ? 1 : 0) : 0),
    failure: () => null,
    summary: () => undefined,
    start() {},
    stop() {},
  };
}

/** What `openStream` needs to know of the run. */
export interface StreamOptions {
  /** The source's name as one thread names it (`-` for stdin). */
  name: string;
  /** The stream of its bytes (stdin, a FIFO, a file read as a stream). */
  input: Readable;
  /** --input-format (auto: the name's, else sniffed). */
  inputFormat: InputFormat | 'auto';
  /** --delimiter, or undefined for the format's. */
  delimiter: string | undefined;
  maxLineBytes: number;
  /** Bytes per job. */
  chunkBytes: number;
  /** Why input of this format is not dealt out (then it is given back), or null. */
  refuse?: (fmt: 'ndjson' | 'csv' | 'tsv') => string | null;
  /** Why input with this CSV/TSV header line (with its line end) is not dealt out, or null. */
  refuseHeader?: (header: string, fmt: 'csv' | 'tsv') => string | null;
}

/**
 * Start reading a stream for `-j N`: resolves to its jobs once its first
 * bytes have decided the format (and the CSV header), or to `replay` (the
 * whole stream again, for a run in one thread) when it cannot be dealt out
 * (see the module comment), with the reason.
 */
export function openStream(o: StreamOptions): Promise<StreamJobs | { replay: Readable; why: string }> {
  return new Promise((resolve) => {
    // A signal before the first bytes decide the format (a quiet pipe): one thread takes the stream and the
    // signal, and stops as it does (the signal waited for input that may never come).
    const unsubscribe = subscribeSignals((sig) => {
      unsubscribe();
      if (s.giveUpUndecided()) deferSignal(sig);
    });
    const s = new StreamJobs(o, (r) => {
      unsubscribe();
      resolve(r);
    });
    s.open();
  });
}

/** Jobs dealt out from a stream (see the module comment and `openStream`). */
export class StreamJobs implements JobList {
  fmt: 'ndjson' | 'csv' | 'tsv' = 'ndjson';
  readonly once = true;
  /** Raw bytes read while the format is not decided (for a replay). */
  private raw: Buffer[] | null = [];
  private gz: zlibModule.Gunzip | null = null;
  /** Decided: jobs are cut; before, bytes are only held. */
  private decided = false;
  private header = '';
  private headerLines = 0;
  private cutter: Cutter = lineCutter;
  /** Held bytes (after the header), not yet in a job. */
  private pend: Buffer[] = [];
  private pendBytes = 0;
  /** Bytes of `pend` up to its last record end (0: none). */
  private cutAt = 0;
  /** Cut jobs not yet taken. */
  private queue: ChunkJob[] = [];
  /** Jobs taken and not yet written. */
  private out = new Map<number, ChunkJob>();
  private nextId = 0;
  private ended = false;
  private error: string | null = null;
  /** Bytes arrived since the last turn of the event loop. */
  private fresh = false;
  private quietScheduled = false;
  private paused = false;
  private stopped = false;
  private wake: () => void = () => {};
  private readonly utf8 = new Utf8Check();
  /** Bytes of the source (decompressed) before the next job: for the UTF-8 report's offset. */
  private offset = 0;
  /** The line of the first data line of the next job to be written. */
  private nextLine = 1;

  constructor(
    private readonly o: StreamOptions,
    private readonly settle: (r: StreamJobs | { replay: Readable; why: string }) => void,
  ) {}

  private readonly onData = (b: Buffer): void => {
    if (this.stopped) return;
    if (this.raw !== null) this.raw.push(b);
    if (this.gz !== null) {
      if (!this.gz.write(b)) this.o.input.pause();
      return;
    }
    if (this.head !== null) {
      // gzip is known by its first two bytes (a pipe may give one byte first).
      this.head = this.head.length === 0 ? b : Buffer.concat([this.head, b]);
      if (this.head.length < 2) return;
      const first = this.head;
      this.head = null;
      if (isGzipMagic(first)) this.startGunzip(first);
      else this.bytes(first);
      return;
    }
    this.bytes(b);
  };

  private readonly onEnd = (): void => {
    if (this.stopped) return;
    if (this.head !== null) {
      const first = this.head;
      this.head = null;
      this.bytes(first);
    }
    if (this.gz !== null) this.gz.end();
    else this.end();
  };

  private readonly onError = (e: NodeJS.ErrnoException): void => this.fail(e);

  /** Begin reading: the first bytes decide gzip, then the format. */
  open(): void {
    const input = this.o.input;
    input.on('data', this.onData);
    input.on('end', this.onEnd);
    input.on('error', this.onError);
  }

  /** The first bytes while gzip is not decided, else null. */
  private head: Buffer | null = Buffer.alloc(0);

  private startGunzip(first: Buffer): void {
    const zlib = require('node:zlib') as typeof zlibModule;
    const gz = (this.gz = zlib.createGunzip({ chunkSize: 64 * 1024 }));
    gz.on('data', (b: Buffer) => {
      if (!this.stopped) this.bytes(b);
    });
    gz.on('end', () => {
      if (!this.stopped) this.end();
    });
    gz.on('error', (e: NodeJS.ErrnoException) => this.fail(gzipError(e)));
    gz.on('drain', () => {
      if (!this.stopped && !this.paused) this.o.input.resume();
    });
    if (!gz.write(first)) this.o.input.pause();
  }

  /** Bytes of the text (decompressed). */
  private bytes(b: Buffer): void {
    if (b.length === 0) return;
    /** Where `b` starts in the held bytes. */
    let base = this.pendBytes;
    this.pend.push(b);
    this.pendBytes += b.length;
    if (!this.decided) {
      this.tryDecide(false);
      return;
    }
    // Scanned in slices of at most a job's size, so that jobs are cut near that size.
    const step = Math.max(this.o.chunkBytes, 1);
    for (let at = 0; at < b.length; at += step) {
      const to = Math.min(b.length, at + step);
      const end = this.cutter.scan(at === 0 && to === b.length ? b : b.subarray(at, to));
      if (end >= 0) this.cutAt = base + at + end;
      if (base + to >= step && this.cutAt > 0) {
        const n = this.cutAt;
        this.cut(n);
        base -= n;
      }
    }
    this.arrived();
  }

  /** New bytes are held: cut full jobs; note that the input is not quiet until the next turn. */
  private arrived(): void {
    // A record longer than --max-line-bytes: cut anyway (the worker's reader rejects it as one thread does).
    if (this.cutAt === 0 && this.pendBytes > this.o.maxLineBytes) this.cut(this.pendBytes);
    if (this.queue.length >= 2 && !this.paused) {
      // (The compressed side is paused: what gunzip has decompressed still comes out, also before an error.)
      this.paused = true;
      this.o.input.pause();
    }
    this.fresh = true;
    if (!this.quietScheduled) {
      this.quietScheduled = true;
      setImmediate(() => {
        this.quietScheduled = false;
        this.fresh = false;
        this.wake();
      });
    }
    if (this.queue.length > 0) this.wake();
  }

  /** Decide the format from the held bytes (at end of input: `atEnd`), or wait for more. */
  private tryDecide(atEnd: boolean): void {
    const all = Buffer.concat(this.pend);
    this.pend = [all];
    const giveUp = (why: string): void => {
      if (atEnd) this.ended = true;
      this.giveBack(why);
    };
    if (all.length >= 2 && ((all[0] === 0xff && all[1] === 0xfe) || (all[0] === 0xfe && all[1] === 0xff))) return giveUp('UTF-16 input');
    // Wait for the first non-blank character and the first line end after it (or the end).
    let i = 0;
    const bom = all[0] === 0xef && all[1] === 0xbb && all[2] === 0xbf ? 3 : 0;
    for (i = bom; i < all.length; i++) {
      const c = all[i]!;
      if (c !== 0x20 && c !== 0x09 && c !== LF && c !== CR && c !== 0x0b && c !== 0x0c) break;
    }
    if (i >= all.length) {
      if (atEnd) giveUp('no record');
      else if (all.length > this.o.maxLineBytes) giveUp('blank input');
      return;
    }
    const lf = all.indexOf(LF);
    const cr = all.indexOf(CR);
    if (!atEnd && (lf < i || (cr >= 0 && cr === all.length - 1 && (lf < 0 || cr < lf)))) {
      if (all.length > this.o.maxLineBytes) giveUp('a first record longer than --max-line-bytes');
      return;
    }
    if (cr >= 0 && (lf < 0 || cr < lf) && all[cr + 1] !== LF) return giveUp('CR-only line ends');
    const text = all.toString('utf8', 0, Math.min(all.length, 64 * 1024));
    const fixed = this.o.inputFormat !== 'auto' ? this.o.inputFormat : this.o.name !== '-' ? formatFromPath(this.o.name) : undefined;
    const fmt = fixed ?? sniffFormat(text);
    if (fmt !== 'ndjson' && fmt !== 'csv' && fmt !== 'tsv') return giveUp(`${fmt} input`);
    const refused = this.o.refuse?.(fmt) ?? null;
    if (refused !== null) return giveUp(refused);
    let start = 0;
    if (fmt !== 'ndjson') {
      const d = this.o.delimiter ?? (fmt === 'tsv' ? '\t' : ',');
      if (d.length !== 1 || d.charCodeAt(0) >= 0x80) return giveUp('a delimiter that is not one ASCII character');
      this.cutter = fmt === 'csv' ? new CsvCutter(d.charCodeAt(0)) : lineCutter;
      // The header: the first record (a BOM before it is dropped, as the readers drop it).
      const end = this.cutter.scan(all.subarray(bom), true);
      if (end < 0) {
        if (!atEnd) {
          if (all.length > this.o.maxLineBytes) giveUp('a CSV header longer than --max-line-bytes');
          return;
        }
        return giveUp('a header and no record');
      }
      this.header = all.toString('utf8', bom, bom + end);
      const refusedHeader = this.o.refuseHeader?.(this.header, fmt) ?? null;
      if (refusedHeader !== null) return giveUp(refusedHeader);
      for (let k = all.indexOf(LF, bom); k >= 0 && k < bom + end; k = all.indexOf(LF, k + 1)) this.headerLines++;
      start = bom + end;
      if (!isUtf8(all.subarray(0, start))) return giveUp('invalid UTF-8 in the header');
    }
    this.fmt = fmt;
    this.decided = true;
    this.raw = null;
    this.nextLine = 1 + this.headerLines;
    this.offset = start;
    const rest = all.subarray(start);
    this.pend = [];
    this.pendBytes = 0;
    this.cutAt = 0;
    this.settle(this);
    if (rest.length > 0) this.bytes(rest);
  }

  /** A signal came: give the stream back if the format is not decided yet. @returns whether it was given back */
  giveUpUndecided(): boolean {
    if (this.decided || this.stopped) return false;
    this.giveBack('a signal before the input was read');
    return true;
  }

  /** Give the stream back whole: what was read, then the rest. */
  private giveBack(why: string): void {
    this.stopped = true;
    const input = this.o.input;
    input.off('data', this.onData);
    input.off('end', this.onEnd);
    input.off('error', this.onError);
    input.pause();
    if (this.gz !== null) this.gz.destroy();
    const p = new PassThrough();
    for (const b of this.raw ?? []) p.write(b);
    if (this.ended || input.readableEnded) p.end();
    else input.pipe(p);
    this.settle({ replay: p, why });
  }

  /** Move the first `n` held bytes into a new job. */
  private cut(n: number): void {
    const ab = new ArrayBuffer(n);
    const data = new Uint8Array(ab);
    let at = 0;
    while (at < n) {
      const b = this.pend[0]!;
      const k = Math.min(b.length, n - at);
      data.set(k === b.length ? b : b.subarray(0, k), at);
      at += k;
      if (k === b.length) this.pend.shift();
      else this.pend[0] = b.subarray(k);
    }
    this.pendBytes -= n;
    this.cutAt = this.cutAt > n ? this.cutAt - n : 0;
    const buf = Buffer.from(ab);
    if (!isUtf8(buf)) this.utf8.check(buf.toString('utf8'), buf, this.offset);
    this.offset += n;
    this.queue.push({ id: this.nextId++, file: this.o.name, fmt: this.fmt, start: 0, end: n, header: this.header, data });
  }

  private end(): void {
    if (this.ended) return;
    if (!this.decided) {
      // Decided now, with all there is (or given back whole).
      this.tryDecide(true);
      if (!this.decided) {
        this.ended = true;
        return;
      }
    }
    this.ended = true;
    if (this.pendBytes > 0) this.cut(this.pendBytes);
    this.wake();
  }

  private fail(e: NodeJS.ErrnoException): void {
    if (this.stopped || this.ended) return;
    if (!this.decided) {
      // One thread reports it: replay what was read, then the stream (which errs again).
      this.ended = true;
      this.error = ioError('cannot read', this.o.name, e).message;
      this.replayError(e);
      return;
    }
    this.error = ioError('cannot read', this.o.name, e).message;
    this.ended = true;
    // The whole records read before the error, as one thread reads them.
    if (this.cutAt > 0) this.cut(this.cutAt);
    this.pend = [];
    this.pendBytes = 0;
    this.wake();
  }

  private replayError(e: NodeJS.ErrnoException): void {
    this.stopped = true;
    const p = new PassThrough();
    for (const b of this.raw ?? []) p.write(b);
    setImmediate(() => p.destroy(e));
    this.settle({ replay: p, why: 'a read error' });
  }

  start(wake: () => void): void {
    this.wake = wake;
    if (this.queue.length > 0 || this.ended) wake();
  }

  take(id: number, idle: boolean): ChunkJob | undefined {
    if (this.queue.length === 0 && idle && !this.fresh && this.cutAt > 0) this.cut(this.cutAt);
    const j = this.queue[0];
    if (j === undefined || j.id !== id) return undefined;
    this.queue.shift();
    this.out.set(id, j);
    if (this.paused && this.queue.length < 2 && !this.stopped) {
      this.paused = false;
      if (this.gz === null || !this.gz.writableNeedDrain) this.o.input.resume();
    }
    return j;
  }

  job(id: number): ChunkJob {
    return this.out.get(id)!;
  }

  total(): number {
    return this.ended && this.pendBytes === 0 ? this.nextId : Infinity;
  }

  written(r: ChunkResult): void {
    this.out.delete(r.id);
    this.nextLine += r.lines ?? 0;
  }

  /** (For the next job to be written: the runner asks before `written`.) */
  lineOf(_job: ChunkJob, line: number): number {
    if (line <= 0) return 0;
    return this.nextLine + line - 1 - this.headerLines;
  }

  failure(): string | null {
    return this.error;
  }

  summary(): string | undefined {
    return decodeSummary(this.o.name, this.utf8.report);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.gz?.destroy();
    this.o.input.pause();
  }
}
