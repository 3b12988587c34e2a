import { rootsOf } from '../engine/projection.js';
import type { Batch, PipelineContext, Rec, Stage, VerbDef } from '../engine/types.js';
import { RuntimeError, UsageError } from '../engine/errors.js';
import { openVerbState, stateArray, stateString, verbState } from '../state/records.js';
import { decodeCount, stateError } from '../state/codec.js';
import { parseVerbArgs } from './args.js';
import { type SortKey, compileKeyOrder, describeKeys, parseSortKeys } from '../order/keys.js';
import { type WindowMode, perWindowStage, windowModeOf } from '../order/windowed.js';
import { BURST_BATCH, writeBurst } from '../order/burst.js';
import { ExternalSorter } from '../sort/external.js';
import { formatSize, parseSize } from '../sort/size.js';

const usage = `Usage: sluice sort KEY [asc|desc][, KEY [asc|desc]...] [--max-memory SIZE]

Sort records by one or more keys (asc by default). The sort is stable:
records with equal keys keep their input order. Numbers compare
numerically and come before text; text compares by character codes (as
expressions do); null and missing fields come last, in either direction.
Records are written at end of input (or on SIGINT/SIGTERM).

Memory stays bounded: once the records held pass --max-memory, they are
sorted and written to a temporary file (a run) in a private directory
under $TMPDIR (default /tmp), and at the end the runs are merged. The
directory is removed when sort is done, on an error and on a signal; a
signal during the merge stops it (what was written is a prefix of the
sorted output) and exits 130 (SIGINT) or 143 (SIGTERM).

With --checkpoint FILE, sort's state lives in the directory FILE.files
beside FILE: the records it holds in memory are appended to a journal
there (each record once, at the first checkpoint after it arrived, so a
checkpoint costs what came since the last one), and each run spilled past
--max-memory is hard-linked (on another file system: copied) there once
(a run never changes once written). FILE names the journal, its length and
the runs. A resumed sort reads them there; FILE.files is removed when a run
finishes. A signal during the final merge keeps the checkpoint written
before end of input: the next run truncates the output back and merges
again.

After 'window ... then agg' (or after 'window' alone), sort orders each
window's records and writes them when the window closes, not at end of
input: a ranking per window on a live stream.

Miller's flags are accepted: -f FIELDS (ascending), -r FIELDS
(descending), -nf / -nr FIELDS (the same: numbers compare numerically
here anyway); so 'sort -nr count' is 'sort count desc'.

Options:
  --max-memory SIZE  memory for held records before spilling to temporary
                     files, e.g. 64M, 1G (K, M, G are powers of 1024;
                     default: 256MiB)

Examples:
  $ sluice --csv sort delay desc then head 3 < flights.csv
  time,delay,distance,origin,destination
  2001-01-01T11:37:00Z,1191,2556,LAX,HNL
  2001-01-01T16:25:00Z,1088,2677,HNL,SEA
  2001-01-02T06:18:00Z,867,988,DFW,SLC

  $ sluice --csv sort 'origin, delay desc' \\
      then select origin,delay,destination then head 4 < flights.csv
  origin,delay,destination
  ABE,26,MDT
  ABE,25,ATL
  ABE,15,MCO
  ABE,10,MDT

  $ sluice --csv window tumbling 1h --time time then agg count by origin \\
      then sort count desc then head 3 < flights.csv
  window_start,window_end,origin,count
  2001-01-01T00:00:00.000Z,2001-01-01T01:00:00.000Z,ATL,14
  2001-01-01T00:00:00.000Z,2001-01-01T01:00:00.000Z,LAS,12
  2001-01-01T00:00:00.000Z,2001-01-01T01:00:00.000Z,ANC,6
`;

/** `sort KEY [asc|desc][, ...] [--max-memory SIZE]`. */
export const sort: VerbDef = {
  name: 'sort',
  summary: 'sort records by keys (stable, nulls last); bounded memory, spills to temporary files',
  usage,
  arity: { min: 1, max: Infinity, isArg: (w) => /^(asc|desc)$/i.test(w) },
  parse(args) {
    const { pos, opts } = parseVerbArgs('sort', args, [{ name: 'max-memory', type: 'string' }]);
    const keys = parseSortKeys('sort', pos);
    const maxMemory = opts['max-memory'] !== undefined ? parseSize(String(opts['max-memory']), 'sort: --max-memory') : 256 * 1024 * 1024;
    return {
      name: 'sort',
      explain: { keys: describeKeys(keys), maxMemory: formatSize(maxMemory) },
      needs: keys.map((k) => k.name),
      recordWise: false,
      access: { reads: keys.flatMap((k) => [k.path[0]!, ...rootsOf(k.name)]), emits: 'same' },
      build(next, ctx, plan) {
        const mode: WindowMode = windowModeOf('sort', plan);
        if (mode !== null) return windowedSortStage(keys, mode, next);
        return sortStage(keys, maxMemory, next, ctx);
      },
    };
  },
};

/** Per window: a stable in-memory sort of each window's records when it closes. */
function windowedSortStage(keys: SortKey[], mode: 'agg' | 'alone', next: Stage): Stage {
  const order = compileKeyOrder(keys);
  interface E {
    k: ReturnType<typeof order.extract>;
    rec: Rec;
  }
  return perWindowStage<E[]>('sort', mode, next, {
    create: () => [],
    add: (list, rec) => void list.push({ k: order.extract(rec), rec }),
    flush: (list, out) => {
      list.sort((a, b) => order.compare(a.k, b.k));
      for (const e of list) out.push(e.rec);
    },
    // Checkpoint: the window's records as record lines, in arrival order.
    save: (list, codec) => list.map((e) => codec.encode(e.rec)),
    load: (v, codec) =>
      stateArray(v, 'sort records').map((x) => {
        const rec = codec.decodeState(x);
        return { k: order.extract(rec), rec };
      }),
  });
}

/**
 * The whole-input sort: records are held (spilled past `maxMemory`), then at
 * end written with backpressure. While the merge runs, SIGINT/SIGTERM stop
 * it, remove the temporary files and end the pipeline (the runner exits
 * 130/143).
 */
function sortStage(keys: SortKey[], maxMemory: number, next: Stage, ctx: PipelineContext): Stage {
  if (!(maxMemory >= 1)) throw new UsageError('sort: --max-memory must be at least 1 byte');
  const sorter = new ExternalSorter({ order: compileKeyOrder(keys), maxMemory, verb: 'sort' });
  let ended = false;
  const files = ctx.checkpointFiles;
  return {
    // Checkpoint: the records held in memory as record lines, and the spilled
    // runs by name, kept beside the checkpoint (src/checkpoint/keep.ts).
    snapshot(): unknown {
      if (files === undefined) throw new RuntimeError('sort: no place to keep spilled runs for a checkpoint');
      return verbState('sort', sorter.snapshot((f) => files.keep(f), () => files.journal('sort-held')));
    },
    restore(v: unknown): void {
      const o = openVerbState(v, 'sort');
      const kept = (n: unknown, what: string): string => {
        const name = stateString(n, what);
        if (files === undefined) throw stateError('sort state but no checkpoint directory');
        try {
          return files.path(name);
        } catch (e) {
          throw stateError((e as Error).message);
        }
      };
      const runs = stateArray(o.runs, 'sort runs').map((n) => kept(n, 'a sort run'));
      const journal = o.journal === null ? null : kept(o.journal, 'the sort journal');
      sorter.restore({ headers: o.headers, bytes: decodeCount(o.bytes), count: decodeCount(o.count) }, runs, journal);
    },
    push(batch: Batch): void {
      for (let i = 0; i < batch.length; i++) sorter.add(batch[i]!);
    },
    watermark(ms: number): void {
      next.watermark(ms);
    },
    end(): void {
      if (ended) return;
      ended = true;
      let stopped = false;
      let finished = false;
      const onSignal = (): void => {
        if (finished || stopped) return;
        stopped = true;
        cleanup();
        next.end();
      };
      const cleanup = (): void => {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
        sorter.close();
      };
      // Added during the runner's own signal handling (a signal before the
      // merge), these listeners only see a later signal.
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let source;
      try {
        source = sorter.finish();
      } catch (e) {
        cleanup();
        throw e;
      }
      writeBurst(
        ctx,
        next,
        () => {
          try {
            return source.take(BURST_BATCH);
          } catch (e) {
            cleanup();
            throw e;
          }
        },
        () => {
          finished = true;
          cleanup();
          next.end();
        },
        () => stopped,
      );
    },
  };
}

/** For tests: the sorter class behind the verb. */
export { ExternalSorter };
