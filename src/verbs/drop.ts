import type { Batch, Rec, Stage, VerbDef } from '../engine/types.js';
import { recordStage } from '../engine/stage.js';
import { UsageError } from '../engine/errors.js';
import { setField } from '../engine/values.js';
import { carryWindowTags } from '../window/tags.js';
import { parseVerbArgs, splitFieldList } from './args.js';

const usage = `Usage: sluice drop FIELD[,FIELD...]

Remove the named fields; every other field is kept, in its order. Names are
top-level field names, exactly as written; a name a record lacks is ignored.

Examples:
  $ sluice --csv drop time,distance < flights.csv | head -3
  delay,origin,destination
  33,LAS,PHL
  19,ATL,SAV

  $ echo '{"a":1,"b":2,"c":3}' | sluice drop b
  {"a":1,"c":3}
`;

/** `drop F[,F...]`: remove these fields. */
export const drop: VerbDef = {
  name: 'drop',
  summary: 'remove the named fields',
  usage,
  parse(args) {
    const { pos } = parseVerbArgs('drop', args, []);
    const fields = splitFieldList(pos.join(','));
    if (fields.length === 0) throw new UsageError('drop: name at least one field (drop a,b)');
    return {
      name: 'drop',
      explain: { fields },
      needs: ['*'],
      recordWise: true,
      build: (next) => dropStage(new Set(fields), next),
    };
  },
};

function dropStage(dropped: Set<string>, next: Stage): Stage {
  return recordStage(next, (batch: Batch) => {
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      const out: Rec = {};
      for (const k in r) {
        if (!dropped.has(k)) setField(out, k, r[k]);
      }
      carryWindowTags(r, out);
      batch[i] = out;
    }
    next.push(batch);
  });
}
