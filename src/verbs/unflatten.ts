import type { Batch, Rec, Stage, VerbDef } from '../engine/types.js';
import { recordStage } from '../engine/stage.js';
import { UsageError } from '../engine/errors.js';
import { setField } from '../engine/values.js';
import { carryWindowTags } from '../window/tags.js';
import { isPlainObject } from '../reshape/paths.js';
import { parseVerbArgs } from './args.js';

const usage = `Usage: sluice unflatten [--separator S]

Turn flat fields named by a path back into nested objects: {"a.b":1,
"a.c":2} becomes {"a":{"b":1,"c":2}}, at the place of the first field of
the object. The text {} or [] becomes an empty object or array (as flatten
writes them). An object made here whose keys are exactly 0, 1, 2, ... in
order becomes an array, so flatten then unflatten gives back the record
(other number steps stay object keys). A field that would clash with another (a
and a.b, where a is not an object) is kept flat, so no value is lost.

Options:
  --separator S   the separator between steps (default: .)

Examples:
  $ echo '{"id":1,"user.name":"ann","user.id":7,"x":"{}"}' | sluice unflatten
  {"id":1,"user":{"name":"ann","id":7},"x":{}}

  $ printf 'id,geo.lat,geo.lon\\n1,52.5,13.4\\n' \\
      | sluice -i csv -o ndjson unflatten
  {"id":1,"geo":{"lat":52.5,"lon":13.4}}
`;

/** `unflatten [--separator S]`. */
export const unflatten: VerbDef = {
  name: 'unflatten',
  summary: 'flat a.b fields back to nested objects',
  usage,
  arity: { min: 0, max: 0 },
  parse(args) {
    const { pos, opts } = parseVerbArgs('unflatten', args, [{ name: 'separator', alias: 's', type: 'string', default: '.' }]);
    if (pos.length > 0) throw new UsageError(`unflatten: unexpected '${pos[0]}' (unflatten takes only --separator)`);
    const sep = String(opts.separator);
    if (sep === '') throw new UsageError('unflatten: --separator must not be empty');
    return {
      name: 'unflatten',
      explain: { separator: sep },
      needs: ['*'],
      recordWise: true,
      build: (next) => unflattenStage(sep, next),
    };
  },
};

const hasOwn = Object.prototype.hasOwnProperty;

function unflattenStage(sep: string, next: Stage): Stage {
  return recordStage(next, (batch: Batch) => {
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      let has = false;
      for (const k in r) {
        const v = r[k];
        if (k.includes(sep) || v === '{}' || v === '[]') {
          has = true;
          break;
        }
      }
      if (!has) continue;
      const out: Rec = {};
      // Objects this record's unflatten created: only those take more steps.
      const made = new Set<Rec>();
      const plain = new Set<string>();
      for (const k in r) if (!k.includes(sep)) plain.add(k);
      for (const k in r) {
        let v = r[k];
        if (v === '{}') v = {};
        else if (v === '[]') v = [];
        if (!k.includes(sep)) {
          setField(out, k, v);
          continue;
        }
        const path = k.split(sep);
        // A step that is empty, or a first step that is also a field of its own (a and a.b): keep it flat.
        if (path.some((s) => s === '') || plain.has(path[0]!)) {
          setField(out, k, v);
          continue;
        }
        let o = out;
        let ok = true;
        for (let j = 0; j < path.length - 1; j++) {
          const step = path[j]!;
          if (!hasOwn.call(o, step)) {
            const child: Rec = {};
            made.add(child);
            setField(o, step, child);
            o = child;
            continue;
          }
          const cur = o[step];
          if (isPlainObject(cur) && made.has(cur)) {
            o = cur;
            continue;
          }
          ok = false;
          break;
        }
        const last = path[path.length - 1]!;
        if (!ok || hasOwn.call(o, last)) setField(out, k, v);
        else setField(o, last, v);
      }
      if (made.size > 0) arrays(out, made);
      carryWindowTags(r, out);
      batch[i] = out;
    }
    next.push(batch);
  });
}

/** Turn the objects made by unflatten whose keys are 0, 1, ... n-1 in order into arrays (innermost first). */
function arrays(o: Rec, made: Set<Rec>): void {
  for (const k in o) {
    const v = o[k];
    if (!isPlainObject(v) || !made.has(v)) continue;
    arrays(v, made);
    let n = 0;
    let seq = true;
    for (const key in v) {
      if (key !== String(n)) {
        seq = false;
        break;
      }
      n++;
    }
    if (seq && n > 0) {
      const a = new Array<unknown>(n);
      for (let i = 0; i < n; i++) a[i] = v[String(i)];
      setField(o, k, a);
    }
  }
}
