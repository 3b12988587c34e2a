/**
 * The main options (`-i`, `-o`, `--from`, ...): their one table, the flags
 * as written, and their parsing into MainOptions. Option words in the plain
 * forms the command line hands over (`--name=value`, a flag word) are read
 * here without yargs; yargs (about 50 ms of start-up) parses the others.
 */
import { createRequire } from 'node:module';
import type YargsFactory from 'yargs';
import { UsageError } from '../engine/errors.js';
import type { InputFormat, OnErrorMode, OutputFormat } from '../engine/types.js';
import { checkDelimiter } from '../formats/csv-header.js';
import { quickOptions } from '../verbs/args.js';
import type { ChartKind } from '../live/chart.js';

const require = createRequire(import.meta.url);

/**
 * yargs, loaded on first use (Node >= 20.19 `require`s an ES module
 * synchronously): loading it costs about 50 ms of start-up (its terminal
 * width support compiles large Unicode regexes), which a command line in
 * plain forms does not need to pay.
 */
function loadYargs(): typeof YargsFactory {
  return require('yargs') as typeof YargsFactory;
}

/** What `-o` takes besides the record formats: charts, drawn by live/chart.ts (its CHART_KINDS; not imported, so that a run without a chart does not load it). */
const CHART_KINDS: readonly ChartKind[] = ['chart', 'bar', 'line'];

/** Largest --max-line-bytes: a line is held as one string, and V8's strings stop at about 512 Mi characters. */
const MAX_LINE_BYTES_LIMIT = 256 * 1024 * 1024;

/**
 * The main options by flag as written (`-o`, `--output`): their long name and
 * whether they take a value, derived from `mainOptions()` (the one table of
 * main options), so that a new main option is found before the first verb,
 * after the verb chain and in messages without further code.
 */
export function mainFlags(): Map<string, { name: string; takesValue: boolean }> {
  const m = new Map<string, { name: string; takesValue: boolean }>();
  for (const [name, spec] of Object.entries(mainOptions() as Record<string, { type: string; alias?: string }>)) {
    const f = { name, takesValue: spec.type !== 'boolean' };
    m.set('--' + name, f);
    if (spec.alias) m.set('-' + spec.alias, f);
  }
  return m;
}

/** `-j N`: a whole number ≥ 0 (0 = every core). @throws UsageError */
export function parseParallel(v: unknown): number {
  // (Number('') and Number(' ') are 0: an empty value is not "every core".)
  const n = typeof v === 'string' && !/^\s*\d+\s*$/.test(v) ? NaN : Number(v ?? 1);
  if (!Number.isInteger(n) || n < 0 || n > 256) throw new UsageError(`-j/--parallel must be a whole number from 0 (every core) to 256, not '${String(v)}'`);
  return n;
}

/** The parsed main options. */
export interface MainOptions {
  input: InputFormat | 'auto';
  output?: OutputFormat;
  /** `-o chart|bar|line`. */
  chart?: ChartKind;
  delimiter?: string;
  noHeader: boolean;
  from: string[];
  onError: OnErrorMode;
  errors?: string;
  maxLineBytes: number;
  encoding: 'utf-8' | 'latin1';
  strictCsv: boolean;
  color: boolean;
  explain: boolean;
  help: boolean;
  version: boolean;
  follow: boolean;
  noProgress: boolean;
  checkpoint?: string;
  checkpointEvery?: string;
  /** `-j N`: worker threads (0 = every core). */
  parallel: number;
}

/** The main options for yargs, a fresh object per call (`sluice --help` describes them in mainUsage). */
const mainOptions = () =>
  ({
  input: { alias: 'i', type: 'string', choices: ['ndjson', 'json', 'csv', 'csvlite', 'tsv', 'lines', 'logfmt', 'auto', 'jsonl'], default: 'auto' },
  output: { alias: 'o', type: 'string', choices: ['ndjson', 'json', 'csv', 'tsv', 'table', 'markdown', 'logfmt', 'jsonl', ...CHART_KINDS] },
  'strict-csv': { type: 'boolean' },
  parallel: { alias: 'j', type: 'string', default: '1' },
  encoding: { type: 'string', choices: ['utf-8', 'latin1', 'utf8', 'latin-1', 'iso-8859-1'], default: 'utf-8' },
  csv: { type: 'boolean' },
  tsv: { type: 'boolean' },
  ndjson: { type: 'boolean' },
  delimiter: { alias: 'd', type: 'string' },
  'no-header': { type: 'boolean' },
  from: { type: 'string', array: true },
  'on-error': { type: 'string', choices: ['fail', 'skip', 'warn'], default: 'fail' },
  errors: { type: 'string' },
  'max-line-bytes': { type: 'string', default: String(64 * 1024 * 1024) },
  color: { type: 'string', choices: ['auto', 'always', 'never'], default: 'auto' },
  colour: { type: 'string' },
  explain: { type: 'boolean' },
  follow: { alias: 'F', type: 'boolean' },
  'no-progress': { type: 'boolean' },
  checkpoint: { type: 'string' },
  'checkpoint-every': { type: 'string' },
  help: { alias: 'h', type: 'boolean' },
  version: { type: 'boolean' },
  }) as const;

/**
 * Check the values of main options that take one of a list (`--output xml`)
 * before yargs does, for a one-line message in sluice's words. The aliases
 * aliases `jsonl` (for ndjson), `utf8`, `latin-1` and `iso-8859-1` are accepted but not listed.
 * @throws UsageError naming the option, the choices and the value given
 */
function checkMainChoices(words: string[]): void {
  const specs = mainOptions() as Record<string, { choices?: readonly string[] }>;
  for (const w of words) {
    const eq = w.indexOf('=');
    if (!w.startsWith('--') || eq < 0) continue;
    const name = w.slice(2, eq);
    const choices = specs[name]?.choices;
    const value = w.slice(eq + 1);
    if (choices && !choices.includes(value)) {
      const shown = choices.filter((c) => !['jsonl', 'utf8', 'latin-1', 'iso-8859-1'].includes(c));
      throw new UsageError(`--${name} must be one of ${shown.join(', ')} (got '${value}')`);
    }
  }
}

/**
 * The parsed main options. Words in the plain forms (flag words, and
 * `--name=value`, as parseCommand hands every option with a value) are read
 * by quickOptions, as yargs reads them; anything else (`--csv=true`, an
 * option given twice) is parsed by yargs.
 */
export function parseMainOptions(words: string[]): MainOptions {
  let a: Record<string, unknown> | undefined;
  const specs = mainOptions() as Record<string, { type: 'string' | 'number' | 'boolean'; alias?: string; array?: boolean; default?: unknown }>;
  checkMainChoices(words);
  a = quickOptions(
    words,
    Object.entries(specs).map(([name, s]) => ({ name, ...s })),
    true,
  );
  if (a === undefined) {
    try {
      a = loadYargs()(words)
        .version(false)
        .help(false)
        .options(mainOptions())
        .strict()
        .help(false)
        .version(false)
        .exitProcess(false)
        .parserConfiguration({ 'camel-case-expansion': false, 'dot-notation': false, 'boolean-negation': false })
        .fail((msg: string, err?: Error) => {
          throw new UsageError((err?.message ?? msg).replace(/\n/g, ' '));
        })
        .parseSync() as Record<string, unknown>;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError((e as Error).message);
    }
    // An option of one value given twice: the last one wins (as in Miller, jq and sort),
    // so that `sluice $DEFAULTS -o json` overrides; yargs would hand over an array.
    for (const [name, s] of Object.entries(specs)) {
      const v = a[name];
      if (!s.array && Array.isArray(v)) {
        a[name] = v[v.length - 1];
        if (s.alias !== undefined) a[s.alias] = a[name];
      }
    }
  }
  const norm = (f: string | undefined) => (f === 'jsonl' ? 'ndjson' : f);
  let input = norm(a.input as string) as InputFormat | 'auto';
  let output = norm(a.output as string | undefined) as OutputFormat | undefined;
  // A chart is drawn by src/live/chart.ts, not written by a record writer.
  const chart = (CHART_KINDS as readonly string[]).includes(output as string) ? (output as unknown as ChartKind) : undefined;
  if (chart !== undefined) output = undefined;
  const both = a.csv ? 'csv' : a.tsv ? 'tsv' : a.ndjson ? 'ndjson' : undefined;
  if ([a.csv, a.tsv, a.ndjson].filter(Boolean).length > 1) throw new UsageError('use only one of --csv, --tsv, --ndjson');
  if (both) {
    if (input === 'auto') input = both;
    output ??= both;
  }
  let delimiter = a.delimiter as string | undefined;
  if (delimiter !== undefined) {
    if (delimiter === '\\t' || delimiter === 'tab') delimiter = '\t';
    checkDelimiter(delimiter);
  }
  // Taken as text, so that the message shows what was given ('1k' was 'got NaN', '' was 'got 0', 0x10 was 16).
  const mlbText = String(a['max-line-bytes']);
  const mlb = /^\d+$/.test(mlbText) ? Number(mlbText) : NaN;
  if (!Number.isInteger(mlb) || mlb < 1 || mlb > MAX_LINE_BYTES_LIMIT) {
    throw new UsageError(`--max-line-bytes must be a whole number of bytes from 1 to ${MAX_LINE_BYTES_LIMIT} (256 MiB) (got '${mlbText}')`);
  }
  const colorWhen = (a.colour as string | undefined) ?? (a.color as string);
  if (!['auto', 'always', 'never'].includes(colorWhen)) throw new UsageError(`--color must be auto, always or never`);
  return {
    input,
    output,
    chart,
    delimiter,
    noHeader: Boolean(a['no-header']),
    from: ((a.from as string[] | undefined) ?? []).map(String),
    onError: a['on-error'] as OnErrorMode,
    errors: a.errors as string | undefined,
    maxLineBytes: mlb,
    encoding: /^(latin-?1|iso-8859-1)$/.test(a.encoding as string) ? 'latin1' : 'utf-8',
    strictCsv: Boolean(a['strict-csv']),
    color: resolveColor(colorWhen),
    explain: Boolean(a.explain),
    help: Boolean(a.help),
    version: Boolean(a.version),
    follow: Boolean(a.follow),
    noProgress: Boolean(a['no-progress']),
    checkpoint: a.checkpoint as string | undefined,
    checkpointEvery: a['checkpoint-every'] as string | undefined,
    parallel: parseParallel(a.parallel),
  };
}

/**
 * Colour decision: `never`/`always` win; under `auto`, NO_COLOR (non-empty)
 * turns colour off, FORCE_COLOR (not `0`) turns it on, else colour when stdout is a terminal.
 */
export function resolveColor(when: string, env: NodeJS.ProcessEnv = process.env, isTTY = Boolean(process.stdout.isTTY)): boolean {
  if (when === 'never') return false;
  if (when === 'always') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isTTY;
}
