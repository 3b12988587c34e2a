import type { Batch, Rec, Stage, VerbDef } from '../engine/types.js';
import { recordStage } from '../engine/stage.js';
import { UsageError } from '../engine/errors.js';
import { fieldGetter, setField } from '../engine/values.js';
import { carryWindowTags } from '../window/tags.js';
import { parseVerbArgs, splitFieldList } from './args.js';

const usage = `Usage: sluice select FIELD[,FIELD...]

Keep only the named fields, in the order given. A field a record lacks is
left out of that record (it is not invented as null). Names are top-level
field names, exactly as written; put a name with a comma in backticks.

Examples:
  $ sluice --csv select origin,delay < flights.csv | head -3
  origin,delay
  LAS,33
  ATL,19

  $ echo '{"a":1,"b":2,"c":3}' | sluice select c,a
  {"c":3,"a":1}
`;

/** `select F[,F...]`: keep these fields, in this order. */
export const select: VerbDef = {
  name: 'select',
  summary: 'keep only the named fields, in that order',
  usage,
  parse(args) {
    const { pos } = parseVerbArgs('select', args, []);
    const fields = splitFieldList(pos.join(','));
    if (fields.length === 0) throw new UsageError('select: name at least one field (select a,b)');
    return {
      name: 'select',
      explain: { fields },
      needs: fields,
      recordWise: true,
      build: (next) => selectStage(fields, next),
    };
  },
};

function selectStage(fields: string[], next: Stage): Stage {
  const getters = fields.map(fieldGetter);
  const n = fields.length;
  return recordStage(next, (batch: Batch) => {
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      const out: Rec = {};
      for (let k = 0; k < n; k++) {
        const v = getters[k]!(r);
        if (v !== undefined) setField(out, fields[k]!, v);
      }
      carryWindowTags(r, out);
      batch[i] = out;
    }
    next.push(batch);
  });
}
