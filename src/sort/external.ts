/**
 * A stable sort of records in bounded memory (external merge sort, Knuth,
 * TAOCP vol. 3, §5.4): records are held until their estimated size passes the
 * budget; then they are sorted (stable) and written as a run, one line per
 * record, to a private temporary directory. At the end the runs and the
 * records still held are merged k-way with a heap; ties go to the earlier
 * run, so the merge is stable too (once a run was written, the records still
 * held at the end are written as the last run, so the merge holds only read
 * buffers). More than `FAN_IN` runs are first merged
 * in groups into longer runs, so open files and read buffers stay bounded.
 *
 * A run line is a record line of src/state/records.ts (`RecordCodec`): it
 * keeps the fields with exact numbers, the RAW text and the CSV header, so a
 * spilled record is written exactly as an unspilled one.
 *
 * Checkpoints (`--checkpoint`, verbs/sort.ts): `snapshot` names the runs
 * written so far, each handed to `keep` (which hard-links or copies it beside
 * the checkpoint), and appends the records held in memory that arrived since
 * the last checkpoint to a journal beside it; `restore` loads them back,
 * reading kept runs and the journal where they are.
 */
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { StringDecoder } from 'node:string_decoder';
import type { Rec } from '../engine/types.js';
import { RuntimeError } from '../engine/errors.js';
import { NumText, rawOf } from '../engine/values.js';
import { RecordCodec } from '../state/records.js';
import { stateError } from '../state/codec.js';
import type { KeyOrder, KeyValue } from '../order/keys.js';
import { Heap } from '../order/heap.js';
import { errText, makeTempDir, removeTempDir } from './tempdir.js';

/**
 * A full garbage collection, when the engine lets us have one. V8 grows its
 * heap before it collects old objects, so the records freed by a spill (and
 * the text made to write them) would stay in memory for several more runs;
 * collecting after each spill keeps the peak near the budget. `--expose-gc`
 * set at run time only affects contexts made afterwards, hence the new context.
 */
const fullGc: () => void = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return gc as () => void;
  } catch {
    /* not available: rely on the engine */
  }
  return () => {};
})();

/** Spills at least this big (estimated bytes) are followed by a full collection. */
const GC_AFTER_BYTES = 16 * 1024 * 1024;

/** Most runs merged at once. */
export const FAN_IN = 64;
/** Read buffer per run during the merge (bytes). */
const READ_BYTES = 256 * 1024;
/** Bytes of run text written per write call. */
const WRITE_BYTES = 1 << 16;

interface Entry {
  k: KeyValue[];
  rec: Rec;
}

/**
 * Estimated heap bytes of a value, as V8 holds it (measured on CSV and
 * NDJSON records: within about 20 % above the real figure).
 */
function sizeOf(v: unknown, depth: number): number {
  switch (typeof v) {
    case 'string':
      return 24 + v.length;
    case 'number':
      return 16;
    case 'boolean':
      return 8;
    case 'object': {
      if (v === null) return 8;
      if (v instanceof NumText) return 64 + v.text.length;
      if (depth > 8) return 256;
      let n = 48;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) n += 8 + sizeOf(v[i], depth + 1);
      } else {
        for (const k in v as Record<string, unknown>) n += 16 + sizeOf((v as Record<string, unknown>)[k], depth + 1);
      }
      return n;
    }
    default:
      return 8;
  }
}

/** Estimated bytes held for one buffered record (the record, its RAW text, its sort keys, the entry). */
export function estimateRecord(rec: Rec, keys: number): number {
  const raw = rawOf(rec);
  return sizeOf(rec, 0) + (raw !== undefined ? 24 + raw.length : 0) + 48 + keys * 24;
}


/** A pull source of sorted records. */
export interface SortedSource {
  /** Up to `max` next records; an empty array once all were returned. */
  take(max: number): Rec[];
  /** Release files and buffers (idempotent). */
  close(): void;
}

/** Reads one run file line by line, synchronously. */
class RunReader {
  private fd: number;
  private buf = Buffer.allocUnsafe(READ_BYTES);
  private dec = new StringDecoder('utf8');
  private lines: string[] = [];
  private li = 0;
  private tail = '';
  private eof = false;
  constructor(
    readonly file: string,
    private readonly verb: string,
  ) {
    try {
      this.fd = fs.openSync(file, 'r');
    } catch (e) {
      throw new RuntimeError(`${verb}: cannot read temporary file ${file}: ${errText(e)}`);
    }
  }
  /** The next line (without newline), or null at the end. */
  line(): string | null {
    for (;;) {
      if (this.li < this.lines.length) return this.lines[this.li++]!;
      if (this.eof) return null;
      let n: number;
      try {
        n = fs.readSync(this.fd, this.buf, 0, READ_BYTES, null);
      } catch (e) {
        throw new RuntimeError(`${this.verb}: cannot read temporary file ${this.file}: ${errText(e)}`);
      }
      let text: string;
      if (n === 0) {
        this.eof = true;
        text = this.tail + this.dec.end();
        this.tail = '';
        this.lines = text === '' ? [] : [text];
      } else {
        text = this.tail + this.dec.write(this.buf.subarray(0, n));
        const parts = text.split('\n');
        this.tail = parts.pop()!;
        this.lines = parts;
      }
      this.li = 0;
    }
  }
  close(): void {
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = -1;
    }
  }
}

/** A source of entries for the merge: a run file. */
interface Cursor {
  /** Advance; false at the end. */
  next(): boolean;
  e: Entry;
  /** The current entry's run line (for merging runs into a run). */
  line: string;
  /** Run number: ties go to the smaller. */
  readonly run: number;
  close(): void;
}

/** Options of an ExternalSorter. */
export interface SorterOptions {
  order: KeyOrder;
  /** Budget for buffered records (estimated bytes). */
  maxMemory: number;
  /** For messages. */
  verb: string;
}

/**
 * Collects records (`add`), then yields them sorted (`finish`). Stable.
 * @throws RuntimeError from add/finish when a temporary file cannot be written or read
 */
export class ExternalSorter {
  private buf: Entry[] = [];
  private bytes = 0;
  private runs: string[] = [];
  private nextRun = 0;
  /** Record lines of the runs (src/state/records.ts). */
  private readonly codec = new RecordCodec();
  /** The private temporary directory, once a run was written. */
  dir: string | null = null;
  /** Runs written (for tests and --explain figures). */
  spills = 0;
  private open: Cursor[] = [];

  constructor(private readonly opts: SorterOptions) {}

  add(rec: Rec): void {
    this.buf.push({ k: this.opts.order.extract(rec), rec });
    this.bytes += estimateRecord(rec, this.opts.order.size);
    if (this.bytes > this.opts.maxMemory) this.spill();
  }

  /** Records held in memory now. */
  get held(): number {
    return this.buf.length;
  }

  private sortBuf(): void {
    this.buf.sort(this.opts.order.compareEntries);
  }

  private encode(rec: Rec): string {
    return this.codec.encode(rec);
  }

  private decode(line: string): Rec {
    try {
      return this.codec.decode(line);
    } catch {
      throw new RuntimeError(`${this.opts.verb}: a temporary file was changed while sluice read it (bad line)`);
    }
  }

  private newRunFile(): string {
    if (this.dir === null) this.dir = makeTempDir(this.opts.verb);
    return path.join(this.dir, `run-${this.nextRun++}`);
  }

  /** Write lines (from `more`, until it returns null) to a new run file. */
  private writeRun(more: () => string | null): string {
    const file = this.newRunFile();
    let fd: number;
    try {
      fd = fs.openSync(file, 'wx', 0o600);
    } catch (e) {
      throw new RuntimeError(`${this.opts.verb}: cannot write temporary file ${file}: ${errText(e)}`);
    }
    try {
      let s = '';
      for (let line = more(); line !== null; line = more()) {
        s += line + '\n';
        if (s.length >= WRITE_BYTES) {
          fs.writeSync(fd, s);
          s = '';
        }
      }
      if (s.length > 0) fs.writeSync(fd, s);
    } catch (e) {
      if (e instanceof RuntimeError) throw e;
      throw new RuntimeError(`${this.opts.verb}: cannot write temporary file ${file}: ${errText(e)}`);
    } finally {
      fs.closeSync(fd);
    }
    return file;
  }

  /** Sort the buffered records and write them as a run. */
  spill(): void {
    if (this.buf.length === 0) return;
    this.sortBuf();
    const buf = this.buf;
    const spilledBytes = this.bytes;
    this.buf = [];
    this.bytes = 0;
    let i = 0;
    this.runs.push(
      this.writeRun(() => {
        if (i >= buf.length) return null;
        const e = buf[i]!;
        buf[i++] = undefined as unknown as Entry;
        return this.encode(e.rec);
      }),
    );
    this.spills++;
    buf.length = 0;
    // The held records are a run now: the next checkpoint starts a new journal.
    this.journal = null;
    this.journaled = 0;
    this.journalBytes = 0;
    // Small runs (a tiny --max-memory) leave little to collect.
    if (spilledBytes >= GC_AFTER_BYTES) fullGc();
  }

  private fileCursor(file: string, run: number): Cursor {
    const r = new RunReader(file, this.opts.verb);
    const extract = this.opts.order.extract;
    const c: Cursor = {
      e: { k: [], rec: {} },
      line: '',
      run,
      next: () => {
        const line = r.line();
        if (line === null) return false;
        const rec = this.decode(line);
        c.line = line;
        c.e = { k: extract(rec), rec };
        return true;
      },
      close: () => r.close(),
    };
    return c;
  }

  private heapOf(cursors: Cursor[]): Heap<Cursor> {
    const cmp = this.opts.order.compareEntries;
    const heap = new Heap<Cursor>((a, b) => {
      const c = cmp(a.e, b.e);
      return c < 0 || (c === 0 && a.run < b.run);
    });
    for (const c of cursors) {
      if (c.next()) heap.push(c);
      else c.close();
    }
    return heap;
  }

  /**
   * Merge passes: consecutive groups of FAN_IN runs are merged into one run
   * each (order of runs kept, so ties still go to the earlier record), until
   * at most FAN_IN remain. Each pass reads
   * every record once: O(n log_FAN_IN(runs)) in all.
   */
  private cascade(): void {
    while (this.runs.length > FAN_IN) {
      const merged: string[] = [];
      for (let g = 0; g < this.runs.length; g += FAN_IN) {
        const group = this.runs.slice(g, g + FAN_IN);
        if (group.length === 1) {
          merged.push(group[0]!);
          continue;
        }
        merged.push(this.mergeToRun(group));
      }
      this.runs = merged;
    }
  }

  /** Merge run files into one new run file (removing them). */
  private mergeToRun(group: string[]): string {
    const cursors = group.map((f, i) => this.fileCursor(f, i));
    this.open = cursors;
    const heap = this.heapOf(cursors);
    const out = this.writeRun(() => {
      const top = heap.peek();
      if (top === undefined) return null;
      const line = top.line;
      if (top.next()) heap.fixTop();
      else {
        top.close();
        heap.pop();
      }
      return line;
    });
    for (const c of cursors) c.close();
    this.open = [];
    // (Runs kept for a checkpoint live elsewhere: the checkpoint's own, never removed here.)
    for (const f of group) if (path.dirname(f) === this.dir) fs.rmSync(f, { force: true });
    return out;
  }

  /**
   * End of input: the sorted records, as a pull source. Without runs, the
   * buffer sorted in memory; else a k-way merge of the runs.
   */
  finish(): SortedSource {
    if (this.runs.length === 0) {
      this.sortBuf();
      const buf = this.buf;
      this.buf = [];
      let i = 0;
      return {
        take: (max) => {
          const n = Math.max(0, Math.min(max, buf.length - i));
          const out = new Array<Rec>(n);
          for (let j = 0; j < n; j++) {
            out[j] = buf[i]!.rec;
            buf[i++] = undefined as unknown as Entry;
          }
          if (i >= buf.length) buf.length = 0;
          return out;
        },
        close: () => {
          buf.length = 0;
        },
      };
    }
    // The records still held become a run too: during the merge only the
    // read buffers are in memory, not up to a budget's worth of records.
    this.spill();
    this.cascade();
    const cursors = this.runs.map((f, i) => this.fileCursor(f, i));
    this.open = cursors;
    const heap = this.heapOf(cursors);
    return {
      take: (max) => {
        const out: Rec[] = [];
        while (out.length < max) {
          const top = heap.peek();
          if (top === undefined) break;
          out.push(top.e.rec);
          if (top.next()) heap.fixTop();
          else {
            top.close();
            heap.pop();
          }
        }
        if (heap.size === 0) this.close();
        return out;
      },
      close: () => this.close(),
    };
  }

  /** The journal of the records held now (checkpoints), and how many of them it has. */
  private journal: { readonly name: string; append(text: string): number } | null = null;
  private journaled = 0;
  private journalBytes = 0;

  /**
   * Checkpoint state (between batches, before `finish`): the CSV header table,
   * the runs written so far, in order, each as what `keep(path)` returns for
   * it (the name under which the caller keeps it), and the records held in
   * memory, in arrival order, as record lines in a journal: only the records
   * that arrived since the last checkpoint are appended to it, so a
   * checkpoint costs what came since the last one, not the whole buffer. A
   * spill (the buffer becomes a run) starts a new journal.
   * @param newJournal makes a journal beside the checkpoint (CheckpointFiles.journal)
   */
  snapshot(
    keep: (runFile: string) => string,
    newJournal: () => { readonly name: string; append(text: string): number },
  ): { headers: unknown; runs: string[]; journal: string | null; bytes: number; count: number } {
    const runs = this.runs.map(keep);
    if (this.buf.length > this.journaled) {
      if (this.journal === null) {
        this.journal = newJournal();
        this.journaled = 0;
      }
      let text = '';
      for (let i = this.journaled; i < this.buf.length; i++) {
        text += this.codec.encode(this.buf[i]!.rec) + '\n';
        if (text.length >= WRITE_BYTES) {
          this.journalBytes = this.journal.append(text);
          text = '';
        }
      }
      this.journalBytes = this.journal.append(text);
      this.journaled = this.buf.length;
    }
    const count = this.buf.length;
    return { headers: this.codec.headerState(), runs, journal: count === 0 ? null : this.journal!.name, bytes: count === 0 ? 0 : this.journalBytes, count };
  }

  /**
   * Load a state written by `snapshot` (before any `add`). `runFiles` are the
   * paths of its runs, in order, and `journalFile` the path of its journal
   * (null when no record was held); both are read where they are and never
   * changed. The next checkpoint writes a new journal.
   * @throws StateError on a damaged state or journal
   */
  restore(state: { headers: unknown; bytes: number; count: number }, runFiles: string[], journalFile: string | null): void {
    this.codec.loadHeaders(state.headers);
    this.runs = runFiles.slice();
    this.buf = [];
    this.bytes = 0;
    this.journal = null;
    this.journaled = 0;
    this.journalBytes = 0;
    if (journalFile === null) {
      if (state.count !== 0) throw stateError('sort records held but no journal');
      return;
    }
    const fd = fs.openSync(journalFile, 'r');
    let text: string;
    try {
      const b = Buffer.alloc(state.bytes);
      const n = fs.readSync(fd, b, 0, state.bytes, 0);
      if (n !== state.bytes) throw stateError(`the sort journal ${journalFile} is shorter than its checkpointed ${state.bytes} bytes`);
      text = b.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
    let at = 0;
    while (at < text.length) {
      const nl = text.indexOf('\n', at);
      if (nl < 0) throw stateError('the sort journal ends inside a record');
      const rec = this.codec.decodeState(text.slice(at, nl));
      at = nl + 1;
      this.buf.push({ k: this.opts.order.extract(rec), rec });
      this.bytes += estimateRecord(rec, this.opts.order.size);
    }
    if (this.buf.length !== state.count) throw stateError(`the sort journal holds ${this.buf.length} records, not ${state.count}`);
  }

  /** Close open run files and remove the temporary directory (idempotent). */
  close(): void {
    for (const c of this.open) c.close();
    this.open = [];
    this.buf = [];
    this.runs = [];
    if (this.dir !== null) {
      removeTempDir(this.dir);
      this.dir = null;
    }
  }
}
