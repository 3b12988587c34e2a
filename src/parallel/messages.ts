/**
 * The messages of `-j N` (issue 14 item 5) between the main thread and the
 * worker threads, and the contract of a chunk runner (chunk.ts): what a
 * runner is made from (WorkerInit), one job (ChunkJob: a byte range of a
 * file or a batch of a dealt stream) and its result (ChunkResult: records as
 * NDJSON bytes, partial aggregates, windowed partials or per-key records).
 */
import type { FieldSelection, VerbInstance } from '../engine/types.js';
import type { KeyedResult } from './keyed.js';
import type { SessionResult } from './sessions.js';
import type { PartitionResult } from './partitioned.js';

/** What a chunk runner is made from (the main thread sends it to each worker). */
export interface WorkerInit {
  /** Words of the leading record-wise verbs, one array per verb. */
  prefix: string[][];
  /** Words of a plain agg run as partials (without the verb name), or null. */
  agg: string[] | null;
  /** Words of a `window tumbling|sliding|session` verb (with its name) before that agg, or null (session: sessions.ts). */
  window: string[] | null;
  /** Words of a first-N-per-key verb (with its name: `uniq FIELDS`, `head N --by K`) after the prefix, or null (keyed.ts). */
  keyed?: string[] | null;
  /**
   * Windowed agg: render each window's output rows here, in this format
   * (WriterOptions as the main thread's writer has them), so that the main
   * thread writes a window only one range has as it is.
   */
  render: { fmt: 'ndjson' | 'csv' | 'tsv'; delimiter: string; inputFormat: string; inputDelimiter: string } | null;
  delimiter?: string;
  maxLineBytes: number;
  strictCsv?: boolean;
  /** Whether the main thread needed yargs to parse these verbs' options (verbs/args.ts): the worker imports it first. */
  yargs?: boolean;
  /** The fields the readers decode: the one-thread run's choice (engine/projection.ts), or undefined for whole records. */
  fields?: FieldSelection;
  /**
   * Key partitions (partitioned.ts): this thread runs `words` (a per-key
   * verb with `byKey`, and the agg after a count window) after the prefix,
   * on every range in input order, for the keys whose hash mod `count` is
   * `index`. Null or absent: range jobs as above.
   */
  partition?: { index: number; count: number; words: string[][] } | null;
  /**
   * CSV or TSV output of the same input format: one thread writes each
   * unchanged record as its RAW text, which the NDJSON the ranges hand over
   * loses, and the writer's own text differs from it where a cell holds a CR
   * alone (CSV quotes it, TSV escapes it) or, in TSV, a backslash (escaped):
   * a range holding one goes to one thread (slices.ts fileSlices).
   */
  keepsRaw?: 'csv' | 'tsv' | null;
  /** CSV or TSV output of CSV or TSV input: a header with an integer-like name goes to one thread (cutters.ts intNamedHeader). */
  headerOrder?: boolean;
}

/** One range of one file. */
export interface ChunkJob {
  id: number;
  file: string;
  fmt: 'ndjson' | 'csv' | 'tsv';
  /** Byte offsets: [start, end), end at a line end. */
  start: number;
  end: number;
  /** CSV/TSV: the header line (with its line end), fed before the range. */
  header: string;
  /** Input read by the main thread (a stream: deal.ts): the job's bytes, moved here, instead of reading `file`. */
  data?: Uint8Array;
  /** Windowed agg: send every window's partials, not only those another range may have (window-job.ts). */
  allParts?: boolean;
  /** Key partitions: no range; end the verbs (what they write at end of input). */
  finish?: boolean;
}

/**
 * The answer for one job. `bytes` is NDJSON text, UTF-8. `lines`: for a job
 * with `data`, its line ends (for messages). `t` (SLUICE_J_DEBUG=2 only): when
 * the job ran, [start, end, when the thread had loaded], in ms since the epoch
 * (performance.timeOrigin + now).
 */
export type ChunkResult = { lines?: number; t?: [number, number, number] } & (
  /** `kept`: the records the leading verbs passed on, and the records read (split.ts judges whether splitting pays). */
  | { id: number; kind: 'bytes'; bytes: Uint8Array; kept?: [number, number] }
  /** `json`: the JSON text of [[group key, encoded key values, states, first position], ...] (one string crosses threads far faster than many small arrays). */
  | { id: number; kind: 'agg'; json: string; groups: number; records: number }
  | WindowedResult
  | SessionResult
  | KeyedResult
  | PartitionResult
  | { id: number; kind: 'fallback'; why: string }
  | { id: number; kind: 'error'; what: string; source: string; line: number; text: string; verb?: string; partial: Uint8Array; message?: string; user?: 1 | 2; keys?: string }
);

/**
 * One window of a range: [start ms, end ms, window_start, window_end, its
 * output rows as the writer writes them (no CSV header) as bytes [from, to)
 * of the result's `rows`, the JSON text of its groups' partials:
 * [[group key, encoded key values, states, first position], ...], or null
 * when the range judged that no other range has this window (window-job.ts;
 * the main thread checks, windowed.ts)]. The main thread parses the partials
 * only when another range has the same window.
 */
export type WindowPart = [number, number, string, string, number, number, string | null];

/** What the main thread sends a worker: its init, then jobs. */
export type WorkerMessage = ChunkJob | { init: WorkerInit };

/**
 * The answer for one job of a windowed agg, run as if the range were the
 * whole input (its own watermark from -infinity).
 */
export interface WindowedResult {
  id: number;
  kind: 'wagg';
  /** Every window, as each closed here (in order of closing). */
  windows: WindowPart[];
  /** The windows' rendered rows, UTF-8, back to back (its own ArrayBuffer: moved, not copied). */
  rows: Uint8Array;
  /** The largest time of the records on time here (-Infinity when none). */
  maxT: number;
  /** Records with a readable time. */
  seen: number;
  /** Records late here; the smallest time among them; how far the latest late record was behind. */
  late: number;
  lateMinT: number;
  maxBehind: number;
  /**
   * Per end of the last window of an on-time record: [end, records, smallest time,
   * largest (largest time before the record − its time), or -Infinity].
   */
  buckets: [number, number, number, number][];
}

/** A chunk runner: one job in, its result out (synchronous, ~10-50 ms per 2 MiB). */
export type ChunkRunner = (job: ChunkJob) => ChunkResult;

/**
 * Parses a verb chain's words (`filter 'x > 1' then head 3`) into verb
 * instances exactly as the command line does: the caller passes cli.ts's
 * parser in (worker.ts, cli.ts), so that this module does not import the
 * command line above it. Throws UsageError as the command line does.
 */
export type VerbWordsParser = (words: string[]) => VerbInstance[];

