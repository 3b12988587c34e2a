/**
 * `top N FIELD [asc|desc] [--by KEYS]` under `-j N` (issue 14 item 5:
 * per-key verbs): the N best records of each key by one value, written at
 * end of input, best first, equal values in input order, groups in order of
 * first appearance (verbs/top.ts).
 *
 * The N best of a key over the whole input are among the N best of that key
 * in each range (a range's order is the whole input's, restricted to it), so
 * each thread runs `top` on its range and sends the records it writes, with
 * each record's key text and value; the main thread, taking ranges in input
 * order, merges each key's lists (`TopMerger`): a record of a later range
 * goes before one of an earlier range only when its value is strictly better
 * (equal values keep input order, as one pass's stable rule does), and keeps
 * N. Keys new to the merger are met in input order, so groups come out in
 * one pass's order of first appearance. Memory in the main thread: N records
 * per key, as `top` has with `-j 1`.
 */
import type { Batch, Stage, VerbInstance } from '../engine/types.js';
import { compareDirected, type KeyValue } from '../order/keys.js';
import type { KeyedRange, KeyedResult } from './keyed.js';

/**
 * A value as text in the `keys` list of a range's result: 'z' for null,
 * 'n' and the number's text (exact for every double, Infinity included),
 * 's' and the text.
 */
function encodeRank(v: KeyValue): string {
  return v === null ? 'z' : typeof v === 'number' ? 'n' + String(v) : 's' + v;
}

/** The value `encodeRank` wrote. @throws Error for text it did not write */
function decodeRank(s: string): KeyValue {
  const c = s.charCodeAt(0);
  if (c === 0x7a) return null;
  if (c === 0x6e) return Number(s.slice(1));
  if (c === 0x73) return s.slice(1);
  throw new Error('-j: a top value that was not encoded here');
}

/**
 * The worker's side of `top` (`kv.bestPerKey`): the verb's stage per range
 * (`build`), writing to `sink`; for every record it writes, two entries in
 * `keys`: its key text, then its value (encodeRank). `finish()` is false,
 * with `why`, when the range cannot be merged exactly: the verb wrote more
 * than one burst (order/burst.ts goes on in a later turn), or a value was
 * NaN (which compares equal to every value: one pass's choice would depend
 * on its heap's shape).
 * @throws Error when `kv` is not such a verb
 */
export function rankedRange(kv: VerbInstance, sink: Stage, build: (next: Stage) => Stage): KeyedRange & { why?: string } {
  const best = kv.bestPerKey;
  if (best === undefined) throw new Error(`-j: ${kv.name} keeps no best records per key`);
  const { keyOf, valueOf } = best;
  let stage: Stage | null = null;
  let ended = false;
  let nan = false;
  const r: KeyedRange & { why?: string } = {
    keys: [],
    head: {
      push(b: Batch) {
        if (!nan) {
          for (let i = 0; i < b.length; i++) {
            const v = valueOf(b[i]!);
            if (v !== v) nan = true;
          }
        }
        stage!.push(b);
      },
      watermark: (ms: number) => stage!.watermark(ms),
      end() {},
    },
    begin() {
      r.keys = [];
      ended = false;
      nan = false;
      delete r.why;
      stage = build({
        push(b: Batch) {
          for (let i = 0; i < b.length; i++) {
            const rec = b[i]!;
            r.keys.push(keyOf(rec), encodeRank(valueOf(rec)));
          }
          sink.push(b);
        },
        watermark: (ms: number) => sink.watermark(ms),
        end() {
          ended = true;
        },
      });
    },
    finish() {
      if (nan) {
        r.why = `${kv.name} ranks by a value that is NaN`;
        return false;
      }
      stage!.end();
      if (!ended) r.why = `${kv.name} wrote more records of a range than one burst`;
      return ended;
    },
  };
  return r;
}

/** One kept record of a key: its value and its NDJSON line. */
interface Ranked {
  v: KeyValue;
  line: Uint8Array;
}

/**
 * The main thread's side of `top`: the N best records of each key over the
 * ranges taken in input order (see the file's comment), written at the end.
 */
export class TopMerger {
  /** Per key (from data: a Map), its best records so far, best first. */
  private readonly groups = new Map<string, Ranked[]>();
  constructor(
    private readonly n: number,
    private readonly desc: boolean,
  ) {}

  /**
   * Take the next range's result (`keys`: key text and value per line, rankedRange).
   * @throws Error when lines and keys do not correspond
   */
  add(r: KeyedResult): void {
    const keys = JSON.parse(r.keys) as string[];
    const b = Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
    let at = 0;
    let i = 0;
    while (i < keys.length) {
      // The verb writes each key's records together, best first.
      const k = keys[i]!;
      const run: Ranked[] = [];
      for (; i < keys.length && keys[i] === k; i += 2) {
        const nl = b.indexOf(0x0a, at);
        if (nl < 0 || i + 1 >= keys.length) throw new Error('-j: the lines of a range and their keys differ in number');
        // (A copy: the range's buffer is not kept alive by a few of its lines.)
        run.push({ v: decodeRank(keys[i + 1]!), line: Uint8Array.prototype.slice.call(b, at, nl + 1) });
        at = nl + 1;
      }
      const had = this.groups.get(k);
      this.groups.set(k, had === undefined ? run.slice(0, this.n) : this.merged(had, run));
    }
    if (at !== b.length) throw new Error('-j: the lines of a range and their keys differ in number');
  }

  /** The first N of two lists sorted best first, `a` from earlier input: b's goes first only when strictly better. */
  private merged(a: Ranked[], b: Ranked[]): Ranked[] {
    const out: Ranked[] = [];
    let i = 0;
    let j = 0;
    while (out.length < this.n && (i < a.length || j < b.length)) {
      if (j >= b.length || (i < a.length && compareDirected(b[j]!.v, a[i]!.v, this.desc) >= 0)) out.push(a[i++]!);
      else out.push(b[j++]!);
    }
    return out;
  }

  /** The records one pass writes at the end, as NDJSON bytes. */
  end(): Uint8Array {
    const parts: Uint8Array[] = [];
    for (const g of this.groups.values()) for (const x of g) parts.push(x.line);
    this.groups.clear();
    return Buffer.concat(parts);
  }
}
