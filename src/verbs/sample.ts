import { randomBytes } from 'node:crypto';
import type { Batch, Rec, Stage, VerbDef } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';
import { parseVerbArgs } from './args.js';
import { type FieldRef, parseFieldList } from '../order/keys.js';
import { Groups } from '../order/groups.js';
import { type WindowMode, type WindowOps, perWindowStage, windowModeOf } from '../order/windowed.js';
import { arrayTaker, writeBurst } from '../order/burst.js';

const usage = `Usage: sluice sample N [--by KEYS] [--seed S]

A uniform random sample of N records (per group with --by), by reservoir
sampling (Vitter's Algorithm R): every record has the same chance N/n of
being kept, in one pass, with memory for N records per group. Written at
end of input, in input order (groups in order of first appearance). With
--seed the sample is the same on every run over the same input; without
it, a fresh random seed is used each run.

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
      build(next, ctx, plan) {
        const rand = seeded(seed ?? randomBytes(4).readUInt32LE(0));
        const mode: WindowMode = windowModeOf('sample', plan);
        const ops = sampleOps(n, by, rand);
        if (mode !== null) return perWindowStage('sample', mode, next, ops);
        const state = ops.create();
        return {
          push(batch: Batch) {
            for (let i = 0; i < batch.length; i++) ops.add(state, batch[i]!);
          },
          watermark: (ms) => next.watermark(ms),
          end() {
            const out: Rec[] = [];
            ops.flush(state, out);
            writeBurst(ctx, next, arrayTaker(out), () => next.end());
          },
        } satisfies Stage;
      },
    };
  },
};

/**
 * A seeded pseudo-random generator of floats in [0, 1): Mulberry32 (Tommy
 * Ettinger, 2017; a 32-bit state, passes gjrand and PractRand to 2^32
 * outputs), the seed's high bits folded into the state. Not cryptographic.
 */
export function seeded(seed: number): () => number {
  let s = ((seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x85ebca6b)) >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Reservoir {
  recs: Rec[];
  seqs: number[];
  seen: number;
}

function sampleOps(n: number, by: FieldRef[], rand: () => number): WindowOps<{ groups: Groups<Reservoir>; seq: number }> {
  return {
    create: () => ({ groups: new Groups<Reservoir>(by, () => ({ recs: [], seqs: [], seen: 0 })), seq: 0 }),
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
  };
}
