/**
 * The `partition` verb: each record to one of N files by a stable hash of its
 * key, so that the records (or partials) of one key meet in one reducer.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Batch, PipelineContext, Stage, VerbDef } from '../engine/types.js';
import { RuntimeError, UsageError } from '../engine/errors.js';
import { parseVerbArgs } from './args.js';
import { parseKeyList } from '../agg/parse.js';
import { compileAggPlan } from '../agg/plan.js';
import { murmur3 } from '../agg/hash.js';
import { stringifyRecord } from '../engine/values.js';

const usage = `Usage: sluice partition --by KEY[,KEY...] -n N --to TEMPLATE

Write each record to one of N files, part number hash(key) mod N, where
TEMPLATE's {} is replaced by the part number (0 to N-1). Records of one key
always go to the same part, on every machine and in every run, so the
partials of a key meet in one reducer (sluice merge). Nothing is written to
stdout. Files are NDJSON; each is created (or truncated) before input is
read, and its directory must exist (else a usage error, exit 2). With
--checkpoint, a resumed run appends to each from its checkpointed length.

The hash: MurmurHash3_x86_32 (seed 0) of the UTF-8 bytes of the key text as
'agg ... by KEYS' groups it, taken as an unsigned 32-bit number: for one
key, the value's text (a number's text as read: 7 and "7" are one key); for
several keys, their texts joined by U+0001; a null or missing key is U+0002
(U+0002 U+0004 among several keys). E.g. the key "LAS" hashes to
murmur3("LAS") = 307199424, part 307199424 mod N.

Options:
  --by KEYS       the key fields (as agg's 'by')
  -n N            the number of parts (1 to 4096)
  --to TEMPLATE   output file names, with {} for the part number

Examples:
  $ sluice partition --by origin -n 4 --to 'parts/part-{}.ndjson' \\
      < flights.ndjson
  $ ls parts
  part-0.ndjson  part-1.ndjson  part-2.ndjson  part-3.ndjson
`;

export const partition: VerbDef = {
  name: 'partition',
  summary: 'write records to N files by a stable hash of their key',
  usage,
  arity: { min: 0, max: 0 },
  parse(words) {
    const { pos, opts } = parseVerbArgs('partition', words, [
      { name: 'by', type: 'string' },
      { name: 'parts', alias: 'n', type: 'string' },
      { name: 'to', type: 'string' },
    ]);
    if (pos.length > 0) throw new UsageError(`partition: unexpected '${pos.join(' ')}'`);
    if (opts.by === undefined) throw new UsageError('partition: --by KEYS is required');
    if (opts.parts === undefined) throw new UsageError('partition: -n N is required');
    if (opts.to === undefined) throw new UsageError("partition: --to TEMPLATE is required (e.g. 'parts/part-{}.ndjson')");
    const keys = parseKeyList(String(opts.by));
    const n = Number(opts.parts);
    if (!Number.isInteger(n) || n < 1 || n > 4096) throw new UsageError(`partition: -n must be a whole number from 1 to 4096, not '${opts.parts}'`);
    const template = String(opts.to);
    if (!template.includes('{}')) throw new UsageError(`partition: --to '${template}' has no {} for the part number`);
    const files = Array.from({ length: n }, (_, i) => template.split('{}').join(String(i)));
    const dir = path.dirname(files[0]!);
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(dir);
    } catch {
      st = undefined;
    }
    if (st === undefined) throw new UsageError(`partition: the directory '${dir}' of --to does not exist`);
    if (!st.isDirectory()) throw new UsageError(`partition: '${dir}' of --to is not a directory`);
    return {
      name: 'partition',
      explain: { by: keys.map((k) => k.name), n, to: template },
      needs: ['*'],
      recordWise: true,
      files: { outputs: files },
      build(next: Stage, ctx: PipelineContext): Stage {
        const plan = compileAggPlan([], keys);
        // Opened by the runner: with --checkpoint a resumed run appends to each file from its checkpointed length.
        const outs = files.map((f) => {
          try {
            return ctx.openOutput(f);
          } catch (e) {
            throw new RuntimeError(`partition: ${(e as Error).message}`);
          }
        });
        const bufs = new Array<string>(n).fill('');
        const flush = (i: number): void => {
          if (bufs[i] === '') return;
          try {
            outs[i]!.write(bufs[i]!);
          } catch (e) {
            throw new RuntimeError(`partition: ${(e as Error).message}`);
          }
          bufs[i] = '';
        };
        // A checkpoint is taken between batches: what it counts as read must be in the files by then.
        const checkpointed = ctx.checkpointFiles !== undefined;
        return {
          push(batch: Batch): void {
            for (let j = 0; j < batch.length; j++) {
              const rec = batch[j]!;
              const i = partOf(plan.groupKey(rec), n);
              bufs[i] += stringifyRecord(rec) + '\n';
              if (bufs[i]!.length >= 65536) flush(i);
            }
            if (checkpointed) for (let i = 0; i < n; i++) flush(i);
          },
          watermark(): void {},
          end(): void {
            for (let i = 0; i < n; i++) flush(i);
            next.end();
          },
        };
      },
    };
  },
};

/** The part of a key text: MurmurHash3_x86_32 (seed 0) of its UTF-8 bytes, mod n. */
export function partOf(keyText: string, n: number): number {
  return murmur3(keyText) % n;
}
