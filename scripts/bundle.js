#!/usr/bin/env node
/**
 * Bundles the compiled modules (dist/, from tsc) into dist/bundle/, which
 * bin/sluice.js runs: `npm run build` runs tsc, then this.
 *
 * Why: Node's ES module loader costs about a millisecond per module
 * (resolve, stat, open, read, compile, link), and a run loads 90-120 of
 * sluice's modules; a `-j N` worker thread loads them again. In a few
 * chunks, a run starts ~20-30 ms of CPU sooner per thread.
 *
 * Laziness is kept: each dynamic `import()` (a verb, the checkpoint, live
 * view, progress or -j code: verbs/registry.ts, cli/main.ts) stays a
 * chunk of its own, loaded only when a run asks for it. Entries: main.js
 * (cli/main.ts), signals.js and pool.js (loaded by bin/sluice.js before the
 * CLI), worker.js (parallel/worker.ts: pool.ts starts it as
 * `new URL('./worker.js', import.meta.url)`, which this layout keeps true).
 * Packages (node_modules) and node: builtins stay outside the bundle.
 *
 * dist/bundle/manifest.json maps each chunk file to the dist/ modules in it,
 * so a test can tell which of sluice's modules a run loaded
 * (test/e2e/lazy-load.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const out = path.join(dist, 'bundle');

fs.rmSync(out, { recursive: true, force: true });
const bundle = await rolldown({
  cwd: root,
  input: {
    main: path.join(dist, 'cli/main.js'),
    signals: path.join(dist, 'engine/signals.js'),
    pool: path.join(dist, 'parallel/pool.js'),
    worker: path.join(dist, 'parallel/worker.js'),
  },
  platform: 'node',
  // Packages and builtins are imported from node_modules at run time, as before.
  external: (id) => id.startsWith('node:') || !(id.startsWith('.') || path.isAbsolute(id)),
  logLevel: 'silent',
});
const { output } = await bundle.write({ dir: out, format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' });
await bundle.close();
const manifest = {};
for (const c of output) {
  if (c.type !== 'chunk') continue;
  manifest[c.fileName] = c.moduleIds.filter((id) => id.startsWith(dist + path.sep)).map((id) => path.relative(root, id));
}
fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
