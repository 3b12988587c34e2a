/**
 * What the benchmark scripts share: where things are, their `--name N`
 * options, and the summaries of their runs.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/ */
export const HERE = dirname(fileURLToPath(import.meta.url));
/** The project's root. */
export const ROOT = resolve(HERE, '..');
/** The sluice the benchmarks run. */
export const SLUICE = join(ROOT, 'bin/sluice.js');
/** bench/out/: outputs and results (created on import). */
export const OUT = join(HERE, 'out');
mkdirSync(OUT, { recursive: true });

/**
 * The number after `--name` on the command line, or `dflt`.
 * @param {string} name e.g. '--records'
 * @param {number} dflt
 * @returns {number}
 */
export function numberOption(name, dflt) {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

/** The median of `xs` (the upper one of an even count). @param {number[]} xs */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The MD5 of a file's bytes, in hex (to tell whether two outputs are byte-identical). @param {string} f */
export const md5File = (f) => createHash('md5').update(readFileSync(f)).digest('hex');

/**
 * The compiled modules a benchmark needs to run `-j`'s range jobs itself
 * (dist/, from `npm run build`): the chunk runner, the job maker, the verb
 * word parser, the verb loader and the field projection. Import after
 * setting SLUICE_J_CHUNK_BYTES (jobs.ts reads it when it loads).
 */
export async function rangeModules() {
  const dist = join(ROOT, 'dist');
  const [{ createChunkRunner }, { makeJobs }, { parseVerbWords }, { loadVerbs }, { inputFields }] = await Promise.all([
    import(join(dist, 'parallel/chunk.js')),
    import(join(dist, 'parallel/jobs.js')),
    import(join(dist, 'cli/command.js')),
    import(join(dist, 'verbs/registry.js')),
    import(join(dist, 'engine/projection.js')),
  ]);
  return { createChunkRunner, makeJobs, parseVerbWords, loadVerbs, inputFields };
}
