/**
 * A file read whole (a `join` table), under the rules of the input sources:
 * gzip by its magic bytes (sources/gzip.ts), then bytes to text by an
 * InputDecoder (formats/decode.ts): UTF-8 with the lines holding invalid
 * bytes counted, UTF-16 by its byte order mark, or Latin-1 (`--encoding`).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type zlibModule from 'node:zlib';
import { InputDecoder, type DecodeReport, type InputEncoding } from '../formats/decode.js';
import { gzipError, isGzipMagic } from './gzip.js';
import { isFifo } from '../engine/files.js';
import { withDefaultSignals } from '../engine/signals.js';

const require = createRequire(import.meta.url);

/**
 * Read `file` whole as text.
 * @param encoding `--encoding` (default utf-8)
 * @returns the text, and what decoding found (for `decodeSummary`)
 * @throws the fs error (ENOENT, EISDIR, ...), or an Error in words for damaged gzip data
 */
export function readWholeFile(file: string, encoding: InputEncoding = 'utf-8'): { text: string; report: DecodeReport } {
  // (A FIFO: its open and read wait for a writer, with SIGINT/SIGTERM able to end the process.)
  let bytes = isFifo(file) ? withDefaultSignals(() => fs.readFileSync(file)) : fs.readFileSync(file);
  if (isGzipMagic(bytes)) {
    try {
      bytes = (require('node:zlib') as typeof zlibModule).gunzipSync(bytes);
    } catch (e) {
      throw gzipError(e as NodeJS.ErrnoException);
    }
  }
  const dec = new InputDecoder(encoding);
  const text = dec.write(bytes) + dec.end();
  return { text, report: dec.report };
}
