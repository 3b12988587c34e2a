/**
 * The entry of bin/sluice.js: load what this command line uses (its verbs,
 * then the optional modules its options call for), parse it, and run it or
 * print what it asks for. A plain run loads neither the other verbs nor the
 * checkpoint, live view, chart, progress or -j code (test/e2e/lazy-load.test.ts).
 */
import { createRequire } from 'node:module';
import { UsageError, errnoText } from '../engine/errors.js';
import { signalStatus } from '../engine/signals.js';
import { run } from '../engine/run.js';
import { VERB_NAMES, VerbNotLoaded, loadVerbs } from '../verbs/registry.js';
import { decide, modulesNeeded, parseVerbWords, readWords, type Command, type OptionalModules, type ReadWords } from './command.js';

const require = createRequire(import.meta.url);

/** The optional modules by name, loaded on demand. */
const LOADERS: { [K in keyof OptionalModules]-?: () => Promise<NonNullable<OptionalModules[K]>> } = {
  checkpoint: () => import('../checkpoint/cli.js'),
  live: () => import('../live/index.js'),
  progress: () => import('../live/progress.js'),
  parallel: () => import('../parallel/run.js'),
};

/**
 * Parse the command line, loading first the verbs it names (any word that is
 * a verb's name) and then the optional modules its options need. A verb
 * asked for but not loaded (the verb list of `--help`) loads every verb, and
 * the words are read again.
 * @throws UsageError
 */
export async function commandOf(argv: string[]): Promise<Command> {
  await loadVerbs(argv);
  let words: ReadWords;
  try {
    words = readWords(argv);
  } catch (e) {
    if (!(e instanceof VerbNotLoaded)) throw e;
    await loadVerbs(VERB_NAMES);
    words = readWords(argv);
  }
  const mods: OptionalModules = {};
  await Promise.all(
    modulesNeeded(words).map(async (name) => {
      (mods as Record<string, unknown>)[name] = await LOADERS[name]();
    }),
  );
  return decide(words, mods);
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

/** Entry point for bin/sluice.js. Never prints a stack trace for user errors. */
export async function main(argv: string[]): Promise<void> {
  // stderr that went away (`sluice ... 2>&1 | head -1`) or fails: nothing to tell, and no trace.
  process.stderr.on('error', () => {});
  let cmd: Command;
  try {
    cmd = await commandOf(argv);
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
  if (cmd.kind === 'version') return printAndExit(`sluice ${(require('../../package.json') as { version: string }).version}\n`);
  if (cmd.kind === 'help') return printAndExit(cmd.helpText!.endsWith('\n') ? cmd.helpText! : cmd.helpText + '\n');
  if (cmd.kind === 'explain') return printAndExit(cmd.explainText!);
  const o = cmd.options!;
  if (o.sources.includes('-') && process.stdin.isTTY) {
    // Not a silent wait: say what sluice is waiting for.
    process.stderr.write(
      `sluice: reading records from the terminal: type them and end with Ctrl-D, or name a file (sluice ${o.verbs.length ? o.verbs[0]!.name + ' ... ' : ''}FILE, or --from FILE)\n`,
    );
  }
  // A run whose end nothing waits for any more (a lost callback) would exit 0 with its output cut: fail loudly.
  process.once('beforeExit', () => {
    process.stderr.write('sluice: internal error: the run stopped before its end\n');
    process.exitCode = 1;
  });
  let code: number | null = null;
  if (cmd.parallel !== undefined && cmd.parallel !== 1) {
    // -j's threads parse the verb words again (loaded already: this command line's verbs; no optional module).
    const { runParallel } = await import('../parallel/run.js');
    code = await runParallel(o, cmd.verbWords!, cmd.parallel, (words) => parseVerbWords(words, {}));
  }
  code ??= await run(o);
  // stderr that is a pipe is written asynchronously: exit once the warnings queued on it are written.
  const status = signalStatus(code);
  if (process.stderr.writableLength === 0) process.exit(status);
  process.stderr.write('', () => process.exit(status));
}
