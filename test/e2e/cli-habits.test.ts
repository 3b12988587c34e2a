/**
 * Issue 12, "Command line" and "Expressions": the first attempts of a user
 * with Miller, jq, xsv and awk habits, typed as that user types them.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, sluice } from '../helpers/run.js';

let dir: string;
/** Run sluice in `dir` (a scratch directory holding a.csv, b.csv, flights.csv). */
function inDir(args: string[], input = '') {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-habits-'));
  fs.writeFileSync(path.join(dir, 'a.csv'), 'k,v\na,1\nb,2\n');
  fs.writeFileSync(path.join(dir, 'b.csv'), 'k,v\nc,3\n');
  const flights = fs.readFileSync(path.join(FIXTURES, 'flights-20k.csv'), 'utf8').split('\n').slice(0, 201).join('\n') + '\n';
  fs.writeFileSync(path.join(dir, 'flights.csv'), flights);
  fs.writeFileSync(path.join(dir, '5'), 'k\nfile-named-5\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('main options after the verb chain', () => {
  it('sluice --from f.csv select origin,delay -o ndjson writes NDJSON of two fields', () => {
    const r = inDir(['--from', 'flights.csv', 'select', 'origin,delay', '-o', 'ndjson']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('{"origin":"LAS","delay":33}');
    expect(r.stdout.split('\n').length).toBe(201);
  });
  it('head 2 -o ndjson, filter ... -o table, agg count by origin -o table', () => {
    expect(inDir(['head', '2', '-o', 'ndjson'], 'a,b\n1,2\n3,4\n5,6\n').stdout).toBe('{"a":1,"b":2}\n{"a":3,"b":4}\n');
    const t = inDir(['filter', 'a > 1', '-o', 'table'], 'a,b\n1,2\n3,4\n');
    expect(t.code).toBe(0);
    expect(t.stdout).toBe('a  b\n3  4\n');
    const g = inDir(['agg', 'count', 'by', 'k', '-o', 'table'], 'k\nx\ny\nx\n');
    expect(g.stdout).toBe('k  count\nx      2\ny      1\n');
    // --output=FMT and a flag option work the same way.
    expect(inDir(['head', '1', '--output=ndjson'], 'a\n1\n').stdout).toBe('{"a":1}\n');
    expect(inDir(['head', '1', '--explain'], '').stdout).toContain('1. head {"n":1}');
  });
  it('a verb option that shares nothing with main options stays the verb’s', () => {
    const r = inDir(['head', '1', '--by', 'k', '-o', 'ndjson', 'a.csv']);
    expect(r.stdout).toBe('{"k":"a","v":1}\n{"k":"b","v":2}\n');
  });
  it('where it is ambiguous, says where main options go', () => {
    const r = inDir(['head', '2', '-o', 'ndjson', 'then', 'select', 'a']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('sluice: main options go before the first verb: sluice -o ndjson head 2 then select a\n');
    const w = inDir(['select', 'a', '-o', 'ndjson', 'nosuch']);
    expect(w.code).toBe(2);
    expect(w.stderr).toBe("sluice: 'nosuch' after the main options is not a file; main options go before the first verb: sluice -o ndjson select a nosuch\n");
  });
});

describe('file operands after the last verb', () => {
  it("sluice filter 'delay > 500' flights.csv and sluice head 3 f.csv read the files", () => {
    const f = inDir(['filter', 'delay > 500', 'flights.csv']);
    expect(f.code).toBe(0);
    expect(f.stdout).toBe('time,delay,distance,origin,destination\n2001-01-01T02:25:00Z,573,630,PDX,SLC\n');
    const h = inDir(['head', '1', 'flights.csv']);
    expect(h.stdout).toBe('time,delay,distance,origin,destination\n2001-01-01T00:01:00Z,33,2176,LAS,PHL\n');
    expect(inDir(['head', 'a.csv']).stdout).toBe('k,v\na,1\nb,2\n');
    expect(inDir(['head', '-n', '1', 'a.csv', 'b.csv']).stdout).toBe('k,v\na,1\n');
  });
  it('several files after the last verb and after one --from (as the shell expands *.csv) read in order', () => {
    expect(inDir(['agg', 'count', 'a.csv', 'b.csv']).stdout).toBe('count\n3\n');
    expect(inDir(['--from', 'a.csv', 'b.csv', 'select', 'k']).stdout).toBe('k\na\nb\nc\n');
    const star = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" --from [ab].csv head 5 -o ndjson`], { cwd: dir, encoding: 'utf8' });
    expect(star.stdout).toBe('{"k":"a","v":1}\n{"k":"b","v":2}\n{"k":"c","v":3}\n');
    expect(inDir(['select', 'k', '-', 'b.csv'], 'k,v\nz,0\n').stdout).toBe('k\nz\nc\n');
  });
  it('never swallows an argument: a word that must be a file and is none is an error', () => {
    const h = inDir(['head', '3', 'nosuch.csv']);
    expect(h.code).toBe(2);
    expect(h.stderr).toBe("sluice: head: 'nosuch.csv' is more than head takes (at most 1 argument), and is not a file\n");
    const s = inDir(['select', 'a,b', 'nosuch.csv']);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/^sluice: select: no such file 'nosuch.csv'/);
    // `head 5` is a count even when a file named 5 exists; `select k` keeps its one field.
    expect(inDir(['head', '5'], 'k\n1\n').stdout).toBe('k\n1\n');
    expect(inDir(['select', 'k', '5']).stdout).toBe('k\nfile-named-5\n');
  });
});

describe('file operands after the verbs added this round', () => {
  it('sort, top, uniq, tail, sample, flatten, over and parse read a trailing file', () => {
    expect(inDir(['sort', 'v', 'desc', 'a.csv']).stdout).toBe('k,v\nb,2\na,1\n');
    expect(inDir(['top', '1', 'v', 'a.csv', 'b.csv']).stdout).toBe('k,v\nc,3\n');
    expect(inDir(['top', '1', 'v', 'asc', 'a.csv']).stdout).toBe('k,v\na,1\n');
    expect(inDir(['uniq', 'k', '--count', 'a.csv']).stdout).toBe('k,count\na,1\nb,1\n');
    expect(inDir(['tail', '1', 'a.csv']).stdout).toBe('k,v\nb,2\n');
    expect(inDir(['sample', '5', '--seed', '1', 'b.csv']).stdout).toBe('k,v\nc,3\n');
    expect(inDir(['flatten', 'b.csv']).stdout).toBe('k,v\nc,3\n');
    expect(inDir(['over', 'sum(v) as s', '--rows', 'all', 'a.csv']).stdout).toBe('k,v,s\na,1,1\nb,2,3\n');
    expect(inDir(['-i', 'lines', 'parse', '(?<first>\\w),', 'b.csv']).stdout).toBe('{"first":"k"}\n{"first":"c"}\n');
    const bad = inDir(['flatten', 'nosuch.csv']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/flatten: 'nosuch.csv' is more than flatten takes \(no arguments\), and is not a file/);
  });
});

describe('getopt habits and no verb', () => {
  it('a short option takes its value attached (-j2, -ocsv)', () => {
    expect(inDir(['-ocsv', 'head', '1', 'a.csv']).stdout).toBe('k,v\na,1\n');
    const j = inDir(['-j2', '-o', 'ndjson', 'head', '1', 'a.csv']);
    expect(j.code, j.stderr).toBe(0);
    expect(j.stdout).toBe('{"k":"a","v":1}\n');
  });

  it('files without a verb pass through (format conversion); a missing one is named', () => {
    expect(inDir(['-o', 'ndjson', 'a.csv', 'b.csv']).stdout).toBe('{"k":"a","v":1}\n{"k":"b","v":2}\n{"k":"c","v":3}\n');
    const bad = inDir(['-o', 'ndjson', 'nosuch.csv']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("sluice: 'nosuch.csv' is neither a verb nor an existing file; 'sluice --help' lists the verbs\n");
  });

  it('unsparsify takes a trailing file (its fields come with -f)', () => {
    expect(inDir(['unsparsify', 'a.csv']).stdout).toBe('k,v\na,1\nb,2\n');
  });
});

describe('Miller, jq and awk habits', () => {
  it("filter '$delay > 100' is the field delay", () => {
    const r = sluice(['filter', '$delay > 100 && ${origin} == "LAX"', 'then', 'head', '1', 'test/fixtures/flights-20k.csv']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('time,delay,distance,origin,destination\n2001-01-01T10:22:00Z,117,2556,LAX,HNL\n');
    // A field whose name begins with $ is written in backticks.
    expect(sluice(['map', 'x = `$a` + $a'], '{"$a":1,"a":2}\n').stdout).toBe('{"$a":1,"a":2,"x":3}\n');
  });
  it('--explain names the input format it chose', () => {
    expect(inDir(['--explain', 'head', '1', 'a.csv']).stdout).toContain('input:  a.csv (csv, by the file name)');
    fs.copyFileSync(path.join(dir, 'a.csv'), path.join(dir, 'a.dat'));
    expect(inDir(['--explain', 'head', '1', '--from', 'a.dat']).stdout).toContain('input:  a.dat (csv, by its first bytes)');
    expect(inDir(['--explain', '-i', 'csv']).stdout).toContain('input:  stdin (csv, as given)');
    expect(inDir(['--explain', 'head', 'a.csv']).stdout).toContain('output: csv (as the input)');
  });
  it("other tools' verbs get sluice's name for them", () => {
    const cases: Array<[string[], RegExp]> = [
      [['put', '$y = 1'], /unknown verb 'put'; in sluice use map/],
      [['cut', '-f', 'a'], /unknown verb 'cut'; in sluice use select/],
      [['stats1', '-a', 'mean', '-f', 'x'], /unknown verb 'stats1'; in sluice use agg/],
      [['count-distinct', '-f', 'a'], /unknown verb 'count-distinct'; in sluice use .*agg count by KEYS/],
      [['cat'], /unknown verb 'cat'; in sluice use no verb at all/],
    ];
    for (const [args, re] of cases) {
      const r = sluice(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(re);
    }
    expect(sluice(['head', '-n', '1'], 'a\n1\n2\n').stdout).toBe('a\n1\n');
  });
});

describe('expression functions now, nr, split, join, fmtnum', () => {
  it('nr() numbers records across inputs, before filter removes any', () => {
    const r = inDir(['filter', 'nr() != 2', 'then', 'map', 'n = nr()', 'a.csv', 'b.csv', '-o', 'ndjson']);
    expect(r.stdout).toBe('{"k":"a","v":1,"n":1}\n{"k":"c","v":3,"n":3}\n');
  });
  it('split, join, fmtnum, now', () => {
    const t0 = Date.now();
    const r = sluice(['map', 'p = split(s, ","); j = join(split(s, ","), "+"); f = fmtnum(x, "%.2f"); g = fmtnum(x * 1000, "%,d"); h = fmtnum(x, "%08.3f ms"); t = now()'], '{"s":"a,b","x":3.14159}\n');
    const o = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(o).toMatchObject({ p: ['a', 'b'], j: 'a+b', f: '3.14', g: '3,141', h: '0003.142 ms' });
    expect(o.t as number).toBeGreaterThanOrEqual(t0);
    expect(o.t as number).toBeLessThanOrEqual(Date.now());
  });
  it('a missing function suggests the nearest: NR -> nr()', () => {
    const a = sluice(['filter', 'NR() > 2']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/unknown function 'NR' at column 1 \(did you mean nr\(\)\?\)/);
    const b = sluice(['filter', 'NR > 2']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/the record number is nr\(\)/);
    expect(sluice(['map', 'n = strlen(s)']).stderr).toMatch(/did you mean len\(\)\?/);
  });
});

describe('terminal charts', () => {
  it('-o bar draws one bar per ranked record, scaled to the largest', () => {
    const r = sluice(['agg', 'count', 'by', 'k', '-o', 'bar'], '{"k":"x"}\n{"k":"x"}\n{"k":"x"}\n{"k":"x"}\n{"k":"yy"}\n{"k":"yy"}\n', { COLUMNS: '80' });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('count by k');
    const bar = (l: string) => [...l].filter((c) => c === '█').length;
    expect(lines[1]).toMatch(/^x   █+ 4$/);
    expect(lines[2]).toMatch(/^yy  █+[▏▎▍▌▋▊▉]? 2$/);
    // Half the length, to an eighth of a cell.
    const eighths = (l: string) => 8 * bar(l) + ' ▏▎▍▌▋▊▉'.indexOf([...l].find((c) => '▏▎▍▌▋▊▉'.includes(c)) ?? ' ');
    expect(Math.abs(eighths(lines[1]!) - 2 * eighths(lines[2]!))).toBeLessThanOrEqual(2);
    // -o chart: without a time field, bars.
    expect(sluice(['agg', 'count', 'by', 'k', '-o', 'chart'], '{"k":"x"}\n').stdout).toMatch(/^count by k\nx  █+ 1\n$/);
  });
  it('-o chart draws a windowed series as lines, one per group, with a legend', () => {
    const input = ['a', 'b', 'a', 'a', 'b'].map((k, i) => JSON.stringify({ k, t: `2001-01-01T0${i}:30:00Z` })).join('\n') + '\n';
    const r = sluice(['window', 'tumbling', '1h', '--time', 't', 'then', 'agg', 'count', 'by', 'k', '-o', 'chart'], input);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('count by k over window_start');
    expect(r.stdout).toMatch(/[┼┤]/);
    expect(r.stdout).toContain('2001-01-01T00:00:00.000Z');
    expect(r.stdout).toContain('1: a   2: b');
    expect(r.stdout).toContain('(a window without a record of a group counts 0)');
  });
  it('a chart of records without numbers is a clear error', () => {
    const r = sluice(['-o', 'bar'], '{"k":"x"}\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('sluice: -o bar: no field holds numbers to draw (fields: k)\n');
  });
});

describe('-j workers get the verbs without trailing options and operands', () => {
  it('parseCommand leaves main options and file operands out of the words workers parse', async () => {
    const { parseCommand } = await import('../../src/cli.js');
    const c = parseCommand(['filter', 'a > 1', 'then', 'head', '2', path.join(FIXTURES, 'flights-20k.csv'), '-o', 'ndjson', '-j', '2']);
    expect(c.options!.sources).toEqual([path.join(FIXTURES, 'flights-20k.csv')]);
    expect(c.options!.outputFormat).toBe('ndjson');
    expect((c as { verbWords?: string[][] }).verbWords).toEqual([['filter', 'a > 1'], ['head', '2']]);
  });
});

describe('an option of one value given twice', () => {
  const input = '{"a":1}\n{"a":2}\n';
  it('takes the last one (-o csv -o json writes JSON; -o json -o csv writes CSV), never an internal error', () => {
    const j = sluice(['-o', 'csv', '-o', 'json', 'head', '1'], input);
    expect(j.stderr).toBe('');
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual([{ a: 1 }]);
    const c = sluice(['--output', 'json', '-o', 'csv', 'head', '1'], input);
    expect(c.stderr).toBe('');
    expect(c.stdout).toBe('a\n1\n');
    const m = sluice(['--max-line-bytes', '2', '--max-line-bytes', '1000', 'head', '1'], input);
    expect(m.code).toBe(0);
    expect(m.stdout).toBe('{"a":1}\n');
  });
});
