import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NdjsonReader, NdjsonWriter } from '../../src/formats/ndjson.js';
import { INEXACT_NUMBER_RE, parseExact } from '../../src/formats/exactjson.js';
import { JSON_NUMBER_RE, NumText, markChanged, rawOf, setField, stringifyRecord } from '../../src/engine/values.js';
import { InputError } from '../../src/engine/errors.js';
import { testErrors } from '../helpers/ctx.js';
import type { Rec } from '../../src/engine/types.js';

/** Feed `text` split at the given offsets; returns records and rejections. */
function readNdjson(text: string, cuts: number[] = [], maxLineBytes?: number) {
  const errors = testErrors('skip');
  const r = new NdjsonReader({ source: 'in.ndjson', errors, maxLineBytes });
  const recs: Rec[] = [];
  let prev = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    recs.push(...r.feed(text.slice(prev, c)));
    prev = c;
  }
  recs.push(...r.feed(text.slice(prev)));
  recs.push(...r.end());
  return { recs, rejected: errors.rejected };
}

/** A record's fields only (toEqual also compares the RAW symbol). */
const fieldsOf = (recs: Rec[]) => recs.map((r) => Object.fromEntries(Object.entries(r)));

/** Records as plain comparable data (NumText → its text in a tagged object), with RAW. */
function plain(recs: Rec[]) {
  return recs.map((r) => ({ fields: JSON.parse(JSON.stringify(r, (_k, v) => (v instanceof NumText ? { num: v.text } : v))), raw: rawOf(r) }));
}

/** The text each number of a record is written with (NumText: as read; numbers: as JavaScript writes them), in order. */
function numberTexts(v: unknown, out: string[] = []): string[] {
  if (v instanceof NumText) out.push(v.text);
  else if (typeof v === 'number') out.push(Object.is(v, -0) ? '-0' : String(v));
  else if (Array.isArray(v)) for (const x of v) numberTexts(x, out);
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) numberTexts((v as Record<string, unknown>)[k], out);
  return out;
}

describe('NdjsonReader', () => {
  it('reads objects, ignores a BOM, accepts CRLF and skips blank lines', () => {
    const { recs, rejected } = readNdjson('\ufeff{"a":1}\r\n\r\n   \n{"b":"x"}\n\t\n{"c":null}');
    expect(fieldsOf(recs)).toEqual([{ a: 1 }, { b: 'x' }, { c: null }]);
    expect(recs.map(rawOf)).toEqual(['{"a":1}', '{"b":"x"}', '{"c":null}']);
    expect(rejected).toEqual([]);
  });

  it('rejects a malformed line 2 of 3 with its line number and text', () => {
    const { recs, rejected } = readNdjson('{"a":1}\n{"a":2,}\n{"a":3}\n');
    expect(fieldsOf(recs)).toEqual([{ a: 1 }, { a: 3 }]);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ source: 'in.ndjson', line: 2, text: '{"a":2,}' });
    expect(rejected[0]!.error).toMatch(/^malformed NDJSON: /);
  });

  it('rejects lines that are JSON but not objects, naming what they are', () => {
    const { recs, rejected } = readNdjson('[1,2]\n"s"\n42\nnull\ntrue\n{"ok":1}\n123456789012345678901\n');
    expect(fieldsOf(recs)).toEqual([{ ok: 1 }]);
    expect(rejected.map((r) => [r.line, r.error])).toEqual([
      [1, 'malformed NDJSON: not an object (an array)'],
      [2, 'malformed NDJSON: not an object (a string)'],
      [3, 'malformed NDJSON: not an object (a number)'],
      [4, 'malformed NDJSON: not an object (null)'],
      [5, 'malformed NDJSON: not an object (a boolean)'],
      [7, 'malformed NDJSON: not an object (a number)'],
    ]);
  });

  it('throws an InputError under --on-error fail', () => {
    const r = new NdjsonReader({ source: 'x.ndjson', errors: testErrors('fail') });
    expect(() => r.feed('{"a":1}\nnope\n')).toThrow(InputError);
    let err: InputError | undefined;
    try {
      new NdjsonReader({ source: 'x.ndjson', errors: testErrors('fail') }).feed('{"a":1}\n{"a":2}\nnope\n{"a":4}\n');
    } catch (e) {
      err = e as InputError;
    }
    expect(err?.line).toBe(3);
    expect(err?.message).toContain('x.ndjson:3');
    // the records before it in the same chunk go with the error, so the runner can write them first
    expect(fieldsOf(err!.partial!)).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('keeps __proto__ and constructor as ordinary fields', () => {
    const { recs } = readNdjson('{"__proto__":{"x":1},"constructor":2}\n');
    expect(Object.getPrototypeOf(recs[0]!)).toBe(Object.prototype);
    expect(Object.keys(recs[0]!)).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(recs[0]!, '__proto__')!.value).toEqual({ x: 1 });
  });

  it('keeps integers beyond 2^53 and non-canonical numbers as NumText, also after a change', () => {
    const line = '{"id":12345678901234567890,"price":1.50,"e":1e3,"z":-0,"tiny":0.0000001,"n":[2.0,{"m":9007199254740993}],"ok":7}';
    const { recs } = readNdjson(line + '\n');
    const r = recs[0]!;
    expect(r.id).toEqual(new NumText(12345678901234567890, '12345678901234567890'));
    expect((r.price as NumText).text).toBe('1.50');
    expect((r.e as NumText).text).toBe('1e3');
    expect((r.z as NumText).text).toBe('-0');
    expect((r.tiny as NumText).text).toBe('0.0000001');
    expect(r.ok).toBe(7);
    const w = new NdjsonWriter({ inputFormat: 'ndjson' });
    expect(w.write([r])).toBe(line + '\n');
    markChanged(r);
    setField(r, 'added', true);
    expect(w.write([r])).toBe(line.slice(0, -1) + ',"added":true}\n');
  });

  it('finds inexact integers in lines without any fraction too (checked on the parsed values)', () => {
    const line = '{"id":12345678901234567890,"z":-0,"n":[1,{"m":9007199254740993}],"e":1e3,"ok":12}';
    const { recs } = readNdjson('{"a":"no dot here"}\n' + line + '\n');
    const r = recs[1]!;
    expect(r.id).toBeInstanceOf(NumText);
    expect((r.z as NumText).text).toBe('-0');
    expect(((r.n as unknown[])[1] as { m: NumText }).m.text).toBe('9007199254740993');
    expect((r.e as NumText).text).toBe('1e3');
    expect(r.ok).toBe(12);
    markChanged(r);
    expect(new NdjsonWriter({ inputFormat: 'ndjson' }).write([r])).toBe(line + '\n');
  });

  it('keeps exponent numbers on lines without any "." as read (SPEC §2 fidelity), whole or split', () => {
    const lines = ['{"b":1E3}', '{"b":1e3,"s":"x"}', '{"a":1,"b":1E+3}', '{"h":5e-1}', '{"n":[2,{"m":2e0}],"z":0E0}', '{"z":-0}', '{"k":-1E-7,"t":true}'];
    const texts = [['1E3'], ['1e3'], ['1', '1E+3'], ['5e-1'], ['2', '2e0', '0E0'], ['-0'], ['-1E-7']];
    const text = ['{"plain":1}', ...lines].join('\n') + '\n';
    for (const cuts of [[], [3], [12, 20, 33], Array.from({ length: text.length }, (_, i) => i)]) {
      const { recs, rejected } = readNdjson(text, cuts);
      expect(rejected).toEqual([]);
      expect(recs[0]!.plain).toBe(1);
      expect(recs.length).toBe(lines.length + 1);
      const w = new NdjsonWriter({ inputFormat: 'ndjson' });
      recs.slice(1).forEach((r, i) => {
        expect(numberTexts(r)).toEqual(texts[i]);
        markChanged(r);
        expect(w.write([r])).toBe(lines[i] + '\n');
      });
    }
  });

  it('keeps every number text on changed records, in lines with or without "." (property)', () => {
    const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
    const numText = fc
      .record({
        sign: fc.boolean(),
        int: fc.oneof(fc.constant('0'), fc.tuple(fc.constantFrom(...'123456789'), digits(0, 18)).map(([a, b]) => a + b)),
        frac: fc.option(digits(1, 4), { freq: 4 }),
        exp: fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 2)).map((p) => p.join('')), { freq: 2 }),
      })
      .map(({ sign, int, frac, exp }) => (sign ? '-' : '') + int + (frac !== null ? '.' + frac : '') + (exp ?? ''));
    // strings that look like numbers in part: false alarms must not change what is read
    const other = fc.constantFrom('"x"', '"1e3"', '"a.b"', '"-0"', 'true', 'false', 'null', '"ée"', '"a:1e3,b"', '"5e0f-1e2 x"', '"[2E+5]"');
    const ws = fc.constantFrom('', ' ', '\t', ' \r ');
    const field = fc.tuple(fc.oneof(numText.map((t) => ({ t })), other.map((o) => ({ o }))), ws, ws, fc.boolean());
    const line = fc.array(field, { minLength: 1, maxLength: 5 }).map((fs) => {
      const nums: string[] = [];
      const body = fs.map(([v, w1, w2, inArray], i) => {
        const val = 't' in v ? (nums.push(v.t), v.t) : v.o;
        return `"k${i}":${w1}${inArray ? '[' + val + ']' : val}${w2}`;
      });
      return { text: '{' + body.join(',') + '}', nums };
    });
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 4 }), (ls, rawCuts) => {
        const text = ls.map((l) => l.text).join('\n') + '\n';
        const { recs, rejected } = readNdjson(text, rawCuts.map((c) => c % (text.length + 1)));
        expect(rejected).toEqual([]);
        expect(recs.length).toBe(ls.length);
        recs.forEach((r, i) => {
          markChanged(r);
          expect(numberTexts(r)).toEqual(ls[i]!.nums);
          // and so written: the record's JSON text holds each number as read
          expect(numberTexts(parseExact(stringifyRecord(r)))).toEqual(ls[i]!.nums);
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('a big integer split across chunks is still exact', () => {
    const text = '{"a":1}\n{"id":123456789012345678901}\n';
    for (let cut = 1; cut < text.length; cut++) {
      const { recs } = readNdjson(text, [cut]);
      expect((recs[1]!.id as NumText).text).toBe('123456789012345678901');
    }
  });

  it('rejects a line longer than maxLineBytes without buffering it, then reads on', () => {
    const long = '{"s":"' + 'x'.repeat(500) + '"}';
    const text = '{"a":1}\n' + long + '\n{"a":2}\n';
    for (const cuts of [[], [10], [10, 50, 100, 200, 300], Array.from({ length: 60 }, (_, i) => i * 9)]) {
      const { recs, rejected } = readNdjson(text, cuts, 100);
      expect(fieldsOf(recs)).toEqual([{ a: 1 }, { a: 2 }]);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]!.line).toBe(2);
      expect(rejected[0]!.error).toMatch(/longer than 100 bytes/);
    }
    // Bytes, not characters: 40 three-byte characters are 120 bytes.
    const { rejected } = readNdjson('{"s":"' + '€'.repeat(40) + '"}\n', [], 100);
    expect(rejected).toHaveLength(1);
    expect(readNdjson('{"s":"' + 'e'.repeat(40) + '"}\n', [], 100).rejected).toHaveLength(0);
  });

  it('gives the same records however the input is split (property)', () => {
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(null, true, false),
    );
    const record = fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 5 }), value, { maxKeys: 4 });
    const special = fc.constantFrom(
      '{"big":123456789012345678901234}',
      '{"p":1.50}',
      '{"e":1e3}',
      '{"e":1e3,"f":1.5}',
      '{"z":-0,"a":[9007199254740993]}',
      '{"t":0.0000001}',
      '[1]',
      'bad',
      '',
      '  ',
      '{"é":"😀中"}',
    );
    const line = fc.oneof(record.map((r) => JSON.stringify(r)), special);
    const input = fc.record({
      lines: fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n')), { maxLength: 12 }),
      bom: fc.boolean(),
      lastEol: fc.boolean(),
    });
    fc.assert(
      fc.property(input, fc.array(fc.nat(), { maxLength: 8 }), fc.constantFrom(undefined, 20, 40), ({ lines, bom, lastEol }, rawCuts, max) => {
        let text = (bom ? '\ufeff' : '') + lines.map(([l, e]) => l + e).join('');
        if (!lastEol && lines.length > 0) text = text.replace(/\r?\n$/, '');
        const whole = readNdjson(text, [], max);
        const cuts = rawCuts.map((c) => (text.length === 0 ? 0 : c % (text.length + 1)));
        const split = readNdjson(text, cuts, max);
        expect(plain(split.recs)).toEqual(plain(whole.recs));
        expect(split.rejected).toEqual(whole.rejected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseExact and INEXACT_NUMBER_RE', () => {
  it('parses like JSON.parse (numbers compared by value) on random JSON (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom('', ' ', '\n\t '), (v, ws) => {
        const text = JSON.stringify(v, null, ws === '' ? undefined : ws);
        const exact = parseExact(text);
        const back = JSON.parse(JSON.stringify(exact, (_k, x) => (x instanceof NumText ? x.value : x)));
        expect(back).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('rejects what JSON.parse rejects', () => {
    for (const bad of ['{"a":1,}', '{"a":01}', '{"a":"\\x"}', '{"a":"\u0001"}', '{a:1}', '{"a":1} x', '[1,]', '{"a":-}', '{"a":.5}', '{"a":1.}', '"', '{"a":tru}']) {
      expect(() => JSON.parse(bad), bad).toThrow();
      expect(() => parseExact(bad), bad).toThrow();
    }
  });

  it('a number the pattern does not flag is always written back as read by JavaScript (property)', () => {
    const digit = fc.oneof({ arbitrary: fc.constant('0'), weight: 2 }, { arbitrary: fc.constantFrom(...'0123456789'), weight: 3 });
    const digits = (min: number, max: number) => fc.string({ unit: digit, minLength: min, maxLength: max });
    const grammar = fc
      .record({
        sign: fc.boolean(),
        int: fc.oneof(fc.constant('0'), fc.tuple(fc.constantFrom(...'123456789'), digits(0, 22)).map(([a, b]) => a + b)),
        frac: fc.option(digits(1, 20)),
        exp: fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 3)).map((p) => p.join(''))),
      })
      .map(({ sign, int, frac, exp }) => (sign ? '-' : '') + int + (frac !== null ? '.' + frac : '') + (exp ?? ''));
    // Texts real programs write: doubles with a given precision or number of decimals.
    const printed = fc
      .tuple(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e25, max: 1e25 }), fc.integer({ min: 1, max: 21 }), fc.boolean())
      .map(([d, k, fixed]) => (fixed ? d.toFixed(k - 1) : d.toPrecision(k)));
    const tiny = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 12 })).map(([d, z]) => '0.' + '0'.repeat(z) + d);
    const big = fc.bigInt({ min: 2n ** 53n, max: 10n ** 16n - 1n }).map(String);
    const num = fc.oneof(grammar, printed, tiny, big).filter((t) => JSON_NUMBER_RE.test(t));
    fc.assert(
      fc.property(num, fc.constantFrom(':', ', ', '['), (t, ctx) => {
        if (!INEXACT_NUMBER_RE.test(ctx + t + '}')) expect(String(Number(t))).toBe(t);
      }),
      { numRuns: 20000 },
    );
  });
});

describe('NdjsonWriter', () => {
  it('writes unchanged NDJSON records as read, others re-serialised', () => {
    const { recs } = readNdjson('{ "a" : 1 }\n{"b":2}\n');
    markChanged(recs[1]!);
    recs[1]!.b = 3;
    expect(new NdjsonWriter({ inputFormat: 'ndjson' }).write(recs)).toBe('{ "a" : 1 }\n{"b":3}\n');
    expect(new NdjsonWriter({ inputFormat: 'csv' }).write(recs)).toBe('{"a":1}\n{"b":3}\n');
    expect(new NdjsonWriter({}).write([{ x: new NumText(1.5, '1.50') }])).toBe(stringifyRecord({ x: new NumText(1.5, '1.50') }) + '\n');
    expect(new NdjsonWriter({}).write([])).toBe('');
  });
});
