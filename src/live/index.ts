/**
 * Output for people watching a terminal: the live snapshot view of
 * `agg --every` in table output, and charts (`-o chart|bar|line`).
 */
import type { OutputFormat, VerbInstance, Writer } from '../engine/types.js';
import { snapshotTable } from './snapshots.js';
import type { Progress } from './progress.js';
import { chartWriter, type ChartKind } from './chart.js';

/**
 * What the runner needs for the output the user asked for: a writer wrapper
 * when the output is a live view, nothing otherwise.
 * @param output the -o format (undefined: the input format)
 * @param verbs  the parsed chain (a live view needs `agg --every`)
 * @param tty    stdout is a terminal (redraw in place)
 * @param progress the progress line, cleared before records go to the same terminal
 * @param chart  `-o chart|bar|line`: draw instead of writing records
 * @param color  colour for charts
 */
export function presentation(
  output: OutputFormat | undefined,
  verbs: VerbInstance[],
  tty: boolean,
  progress?: Progress,
  chart?: ChartKind,
  color = false,
): { wrapWriter?: (make: () => Writer) => Writer } {
  const snapshots = verbs.some((v) => v.name === 'agg' && v.explain.every !== undefined);
  let wrap: ((make: () => Writer) => Writer) | undefined;
  if (output === 'table' && snapshots) wrap = (make) => snapshotTable(make, tty);
  if (chart !== undefined) {
    const columns = process.stdout.columns || 80;
    const rows = process.stdout.rows || 24;
    wrap = () => chartWriter(chart, columns, rows, color);
  }
  if (progress && tty) {
    // Records to the terminal the progress line is on: clear the line first.
    const inner = wrap ?? ((make: () => Writer) => make());
    wrap = (make) => clearingProgress(inner(make), progress);
  }
  return wrap ? { wrapWriter: wrap } : {};
}

/** A writer that clears the progress line before each text it returns. */
function clearingProgress(w: Writer, progress: Progress): Writer {
  return {
    write(batch) {
      const s = w.write(batch);
      if (s.length > 0) progress.beforeOutput();
      return s;
    },
    end() {
      const s = w.end();
      if (s.length > 0) progress.beforeOutput();
      return s;
    },
  };
}
