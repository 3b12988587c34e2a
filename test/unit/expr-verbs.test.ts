/**
 * The `filter` and `map` verbs as stages, and field names that shadow
 * Object.prototype members.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/engine/errors.js';
import type { Rec, Stage } from '../../src/engine/types.js';
import { noteNumText, NumText, rawOf, setField, setRaw, stringifyRecord } from '../../src/engine/values.js';
import { compileAssignments } from '../../src/expr/index.js';
import { filter } from '../../src/verbs/filter.js';
import { map } from '../../src/verbs/map.js';
import { collector, testCtx } from '../helpers/ctx.js';

function build(verb: typeof filter, args: string[]): { stage: Stage; out: ReturnType<typeof collector> } {
  const inst = verb.parse(args);
  const out = collector();
  const stage = inst.build(out, testCtx(), { verbs: [inst], index: 0 });
  return { stage, out };
}

/** A record as a reader makes it: parsed JSON with its RAW text. */
function readRec(line: string): Rec {
  const r = JSON.parse(line) as Rec;
  setRaw(r, line);
  return r;
}

describe('filter verb', () => {
  it('keeps matching records, compacting the same batch array', () => {
    const { stage, out } = build(filter, ['delay > 60']);
    const batch: Rec[] = [{ delay: 61 }, { delay: 5 }, { delay: 90 }, {}, { delay: '100' }];
    const keep = [batch[0], batch[2]];
    stage.push(batch);
    expect(out.batches.length).toBe(1);
    expect(out.batches[0]).toBe(batch); // the same array, truncated
    expect(batch.length).toBe(2); // '100' is text: compared as text, "100" < "60"
    expect(out.records[0]).toBe(keep[0]);
    expect(out.records[1]).toBe(keep[1]);
  });

  it('does not pass an empty batch on; passes watermark and end', () => {
    const { stage, out } = build(filter, ['x == 1']);
    stage.push([{ x: 2 }, { x: 3 }]);
    expect(out.batches.length).toBe(0);
    stage.watermark(42);
    stage.end();
    expect(out.watermarks).toEqual([42]);
    expect(out.ended).toBe(true);
  });

  it('joins words into one expression, and an expression may start with -', () => {
    const { stage, out } = build(filter, ['-delay', '>', '5']);
    stage.push([{ delay: -10 }, { delay: 10 }]);
    expect(out.records).toEqual([{ delay: -10 }]);
    const inst = filter.parse(['-delay > 5 && origin ~ "^S"']);
    expect(inst.needs).toEqual(['delay', 'origin']);
    expect(inst.recordWise).toBe(true);
    expect(inst.explain).toEqual({ expr: '-delay > 5 && origin ~ "^S"' });
  });

  it('keeps RAW on records it passes (filter changes nothing)', () => {
    const { stage, out } = build(filter, ['a > 0']);
    stage.push([readRec('{"a": 1.50}')]);
    expect(rawOf(out.records[0]!)).toBe('{"a": 1.50}');
  });

  it('rejects a missing or bad expression as a usage error with a caret', () => {
    expect(() => filter.parse([])).toThrow(UsageError);
    try {
      filter.parse(['delay >', '(60']);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      expect((e as UsageError).message).toBe("filter: syntax error: expected ')' at column 12");
      expect((e as UsageError).detail).toBe('delay > (60\n           ^');
    }
    expect(() => filter.parse(['--delay', '>', '5'])).toThrow(/unknown option/);
  });
});

describe('map verb', () => {
  it('assigns left to right, each seeing the ones before; nested paths create objects', () => {
    const { stage, out } = build(map, ['h = delay / 60; late = h > 1; route.from = lower(origin); route.to.x = 1']);
    stage.push([{ delay: 90, origin: 'SFO' }]);
    expect(out.records).toEqual([{ delay: 90, origin: 'SFO', h: 1.5, late: true, route: { from: 'sfo', to: { x: 1 } } }]);
    expect(Object.keys(out.records[0]!)).toEqual(['delay', 'origin', 'h', 'late', 'route']);
  });

  it('replaces existing fields in place (key order kept) and marks the record changed', () => {
    const { stage, out } = build(map, ['a = a * 2']);
    const r = readRec('{"a":1,"b":2}');
    stage.push([r]);
    expect(rawOf(r)).toBeUndefined();
    expect(stringifyRecord(r)).toBe('{"a":2,"b":2}');
  });

  it('an unchanged field keeps its value object and the record its RAW text', () => {
    const n = new NumText(1.5, '1.50');
    noteNumText(); // as a reader does when it makes one
    const r: Rec = { a: n, s: 'x' };
    setRaw(r, '{"a":1.50,"s":"x"}');
    const { stage } = build(map, ['a = a; s = "x"; a = coalesce(a, 0)']);
    stage.push([r]);
    expect(r.a).toBe(n);
    expect(rawOf(r)).toBe('{"a":1.50,"s":"x"}');
    // a change to any field clears RAW but leaves other value objects alone
    const { stage: s2 } = build(map, ['b = a']);
    s2.push([r]);
    expect(rawOf(r)).toBeUndefined();
    expect(r.a).toBe(n);
    expect(r.b).toBe(n);
    expect(stringifyRecord(r)).toBe('{"a":1.50,"s":"x","b":1.50}');
  });

  it('a missing value is assigned as null, not left out', () => {
    const { stage, out } = build(map, ['x = nope']);
    stage.push([{}]);
    expect(out.records).toEqual([{ x: null }]);
    expect(JSON.stringify(out.records[0])).toBe('{"x":null}');
  });

  it('copies objects, so two fields never share one', () => {
    const { stage, out } = build(map, ['b = u; u.x = 2']);
    stage.push([{ u: { x: 1 } }]);
    expect(out.records).toEqual([{ u: { x: 2 }, b: { x: 1 } }]);
  });

  it('a nested assignment copies the objects on its path, so records sharing them are not changed', () => {
    const { stage, out } = build(map, ['u.v.x = n; __proto__.y = n']);
    const shared = JSON.parse('{"v":{"x":0,"k":1},"w":{}}');
    const proto = JSON.parse('{"__proto__":{"z":1}}');
    const recs = [1, 2].map((n) => JSON.parse(`{"n":${n}}`) as Rec);
    for (const r of recs) {
      r.u = shared;
      setField(r, '__proto__', proto.__proto__);
    }
    stage.push(recs);
    expect(out.records.map((r) => (r.u as Rec).v)).toEqual([{ x: 1, k: 1 }, { x: 2, k: 1 }]);
    expect(out.records.map((r) => Object.getOwnPropertyDescriptor(r, '__proto__')!.value)).toEqual([{ z: 1, y: 1 }, { z: 1, y: 2 }]);
    expect(shared).toEqual({ v: { x: 0, k: 1 }, w: {} });
    expect(out.records[0]!.u).not.toBe(shared);
    expect((out.records[0]!.u as Rec).w).toBe(shared.w);
  });

  it('reports fields read and targets', () => {
    const c = compileAssignments('a.b = x + y; `c d` = a.b', 'map');
    expect(c.fields).toEqual(['x', 'y', 'a.b']);
    expect(c.targets).toEqual(['a.b', '`c d`']);
    expect(map.parse(['z = q']).needs).toEqual(['q']);
  });

  it('rejects bad assignments with a caret', () => {
    const cases: Array<[string, RegExp, number]> = [
      ['x == 1', /expected '='/, 3],
      ['x = ', /unexpected end/, 5],
      ['x = 1 y = 2', /unexpected 'y'.*separate assignments with ';'/, 7],
      ['1 = 2', /expected a field name/, 1],
      ['in = 2', /keyword/, 1],
      [';;', /expected an assignment/, 3],
    ];
    for (const [text, re, col] of cases) {
      try {
        map.parse([text]);
        throw new Error(`no error for ${text}`);
      } catch (e) {
        expect(e, text).toBeInstanceOf(UsageError);
        expect((e as UsageError).message, text).toMatch(re);
        expect((e as UsageError).message, text).toMatch(new RegExp(`column ${col}\\b`));
        expect((e as UsageError).detail, text).toBe(`${text}\n${' '.repeat(col - 1)}^`);
      }
    }
    expect(() => map.parse([])).toThrow(UsageError);
  });
});

describe('fields named like Object.prototype members', () => {
  const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

  it('filter and map read and write them like any other field', () => {
    for (const name of names) {
      const rec = JSON.parse(`{"${name}": 5, "other": 1}`) as Rec;
      const absent: Rec = { other: 1 };
      const f = build(filter, [`${name} > 3`]);
      f.stage.push([rec, absent]);
      expect(f.out.records, name).toEqual([rec]);
      const ex = build(filter, [`exists(${name})`]);
      ex.stage.push([{ other: 1 }]);
      expect(ex.out.records, name).toEqual([]);
      const m = build(map, [`${name} = ${name} + 1; copy = ${name}; n.${name}.x = 2`]);
      m.stage.push([rec]);
      expect(Object.prototype.hasOwnProperty.call(rec, name)).toBe(true);
      expect(rec[name], name).toBe(6);
      expect(rec.copy, name).toBe(6);
      expect(JSON.parse(stringifyRecord(rec))).toEqual(JSON.parse(`{"${name}":6,"other":1,"copy":6,"n":{"${name}":{"x":2}}}`));
    }
  });

  it("map '__proto__ = 1' changes only that record's own field", () => {
    const a: Rec = { x: 1 };
    const b: Rec = { x: 2 };
    const protoBefore = Object.getPrototypeOf(a);
    const { stage, out } = build(map, ['__proto__ = 1; constructor = "c"; toString = 3']);
    stage.push([a]);
    expect(out.records[0]).toBe(a);
    expect(Object.getPrototypeOf(a)).toBe(protoBefore);
    expect(stringifyRecord(a)).toBe('{"x":1,"__proto__":1,"constructor":"c","toString":3}');
    // nothing leaked to other records or to Object.prototype
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Rec).toString).toBe(Object.prototype.toString);
    expect(b).toEqual({ x: 2 });
    expect(Object.getPrototypeOf(b)).toBe(Object.prototype);
    expect('__proto__' in b && Object.prototype.hasOwnProperty.call(b, '__proto__')).toBe(false);
    // nested writes through __proto__ create a data field, not a prototype change
    const c: Rec = {};
    const m2 = build(map, ['__proto__.polluted = 1; `__proto__`.y = 2']);
    m2.stage.push([c]);
    expect(({} as Rec).polluted).toBeUndefined();
    expect(stringifyRecord(c)).toBe('{"__proto__":{"polluted":1,"y":2}}');
  });

  it('a record whose __proto__ field is an object is read as data', () => {
    const rec = JSON.parse('{"__proto__": {"admin": true}, "a": 1}') as Rec;
    const f = build(filter, ['__proto__.admin == true && admin == null']);
    f.stage.push([rec]);
    expect(f.out.records).toEqual([rec]);
    const r2: Rec = {};
    setField(r2, 'toString', 'x');
    const f2 = build(filter, ['toString == "x" && len(toString) == 1']);
    f2.stage.push([r2, {}]);
    expect(f2.out.records).toEqual([r2]);
  });
});
