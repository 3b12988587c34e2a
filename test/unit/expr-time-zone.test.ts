/**
 * strftime and time accept the same values (ISO text, epoch seconds, epoch
 * ms by the auto rule), and take a time zone (issue 12, Time).
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/engine/errors.js';
import type { Rec } from '../../src/engine/types.js';
import { compileExpr, parseExpr } from '../../src/expr/index.js';
import { evaluate } from '../../src/expr/interpret.js';
import { sluice } from '../helpers/run.js';

function ev(expr: string, rec: Rec = {}): unknown {
  const v = compileExpr(expr, 'map').fn(rec);
  expect(evaluate(parseExpr(expr, 'map'), rec), `interpreter on ${expr}`).toEqual(v);
  return v;
}

describe('strftime reads times as time() does', () => {
  it('ISO text, epoch seconds and epoch ms give the same text', () => {
    expect(ev('strftime(t, "%H")', { t: '2001-01-01T10:30:00Z' })).toBe('10');
    expect(ev('strftime(978307260, "%F")')).toBe('2001-01-01');
    expect(ev('strftime(978307260000, "%F %T")')).toBe('2001-01-01 00:01:00');
    expect(ev('strftime(t, "%F")', { t: '2001-01-01' })).toBe('2001-01-01');
    expect(ev('strftime(time(t), "%F %T")', { t: '2001-01-01T00:01:00Z' })).toBe('2001-01-01 00:01:00');
    expect(ev('strftime(t, "%F")', { t: 'yesterday' })).toBe(null);
  });
  it('end to end, as a user types it', () => {
    const r = sluice(['map', 'h = strftime(time, "%H:%M")'], '{"time":"2001-01-01T10:30:00Z"}\n');
    expect(r.stdout).toBe('{"time":"2001-01-01T10:30:00Z","h":"10:30"}\n');
  });
});

describe('time zones', () => {
  it('strftime in a zone, across DST, with %z and %Z', () => {
    expect(ev('strftime(t, "%F %H:%M %z %Z", "America/New_York")', { t: '2001-01-15T12:00:00Z' })).toBe('2001-01-15 07:00 -0500 EST');
    expect(ev('strftime(t, "%F %H:%M %z %Z", "America/New_York")', { t: '2001-07-15T12:00:00Z' })).toBe('2001-07-15 08:00 -0400 EDT');
    expect(ev('strftime(t, "%H:%M %z", "Asia/Kolkata")', { t: '2001-07-15T12:00:00Z' })).toBe('17:30 +0530');
    expect(ev('strftime(t, "%s %%", "Europe/Paris")', { t: '2001-01-01T00:00:00Z' })).toBe('978307200 %');
    expect(ev('strftime(t, "%H", z)', { t: '2001-01-15T12:00:00Z', z: 'Europe/Paris' })).toBe('13');
    expect(ev('strftime(t, "%H", z)', { t: '2001-01-15T12:00:00Z', z: 'Mars/Olympus' })).toBe(null);
  });
  it('time reads a time without zone as wall-clock time in the zone; one with a zone keeps it', () => {
    expect(ev('time(t, "auto", "America/New_York")', { t: '2001-01-15 07:00:00' })).toBe(Date.parse('2001-01-15T12:00:00Z'));
    expect(ev('time(t, "auto", "America/New_York")', { t: '2001-07-15T08:00:00' })).toBe(Date.parse('2001-07-15T12:00:00Z'));
    expect(ev('time(t, "auto", "America/New_York")', { t: '2001-07-15T08:00:00Z' })).toBe(Date.parse('2001-07-15T08:00:00Z'));
    expect(ev('time(t, "%d/%m/%Y %H:%M", "Europe/Paris")', { t: '15/01/2001 13:00' })).toBe(Date.parse('2001-01-15T12:00:00Z'));
    expect(ev('time(t, "auto", "Europe/Paris")', { t: 978307200 })).toBe(978307200000);
    // The hour skipped when DST starts moves forward; a repeated hour is its first occurrence.
    expect(ev('time(t, "auto", "America/New_York")', { t: '2001-04-01T02:30:00' })).toBe(Date.parse('2001-04-01T07:30:00Z'));
    expect(ev('time(t, "auto", "America/New_York")', { t: '2001-10-28T01:30:00' })).toBe(Date.parse('2001-10-28T05:30:00Z'));
  });
  it('an unknown literal zone is a usage error with a caret', () => {
    expect(() => compileExpr('strftime(t, "%H", "Mars/Olympus")', 'map')).toThrow(UsageError);
    expect(() => compileExpr('time(t, "auto", "Nowhere")', 'map')).toThrow(/unknown time zone 'Nowhere'/);
  });
});
