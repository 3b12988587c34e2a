/**
 * Files read with their byte position known, for `--follow` and
 * `--checkpoint`: `FileTail` reads one file named on the command line;
 * `TailGroup` drives several of them as one ChunkSource for the runner.
 *
 * - Reads are positional `fs.readSync` of 64 KiB into one reused buffer (as
 *   FileSource in formats/source.ts), decoded by a StringDecoder. The tail
 *   knows how many bytes it has read (`pos`) and how many of them the decoder
 *   still holds (an incomplete UTF-8 character at the end of the last read),
 *   so `delivered()` is the byte offset just after the text handed out.
 *   A checkpoint subtracts the bytes of the text the reader has not yet made
 *   into records (its unfinished line) from it.
 * - Follow (`tail -F`): at the end of the file the tail waits, woken by
 *   `fs.watch` on the file's directory (appends, renames, creations), with a
 *   stat once a second as a fallback (every 250 ms where `fs.watch` is not
 *   available). A quiet follow thus costs one `stat` a second and no reads.
 *   Each time it reaches the end it checks the name:
 *   - rotation: the name now points to another file (renamed and re-created,
 *     or replaced): the old descriptor is read to its end, the old file is
 *     finished (`fileEnd`), and the new one opened by name and read from 0;
 *   - truncation: the file is shorter than the position: a note on stderr,
 *     then it is read again from 0 (`restart`);
 *   - the name is gone (renamed, not yet re-created): keep waiting.
 *   As with `tail -F`, a truncation followed by more writes than were read
 *   before, all between two looks, cannot be seen.
 * - Several followed files are read concurrently: each tail pumps on its own,
 *   so records are interleaved as they arrive. Without follow, the group reads
 *   the files one after the other, as one stream.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { ChunkSource } from '../formats/source.js';
import { type DecodeReport, Utf8Check } from '../formats/decode.js';

/** Read size (bytes), as FileSource. */
const CHUNK = 64 * 1024;
/** Chunks read before yielding to the event loop, or milliseconds, whichever comes first. */
const CHUNKS_PER_TURN = 8;
const MS_PER_TURN = 10;
/** How many first bytes of a file identify it (with device and inode), as log shippers do. */
export const HEAD_BYTES = 1024;

/** Callbacks of one tail. None is called after `stop`. */
export interface TailHandlers {
  /** Text (never empty) of the file in hand. */
  data(chunk: string): void;
  /** The file in hand is finished (end of input, or rotated away): parse what is left. `last`: no other file follows. */
  fileEnd(last: boolean): void;
  /** The next chunks come from the start of a file (a new file after rotation, or the same one after truncation): a fresh reader. */
  restart(): void;
  /** A note for stderr (truncation, replaced files). */
  note(message: string): void;
  error(e: NodeJS.ErrnoException): void;
}

/** Where a tail starts: a byte offset in the file named `path`, or (after rotation) in its old file. */
export interface TailStart {
  /** Byte offset to start at (default 0). */
  offset: number;
  /** Read this file (the old, renamed file of a rotation) from `offset` to its end first, then `path` from 0. */
  via?: string;
}

/** The identity of a file (SPEC §5 checkpoints): device, inode, and a hash of its first bytes. */
export interface FileIdentity {
  dev: number;
  ino: number;
  /** How many first bytes were hashed (up to HEAD_BYTES; fewer for a smaller file). */
  headLen: number;
  /** SHA-1 of those bytes, hex. */
  headHash: string;
}

/** The identity of the open file `fd` (reads its first bytes). */
export function identityOf(fd: number): FileIdentity {
  const st = fs.fstatSync(fd);
  const buf = Buffer.allocUnsafe(HEAD_BYTES);
  const n = fs.readSync(fd, buf, 0, Math.min(HEAD_BYTES, st.size), 0);
  return { dev: st.dev, ino: st.ino, headLen: n, headHash: createHash('sha1').update(buf.subarray(0, n)).digest('hex') };
}

/**
 * The number of bytes at the end of `buf[0, n)` that begin a UTF-8 character
 * not yet complete (what a StringDecoder holds back): 0 to 3.
 */
export function incompleteUtf8(buf: Buffer, n: number): number {
  for (let k = 1; k <= 3 && k <= n; k++) {
    const b = buf[n - k]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > k ? k : 0;
  }
  return 0;
}

/**
 * How many of the last read's bytes a decoder still holds (the start of a
 * character the next read completes). Node's StringDecoder says it as
 * `lastTotal - lastNeed`; where those are missing, from the bytes themselves.
 */
function heldBytes(dec: StringDecoder, buf: Buffer, n: number): number {
  const d = dec as unknown as { lastNeed?: number; lastTotal?: number };
  if (typeof d.lastNeed === 'number' && typeof d.lastTotal === 'number') return d.lastNeed > 0 ? d.lastTotal - d.lastNeed : 0;
  return incompleteUtf8(buf, n);
}

/** One file read by position, optionally followed (see the module comment). */
export class FileTail {
  private fd = -1;
  /** Bytes read from the file in hand. */
  private pos = 0;
  /** Of those, bytes the decoder holds (an incomplete character). */
  private held = 0;
  private dev = 0;
  private ino = 0;
  private dec: StringDecoder;
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private h: TailHandlers | undefined;
  private paused = false;
  private done = false;
  private scheduled = false;
  private waiting = false;
  /** After the old file of a rotation: open `path` from 0 at its end. */
  private thenPath = false;
  private watcher: fs.FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private identity: FileIdentity | undefined;
  /** UTF-8: counts the lines with invalid bytes (formats/decode.ts), as for other inputs. */
  private readonly utf8: Utf8Check | null;
  private readonly pumpFn = () => {
    this.scheduled = false;
    this.pump();
  };

  /**
   * @param path   the file name as given (`--from`)
   * @param follow keep reading as it grows, across rotation and truncation
   * @param encoding text encoding of the file (`utf8` or `latin1`)
   */
  constructor(
    readonly path: string,
    readonly follow: boolean,
    private readonly encoding: BufferEncoding = 'utf8',
  ) {
    this.dec = new StringDecoder(encoding);
    this.utf8 = encoding === 'utf8' ? new Utf8Check() : null;
  }

  /** What decoding found: lines with invalid UTF-8 (over every file read under this name), for the summary at exit. */
  decodeReport(): DecodeReport {
    return this.utf8?.report ?? { invalidLines: 0, firstInvalidAt: -1 };
  }

  /**
   * Open the file (synchronously, so that a missing file is reported before
   * any input is read).
   * @throws the fs error (ENOENT, EACCES, EISDIR ...)
   */
  open(start: TailStart = { offset: 0 }): void {
    const name = start.via ?? this.path;
    this.openFile(name, start.offset);
    this.thenPath = start.via !== undefined;
    if (fs.fstatSync(this.fd).isDirectory()) {
      const e = new Error('EISDIR') as NodeJS.ErrnoException;
      e.code = 'EISDIR';
      throw e;
    }
  }

  /** True when the file in hand starts with the gzip magic bytes (its offsets would be in the compressed stream). */
  isGzip(): boolean {
    const b = Buffer.alloc(2);
    return fs.readSync(this.fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  }

  private openFile(name: string, offset: number): void {
    this.fd = fs.openSync(name, 'r');
    const st = fs.fstatSync(this.fd);
    this.dev = st.dev;
    this.ino = st.ino;
    this.pos = offset;
    this.held = 0;
    this.identity = identityOf(this.fd);
    this.dec = new StringDecoder(this.encoding);
    this.utf8?.restart();
  }

  /** Start reading (asynchronously). */
  start(h: TailHandlers): void {
    this.h = h;
    this.schedule();
  }

  /** The byte offset, in the file in hand, just after the last text delivered by `data`. */
  delivered(): number {
    return this.pos - this.held;
  }

  /** The identity of the file in hand (computed once per file). */
  fileIdentity(): FileIdentity {
    // Taken while the file is open; again while it is shorter than HEAD_BYTES (it may have grown).
    if (this.fd >= 0 && (this.identity === undefined || this.identity.headLen < HEAD_BYTES)) this.identity = identityOf(this.fd);
    return this.identity!;
  }

  /** True once the tail has finished for good (not following, end of input). */
  get finished(): boolean {
    return this.done;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (!this.waiting) this.schedule();
    else this.wake();
  }

  isPaused(): boolean {
    return this.paused;
  }

  /** Stop for good: close the file, the watcher and the timer. */
  stop(): void {
    if (this.done) return;
    this.done = true;
    this.unwatch();
    this.closeFd();
  }

  private closeFd(): void {
    if (this.fd < 0) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
    this.fd = -1;
  }

  private schedule(): void {
    if (this.scheduled || this.done) return;
    this.scheduled = true;
    setImmediate(this.pumpFn);
  }

  /** A watch event or poll: look at the file again. */
  private wake(): void {
    if (this.done || this.paused || !this.waiting) return;
    this.waiting = false;
    this.schedule();
  }

  private watch(): void {
    if (this.timer !== undefined) return;
    const base = path.basename(this.path);
    try {
      this.watcher = fs.watch(path.dirname(this.path), { persistent: true }, (_ev, name) => {
        if (name === null || name === base || String(name) === base) this.wake();
        else if (this.waiting) this.wake(); // another name in the directory: the old file of a rotation may be written to
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      this.watcher = undefined;
    }
    // The fallback: one stat a second (4 a second when fs.watch is unavailable).
    this.timer = setInterval(() => this.wake(), this.watcher !== undefined ? 1000 : 250);
    if (this.watcher !== undefined) this.timer.unref();
  }

  private unwatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Read and deliver chunks until paused, stopped, at the end, or it is time to yield. */
  private pump(): void {
    const h = this.h!;
    const t0 = performance.now();
    if (this.fd < 0) {
      // Following a name that was renamed away: has it come back?
      try {
        this.openFile(this.path, 0);
      } catch {
        this.waiting = true;
        this.watch();
        return;
      }
      h.restart();
      if (this.done) return;
    }
    for (let k = 0; !this.paused && !this.done; k++) {
      if (k === CHUNKS_PER_TURN || (k > 0 && performance.now() - t0 > MS_PER_TURN)) {
        this.schedule();
        return;
      }
      let n: number;
      try {
        n = fs.readSync(this.fd, this.buf, 0, CHUNK, this.pos);
      } catch (e) {
        this.stop();
        h.error(e as NodeJS.ErrnoException);
        return;
      }
      if (n === 0) {
        this.atEnd(h);
        return;
      }
      const bytes = n === CHUNK ? this.buf : this.buf.subarray(0, n);
      const s = this.dec.write(bytes);
      this.utf8?.check(s, bytes, this.pos);
      this.pos += n;
      this.held = heldBytes(this.dec, this.buf, n);
      if (s !== '') h.data(s);
    }
  }

  /** The end of what the file in hand holds now. */
  private atEnd(h: TailHandlers): void {
    if (this.thenPath) {
      // The old file of a rotation is done: on to the file by its name.
      this.finishFile(h, false);
      if (this.done) return;
      if (!this.reopen(h)) return;
      this.schedule();
      return;
    }
    if (!this.follow) {
      this.finishFile(h, true);
      this.stop();
      return;
    }
    // Following: truncated? rotated? else wait.
    let st: fs.Stats | undefined;
    let fst: fs.Stats;
    try {
      fst = fs.fstatSync(this.fd);
    } catch (e) {
      this.stop();
      h.error(e as NodeJS.ErrnoException);
      return;
    }
    try {
      st = fs.statSync(this.path);
    } catch {
      st = undefined; // renamed away, not yet re-created
    }
    if (st !== undefined && (st.ino !== this.ino || st.dev !== this.dev)) {
      this.finishFile(h, false);
      if (this.done) return;
      if (!this.reopen(h)) return;
      this.schedule();
      return;
    }
    if (fst.size < this.pos) {
      h.note(`${this.path}: file truncated; reading it again from the start`);
      if (this.done) return;
      this.pos = 0;
      this.held = 0;
      this.identity = undefined;
      this.dec = new StringDecoder(this.encoding);
      this.utf8?.restart();
      h.restart();
      this.schedule();
      return;
    }
    this.waiting = true;
    this.watch();
  }

  /** Deliver what the decoder holds and tell the runner the file in hand is finished. */
  private finishFile(h: TailHandlers, last: boolean): void {
    const rest = this.dec.end();
    if (rest !== '') this.utf8?.check(rest, Buffer.alloc(0), this.pos);
    this.held = 0;
    if (rest !== '') h.data(rest);
    if (this.done) return;
    h.fileEnd(last);
  }

  /** Open the file by its name from 0 (after rotation). False when it failed (error reported) or the name is gone (waiting). */
  private reopen(h: TailHandlers): boolean {
    this.closeFd();
    this.thenPath = false;
    try {
      this.openFile(this.path, 0);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT' && this.follow) {
        // Not re-created yet: wait for the name to come back.
        this.fd = -1;
        this.waiting = true;
        this.watch();
        return false;
      }
      this.stop();
      h.error(err);
      return false;
    }
    h.restart();
    return !this.done;
  }
}

/**
 * Several tails as one ChunkSource for the runner: pause, resume and stop
 * apply to all. Without follow the tails are read one after the other; with
 * follow, all at once. `start` of the ChunkSource interface is not used: the
 * runner starts the group with `run`, giving each tail its handlers.
 */
export class TailGroup implements ChunkSource {
  private paused = false;
  private stopped = false;
  private next = 0;

  /**
   * @param tails   opened tails, in command-line order
   * @param follow  read them concurrently (else one after the other)
   * @param handlers the handlers for tail `i`
   * @param onAllDone called when every tail has finished (never while following)
   */
  constructor(
    readonly tails: FileTail[],
    private readonly follow: boolean,
    private readonly handlers: (i: number) => TailHandlers,
    private readonly onAllDone: () => void,
  ) {}

  /** Start reading. Tails already finished (done in a checkpoint) are skipped by the caller. */
  run(): void {
    if (this.follow) {
      for (let i = 0; i < this.tails.length; i++) this.tails[i]!.start(this.wrap(i));
      if (this.tails.length === 0) setImmediate(() => this.onAllDone());
    } else this.startNext();
  }

  /** Index of the tail being read without follow (the first not finished). */
  get current(): number {
    return this.next - 1;
  }

  private startNext(): void {
    if (this.stopped) return;
    if (this.next >= this.tails.length) {
      setImmediate(() => {
        if (!this.stopped) this.onAllDone();
      });
      return;
    }
    const i = this.next++;
    const t = this.tails[i]!;
    if (this.paused) t.pause();
    t.start(this.wrap(i));
  }

  private wrap(i: number): TailHandlers {
    const h = this.handlers(i);
    return {
      data: (c) => h.data(c),
      restart: () => h.restart(),
      note: (m) => h.note(m),
      error: (e) => h.error(e),
      fileEnd: (last) => {
        h.fileEnd(last);
        if (last && !this.follow && !this.stopped) this.startNext();
      },
    };
  }

  start(): void {
    this.run();
  }

  pause(): void {
    this.paused = true;
    for (const t of this.tails) t.pause();
  }

  resume(): void {
    if (!this.paused || this.stopped) return;
    this.paused = false;
    for (const t of this.tails) t.resume();
  }

  isPaused(): boolean {
    return this.paused;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.tails) t.stop();
  }
}
