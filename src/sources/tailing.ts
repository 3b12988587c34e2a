/**
 * The input loop of `--follow` and `--checkpoint` runs: the --from files as
 * FileTails (sources/follow.ts), read by byte position, each with its own
 * reader; concurrently when following, else one after the other. With a
 * checkpoint, each source starts where the checkpoint left it, and the
 * checkpoint asks this loop where each source is (bytes delivered minus the
 * reader's unfinished line, and its line count).
 */
import { RuntimeError, UsageError, ioError } from '../engine/errors.js';
import type { InputFormat, Reader } from '../engine/types.js';
import type { RunOptions } from '../engine/options.js';
import type { InputLoop } from '../engine/loop.js';
import { formatFromPath, sniffFormat } from '../formats/index.js';
import { decodeSummary } from '../formats/decode.js';
import { FileTail, TailGroup, type TailStart } from './follow.js';

/** What this loop asks of a checkpoint (checkpoint/session.ts's CheckpointSession). */
export interface TailCheckpoint {
  /** Where source `i` starts (`line`: lines before `offset`). */
  startOf(i: number): TailStart & { line: number; reader?: unknown };
  /** @throws UsageError when reader `r` cannot say its position */
  checkReader(name: string, format: string, r: Reader): void;
  /** Where each source is: its tail, the UTF-8 bytes its reader holds unparsed, its line count; null when it cannot resume from here. */
  setSources(s: { count: number; position(i: number): { tail: FileTail; pendingBytes: number; line: number; state?: unknown } | null }): void;
  /** A chunk went through the pipeline (checkpoint if due and not `blocked`). @throws RuntimeError */
  afterChunk(blocked: boolean): void;
  /** Source `i` was read to its end (`last`: for good). */
  fileDone(i: number, last: boolean): void;
  /** Source `i` starts again at 0. */
  fileRestarted(i: number): void;
  /** Checkpoint in quiet times too, when `canWrite()`. */
  startTimer(canWrite: () => boolean, onError: (e: unknown) => void): void;
}

/**
 * Read `opts.sources` as tails through `loop`, then (without follow) end the
 * input. Returns at once: reading goes on in the event loop. A file that
 * cannot be opened, or is gzip-compressed, fails the run.
 */
export function readTails(opts: RunOptions, loop: InputLoop, cp: TailCheckpoint | undefined): void {
  const tails: FileTail[] = [];
  const readers: Array<Reader | undefined> = [];
  const sniffed: string[] = [];
  /** Lines of a source whose reader has ended (for its checkpoint position). */
  const endLines: number[] = [];
  /** And its reader's state then (a CSV header), for a source that grows later. */
  const endStates: unknown[] = [];
  for (let i = 0; i < opts.sources.length; i++) {
    const name = opts.sources[i]!;
    const t = new FileTail(name, opts.follow === true, opts.encoding === 'latin1' ? 'latin1' : 'utf8');
    try {
      t.open(cp?.startOf(i));
    } catch (e) {
      for (const o of tails) o.stop();
      loop.fail(ioError('cannot read', name, e));
      return;
    }
    if (t.isGzip()) {
      t.stop();
      for (const o of tails) o.stop();
      loop.fail(
        new UsageError(
          `${opts.follow ? '--follow' : '--checkpoint'}: ${name} is gzip-compressed: it cannot be ${opts.follow ? 'followed' : 'resumed at an offset'} (read it with zcat ... | sluice)`,
        ),
      );
      return;
    }
    tails.push(t);
    loop.summary(() => decodeSummary(name, t.decodeReport()));
    readers.push(undefined);
    sniffed.push('');
    endLines.push(cp?.startOf(i).line ?? 0);
    endStates.push(cp?.startOf(i).reader);
  }
  const fixed = (name: string): InputFormat | undefined => (opts.inputFormat !== 'auto' ? opts.inputFormat : formatFromPath(name));
  const newReader = (i: number, fmt: InputFormat, resumeLine: number, state: unknown): Reader => {
    const name = opts.sources[i]!;
    return loop.readers.make(name, fmt, { check: (r) => cp?.checkReader(name, fmt, r), resumeLine, state });
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
      if (!loop.guard(() => (r = readers[i] = newReader(i, f ?? sniffFormat(chunk), line, line > 0 ? endStates[i] : undefined)))) return;
    }
    const rr = r!;
    loop.setSourceName(opts.sources[i]!);
    if (chunk !== '' && !loop.pump(() => rr.feed(chunk))) return;
    if (atEnd) {
      if (!loop.pump(() => rr.end())) return;
      const endPos = rr.position?.();
      endLines[i] = endPos?.line ?? 0;
      endStates[i] = endPos?.state;
      readers[i] = undefined;
    }
    loop.afterPush();
  };
  cp?.setSources({
    count: tails.length,
    position(i) {
      const t = tails[i]!;
      const r = readers[i];
      const p = r === undefined ? { pending: sniffed[i]!, line: endLines[i]!, state: endStates[i] } : (r.position?.() ?? null);
      if (p === null) return null;
      return { tail: t, pendingBytes: Buffer.byteLength(p.pending, 'utf8'), line: p.line, state: p.state };
    },
  });
  const group = new TailGroup(
    tails,
    opts.follow === true,
    (i) => ({
      data(chunk) {
        if (loop.closed()) return;
        feed(i, chunk, false);
        if (!loop.closed() && cp) loop.guard(() => cp.afterChunk(loop.outputBlocked()));
      },
      fileEnd(last) {
        if (loop.closed()) return;
        feed(i, '', true);
        cp?.fileDone(i, last);
      },
      restart() {
        readers[i] = undefined;
        sniffed[i] = '';
        endLines[i] = 0;
        endStates[i] = undefined;
        cp?.fileRestarted(i);
      },
      note(m) {
        loop.note(m);
      },
      error(e) {
        loop.fail(new RuntimeError(`cannot read ${opts.sources[i]!}: ${e.code ?? e.message}`));
      },
    }),
    () => {
      loop.setCurrent(undefined);
      if (!loop.closed()) loop.endInput();
    },
  );
  loop.setCurrent(group);
  cp?.startTimer(() => !loop.closed() && !loop.outputBlocked(), (e) => loop.fail(e));
  group.run();
}
