import type { Batch, Stage, VerbDef } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';
import { markChanged, setField } from '../engine/values.js';
import { keep } from '../agg/accumulators.js';
import { decodeValue, encodeValue, stateError } from '../state/codec.js';
import { openVerbState, stateArray, stateString, verbState } from '../state/records.js';
import { fieldRef, hasRef, setPathCopying, type FieldRef } from '../reshape/paths.js';
import { parseVerbArgs, splitFieldListRaw } from './args.js';

const usage = `Usage: sluice fill-down FIELD[,FIELD...] [--only-if-blank]
       sluice fill-down -a

Fill a field that is missing or blank (null, or the empty string; an empty
CSV cell is null) with its value in the last record that had one: the
"ditto" cells of spreadsheets and reports (Miller's fill-down). Records
before the first value stay as they are.

Options:
  -f FIELDS         the fields (also as the first argument); a.b paths
  --only-if-blank   fill only fields that are present and blank; a record
                    without the field stays without it
  -a, --all         every field, as it appears (implies --only-if-blank:
                    a field a record lacks is not known to be missing)

Examples:
  $ printf 'region,city,n\\neast,Boston,1\\n,NYC,2\\n,Philly,3\\nwest,LA,4\\n' \\
      | sluice --csv fill-down region
  region,city,n
  east,Boston,1
  east,NYC,2
  east,Philly,3
  west,LA,4

  $ printf '{"a":1,"b":2}\\n{"a":null}\\n{"b":""}\\n' | sluice fill-down -a
  {"a":1,"b":2}
  {"a":1}
  {"b":2}
`;

/** `fill-down FIELDS [--only-if-blank]`, `fill-down -a`. */
export const fillDown: VerbDef = {
  name: 'fill-down',
  summary: 'fill missing or blank fields from the previous record',
  usage,
  arity: { min: 0, max: Infinity },
  parse(args) {
    const { pos, opts } = parseVerbArgs('fill-down', args, [
      { name: 'fields', alias: 'f', type: 'string' },
      { name: 'only-if-blank', type: 'boolean' },
      { name: 'all', alias: 'a', type: 'boolean' },
    ]);
    const all = opts.all === true;
    const list = [...pos, ...(opts.fields !== undefined ? [String(opts.fields)] : [])].join(',');
    const fields = splitFieldListRaw(list);
    if (all && fields.length > 0) throw new UsageError('fill-down: give fields or -a, not both');
    if (!all && fields.length === 0) throw new UsageError('fill-down: name the fields (fill-down region,city) or give -a for all');
    const onlyIfBlank = all || opts['only-if-blank'] === true;
    const refs = fields.map(fieldRef);
    return {
      name: 'fill-down',
      explain: all ? { all: true } : { fields: refs.map((r) => r.name), onlyIfBlank },
      needs: all ? ['*'] : [...refs.map((r) => r.name), '*'],
      recordWise: false,
      build: (next) => (all ? fillAllStage(next) : fillStage(refs, onlyIfBlank, next)),
    };
  },
};

const blank = (v: unknown): boolean => v === null || v === '' || v === undefined;

function fillStage(refs: FieldRef[], onlyIfBlank: boolean, next: Stage): Stage {
  const last: unknown[] = refs.map(() => undefined);
  return {
    push(batch: Batch) {
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i]!;
        for (let j = 0; j < refs.length; j++) {
          const ref = refs[j]!;
          const v = ref.get(r);
          if (!blank(v)) {
            last[j] = keep(v);
            continue;
          }
          if (last[j] === undefined) continue;
          if (onlyIfBlank && v === undefined && !hasRef(r, ref)) continue;
          if (ref.isTop(r)) setField(r, ref.name, last[j]);
          else setPathCopying(r, ref.path, last[j]);
          markChanged(r);
        }
      }
      next.push(batch);
    },
    watermark: (ms) => next.watermark(ms),
    end: () => next.end(),
    // Checkpoint: the last non-blank value of each field (null: none yet).
    snapshot: () => verbState('fill-down', { last: last.map((v) => (v === undefined ? null : [encodeValue(v)])) }),
    restore(v: unknown): void {
      const a = stateArray(openVerbState(v, 'fill-down').last, 'fill-down values');
      if (a.length !== refs.length) throw stateError('fill-down values do not match the fields');
      for (let j = 0; j < a.length; j++) last[j] = a[j] === null ? undefined : decodeValue(stateArray(a[j], 'a fill-down value')[0]);
    },
  };
}

function fillAllStage(next: Stage): Stage {
  const last = new Map<string, unknown>();
  return {
    push(batch: Batch) {
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i]!;
        for (const k in r) {
          const v = r[k];
          if (!blank(v)) last.set(k, keep(v));
          else {
            const f = last.get(k);
            if (f !== undefined) {
              setField(r, k, f);
              markChanged(r);
            }
          }
        }
      }
      next.push(batch);
    },
    watermark: (ms) => next.watermark(ms),
    end: () => next.end(),
    // Checkpoint: [field, last non-blank value] pairs.
    snapshot: () => verbState('fill-down', { all: [...last].map(([k, x]) => [k, encodeValue(x)]) }),
    restore(v: unknown): void {
      last.clear();
      for (const e of stateArray(openVerbState(v, 'fill-down').all, 'fill-down values')) {
        const a = stateArray(e, 'a fill-down value');
        last.set(stateString(a[0], 'a fill-down field'), decodeValue(a[1]));
      }
    },
  };
}
