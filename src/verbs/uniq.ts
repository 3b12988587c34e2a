import { rootsOf } from '../engine/projection.js';
import type { Batch, Rec, Stage, VerbDef } from '../engine/types.js';
import { RuntimeError, UsageError } from '../engine/errors.js';
import { detach, fieldGetter, markChanged, pathGetter, setField, stringifyRecord } from '../engine/values.js';
import { parseVerbArgs } from './args.js';
import { type FieldRef, parseFieldList } from '../order/keys.js';
import { compileKey } from '../window/keys.js';
import { type WindowMode, type WindowOps, perWindowStage, wholeInputStage, windowModeOf } from '../order/windowed.js';
import { openVerbState, stateArray, stateString, verbState } from '../state/records.js';
import { decodeCount } from '../state/codec.js';

const usage = `Usage: sluice uniq [FIELDS] [--count [--as NAME]]

Distinct records, or distinct combinations of FIELDS (a,b). Each is
written the first time it is seen (so uniq streams): the whole record
without FIELDS, else a record of just FIELDS. Values compare by text, as
agg's keys do: the number 7 and the string "7" are one value; null and
missing are one value. Whole records are the same when they have the same
fields in the same order with the same values (by text). Memory: one key
per distinct value.

--count writes each distinct record or combination once, at end of input
(in order of first appearance), with the number of times it was seen in a
field 'count' (or NAME); a record that already has that field is an error.

After 'window ... then agg' (or after 'window' alone), uniq works per
window and writes each window's distinct values when the window closes.

Options:
  --count     count each distinct value; write at the end
  --as NAME   the count's field name (default: count)

Examples:
  $ sluice --csv uniq origin then head 3 < flights.csv
  origin
  LAS
  ATL
  MCI

  $ sluice --csv uniq origin,destination --count then head 3 < flights.csv
  origin,destination,count
  LAS,PHL,5
  ATL,SAV,8
  MCI,MDW,19

  $ tail -f access.ndjson | sluice uniq user
  (each new user once, as it first appears)
`;

/** `uniq [FIELDS] [--count] [--as NAME]`. */
export const uniq: VerbDef = {
  name: 'uniq',
  summary: 'distinct records or field combinations, written at first sight; --count counts them',
  usage,
  arity: { min: 0, max: Infinity },
  parse(args) {
    const { pos, opts } = parseVerbArgs('uniq', args, [
      { name: 'count', alias: 'c', type: 'boolean' },
      { name: 'as', type: 'string' },
    ]);
    const fields = pos.length > 0 ? parseFieldList('uniq', 'FIELDS', pos.join(' ')) : [];
    const count = opts.count === true;
    if (opts.as !== undefined && !count) throw new UsageError('uniq: --as names the count: give --count too');
    const countName = opts.as !== undefined ? String(opts.as) : 'count';
    if (countName === '') throw new UsageError('uniq: --as needs a name');
    if (fields.some((f) => f.name === countName)) throw new UsageError(`uniq: the count field '${countName}' is one of the fields: name it with --as NAME`);
    return {
      name: 'uniq',
      explain: { fields: fields.length ? fields.map((f) => f.name) : '(whole records)', ...(count ? { count: countName } : {}) },
      needs: fields.length ? fields.map((f) => f.name) : ['*'],
      recordWise: false,
      // With FIELDS, records of just those fields; without, whole records are compared.
      ...(fields.length ? { access: { reads: fields.flatMap((f) => [f.path[0]!, ...rootsOf(f.name)]), emits: 'new' as const } } : {}),
      ...(count ? {} : { firstPerKey: { keyOf: keyFunction(fields), n: 1 } }),
      // (The count is the last field of a record of just FIELDS, or of the whole record; a plain name, so -j can find it in the line.)
      ...(count && /^[A-Za-z_][A-Za-z0-9_]*$/.test(countName) ? { countPerKey: { keyOf: keyFunction(fields), name: countName } } : {}),
      build(next, ctx, plan) {
        const mode: WindowMode = windowModeOf('uniq', plan);
        const ops = uniqOps(fields, count ? countName : null);
        if (mode !== null) return perWindowStage('uniq', mode, next, ops);
        return count ? wholeInputStage('uniq', ops, next, ctx) : firstSightStage(fields, next);
      },
    };
  },
};

/** The key of a record: its FIELDS' key, or the whole record's JSON. */
function keyFunction(fields: FieldRef[]): (rec: Rec) => string {
  return fields.length > 0 ? compileKey(fields.map((f) => f.path)) : (rec) => stringifyRecord(rec);
}

/** A new record of just FIELDS (their values as first seen); the record itself without FIELDS. */
function projector(fields: FieldRef[]): (rec: Rec) => Rec {
  if (fields.length === 0) return (rec) => rec;
  const getters = fields.map((f) => pathGetter(f.path));
  return (rec) => {
    const out: Rec = {};
    for (let i = 0; i < fields.length; i++) {
      const v = getters[i]!(rec);
      setField(out, fields[i]!.name, v === undefined ? null : v);
    }
    return out;
  };
}

/** uniq without --count and without a window: each distinct value at once. */
function firstSightStage(fields: FieldRef[], next: Stage): Stage {
  const seen = new Set<string>();
  const keyOf = keyFunction(fields);
  const project = projector(fields);
  return {
    push(batch: Batch) {
      let w = 0;
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i]!;
        const k = keyOf(r);
        if (seen.has(k)) continue;
        seen.add(detach(k));
        batch[w++] = project(r);
      }
      batch.length = w;
      if (w > 0) next.push(batch);
    },
    watermark: (ms) => next.watermark(ms),
    end: () => next.end(),
    // Checkpoint: the keys seen.
    snapshot: () => verbState('uniq', { seen: [...seen] }),
    restore(v: unknown): void {
      const o = openVerbState(v, 'uniq');
      seen.clear();
      for (const k of stateArray(o.seen, 'uniq keys')) seen.add(stateString(k, 'a uniq key'));
    },
  };
}

/** Distinct values (with counts when countName is set) of one window, or of the whole input. */
function uniqOps(fields: FieldRef[], countName: string | null): WindowOps<Map<string, { rec: Rec; n: number }>> {
  const keyOf = keyFunction(fields);
  const project = projector(fields);
  const hasCount = fieldGetter(countName ?? 'count');
  return {
    create: () => new Map(),
    add(m, rec) {
      const k = keyOf(rec);
      const e = m.get(k);
      if (e !== undefined) e.n++;
      else m.set(detach(k), { rec: project(rec), n: 1 });
    },
    flush(m, out) {
      for (const e of m.values()) {
        if (countName !== null) {
          if (hasCount(e.rec) !== undefined) {
            throw new RuntimeError(`uniq: a record already has a field '${countName}': name the count with --as NAME`);
          }
          let r = e.rec;
          if (fields.length === 0) {
            r = { ...e.rec };
            markChanged(r);
          }
          setField(r, countName, e.n);
          out.push(r);
        } else out.push(e.rec);
      }
      m.clear();
    },
    // Checkpoint: [key, record line, count] per distinct value.
    save: (m, codec) => [...m].map(([k, e]) => [k, codec.encode(e.rec), e.n]),
    load(v, codec) {
      const m = new Map<string, { rec: Rec; n: number }>();
      for (const x of stateArray(v, 'uniq values')) {
        const a = stateArray(x, 'a uniq value');
        m.set(stateString(a[0], 'a uniq key'), { rec: codec.decodeState(a[1]), n: decodeCount(a[2]) });
      }
      return m;
    },
  };
}
