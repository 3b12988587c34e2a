/**
 * The output side of a split `-j N` run (issue 14 item 5), in the main
 * thread: what the merged results become. Three ways:
 *
 * - direct: NDJSON records from NDJSON input with no verb after the workers'
 *   part: the ranges' bytes go straight to stdout, in job order;
 * - sink: an agg (plain or windowed) with no verb after it: its records go
 *   straight to the writer, as with one thread;
 * - rest: otherwise the records, as a stream of NDJSON bytes in job order,
 *   feed the ordinary runner with the verbs of the main thread (plan.ts),
 *   started at the first bytes (so a run redone in one thread wrote nothing).
 *
 * Backpressure: `paused` is set when the destination is full and cleared
 * (then `wake` is called) when it drains; `backlog` is what waits in the
 * feed. Output goes through RelayOut, which counts what was written, so that
 * a run redone in one thread skips it.
 */
import { errnoText, escapeControls } from '../engine/errors.js';
import { Readable } from 'node:stream';
import type { RunOptions } from '../engine/run.js';
import { run } from '../engine/run.js';
import type { OutputFormat, Rec, VerbInstance } from '../engine/types.js';
import { Sink, makeWriter } from '../engine/output.js';
import { stringifyRecord } from '../engine/values.js';
import { RelayOut } from './relay.js';
import type { WindowOutput } from './windowed.js';

/** Not NDJSON: the main thread's reader rejects it (see SplitOutput.end). */
const STOP_LINE = 'sluice -j: the input stopped at a malformed record';

/** What the output side calls back. */
export interface OutputHooks {
  /** The destination drained, or the main thread's verbs want more: hand out jobs. */
  wake(): void;
  /** The destination failed, or the main thread's verbs ended before their input did (head). */
  stop(): void;
}

/** The main thread's output of a split run (see the module comment). */
export class SplitOutput {
  /** Set when the destination is full; cleared on its 'drain'. */
  paused = false;
  /** Set when the main thread's verbs stopped reading (head) or ended. */
  restEnded = false;
  /** Set when the failure `end` is given is a malformed input record (not a verb's own error). */
  recordFailure = false;
  private readonly stdout: NodeJS.WritableStream;
  private readonly stderr: NodeJS.WritableStream;
  private readonly feed: Readable;
  private readonly restOut: RelayOut;
  private readonly restErr: RelayOut;
  private readonly sink: Sink | null;
  private mainRun: Promise<number> | null = null;
  private directBytes = 0;
  /** stdout's error, direct and sink ways (the main thread's runner reports its own): EPIPE quietly, others fail the run. */
  private outError: NodeJS.ErrnoException | null = null;
  /** Set by `end`: called when stdout fails (its last write's callback may never come then). */
  private onOutError: (() => void) | null = null;

  /**
   * @param opts      the run's options
   * @param restVerbs the verbs the main thread runs after the merge
   * @param direct    whether the ranges' bytes go straight to stdout
   * @param toWriter  whether records go straight to the writer (an agg with nothing after it)
   */
  constructor(
    private readonly opts: RunOptions,
    private readonly restVerbs: VerbInstance[],
    private readonly inFmt: 'ndjson' | 'csv' | 'tsv',
    private readonly outFmt: OutputFormat,
    readonly direct: boolean,
    toWriter: boolean,
    private readonly hooks: OutputHooks,
  ) {
    this.stdout = opts.stdout ?? process.stdout;
    this.stderr = opts.stderr ?? process.stderr;
    this.feed = new Readable({ read: () => hooks.wake() });
    this.restOut = new RelayOut(this.stdout);
    this.restErr = new RelayOut(this.stderr);
    this.restErr.on('error', () => {});
    this.stdout.on('error', (e: NodeJS.ErrnoException) => {
      this.outError ??= e;
      this.onOutError?.();
    });
    this.sink = toWriter
      ? new Sink(
          this.restOut,
          () => {
            const make = () => makeWriter(opts, inFmt, outFmt, opts.color);
            return opts.wrapWriter ? opts.wrapWriter(make) : make();
          },
          () => {},
        )
      : null;
    if (this.sink !== null) {
      const sink = this.sink;
      this.restOut.on('drain', () => {
        sink.blocked = false;
        this.paused = false;
        hooks.wake();
      });
      this.restOut.on('error', () => hooks.stop());
    } else this.restOut.on('error', () => {});
    if (direct) {
      this.stdout.on('drain', () => {
        this.paused = false;
        hooks.wake();
      });
      this.stdout.on('error', () => hooks.stop());
    }
  }

  /** Bytes waiting in the feed of the main thread's verbs. */
  backlog(): number {
    return this.feed.readableLength;
  }

  private startRest(): void {
    if (this.direct || this.sink !== null || this.mainRun !== null) return;
    this.mainRun = run({
      ...this.opts,
      sources: ['-'],
      inputFormat: 'ndjson',
      outputFormat: this.outFmt,
      verbs: this.restVerbs,
      stdin: this.feed,
      stdout: this.restOut,
      stderr: this.restErr,
      onError: 'fail',
      // The threads held the input's lines to --max-line-bytes; these are records re-encoded (CSV as NDJSON, changed records): longer.
      maxLineBytes: Number.MAX_SAFE_INTEGER,
    });
    // `head` (or another verb) in the main thread stopped reading: hand out no more jobs, stop every worker.
    this.feed.on('pause', () => {
      if (this.feed.listenerCount('data') === 0) this.restEnded = true;
    });
    void this.mainRun.then(() => {
      this.restEnded = true;
      this.hooks.stop();
    });
  }

  /** NDJSON bytes of records, in job order. */
  write(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.direct) {
      this.directBytes += bytes.length;
      if (!this.stdout.write(bytes)) this.paused = true;
    } else {
      this.startRest();
      this.feed.push(bytes);
    }
  }

  /** Records (merged agg output), in output order. */
  writeRecords(recs: Rec[]): void {
    if (recs.length === 0) return;
    if (this.sink !== null) {
      this.sink.push(recs);
      if (this.sink.blocked) this.paused = true;
      return;
    }
    let text = '';
    for (const r of recs) {
      text += stringifyRecord(r) + '\n';
      if (text.length > 1 << 20) {
        this.write(Buffer.from(text));
        text = '';
      }
    }
    if (text.length > 0) this.write(Buffer.from(text));
  }

  /** What the windowed merger gives out: records, or rows as the writer writes them. */
  writeWindows(out: WindowOutput[]): void {
    for (const o of out) {
      if ('recs' in o) this.writeRecords(o.recs);
      else if (this.sink !== null) {
        if (!this.restOut.write(o.bytes)) this.paused = true;
      } else this.write(o.bytes);
    }
  }

  /**
   * Stop writing (the run is redone in one thread): nothing more goes out.
   * @returns the bytes written so far (a prefix of one thread's output)
   */
  async abandon(): Promise<number> {
    this.restOut.muted = true;
    this.restErr.muted = true;
    if (this.mainRun !== null) {
      if (!this.restEnded) this.feed.push(null);
      await this.mainRun;
    }
    return this.direct ? this.directBytes : this.restOut.count;
  }

  /**
   * End the output: the writer's end, the main thread's verbs to their end,
   * then `summary` (a line for stderr, when the output went well) and `failure`.
   * @returns the exit status (`code`, or that of the main thread's verbs)
   */
  async end(code: number, summary: () => string | undefined, failure: string | null, last: () => string | undefined = () => undefined): Promise<number> {
    if (this.sink !== null && code === 0) {
      this.sink.end();
      const line = summary();
      if (line) this.stderr.write(`sluice: ${line}\n`);
    }
    this.startRest();
    if (this.mainRun !== null) {
      if (!this.restEnded) {
        if (failure !== null) {
          // A malformed record: one thread stops there, its verbs unended (a sort writes nothing). A line
          // the main thread's reader rejects stops them so, after the records before it; its message is dropped.
          this.restErr.dropWith = STOP_LINE;
          this.feed.push(STOP_LINE + '\n');
        }
        this.feed.push(null);
      }
      const c = await this.mainRun;
      // Their head had all it needs before the bad record (they ended without reading the stop line): as one thread, no error.
      if (failure !== null && this.recordFailure && c === 0) {
        failure = null;
        code = 0;
      }
      if (code === 0) code = c;
      if (c === 0) {
        const line = summary();
        if (line) this.stderr.write(`sluice: ${line}\n`);
      }
    }
    // (The text of a malformed record may hold control characters: shown escaped, as one thread does.)
    if (failure !== null) this.stderr.write(`sluice: ${escapeControls(failure)}\n`);
    else if (code === 0) {
      // What one thread's source says last (invalid UTF-8 on a stream: deal.ts).
      const line = last();
      if (line) this.stderr.write(`sluice: ${escapeControls(line)}\n`);
    }
    return new Promise((resolve) => {
      let done = false;
      const settle = (): void => {
        if (done) return;
        done = true;
        // As one thread (engine/run.ts outputFailed): a failed write fails the run with one line
        // (the main thread's runner, when there is one, said it and returned 1 already).
        const e = this.outError;
        if (e === null || this.mainRun !== null) return resolve(code);
        if (e.code !== 'EPIPE') this.stderr.write(`sluice: cannot write output: ${errnoText(e)}\n`);
        resolve(e.code === 'EPIPE' ? 0 : 1);
      };
      this.onOutError = settle;
      if (this.outError !== null) return settle();
      this.restOut.write('', () => this.stdout.write('', settle));
    });
  }
}
