import type { Batch, Rec, Stage, VerbDef } from '../engine/types.js';
import { recordStage } from '../engine/stage.js';
import { UsageError } from '../engine/errors.js';
import { setField } from '../engine/values.js';
import { carryWindowTags } from '../window/tags.js';
import { isPlainObject } from '../reshape/paths.js';
import { parseVerbArgs } from './args.js';

const usage = `Usage: sluice flatten [--separator S]

Turn nested objects and arrays into flat fields named by their path:
{"a":{"b":1,"c":[2,3]}} becomes {"a.b":1,"a.c.0":2,"a.c.1":3}, in place
of the field, other fields in their order. An empty object or array
becomes the text {} or [] (so that unflatten can bring it back). Records
without nested values pass unchanged. 'unflatten' is the inverse.

CSV, TSV and table output do not flatten by themselves: an object or array
is written as its JSON text in one cell (so a record never changes shape
behind your back, and the text reads back as JSON). Put 'then flatten'
before CSV output to get one column per leaf instead (Miller flattens
automatically; sluice asks for it).

Options:
  --separator S   put S between the steps of a path (default: .)

Examples:
  $ echo '{"id":1,"user":{"name":"ann","roles":["a","b"]},"x":{}}' \\
      | sluice flatten
  {"id":1,"user.name":"ann","user.roles.0":"a","user.roles.1":"b","x":"{}"}

  $ echo '{"id":1,"user":{"name":"ann"}}' | sluice -o csv flatten -s :
  id,user:name
  1,ann
`;

/** `flatten [--separator S]`. */
export const flatten: VerbDef = {
  name: 'flatten',
  summary: 'nested objects and arrays to flat a.b fields',
  usage,
  arity: { min: 0, max: 0 },
  parse(args) {
    const { pos, opts } = parseVerbArgs('flatten', args, [{ name: 'separator', alias: 's', type: 'string', default: '.' }]);
    if (pos.length > 0) throw new UsageError(`flatten: unexpected '${pos[0]}' (flatten takes only --separator)`);
    const sep = String(opts.separator);
    if (sep === '') throw new UsageError('flatten: --separator must not be empty');
    return {
      name: 'flatten',
      explain: { separator: sep },
      needs: ['*'],
      recordWise: true,
      build: (next) => flattenStage(sep, next),
    };
  },
};

function nested(v: unknown): boolean {
  return Array.isArray(v) || isPlainObject(v);
}

/** Write the leaves of `v` into `out` under `prefix`. */
function flattenInto(out: Rec, prefix: string, v: unknown, sep: string): void {
  if (Array.isArray(v)) {
    if (v.length === 0) setField(out, prefix, '[]');
    for (let i = 0; i < v.length; i++) flattenInto(out, prefix + sep + i, v[i], sep);
  } else if (isPlainObject(v)) {
    let any = false;
    for (const k in v) {
      any = true;
      flattenInto(out, prefix + sep + k, v[k], sep);
    }
    if (!any) setField(out, prefix, '{}');
  } else setField(out, prefix, v);
}

function flattenStage(sep: string, next: Stage): Stage {
  return recordStage(next, (batch: Batch) => {
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      let has = false;
      for (const k in r) {
        if (nested(r[k])) {
          has = true;
          break;
        }
      }
      if (!has) continue;
      const out: Rec = {};
      for (const k in r) {
        const v = r[k];
        if (nested(v)) flattenInto(out, k, v, sep);
        else setField(out, k, v);
      }
      carryWindowTags(r, out);
      batch[i] = out;
    }
    next.push(batch);
  });
}
