import type { Batch, Rec, Stage, VerbDef } from '../engine/types.js';
import { recordStage } from '../engine/stage.js';
import { UsageError } from '../engine/errors.js';
import { markChanged, setField, typeCell } from '../engine/values.js';
import { isPlainObject } from '../reshape/paths.js';
import { parseVerbArgs } from './args.js';

const usage = `Usage: sluice fill-empty [VALUE] [-S] [--only-if-null]

Replace every empty value (null, or the empty string; an empty CSV cell
is null) with VALUE (default N/A), in every field, nested ones included.
VALUE is typed as a CSV cell: fill-empty 0 writes the number 0; -S keeps it
text. Fields a record lacks are not added (see unsparsify for that).

Options:
  -v VALUE          the value (also as the first argument; default N/A)
  -S, --string      VALUE is text, even when it looks like a number
  --only-if-null    fill null only, not the empty string

Examples:
  $ printf 'a,b,c\\n1,,3\\n,x,\\n' | sluice --csv fill-empty
  a,b,c
  1,N/A,3
  N/A,x,N/A

  $ echo '{"a":null,"b":"","c":{"d":null}}' | sluice fill-empty 0
  {"a":0,"b":0,"c":{"d":0}}
`;

/** `fill-empty [VALUE] [-S] [--only-if-null]`. */
export const fillEmpty: VerbDef = {
  name: 'fill-empty',
  summary: 'replace null and empty values with a value (default N/A)',
  usage,
  arity: { min: 0, max: 1 },
  parse(args) {
    const { pos, opts } = parseVerbArgs('fill-empty', args, [
      { name: 'value', alias: 'v', type: 'string' },
      { name: 'string', alias: 'S', type: 'boolean' },
      { name: 'only-if-null', type: 'boolean' },
    ]);
    if (pos.length > 1 || (pos.length === 1 && opts.value !== undefined)) throw new UsageError('fill-empty: give one VALUE');
    const text = opts.value !== undefined ? String(opts.value) : (pos[0] ?? 'N/A');
    const value = opts.string === true ? text : typeCell(text) ?? '';
    const onlyNull = opts['only-if-null'] === true;
    return {
      name: 'fill-empty',
      explain: { value, onlyIfNull: onlyNull },
      needs: ['*'],
      recordWise: true,
      build: (next) => fillEmptyStage(value, onlyNull, next),
    };
  },
};

function fillEmptyStage(value: unknown, onlyNull: boolean, next: Stage): Stage {
  const empty = (v: unknown) => v === null || (!onlyNull && v === '');
  /** Fill in place; true when something changed. */
  const fill = (o: Rec): boolean => {
    let changed = false;
    for (const k in o) {
      const v = o[k];
      if (empty(v)) {
        setField(o, k, value);
        changed = true;
      } else if (isPlainObject(v)) {
        if (fill(v)) changed = true;
      } else if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const e = v[i];
          if (empty(e)) {
            v[i] = value;
            changed = true;
          } else if (isPlainObject(e) && fill(e)) changed = true;
        }
      }
    }
    return changed;
  };
  return recordStage(next, (batch: Batch) => {
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      if (fill(r)) markChanged(r);
    }
    next.push(batch);
  });
}
