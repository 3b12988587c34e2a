/**
 * MurmurHash3 and HyperLogLog (approx_distinct): reference hash values, error
 * on a million distinct values, and merging.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { murmur3 } from '../../src/agg/hash.js';
import { HyperLogLog } from '../../src/agg/hll.js';

/** MurmurHash3_x86_32 over a byte buffer, written plainly from the reference C++ (for comparison). */
function murmurBytes(buf: Uint8Array, seed: number): number {
  let h = seed >>> 0;
  const n = buf.length;
  const mix = (k: number) => {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    return Math.imul(k, 0x1b873593);
  };
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    h ^= mix(buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const rest = n & 3;
  if (rest === 3) k ^= buf[i + 2]! << 16;
  if (rest >= 2) k ^= buf[i + 1]! << 8;
  if (rest >= 1) h ^= mix(k ^ buf[i]!);
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

describe('murmur3', () => {
  it('matches published MurmurHash3_x86_32 test vectors', () => {
    const vectors: Array<[string, number, number]> = [
      ['', 0, 0],
      ['', 1, 0x514e28b7],
      ['', 0xffffffff, 0x81f16f39],
      ['\0\0\0\0', 0, 0x2362f9de],
      ['aaaa', 0x9747b28c, 0x5a97808a],
      ['abc', 0, 0xb3dd93fa],
      ['Hello, world!', 0x9747b28c, 0x24884cba],
      ['ππππππππ', 0x9747b28c, 0xd58063c1],
      ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
    ];
    for (const [s, seed, want] of vectors) expect(murmur3(s, seed), JSON.stringify(s)).toBe(want);
  });

  it('equals the byte-wise hash of the UTF-8 encoding for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer({ min: 0, max: 0xffffffff }), (s, seed) => {
        expect(murmur3(s, seed)).toBe(murmurBytes(new TextEncoder().encode(s), seed));
      }),
      { numRuns: 500 },
    );
  });
});

function hllOf(from: number, to: number, prefix = 'v'): HyperLogLog {
  const h = new HyperLogLog();
  for (let i = from; i < to; i++) h.addString(prefix + i);
  return h;
}

describe('HyperLogLog', () => {
  it('estimates 1,000,000 distinct values within 2 %', () => {
    const h = hllOf(0, 1_000_000);
    const err = Math.abs(h.estimate() - 1_000_000) / 1_000_000;
    expect(err).toBeLessThanOrEqual(0.02);
  });

  it('stays within 2 % across the range (sparse, switch-over, small and large range), duplicates ignored', () => {
    for (const n of [1, 10, 500, 2048, 2049, 5000, 20_000, 40_000, 80_000, 200_000]) {
      const h = new HyperLogLog();
      for (let i = 0; i < n; i++) {
        h.addString('id-' + i);
        if (i % 3 === 0) h.addString('id-' + i); // a repeat changes nothing
      }
      const err = Math.abs(h.estimate() - n) / n;
      expect(err, `n = ${n}: estimate ${h.estimate()}`).toBeLessThanOrEqual(0.02);
    }
  });

  it('is exact while sparse (up to 2,048 distinct hashes) and switches to registers after', () => {
    const small = hllOf(0, 2048);
    expect(small.isSparse).toBe(true);
    expect(small.estimate()).toBe(2048);
    const big = hllOf(0, 2049);
    expect(big.isSparse).toBe(false);
  });

  it('merge equals the sketch of the whole input, for any split (sparse and dense sides)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30_000 }), fc.integer({ min: 0, max: 30_000 }), fc.integer({ min: 0, max: 5000 }), (a, b, overlap) => {
        const whole = hllOf(0, a + b);
        const left = hllOf(0, a);
        const right = hllOf(Math.max(0, a - overlap), a + b); // overlapping values count once
        left.merge(right);
        expect(left.estimate()).toBe(whole.estimate());
      }),
      { numRuns: 25 },
    );
  });

  it('errors on distinct values spread over several seeds average out near zero (no bias)', () => {
    let sum = 0;
    const runs = 8;
    for (let r = 0; r < runs; r++) {
      const h = hllOf(0, 30_000, `seed${r}-`);
      sum += (h.estimate() - 30_000) / 30_000;
    }
    expect(Math.abs(sum / runs)).toBeLessThan(0.006);
  });
});
