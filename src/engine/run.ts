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
 * Sources (formats/source.ts): regular files, including stdin redirected
 * from one, are read with synchronous 64 KiB reads that yield to the event
 * loop every few chunks; pipes, terminals and injected streams as streams.
 * gzip input (by its magic bytes) is decompressed on the way (sources/gzip.ts).
 */
import fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { InputError, RuntimeError, UsageError, cut, errnoText, escapeControls, ioError, where } from './errors.js';
import { checkFileUses, stdoutWasClosed, type FileUse } from './files.js';
import { subscribeSignals } from './signals.js';
import { RECNO, lineOf, markChanged } from './values.js';
import { CSV_HEADER } from '../formats/csv.js';
import type {
  Batch,
  ErrorSink,
  InputFormat,
  OnErrorMode,
  OutputFormat,
  PipelineContext,
  Reader,
  Stage,
  VerbInstance,
  Writer,
} from './types.js';
import { createReader, createWriter, formatFromPath, sniffFormat } from '../formats/index.js';
import { decodeSummary } from '../formats/decode.js';
import { isRegularFile, isRegularFileFd, type ChunkSource } from '../formats/source.js';
import { FileTail, TailGroup } from '../sources/follow.js';
import { CheckpointSession, type CheckpointOptions } from '../checkpoint/session.js';
import { fileSource, streamSource } from '../sources/gzip.js';

/** Everything the command line decided, ready to run. */
export interface RunOptions {
  /** Source names in order; `-` is stdin. */
  sources: string[];
  inputFormat: InputFormat | 'auto';
  /** Default: the (first) input format. */
  outputFormat?: OutputFormat;
  /** CSV/TSV delimiter for input and output (default `,` / tab). */
  delimiter?: string;
  noHeader: boolean;
  onError: OnErrorMode;
  /** `--errors FILE`: rejected records as NDJSON. */
  errorsFile?: string;
  color: boolean;
  /** `--max-line-bytes` (bytes). */
  maxLineBytes: number;
  /** `--encoding`: input decoding, and with latin1 output encoding too (default utf-8). */
  encoding?: 'utf-8' | 'latin1';
  /** `--strict-csv`: strict RFC 4180 quotes. */
  strictCsv?: boolean;
  verbs: VerbInstance[];
  /**
   * Presentation around the output writer (live snapshot view, charts: src/live/):
   * given a factory of the writer for the output format, the writer to use.
   */
  wrapWriter?: (make: () => Writer) => Writer;
  /**
   * The progress line on stderr (src/live/progress.ts), when one is shown:
   * each source's reader is wrapped by `reader` (it counts bytes and
   * records), and `stop` clears the line when the run finishes.
   */
  progress?: { reader(r: Reader): Reader; stop(): void };
  /** `--follow`: keep reading the --from files as they grow, across rotation and truncation (sources/follow.ts). */
  follow?: boolean;
  /** `--checkpoint FILE`, `--checkpoint-every` (checkpoint/session.ts). */
  checkpoint?: CheckpointOptions;
  /** Streams (injectable for tests). */
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
}

/** True when descriptor `fd` is a directory (`sluice < /tmp`). */
function isDirectoryFd(fd: number): boolean {
  try {
    return fs.fstatSync(fd).isDirectory();
  } catch {
    return false;
  }
}

/** The files a run reads and writes, for checkFileUses (stdin and stdout only when they are the process's own). */
function fileUses(opts: RunOptions): [FileUse[], FileUse[]] {
  const inputs: FileUse[] = [];
  for (const s of opts.sources) {
    if (s !== '-') inputs.push({ what: 'input', file: s });
    else if (opts.stdin === undefined) inputs.push({ what: 'input', file: 0 });
  }
  const outputs: FileUse[] = [];
  if (opts.errorsFile !== undefined) outputs.push({ what: '--errors', file: opts.errorsFile });
  for (const v of opts.verbs) {
    for (const f of v.files?.inputs ?? []) inputs.push({ what: `${v.name} input`, file: f });
    for (const f of v.files?.outputs ?? []) outputs.push({ what: `${v.name} output`, file: f });
  }
  if (opts.stdout === undefined) outputs.push({ what: 'output', file: 1 });
  return [inputs, outputs];
}

/** Read chunk size of streams made for files that are not regular files (bytes); regular files: FILE_CHUNK_BYTES. */
const CHUNK_BYTES = 64 * 1024;

/** Counts and keeps malformed records as SPEC §5 asks. */
class ErrorCollector implements ErrorSink {
  count = 0;
  private fd: number | undefined;
  constructor(
    readonly mode: OnErrorMode,
    private readonly file: string | undefined,
    private readonly stderr: Writable,
    /** Resuming a checkpoint: open for appending, truncated back to this length. */
    resumeLength?: number,
  ) {
    if (file !== undefined) {
      try {
        this.fd = fs.openSync(file, resumeLength !== undefined ? 'a' : 'w');
      } catch (e) {
        throw ioError('cannot open --errors file', file, e);
      }
      if (resumeLength !== undefined) CheckpointSession.truncate(`--errors file ${file}`, this.fd, resumeLength);
    }
  }
  /** The descriptor of --errors FILE (for checkpoints), if any. */
  get errorsFd(): number | undefined {
    return this.fd;
  }
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
  summary(): string | undefined {
    if (this.count === 0) return undefined;
    const s = this.count === 1 ? '' : 's';
    return `${this.count} malformed record${s} ${this.mode === 'warn' ? 'skipped' : 'skipped'}${this.file ? ` (kept in ${this.file})` : ' (use --errors FILE to keep them)'}`;
  }
}

/**
 * A reader whose records never carry RAW text: for a source whose format
 * differs from the first source's (the output's default), whose raw lines
 * would be text of the wrong format.
 */
function withoutRaw(r: Reader): Reader {
  const strip = (b: Batch): Batch => {
    for (let i = 0; i < b.length; i++) {
      const rec = b[i]!;
      markChanged(rec);
      // The CSV header's raw text is of the wrong format too.
      if ((rec as { [CSV_HEADER]?: unknown })[CSV_HEADER] !== undefined) (rec as { [CSV_HEADER]?: unknown })[CSV_HEADER] = undefined;
    }
    return b;
  };
  const guard = (read: () => Batch): Batch => {
    try {
      return strip(read());
    } catch (e) {
      if (e instanceof InputError && e.partial) strip(e.partial);
      throw e;
    }
  };
  return { feed: (chunk) => guard(() => r.feed(chunk)), end: () => guard(() => r.end()) };
}

/**
 * A reader whose records carry their input number (symbol RECNO, for `nr()`),
 * counted in `counter` across all sources; records before a fatal one too.
 */
function withRecordNumbers(r: Reader, counter: { n: number }): Reader {
  const stamp = (b: Batch): Batch => {
    for (let i = 0; i < b.length; i++) (b[i] as { [RECNO]?: number })[RECNO] = ++counter.n;
    return b;
  };
  const guard = (read: () => Batch): Batch => {
    try {
      return stamp(read());
    } catch (e) {
      if (e instanceof InputError && e.partial) stamp(e.partial);
      throw e;
    }
  };
  return { feed: (chunk) => guard(() => r.feed(chunk)), end: () => guard(() => r.end()) };
}

/** The last stage: serialises each batch to one string and writes it. */
class Sink implements Stage {
  writer: Writer | undefined;
  /** Set when a write returned false; cleared on 'drain'. */
  blocked = false;
  constructor(
    private readonly out: Writable,
    private readonly makeWriter: () => Writer,
    /** Called once the whole pipeline has ended (its last output is written or queued). */
    private readonly onEnd: () => void,
    /** `--encoding latin1`: write Latin-1 bytes (so unchanged input bytes come back unchanged). */
    private readonly latin1 = false,
  ) {}
  /** Characters beyond U+00FF written as `?` in Latin-1 output (reported at exit). */
  notLatin1 = 0;
  private w(): Writer {
    return (this.writer ??= this.makeWriter());
  }
  private put(text: string): void {
    if (text.length === 0) return;
    let ok: boolean;
    if (this.latin1) {
      if (/[^\x00-\xff]/.test(text)) {
        text = text.replace(/[\ud800-\udbff][\udc00-\udfff]|[^\x00-\xff]/g, () => {
          this.notLatin1++;
          return '?';
        });
      }
      ok = this.out.write(text, 'latin1');
    } else ok = this.out.write(text);
    if (!ok) this.blocked = true;
  }
  push(batch: Batch): void {
    this.put(this.w().write(batch));
  }
  watermark(): void {}
  end(): void {
    this.put(this.w().end());
    this.onEnd();
  }
}

/**
 * Run a pipeline to completion.
 * @returns the exit status (0, 1, 130 or 143); usage errors are thrown before this is called
 */
export function run(opts: RunOptions): Promise<number> {
  // (process.stdin is only touched when stdin is read as a stream: its getter builds one.)
  const stdin = (): Readable => opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;

  return new Promise<number>((resolve) => {
    let finished = false;
    let exitCode = 0;
    let unsubscribe: () => void = () => {};
    /** stdout failed (outputFailed): EPIPE, or another error (`outputFailure`). */
    let outputGone = false;
    let outputFailure = false;
    const cancels: Array<() => void> = [];
    const summaries: Array<() => string | undefined> = [];
    const openFiles: number[] = [];
    try {
      checkFileUses(...fileUses(opts));
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
      if (opts.checkpoint) cp = new CheckpointSession(opts.checkpoint, opts, (m) => stderr.write(`sluice: ${m}\n`));
      if (cp?.nothingToDo) {
        resolve(0);
        return;
      }
      errors = new ErrorCollector(opts.onError, opts.errorsFile, stderr, opts.errorsFile !== undefined ? cp?.outputLength(opts.errorsFile) : undefined);
      if (cp) errors.count = cp.malformedBefore;
    } catch (e) {
      stderr.write(`sluice: ${escapeControls((e as Error).message)}\n`);
      resolve(e instanceof UsageError ? 2 : 1);
      return;
    }

    let current: ChunkSource | undefined;
    let inputStopped = false;
    let ended = false;
    let firstFormat: InputFormat | undefined;
    let sourceName = '-';
    const lineNumbers = opts.verbs.some((v) => v.needsLineNumbers === true);
    const recordNumbers = opts.verbs.some((v) => v.needsRecordNumbers === true);
    /** The input record count so far, across sources (`nr()`). */
    const recno = { n: 0 };

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
      newWriter(format) {
        const inFmt = firstFormat ?? 'ndjson';
        const outFmt: OutputFormat = format ?? opts.outputFormat ?? (inFmt === 'csvlite' ? 'csv' : inFmt === 'lines' ? 'ndjson' : inFmt);
        return createWriter(outFmt, { delimiter: delimiterFor(outFmt), color: false, inputFormat: inFmt, inputDelimiter: delimiterFor(inFmt) });
      },
      openOutput(path) {
        let fd: number;
        const resumeLength = cp?.outputLength(path);
        try {
          fd = fs.openSync(path, resumeLength !== undefined ? 'a' : 'w');
        } catch (e) {
          throw ioError('cannot open', path, e);
        }
        openFiles.push(fd);
        if (cp) {
          if (resumeLength !== undefined) CheckpointSession.truncate(path, fd, resumeLength);
          cp.addOutput(path, fd);
        }
        return {
          write: (text: string) => {
            try {
              fs.writeSync(fd, text);
            } catch (e) {
              throw ioError('cannot write', path, e);
            }
          },
        };
      },
    };

    const delimiterFor = (f: InputFormat | OutputFormat) => opts.delimiter ?? (f === 'tsv' ? '\t' : ',');
    const sink = new Sink(stdout, () => {
      const inFmt = firstFormat ?? 'ndjson';
      const outFmt: OutputFormat = opts.outputFormat ?? (inFmt === 'csvlite' ? 'csv' : inFmt === 'lines' ? 'ndjson' : inFmt);
      const make = () =>
        createWriter(outFmt, {
          delimiter: delimiterFor(outFmt),
          color: opts.color,
          inputFormat: inFmt,
          inputDelimiter: delimiterFor(inFmt),
        });
      return opts.wrapWriter ? opts.wrapWriter(make) : make();
    }, () => finish(true), opts.encoding === 'latin1');
    summaries.push(() =>
      sink.notLatin1 > 0 ? `${sink.notLatin1} character${sink.notLatin1 === 1 ? '' : 's'} beyond Latin-1 written as '?' (--encoding latin1)` : undefined,
    );

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
      if (cp && ok) {
        try {
          cp.final(exitCode === 0);
        } catch (e) {
          stderr.write(`sluice: ${(e as Error).message}\n`);
          exitCode = 1;
        }
      }
      for (const fd of openFiles) {
        try {
          fs.closeSync(fd);
        } catch {
          /* already closed */
        }
      }
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

    /**
     * `--follow` / `--checkpoint`: the --from files as FileTails (sources/follow.ts),
     * each with its reader; concurrently when following, else one after the other.
     */
    const startTails = (): void => {
      const tails: FileTail[] = [];
      const readers: Array<Reader | undefined> = [];
      const sniffed: string[] = [];
      /** Lines of a source whose reader has ended (for its checkpoint position). */
      const endLines: number[] = [];
      for (let i = 0; i < opts.sources.length; i++) {
        const name = opts.sources[i]!;
        const t = new FileTail(name, opts.follow === true, opts.encoding === 'latin1' ? 'latin1' : 'utf8');
        try {
          t.open(cp?.startOf(i));
        } catch (e) {
          for (const o of tails) o.stop();
          fail(ioError('cannot read', name, e));
          return;
        }
        if (t.isGzip()) {
          t.stop();
          for (const o of tails) o.stop();
          fail(new UsageError(`${opts.follow ? '--follow' : '--checkpoint'}: ${name} is gzip-compressed: it cannot be ${opts.follow ? 'followed' : 'resumed at an offset'} (read it with zcat ... | sluice)`));
          return;
        }
        tails.push(t);
        readers.push(undefined);
        sniffed.push('');
        endLines.push(cp?.startOf(i).line ?? 0);
      }
      const fixed = (name: string): InputFormat | undefined => (opts.inputFormat !== 'auto' ? opts.inputFormat : formatFromPath(name));
      const newReader = (i: number, fmt: InputFormat, resumeLine: number): Reader => {
        firstFormat ??= fmt;
        const name = opts.sources[i]!;
        const r = createReader(fmt, {
          source: name,
          errors,
          delimiter: opts.delimiter ?? (fmt === 'tsv' ? '\t' : ','),
          noHeader: opts.noHeader,
          maxLineBytes: opts.maxLineBytes,
          strictCsv: opts.strictCsv,
          lineNumbers,
        });
        if (cp) cp.checkReader(name, fmt, r);
        if (resumeLine > 0) r.resumeAt?.(resumeLine);
        return fmt === firstFormat ? r : withoutRaw(r);
      };
      const feed = (i: number, chunk: string, atEnd: boolean): void => {
        let r = readers[i];
        if (r === undefined) {
          const name = opts.sources[i]!;
          const f = fixed(name);
          if (f === undefined) {
            sniffed[i] += chunk;
            if (!atEnd && !/[^\s\ufeff]/.test(sniffed[i]!)) return;
            chunk = sniffed[i]!;
            sniffed[i] = '';
          }
          // Resuming inside a file: its line count goes on (and no BOM is looked for).
          const start = cp?.startOf(i);
          const line = start !== undefined && (start.offset > 0 || start.via !== undefined) ? start.line : 0;
          if (!guard(() => (r = readers[i] = newReader(i, f ?? sniffFormat(chunk), line)))) return;
        }
        const rr = r!;
        let batch: Batch = [];
        sourceName = opts.sources[i]!;
        if (chunk !== '' && !guard(() => (batch = keepingPartial(() => rr.feed(chunk))))) return;
        if (batch.length > 0 && !guard(() => pipeline.push(batch))) return;
        if (atEnd) {
          if (!guard(() => (batch = keepingPartial(() => rr.end())))) return;
          if (batch.length > 0 && !guard(() => pipeline.push(batch))) return;
          endLines[i] = rr.position?.()?.line ?? 0;
          readers[i] = undefined;
        }
        afterPush();
      };
      cp?.setSources({
        count: tails.length,
        position(i) {
          const t = tails[i]!;
          const r = readers[i];
          const p = r === undefined ? { pending: sniffed[i]!, line: endLines[i]! } : (r.position?.() ?? null);
          if (p === null) return null;
          return { tail: t, pendingBytes: Buffer.byteLength(p.pending, 'utf8'), line: p.line };
        },
      });
      const group = new TailGroup(
        tails,
        opts.follow === true,
        (i) => ({
          data(chunk) {
            if (finished || ended) return;
            feed(i, chunk, false);
            if (!finished && !ended && cp) guard(() => cp!.afterChunk(sink.blocked));
          },
          fileEnd(last) {
            if (finished || ended) return;
            feed(i, '', true);
            cp?.fileDone(i, last);
          },
          restart() {
            readers[i] = undefined;
            sniffed[i] = '';
            endLines[i] = 0;
            cp?.fileRestarted(i);
          },
          note(m) {
            stderr.write(`sluice: ${m}\n`);
          },
          error(e) {
            fail(new RuntimeError(`cannot read ${opts.sources[i]!}: ${e.code ?? e.message}`));
          },
        }),
        () => {
          current = undefined;
          if (!ended && !finished) endPipeline();
        },
      );
      current = group;
      cp?.startTimer(() => !finished && !ended && !sink.blocked, fail);
      group.run();
    };

    let srcIndex = 0;
    const nextSource = (): void => {
      if (finished || ended) return;
      if (srcIndex >= opts.sources.length || inputStopped) {
        endPipeline();
        return;
      }
      const name = opts.sources[srcIndex++]!;
      let source: ChunkSource;
      if (name === '-') {
        if (opts.stdin === undefined && isDirectoryFd(0)) {
          fail(new RuntimeError('cannot read stdin: is a directory'));
          return;
        }
        // stdin redirected from a regular file is read like one (see formats/source.ts).
        source =
          opts.stdin === undefined && isRegularFileFd(0) ? fileSource(0, false, opts.encoding) : streamSource(stdin(), true, opts.encoding);
      } else {
        try {
          fs.accessSync(name, fs.constants.R_OK);
          if (fs.statSync(name).isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR', errno: -21 });
        } catch (e) {
          fail(ioError('cannot read', name, e));
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
          fd >= 0 ? fileSource(fd, true, opts.encoding) : streamSource(fs.createReadStream(name, { highWaterMark: CHUNK_BYTES }), false, opts.encoding);
      }
      current = source;
      sourceName = name;
      if (source.decodeReport) {
        const report = source.decodeReport.bind(source);
        summaries.push(() => decodeSummary(name, report()));
      }
      let reader: Reader | undefined;
      let pending = '';
      const fixedFormat: InputFormat | undefined =
        opts.inputFormat !== 'auto' ? opts.inputFormat : name !== '-' ? formatFromPath(name) : undefined;
      const makeReader = (fmt: InputFormat) => {
        firstFormat ??= fmt;
        const r = createReader(fmt, {
          source: name,
          errors,
          delimiter: opts.delimiter ?? (fmt === 'tsv' ? '\t' : ','),
          noHeader: opts.noHeader,
          maxLineBytes: opts.maxLineBytes,
          strictCsv: opts.strictCsv,
          lineNumbers,
        });
        // The writer copies RAW text only for records of the first source's format.
        const kept = fmt === firstFormat ? r : withoutRaw(r);
        const numbered = recordNumbers ? withRecordNumbers(kept, recno) : kept;
        return opts.progress ? opts.progress.reader(numbered) : numbered;
      };
      if (fixedFormat) reader = makeReader(fixedFormat);

      source.start({
        data(chunk: string) {
          if (finished || ended) return;
          if (!reader) {
            // Sniff: wait for the first non-blank character.
            pending += chunk;
            if (!/[^\s\ufeff]/.test(pending)) return;
            reader = makeReader(sniffFormat(pending));
            chunk = pending;
            pending = '';
          }
          const r = reader!;
          let batch: Batch = [];
          if (!guard(() => (batch = keepingPartial(() => r.feed(chunk))))) return;
          if (batch.length > 0 && !guard(() => pipeline.push(batch))) return;
          afterPush();
        },
        end() {
          if (finished || ended) return;
          if (!reader && pending !== '') reader = makeReader(sniffFormat(pending));
          if (reader) {
            const r = reader!;
            let batch: Batch = [];
            if (!guard(() => (batch = keepingPartial(() => r.feed(pending))))) return;
            if (batch.length > 0 && !guard(() => pipeline.push(batch))) return;
            if (!guard(() => (batch = keepingPartial(() => r.end())))) return;
            if (batch.length > 0 && !guard(() => pipeline.push(batch))) return;
          }
          current = undefined;
          afterPush();
          if (!ended && !finished) nextSource();
        },
        error(e: NodeJS.ErrnoException) {
          fail(ioError('cannot read', name, e));
        },
      });
    };
    if (opts.follow || cp) startTails();
    else nextSource();
  });
}
