/**
 * The readers of a run's sources: `SourceReaders` makes one reader per
 * source (formats/index.ts) with the run's options, and wraps it so that
 * - records of a source whose format differs from the first source's carry
 *   no RAW text (the writer copies RAW text only for the first format);
 * - records carry their input number (symbol RECNO) when a verb calls `nr()`;
 * - the progress line (src/live/progress.ts) counts them, when shown.
 */
import { InputError, UsageError } from './errors.js';
import { RECNO, markChanged } from './values.js';
import type { Batch, ErrorSink, FieldSelection, InputFormat, Reader } from './types.js';
import { inputFields } from './projection.js';
import type { RunOptions } from './options.js';
import { CSV_HEADER } from '../formats/csv.js';
import { createReader } from '../formats/index.js';

/**
 * A reader whose batches pass through `fn` (which changes them in place):
 * those of `feed` and `end`, and the records completed before a fatal
 * malformed one (`InputError.partial`). Only `feed` and `end` are kept.
 */
export function mapBatches(r: Reader, fn: (b: Batch) => void): Reader {
  const guard = (read: () => Batch): Batch => {
    try {
      const b = read();
      fn(b);
      return b;
    } catch (e) {
      if (e instanceof InputError && e.partial) fn(e.partial);
      throw e;
    }
  };
  return { feed: (chunk) => guard(() => r.feed(chunk)), end: () => guard(() => r.end()) };
}

/**
 * A reader whose records never carry RAW text: for a source whose format
 * differs from the first source's (the output's default), whose raw lines
 * would be text of the wrong format.
 */
export function withoutRaw(r: Reader): Reader {
  return mapBatches(r, (b) => {
    for (let i = 0; i < b.length; i++) {
      const rec = b[i]!;
      markChanged(rec);
      // The CSV header's raw text is of the wrong format too.
      if ((rec as { [CSV_HEADER]?: unknown })[CSV_HEADER] !== undefined) (rec as { [CSV_HEADER]?: unknown })[CSV_HEADER] = undefined;
    }
  });
}

/**
 * A reader whose records carry their input number (symbol RECNO, for `nr()`),
 * counted in `counter` across all sources; records before a fatal one too.
 */
export function withRecordNumbers(r: Reader, counter: { n: number }): Reader {
  return mapBatches(r, (b) => {
    for (let i = 0; i < b.length; i++) (b[i] as { [RECNO]?: number })[RECNO] = ++counter.n;
  });
}

/** For a source read by position (--follow, --checkpoint): check the reader, and go on after `resumeLine` lines. */
export interface PositionedSource {
  /** Throws (UsageError) when the reader cannot say its position. */
  check(r: Reader): void;
  /** Lines already read (0: from the start). */
  resumeLine: number;
  /** The reader's state saved with the checkpoint (a CSV header), when resuming. */
  state?: unknown;
}

/** Makes the readers of one run (see the module comment). */
export class SourceReaders {
  /** The format of the first source whose reader was made (the output's default format). */
  firstFormat: InputFormat | undefined;
  private readonly lineNumbers: boolean;
  private readonly recordNumbers: boolean;
  /** The input record count so far, across sources (`nr()`); a resumed checkpoint sets it. */
  readonly recno = { n: 0 };
  /** True when a verb calls `nr()`: records are numbered. */
  get numbersRecords(): boolean {
    return this.recordNumbers;
  }

  constructor(
    private readonly opts: RunOptions,
    private readonly errors: ErrorSink,
  ) {
    this.lineNumbers = opts.verbs.some((v) => v.needsLineNumbers === true);
    this.recordNumbers = opts.verbs.some((v) => v.needsRecordNumbers === true);
  }

  /**
   * The fields a reader of format `fmt` must decode (engine/projection.ts), or
   * undefined for whole records. With checkpoints too: a held record is saved
   * with its RAW text (state/records.ts), so a restored one is written as it
   * would have been (without projection under --checkpoint, the checkpoint
   * kill-test pipeline cost 1.47x the CPU of a run without checkpoints).
   * Call once `firstFormat` is set.
   */
  private fieldsFor(fmt: InputFormat): FieldSelection | undefined {
    const o = this.opts;
    if (o.readAll || process.env.SLUICE_READ_ALL === '1') return undefined;
    if (fmt !== 'ndjson' && fmt !== 'csv' && fmt !== 'tsv' && fmt !== 'csvlite') return undefined;
    const outFmt = o.outputFormat ?? (fmt === 'csvlite' ? 'csv' : fmt);
    // The writer copies RAW text of unchanged records: NDJSON of the first source's format, written as NDJSON or JSON.
    const rawSink = fmt === 'ndjson' && fmt === this.firstFormat && (outFmt === 'ndjson' || outFmt === 'json') && o.wrapWriter === undefined;
    return inputFields(o.verbs, rawSink) ?? undefined;
  }

  /**
   * The reader of source `name` in format `fmt`.
   * @param positioned for a source read by position (FileTail): its records are
   *   numbered (the count goes into checkpoints) but not counted by the progress line
   * @throws UsageError from `positioned.check`
   */
  make(name: string, fmt: InputFormat, positioned?: PositionedSource): Reader {
    this.firstFormat ??= fmt;
    const o = this.opts;
    const r = createReader(fmt, {
      source: name,
      errors: this.errors,
      delimiter: o.delimiter ?? (fmt === 'tsv' ? '\t' : ','),
      noHeader: o.noHeader,
      maxLineBytes: o.maxLineBytes,
      strictCsv: o.strictCsv,
      lineNumbers: this.lineNumbers,
      fields: this.fieldsFor(fmt),
    });
    if (positioned) {
      positioned.check(r);
      if (positioned.resumeLine > 0) {
        try {
          r.resumeAt?.(positioned.resumeLine, positioned.state);
        } catch (e) {
          throw new UsageError(`--checkpoint: the ${fmt} reader of ${name} cannot go on from the checkpoint: ${(e as Error).message}`);
        }
      }
      const kept = fmt === this.firstFormat ? r : withoutRaw(r);
      return this.recordNumbers ? withRecordNumbers(kept, this.recno) : kept;
    }
    const kept = fmt === this.firstFormat ? r : withoutRaw(r);
    const numbered = this.recordNumbers ? withRecordNumbers(kept, this.recno) : kept;
    return o.progress ? o.progress.reader(numbered) : numbered;
  }
}
