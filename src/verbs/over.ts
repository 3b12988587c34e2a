/**
 * The `over` verb: aggregates over each record's frame, and per-key step
 * functions (SQL/Flink window functions `OVER (PARTITION BY ... ORDER BY ...
 * ROWS|RANGE BETWEEN ... PRECEDING AND CURRENT ROW)`). See src/over/.
 */
import type { VerbDef, VerbInstance } from '../engine/types.js';
import { rootsOf } from '../engine/projection.js';
import { UsageError } from '../engine/errors.js';
import { formatDuration, parseDuration } from '../time/duration.js';
import { compileTimeParser } from '../time/parse.js';
import { parseAggList, parseKeyList, splitTop, type AggSpec } from '../agg/parse.js';
import { compileAggPlan } from '../agg/plan.js';
import { buildOverStage, type FrameSpec, type OverSpec } from '../over/stage.js';
import { numLayout } from '../over/numframe.js';
import { compileStep, isStep, parseStep, type StepSpec } from '../over/steps.js';
import { fieldPath, parseVerbArgs } from './args.js';

const usage = `Usage: sluice over 'AGG[, AGG...]' --rows N|all [--by KEYS]
       sluice over 'AGG[, AGG...]' --range DUR --time FIELD [--by KEYS]

Write each record at once, with aggregates over its frame added: a moving
average, a running total, the count of the last hour. The frame of a record
is the records of its key (--by) up to and including itself:
  --rows N     the last N records of the key (itself and N-1 before it):
               SQL's ROWS BETWEEN N-1 PRECEDING AND CURRENT ROW
  --rows all   every record of the key so far: running totals
  --range DUR  the records of the key whose --time is at most DUR before
               its own, bounds included: SQL's RANGE BETWEEN INTERVAL DUR
               PRECEDING AND CURRENT ROW. A record that shares its time with
               later records sees only those that came before it (SQL also
               counts the later ones: sluice does not wait for them). Each
               key's records must arrive in time order; one that goes back
               in time is a malformed record (see --on-error)
Records are in the order they arrive (sort first if they are not). Every
aggregate of agg works (count, sum, avg, min, max, first, last, stddev,
var, distinct, approx_distinct, median, pNN, collect; see 'sluice help
agg'), with its default name (avg_price) or 'as NAME'. Added fields go at
the end of the record (a field of that name is replaced in place).

Step functions, per key, whatever the frame (they need no --rows/--range):
  row_number()     1, 2, 3, ... per key
  lag(f[, n])      f of the record n records before (default 1) in the key;
                   null for the first n (name lag_f, or lagN_f)
  delta(f)         f minus f of the previous record of the key; null for the
                   first, or when either is not a number
  rate(f)          delta(f) per second of event time (needs --time); null
                   when the time did not advance
  ewma(f, alpha)   exponentially weighted moving average:
                   s = alpha*f + (1-alpha)*s, starting at the first number;
                   records without a number keep s

Cost: for count, sum, avg, min, max, first, last, stddev and var, O(1)
amortised work per record whatever the frame (Two-Stacks sliding-window
aggregation), and memory for one small state per record in the frame. For
distinct, approx_distinct, median, pNN and collect each record costs time
proportional to the size of its frame. Memory also grows with the number
of keys: each keeps its frame and step states until end of input, since
its next record may come at any time. On an endless stream in time order
(tail -f) with many keys, give --range frames --lateness: then a key whose
frame has emptied is freed (unless step functions need its history).
With --checkpoint, every key's frame (both stacks as they are, so the
results after a restart are the same to the last bit) and step states are
saved in the checkpoint.

Options:
  --rows N|all        frame of N records, or all records so far
  --range DUR         frame of event time DUR (250ms, 30s, 5m, 1h, 7d)
  --time FIELD        event time (for --range and rate); missing or
                      unreadable times are malformed records
  --time-format F     as for 'window' (default: auto)
  --by KEYS           one series per key (comma-separated, a.b paths)
  --lateness DUR      --range: promise that every record is at most DUR
                      behind the largest time seen so far (0 for input in
                      time order), so empty keys can be freed; a record
                      further behind is late, a malformed record (see
                      --on-error; --on-error warn reports and skips it)

Examples:
  $ sluice --csv over 'avg(price) as ma3' --rows 3 --by symbol \\
      < stocks.csv | sed -n '1,4p;252,256p'
  symbol,date,price,ma3
  AAPL,2024-01-02,185.64,185.64
  AAPL,2024-01-03,183.30,184.47
  AAPL,2024-01-04,186.66,185.20000000000002
  AAPL,2024-12-30,260.91,258.15333333333336
  AAPL,2024-12-31,267.86,262.1233333333334
  AMZN,2024-01-02,149.93,149.93
  AMZN,2024-01-03,149.93,149.93
  AMZN,2024-01-04,147.51,149.12333333333333

  $ sluice --csv over 'row_number(), sum(price) as total, lag(price)' \\
      --rows all --by symbol < stocks.csv | head -4
  symbol,date,price,row_number,total,lag_price
  AAPL,2024-01-02,185.64,1,185.64,
  AAPL,2024-01-03,183.30,2,368.94,185.64
  AAPL,2024-01-04,186.66,3,555.6,183.30

  $ sluice --csv over 'count as last_hour, max(delay)' --range 1h \\
      --time time --by origin < flights.csv | head -3
  time,delay,distance,origin,destination,last_hour,max_delay
  2001-01-01T00:01:00Z,33,2176,LAS,PHL,1,33
  2001-01-01T00:01:00Z,19,215,ATL,SAV,1,19

  $ tail -f ticks.ndjson | sluice over 'delta(price), rate(price)' \\
      --time ts --by symbol
`;

/** Make an agg-module message read as over's. */
function asOver(e: unknown): never {
  if (e instanceof UsageError) throw new UsageError(e.message.replace(/^agg: /, 'over: '), e.detail);
  throw e;
}

/** `over 'AGGS' --rows N|all | --range DUR --time F [--by KEYS]`. */
export const over: VerbDef = {
  name: 'over',
  summary: 'moving averages, running totals, lag, delta, rate per key (SQL OVER)',
  usage,
  arity: { min: 1, max: Infinity },
  parse(words: string[]): VerbInstance {
    const { pos, opts } = parseVerbArgs('over', words, [
      { name: 'rows', type: 'string' },
      { name: 'range', type: 'string' },
      { name: 'time', type: 'string' },
      { name: 'time-format', type: 'string' },
      { name: 'by', type: 'string' },
      { name: 'lateness', type: 'string' },
    ]);
    const text = pos.join(' ').trim();
    if (text === '') throw new UsageError("over: no aggregates given (e.g. over 'avg(price) as ma3' --rows 3 --by symbol)");
    const aggs: AggSpec[] = [];
    const stepSpecs: StepSpec[] = [];
    const order: OverSpec['order'] = [];
    for (const item of splitTop(text)) {
      if (item === '') throw new UsageError(`over: empty item in '${text}'`);
      if (isStep(item)) {
        const s = parseStep(item);
        order.push({ kind: 's', i: stepSpecs.length, name: s.name });
        stepSpecs.push(s);
      } else {
        let a: AggSpec;
        try {
          a = parseAggList(item)[0]!;
        } catch (e) {
          asOver(e);
        }
        order.push({ kind: 'a', i: aggs.length, name: a.name });
        aggs.push(a);
      }
    }
    const byText = opts.by !== undefined ? String(opts.by) : undefined;
    let keys: ReturnType<typeof parseKeyList> = [];
    if (byText !== undefined) {
      try {
        keys = parseKeyList(byText);
      } catch (e) {
        asOver(e);
      }
    }
    const seen = new Set<string>();
    for (const o of order) {
      if (seen.has(o.name)) throw new UsageError(`over: two output fields named '${o.name}'; rename one with 'as NAME'`);
      seen.add(o.name);
    }

    const rowsText = opts.rows !== undefined ? String(opts.rows).trim() : undefined;
    const rangeText = opts.range !== undefined ? String(opts.range).trim() : undefined;
    const time = opts.time !== undefined ? String(opts.time).trim() : undefined;
    const timeFormat = opts['time-format'] !== undefined ? String(opts['time-format']) : 'auto';
    if (rowsText !== undefined && rangeText !== undefined) throw new UsageError('over: give --rows or --range, not both');
    let frame: FrameSpec;
    if (rowsText !== undefined) {
      if (rowsText === 'all' || rowsText === 'unbounded') frame = { kind: 'all' };
      else {
        if (!/^\d+$/.test(rowsText) || Number(rowsText) < 1 || !Number.isSafeInteger(Number(rowsText))) {
          throw new UsageError(`over: --rows must be a whole number of records, at least 1, or 'all' (got '${rowsText}')`);
        }
        frame = { kind: 'rows', n: Number(rowsText) };
      }
    } else if (rangeText !== undefined) {
      const ms = parseDuration(rangeText, 'over: --range');
      if (!(ms >= 0)) throw new UsageError('over: --range must not be negative');
      if (time === undefined) throw new UsageError(`over: --range needs --time FIELD (e.g. over 'count' --range ${rangeText} --time time)`);
      frame = { kind: 'range', ms };
    } else if (aggs.length > 0) {
      throw new UsageError(`over: aggregates need a frame: --rows N (the last N records), --rows all (running) or --range DUR --time FIELD`);
    } else frame = { kind: 'none' };
    const lateness = opts.lateness !== undefined ? parseDuration(String(opts.lateness), 'over: --lateness') : null;
    if (lateness !== null && frame.kind !== 'range') throw new UsageError('over: --lateness goes with --range (a --rows frame does not end with time)');
    if (time !== undefined && time === '') throw new UsageError('over: --time needs a field name');
    if (time === undefined && opts['time-format'] !== undefined) throw new UsageError('over: --time-format needs --time FIELD');
    const rate = stepSpecs.find((s) => s.fn === 'rate');
    if (rate !== undefined && time === undefined) throw new UsageError(`over: ${rate.text} needs --time FIELD (rate is per second of event time)`);
    if (time !== undefined) {
      try {
        compileTimeParser(timeFormat);
      } catch (e) {
        if (e instanceof UsageError) throw new UsageError(`over: --time-format: ${e.message}`);
        throw e;
      }
    }

    const needs = [
      ...new Set([
        ...keys.map((k) => k.name),
        ...(time !== undefined ? [time] : []),
        ...aggs.filter((a) => a.field !== null).map((a) => a.field!),
        ...stepSpecs.filter((s) => s.field !== null).map((s) => s.field!),
        '*',
      ]),
    ];
    const frameText = frame.kind === 'all' ? 'rows all' : frame.kind === 'rows' ? `rows ${frame.n}` : frame.kind === 'range' ? `range ${formatDuration(frame.ms)}` : 'none';
    return {
      name: 'over',
      explain: {
        outputs: order.map((o) => (o.kind === 'a' ? aggs[o.i]!.text : stepSpecs[o.i]!.text)),
        frame: frameText,
        by: keys.map((k) => k.name),
        ...(time !== undefined ? { time, timeFormat } : {}),
        ...(lateness !== null ? { lateness: formatDuration(lateness) } : {}),
      },
      needs,
      recordWise: false,
      needsLineNumbers: time !== undefined,
      // Per key: -j runs it by key partitions (parallel/partitioned.ts). Not with --lateness, whose
      // late records and freed keys follow the largest time over all keys.
      ...(keys.length > 0 && lateness === null ? { byKey: { keyOf: compileAggPlan(aggs, keys).groupKey, seesAll: false, reads: keys.flatMap((k) => rootsOf(k.name)), perRecord: true } } : {}),
      build(next, ctx) {
        const spec: OverSpec = {
          frame,
          plan: compileAggPlan(aggs, keys),
          aggNames: aggs.map((a) => a.name),
          steps: stepSpecs.map(compileStep),
          stepNames: stepSpecs.map((s) => s.name),
          order,
          timePath: time !== undefined ? fieldPath(time) : null,
          timeName: time ?? null,
          timeFormat,
          numLayout: numLayout(aggs),
          lateness,
        };
        return buildOverStage(spec, next, ctx);
      },
    };
  },
};
