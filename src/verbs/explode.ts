import type { Batch, Rec, Stage, VerbDef } from '../engine/types.js';
import { recordStage } from '../engine/stage.js';
import { UsageError } from '../engine/errors.js';
import { setField } from '../engine/values.js';
import { carryWindowTags } from '../window/tags.js';
import { fieldRef, setPathCopying, type FieldRef } from '../reshape/paths.js';
import { parseVerbArgs, splitFieldListRaw } from './args.js';

const usage = `Usage: sluice explode FIELD [--separator S] [--index NAME]

Write one record per element of the array in FIELD, with FIELD replaced by
the element and every other field as it was (SQL's UNNEST, jq's .[],
Miller's nest --explode). An empty array gives no record, as in SQL and jq.
A record whose FIELD is missing, null or not an array passes unchanged.
FIELD may be a path (tags, user.roles).

Options:
  --separator S   also split a string value on S (a literal string, not a
                  regex): "a;b;c" with --separator ';' gives a, b, c
  --index NAME    add field NAME with the element's position (0, 1, ...)

Examples:
  $ echo '{"id":1,"tags":["a","b"]}' | sluice explode tags
  {"id":1,"tags":"a"}
  {"id":1,"tags":"b"}

  $ printf 'id,hosts\\n1,web1;web2\\n' \\
      | sluice --csv explode hosts --separator ';'
  id,hosts
  1,web1
  1,web2

  $ echo '{"o":{"xs":[5,6]}}' | sluice explode o.xs --index i
  {"o":{"xs":5},"i":0}
  {"o":{"xs":6},"i":1}
`;

/** `explode FIELD [--separator S] [--index NAME]`. */
export const explode: VerbDef = {
  name: 'explode',
  summary: 'one record per element of an array field (or of a split string)',
  usage,
  arity: { min: 1, max: Infinity },
  parse(args) {
    const { pos, opts } = parseVerbArgs('explode', args, [
      { name: 'separator', type: 'string' },
      { name: 'index', type: 'string' },
    ]);
    const fields = splitFieldListRaw(pos.join(','));
    if (fields.length !== 1) throw new UsageError('explode: name one field (explode tags)');
    const sep = opts.separator !== undefined ? String(opts.separator) : null;
    if (sep === '') throw new UsageError('explode: --separator must not be empty');
    const index = opts.index !== undefined ? String(opts.index) : null;
    if (index === '') throw new UsageError('explode: --index needs a field name');
    const ref = fieldRef(fields[0]!);
    return {
      name: 'explode',
      explain: { field: ref.name, ...(sep !== null ? { separator: sep } : {}), ...(index !== null ? { index } : {}) },
      needs: ['*'],
      recordWise: true,
      build: (next) => explodeStage(ref, sep, index, next),
    };
  },
};

function explodeStage(ref: FieldRef, sep: string | null, index: string | null, next: Stage): Stage {
  return recordStage(next, (batch: Batch) => {
    const out: Batch = [];
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      const v = ref.get(r);
      let items: unknown[] | null = null;
      if (Array.isArray(v)) items = v;
      else if (sep !== null && typeof v === 'string') items = v.split(sep);
      if (items === null) {
        out.push(r);
        continue;
      }
      const top = ref.isTop(r);
      for (let j = 0; j < items.length; j++) {
        const o: Rec = {};
        for (const k in r) setField(o, k, r[k]);
        if (top) setField(o, ref.name, items[j]);
        else setPathCopying(o, ref.path, items[j]);
        if (index !== null) setField(o, index, j);
        carryWindowTags(r, o);
        out.push(o);
      }
    }
    if (out.length > 0) next.push(out);
  });
}
