/**
 * The command line: split argv on `then`, parse the main options (yargs),
 * parse each verb's arguments (its own file), then run — or explain.
 *
 *   sluice [MAIN-OPTIONS] [VERB [VERB-ARGS]] [then VERB [VERB-ARGS]]...
 *
 * Every usage error is found here, before any input is read, and exits 2.
 */
import { createRequire } from 'node:module';
import type YargsFactory from 'yargs';
import { UsageError, errnoText } from './engine/errors.js';
import { signalStatus } from './engine/signals.js';
import type { InputFormat, OnErrorMode, OutputFormat, VerbInstance } from './engine/types.js';
import { run } from './engine/run.js';
import { inputFields } from './engine/projection.js';
import { explainParallel, runParallel } from './parallel/run.js';
import { VERBS, findVerb } from './verbs/index.js';
import fs from 'node:fs';
import { closest, withVerbTail, type VerbTail } from './verbs/args.js';
import { checkDelimiter } from './formats/csv.js';
import { checkCheckpointOptions, checkpointCommand } from './checkpoint/cli.js';
import { formatFromPath, sniffFormat } from './formats/index.js';
import { presentation } from './live/index.js';
import { CHART_KINDS, type ChartKind } from './live/chart.js';
import { createProgress } from './live/progress.js';

const require = createRequire(import.meta.url);
const VERSION: string = (require('../package.json') as { version: string }).version;

/**
 * yargs, loaded on first use (Node >= 20.19 `require`s an ES module
 * synchronously): loading it costs about 50 ms of start-up (its terminal
 * width support compiles large Unicode regexes), which a command line without
 * main options does not need to pay here.
 */
function loadYargs(): typeof YargsFactory {
  return require('yargs') as typeof YargsFactory;
}

/** The overall usage text (`sluice --help`). */
export function mainUsage(): string {
  const width = Math.max(...VERBS.map((v) => v.name.length));
  return `Usage: sluice [OPTIONS] [VERB [ARGS]] [then VERB [ARGS]]... [FILE...]

Reads NDJSON or CSV/TSV records from the FILEs named after the last verb's
arguments (or by --from), else from stdin, runs them through a chain of
verbs joined by 'then', and writes records to stdout. With no verb,
records pass through unchanged (a format converter). Main options may also
follow the verb chain ('sluice head 2 flights.csv -o ndjson').

Verbs:
${VERBS.map((v) => `  ${v.name.padEnd(width)}  ${v.summary}`).join('\n')}

Options:
  -i, --input FMT        ndjson, json, csv, csvlite, tsv, lines, logfmt or
                         auto (default: auto: by the --from file's extension,
                         also through .gz, else by the first byte: { ndjson,
                         [ json, a tab in line 1 tsv); lines: each line is
                         {"line": TEXT} (then 'parse'); gzip input (files
                         and stdin) is found by its magic bytes and read
  -o, --output FMT       ndjson, json, csv, tsv, table, markdown or logfmt
                         (default: the input format; ndjson after lines);
                         bar, line or chart draw a chart in the terminal
      --csv, --tsv, --ndjson
                         set input and output format at once
  -d, --delimiter C      CSV field delimiter (one character; 'tab' or \\t for tab)
      --no-header        CSV/TSV input has no header row; fields are 1, 2, ...
      --strict-csv       strict RFC 4180: a quote inside an unquoted CSV field
                         is malformed (default: a literal character)
      --encoding ENC     utf-8 (default) or latin1 (bytes come back unchanged)
  -j, --parallel N       threads (default 1; 0 = every core): leading
                         record-wise verbs, a plain agg and tumbling/sliding
                         window + agg run on N threads over ranges of
                         regular files; output is identical to -j 1
                         (--explain shows the split)
      --from FILE...     read the FILEs instead of stdin (repeatable; several
                         names may follow one --from; - is stdin)
      --on-error MODE    malformed input records: fail (default), skip, warn
      --errors FILE      write each rejected input record to FILE as NDJSON
      --max-line-bytes N a longer line/record is malformed (default 67108864)
      --color WHEN       auto (default), always, never
  -F, --follow           keep reading the --from files as they grow, like
                         tail -F: across rotation and truncation; several
                         files are read at once
      --checkpoint FILE  save source offsets, operator state and output
                         lengths in FILE, and resume from it on the next run
      --checkpoint-every DUR
                         how often (default 5s; 0 = after every chunk)
      --no-progress      no progress line on stderr (shown for a long read of
                         files when stderr is a terminal)
      --explain          print the compiled pipeline and exit
  -h, --help             this help; 'sluice help VERB' for one verb
      --version          print the version

Examples:
  sluice filter 'delay > 60' then head 3 flights.csv
  sluice --from *.csv agg count by origin -o table
  sluice --csv -o table agg 'count, avg(delay), p95(delay)' by origin < flights.csv
  sluice -F --from app.log --checkpoint app.ckpt filter 'level == "error"' \
    then window tumbling 1m --time ts then agg count by service >> errors.ndjson
  sluice checkpoint show app.ckpt
  tail -f access.ndjson | sluice filter 'status >= 500' \\
    then window tumbling 1m --time ts then agg 'count, p95(latency)' by path
`;
}

/** Largest --max-line-bytes: a line is held as one string, and V8's strings stop at about 512 Mi characters. */
const MAX_LINE_BYTES_LIMIT = 256 * 1024 * 1024;

/**
 * The main options by flag as written (`-o`, `--output`): their long name and
 * whether they take a value, derived from `mainOptions()` (the one table of
 * main options), so that a new main option is found before the first verb,
 * after the verb chain and in messages without further code.
 */
function mainFlags(): Map<string, { name: string; takesValue: boolean }> {
  const m = new Map<string, { name: string; takesValue: boolean }>();
  for (const [name, spec] of Object.entries(mainOptions() as Record<string, { type: string; alias?: string }>)) {
    const f = { name, takesValue: spec.type !== 'boolean' };
    m.set('--' + name, f);
    if (spec.alias) m.set('-' + spec.alias, f);
  }
  return m;
}

/** A word as the user would type it again in a shell. */
function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/** The parsed command line. */
export interface Command {
  kind: 'run' | 'help' | 'version' | 'explain';
  helpText?: string;
  options?: Parameters<typeof run>[0];
  explainText?: string;
  /** `-j N` (1 = one thread) and each verb's words, for the workers. */
  parallel?: number;
  verbWords?: string[][];
}

/** `-j N`: a whole number ≥ 0 (0 = every core). @throws UsageError */
function parseParallel(v: unknown): number {
  const n = Number(v ?? 1);
  if (!Number.isInteger(n) || n < 0 || n > 256) throw new UsageError(`-j/--parallel must be a whole number from 0 (every core) to 256, not '${String(v)}'`);
  return n;
}

/**
 * The verb instances of a verb chain's words (`filter 'x > 1' then head 3`),
 * parsed as parseCommand parses them; -j's threads use it (parallel/chunk.ts
 * takes it as a parameter, so that parallel/ does not import this module).
 * @throws UsageError as parseCommand
 */
export function parseVerbWords(words: string[]): VerbInstance[] {
  return parseCommand(words).options!.verbs;
}

/**
 * Parse argv (without `node` and the script) into a command.
 * @throws UsageError for any bad option, verb or verb argument
 */
export function parseCommand(argv: string[]): Command {
  const flags = mainFlags();
  // 1. Main options: the words before the first verb name.
  let i = 0;
  const mainWords: string[] = [];
  while (i < argv.length) {
    const w = argv[i]!;
    const eq = w.startsWith('--') ? w.indexOf('=') : -1;
    const flag = eq > 0 ? w.slice(0, eq) : w;
    const spec = flags.get(flag);
    // A short option with its value attached (`-j2`, `-ocsv`), as getopt reads it.
    const short = !spec && /^-[A-Za-z]./.test(w) ? flags.get(w.slice(0, 2)) : undefined;
    if (short?.takesValue) {
      mainWords.push(`--${short.name}=${w.slice(2)}`);
      i++;
      continue;
    }
    if (!spec) {
      if (w.startsWith('-') && w !== '-') {
        const names = [...flags.keys()].filter((f) => f.startsWith('--')).map((f) => f.slice(2));
        const best = closest(flag.replace(/^-+/, ''), names);
        throw new UsageError(`unknown option ${flag}${best ? ` (did you mean --${best}?)` : ''}`);
      }
      break;
    }
    i++;
    if (spec.takesValue && eq < 0) {
      if (i >= argv.length) throw new UsageError(`option ${flag} needs a value`);
      // Hand yargs one word (`--from=-`), so values like `-` are not read as options.
      mainWords.push(`--${spec.name}=${argv[i++]!}`);
      // Several names after one --from (`--from *.csv` as the shell expands it):
      // the words that follow and name existing files, up to a verb or an option.
      if (spec.name === 'from') {
        while (i < argv.length && isMoreFrom(argv[i]!)) mainWords.push(`--from=${argv[i++]!}`);
      }
    } else mainWords.push(w);
  }
  const leadingEnd = i;

  // 2. The verb chain, split on `then`.
  const rest = argv.slice(i);
  if (rest[0] === 'checkpoint') return { kind: 'help', ...checkpointCommand(rest.slice(1)) };
  if (rest[0] === 'help') {
    if (rest.length < 2) return { kind: 'help', helpText: mainUsage() };
    return { kind: 'help', helpText: verbDef(rest[1]!).usage };
  }
  const segments: string[][] = [];
  // No verb, only files (`sluice -o csv a.ndjson`): the records pass through unchanged.
  if (rest.length > 0 && findVerb(rest[0]!) === undefined && rest.every((w) => w === '-' || isDataFile(w))) {
    mainWords.push(...rest.map((w) => `--from=${w}`));
    rest.length = 0;
  }
  if (rest.length > 0) {
    let cur: string[] = [];
    for (const w of rest) {
      if (w === 'then') {
        segments.push(cur);
        cur = [];
      } else cur.push(w);
    }
    segments.push(cur);
  }
  const tailMain: string[] = [];
  const operands: string[] = [];
  const verbs: VerbInstance[] = [];
  let verbHelp: string | undefined;
  for (let k = 0; k < segments.length; k++) {
    const seg = segments[k]!;
    if (seg.length === 0) throw new UsageError(`'then' must stand between two verbs`);
    const def = verbDef(seg[0]!);
    const args = seg.slice(1);
    if (args.includes('--help') || args.includes('-h')) {
      verbHelp ??= def.usage;
      continue;
    }
    const tail: VerbTail = {
      last: k === segments.length - 1,
      mainFlags: flags,
      arity: def.arity,
      main: tailMain,
      operands,
      misplaced: (why) => {
        throw new UsageError(`${why ? why + '; ' : ''}main options go before the first verb: ${suggestOrder(argv, leadingEnd, flags)}`);
      },
    };
    verbs.push(withVerbTail(tail, () => def.parse(args)));
    // What -j's workers parse again: the verb's own words, without trailing main options and operands.
    if (tail.verbWords) segments[k] = [seg[0]!, ...tail.verbWords];
  }
  const main = parseMainOptions([...mainWords, ...tailMain]);
  for (const v of verbs) v.configure?.({ encoding: main.encoding });
  if (main.version) return { kind: 'version' };
  if (main.help) return { kind: 'help', helpText: mainUsage() };
  if (verbHelp !== undefined) return { kind: 'help', helpText: verbHelp };

  // merge reads its partials itself (all at once): it takes the --from files and file operands.
  const named = [...main.from, ...operands];
  const takes = verbs[0] as { takeSources?: (s: string[]) => void } | undefined;
  if (takes?.takeSources && named.length > 0) takes.takeSources(named);
  const sources = named.length > 0 && !takes?.takeSources ? named : ['-'];
  const progress = main.noProgress || main.follow || main.explain ? undefined : createProgress(sources, process.stderr, true);
  const options = {
    sources,
    inputFormat: main.input,
    outputFormat: main.output,
    delimiter: main.delimiter,
    noHeader: main.noHeader,
    onError: main.onError,
    errorsFile: main.errors,
    color: main.color,
    maxLineBytes: main.maxLineBytes,
    encoding: main.encoding,
    strictCsv: main.strictCsv,
    verbs,
    ...checkCheckpointOptions(main, sources, verbs),
    ...presentation(main.output, verbs, Boolean(process.stdout.isTTY), progress, main.chart, main.color),
    progress,
  };
  if (main.explain) {
    const par = main.parallel !== 1 ? explainParallel(options as Parameters<typeof run>[0], segments, main.parallel) + '\n' : '';
    return { kind: 'explain', explainText: explain(options) + par };
  }
  return { kind: 'run', options, parallel: main.parallel, verbWords: segments };
}

/** An existing path that is not a directory (a regular file, a FIFO such as <(cmd)). */
function isDataFile(w: string): boolean {
  try {
    const st = fs.statSync(w, { throwIfNoEntry: false });
    return st !== undefined && !st.isDirectory();
  } catch {
    return false;
  }
}

/** A word after `--from NAME` that is one more name: an existing path that is not a verb, `then` or an option. */
function isMoreFrom(w: string): boolean {
  if (w === '-') return true;
  if (w.startsWith('-') || w === 'then' || w === 'help' || findVerb(w) !== undefined) return false;
  return fs.existsSync(w);
}

/**
 * The command line with every main option moved before the first verb, for
 * the message "main options go before the first verb: sluice -o ndjson head 2".
 * Verb options that share a main option's flag are not told apart here: this
 * is a suggestion for a line the command line could not take as it stands.
 */
function suggestOrder(argv: string[], leadingEnd: number, flags: ReturnType<typeof mainFlags>): string {
  const front = argv.slice(0, leadingEnd);
  const back: string[] = [];
  for (let i = leadingEnd; i < argv.length; i++) {
    const w = argv[i]!;
    const eq = w.startsWith('--') ? w.indexOf('=') : -1;
    const f = flags.get(eq > 0 ? w.slice(0, eq) : w);
    if (f && f.name !== 'help') {
      front.push(w);
      if (f.takesValue && eq < 0 && i + 1 < argv.length) front.push(argv[++i]!);
    } else back.push(w);
  }
  return ['sluice', ...front, ...back].map(shellWord).join(' ');
}

/**
 * Verbs of other tools (Miller, xsv, jq, SQL, coreutils) that users type from
 * habit, and what sluice calls them. A verb of this list that sluice has (a
 * later `sort` or `uniq`) is found in the registry first and never gets here.
 */
const FOREIGN_VERBS: Record<string, string> = {
  put: "map: sluice map 'total = price * qty'",
  cut: 'select: sluice select origin,delay',
  stats1: "agg: sluice agg 'count, avg(delay), p95(delay)' by origin",
  stats: "agg: sluice agg 'count, avg(delay), p95(delay)' by origin",
  'count-distinct': 'uniq --count KEYS, or: sluice agg count by KEYS',
  'count-similar': 'agg count by KEYS',
  frequency: 'agg count by KEYS',
  count: 'agg count (by KEYS)',
  uniq: 'agg count by KEYS',
  sort: "sort is not a verb of this sluice: agg 'count' by KEY, or head N after a sorted input",
  cat: 'no verb at all: sluice passes records through (sluice -o ndjson flights.csv)',
  grep: "filter: sluice filter 'path ~ \"^/api\"'",
  search: "filter: sluice filter 'path ~ \"^/api\"'",
  where: "filter: sluice filter 'delay > 60'",
  having: "filter after agg: sluice agg count by k then filter 'count > 10'",
  label: 'rename: sluice rename old=new',
  del: 'drop: sluice drop field',
  slice: 'head: sluice head 10',
  'group-by': 'agg ... by KEYS',
  groupby: 'agg ... by KEYS',
  'group by': 'agg ... by KEYS',
  stats2: "agg: sluice agg 'count, avg(x), avg(y)' by k",
};

function verbDef(name: string) {
  const def = findVerb(name);
  if (!def) {
    const foreign = Object.hasOwn(FOREIGN_VERBS, name) ? FOREIGN_VERBS[name] : undefined;
    if (foreign !== undefined) throw new UsageError(`unknown verb '${name}'; in sluice use ${foreign}`);
    if (/[./]/.test(name)) throw new UsageError(`'${name}' is neither a verb nor an existing file; 'sluice --help' lists the verbs`);
    const best = closest(name, VERBS.map((v) => v.name));
    throw new UsageError(`unknown verb '${name}'${best ? ` (did you mean '${best}'?)` : ''}; 'sluice --help' lists the verbs`);
  }
  return def;
}

interface MainOptions {
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
  'max-line-bytes': { type: 'number', default: 64 * 1024 * 1024 },
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
 * The parsed main options. When the words are only plain flags (`--csv`,
 * `--version`, ...; none or several) there is nothing for yargs to do: the
 * result is every option's default with those flags true, which is what
 * yargs returns for them, so yargs is not loaded. Anything else (an option
 * with a value, `--flag=value`) is parsed by yargs.
 */
function parseMainOptions(words: string[]): MainOptions {
  let a: Record<string, unknown>;
  const flags = mainFlags();
  if (words.every((w) => flags.get(w)?.takesValue === false)) {
    a = {};
    for (const [name, spec] of Object.entries(mainOptions())) if ('default' in spec) a[name] = spec.default;
    for (const w of words) a[flags.get(w)!.name] = true;
  } else {
    checkMainChoices(words);
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
  const mlb = a['max-line-bytes'] as number;
  if (!Number.isInteger(mlb) || mlb < 1 || mlb > MAX_LINE_BYTES_LIMIT) {
    throw new UsageError(`--max-line-bytes must be a whole number of bytes from 1 to ${MAX_LINE_BYTES_LIMIT} (256 MiB) (got ${a['max-line-bytes']})`);
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

function explain(o: NonNullable<Command['options']>): string {
  const lines: string[] = [];
  lines.push(`input:  ${o.sources.map((s) => `${s === '-' ? 'stdin' : s} (${inputFormatOf(s, o.inputFormat)})`).join(', ')}`);
  o.verbs.forEach((v, k) => {
    lines.push(`${k + 1}. ${v.name} ${JSON.stringify(v.explain)}`);
    lines.push(`   needs: ${v.needs.length ? v.needs.join(', ') : '(no fields)'}${v.recordWise ? '; record-wise' : '; stateful'}`);
  });
  if (o.verbs.length === 0) lines.push('(no verb: records pass through)');
  const firstIn = o.sources[0] === undefined ? undefined : /^(\w+),/.exec(inputFormatOf(o.sources[0], o.inputFormat))?.[1];
  lines.push(`output: ${o.outputFormat ?? (firstIn ? `${firstIn} (as the input)` : 'as the input')}`);
  lines.push(`on-error: ${o.onError}${o.errorsFile ? `, rejected records to ${o.errorsFile}` : ''}`);
  // Read only what is needed (engine/projection.ts), as the run decides it for NDJSON or CSV input.
  const inFmt = o.inputFormat !== 'auto' ? o.inputFormat : o.sources[0] !== undefined && o.sources[0] !== '-' ? formatFromPath(o.sources[0]) : undefined;
  const outFmt = o.outputFormat ?? inFmt ?? 'ndjson';
  const sel = inputFields(o.verbs, (inFmt ?? 'ndjson') === 'ndjson' && (outFmt === 'ndjson' || outFmt === 'json'));
  lines.push(`decodes: ${sel === null ? 'every field' : sel.names.length === 0 ? 'no field (records are copied as read)' : sel.names.join(', ')}${sel !== null && sel.prefixes.length > 0 ? ` (also with prefixes ${sel.prefixes.join(', ')})` : ''}`);
  return lines.join('\n') + '\n';
}

/**
 * Write what `--help`, `--version` or `--explain` print, then exit: 0, also
 * when the reader went away (EPIPE); 1 with one line when the write fails
 * (`sluice --help > /dev/full`).
 */
function printAndExit(text: string): void {
  process.stdout.once('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') process.stderr.write(`sluice: cannot write output: ${errnoText(e)}\n`);
    process.exit(e.code === 'EPIPE' ? 0 : 1);
  });
  process.stdout.write(text, (err) => {
    if (!err) process.exit(0);
  });
}

/**
 * The input format sluice will read `source` in, in words for `--explain`:
 * the format given with -i, else the file's extension, else what the first
 * 64 KiB sniff as (a regular file is read for that; stdin that is not a
 * regular file is not read by --explain).
 */
function inputFormatOf(source: string, given: InputFormat | 'auto'): string {
  if (given !== 'auto') return `${given}, as given`;
  if (source !== '-') {
    const byExt = formatFromPath(source);
    if (byExt) return `${byExt}, by the file name`;
  }
  let fd: number | undefined;
  try {
    fd = source === '-' ? 0 : fs.openSync(source, 'r');
    if (!fs.fstatSync(fd).isFile()) return 'sniffed from the first bytes when read';
    const buf = Buffer.alloc(64 * 1024);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return `${sniffFormat(buf.subarray(0, n).toString('utf8'))}, by its first bytes`;
  } catch {
    return 'sniffed from the first bytes when read';
  } finally {
    if (fd !== undefined && fd !== 0) fs.closeSync(fd);
  }
}

/** Entry point for bin/sluice.js. Never prints a stack trace for user errors. */
export async function main(argv: string[]): Promise<void> {
  // stderr that went away (`sluice ... 2>&1 | head -1`) or fails: nothing to tell, and no trace.
  process.stderr.on('error', () => {});
  let cmd: Command;
  try {
    cmd = parseCommand(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`sluice: ${e.message}\n`);
      if (e.detail) process.stderr.write(e.detail + '\n');
      process.exit(2);
    }
    process.stderr.write(`sluice: internal error: ${(e as Error).message}\n`);
    if (process.env.SLUICE_DEBUG) process.stderr.write(String((e as Error).stack) + '\n');
    process.exit(1);
  }
  if (cmd.kind === 'version') return printAndExit(`sluice ${VERSION}\n`);
  if (cmd.kind === 'help') return printAndExit(cmd.helpText!.endsWith('\n') ? cmd.helpText! : cmd.helpText + '\n');
  if (cmd.kind === 'explain') return printAndExit(cmd.explainText!);
  const o = cmd.options!;
  if (o.sources.includes('-') && process.stdin.isTTY) {
    // Not a silent wait: say what sluice is waiting for.
    process.stderr.write(
      `sluice: reading records from the terminal: type them and end with Ctrl-D, or name a file (sluice ${o.verbs.length ? o.verbs[0]!.name + ' ... ' : ''}FILE, or --from FILE)\n`,
    );
  }
  let code: number | null = null;
  if (cmd.parallel !== undefined && cmd.parallel !== 1) code = await runParallel(o, cmd.verbWords!, cmd.parallel, parseVerbWords);
  code ??= await run(o);
  process.exit(signalStatus(code));
}
