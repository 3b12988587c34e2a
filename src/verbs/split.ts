import type { Batch, OutputFormat, Rec, Stage, VerbDef, Writer } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';
import { pathGetter, textOf } from '../engine/values.js';
import { parseVerbArgs } from './args.js';
import { parseFieldList } from '../order/keys.js';
import { compileKey } from '../window/keys.js';
import fs from 'node:fs';
import { FILE_FORMATS, closeFile, formatOfPath, inputGuard, makeWriter, openFile, safeName, writeAll } from '../fanout/files.js';
import { openVerbState, stateArray, stateString, verbState } from '../state/records.js';
import { decodeCount, stateError } from '../state/codec.js';

const usage = `Usage: sluice split --by KEYS --to TEMPLATE [--max-open N] [--format FMT]

Write each record to the file of its group, and pass it on unchanged. The
file is TEMPLATE with {} replaced by the group's key values, made safe as a
file name: letters, digits, _, - and . stay, every other character is
written %XX (its UTF-8 bytes in hex), so '/' or '..' in data can never
leave the directory; several keys are joined by +; a null or missing key
is %null, an empty one %empty; names longer than 200 characters are cut
and end in a hash. Directories in TEMPLATE are made as needed.

Each file is created (or truncated) when its group first appears. At most
--max-open files are open at once: the least recently written is closed,
and opened again for appending when its group comes back. The format is
--format, else the one TEMPLATE's extension names (.csv, .tsv, .ndjson,
.jsonl), else the output format. A file that is also an input, or a failed
write, stops sluice with exit 1. With --checkpoint, each file's length is
in the checkpoint: a resumed run truncates every file back to it and
appends (a CSV header is not written again).

Options:
  --by KEYS      the fields whose values choose the file (a,b)
  --to TEMPLATE  file names, with {} for the key (e.g. 'out/{}.csv')
  --max-open N   most files open at once (default 128)
  --format FMT   ndjson, csv or tsv

Examples:
  $ sluice --csv split --by origin --to 'by-origin/{}.csv' \\
      then agg count < flights.csv
  count
  20000

  $ head -3 by-origin/LAS.csv
  time,delay,distance,origin,destination
  2001-01-01T00:01:00Z,33,2176,LAS,PHL
  2001-01-01T00:02:00Z,39,1750,LAS,DTW
`;

interface Out {
  file: string;
  fd: number;
  writer: Writer | undefined;
  /** Restored from a checkpoint: the state of the writer that wrote the file so far. */
  saved?: unknown;
}

/** `split --by KEYS --to TEMPLATE`. */
export const split: VerbDef = {
  name: 'split',
  summary: 'write each record to the file of its group (one file per key), and pass it on',
  usage,
  arity: { min: 0, max: 0 },
  parse(args) {
    const { pos, opts } = parseVerbArgs('split', args, [
      { name: 'by', type: 'string' },
      { name: 'to', type: 'string' },
      { name: 'max-open', type: 'string' },
      { name: 'format', type: 'string', choices: [...FILE_FORMATS] },
    ]);
    if (pos.length > 0) throw new UsageError(`split: unexpected '${pos[0]}' (split --by KEYS --to TEMPLATE)`);
    if (opts.by === undefined) throw new UsageError("split: name the keys with --by (e.g. split --by origin --to 'out/{}.csv')");
    if (opts.to === undefined) throw new UsageError("split: name the files with --to TEMPLATE (e.g. --to 'out/{}.csv')");
    const by = parseFieldList('split', '--by', String(opts.by));
    const template = String(opts.to);
    if (!template.includes('{}')) throw new UsageError(`split: --to '${template}' has no {} for the key (e.g. 'out/{}.csv')`);
    const maxOpenText = opts['max-open'] !== undefined ? String(opts['max-open']) : '128';
    const maxOpen = Number(maxOpenText);
    if (!/^\d+$/.test(maxOpenText) || maxOpen < 1) throw new UsageError(`split: --max-open must be a whole number ≥ 1, not '${maxOpenText}'`);
    const format = (opts.format as OutputFormat | undefined) ?? formatOfPath(template.replaceAll('{}', 'x'));
    return {
      name: 'split',
      explain: { by: by.map((b) => b.name), to: template, maxOpen, format: format ?? '(output format)' },
      needs: by.map((b) => b.name),
      recordWise: false,
      build(next, ctx): Stage {
        const guard = inputGuard('split', ctx);
        const keyOf = compileKey(by.map((b) => b.path));
        const getters = by.map((b) => pathGetter(b.path));
        const outs = new Map<string, Out>();
        /** Open files, least recently written first. */
        const lru = new Map<string, Out>();
        let ended = false;

        function fileFor(rec: Rec): string {
          return template.replaceAll('{}', safeName(getters.map((g) => textOf(g(rec)))));
        }
        function ensureOpen(key: string, o: Out, fresh: boolean): void {
          if (o.fd >= 0) {
            lru.delete(key);
            lru.set(key, o);
            return;
          }
          if (lru.size >= maxOpen) {
            const [oldKey, old] = lru.entries().next().value as [string, Out];
            lru.delete(oldKey);
            closeFile('split', old.fd, old.file);
            old.fd = -1;
          }
          o.fd = openFile('split', o.file, fresh ? 'w' : 'a', fresh);
          lru.set(key, o);
        }
        function writerOf(o: Out): Writer {
          if (o.writer === undefined) {
            o.writer = makeWriter('split', ctx, format);
            if (o.saved !== undefined && o.saved !== null) o.writer.restore?.(o.saved);
          }
          return o.writer;
        }
        return {
          // Checkpoint: per group [key, file, length, writer state]; a resumed run truncates
          // each file back to its length and appends (a file of a group first seen after the
          // checkpoint is created afresh when the group comes again).
          snapshot(): unknown {
            const files: unknown[] = [];
            for (const [k, o] of outs) {
              const len = o.fd >= 0 ? fs.fstatSync(o.fd).size : fs.statSync(o.file).size;
              files.push([k, o.file, len, o.writer !== undefined ? (o.writer.snapshot?.() ?? null) : (o.saved ?? null)]);
            }
            return verbState('split', { files });
          },
          restore(v: unknown): void {
            for (const e of stateArray(openVerbState(v, 'split').files, 'split files')) {
              const a = stateArray(e, 'a split file');
              const key = stateString(a[0], 'a split key');
              const file = stateString(a[1], 'a split file name');
              const len = decodeCount(a[2]);
              let size: number;
              try {
                size = fs.statSync(file).size;
              } catch {
                throw stateError(`split: ${file} is gone`);
              }
              if (size < len) throw stateError(`split: ${file} is ${size} bytes, shorter than the ${len} written before the checkpoint`);
              guard(file, true);
              fs.truncateSync(file, len);
              outs.set(key, { file, fd: -1, writer: undefined, saved: a[3] });
            }
          },
          push(batch: Batch) {
            // The batch's records by group, in order, then one write per group.
            const groups = new Map<string, Rec[]>();
            for (let i = 0; i < batch.length; i++) {
              const r = batch[i]!;
              const k = keyOf(r);
              const g = groups.get(k);
              if (g === undefined) groups.set(k, [r]);
              else g.push(r);
            }
            for (const [k, recs] of groups) {
              let o = outs.get(k);
              let fresh = false;
              if (o === undefined) {
                const file = fileFor(recs[0]!);
                guard(file, true);
                o = { file, fd: -1, writer: undefined };
                outs.set(k, o);
                fresh = true;
              }
              const text = writerOf(o).write(recs);
              if (text.length === 0 && !fresh) continue;
              ensureOpen(k, o, fresh);
              if (text.length > 0) writeAll('split', o.fd, o.file, text);
            }
            next.push(batch);
          },
          watermark: (ms) => next.watermark(ms),
          end() {
            if (!ended) {
              ended = true;
              for (const [k, o] of outs) {
                const text = o.writer !== undefined || o.saved !== undefined ? writerOf(o).end() : '';
                if (text.length > 0) {
                  ensureOpen(k, o, false);
                  writeAll('split', o.fd, o.file, text);
                }
              }
              for (const o of lru.values()) closeFile('split', o.fd, o.file);
              lru.clear();
            }
            next.end();
          },
        };
      },
    };
  },
};
