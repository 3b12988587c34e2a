import { rootsOf } from '../engine/projection.js';
import type { Rec, VerbDef } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';
import { parseVerbArgs } from './args.js';
import { type FieldRef, parseFieldList } from '../order/keys.js';
import { Groups } from '../order/groups.js';
import { compileKey } from '../window/keys.js';
import { type WindowMode, type WindowOps, perWindowStage, wholeInputStage, windowModeOf } from '../order/windowed.js';
import { stateArray, stateString } from '../state/records.js';
import { decodeCount, stateError } from '../state/codec.js';

const usage = `Usage: sluice tail [N] [--by KEYS]

Keep the last N records (default 10), or the last N of each group with
--by, written at end of input in input order (with --by: groups in order
of first appearance). Memory: N records per group (a ring buffer). With
--checkpoint, the records held are saved in the checkpoint.

After 'window ... then agg' (or after 'window' alone), the last N of each
window, written when the window closes.

Options:
  --by KEYS   keep the last N records per distinct value of KEYS
  -n N        the same as N (Miller's and tail(1)'s form)

Examples:
  $ sluice --csv tail 2 then select time,origin,delay < flights.csv
  time,origin,delay
  2001-01-02T10:44:00Z,MCI,-21
  2001-01-02T10:44:00Z,IAH,5

  $ sluice --csv tail 1 --by origin then select origin,time then head 3 \\
      < flights.csv
  origin,time
  LAS,2001-01-02T10:44:00Z
  ATL,2001-01-02T10:44:00Z
  MCI,2001-01-02T10:44:00Z
`;

/** `tail [N] [--by KEYS]`. */
export const tail: VerbDef = {
  name: 'tail',
  summary: 'keep the last N records (per group with --by)',
  usage,
  arity: { min: 0, max: 1, isArg: (w) => /^\d+$/.test(w) },
  parse(args) {
    const { pos, opts } = parseVerbArgs('tail', args, [
      { name: 'by', type: 'string' },
      { name: 'count', alias: 'n', type: 'string' },
    ]);
    if (opts.count !== undefined) pos.unshift(String(opts.count));
    if (pos.length > 1) throw new UsageError(`tail: expected one count, got '${pos.join(' ')}'`);
    const n = pos.length === 0 ? 10 : Number(pos[0]);
    if (pos.length > 0 && (!/^\d+$/.test(pos[0]!) || !Number.isSafeInteger(n))) throw new UsageError(`tail: count must be a whole number ≥ 0, not '${pos[0]}'`);
    const by = opts.by !== undefined ? parseFieldList('tail', '--by', String(opts.by)) : [];
    return {
      name: 'tail',
      explain: by.length ? { n, by: by.map((b) => b.name) } : { n },
      needs: by.length ? by.map((b) => b.name) : ['*'],
      recordWise: false,
      access: { reads: by.flatMap((f) => [f.path[0]!, ...rootsOf(f.name)]), emits: 'same' },
      lastPerKey: { keyOf: compileKey(by.map((f) => f.path)), n },
      build(next, ctx, plan) {
        const mode: WindowMode = windowModeOf('tail', plan);
        const ops = tailOps(n, by);
        if (mode !== null) return perWindowStage('tail', mode, next, ops);
        return wholeInputStage('tail', ops, next, ctx);
      },
    };
  },
};

/** A ring buffer of the last N records. */
interface Ring {
  recs: Rec[];
  /** Records seen (the next slot is seen % N). */
  seen: number;
}

function tailOps(n: number, by: FieldRef[]): WindowOps<Groups<Ring>> {
  return {
    create: () => new Groups<Ring>(by, () => ({ recs: [], seen: 0 })),
    add(g, rec) {
      if (n === 0) return;
      const r = g.of(rec);
      if (r.recs.length < n) r.recs.push(rec);
      else r.recs[r.seen % n] = rec;
      r.seen++;
    },
    flush(g, out) {
      for (const r of g.map.values()) {
        const len = r.recs.length;
        const first = r.seen > len ? r.seen % n : 0;
        for (let i = 0; i < len; i++) out.push(r.recs[(first + i) % len]!);
      }
      g.map.clear();
    },
    // Checkpoint: per group [key, records seen, ring slots as record lines].
    save: (g, codec) => [...g.map].map(([k, r]) => [k, r.seen, r.recs.map((x) => codec.encode(x))]),
    load(v, codec) {
      const g = new Groups<Ring>(by, () => ({ recs: [], seen: 0 }));
      for (const e of stateArray(v, 'tail groups')) {
        const a = stateArray(e, 'a tail group');
        const recs = stateArray(a[2], 'tail records').map((x) => codec.decodeState(x));
        const seen = decodeCount(a[1]);
        if (recs.length > n || recs.length > seen || (seen > recs.length && recs.length !== n)) throw stateError('a tail group does not fit its count');
        g.put(stateString(a[0], 'a tail key'), { recs, seen });
      }
      return g;
    },
  };
}
