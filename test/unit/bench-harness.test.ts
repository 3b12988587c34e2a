/**
 * The benchmark's yardsticks and helpers: the minimal Node loops must do the
 * work they stand for (or their times would mean nothing), and a failed run
 * must be reported by its error line.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
// @ts-expect-error plain ESM JavaScript without type declarations
import * as gen from '../../bench/gen.js';
// @ts-expect-error plain ESM JavaScript without type declarations
import * as run from '../../bench/run.js';

const loop = fileURLToPath(new URL('../../bench/minimal-loop.js', import.meta.url));
const { flightSource } = gen as {
  flightSource: (o: { records: number; seed?: number }) => {
    next: (max: number) => { ndjson: string; csv: string } | null;
    csvHeader: string;
  };
};
const { firstErrorLine } = run as { firstErrorLine: (s: string) => string };

const src = flightSource({ records: 20_000, seed: 11 });
const data = src.next(20_000)!;
const ndjson = data.ndjson;
const csv = src.csvHeader + data.csv;

function loopRun(args: string[], input: string): string {
  const r = spawnSync(process.execPath, [loop, ...args], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  expect(r.status).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout;
}

describe('minimal-loop.js', () => {
  it('passes NDJSON through unchanged', () => {
    expect(loopRun([], ndjson)).toBe(ndjson);
  });

  it('keeps exactly the records with delay > 60 under --filter', () => {
    const want = ndjson
      .split('\n')
      .filter((l) => l && JSON.parse(l).delay > 60)
      .map((l) => l + '\n')
      .join('');
    expect(want.length).toBeGreaterThan(0);
    expect(loopRun(['--filter'], ndjson)).toBe(want);
  });

  it('passes CSV through unchanged under --csv, also without a final newline', () => {
    expect(loopRun(['--csv'], csv)).toBe(csv);
    expect(loopRun(['--csv'], csv.slice(0, -1))).toBe(csv);
  });
});

describe('firstErrorLine', () => {
  it('picks the message of a Node crash, not its file line', () => {
    const crash =
      "node:internal/modules/esm/resolve:283\n    throw new ERR_MODULE_NOT_FOUND(\n          ^\n\n" +
      "Error [ERR_MODULE_NOT_FOUND]: Cannot find module '/x/dist/cli.js'\n    at finalizeResolution";
    expect(firstErrorLine(crash)).toBe("Error [ERR_MODULE_NOT_FOUND]: Cannot find module '/x/dist/cli.js'");
  });

  it('keeps sluice messages and falls back to the first line', () => {
    expect(firstErrorLine('\nsluice: unknown verb "windw" (did you mean window?)\n')).toBe(
      'sluice: unknown verb "windw" (did you mean window?)',
    );
    expect(firstErrorLine('something odd\nmore\n')).toBe('something odd');
    expect(firstErrorLine('')).toBe('(no stderr)');
  });
});
