import type { Batch, Rec, Stage, VerbDef } from '../engine/types.js';
import { recordStage } from '../engine/stage.js';
import { UsageError } from '../engine/errors.js';
import { setField } from '../engine/values.js';
import { carryWindowTags } from '../window/tags.js';
import { parseVerbArgs, splitFieldListRaw } from './args.js';
import { fieldRef, hasRef, setPathCopying, withoutPath, type FieldRef } from '../reshape/paths.js';

const usage = `Usage: sluice rename OLD=NEW[,OLD=NEW...]

Rename fields, keeping their place in the record. A record without OLD is
unchanged. If NEW already exists, the renamed field replaces it (at OLD's
place). Renames apply at once, so a=b,b=a swaps two fields. Renaming two
fields to one name is an error (a record with both would lose a value).
A name with dots is a path into nested objects: user.id=uid moves id out of
user to a top-level uid (at the end), uid=user.id moves it in; a record
with a top-level field named user.id renames that field instead. Put a
name with a comma, an = or a dot that is not a path in backticks.

Examples:
  $ sluice --csv rename origin=from,destination=to < flights.csv | head -2
  time,delay,distance,from,to
  2001-01-01T00:01:00Z,33,2176,LAS,PHL

  $ echo '{"a":1,"b":2}' | sluice rename a=b,b=a
  {"b":1,"a":2}

  $ echo '{"user":{"id":7,"name":"ann"}}' | sluice rename user.id=uid
  {"user":{"name":"ann"},"uid":7}
`;

/** `rename OLD=NEW[,...]`. */
export const rename: VerbDef = {
  name: 'rename',
  summary: 'rename fields (OLD=NEW,...)',
  usage,
  arity: { min: 1, max: Infinity },
  parse(args) {
    const { pos } = parseVerbArgs('rename', args, []);
    const pairs = splitFieldListRaw(pos.join(','));
    if (pairs.length === 0) throw new UsageError('rename: give at least one OLD=NEW');
    const map = new Map<string, string>();
    const targetOf = new Map<string, string>();
    const pathPairs: Array<[FieldRef, FieldRef]> = [];
    for (const p of pairs) {
      const eq = eqOutsideTicks(p);
      if (eq <= 0 || eq === p.length - 1) throw new UsageError(`rename: '${p.replace(/`/g, '')}' is not OLD=NEW`);
      const fromRef = fieldRef(p.slice(0, eq));
      const toRef = fieldRef(p.slice(eq + 1));
      const from = fromRef.name;
      const to = toRef.name;
      if (fromRef.path.length > 1 || toRef.path.length > 1) {
        if (pathPairs.some(([f]) => f.name === from) || map.has(from)) throw new UsageError(`rename: field '${from}' renamed twice`);
        pathPairs.push([fromRef, toRef]);
        continue;
      }
      if (map.has(from)) throw new UsageError(`rename: field '${from}' renamed twice`);
      // Two fields renamed to one name: a record with both would keep only one value.
      const other = targetOf.get(to);
      if (other !== undefined) throw new UsageError(`rename: '${other}' and '${from}' are both renamed to '${to}'`);
      map.set(from, to);
      targetOf.set(to, from);
    }
    return {
      name: 'rename',
      explain: { renames: Object.fromEntries([...map, ...pathPairs.map(([f, t]) => [f.name, t.name])]) },
      needs: ['*'],
      recordWise: true,
      build: (next) => renameStage(map, pathPairs, next),
    };
  },
};

/** The index of the first `=` outside backticks, or -1. */
function eqOutsideTicks(p: string): number {
  let tick = false;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '`') tick = !tick;
    else if (!tick && p[i] === '=') return i;
  }
  return -1;
}

/** Rename along paths, one pair after the other: the value leaves its place and is set at the new one. */
function renamePaths(r: Rec, pairs: Array<[FieldRef, FieldRef]>): Rec {
  let out = r;
  for (const [from, to] of pairs) {
    if (!hasRef(out, from)) continue;
    const v = from.get(out);
    const next = withoutPath(out, from.isTop(out) ? [from.name] : from.path);
    if (next === out) continue;
    out = next;
    if (to.path.length === 1 || to.isTop(out)) setField(out, to.name, v);
    else setPathCopying(out, to.path, v);
  }
  return out;
}

function renameStage(map: Map<string, string>, pathPairs: Array<[FieldRef, FieldRef]>, next: Stage): Stage {
  const targets = new Set(map.values());
  return recordStage(next, (batch: Batch) => {
    for (let i = 0; i < batch.length; i++) {
      if (pathPairs.length > 0) {
        const r0 = batch[i]!;
        const moved = renamePaths(r0, pathPairs);
        if (moved !== r0) {
          carryWindowTags(r0, moved);
          batch[i] = moved;
        }
      }
      if (map.size === 0) continue;
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
