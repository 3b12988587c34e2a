/**
 * `agg` after `window`: the agg stage builder asks the window module for an
 * upstream window and, when there is one, hands it the compiled AggPlan.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Stage, VerbInstance } from '../../src/engine/types.js';
import { UsageError } from '../../src/engine/errors.js';
import { collector, testCtx } from '../helpers/ctx.js';

const windowed: Stage = { push() {}, watermark() {}, end() {} };
const calls: unknown[][] = [];
vi.mock('../../src/window/link.js', () => ({
  findUpstreamWindow: (plan: { verbs: VerbInstance[]; index: number }) => plan.verbs.slice(0, plan.index).find((v) => v.name === 'window'),
  buildWindowedAgg: (...args: unknown[]) => {
    calls.push(args);
    return windowed;
  },
}));

const { agg } = await import('../../src/verbs/agg.js');

const windowVerb: VerbInstance = { name: 'window', explain: {}, needs: ['*'], recordWise: false, build: (next) => next };

describe('agg after window', () => {
  it('returns buildWindowedAgg(plan, windowVerb, next, ctx)', () => {
    const inst = agg.parse(['count, p95(delay)', 'by', 'origin']);
    const next = collector();
    const ctx = testCtx();
    const stage = inst.build(next, ctx, { verbs: [windowVerb, inst], index: 1 });
    expect(stage).toBe(windowed);
    expect(calls.length).toBe(1);
    const [plan, win, n, c] = calls[0] as [{ keyNames: string[]; outputNames: string[]; newGroup: unknown }, VerbInstance, Stage, unknown];
    expect(plan.keyNames).toEqual(['origin']);
    expect(plan.outputNames).toEqual(['count', 'p95_delay']);
    expect(win).toBe(windowVerb);
    expect(n).toBe(next);
    expect(c).toBe(ctx);
  });

  it('builds the plain stage when no window is upstream', () => {
    const inst = agg.parse(['count']);
    const next = collector();
    const stage = inst.build(next, testCtx(), { verbs: [inst], index: 0 });
    expect(stage).not.toBe(windowed);
    stage.end();
    expect(next.records).toEqual([{ count: 0 }]);
  });

  it('refuses --every after a window', () => {
    const inst = agg.parse(['count', '--every', '1s']);
    expect(() => inst.build(collector(), testCtx(), { verbs: [windowVerb, inst], index: 1 })).toThrow(UsageError);
  });
});
