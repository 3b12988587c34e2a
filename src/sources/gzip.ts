/**
 * gzip input, found by its magic bytes (RFC 1952: `1f 8b`), never by the
 * file name: files and stdin alike, so `zcat` is not needed.
 *
 * - A regular file (`--from FILE`, or stdin redirected from one) is looked at
 *   with one 2-byte positioned read at offset 0 before it is read; a gzip
 *   file is then read as a stream through `zlib.createGunzip()`, any other as
 *   before (`FileSource`).
 * - A stream (pipe, terminal, socket) is looked at when its first bytes
 *   arrive: they are put back (`unshift`) and the stream is read either as it
 *   is (`StreamSource`) or through gunzip. Only a first chunk of the single
 *   byte `1f` waits for a second byte, so a `tail -f` pipe is never held up.
 *
 * Decompression streams (node:zlib; 64 KiB output chunks) with the runner's
 * backpressure: pausing the text source stops the gunzip stream, whose full
 * buffer then pauses the compressed input through `pipe`, so memory stays
 * flat whatever the size. Concatenated members (`cat a.gz b.gz`, logrotate)
 * are read in full, as gzip(1) does; zero padding after the last member is
 * ignored, as Node's zlib does. A corrupt or truncated stream, or anything
 * else after a member, is an error naming the source (exit status 1 from the
 * runner): `cannot read a.gz: truncated gzip data (unexpected end of file)`.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import type zlibModule from 'node:zlib';
import { FileSource, StreamSource, type ChunkSource, type SourceHandlers } from '../formats/source.js';
import type { DecodeReport, InputEncoding } from '../formats/decode.js';

const require = createRequire(import.meta.url);
/** node:zlib, loaded on first use: most runs read no gzip, and start-up time counts. */
let zlib: typeof zlibModule | undefined;

/** Output chunk size of the gunzip stream (bytes). */
const GUNZIP_CHUNK_BYTES = 64 * 1024;

/** True when `b` starts with the gzip magic bytes `1f 8b`. */
export function isGzipMagic(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * True when the regular file open at `fd` starts with the gzip magic (one
 * positioned read of 2 bytes at offset 0; the descriptor's offset is not
 * moved). False on any read error: the normal read then reports it.
 */
export function fileIsGzip(fd: number): boolean {
  const b = Buffer.alloc(2);
  try {
    return fs.readSync(fd, b, 0, 2, 0) === 2 && isGzipMagic(b);
  } catch {
    return false;
  }
}

/** The error of a failed gunzip, in words (zlib's code, e.g. Z_BUF_ERROR, means nothing to a user). */
export function gzipError(e: NodeJS.ErrnoException): NodeJS.ErrnoException {
  if (typeof e.code !== 'string' || !e.code.startsWith('Z_')) return e;
  const what = e.code === 'Z_BUF_ERROR' ? 'truncated gzip data' : 'corrupt gzip data';
  return new Error(`${what} (${e.message})`);
}

/**
 * A source of the text inside a gzip stream: `input` (compressed bytes, from
 * its current position) piped through gunzip, read by a StreamSource.
 * `stop` destroys both streams, except stdin (`isStdin`), which is only
 * unpiped and paused.
 */
export class GunzipSource implements ChunkSource {
  private readonly gz = (zlib ??= require('node:zlib') as typeof zlibModule).createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  private readonly inner: StreamSource;
  constructor(
    private readonly input: Readable,
    private readonly isStdin: boolean,
    encoding: InputEncoding = 'utf-8',
  ) {
    this.inner = new StreamSource(this.gz, false, encoding);
  }

  decodeReport(): DecodeReport {
    return this.inner.decodeReport();
  }

  start(h: SourceHandlers): void {
    // A read error of the input fails the gunzip stream with the input's error (EIO, ...).
    this.input.on('error', (e) => this.gz.destroy(e));
    this.inner.start({ data: h.data, end: h.end, error: (e) => h.error(gzipError(e)) });
    this.input.pipe(this.gz);
  }

  pause(): void {
    this.inner.pause();
  }

  resume(): void {
    this.inner.resume();
  }

  isPaused(): boolean {
    return this.inner.isPaused();
  }

  stop(): void {
    this.inner.stop();
    this.input.unpipe(this.gz);
    if (this.isStdin) this.input.pause();
    else this.input.destroy();
  }
}

/**
 * The source for a regular file open at `fd`: a GunzipSource when it starts
 * with the gzip magic, else a FileSource (see formats/source.ts).
 * @param owned close `fd` when the source ends or is stopped (false for stdin)
 */
export function fileSource(fd: number, owned: boolean, encoding: InputEncoding = 'utf-8'): ChunkSource {
  if (!fileIsGzip(fd)) return new FileSource(fd, owned, encoding);
  return new GunzipSource(fs.createReadStream('', { fd, autoClose: owned, highWaterMark: GUNZIP_CHUNK_BYTES }), !owned, encoding);
}

/**
 * The source for a stream (pipe, terminal, socket, or a stream a test
 * injects): its first bytes decide between StreamSource and GunzipSource
 * (see the module comment). A stream of strings (object mode, or with an
 * encoding set) is text: a StreamSource.
 */
export function streamSource(stream: Readable, isStdin: boolean, encoding: InputEncoding = 'utf-8'): ChunkSource {
  // A stream of strings (object mode, or an encoding already set) holds text, not gzip.
  if (stream.readableObjectMode || stream.readableEncoding !== null) return new StreamSource(stream, isStdin, encoding);
  return new SniffingSource(stream, isStdin, encoding);
}

/** See `streamSource`. */
class SniffingSource implements ChunkSource {
  private inner: ChunkSource | undefined;
  private paused = false;
  private stopped = false;
  constructor(
    private readonly stream: Readable,
    private readonly isStdin: boolean,
    private readonly encoding: InputEncoding = 'utf-8',
  ) {}

  decodeReport(): DecodeReport {
    return this.inner?.decodeReport?.() ?? { invalidLines: 0, firstInvalidAt: -1 };
  }

  start(h: SourceHandlers): void {
    const s = this.stream;
    let head: Buffer | undefined;
    let settled = false;
    const onError = (e: NodeJS.ErrnoException) => {
      if (settled || this.stopped) return;
      settled = true;
      cleanup();
      h.error(e);
    };
    const onEnd = () => {
      // Ended before a decision: only an empty stream, or the single byte 1f, gets here.
      if (settled || this.stopped) return;
      settled = true;
      cleanup();
      if (head !== undefined && head.length > 0) h.data(head.toString(this.encoding === 'latin1' ? 'latin1' : 'utf8'));
      h.end();
    };
    const decide = (gzip: boolean) => {
      settled = true;
      cleanup();
      if (head !== undefined) s.unshift(head);
      const inner: ChunkSource = gzip ? new GunzipSource(s, this.isStdin, this.encoding) : new StreamSource(s, this.isStdin, this.encoding);
      this.inner = inner;
      inner.start(h);
      // (Reading with 'readable' left the stream paused: start it unless the runner paused us meanwhile.)
      if (this.paused) inner.pause();
      else if (!gzip) s.resume();
    };
    const onReadable = () => {
      if (settled || this.stopped) return;
      const b = s.read() as Buffer | null;
      if (b === null) return; // at the end: 'end' follows
      head = head === undefined ? b : Buffer.concat([head, b]);
      if (head.length >= 2 || head[0] !== 0x1f) decide(isGzipMagic(head));
    };
    const cleanup = () => {
      s.removeListener('readable', onReadable);
      s.removeListener('end', onEnd);
      s.removeListener('error', onError);
    };
    s.on('readable', onReadable);
    s.on('end', onEnd);
    s.on('error', onError);
  }

  pause(): void {
    this.paused = true;
    this.inner?.pause();
  }

  resume(): void {
    this.paused = false;
    this.inner?.resume();
  }

  isPaused(): boolean {
    return this.inner ? this.inner.isPaused() : this.paused;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.inner) this.inner.stop();
    else if (this.isStdin) this.stream.pause();
    else this.stream.destroy();
  }
}
