/**
 * The `agg` verb: argument parsing, usage errors, and the plain aggregation
 * stage (end-of-input output, order of first appearance, --every snapshots).
 */
import { describe, expect, it } from 'vitest';
import type { Rec, Stage } from '../../src/engine/types.js';
import { UsageError } from '../../src/engine/errors.js';
import { agg } from '../../src/verbs/agg.js';
import { collector, testCtx } from '../helpers/ctx.js';

function build(words: string[]) {
  const inst = agg.parse(words);
  const out = collector();
  const ctx = testCtx(1_000_000);
  const stage: Stage = inst.build(out, ctx, { verbs: [inst], index: 0 });
  return { inst, out, ctx, stage };
}

function usageError(words: string[]): string {
  try {
    agg.parse(words);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`no usage error for ${JSON.stringify(words)}`);
}

describe('agg arguments', () => {
  it('splits aggregates and keys at the word by, quoted or not', () => {
    const a = agg.parse(['count, avg(delay) as mean_delay', 'by', 'origin,', 'destination', '--every', '5s']);
    expect(a.explain).toEqual({ aggregates: ['count', 'avg(delay) as mean_delay'], by: ['origin', 'destination'], every: '5s' });
    expect(a.needs).toEqual(['origin', 'destination', 'delay']);
    expect(a.recordWise).toBe(false);
    const b = agg.parse(['count,', 'avg(delay)', 'by', 'origin']);
    expect(b.explain).toEqual({ aggregates: ['count', 'avg(delay) as avg_delay'], by: ['origin'] });
    const c = agg.parse(['count by origin']);
    expect(c.explain.by).toEqual(['origin']);
  });

  it('default names: count, FN_FIELD, pNN as written; as NAME and `backticked` names', () => {
    const { out, stage } = build(['count, count(x), avg(delay), p95(latency), p99.9(latency), median(latency), distinct(`a b`), max(u.id) as `Worst Delay`']);
    stage.push([{ delay: 1, latency: 2, x: 1, 'a b': 1, u: { id: 4 } }]);
    stage.end();
    expect(Object.keys(out.records[0]!)).toEqual(['count', 'count_x', 'avg_delay', 'p95_latency', 'p99.9_latency', 'median_latency', 'distinct_a b', 'Worst Delay']);
    expect(out.records[0]!['Worst Delay']).toBe(4);
  });

  it('accepts upper-case function names and count(*)', () => {
    const { out, stage } = build(['COUNT(*), AVG(v)']);
    stage.push([{ v: 1 }, { v: 3 }]);
    stage.end();
    expect(out.records).toEqual([{ count: 2, avg_v: 2 }]);
  });

  it('rejects unknown aggregates with a suggestion', () => {
    expect(usageError(['avgg(delay)'])).toBe(
      "agg: unknown aggregate 'avgg' (did you mean avg?); known: count, sum, avg, mean, min, max, first, last, stddev, var, distinct, approx_distinct, median, collect, pNN",
    );
    expect(usageError(['count, stdev(x)'])).toContain('did you mean stddev?');
    expect(usageError(['approx_distnct(x)'])).toContain('did you mean approx_distinct?');
    expect(usageError(['frobnicate(x)'])).not.toContain('did you mean');
  });

  it('rejects a missing field, a bad name after as, a bad percentile, empty lists, duplicates', () => {
    expect(usageError(['sum()'])).toBe('agg: sum needs a field, e.g. sum(delay)');
    expect(usageError(['sum'])).toBe('agg: sum needs a field, e.g. sum(delay)');
    expect(usageError(['p95'])).toContain('p95 needs a field');
    expect(usageError(['count as'])).toContain("unexpected 'as'");
    expect(usageError(['count as 9lives'])).toContain("bad name '9lives' after 'as'");
    expect(usageError(['count as a b'])).toContain("bad name 'a b'");
    expect(usageError(['p101(x)'])).toContain('out of range');
    expect(usageError(['count', 'by'])).toBe("agg: 'by' needs at least one key, e.g. by origin");
    expect(usageError(['count', 'by', 'a,', ',b'])).toContain('empty key');
    expect(usageError([])).toContain('no aggregates given');
    expect(usageError(['by', 'origin'])).toContain('no aggregates given');
    expect(usageError(['count, count'])).toContain("two output fields named 'count'");
    expect(usageError(['count', 'by', 'count'])).toContain("two output fields named 'count'");
    expect(usageError(['sum(x) y'])).toContain("unexpected 'y'");
    expect(usageError(['sum(x'])).toContain("missing ')'");
    expect(usageError(['count', '--every', 'soon'])).toContain("bad duration 'soon'");
    expect(usageError(['count', '--evry', '5s'])).toContain('did you mean --every');
  });
});

describe('agg stage', () => {
  it('emits nothing until end, then one record per group in order of first appearance', () => {
    const { out, stage } = build(['count, sum(delay), max(delay)', 'by', 'origin']);
    stage.push([{ origin: 'LAS', delay: 3 }, { origin: 'ATL', delay: 1 }]);
    stage.push([{ origin: 'LAS', delay: 10 }, { origin: 'SFO', delay: null }]);
    expect(out.records).toEqual([]);
    stage.end();
    expect(out.ended).toBe(true);
    expect(out.records).toEqual([
      { origin: 'LAS', count: 2, sum_delay: 13, max_delay: 10 },
      { origin: 'ATL', count: 1, sum_delay: 1, max_delay: 1 },
      { origin: 'SFO', count: 1, sum_delay: null, max_delay: null },
    ]);
  });

  it('keys compare by text; the output key is the first value seen; null keys form one group', () => {
    const { out, stage } = build(['count', 'by', 'k']);
    stage.push([{ k: 7 }, { k: '7' }, { k: null }, {}, { k: 'null' }]);
    stage.end();
    expect(out.records).toEqual([{ k: 7, count: 2 }, { k: null, count: 2 }, { k: 'null', count: 1 }]);
  });

  it('without keys: one record, also for empty input', () => {
    const a = build(['count, avg(x)']);
    a.stage.end();
    expect(a.out.records).toEqual([{ count: 0, avg_x: null }]);
    const b = build(['count, avg(x)']);
    b.stage.push([{ x: 1 }]);
    b.stage.push([{ x: 2 }, { y: 1 }]);
    b.stage.end();
    expect(b.out.records).toEqual([{ count: 3, avg_x: 1.5 }]);
  });

  it('with keys and empty input: no records, and end is passed on', () => {
    const { out, stage } = build(['count', 'by', 'k']);
    stage.end();
    expect(out.records).toEqual([]);
    expect(out.batches).toEqual([]);
    expect(out.ended).toBe(true);
  });

  it('emits many groups in several batches, none empty', () => {
    const { out, stage } = build(['count', 'by', 'k']);
    const recs: Rec[] = Array.from({ length: 10_000 }, (_, i) => ({ k: i % 9000 }));
    stage.push(recs);
    stage.end();
    expect(out.records.length).toBe(9000);
    expect(out.batches.length).toBeGreaterThan(1);
    expect(out.batches.every((b) => b.length > 0)).toBe(true);
    expect(out.records[8999]).toEqual({ k: 8999, count: 1 });
    expect(out.records[0]).toEqual({ k: 0, count: 2 });
  });

  it('--every DUR writes a snapshot of every group each period of wall-clock time, then the final result at end', () => {
    const { out, stage, ctx } = build(['count', 'by', 'status', '--every', '5s']);
    stage.push([{ status: 200 }, { status: 404 }]);
    ctx.advance(4999);
    expect(out.records).toEqual([]);
    ctx.advance(1);
    // Each snapshot's records lead with its wall-clock time.
    const iso = (): string => new Date(ctx.now()).toISOString();
    const t1 = iso();
    expect(out.records).toEqual([{ snapshot: t1, status: 200, count: 1 }, { snapshot: t1, status: 404, count: 1 }]);
    expect(Object.keys(out.records[0]!)[0]).toBe('snapshot');
    stage.push([{ status: 200 }]);
    ctx.advance(5000);
    const t2 = iso();
    expect(t2 > t1).toBe(true);
    expect(out.records.slice(2)).toEqual([{ snapshot: t2, status: 200, count: 2 }, { snapshot: t2, status: 404, count: 1 }]);
    stage.push([{ status: 500 }]);
    ctx.advance(1234);
    const t3 = iso();
    stage.end();
    expect(out.records.slice(4)).toEqual([{ snapshot: t3, status: 200, count: 2 }, { snapshot: t3, status: 404, count: 1 }, { snapshot: t3, status: 500, count: 1 }]);
    ctx.advance(20_000); // the timer is cancelled at end
    expect(out.records.length).toBe(7);
  });

  it('--every skips ticks while output is blocked and writes a big snapshot a batch at a time, waiting for drain', () => {
    const { out, stage, ctx } = build(['count', 'by', 'k', '--every', '1s']);
    const batch = [];
    for (let i = 0; i < 10_000; i++) batch.push({ k: i });
    stage.push(batch);
    // stdout refuses more after every batch until drained.
    let blocked = false;
    const waiting: Array<() => void> = [];
    ctx.outputBlocked = () => blocked;
    ctx.whenDrained = (fn) => void waiting.push(fn);
    const inner = out.push.bind(out);
    out.push = (b) => {
      inner(b);
      blocked = true;
    };
    ctx.advance(1000);
    expect(out.records.length).toBe(4096); // one batch, then it waits
    ctx.advance(10_000); // ten ticks while blocked / mid-snapshot: all skipped
    expect(out.records.length).toBe(4096);
    expect(waiting.length).toBe(1);
    const drain = () => {
      blocked = false;
      waiting.shift()!();
    };
    drain();
    expect(out.records.length).toBe(8192);
    drain();
    expect(out.records.length).toBe(10_000);
    expect(new Set(out.records.map((r) => r.snapshot)).size).toBe(1);
    // The next tick after the drain writes a new snapshot.
    blocked = false;
    ctx.advance(1000);
    expect(out.records.length).toBe(14_096);
  });

  it('passes watermarks on', () => {
    const { out, stage } = build(['count']);
    stage.watermark(42);
    expect(out.watermarks).toEqual([42]);
  });
});
