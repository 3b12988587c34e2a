/**
 * End-to-end tests of the streaming core (issue 2): the command line, formats
 * through the CLI, errors and exit status, head, backpressure-sensitive cases.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, shell, sleep, sluice, start } from '../helpers/run.js';

const flightsCsv = fs.readFileSync(path.join(FIXTURES, 'flights-20k.csv'), 'utf8');
const flightsNdjson = fs.readFileSync(path.join(FIXTURES, 'flights-20k.ndjson'), 'utf8');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-core-'));

describe('command line', () => {
  it('prints its version and help', () => {
    const v = sluice(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^sluice \d+\.\d+\.\d+\n$/);
    const h = sluice(['--help']);
    expect(h.code).toBe(0);
    for (const verb of ['filter', 'map', 'select', 'drop', 'rename', 'head', 'window', 'agg', 'join']) {
      expect(h.stdout).toContain(`  ${verb}`);
    }
  });

  it('shows a verb\'s usage with `help VERB` and `VERB --help`, from the verb itself', () => {
    const a = sluice(['help', 'select']);
    const b = sluice(['select', '--help']);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('Usage: sluice select');
    expect(a.stdout).toContain('Examples:');
    expect(b.stdout).toBe(a.stdout);
  });

  it('fits a terminal of 80 columns: `--help` and `help VERB` for every verb', () => {
    const h = sluice(['--help']);
    const verbs = h.stdout.split('Verbs:\n')[1]!.split('\n\n')[0]!.split('\n').filter((l) => /^  [a-z-]+ /.test(l)).map((l) => l.trim().split(' ')[0]!);
    expect(verbs.length).toBeGreaterThan(20);
    for (const [what, text] of [['--help', h.stdout], ...verbs.map((v) => [`help ${v}`, sluice(['help', v]).stdout])] as [string, string][]) {
      const long = text.split('\n').filter((l) => [...l].length > 80);
      expect(long, what).toEqual([]);
    }
  });

  it('suggests a verb for a misspelling, with exit 2 and no input read', () => {
    const r = sluice(['selct', 'a']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("sluice: unknown verb 'selct' (did you mean 'select'?); 'sluice --help' lists the verbs\n");
    expect(r.stdout).toBe('');
  });

  it('rejects unknown main and verb options with exit 2 and one line', () => {
    const a = sluice(['--inptu', 'csv']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/^sluice: unknown option --inptu \(did you mean --input\?\)\n$/);
    const b = sluice(['head', '3', '--bye', 'x']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/^sluice: head: unknown option --bye/);
    const c = sluice(['head', 'x']);
    expect(c.code).toBe(2);
    const d = sluice(['select', 'a', 'then']);
    expect(d.code).toBe(2);
    expect(d.stderr).toContain("'then' must stand between two verbs");
    const o = sluice(['-o', 'xml']);
    expect(o.code).toBe(2);
    expect(o.stderr).toBe("sluice: --output must be one of ndjson, json, csv, tsv, table, markdown, logfmt, chart, bar, line (got 'xml')\n");
    const e = sluice(['-i', 'xml']);
    expect(e.code).toBe(2);
    expect(e.stderr.split('\n').length).toBe(2);
    expect(e.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('explains the compiled pipeline without reading input', () => {
    const r = sluice(['--csv', '--explain', 'select', 'a,b', 'then', 'head', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1. select {"fields":["a","b"]}');
    expect(r.stdout).toContain('needs: a, b');
    expect(r.stdout).toContain('2. head {"n":2}');
    expect(r.stdout).toContain('output: csv');
  });
});

describe('formats through the CLI', () => {
  it('CSV → NDJSON → CSV of the flights sample is byte-identical', () => {
    const nd = sluice(['-i', 'csv', '-o', 'ndjson'], flightsCsv);
    expect(nd.code).toBe(0);
    expect(nd.stdout.split('\n')[0]).toBe('{"time":"2001-01-01T00:01:00Z","delay":33,"distance":2176,"origin":"LAS","destination":"PHL"}');
    expect(nd.stdout).toBe(flightsNdjson);
    const back = sluice(['-i', 'ndjson', '-o', 'csv'], nd.stdout);
    expect(back.code).toBe(0);
    expect(back.stdout).toBe(flightsCsv);
  });

  it('CSV → CSV of a header with spaces and symbols and cells with quotes, commas and newlines is byte-identical', () => {
    const tricky =
      'id,Cost Total $,"a,b",note\n' +
      '1,1.50,"x,y","say ""hi"""\n' +
      '2,02134,,"two\nlines"\n' +
      '3,-0,1e3,plain\n';
    const r = sluice(['--csv'], tricky);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(tricky);
    // The same file through NDJSON and back: values typed, texts kept.
    const nd = sluice(['-i', 'csv', '-o', 'ndjson'], tricky);
    const lines = nd.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ id: 1, 'Cost Total $': 1.5, 'a,b': 'x,y', note: 'say "hi"' });
    expect(nd.stdout).toContain('"Cost Total $":1.50');
    expect(lines[1]['Cost Total $']).toBe('02134');
    expect(lines[1]['a,b']).toBe(null);
    expect(lines[1].note).toBe('two\nlines');
    const back = sluice(['-i', 'ndjson', '-o', 'csv'], nd.stdout);
    expect(back.stdout).toBe(tricky);
  });

  it('keeps numbers as written when a verb changes the record', () => {
    const r = sluice(['--csv', 'select', 'b,a'], 'a,b\n1.50,02134\n1e3,12345678901234567890\n');
    expect(r.stdout).toBe('b,a\n02134,1.50\n12345678901234567890,1e3\n');
    const n = sluice(['select', 'big'], '{"big":12345678901234567890,"x":1}\n');
    expect(n.stdout).toBe('{"big":12345678901234567890}\n');
  });

  it('sniffs the input format and defaults the output to it', () => {
    expect(sluice([], 'a,b\n1,2\n').stdout).toBe('a,b\n1,2\n');
    expect(sluice([], '\n{"a":1}\n').stdout).toBe('{"a":1}\n');
    expect(sluice(['--from', path.join(FIXTURES, 'flights-20k.csv'), 'head', '1']).stdout).toBe(
      'time,delay,distance,origin,destination\n2001-01-01T00:01:00Z,33,2176,LAS,PHL\n',
    );
  });

  it('reads several --from files in order as one stream, - being stdin', () => {
    const f1 = path.join(tmp, 'one.ndjson');
    fs.writeFileSync(f1, '{"n":1}\n{"n":2}');
    const r = sluice(['--from', f1, '--from', '-'], '{"n":3}\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
  });

  it('writes each record in the output format when --from files differ in format', () => {
    const nd = path.join(tmp, 'mix.ndjson');
    const csv = path.join(tmp, 'mix.csv');
    const tsv = path.join(tmp, 'mix.tsv');
    fs.writeFileSync(nd, '{"a":1}\n');
    fs.writeFileSync(csv, 'a\n2\n');
    fs.writeFileSync(tsv, 'a\tb\n3\t4\n');
    expect(sluice(['--from', nd, '--from', csv]).stdout).toBe('{"a":1}\n{"a":2}\n');
    expect(sluice(['--from', csv, '--from', tsv]).stdout).toBe('a\n2\n\na,b\n3,4\n');
    expect(sluice(['--from', tsv, '--from', csv]).stdout).toBe('a\tb\n3\t4\n\na\n2\n');
  });

  it('writes a schema-change block in CSV when fields differ, never dropping a field', () => {
    const r = sluice(['-i', 'ndjson', '-o', 'csv'], '{"a":1,"b":2}\n{"a":3,"b":4}\n{"a":5,"c":6}\n');
    expect(r.stdout).toBe('a,b\n1,2\n3,4\n\na,c\n5,6\n');
  });

  it('accepts CRLF and a BOM, and --no-header names fields 1, 2, ...', () => {
    expect(sluice(['-i', 'csv', '-o', 'ndjson'], '\ufeffa,b\r\n1,x\r\n').stdout).toBe('{"a":1,"b":"x"}\n');
    expect(sluice(['-i', 'ndjson'], '\ufeff{"a":1}\r\n{"a":2}\r\n').stdout).toBe('{"a":1}\n{"a":2}\n');
    expect(sluice(['-i', 'csv', '-o', 'ndjson', '--no-header'], '7,x\n').stdout).toBe('{"1":7,"2":"x"}\n');
    expect(sluice(['--tsv', 'select', 'b'], 'a\tb\n1\tx y\n').stdout).toBe('b\nx y\n');
    expect(sluice(['--csv', '-d', ';', 'select', 'b'], 'a;b\n1;2\n').stdout).toBe('b\n2\n');
  });

  it('prints a table for people, without colour when NO_COLOR is set', () => {
    const r = sluice(['-i', 'csv', '-o', 'table', 'head', '2'], flightsCsv, { NO_COLOR: '1' });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^time\s+delay\s+distance\s+origin\s+destination\s*$/);
    expect(lines.some((l) => l.includes('LAS'))).toBe(true);
    expect(r.stdout).not.toContain('\u001b[');
    const c = sluice(['-i', 'csv', '-o', 'table', '--color', 'always', 'head', '1'], flightsCsv);
    expect(c.stdout).toContain('\u001b[');
  });
});

describe('verbs of the core', () => {
  const recs = '{"a":1,"b":"x","c":true}\n{"a":2,"c":false,"b":"y"}\n';
  it('select keeps fields in the given order', () => {
    expect(sluice(['select', 'c,a'], recs).stdout).toBe('{"c":true,"a":1}\n{"c":false,"a":2}\n');
    expect(sluice(['select', 'zz,a'], recs).stdout).toBe('{"a":1}\n{"a":2}\n');
  });
  it('drop removes fields', () => {
    expect(sluice(['drop', 'b'], recs).stdout).toBe('{"a":1,"c":true}\n{"a":2,"c":false}\n');
  });
  it('rename keeps the place of a field and can swap', () => {
    expect(sluice(['rename', 'a=z'], recs).stdout).toBe('{"z":1,"b":"x","c":true}\n{"z":2,"c":false,"b":"y"}\n');
    expect(sluice(['rename', 'a=b,b=a'], '{"a":1,"b":2}\n').stdout).toBe('{"b":1,"a":2}\n');
    expect(sluice(['rename', 'nope'], '').code).toBe(2);
  });
  it('head keeps the first N, and per group with --by', () => {
    const r = sluice(['-i', 'csv', '-o', 'ndjson', 'head', '3'], flightsCsv);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    const by = sluice(['-i', 'csv', '-o', 'csv', 'head', '2', '--by', 'origin', 'then', 'select', 'origin'], flightsCsv);
    const origins = by.stdout.trim().split('\n').slice(1);
    const counts = new Map<string, number>();
    for (const o of origins) counts.set(o, (counts.get(o) ?? 0) + 1);
    const distinct = new Set(flightsCsv.trim().split('\n').slice(1).map((l) => l.split(',')[3]));
    expect(counts.size).toBe(distinct.size);
    for (const c of counts.values()) expect(c).toBeLessThanOrEqual(2);
  });
  it('treats __proto__, constructor and toString as ordinary fields', () => {
    const input = '{"__proto__":{"x":1},"constructor":"c","toString":5,"a":1}\n{"a":2}\n';
    expect(sluice(['select', '__proto__,constructor,toString'], input).stdout).toBe(
      '{"__proto__":{"x":1},"constructor":"c","toString":5}\n{}\n',
    );
    expect(sluice(['rename', '__proto__=p,a=__proto__'], input).stdout).toBe(
      '{"p":{"x":1},"constructor":"c","toString":5,"__proto__":1}\n{"__proto__":2}\n',
    );
    expect(sluice(['drop', 'constructor'], input).stdout).toBe('{"__proto__":{"x":1},"toString":5,"a":1}\n{"a":2}\n');
    const csv = sluice(['-i', 'ndjson', '-o', 'csv', 'select', 'toString,a'], input);
    expect(csv.stdout).toBe('toString,a\n5,1\n,2\n'); // a subset of the header's fields goes under it
  });
});

describe('bad input', () => {
  const bad = '{"n":1}\n{"n":2,,}\n{"n":3}\n';
  it('fails on a malformed NDJSON line naming its line, exit 1', () => {
    const r = sluice([], bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^sluice: malformed NDJSON.* at stdin:2: \{"n":2,,\}\n$/);
    expect(r.stdout).toBe('{"n":1}\n');
  });

  it('with --on-error skip --errors FILE keeps the rejected record and counts it', () => {
    const file = path.join(tmp, 'rejected.ndjson');
    const r = sluice(['--on-error', 'skip', '--errors', file], bad);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"n":1}\n{"n":3}\n');
    expect(r.stderr).toMatch(/1 malformed record skipped \(kept in .*rejected\.ndjson\)/);
    const kept = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ source: 'stdin', line: 2, text: '{"n":2,,}' });
    expect(kept[0].error).toMatch(/malformed NDJSON/);
  });

  it('with --on-error warn reports each on stderr', () => {
    const r = sluice(['--on-error', 'warn'], bad + 'nope\n');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/at stdin:2/);
    expect(r.stderr).toMatch(/at stdin:4/);
    expect(r.stderr).toMatch(/2 malformed records skipped/);
  });

  it('rejects a ragged CSV row instead of padding it', () => {
    const r = sluice(['--csv'], 'a,b\n1,2\n3\n4,5,6\n7,8\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/at stdin:3/);
    const s = sluice(['--csv', '--on-error', 'skip'], 'a,b\n1,2\n3\n4,5,6\n7,8\n');
    expect(s.stdout).toBe('a,b\n1,2\n7,8\n');
    expect(s.stderr).toMatch(/2 malformed records skipped/);
  });

  it('names the source and line of a record a verb rejects (window time)', () => {
    const csv = sluice(['--csv', 'window', 'tumbling', '1m', '--time', 't'], 't,v\n2024-01-01T00:00:00Z,1\n"two\nlines",2\nbad,3\n');
    expect(csv.code).toBe(1);
    expect(csv.stderr).toMatch(/^sluice: window: cannot read time 'two\\nlines' .* at stdin:3: /);
    const nd = sluice(['--on-error', 'warn', 'window', 'tumbling', '1m', '--time', 't'], '{"t":"2024-01-01T00:00:00Z"}\n\n{"t":null}\n');
    expect(nd.code).toBe(0);
    expect(nd.stderr).toMatch(/window: time field 't' is missing at stdin:3: \{"t":null\}/);
  });

  it('names a duplicate header field, exit 1', () => {
    const r = sluice(['--csv'], 'a,b,a\n1,2,3\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/duplicate.*'a'/);
  });

  it('reports an unreadable file in one line, exit 1', () => {
    const r = sluice(['--from', path.join(tmp, 'missing.csv')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^sluice: cannot read .*missing\.csv: no such file or directory\n$/);
  });

  it('treats a line longer than --max-line-bytes as malformed, not a crash', () => {
    const long = '{"a":"' + 'x'.repeat(5000) + '"}\n';
    const r = sluice(['--max-line-bytes', '1000', '--on-error', 'skip'], '{"a":1}\n' + long + '{"a":2}\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"a":1}\n{"a":2}\n');
    expect(r.stderr).toMatch(/1 malformed record skipped/);
  });
});

describe('streaming behaviour', () => {
  it('`yes | sluice head 3` prints 3 lines and exits 0 at once', () => {
    const r = shell(`yes '{"a":1}' | sluice head 3`, 20_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"a":1}\n{"a":1}\n{"a":1}\n');
    expect(r.ms).toBeLessThan(5000);
  });

  it('`sluice --from big | head -1` exits 0 with nothing on stderr', () => {
    const big = path.join(tmp, 'big.ndjson');
    fs.writeFileSync(big, flightsNdjson.repeat(10));
    const r = shell(`sluice --from ${big} | head -1; echo "status=\${PIPESTATUS[0]}"`);
    expect(r.stdout).toBe(flightsNdjson.split('\n')[0] + '\nstatus=0\n');
    expect(r.stderr).toBe('');
  });

  it('writes each record of a trickling input as it arrives', async () => {
    const p = start([]);
    p.child.stdin.write('{"n":1}\n');
    await p.waitFor('{"n":1}\n', 3000);
    p.child.stdin.write('{"n":2}\n');
    await p.waitFor('{"n":2}\n', 3000);
    p.child.stdin.end();
    expect((await p.exited).code).toBe(0);
  });

  it('writes a long burst at end of input (200,000 groups) completely to a slow reader', () => {
    const gen = `node -e 'let s=""; for (let i = 0; i < 200000; i++) s += JSON.stringify({k: "g" + i, v: i}) + "\\n"; process.stdout.write(s)'`;
    const r = shell(`${gen} | sluice agg 'count, sum(v)' by k | (sleep 1; tail -2; echo lines=$(wc -l))`, 60_000);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('{"k":"g199999","count":1,"sum_v":199999}');
    // tail consumed the stream; count the lines separately.
    const c = shell(`${gen} | sluice agg count by k | (sleep 1; wc -l)`, 60_000);
    expect(c.stdout.trim()).toBe('200000');
  });

  it('on SIGTERM stops reading, flushes, and exits 143', async () => {
    const p = start(['head', '100']);
    p.child.stdin.write('{"n":1}\n');
    await p.waitFor('{"n":1}');
    await sleep(50);
    p.child.kill('SIGTERM');
    const { code } = await p.exited;
    expect(code).toBe(143);
    expect(p.stderr).toBe('');
  });
});
