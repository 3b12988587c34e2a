import type { Batch, Rec, Stage, VerbDef } from '../engine/types.js';
import { recordStage } from '../engine/stage.js';
import { UsageError } from '../engine/errors.js';
import { setField } from '../engine/values.js';
import { carryWindowTags } from '../window/tags.js';
import { parseVerbArgs, splitFieldList } from './args.js';

const usage = `Usage: sluice rename OLD=NEW[,OLD=NEW...]

Rename fields, keeping their place in the record. A record without OLD is
unchanged. If NEW already exists, the renamed field replaces it (at OLD's
place). Renames apply at once, so a=b,b=a swaps two fields. Renaming two
fields to one name is an error (a record with both would lose a value).

Examples:
  $ sluice --csv rename origin=from,destination=to < flights.csv | head -2
  time,delay,distance,from,to
  2001-01-01T00:01:00Z,33,2176,LAS,PHL

  $ echo '{"a":1,"b":2}' | sluice rename a=b,b=a
  {"b":1,"a":2}
`;

/** `rename OLD=NEW[,...]`. */
export const rename: VerbDef = {
  name: 'rename',
  summary: 'rename fields (OLD=NEW,...)',
  usage,
  parse(args) {
    const { pos } = parseVerbArgs('rename', args, []);
    const pairs = splitFieldList(pos.join(','));
    if (pairs.length === 0) throw new UsageError('rename: give at least one OLD=NEW');
    const map = new Map<string, string>();
    const targetOf = new Map<string, string>();
    for (const p of pairs) {
      const eq = p.indexOf('=');
      if (eq <= 0 || eq === p.length - 1) throw new UsageError(`rename: '${p}' is not OLD=NEW`);
      const from = p.slice(0, eq).trim();
      const to = p.slice(eq + 1).trim();
      if (map.has(from)) throw new UsageError(`rename: field '${from}' renamed twice`);
      // Two fields renamed to one name: a record with both would keep only one value.
      const other = targetOf.get(to);
      if (other !== undefined) throw new UsageError(`rename: '${other}' and '${from}' are both renamed to '${to}'`);
      map.set(from, to);
      targetOf.set(to, from);
    }
    return {
      name: 'rename',
      explain: { renames: Object.fromEntries(map) },
      needs: ['*'],
      recordWise: true,
      build: (next) => renameStage(map, next),
    };
  },
};

function renameStage(map: Map<string, string>, next: Stage): Stage {
  const targets = new Set(map.values());
  return recordStage(next, (batch: Batch) => {
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      let touched = false;
      for (const k in r) {
        if (map.has(k)) {
          touched = true;
          break;
        }
      }
      if (!touched) continue;
      const out: Rec = {};
      for (const k in r) {
        const to = map.get(k);
        if (to !== undefined) setField(out, to, r[k]);
        else if (!targets.has(k) || !hasRenamedSource(r, map, k)) setField(out, k, r[k]);
      }
      carryWindowTags(r, out);
      batch[i] = out;
    }
    next.push(batch);
  });
}

/** True when some field of `r` is renamed to `target` (so the old `target` is replaced). */
function hasRenamedSource(r: Rec, map: Map<string, string>, target: string): boolean {
  for (const [from, to] of map) if (to === target && Object.prototype.hasOwnProperty.call(r, from)) return true;
  return false;
}
