import type { Batch, Rec, Stage, VerbDef } from '../engine/types.js';
import { recordStage } from '../engine/stage.js';
import { UsageError } from '../engine/errors.js';
import { setField } from '../engine/values.js';
import { carryWindowTags } from '../window/tags.js';
import { parseVerbArgs, splitFieldListRaw } from './args.js';
import { fieldRef, withoutPath, type FieldRef } from '../reshape/paths.js';

const usage = `Usage: sluice drop FIELD[,FIELD...]

Remove the named fields; every other field is kept, in its order. A name a
record lacks is ignored. A name with dots is a path into nested objects
(drop user.email removes email inside user); a record with a top-level
field named user.email loses that field instead. Put a name with a comma or
a dot that is not a path in backticks.

Examples:
  $ sluice --csv drop time,distance < flights.csv | head -3
  delay,origin,destination
  33,LAS,PHL
  19,ATL,SAV

  $ echo '{"a":1,"b":2,"c":3}' | sluice drop b
  {"a":1,"c":3}

  $ echo '{"user":{"id":7,"email":"a@b.c"},"n":1}' | sluice drop user.email
  {"user":{"id":7},"n":1}
`;

/** `drop F[,F...]`: remove these fields. */
export const drop: VerbDef = {
  name: 'drop',
  summary: 'remove the named fields',
  usage,
  arity: { min: 1, max: Infinity },
  parse(args) {
    const { pos } = parseVerbArgs('drop', args, []);
    const fields = splitFieldListRaw(pos.join(','));
    if (fields.length === 0) throw new UsageError('drop: name at least one field (drop a,b)');
    return {
      name: 'drop',
      explain: { fields },
      needs: ['*'],
      recordWise: true,
      build: (next) => dropStage(fields.map(fieldRef), next),
    };
  },
};

function dropStage(refs: FieldRef[], next: Stage): Stage {
  const dropped = new Set(refs.filter((f) => f.path.length === 1).map((f) => f.name));
  const paths = refs.filter((f) => f.path.length > 1);
  return recordStage(next, (batch: Batch) => {
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      let out: Rec = {};
      for (const k in r) {
        if (!dropped.has(k)) setField(out, k, r[k]);
      }
      for (let j = 0; j < paths.length; j++) {
        const f = paths[j]!;
        out = withoutPath(out, f.isTop(out) ? [f.name] : f.path);
      }
      carryWindowTags(r, out);
      batch[i] = out;
    }
    next.push(batch);
  });
}
