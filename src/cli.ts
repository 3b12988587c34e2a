/**
 * The command line as a library, with every verb and optional module loaded:
 * what tests and -j's worker threads use. The command line itself is in
 * cli/: command.ts (parsing into a run), main-options.ts (the main options),
 * usage.ts (`sluice --help`), explain.ts (`--explain`) and main.ts (the entry
 * of bin/sluice.js, which loads only what a command line uses).
 *
 *   sluice [MAIN-OPTIONS] [VERB [VERB-ARGS]] [then VERB [VERB-ARGS]]...
 */
import type { VerbInstance } from './engine/types.js';
import './verbs/index.js';
import * as checkpoint from './checkpoint/cli.js';
import * as live from './live/index.js';
import * as progress from './live/progress.js';
import { explainParallel } from './parallel/run.js';
import * as command from './cli/command.js';

export type { Command } from './cli/command.js';
export { mainUsage } from './cli/usage.js';
export { resolveColor } from './cli/main-options.js';
export { main } from './cli/main.js';

/** Every optional module (see cli/command.ts OptionalModules). */
const ALL: command.OptionalModules = { checkpoint, live, progress, parallel: { explainParallel } };

/**
 * Parse argv (without `node` and the script) into a command.
 * @throws UsageError for any bad option, verb or verb argument
 */
export function parseCommand(argv: string[]): command.Command {
  return command.parseCommand(argv, ALL);
}

/**
 * The verb instances of a verb chain's words (`filter 'x > 1' then head 3`),
 * parsed as parseCommand parses them; -j's threads use it (parallel/chunk.ts
 * takes it as a parameter, so that parallel/ does not import this module).
 * @throws UsageError as parseCommand
 */
export function parseVerbWords(words: string[]): VerbInstance[] {
  return command.parseVerbWords(words, ALL);
}
