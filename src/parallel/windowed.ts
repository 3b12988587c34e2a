/**
 * The main thread's half of a windowed `agg` under `-j N` (issue 14 item 5):
 * merges the per-range window partials of chunk.ts in range order so that
 * the output is what one pass (`-j 1`) writes, byte for byte, order included.
 *
 * One pass's rule (src/window/stage.ts, time-kind.ts, agg.ts): before
 * record r the watermark is wm(r) = (largest time of the on-time records
 * before r) − lateness; r is late when the last window holding it ends at
 * or before wm(r); otherwise it goes into each of its windows ending after
 * wm(r). A worker runs a range as if it were the whole input, so its
 * watermark before r is only the range's own, w_k(r). With M_k the largest
 * on-time time of all ranges before range k, one pass's watermark is
 * max(M_k − lateness, w_k(r)), and as both conditions compare a window END
 * with the watermark, the correction is per window, not per record:
 *
 * - a range's partial of a window ending at or before M_k − lateness is left
 *   out whole (one pass put none of those records in it), any other is
 *   merged whole;
 * - records late in the range are late in one pass; records on time in the
 *   range whose last window ends at or before M_k − lateness are late too:
 *   the worker counts them per last window end (with their smallest time and
 *   how far each was behind the range's largest time before it), so the late
 *   count and the "behind" figure of the exit summary come out the same.
 *
 * This is Flink's rule for a watermark of several inputs (the minimum of
 * theirs) specialised to ranges read in order: after range k the watermark
 * is M_{k+1} − lateness, and every window ending at or before it is complete
 * and written: windows in order of start (all windows of one size: order of
 * end), groups in order of first position (job number · 2^36 + record
 * number), as one pass writes them. A merge of two float states that may
 * differ from one pass in the last digit (exact.ts) is reported, and the
 * caller falls back to one thread.
 *
 * A range sends the partials of a window only when it judges that another
 * range may have it too (window-job.ts). A window it sent without them that
 * an earlier range does have (and one pass keeps) makes `add` refuse the
 * range, before it changed anything: the caller redoes the range with every
 * window's partials. (A later range never has a window that a range's own
 * watermark closed: one pass's watermark there is at least as far, so its
 * part is left out whole.)
 */
import type { CompiledAggPlan } from '../agg/plan.js';
import type { GroupState } from '../agg/types.js';
import type { Rec } from '../engine/types.js';
import { decodeValue } from '../state/codec.js';
import { type WindowStats, lateSummary } from '../window/stage.js';
import type { WindowedResult } from './messages.js';
import { exactMerge } from './exact.js';

interface OpenWindow {
  start: number;
  end: number;
  ws: string;
  we: string;
  /** Only one range had this window so far: its rows as written there (UTF-8), and its partials (JSON text; null: not sent). */
  rows: Uint8Array | null;
  parts: string | null;
  /** Groups merged from several ranges. */
  groups: Map<string, GroupState> | null;
}

/** What the merger gives out, in order: records for the writer, or rows the writer would write for them (UTF-8). */
export type WindowOutput = { recs: Rec[] } | { bytes: Uint8Array };

/** Merges windowed partials of ranges given in range order (see the module comment). */
export class WindowedMerger {
  private readonly open = new Map<number, OpenWindow>();
  /** Largest on-time time of the ranges merged so far (M). */
  private maxT = -Infinity;
  readonly stats: WindowStats = { late: 0, seen: 0, maxBehind: 0 };
  /** Set when a merge may not equal one pass (float states on both sides). */
  inexact = false;
  /** Whether the writer has written a record (and so the CSV header): rows rendered in a range may follow. */
  private written = false;

  /**
   * @param plan     the compiled agg (fromStates, merge, output)
   * @param lateness the window's --lateness (ms)
   * @param rendered whether ranges render rows (WorkerInit.render)
   */
  constructor(
    private readonly plan: CompiledAggPlan,
    private readonly lateness: number,
    private readonly rendered: boolean,
  ) {}

  private groupsOf(w: OpenWindow): Map<string, GroupState> {
    if (w.groups !== null) return w.groups;
    const m = new Map<string, GroupState>();
    // (add() saw to it that a window whose groups are needed came with its partials.)
    if (w.parts === null) throw new Error('-j: a window without its partials');
    for (const [key, kv, states, first] of JSON.parse(w.parts) as [string, unknown[], unknown[], number][]) {
      m.set(key, this.plan.fromStates(kv.map(decodeValue), states, first));
    }
    w.groups = m;
    w.rows = null;
    w.parts = null;
    return m;
  }

  /**
   * Merge the next range's result.
   * @returns the output of the windows now complete, in output order; null
   *   (nothing merged) when the range left out partials that are needed:
   *   redo it with `allParts` and add that result instead
   */
  add(r: WindowedResult): WindowOutput[] | null {
    const cut = this.maxT - this.lateness;
    for (const wp of r.windows) {
      // A window kept (not cut) without partials: one an earlier range has too, or one that may be
      // the first written as records (whose CSV header the main thread's writer writes).
      if (wp[6] === null && wp[1] > cut && (!this.written || !this.rendered || this.open.has(wp[0]))) return null;
    }
    const st = this.stats;
    st.seen += r.seen;
    if (r.late > 0) {
      st.late += r.late;
      st.maxBehind = Math.max(st.maxBehind, r.maxBehind, this.maxT - r.lateMinT);
    }
    for (const [end, n, minT, behind] of r.buckets) {
      if (end <= cut) {
        st.late += n;
        st.maxBehind = Math.max(st.maxBehind, behind, this.maxT - minT);
      }
    }
    const p = this.plan;
    for (const [start, end, ws, we, from, to, parts] of r.windows) {
      if (end <= cut) continue;
      const w = this.open.get(start);
      if (w === undefined) {
        this.open.set(start, { start, end, ws, we, rows: r.rows.subarray(from, to), parts, groups: null });
        continue;
      }
      const groups = this.groupsOf(w);
      for (const [key, kv, states, first] of JSON.parse(parts!) as [string, unknown[], unknown[], number][]) {
        const g = p.fromStates(kv.map(decodeValue), states, first);
        const into = groups.get(key);
        if (into === undefined) groups.set(key, g);
        else {
          if (!exactMerge(into, g)) this.inexact = true;
          p.merge(into, g);
        }
      }
    }
    if (r.maxT > this.maxT) this.maxT = r.maxT;
    return this.emit(this.maxT - this.lateness);
  }

  /** The output of every window still open (end of input). */
  end(): WindowOutput[] {
    return this.emit(Infinity);
  }

  /** The exit summary line about late records, as one pass writes it (no --late-output here). */
  summary(): string | undefined {
    return lateSummary(this.stats, null);
  }

  private emit(upTo: number): WindowOutput[] {
    const due: OpenWindow[] = [];
    for (const w of this.open.values()) if (w.end <= upTo) due.push(w);
    if (due.length === 0) return [];
    due.sort((a, b) => a.start - b.start);
    const out: WindowOutput[] = [];
    let recs: Rec[] = [];
    for (const w of due) {
      this.open.delete(w.start);
      if (this.rendered && this.written && w.rows !== null) {
        if (recs.length > 0) out.push({ recs });
        recs = [];
        // Windows of one range come out in the order it wrote them: rows back to back in its
        // buffer go out as one piece (one write instead of one per window).
        const prev = out.length > 0 ? out[out.length - 1]! : null;
        const r = w.rows;
        if (prev !== null && 'bytes' in prev && prev.bytes.buffer === r.buffer && prev.bytes.byteOffset + prev.bytes.byteLength === r.byteOffset) {
          prev.bytes = new Uint8Array(r.buffer, prev.bytes.byteOffset, prev.bytes.byteLength + r.byteLength);
        } else out.push({ bytes: r });
        continue;
      }
      const gs = [...this.groupsOf(w).values()].sort((a, b) => (a.first ?? 0) - (b.first ?? 0));
      const prefix = { window_start: w.ws, window_end: w.we };
      for (const g of gs) recs.push(this.plan.output(g, prefix));
      if (gs.length > 0) this.written = true;
    }
    if (recs.length > 0) out.push({ recs });
    return out;
  }
}
