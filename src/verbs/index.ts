/**
 * The verb registry: every verb sluice knows, by name, all loaded. Each verb
 * lives in its own file (usage text first, then argument parsing, then the
 * stage builder). Importing this module registers every verb with
 * verbs/registry.ts, which a plain run uses to load only the verbs it names.
 */
import type { VerbDef } from '../engine/types.js';
import { registerVerbs } from './registry.js';
import { filter } from './filter.js';
import { map } from './map.js';
import { select } from './select.js';
import { drop } from './drop.js';
import { rename } from './rename.js';
import { head } from './head.js';
import { window } from './window.js';
import { agg } from './agg.js';
import { join } from './join.js';
import { over } from './over.js';
import { explode } from './explode.js';
import { flatten } from './flatten.js';
import { unflatten } from './unflatten.js';
import { fillDown } from './fill-down.js';
import { fillEmpty } from './fill-empty.js';
import { unsparsify } from './unsparsify.js';
import { reorder } from './reorder.js';
import { merge } from './merge.js';
import { partition } from './partition.js';
import { parse } from './parse.js';
import { sort } from './sort.js';
import { top } from './top.js';
import { uniq } from './uniq.js';
import { tail } from './tail.js';
import { sample } from './sample.js';
import { tee } from './tee.js';
import { split } from './split.js';

/** All verbs, in the order `sluice --help` lists them. */
export const VERBS: readonly VerbDef[] = [
  filter, map, select, drop, rename, head, window, agg, join, over, explode, flatten, unflatten, fillDown, fillEmpty, unsparsify, reorder, merge, partition, parse,
  sort, top, uniq, tail, sample, tee, split,
];

registerVerbs(VERBS);

const byName = new Map(VERBS.map((v) => [v.name, v]));

/** The verb called `name`, or undefined. */
export function findVerb(name: string): VerbDef | undefined {
  return byName.get(name);
}
