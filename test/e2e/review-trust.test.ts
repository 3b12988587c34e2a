/**
 * Defects found by the trust review of session 6 (wrong results, silent data
 * loss, misleading messages): each test fails without its fix.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES, sluice } from '../helpers/run.js';

const FLIGHTS = path.join(FIXTURES, 'flights-20k.ndjson');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-review-trust-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const lines = fs.readFileSync(FLIGHTS, 'utf8').split('\n').slice(0, 3000).map((l) => l + '\n');

describe('an output file of a verb that is also an input', () => {
  // The input was truncated, the run exited 0: everything in it was lost.
  const cases: Array<[string, (f: string) => string[]]> = [
    ['parse --unmatched', (f) => ['-i', 'lines', 'parse', '--pattern', 'combined', '--unmatched', f, f]],
    ['merge --late-output', (f) => ['merge', '--late-output', f, f]],
    ['merge --late-output (partials by --from)', (f) => ['merge', '--late-output', f, '--from', f]],
  ];
  for (const [what, args] of cases) {
    it(`${what} is a usage error, and the input is left as it was`, () => {
      const f = path.join(dir, 'in-0.ndjson');
      fs.writeFileSync(f, lines.join(''));
      const r = sluice(args(f));
      expect(r.stderr).toMatch(/^sluice: \w+ output .*in-0\.ndjson is also an input .*choose another file\n$/);
      expect(r.code).toBe(2);
      expect(fs.readFileSync(f, 'utf8')).toBe(lines.join(''));
    });
  }
});
