/**
 * A `Frame` (frame.ts) for the aggregates whose state is a few numbers —
 * count, count(f), sum, avg, var, stddev — laid out in typed arrays, so a
 * record costs no allocation at all: the same Two-Stacks algorithm
 * (Tangwongsan, Hirzel, Schneider 2019), with each element a run of `K`
 * float64 slots (element-major) instead of a GroupState.
 *
 * Slots per aggregate: count and count(f): n; sum and avg: n, i, s, c (as
 * the Sum accumulator: integers summed apart in i, exact; other numbers by
 * Neumaier's compensated summation in s + c); var and stddev: n, mean, m2
 * (Welford; merged by Chan, Golub & LeVeque's pairwise update, as the
 * Variance accumulator does). Results equal those of the accumulators of
 * src/agg/accumulators.ts merged in the same order, except that an integer
 * sum beyond 2^53 is a double here (the Sum accumulator spills into a
 * BigInt).
 */
import type { AggSpec } from '../agg/parse.js';
import type { Rec } from '../engine/types.js';
import { NumText, pathGetter } from '../engine/values.js';
import { reportNonFinite } from '../agg/accumulators.js';
import { fromBase64, toBase64 } from '../state/codec.js';
import { decodeArray, decodeObject, decodeTime } from '../window/state.js';
import { PositionStacks } from '../window/stacks.js';

const COUNT = 0;
const COUNT_F = 1;
const SUM = 2;
const AVG = 3;
const VAR = 4;
const STDDEV = 5;

/** The compiled layout shared by every key's NumFrame. */
export interface NumLayout {
  kinds: Int8Array;
  offs: Int32Array;
  getters: Array<((rec: Rec) => unknown) | null>;
  /** Slots per element. */
  k: number;
}

/** The layout for `aggs`, or null when some aggregate is not one of count, count(f), sum, avg, var, stddev. */
export function numLayout(aggs: readonly AggSpec[]): NumLayout | null {
  const kinds = new Int8Array(aggs.length);
  const offs = new Int32Array(aggs.length);
  const getters: NumLayout['getters'] = [];
  let k = 0;
  for (let i = 0; i < aggs.length; i++) {
    const a = aggs[i]!;
    let kind: number;
    let w: number;
    if (a.fn === 'count') [kind, w] = a.path === null ? [COUNT, 1] : [COUNT_F, 1];
    else if (a.fn === 'sum') [kind, w] = [SUM, 4];
    else if (a.fn === 'avg' || a.fn === 'mean') [kind, w] = [AVG, 4];
    else if (a.fn === 'var') [kind, w] = [VAR, 3];
    else if (a.fn === 'stddev') [kind, w] = [STDDEV, 3];
    else return null;
    kinds[i] = kind;
    offs[i] = k;
    getters.push(a.path === null ? null : pathGetter(a.path));
    k += w;
  }
  return { kinds, offs, getters, k };
}

function grow(a: Float64Array, need: number): Float64Array {
  if (need <= a.length) return a;
  const b = new Float64Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/** Add x to the compensated sum a[o] + a[o + 1] (Neumaier 1974, as Sum.addFloat). */
function neumaier(a: Float64Array, o: number, x: number): void {
  const s = a[o]!;
  const t = s + x;
  if (Math.abs(s) >= Math.abs(x)) a[o + 1] += s - t + x;
  else a[o + 1] += x - t + s;
  a[o] = t;
}

/** The sum held at a[o + 1 ..]: integer part plus compensated part, as Sum.total. */
function total(a: Float64Array, o: number): number {
  const i = a[o + 1]!;
  const s = a[o + 2]!;
  if (!Number.isFinite(s)) return s + i;
  return i + (s + a[o + 3]!);
}

/**
 * Fold the element at `src[si..]` (newer records) into `dst[di..]` (older).
 * `dst` and `src` may be the same array at different offsets.
 */
function combine(L: NumLayout, dst: Float64Array, di: number, src: Float64Array, si: number): void {
  const { kinds, offs } = L;
  for (let i = 0; i < kinds.length; i++) {
    const d = di + offs[i]!;
    const s = si + offs[i]!;
    switch (kinds[i]) {
      case COUNT:
      case COUNT_F:
        dst[d] += src[s]!;
        break;
      case SUM:
      case AVG:
        dst[d] += src[s]!;
        dst[d + 1] += src[s + 1]!;
        neumaier(dst, d + 2, src[s + 2]!);
        neumaier(dst, d + 2, src[s + 3]!);
        break;
      default: {
        const bn = src[s]!;
        if (bn === 0) break;
        const an = dst[d]!;
        if (an === 0) {
          dst[d] = bn;
          dst[d + 1] = src[s + 1]!;
          dst[d + 2] = src[s + 2]!;
          break;
        }
        const n = an + bn;
        const dm = src[s + 1]! - dst[d + 1]!;
        dst[d + 2] = dst[d + 2]! + src[s + 2]! + (dm * dm * an * bn) / n;
        dst[d + 1] = dst[d + 1]! + (dm * bn) / n;
        dst[d] = n;
      }
    }
  }
}

/** One key's frame of numeric aggregates (the interface of `Frame`). */
export class NumFrame extends PositionStacks {
  private front: Float64Array = new Float64Array(0);
  private back: Float64Array;
  private bAgg: Float64Array;
  private tmp: Float64Array;
  /** Which slots `result` reads: 0 back aggregate, 1 front top, 2 tmp. */
  private from = 0;

  constructor(private readonly L: NumLayout) {
    super();
    this.back = new Float64Array(L.k * 4);
    this.bAgg = new Float64Array(L.k);
    this.tmp = new Float64Array(L.k);
  }

  push(rec: Rec, pos: number): void {
    const L = this.L;
    const K = L.k;
    const nb = this.bPos.length;
    const back = (this.back = grow(this.back, (nb + 1) * K));
    const e = nb * K;
    const { kinds, offs, getters } = L;
    const agg = this.bAgg;
    for (let i = 0; i < kinds.length; i++) {
      const o = e + offs[i]!;
      const kind = kinds[i]!;
      if (kind === COUNT) {
        back[o] = 1;
        agg[offs[i]!] += 1;
        continue;
      }
      const v = getters[i]!(rec);
      if (kind === COUNT_F) {
        const c = v !== null && v !== undefined ? 1 : 0;
        back[o] = c;
        agg[offs[i]!] += c;
        continue;
      }
      const x = typeof v === 'number' ? v : v instanceof NumText ? v.value : NaN;
      if (kind === SUM || kind === AVG) {
        const a = offs[i]!;
        if (x !== x) {
          back[o] = back[o + 1] = back[o + 2] = back[o + 3] = 0;
        } else if (Number.isSafeInteger(x)) {
          back[o] = 1;
          back[o + 1] = x;
          back[o + 2] = back[o + 3] = 0;
          agg[a] += 1;
          agg[a + 1] += x;
        } else {
          back[o] = 1;
          back[o + 1] = 0;
          back[o + 2] = x;
          back[o + 3] = 0;
          agg[a] += 1;
          neumaier(agg, a + 2, x);
        }
        continue;
      }
      if (x === x) {
        back[o] = 1;
        back[o + 1] = x;
        back[o + 2] = 0;
        // Welford's update of the back aggregate.
        const a = offs[i]!;
        const n = ++agg[a]!;
        const d = x - agg[a + 1]!;
        agg[a + 1] += d / n;
        agg[a + 2] += d * (x - agg[a + 1]!);
      } else {
        back[o] = 0;
        back[o + 1] = 0;
        back[o + 2] = 0;
      }
    }
    this.bPos.push(pos);
  }

  protected popFront(): void {
    this.fPos.pop();
  }

  prepare(_needsMerge: boolean): void {
    const ft = this.fPos.length - 1;
    if (ft < 0) this.from = 0;
    else if (this.bPos.length === 0) this.from = 1;
    else {
      const K = this.L.k;
      const tmp = this.tmp;
      const front = this.front;
      for (let q = 0; q < K; q++) tmp[q] = front[ft * K + q]!;
      combine(this.L, this.tmp, 0, this.bAgg, 0);
      this.from = 2;
    }
  }

  result(i: number): unknown {
    const L = this.L;
    let a: Float64Array;
    let o = L.offs[i]!;
    if (this.from === 0) a = this.bAgg;
    else if (this.from === 2) a = this.tmp;
    else {
      a = this.front;
      o += (this.fPos.length - 1) * L.k;
    }
    const n = a[o]!;
    switch (L.kinds[i]) {
      case COUNT:
      case COUNT_F:
        return n;
      case SUM:
        return n === 0 ? null : reportNonFinite(total(a, o));
      case AVG:
        return n === 0 ? null : reportNonFinite(total(a, o) / n);
      // (A variance that overflowed: "Infinity" or "NaN", as agg's var and stddev write it, never null.)
      case VAR:
        return n < 2 ? null : reportNonFinite(Math.max(0, a[o + 2]! / (n - 1)));
      default:
        return n < 2 ? null : reportNonFinite(Math.sqrt(Math.max(0, a[o + 2]! / (n - 1))));
    }
  }

  /**
   * For checkpoints: the used parts of the front and back stacks and the back
   * aggregate as base64 of their float64 bytes (exact, NaN and -0 kept), with
   * the positions, so a restored frame gives the same results bit for bit.
   */
  save(): unknown {
    const K = this.L.k;
    const f64 = (a: Float64Array, n: number) => toBase64(new Uint8Array(a.buffer, a.byteOffset, n * 8));
    return { f: f64(this.front, this.fPos.length * K), fp: this.fPos, b: f64(this.back, this.bPos.length * K), bp: this.bPos, a: f64(this.bAgg, K) };
  }

  /** The inverse of `save`. @throws StateError */
  load(v: unknown): void {
    const K = this.L.k;
    const o = decodeObject(v, 'an over frame');
    const fp = decodeArray(o.fp, 'frame front positions').map((x) => decodeTime(x, 'a frame position'));
    const bp = decodeArray(o.bp, 'frame back positions').map((x) => decodeTime(x, 'a frame position'));
    const f64 = (s: unknown, n: number): Float64Array => {
      const bytes = fromBase64(s, n * 8);
      const out = new Float64Array(Math.max(n, K));
      out.set(new Float64Array(bytes.slice().buffer));
      return out;
    };
    this.front = f64(o.f, fp.length * K);
    this.back = grow(f64(o.b, bp.length * K), K * 4);
    this.bAgg = f64(o.a, K);
    this.fPos = fp;
    this.bPos = bp;
    this.from = 0;
  }

  protected flip(): void {
    const K = this.L.k;
    const nb = this.bPos.length;
    const fl = this.fPos.length;
    const front = (this.front = grow(this.front, (fl + nb) * K));
    const back = this.back;
    for (let i = nb - 1, j = fl; i >= 0; i--, j++) {
      for (let q = 0; q < K; q++) front[j * K + q] = back[i * K + q]!;
      if (j > fl) combine(this.L, front, j * K, front, (j - 1) * K);
      this.fPos.push(this.bPos[i]!);
    }
    this.clearBack();
  }

  protected clearBack(): void {
    this.bPos.length = 0;
    this.bAgg.fill(0);
  }
}
