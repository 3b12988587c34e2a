/**
 * Start-up (issue 13, speed): a run loads only the code it uses. Each run
 * here is made under a module-load hook (test/fixtures/load-hooks) that logs
 * every module the process loads, ES modules and CommonJS alike (a chunk of
 * the bundle bin/sluice.js runs counts as the dist/ modules it holds); the test
 * fails when a plain `-i lines parse` run loads another verb, the checkpoint,
 * live view, chart, progress or -j code, or luxon, yargs, cli-progress,
 * asciichart, chalk or csv-parse, as it would if cli/main.ts or
 * verbs/registry.ts imported them eagerly again. The controls show that the
 * hook sees each kind of module when a run does use it. Not timing-based.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, ROOT } from '../helpers/run.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-lazy-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const HOOK = path.join(FIXTURES, 'load-hooks/register.mjs');
const LOG = path.join(FIXTURES, 'apache_logs');
let n = 0;
/** Which dist/ modules each chunk of dist/bundle/ holds (written by scripts/bundle.js). */
const BUNDLE = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist/bundle/manifest.json'), 'utf8')) as Record<string, string[]>;

/** Run sluice under the hook: its output and the modules it loaded (paths relative to the project, or package names). */
function loaded(args: string[], env: NodeJS.ProcessEnv = {}): { stdout: string; stderr: string; code: number | null; modules: string[] } {
  const log = path.join(dir, `load-${n++}.txt`);
  const r = spawnSync(process.execPath, ['--import', HOOK, BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, SLUICE_LOAD_LOG: log, NO_COLOR: '', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const modules = fs
    .readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^file:\/\//, ''))
    .map((l) => (l.startsWith(ROOT + '/') ? l.slice(ROOT.length + 1) : l))
    .map((l) => /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(l)?.[1] ?? l)
    // A chunk of the bundle bin/sluice.js runs (scripts/bundle.js): the dist/ modules it holds.
    .flatMap((l) => (l.startsWith('dist/bundle/') ? (BUNDLE[l.slice('dist/bundle/'.length)] ?? [l]) : [l]));
  return { stdout: r.stdout, stderr: r.stderr, code: r.status, modules: [...new Set(modules)] };
}

/** What a plain `-i lines parse` run must not load. */
const HEAVY = [
  /^dist\/(live|checkpoint|parallel|window|agg|over|order|sort|state|reshape|fanout)\//,
  /^dist\/sources\/(tailing|follow)\.js$/,
  /^dist\/verbs\/(?!parse\.js|args\.js|registry\.js)/,
  /^(yargs|luxon|cli-progress|asciichart|chalk|csv-parse)$/,
];

describe('lazy loading', () => {
  it('sluice -i lines parse --pattern combined loads parse and the engine, nothing of other verbs, live view, checkpoint, charts, -j, yargs or luxon', () => {
    for (const args of [
      ['-i', 'lines', 'parse', '--pattern', 'combined', LOG],
      ['-i', 'lines', '--from', LOG, '--no-progress', 'parse', '--pattern=combined', '--keep-unmatched'],
      ['-i', 'lines', '-o', 'ndjson', LOG],
    ]) {
      const r = loaded(args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.split('\n').length).toBeGreaterThanOrEqual(9999);
      expect(r.modules).toContain('dist/engine/run.js');
      expect(r.modules).toContain('dist/formats/lines.js');
      if (args.includes('parse')) expect(r.modules).toContain('dist/verbs/parse.js');
      const heavy = r.modules.filter((m) => HEAVY.some((re) => re.test(m)));
      expect(heavy, args.join(' ')).toEqual([]);
    }
  });

  it('controls: the hook sees what a run does use (other verbs, checkpoint, chart, asciichart, yargs)', () => {
    const ck = path.join(dir, 'run.ckpt');
    const a = loaded(['-i', 'lines', '--from', LOG, '--checkpoint', ck, 'parse', '--pattern', 'combined', 'then', 'agg', 'count', 'by', 'status']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.modules).toEqual(expect.arrayContaining(['dist/checkpoint/session.js', 'dist/sources/tailing.js', 'dist/verbs/agg.js', 'dist/agg/stage.js']));
    expect(a.modules).not.toContain('dist/verbs/window.js');
    const b = loaded(['-i', 'lines', '-o', 'line', 'parse', '--pattern', 'combined', 'then', 'agg', 'count', 'by', 'status', LOG]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.modules).toEqual(expect.arrayContaining(['dist/live/chart.js', 'asciichart']));
    // A form the quick option reader leaves to yargs: a flag given a value.
    const c = loaded(['-i', 'lines', '--no-progress=true', LOG]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.modules).toContain('yargs');
  });

  it('an expression loads luxon only for a time zone and re2js only for a pattern RE2 runs (each ~260 KB of code to parse at start-up)', () => {
    const flights = path.join(FIXTURES, 'flights-20k.ndjson');
    const plain = loaded(['filter', 'delay > 60 && origin ~ "SF"', 'then', 'map', 'h = strftime(time("2001-01-01T00:00:00Z"), "%H")', 'then', 'agg', 'count', 'by', 'origin', flights]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain('"origin":"SFO"');
    expect(plain.modules).toContain('dist/expr/regex.js');
    expect(plain.modules).not.toContain('luxon');
    expect(plain.modules).not.toContain('re2js');
    // Controls: a zone, a pattern that is not a plain literal.
    const zoned = loaded(['map', 'h = strftime(time(time), "%H", "America/New_York")', 'then', 'head', '1', flights]);
    expect(zoned.code, zoned.stderr).toBe(0);
    expect(zoned.stdout).toContain('"h":"19"');
    expect(zoned.modules).toContain('luxon');
    const pattern = loaded(['filter', 'origin ~ "^S.O$"', 'then', 'agg', 'count', flights]);
    expect(pattern.code, pattern.stderr).toBe(0);
    expect(pattern.modules).toContain('re2js');
    expect(pattern.stdout).toMatch(/"count":[1-9]/);
  });

  it('-j 2: each thread loads the verbs of its command line only, no checkpoint, live view or progress code, nor yargs', () => {
    const flights = path.join(FIXTURES, 'flights-20k.ndjson');
    const r = loaded(['-j', '2', 'filter', 'delay > 60', 'then', 'agg', 'count', 'by', 'origin', flights], { SLUICE_J_CHUNK_BYTES: '300000', SLUICE_J_DEBUG: '2' });
    expect(r.code, r.stderr).toBe(0);
    // Both threads ran jobs (SLUICE_J_DEBUG=2 below), and the hook logs each thread's modules.
    expect(r.stderr).toMatch(/worker 1: [1-9]\d* jobs/);
    expect(r.modules).toEqual(expect.arrayContaining(['dist/parallel/worker.js', 'dist/parallel/chunk.js', 'dist/verbs/filter.js', 'dist/verbs/agg.js']));
    const other = r.modules.filter((m) => /^dist\/(verbs\/(?!filter|agg|args|registry)|checkpoint\/|live\/|cli\/library)/.test(m) || m === 'yargs');
    expect(other).toEqual([]);
  });
});
