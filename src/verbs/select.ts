import { rootsOf } from '../engine/projection.js';
import type { Batch, Rec, Stage, VerbDef } from '../engine/types.js';
import { recordStage } from '../engine/stage.js';
import { UsageError } from '../engine/errors.js';
import { setField, setPath } from '../engine/values.js';
import { fieldRef } from '../reshape/paths.js';
import { carryWindowTags } from '../window/tags.js';
import { parseVerbArgs, splitFieldListRaw } from './args.js';

const usage = `Usage: sluice select FIELD[,FIELD...]

Keep only the named fields, in the order given. A field a record lacks is
left out of that record (it is not invented as null). A name with dots is a
path into nested objects, as in filter and agg: select user.id keeps
{"user":{"id":...}}. A record that has a top-level field named user.id (a
CSV header, or after flatten) gives that field instead. Put a name with a
comma or a dot that is not a path in backticks (\`a.b\`).

Examples:
  $ sluice --csv select origin,delay < flights.csv | head -3
  origin,delay
  LAS,33
  ATL,19

  $ echo '{"a":1,"b":2,"c":3}' | sluice select c,a
  {"c":3,"a":1}

  $ echo '{"user":{"id":7,"name":"ann"},"n":1}' | sluice select user.id,n
  {"user":{"id":7},"n":1}
`;

/** `select F[,F...]`: keep these fields, in this order. */
export const select: VerbDef = {
  name: 'select',
  summary: 'keep only the named fields, in that order',
  usage,
  arity: { min: 1, max: Infinity },
  parse(args) {
    const { pos } = parseVerbArgs('select', args, []);
    const fields = splitFieldListRaw(pos.join(','));
    if (fields.length === 0) throw new UsageError('select: name at least one field (select a,b)');
    return {
      name: 'select',
      explain: { fields },
      needs: fields,
      recordWise: true,
      access: { reads: fields.flatMap(rootsOf), emits: 'new' },
      build: (next) => selectStage(fields, next),
    };
  },
};

function selectStage(fields: string[], next: Stage): Stage {
  const refs = fields.map(fieldRef);
  const n = refs.length;
  return recordStage(next, (batch: Batch) => {
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      const out: Rec = {};
      for (let k = 0; k < n; k++) {
        const ref = refs[k]!;
        const v = ref.get(r);
        if (v === undefined) continue;
        if (ref.isTop(r)) setField(out, ref.name, v);
        else setPath(out, ref.path, v);
      }
      carryWindowTags(r, out);
      batch[i] = out;
    }
    next.push(batch);
  });
}
