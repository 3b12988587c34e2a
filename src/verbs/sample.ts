import { rootsOf } from '../engine/projection.js';
import { randomBytes } from 'node:crypto';
import type { Rec, VerbDef } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';
import { parseVerbArgs } from './args.js';
import { type FieldRef, parseFieldList } from '../order/keys.js';
import { Groups } from '../order/groups.js';
import { type WindowMode, type WindowOps, perWindowStage, wholeInputStage, windowModeOf } from '../order/windowed.js';
import { stateArray, stateString } from '../state/records.js';
import { decodeCount, stateError } from '../state/codec.js';

const usage = `Usage: sluice sample N [--by KEYS] [--seed S]

A uniform random sample of N records (per group with --by), by reservoir
sampling (Vitter's Algorithm R): every record has the same chance N/n of
being kept, in one pass, with memory for N records per group. Written at
end of input, in input order (groups in order of first appearance). With
--seed the sample is the same on every run over the same input; without
it, a fresh random seed is used each run. With --checkpoint the generator's
state is saved with the reservoirs, so a resumed run samples exactly as one
uninterrupted run would.

After 'window ... then agg' (or after 'window' alone), a sample of each
window, written when the window closes.

Options:
  --by KEYS   a sample of N per distinct value of KEYS
  --seed S    a whole number: the same seed and input give the same sample

Examples:
  $ sluice --csv sample 3 --seed 7 then select origin,delay < flights.csv
  origin,delay
  SFO,2
  MHT,-17
  LAX,80

  $ sluice --csv sample 1 --by origin --seed 1 then select origin,delay \\
      then head 3 < flights.csv
  origin,delay
  LAS,-3
  ATL,150
  MCI,17
`;

/** `sample N [--by KEYS] [--seed S]`. */
export const sample: VerbDef = {
  name: 'sample',
  summary: 'a uniform random sample of N records (reservoir), per group; reproducible with --seed',
  usage,
  arity: { min: 1, max: 1 },
  parse(args) {
    const { pos, opts } = parseVerbArgs('sample', args, [
      { name: 'by', type: 'string' },
      { name: 'seed', type: 'string' },
    ]);
    if (pos.length !== 1) throw new UsageError(pos.length === 0 ? 'sample: how many records? (e.g. sample 100)' : `sample: expected one count, got '${pos.join(' ')}'`);
    const n = Number(pos[0]);
    if (!/^\d+$/.test(pos[0]!) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`sample: count must be a whole number ≥ 1, not '${pos[0]}'`);
    let seed: number | null = null;
    if (opts.seed !== undefined) {
      const s = String(opts.seed);
      if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new UsageError(`sample: --seed must be a whole number ≥ 0, not '${s}'`);
      seed = Number(s);
    }
    const by = opts.by !== undefined ? parseFieldList('sample', '--by', String(opts.by)) : [];
    return {
      name: 'sample',
      explain: { n, ...(by.length ? { by: by.map((b) => b.name) } : {}), seed: seed ?? '(random)' },
      needs: by.length ? by.map((b) => b.name) : ['*'],
      recordWise: false,
      access: { reads: by.flatMap((f) => [f.path[0]!, ...rootsOf(f.name)]), emits: 'same' },
      build(next, ctx, plan) {
        const rand = seeded(seed ?? randomBytes(4).readUInt32LE(0));
        const mode: WindowMode = windowModeOf('sample', plan);
        const ops = sampleOps(n, by, rand);
        if (mode !== null) return perWindowStage('sample', mode, next, ops);
        return wholeInputStage('sample', ops, next, ctx);
      },
    };
  },
};

/**
 * A seeded pseudo-random generator of floats in [0, 1): Mulberry32 (Tommy
 * Ettinger, 2017; a 32-bit state, passes gjrand and PractRand to 2^32
 * outputs), the seed's high bits folded into the state. Not cryptographic.
 */
export function seeded(seed: number): Prng {
  let s = ((seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x85ebca6b)) >>> 0;
  const next = (() => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as Prng;
  next.getState = () => s;
  next.setState = (x: number) => {
    s = x >>> 0;
  };
  return next;
}

/** A generator of floats in [0, 1) whose 32-bit state can be saved and set (checkpoints). */
export interface Prng {
  (): number;
  /** The state: a whole number in [0, 2^32). */
  getState(): number;
  setState(s: number): void;
}

interface Reservoir {
  recs: Rec[];
  seqs: number[];
  seen: number;
}

function sampleOps(n: number, by: FieldRef[], rand: Prng): WindowOps<{ groups: Groups<Reservoir>; seq: number }> {
  const create = () => ({ groups: new Groups<Reservoir>(by, () => ({ recs: [], seqs: [], seen: 0 })), seq: 0 });
  return {
    create,
    add(s, rec) {
      const r = s.groups.of(rec);
      const seq = s.seq++;
      if (r.recs.length < n) {
        r.recs.push(rec);
        r.seqs.push(seq);
      } else {
        // Algorithm R: keep the i-th record (0-based) with probability n/(i+1).
        const j = Math.floor(rand() * (r.seen + 1));
        if (j < n) {
          r.recs[j] = rec;
          r.seqs[j] = seq;
        }
      }
      r.seen++;
    },
    flush(s, out) {
      for (const r of s.groups.map.values()) {
        const idx = r.seqs.map((_, i) => i).sort((a, b) => r.seqs[a]! - r.seqs[b]!);
        for (const i of idx) out.push(r.recs[i]!);
      }
      s.groups.map.clear();
    },
    // Checkpoint: the generator's state (once per stage), the arrival counter, and per
    // group [key, records seen, [[arrival number, record line], ...]] in reservoir slot order.
    saveShared: () => rand.getState(),
    loadShared(v) {
      const x = decodeCount(v);
      if (x >= 2 ** 32) throw stateError('a sample generator state is not 32 bits');
      rand.setState(x);
    },
    save: (s, codec) => ({ seq: s.seq, groups: [...s.groups.map].map(([k, r]) => [k, r.seen, r.recs.map((rec, i) => [r.seqs[i], codec.encode(rec)])]) }),
    load(v, codec) {
      const o = (v ?? {}) as { seq?: unknown; groups?: unknown };
      const s = create();
      s.seq = decodeCount(o.seq);
      for (const e of stateArray(o.groups, 'sample groups')) {
        const a = stateArray(e, 'a sample group');
        const r: Reservoir = { recs: [], seqs: [], seen: decodeCount(a[1]) };
        for (const x of stateArray(a[2], 'sample records')) {
          const p = stateArray(x, 'a sample record');
          r.seqs.push(decodeCount(p[0]));
          r.recs.push(codec.decodeState(p[1]));
        }
        if (r.recs.length > n || r.recs.length > r.seen) throw stateError('a sample group does not fit its count');
        s.groups.put(stateString(a[0], 'a sample key'), r);
      }
      return s;
    },
  };
}
