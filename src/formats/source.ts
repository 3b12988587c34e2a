/**
 * Where input text comes from: chunk sources for the runner.
 *
 * - A regular file (`--from FILE`, or stdin redirected from a file) is read by
 *   `FileSource`: `fs.readSync` of 64 KiB at a time into one reused buffer,
 *   decoded by a StringDecoder (UTF-8; a character cut by a chunk boundary
 *   is completed from the next chunk), handing the runner one string per
 *   read. It yields to the event loop every few chunks (`setImmediate`), so
 *   timers, signals and `drain` events are still served. A read of a regular
 *   file is served from the page cache and does not wait on anyone, so
 *   reading it synchronously costs less than a `fs.ReadStream`, whose every
 *   read is a round trip through libuv's thread pool during which the
 *   process sits idle (10–25 % of the wall time of the benchmark workloads).
 * - Bytes become text by an InputDecoder (formats/decode.ts): UTF-8 with the
 *   lines holding invalid bytes counted (`decodeReport`), UTF-16 by its byte
 *   order mark, or Latin-1 (`--encoding latin1`).
 * - Anything else (pipes, terminals, sockets, FIFOs, and the streams tests
 *   inject) is read as a stream by `StreamSource`: those reads can block, so
 *   they stay asynchronous.
 *
 * Both deliver strings in order through `SourceHandlers` and honour
 * `pause`/`resume` (the runner's backpressure) and `stop` (head's early end,
 * signals).
 */
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { InputDecoder, type DecodeReport, type InputEncoding } from './decode.js';

/** Callbacks of a chunk source. After `end` or `error`, none is called again. */
export interface SourceHandlers {
  /** One chunk of text (never empty). */
  data(chunk: string): void;
  /** The end of the source. */
  end(): void;
  /** A read error (`code` as Node gives it: EISDIR, EIO, ...). */
  error(e: NodeJS.ErrnoException): void;
}

/** A source of text chunks (see the module comment). */
export interface ChunkSource {
  /** Start reading (asynchronously: no handler runs before `start` returns). */
  start(h: SourceHandlers): void;
  /** Stop delivering chunks until `resume` (backpressure). */
  pause(): void;
  resume(): void;
  isPaused(): boolean;
  /** Stop for good: no handler runs afterwards. Closes the file or destroys the stream unless it is stdin. */
  stop(): void;
  /** Optional: what decoding found (invalid UTF-8 lines, UTF-16), for the summary at exit. */
  decodeReport?(): DecodeReport;
}

/** Read size of FileSource (bytes): 64 KiB, the size at which the readers were measured fastest. */
export const FILE_CHUNK_BYTES = 64 * 1024;

/** Chunks a FileSource delivers before yielding to the event loop. */
const CHUNKS_PER_TURN = 8;
/** ...or milliseconds it may run before yielding, whichever comes first. */
const MS_PER_TURN = 10;

/**
 * True when `fd` is a regular file (so that FileSource may read it); false
 * for pipes, terminals, sockets, FIFOs and on any fstat error.
 */
export function isRegularFileFd(fd: number): boolean {
  try {
    return fs.fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

/** True when `path` names a regular file (following links); false otherwise or on error. */
export function isRegularFile(path: string): boolean {
  try {
    return fs.statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * A regular file read with `fs.readSync` (see the module comment). Reads
 * from the descriptor's current offset (position `null`), so stdin that a
 * previous command partly consumed goes on from where it stopped.
 */
export class FileSource implements ChunkSource {
  private readonly buf = Buffer.allocUnsafe(FILE_CHUNK_BYTES);
  private readonly dec: InputDecoder;
  private h: SourceHandlers | undefined;
  private paused = false;
  private done = false;
  /** A pump is scheduled (setImmediate) and not yet run. */
  private scheduled = false;
  private readonly pumpFn = () => {
    this.scheduled = false;
    this.pump();
  };

  /**
   * @param fd    an open descriptor of a regular file
   * @param owned close `fd` when the source ends or is stopped (false for stdin)
   * @param encoding `--encoding` (default utf-8)
   */
  constructor(
    private readonly fd: number,
    private readonly owned: boolean,
    encoding: InputEncoding = 'utf-8',
  ) {
    this.dec = new InputDecoder(encoding);
  }

  decodeReport(): DecodeReport {
    return this.dec.report;
  }

  start(h: SourceHandlers): void {
    this.h = h;
    this.schedule();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.schedule();
  }

  isPaused(): boolean {
    return this.paused;
  }

  stop(): void {
    if (this.done) return;
    this.done = true;
    this.close();
  }

  private schedule(): void {
    if (this.scheduled || this.done) return;
    this.scheduled = true;
    setImmediate(this.pumpFn);
  }

  private close(): void {
    if (!this.owned) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }

  /** Read and deliver chunks until paused, stopped, at the end, or it is time to yield. */
  private pump(): void {
    const h = this.h!;
    const t0 = performance.now();
    for (let k = 0; !this.paused && !this.done; k++) {
      if (k === CHUNKS_PER_TURN || (k > 0 && performance.now() - t0 > MS_PER_TURN)) {
        this.schedule();
        return;
      }
      let n: number;
      try {
        n = fs.readSync(this.fd, this.buf, 0, FILE_CHUNK_BYTES, null);
      } catch (e) {
        this.done = true;
        this.close();
        h.error(e as NodeJS.ErrnoException);
        return;
      }
      if (n === 0) {
        const rest = this.dec.end();
        if (rest !== '') h.data(rest);
        if (this.done) return;
        this.done = true;
        this.close();
        h.end();
        return;
      }
      const s = this.dec.write(n === FILE_CHUNK_BYTES ? this.buf : this.buf.subarray(0, n));
      if (s !== '') h.data(s);
    }
  }
}

/**
 * A Readable read in flowing mode, its bytes decoded by an InputDecoder (a
 * stream that yields strings, as tests inject, is taken as it is).
 * `stop` destroys it, except stdin (`isStdin`), which is only paused.
 */
export class StreamSource implements ChunkSource {
  private done = false;
  private readonly dec: InputDecoder;
  constructor(
    private readonly stream: Readable,
    private readonly isStdin: boolean,
    encoding: InputEncoding = 'utf-8',
  ) {
    this.dec = new InputDecoder(encoding);
  }

  decodeReport(): DecodeReport {
    return this.dec.report;
  }

  start(h: SourceHandlers): void {
    const s = this.stream;
    s.on('data', (chunk: Buffer | string) => {
      if (this.done) return;
      const text = typeof chunk === 'string' ? chunk : this.dec.write(chunk);
      if (text.length > 0) h.data(text);
    });
    s.once('end', () => {
      if (this.done) return;
      const rest = this.dec.end();
      if (rest.length > 0) h.data(rest);
      if (this.done) return;
      this.done = true;
      h.end();
    });
    // (`on`, not `once`: an error after the first, or after `stop`, must not go unhandled.)
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (this.done) return;
      this.done = true;
      h.error(e);
    });
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    if (!this.done) this.stream.resume();
  }

  isPaused(): boolean {
    return this.stream.isPaused();
  }

  stop(): void {
    if (this.done) return;
    this.done = true;
    const s = this.stream;
    s.removeAllListeners('data');
    s.removeAllListeners('end');
    if (this.isStdin) s.pause();
    else s.destroy();
  }
}
