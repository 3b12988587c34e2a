import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { join } from '../../src/verbs/join.js';
import { EVENT_TIME, NumText, rawOf, setField, textOf } from '../../src/engine/values.js';
import { InputError, RuntimeError, UsageError } from '../../src/engine/errors.js';
import { NdjsonReader } from '../../src/formats/ndjson.js';
import { collector, testCtx, testErrors } from '../helpers/ctx.js';
import type { Rec } from '../../src/engine/types.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-join-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
/** Write a table file and return its path. */
function table(text: string, ext = 'csv'): string {
  const p = path.join(dir, `t${n++}.${ext}`);
  fs.writeFileSync(p, text);
  return p;
}

/** NDJSON lines → records (with RAW, as the reader makes them). */
function recs(...lines: string[]): Rec[] {
  const r = new NdjsonReader({ source: '-', errors: testErrors('fail') });
  return [...r.feed(lines.join('\n') + '\n'), ...r.end()];
}

/** Run join with these arguments over the batches; returns output fields and the context. */
function run(args: string[], batches: Rec[][], mode: 'fail' | 'skip' = 'skip') {
  const ctx = testCtx(0, mode);
  const out = collector();
  const stage = join.parse(args).build(out, ctx, { verbs: [], index: 0 });
  for (const b of batches) stage.push(b);
  stage.end();
  return { out, ctx, fields: out.records.map((r) => Object.fromEntries(Object.entries(r))) };
}

const users = () => table('id,name,team\n7,Ann,red\n8,Bob,blue\n7,Cy,green\n,Nul,none\n');

describe('join (lookup join)', () => {
  it('inner: one output per matching row in table order, table fields after the record, clashes prefixed', () => {
    const t = users();
    const { fields, out } = run([t, '--on', 'id'], [recs('{"id":7,"name":"x"}', '{"id":9,"name":"y"}', '{"id":8}', '{"id":null}', '{"name":"no id"}')]);
    expect(fields).toEqual([
      { id: 7, name: 'x', right_name: 'Ann', team: 'red' },
      { id: 7, name: 'x', right_name: 'Cy', team: 'green' },
      { id: 8, name: 'Bob', team: 'blue' },
    ]);
    expect(Object.keys(out.records[0]!)).toEqual(['id', 'name', 'right_name', 'team']);
    // changed records lose their RAW text, so writers re-serialise them
    expect(out.records.map(rawOf)).toEqual([undefined, undefined, undefined]);
    expect(out.ended).toBe(true);
  });

  it('matches keys by text: 7 matches "7", 7.0 does not; null keys never match', () => {
    const t = table('{"k":"7","v":"seven"}\n{"k":7.0,"v":"seven point oh"}\n{"k":null,"v":"null"}\n{"k":"","v":"empty"}\n', 'ndjson');
    const { fields } = run([t, '--on', 'k'], [recs('{"k":7}', '{"k":"7.0"}', '{"k":null}', '{"k":""}', '{}')]);
    expect(fields).toEqual([
      { k: 7, v: 'seven' },
      { k: '7.0', v: 'seven point oh' },
      { k: '', v: 'empty' },
    ]);
    expect(textOf(new NumText(7, '7.0'))).toBe('7.0');
  });

  it('left gives unmatched records the table fields as null (issue 10 item 3); semi keeps matched ones once, unchanged; anti keeps unmatched', () => {
    const t = users();
    const input = () => [recs('{"id":7}', '{"id":9}', '{"id":8,"x":1}', '{}', '{"id":10,"name":"z"}')];
    const left = run([t, '--on', 'id', '--type', 'left'], input());
    expect(left.fields).toEqual([
      { id: 7, name: 'Ann', team: 'red' },
      { id: 7, name: 'Cy', team: 'green' },
      { id: 9, name: null, team: null },
      { id: 8, x: 1, name: 'Bob', team: 'blue' },
      { name: null, team: null },
      { id: 10, name: 'z', right_name: null, team: null },
    ]);
    // A changed record is written from its fields, not its input text.
    expect(rawOf(left.out.records[2]!)).toBe(undefined);
    const semi = run([t, '--on', 'id', '--type', 'semi'], input());
    expect(semi.fields).toEqual([{ id: 7 }, { id: 8, x: 1 }]);
    expect(semi.out.records.map(rawOf)).toEqual(['{"id":7}', '{"id":8,"x":1}']);
    const anti = run([t, '--on', 'id', '--type', 'anti'], input());
    expect(anti.fields).toEqual([{ id: 9 }, {}, { id: 10, name: 'z' }]);
  });

  it('never pushes an empty batch', () => {
    const t = users();
    for (const type of ['inner', 'semi', 'anti', 'left']) {
      const { out } = run([t, '--on', 'id', '--type', type], [recs('{"id":1}'), recs('{"id":7}'), []].slice(type === 'left' ? 2 : 0));
      for (const b of out.batches) expect(b.length).toBeGreaterThan(0);
    }
  });

  it('composite keys with KEY=FILEKEY pairs; nested stream keys; parts cannot run together', () => {
    const t = table('a,b,val\n1,23,one-23\n12,3,twelve-3\nx,,nul\n');
    const { fields } = run(
      [t, '--on', 'p.q=a, r=b'],
      [recs('{"p":{"q":1},"r":23}', '{"p":{"q":12},"r":3}', '{"p":{"q":1},"r":3}', '{"p":{"q":"x"},"r":null}')],
    );
    expect(fields).toEqual([
      { p: { q: 1 }, r: 23, val: 'one-23' },
      { p: { q: 12 }, r: 3, val: 'twelve-3' },
    ]);
  });

  it('--prefix, repeated when the prefixed name is taken too; backticked odd names', () => {
    const t = table('Cost Key,v,x_v\n1,a,b\n');
    const { fields } = run([t, '--on', '`the key`=`Cost Key`', '--prefix', 'x_'], [recs('{"the key":1,"v":0,"x_v":0}')]);
    expect(fields).toEqual([{ 'the key': 1, v: 0, x_v: 0, x_x_v: 'a', x_x_x_v: 'b' }]);
  });

  it('__proto__ and constructor are ordinary keys and fields', () => {
    const t = table('__proto__,constructor\nk,c1\n');
    const { out } = run([t, '--on', 'key=__proto__'], [recs('{"key":"k","constructor":0}')]);
    const r = out.records[0]!;
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
    expect(Object.entries(r)).toEqual([
      ['key', 'k'],
      ['constructor', 0],
      ['right_constructor', 'c1'],
    ]);
  });

  it('copies the event time of a record that matches several rows', () => {
    const t = users();
    const r = recs('{"id":7}')[0]!;
    (r as { [EVENT_TIME]?: number })[EVENT_TIME] = 1234;
    const { out } = run([t, '--on', 'id'], [[r]]);
    expect(out.records.map((x) => (x as { [EVENT_TIME]?: number })[EVENT_TIME])).toEqual([1234, 1234]);
  });

  it('usage errors come at parse time: no file, missing file, unknown key, bad type, no --on', () => {
    const t = users();
    const bad: Array<[string[], RegExp]> = [
      [[], /name the table file/],
      [[path.join(dir, 'missing.csv'), '--on', 'id'], /cannot read .*missing\.csv: no such file/],
      [[dir, '--on', 'id'], /cannot read .*: is a directory/],
      [[t, '--on', 'idd'], /has no field 'idd'/],
      [[t, '--on', 'x=nope'], /has no field 'nope'/],
      [[t, '--on', 'id', '--type', 'outer'], /outer/],
      [[t], /--on KEY\[=FILEKEY\] is required/],
      [[t, '--on', '=id'], /bad key/],
      [[t, t, '--on', 'id'], /one table file/],
      [['-', '--on', 'id'], /not stdin/],
      [[t, '--on', 'id', '--prefix', ''], /--prefix cannot be empty/],
      [[t, '--on', 'id', '--format', 'xml'], /xml/],
    ];
    for (const [args, re] of bad) {
      expect(() => join.parse(args), args.join(' ')).toThrow(UsageError);
      expect(() => join.parse(args), args.join(' ')).toThrow(re);
    }
  });

  it("the table's malformed rows follow --on-error, with the table as their source", () => {
    const t = table('id,v\n1,a\n2\n3,c\n4,d,extra\n');
    const skip = run([t, '--on', 'id'], [recs('{"id":1}', '{"id":2}', '{"id":3}', '{"id":4}')]);
    expect(skip.fields).toEqual([
      { id: 1, v: 'a' },
      { id: 3, v: 'c' },
    ]);
    expect(skip.ctx.errorsSink.rejected.map((r) => [r.source, r.line])).toEqual([
      [t, 3],
      [t, 5],
    ]);
    const inst = join.parse([t, '--on', 'id']);
    expect(() => inst.build(collector(), testCtx(0, 'fail'), { verbs: [], index: 0 })).toThrow(InputError);
  });

  it('a duplicate header name in the table is a runtime error at build time', () => {
    const t = table('id,v,v\n1,2,3\n');
    const inst = join.parse([t, '--on', 'id']);
    expect(() => inst.build(collector(), testCtx(), { verbs: [], index: 0 })).toThrow(RuntimeError);
    expect(() => inst.build(collector(), testCtx(), { verbs: [], index: 0 })).toThrow("duplicate field name 'v'");
  });

  it('left: the null fields are every field of the table (CSV header even with no rows; NDJSON union in order of first appearance)', () => {
    const empty = table('id,name,team\n');
    expect(run([empty, '--on', 'id', '--type', 'left'], [recs('{"id":1}')]).fields).toEqual([{ id: 1, name: null, team: null }]);
    const nd = table('{"k":1,"a":"x"}\n{"k":2,"b":"y"}\n{"k":null,"c":"z"}\n', 'ndjson');
    const r = run([nd, '--on', 'k', '--type', 'left'], [recs('{"k":9}', '{"k":1}')]);
    expect(r.fields).toEqual([{ k: 9, a: null, b: null, c: null }, { k: 1, a: 'x' }]);
    expect(Object.keys(r.out.records[0]!)).toEqual(['k', 'a', 'b', 'c']);
  });

  it('reads the table format by extension, by --format, else by its first character', () => {
    const nd = table('{"k":1,"v":"a"}\n', 'txt');
    expect(run([nd, '--on', 'k'], [recs('{"k":1}')]).fields).toEqual([{ k: 1, v: 'a' }]);
    const tsv = table('k\tv\n1\ta b\n', 'tsv');
    expect(run([tsv, '--on', 'k'], [recs('{"k":1}')]).fields).toEqual([{ k: 1, v: 'a b' }]);
    const tsvAsTxt = table('k\tv\n1\tx\n', 'txt');
    expect(run([tsvAsTxt, '--on', 'k', '--format', 'tsv'], [recs('{"k":1}')]).fields).toEqual([{ k: 1, v: 'x' }]);
    expect(join.parse([tsvAsTxt, '--on', 'k', '--format', 'tsv']).explain).toMatchObject({ format: 'tsv', rows: 1, on: ['k=k'], type: 'inner' });
  });

  it('equals a nested-loop join on random data (property)', () => {
    const key = fc.oneof(fc.constantFrom(1, 2, 3), fc.constantFrom('1', '2', 'x'), fc.constant(null));
    const rowArb = fc.record({ k: key, v: fc.integer({ min: 0, max: 9 }) });
    const recArb = fc.record({ k: key, s: fc.integer({ min: 0, max: 9 }) });
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 8 }), fc.array(recArb, { maxLength: 12 }), fc.constantFrom('inner', 'left', 'semi', 'anti'), (rows, stream, type) => {
        const t = table(rows.map((r) => JSON.stringify(r)).join('\n') + '\n', 'ndjson');
        const input = stream.map((r) => {
          const o: Rec = {};
          for (const [k, v] of Object.entries(r)) setField(o, k, v);
          return o;
        });
        // reference: nested loops, by text
        const expected: Rec[] = [];
        for (const r of input) {
          const matches = r.k === null ? [] : rows.filter((t2) => t2.k !== null && String(t2.k) === String(r.k));
          if (type === 'semi' || type === 'anti') {
            if ((matches.length > 0) === (type === 'semi')) expected.push({ ...r });
          } else if (matches.length === 0) {
            if (type === 'left') expected.push(rows.length > 0 ? { ...r, v: null } : { ...r });
          } else for (const m of matches) expected.push({ ...r, v: m.v });
        }
        const got = run([t, '--on', 'k', '--type', type], [input.map((r) => ({ ...r }))]).fields;
        expect(got).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
