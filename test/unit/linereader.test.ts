/**
 * The line splitting shared by `-i lines` and `-i logfmt` (formats/linereader.ts):
 * any chunking gives the records of one whole chunk, CRLF and a BOM are
 * dropped, an overlong line is rejected once and skipped without being held,
 * and position/resumeAt continue a source split at a line boundary.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ErrorSink, Reader, Rec } from '../../src/engine/types.js';
import { LinesReader } from '../../src/formats/lines.js';
import { LogfmtReader } from '../../src/formats/logfmt.js';
import { NdjsonReader } from '../../src/formats/ndjson.js';
import { lineOf } from '../../src/engine/values.js';

function sink() {
  const rejected: Array<{ line: number; error: string; text: string }> = [];
  const errors: ErrorSink = {
    mode: 'skip',
    get count() {
      return rejected.length;
    },
    reject(_s, line, error, text) {
      rejected.push({ line, error, text });
    },
  };
  return { errors, rejected };
}

const makers = {
  lines: (errors: ErrorSink, max?: number) => new LinesReader({ source: 't', errors, maxLineBytes: max, lineNumbers: true }),
  logfmt: (errors: ErrorSink, max?: number) => new LogfmtReader({ source: 't', errors, maxLineBytes: max, lineNumbers: true }),
};

function readAll(r: Reader, chunks: string[]): Array<[Rec, number]> {
  const out: Rec[] = [];
  for (const c of chunks) out.push(...r.feed(c));
  out.push(...r.end());
  return out.map((rec) => [JSON.parse(JSON.stringify(rec)) as Rec, lineOf(rec)]);
}

function cut(text: string, cuts: number[]): string[] {
  const parts: string[] = [];
  let at = 0;
  for (let k = 0; at < text.length; k++) {
    const n = cuts[k % cuts.length]!;
    parts.push(text.slice(at, at + n));
    at += n;
  }
  return parts;
}

describe('LineReader (lines, logfmt)', () => {
  const lineArb = fc.array(fc.constantFrom('a=1', 'b="x y"', 'c', '', 'k=v\r', 'q="\\""', 'é=ü', 'x'.repeat(40)), { maxLength: 4 }).map((ws) => ws.join(' '));
  for (const [name, make] of Object.entries(makers)) {
    it(`${name}: any chunking gives the records and line numbers of one chunk`, () => {
      fc.assert(
        fc.property(fc.array(lineArb, { maxLength: 30 }), fc.boolean(), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }), (lines, bom, cuts) => {
          const text = (bom ? '\ufeff' : '') + lines.join('\n') + (lines.length > 0 ? '\n' : '');
          const a = sink();
          const b = sink();
          expect(readAll(make(b.errors, 64), cut(text, cuts))).toEqual(readAll(make(a.errors, 64), [text]));
          expect(b.rejected).toEqual(a.rejected);
        }),
        { numRuns: 200 },
      );
    });

    it(`${name}: an overlong line is rejected once and skipped as it streams by`, () => {
      const s = sink();
      const r = make(s.errors, 2000);
      const out: Rec[] = [];
      out.push(...r.feed('a=1\n' + 'z'.repeat(1500)));
      for (let i = 0; i < 20; i++) {
        out.push(...r.feed('z'.repeat(1000)));
        // Never held whole: a checkpoint cannot resume inside it.
        if (i > 0) expect(r.position!()).toBeNull();
      }
      out.push(...r.feed('z\nb=2\n'));
      out.push(...r.end());
      expect(s.rejected.map((x) => x.line)).toEqual([2]);
      expect(s.rejected[0]!.text.length).toBe(1024);
      expect(out.map((rec) => lineOf(rec))).toEqual([1, 3]);
    });

    it(`${name}: position and resumeAt continue a source split at a line boundary`, () => {
      const text = '\ufeffa=1\nb=2\r\nc=3\nd=4';
      const whole = readAll(make(sink().errors), [text]);
      const r1 = make(sink().errors);
      const first = readAll({ feed: (c) => r1.feed(c), end: () => [] }, [text.slice(0, 12)]);
      const p = r1.position!()!;
      const r2 = make(sink().errors);
      r2.resumeAt!(p.line);
      const rest = readAll(r2, [p.pending + text.slice(12)]);
      expect([...first, ...rest]).toEqual(whole);
    });
  }
});

describe('LineFramer: a line of exactly --max-line-bytes with a CRLF line end', () => {
  // The CR of a CRLF is not part of the line. It was counted when a chunk ended
  // between the CR and the LF (a pipe's read, a file's 64 KiB read), so a line
  // of exactly the limit was rejected or not depending on where chunks fell.
  const line = `{"b":"${'é'.repeat(1496)}"}`; // 3000 bytes, longer than OVERLONG_TEXT_CHARS characters
  const text = `{"a":1}\n${line}\r\n{"a":3}\r\n`;
  const atCr = text.indexOf('\r') + 1;
  const makersAll = {
    ...makers,
    ndjson: (errors: ErrorSink, max?: number) => new NdjsonReader({ source: 't', errors, maxLineBytes: max }),
  };
  for (const [name, make] of Object.entries(makersAll)) {
    it(`${name}: kept whatever the chunking (cut at the CR, byte by byte), rejected one byte lower`, () => {
      const whole = sink();
      const ref = readAll(make(whole.errors, 3000), [text]);
      for (const chunks of [[text.slice(0, atCr), text.slice(atCr)], [...text], cut(text, [7, 300, 1])]) {
        const s = sink();
        expect(readAll(make(s.errors, 3000), chunks)).toEqual(ref);
        expect(s.rejected).toEqual(whole.rejected);
      }
      // (ndjson and logfmt reject some of these lines as not their format, never for their length.)
      const tooLong = (s: ReturnType<typeof sink>) => s.rejected.filter((r) => /longer than/.test(r.error)).map((r) => r.line);
      expect(tooLong(whole)).toEqual([]);
      const lower = sink();
      readAll(make(lower.errors, 2999), [text.slice(0, atCr), text.slice(atCr)]);
      expect(tooLong(lower)).toEqual([2]);
    });
  }
});
