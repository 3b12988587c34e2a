/**
 * A small AggPlan for window tests (count + sum(v), optionally by one key),
 * written here so the windowed operator can be tested without the agg module.
 */
import type { Accumulator, AggPlan, GroupState } from '../../src/agg/types.js';
import type { Rec } from '../../src/engine/types.js';
import { textOf } from '../../src/engine/values.js';

class Count implements Accumulator {
  n = 0;
  add(): void {
    this.n++;
  }
  merge(o: Accumulator): void {
    this.n += (o as Count).n;
    (o as Count).n = NaN; // "left unusable": catch any reuse
  }
  result(): unknown {
    return this.n;
  }
  toState(): unknown {
    return this.n;
  }
  fromState(v: unknown): void {
    if (typeof v !== 'number') throw new Error('bad count state');
    this.n = v;
  }
}

class Sum implements Accumulator {
  s = 0;
  add(v: unknown): void {
    if (typeof v === 'number') this.s += v;
  }
  merge(o: Accumulator): void {
    this.s += (o as Sum).s;
    (o as Sum).s = NaN;
  }
  result(): unknown {
    return this.s;
  }
  toState(): unknown {
    return this.s;
  }
  fromState(v: unknown): void {
    if (typeof v !== 'number') throw new Error('bad sum state');
    this.s = v;
  }
}

/**
 * count + sum(v) [by key]. Output: prefix fields, then the key, then count and sum_v.
 * @param clone whether the plan offers clone(g) (else the window module's structural copy is used)
 */
export function testPlan(opts: { by?: string; clone?: boolean } = {}): AggPlan & { clone?(g: GroupState): GroupState } {
  const by = opts.by;
  const plan: AggPlan & { clone?(g: GroupState): GroupState } = {
    keyNames: by ? [by] : [],
    outputNames: ['count', 'sum_v'],
    groupKey: (rec: Rec) => (by ? (textOf(rec[by]) ?? '\u0000') : ''),
    newGroup: (rec: Rec) => ({ keyValues: by ? [rec[by] ?? null] : [], accs: [new Count(), new Sum()] }),
    add(g: GroupState, rec: Rec) {
      g.accs[0]!.add(1);
      g.accs[1]!.add(rec.v);
    },
    emptyLike: (g: GroupState) => ({ keyValues: g.keyValues, accs: [new Count(), new Sum()] }),
    merge(into: GroupState, from: GroupState) {
      into.accs[0]!.merge(from.accs[0]!);
      into.accs[1]!.merge(from.accs[1]!);
    },
    output(g: GroupState, prefix?: Rec): Rec {
      const out: Rec = { ...(prefix ?? {}) };
      if (by) out[by] = g.keyValues[0];
      out.count = g.accs[0]!.result();
      out.sum_v = g.accs[1]!.result();
      return out;
    },
  };
  if (opts.clone) {
    plan.clone = (g: GroupState) => {
      const c = new Count();
      c.n = (g.accs[0] as Count).n;
      const s = new Sum();
      s.s = (g.accs[1] as Sum).s;
      return { keyValues: g.keyValues, accs: [c, s] };
    };
  }
  return plan;
}

import type { Stage } from '../../src/engine/types.js';
import { window } from '../../src/verbs/window.js';
import type { WindowVerbInstance } from '../../src/window/instance.js';
import { buildWindowedAgg } from '../../src/window/link.js';
import { buildTimeWindowAgg } from '../../src/window/agg.js';
import { collector, testCtx, type TestCtx } from '../helpers/ctx.js';

/**
 * Build `window ARGS [then BETWEEN] [then agg]` on a test context.
 * @param plan     the agg plan, or null for window alone
 * @param between  a record-wise stage to put between window and agg
 * @param panes    false: force the per-window strategy for sliding windows
 */
export function pipeline(
  args: string[],
  opts: { plan?: AggPlan | null; between?: (next: Stage) => Stage; ctx?: TestCtx; panes?: boolean } = {},
) {
  const ctx = opts.ctx ?? testCtx(0);
  const out = collector();
  const inst = window.parse(args) as WindowVerbInstance;
  let downstream: Stage = out;
  let aggStage: (Stage & { stats?: { lateInAgg: number; strategy: string } }) | null = null;
  if (opts.plan) {
    if (opts.panes === false) {
      const s = buildTimeWindowAgg(opts.plan, inst.windowSpec, out, { panes: false });
      inst.consumer = s;
      aggStage = s;
    } else {
      aggStage = buildWindowedAgg(opts.plan, inst, out, ctx) as Stage & { stats: { lateInAgg: number; strategy: string } };
    }
    downstream = aggStage;
  }
  if (opts.between) downstream = opts.between(downstream);
  const stage = inst.build(downstream, ctx, { verbs: [inst], index: 0 }) as Stage & { stats: { late: number } };
  return { stage, out, ctx, inst, aggStage };
}

/** A record-wise stage that keeps records for which `keep` is true (like filter). */
export function keepStage(keep: (r: Rec) => boolean) {
  return (next: Stage): Stage => ({
    push(b) {
      const k = b.filter(keep);
      if (k.length > 0) next.push(k);
    },
    watermark: (ms) => next.watermark(ms),
    end: () => next.end(),
  });
}

/** Epoch ms of 2001-01-01 HH:MM[:SS[.mmm]] UTC. */
export function at(hhmm: string): number {
  return Date.parse(`2001-01-01T${hhmm.length === 5 ? hhmm + ':00' : hhmm}Z`);
}

/** A record-wise stage that replaces each record by a fresh copy without symbols (like select), dropping some. */
export function freshStage(keep: (r: Rec) => boolean = () => true) {
  return (next: Stage): Stage => ({
    push(b) {
      const out = b.filter(keep).map((r) => JSON.parse(JSON.stringify(r)) as Rec);
      if (out.length > 0) next.push(out);
    },
    watermark: (ms) => next.watermark(ms),
    end: () => next.end(),
  });
}
