/**
 * Issue 12, "Formats": TSV by its own rules, relaxed CSV quotes (strict RFC
 * 4180 with --strict-csv), `-i json` (arrays, concatenated values), `-o json`
 * and `-o markdown`, as a user types them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shell, sluice } from '../helpers/run.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-fmt-'));

describe('TSV by its own rules', () => {
  it("printf 'a\\tb\\n5\" screen\\t2\\n' | sluice -i tsv reads 5\" screen", () => {
    const r = sluice(['-i', 'tsv', '-o', 'ndjson'], 'a\tb\n5" screen\t2\n');
    expect(r.stdout).toBe('{"a":"5\\" screen","b":2}\n');
  });
  it('\\t \\n \\\\ escapes are read and written; TSV out is never quoted', () => {
    const r = sluice(['-i', 'tsv', '-o', 'ndjson'], 'a\tb\nx\\ty\tl1\\nl2 \\\\ "q"\n');
    expect(r.stdout).toBe('{"a":"x\\ty","b":"l1\\nl2 \\\\ \\"q\\""}\n');
    const w = sluice(['-o', 'tsv'], '{"a":"x\\ty","b":"5\\" screen"}\n');
    expect(w.stdout).toBe('a\tb\nx\\ty\t5" screen\n');
    // and unchanged TSV passes through byte for byte
    const text = 'a\tb\nx\\ty\t5" screen\n';
    expect(sluice(['-i', 'tsv'], text).stdout).toBe(text);
  });
  it('tab-separated stdin is recognised as TSV', () => {
    const r = sluice(['-o', 'ndjson'], 'time\tdelay\torigin\n2001-01-01\t5\tSFO\n');
    expect(r.stdout).toBe('{"time":"2001-01-01","delay":5,"origin":"SFO"}\n');
  });
});

describe('CSV quotes as real files have them', () => {
  it('a quote inside an unquoted field is a literal character', () => {
    const r = sluice(['-o', 'ndjson'], "size,pos\n5\" screen,37°36'37.8\"N\n");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"size":"5\\" screen","pos":"37°36\'37.8\\"N"}\n');
  });
  it('--strict-csv keeps RFC 4180 strict', () => {
    const r = sluice(['--strict-csv', '-o', 'ndjson'], 'size,n\n5" screen,2\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('sluice: malformed CSV: quote inside an unquoted field at stdin:2: 5" screen,2\n');
  });
});

describe('-i json', () => {
  it('a JSON array of objects, by its first byte and by the .json extension', () => {
    const text = '[\n  {"a": 1, "b": 2.50},\n  {"a": 2, "b": [1, 2]}\n]\n';
    expect(sluice(['-o', 'ndjson'], text).stdout).toBe('{"a":1,"b":2.50}\n{"a":2,"b":[1,2]}\n');
    const f = path.join(tmp, 'in.json');
    fs.writeFileSync(f, text);
    expect(sluice(['--from', f, '-o', 'ndjson', 'filter', 'a > 1']).stdout).toBe('{"a":2,"b":[1,2]}\n');
  });
  it('concatenated pretty-printed objects, as jq reads them', () => {
    const r = sluice(['-i', 'json', '-o', 'ndjson'], '{\n  "a": "x}{",\n  "b": {"c": 1}\n}\n{"a": "\\"y"}{"a":3}');
    expect(r.stdout).toBe('{"a":"x}{","b":{"c":1}}\n{"a":"\\"y"}\n{"a":3}\n');
  });
  it('a non-object element is a malformed record with its line', () => {
    const r = sluice(['-i', 'json', '--on-error', 'warn', '-o', 'ndjson'], '[{"a":1},\n 7,\n {"a":}, {"a":2}]');
    expect(r.stdout).toBe('{"a":1}\n{"a":2}\n');
    expect(r.stderr).toContain('malformed JSON: not an object (a number) at stdin:2: 7');
    expect(r.stderr).toContain('malformed JSON: unexpected "}" at column 6 at stdin:3: {"a":}');
  });
  it('a big array streams in bounded memory', () => {
    const f = path.join(tmp, 'big.json');
    const fd = fs.openSync(f, 'w');
    fs.writeSync(fd, '[');
    const row = '{"k":"abcdefghij","n":12345,"s":"some text to make the element longer"}';
    const chunk = Array.from({ length: 10_000 }, () => row).join(',\n');
    for (let i = 0; i < 30; i++) fs.writeSync(fd, (i ? ',\n' : '') + chunk);
    fs.writeSync(fd, ']\n');
    fs.closeSync(fd);
    // ~22 MB of JSON: counted, with the peak RSS well below what holding the array would take
    const r = shell(`/usr/bin/time -f 'rss=%M' node bin/sluice.js --from ${f} agg count 2>&1`, 60_000);
    expect(r.stdout).toContain('{"count":300000}');
    const m = /rss=(\d+)/.exec(r.stdout);
    if (m) expect(Number(m[1]) / 1024).toBeLessThan(200);
    fs.rmSync(f);
  }, 60_000);
});

describe('-o json and -o markdown', () => {
  it('-o json writes one valid JSON array', () => {
    const r = sluice(['-o', 'json'], '{"a":1}\n{"a":2.50}\n');
    expect(r.stdout).toBe('[\n{"a":1},\n{"a":2.50}\n]\n');
    expect(JSON.parse(r.stdout)).toEqual([{ a: 1 }, { a: 2.5 }]);
    expect(sluice(['-o', 'json', 'filter', 'false'], '{"a":1}\n').stdout).toBe('[]\n');
    // JSON in, JSON out: a round trip
    expect(JSON.parse(sluice(['-o', 'json'], '[{"a":1},{"b":"x"}]').stdout)).toEqual([{ a: 1 }, { b: 'x' }]);
  });
  it('-o markdown writes a table', () => {
    const r = sluice(['-o', 'markdown'], '{"name":"a|b","n":1}\n{"n":2}\n{"x":null}\n');
    expect(r.stdout).toBe('| name | n |\n| --- | ---: |\n| a\\|b | 1 |\n|  | 2 |\n\n| x |\n| --- |\n|  |\n');
  });
});
