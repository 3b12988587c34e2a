/**
 * Reshaping verbs (issue 11): explode, flatten, unflatten, fill-down,
 * fill-empty, unsparsify, reorder; nested paths in select, drop and rename.
 */
import { describe, expect, it } from 'vitest';
import { sluice } from '../helpers/run.js';

const out = (args: string[], input: string) => {
  const r = sluice(args, input);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
};

describe('explode', () => {
  it('one record per element; empty arrays give none; non-arrays pass', () => {
    const input = '{"id":1,"t":["a","b"],"z":0}\n{"id":2,"t":[]}\n{"id":3,"t":"x;y"}\n{"id":4}\n';
    expect(out(['explode', 't'], input)).toBe('{"id":1,"t":"a","z":0}\n{"id":1,"t":"b","z":0}\n{"id":3,"t":"x;y"}\n{"id":4}\n');
    expect(out(['explode', 't', '--separator', ';', '--index', 'i'], input)).toBe(
      '{"id":1,"t":"a","z":0,"i":0}\n{"id":1,"t":"b","z":0,"i":1}\n{"id":3,"t":"x","i":0}\n{"id":3,"t":"y","i":1}\n{"id":4}\n',
    );
  });
  it('a nested path; the input object is not shared between outputs', () => {
    expect(out(['explode', 'o.xs', 'then', 'map', 'o.n = o.xs * 2'], '{"o":{"xs":[5,6],"k":1}}\n')).toBe('{"o":{"xs":5,"k":1,"n":10}}\n{"o":{"xs":6,"k":1,"n":12}}\n');
  });
  it('CSV cells split by a separator keep their text', () => {
    expect(out(['--csv', 'explode', 'h', '--separator', '|'], 'id,h\n007,a|b\n')).toBe('id,h\n007,a\n007,b\n');
  });
});

describe('flatten and unflatten', () => {
  const rec = '{"id":1,"user":{"name":"ann","roles":["a","b",[1,{"z":[]}]]},"x":{},"y":[],"n":null}\n';
  it('flatten writes leaves by path, {} and [] as text; unflatten gives the record back', () => {
    expect(out(['flatten'], rec)).toBe('{"id":1,"user.name":"ann","user.roles.0":"a","user.roles.1":"b","user.roles.2.0":1,"user.roles.2.1.z":"[]","x":"{}","y":"[]","n":null}\n');
    expect(out(['flatten', 'then', 'unflatten'], rec)).toBe(rec);
    expect(out(['flatten', '-s', ':', 'then', 'unflatten', '--separator', ':'], rec)).toBe(rec);
  });
  it('CSV output of nested values: JSON text in a cell, or columns after flatten', () => {
    expect(out(['-o', 'csv'], '{"id":1,"u":{"a":1,"b":"x"}}\n')).toBe('id,u\n1,"{""a"":1,""b"":""x""}"\n');
    expect(out(['-o', 'csv', 'flatten'], '{"id":1,"u":{"a":1,"b":"x"}}\n')).toBe('id,u.a,u.b\n1,1,x\n');
  });
  it('records without nested values keep their text', () => {
    expect(out(['--csv', 'flatten'], 'a,b\n1.50,x\n')).toBe('a,b\n1.50,x\n');
  });
  it('unflatten keeps clashing fields flat, never loses a value', () => {
    expect(out(['unflatten'], '{"a.b":1,"a":2,"c.d.e":3,"c.d":4,"p.":5}\n')).toBe('{"a.b":1,"a":2,"c":{"d":{"e":3}},"c.d":4,"p.":5}\n');
  });
  it('__proto__ as a step is an ordinary key', () => {
    expect(out(['unflatten'], '{"__proto__.x":1}\n')).toBe('{"__proto__":{"x":1}}\n');
    expect(out(['flatten'], '{"__proto__":{"x":1}}\n')).toBe('{"__proto__.x":1}\n');
  });
});

describe('fill-down, fill-empty', () => {
  it('fill-down FIELDS fills missing and blank; --only-if-blank only present ones; -a all', () => {
    const input = '{"a":1,"b":2}\n{"a":null}\n{"b":""}\n';
    expect(out(['fill-down', 'a,b'], input)).toBe('{"a":1,"b":2}\n{"a":1,"b":2}\n{"b":2,"a":1}\n');
    expect(out(['fill-down', '-f', 'a,b', '--only-if-blank'], input)).toBe('{"a":1,"b":2}\n{"a":1}\n{"b":2}\n');
    expect(out(['fill-down', '-a'], input)).toBe('{"a":1,"b":2}\n{"a":1}\n{"b":2}\n');
  });
  it('CSV ditto cells', () => {
    expect(out(['--csv', 'fill-down', 'region'], 'region,city\neast,Boston\n,NYC\nwest,LA\n,SF\n')).toBe('region,city\neast,Boston\neast,NYC\nwest,LA\nwest,SF\n');
  });
  it('fill-empty: default N/A, typed value, -S, --only-if-null, nested', () => {
    expect(out(['--csv', 'fill-empty'], 'a,b\n1,\n,x\n')).toBe('a,b\n1,N/A\nN/A,x\n');
    expect(out(['fill-empty', '0'], '{"a":null,"b":"","c":{"d":null},"e":[null,1]}\n')).toBe('{"a":0,"b":0,"c":{"d":0},"e":[0,1]}\n');
    expect(out(['fill-empty', '-v', '0', '-S', '--only-if-null'], '{"a":null,"b":""}\n')).toBe('{"a":"0","b":""}\n');
  });
});

describe('unsparsify, reorder', () => {
  it('unsparsify holds records and writes the union of fields in first-seen order', () => {
    expect(out(['-o', 'csv', 'unsparsify'], '{"a":1}\n{"b":2}\n{"a":3,"c":4}\n')).toBe('a,b,c\n1,,\n,2,\n3,,4\n');
  });
  it('unsparsify -f streams: its output appears before input ends', () => {
    expect(out(['unsparsify', '-f', 'a,b,z', '--fill', '0'], '{"a":1}\n{"b":2}\n')).toBe('{"a":1,"b":0,"z":0}\n{"b":2,"a":0,"z":0}\n');
  });
  it('unsparsify writes a large held input completely', () => {
    const n = 30_000;
    let input = '';
    for (let i = 0; i < n; i++) input += i % 2 ? `{"a":${i}}\n` : `{"b":${i}}\n`;
    const lines = out(['unsparsify'], input).trim().split('\n');
    expect(lines.length).toBe(n);
    expect(lines[0]).toBe('{"b":0,"a":null}');
    expect(lines[n - 1]).toBe(`{"b":null,"a":${n - 1}}`);
  });
  it('reorder to the front and with -e to the end', () => {
    expect(out(['reorder', 'c,a'], '{"a":1,"b":2,"c":3}\n')).toBe('{"c":3,"a":1,"b":2}\n');
    expect(out(['reorder', '-e', 'b,a'], '{"a":1,"b":2,"c":3,"d":4}\n')).toBe('{"c":3,"d":4,"b":2,"a":1}\n');
    expect(out(['reorder', '-e', '-f', 'b,a'], '{"a":1,"b":2,"c":3,"d":4}\n')).toBe('{"c":3,"d":4,"b":2,"a":1}\n');
    expect(out(['reorder', '-f', 'd,a'], '{"a":1,"b":2,"c":3,"d":4}\n')).toBe('{"d":4,"a":1,"b":2,"c":3}\n');
  });
  it('usage errors', () => {
    for (const [args, re] of [
      [['explode'], /name one field/],
      [['fill-down'], /name the fields/],
      [['fill-down', 'a', '-a'], /not both/],
      [['reorder'], /name the fields/],
      [['reorder', 'a,a'], /named twice/],
      [['unsparsify', 'a'], /-f a,b,c/],
      [['flatten', '-s', ''], /must not be empty/],
    ] as Array<[string[], RegExp]>) {
      const r = sluice(args, '{}\n');
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(re);
    }
  });
});

describe('select, drop, rename with nested paths', () => {
  const rec = '{"user":{"id":7,"name":"ann","email":"e"},"n":1,"a.b":5}\n';
  it('select builds the nested shape; a top-level dotted field wins for its record', () => {
    expect(out(['select', 'user.id,n,a.b,user.name'], rec)).toBe('{"user":{"id":7,"name":"ann"},"n":1,"a.b":5}\n');
    expect(out(['select', '`a.b`'], rec)).toBe('{"a.b":5}\n');
    expect(out(['select', 'user.zip'], rec)).toBe('{}\n');
  });
  it('drop removes inside objects without touching the rest', () => {
    expect(out(['drop', 'user.email,a.b'], rec)).toBe('{"user":{"id":7,"name":"ann"},"n":1}\n');
    expect(out(['drop', 'user.zip'], rec)).toBe(rec);
  });
  it('rename moves along paths', () => {
    expect(out(['rename', 'user.id=uid,n=m'], rec)).toBe('{"user":{"name":"ann","email":"e"},"m":1,"a.b":5,"uid":7}\n');
    expect(out(['rename', 'n=user.n'], rec)).toBe('{"user":{"id":7,"name":"ann","email":"e","n":1},"a.b":5}\n');
    expect(out(['rename', '`a.b`=c'], rec)).toBe('{"user":{"id":7,"name":"ann","email":"e"},"n":1,"c":5}\n');
  });
  it('CSV headers with dots still work unquoted', () => {
    expect(out(['--csv', 'select', 'geo.lat'], 'geo.lat,geo.lon\n52.50,13.4\n')).toBe('geo.lat\n52.50\n');
    expect(out(['--csv', 'drop', 'geo.lat'], 'geo.lat,geo.lon\n52.50,13.4\n')).toBe('geo.lon\n13.4\n');
  });
});
