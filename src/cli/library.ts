/**
 * The command line parsed with every verb and optional module loaded: what
 * src/cli.ts (the library API: tests, -j's worker threads) and the entry's
 * -j run (cli/main.ts, loaded on demand) use. Below both, so that the entry
 * does not import src/cli.ts, which re-exports the entry (no import cycle).
 */
import type { VerbInstance } from '../engine/types.js';
import '../verbs/index.js';
import * as checkpoint from '../checkpoint/cli.js';
import * as live from '../live/index.js';
import * as progress from '../live/progress.js';
import { explainParallel } from '../parallel/run.js';
import * as command from './command.js';

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
