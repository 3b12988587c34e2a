import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JSON_NUMBER_RE, NumText, markChanged, typeCell, typeCellIn } from '../../src/engine/values.js';
import { CsvReader, CsvWriter } from '../../src/formats/csv.js';
import { testErrors } from '../helpers/ctx.js';

/** SPEC §2, word for word: JSON number grammar → number, a NumText when String(n) is not the text; '' → null; else the string. */
function specTypeCell(cell: string): unknown {
  if (cell === '') return null;
  if (!JSON_NUMBER_RE.test(cell)) return cell;
  const n = +cell;
  return String(n) === cell ? n : new NumText(n, cell);
}

/** The regex-based typeCell this scan replaced (before its fast path was corrected for 16-digit numbers). */
const CANONICAL_RE = /^-?(?:0|[1-9]\d{0,14})(?:\.(?!0{6})\d*[1-9])?$/;
function regexTypeCell(cell: string): unknown {
  if (cell === '') return null;
  const c = cell.charCodeAt(0);
  if (c !== 45 && (c < 48 || c > 57)) return cell;
  if (!JSON_NUMBER_RE.test(cell)) return cell;
  const n = +cell;
  if (CANONICAL_RE.test(cell) && cell !== '-0' && cell.length <= 17) return n;
  if (String(n) === cell) return n;
  return new NumText(n, cell);
}

/** Comparable form: kind, value (with -0 told apart) and text. */
function shape(v: unknown): unknown {
  if (v instanceof NumText) return { numText: v.text, value: Object.is(v.value, -0) ? '-0' : v.value };
  if (typeof v === 'number') return { number: Object.is(v, -0) ? '-0' : v };
  return v;
}

const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom('0', '1', '2', '5', '7', '9'), minLength: min, maxLength: max });

/** Strings that look like numbers: JSON numbers, near misses, and numbers as JavaScript prints them. */
const numberish = fc.oneof(
  // built from the grammar's parts, with near misses (leading zeros, '+', bare '.', 'e' without digits)
  fc
    .tuple(
      fc.constantFrom('', '', '-', '+', '--'),
      fc.oneof(digits(1, 20), fc.constant('0'), fc.constant('')),
      fc.oneof(fc.constant(''), fc.constant(''), digits(0, 18).map((d) => '.' + d)),
      fc.oneof(fc.constant(''), fc.constant(''), fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(0, 3)).map((p) => p.join(''))),
      fc.constantFrom('', '', '', ' ', 'x', '.', '0'),
    )
    .map((p) => p.join('')),
  // numbers as JavaScript writes them, and in other notations of the same value
  fc.double({ noNaN: true, noDefaultInfinity: true }).chain((x) =>
    fc.constantFrom(String(x), x.toPrecision(16), x.toPrecision(17), x.toExponential(), Math.abs(x) < 1e21 ? x.toFixed(3) : String(x)),
  ),
  fc.integer({ min: -1e6, max: 1e6 }).map((i) => String(i / 1000)),
  // 15 to 17 significant digits without exponent (where the shortcut for canonical numbers ends)
  fc.double({ min: -1e9, max: 1e9, noNaN: true }).chain((x) => fc.constantFrom(x.toPrecision(15), x.toPrecision(16), x.toPrecision(17))),
  fc.tuple(fc.constantFrom('', '-'), digits(1, 9), digits(1, 10)).map(([m, a, b]) => m + a.replace(/^0+(?=\d)/, '') + '.' + b),
  // small decimals around 1e-6, where JavaScript turns to exponents
  fc.tuple(fc.constantFrom('', '-'), fc.integer({ min: 0, max: 9 }), digits(1, 4)).map(([m, z, d]) => m + '0.' + '0'.repeat(z) + d),
  fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }).map(String),
  // anything
  fc.string({ maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('0', '1', '9', '-', '+', '.', 'e', 'E', ' ', 'a'), maxLength: 12 }),
);

describe('typeCell', () => {
  it('equals the SPEC §2 definition (JSON grammar; NumText when String(n) differs) on random strings (property)', () => {
    fc.assert(
      fc.property(numberish, (s) => {
        expect(shape(typeCell(s))).toEqual(shape(specTypeCell(s)));
      }),
      { numRuns: 20000 },
    );
  });

  it('equals the previous regex-based typeCell, except that 16-digit numbers JavaScript prints differently are NumText (property)', () => {
    fc.assert(
      fc.property(numberish, (s) => {
        const old = regexTypeCell(s);
        const now = typeCell(s);
        if (typeof old === 'number' && String(old) !== s) {
          // the old fast path took these for canonical: 16 significant digits
          expect(s.replace(/[-.]/g, '').replace(/^0+/, '').length).toBeGreaterThanOrEqual(16);
          expect(shape(now)).toEqual(shape(new NumText(old, s)));
        } else {
          expect(shape(now)).toEqual(shape(old));
        }
      }),
      { numRuns: 20000 },
    );
  });

  it('typeCellIn(text, from, to) types text.slice(from, to) the same, whatever surrounds it (property)', () => {
    const around = fc.string({ unit: fc.constantFrom('1', '0', '-', '.', 'e', ',', 'a', ' '), maxLength: 4 });
    fc.assert(
      fc.property(around, numberish, around, (before, s, after) => {
        const text = before + s + after;
        expect(shape(typeCellIn(text, before.length, before.length + s.length))).toEqual(shape(typeCell(s)));
      }),
      { numRuns: 20000 },
    );
  });

  it('types the usual cells', () => {
    expect(typeCell('')).toBeNull();
    expect(typeCell('0')).toBe(0);
    expect(typeCell('-12')).toBe(-12);
    expect(typeCell('2176')).toBe(2176);
    expect(typeCell('3.5')).toBe(3.5);
    expect(typeCell('999999999999999')).toBe(999999999999999);
    expect(typeCell('0.000001')).toBe(0.000001);
    expect(typeCell('1e3')).toEqual(new NumText(1000, '1e3'));
    expect(typeCell('1.50')).toEqual(new NumText(1.5, '1.50'));
    expect(Object.is((typeCell('-0') as NumText).value, -0)).toBe(true);
    expect(typeCell('0.0000001')).toEqual(new NumText(1e-7, '0.0000001'));
    expect(typeCell('12345678901234567890')).toEqual(new NumText(12345678901234567000, '12345678901234567890'));
    for (const s of ['007', '0x1f', ' 5', '5 ', '+1', '1.', '.5', '1e', '1e+', '-', '--1', '1.5.', 'Infinity', 'NaN', '2001-01-01T00:01:00Z', 'LAS']) {
      expect(typeCell(s)).toBe(s);
    }
  });

  it('keeps a 16-digit number as written when its record is changed (CSV fidelity)', () => {
    const errors = testErrors('fail');
    const r = new CsvReader({ source: 'in', errors, delimiter: ',' });
    const recs = [...r.feed('a,b\n96.66134056762261,x\n'), ...r.end()];
    expect(recs[0]!.a).toEqual(new NumText(96.66134056762262, '96.66134056762261'));
    recs[0]!.b = 'y';
    markChanged(recs[0]!);
    const w = new CsvWriter('csv', { inputFormat: 'csv' });
    expect(w.write(recs)).toBe('a,b\n96.66134056762261,y\n');
  });
});
