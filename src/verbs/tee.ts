import type { Batch, OutputFormat, Stage, VerbDef, Writer } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';
import { parseVerbArgs } from './args.js';
import { FILE_FORMATS, closeFile, formatOfPath, inputGuard, makeWriter, openFile, writeAll } from '../fanout/files.js';
import { openVerbState, verbState } from '../state/records.js';

const usage = `Usage: sluice tee FILE [--format FMT]

Write the records passing through to FILE, and pass them on unchanged. The
format is --format, else the one FILE's extension names (.csv, .tsv,
.ndjson, .jsonl), else the output format; records are written as stdout
would write them (unchanged records as read). FILE is created or
truncated before any input is read. A FILE that is also an input is a
usage error (exit 2); a failed write (no space left on device, ...) stops
sluice with exit 1. With --checkpoint, FILE is kept like stdout: its length
is in each checkpoint, and a resumed run truncates it back to that length
and appends (a CSV header is not written again).

Options:
  --format FMT   ndjson, csv or tsv

Examples:
  $ sluice --csv filter 'delay > 600' then tee late.csv \\
      then agg count by origin < flights.csv | head -3
  origin,count
  LAX,1
  HNL,1

  $ head -3 late.csv
  time,delay,distance,origin,destination
  2001-01-01T11:37:00Z,1191,2556,LAX,HNL
  2001-01-01T16:25:00Z,1088,2677,HNL,SEA
`;

/** `tee FILE [--format FMT]`. */
export const tee: VerbDef = {
  name: 'tee',
  summary: 'write the records passing through to a file, and pass them on',
  usage,
  arity: { min: 1, max: 1 },
  parse(args) {
    const { pos, opts } = parseVerbArgs('tee', args, [{ name: 'format', type: 'string', choices: [...FILE_FORMATS] }]);
    if (pos.length !== 1) throw new UsageError(pos.length === 0 ? 'tee: name the file to write (tee FILE)' : `tee: expected one file, got '${pos.join(' ')}'`);
    const file = pos[0]!;
    const format = (opts.format as OutputFormat | undefined) ?? formatOfPath(file);
    return {
      name: 'tee',
      explain: { file, format: format ?? '(output format)' },
      needs: ['*'],
      recordWise: false,
      // Checked before the run with its other outputs: stdout, --errors or another tee in the same file overwrote each other.
      files: { outputs: [file] },
      build(next, ctx): Stage {
        inputGuard('tee', ctx)(file);
        // With --checkpoint the file is an output of the run: its length goes into each
        // checkpoint, and a resumed run appends to it after truncating it back.
        const cpOut = ctx.checkpointFiles !== undefined ? ctx.openOutput(file) : null;
        const fd = cpOut === null ? openFile('tee', file, 'w') : -1;
        const put = (text: string): void => {
          if (cpOut !== null) cpOut.write(text);
          else writeAll('tee', fd, file, text);
        };
        let writer: Writer | undefined;
        /** A resumed run: the state of the writer that wrote the file so far. */
        let savedWriter: unknown = null;
        const w = (): Writer => {
          if (writer === undefined) {
            writer = makeWriter('tee', ctx, format);
            if (savedWriter !== null) writer.restore?.(savedWriter);
          }
          return writer;
        };
        let closed = false;
        return {
          push(batch: Batch) {
            // Written before passing on: a later verb may change the records.
            const text = w().write(batch);
            if (text.length > 0) put(text);
            next.push(batch);
          },
          watermark: (ms) => next.watermark(ms),
          end() {
            if (!closed) {
              closed = true;
              const text = w().end();
              if (text.length > 0) put(text);
              if (cpOut === null) closeFile('tee', fd, file);
            }
            next.end();
          },
          // Checkpoint: the file's writer (CSV: its columns, so the header is not written twice).
          snapshot: () => verbState('tee', { writer: writer?.snapshot?.() ?? savedWriter }),
          restore(v: unknown): void {
            savedWriter = openVerbState(v, 'tee').writer ?? null;
          },
        };
      },
    };
  },
};
