/**
 * `parse --pattern combined|common` as the last verb with NDJSON output gives
 * records their NDJSON text alone, without setting their fields (issue 13,
 * speed). Differential: the same run with a no-op verb after parse (which
 * makes parse fill every record) must write the same bytes, on random lines
 * (from the Apache log, altered, and odd ones), with random verbs after it,
 * output formats, input formats, --unmatched and --keep-unmatched. And
 * when the verbs after parse never see whole records, parse sets only the
 * fields they may read: the same output as with --keep (every field set).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, sluice } from '../helpers/run.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-textonly-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const apache = fs.readFileSync(path.join(FIXTURES, 'apache_logs'), 'utf8').split('\n').filter((l) => l !== '');

/** A line of the log, maybe altered: numbers as hosts, escapes, unicode, odd requests, cut short. */
const lineArb = fc
  .tuple(fc.nat(apache.length - 1), fc.nat(9), fc.constantFrom('1.5', '-', 'é😀', 'a\\"b', 'x\ty', '0123', 'GET /a b HTTP/1.1', 'GET'))
  .map(([i, how, word]) => {
    const l = apache[i]!;
    switch (how) {
      case 0:
        return word + l.slice(l.indexOf(' '));
      case 1:
        return l.replace(/"[^"]*"/, `"${word}"`);
      case 2:
        return l.slice(0, l.length >> 1);
      case 3:
        return l.replace(/" (\d{3}) (\d+|-) /, '" 007 0$2 ');
      case 4:
        return l.replace(/ - - /, ` ${word} ${word} `);
      default:
        return l;
    }
  });

const after = fc.constantFrom<string[]>(
  [],
  ['then', 'head', '3'],
  ['then', 'select', 'host,status,bytes'],
  ['then', 'agg', 'count', 'by', 'status'],
  ['then', 'filter', 'status >= 400'],
  ['then', 'sort', '-f', 'bytes'],
);

describe('parse as the last verb: the NDJSON text alone', () => {
  it('writes what the records parse fills would be written as (random lines, verbs, formats)', () => {
    fc.assert(
      fc.property(
        fc.array(lineArb, { minLength: 1, maxLength: 60 }),
        // Mostly the text-only way (nothing after parse, NDJSON out); also the others.
        fc.oneof({ arbitrary: fc.constant<string[]>([]), weight: 3 }, after),
        fc.constantFrom('ndjson', '', '', 'csv'),
        fc.constantFrom('combined', 'common'),
        fc.constantFrom<string[]>([], ['--keep-unmatched'], ['--unmatched', 'U']),
        fc.boolean(),
        (lines, verbs, out, pattern, unmatched, asNdjson) => {
          const input = asNdjson
            ? lines.map((l, k) => JSON.stringify(k % 3 === 0 ? { line: l, n: k } : { line: l })).join('\n') + '\n'
            : lines.join('\n') + '\n';
          const run = (noop: boolean): { stdout: string; stderr: string; unmatched: string } => {
            const file = path.join(dir, noop ? 'u-ref' : 'u-new');
            const opts = unmatched.map((o) => (o === 'U' ? file : o));
            const args = ['-i', asNdjson ? 'ndjson' : 'lines', ...(out ? ['-o', out] : []), 'parse', '--pattern', pattern, ...opts, ...(noop ? ['then', 'head', '1000000'] : []), ...verbs];
            const r = sluice(args, input);
            expect(r.code).toBe(0);
            const u = unmatched.length === 2 ? fs.readFileSync(file, 'utf8') : '';
            return { stdout: r.stdout, stderr: r.stderr.replace(file, 'U'), unmatched: u };
          };
          expect(run(false)).toEqual(run(true));
        },
      ),
      { numRuns: 14 },
    );
  }, 60_000);

  it('sets only the fields later verbs read when none sees whole records: as with every field set (--keep)', () => {
    const chains = fc.constantFrom<string[]>(
      ['agg', 'count', 'by', 'path'],
      ['agg', 'count,sum(bytes)', 'by', 'status,method'],
      ['agg', 'count'],
      ['select', 'host,user,referer'],
      ['head', '5', 'then', 'select', 'time,agent,protocol'],
      ['agg', 'distinct(ident),max(bytes)', 'by', 'host'],
    );
    fc.assert(
      fc.property(fc.array(lineArb, { minLength: 1, maxLength: 60 }), chains, fc.constantFrom('combined', 'common'), fc.constantFrom('ndjson', 'csv'), (lines, chain, pattern, out) => {
        const input = lines.join('\n') + '\n';
        const run = (keep: boolean) => sluice(['-i', 'lines', '-o', out, 'parse', '--pattern', pattern, ...(keep ? ['--keep'] : []), 'then', ...chain], input);
        const a = run(false);
        expect(a.code).toBe(0);
        expect(a).toEqual(run(true));
      }),
      { numRuns: 8 },
    );
  }, 60_000);

  it('on the whole Apache log: the same bytes as with a verb after parse', () => {
    const text = apache.join('\n') + '\n';
    const a = sluice(['-i', 'lines', 'parse', '--pattern', 'combined'], text);
    const b = sluice(['-i', 'lines', 'parse', '--pattern', 'combined', 'then', 'head', '1000000'], text);
    expect(a.code).toBe(0);
    expect(a.stdout.split('\n').length).toBe(apache.length); // every line but the cut one, and the final ''
    expect(a.stdout).toBe(b.stdout);
    expect(a.stderr).toBe(b.stderr);
  }, 30_000);
});
