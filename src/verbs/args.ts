/**
 * Argument parsing shared by the verbs: the words between two `then`s are
 * split into options and positionals, and the options are checked by yargs
 * (types, choices, unknown options). A word that begins with `-` but is not
 * one of the verb's options (`filter '-delay > 5'`) is a positional. The word
 * after an option that takes a value is its value, even when it begins with
 * `-` (`--offset -5h`).
 */
import { createRequire } from 'node:module';
import type YargsFactory from 'yargs';
import fs from 'node:fs';
import { UsageError } from '../engine/errors.js';
import type { VerbArity } from '../engine/types.js';

/** One option of a verb. */
export interface OptSpec {
  /** Long name without dashes (`every`). */
  name: string;
  /** One-letter alias without dash (`n`). */
  alias?: string;
  type: 'string' | 'number' | 'boolean';
  /** Allowed values (strings). */
  choices?: string[];
  /** Default value when absent. */
  default?: unknown;
  /** Repeatable, its values collected in an array (`--from a --from b`). */
  array?: boolean;
}

/** yargs-parser's quote stripping of a `--name=value` value: one pair of matching quotes around it goes. */
function stripQuotes(v: string): string {
  return (v[0] === "'" || v[0] === '"') && v[v.length - 1] === v[0] ? v.substring(1, v.length - 1) : v;
}

/**
 * What yargs (yargs-parser, as configured by sluice: strict, no camel-case
 * or dot expansion) returns for option words in the plain forms the command
 * line hands it, without loading yargs (about 50 ms of start-up): a flag word
 * (`--keep`, `-k`) of a boolean option is true, `--name=VALUE` of another
 * option is VALUE without one pair of surrounding quotes (a number option:
 * `Number(VALUE)`, NaN when it is none; an array option: in an array), and
 * absent options take their defaults.
 * @param words     option words (`--name=value` or flag words)
 * @param specs     the options
 * @param collect   true: an array option collects the values of its repeats
 *                  (yargs' default `duplicate-arguments-array`, as for the main
 *                  options); false (`duplicate-arguments-array: false`, as for
 *                  verb options), a repeated array option is left to yargs. A
 *                  repeated option that is not an array is always left to
 *                  yargs (it adds repeated numbers: `-n 5 -n 1` is 6).
 * @returns the options by long name, or undefined when some word is in
 *          another form (a boolean with a value, an empty value, an unknown
 *          name) for the caller to hand all of them to yargs
 */
export function quickOptions(words: readonly string[], specs: readonly OptSpec[], collect: boolean): Record<string, unknown> | undefined {
  const byFlag = new Map<string, OptSpec>();
  for (const s of specs) {
    byFlag.set('--' + s.name, s);
    if (s.alias) byFlag.set('-' + s.alias, s);
  }
  const out: Record<string, unknown> = Object.create(null);
  const seen = new Set<string>();
  for (const w of words) {
    let spec = byFlag.get(w);
    let value: unknown = true;
    if (spec !== undefined) {
      if (spec.type !== 'boolean') return undefined;
    } else {
      const eq = w.startsWith('--') ? w.indexOf('=') : -1;
      spec = eq > 2 ? byFlag.get(w.slice(0, eq)) : undefined;
      if (spec === undefined || spec.type === 'boolean' || eq === w.length - 1) return undefined;
      const text = stripQuotes(w.slice(eq + 1));
      value = spec.type === 'number' ? Number(text) : text;
    }
    if (seen.has(spec.name) && !(spec.array && collect)) return undefined;
    seen.add(spec.name);
    if (spec.array) ((out[spec.name] ??= []) as unknown[]).push(value);
    else out[spec.name] = value;
  }
  for (const s of specs) if (s.default !== undefined && !(s.name in out)) out[s.name] = s.default;
  return out;
}

/** Parsed verb arguments: positionals in order, and options by long name. */
export interface ParsedArgs {
  pos: string[];
  opts: Record<string, unknown>;
  /** True when `--help`/`-h` was given. */
  help: boolean;
}

/**
 * Split and validate a verb's words.
 * @param verb  the verb's name, for messages
 * @param words the words after the verb name, up to the next `then`
 * @param specs the verb's options
 * @throws UsageError for an unknown option, a missing option value or a bad choice
 */
export function parseVerbArgs(verb: string, words: string[], specs: OptSpec[]): ParsedArgs {
  // The command line's context for this verb (see withVerbTail), used once.
  const tail = currentTail;
  currentTail = undefined;
  const byFlag = new Map<string, OptSpec>();
  for (const s of specs) {
    byFlag.set('--' + s.name, s);
    if (s.alias) byFlag.set('-' + s.alias, s);
  }
  let pos: string[] = [];
  const optWords: string[] = [];
  /** Words after a trailing main option that are not options: they can only be file operands. */
  const afterMain: string[] = [];
  let help = false;
  /** The words that are the verb's own (not main options, not operands), for VerbTail.verbWords. */
  const kept: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--help' || w === '-h') {
      help = true;
      kept.push(w);
      continue;
    }
    const eq = w.startsWith('--') ? w.indexOf('=') : -1;
    const flag = eq > 0 ? w.slice(0, eq) : w;
    const spec = byFlag.get(flag);
    const main = spec ? undefined : tail?.mainFlags.get(flag);
    if (spec) {
      kept.push(w);
      if (spec.type !== 'boolean' && eq < 0) {
        if (i + 1 >= words.length) throw new UsageError(`${verb}: option ${flag} needs a value`);
        // Joined as --name=VALUE, so a value that begins with '-' (`--offset -5h`) stays the value.
        kept.push(words[i + 1]!);
        optWords.push(`--${spec.name}=${words[++i]!}`);
      } else optWords.push(w);
    } else if (tail && main) {
      // A main option among the verb's words (`head 2 -o ndjson`).
      if (!tail.last) tail.misplaced();
      if (!main.takesValue) tail.main.push(w);
      else if (eq > 0) tail.main.push(`--${main.name}=${w.slice(eq + 1)}`);
      else if (i + 1 < words.length) tail.main.push(`--${main.name}=${words[++i]!}`);
      else throw new UsageError(`option ${flag} needs a value`);
    } else if (w.startsWith('--') && w.length > 2 && /^--[a-zA-Z]/.test(w)) {
      // Looks like a long option but is not one of ours.
      throw new UsageError(`${verb}: unknown option ${flag}${suggestFlag(flag, specs)}`);
    } else if (tail && tail.main.length > 0) {
      afterMain.push(w);
    } else {
      pos.push(w);
      kept.push(w);
    }
  }
  if (help) return { pos, opts: {}, help };
  if (tail?.last) {
    const own = takeOperands(verb, pos, afterMain, tail);
    // The operands taken from the positionals are their last ones.
    for (const w of pos.slice(own.length).reverse()) kept.splice(kept.lastIndexOf(w), 1);
    pos = own;
  }
  if (tail) tail.verbWords = kept;
  // Check choices here for a clearer message than yargs' "Invalid values".
  for (let i = 0; i < optWords.length; i++) {
    const w = optWords[i]!;
    const eq = w.startsWith('--') ? w.indexOf('=') : -1;
    const spec = byFlag.get(eq > 0 ? w.slice(0, eq) : w);
    if (!spec?.choices || spec.type === 'boolean') continue;
    const value = eq > 0 ? w.slice(eq + 1) : optWords[++i]!;
    if (!spec.choices.includes(value)) {
      throw new UsageError(`${verb}: --${spec.name} must be one of ${spec.choices.join(', ')} (got '${value}')`);
    }
  }
  // Words in the plain forms: what yargs would return, without loading it (~50 ms of start-up).
  let parsed = quickOptions(optWords, specs, false);
  if (parsed === undefined) parsed = yargsParse(verb, optWords, specs);
  const opts: Record<string, unknown> = Object.create(null);
  for (const s of specs) {
    const v = parsed[s.name];
    if (s.type === 'number' && v !== undefined && Number.isNaN(v)) throw new UsageError(`${verb}: --${s.name} needs a number`);
    if (v !== undefined) opts[s.name] = v;
  }
  return { pos, opts, help };
}

/** The verb's option words parsed by yargs (the forms quickOptions leaves to it). @throws UsageError */
function yargsParse(verb: string, optWords: string[], specs: OptSpec[]): Record<string, unknown> {
  const options: Record<string, { type: 'string' | 'number' | 'boolean'; alias?: string; choices?: string[]; default?: unknown }> = {};
  for (const s of specs) {
    options[s.name] = { type: s.type, ...(s.alias ? { alias: s.alias } : {}), ...(s.choices ? { choices: s.choices } : {}), ...(s.default !== undefined ? { default: s.default } : {}) };
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = loadYargs()(optWords)
      .version(false)
      .help(false)
      .options(options)
      .strict()
      .help(false)
      .version(false)
      .exitProcess(false)
      .parserConfiguration({ 'camel-case-expansion': false, 'dot-notation': false, 'duplicate-arguments-array': false })
      .fail((msg: string, err?: Error) => {
        throw new UsageError(`${verb}: ${(err?.message ?? msg).replace(/\n/g, ' ')}`);
      })
      .parseSync() as Record<string, unknown>;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${verb}: ${(e as Error).message}`);
  }
  return parsed;
}

/**
 * What the command line tells parseVerbArgs about the verb being parsed, so
 * that main options after the verb chain (`head 2 -o ndjson`) and file
 * operands after the last verb's arguments (`head 3 f.csv`) are found by the
 * same word scan that finds the verb's own options: a word that is one of the
 * verb's options always belongs to the verb.
 */
export interface VerbTail {
  /** True for the last verb of the chain (only it may be followed by main options and operands). */
  last: boolean;
  /** The main options by flag as written (`-o`, `--output`): their long name and whether they take a value. */
  mainFlags: ReadonlyMap<string, { name: string; takesValue: boolean }>;
  /** The verb's positional arity, if it declares one (VerbDef.arity). */
  arity?: VerbArity;
  /** Out: main options found, as `--name=value` or the flag word. */
  main: string[];
  /** Out: file operands found, in order. */
  operands: string[];
  /** Out: the words that are the verb's own (its options and arguments), when it parsed them with parseVerbArgs. */
  verbWords?: string[];
  /** Called when a main option stands where the command line cannot take it (not after the last verb, or followed by a word that is no file); throws a UsageError that shows where it goes. */
  misplaced(why?: string): never;
}

let currentTail: VerbTail | undefined;

/** A word that looks like the name of a data file (by its extension). */
const DATA_FILE = /^[^\s'"=<>()]+\.(csv|tsv|tab|json|ndjson|jsonl|log|txt|gz)$/i;

/**
 * Run `parse` (a VerbDef's parse) with `tail` as the command-line context of
 * its parseVerbArgs call.
 */
export function withVerbTail<T>(tail: VerbTail, parse: () => T): T {
  currentTail = tail;
  try {
    return parse();
  } finally {
    currentTail = undefined;
  }
}

/** 'file' for an existing non-directory path (a regular file, a FIFO such as <(cmd)), 'dir', or undefined. */
function pathKind(p: string): 'file' | 'dir' | undefined {
  try {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    return st === undefined ? undefined : st.isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

/**
 * Split a last verb's positional words into its arguments and file operands
 * (see VerbDef.arity). Words beyond `arity.max` must name files (or `-`);
 * after that, trailing words beyond `arity.min` that name existing files
 * (not directories) are operands too, unless `arity.isArg` claims them.
 * Words after a trailing main option must all be files.
 * @returns the verb's own positional words
 * @throws UsageError for a word that must be an operand but names no file
 */
function takeOperands(verb: string, pos: string[], afterMain: string[], tail: VerbTail): string[] {
  const ops: string[] = [];
  const a = tail.arity;
  let keep = pos.length;
  if (a) {
    const mustBeFile = (w: string, why: string): void => {
      if (w === '-') return;
      const k = pathKind(w);
      if (k === 'file') return;
      throw new UsageError(`${verb}: '${w}' ${why}, and ${k === 'dir' ? 'is a directory, not a file' : 'is not a file'}${a.hint ? ` (${a.hint})` : ''}`);
    };
    const forced = Math.max(0, pos.length - a.max);
    for (let i = pos.length - forced; i < pos.length; i++) {
      mustBeFile(pos[i]!, `is more than ${verb} takes (${a.max === 0 ? 'no arguments' : `at most ${a.max} argument${a.max === 1 ? '' : 's'}`})`);
    }
    keep = pos.length - forced;
    while (keep > a.min && (pos[keep - 1] === '-' || pathKind(pos[keep - 1]!) === 'file') && !(a.isArg?.(pos[keep - 1]!) ?? false)) keep--;
    // A last word that looks like a data file but names none (`select a,b flights.csv`
    // with a typo in the name) is not taken silently as one more argument.
    const lastWord = pos[keep - 1];
    if (keep > a.min && lastWord !== undefined && DATA_FILE.test(lastWord) && !(a.isArg?.(lastWord) ?? false) && pathKind(lastWord) === undefined) {
      throw new UsageError(`${verb}: no such file '${lastWord}'${/^[\w.-]+$/.test(lastWord) ? ` (if it is an argument, not a file: \`${lastWord}\` in backticks)` : ''}`);
    }
    ops.push(...pos.slice(keep));
  }
  for (const w of afterMain) {
    if (w !== '-' && pathKind(w) !== 'file') tail.misplaced(`'${w}' after the main options is not a file`);
    ops.push(w);
  }
  tail.operands.push(...ops);
  return pos.slice(0, keep);
}

const require = createRequire(import.meta.url);
let yargsUsed = false;
/** yargs, loaded on first use (Node >= 20.19 `require`s an ES module synchronously). */
function loadYargs(): typeof YargsFactory {
  yargsUsed = true;
  return require('yargs') as typeof YargsFactory;
}

/**
 * Whether some verb's options needed yargs in this thread (the quick reader
 * takes the plain forms without it): -j's workers then load it before they
 * parse the same words (parallel/worker.ts).
 */
export function yargsWasUsed(): boolean {
  return yargsUsed;
}

function suggestFlag(flag: string, specs: OptSpec[]): string {
  const best = closest(flag.slice(2), specs.map((s) => s.name));
  return best ? ` (did you mean --${best}?)` : '';
}

/** Edit distance with adjacent transpositions (optimal string alignment), for suggestions. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    d.push([i]);
    for (let j = 1; j <= b.length; j++) d[i]![j] = i === 0 ? j : 0;
  }
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate closest to `word` when it is a plausible misspelling (distance ≤ 2, or a prefix). */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(word) && word.length >= 2 ? 0.5 : editDistance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(1, Math.min(2, Math.floor(word.length / 3))) || bestD === 0.5 ? best : undefined;
}

/** Split a comma-separated list of field names (`a,b, c`), trimming blanks; backticks allow commas in names. */
export function splitFieldList(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inTick = false;
  for (const ch of text) {
    if (ch === '`') {
      inTick = !inTick;
      continue;
    }
    if (ch === ',' && !inTick) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out.filter((s) => s !== '');
}

/** A field name as a path: `a.b.c` → `['a','b','c']`; a backticked name is one step. */
export function fieldPath(name: string): string[] {
  if (name.startsWith('`') && name.endsWith('`') && name.length >= 2) return [name.slice(1, -1)];
  return name.split('.');
}

/**
 * Split a comma-separated list of field references like `splitFieldList`, but
 * keep the backticks (`` `a.b` `` stays quoted), for `fieldRef`
 * (src/reshape/paths.ts), which reads a dotted name as a path.
 */
export function splitFieldListRaw(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inTick = false;
  for (const ch of text) {
    if (ch === '`') inTick = !inTick;
    if (ch === ',' && !inTick) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out.filter((s) => s !== '' && s !== '``');
}
