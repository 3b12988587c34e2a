/**
 * The contracts every part of sluice codes against: records, batches, pipeline
 * stages, verbs, readers and writers.
 *
 * Data flow (push-based, synchronous, one batch at a time):
 *
 *   source chunk ──Reader.feed──▶ Rec[] ──Stage.push──▶ … ──Stage.push──▶ Sink ──Writer.write──▶ one string ──▶ stdout
 *
 * Watermarks travel the same chain beside the batches (`Stage.watermark`), and
 * end of input (or SIGINT/SIGTERM) is `Stage.end`, which flushes every open
 * window and aggregate downstream before passing `end` on.
 */

/**
 * A record: a JSON object. Keys come from data, so code must never rely on the
 * prototype: read with the getters of `values.ts` (which treat `__proto__`,
 * `constructor`, … as ordinary fields) and write with `setField`/`setPath`.
 *
 * Values are JSON values, except that a number whose text is not JavaScript's
 * shortest form (`1.50`, `1e3`, integers beyond 2^53) is a `NumText`
 * (see values.ts), so that it is written back exactly as it was read.
 *
 * A record read from input may carry its original text under the symbol `RAW`
 * (values.ts); a verb that changes a record must clear it (`markChanged`), so
 * that writers re-serialise it. Records leaving `window` carry their event
 * time in milliseconds under the symbol `EVENT_TIME`.
 */
export type Rec = Record<string, unknown>;

/** A batch: the records of one input chunk (or of one timer tick), in order. */
export type Batch = Rec[];

/**
 * One stage of the compiled pipeline. Stages are chained at build time: each
 * holds its downstream stage and calls it synchronously.
 *
 * - `push(batch)`: records in arrival order. The stage owns the array and the
 *   records (it may mutate or reuse them); it must not call `next.push` with
 *   an empty array.
 * - `watermark(ms)`: event time has reached `ms` (epoch milliseconds): no
 *   further record with an event time below it will be accepted as on time.
 *   Stages without time semantics pass it on unchanged.
 * - `end()`: end of input (or a signal). Emit everything still held, then call
 *   `next.end()` exactly once.
 */
export interface Stage {
  push(batch: Batch): void;
  watermark(ms: number): void;
  end(): void;
  /**
   * Optional, for checkpoints (`--checkpoint`): this stage's own operator
   * state as a JSON-serialisable value (open windows, groups with their
   * accumulators in the partial state format of src/state/, watermarks,
   * counters). Called between batches only, never inside `push`. A stage
   * that holds no state omits it. Each stage snapshots only itself; the
   * runner walks the chain.
   */
  snapshot?(): unknown;
  /**
   * Optional, the inverse of `snapshot`: called once, after the pipeline is
   * built and before any input is read, with what `snapshot` returned in an
   * earlier run of the same pipeline.
   * @throws InputError when the state is not one this stage wrote.
   */
  restore?(state: unknown): void;
}

/** Input/output formats. `table` is output only. */
export type InputFormat = 'ndjson' | 'json' | 'csv' | 'csvlite' | 'tsv' | 'lines' | 'logfmt';
export type OutputFormat = 'ndjson' | 'json' | 'csv' | 'tsv' | 'table' | 'markdown' | 'logfmt';

/** What a malformed input record does (SPEC §1, `--on-error`). */
export type OnErrorMode = 'fail' | 'skip' | 'warn';

/**
 * Where malformed input records go. `reject` either throws an `InputError`
 * (mode `fail`) or counts the record, reports it (`warn`) and appends it to
 * `--errors FILE` as `{"source","line","error","text"}`; it never loses one.
 */
export interface ErrorSink {
  readonly mode: OnErrorMode;
  /**
   * @param source file name or `-` for stdin
   * @param line   1-based line number where the record starts
   * @param error  what is wrong, one line
   * @param text   the offending record text (kept whole in --errors FILE, cut to 200 chars on stderr)
   * @param verb   the verb that rejected it, when not the reader (e.g. `window` for an unparseable time)
   * @throws InputError in mode `fail`
   */
  reject(source: string, line: number, error: string, text: string, verb?: string): void;
  /** How many records were rejected so far. */
  readonly count: number;
}

/**
 * A reader: a pure parser state machine (no I/O). Feed it decoded text chunks
 * in order; it returns the complete records each chunk finished, and keeps the
 * unfinished tail for the next chunk. Malformed records go to the ErrorSink.
 */
export interface Reader {
  /** Parse a chunk; returns the records completed by it (possibly empty). */
  feed(chunk: string): Batch;
  /** End of this source: parse what is left (a last line without newline). */
  end(): Batch;
  /**
   * Optional, for checkpoints (`--checkpoint`): the text fed but not yet made
   * into records (an unfinished last line) and the number of lines completed,
   * between feeds; null when the reader cannot resume from here (inside an
   * overlong line it is skipping). The byte offset of the last record fully
   * read is the bytes fed minus the UTF-8 bytes of `pending`.
   */
  position?(): { pending: string; line: number; state?: unknown } | null;
  /**
   * Optional, the inverse: before the first feed, go on with a source read up
   * to a checkpoint, after `line` lines, with the reader's own `state` from
   * `position` (CSV: the header read at the start of the file).
   * @throws Error on a state this reader did not write
   */
  resumeAt?(line: number, state?: unknown): void;
}

/** Options shared by readers. */
export interface ReaderOptions {
  /** Source name for messages: a file path, or `-` for stdin. */
  source: string;
  errors: ErrorSink;
  /** CSV/TSV field delimiter (default `,` for csv, tab for tsv). */
  delimiter?: string;
  /** CSV/TSV input has no header row; fields are named `1`, `2`, ... */
  noHeader?: boolean;
  /** A line (NDJSON) or record (CSV) longer than this many bytes is malformed. Default 64 MiB. */
  maxLineBytes?: number;
  /** Stamp each record with its line number (symbol `LINE`), for verbs that reject records later. */
  lineNumbers?: boolean;
  /** CSV: strict RFC 4180 (`--strict-csv`): a quote inside an unquoted field is malformed. Default: a literal character. */
  strictCsv?: boolean;
  /**
   * NDJSON, CSV, TSV: decode only these top-level fields (engine/projection.ts
   * decides when no verb needs the whole record). Records keep their RAW text
   * and line numbers; malformed input is found and reported as without it.
   * Other formats ignore it (they read every field).
   */
  fields?: FieldSelection;
  /**
   * The text is part of a source whose line ends are LF or CRLF (a `-j`
   * range: the source's first line end decided that, formats/lineends.ts):
   * a CR alone is data, whatever the text's own first line holds.
   */
  lfLineEnds?: boolean;
}

/**
 * The top-level fields a reader must decode (ReaderOptions.fields).
 *
 * A field is selected when its name is one of `names`, or is one of `names`
 * preceded by any number of the `prefixes` (each may repeat, in any order:
 * `join`'s `right_` rule renames a table field `state` to `right_state`,
 * `right_right_state`, ... while the record has the shorter ones, so those
 * must be known too). Selecting more fields than needed is always correct;
 * selecting fewer is not.
 */
export interface FieldSelection {
  readonly names: readonly string[];
  readonly prefixes: readonly string[];
}

/**
 * How a verb uses the fields of the records it receives, for reading only
 * what is needed (engine/projection.ts). A verb without it may use every
 * field (the readers then decode whole records).
 */
export interface FieldAccess {
  /**
   * Top-level field names the verb reads, or whose presence changes what it
   * does (for a path `a.b`: `a`, and the literal name `a.b` where the verb
   * also looks that up).
   */
  readonly reads: readonly string[];
  /** Name prefixes that may precede any of `reads` (FieldSelection.prefixes). */
  readonly prefixes?: readonly string[];
  /**
   * What the verb emits: `same`, the records it received, unchanged (RAW text
   * kept: filter, head, sort); `changed`, the records it received (or copies)
   * with fields set or added (map, join, window); `new`, records it builds
   * only from the fields in `reads` (agg, select).
   */
  readonly emits: 'same' | 'changed' | 'new';
  /**
   * True when the verb may write a received record as text (a rejection in
   * --errors: its RAW text, else its JSON): a record changed upstream then
   * needs every field.
   */
  readonly writesRecords?: boolean;
}

/**
 * A writer: turns batches into text. Stateful (CSV header, table widths).
 * `write` returns the whole text for the batch (one string per batch, written
 * with one `write()` call), `''` when nothing is to be written yet.
 */
export interface Writer {
  write(batch: Batch): string;
  /** Text still held back (a table block), at end of output. */
  end(): string;
  /**
   * Optional, for checkpoints: what the writer remembers of the output so far
   * (CSV: the columns of the current block, so that a resumed run does not
   * write the header again), JSON-serialisable, between batches.
   */
  snapshot?(): unknown;
  /** The inverse, before the first write. @throws Error on a state this writer did not write */
  restore?(state: unknown): void;
}

/** Options shared by writers. */
export interface WriterOptions {
  delimiter?: string;
  /** Colour for `table` output (already resolved from --color, NO_COLOR, FORCE_COLOR, isTTY). */
  color?: boolean;
  /**
   * The input format. A record that still carries its `RAW` text is written as
   * that text when the output format equals the input format (and, for
   * CSV/TSV, the delimiter is the same).
   */
  inputFormat?: InputFormat;
  inputDelimiter?: string;
}

/**
 * What the whole pipeline shares while it is built and run.
 */
export interface PipelineContext {
  errors: ErrorSink;
  /** Called by a stage (e.g. `head`) that needs no more input: the runner stops reading. */
  stopInput(): void;
  /**
   * Schedule work on the wall clock (processing-time windows, `--idle`, `agg --every`).
   * The runner flushes output after each callback. Returns a cancel function.
   * Timers do not keep the process alive once input has ended.
   */
  every(ms: number, fn: () => void): () => void;
  /** Current wall-clock time in epoch milliseconds (injectable for tests). */
  now(): number;
  /** True while stdout has refused more data (a stage emitting a long burst, e.g. at end(), should pause). */
  outputBlocked(): boolean;
  /**
   * Run `fn` once stdout has drained (at once when it is not blocked). A stage
   * whose end() emits a long burst emits part of it, then continues here, and
   * calls `next.end()` only when done: the runner finishes when the last stage ends.
   */
  whenDrained(fn: () => void): void;
  /** Write a diagnostic line to stderr (prefix `sluice: ` is added). */
  warn(message: string): void;
  /**
   * Register a line for the summary printed on stderr at exit
   * (e.g. `window: 3 late records written to late.ndjson`). `fn` is called at exit.
   */
  summary(fn: () => string | undefined): void;
  /**
   * Where a record came from, for a verb's error message: the source being read
   * now (records are pushed synchronously while their source is read) and the
   * record's line (0 when unknown; readers stamp lines only for verbs that set
   * `needsLineNumbers`).
   */
  locate(rec: Rec): { source: string; line: number };
  /**
   * `-j` by key partitions (parallel/partitioned.ts): whether this thread
   * writes the output of the records of `key` (a key text of the verb's
   * `byKey.keyOf`). Undefined: every key is this thread's. Verbs with
   * `byKey.seesAll` (count windows) keep their bookkeeping for every key and
   * skip the rest of the work for keys not owned.
   */
  readonly ownsKey?: (key: string) => boolean;
  /**
   * With `--follow` and several `--from` files: their names (records of each
   * arrive interleaved; `locate(rec).source` says whose a batch is). Event-time
   * windows then follow the slowest source that is not idle.
   */
  readonly followSources?: readonly string[];
  /**
   * The input sources as named on the command line (`-` is stdin), for verbs
   * that write files (`tee`, `split`): an output that is also an input is refused.
   */
  readonly sources?: readonly string[];
  /**
   * A new writer for the pipeline's output format (`-o`, else the first
   * input's format), or for `format`, with stdout's delimiter and RAW-text
   * rules and no colour. Call it once input has begun: the default output
   * format follows the input's.
   */
  newWriter?(format?: OutputFormat): Writer;
  /**
   * True when the records leaving the last verb are only written, each as its
   * JSON_TEXT when it carries one (NDJSON output, no live view wrapping the
   * writer): the last verb may then give a record that text alone, without
   * its fields. Ask once input has begun (the default output format follows
   * the input's). Absent: false.
   */
  sinkWritesJsonTextOnly?(): boolean;
  /** Files opened by stages (`--late-output`): closed and flushed at exit. */
  openOutput(path: string): { write(text: string): void };
  /** With `--checkpoint`: where stage state too big for the checkpoint file goes (sort's runs). */
  readonly checkpointFiles?: CheckpointFiles;
}

/**
 * Files kept beside a checkpoint (src/checkpoint/keep.ts), for state that is
 * already on disk and never changes (sort's spilled runs).
 */
export interface CheckpointFiles {
  /**
   * Keep `file` (which must not change any more) for checkpoints; returns the
   * name to put in the state. Keeping the same file again returns the same name.
   * @throws RuntimeError when it cannot be linked or copied
   */
  keep(file: string): string;
  /** The path of a kept file, from its name in a restored state. @throws Error when it is missing */
  path(name: string): string;
  /**
   * A new append-only file beside the checkpoint (sort's records held in
   * memory, written once each): its name, and `append(text)`, which writes
   * and fsyncs and returns the file's length in bytes.
   * @throws RuntimeError when it cannot be made or written
   */
  journal(prefix: string): { readonly name: string; append(text: string): number };
}

/**
 * A verb after its arguments were parsed: what `--explain` shows, and how to
 * build its stage. Parsing happens before any input is read, so every usage
 * error (exit 2) is found then.
 */
export interface VerbInstance {
  /** The verb's name (`filter`). */
  readonly name: string;
  /** Its parsed options for `--explain` (plain JSON). */
  readonly explain: Record<string, unknown>;
  /** Field paths this verb reads (for `--explain`); `['*']` when it passes all fields on. */
  readonly needs: string[];
  /** True for verbs that hold no state between records (filter, map, select, ...). */
  readonly recordWise: boolean;
  /** Optional: which fields of its records the verb uses (see FieldAccess); absent means it may use all of them. */
  readonly access?: FieldAccess;
  /** True when the verb may reject records as malformed (e.g. `window --time`): readers then stamp line numbers. */
  readonly needsLineNumbers?: boolean;
  /** True when the verb reads records' input numbers (the expression function `nr()`): the runner then stamps them (symbol RECNO). */
  readonly needsRecordNumbers?: boolean;
  /**
   * Per-key verbs that keep the first N records of each key (`uniq FIELDS`,
   * `head N --by`): the key text of a record (records of one key, as the verb
   * groups them, have one text) and N. `-j` keeps the first N per key in each
   * range, then over all ranges (parallel/keyed.ts).
   */
  readonly firstPerKey?: { readonly keyOf: (rec: Rec) => string; readonly n: number };
  /**
   * Per-key verbs that write the last N records of each key at end of input,
   * groups in order of first appearance (`tail N [--by KEYS]`): the key text
   * and N. `-j` keeps the last N per key of each range, then over all ranges
   * (parallel/keyed.ts).
   */
  readonly lastPerKey?: { readonly keyOf: (rec: Rec) => string; readonly n: number };
  /**
   * Per-key verbs that write one record per key at end of input with its
   * number of records in field `name` (the last field), keys in order of first
   * appearance (`uniq [FIELDS] --count`): the key text. `-j` counts per range,
   * then sums (parallel/keyed.ts).
   */
  readonly countPerKey?: { readonly keyOf: (rec: Rec) => string; readonly name: string };
  /**
   * Per-key verbs that write, at end of input, the N best records of each key
   * by one value, best first, equal values in input order, groups in order of
   * first appearance (`top N FIELD [asc|desc] [--by KEYS]`): the key text, the
   * value a record ranks by (order/keys.ts keyValue), its direction and N.
   * `-j` keeps the N best per key of each range, then over all ranges
   * (parallel/ranked.ts).
   */
  readonly bestPerKey?: { readonly keyOf: (rec: Rec) => string; readonly valueOf: (rec: Rec) => number | string | null; readonly desc: boolean; readonly n: number };
  /**
   * Per-key verbs whose output for a key depends only on that key's records
   * (and, for count windows, on how many windows opened before, which every
   * thread counts: see PipelineContext.ownsKey): `over --by` without
   * --lateness, `window count --by`. `-j` runs them on every thread, each
   * thread handling the keys whose hash falls to it (parallel/partitioned.ts).
   * `keyOf`: the key text (records of one key have one text); `seesAll`:
   * false when a thread may drop the records of other keys before the verb
   * (over), true when the verb must see every record and leaves the other
   * keys' work to their threads itself, through ctx.ownsKey (count windows,
   * which number windows over all keys). `reads`: the top-level fields the
   * key is made of (a thread decodes only those of another key's records).
   * `perRecord`: the verb writes each record it takes at once, in order, and
   * nothing else (over): a thread may push it many records at a time.
   */
  readonly byKey?: { readonly keyOf: (rec: Rec) => string; readonly seesAll: boolean; readonly reads: readonly string[]; readonly perRecord?: boolean };
  /**
   * Files this verb reads and writes (`join FILE`, `--late-output FILE`): the
   * runner refuses, before reading, an output that is also an input or
   * another output (engine/files.ts).
   */
  readonly files?: { readonly inputs?: readonly string[]; readonly outputs?: readonly string[] };
  /**
   * Optional: told the main options a verb's own files depend on, once they
   * are parsed (they may follow the verb chain), before `--explain` and the
   * run: `encoding` is `--encoding` (join reads its table by it).
   * @throws UsageError
   */
  configure?(main: { encoding: 'utf-8' | 'latin1' }): void;
  /**
   * Build the stage.
   * @param next   the downstream stage
   * @param ctx    the pipeline context
   * @param plan   the whole parsed chain and this verb's index in it (agg looks upstream for a window)
   */
  build(next: Stage, ctx: PipelineContext, plan: { verbs: VerbInstance[]; index: number }): Stage;
}

/**
 * A verb definition: one file in src/verbs/, which opens with its usage text.
 */
export interface VerbDef {
  readonly name: string;
  /** One line for `sluice --help`. */
  readonly summary: string;
  /** Full usage text with examples, shown by `sluice help VERB` and `sluice VERB --help`, and put in the man page. */
  readonly usage: string;
  /**
   * How many positional arguments the verb takes (after its options), so that
   * the command line can tell file operands after the last verb's arguments
   * (`sluice head 3 f.csv`) from arguments: words beyond `max`, and trailing
   * words beyond `min` that name an existing file (and that `isArg` does not
   * claim), are input files. A verb without `arity` never gets operands: all
   * its words are its own. (Trailing main options, `head 2 -o ndjson`, work
   * for every verb that parses its words with parseVerbArgs.)
   */
  readonly arity?: VerbArity;
  /**
   * Parse this verb's arguments (the words between `then`s, without the verb name).
   * @throws UsageError on any bad argument.
   */
  parse(args: string[]): VerbInstance;
}

/** A verb's positional arguments: at least `min`, at most `max` (Infinity for a list). */
export interface VerbArity {
  min: number;
  max: number;
  /** For an optional argument (beyond `min`): true when `word` is meant as an argument even if a file of that name exists (`head 5`). */
  isArg?: (word: string) => boolean;
  /** Said after the error for a word beyond `max` that names no file (`give the fields with -f a,b,c`). */
  hint?: string;
}
