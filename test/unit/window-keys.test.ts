/**
 * The `--by` key encoding of window (and head --by): two records get the same
 * key string exactly when their key texts are the same, whatever characters
 * (separators, control characters) or nulls they hold.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileKey } from '../../src/window/keys.js';

/** Key values rich in the characters an encoding might use. */
const keyValue = fc.oneof(
  fc.constant(null),
  fc.string({ unit: fc.constantFrom('\u0000', '\u0001', '\u0002', '\u0003', '\u0004', 'a', ',') , maxLength: 4 }),
  fc.integer({ min: -3, max: 3 }),
);

describe('compileKey', () => {
  for (const n of [1, 2, 3]) {
    it(`is injective over ${n} key(s): equal key strings exactly for equal key texts`, () => {
      const paths = Array.from({ length: n }, (_, i) => [`k${i}`]);
      const keyOf = compileKey(paths);
      const rec = (vs: unknown[]) => Object.fromEntries(vs.map((v, i) => [`k${i}`, v]));
      const text = (v: unknown) => (v === null ? null : String(v));
      fc.assert(
        fc.property(fc.array(keyValue, { minLength: n, maxLength: n }), fc.array(keyValue, { minLength: n, maxLength: n }), (a, b) => {
          const same = a.every((v, i) => text(v) === text(b[i]));
          expect(keyOf(rec(a)) === keyOf(rec(b))).toBe(same);
        }),
        { numRuns: 3000 },
      );
    });
  }

  it('a missing key is the same as null, and 7 is the same as "7"', () => {
    const keyOf = compileKey([['a'], ['b']]);
    expect(keyOf({ a: 7 })).toBe(keyOf({ a: '7', b: null }));
  });

  it('__proto__ and constructor are ordinary key fields', () => {
    const keyOf = compileKey([['__proto__'], ['constructor']]);
    const a = JSON.parse('{"__proto__":"x","constructor":"y"}');
    const b = JSON.parse('{"__proto__":"x","constructor":"z"}');
    expect(keyOf(a)).not.toBe(keyOf(b));
    expect(keyOf({})).toBe(keyOf(JSON.parse('{"__proto__":null}')));
  });
});
