/**
 * Streams of input files that are not regular files (FIFOs, pipes,
 * character devices), for the readers that stream them.
 */
import fs from 'node:fs';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { isFifo } from '../engine/files.js';

/**
 * A readable stream of `name`, a file that is not a regular file. A FIFO is
 * opened without blocking (O_NONBLOCK) and read through a libuv pipe
 * (net.Socket), which waits for its writer in the event loop: the plain
 * `fs.createReadStream` opens it in a thread-pool thread that blocks until a
 * writer comes, and while it waits no signal can end the process, not even
 * `process.exit` (Node issue 3628): `sluice agg count FIFO` with no writer
 * ignored SIGINT and SIGTERM. Anything else, or a FIFO that cannot be opened
 * so, is read by `fs.createReadStream` (whose errors are the stream's).
 * @param highWaterMark bytes per read of a createReadStream
 */
export function openInputStream(name: string, highWaterMark?: number): Readable {
  if (isFifo(name)) {
    let fd = -1;
    try {
      fd = fs.openSync(name, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch {
      fd = -1;
    }
    if (fd >= 0) return new net.Socket({ fd, readable: true, writable: false });
  }
  return fs.createReadStream(name, highWaterMark !== undefined ? { highWaterMark } : {});
}
