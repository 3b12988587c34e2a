/**
 * A run with `--checkpoint FILE`: reads the checkpoint at start (before any
 * output is opened), restores the stages and truncates the outputs back,
 * then writes a new checkpoint every `--checkpoint-every` (between chunks,
 * never inside a batch, and only while the output is not blocked), on
 * SIGINT/SIGTERM, and at the end of input.
 *
 * What is consistent at a checkpoint: every record of the bytes before each
 * source's offset has gone through the whole pipeline (the readers' unfinished
 * lines are read again on resume), every stage's state reflects exactly those
 * records, and every output file holds exactly what they produced (stdout
 * into a regular file, --errors and --late-output are written synchronously,
 * so their lengths are exact). Into a pipe, what was written after the last
 * checkpoint is written again after a crash: at least once.
 *
 * Which stages can be checkpointed: those with `Stage.snapshot`/`restore`
 * (agg, head, tail, top, uniq, sample, sort, over, fill-down, unsparsify, and the
 * window kinds and windowed aggregations). A pipeline with a stateful verb whose stage has no
 * snapshot is refused (exit 2) rather than losing its state silently.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ErrorSink, Reader, Stage, VerbInstance, Writer } from '../engine/types.js';
import { RuntimeError, UsageError } from '../engine/errors.js';
import type { FileTail } from '../sources/follow.js';
import { type CheckpointData, type SourcePosition, readCheckpoint, removeStaleTemps, writeCheckpoint } from './file.js';
import { fingerprintDiff, fingerprintOf } from './fingerprint.js';
import { type ResumePoint, resumePoint, truncateOutput } from './resume.js';
import { KeptFiles } from './keep.js';

/** `--checkpoint FILE --checkpoint-every DUR`. */
export interface CheckpointOptions {
  file: string;
  /** Milliseconds between checkpoints; 0: after every chunk of input that was processed. */
  everyMs: number;
}

/** The key of stdout in CheckpointData.outputs. */
export const STDOUT_KEY = '<stdout>';

/** What the runner tells the session about its sources. */
export interface SourceAccess {
  count: number;
  /** Source `i`: its tail, the UTF-8 bytes its reader holds unparsed, its line count, its reader's state; null when it cannot resume from here. */
  position(i: number): { tail: FileTail; pendingBytes: number; line: number; state?: unknown } | null;
}

/** Figures of the last checkpoint written (for `SLUICE_DEBUG` and benchmarks). */
export interface CheckpointStats {
  writes: number;
  lastBytes: number;
  lastMs: number;
}

/** See the module comment. */
export class CheckpointSession {
  /** The checkpoint read at start, if any. */
  readonly saved: CheckpointData | undefined;
  /** The saved run had finished and no source has grown since: nothing to do. */
  readonly nothingToDo: boolean = false;
  /** Malformed records counted before the checkpoint. */
  readonly malformedBefore: number = 0;
  /** Input records numbered (`nr()`) before the checkpoint. */
  readonly recordsBefore: number = 0;
  readonly stats: CheckpointStats = { writes: 0, lastBytes: 0, lastMs: 0 };
  /** Files kept beside the checkpoint (sort's runs): `FILE.files/`. */
  readonly files: KeptFiles;
  private readonly starts: ResumePoint[] = [];
  private readonly outputs = new Map<string, number>();
  private readonly verbs: VerbInstance[];
  private stages: Stage[] = [];
  private errors: (ErrorSink & { errorsFd?: number }) | undefined;
  private errorsFile: string | undefined;
  private stdoutFd: number | undefined;
  private sources: SourceAccess | undefined;
  private readonly done: boolean[] = [];
  private activity = 0;
  private writtenActivity = -1;
  private lastWrite = Date.now();
  private timer: NodeJS.Timeout | undefined;
  /** The saved stages are restored (the saved run was not finished). */
  private readonly restoreStages: boolean;

  /**
   * Read and check the checkpoint (if FILE exists).
   * @param o    the checkpoint options
   * @param run  the run's options (for the fingerprint)
   * @param note writes a note on stderr
   * @throws UsageError (exit 2): a damaged checkpoint, another pipeline
   */
  constructor(
    private readonly o: CheckpointOptions,
    run: {
      inputFormat: string;
      outputFormat?: string;
      delimiter?: string;
      noHeader: boolean;
      sources: string[];
      follow?: boolean;
      verbs: VerbInstance[];
      errorsFile?: string;
    },
    private readonly note: (message: string) => void,
  ) {
    this.verbs = run.verbs;
    this.errorsFile = run.errorsFile;
    this.files = new KeptFiles(o.file);
    const fp = fingerprintOf(run);
    this.fingerprint = fp;
    this.saved = readCheckpoint(o.file);
    removeStaleTemps(o.file);
    // Found now, not at the first checkpoint: a directory the checkpoint cannot be written to.
    try {
      fs.accessSync(path.dirname(path.resolve(o.file)), fs.constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new RuntimeError(`--checkpoint: cannot write ${o.file}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : (code ?? (e as Error).message)}`);
    }
    this.restoreStages = false;
    const saved = this.saved;
    if (saved === undefined) return;
    const diff = fingerprintDiff(saved.fingerprint, fp);
    if (diff !== undefined) {
      throw new UsageError(`--checkpoint: ${o.file} was written by another pipeline: ${diff} (use another checkpoint file, or remove it to start afresh)`);
    }
    for (let i = 0; i < run.sources.length; i++) {
      const s = saved.sources[i];
      this.starts.push(s !== undefined && s.path === run.sources[i] ? resumePoint(s, note) : { offset: 0, line: 0, unchanged: false });
    }
    if (saved.finished && this.starts.every((p) => p.unchanged) && !run.follow) {
      note(`--checkpoint: the run of ${o.file} finished and its sources have not grown since: nothing to do`);
      this.nothingToDo = true;
      return;
    }
    this.restoreStages = !saved.finished;
    this.malformedBefore = saved.finished ? 0 : typeof saved.malformed === 'number' ? saved.malformed : 0;
    // Numbers go on across a finished run too: a resumed source goes on at its offset, so nr() stays the record's number in the input.
    this.recordsBefore = typeof saved.records === 'number' ? saved.records : 0;
  }
  private readonly fingerprint: ReturnType<typeof fingerprintOf>;

  /** Truncate an output file back to its checkpointed length (see resume.ts). */
  static truncate(what: string, fd: number, len: number): void {
    truncateOutput(what, fd, len, false);
  }

  /** The same as an instance method, for code that holds a session but does not import this module's value (engine/ loads it only for --checkpoint). */
  truncateTo(what: string, fd: number, len: number): void {
    truncateOutput(what, fd, len, false);
  }

  /** The checkpointed length of output file `path` (--errors, --late-output), or undefined on a first run. */
  outputLength(path: string): number | undefined {
    const v = this.saved?.outputs[path];
    return typeof v === 'number' ? v : this.saved !== undefined ? 0 : undefined;
  }

  /** An output file a stage opened (its length goes into each checkpoint). */
  addOutput(path: string, fd: number): void {
    this.outputs.set(path, fd);
  }

  /** Where source `i` starts. */
  startOf(i: number): ResumePoint {
    return this.starts[i] ?? { offset: 0, line: 0, unchanged: false };
  }

  /**
   * After the stages are built, before input: check that every stateful stage
   * can be checkpointed, restore their state, truncate stdout back.
   * @param stages   the stage of each verb, in order
   * @param errors   the error sink (its count and --errors descriptor)
   * @param stdoutFd 1 when stdout is the process's, else undefined
   * @throws UsageError (exit 2)
   */
  attach(stages: Stage[], errors: ErrorSink & { errorsFd?: number }, stdoutFd: number | undefined): void {
    this.stages = stages;
    this.errors = errors;
    const lacking: string[] = [];
    this.verbs.forEach((v, i) => {
      const st = stages[i]!;
      if (!v.recordWise && (typeof st.snapshot !== 'function' || typeof st.restore !== 'function')) lacking.push(`${v.name} ${describe(v)}`.trim());
    });
    if (lacking.length > 0) {
      throw new UsageError(
        `--checkpoint: the state of ${lacking.map((l) => `'${l}'`).join(', ')} cannot be checkpointed yet, so a restart would lose it ` +
          `(checkpointed: window, agg, head, tail, top, sort, uniq, sample, over, fill-down, unsparsify, tee, split and the record-wise verbs; see 'man sluice', FOLLOW AND CHECKPOINTS)`,
      );
    }
    const saved = this.saved;
    if (saved !== undefined && this.restoreStages) {
      this.verbs.forEach((v, i) => {
        const state = saved.stages[i];
        if (state === null || state === undefined) return;
        try {
          stages[i]!.restore!(state);
        } catch (e) {
          throw new UsageError(`--checkpoint: ${this.o.file} is damaged: the state of verb ${i + 1} (${v.name}) cannot be restored: ${(e as Error).message}`);
        }
      });
    }
    if (stdoutFd !== undefined && isRegularFd(stdoutFd)) {
      this.stdoutFd = stdoutFd;
      const len = saved?.outputs[STDOUT_KEY];
      if (typeof len === 'number') truncateOutput('stdout', stdoutFd, len, true);
    }
  }

  /** A reader for a source: it must be able to say its position. @throws UsageError otherwise */
  checkReader(name: string, format: string, r: Reader): void {
    if (typeof r.position !== 'function' || typeof r.resumeAt !== 'function') {
      throw new UsageError(`--checkpoint: ${format} input (${name}) cannot be checkpointed yet; NDJSON, CSV, TSV, logfmt and lines input can`);
    }
  }

  /** The count of input records numbered so far (`nr()`), saved with each checkpoint. */
  setRecordCount(get: () => number): void {
    this.recordCount = get;
  }
  private recordCount: (() => number) | undefined;

  /** The output writer, once made (its state goes into each checkpoint). */
  setWriter(get: () => Writer | undefined): void {
    this.writer = get;
  }
  private writer: (() => Writer | undefined) | undefined;

  /**
   * The output writer was made: on a resumed run it goes on from the saved
   * writer's state (a CSV header already in the output is not written again).
   * @throws UsageError (exit 2) on a damaged state
   */
  restoreWriter(w: Writer): void {
    const st = this.saved?.writer;
    if (st === undefined || this.nothingToDo) return;
    if (typeof w.restore !== 'function') throw new UsageError(`--checkpoint: ${this.o.file} was written with another output format`);
    try {
      w.restore(st);
    } catch (e) {
      throw new UsageError(`--checkpoint: ${this.o.file} is damaged: the output writer's state cannot be restored: ${(e as Error).message}`);
    }
  }

  /** The runner's sources. */
  setSources(s: SourceAccess): void {
    this.sources = s;
  }

  /** Something changed the state (a timer fired, a chunk was processed). */
  touch(): void {
    this.activity++;
  }

  /** Source `i` was read to its end (`last`: for good, not a rotation). */
  fileDone(i: number, last: boolean): void {
    if (last) this.done[i] = true;
  }

  /** Source `i` starts again at 0 (a new file after rotation, or truncation). */
  fileRestarted(i: number): void {
    this.starts[i] = { offset: 0, line: 0, unchanged: false };
  }

  /** After a chunk went through the pipeline: checkpoint if one is due and output is not blocked. */
  afterChunk(blocked: boolean): void {
    this.activity++;
    if (blocked) return;
    if (this.o.everyMs === 0 || Date.now() - this.lastWrite >= this.o.everyMs) this.tryWrite(false);
  }

  /**
   * A timer for quiet times (a follow waiting for data, wall-clock windows):
   * writes a checkpoint every period when something changed, if `canWrite()`.
   */
  startTimer(canWrite: () => boolean, onError: (e: unknown) => void): void {
    const period = Math.max(this.o.everyMs, 1000);
    this.timer = setInterval(() => {
      if (this.activity !== this.writtenActivity && Date.now() - this.lastWrite >= this.o.everyMs && canWrite()) {
        try {
          this.tryWrite(false);
        } catch (e) {
          onError(e);
        }
      }
    }, period);
    this.timer.unref();
  }

  /**
   * The last checkpoint of the run: `finished` at the end of input (every
   * window was closed and written), else (a signal) with the open state.
   * @throws RuntimeError when it cannot be written
   */
  final(finished: boolean): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.tryWrite(finished) && this.sources !== undefined) {
      this.note(`--checkpoint: a reader was inside an overlong line; ${this.o.file} keeps the previous checkpoint`);
    } else if (finished) this.files.removeAll();
  }

  /** Write a checkpoint now if every reader is at a point it can resume from. @throws RuntimeError on a write error */
  private tryWrite(finished: boolean): boolean {
    // (Timed with the stages' snapshots: sort appends to its journal then.)
    const t0 = performance.now();
    const data = this.collect(finished);
    if (data === null) return false;
    try {
      this.stats.lastBytes = writeCheckpoint(this.o.file, data);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new RuntimeError(`--checkpoint: cannot write ${this.o.file}: ${err.code === 'ENOSPC' ? 'no space left on device' : (err.code ?? err.message)}`);
    }
    this.stats.lastMs = performance.now() - t0;
    this.stats.writes++;
    this.lastWrite = Date.now();
    this.writtenActivity = this.activity;
    if (process.env.SLUICE_DEBUG) process.stderr.write(`sluice: checkpoint ${this.o.file}: ${this.stats.lastBytes} bytes in ${this.stats.lastMs.toFixed(1)} ms\n`);
    return true;
  }

  /** Everything a checkpoint holds now, or null when a reader cannot resume from here. */
  collect(finished: boolean): CheckpointData | null {
    const sources: SourcePosition[] = [];
    const access = this.sources;
    // (A signal before the sources were opened: nothing was read, the previous checkpoint stands.)
    if (access === undefined) return null;
    for (let i = 0; i < access.count; i++) {
      const p = access.position(i);
      if (p === null) return null;
      const id = p.tail.fileIdentity();
      sources.push({
        path: p.tail.path,
        ...id,
        offset: p.tail.delivered() - p.pendingBytes,
        line: p.line,
        done: this.done[i] === true,
        ...(p.state !== undefined ? { reader: p.state } : {}),
      });
    }
    const outputs: Record<string, number> = Object.create(null) as Record<string, number>;
    if (this.stdoutFd !== undefined) outputs[STDOUT_KEY] = fs.fstatSync(this.stdoutFd).size;
    const efd = this.errors?.errorsFd;
    if (efd !== undefined && this.errorsFile !== undefined) outputs[this.errorsFile] = fs.fstatSync(efd).size;
    for (const [path, fd] of this.outputs) outputs[path] = fs.fstatSync(fd).size;
    // A writer not made yet in this run has written nothing: the saved state still holds.
    const w = this.writer?.();
    const writerState = w !== undefined ? w.snapshot?.() : this.saved?.writer;
    return {
      version: 1,
      written: new Date().toISOString(),
      finished,
      fingerprint: this.fingerprint,
      sources,
      malformed: this.errors?.count ?? 0,
      ...(this.recordCount !== undefined ? { records: this.recordCount() } : {}),
      outputs,
      stages: finished ? [] : this.stages.map((st) => (typeof st.snapshot === 'function' ? (st.snapshot() ?? null) : null)),
      ...(writerState !== undefined ? { writer: writerState } : {}),
    };
  }
}

function isRegularFd(fd: number): boolean {
  try {
    return fs.fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

function describe(v: VerbInstance): string {
  const e = v.explain as Record<string, unknown>;
  return typeof e.kind === 'string' ? e.kind : '';
}
