/**
 * The lines and logfmt readers share their LineReader base (options, line
 * numbers, overlong-line rejection): each rejects a line over
 * --max-line-bytes with its own message and the line's first characters,
 * and goes on with the next line.
 */
import { describe, expect, it } from 'vitest';
import type { ErrorSink } from '../../src/engine/types.js';
import { lineOf, stringifyRecord } from '../../src/engine/values.js';
import { LinesReader } from '../../src/formats/lines.js';
import { LogfmtReader } from '../../src/formats/logfmt.js';

function sink() {
  const got: Array<{ source: string; line: number; error: string; text: string }> = [];
  const errors = { reject: (source: string, line: number, error: string, text: string) => void got.push({ source, line, error, text }) } as unknown as ErrorSink;
  return { got, errors };
}

describe('line readers', () => {
  it('-i lines: an overlong line is rejected with its line number; the others are records numbered by line', () => {
    const { got, errors } = sink();
    const r = new LinesReader({ source: 'a.log', errors, maxLineBytes: 10, lineNumbers: true });
    const recs = [...r.feed('short\n' + 'x'.repeat(30) + '\nok\n'), ...r.end()];
    expect(recs.map(stringifyRecord)).toEqual(['{"line":"short"}', '{"line":"ok"}']);
    expect(recs.map(lineOf)).toEqual([1, 3]);
    expect(got).toEqual([{ source: 'a.log', line: 2, error: 'line longer than 10 bytes (--max-line-bytes); only its first 1024 characters are kept', text: 'x'.repeat(30) }]);
  });

  it('-i logfmt: the same with its own message', () => {
    const { got, errors } = sink();
    const r = new LogfmtReader({ source: 'b.logfmt', errors, maxLineBytes: 10 });
    const recs = [...r.feed('a=1\nmsg="' + 'y'.repeat(30) + '"\nb=2\n'), ...r.end()];
    expect(recs.map(stringifyRecord)).toEqual(['{"a":1}', '{"b":2}']);
    expect(got).toEqual([{ source: 'b.logfmt', line: 2, error: 'logfmt line longer than 10 bytes (--max-line-bytes)', text: 'msg="' + 'y'.repeat(30) + '"' }]);
  });
});
