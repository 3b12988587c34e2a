import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import fs from 'node:fs';
import { CSV_HEADER, CsvReader, CsvWriter } from '../../src/formats/csv.js';
import { NumText, lineOf, markChanged, rawOf, setField, typeCell } from '../../src/engine/values.js';
import { InputError, RuntimeError, UsageError } from '../../src/engine/errors.js';
import { testErrors } from '../helpers/ctx.js';
import type { Rec } from '../../src/engine/types.js';

interface ReadOpts {
  delimiter?: string;
  noHeader?: boolean;
  maxLineBytes?: number;
  forceCsvParse?: boolean;
  lineNumbers?: boolean;
  dialect?: 'csv' | 'tsv' | 'csvlite';
  strictQuotes?: boolean;
}

/** Feed `text` split at the given offsets; returns records and rejections. */
function readCsv(text: string, cuts: number[] = [], opts: ReadOpts = {}): { recs: Rec[]; rejected: ReturnType<typeof testErrors>['rejected'] } {
  const errors = testErrors('skip');
  const r = new CsvReader({ source: 'in.csv', errors, delimiter: opts.delimiter ?? ',', ...opts });
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

/** readCsv, or the message of the error it throws (a duplicate header name). */
function tryReadCsv(text: string, cuts: number[] = [], opts: ReadOpts = {}) {
  try {
    return readCsv(text, cuts, opts);
  } catch (e) {
    return { recs: [], rejected: [], thrown: (e as Error).message };
  }
}

/** Fields in order (NumText as {num: text}), RAW, LINE and prototype, for exact comparison. */
function plain(recs: Rec[]) {
  return recs.map((r) => ({
    entries: Object.entries(r).map(([k, v]) => [k, v instanceof NumText ? { num: v.text } : Object.is(v, -0) ? '-0!' : v]),
    raw: rawOf(r),
    line: lineOf(r),
    plainObject: Object.getPrototypeOf(r) === Object.prototype,
  }));
}
const fieldsOf = (recs: Rec[]) => recs.map((r) => Object.fromEntries(Object.entries(r)));

function write(recs: Rec[], opts: ConstructorParameters<typeof CsvWriter>[1] = {}, format: 'csv' | 'tsv' = 'csv') {
  const w = new CsvWriter(format, opts);
  return w.write(recs) + w.end();
}

describe('CsvReader', () => {
  it('names fields from the header and types cells', () => {
    const { recs, rejected } = readCsv('a,b,c,d,e,f\n1,x,,1.50,02134,-3.5e2\n');
    expect(rejected).toEqual([]);
    expect(fieldsOf(recs)).toEqual([{ a: 1, b: 'x', c: null, d: new NumText(1.5, '1.50'), e: '02134', f: new NumText(-350, '-3.5e2') }]);
    expect(rawOf(recs[0]!)).toBe('1,x,,1.50,02134,-3.5e2');
    expect((recs[0] as { [CSV_HEADER]?: unknown })[CSV_HEADER]).toMatchObject({ names: ['a', 'b', 'c', 'd', 'e', 'f'], raw: 'a,b,c,d,e,f' });
  });

  it('reads RFC 4180 quoting: fields spanning lines, "" escapes, CRLF, BOM', () => {
    const text = '\ufeff"x","y z"\r\n"a ""b"", c","line1\r\nline2"\r\n"",plain\r\n';
    const { recs, rejected } = readCsv(text);
    expect(rejected).toEqual([]);
    expect(fieldsOf(recs)).toEqual([
      { x: 'a "b", c', 'y z': 'line1\r\nline2' },
      { x: null, 'y z': 'plain' },
    ]);
    expect(recs.map(rawOf)).toEqual(['"a ""b"", c","line1\r\nline2"', '"",plain']);
  });

  it('rejects ragged rows with the right line numbers, also after multi-line quoted fields', () => {
    const text = ['h1,h2', '1,"a', 'b"', '2', '3,"c', '', 'd"', '4,x,y', '5,z', '6'].join('\n') + '\n';
    for (const cuts of [[], [3], [9, 14, 20], Array.from({ length: 20 }, (_, i) => i * 2)]) {
      const { recs, rejected } = readCsv(text, cuts);
      expect(fieldsOf(recs)).toEqual([
        { h1: 1, h2: 'a\nb' },
        { h1: 3, h2: 'c\n\nd' },
        { h1: 5, h2: 'z' },
      ]);
      expect(rejected.map((r) => [r.line, r.text, r.error])).toEqual([
        [4, '2', 'malformed CSV: 1 field, the header has 2'],
        [8, '4,x,y', 'malformed CSV: 3 fields, the header has 2'],
        [10, '6', 'malformed CSV: 1 field, the header has 2'],
      ]);
    }
  });

  it('isolates a record with a malformed quote and reads on', () => {
    const text = 'a,b\n1,"ok"\n"bad"x,2\n3,"multi\nline"\nab"c,4\n5,"fine"\n';
    const { recs, rejected } = readCsv(text, [], { strictQuotes: true });
    expect(fieldsOf(recs)).toEqual([
      { a: 1, b: 'ok' },
      { a: 3, b: 'multi\nline' },
      { a: 5, b: 'fine' },
    ]);
    expect(rejected.map((r) => [r.line, r.text, r.error])).toEqual([
      [3, '"bad"x,2', 'malformed CSV: text after a closing quote'],
      [6, 'ab"c,4', 'malformed CSV: quote inside an unquoted field'],
    ]);
    // By default (relaxed, as Python's csv, xsv and csv-parse relax_quotes) a quote inside an unquoted field is a character.
    const relaxed = readCsv(text);
    expect(fieldsOf(relaxed.recs)).toEqual([
      { a: 1, b: 'ok' },
      { a: '"bad"x', b: 2 }, // (csv-parse relax_quotes keeps such text as it is)
      { a: 3, b: 'multi\nline' },
      { a: 'ab"c', b: 4 },
      { a: 5, b: 'fine' },
    ]);
    expect(relaxed.rejected.map((r) => r.line)).toEqual([]);
  });

  it('an unterminated quote at end of input rejects its first line and reads the rest', () => {
    const { recs, rejected } = readCsv('a,b\n1,x\n2,"oops\n3,y\n4,z\n');
    expect(fieldsOf(recs)).toEqual([
      { a: 1, b: 'x' },
      { a: 3, b: 'y' },
      { a: 4, b: 'z' },
    ]);
    expect(rejected.map((r) => [r.line, r.text, r.error])).toEqual([[3, '2,"oops', 'malformed CSV: unterminated quoted field']]);
  });

  it('rejects a record longer than maxLineBytes and resumes after its end, quoted or not', () => {
    const text = 'a,b\n1,x\n2,"' + 'y'.repeat(150) + '\n' + 'z'.repeat(150) + '"\n3,z\n4,' + 'w'.repeat(300) + '\n5,v\n';
    for (const cuts of [[], [12], [12, 100, 200], [12, 100, 200, 300, 400, 500], Array.from({ length: 80 }, (_, i) => i * 9)]) {
      const { recs, rejected } = readCsv(text, cuts, { maxLineBytes: 100 });
      expect(fieldsOf(recs)).toEqual([
        { a: 1, b: 'x' },
        { a: 3, b: 'z' },
        { a: 5, b: 'v' },
      ]);
      expect(rejected.map((r) => r.line)).toEqual([3, 6]);
      expect(rejected[0]!.error).toMatch(/longer than 100 bytes/);
      expect(rejected[0]!.text).toBe(('2,"' + 'y'.repeat(150) + '\n' + 'z'.repeat(150) + '"').slice(0, 1024));
    }
  });

  it('under --on-error fail, throws an InputError carrying the records before it', () => {
    const r = new CsvReader({ source: 'f.csv', errors: testErrors('fail'), delimiter: ',' });
    let err: InputError | undefined;
    try {
      r.feed('a,b\n1,2\n3\n4,5\n');
    } catch (e) {
      err = e as InputError;
    }
    expect(err).toBeInstanceOf(InputError);
    expect(err!.line).toBe(3);
    expect(fieldsOf(err!.partial!)).toEqual([{ a: 1, b: 2 }]);
  });

  it('duplicate header names are an error that names the field', () => {
    expect(() => readCsv('a,b,a\n1,2,3\n')).toThrow(RuntimeError);
    expect(() => readCsv('a,b,a\n1,2,3\n')).toThrow("duplicate field name 'a' in the header of in.csv");
  });

  it('header names are used as-is, __proto__ and constructor included', () => {
    const { recs } = readCsv('__proto__,constructor, sp ,"a,b"\n1,2,3,4\n');
    const r = recs[0]!;
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
    expect(Object.entries(r)).toEqual([
      ['__proto__', 1],
      ['constructor', 2],
      [' sp ', 3],
      ['a,b', 4],
    ]);
  });

  it('--no-header names fields 1, 2, ... and the first row fixes their number', () => {
    const { recs, rejected } = readCsv('x,1\ny,2\nz\n', [], { noHeader: true });
    expect(fieldsOf(recs)).toEqual([
      { 1: 'x', 2: 1 },
      { 1: 'y', 2: 2 },
    ]);
    expect(rejected.map((r) => r.line)).toEqual([3]);
  });

  it('reads other delimiters and TSV', () => {
    expect(fieldsOf(readCsv('a;b\n1,5;"x;y"\n', [], { delimiter: ';' }).recs)).toEqual([{ a: '1,5', b: 'x;y' }]);
    expect(fieldsOf(readCsv('a\tb\n1\t"x\ty"\n', [], { delimiter: '\t' }).recs)).toEqual([{ a: 1, b: 'x\ty' }]);
    expect(() => new CsvReader({ source: '-', errors: testErrors(), delimiter: '::' })).toThrow(UsageError);
    expect(() => new CsvReader({ source: '-', errors: testErrors(), delimiter: '"' })).toThrow(UsageError);
  });

  it('a blank line starts a new block whose first row is its header (schema change)', () => {
    const { recs, rejected } = readCsv('a,b\n1,2\n\nc\n3\n\n\nd,e,f\n4,5,6\n', [], { dialect: 'csvlite' });
    expect(rejected).toEqual([]);
    expect(fieldsOf(recs)).toEqual([{ a: 1, b: 2 }, { c: 3 }, { d: 4, e: 5, f: 6 }]);
    // In plain CSV (the default) blank lines are skipped: no row is taken for a header.
    const plainCsv = readCsv('a,b\n1,2\n\n3,4\n5,6\n');
    expect(plainCsv.rejected).toEqual([]);
    expect(fieldsOf(plainCsv.recs)).toEqual([{ a: 1, b: 2 }, { a: 3, b: 4 }, { a: 5, b: 6 }]);
  });

  it('fast path and csv-parse give the same records on random CSV (differential property)', () => {
    fc.assert(
      fc.property(csvText, fc.array(fc.nat(), { maxLength: 6 }), (t, rawCuts) => {
        const cuts = rawCuts.map((c) => c % (t.text.length + 1));
        const fast = tryReadCsv(t.text, cuts, { delimiter: t.delim });
        const slow = tryReadCsv(t.text, [], { delimiter: t.delim, forceCsvParse: true });
        expect(plain(fast.recs)).toEqual(plain(slow.recs));
        expect(fast.rejected).toEqual(slow.rejected);
        expect('thrown' in fast && fast.thrown).toEqual('thrown' in slow && slow.thrown);
      }),
      { numRuns: 400 },
    );
  });

  it('mixed blocks: rows with a quote go to csv-parse, the others take the fast path, as if csv-parse read all (differential property)', () => {
    fc.assert(
      fc.property(mixedCsvText, fc.array(fc.nat(), { maxLength: 6 }), (t, rawCuts) => {
        const cuts = rawCuts.map((c) => c % (t.text.length + 1));
        const mixed = tryReadCsv(t.text, cuts, { delimiter: t.delim, lineNumbers: true });
        const slow = tryReadCsv(t.text, [], { delimiter: t.delim, forceCsvParse: true, lineNumbers: true });
        expect(plain(mixed.recs)).toEqual(plain(slow.recs));
        expect(mixed.rejected).toEqual(slow.rejected);
        expect('thrown' in mixed && mixed.thrown).toEqual('thrown' in slow && slow.thrown);
      }),
      { numRuns: 500 },
    );
  });

  it('mixed blocks keep line numbers and rejections around quoted rows (airports.csv and a hand-made block)', () => {
    const airports = fs.readFileSync(new URL('../fixtures/airports.csv', import.meta.url), 'utf8');
    expect(airports.split('\n').filter((l) => l.includes('"')).length).toBeGreaterThan(0);
    for (const cuts of [[], [70000], Array.from({ length: 30 }, (_, i) => 1000 + i * 7919)]) {
      const mixed = readCsv(airports, cuts, { lineNumbers: true });
      const slow = readCsv(airports, [], { forceCsvParse: true, lineNumbers: true });
      expect(mixed.recs.length).toBe(airports.trimEnd().split('\n').length - 1);
      expect(plain(mixed.recs)).toEqual(plain(slow.recs));
    }
    // plain, quoted over two lines, ragged plain, malformed quote, plain, blank line + new header, quoted, plain
    const text = ['a,b', '1,x', '2,"y', 'z"', '3', '"bad"q,4', '5,w', '', 'c', '"q"', '6', ''].join('\n');
    const { recs, rejected } = readCsv(text, [], { lineNumbers: true, dialect: 'csvlite', strictQuotes: true });
    expect(recs.map((r) => [lineOf(r), rawOf(r)])).toEqual([
      [2, '1,x'],
      [3, '2,"y\nz"'],
      [7, '5,w'],
      [10, '"q"'],
      [11, '6'],
    ]);
    expect(fieldsOf(recs)[1]).toEqual({ a: 2, b: 'y\nz' });
    expect(fieldsOf(recs)[3]).toEqual({ c: 'q' });
    expect(rejected.map((r) => [r.line, r.text, r.error])).toEqual([
      [5, '3', 'malformed CSV: 1 field, the header has 2'],
      [6, '"bad"q,4', 'malformed CSV: text after a closing quote'],
    ]);
  });

  it('odd header names (__proto__, constructor, 1, quotes, backslashes, */, ${, backticks, U+2028/2029, newlines) read the same on the fast path (property)', () => {
    // Names reach compileRow's generated code; none may break out of its string literal.
    const INJECT = 'sluiceInjected';
    const name = fc.oneof(
      fc.constantFrom(
        '__proto__', 'constructor', 'toString', 'hasOwnProperty', '1', '0', '01', '4294967295', 'a b', '', '\\', '\u2028', '\u2029',
        '${x}', '`', "'", '*/', '/*', '//', 'a\nb', '\r\n', '`${globalThis.' + INJECT + ' = 1}`',
        '"]: 0 }; globalThis.' + INJECT + ' = 1; ({ "', '\\"; globalThis.' + INJECT + ' = 1; //', '*/ globalThis.' + INJECT + ' = 1; /*',
      ),
      fc.string({ unit: fc.constantFrom('a', '"', '\\', '\'', '`', '$', '{', '}', '*', '/', '\u2028', '\u2029', '\n', '😀', '1', ' '), maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 6 }), fc.array(fc.array(fc.constantFrom('1', 'x', '', '2.50', '-0'), { minLength: 1, maxLength: 7 }), { maxLength: 5 }), (names, rows) => {
        const q = (s: string) => (/[",\n\r]/.test(s) || s === '' ? '"' + s.replace(/"/g, '""') + '"' : s);
        const text = [names.map(q).join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
        const fast = tryReadCsv(text, [], { lineNumbers: true, dialect: 'csvlite' });
        const slow = tryReadCsv(text, [], { forceCsvParse: true, lineNumbers: true, dialect: 'csvlite' });
        expect(plain(fast.recs)).toEqual(plain(slow.recs));
        expect(fast.rejected).toEqual(slow.rejected);
        // Every record read under the generated header has exactly its names as own keys (in
        // JavaScript's key order). A row that is one empty cell is a blank line: it ends that
        // header's block (the next row is a new header), so later records are not checked here.
        expect('thrown' in fast && fast.thrown).toEqual('thrown' in slow && slow.thrown);
        expect((globalThis as Record<string, unknown>)[INJECT]).toBeUndefined();
        if ('thrown' in fast) return; // a later header (a row after a blank line) repeats a name
        const blank = rows.findIndex((r) => r.length === 1 && r[0] === '');
        const headerLines = names.join('').split('\n').length; // names may hold line ends
        const endLine = blank < 0 ? Infinity : headerLines + 1 + blank; // rows[i] is line headerLines + 1 + i
        const expected = Object.keys(names.reduce((o, k) => ((o[k] = 1), o), Object.create(null) as Record<string, number>));
        const inFirst = fast.recs.filter((r) => lineOf(r)! < endLine);
        expect(inFirst.length).toBe(rows.slice(0, blank < 0 ? rows.length : blank).filter((r) => r.length === names.length).length);
        for (const r of inFirst) expect(Object.keys(r)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
    // The seed QA found flaky (an empty one-field row, i.e. a blank line, after a one-name header) and a fixed case.
    const blankRow = readCsv('__proto__\n1\n\n1,2.50\n1,1\n', [], { lineNumbers: true, dialect: 'csvlite' });
    expect(blankRow.recs.map((r) => Object.keys(r))).toEqual([['__proto__'], ['1', '2.50']]);
    const odd = ['a"b', 'c\\d', '*/', '${e}', '`f`', 'g\u2028h', 'i\u2029j', 'k\nl', '__proto__'];
    const oddRecs = readCsv(odd.map((s) => '"' + s.replace(/"/g, '""') + '"').join(',') + '\n' + odd.map((_, i) => i).join(',') + '\n').recs;
    expect(oddRecs.length).toBe(1);
    expect(odd.map((k) => Object.getOwnPropertyDescriptor(oddRecs[0]!, k)?.value)).toEqual(odd.map((_, i) => i));
    // more fields than the compiled path takes: the generic loop
    const wide = Array.from({ length: 300 }, (_, i) => 'f' + i);
    const text = wide.join(',') + '\n' + wide.map((_, i) => String(i)).join(',') + '\n' + '1,2\n';
    const fast = readCsv(text, [], { lineNumbers: true });
    const slow = readCsv(text, [], { forceCsvParse: true, lineNumbers: true });
    expect(plain(fast.recs)).toEqual(plain(slow.recs));
    expect(fast.recs[0]!.f299).toBe(299);
    expect(fast.rejected).toEqual(slow.rejected);
    expect(fast.rejected.map((r) => r.line)).toEqual([3]);
  });

  it('gives the same records however the input is split (property)', () => {
    fc.assert(
      fc.property(csvText, fc.array(fc.nat(), { maxLength: 10 }), fc.constantFrom(undefined, 12, 30), (t, rawCuts, maxLineBytes) => {
        const whole = tryReadCsv(t.text, [], { delimiter: t.delim, maxLineBytes });
        const cuts = rawCuts.map((c) => c % (t.text.length + 1));
        const split = tryReadCsv(t.text, cuts, { delimiter: t.delim, maxLineBytes });
        expect(plain(split.recs)).toEqual(plain(whole.recs));
        expect(split.rejected).toEqual(whole.rejected);
        expect('thrown' in split && split.thrown).toEqual('thrown' in whole && whole.thrown);
      }),
      { numRuns: 400 },
    );
  });
});

/**
 * Random CSV text: a header and rows of plain or quoted cells (quotes, the
 * delimiter, CR/LF and multi-byte text inside quotes), LF or CRLF line ends,
 * empty cells, blank lines, ragged rows, and now and then a malformed quote.
 */
const csvText = fc
  .record({
    delim: fc.constantFrom(',', ';', '\t'),
    ncols: fc.integer({ min: 1, max: 4 }),
    rows: fc.array(
      fc.record({
        cells: fc.array(
          fc.oneof(
            { arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'é', '😀', '1', '0', '.', '-', 'e', '\r'), maxLength: 5 }).map((s) => ({ q: false, s })), weight: 4 },
            { arbitrary: fc.string({ unit: fc.constantFrom('a', '"', ',', ';', '\t', '\n', '\r\n', '中', '1', ' '), maxLength: 6 }).map((s) => ({ q: true, s })), weight: 2 },
          ),
          { minLength: 1, maxLength: 5 },
        ),
        eol: fc.constantFrom('\n', '\r\n'),
        blank: fc.boolean(),
        garbage: fc.constantFrom('', '', '', '', '', '', '', '', '"x"y', 'a"b'),
      }),
      { maxLength: 10 },
    ),
    bom: fc.boolean(),
    lastEol: fc.boolean(),
  })
  .map(({ delim, ncols, rows, bom, lastEol }) => {
    let text = bom ? '\ufeff' : '';
    const header = Array.from({ length: ncols }, (_, i) => 'h' + i).join(delim);
    text += header + '\n';
    rows.forEach((r, i) => {
      const cells = r.cells.map((c) => (c.q ? '"' + c.s.replace(/"/g, '""') + '"' : c.s.replace(/\r$/, '')));
      if (r.garbage) cells[0] = r.garbage;
      text += cells.join(delim);
      if (i < rows.length - 1 || lastEol) text += r.eol;
      if (r.blank && i < rows.length - 1) text += r.eol + header + r.eol;
    });
    return { text, delim };
  });

/**
 * Random CSV where most rows have no quote and some have one (quoted cells
 * with quotes, delimiters and line ends inside, a malformed quote now and
 * then), with ragged rows, blank lines followed by a new header, CRLF, and
 * more rows than csvText so that quoted and plain rows mix within a block.
 */
const mixedCsvText = fc
  .record({
    delim: fc.constantFrom(',', ';', '\t'),
    ncols: fc.integer({ min: 1, max: 4 }),
    rows: fc.array(
      fc.record({
        kind: fc.constantFrom('plain', 'plain', 'plain', 'plain', 'plain', 'ragged', 'quoted', 'quoted', 'garbage', 'blank'),
        cells: fc.array(fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'é', '1', '0', '.', '-', 'e'), maxLength: 4 }), { minLength: 1, maxLength: 5 }),
        quotedCell: fc.string({ unit: fc.constantFrom('a', '"', ',', ';', '\t', '\n', '\r\n', '中', '1'), maxLength: 6 }),
        eol: fc.constantFrom('\n', '\n', '\r\n'),
      }),
      { maxLength: 40 },
    ),
    lastEol: fc.boolean(),
  })
  .map(({ delim, ncols, rows, lastEol }) => {
    const header = Array.from({ length: ncols }, (_, i) => 'h' + i).join(delim);
    let text = header + '\n';
    rows.forEach((r, i) => {
      let cells = Array.from({ length: ncols }, (_, j) => r.cells[j % r.cells.length]!);
      if (r.kind === 'ragged') cells = r.cells;
      if (r.kind === 'quoted') cells[i % ncols] = '"' + r.quotedCell.replace(/"/g, '""') + '"';
      if (r.kind === 'garbage') cells[0] = i % 2 ? '"x"y' : 'a"b';
      if (r.kind === 'blank') text += r.eol + header;
      else text += cells.join(delim);
      if (i < rows.length - 1 || lastEol) text += r.eol;
    });
    return { text, delim };
  });

describe('CsvWriter', () => {
  it('writes a header from the first record and quotes only when needed', () => {
    const recs: Rec[] = [
      { name: 'plain', 'Cost Total $': 1.5, 'a,b': 'x,y', q: 'say "hi"', nl: 'two\nlines', sp: ' pad ', n: null, big: new NumText(1e20, '100000000000000000000') },
      { name: '', 'Cost Total $': -0, 'a,b': true, q: { k: [1, 'v'] }, nl: 'cr\r', sp: '', n: undefined, big: 7 },
    ];
    expect(write(recs)).toBe(
      'name,Cost Total $,"a,b",q,nl,sp,n,big\n' +
        'plain,1.5,"x,y","say ""hi""","two\nlines", pad ,,100000000000000000000\n' +
        ',0,true,"{""k"":[1,""v""]}","cr\r",,,7\n',
    );
  });

  it('starts a schema change block (blank line, new header) when the fields change, never dropping one', () => {
    // Another order or a subset of the header's fields: under the header (issue 10 item 4); a new field: a new block.
    const out = write([{ a: 1, b: 2 }, { a: 3, b: 4 }, { b: 5, a: 6 }, { a: 7 }, { a: 8, b: 9, c: 10 }, { c: 11 }]);
    expect(out).toBe('a,b\n1,2\n3,4\n6,5\n7,\n\na,b,c\n8,9,10\n,,11\n');
    // and the reader reads the blocks back (-i csvlite)
    expect(fieldsOf(readCsv(out, [], { dialect: 'csvlite' }).recs)).toEqual([
      { a: 1, b: 2 },
      { a: 3, b: 4 },
      { a: 6, b: 5 },
      { a: 7, b: null },
      { a: 8, b: 9, c: 10 },
      { a: null, b: null, c: 11 },
    ]);
  });

  it('keeps its state across batches and skips records without fields', () => {
    const w = new CsvWriter('csv', {});
    expect(w.write([{ a: 1 }])).toBe('a\n1\n');
    expect(w.write([{}, { a: 2 }])).toBe('2\n');
    expect(w.write([])).toBe('');
    expect(w.write([{ b: null }])).toBe('\nb\n""\n');
  });

  it('writes unchanged CSV records and their header as read, changed ones re-serialised', () => {
    const text = '"id",Cost Total $,"v"\n"1",1.50,"x"\n2,02134,"a""b"\n';
    const { recs } = readCsv(text);
    expect(write(recs, { inputFormat: 'csv', inputDelimiter: ',' })).toBe(text);
    markChanged(recs[1]!);
    setField(recs[1]!, 'v', 'new');
    expect(write(recs, { inputFormat: 'csv', inputDelimiter: ',' })).toBe('"id",Cost Total $,"v"\n"1",1.50,"x"\n2,02134,new\n');
    // another delimiter or format: everything re-serialised
    expect(write(recs, { inputFormat: 'csv', inputDelimiter: ',', delimiter: ';' })).toBe('id;Cost Total $;v\n1;1.50;x\n2;02134;new\n');
    expect(write(recs, { inputFormat: 'ndjson' })).toBe('id,Cost Total $,v\n1,1.50,x\n2,02134,new\n');
  });

  it('keeps the input column order for names JavaScript orders differently (integer-like)', () => {
    const text = 'year,2020,2019\nx,1,2\n';
    const { recs } = readCsv(text);
    expect(Object.keys(recs[0]!)).toEqual(['2019', '2020', 'year']);
    expect(write(recs, { inputFormat: 'csv' })).toBe(text);
    markChanged(recs[0]!);
    expect(write(recs, { inputFormat: 'csv' })).toBe(text);
    // a verb that reorders fields is obeyed
    const moved: Rec = { year: 'x', 2019: 2 };
    expect(write([moved], { inputFormat: 'csv' })).toBe('2019,year\n2,x\n');
  });

  it('obeys a changed field order (select b,a) instead of the input header', () => {
    const { recs } = readCsv('a,b\n1,2\n');
    const r = recs[0]!;
    markChanged(r);
    const swapped: Rec = {};
    (swapped as Record<symbol, unknown>)[CSV_HEADER] = (r as Record<symbol, unknown>)[CSV_HEADER];
    swapped.b = r.b;
    swapped.a = r.a;
    expect(write([r, swapped], { inputFormat: 'csv' })).toBe('a,b\n1,2\n\nb,a\n2,1\n');
  });

  it('writes TSV with tabs', () => {
    // TSV's own rules: never quoted; tab, line ends and backslash escaped.
    expect(write([{ a: 'x\ty', b: 1, 'c\\': '5" screen\n\\' }], {}, 'tsv')).toBe('a\tb\tc\\\\\nx\\ty\t1\t5" screen\\n\\\\\n');
    const back = readCsv('a\tb\tc\\\\\nx\\ty\t1\t5" screen\\n\\\\\n', [], { delimiter: '\t', dialect: 'tsv' });
    expect(fieldsOf(back.recs)).toEqual([{ a: 'x\ty', b: 1, 'c\\': '5" screen\n\\' }]);
  });

  it('round-trips random records through writer and reader (property)', () => {
    const name = fc.oneof(
      fc.constantFrom('a', 'b', 'Cost Total $', 'a,b', 'x"y', ' sp ', '__proto__', 'constructor', 'é', '', '7', 'line\nbreak'),
      fc.string({ maxLength: 4 }),
    );
    const text = fc.string({ unit: fc.constantFrom('a', 'z', ' ', ',', ';', '"', '\n', '\r', '\t', 'é', '😀', '0', '1', '.', '-'), minLength: 1, maxLength: 8 }).filter((s) => typeCell(s) === s);
    const numText = fc.constantFrom('1.50', '1e3', '-0', '02', '12345678901234567890', '2.0', '-1.25E-3').filter((t) => typeCell(t) instanceof NumText);
    const value = fc.oneof(
      text,
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
      fc.constant(null),
      numText.map((t) => typeCell(t)),
    );
    const record = fc.array(fc.tuple(name, value), { minLength: 1, maxLength: 5 }).map((pairs) => {
      const r: Rec = {};
      for (const [k, v] of pairs) setField(r, k, v);
      return r;
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), fc.constantFrom(',', ';', '\t'), (recs, delimiter) => {
        const out = write(recs, { delimiter });
        const back = readCsv(out, [], { delimiter, dialect: 'csvlite' });
        expect(back.rejected).toEqual([]);
        // A record written under a header with more fields reads back with those as null; field order is the header's.
        const norm = (rs: Rec[], like: Rec[]) =>
          rs.map((r, i) =>
            Object.entries(r)
              .filter(([k, v]) => !(v === null && !Object.hasOwn(like[i]!, k)))
              .map(([k, v]) => [k, v instanceof NumText ? { num: v.text } : v])
              .sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : 1)),
          );
        const written = recs.filter((r) => Object.keys(r).length > 0);
        expect(norm(back.recs, written)).toEqual(norm(written, written));
      }),
      { numRuns: 400 },
    );
  });
});

describe('CsvReader: a record of exactly --max-line-bytes with a CRLF end', () => {
  // The CR of a CRLF is not part of the record. It was counted when a chunk
  // ended between the CR and the LF, so a record of exactly the limit was
  // rejected or kept depending on where the chunks fell.
  const e = 'é'.repeat(1498); // each record below is 3000 bytes
  for (const [name, text, opts] of [
    ['csv, quoted field', `a,b\r\n1,2\r\n"${e}",y\r\n3,4\r\n`, { dialect: 'csv' }],
    ['csv, unquoted', `a,b\r\n1,2\r\n${'x'.repeat(2998)},y\r\n3,4\r\n`, { dialect: 'csv' }],
    ['tsv', `a\tb\r\n1\t2\r\n${e}xx\ty\r\n3\t4\r\n`, { dialect: 'tsv', delimiter: '\t' }],
  ] as const) {
    it(`${name}: kept whatever the chunking (cut at the CR, every 7), rejected at one byte less`, () => {
      const atCr = text.indexOf('\r', 10) + 1;
      const whole = readCsv(text, [], { ...opts, maxLineBytes: 3000 });
      expect(whole.rejected).toEqual([]);
      expect(whole.recs.length).toBe(3);
      const every7 = Array.from({ length: Math.floor(text.length / 7) }, (_, i) => (i + 1) * 7);
      for (const cuts of [[atCr], every7]) {
        const split = readCsv(text, cuts, { ...opts, maxLineBytes: 3000 });
        expect(plain(split.recs)).toEqual(plain(whole.recs));
        expect(split.rejected).toEqual([]);
      }
      const lower = readCsv(text, [atCr], { ...opts, maxLineBytes: 2999 });
      expect(lower.rejected.map((r) => r.line)).toEqual([3]);
      expect(lower.recs.length).toBe(2);
    });
  }
});
