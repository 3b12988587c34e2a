/**
 * The verbs by name, loaded on demand. A run loads only the verbs its command
 * line names (`sluice -i lines parse ...` loads parse, not window's or agg's
 * code): the command-line entry (cli/main.ts) awaits loadVerbs() for them
 * before parsing the command line synchronously with loadedVerb(). Importing
 * verbs/index.ts (the whole registry, as tests, the man page generator and
 * -j's workers do) registers every verb at once.
 */
import type { VerbDef } from '../engine/types.js';

/** Each verb's name and its file's loader, in the order `sluice --help` lists them. */
const LOADERS: ReadonlyArray<readonly [string, () => Promise<VerbDef>]> = [
  ['filter', async () => (await import('./filter.js')).filter],
  ['map', async () => (await import('./map.js')).map],
  ['select', async () => (await import('./select.js')).select],
  ['drop', async () => (await import('./drop.js')).drop],
  ['rename', async () => (await import('./rename.js')).rename],
  ['head', async () => (await import('./head.js')).head],
  ['window', async () => (await import('./window.js')).window],
  ['agg', async () => (await import('./agg.js')).agg],
  ['join', async () => (await import('./join.js')).join],
  ['over', async () => (await import('./over.js')).over],
  ['explode', async () => (await import('./explode.js')).explode],
  ['flatten', async () => (await import('./flatten.js')).flatten],
  ['unflatten', async () => (await import('./unflatten.js')).unflatten],
  ['fill-down', async () => (await import('./fill-down.js')).fillDown],
  ['fill-empty', async () => (await import('./fill-empty.js')).fillEmpty],
  ['unsparsify', async () => (await import('./unsparsify.js')).unsparsify],
  ['reorder', async () => (await import('./reorder.js')).reorder],
  ['merge', async () => (await import('./merge.js')).merge],
  ['partition', async () => (await import('./partition.js')).partition],
  ['parse', async () => (await import('./parse.js')).parse],
  ['sort', async () => (await import('./sort.js')).sort],
  ['top', async () => (await import('./top.js')).top],
  ['uniq', async () => (await import('./uniq.js')).uniq],
  ['tail', async () => (await import('./tail.js')).tail],
  ['sample', async () => (await import('./sample.js')).sample],
  ['tee', async () => (await import('./tee.js')).tee],
  ['split', async () => (await import('./split.js')).split],
];

/** Every verb name, in the order `sluice --help` lists them. */
export const VERB_NAMES: readonly string[] = LOADERS.map(([name]) => name);

const loaderOf = new Map(LOADERS);
const loaded = new Map<string, VerbDef>();

/** A verb not loaded yet was asked for: an internal error (the entry loads every verb its command line names). */
export class VerbNotLoaded extends Error {
  constructor(readonly verb: string) {
    super(`verb '${verb}' was not loaded`);
  }
}

/** True when `name` is a verb (loaded or not). */
export function isVerbName(name: string): boolean {
  return loaderOf.has(name);
}

/** Load the verbs among `names` (other words are ignored), in parallel. */
export async function loadVerbs(names: Iterable<string>): Promise<void> {
  const wanted = [...new Set(names)].filter((n) => loaderOf.has(n) && !loaded.has(n));
  const defs = await Promise.all(wanted.map((n) => loaderOf.get(n)!()));
  registerVerbs(defs);
}

/** Register verb definitions already imported (verbs/index.ts registers all of them). */
export function registerVerbs(defs: readonly VerbDef[]): void {
  for (const d of defs) loaded.set(d.name, d);
}

/**
 * The verb called `name`, or undefined when no verb has that name.
 * @throws VerbNotLoaded when it is a verb that has not been loaded
 */
export function loadedVerb(name: string): VerbDef | undefined {
  const def = loaded.get(name);
  if (def === undefined && loaderOf.has(name)) throw new VerbNotLoaded(name);
  return def;
}

/**
 * Every verb, in `sluice --help` order.
 * @throws VerbNotLoaded when some verb has not been loaded
 */
export function allVerbs(): VerbDef[] {
  return VERB_NAMES.map((n) => loadedVerb(n)!);
}
