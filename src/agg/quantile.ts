/**
 * Percentiles for `median(f)` and `pNN(f)`: exact while small, a sketch when big.
 * Either way the answer is a value that occurs in the data, written as it was
 * read (`p50` of the integer 12345678901234567890 keeps its text, as `min`
 * and `max` do).
 *
 * - Exact: the numbers are kept (a Float64Array, plus the original text of
 *   those read as `NumText`) while the group holds at most `EXACT_LIMIT` =
 *   10,000 of them; the p-th percentile is the nearest-rank value, the value
 *   at 1-based rank max(1, ⌈p/100 · n⌉) of the sorted values (DuckDB's
 *   `quantile_disc`; the median of 1,2,3,4 is 2).
 * - Sketch: on the 10,001st value the kept values go into a sketch of
 *   logarithmic bins and the buffer is dropped, so memory stays bounded. The
 *   bins are DDSketch's (Masson, Rim, Lee, "DDSketch: a fast and
 *   fully-mergeable quantile sketch with relative-error guarantees", VLDB
 *   2019): a positive x goes to bin k = ⌈log_γ x⌉, i.e. γ^(k−1) < x ≤ γ^k,
 *   negative x to bin ⌈log_γ |x|⌉ of a second store, 0 to a zero bin, with
 *   γ = 1.01. Unlike DDSketch, which answers with a synthetic bin midpoint,
 *   each bin also keeps one real value of the data: the one with the smallest
 *   |x| (ties: the smaller text). The sketch walks the bins in value order to
 *   the one holding the wanted nearest rank (counts are exact) and answers
 *   with that bin's kept value: it lies in the same bin as the exact answer,
 *   so the two differ by less than a factor γ, i.e. by less than 1 % of the
 *   exact answer. Ranks 1 and n (p0, p100) answer the exact minimum and
 *   maximum.
 *
 * Merging: exact while the union stays within the limit, else bin by bin
 * (counts add; the kept value is the smaller by |x|, then text). The sketch
 * is a function of the multiset of values alone, so any split of the input,
 * merged in any order, answers exactly what one pass over all of it answers.
 *
 * Partial state (`toState`, man page PARTIAL STATE): exact lists as
 * `{"x":[v,...]}`; sketches as `{"n":N,"min":v,"max":v,"z":[count,v],
 * "p":[[k,count,v],...],"m":[[k,count,v],...]}` (p: positive bins, m:
 * negative bins by |x|), each v a value in the state value encoding
 * (src/state/codec.ts).
 */
import { NumText } from '../engine/values.js';
import { decodeValue, encodeValue, stateError } from '../state/codec.js';

/** How many values a group keeps exactly before switching to the sketch. */
export const EXACT_LIMIT = 10_000;
/** The sketch's bin ratio γ: any two values of one bin differ by less than this factor. */
export const SKETCH_GAMMA = 1.01;
/** The sketch's bound on relative error: γ − 1. */
export const SKETCH_ACCURACY = 0.01;
const LOG_GAMMA = Math.log(SKETCH_GAMMA);

/** A kept value: a number, or a NumText (value with its text as read). */
type Orig = number | NumText;

const valueOf = (o: Orig): number => (typeof o === 'number' ? o : o.value);
const textOfOrig = (o: Orig): string => (typeof o === 'number' ? String(o) : o.text);

/** True when `a` should be the kept value of a bin rather than `b`: smaller |x|, then smaller text. */
function preferred(a: Orig, b: Orig): boolean {
  const x = Math.abs(valueOf(a));
  const y = Math.abs(valueOf(b));
  if (x !== y) return x < y;
  return textOfOrig(a) < textOfOrig(b);
}

/** The bin index of |x| > 0. */
function binOf(ax: number): number {
  return Math.ceil(Math.log(ax) / LOG_GAMMA);
}

/** One side (positive or negative values) of the sketch: dense bins from `offset`. */
class Store {
  offset = 0;
  counts: number[] = [];
  reps: Orig[] = [];
  total = 0;
  add(k: number, count: number, rep: Orig): void {
    const counts = this.counts;
    if (counts.length === 0) {
      this.offset = k;
      counts.push(count);
      this.reps.push(rep);
      this.total += count;
      return;
    }
    let i = k - this.offset;
    if (i < 0) {
      const pad = -i;
      this.counts = new Array<number>(pad).fill(0).concat(counts);
      this.reps = new Array<Orig>(pad).fill(0).concat(this.reps);
      this.offset = k;
      i = 0;
    } else if (i >= counts.length) {
      for (let j = counts.length; j <= i; j++) {
        counts.push(0);
        this.reps.push(0);
      }
    }
    const c = this.counts;
    if (c[i] === 0 || preferred(rep, this.reps[i]!)) this.reps[i] = rep;
    c[i]! += count;
    this.total += count;
  }
  toState(): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i]!;
      if (c > 0) out.push([i + this.offset, c, encodeValue(this.reps[i])]);
    }
    return out;
  }
}

/**
 * The values of one field in one group, for one or more percentiles of it.
 */
export class QuantileState {
  private buf: Float64Array | null = new Float64Array(8);
  private n = 0;
  private sorted = true;
  /** Exact mode: the NumText read for a value, by its number (the smaller text when several). */
  private texts: Map<number, NumText> | null = null;
  // Sketch mode:
  private pos: Store | null = null;
  private neg: Store | null = null;
  private zeroCount = 0;
  private zeroRep: Orig = 0;
  private min: Orig = 0;
  private max: Orig = 0;
  private total = 0;

  /**
   * Add a number.
   * @param x    its value
   * @param orig the value as read when it is a NumText (kept for the answer's text)
   */
  add(x: number, orig?: unknown): void {
    const buf = this.buf;
    if (buf !== null) {
      if (orig instanceof NumText) this.noteText(x, orig);
      if (this.n === buf.length) {
        if (this.n >= EXACT_LIMIT) {
          this.toSketch();
          this.accept(orig instanceof NumText ? orig : x);
          return;
        }
        const grown = new Float64Array(Math.min(EXACT_LIMIT, buf.length * 2));
        grown.set(buf);
        this.buf = grown;
        grown[this.n++] = x;
      } else {
        buf[this.n++] = x;
      }
      this.sorted = false;
    } else {
      this.accept(orig instanceof NumText ? orig : x);
    }
  }

  private noteText(x: number, t: NumText): void {
    const m = (this.texts ??= new Map());
    const old = m.get(x);
    if (old === undefined || t.text < old.text) m.set(x, t);
  }

  /** Sketch mode: add one value (count times, for merging). */
  private accept(o: Orig, count = 1): void {
    const x = valueOf(o);
    if (this.total === 0) {
      this.min = o;
      this.max = o;
    } else {
      if (x < valueOf(this.min) || (x === valueOf(this.min) && textOfOrig(o) < textOfOrig(this.min))) this.min = o;
      if (x > valueOf(this.max) || (x === valueOf(this.max) && textOfOrig(o) < textOfOrig(this.max))) this.max = o;
    }
    this.total += count;
    if (x > 0) (this.pos ??= new Store()).add(binOf(x), count, o);
    else if (x < 0) (this.neg ??= new Store()).add(binOf(-x), count, o);
    else {
      if (this.zeroCount === 0 || preferred(o, this.zeroRep)) this.zeroRep = o;
      this.zeroCount += count;
    }
  }

  /** How many values were added. */
  get count(): number {
    return this.buf !== null ? this.n : this.total;
  }

  /** True once the values went into the sketch. */
  get isSketch(): boolean {
    return this.buf === null;
  }

  private orig(x: number): Orig {
    return this.texts?.get(x) ?? x;
  }

  private toSketch(): void {
    const buf = this.buf!;
    const n = this.n;
    this.buf = null;
    this.n = 0;
    for (let i = 0; i < n; i++) this.accept(this.orig(buf[i]!));
    this.texts = null;
  }

  /** Fold `other` into this state (`other` is left unusable). */
  merge(other: QuantileState): void {
    if (other.buf !== null && other.n === 0) return;
    if (this.buf !== null && other.buf !== null && this.n + other.n <= EXACT_LIMIT) {
      const need = this.n + other.n;
      if (need > this.buf.length) {
        const grown = new Float64Array(Math.min(EXACT_LIMIT, Math.max(need, this.buf.length * 2)));
        grown.set(this.buf.subarray(0, this.n));
        this.buf = grown;
      }
      this.buf.set(other.buf.subarray(0, other.n), this.n);
      this.n = need;
      this.sorted = false;
      if (other.texts !== null) for (const t of other.texts.values()) this.noteText(t.value, t);
      return;
    }
    if (this.buf !== null) this.toSketch();
    if (other.buf !== null) {
      for (let i = 0; i < other.n; i++) this.accept(other.orig(other.buf[i]!));
      return;
    }
    if (other.total === 0) return;
    if (this.total === 0) {
      this.min = other.min;
      this.max = other.max;
    } else {
      // accept() with count 0 would add a bin; compare directly.
      const a = other.min;
      if (valueOf(a) < valueOf(this.min) || (valueOf(a) === valueOf(this.min) && textOfOrig(a) < textOfOrig(this.min))) this.min = a;
      const b = other.max;
      if (valueOf(b) > valueOf(this.max) || (valueOf(b) === valueOf(this.max) && textOfOrig(b) < textOfOrig(this.max))) this.max = b;
    }
    this.total += other.total;
    for (const [mine, theirs] of [
      ['pos', other.pos],
      ['neg', other.neg],
    ] as const) {
      if (theirs === null) continue;
      const into = mine === 'pos' ? (this.pos ??= new Store()) : (this.neg ??= new Store());
      for (let i = 0; i < theirs.counts.length; i++) {
        const c = theirs.counts[i]!;
        if (c > 0) into.add(i + theirs.offset, c, theirs.reps[i]!);
      }
    }
    if (other.zeroCount > 0) {
      if (this.zeroCount === 0 || preferred(other.zeroRep, this.zeroRep)) this.zeroRep = other.zeroRep;
      this.zeroCount += other.zeroCount;
    }
  }

  /**
   * The nearest-rank percentile, as a value of the data (a NumText when it was read as one).
   * @param p a fraction in [0, 1] (0.95 for p95)
   * @returns the value, or null when the group has no numbers
   */
  quantile(p: number): number | NumText | null {
    const buf = this.buf;
    if (buf !== null) {
      const n = this.n;
      if (n === 0) return null;
      if (!this.sorted) {
        buf.subarray(0, n).sort();
        this.sorted = true;
      }
      return this.orig(buf[nearestRank(p, n)]!);
    }
    const n = this.total;
    const r = nearestRank(p, n);
    if (r === 0) return this.min;
    if (r === n - 1) return this.max;
    let seen = 0;
    const neg = this.neg;
    if (neg !== null) {
      for (let i = neg.counts.length - 1; i >= 0; i--) {
        seen += neg.counts[i]!;
        if (seen > r) return neg.reps[i]!;
      }
    }
    seen += this.zeroCount;
    if (seen > r) return this.zeroRep;
    const pos = this.pos!;
    for (let i = 0; i < pos.counts.length; i++) {
      seen += pos.counts[i]!;
      if (seen > r) return pos.reps[i]!;
    }
    return this.max;
  }

  /** The partial state (see the module comment). */
  toState(): unknown {
    if (this.buf !== null) {
      const x = new Array<unknown>(this.n);
      for (let i = 0; i < this.n; i++) x[i] = encodeValue(this.orig(this.buf[i]!));
      return { x };
    }
    return {
      n: this.total,
      min: encodeValue(this.min),
      max: encodeValue(this.max),
      z: [this.zeroCount, encodeValue(this.zeroRep)],
      p: this.pos?.toState() ?? [],
      m: this.neg?.toState() ?? [],
    };
  }

  /**
   * Load a partial state (replacing this one's contents).
   * @throws Error on a malformed state
   */
  fromState(s: unknown): void {
    const fresh = new QuantileState();
    Object.assign(this, fresh);
    if (s === null || typeof s !== 'object' || Array.isArray(s)) throw stateError('percentile state is not an object');
    const o = s as Record<string, unknown>;
    if (Array.isArray(o.x)) {
      if (o.x.length > EXACT_LIMIT) throw stateError('percentile state: more exact values than the limit');
      for (const e of o.x) this.add(...numOrig(decodeValue(e)));
      return;
    }
    const n = o.n;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= EXACT_LIMIT) throw stateError('percentile sketch: bad count');
    this.buf = null;
    this.n = 0;
    const z = o.z;
    if (!Array.isArray(z) || z.length !== 2 || !isCount(z[0])) throw stateError('percentile sketch: bad zero bin');
    if (z[0] > 0) {
      const [x, orig] = numOrig(decodeValue(z[1]));
      if (x !== 0) throw stateError('percentile sketch: zero bin holds a non-zero value');
      this.zeroCount = z[0];
      this.zeroRep = orig;
    }
    for (const [name, sign] of [['p', 1], ['m', -1]] as const) {
      const bins = o[name];
      if (!Array.isArray(bins)) throw stateError(`percentile sketch: bins '${name}' missing`);
      let last = -Infinity;
      for (const b of bins) {
        if (!Array.isArray(b) || b.length !== 3 || !Number.isSafeInteger(b[0]) || !isCount(b[1]) || b[1] === 0) throw stateError('percentile sketch: bad bin');
        const k = b[0] as number;
        if (k <= last) throw stateError('percentile sketch: bins out of order');
        last = k;
        const [x, orig] = numOrig(decodeValue(b[2]));
        if (!(Math.sign(x) === sign) || binOf(Math.abs(x)) !== k) throw stateError('percentile sketch: a bin holds a value of another bin');
        const store = sign > 0 ? (this.pos ??= new Store()) : (this.neg ??= new Store());
        store.add(k, b[1] as number, orig);
      }
    }
    this.total = this.zeroCount + (this.pos?.total ?? 0) + (this.neg?.total ?? 0);
    if (this.total !== n) throw stateError('percentile sketch: bin counts do not add up to its count');
    this.min = numOrig(decodeValue(o.min))[1];
    this.max = numOrig(decodeValue(o.max))[1];
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** A decoded state value that must be a number: [value, as kept]. */
function numOrig(v: unknown): [number, Orig] {
  if (typeof v === 'number' && Number.isFinite(v)) return [v, v];
  if (v instanceof NumText && Number.isFinite(v.value)) return [v.value, v];
  throw stateError('percentile state holds a value that is not a number');
}

/**
 * The 0-based index of the nearest-rank p-quantile of n sorted values:
 * max(1, ⌈p·n⌉) − 1. `p·n` is rounded to 12 significant digits first so that
 * e.g. 0.999·1000 counts as 999, not 999.0000000000001.
 */
export function nearestRank(p: number, n: number): number {
  const pn = Number((p * n).toPrecision(12));
  return Math.max(1, Math.ceil(pn)) - 1;
}
