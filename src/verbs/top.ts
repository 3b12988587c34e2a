import { rootsOf } from '../engine/projection.js';
import type { Rec, VerbDef } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';
import { pathGetter } from '../engine/values.js';
import { parseVerbArgs } from './args.js';
import { type FieldRef, type KeyValue, type SortKey, compareDirected, keyValue, parseFieldList, parseSortKeys } from '../order/keys.js';
import { Heap } from '../order/heap.js';
import { Groups } from '../order/groups.js';
import { compileKey } from '../window/keys.js';
import { type WindowMode, type WindowOps, perWindowStage, wholeInputStage, windowModeOf } from '../order/windowed.js';
import { stateArray, stateString } from '../state/records.js';
import { decodeCount, stateError } from '../state/codec.js';

const usage = `Usage: sluice top N FIELD [asc|desc] [--by KEYS]

Keep the N records with the largest values of FIELD (desc, the default) or
the smallest (asc), per group with --by; the whole records are written, best
first, at end of input, groups in order of first appearance. Values compare
as in sort (numbers numerically, before text; null and missing last), and
equal values keep input order: top N is the first N records of a stable
sort, per group. Memory: N records per group (a heap of the N best).
With --checkpoint, the records held are saved in the checkpoint.

After 'window ... then agg' (or after 'window' alone), top keeps the N best
of each window and group and writes them when the window closes (Flink's
Window Top-N).

Options:
  --by KEYS   the N best per distinct value of KEYS (a,b; compared by text)

Examples:
  $ sluice --csv top 3 delay then select origin,destination,delay < flights.csv
  origin,destination,delay
  LAX,HNL,1191
  HNL,SEA,1088
  DFW,SLC,867

  $ sluice --csv top 2 delay desc --by origin then select origin,delay \\
      then head 4 < flights.csv
  origin,delay
  LAS,368
  LAS,310
  ATL,236
  ATL,230

  $ tail -f events.ndjson | sluice window tumbling 1s then agg count by page \\
      then top 3 count
  (each second: the 3 pages with most events, as the second ends)
`;

/** `top N FIELD [asc|desc] [--by KEYS]`. */
export const top: VerbDef = {
  name: 'top',
  summary: 'the N records with the largest (smallest) values, per group; per window after window',
  usage,
  arity: { min: 2, max: 3, isArg: (w) => /^(asc|desc)$/i.test(w) },
  parse(args) {
    const { pos, opts } = parseVerbArgs('top', args, [{ name: 'by', type: 'string' }]);
    if (pos.length === 0) throw new UsageError('top: expected a count and a field (e.g. top 5 delay desc)');
    const n = Number(pos[0]);
    if (!/^\d+$/.test(pos[0]!) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`top: count must be a whole number ≥ 1, not '${pos[0]}'`);
    const rest = pos.slice(1);
    if (rest.length === 0) throw new UsageError(`top: name the field to rank by (e.g. top ${n} delay desc)`);
    // The default direction of top is desc: parse with an explicit word when none is given.
    const keys = parseSortKeys('top', rest.length === 1 ? [rest[0]!, 'desc'] : rest);
    if (keys.length !== 1) throw new UsageError('top: rank by one field (for several, use sort ... then head N)');
    const key = keys[0]!;
    const by = opts.by !== undefined ? parseFieldList('top', '--by', String(opts.by)) : [];
    return {
      name: 'top',
      explain: { n, field: key.name, order: key.desc ? 'desc' : 'asc', ...(by.length ? { by: by.map((b) => b.name) } : {}) },
      needs: [key.name, ...by.map((b) => b.name)],
      recordWise: false,
      access: { reads: [key.path[0]!, ...rootsOf(key.name), ...by.flatMap((f) => [f.path[0]!, ...rootsOf(f.name)])], emits: 'same' },
      // -j: the N best of each key per range, then over the ranges (parallel/ranked.ts).
      bestPerKey: { keyOf: compileKey(by.map((f) => f.path)), valueOf: valueGetter(key), desc: key.desc, n },
      build(next, ctx, plan) {
        const mode: WindowMode = windowModeOf('top', plan);
        const ops = topOps(n, key, by);
        if (mode !== null) return perWindowStage('top', mode, next, ops);
        return wholeInputStage('top', ops, next, ctx);
      },
    };
  },
};

/** The value a record ranks by (as topOps compares it). */
function valueGetter(key: SortKey): (rec: Rec) => KeyValue {
  const get = pathGetter(key.path);
  return (rec) => keyValue(get(rec));
}

interface Item {
  k: KeyValue;
  seq: number;
  rec: Rec;
}

/** The N best per group, as WindowOps (a whole input is one window). */
function topOps(n: number, key: SortKey, by: FieldRef[]): WindowOps<{ groups: Groups<Heap<Item>>; seq: number }> {
  const get = pathGetter(key.path);
  const desc = key.desc;
  /** a ranks before b: better value, or equal and earlier. */
  const before = (a: Item, b: Item): boolean => {
    const c = compareDirected(a.k, b.k, desc);
    return c < 0 || (c === 0 && a.seq < b.seq);
  };
  interface State {
    groups: Groups<Heap<Item>>;
    seq: number;
  }
  const newHeap = (): Heap<Item> => new Heap<Item>((a, b) => before(b, a));
  return {
    create: (): State => ({ groups: new Groups(by, newHeap), seq: 0 }),
    add(s: State, rec: Rec): void {
      const heap = s.groups.of(rec);
      const item = { k: keyValue(get(rec)), seq: s.seq++, rec };
      if (heap.size < n) heap.push(item);
      else if (before(item, heap.peek()!)) heap.replaceTop(item);
    },
    flush(s: State, out: Rec[]): void {
      for (const heap of s.groups.map.values()) {
        const items = heap.items.slice().sort((a, b) => (before(a, b) ? -1 : 1));
        for (const it of items) out.push(it.rec);
      }
      s.groups.map.clear();
    },
    // Checkpoint: the arrival counter, and per group [key, [[arrival number, record line], ...]].
    save: (s, codec) => ({ seq: s.seq, groups: [...s.groups.map].map(([k, h]) => [k, h.items.map((it) => [it.seq, codec.encode(it.rec)])]) }),
    load(v, codec) {
      const o = (v ?? {}) as { seq?: unknown; groups?: unknown };
      const s: State = { groups: new Groups(by, newHeap), seq: decodeCount(o.seq) };
      for (const e of stateArray(o.groups, 'top groups')) {
        const a = stateArray(e, 'a top group');
        const heap = newHeap();
        for (const x of stateArray(a[1], 'top records')) {
          const p = stateArray(x, 'a top record');
          const rec = codec.decodeState(p[1]);
          const sq = decodeCount(p[0]);
          if (sq >= s.seq) throw stateError('a top record arrived after the counter');
          heap.push({ k: keyValue(get(rec)), seq: sq, rec });
        }
        if (heap.size > n) throw stateError('a top group holds more than N records');
        s.groups.put(stateString(a[0], 'a top key'), heap);
      }
      return s;
    },
  };
}

