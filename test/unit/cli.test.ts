import { describe, expect, it } from 'vitest';
import { parseCommand, resolveColor } from '../../src/cli.js';
import { UsageError } from '../../src/engine/errors.js';
import { parseDuration } from '../../src/time/duration.js';
import { closest, parseVerbArgs, splitFieldList } from '../../src/verbs/args.js';

describe('parseCommand', () => {
  it('splits the chain on then and parses main options', () => {
    const c = parseCommand(['--csv', '--on-error', 'skip', 'select', 'a,b', 'then', 'head', '3']);
    expect(c.kind).toBe('run');
    expect(c.options!.inputFormat).toBe('csv');
    expect(c.options!.outputFormat).toBe('csv');
    expect(c.options!.onError).toBe('skip');
    expect(c.options!.verbs.map((v) => v.name)).toEqual(['select', 'head']);
    expect(c.options!.sources).toEqual(['-']);
  });
  it('takes -i/-o, repeatable --from, and the tab delimiter', () => {
    const c = parseCommand(['-i', 'csv', '-o', 'table', '--from', 'a.csv', '--from', 'b.csv', '-d', 'tab']);
    expect(c.options!.outputFormat).toBe('table');
    expect(c.options!.sources).toEqual(['a.csv', 'b.csv']);
    expect(c.options!.delimiter).toBe('\t');
  });
  it('throws UsageError for bad main options', () => {
    expect(() => parseCommand(['--on-error', 'explode'])).toThrow(UsageError);
    expect(() => parseCommand(['-d', ',,'])).toThrow(/one character/);
    expect(() => parseCommand(['--csv', '--tsv'])).toThrow(UsageError);
    expect(() => parseCommand(['--from'])).toThrow(/needs a value/);
  });
  it('help for a verb comes from the verb file', () => {
    const c = parseCommand(['help', 'head']);
    expect(c.kind).toBe('help');
    expect(c.helpText).toContain('Usage: sluice head');
    expect(() => parseCommand(['help', 'haed'])).toThrow(/did you mean 'head'/);
  });
});

describe('verb argument helpers', () => {
  it('treats a -word that is not an option as a positional', () => {
    const r = parseVerbArgs('filter', ['-delay > 5'], [{ name: 'by', type: 'string' }]);
    expect(r.pos).toEqual(['-delay > 5']);
    expect(parseVerbArgs('head', ['3', '--by', 'x'], [{ name: 'by', type: 'string' }]).opts.by).toBe('x');
    expect(parseVerbArgs('head', ['--by=x'], [{ name: 'by', type: 'string' }]).opts.by).toBe('x');
    expect(() => parseVerbArgs('head', ['--by'], [{ name: 'by', type: 'string' }])).toThrow(/needs a value/);
    expect(() => parseVerbArgs('head', ['--bye', '1'], [{ name: 'by', type: 'string' }])).toThrow(/did you mean --by/);
    expect(() => parseVerbArgs('j', ['--type', 'outer'], [{ name: 'type', type: 'string', choices: ['inner', 'left'] }])).toThrow(UsageError);
  });
  it('splits field lists, with backticks protecting commas', () => {
    expect(splitFieldList('a, b,c')).toEqual(['a', 'b', 'c']);
    expect(splitFieldList('`x,y`,z')).toEqual(['x,y', 'z']);
  });
  it('suggests close words only', () => {
    expect(closest('fliter', ['filter', 'map'])).toBe('filter');
    expect(closest('zzzzzz', ['filter', 'map'])).toBeUndefined();
  });
});

describe('durations and colour', () => {
  it('parses durations and sums of them', () => {
    expect(parseDuration('250ms', 'x')).toBe(250);
    expect(parseDuration('1h30m', 'x')).toBe(5_400_000);
    expect(parseDuration('1d', 'x')).toBe(86_400_000);
    expect(() => parseDuration('5 minutes', 'window')).toThrow(/window: bad duration/);
    expect(() => parseDuration('', 'x')).toThrow(UsageError);
  });
  it('resolves --color with NO_COLOR and FORCE_COLOR', () => {
    expect(resolveColor('auto', { NO_COLOR: '1' }, true)).toBe(false);
    expect(resolveColor('auto', { FORCE_COLOR: '1' }, false)).toBe(true);
    expect(resolveColor('auto', {}, true)).toBe(true);
    expect(resolveColor('auto', {}, false)).toBe(false);
    expect(resolveColor('always', { NO_COLOR: '1' }, false)).toBe(true);
    expect(resolveColor('never', { FORCE_COLOR: '1' }, true)).toBe(false);
  });
});
