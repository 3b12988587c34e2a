/**
 * The command line parsed: split argv on `then`, parse the main options
 * (cli/main-options.ts), parse each verb's arguments (its own file), and
 * decide the run, `--explain` or a help text.
 *
 *   sluice [MAIN-OPTIONS] [VERB [VERB-ARGS]] [then VERB [VERB-ARGS]]...
 *
 * Every usage error is found here, before any input is read, and exits 2.
 * Parsing runs in two synchronous steps so that a run loads only the code it
 * uses: readWords() needs the verbs the command line names (loaded before,
 * see verbs/registry.ts), decide() the optional modules the words call for
 * (checkpoint, live view and charts, progress line, -j's explanation; see
 * OptionalModules), which the entry (cli/main.ts) loads in between.
 */
import fs from 'node:fs';
import { UsageError } from '../engine/errors.js';
import type { VerbInstance } from '../engine/types.js';
import type { RunOptions } from '../engine/run.js';
import { isVerbName, loadedVerb, VERB_NAMES } from '../verbs/registry.js';
import { closest, withVerbTail, type VerbTail } from '../verbs/args.js';
import { mainFlags, parseMainOptions, type MainOptions } from './main-options.js';
import { mainUsage } from './usage.js';
import { explain } from './explain.js';

/** The parsed command line. */
export interface Command {
  kind: 'run' | 'help' | 'version' | 'explain';
  helpText?: string;
  options?: RunOptions;
  explainText?: string;
  /** `-j N` (1 = one thread) and each verb's words, for the workers. */
  parallel?: number;
  verbWords?: string[][];
}

/**
 * The modules only some command lines use, loaded by the entry between
 * readWords() and decide() (all of them by the library entry, src/cli.ts).
 */
export interface OptionalModules {
  /** checkpoint/cli.ts: `sluice checkpoint ...`, --checkpoint, --follow. */
  checkpoint?: typeof import('../checkpoint/cli.js');
  /** live/index.ts: live table view, charts, output beside a progress line. */
  live?: typeof import('../live/index.js');
  /** live/progress.ts: the progress line (stderr a terminal). */
  progress?: typeof import('../live/progress.js');
  /** parallel/run.ts: --explain of a -j run. */
  parallel?: Pick<typeof import('../parallel/run.js'), 'explainParallel'>;
}

/** The command line read into words: what decide() needs. */
export interface ReadWords {
  /** Done already: help, version. */
  done?: Command;
  /** `sluice checkpoint ...`: its words. */
  checkpointWords?: string[];
  main?: MainOptions;
  verbs?: VerbInstance[];
  /** The verb named files (file operands and --from). */
  named?: string[];
  segments?: string[][];
}

/**
 * The modules decide() will need for these words (names of OptionalModules),
 * for the entry to load first.
 */
export function modulesNeeded(r: ReadWords): Array<keyof OptionalModules> {
  const need: Array<keyof OptionalModules> = [];
  if (r.checkpointWords !== undefined) return ['checkpoint'];
  const m = r.main;
  if (m === undefined || r.done) return need;
  if (m.follow || m.checkpoint !== undefined || m.checkpointEvery !== undefined) need.push('checkpoint');
  if (!(m.noProgress || m.follow || m.explain) && process.stderr.isTTY) need.push('progress');
  if (m.chart !== undefined || m.output === 'table' || process.stdout.isTTY) need.push('live');
  if (m.explain && m.parallel !== 1) need.push('parallel');
  return need;
}

/**
 * The verb instances of a verb chain's words (`filter 'x > 1' then head 3`),
 * parsed as parseCommand parses them; -j's threads use it (parallel/chunk.ts
 * takes it as a parameter, so that parallel/ does not import this module).
 * @throws UsageError as parseCommand
 */
export function parseVerbWords(words: string[], mods: OptionalModules): VerbInstance[] {
  return decide(readWords(words), mods).options!.verbs;
}

/**
 * Parse argv (without `node` and the script) into a command, with the
 * optional modules given.
 * @throws UsageError for any bad option, verb or verb argument
 * @throws VerbNotLoaded (verbs/registry.ts) when a verb it names is not loaded
 */
export function parseCommand(argv: string[], mods: OptionalModules): Command {
  return decide(readWords(argv), mods);
}

/**
 * Step 1: the main options and the verb chain.
 * @throws UsageError for any bad option, verb or verb argument
 * @throws VerbNotLoaded (verbs/registry.ts) when a verb it names is not loaded
 */
export function readWords(argv: string[]): ReadWords {
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
  if (rest[0] === 'checkpoint') return { checkpointWords: rest.slice(1) };
  if (rest[0] === 'help') {
    if (rest.length < 2) return { done: { kind: 'help', helpText: mainUsage() } };
    return { done: { kind: 'help', helpText: verbDef(rest[1]!).usage } };
  }
  const segments: string[][] = [];
  // No verb, only files (`sluice -o csv a.ndjson`): the records pass through unchanged.
  if (rest.length > 0 && !isVerbName(rest[0]!) && rest.every((w) => w === '-' || isDataFile(w))) {
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
  if (main.version) return { done: { kind: 'version' } };
  if (main.help) return { done: { kind: 'help', helpText: mainUsage() } };
  if (verbHelp !== undefined) return { done: { kind: 'help', helpText: verbHelp } };
  return { main, verbs, named: [...main.from, ...operands], segments };
}

/**
 * Step 2: the run (or --explain) the words ask for.
 * @throws UsageError for options that do not go together
 */
export function decide(r: ReadWords, mods: OptionalModules): Command {
  if (r.done) return r.done;
  if (r.checkpointWords !== undefined) return { kind: 'help', ...mods.checkpoint!.checkpointCommand(r.checkpointWords) };
  const main = r.main!;
  const verbs = r.verbs!;
  const segments = r.segments!;
  // merge reads its partials itself (all at once): it takes the --from files and file operands.
  const named = r.named!;
  const takes = verbs[0] as { takeSources?: (s: string[]) => void } | undefined;
  if (takes?.takeSources && named.length > 0) takes.takeSources(named);
  const sources = named.length > 0 && !takes?.takeSources ? named : ['-'];
  const progress = main.noProgress || main.follow || main.explain || !mods.progress ? undefined : mods.progress.createProgress(sources, process.stderr, true);
  // Partial state is NDJSON (man page PARTIAL STATE; merge reads only that, and --shuffle-key leads NDJSON lines):
  // CSV, TSV and logfmt cannot carry it, whether chosen or the input's format.
  const partials = verbs.some((v) => (v.name === 'agg' || v.name === 'merge') && (v.explain as { partial?: unknown }).partial === true);
  const options = {
    sources,
    inputFormat: main.input,
    outputFormat: partials && (main.output === undefined || main.output === 'csv' || main.output === 'tsv' || main.output === 'logfmt') ? 'ndjson' : main.output,
    delimiter: main.delimiter,
    noHeader: main.noHeader,
    onError: main.onError,
    errorsFile: main.errors,
    color: main.color,
    maxLineBytes: main.maxLineBytes,
    encoding: main.encoding,
    strictCsv: main.strictCsv,
    verbs,
    ...(mods.checkpoint ? mods.checkpoint.checkCheckpointOptions(main, sources, verbs) : {}),
    ...(mods.live ? mods.live.presentation(main.output, verbs, Boolean(process.stdout.isTTY), progress, main.chart, main.color) : {}),
    progress,
  };
  if (main.explain) {
    const par = main.parallel !== 1 ? mods.parallel!.explainParallel(options, segments, main.parallel) + '\n' : '';
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
  if (w.startsWith('-') || w === 'then' || w === 'help' || isVerbName(w)) return false;
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

/** The verb called `name`. @throws UsageError naming the nearest verb, or what sluice calls another tool's verb */
function verbDef(name: string) {
  const def = loadedVerb(name);
  if (!def) {
    const foreign = Object.hasOwn(FOREIGN_VERBS, name) ? FOREIGN_VERBS[name] : undefined;
    if (foreign !== undefined) throw new UsageError(`unknown verb '${name}'; in sluice use ${foreign}`);
    if (/[./]/.test(name)) throw new UsageError(`'${name}' is neither a verb nor an existing file; 'sluice --help' lists the verbs`);
    const best = closest(name, [...VERB_NAMES]);
    throw new UsageError(`unknown verb '${name}'${best ? ` (did you mean '${best}'?)` : ''}; 'sluice --help' lists the verbs`);
  }
  return def;
}

/** A word as the user would type it again in a shell. */
function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}
