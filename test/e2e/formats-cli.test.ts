/**
 * End-to-end tests of the input and output formats, through bin/sluice.js as
 * a user runs it: number fidelity across formats (SPEC §2) and table
 * alignment with wide characters.
 */
import { describe, expect, it } from 'vitest';
import { sluice } from '../helpers/run.js';

describe('NDJSON numbers keep their text on lines without a "."', () => {
  it('an exponent number converted to CSV is written as read (1E3, not 1000)', () => {
    const r = sluice(['-o', 'csv'], '{"b":1E3}\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('b\n1E3\n');
  });

  it('exponents and -0 survive a change to their record and every output format', () => {
    const input = '{"a":1e3,"b":1E+3,"c":5e-1,"d":-0,"e":7}\n';
    const nd = sluice(['map', 'x = e + 1'], input);
    expect(nd.stderr).toBe('');
    expect(nd.stdout).toBe('{"a":1e3,"b":1E+3,"c":5e-1,"d":-0,"e":7,"x":8}\n');
    expect(sluice(['-o', 'csv'], input).stdout).toBe('a,b,c,d,e\n1e3,1E+3,5e-1,-0,7\n');
    expect(sluice(['-o', 'tsv'], input).stdout).toBe('a\tb\tc\td\te\n1e3\t1E+3\t5e-1\t-0\t7\n');
    expect(sluice(['-o', 'table'], input).stdout).toBe('  a     b     c   d  e\n1e3  1E+3  5e-1  -0  7\n');
  });

  it('an exponent group key is written as read by agg', () => {
    const r = sluice(['agg', 'count', 'by', 'k'], '{"k":1e3}\n{"k":1e3}\n{"k":2}\n');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('{"k":1e3,"count":2}\n{"k":2,"count":1}\n');
  });
});

describe('table output with wide characters', () => {
  it('aligns CJK and emoji cells by terminal columns', () => {
    const input = ['{"a":"日本語","b":1}', '{"a":"x","b":22}', '{"a":"🚀🎉","b":3}', '{"a":"✅","b":4}', ''].join('\n');
    const r = sluice(['-o', 'table'], input);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(['a        b', '日本語   1', 'x       22', '🚀🎉     3', '✅       4', ''].join('\n'));
  });
});
