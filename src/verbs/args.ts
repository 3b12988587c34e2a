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
import { UsageError } from '../engine/errors.js';

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
  const byFlag = new Map<string, OptSpec>();
  for (const s of specs) {
    byFlag.set('--' + s.name, s);
    if (s.alias) byFlag.set('-' + s.alias, s);
  }
  const pos: string[] = [];
  const optWords: string[] = [];
  let help = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--help' || w === '-h') {
      help = true;
      continue;
    }
    const eq = w.startsWith('--') ? w.indexOf('=') : -1;
    const flag = eq > 0 ? w.slice(0, eq) : w;
    const spec = byFlag.get(flag);
    if (spec) {
      if (spec.type !== 'boolean' && eq < 0) {
        if (i + 1 >= words.length) throw new UsageError(`${verb}: option ${flag} needs a value`);
        // Joined as --name=VALUE, so a value that begins with '-' (`--offset -5h`) stays the value.
        optWords.push(`--${spec.name}=${words[++i]!}`);
      } else optWords.push(w);
    } else if (w.startsWith('--') && w.length > 2 && /^--[a-zA-Z]/.test(w)) {
      // Looks like a long option but is not one of ours.
      throw new UsageError(`${verb}: unknown option ${flag}${suggestFlag(flag, specs)}`);
    } else {
      pos.push(w);
    }
  }
  if (help) return { pos, opts: {}, help };
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
  const options: Record<string, { type: 'string' | 'number' | 'boolean'; alias?: string; choices?: string[]; default?: unknown }> = {};
  for (const s of specs) {
    options[s.name] = { type: s.type, ...(s.alias ? { alias: s.alias } : {}), ...(s.choices ? { choices: s.choices } : {}), ...(s.default !== undefined ? { default: s.default } : {}) };
  }
  // No option words: every option takes its default, which is all yargs would
  // return; skipping it saves loading it (~50 ms of start-up).
  if (optWords.length === 0) {
    const opts: Record<string, unknown> = Object.create(null);
    for (const s of specs) if (s.default !== undefined) opts[s.name] = s.default;
    return { pos, opts, help };
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
  const opts: Record<string, unknown> = Object.create(null);
  for (const s of specs) {
    const v = parsed[s.name];
    if (s.type === 'number' && v !== undefined && Number.isNaN(v)) throw new UsageError(`${verb}: --${s.name} needs a number`);
    if (v !== undefined) opts[s.name] = v;
  }
  return { pos, opts, help };
}

const require = createRequire(import.meta.url);
/** yargs, loaded on first use (Node >= 20.19 `require`s an ES module synchronously). */
function loadYargs(): typeof YargsFactory {
  return require('yargs') as typeof YargsFactory;
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
