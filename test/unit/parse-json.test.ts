/**
 * parse --pattern combined/common builds each record's NDJSON text from the
 * line (issue 13, speed): it must be exactly what serialising the record
 * gives, and the record exactly what the plain matcher gives; the text alone
 * (textOnly) the same text; a partial matcher the same values for the fields
 * it is asked for.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import { builtinMatcher } from '../../src/parse/patterns.js';
import { stringifyRecord } from '../../src/engine/values.js';
import { FIXTURES } from '../helpers/run.js';
import type { Rec } from '../../src/engine/types.js';

/** The fields `partial(names)` sets are those the full matcher sets, for every subset of names. */
function checkPartial(pattern: 'combined' | 'common', line: string, pick: number): void {
  const { match, partial, fields } = builtinMatcher(pattern, { now: 0 });
  const names = new Set(fields.filter((_, k) => (pick >> k) & 1));
  const full: Rec = {};
  const part: Rec = {};
  const matched = match(line, full);
  expect(partial!(names)(line, part)).toBe(matched);
  for (const n of names) expect(part[n]).toEqual(full[n]);
  if (!matched) expect(part).toEqual({});
}

function check(pattern: 'combined' | 'common', line: string): void {
  const { match, matchJson, textOnly } = builtinMatcher(pattern, { now: 0 });
  const a: Rec = {};
  const b: Rec = {};
  const matched = match(line, a);
  const json = matchJson!(line, b);
  expect(json === null).toBe(!matched);
  expect(b).toEqual(a);
  expect(Object.keys(b)).toEqual(Object.keys(a));
  if (typeof json === 'string') expect(json).toBe(stringifyRecord(a));
  // The text alone (no record filled): null exactly when no match, made
  // exactly when matchJson makes it, and then the same text.
  const text = textOnly!(line);
  expect(text === null).toBe(!matched);
  expect(typeof text === 'string').toBe(typeof json === 'string');
  if (typeof text === 'string') expect(text).toBe(stringifyRecord(a));
}

describe('the NDJSON text parse builds from an access-log line', () => {
  it('equals the serialised record on every line of the Apache log', () => {
    const lines = fs.readFileSync(path.join(FIXTURES, 'apache_logs'), 'utf8').split('\n');
    let made = 0;
    for (const line of lines) {
      check('combined', line);
      const { matchJson } = builtinMatcher('combined', { now: 0 });
      if (typeof matchJson!(line, {}) === 'string') made++;
    }
    // Nearly every line takes the fast way (a few hold backslashes).
    expect(made).toBeGreaterThan(9900);
  });

  it('equals the serialised record on random lines (numbers as hosts, odd requests, escapes, unicode, control characters)', () => {
    const word = fc.constantFrom('-', '127', '1e5', '0123', '-0', '83.149.9.216', 'a"b', 'x\\y', 'é', '😀', 'host.example', '12345678901234567890', '\u0001', '1.5', '0', '00', '-1', '1.2.3', '-x', '2e-3', '1.', '.5');
    const text = fc.constantFrom('', '-', 'GET / HTTP/1.1', 'GET /a', 'GET  /a HTTP/1.0', 'POST /x?y=1 HTTP/2', 'a \\"b\\" c', 'x\\\\y', 'tab\there', 'é😀', '\ud800', 'ctl\u0007', 'a b c d', ' GET /', 'GET / ', 'GET', 'GET /a b HTTP/1.1', 'PUT /p HTTP/1.0', 'GET /a  ', ' ');
    const line = fc
      .record({
        h: word,
        i: word,
        u: word,
        t: fc.constantFrom('17/May/2015:10:05:03 +0000', 'x"y', 'a\\b'),
        req: text,
        st: fc.constantFrom('200', '000', '-', '404'),
        by: fc.constantFrom('-', '0', '0123', '512', '12345678901234567890'),
        ref: text,
        ag: text,
      })
      .map((r) => `${r.h} ${r.i} ${r.u} [${r.t}] "${r.req}" ${r.st} ${r.by} "${r.ref}" "${r.ag}"`);
    fc.assert(
      fc.property(line, fc.nat(2047), (l, pick) => {
        check('combined', l);
        checkPartial('combined', l, pick);
        const common = l.slice(0, l.lastIndexOf(' "', l.lastIndexOf(' "') - 1));
        check('common', common);
        checkPartial('common', common, pick);
      }),
      { numRuns: 1500 },
    );
  });
});
