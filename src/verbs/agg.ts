/**
 * The `agg` verb: aggregates per group (SPEC §4.2). After a `window` verb the
 * window module builds the stage (per window and key); otherwise the plain
 * aggregation stage of src/agg/stage.ts.
 */
import { rootsOf } from '../engine/projection.js';
import type { VerbDef, VerbInstance } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';
import { parseVerbArgs } from './args.js';
import { formatDuration, parseDuration } from '../time/duration.js';
import { checkNames, parseAggList, parseKeyList, splitAggWords } from '../agg/parse.js';
import { MAX_PART, POS_PART, compileAggPlan } from '../agg/plan.js';
import { PARTIAL_FIELD, endRecord, partialPlan, watermarkRecord } from '../state/partial.js';
import type { WindowVerbInstance } from '../window/instance.js';
import type { Stage } from '../engine/types.js';
import { buildAggStage } from '../agg/stage.js';
import { buildWindowedAgg, findUpstreamWindow } from '../window/link.js';

const usage = `Usage: sluice agg 'AGG[, AGG...]' [by KEY[, KEY...]] [--every DUR]
       sluice agg 'AGG[, AGG...]' [by KEY[, KEY...]] --partial [--part N]
                  [--shuffle-key]

Aggregate records per group: one output record per group, with the keys
first, then the aggregates. Groups come out in order of first appearance,
at end of input (also on SIGINT/SIGTERM). Without 'by' there is one group
and always one output record, even for empty input (count 0, others null).
After 'window' (with only record-wise verbs between), one record per
window and group when the window closes, led by window_start, window_end
(see 'sluice help window').

Aggregates (f is a field: name, a.b path, or \`any name\` in backticks):
  count              records in the group (also count(*))
  count(f)           records where f is not null
  sum(f)             sum of the numbers (null if there are none); exact
                     for integers, compensated (Neumaier) for fractions;
                     a sum beyond the largest double is "Infinity"
  avg(f), mean(f)    mean of the numbers (null if there are none)
  min(f), max(f)     smallest / largest value: numbers numerically, other
                     values by text; every number sorts before every string
  first(f), last(f)  first / last non-null value, written as it was read
  stddev(f), var(f)  sample standard deviation / variance (n - 1);
                     null below two numbers
  distinct(f)        exact number of distinct values (compared by text)
  approx_distinct(f) HyperLogLog estimate (2^14 registers): standard error
                     0.81 %, so 95 % of estimates are within 1.6 % and
                     99.7 % within 2.4 %; exact below about 2,000 values;
                     at most 16 KiB per group
  median(f)          the same as p50(f): the lower middle value for an even
                     count (the median of 1,2,3,4 is 2)
  pNN(f)             percentile NN (p50, p95, p99, p99.9, ...): the value at
                     rank ceil(NN/100 * n) of the sorted numbers (nearest
                     rank, DuckDB's quantile_disc); exact up to 10,000
                     numbers per group, then from a sketch of bins 1 %
                     wide: still a value of the data, within 1 % of the
                     exact one; written as it was read (1.50 stays 1.50)
  collect(f)         array of the non-null values, in order
  AGG as NAME        name the output field; the default is count, or FN_FIELD
                     (avg_delay, p99.9_latency); NAME is letters, digits, _
                     and . (not first a digit), or \`any name\` in backticks

Nulls and missing fields are skipped, as in SQL; sum, avg, stddev, var,
median and pNN also skip values that are not numbers (a string is never
converted to a number). Names of functions are case-insensitive.

Keys compare by text: the number 7 and the string "7" are one group. Null
and missing keys form one group. A group's key value is the first one seen.
Aggregates and keys may be quoted together or word by word; the first word
'by' outside parentheses and backticks starts the keys. Keys are separated
by commas ('by a b' is an error); a name with blanks or dots goes in
backticks (a.b is the path b inside a).

Options:
  --every DUR   also write a snapshot of every group each DUR of wall-clock
                time (e.g. 5s), for 'tail -f'; default: only at the end.
                Each output record then leads with 'snapshot', the time of
                its snapshot (ISO 8601 UTC); the results at end of input
                are the last snapshot. A tick while output is blocked (a
                slow reader) is skipped, never queued. With -o table,
                each snapshot is a block under a 'snapshot TIME' line; on
                a terminal it is redrawn in place, as top(1) does.
                Not allowed after 'window'.
  --partial     write mergeable partial state instead of results: one
                record per group (per window and group after 'window'),
                keys as fields, the state in the field _partial (man
                page: PARTIAL STATE); 'sluice merge' turns partials from
                any number of producers into the results one agg over all
                their input would write. After 'window', the producer's
                watermark follows as control records. Not after count
                windows; after session windows the keys must include the
                window's --by keys. Partials are NDJSON whatever the input
                (-o csv, tsv or logfmt too).
  --part N      this producer's part number, in input order (0 to 131071;
                default 0): merge orders groups, first, last and collect
                by it (GNU parallel: --part {#})
  --shuffle-key lead each line with the key (a JSON array of the key
                texts) and a tab, as Hadoop Streaming and sort-based
                shuffles group lines; merge reads such lines

Examples:
  $ sluice --csv agg 'count, avg(delay), p95(delay)' by origin < flights.csv
  origin,count,avg_delay,p95_delay
  LAS,460,13.104347826086956,60
  ATL,714,33.61204481792717,120
  ...

  $ sluice --csv agg 'count, max(delay) as worst, distinct(origin)' <flights.csv
  count,worst,distinct_origin
  20000,1191,222

  $ printf '{"s":200}\\n{"s":"200"}\\n{}\\n' | sluice agg 'count, collect(s)' by s
  {"s":200,"count":2,"collect_s":[200,"200"]}
  {"s":null,"count":1,"collect_s":[]}

  $ tail -f access.ndjson | sluice agg count by status --every 5s
  {"snapshot":"2026-12-01T20:40:05.000Z","status":200,"count":1204}
  {"snapshot":"2026-12-01T20:40:05.000Z","status":404,"count":17}
  ...

  $ parallel --pipepart -a flights.ndjson --block 32M \\
      sluice agg --partial --part {#} "'count, p95(delay)'" by origin \\
      | sluice merge
`;

export const agg: VerbDef = {
  name: 'agg',
  summary: 'count, sum, avg, min, max, percentiles, distinct ... per group',
  usage,
  arity: { min: 1, max: Infinity },
  parse(words: string[]): VerbInstance {
    const { pos, opts } = parseVerbArgs('agg', words, [
      { name: 'every', type: 'string' },
      { name: 'partial', type: 'boolean' },
      { name: 'part', type: 'string' },
      { name: 'shuffle-key', type: 'boolean' },
    ]);
    const partial = Boolean(opts.partial);
    let part = 0;
    if (opts.part !== undefined) {
      part = Number(opts.part);
      if (!Number.isInteger(part) || part < 0 || part > MAX_PART) throw new UsageError(`agg: --part must be a whole number from 0 to ${MAX_PART}, not '${opts.part}'`);
    }
    if (!partial && (opts.part !== undefined || opts['shuffle-key'])) throw new UsageError('agg: --part and --shuffle-key go with --partial');
    const { aggs: aggText, keys: keyText } = splitAggWords(pos);
    const aggs = parseAggList(aggText);
    const keys = keyText === null ? [] : parseKeyList(keyText);
    checkNames(keys, aggs);
    const everyMs = opts.every !== undefined ? parseDuration(String(opts.every), 'agg: --every') : undefined;
    if (everyMs !== undefined && !(everyMs > 0)) throw new UsageError('agg: --every must be more than 0');
    if (partial && everyMs !== undefined) throw new UsageError('agg: --every cannot be used with --partial');
    for (const n of [...keys.map((k) => k.name), ...aggs.map((a) => a.name)]) {
      if (partial && n === PARTIAL_FIELD) throw new UsageError(`agg: '${PARTIAL_FIELD}' is the field of the partial state: rename the key or aggregate`);
      if (everyMs !== undefined && n === 'snapshot') throw new UsageError("agg: with --every, output records lead with 'snapshot' (their time): rename the field named snapshot with 'as NAME'");
    }
    const needs = [...new Set([...keys.map((k) => k.name), ...aggs.filter((a) => a.field !== null).map((a) => a.field!)])];
    return {
      name: 'agg',
      explain: {
        aggregates: aggs.map((a) => (a.text === a.name ? a.text : `${a.text.replace(/\s+as\s+.*$/is, '')} as ${a.name}`)),
        by: keys.map((k) => k.name),
        ...(everyMs !== undefined ? { every: formatDuration(everyMs) } : {}),
        ...(partial ? { partial: true, part, shuffleKey: Boolean(opts['shuffle-key']) } : {}),
      },
      needs,
      recordWise: false,
      access: {
        reads: [...keys.flatMap((k) => [k.path[0]!, ...rootsOf(k.name)]), ...aggs.flatMap((a) => (a.path !== null ? [a.path[0]!, ...rootsOf(a.field!)] : []))],
        emits: 'new',
      },
      build(next, ctx, plan) {
        const aggPlan = compileAggPlan(aggs, keys);
        const win = findUpstreamWindow(plan);
        if (partial) {
          aggPlan.position = part * POS_PART;
          const shuffle = Boolean(opts['shuffle-key']);
          if (win === undefined) return buildAggStage(partialPlan(aggPlan, null, part, null, shuffle), next, ctx);
          const spec = (win as WindowVerbInstance).windowSpec;
          if (spec.kind === 'count') throw new UsageError('agg: --partial does not work after count windows (their records cannot be split across producers)');
          let sk: number[] | null = null;
          if (spec.kind === 'session') {
            sk = spec.byNames.map((b) => keys.findIndex((k) => k.name === b));
            if (sk.some((i) => i < 0)) throw new UsageError(`agg: with --partial after session windows, agg's keys must include the window's --by keys (${spec.byNames.join(', ')})`);
          }
          const pp = partialPlan(aggPlan, spec.kind, part, sk, shuffle);
          return buildWindowedAgg(pp, win, shuffle ? next : controlStage(next, part), ctx);
        }
        if (win !== undefined) {
          if (everyMs !== undefined) throw new UsageError("agg: --every cannot be used after 'window' (windows emit when they close)");
          return buildWindowedAgg(aggPlan, win, next, ctx);
        }
        return buildAggStage(aggPlan, next, ctx, everyMs);
      },
    };
  },
};

/** After a windowed `agg --partial`: the watermark and the end of input as control records (src/state/partial.ts). */
function controlStage(next: Stage, part: number): Stage {
  let last = -Infinity;
  return {
    push: (b) => next.push(b),
    watermark(ms) {
      if (ms > last && Number.isFinite(ms)) {
        last = ms;
        next.push([watermarkRecord(part, ms)]);
      }
      next.watermark(ms);
    },
    end() {
      next.push([endRecord(part)]);
      next.end();
    },
  };
}
