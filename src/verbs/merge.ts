/**
 * The `merge` verb: partial aggregates (`agg --partial`) from any number of
 * producers in, the results one `agg` over all their input would have
 * written out (src/state/merger.ts). It reads its inputs itself, all at once
 * (producers writing into fifos at different speeds), so it is the first verb.
 */
import fs from 'node:fs';
import { openInputStream } from '../sources/fifo.js';
import type { Readable } from 'node:stream';
import type { PipelineContext, Rec, Stage, VerbDef } from '../engine/types.js';
import { InputError, UsageError, ioError } from '../engine/errors.js';
import { parseVerbArgs } from './args.js';
import { parseDuration } from '../time/duration.js';
import { parseJsonValue } from '../formats/ndjson.js';
import { Merger } from '../state/merger.js';
import { StateError } from '../state/codec.js';
import { readPartial } from '../state/partial.js';
import { MAX_PART } from '../agg/plan.js';
import { stringifyRecord } from '../engine/values.js';

const usage = `Usage: sluice merge [--producers N] [--idle DUR] [--late-output FILE]
                    [--partial [--part N]] [FILE...]

Merge partial aggregates written by 'agg --partial' (on other cores, other
machines, other runs) into the records one 'agg' over all their input would
have written: same fields, same names, same values (exactly for count,
sums of integers, min, max, first, last, distinct, collect and exact
percentiles; to about 1e-15 for float sums, avg, var and stddev; sketches
within their bounds, and equal to one pass for percentiles). Partials may
come in any order, from any number of producers, as one stream or as FILEs
read all at once (fifos of producers running side by side; - is stdin).
Without FILE, merge reads stdin (or the --from files). Lines may lead with a
shuffle key and a tab (agg --partial --shuffle-key, Hadoop Streaming).

Order: groups come out in order of their first record's position, which is
one agg's order of first appearance when each producer was started with its
part number in input order (agg --partial --part N: GNU parallel's {#});
producers with the same part number tie in the order merge read them.
Windows come out in order of end, then start.

Every partial carries the format version, the aggregate list and the keys:
a partial that differs from the first one read, or is not a partial, or is
corrupt, is a malformed record (--on-error) naming both.

Windows (partials of 'window ... then agg --partial'): without --producers
every window is written at end of input. With --producers N, a window is
written once all N producers' watermarks (control records the producers
write) have passed its end, the minimum of the producers' watermarks as in
Flink; a partial for a window already written is late: counted on stderr and
kept with --late-output FILE. Session windows of one session key that touch
merge into one.

Options:
  --producers N      the number of producers whose watermarks close windows
                     (a producer is a FILE, or a --part number within one)
  --idle DUR         leave a producer out of the minimum while it has sent
                     nothing for DUR of wall-clock time
  --late-output FILE write late partials to FILE
  --partial          write merged partials instead of results (combiner
                     trees: merge --partial on each machine, merge at the top)
  --part N           the part number of the merged partials (default 0)

Examples:
  $ parallel --pipepart -a flights.ndjson --block 32M \\
      sluice agg --partial --part {#} "'count, avg(delay)'" by origin \\
      | sluice merge

  $ mkfifo a b
  $ sluice --from jan.ndjson window tumbling 1h --time time \\
      then agg count by origin --partial --part 1 > a &
  $ sluice --from feb.ndjson window tumbling 1h --time time \\
      then agg count by origin --partial --part 2 > b &
  $ sluice merge --producers 2 a b
`;

/** The `merge` verb instance: cli.ts hands it the --from files (merge reads its inputs itself). */
export interface MergeInstance {
  takeSources(sources: string[]): void;
}

export const merge: VerbDef = {
  name: 'merge',
  summary: "merge 'agg --partial' output from any number of producers into results",
  usage,
  parse(words) {
    const { pos, opts } = parseVerbArgs('merge', words, [
      { name: 'producers', type: 'string' },
      { name: 'idle', type: 'string' },
      { name: 'late-output', type: 'string' },
      { name: 'partial', type: 'boolean' },
      { name: 'part', type: 'string' },
    ]);
    let producers = 0;
    if (opts.producers !== undefined) {
      producers = Number(opts.producers);
      if (!Number.isInteger(producers) || producers < 1) throw new UsageError(`merge: --producers must be a whole number ≥ 1, not '${opts.producers}'`);
    }
    const idle = opts.idle !== undefined ? parseDuration(String(opts.idle), 'merge: --idle') : null;
    if (idle !== null && !(idle > 0)) throw new UsageError('merge: --idle must be more than 0');
    let part = 0;
    if (opts.part !== undefined) {
      part = Number(opts.part);
      if (!Number.isInteger(part) || part < 0 || part > MAX_PART) throw new UsageError(`merge: --part must be a whole number from 0 to ${MAX_PART}`);
    }
    const lateFile = opts['late-output'] !== undefined ? String(opts['late-output']) : null;
    let sources = pos.length > 0 ? pos : ['-'];
    const inst = {
      name: 'merge',
      explain: { sources, producers: producers || null, partial: Boolean(opts.partial) },
      needs: ['*'],
      recordWise: false,
      // Read at the run's start, after takeSources: the partials read and --late-output.
      get files() {
        return { inputs: sources.filter((s) => s !== '-'), outputs: lateFile !== null ? [lateFile] : [] };
      },
      takeSources(s: string[]) {
        if (pos.length > 0) throw new UsageError('merge: give the partials either as FILEs or with --from, not both');
        sources = s;
        inst.explain.sources = s;
      },
      build(next: Stage, ctx: PipelineContext, plan: { index: number }): Stage {
        if (plan.index !== 0) throw new UsageError('merge: merge reads the partials itself, so it must be the first verb');
        for (const s of sources) {
          if (s !== '-') {
            try {
              fs.accessSync(s, fs.constants.R_OK);
            } catch (e) {
              throw ioError('merge: cannot read', s, e);
            }
          }
        }
        return buildMerge(sources, { producers, idle, lateFile, partial: Boolean(opts.partial), part }, next, ctx);
      },
    };
    return inst;
  },
};

interface MergeOpts {
  producers: number;
  idle: number | null;
  lateFile: string | null;
  partial: boolean;
  part: number;
}

function buildMerge(sources: string[], o: MergeOpts, next: Stage, ctx: PipelineContext): Stage {
  const merger = new Merger((recs) => next.push(recs), { partial: o.partial, part: o.part });
  const lateOut = o.lateFile !== null ? ctx.openOutput(o.lateFile) : null;
  let late = 0;
  ctx.summary(() => (late === 0 ? undefined : `merge: ${late} late partial${late === 1 ? '' : 's'} ${lateOut ? `written to ${o.lateFile}` : 'left out (keep them with --late-output FILE)'}`));

  /** Producer → its watermark (Infinity once ended) and the wall-clock time of its last line. */
  const wms = new Map<string, { wm: number; seen: number }>();
  let lastMin = -Infinity;
  function advance(): void {
    if (o.producers === 0) return;
    if (wms.size < o.producers) return;
    const now = ctx.now();
    let min = Infinity;
    let any = false;
    for (const p of wms.values()) {
      if (o.idle !== null && p.wm !== Infinity && now - p.seen >= o.idle) continue;
      any = true;
      if (p.wm < min) min = p.wm;
    }
    if (!any || min === Infinity || !(min > lastMin)) return;
    lastMin = min;
    merger.watermark(min);
    if (o.partial) next.push([{ _partial: { v: 1, part: o.part, wm: min } }]);
  }

  const streams: Readable[] = [];
  let open = sources.length;
  let runnerEnded = false;
  let done = false;
  let failed = false;
  let idleTimer: ReturnType<typeof setInterval> | null = null;

  function fail(e: unknown): void {
    if (failed) return;
    failed = true;
    for (const s of streams) s.destroy();
    // Errors reach the runner through a guarded callback.
    ctx.whenDrained(() => {
      throw e;
    });
  }

  function finish(): void {
    if (done || failed) return;
    done = true;
    if (idleTimer !== null) clearInterval(idleTimer);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    try {
      merger.end();
      if (o.partial && merger.meta?.w) next.push([{ _partial: { v: 1, part: o.part, end: true } }]);
      late = merger.late;
    } catch (e) {
      fail(e);
      return;
    }
    next.end();
  }
  const onSignal = (): void => {
    for (const s of streams) s.destroy();
    open = 0;
    if (runnerEnded) finish();
  };

  function handleLine(line: string, source: string, lineNo: number, si: number): void {
    let text = line;
    if (text.charCodeAt(0) !== 123 /* { */) {
      const tab = text.indexOf('\t');
      if (tab >= 0) text = text.slice(tab + 1);
    }
    let rec: Rec;
    try {
      const v = parseJsonValue(text);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new StateError('not a JSON object');
      rec = v as Rec;
      const p = readPartial(rec);
      const id = `${si}\u0000${p.part}`;
      let w = wms.get(id);
      if (w === undefined) wms.set(id, (w = { wm: -Infinity, seen: 0 }));
      w.seen = ctx.now();
      if (p.kind === 'group') {
        if (!merger.add(p, rec)) {
          late++;
          if (lateOut !== null) lateOut.write(stringifyRecord(rec) + '\n');
        }
      } else if (p.kind === 'watermark') {
        if (p.wm > w.wm) w.wm = p.wm;
      } else w.wm = Infinity;
    } catch (e) {
      if (e instanceof InputError) throw e;
      const msg = e instanceof StateError ? e.message : `malformed JSON: ${(e as Error).message}`;
      ctx.errors.reject(source, lineNo, `malformed partial: ${msg}`, line, 'merge');
    }
  }

  function start(): void {
    if (o.idle !== null) {
      idleTimer = setInterval(() => {
        try {
          advance();
        } catch (e) {
          fail(e);
        }
      }, Math.max(10, Math.min(o.idle, 1000)));
      idleTimer.unref();
    }
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    sources.forEach((source, si) => {
      const s: Readable = source === '-' ? process.stdin : openInputStream(source);
      streams.push(s);
      s.setEncoding('utf8');
      let rest = '';
      let lineNo = 0;
      s.on('data', (chunk: string) => {
        if (failed || done) return;
        try {
          let text = rest + chunk;
          let at = 0;
          for (;;) {
            const nl = text.indexOf('\n', at);
            if (nl < 0) break;
            let line = text.slice(at, nl);
            at = nl + 1;
            lineNo++;
            if (line.endsWith('\r')) line = line.slice(0, -1);
            if (line.trim() !== '') handleLine(line, source, lineNo, si);
          }
          rest = text.slice(at);
          text = '';
          advance();
        } catch (e) {
          fail(e);
          return;
        }
        if (ctx.outputBlocked()) {
          for (const x of streams) x.pause();
          ctx.whenDrained(() => {
            for (const x of streams) x.resume();
          });
        }
      });
      s.on('error', (e) => fail(ioError('merge: cannot read', source === '-' ? 'stdin' : source, e)));
      s.on('end', () => {
        if (failed || done) return;
        try {
          if (rest.trim() !== '') handleLine(rest.endsWith('\r') ? rest.slice(0, -1) : rest, source, lineNo + 1, si);
          rest = '';
        } catch (e) {
          fail(e);
          return;
        }
        if (--open === 0 && runnerEnded) finish();
      });
    });
  }

  // The runner reads nothing: merge reads its sources itself.
  ctx.stopInput();
  start();
  return {
    push(): void {},
    watermark(): void {},
    end(): void {
      runnerEnded = true;
      if (open === 0) finish();
    },
  };
}
