/**
 * Read only what is needed (issue 14 item 7): readers that decode only the
 * fields the pipeline uses must give exactly the output of readers that
 * decode whole records, for any input and any pipeline.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { parseCommand } from '../../src/cli.js';
import { run } from '../../src/engine/run.js';
import { inputFields } from '../../src/engine/projection.js';
import { NdjsonReader } from '../../src/formats/ndjson.js';
import { CsvReader } from '../../src/formats/csv.js';
import { FieldMatcher } from '../../src/formats/fields.js';
import { flatRunEnd, scanSelected } from '../../src/formats/ndjson-select.js';
import { NumText, rawOf, stringifyRecord } from '../../src/engine/values.js';
import { findVerb } from '../../src/verbs/index.js';
import { testErrors } from '../helpers/ctx.js';
import type { Rec } from '../../src/engine/types.js';

let dir: string;
let table: string;
let table2: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sluice-readsel-'));
  table = path.join(dir, 'table.csv');
  // Table fields that clash with stream fields (b, right_a) exercise join's prefix rule.
  writeFileSync(table, 'k,b,right_a,t\n1,tb1,ra1,x\n2,tb2,ra2,y\nx,tbx,rax,z\n');
  // No name with the prefix: the join adds only the fields read after it.
  table2 = path.join(dir, 'table2.csv');
  writeFileSync(table2, 'k,b,t,d\n1,tb1,x,1\n2,tb2,y,2\n2,tb2b,y2,3\nx,tbx,z,4\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run a command line in process on `input`; stdout, stderr and the exit status. */
async function runArgs(argv: string[], input: string, readAll: boolean): Promise<{ out: string; err: string; code: number }> {
  const cmd = parseCommand(argv);
  let out = '';
  let err = '';
  const code = await run({
    ...cmd.options!,
    readAll,
    stdin: Readable.from([input]),
    stdout: new Writable({
      write(c, _e, cb) {
        out += String(c);
        cb();
      },
    }),
    stderr: new Writable({
      write(c, _e, cb) {
        err += String(c);
        cb();
      },
    }),
  });
  return { out, err, code };
}

// ---------------------------------------------------------------- random NDJSON text

const NAMES = ['a', 'b', 'c', 'd', 't', '__proto__', 'constructor', 'x y', 'é', 'right_a', 'right_right_b', 'a.b', 'k'];
const ws = fc.constantFrom('', '', '', '', '', '', '', '', ' ', '\t', ' \r');
const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const numberText = fc
  .record({
    sign: fc.boolean(),
    int: fc.oneof(fc.constant('0'), fc.tuple(fc.constantFrom(...'123456789'), digits(0, 20)).map(([a, b]) => a + b)),
    frac: fc.option(digits(1, 4), { freq: 3 }),
    exp: fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 3)).map((p) => p.join('')), { freq: 3 }),
  })
  .map(({ sign, int, frac, exp }) => (sign ? '-' : '') + int + (frac !== null ? '.' + frac : '') + (exp ?? ''));
/** A JSON string literal: plain, with escapes, with unicode written raw or escaped (lone surrogates too). */
const stringText = fc.oneof(
  fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s)),
  fc.constantFrom('"x"', '"1"', '"60"', '"2001-01-01T00:00:00Z"', '"2001-01-01T05:00:00Z"', '"\\u0041b"', '"q\\"uote"', '"back\\\\slash"', '"\\/\\b\\f\\n\\r\\t"', '"é😀"', '"\\ud83d\\ude00"', '"\\ud800"', '"tb1"', '"right_a"', '"a\\":1"'),
);
const keyText = fc.oneof(fc.constantFrom('a', 'b', 'c', 't'), fc.constantFrom(...NAMES)).chain((n) =>
  fc.constantFrom(JSON.stringify(n), JSON.stringify(n), '"' + [...n].map((ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0')).join('') + '"'),
);
const valueText: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberText,
    stringText,
    fc.constantFrom('true', 'false', 'null', '1', '2', '70', '-5', '0'),
    fc.array(tie('v'), { maxLength: 3 }).chain((vs) => ws.map((w) => `[${w}${vs.join(w + ',' + w)}${w}]`)),
    fc.array(fc.tuple(keyText, tie('v')), { maxLength: 3 }).map((ps) => `{${ps.map(([k, v]) => `${k}:${v}`).join(',')}}`),
  ),
})).v;
const objectLine = fc
  .tuple(fc.array(fc.tuple(keyText, valueText, ws, ws), { maxLength: 6 }), ws, ws)
  .map(([pairs, w1, w2]) => `${w1}{${pairs.map(([k, v, a, b]) => `${a}${k}${b}:${a}${v}${b}`).join(',')}}${w2}`);
/** Compact flat objects (the scanner's fast path), often with duplicate keys. */
const flatValue = fc.oneof(numberText, fc.constantFrom('"x"', '"60"', '""', '"é😀"', '"2001-01-01T00:00:00Z"', 'true', 'false', 'null', '7', '0', '-1'));
const flatLine = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom('a', 'b', 'c', 't'), fc.constantFrom(...NAMES)), flatValue), { maxLength: 6 })
  .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`);
const badLine = fc.constantFrom('{"a":1,}', '{"a":01}', '[1,2]', '"text"', '{"a":1', '{"a":tru}', '{"a":"\t"}', '   ', '', '{"a":1}x', '{"a":-}', '{"a":1.}', '{"a":"\\x"}', '{"a":1}\r', '{"a":[1,]}', '{"a" 1}');
const ndjsonText = fc.array(fc.oneof({ weight: 5, arbitrary: objectLine }, { weight: 5, arbitrary: flatLine }, { weight: 1, arbitrary: badLine }), { minLength: 1, maxLength: 12 }).map((ls) => ls.join('\n') + '\n');

/** Pipelines over the field names above (each part a verb's words). */
const verbWords = fc.constantFrom(
  ['filter', 'a > 1'],
  ['filter', 'exists(b) || c == "x"'],
  ['filter', '`x y` != null || a.b == 1'],
  ['filter', '__proto__ == 1 || constructor != null'],
  ['map', 'z = a'],
  ['map', 'a = a'],
  ['map', 'b = 1'],
  ['select', 'a,c'],
  ['select', 'a.b,é'],
  ['agg', 'count, first(a), last(b), collect(c), max(d)', 'by', 'b'],
  ['agg', 'count, collect(__proto__), distinct(right_a)', 'by', 'k'],
  ['agg', 'count'],
  ['head', '3'],
  ['head', '1', '--by', 'a'],
  ['sort', 'a'],
  ['sort', 'b', 'desc', 'then', 'head', '2'],
  ['JOIN', '--on', 'k'],
  ['JOIN', '--on', 'a=k', '--type', 'left'],
  ['JOIN', '--on', 'k', '--type', 'semi'],
  ['JOIN2', '--on', 'a=k', 'then', 'agg', 'count, collect(t)', 'by', 'b'],
  ['JOIN2', '--on', 'k', '--type', 'left', 'then', 'agg', 'count, first(right_b), last(d)', 'by', 't'],
  ['JOIN2', '--on', 'k', 'then', 'JOIN2', '--on', 'a=k', '--prefix', 'x_', 'then', 'agg', 'count', 'by', 'x_b, right_t'],
  ['window', 'count', '2', 'then', 'agg', 'count, collect(a)'],
  ['window', 'count', '2'],
  ['window', 'tumbling', '1h', '--time', 't', 'then', 'agg', 'count', 'by', 'a'],
  ['window', 'tumbling', '1h', '--time', 'c', '--lateness', '1d'],
  ['rename', 'a=q'],
  ['top', '2', 'a'],
  ['top', '1', 'c', 'asc', '--by', 'b'],
  ['tail', '2', '--by', 'b'],
  ['tail', '1'],
  ['sample', '2', '--seed', '1'],
  ['uniq', 'a,b'],
  ['uniq', 'b', '--count'],
  ['uniq'],
);
const pipeline = fc.array(verbWords, { maxLength: 3 });
const mainOpts = fc.constantFrom<string[]>([], [], ['-o', 'csv'], ['-o', 'json'], ['--on-error', 'skip'], ['-o', 'table']);

function argvOf(parts: string[][], opts: string[], input: string[]): string[] {
  const argv: string[] = [];
  parts.forEach((p, i) => {
    if (i > 0) argv.push('then');
    for (const w of p) {
      if (w === 'JOIN' || w === 'JOIN2') argv.push('join', w === 'JOIN' ? table : table2);
      else argv.push(w);
    }
  });
  return [...input, ...argv, ...opts];
}

/** Values as plain data, numbers by value (NumText keeps the text). */
const plain = (v: unknown): unknown =>
  v instanceof NumText ? v.value : Array.isArray(v) ? v.map(plain) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;

/**
 * scanSelected(line) with the selection `m` of `names` gives JSON.parse's
 * object restricted to those names (same keys in the same order, same
 * values), or null exactly when JSON.parse gives no object.
 */
function expectJsonParseOf(line: string, m: FieldMatcher, names: readonly string[]): void {
  let expected: unknown;
  try {
    expected = JSON.parse(line);
  } catch {
    expected = undefined;
  }
  const got = scanSelected(line, m, (t) => JSON.parse(t));
  if (expected === undefined || typeof expected !== 'object' || expected === null || Array.isArray(expected)) {
    expect(got).toBe(null);
    return;
  }
  expect(got).not.toBe(null);
  expect(Object.keys(got!)).toEqual(Object.keys(expected).filter((k) => names.includes(k)));
  for (const k of Object.keys(got!)) expect(plain(got![k])).toEqual((expected as Record<string, unknown>)[k]);
}

describe('reading only the needed fields gives the output of reading whole records', () => {
  it('NDJSON: random lines (escapes, unicode, duplicate keys, nesting, exponents, __proto__, malformed) and random pipelines', async () => {
    await fc.assert(
      fc.asyncProperty(ndjsonText, pipeline, mainOpts, async (text, parts, opts) => {
        const argv = argvOf(parts, [...opts, ...(opts.includes('--on-error') ? [] : ['--on-error', 'warn'])], ['-i', 'ndjson']);
        const full = await runArgs(argv, text, true);
        const sel = await runArgs(argv, text, false);
        expect(sel).toEqual(full);
      }),
      { numRuns: Number(process.env.READSEL_RUNS ?? 400) },
    );
  }, 60_000);

  it('CSV: random rows (quotes, empty cells, numbers, wrong field counts) and random pipelines', async () => {
    const cell = fc.oneof(fc.constantFrom('', '1', '2', '70', '-0', '1e3', 'x', 'tb1', '1.50', '"q,uote"', '"a ""b"""', 'é'), fc.integer({ min: -5, max: 99 }).map(String));
    const row = fc.array(cell, { minLength: 3, maxLength: 5 }).map((cs) => cs.join(','));
    const header = fc.constantFrom('a,b,c,k', 'k,a,right_a,d', 'b,c,d,__proto__', 'a,x y,b,c');
    const csvText = fc.tuple(header, fc.array(row, { minLength: 1, maxLength: 10 })).map(([h, rs]) => [h, ...rs].join('\n') + '\n');
    await fc.assert(
      fc.asyncProperty(csvText, pipeline, mainOpts, async (text, parts, opts) => {
        const argv = argvOf(parts, [...opts, ...(opts.includes('--on-error') ? [] : ['--on-error', 'warn'])], ['-i', 'csv']);
        const full = await runArgs(argv, text, true);
        const sel = await runArgs(argv, text, false);
        expect(sel).toEqual(full);
      }),
      { numRuns: Number(process.env.READSEL_RUNS ?? 120) },
    );
  }, 60_000);

  it('the scanner gives JSON.parse restricted to the selected fields, or null only for lines JSON.parse rejects or very deep ones', () => {
    const m = new FieldMatcher({ names: NAMES, prefixes: [] });
    fc.assert(
      fc.property(fc.oneof(objectLine, flatLine, badLine), (line) => expectJsonParseOf(line, m, NAMES)),
      { numRuns: 2000 },
    );
  });
});

describe('small selections: each key looked up in a compact flat line, runs of flat lines checked at once', () => {
  /** Keys that hide a selected name's text (`xa":`, `a":` in a value): the search must not take them. */
  const tricky = fc.constantFrom('{"xa":1,"a":2}', '{"ba":"a","a":"b"}', '{"a":"a\\":1"}', '{"a b":1,"b":2}', '{"é":3,"a":"é"}', '{"t":1,"a":2,"t":3}', '{"a":1,"a":2}', '{"__proto__":1,"a":{}}', '{"k":"a\":"}');

  it('scanSelected with 1-3 names gives JSON.parse restricted to them, keys in the line\'s order', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 4, arbitrary: flatLine }, objectLine, badLine, tricky), fc.subarray(NAMES, { minLength: 1, maxLength: 3 }), (line, names) => {
        expectJsonParseOf(line, new FieldMatcher({ names, prefixes: [] }), names);
      }),
      { numRuns: 3000 },
    );
  });

  it('the NDJSON reader with 1-3 names, lines flat or not, CRLF and blank lines, in chunks cut anywhere: the full reader\'s records restricted', () => {
    const lineEnd = fc.constantFrom('\n', '\n', '\n', '\r\n');
    const text = fc
      .array(fc.tuple(fc.oneof({ weight: 8, arbitrary: flatLine }, { weight: 2, arbitrary: objectLine }, badLine, tricky), lineEnd), { minLength: 1, maxLength: 40 })
      .map((ls) => ls.map(([l, e]) => l + e).join(''));
    fc.assert(
      fc.property(text, fc.subarray(NAMES, { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { maxLength: 4 }), (t, names, cuts) => {
        const read = (fields: { names: string[]; prefixes: string[] } | undefined) => {
          const errs = testErrors('skip');
          const r = new NdjsonReader({ source: '-', errors: errs, fields, lineNumbers: true });
          const at = [...new Set(cuts.map((c) => c % (t.length + 1)))].sort((a, b) => a - b);
          const recs: Rec[] = [];
          let from = 0;
          for (const c of [...at, t.length]) {
            recs.push(...r.feed(t.slice(from, c)));
            from = c;
          }
          recs.push(...r.end());
          return { recs: recs.map((x) => ({ raw: rawOf(x), v: plain(Object.fromEntries(Object.entries(x).filter(([k]) => names.includes(k)))) })), errors: errs.count };
        };
        const full = read(undefined);
        const sel = read({ names, prefixes: [] });
        expect(sel).toEqual(full);
      }),
      { numRuns: 1500 },
    );
  });

  it('flat lines too long for the fast path (--max-line-bytes under 3 × their length) cost one run check per chunk, not one per line', () => {
    // Each such line used to end the run of flat lines, so the next line checked the rest of the
    // chunk again: quadratic in the lines of a chunk (--max-line-bytes 200 on the flights: 17× slower).
    const line = '{"delay":61,"o":"A"}\n';
    const text = line.repeat(Math.ceil((4 << 20) / line.length));
    const errs = testErrors('skip');
    const r = new NdjsonReader({ source: '-', errors: errs, fields: { names: ['delay'], prefixes: [] }, maxLineBytes: 40 });
    const t0 = Date.now();
    let n = 0;
    for (let i = 0; i < text.length; i += 256 * 1024) n += r.feed(text.slice(i, i + 256 * 1024)).length;
    n += r.end().length;
    const ms = Date.now() - t0;
    expect(n).toBe(text.length / line.length);
    expect(errs.count).toBe(0);
    // ~0.1 s as it should be; ~15 s with a run check per line.
    expect(ms).toBeLessThan(4000);
  });

  it('one very large chunk of flat lines (24 MiB, 3M lines: past what one regex call can backtrack over) is read in linear time', () => {
    // FLAT_RUN over the whole chunk overflowed its backtrack stack; the fallback then ran it again,
    // to the overflow, from every next line: the reader never finished (0.7 s at 409fb59).
    const line = '{"a":1}\n';
    const text = line.repeat((24 << 20) / line.length);
    const errs = testErrors('skip');
    const r = new NdjsonReader({ source: '-', errors: errs, fields: { names: ['a'], prefixes: [] } });
    const t0 = Date.now();
    const n = r.feed(text).length + r.end().length;
    const ms = Date.now() - t0;
    expect(n).toBe(text.length / line.length);
    expect(errs.count).toBe(0);
    expect(ms).toBeLessThan(20_000);
    // A window cut inside a line: the run stops before that line, which is read whole.
    expect(flatRunEnd(text, 0)).toBeGreaterThan(0);
    expect(flatRunEnd(text, 0) % line.length).toBe(0);
  });
});

describe('reading only the needed fields: whole runs from files', () => {
  it('mixed sources (NDJSON then CSV, CSV then NDJSON), JSON and CSV output, --errors: as with whole records', async () => {
    const nd = path.join(dir, 'm.ndjson');
    const csv = path.join(dir, 'm.csv');
    writeFileSync(nd, '{"a":5,"b":"x","c":[1]}\n{"a":0,"b":"y"}\n{"a":7,"b":"z\\"q"}\n{"a":9,}\n{ "a" : 3 , "b" : 1.50 }\n');
    writeFileSync(csv, 'a,b,c\n4,p,1e3\n0,q,\n6,"r,s",-0\n');
    const cases = [
      ['--from', nd, csv, 'filter', 'a > 1'],
      ['--from', csv, nd, 'filter', 'a > 1'],
      ['--from', nd, csv, 'filter', 'a > 1', '-o', 'json'],
      ['--from', nd, csv, 'filter', 'a > 1', '-o', 'csv'],
      ['--from', nd, 'filter', 'a > 1', '--on-error', 'skip', '--errors', path.join(dir, 'ERR')],
      ['--from', nd, csv, 'agg', 'count, collect(b)', 'by', 'a'],
    ];
    for (const argv of cases) {
      const full = await runArgs(argv.map((w) => w.replace('ERR', 'full.err')), '', true);
      const sel = await runArgs(argv.map((w) => w.replace('ERR', 'sel.err')), '', false);
      expect({ ...sel, err: sel.err.replaceAll('sel.err', 'E') }, argv.join(' ')).toEqual({ ...full, err: full.err.replaceAll('full.err', 'E') });
    }
    expect(readFileSync(path.join(dir, 'sel.err'), 'utf8')).toBe(readFileSync(path.join(dir, 'full.err'), 'utf8'));
    expect(readFileSync(path.join(dir, 'sel.err'), 'utf8')).toContain('"line":4');
  });
});

describe('join adds only the table fields read after it', () => {
  it('prefixed names, left joins, two joins: as with every field added', async () => {
    const input = ['{"a":1,"b":"own","t":"mine"}', '{"a":2,"right_t":"r","right_right_t":"rr"}', '{"a":"x","b":"bx"}', '{"a":3}', '{"a":2,"t":"t2","right_d":0}', '{"a":1,"t":"a","right_t":"b"}'].join('\n') + '\n';
    // Each run against the same with 'flatten' (a no-op here that uses whole records) before its agg: the join then adds every field.
    const runs: Array<[string[], string[]]> = [
      [['join', table2, '--on', 'a=k'], ['agg', 'count, collect(t), collect(right_t), collect(right_right_t), collect(d), collect(right_d)', 'by', 'b']],
      [['join', table2, '--on', 'a=k'], ['agg', 'count, collect(right_t)', 'by', 'right_d']],
      [['join', table2, '--on', 'a=k', '--type', 'left'], ['agg', 'count, collect(right_b), collect(b), collect(right_right_t)', 'by', 't']],
      [['join', table2, '--on', 'a=k', 'then', 'join', table2, '--on', 'a=k', '--prefix', 'x_'], ['agg', 'count, collect(x_t), collect(right_t), collect(x_right_t), collect(x_x_d)', 'by', 'x_b']],
      [['join', table2, '--on', 'a=k', 'then', 'filter', 'd > 1'], ['agg', 'count, collect(t)', 'by', 'right_t']],
    ];
    for (const [joins, agg] of runs) {
      const argv = [...joins, 'then', ...agg];
      const whole = await runArgs([...joins, 'then', 'flatten', 'then', ...agg], input, true);
      const sel = await runArgs(argv, input, false);
      expect(sel, argv.join(' ')).toEqual(whole);
      expect(whole.code).toBe(0);
    }
    const first = await runArgs([...runs[0]![0], 'then', ...runs[0]![1]], input, false);
    expect(first.out).toContain('{"b":"own","count":1,"collect_t":["mine"],"collect_right_t":["x"],"collect_right_right_t":[],"collect_d":[1],"collect_right_d":[]}');
    expect(first.out).toContain('{"b":"tb1","count":1,"collect_t":["a"],"collect_right_t":["b"],"collect_right_right_t":["x"],"collect_d":[1],"collect_right_d":[]}');
  });
});

describe('which fields are decoded', () => {
  const verbs = (...parts: string[][]) => parts.map((p) => findVerb(p[0]!)!.parse(p.slice(1)));
  it('filter alone decodes its fields; unchanged records are copied as read', () => {
    expect(inputFields(verbs(['filter', 'delay > 60']), true)).toEqual({ names: ['delay'], prefixes: [] });
    expect(inputFields(verbs(['filter', 'a.b > 1 && exists(c)']), true)?.names.sort()).toEqual(['a', 'c']);
    expect(inputFields([], true)).toEqual({ names: [], prefixes: [] });
  });
  it('a verb that changes records needs every field when they are written; agg needs only its own', () => {
    expect(inputFields(verbs(['map', 'x = delay * 2']), true)).toBe(null);
    expect(inputFields(verbs(['filter', 'delay > 60']), false)).toBe(null);
    expect(inputFields(verbs(['map', 'x = delay * 2'], ['agg', 'sum(x)', 'by', 'origin']), true)?.names.sort()).toEqual(['delay', 'origin', 'x']);
    expect(inputFields(verbs(['rename', 'a=b'], ['agg', 'count']), true)).toBe(null);
    expect(inputFields(verbs(['filter', 'delay > 60'], ['agg', 'count, avg(delay)', 'by', 'origin']), false)?.names.sort()).toEqual(['delay', 'origin']);
  });
  it('window with --late-output writes late records whole', () => {
    expect(inputFields(verbs(['window', 'tumbling', '1h', '--time', 't', '--late-output', '/tmp/x'], ['agg', 'count']), true)).toBe(null);
    expect(inputFields(verbs(['window', 'tumbling', '1h', '--time', 't'], ['agg', 'count', 'by', 'o']), true)?.names.sort()).toEqual(['o', 't']);
  });
  it('join reads the table fields and the prefix too', () => {
    const sel = inputFields(verbs([`join`, table, '--on', 'a=k'], ['agg', 'count', 'by', 'b']), true)!;
    expect(sel.names.sort()).toEqual(['a', 'b', 'k', 'right_a', 't']);
    expect(sel.prefixes).toEqual(['right_']);
  });
  it('--explain says what is decoded', async () => {
    const cmd = parseCommand(['filter', 'delay > 60', '--explain']);
    expect(cmd.explainText).toContain('decodes: delay');
  });
});

describe('the readers with a field selection', () => {
  it('NDJSON: only the selected fields, RAW kept, malformed lines rejected as by the full reader', () => {
    const errs = testErrors('skip');
    const r = new NdjsonReader({ source: '-', errors: errs, fields: { names: ['b'], prefixes: [] } });
    const text = '{"a":1,"b":"x","c":[1,{"d":2}]}\n{ "b" : 1.50 , "a" : {} }\n{"a":1,}\n{"b":2,"b":3}\n';
    const recs = r.feed(text);
    expect(recs.map((x) => Object.fromEntries(Object.entries(x)))).toEqual([{ b: 'x' }, { b: expect.anything() }, { b: 3 }]);
    expect(stringifyRecord(recs[1]!)).toBe('{"b":1.50}');
    expect(recs.map((x) => rawOf(x))).toEqual(['{"a":1,"b":"x","c":[1,{"d":2}]}', '{ "b" : 1.50 , "a" : {} }', '{"b":2,"b":3}']);
    expect(errs.count).toBe(1);
  });
  it('CSV: only the selected columns on the fast path', () => {
    const r = new CsvReader({ source: '-', errors: testErrors('skip'), delimiter: ',', fields: { names: ['c'], prefixes: [] } });
    const recs = r.feed('a,b,c,d\n1,2,3,4\n5,6,7\n');
    expect(recs.map((x) => Object.fromEntries(Object.entries(x)))).toEqual([{ c: 3 }]);
  });
});
