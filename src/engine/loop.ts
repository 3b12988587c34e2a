/**
 * What an input loop (sources/sequential.ts, sources/tailing.ts) may ask of
 * the running pipeline (engine/run.ts): push what a reader gives, honour
 * backpressure and early stops, end the input, report failures.
 */
import type { Batch } from './types.js';
import type { ChunkSource } from '../formats/source.js';
import type { SourceReaders } from './readers.js';

/** The runner, as an input loop sees it. None of its methods throws. */
export interface InputLoop {
  /** The input has ended or the run has finished: handlers return at once. */
  closed(): boolean;
  /** `head` or a signal asked to stop reading. */
  stopRequested(): boolean;
  /** Makes the sources' readers. */
  readonly readers: SourceReaders;
  /**
   * Read with `read` (a reader's feed or end) and push the records through
   * the pipeline; on a fatal malformed record, the records completed before
   * it are pushed first, so output stops exactly at the bad line.
   * @returns false when the run failed (it is finishing: return at once)
   */
  pump(read: () => Batch): boolean;
  /** After pushing: stop early for head, pause the current source for backpressure. */
  afterPush(): void;
  /** Run `fn`; a throw fails the run. @returns false when it threw */
  guard(fn: () => void): boolean;
  /** Fail the run with `e` (one line on stderr, exit status by its class). */
  fail(e: unknown): void;
  /** The chunk source being read (paused for backpressure, stopped at the end), or undefined between sources. */
  setCurrent(source: ChunkSource | undefined): void;
  /** The source the next records come from (for `locate` in messages). */
  setSourceName(name: string): void;
  /** End of all input: end the pipeline (its last output, then finish). */
  endInput(): void;
  /** A line for stderr at exit (undefined: none). */
  summary(fn: () => string | undefined): void;
  /** A note on stderr (`sluice: ` is prefixed). */
  note(message: string): void;
  /** stdout's buffer is over its high-water mark. */
  outputBlocked(): boolean;
}
