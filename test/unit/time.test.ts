import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { civilFromDays, compileStrftime, compileTimeParser, daysFromCivil, isoString, strftime } from '../../src/time/parse.js';
import { UsageError } from '../../src/engine/errors.js';
import { NumText } from '../../src/engine/values.js';

const auto = compileTimeParser('auto');

describe('civil date arithmetic (Hinnant)', () => {
  it('agrees with Date.UTC for days across 1970, leap years and centuries', () => {
    fc.assert(
      fc.property(fc.integer({ min: -700_000, max: 2_900_000 }), (z) => {
        const c = civilFromDays(z);
        expect(daysFromCivil(c.y, c.m, c.d)).toBe(z);
        const d = new Date(z * 86_400_000);
        expect([c.y, c.m, c.d]).toEqual([d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()]);
      }),
      { numRuns: 2000 },
    );
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(daysFromCivil(2000, 3, 1) - daysFromCivil(2000, 2, 28)).toBe(2);
    expect(daysFromCivil(1900, 3, 1) - daysFromCivil(1900, 2, 28)).toBe(1);
  });
});

describe('compileTimeParser auto', () => {
  it('parses ISO 8601 with and without zone, fractions and bare dates', () => {
    expect(auto('2001-01-01T00:01:00Z')).toBe(Date.UTC(2001, 0, 1, 0, 1));
    expect(auto('2001-01-01T00:01:00')).toBe(Date.UTC(2001, 0, 1, 0, 1));
    expect(auto('2001-01-01 00:01:00')).toBe(Date.UTC(2001, 0, 1, 0, 1));
    expect(auto('2001-01-01T00:01')).toBe(Date.UTC(2001, 0, 1, 0, 1));
    expect(auto('2001-01-01T10:00:59.999Z')).toBe(Date.UTC(2001, 0, 1, 10, 0, 59, 999));
    expect(auto('2001-01-01T10:00:59.5Z')).toBe(Date.UTC(2001, 0, 1, 10, 0, 59, 500));
    expect(auto('2001-01-01T10:00:59.123456789Z')).toBe(Date.UTC(2001, 0, 1, 10, 0, 59, 123));
    expect(auto('2001-01-01T10:00:00+02:00')).toBe(Date.UTC(2001, 0, 1, 8));
    expect(auto('2001-01-01T10:00:00-0530')).toBe(Date.UTC(2001, 0, 1, 15, 30));
    expect(auto('2001-01-01T10:00:00+02')).toBe(Date.UTC(2001, 0, 1, 8));
    expect(auto('2001-03-04')).toBe(Date.UTC(2001, 2, 4));
    expect(auto('1969-12-31T23:59:59.999Z')).toBe(-1);
    expect(auto('1066-10-14T09:00:00Z')).toBe(Date.UTC(1066, 9, 14, 9));
  });

  it('agrees with Date.parse on random ISO strings with zones', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -62_000_000_000_000, max: 250_000_000_000_000 }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        (ms, offMin) => {
          const local = new Date(ms + offMin * 60_000).toISOString().slice(0, 23);
          const sign = offMin < 0 ? '-' : '+';
          const a = Math.abs(offMin);
          const text = `${local}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
          expect(auto(text)).toBe(Date.parse(text));
          expect(auto(text)).toBe(ms);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('rejects impossible dates and garbage', () => {
    for (const bad of ['2001-02-29', '2001-13-01', '2001-00-10', '2001-01-32', '2001-01-01T24:00:00Z', '2001-01-01T10:60Z',
      '2001-01-01T10:00:00ZZ', '2001-01-01T10:00:00.Z', 'yesterday', '', '2001-1-1', '2001-01-01X10:00']) {
      expect(auto(bad), bad).toBeNull();
    }
    expect(auto('2000-02-29')).toBe(Date.UTC(2000, 1, 29));
    expect(auto(null)).toBeNull();
    expect(auto(undefined)).toBeNull();
    expect(auto(true)).toBeNull();
    expect(auto({ a: 1 })).toBeNull();
    expect(auto(NaN)).toBeNull();
  });

  it('takes numbers below 1e11 as epoch seconds, others as epoch ms, also as strings and NumText', () => {
    expect(auto(978307200)).toBe(978307200000);
    expect(auto(978307200000)).toBe(978307200000);
    expect(auto('978307200')).toBe(978307200000);
    expect(auto(' 978307200000 ')).toBe(978307200000);
    expect(auto(978307200.25)).toBe(978307200250);
    expect(auto(-86400)).toBe(-86_400_000);
    expect(auto(99_999_999_999)).toBe(99_999_999_999_000);
    expect(auto(100_000_000_000)).toBe(100_000_000_000);
    expect(auto(new NumText(978307200, '978307200.000'))).toBe(978307200000);
  });
});

describe('compileTimeParser epoch-s / epoch-ms', () => {
  it('reads the unit it is told', () => {
    const s = compileTimeParser('epoch-s');
    const ms = compileTimeParser('epoch-ms');
    expect(s(1)).toBe(1000);
    expect(s('1.5')).toBe(1500);
    expect(s(1e12)).toBe(1e15);
    expect(ms(1)).toBe(1);
    expect(ms('978307200000')).toBe(978307200000);
    expect(s('2001-01-01')).toBeNull();
    expect(ms(null)).toBeNull();
  });
});

describe('compileTimeParser strftime patterns', () => {
  it('parses an Apache log time with %z and %b', () => {
    const p = compileTimeParser('%d/%b/%Y:%H:%M:%S %z');
    expect(p('10/Oct/2000:13:55:36 -0700')).toBe(Date.parse('2000-10-10T13:55:36-07:00'));
    expect(p('10/oct/2000:13:55:36 +0000')).toBe(Date.UTC(2000, 9, 10, 13, 55, 36));
  });

  it('parses %I %p, %e, %f and %%', () => {
    expect(compileTimeParser('%m/%d/%Y %I:%M %p')('01/05/2001 12:30 AM')).toBe(Date.UTC(2001, 0, 5, 0, 30));
    expect(compileTimeParser('%m/%d/%Y %I:%M %p')('01/05/2001 12:30 pm')).toBe(Date.UTC(2001, 0, 5, 12, 30));
    expect(compileTimeParser('%m/%d/%Y %I:%M %p')('01/05/2001 01:30 PM')).toBe(Date.UTC(2001, 0, 5, 13, 30));
    expect(compileTimeParser('%b %e %H:%M:%S')('Jan  5 13:04:05')).toBe(Date.UTC(1970, 0, 5, 13, 4, 5));
    expect(compileTimeParser('%Y-%m-%d %H:%M:%S.%f')('2001-01-05 13:04:05.123456')).toBe(Date.UTC(2001, 0, 5, 13, 4, 5, 123));
    expect(compileTimeParser('%Y%m%d%H%M%S')('20010105130405')).toBe(Date.UTC(2001, 0, 5, 13, 4, 5));
    expect(compileTimeParser('100%% %Y')('100% 2001')).toBe(Date.UTC(2001, 0, 1));
  });

  it('returns null on mismatches, trailing text and impossible dates', () => {
    const p = compileTimeParser('%Y-%m-%d');
    expect(p('2001-02-30')).toBeNull();
    expect(p('2001-02-03x')).toBeNull();
    expect(p('2001/02/03')).toBeNull();
    expect(p(20010203)).toBeNull();
  });

  it('throws UsageError for unknown directives, a lone % and patterns without a directive', () => {
    expect(() => compileTimeParser('%Y-%Q')).toThrow(UsageError);
    expect(() => compileTimeParser('%Y %')).toThrow(UsageError);
    expect(() => compileTimeParser('iso')).toThrow(UsageError);
    expect(() => strftime(0, '%Q')).toThrow(UsageError);
  });
});

describe('strftime and isoString', () => {
  it('formats every directive in UTC', () => {
    const t = Date.UTC(2001, 0, 5, 13, 4, 5, 6);
    expect(strftime(t, '%Y-%m-%d %e %H %I %p %M %S %f %z %b %%')).toBe('2001-01-05  5 13 01 PM 04 05 006000 +0000 Jan %');
    expect(strftime(t, '%B %a %A %j %s %T %F %D %Z')).toBe('January Fri Friday 005 978699845 13:04:05 2001-01-05 01/05/01 UTC');
    expect(strftime(Date.UTC(1960, 11, 31, 0, 0, 0), '%F %T %a')).toBe('1960-12-31 00:00:00 Sat');
    expect(compileStrftime('%H')(Date.UTC(2001, 0, 1, 7))).toBe('07');
  });

  it('isoString matches toISOString, before 1970 too', () => {
    expect(isoString(Date.UTC(2001, 0, 1))).toBe('2001-01-01T00:00:00.000Z');
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
        expect(isoString(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 3000 },
    );
  });

  it('round trip: strftime then parse with the same pattern gives the time back', () => {
    const patterns = [
      '%Y-%m-%dT%H:%M:%S.%f%z',
      '%d/%b/%Y:%H:%M:%S.%f %z',
      '%Y%m%d %I:%M:%S.%f %p',
      '%e %B %Y %H:%M:%S.%f',
      '%Y-%j %T.%f',
      '%A, %F %T.%f %Z',
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: -62_167_219_200_000, max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }),
        fc.constantFrom(...patterns),
        (ms, pattern) => {
          const text = strftime(ms, pattern);
          expect(compileTimeParser(pattern)(text), `${pattern} ${text}`).toBe(ms);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('round trip through auto: isoString then parse', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_167_219_200_000, max: Date.UTC(9999, 11, 31) }), (ms) => {
        expect(auto(isoString(ms))).toBe(ms);
      }),
    );
  });
});

describe('compileTimeParser auto: the last text parsed is remembered', () => {
  it('a run of repeated and changing values gives what a fresh parser gives for each', () => {
    const vals: unknown[] = ['2001-01-01T00:01:00Z', '2001-01-01T00:01:00Z', '2001-01-01T00:02:00Z', '2001-01-01T00:01:00Z', 'nope', 'nope', '17/May/2015:10:05:03 +0000', '17/May/2015:10:05:03 +0000', 1_000_000, '1000000', '', '2001-01-01T00:02:00Z', null, '2001-01-01T00:02:00Z'];
    const p = compileTimeParser('auto');
    expect(vals.map((v) => p(v))).toEqual(vals.map((v) => compileTimeParser('auto')(v)));
    expect(p('2001-01-01T00:02:00Z')).toBe(Date.UTC(2001, 0, 1, 0, 2));
  });
});
