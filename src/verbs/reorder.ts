import type { Batch, Rec, Stage, VerbDef } from '../engine/types.js';
import { recordStage } from '../engine/stage.js';
import { UsageError } from '../engine/errors.js';
import { setField } from '../engine/values.js';
import { carryWindowTags } from '../window/tags.js';
import { parseVerbArgs, splitFieldList } from './args.js';

const usage = `Usage: sluice reorder [-e] [-f] F[,F...]

Move the named fields to the front of each record, in the order given;
with -e, to the end, in the order given. Other fields keep their order;
a field a record lacks is skipped. Names are top-level fields (a name with
dots is one field here: reorder moves fields, not paths).

Options:
  -f F,...   the fields (also as the first argument)
  -e, --end  put them last instead of first (reorder -e -f a,b works too,
             as in Miller)

Examples:
  $ sluice --csv reorder origin,destination < flights.csv | head -2
  origin,destination,time,delay,distance
  LAS,PHL,2001-01-01T00:01:00Z,33,2176

  $ echo '{"a":1,"b":2,"c":3,"d":4}' | sluice reorder -e b,a
  {"c":3,"d":4,"b":2,"a":1}
`;

/** `reorder [-f] F,...` / `reorder -e F,...`. */
export const reorder: VerbDef = {
  name: 'reorder',
  summary: 'move fields to the front (or with -e to the end)',
  usage,
  arity: { min: 0, max: Infinity },
  parse(args) {
    const { pos, opts } = parseVerbArgs('reorder', args, [
      { name: 'fields', alias: 'f', type: 'string' },
      { name: 'end', alias: 'e', type: 'boolean' },
    ]);
    const fields = splitFieldList([...pos, ...(opts.fields !== undefined ? [String(opts.fields)] : [])].join(','));
    if (fields.length === 0) throw new UsageError('reorder: name the fields (reorder a,b to put them first, reorder -e a,b to put them last)');
    const dup = fields.find((f, i) => fields.indexOf(f) !== i);
    if (dup !== undefined) throw new UsageError(`reorder: '${dup}' is named twice`);
    const front = opts.end === true ? [] : fields;
    const back = opts.end === true ? fields : [];
    return {
      name: 'reorder',
      explain: { first: front, last: back },
      needs: ['*'],
      recordWise: true,
      build: (next) => reorderStage(front, back, next),
    };
  },
};

const hasOwn = Object.prototype.hasOwnProperty;

function reorderStage(front: string[], back: string[], next: Stage): Stage {
  const moved = new Set([...front, ...back]);
  return recordStage(next, (batch: Batch) => {
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      const out: Rec = {};
      for (const f of front) if (hasOwn.call(r, f)) setField(out, f, r[f]);
      for (const k in r) if (!moved.has(k)) setField(out, k, r[k]);
      for (const f of back) if (hasOwn.call(r, f)) setField(out, f, r[f]);
      carryWindowTags(r, out);
      batch[i] = out;
    }
    next.push(batch);
  });
}
