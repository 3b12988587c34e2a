/**
 * `window --tz ZONE` and calendar sizes (issue 12, Time): a 1d window per
 * local day across DST, months and years as on the calendar; checked against
 * luxon's own startOf/plus as the reference.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { UsageError } from '../../src/engine/errors.js';
import { window } from '../../src/verbs/window.js';
import { windowCalendar } from '../../src/window/calendar.js';
import { pipeline, testPlan } from './window-helpers.js';
import { sluice } from '../helpers/run.js';

const NY = 'America/New_York';

describe('window tumbling with --tz and calendar sizes', () => {
  it('1d in America/New_York: one window per local day, 23 h when DST starts, 25 h when it ends', () => {
    const { stage, out } = pipeline(['tumbling', '1d', '--time', 't', '--tz', NY], { plan: testPlan() });
    stage.push([
      { t: '2001-03-31T23:30:00-05:00', v: 1 },
      { t: '2001-04-01T00:30:00-05:00', v: 1 },
      { t: '2001-04-01T23:30:00-04:00', v: 1 },
      { t: '2001-10-28T00:30:00-04:00', v: 1 },
      { t: '2001-10-28T23:30:00-05:00', v: 1 },
    ]);
    stage.end();
    expect(out.records.map((r) => [r.window_start, r.window_end, r.count])).toEqual([
      ['2001-03-31T05:00:00.000Z', '2001-04-01T05:00:00.000Z', 1],
      ['2001-04-01T05:00:00.000Z', '2001-04-02T04:00:00.000Z', 2],
      ['2001-10-28T04:00:00.000Z', '2001-10-29T05:00:00.000Z', 2],
    ]);
  });

  it('1mo and 3mo in UTC, 1y in a zone; alone too', () => {
    const recs = () => ['2001-01-31T23:59:59Z', '2001-02-01T00:00:00Z', '2001-02-28T12:00:00Z', '2001-03-01T00:00:00Z', '2001-04-02T00:00:00Z'].map((t) => ({ t, v: 1 }));
    const m = pipeline(['tumbling', '1mo', '--time', 't'], { plan: testPlan() });
    m.stage.push(recs());
    m.stage.end();
    expect(m.out.records.map((r) => [r.window_start, r.window_end, r.count])).toEqual([
      ['2001-01-01T00:00:00.000Z', '2001-02-01T00:00:00.000Z', 1],
      ['2001-02-01T00:00:00.000Z', '2001-03-01T00:00:00.000Z', 2],
      ['2001-03-01T00:00:00.000Z', '2001-04-01T00:00:00.000Z', 1],
      ['2001-04-01T00:00:00.000Z', '2001-05-01T00:00:00.000Z', 1],
    ]);
    const q = pipeline(['tumbling', '3mo', '--time', 't']);
    q.stage.push(recs());
    q.stage.end();
    expect(q.out.records.map((r) => r.window_start)).toEqual([...Array(4).fill('2001-01-01T00:00:00.000Z'), '2001-04-01T00:00:00.000Z']);
    const y = pipeline(['tumbling', '1y', '--time', 't', '--tz', 'Europe/Paris'], { plan: testPlan() });
    y.stage.push([{ t: '2000-12-31T23:30:00Z', v: 1 }, { t: '2001-12-31T23:30:00Z', v: 1 }]);
    y.stage.end();
    expect(y.out.records.map((r) => [r.window_start, r.window_end])).toEqual([
      ['2000-12-31T23:00:00.000Z', '2001-12-31T23:00:00.000Z'],
      ['2001-12-31T23:00:00.000Z', '2002-12-31T23:00:00.000Z'],
    ]);
  });

  it('bounds equal luxon startOf/plus for random instants (property)', () => {
    const zones = ['America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'UTC'];
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) }), fc.constantFrom(...zones), fc.constantFrom('1d', '1mo', '1y'), (ts, zone, size) => {
        const unit = size === '1d' ? 'day' : size === '1mo' ? 'month' : 'year';
        const cal = windowCalendar(86_400_000, size === '1d' ? 0 : size === '1mo' ? 1 : 12, 0, zone);
        const start = DateTime.fromMillis(ts, { zone }).startOf(unit);
        const s = cal.startOf(ts);
        expect(s).toBe(start.toMillis());
        expect(cal.endOf(s)).toBe(start.plus({ [unit + 's']: 1 }).toMillis());
      }),
      { numRuns: 500 },
    );
  });

  it('usage errors: --tz or calendar sizes beyond tumbling, unknown zones, --offset with months', () => {
    for (const args of [
      ['sliding', '1d', '--every', '1h', '--tz', NY],
      ['session', '1mo'],
      ['tumbling', '1d', '--tz', 'Mars/Olympus'],
      ['tumbling', '1mo', '--offset', '1d'],
      ['count', '5', '--tz', NY],
    ]) {
      expect(() => window.parse(args), args.join(' ')).toThrow(UsageError);
    }
    const r = sluice(['window', 'tumbling', '1d', '--tz', 'Nowhere', '--time', 't'], '');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown time zone 'Nowhere'/);
  });

  it('end to end: daily counts per local day in New York', () => {
    const input = ['2001-04-01T03:59:00Z', '2001-04-01T04:01:00Z', '2001-04-02T03:59:00Z', '2001-04-02T04:00:00Z'].map((t) => JSON.stringify({ t })).join('\n') + '\n';
    const r = sluice(['window', 'tumbling', '1d', '--time', 't', '--tz', NY, 'then', 'agg', 'count'], input);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        '{"window_start":"2001-03-31T05:00:00.000Z","window_end":"2001-04-01T05:00:00.000Z","count":2}',
        '{"window_start":"2001-04-01T05:00:00.000Z","window_end":"2001-04-02T04:00:00.000Z","count":1}',
        '{"window_start":"2001-04-02T04:00:00.000Z","window_end":"2001-04-03T04:00:00.000Z","count":1}',
      ].join('\n') + '\n',
    );
  });
});
