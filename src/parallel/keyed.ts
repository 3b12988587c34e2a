/**
 * Per-key verbs that keep the first N records of each key (`uniq FIELDS`,
 * `uniq`, `head N --by KEYS`) under `-j N` (issue 14 item 5: "per-key verbs
 * route records to workers by key hash").
 *
 * For these verbs no record has to travel to a key's own thread: the first
 * N records of a key over the whole input are among the first N of that key
 * in each range, so each thread keeps the first N per key of its range (the
 * verb itself, run on the range) and sends them with their key texts; the
 * main thread, taking ranges in input order, keeps a record when its key has
 * had fewer than N so far (`KeyedMerger`). Output order and contents are
 * those of one pass: a kept record is written at its own input position.
 * Memory in the main thread: one count per key, as the verb has with `-j 1`.
 */
import type { Batch, Rec, Stage, VerbInstance } from '../engine/types.js';
import { detach } from '../engine/values.js';
import { RuntimeError } from '../engine/errors.js';

/** The answer for one job of a first-N-per-key verb: the records kept in the range (NDJSON lines) and their keys. */
export interface KeyedResult {
  id: number;
  kind: 'keyed';
  /** NDJSON text, one line per record kept in the range. */
  bytes: Uint8Array;
  /** The JSON text of the records' key texts, in the same order. */
  keys: string;
}

/**
 * The worker's side: a stage that keeps the first `n` records of each key
 * of one range (`begin` starts a range, with a new stage of the verb) and
 * notes their keys, before the verb's own stage (`next`), which then keeps
 * each of them (its rule is the same), so its output lines and `keys`
 * correspond one to one.
 */
export function firstPerKeyTap(keyOf: (rec: Rec) => string, n: number): Stage & { begin(next: Stage): void; keys: string[] } {
  let counts = new Map<string, number>();
  let next: Stage | null = null;
  const tap = {
    keys: [] as string[],
    begin(verbStage: Stage): void {
      counts = new Map();
      tap.keys = [];
      next = verbStage;
    },
    push(batch: Batch): void {
      let w = 0;
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i]!;
        const k = keyOf(r);
        const c = counts.get(k) ?? 0;
        if (c >= n) continue;
        const d = c === 0 ? detach(k) : k;
        counts.set(d, c + 1);
        tap.keys.push(d);
        batch[w++] = r;
      }
      batch.length = w;
      if (w > 0) next!.push(batch);
    },
    watermark: (ms: number) => next!.watermark(ms),
    end: () => next!.end(),
  };
  return tap;
}

/** A keyed verb on one range in a worker (see `keyedRange`). */
export interface KeyedRange {
  /** The stage the leading verbs feed. */
  head: Stage;
  /** Start a range: a new stage of the verb (its state is per range). */
  begin(): void;
  /**
   * The range's records are all in: a last-N verb writes its records. False
   * when it did not write them all at once (more than a burst: order/burst.ts
   * goes on in a later turn), so the range's result would be short.
   */
  finish(): boolean;
  /** The key texts of the records written in this range so far, in order. */
  keys: string[];
  /** When `finish()` was false: why (for the fallback to one thread). */
  why?: string;
}

/**
 * The worker's side of a keyed verb `kv` (firstPerKey or lastPerKey): its
 * stage per range, writing to `sink`, with the key text of every record it
 * writes noted in `keys` (one per NDJSON line). `build` builds the verb's
 * stage before `next`.
 * @throws Error for a verb that is neither
 */
export function keyedRange(kv: VerbInstance, sink: Stage, build: (next: Stage) => Stage): KeyedRange {
  if (kv.firstPerKey !== undefined) {
    const tap = firstPerKeyTap(kv.firstPerKey.keyOf, kv.firstPerKey.n);
    const r: KeyedRange = {
      head: tap,
      begin() {
        tap.begin(build(sink));
      },
      finish: () => true,
      get keys() {
        return tap.keys;
      },
      set keys(k: string[]) {
        tap.keys = k;
      },
    };
    return r;
  }
  if (kv.countPerKey !== undefined) {
    // The verb writes one record per key, in order of first appearance: the keys at first sight.
    const keyOf = kv.countPerKey.keyOf;
    let seen = new Set<string>();
    let stage: Stage | null = null;
    let ended = false;
    const r: KeyedRange = {
      keys: [],
      head: {
        push(b: Batch) {
          for (let i = 0; i < b.length; i++) {
            const k = keyOf(b[i]!);
            if (!seen.has(k)) {
              const d = detach(k);
              seen.add(d);
              r.keys.push(d);
            }
          }
          stage!.push(b);
        },
        watermark: (ms: number) => stage!.watermark(ms),
        end() {},
      },
      begin() {
        r.keys = [];
        seen = new Set();
        ended = false;
        stage = build({
          push: (b: Batch) => sink.push(b),
          watermark: (ms: number) => sink.watermark(ms),
          end() {
            ended = true;
          },
        });
      },
      finish() {
        try {
          stage!.end();
        } catch (e) {
          // (A record that already has the count's field: one thread says so in its own words.)
          if (!(e instanceof RuntimeError)) throw e;
          r.why = e.message;
          return false;
        }
        return ended;
      },
    };
    return r;
  }
  if (kv.lastPerKey === undefined) throw new Error(`-j: ${kv.name} keeps no first or last records per key`);
  const keyOf = kv.lastPerKey.keyOf;
  let stage: Stage | null = null;
  let ended = false;
  const r: KeyedRange = {
    keys: [],
    head: {
      push: (b: Batch) => stage!.push(b),
      watermark: (ms: number) => stage!.watermark(ms),
      end() {},
    },
    begin() {
      r.keys = [];
      ended = false;
      // The records the verb writes (the records themselves): their keys, then the writer.
      stage = build({
        push(b: Batch) {
          for (let i = 0; i < b.length; i++) r.keys.push(keyOf(b[i]!));
          sink.push(b);
        },
        watermark: (ms: number) => sink.watermark(ms),
        end() {
          ended = true;
        },
      });
    },
    finish() {
      stage!.end();
      return ended;
    },
  };
  return r;
}

/**
 * The main thread's side of a last-N verb (`tail N [--by KEYS]`): the last
 * `n` records of each key over the ranges taken in input order, written at
 * the end, groups in order of first appearance. A range's result lists its
 * keys in their order of first appearance in the range, so a key new to the
 * merger is inserted (Map order) at its global first appearance.
 */
export class LastMerger {
  /** Per key (from data: a Map), its last lines. */
  private readonly groups = new Map<string, Uint8Array[]>();
  constructor(private readonly n: number) {}

  /** Take the next range's result. */
  add(r: KeyedResult): void {
    const keys = JSON.parse(r.keys) as string[];
    const b = Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
    let at = 0;
    for (let i = 0; i < keys.length; i++) {
      const nl = b.indexOf(0x0a, at);
      if (nl < 0) throw new Error('-j: the lines of a range and their keys differ in number');
      const k = keys[i]!;
      let g = this.groups.get(k);
      if (g === undefined) this.groups.set(k, (g = []));
      // (A copy: the range's buffer is not kept alive by a few of its lines.)
      g.push(Uint8Array.prototype.slice.call(b, at, nl + 1));
      // (Trimmed in steps: amortised constant time per line, whatever N.)
      if (g.length >= 2 * this.n + 16) g.splice(0, g.length - this.n);
      at = nl + 1;
    }
    if (at !== b.length) throw new Error('-j: the lines of a range and their keys differ in number');
  }

  /** The records one pass writes at the end, as NDJSON bytes. */
  end(): Uint8Array {
    const parts: Uint8Array[] = [];
    for (const g of this.groups.values()) for (let i = Math.max(0, g.length - this.n); i < g.length; i++) parts.push(g[i]!);
    this.groups.clear();
    return Buffer.concat(parts);
  }
}

/**
 * The main thread's side of a count per key (`uniq [FIELDS] --count`): each
 * range's records (one per key, its count in the last field `name`) summed
 * per key, written at the end in order of first appearance (Map order, as
 * for LastMerger).
 */
export class CountMerger {
  /** Per key (from data: a Map): the record's text before its count, and the count so far. */
  private readonly groups = new Map<string, { head: string; n: number }>();
  private readonly marker: string;
  constructor(name: string) {
    this.marker = JSON.stringify(name) + ':';
  }

  /** Take the next range's result. */
  add(r: KeyedResult): void {
    const keys = JSON.parse(r.keys) as string[];
    const lines = Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength).toString('utf8').split('\n');
    if (lines.length !== keys.length + 1 || lines[keys.length] !== '') throw new Error('-j: the lines of a range and their keys differ in number');
    for (let i = 0; i < keys.length; i++) {
      const line = lines[i]!;
      const at = line.lastIndexOf(this.marker);
      // (The count is the last field: after a comma, or the only field of a whole record `{}`.)
      if (at < 1 || (line.charCodeAt(at - 1) !== 0x2c && at !== 1) || !line.endsWith('}')) throw new Error('-j: a count record without its count');
      const n = Number(line.slice(at + this.marker.length, -1));
      const g = this.groups.get(keys[i]!);
      if (g === undefined) this.groups.set(keys[i]!, { head: line.slice(0, at + this.marker.length), n });
      else g.n += n;
    }
  }

  /** The records one pass writes at the end, as NDJSON bytes. */
  end(): Uint8Array {
    let s = '';
    for (const g of this.groups.values()) s += `${g.head}${g.n}}\n`;
    this.groups.clear();
    return Buffer.from(s);
  }
}

/** The main thread's side: the first `n` records per key over the ranges, taken in input order. */
export class KeyedMerger {
  /** Records kept so far per key (keys from data: a Map). */
  private readonly counts = new Map<string, number>();
  constructor(private readonly n: number) {}

  /** The lines of `r` (the next range's result) that one pass keeps, as NDJSON bytes. */
  add(r: KeyedResult): Uint8Array {
    const keys = JSON.parse(r.keys) as string[];
    // (Buffer's indexOf is memchr; a Uint8Array's, as the bytes arrive from a worker, is a generic loop.)
    const b = Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
    const parts: Uint8Array[] = [];
    let runStart = -1;
    let at = 0;
    for (let i = 0; i < keys.length; i++) {
      const nl = b.indexOf(0x0a, at);
      if (nl < 0) throw new Error('-j: the lines of a range and their keys differ in number');
      const end = nl + 1;
      const k = keys[i]!;
      const c = this.counts.get(k) ?? 0;
      if (c < this.n) {
        this.counts.set(k, c + 1);
        if (runStart < 0) runStart = at;
      } else if (runStart >= 0) {
        parts.push(b.subarray(runStart, at));
        runStart = -1;
      }
      at = end;
    }
    if (at !== b.length) throw new Error('-j: the lines of a range and their keys differ in number');
    if (runStart >= 0) parts.push(b.subarray(runStart, at));
    if (parts.length === 1) return parts[0]!;
    return Buffer.concat(parts);
  }
}
