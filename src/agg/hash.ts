/**
 * String hashing for sketches (`approx_distinct`).
 *
 * MurmurHash3, x86 32-bit variant (Austin Appleby, 2011, public domain;
 * reference: https://github.com/aappleby/smhasher/blob/master/src/MurmurHash3.cpp,
 * `MurmurHash3_x86_32`), computed over the UTF-8 bytes of a JavaScript string
 * without materialising them: code points are encoded on the fly and fed to the
 * 4-byte block mixer, so the result equals the reference function applied to
 * `Buffer.from(s, 'utf8')` (lone surrogates are encoded as U+FFFD, as
 * TextEncoder does).
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/**
 * MurmurHash3_x86_32 of the UTF-8 encoding of `s`.
 * @param s    any string
 * @param seed a 32-bit seed (default 0)
 * @returns an unsigned 32-bit integer
 */
export function murmur3(s: string, seed = 0): number {
  let h = seed >>> 0;
  let k = 0; // the block being filled, little-endian
  let shift = 0; // bits already in k
  let len = 0; // bytes fed
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    let bytes: number; // up to 4 bytes packed little-endian (first byte lowest)
    let count: number;
    if (c < 0x80) {
      // Fast path: ASCII goes straight into the block.
      k |= c << shift;
      shift += 8;
      len++;
      if (shift === 32) {
        h = mixBlock(h, k);
        k = 0;
        shift = 0;
      }
      continue;
    } else if (c < 0x800) {
      bytes = (0xc0 | (c >> 6)) | ((0x80 | (c & 0x3f)) << 8);
      count = 2;
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        } else {
          c = 0xfffd; // lone surrogate
        }
      }
      if (c < 0x10000) {
        bytes = (0xe0 | (c >> 12)) | ((0x80 | ((c >> 6) & 0x3f)) << 8) | ((0x80 | (c & 0x3f)) << 16);
        count = 3;
      } else {
        bytes =
          (0xf0 | (c >> 18)) | ((0x80 | ((c >> 12) & 0x3f)) << 8) | ((0x80 | ((c >> 6) & 0x3f)) << 16) | ((0x80 | (c & 0x3f)) << 24);
        count = 4;
      }
    }
    for (let j = 0; j < count; j++) {
      k |= ((bytes >>> (8 * j)) & 0xff) << shift;
      shift += 8;
      len++;
      if (shift === 32) {
        h = mixBlock(h, k);
        k = 0;
        shift = 0;
      }
    }
  }
  // Tail (1 to 3 bytes left in k).
  if (shift > 0) {
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  // Finalisation: fmix32.
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixBlock(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}
