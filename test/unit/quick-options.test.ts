/**
 * The command line reads option words in plain forms without yargs
 * (verbs/args.ts quickOptions, start-up of issue 13): differential test
 * against yargs itself, configured as sluice configures it, on random option
 * words of random option tables; and the lazy verb registry lists the verbs
 * of the full one, in the same order.
 */
import fc from 'fast-check';
import { createRequire } from 'node:module';
import type YargsFactory from 'yargs';
import { describe, expect, it } from 'vitest';
import { quickOptions, type OptSpec } from '../../src/verbs/args.js';
import { VERBS } from '../../src/verbs/index.js';
import { VERB_NAMES, allVerbs, isVerbName, loadedVerb } from '../../src/verbs/registry.js';

const yargs = createRequire(import.meta.url)('yargs') as typeof YargsFactory;

/** yargs' answer for the words, by the specs' long names (as parseVerbArgs and parseMainOptions read it). */
function byYargs(words: string[], specs: OptSpec[], lastWins: boolean): Record<string, unknown> {
  const options: Record<string, object> = {};
  for (const s of specs) {
    options[s.name] = { type: s.type, ...(s.alias ? { alias: s.alias } : {}), ...(s.array ? { array: true } : {}), ...(s.default !== undefined ? { default: s.default } : {}) };
  }
  const parsed = yargs(words)
    .version(false)
    .help(false)
    .options(options)
    .strict()
    .exitProcess(false)
    .parserConfiguration({ 'camel-case-expansion': false, 'dot-notation': false, 'duplicate-arguments-array': !lastWins, 'boolean-negation': false })
    .fail((msg: string) => {
      throw new Error(msg);
    })
    .parseSync() as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const s of specs) if (parsed[s.name] !== undefined) out[s.name] = parsed[s.name];
  return out;
}

const SPECS: OptSpec[] = [
  { name: 'pattern', type: 'string' },
  { name: 'keep', alias: 'k', type: 'boolean' },
  { name: 'limit', alias: 'n', type: 'number', default: 10 },
  { name: 'from', type: 'string', array: true },
  { name: 'year', type: 'string', default: 'auto' },
  { name: 'max-bytes', type: 'number' },
];

const value = fc.oneof(
  fc.constantFrom('5', '-5h', '1e3', 'abc', '"quoted"', "'q'", '"half', 'a=b', ' 7 ', '0x10', '-', 'x y', '"', '2024'),
  fc.string({ minLength: 1, maxLength: 6 }),
);
const word = fc.oneof(
  fc.tuple(fc.constantFrom('pattern', 'limit', 'from', 'year', 'max-bytes'), value).map(([n, v]) => `--${n}=${v}`),
  fc.constantFrom('--keep', '-k'),
);

describe('quickOptions', () => {
  /** The options the words name more than once (`from` counted when arrays collect). */
  const repeated = (words: string[], collect: boolean) => {
    const names = words.map((w) => (w === '-k' ? 'keep' : w.slice(2).split('=')[0]!)).filter((n) => !(collect && n === 'from'));
    return new Set(names).size < names.length;
  };

  it('returns what yargs returns for words in plain forms (as verb options: duplicate-arguments-array false)', () => {
    fc.assert(
      fc.property(fc.array(word, { maxLength: 6 }), (words) => {
        const q = quickOptions(words, SPECS, false);
        if (repeated(words, false)) expect(q).toBeUndefined();
        else expect({ ...q }).toEqual(byYargs(words, SPECS, true));
      }),
      { numRuns: 300 },
    );
  });

  it('main options: an array option collects its repeats; a repeated other option is left to yargs', () => {
    fc.assert(
      fc.property(fc.array(word, { maxLength: 6 }), (words) => {
        const q = quickOptions(words, SPECS, true);
        if (repeated(words, true)) expect(q).toBeUndefined();
        else expect({ ...q }).toEqual(byYargs(words, SPECS, false));
      }),
      { numRuns: 300 },
    );
  });

  it('leaves other forms to yargs', () => {
    for (const w of ['--keep=true', '--keep=no', '--pattern=', '--nope=1', '--pattern', '-n', 'word']) expect(quickOptions([w], SPECS, true), w).toBeUndefined();
    expect(quickOptions(['--pattern=a', '--pattern=b'], SPECS, true)).toBeUndefined();
    expect(quickOptions(['--from=a', '--from=b'], SPECS, false)).toBeUndefined();
    expect(quickOptions(['--from=a', '--from=b'], SPECS, true)).toMatchObject({ from: ['a', 'b'] });
  });
});

describe('verb registry', () => {
  it('lists every verb of verbs/index.ts, in the same order, and gives the same definitions once loaded', () => {
    expect([...VERB_NAMES]).toEqual(VERBS.map((v) => v.name));
    expect(allVerbs()).toEqual([...VERBS]);
    for (const v of VERBS) {
      expect(isVerbName(v.name)).toBe(true);
      expect(loadedVerb(v.name)).toBe(v);
    }
    expect(isVerbName('nope')).toBe(false);
    expect(loadedVerb('nope')).toBeUndefined();
  });
});
