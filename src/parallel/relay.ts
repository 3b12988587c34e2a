/** The output relay of `-j N` runs (issue 14 item 5). */
import { Writable } from 'node:stream';

/**
 * A stand-in for stdout (or stderr): drops the first `skip` bytes written to
 * it (a run redone in one thread, whose output up to there was written
 * already), counts what it passes on, and drops everything once `muted`.
 * Backpressure and errors of the destination pass through.
 */
export class RelayOut extends Writable {
  /** Bytes passed on to the destination. */
  count = 0;
  muted = false;
  /** A text whose writes are dropped (the main thread's verbs' message about a stop line: output.ts). */
  dropWith: string | null = null;
  constructor(
    private readonly dest: NodeJS.WritableStream,
    private skip = 0,
  ) {
    super({ decodeStrings: true });
    dest.on('error', (e: Error) => this.destroy(e));
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.muted || (this.dropWith !== null && chunk.includes(this.dropWith))) return cb();
    if (this.skip > 0) {
      const k = Math.min(this.skip, chunk.length);
      this.skip -= k;
      chunk = chunk.subarray(k);
    }
    this.count += chunk.length;
    if (this.dest.write(chunk)) cb();
    else this.dest.once('drain', () => cb());
  }
}

