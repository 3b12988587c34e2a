/**
 * The input loop of a plain run (no --follow, no --checkpoint): the sources
 * (`--from` files, `-` for stdin) are read one after the other as one stream
 * of records. Each source is a ChunkSource (formats/source.ts, gzip by its
 * magic bytes: sources/gzip.ts); its format is the chosen one, else the
 * file name's, else sniffed from its first non-blank characters.
 */
import fs from 'node:fs';
import { RuntimeError, ioError } from '../engine/errors.js';
import type { InputFormat, Reader } from '../engine/types.js';
import type { RunOptions } from '../engine/options.js';
import type { InputLoop } from '../engine/loop.js';
import { formatFromPath, sniffFormat } from '../formats/index.js';
import { decodeSummary } from '../formats/decode.js';
import { isRegularFile, isRegularFileFd, type ChunkSource } from '../formats/source.js';
import { fileSource, streamSource } from './gzip.js';
import { openInputStream } from './fifo.js';

/** Read chunk size of streams made for files that are not regular files (bytes); regular files: FILE_CHUNK_BYTES. */
const CHUNK_BYTES = 64 * 1024;

/** True when descriptor `fd` is a directory (`sluice < /tmp`). */
function isDirectoryFd(fd: number): boolean {
  try {
    return fs.fstatSync(fd).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Read `opts.sources` in order through `loop`, then end the input. Returns
 * at once: reading goes on in the event loop. A source that cannot be read
 * fails the run (`cannot read NAME: ...`, exit 1).
 */
export function readSequentially(opts: RunOptions, loop: InputLoop): void {
  // (process.stdin is only touched when stdin is read as a stream: its getter builds one.)
  const stdin = () => opts.stdin ?? process.stdin;
  let srcIndex = 0;
  /** stdin was read as a stream already: a later '-' is at its end (as `cat - -` reads it), not a wait for an 'end' that came. */
  let stdinStreamed = false;
  const nextSource = (): void => {
    if (loop.closed()) return;
    if (srcIndex >= opts.sources.length || loop.stopRequested()) {
      loop.endInput();
      return;
    }
    const name = opts.sources[srcIndex++]!;
    let source: ChunkSource;
    if (name === '-') {
      if (opts.stdin === undefined && isDirectoryFd(0)) {
        loop.fail(new RuntimeError('cannot read stdin: is a directory'));
        return;
      }
      // stdin redirected from a regular file is read like one (see formats/source.ts).
      const asFile = opts.stdin === undefined && isRegularFileFd(0);
      if (!asFile && stdinStreamed) {
        nextSource();
        return;
      }
      if (!asFile) stdinStreamed = true;
      source = asFile ? fileSource(0, false, opts.encoding) : streamSource(stdin(), true, opts.encoding);
    } else {
      try {
        fs.accessSync(name, fs.constants.R_OK);
        if (fs.statSync(name).isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR', errno: -21 });
      } catch (e) {
        loop.fail(ioError('cannot read', name, e));
        return;
      }
      let fd = -1;
      if (isRegularFile(name)) {
        try {
          fd = fs.openSync(name, 'r');
        } catch {
          fd = -1; // let the stream report it
        }
      }
      source =
        fd >= 0 ? fileSource(fd, true, opts.encoding) : streamSource(openInputStream(name, CHUNK_BYTES), false, opts.encoding);
    }
    loop.setCurrent(source);
    loop.setSourceName(name);
    if (source.decodeReport) {
      const report = source.decodeReport.bind(source);
      loop.summary(() => decodeSummary(name, report()));
    }
    let reader: Reader | undefined;
    let pending = '';
    const fixedFormat: InputFormat | undefined =
      opts.inputFormat !== 'auto' ? opts.inputFormat : name !== '-' ? formatFromPath(name) : undefined;
    if (fixedFormat) reader = loop.readers.make(name, fixedFormat);

    source.start({
      data(chunk: string) {
        if (loop.closed()) return;
        if (!reader) {
          // Sniff: wait for the first non-blank character.
          pending += chunk;
          if (!/[^\s\ufeff]/.test(pending)) return;
          reader = loop.readers.make(name, sniffFormat(pending));
          chunk = pending;
          pending = '';
        }
        const r = reader;
        if (!loop.pump(() => r.feed(chunk))) return;
        loop.afterPush();
      },
      end() {
        if (loop.closed()) return;
        if (!reader && pending !== '') reader = loop.readers.make(name, sniffFormat(pending));
        if (reader) {
          const r = reader;
          if (!loop.pump(() => r.feed(pending))) return;
          if (!loop.pump(() => r.end())) return;
        }
        loop.setCurrent(undefined);
        loop.afterPush();
        if (!loop.closed()) nextSource();
      },
      error(e: NodeJS.ErrnoException) {
        loop.fail(ioError('cannot read', name, e));
      },
    });
  };
  nextSource();
}
