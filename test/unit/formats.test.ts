import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import fs from 'node:fs';
import { createReader, createWriter, displayWidth, formatFromPath, sniffFormat } from '../../src/formats/index.js';
import { NumText, markChanged, setField } from '../../src/engine/values.js';
import { testErrors } from '../helpers/ctx.js';
import type { InputFormat, OutputFormat, Rec, WriterOptions } from '../../src/engine/types.js';

const fixture = (name: string) => fs.readFileSync(new URL('../fixtures/' + name, import.meta.url), 'utf8');

/** Read `text` in chunks of the given sizes (cycled), write every batch, return the output. */
function convert(text: string, from: InputFormat, to: OutputFormat, sizes: number[], wopts: WriterOptions = {}) {
  const errors = testErrors('fail');
  const r = createReader(from, { source: 'in', errors });
  const w = createWriter(to, { inputFormat: from, ...wopts });
  let out = '';
  let p = 0;
  let i = 0;
  while (p < text.length) {
    const n = sizes.length ? Math.max(1, sizes[i++ % sizes.length]!) : text.length;
    out += w.write(r.feed(text.slice(p, p + n)));
    p += n;
  }
  out += w.write(r.end()) + w.end();
  return out;
}

const chunkSizes = fc.array(fc.integer({ min: 1, max: 70000 }), { minLength: 1, maxLength: 20 });

describe('round trips', () => {
  it('flights CSV → NDJSON → CSV is byte-identical, in random-sized chunks', () => {
    const csv = fixture('flights-20k.csv');
    const ndjson = fixture('flights-20k.ndjson');
    fc.assert(
      fc.property(chunkSizes, chunkSizes, (a, b) => {
        const nd = convert(csv, 'csv', 'ndjson', a);
        expect(nd).toBe(ndjson);
        expect(convert(nd, 'ndjson', 'csv', b)).toBe(csv);
      }),
      { numRuns: 4 },
    );
  });

  it('tricky.csv (odd header names, quotes, commas, newlines, empty cells, 1.50, 02134, -0, 1e3) CSV → CSV is byte-identical', () => {
    const csv = fixture('tricky.csv');
    expect(csv).toContain('Cost Total $');
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 10 }), (sizes) => {
        expect(convert(csv, 'csv', 'csv', sizes)).toBe(csv);
      }),
      { numRuns: 50 },
    );
    // the same through NDJSON keeps every value (numbers as written)
    const nd = convert(csv, 'csv', 'ndjson', []);
    expect(nd.split('\n')[0]).toBe(
      '{"id":1,"Cost Total $":1.50,"a,b":"x,y","note":"she said \\"no\\"","zip":"02134","say \\"hi\\"":-0,"empty":null,"__proto__":"p"}',
    );
  });

  it('CRLF CSV comes back with LF line ends and nothing else changed', () => {
    const csv = fixture('tricky.csv');
    const crlf = csv.replace(/\n/g, '\r\n');
    // line ends inside quoted fields are data and stay CRLF; record ends become LF
    const out = convert(crlf, 'csv', 'csv', [7, 13]);
    const expected = convert(crlf, 'csv', 'csv', []);
    expect(out).toBe(expected);
    expect(out.split('\n')[0]).toBe(csv.split('\n')[0]);
    expect(out.endsWith('x\n')).toBe(true);
  });

  it('NDJSON with an integer beyond 2^53 round-trips, also after a change', () => {
    const line = '{"id":123456789012345678901234567890,"n":9007199254740993,"x":1}';
    const errors = testErrors('fail');
    const r = createReader('ndjson', { source: '-', errors });
    const recs = r.feed(line + '\n');
    for (const rec of recs) {
      markChanged(rec);
      setField(rec, 'x', 2);
    }
    const out = createWriter('ndjson', { inputFormat: 'ndjson' }).write(recs);
    expect(out).toBe('{"id":123456789012345678901234567890,"n":9007199254740993,"x":2}\n');
    expect(createWriter('csv', { inputFormat: 'ndjson' }).write(recs)).toBe('id,n,x\n123456789012345678901234567890,9007199254740993,2\n');
  });
});

describe('format choice', () => {
  it('sniffs the first non-blank character after a BOM', () => {
    expect(sniffFormat('{"a":1}')).toBe('ndjson');
    expect(sniffFormat('\ufeff \r\n\t {"a":1}')).toBe('ndjson');
    expect(sniffFormat('a,b\n1,2')).toBe('csv');
    expect(sniffFormat('\ufeff"{a}",b')).toBe('csv');
    expect(sniffFormat('')).toBe('csv');
  });

  it('maps file extensions to formats', () => {
    expect(formatFromPath('x/data.ndjson')).toBe('ndjson');
    expect(formatFromPath('data.JSONL')).toBe('ndjson');
    expect(formatFromPath('data.json')).toBe('json');
    expect(formatFromPath('data.csv')).toBe('csv');
    expect(formatFromPath('data.tsv')).toBe('tsv');
    expect(formatFromPath('data.tab')).toBe('tsv');
    expect(formatFromPath('data.txt')).toBeUndefined();
    expect(formatFromPath('-')).toBeUndefined();
    expect(formatFromPath('csv')).toBeUndefined();
  });

  it('createReader uses a tab for TSV and the given delimiter otherwise', () => {
    const errors = testErrors();
    expect(createReader('tsv', { source: '-', errors }).feed('a\tb\n1\t2\n')).toMatchObject([{ a: 1, b: 2 }]);
    expect(createReader('csv', { source: '-', errors, delimiter: '|' }).feed('a|b\n1|2\n')).toMatchObject([{ a: 1, b: 2 }]);
    expect(createWriter('tsv', {}).write([{ a: 1, b: 'x y' }])).toBe('a\tb\n1\tx y\n');
  });
});

describe('table writer', () => {
  const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

  it('aligns columns, right-aligns numbers, prints each batch at once', () => {
    const w = createWriter('table', { color: false });
    const first = w.write([
      { name: 'Alice', n: 5, note: 'x' },
      { name: 'Bo', n: 1234, note: null },
    ]);
    expect(first).toBe('name      n  note\nAlice     5  x\nBo     1234  -\n');
    // same widths: no new header
    expect(w.write([{ name: 'Cy', n: new NumText(1.5, '1.50'), note: 'a\nb' }])).toBe('Cy     1.50  a\\nb\n');
    // a wider value: a blank line and a new header with wider columns
    expect(w.write([{ name: 'Dorothea', n: 1, note: 'y' }])).toBe('\nname         n  note\nDorothea     1  y\n');
    // other fields: a new block
    expect(w.write([{ k: true, v: { a: [1] } }])).toBe('\nk     v\ntrue  {"a":[1]}\n');
    expect(w.end()).toBe('');
  });

  it('emphasises the header only when colour is on', () => {
    const plain = createWriter('table', { color: false }).write([{ a: 1 }]);
    const coloured = createWriter('table', { color: true }).write([{ a: 1 }]);
    expect(plain).not.toMatch(/\x1b\[/);
    expect(coloured).toMatch(/\x1b\[1ma\x1b\[22m/);
    expect(strip(coloured)).toBe(plain);
  });

  it('measures wide characters by terminal columns', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('中文')).toBe(4);
    expect(displayWidth('é')).toBe(1);
    expect(displayWidth('e\u0301')).toBe(1);
    const out = createWriter('table', {}).write([
      { a: '中文', b: 1 },
      { a: 'abcde', b: 2 },
    ]);
    expect(out).toBe('a      b\n中文   1\nabcde  2\n');
  });

  it('measures CJK and emoji as two columns, joined emoji sequences as one glyph', () => {
    const cases: Array<[string, number]> = [
      ['日本語', 6], ['한국어', 6], ['ＡＢ', 4], ['ｶﾅ', 2], ['€½é', 3],
      ['🚀', 2], ['✅', 2], ['⚡', 2], ['😀', 2], ['🥳', 2], ['🫠', 2], ['❤', 1], ['❤\ufe0f', 2],
      ['👍🏽', 2], ['👨\u200d👩\u200d👧', 2], ['🇯🇵', 2], ['a🚀b', 4], ['x\u200by', 2],
    ];
    for (const [text, w] of cases) expect(displayWidth(text), JSON.stringify(text)).toBe(w);
  });

  it('aligns columns holding CJK text and emoji by display width', () => {
    const recs = [
      { name: '日本語', n: 1, tag: 'a' },
      { name: '🚀🎉', n: 22, tag: 'b' },
      { name: 'ab', n: 333, tag: 'c' },
      { name: '✅ ok', n: 4, tag: 'd' },
    ];
    const out = createWriter('table', { color: false }).write(recs);
    expect(out).toBe(
      [
        'name      n  tag',
        '日本語    1  a',
        '🚀🎉     22  b',
        'ab      333  c',
        '✅ ok     4  d',
        '',
      ].join('\n'),
    );
    // every line puts its last column at the same display column
    const lines = out.split('\n').filter((l) => l !== '');
    const starts = lines.map((l) => displayWidth(l.slice(0, l.lastIndexOf('  ') + 2)));
    expect(new Set(starts).size).toBe(1);
  });

  it('keeps each record on one line and shows records in order (property)', () => {
    const recs = fc.array(
      fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.constant(null)), { minKeys: 1 }),
      { maxLength: 20 },
    );
    fc.assert(
      fc.property(recs, (rs: Rec[]) => {
        const out = createWriter('table', {}).write(rs);
        const lines = out.split('\n');
        expect(lines.pop()).toBe('');
        // one line per record, plus per block a header line and (but the first) a blank line
        let headers = 0;
        let prev: string | undefined;
        for (const r of rs) {
          const k = Object.keys(r).join('\u0000');
          if (k !== prev) headers++;
          prev = k;
        }
        expect(lines.length).toBe(rs.length + headers + Math.max(0, headers - 1));
        expect(lines.filter((l) => l === '').length).toBeGreaterThanOrEqual(Math.max(0, headers - 1));
      }),
      { numRuns: 200 },
    );
  });
});
