/**
 * The live view of `agg --every` in table output (SPEC §4.2): each snapshot
 * is a table of its own under a `snapshot TIME` line, instead of rows that
 * all carry the same time. On a terminal each snapshot redraws the screen in
 * place (cursor home, clear), as top(1) and angle-grinder's live view do; in
 * a file or pipe the snapshots follow one another, a blank line apart.
 *
 * Snapshot boundaries are found in the records themselves: a run of records
 * with the same `snapshot` text is one snapshot (agg writes each snapshot's
 * groups together). Records without a `snapshot` text pass through to the
 * current table unchanged.
 */
import type { Batch, Rec, Writer } from '../engine/types.js';

/** Clear the screen and put the cursor top left (ANSI/VT100: CUP, ED 2). */
export const CLEAR_SCREEN = '\x1b[H\x1b[2J';

/**
 * Wrap a table writer for snapshots.
 * @param makeTable a fresh table writer (one per snapshot, so each has its header and widths)
 * @param tty       true when stdout is a terminal: redraw in place
 * @returns a writer that takes the records agg writes (with `snapshot` first)
 */
export function snapshotTable(makeTable: () => Writer, tty: boolean): Writer {
  let table: Writer | undefined;
  let current: string | undefined;
  let count = 0;
  return {
    write(batch: Batch): string {
      let s = '';
      let run: Batch = [];
      const flush = (): void => {
        if (run.length === 0) return;
        s += (table ??= makeTable()).write(run);
        run = [];
      };
      for (let i = 0; i < batch.length; i++) {
        const rec = batch[i]!;
        const label = rec.snapshot;
        if (typeof label !== 'string') {
          run.push(rec);
          continue;
        }
        if (label !== current) {
          flush();
          if (table) s += table.end();
          table = makeTable();
          current = label;
          s += tty ? CLEAR_SCREEN : count > 0 ? '\n' : '';
          s += `snapshot ${label}\n`;
          count++;
        }
        run.push(withoutSnapshot(rec));
      }
      flush();
      return s;
    },
    end(): string {
      return table ? table.end() : '';
    },
  };
}

/** A copy of `rec` without its `snapshot` field (null-prototype: keys come from data). */
function withoutSnapshot(rec: Rec): Rec {
  const out: Rec = Object.create(null) as Rec;
  for (const k of Object.keys(rec)) if (k !== 'snapshot') out[k] = rec[k];
  return out;
}
