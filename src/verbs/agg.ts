/**
 * The `agg` verb: aggregates per group (SPEC §4.2). After a `window` verb the
 * window module builds the stage (per window and key); otherwise the plain
 * aggregation stage of src/agg/stage.ts.
 */
import type { VerbDef, VerbInstance } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';
import { parseVerbArgs } from './args.js';
import { formatDuration, parseDuration } from '../time/duration.js';
import { checkNames, parseAggList, parseKeyList, splitAggWords } from '../agg/parse.js';
import { compileAggPlan } from '../agg/plan.js';
import { buildAggStage } from '../agg/stage.js';
import { buildWindowedAgg, findUpstreamWindow } from '../window/link.js';

const usage = `sluice agg 'AGG[, AGG...]' [by KEY[, KEY...]] [--every DUR]

Aggregate records per group: one output record per group, with the keys
first, then the aggregates. Groups come out in order of first appearance,
at end of input (or on SIGINT/SIGTERM). Without 'by' there is one group
and always one output record, even for empty input (count 0).
After 'window' (with only record-wise verbs between), one record per
window and group, when the window closes, led by window_start/window_end.

Aggregates (f is a field: name, a.b path, or \`any name\` in backticks):
  count            records in the group
  count(f)         records where f is not null
  sum(f)           sum of the numbers (null if none)
  avg(f), mean(f)  mean of the numbers (null if none)
  min(f), max(f)   smallest / largest value: numbers numerically, strings
                   by text; numbers sort before strings
  first(f), last(f)  first / last non-null value, as it was read
  stddev(f), var(f)  sample standard deviation / variance (n - 1);
                   null for fewer than two numbers
  distinct(f)      exact number of distinct values (compared by text)
  approx_distinct(f)  HyperLogLog estimate (error <= 2 %, exact below
                   about 2,000 values), fixed memory per group (16 KiB)
  median(f)        same as p50(f)
  pNN(f)           percentile, e.g. p50 p95 p99 p99.9: nearest rank (the
                   value at rank ceil(NN/100 * n)), exact up to 10,000
                   numbers per group, then a DDSketch within 1 % of it
  collect(f)       array of the non-null values, in order
  AGG as NAME      name the output field (default: count, or FN_FIELD as
                   in avg_delay, p99.9_latency)

Null and missing values are skipped, as in SQL; sum, avg, stddev, var,
median and pNN also skip values that are not numbers (strings are never
converted). Keys match by text: the number 7 and the string "7" are one
group; null and missing keys form one group. A key's output value is the
first one seen.

Options:
  --every DUR      also write a snapshot of every group each DUR of wall
                   clock time (e.g. 5s), for 'tail -f'; default: none

Examples:
  $ sluice agg 'count, avg(delay), p95(delay)' by origin
      --from flights.csv then head 3
  origin,count,avg_delay,p95_delay
  LAS,EXAMPLE
  $ sluice agg 'count, max(delay) as worst' --from flights.csv
  count,worst
  EXAMPLE
  $ tail -f access.ndjson | sluice agg count by status --every 5s
`;

export const agg: VerbDef = {
  name: 'agg',
  summary: 'count, sum, avg, min, max, percentiles, distinct ... per group',
  usage,
  parse(words: string[]): VerbInstance {
    const { pos, opts } = parseVerbArgs('agg', words, [{ name: 'every', type: 'string' }]);
    const { aggs: aggText, keys: keyText } = splitAggWords(pos);
    const aggs = parseAggList(aggText);
    const keys = keyText === null ? [] : parseKeyList(keyText);
    checkNames(keys, aggs);
    const everyMs = opts.every !== undefined ? parseDuration(String(opts.every), 'agg: --every') : undefined;
    if (everyMs !== undefined && !(everyMs > 0)) throw new UsageError('agg: --every must be more than 0');
    const needs = [...new Set([...keys.map((k) => k.name), ...aggs.filter((a) => a.field !== null).map((a) => a.field!)])];
    return {
      name: 'agg',
      explain: {
        aggregates: aggs.map((a) => (a.text === a.name ? a.text : `${a.text.replace(/\s+as\s+.*$/is, '')} as ${a.name}`)),
        by: keys.map((k) => k.name),
        ...(everyMs !== undefined ? { every: formatDuration(everyMs) } : {}),
      },
      needs,
      recordWise: false,
      build(next, ctx, plan) {
        const aggPlan = compileAggPlan(aggs, keys);
        const win = findUpstreamWindow(plan);
        if (win !== undefined) {
          if (everyMs !== undefined) throw new UsageError("agg: --every cannot be used after 'window' (windows emit when they close)");
          return buildWindowedAgg(aggPlan, win, next, ctx);
        }
        return buildAggStage(aggPlan, next, ctx, everyMs);
      },
    };
  },
};
