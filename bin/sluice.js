#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/bundle/ (built by `npm install` / `npm run build`:
// tsc into dist/, then scripts/bundle.js bundles dist/ into a few chunks, which load faster).
// SIGINT/SIGTERM are caught before the rest of sluice loads (see src/engine/signals.ts).
import { installSignalCatcher } from '../dist/bundle/signals.js';
installSignalCatcher();
// Tests only: say when the catcher is in place, so a test can signal this early.
if (process.env.SLUICE_TEST_SIGNAL_READY) process.stderr.write('sluice: signals ready\n');
// -j N: the worker threads start loading now, beside the main thread (see src/parallel/pool.ts).
if (process.argv.some((a) => a.startsWith('-j') || a.startsWith('--parallel'))) {
  const { prestartFromArgv } = await import('../dist/bundle/pool.js');
  prestartFromArgv(process.argv.slice(2));
}
const { main } = await import('../dist/bundle/main.js');
main(process.argv.slice(2));
