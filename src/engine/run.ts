/**
 * The runner: reads the sources chunk by chunk, feeds each chunk's records as
 * one batch through the compiled pipeline, writes one string per batch, and
 * honours backpressure, `head`'s early stop, timers, signals and exit status.
 *
 * Backpressure: the sink remembers when `write()` returned false; the runner
 * then pauses the source until the output stream emits `drain`. So at most
 * one input chunk plus the output stream's buffer (16 KiB high-water mark for
 * pipes, plus the one batch over it) is in flight, whatever the input size.
 *
 * This file holds the run's life cycle (start checks, the pipeline context,
 * failures, signals, the end); the rest is beside it, each imported downward:
 * - engine/options.ts: RunOptions, and the files a run names;
 * - engine/malformed.ts: ErrorCollector (--on-error, --errors FILE);
 * - engine/readers.ts: one reader per source (RAW text, `nr()`, progress);
 * - engine/output.ts: the output format and writer, the Sink (writes,
 *   backpressure, Latin-1), output files opened by stages;
 * - sources/sequential.ts: the input loop of a plain run (files and stdin one
 *   after the other: formats/source.ts, gzip by sources/gzip.ts);
 * - sources/tailing.ts: the input loop of --follow and --checkpoint
 *   (FileTails of sources/follow.ts, positions for the checkpoint);
 * - checkpoint/session.ts: the checkpoint of a --checkpoint run.
 */
import type { Writable } from 'node:stream';
import { InputError, RuntimeError, UsageError, errnoText, escapeControls } from './errors.js';
import { checkFileUses, stdoutWasClosed } from './files.js';
import { subscribeSignals } from './signals.js';
import { lineOf } from './values.js';
import type { Batch, PipelineContext, Stage } from './types.js';
import { runFileUses, type RunOptions } from './options.js';
import { ErrorCollector } from './malformed.js';
import { SourceReaders } from './readers.js';
import { OutputFiles, Sink, makeWriter, outputFormatFor } from './output.js';
import type { InputLoop } from './loop.js';
import type { ChunkSource } from '../formats/source.js';
import { readSequentially } from '../sources/sequential.js';
import type { CheckpointSession } from '../checkpoint/session.js';

export type { RunOptions } from './options.js';

/** checkpoint/session.ts's CheckpointSession, once a --checkpoint run has loaded it. */
let Session: typeof CheckpointSession | undefined;
/** sources/tailing.ts's input loop, once a --follow or --checkpoint run has loaded it. */
let readTails: typeof import('../sources/tailing.js').readTails | undefined;

/**
 * Run a pipeline to completion.
 * @returns the exit status (0, 1, 130 or 143); usage errors are thrown before this is called
 */
export function run(opts: RunOptions): Promise<number> {
  // The checkpoint and file-tailing code is loaded only by the runs that use it (start-up of the others).
  if ((opts.checkpoint && Session === undefined) || ((opts.follow || opts.checkpoint) && readTails === undefined)) {
    return Promise.all([opts.checkpoint ? import('../checkpoint/session.js') : undefined, import('../sources/tailing.js')]).then(([s, t]) => {
      if (s) Session = s.CheckpointSession;
      readTails = t.readTails;
      return run(opts);
    });
  }
  const stdout: Writable = opts.stdout ?? process.stdout;
  const stderr: Writable = opts.stderr ?? process.stderr;

  return new Promise<number>((resolve) => {
    let finished = false;
    let exitCode = 0;
    let unsubscribe: () => void = () => {};
    /** stdout failed (outputFailed): EPIPE, or another error (`outputFailure`). */
    let outputGone = false;
    let outputFailure = false;
    const cancels: Array<() => void> = [];
    const summaries: Array<() => string | undefined> = [];
    try {
      checkFileUses(...runFileUses(opts));
    } catch (e) {
      stderr.write(`sluice: ${escapeControls((e as Error).message)}\n`);
      resolve(2);
      return;
    }
    if (opts.stdout === undefined && stdoutWasClosed()) {
      stderr.write('sluice: cannot write output: stdout is closed\n');
      resolve(1);
      return;
    }
    let errors: ErrorCollector;
    let cp: CheckpointSession | undefined;
    try {
      // A checkpoint is read (and checked) before any output file is opened.
      if (opts.checkpoint) cp = new Session!(opts.checkpoint, opts, (m) => stderr.write(`sluice: ${m}\n`));
      if (cp?.nothingToDo) {
        resolve(0);
        return;
      }
      errors = new ErrorCollector(opts.onError, opts.errorsFile, stderr, opts.errorsFile !== undefined ? cp?.outputLength(opts.errorsFile) : undefined, cp);
      if (cp) errors.count = cp.malformedBefore;
    } catch (e) {
      stderr.write(`sluice: ${escapeControls((e as Error).message)}\n`);
      resolve(e instanceof UsageError ? 2 : 1);
      return;
    }

    let current: ChunkSource | undefined;
    let inputStopped = false;
    let ended = false;
    let sourceName = '-';
    const readers = new SourceReaders(opts, errors);
    if (cp && readers.numbersRecords) {
      readers.recno.n = cp.recordsBefore;
      cp.setRecordCount(() => readers.recno.n);
    }
    const outputFiles = new OutputFiles(cp);

    const ctx: PipelineContext = {
      errors,
      stopInput() {
        inputStopped = true;
      },
      every(ms, fn) {
        const t = setInterval(() => {
          if (finished || ended) return;
          cp?.touch();
          guard(fn);
          afterPush();
        }, ms);
        t.unref();
        const cancel = () => clearInterval(t);
        cancels.push(cancel);
        return cancel;
      },
      now: () => Date.now(),
      followSources: opts.follow === true ? opts.sources : undefined,
      outputBlocked: () => sink.blocked,
      whenDrained(fn) {
        if (!sink.blocked) {
          guard(fn);
          return;
        }
        stdout.once('drain', () => {
          sink.blocked = false;
          if (!finished) guard(fn);
        });
      },
      locate: (rec) => ({ source: sourceName, line: lineOf(rec) }),
      warn(message) {
        stderr.write(`sluice: ${escapeControls(message)}\n`);
      },
      summary(fn) {
        summaries.push(fn);
      },
      sources: opts.sources,
      checkpointFiles: cp?.files,
      newWriter(format) {
        const inFmt = readers.firstFormat ?? 'ndjson';
        return makeWriter(opts, inFmt, format ?? outputFormatFor(inFmt, opts.outputFormat), false);
      },
      openOutput: (path) => outputFiles.open(path),
      sinkWritesJsonTextOnly: () => opts.wrapWriter === undefined && outputFormatFor(readers.firstFormat ?? 'ndjson', opts.outputFormat) === 'ndjson',
    };

    const sink = new Sink(
      stdout,
      () => {
        const inFmt = readers.firstFormat ?? 'ndjson';
        const make = () => makeWriter(opts, inFmt, outputFormatFor(inFmt, opts.outputFormat), opts.color);
        const w = opts.wrapWriter ? opts.wrapWriter(make) : make();
        // Resuming: the output already holds what the saved writer wrote (a CSV header).
        cp?.restoreWriter(w);
        return w;
      },
      () => finish(true),
      opts.encoding === 'latin1',
    );
    summaries.push(() => sink.summary());

    // Build the stages from the end backwards.
    let head: Stage = sink;
    const stages: Stage[] = [];
    try {
      for (let i = opts.verbs.length - 1; i >= 0; i--) {
        head = opts.verbs[i]!.build(head, ctx, { verbs: opts.verbs, index: i });
        stages[i] = head;
      }
      // Stage state restored, stdout truncated back: still before any input is read.
      cp?.attach(stages, errors, stdout === process.stdout ? 1 : undefined);
    } catch (e) {
      fail(e);
      return;
    }
    const pipeline = head;

    /**
     * Read with `read` (a reader's feed or end); on a fatal malformed record,
     * first push the records completed before it, so output stops exactly at the bad line.
     */
    function keepingPartial(read: () => Batch): Batch {
      try {
        return read();
      } catch (e) {
        if (e instanceof InputError && e.partial && e.partial.length > 0) {
          const partial = e.partial;
          e.partial = undefined;
          pipeline.push(partial);
          // head had all it needs before the bad record: it is past the input read, as for -j (was exit 1 when they shared a chunk).
          if (inputStopped) return [];
        }
        throw e;
      }
    }

    function guard(fn: () => void): boolean {
      try {
        fn();
        return true;
      } catch (e) {
        fail(e);
        return false;
      }
    }

    function fail(e: unknown): void {
      if (finished) return;
      if (e instanceof InputError || e instanceof RuntimeError || e instanceof UsageError) {
        stderr.write(`sluice: ${escapeControls(e.message)}\n`);
        if (e instanceof UsageError && e.detail) stderr.write(e.detail + '\n');
        exitCode = e instanceof UsageError ? 2 : 1;
      } else {
        // A bug: still one line, but with enough to report it.
        const err = e as Error;
        if (err instanceof RangeError && /call stack/i.test(err.message)) {
          stderr.write(`sluice: a record is nested too deeply to process (${err.message})\n`);
        } else if (typeof (err as NodeJS.ErrnoException)?.code === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string') {
          // A system error no caller turned into words: still in words, with the path when Node gives one.
          const ee = err as NodeJS.ErrnoException;
          stderr.write(`sluice: ${escapeControls(`${ee.path ? ee.path + ': ' : ''}${errnoText(ee)}`)}\n`);
        } else stderr.write(`sluice: internal error: ${escapeControls(err?.message ?? String(e))}\n`);
        if (process.env.SLUICE_DEBUG) stderr.write(String(err?.stack) + '\n');
        exitCode = 1;
      }
      finish(false);
    }

    /** After any push: stop early for head, pause for backpressure. */
    function afterPush(): void {
      if (finished) return;
      if (inputStopped && !ended) {
        endPipeline();
        return;
      }
      if (sink.blocked && current && !current.isPaused()) {
        current.pause();
        stdout.once('drain', () => {
          sink.blocked = false;
          if (!finished && current && !inputStopped) current.resume();
        });
      }
    }

    function endPipeline(): void {
      if (ended) return;
      ended = true;
      for (const c of cancels) c();
      current?.stop();
      // The sink's end() calls finish(true); a stage may defer its last output until stdout drains.
      guard(() => pipeline.end());
    }

    function finish(ok: boolean): void {
      if (finished) return;
      finished = true;
      opts.progress?.stop();
      for (const c of cancels) c();
      current?.stop();
      // The last checkpoint: at the end of input, the run is finished; on a signal, it resumes.
      // (A signal while the stages write their last output after end of input: the
      // state is half written out, so the checkpoint before the end stands.)
      if (cp && ok && (exitCode === 0 || !ended)) {
        try {
          cp.final(exitCode === 0);
        } catch (e) {
          stderr.write(`sluice: ${(e as Error).message}\n`);
          exitCode = 1;
        }
      }
      outputFiles.closeAll();
      errors.close();
      if (ok) {
        for (const s of [() => errors.summary(), ...summaries]) {
          const line = s();
          if (line) stderr.write(`sluice: ${escapeControls(line)}\n`);
        }
      }
      // Wait until stdout has taken everything, then report (a failed last write fails the run).
      stdout.write('', (err) => {
        if (err && !outputGone) outputFailed(err);
        unsubscribe();
        resolve(outputGone ? (outputFailure ? 1 : 0) : exitCode);
      });
    }

    /** stdout refused a write: EPIPE (the reader went away) is a quiet stop; anything else fails the run. */
    function outputFailed(e: NodeJS.ErrnoException): void {
      if (outputGone) return;
      outputGone = true;
      if (e.code !== 'EPIPE') {
        outputFailure = true;
        stderr.write(`sluice: cannot write output: ${errnoText(e)}\n`);
      }
      if (!finished) {
        finished = true;
        for (const c of cancels) c();
        current?.stop();
        errors.close();
      }
      unsubscribe();
      // (`sluice ... | head -1`: status 0, quietly; any other failed write: 1, whenever it happens.)
      resolve(outputFailure ? 1 : 0);
    }
    stdout.on('error', outputFailed);

    unsubscribe = subscribeSignals((sig) => {
      if (exitCode === 0) exitCode = sig === 'SIGINT' ? 130 : 143;
      if (finished) return;
      inputStopped = true;
      if (cp && !ended) {
        // With --checkpoint, open windows are not closed: the checkpoint keeps them for the next run.
        current?.stop();
        finish(true);
        return;
      }
      endPipeline();
    });

    const loop: InputLoop = {
      closed: () => finished || ended,
      stopRequested: () => inputStopped,
      readers,
      pump(read) {
        let batch: Batch = [];
        if (!guard(() => (batch = keepingPartial(read)))) return false;
        return batch.length === 0 || guard(() => pipeline.push(batch));
      },
      afterPush,
      guard,
      fail,
      setCurrent(source) {
        current = source;
      },
      setSourceName(name) {
        sourceName = name;
      },
      endInput: endPipeline,
      summary(fn) {
        summaries.push(fn);
      },
      note(message) {
        stderr.write(`sluice: ${message}\n`);
      },
      outputBlocked: () => sink.blocked,
    };
    cp?.setWriter(() => sink.writer);
    if (opts.follow || cp) readTails!(opts, loop, cp);
    else readSequentially(opts, loop);
  });
}
