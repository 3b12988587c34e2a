/**
 * The command line as a library, with every verb and optional module loaded:
 * what tests and -j's worker threads use. The command line itself is in
 * cli/: command.ts (parsing into a run), main-options.ts (the main options),
 * usage.ts (`sluice --help`), explain.ts (`--explain`), main.ts (the entry
 * of bin/sluice.js, which loads only what a command line uses) and library.ts
 * (parsing with every verb and module loaded).
 *
 *   sluice [MAIN-OPTIONS] [VERB [VERB-ARGS]] [then VERB [VERB-ARGS]]...
 */
export type { Command } from './cli/command.js';
export { mainUsage } from './cli/usage.js';
export { resolveColor } from './cli/main-options.js';
export { main } from './cli/main.js';
export { parseCommand, parseVerbWords } from './cli/library.js';
