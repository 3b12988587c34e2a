import { describe, expect, it } from 'vitest';
import { EVENT_TIME } from '../../src/engine/values.js';
import { UsageError } from '../../src/engine/errors.js';
import { window } from '../../src/verbs/window.js';
import { findUpstreamWindow } from '../../src/window/link.js';
import type { VerbInstance } from '../../src/engine/types.js';
import { floorMod, lastWindowStart, nextWindowEnd, gcd } from '../../src/window/spec.js';
import { testCtx } from '../helpers/ctx.js';
import { at, freshStage, keepStage, pipeline, testPlan } from './window-helpers.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('window assignment arithmetic', () => {
  it('floorMod puts times before 1970 in the right window', () => {
    expect(floorMod(-1, 60_000)).toBe(59_999);
    expect(lastWindowStart(-1, 0, 60_000)).toBe(-60_000);
    expect(lastWindowStart(-60_000, 0, 60_000)).toBe(-60_000);
    expect(lastWindowStart(125, 10, 50)).toBe(110);
    expect(nextWindowEnd(100, 0, 100, 50)).toBe(150);
    expect(nextWindowEnd(99, 0, 100, 50)).toBe(100);
    expect(gcd(86_400_000, 60_000)).toBe(60_000);
    expect(gcd(10, 4)).toBe(2);
  });
});

describe('tumbling windows', () => {
  it('1-minute windows: 10:00:00.000 and 10:00:59.999 share [10:00, 10:01); 10:01:00.000 opens the next', () => {
    const { stage, out } = pipeline(['tumbling', '1m', '--time', 't']);
    stage.push([{ t: '2001-01-01T10:00:00.000Z' }, { t: '2001-01-01T10:00:59.999Z' }, { t: '2001-01-01T10:01:00.000Z' }]);
    stage.end();
    expect(out.records.map((r) => [r.window_start, r.window_end])).toEqual([
      ['2001-01-01T10:00:00.000Z', '2001-01-01T10:01:00.000Z'],
      ['2001-01-01T10:00:00.000Z', '2001-01-01T10:01:00.000Z'],
      ['2001-01-01T10:01:00.000Z', '2001-01-01T10:02:00.000Z'],
    ]);
    expect(out.records.map((r) => (r as { [EVENT_TIME]?: number })[EVENT_TIME])).toEqual([at('10:00'), at('10:00:59.999'), at('10:01')]);
    expect(out.ended).toBe(true);
  });

  it('with agg: counts per window, each window emitted as the watermark passes its end', () => {
    const { stage, out } = pipeline(['tumbling', '1m', '--time', 't'], { plan: testPlan() });
    stage.push([{ t: '2001-01-01T10:00:00.000Z', v: 1 }, { t: '2001-01-01T10:00:59.999Z', v: 2 }]);
    expect(out.records).toEqual([]);
    stage.push([{ t: '2001-01-01T10:01:00.000Z', v: 4 }]);
    expect(out.records).toEqual([{ window_start: '2001-01-01T10:00:00.000Z', window_end: '2001-01-01T10:01:00.000Z', count: 2, sum_v: 3 }]);
    stage.end();
    expect(out.records[1]).toEqual({ window_start: '2001-01-01T10:01:00.000Z', window_end: '2001-01-01T10:02:00.000Z', count: 1, sum_v: 4 });
    expect(out.ended).toBe(true);
  });

  it('bids 08:05/4 08:07/2 08:09/5 08:11/3 08:13/1 08:17/6: 10-minute sums 11 and 10', () => {
    const { stage, out } = pipeline(['tumbling', '10m', '--time', 'ts'], { plan: testPlan() });
    stage.push(bids());
    stage.end();
    expect(out.records.map((r) => [r.window_start, r.window_end, r.sum_v])).toEqual([
      [iso(at('08:00')), iso(at('08:10')), 11],
      [iso(at('08:10')), iso(at('08:20')), 10],
    ]);
  });

  it('puts times before 1970 in the right window (floor, not truncation)', () => {
    const { stage, out } = pipeline(['tumbling', '1h', '--time', 't', '--lateness', '2h']);
    stage.push([{ t: '1969-12-31T23:59:30Z' }, { t: -1 }, { t: '1969-12-31T22:00:00.000Z' }]);
    stage.end();
    expect(out.records.map((r) => r.window_start)).toEqual(['1969-12-31T23:00:00.000Z', '1969-12-31T23:00:00.000Z', '1969-12-31T22:00:00.000Z']);
  });

  it('--offset shifts the bounds', () => {
    const { stage, out } = pipeline(['tumbling', '1h', '--time', 't', '--offset', '15m']);
    stage.push([{ t: '2001-01-01T10:10:00Z' }, { t: '2001-01-01T10:20:00Z' }]);
    stage.end();
    expect(out.records.map((r) => r.window_start)).toEqual(['2001-01-01T09:15:00.000Z', '2001-01-01T10:15:00.000Z']);
    const neg = pipeline(['tumbling', '1d', '--time', 't', '--offset=-5h']);
    neg.stage.push([{ t: '2001-01-01T03:00:00Z' }]);
    neg.stage.end();
    expect(neg.out.records[0]!.window_start).toBe('2000-12-31T19:00:00.000Z');
  });

  it('groups inside a window come out in order of first appearance; windows in order of end', () => {
    const { stage, out } = pipeline(['tumbling', '10m', '--time', 't', '--lateness', '30m'], { plan: testPlan({ by: 'k' }) });
    stage.push([
      { t: at('08:15'), k: 'b', v: 1 },
      { t: at('08:01'), k: 'z', v: 1 },
      { t: at('08:02'), k: 'a', v: 1 },
      { t: at('08:16'), k: 'a', v: 1 },
      { t: at('08:03'), k: 'z', v: 1 },
    ]);
    stage.end();
    expect(out.records.map((r) => [r.window_start, r.k, r.count])).toEqual([
      [iso(at('08:00')), 'z', 2],
      [iso(at('08:00')), 'a', 1],
      [iso(at('08:10')), 'b', 1],
      [iso(at('08:10')), 'a', 1],
    ]);
  });
});

describe('sliding windows', () => {
  for (const panes of [true, false]) {
    it(`10 minutes every 5: sums 11, 15, 10, 6 for 08:00, 08:05, 08:10, 08:15 (${panes ? 'panes + Two-Stacks' : 'per window'})`, () => {
      const { stage, out, aggStage } = pipeline(['sliding', '10m', '--every', '5m', '--time', 'ts'], { plan: testPlan(), panes });
      stage.push(bids());
      stage.end();
      // No window starts at 07:55: 08:05 is not < 08:05 (ts − size < start ≤ ts).
      expect(out.records.map((r) => [r.window_start, r.window_end, r.sum_v])).toEqual([
        [iso(at('08:00')), iso(at('08:10')), 11],
        [iso(at('08:05')), iso(at('08:15')), 15],
        [iso(at('08:10')), iso(at('08:20')), 10],
        [iso(at('08:15')), iso(at('08:25')), 6],
      ]);
      expect(aggStage!.stats!.strategy).toMatch(panes ? /Two-Stacks/ : /per-window/);
    });
  }

  it('alone: one copy of each record per window, oldest window first', () => {
    const { stage, out } = pipeline(['sliding', '10m', '--every', '5m', '--time', 'ts']);
    stage.push([{ ts: '2001-01-01T08:07:00Z', id: 1 }]);
    stage.end();
    expect(out.records.map((r) => JSON.parse(JSON.stringify(r)))).toEqual([
      { ts: '2001-01-01T08:07:00Z', id: 1, window_start: iso(at('08:00')), window_end: iso(at('08:10')) },
      { ts: '2001-01-01T08:07:00Z', id: 1, window_start: iso(at('08:05')), window_end: iso(at('08:15')) },
    ]);
  });

  it('a record whose first window closed still counts in its open windows', () => {
    const { stage, out, ctx } = pipeline(['sliding', '10m', '--every', '5m', '--time', 'ts'], { plan: testPlan() });
    stage.push([{ ts: at('08:01'), v: 1 }, { ts: at('08:10'), v: 2 }, { ts: at('08:07'), v: 4 }, { ts: at('08:02'), v: 8 }]);
    // 08:10 closed [08:00, 08:10); 08:07 still belongs to [08:05, 08:15); 08:02 is late.
    stage.end();
    expect(out.records.map((r) => [r.window_start, r.sum_v])).toEqual([
      [iso(at('07:55')), 1],
      [iso(at('08:00')), 1],
      [iso(at('08:05')), 6],
      [iso(at('08:10')), 2],
    ]);
    expect(ctx.summaries.map((f) => f())).toEqual(['window: 1 late record left out (keep them with --late-output FILE)']);
  });
});

describe('session windows', () => {
  it('a 5-minute gap groups A@08:06, 08:07, 08:08 into [08:06, 08:13)', () => {
    const { stage, out } = pipeline(['session', '5m', '--time', 'ts', '--by', 'user'], { plan: testPlan({ by: 'user' }) });
    stage.push([
      { ts: '2001-01-01T08:06:00Z', user: 'A', v: 1 },
      { ts: '2001-01-01T08:07:00Z', user: 'A', v: 1 },
      { ts: '2001-01-01T08:08:00Z', user: 'A', v: 1 },
      { ts: '2001-01-01T08:09:00Z', user: 'B', v: 1 },
      { ts: '2001-01-01T08:20:00Z', user: 'A', v: 5 },
    ]);
    // The watermark (08:20) closed A's [08:06, 08:13) and B's [08:09, 08:14).
    expect(out.records).toEqual([
      { window_start: iso(at('08:06')), window_end: iso(at('08:13')), user: 'A', count: 3, sum_v: 3 },
      { window_start: iso(at('08:09')), window_end: iso(at('08:14')), user: 'B', count: 1, sum_v: 1 },
    ]);
    stage.end();
    expect(out.records[2]).toEqual({ window_start: iso(at('08:20')), window_end: iso(at('08:25')), user: 'A', count: 1, sum_v: 5 });
  });

  it('a record that bridges two sessions merges them', () => {
    const { stage, out } = pipeline(['session', '5m', '--time', 'ts', '--lateness', '1h'], { plan: testPlan({ by: 'k' }) });
    stage.push([
      { ts: at('08:00'), k: 'x', v: 1 },
      { ts: at('08:10'), k: 'y', v: 2 },
      { ts: at('08:14'), k: 'x', v: 4 },
    ]);
    stage.push([{ ts: at('08:05'), k: 'x', v: 8 }]); // 08:00 and 08:10 are 10 min apart: 08:05 bridges them
    stage.end();
    expect(out.records).toEqual([
      { window_start: iso(at('08:00')), window_end: iso(at('08:19')), k: 'x', count: 3, sum_v: 13 },
      { window_start: iso(at('08:00')), window_end: iso(at('08:19')), k: 'y', count: 1, sum_v: 2 },
    ]);
  });

  it('alone: holds the records of a session until it closes, then writes them with its bounds', () => {
    const { stage, out } = pipeline(['session', '5m', '--time', 'ts', '--by', 'u', '--lateness', '10m']);
    stage.push([
      { ts: at('08:06'), u: 'A' },
      { ts: at('08:00'), u: 'B' },
      { ts: at('08:03'), u: 'A' }, // out of order, extends A's session backwards
    ]);
    expect(out.records).toEqual([]);
    stage.push([{ ts: at('08:30'), u: 'C' }]);
    expect(out.records.map((r) => [r.u, r.ts, r.window_start, r.window_end])).toEqual([
      ['B', at('08:00'), iso(at('08:00')), iso(at('08:05'))],
      ['A', at('08:06'), iso(at('08:03')), iso(at('08:11'))],
      ['A', at('08:03'), iso(at('08:03')), iso(at('08:11'))],
    ]);
    stage.end();
    expect(out.records).toHaveLength(4);
  });

  it('a record too late for any open session is late; one that joins an open session is not', () => {
    const { stage, out, ctx } = pipeline(['session', '5m', '--time', 'ts', '--late-output', 'late.ndjson'], { plan: testPlan() });
    stage.push([{ ts: at('08:00'), v: 1 }, { ts: at('08:20'), v: 1 }, { ts: at('08:16'), v: 1 }, { ts: at('08:10'), v: 1 }]);
    stage.end();
    expect(out.records.map((r) => [r.window_start, r.window_end, r.count])).toEqual([
      [iso(at('08:00')), iso(at('08:05')), 1],
      [iso(at('08:16')), iso(at('08:25')), 2],
    ]);
    expect(ctx.outputs.get('late.ndjson')).toBe(JSON.stringify({ ts: at('08:10'), v: 1 }) + '\n');
    expect(ctx.summaries.map((f) => f())).toEqual(['window: 1 late record written to late.ndjson']);
  });
});

describe('count windows', () => {
  it('alone: window_id in the order windows open over all keys, overlapping windows with --every', () => {
    const { stage, out } = pipeline(['count', '3', '--every', '2', '--by', 'k']);
    stage.push([1, 2, 3, 4, 5].map((i) => ({ k: 'a', i })).concat([{ k: 'b', i: 9 }]));
    stage.end();
    expect(out.records.map((r) => [r.k, r.i, r.window_id])).toEqual([
      ['a', 1, 0],
      ['a', 2, 0],
      ['a', 3, 0],
      ['a', 3, 1],
      ['a', 4, 1],
      ['a', 5, 1],
      ['a', 5, 2],
      ['b', 9, 3],
    ]);
  });

  it('with agg: a window is emitted when its N-th record arrives; partial windows at end', () => {
    const { stage, out } = pipeline(['count', '2', '--by', 'k'], { plan: testPlan() });
    stage.push([{ k: 'a', v: 1 }, { k: 'b', v: 10 }, { k: 'a', v: 2 }]);
    expect(out.records).toEqual([{ window_id: 0, count: 2, sum_v: 3 }]);
    stage.push([{ k: 'a', v: 4 }]);
    stage.end();
    // b's window opened second (id 1), a's second window third (id 2): at end, in order of their ids.
    expect(out.records.slice(1)).toEqual([
      { window_id: 1, count: 1, sum_v: 10 },
      { window_id: 2, count: 1, sum_v: 4 },
    ]);
  });

  it('a filter between window and agg does not stop a window from closing', () => {
    const { stage, out } = pipeline(['count', '2'], { plan: testPlan(), between: keepStage((r) => r.v !== 0) });
    stage.push([{ v: 1 }, { v: 0 }, { v: 0 }, { v: 0 }, { v: 3 }]);
    expect(out.records).toEqual([{ window_id: 0, count: 1, sum_v: 1 }]);
    stage.end();
    expect(out.records.slice(1)).toEqual([{ window_id: 2, count: 1, sum_v: 3 }]);
  });
});

describe('filter between window and agg', () => {
  it('watermarks pass through a record-wise stage; dropped records are simply not counted', () => {
    const { stage, out } = pipeline(['tumbling', '10m', '--time', 'ts'], { plan: testPlan(), between: keepStage((r) => (r.v as number) > 2) });
    stage.push(bids());
    expect(out.records.map((r) => r.sum_v)).toEqual([9]);
    stage.end();
    expect(out.records.map((r) => r.sum_v)).toEqual([9, 9]);
  });

  it('a verb between that builds new records (without EVENT_TIME) still gets each record into its windows', () => {
    const cases: Array<[string[], ReturnType<typeof testPlan>]> = [
      [['tumbling', '10m', '--time', 'ts'], testPlan()],
      [['sliding', '10m', '--every', '5m', '--time', 'ts'], testPlan()],
      [['session', '3m', '--time', 'ts', '--by', 'g'], testPlan({ by: 'g' })],
      [['count', '2', '--by', 'g'], testPlan({ by: 'g' })],
    ];
    for (const [args, plan] of cases) {
      const ref = pipeline(args, { plan, between: keepStage((r) => r.v !== 5) });
      const fresh = pipeline(args, { plan, between: freshStage((r) => r.v !== 5) });
      for (const p of [ref, fresh]) {
        p.stage.push(bids().map((b, i) => ({ ...b, g: i % 2 })));
        p.stage.end();
      }
      expect(fresh.out.records, args.join(' ')).toEqual(ref.out.records);
      expect(fresh.out.records.length).toBeGreaterThan(1);
    }
  });

  it('findUpstreamWindow looks past record-wise verbs only', () => {
    const win = window.parse(['tumbling', '1m']);
    const rw = { name: 'filter', recordWise: true, needs: ['a'] } as unknown as VerbInstance;
    const stateful = { name: 'head', recordWise: false, needs: ['*'] } as unknown as VerbInstance;
    expect(findUpstreamWindow({ verbs: [win, rw, rw, rw], index: 3 })).toBe(win);
    expect(findUpstreamWindow({ verbs: [win, stateful, rw], index: 2 })).toBeUndefined();
    expect(findUpstreamWindow({ verbs: [rw, rw], index: 1 })).toBeUndefined();
  });

  it('findUpstreamWindow refuses a verb between that reads a window field (it would see null)', () => {
    const win = window.parse(['tumbling', '1m']);
    const count = window.parse(['count', '5']);
    const reads = (f: string) => ({ name: 'map', recordWise: true, needs: [f] }) as unknown as VerbInstance;
    expect(() => findUpstreamWindow({ verbs: [win, reads('window_start'), reads('x')], index: 2 })).toThrow(/map: window_start is not set/);
    expect(() => findUpstreamWindow({ verbs: [win, reads('window_end.x'), reads('x')], index: 2 })).toThrow(UsageError);
    expect(() => findUpstreamWindow({ verbs: [count, reads('window_id'), reads('x')], index: 2 })).toThrow(/window_id/);
    // A count window has no bounds and a time window no id: those names are ordinary fields there.
    expect(findUpstreamWindow({ verbs: [count, reads('window_start'), reads('x')], index: 2 })).toBe(count);
    expect(findUpstreamWindow({ verbs: [win, reads('window_id'), reads('x')], index: 2 })).toBe(win);
  });
});

describe('late and malformed records', () => {
  it('late records go to --late-output, are counted in the summary and left out of results', () => {
    const { stage, out, ctx } = pipeline(['tumbling', '10m', '--time', 'ts', '--lateness', '2m', '--late-output', 'late.ndjson'], {
      plan: testPlan(),
    });
    stage.push([
      { ts: '2001-01-01T08:05:00Z', v: 1 },
      { ts: '2001-01-01T08:12:00Z', v: 1 }, // watermark 08:10: [08:00, 08:10) closes
      { ts: '2001-01-01T08:09:00Z', v: 100 }, // late
      { ts: '2001-01-01T08:11:00Z', v: 1 }, // in time (window [08:10, 08:20) open)
    ]);
    stage.end();
    expect(out.records.map((r) => [r.window_start, r.count, r.sum_v])).toEqual([
      [iso(at('08:00')), 1, 1],
      [iso(at('08:10')), 2, 2],
    ]);
    expect(ctx.outputs.get('late.ndjson')).toBe('{"ts":"2001-01-01T08:09:00Z","v":100}\n');
    expect(ctx.summaries.map((f) => f())).toEqual(['window: 1 late record written to late.ndjson']);
  });

  it('no summary line when nothing was late; the late file is still created', () => {
    const { stage, ctx } = pipeline(['tumbling', '10m', '--time', 'ts', '--late-output', 'l.ndjson'], { plan: testPlan() });
    stage.push(bids());
    stage.end();
    expect(ctx.summaries.map((f) => f())).toEqual([undefined]);
    expect(ctx.outputs.get('l.ndjson')).toBe('');
  });

  it('a record with a missing or unparseable time is malformed (rejected with verb window)', () => {
    const { stage, out, ctx } = pipeline(['tumbling', '1m', '--time', 'ts']);
    stage.push([{ ts: 'noon' }, { x: 1 }, { ts: '2001-01-01T00:00:00Z' }]);
    stage.end();
    expect(out.records).toHaveLength(1);
    expect(ctx.errorsSink.rejected.map((r) => [r.verb, r.error, r.text])).toEqual([
      ['window', "cannot read time 'noon' in field 'ts' (--time-format auto)", '{"ts":"noon"}'],
      ['window', "time field 'ts' is missing", '{"x":1}'],
    ]);
  });

  it('under --on-error fail a bad time stops the pipeline', () => {
    const ctx = testCtx(0, 'fail');
    const { stage } = pipeline(['tumbling', '1m', '--time', 'ts'], { ctx });
    expect(() => stage.push([{ ts: 'noon' }])).toThrow(/cannot read time 'noon'/);
  });

  it('--time-format with a strftime pattern, and nested time fields', () => {
    const { stage, out } = pipeline(['tumbling', '1h', '--time', 'req.at', '--time-format', '%d/%b/%Y:%H:%M:%S %z']);
    stage.push([{ req: { at: '10/Oct/2000:13:55:36 -0700' } }]);
    stage.end();
    expect(out.records[0]!.window_start).toBe('2000-10-10T20:00:00.000Z');
  });
});

describe('processing time and --idle', () => {
  it('processing-time windows close on the wall clock with no further input', () => {
    const ctx = testCtx(Date.parse('2001-01-01T10:00:00.300Z'));
    const { stage, out } = pipeline(['tumbling', '1s'], { plan: testPlan(), ctx });
    stage.push([{ v: 1 }, { v: 2 }]);
    ctx.advance(400);
    stage.push([{ v: 4 }]);
    expect(out.records).toEqual([]);
    ctx.advance(299); // 10:00:00.999
    expect(out.records).toEqual([]);
    ctx.advance(1); // 10:00:01.000: the window ends
    expect(out.records).toEqual([{ window_start: '2001-01-01T10:00:00.000Z', window_end: '2001-01-01T10:00:01.000Z', count: 3, sum_v: 7 }]);
    ctx.advance(10_000); // nothing open: no more output, no busy timer
    expect(out.records).toHaveLength(1);
    stage.push([{ v: 8 }]); // at 10:00:11.000
    stage.end();
    expect(out.records[1]).toMatchObject({ window_start: '2001-01-01T10:00:11.000Z', count: 1 });
  });

  it('processing-time sessions close GAP after the last record', () => {
    const ctx = testCtx(Date.parse('2001-01-01T10:00:00Z'));
    const { stage, out } = pipeline(['session', '2s'], { ctx });
    stage.push([{ a: 1 }]);
    ctx.advance(1500);
    stage.push([{ a: 2 }]);
    ctx.advance(2000);
    // The clock is at the session's end: it closes only once the clock has passed it.
    expect(out.records).toEqual([]);
    ctx.advance(1);
    expect(out.records.map((r) => [r.a, r.window_start, r.window_end])).toEqual([
      [1, '2001-01-01T10:00:00.000Z', '2001-01-01T10:00:03.500Z'],
      [2, '2001-01-01T10:00:00.000Z', '2001-01-01T10:00:03.500Z'],
    ]);
  });

  it('--idle: after a quiet spell event time advances with the wall clock from the last record', () => {
    const ctx = testCtx(1_000_000);
    const { stage, out } = pipeline(['tumbling', '1m', '--time', 'ts', '--idle', '5s'], { plan: testPlan(), ctx });
    stage.push([{ ts: at('10:00:30'), v: 1 }]);
    ctx.advance(4_999);
    expect(out.records).toEqual([]);
    // Idle for 5 s: event time is 10:00:35 and moves on with the clock; [10:00, 10:01) ends 25 s later.
    ctx.advance(25_000);
    expect(out.records).toEqual([]);
    ctx.advance(1);
    expect(out.records).toEqual([{ window_start: iso(at('10:00')), window_end: iso(at('10:01')), count: 1, sum_v: 1 }]);
  });

  it('--idle with a long window still closes it (the wait is max(idle, time to the end))', () => {
    const ctx = testCtx(0);
    const { stage, out } = pipeline(['session', '10s', '--time', 'ts', '--idle', '1s'], { plan: testPlan(), ctx });
    stage.push([{ ts: at('10:00'), v: 1 }]);
    ctx.advance(10_000);
    expect(out.records).toEqual([]);
    ctx.advance(1);
    expect(out.records).toHaveLength(1);
  });

  it('without --idle, event-time windows wait for input or end', () => {
    const ctx = testCtx(0);
    const { stage, out } = pipeline(['tumbling', '1m', '--time', 'ts'], { plan: testPlan(), ctx });
    stage.push([{ ts: at('10:00:30'), v: 1 }]);
    ctx.advance(3_600_000);
    expect(out.records).toEqual([]);
    stage.end();
    expect(out.records).toHaveLength(1);
  });
});

describe('usage errors', () => {
  const bad: Array<[string[], RegExp]> = [
    [[], /name a kind/],
    [['tumbeling', '1m'], /did you mean tumbling/],
    [['tumbling'], /needs SIZE/],
    [['tumbling', '1x'], /bad duration/],
    [['tumbling', '0s'], /at least 1ms/],
    [['tumbling', '1m', 'extra'], /unexpected 'extra'/],
    [['sliding', '1h'], /needs --every/],
    [['sliding', '1m', '--every', '1h'], /longer than the window/],
    [['sliding', '1d', '--every', '1ms'], /puts each record in 86400000 windows; at most 10000/],
    [['tumbling', '1m', '--every', '1m'], /take no --every/],
    [['tumbling', '1m', '--by', 'k'], /agg \.\.\. by KEYS/],
    [['tumbling', '1m', '--lateness', '5s'], /needs --time/],
    [['tumbling', '1m', '--idle', '5s'], /needs --time/],
    [['tumbling', '1m', '--time', 't', '--time-format', '%Q'], /unknown directive %Q/],
    [['count', '0'], /at least 1/],
    [['count', '2.5'], /whole number/],
    [['count', '2', '--every', '3'], /more than N/],
    [['count', '2', '--time', 't'], /do not use time/],
    [['session', '5m', '--offset', '1m'], /no --offset/],
    [['tumbling', '1m', '--tme', 't'], /did you mean --time/],
  ];
  for (const [args, re] of bad) {
    it(`window ${args.join(' ')}`, () => {
      expect(() => window.parse(args)).toThrow(UsageError);
      expect(() => window.parse(args)).toThrow(re);
    });
  }
});

function bids() {
  return [
    ['08:05', 4],
    ['08:07', 2],
    ['08:09', 5],
    ['08:11', 3],
    ['08:13', 1],
    ['08:17', 6],
  ].map(([t, v]) => ({ ts: `2001-01-01T${t}:00Z`, v }));
}

describe('session windows close only once the watermark has passed their end (issue 10 item 1)', () => {
  it('events exactly GAP apart share a session even when another key moved the watermark to last + GAP', () => {
    const { stage, out } = pipeline(['session', '3h', '--time', 't', '--by', 'k'], { plan: testPlan({ by: 'k' }) });
    stage.push([
      { k: 'a', t: '2001-01-09T10:30:00Z', v: 1 },
      { k: 'b', t: '2001-01-09T13:30:00Z', v: 1 },
      { k: 'a', t: '2001-01-09T13:30:00Z', v: 1 },
    ]);
    stage.end();
    expect(out.records).toEqual([
      { window_start: '2001-01-09T10:30:00.000Z', window_end: '2001-01-09T16:30:00.000Z', k: 'a', count: 2, sum_v: 2 },
      { window_start: '2001-01-09T13:30:00.000Z', window_end: '2001-01-09T16:30:00.000Z', k: 'b', count: 1, sum_v: 1 },
    ]);
  });

  it('alone, and in separate batches: the watermark at exactly the end keeps the session open; past it closes it', () => {
    const { stage, out } = pipeline(['session', '10m', '--time', 't', '--by', 'k']);
    stage.push([{ k: 'a', t: at('08:00') }]);
    stage.push([{ k: 'b', t: at('08:10') }]); // watermark 08:10 = a's end: a stays open
    expect(out.records).toEqual([]);
    stage.push([{ k: 'a', t: at('08:10') }]); // joins a: [08:00, 08:20)
    stage.push([{ k: 'b', t: at('08:20:00.001') }]); // passes 08:20: a and b's first session close
    expect(out.records.map((r) => [r.k, r.t, r.window_start, r.window_end])).toEqual([
      ['a', at('08:00'), iso(at('08:00')), iso(at('08:20'))],
      ['a', at('08:10'), iso(at('08:00')), iso(at('08:20'))],
      ['b', at('08:10'), iso(at('08:10')), iso(at('08:20'))],
    ]);
  });

  it('a record opening a session that ends exactly at the watermark is not late', () => {
    const { stage, out } = pipeline(['session', '10m', '--time', 't', '--by', 'k'], { plan: testPlan({ by: 'k' }) });
    stage.push([{ k: 'b', t: at('08:30'), v: 1 }, { k: 'a', t: at('08:20'), v: 2 }]); // a's [08:20, 08:30) ends at the watermark
    stage.end();
    expect(stage.stats.late).toBe(0);
    expect(out.records).toEqual([
      { window_start: iso(at('08:20')), window_end: iso(at('08:30')), k: 'a', count: 1, sum_v: 2 },
      { window_start: iso(at('08:30')), window_end: iso(at('08:40')), k: 'b', count: 1, sum_v: 1 },
    ]);
  });
});

describe('fan-out guard and count-window memory (issue 10 items 17, 18)', () => {
  it('10000 windows per record is allowed, one more is not', () => {
    expect(() => window.parse(['sliding', '10000ms', '--every', '1ms'])).not.toThrow();
    expect(() => window.parse(['sliding', '10001ms', '--every', '1ms'])).toThrow(UsageError);
    // Count windows: alone, each record is copied per window (limited when the stage is built);
    // before agg, a record is added once, to its pane (no limit).
    expect(() => pipeline(['count', '10000', '--every', '1'])).not.toThrow();
    expect(() => pipeline(['count', '10001', '--every', '1'])).toThrow(UsageError);
    expect(() => pipeline(['count', '1000000', '--every', '1'])).toThrow(/alone writes each record 1000000 times; at most 10000/);
    expect(() => pipeline(['count', '1000000', '--every', '1'], { plan: testPlan() })).not.toThrow();
  });

  it('count --by forgets a key whose windows closed: the key map is empty, and a returning key gets the next id', () => {
    for (const plan of [null, testPlan({ by: 'k' })]) {
      const { stage, out } = pipeline(['count', '2', '--by', 'k'], { plan });
      const keys = Array.from({ length: 5000 }, (_, i) => `key-${i}`);
      stage.push(keys.flatMap((k) => [{ k, v: 1 }, { k, v: 1 }]));
      const st = (stage as unknown as { snapshot(): { state: { seq: number; keys: unknown[]; idle?: unknown } } }).snapshot().state;
      expect(st.keys).toHaveLength(0);
      expect(st.idle).toBeUndefined();
      expect(st.seq).toBe(5000);
      stage.push([{ k: 'key-7', v: 1 }]);
      stage.end();
      if (plan === null) expect(out.records.at(-1)).toMatchObject({ k: 'key-7', window_id: 5000 });
      else expect(out.records.at(-1)).toEqual({ window_id: 5000, k: 'key-7', count: 1, sum_v: 1 });
    }
  });

  it('sliding count windows share panes: a record is added once, whatever N/M', () => {
    // count 1000000 --every 1 on 20,000 records: every record opens a window, none closes before the end.
    const plan = testPlan({ clone: true });
    let adds = 0;
    const add = plan.add.bind(plan);
    plan.add = (g, r) => {
      adds++;
      add(g, r);
    };
    const { stage, out, aggStage } = pipeline(['count', '1000000', '--every', '1'], { plan });
    const recs = Array.from({ length: 20_000 }, (_, i) => ({ v: i % 10 }));
    const t0 = Date.now();
    for (let i = 0; i < recs.length; i += 1000) stage.push(recs.slice(i, i + 1000));
    stage.end();
    const ms = Date.now() - t0;
    expect(aggStage!.stats!.strategy).toBe('count panes of 1 records, Two-Stacks');
    // Per-window adding would make 200,010,000 adds (and take minutes).
    expect(adds).toBe(20_000);
    expect(out.records).toHaveLength(20_000);
    // Window j holds records j..19999: count 20000 - j, sum of (i % 10) over them.
    const suffix = new Array<number>(20_001).fill(0);
    for (let i = 19_999; i >= 0; i--) suffix[i] = suffix[i + 1]! + (i % 10);
    for (const j of [0, 1, 9, 10, 12_345, 19_998, 19_999]) expect(out.records[j]).toEqual({ window_id: j, count: 20_000 - j, sum_v: suffix[j] });
    // Generous for a busy 2-core machine; it takes well under a second.
    expect(ms).toBeLessThan(8000);
  });

  it('count windows before agg: the window map is empty once every window closed (tumbling, many keys)', () => {
    const { stage, aggStage } = pipeline(['count', '3', '--by', 'k'], { plan: testPlan({ by: 'k' }) });
    for (let round = 0; round < 3; round++) {
      stage.push(Array.from({ length: 3000 }, (_, i) => ({ k: `r${round}-${i % 1000}`, v: 1 })));
      const st = (stage as unknown as { snapshot(): { state: { keys: unknown[] } } }).snapshot().state;
      expect(st.keys).toHaveLength(0);
    }
    expect(aggStage!.stats!.strategy).toBe('count');
  });
});
