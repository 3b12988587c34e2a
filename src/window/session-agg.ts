/**
 * Windowed aggregation over session windows (SPEC §4.2): one map of groups
 * per session, hung on the session object the window stage owns
 * (session.ts), which tags each record with its session and tells this
 * stage when sessions merge and close.
 */
import type { AggPlan } from '../agg/types.js';
import type { Batch, Rec, Stage } from '../engine/types.js';
import { isoString } from '../time/parse.js';
import { type CountSeries, type CountWindow, type Session, sessionRoot } from './kind.js';
import { decodeCount } from './state.js';
import { type Part, STATE_VERSION, type WindowedAggStage, decodeParts, encodeParts, envelope, newSide, positionState, restorePosition, tagOf } from './agg-parts.js';

/** Session windows: one map of groups per session, told of merges and closes by the window stage. */
export function buildSessionAgg(plan: AggPlan, next: Stage): WindowedAggStage {
  let seq = 0;
  /** Sessions holding groups, for end of input. */
  const live = new Set<Session>();
  const stats = { lateInAgg: 0, strategy: 'session' };
  const side = newSide();

  function emitSessions(list: readonly Session[], out: Rec[]): void {
    for (const s of list) {
      const m = s.agg as Map<string, Part> | undefined;
      if (m === undefined) continue;
      s.agg = undefined;
      live.delete(s);
      const parts = [...m.values()].sort((x, y) => x.seq - y.seq);
      const ws = isoString(s.start);
      const we = isoString(s.end);
      for (const p of parts) out.push(plan.output(p.g, { window_start: ws, window_end: we }));
    }
  }

  return {
    stats,
    side,
    push(batch: Batch): void {
      for (let i = 0; i < batch.length; i++) {
        const rec = batch[i]!;
        const s = sessionRoot(tagOf<Session>(rec, side));
        let m = s.agg as Map<string, Part> | undefined;
        if (m === undefined) {
          m = new Map();
          s.agg = m;
          live.add(s);
        }
        const k = plan.groupKey(rec);
        let p = m.get(k);
        if (p === undefined) {
          p = { g: plan.newGroup(rec), seq: seq };
          m.set(k, p);
        }
        seq++;
        plan.add(p.g, rec);
      }
    },
    sessionMerged(into: Session, from: Session): void {
      const fm = from.agg as Map<string, Part> | undefined;
      if (fm === undefined) return;
      from.agg = undefined;
      live.delete(from);
      const im = into.agg as Map<string, Part> | undefined;
      if (im === undefined) {
        into.agg = fm;
        live.add(into);
        return;
      }
      for (const [k, p] of fm) {
        const q = im.get(k);
        if (q === undefined) im.set(k, p);
        else {
          plan.merge(q.g, p.g);
          if (p.seq < q.seq) q.seq = p.seq;
        }
      }
    },
    closed(windows: readonly (Session | CountWindow)[]): void {
      const out: Rec[] = [];
      emitSessions(windows as Session[], out);
      if (out.length > 0) next.push(out);
    },
    windowState(w: Session | CountSeries): unknown {
      const m = w.agg as Map<string, Part> | undefined;
      return m === undefined ? undefined : encodeParts(m);
    },
    restoreWindow(w: Session | CountSeries, state: unknown): void {
      w.agg = decodeParts(plan, state);
      live.add(w as Session);
    },
    snapshot(): unknown {
      // The groups hang on the sessions: the window stage's snapshot holds them (windowState).
      return { v: STATE_VERSION, s: 'session', seq, ...positionState(plan) };
    },
    restore(state: unknown): void {
      const o = envelope(state, 'session');
      seq = decodeCount(o.seq, 'seq');
      restorePosition(plan, o);
    },
    watermark(ms: number): void {
      next.watermark(ms);
    },
    end(): void {
      const rest = [...live].sort((a, b) => a.end - b.end || a.start - b.start || a.seq - b.seq);
      const out: Rec[] = [];
      emitSessions(rest, out);
      if (out.length > 0) next.push(out);
      next.end();
    },
  };
}
