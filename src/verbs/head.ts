import { rootsOf } from '../engine/projection.js';
import type { Batch, PipelineContext, Stage, VerbDef } from '../engine/types.js';
import { recordStage } from '../engine/stage.js';
import { UsageError } from '../engine/errors.js';
import { detach } from '../engine/values.js';
import { compileKey } from '../window/keys.js';
import { fieldPath, parseVerbArgs, splitFieldList } from './args.js';

const usage = `Usage: sluice head [N] [--by KEY[,KEY...]] [FILE...]

Keep the first N records (default 10), or the first N of each group with
--by. Without --by, sluice stops reading input as soon as it has N records,
so 'yes ... | sluice head 3' ends at once. Keys compare by text.

Options:
  --by KEYS   keep the first N records per distinct value of KEYS
  -n N        the same as N (Miller's and head(1)'s form)

Examples:
  $ sluice --csv head 2 < flights.csv
  time,delay,distance,origin,destination
  2001-01-01T00:01:00Z,33,2176,LAS,PHL
  2001-01-01T00:01:00Z,19,215,ATL,SAV

  $ sluice --csv head 1 --by origin then select origin,delay < flights.csv \\
      | head -3
  origin,delay
  LAS,33
  ATL,19
`;

/** `head N [--by KEYS]`. */
export const head: VerbDef = {
  name: 'head',
  summary: 'keep the first N records (per group with --by); stops reading early',
  usage,
  arity: { min: 0, max: 1, isArg: (w) => /^\d+$/.test(w) },
  parse(args) {
    const { pos, opts } = parseVerbArgs('head', args, [
      { name: 'by', type: 'string' },
      { name: 'count', alias: 'n', type: 'string' },
    ]);
    if (opts.count !== undefined) pos.unshift(String(opts.count));
    if (pos.length > 1) throw new UsageError(`head: expected one count, got '${pos.join(' ')}'`);
    const n = pos.length === 0 ? 10 : Number(pos[0]);
    if (!/^\d+$/.test(pos[0] ?? '0') || !Number.isSafeInteger(n)) throw new UsageError(`head: count must be a whole number ≥ 0, not '${pos[0]}'`);
    const by = opts.by !== undefined ? splitFieldList(String(opts.by)) : [];
    return {
      name: 'head',
      explain: by.length ? { n, by } : { n },
      needs: by.length ? by : ['*'],
      recordWise: false,
      access: { reads: by.flatMap(rootsOf), emits: 'same' },
      ...(by.length ? { firstPerKey: { keyOf: compileKey(by.map(fieldPath)), n } } : {}),
      build: (next, ctx) => (by.length ? headByStage(n, by, next) : headStage(n, next, ctx)),
    };
  },
};

function headStage(n: number, next: Stage, ctx: PipelineContext): Stage {
  let seen = 0;
  let done = n === 0;
  if (done) ctx.stopInput();
  const stage = recordStage(next, (batch: Batch) => {
    if (done) return;
    const room = n - seen;
    if (batch.length >= room) {
      batch.length = room;
      done = true;
      ctx.stopInput();
    }
    seen += batch.length;
    if (batch.length > 0) next.push(batch);
  });
  // Checkpoints: how many records were kept.
  stage.snapshot = () => ({ seen });
  stage.restore = (state: unknown) => {
    const s = (state as { seen?: unknown } | null)?.seen;
    if (typeof s !== 'number' || !(s >= 0)) throw new Error('head: not a head state');
    seen = s;
    if (seen >= n) {
      done = true;
      ctx.stopInput();
    }
  };
  return stage;
}

function headByStage(n: number, by: string[], next: Stage): Stage {
  // The same key encoding as window --by: distinct key values never share a key string.
  const keyOf = compileKey(by.map(fieldPath));
  const counts = new Map<string, number>();
  const stage = recordStage(next, (batch: Batch) => {
    let w = 0;
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      const key = keyOf(r);
      const c = counts.get(key) ?? 0;
      if (c < n) {
        counts.set(key, c + 1);
        if (c === 0) {
          counts.delete(key);
          counts.set(detach(key), 1);
        }
        batch[w++] = r;
      }
    }
    batch.length = w;
    if (w > 0) next.push(batch);
  });
  // Checkpoints: the records kept per key, as [key, count] pairs.
  stage.snapshot = () => ({ groups: [...counts] });
  stage.restore = (state: unknown) => {
    const g = (state as { groups?: unknown } | null)?.groups;
    if (!Array.isArray(g)) throw new Error('head: not a head --by state');
    counts.clear();
    for (const e of g) {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number') throw new Error('head: bad group in state');
      counts.set(e[0], e[1]);
    }
  };
  return stage;
}
