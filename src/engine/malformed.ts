/**
 * Malformed records (SPEC §5): `ErrorCollector` counts them, keeps them in
 * `--errors FILE` as NDJSON, warns on stderr under `--on-error warn`, and
 * stops the run under `fail`.
 */
import fs from 'node:fs';
import type { Writable } from 'node:stream';
import { InputError, cut, escapeControls, ioError, where } from './errors.js';
import { openMaybeFifo } from './files.js';
import type { ErrorSink, OnErrorMode } from './types.js';
import type { CheckpointSession } from '../checkpoint/session.js';

/** Counts and keeps malformed records as SPEC §5 asks. */
export class ErrorCollector implements ErrorSink {
  count = 0;
  private fd: number | undefined;
  /**
   * @param mode         `--on-error`
   * @param file         `--errors FILE`, opened (truncated) now
   * @param stderr       where `warn` writes
   * @param resumeLength resuming a checkpoint: FILE is opened for appending and truncated back to this length (bytes)
   * @param cp           the checkpoint session (needed with resumeLength)
   * @throws RuntimeError when FILE cannot be opened
   */
  constructor(
    readonly mode: OnErrorMode,
    private readonly file: string | undefined,
    private readonly stderr: Writable,
    resumeLength?: number,
    cp?: Pick<CheckpointSession, 'truncateTo'>,
  ) {
    if (file !== undefined) {
      try {
        this.fd = openMaybeFifo(file, resumeLength !== undefined ? 'a' : 'w');
      } catch (e) {
        throw ioError('cannot open --errors file', file, e);
      }
      if (resumeLength !== undefined) cp!.truncateTo(`--errors file ${file}`, this.fd, resumeLength);
    }
  }
  /** The descriptor of --errors FILE (for checkpoints), if any. */
  get errorsFd(): number | undefined {
    return this.fd;
  }
  /** @throws InputError under `--on-error fail`; RuntimeError when --errors FILE cannot be written */
  reject(source: string, line: number, error: string, text: string, verb?: string): void {
    // Under `fail` too, the record that stops the run is kept in --errors FILE.
    if (this.fd !== undefined) {
      const rec = { source: source === '-' ? 'stdin' : source, line, error: verb ? `${verb}: ${error}` : error, text };
      try {
        fs.writeSync(this.fd, JSON.stringify(rec) + '\n');
      } catch (e) {
        throw ioError('cannot write --errors file', this.file!, e);
      }
    }
    if (this.mode === 'fail') throw new InputError(error, source, line, text, verb);
    this.count++;
    if (this.mode === 'warn') {
      this.stderr.write(`sluice: ${escapeControls(`${verb ? verb + ': ' : ''}${error} at ${where(source, line)}: ${cut(text)}`)}\n`);
    }
  }
  /** Close --errors FILE (idempotent). */
  close(): void {
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* nothing was buffered: writes are synchronous */
      }
    }
    this.fd = undefined;
  }
  /** The line for stderr at exit, when records were skipped. */
  summary(): string | undefined {
    if (this.count === 0) return undefined;
    const s = this.count === 1 ? '' : 's';
    return `${this.count} malformed record${s} skipped${this.file ? ` (kept in ${this.file})` : ' (use --errors FILE to keep them)'}`;
  }
}
