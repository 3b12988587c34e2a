import { describe, expect, it } from 'vitest';
import { compileTimeParser, parseClf } from '../../src/time/parse.js';

describe('access-log time (parseClf, auto)', () => {
  it('parses the NCSA time with and without brackets, with its zone', () => {
    const utc = Date.UTC(2015, 4, 17, 10, 5, 3);
    expect(parseClf('17/May/2015:10:05:03 +0000')).toBe(utc);
    expect(parseClf('[17/May/2015:10:05:03 +0000]')).toBe(utc);
    expect(parseClf('17/may/2015:10:05:03 +0200')).toBe(utc - 2 * 3_600_000);
    expect(parseClf('17/May/2015:10:05:03 -0530')).toBe(utc + 5.5 * 3_600_000);
    expect(parseClf('17/May/2015:10:05:03')).toBe(utc);
    expect(parseClf('17/May/2015:10:05:03.250 +0000')).toBe(utc + 250);
    expect(parseClf('29/Feb/2016:00:00:00 +0000')).toBe(Date.UTC(2016, 1, 29));
  });

  it('rejects what is not one', () => {
    for (const s of [
      '',
      '17/May/2015',
      '17/Mai/2015:10:05:03 +0000',
      '29/Feb/2015:00:00:00 +0000',
      '32/Jan/2015:00:00:00 +0000',
      '17/May/2015:24:00:00 +0000',
      '17/May/2015:10:05:03 +000',
      '17/May/2015:10:05:03  +0000',
      '[17/May/2015:10:05:03 +0000',
      '17/May/2015:10:05:03 +0000 x',
      '2015-05-17',
    ]) {
      expect(parseClf(s), s).toBeNull();
    }
  });

  it('is part of auto, and agrees with the explicit strftime pattern', () => {
    const auto = compileTimeParser('auto');
    const pat = compileTimeParser('%d/%b/%Y:%H:%M:%S %z');
    for (const s of ['17/May/2015:10:05:03 +0000', '01/Jan/2000:23:59:59 -0800', '31/Dec/1999:00:00:01 +0130']) {
      expect(auto(s), s).toBe(pat(s));
      expect(auto(s)).not.toBeNull();
    }
    expect(auto('[17/May/2015:10:05:03 +0000]')).toBe(Date.UTC(2015, 4, 17, 10, 5, 3));
    expect(auto('2015-05-17T10:05:03Z')).toBe(Date.UTC(2015, 4, 17, 10, 5, 3));
  });
});
