/**
 * Defects found by attacking `-j N` (issue 14), `agg --partial` / `merge` /
 * `partition`, the README and the man page: each test fails without its fix.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES, shell, sluice } from '../helpers/run.js';

const FLIGHTS = path.join(FIXTURES, 'flights-20k.ndjson');
/** Many ranges from a small file, so that -j 2 splits it. */
const SMALL = 'SLUICE_J_CHUNK_BYTES=200000';

describe('-j N: a failed write fails the run as with -j 1', () => {
  // Direct NDJSON, an agg to the writer, keyed verbs: exited 0 with nothing written and no message.
  for (const args of ["filter 'delay > 0'", 'agg count by origin', 'filter true then tail 3', 'uniq origin --count', "window tumbling 1h --time time then agg count by origin"]) {
    it(`${args} > /dev/full`, () => {
      for (const j of ['1', '2']) {
        const r = shell(`${SMALL} sluice -j ${j} ${args} ${FLIGHTS} > /dev/full`);
        expect({ j, stderr: r.stderr, code: r.code }).toEqual({ j, stderr: 'sluice: cannot write output: no space left on device\n', code: 1 });
      }
    });
  }
  it('a reader that goes away (EPIPE) is still a quiet 0', () => {
    const r = shell(`${SMALL} sluice -j 2 filter true ${FLIGHTS} | head -1 >/dev/null; echo "rc=\${PIPESTATUS[0]}"`);
    expect(r.stdout).toBe('rc=0\n');
    expect(r.stderr).toBe('');
  });
});

describe('-j N: people output as -j 1', () => {
  it('-o bar / line / chart draws the chart (wrote the records as NDJSON: the ranges went straight to stdout)', () => {
    for (const o of ['bar', 'line', 'chart']) {
      const args = [o, 'filter', 'delay > 100', 'then', 'select', 'delay', FLIGHTS];
      const one = sluice(['-j', '1', '-o', ...args], '', { SLUICE_J_CHUNK_BYTES: '200000' });
      const two = sluice(['-j', '2', '-o', ...args], '', { SLUICE_J_CHUNK_BYTES: '200000' });
      expect(one.code).toBe(0);
      expect(one.stdout).not.toMatch(/^\{/m);
      expect({ o, ...two }).toEqual({ o, ...one });
    }
  });
  it('-o table of records: the same blocks (column widths grow by the batches one thread reads)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-table-'));
    const csv = path.join(dir, 'grow.csv');
    let text = 'id,name\n';
    for (let i = 0; i < 20000; i++) text += `${i},n${i}\n`;
    fs.writeFileSync(csv, text);
    for (const args of [['filter', 'true'], ['filter', 'true', 'then', 'head', '15000']]) {
      const one = sluice(['-j', '1', ...args, '-o', 'table', csv], '', { SLUICE_J_CHUNK_BYTES: '20000' });
      const two = sluice(['-j', '2', ...args, '-o', 'table', csv], '', { SLUICE_J_CHUNK_BYTES: '20000' });
      expect(one.stdout.match(/^ *id/gm)!.length).toBeGreaterThan(1);
      expect(two).toEqual(one);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('-j N on stdin that is a regular file', () => {
  it('starts where the shell left stdin, as -j 1 (read the file from byte 0: the lines a script had read came again)', () => {
    // `read` leaves fd 0 just after the first line; -j 2 opened /dev/stdin anew, at byte 0.
    for (const args of ['filter true', 'agg count', "agg 'count, sum(delay)' by origin"]) {
      const one = shell(`{ IFS= read -r first; ${SMALL} sluice -j 1 ${args}; } < ${FLIGHTS} | md5sum`);
      const two = shell(`{ IFS= read -r first; ${SMALL} sluice -j 2 ${args}; } < ${FLIGHTS} | md5sum`);
      expect(one.code).toBe(0);
      expect({ args, out: two.stdout, err: two.stderr }).toEqual({ args, out: one.stdout, err: one.stderr });
    }
    const count = shell(`{ IFS= read -r first; ${SMALL} sluice -j 2 agg count; } < ${FLIGHTS}`);
    expect(count.stdout).toBe('{"count":19999}\n');
  });
});

describe('sluice --help', () => {
  it('shows each example continued with a backslash on two lines (a template literal ate the backslash and newline)', () => {
    const r = sluice(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`filter 'level == "error"' \\\n    then window tumbling 1m`);
    expect(r.stdout).not.toMatch(/\S {3,}then /);
  });
});

describe('-j N: a join table with a malformed row', () => {
  it('is one line naming the table and its line, exit 1, as -j 1 (was a stack trace: the chunk runner threw in the main thread)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jointable-'));
    const table = path.join(dir, 'airports.csv');
    fs.writeFileSync(table, 'iata,name\nLAS,Las Vegas\nBOS,Boston,extra\n');
    const want = `sluice: malformed CSV: 3 fields, the header has 2 at ${table}:3: BOS,Boston,extra\n`;
    for (const j of ['1', '2']) {
      for (const tail of [`${FLIGHTS}`, `< ${FLIGHTS}`, `then agg count ${FLIGHTS}`]) {
        const r = shell(`${SMALL} sluice -j ${j} join ${table} --on origin=iata ${tail}`);
        expect({ j, tail, stdout: r.stdout, stderr: r.stderr, code: r.code }).toEqual({ j, tail, stdout: '', stderr: want, code: 1 });
      }
      // Dealt out from a pipe: cannot be redone in one thread, said as one thread says it.
      const p = shell(`cat ${FLIGHTS} | ${SMALL} sluice -j ${j} join ${table} --on origin=iata`);
      expect({ j, stdout: p.stdout, stderr: p.stderr, code: p.code }).toEqual({ j, stdout: '', stderr: want, code: 1 });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('-j N: verbs the main thread runs after the split part', () => {
  it('--max-line-bytes holds the input lines, not the records re-encoded for the main thread (CSV as NDJSON is longer: failed at stdin:1)', () => {
    const csv = path.join(FIXTURES, 'flights-20k.csv');
    for (const args of [['--max-line-bytes', '45', 'filter', 'delay > 0', csv], ['--max-line-bytes', '200', 'map', `note = "${'x'.repeat(200)}"`, 'then', 'sort', '-f', 'delay', FLIGHTS]]) {
      const one = sluice(['-j', '1', ...args], '', { SLUICE_J_CHUNK_BYTES: '100000' });
      const two = sluice(['-j', '2', ...args], '', { SLUICE_J_CHUNK_BYTES: '100000' });
      expect(one.code).toBe(0);
      expect(two).toEqual(one);
    }
  });
  it('a malformed record stops them where one thread stops: a sort writes nothing (wrote the records before it, sorted)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-stop-'));
    const bad = path.join(dir, 'bad.ndjson');
    const lines = fs.readFileSync(FLIGHTS, 'utf8').split('\n');
    lines[15000] = '{"delay": oops}';
    fs.writeFileSync(bad, lines.join('\n'));
    for (const args of [['filter', 'true', 'then', 'sort', '-f', 'delay'], ['filter', 'true', 'then', 'tail', '3', '-o', 'csv'], ['select', 'delay', 'then', 'uniq', '--count']]) {
      const one = sluice(['-j', '1', ...args, bad], '', { SLUICE_J_CHUNK_BYTES: '100000' });
      const two = sluice(['-j', '2', ...args, bad], '', { SLUICE_J_CHUNK_BYTES: '100000' });
      expect(one.code).toBe(1);
      expect(one.stderr).toMatch(/^sluice: malformed NDJSON: .* at .*bad\.ndjson:15001: \{"delay": oops\}\n$/);
      expect({ args, ...two }).toEqual({ args, ...one });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('-j N: the message about a malformed record', () => {
  it('shows its control characters escaped, as -j 1 (a CR, an ESC went to the terminal raw)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ctl-'));
    const bad = path.join(dir, 'bad.ndjson');
    const lines = fs.readFileSync(FLIGHTS, 'utf8').split('\n');
    lines[15000] = '{"delay":1}\r{"x":"\u001b[2J"}';
    fs.writeFileSync(bad, lines.join('\n'));
    const one = sluice(['-j', '1', 'agg', 'count', bad], '', { SLUICE_J_CHUNK_BYTES: '100000' });
    const two = sluice(['-j', '2', 'agg', 'count', bad], '', { SLUICE_J_CHUNK_BYTES: '100000' });
    expect(one.code).toBe(1);
    expect(one.stderr).toContain('bad.ndjson:15001: {"delay":1}\\r{"x":"\\x1b[2J"}\n');
    expect(two).toEqual(one);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('agg sum of integers at 2^53 and beyond', () => {
  it('is exact whatever the mix of texts (-9007199254740992 was summed as a float beside the exact part)', () => {
    const lines: string[] = [];
    for (let i = 0; i < 100; i++) lines.push(`{"w":${i % 2 ? '9007199254740993' : '-9007199254740992'},"g":${i % 3}}`);
    const input = lines.join('\n') + '\n';
    expect(sluice(['agg', 'sum(w), count'], input).stdout).toBe('{"sum_w":50,"count":100}\n');
    expect(sluice(['agg', 'sum(w)'], lines.slice(0, 3).join('\n')).stdout).toBe('{"sum_w":-9007199254740991}\n');
    // Merged from partials (as -j and merge do): the same.
    const parts = [lines.slice(0, 37), lines.slice(37)].map((l, i) => sluice(['agg', 'sum(w)', 'by', 'g', '--partial', '--part', String(i)], l.join('\n') + '\n').stdout).join('');
    expect(sluice(['merge'], parts).stdout).toBe(sluice(['agg', 'sum(w)', 'by', 'g'], input).stdout);
    expect(sluice(['agg', 'sum(w)', 'by', 'g'], input).stdout).toBe('{"g":0,"sum_w":17}\n{"g":1,"sum_w":9007199254741009}\n{"g":2,"sum_w":-9007199254740976}\n');
  });
});

describe('merge', () => {
  it('refuses a partial without one of its key fields (was merged as key null)', () => {
    const p = sluice(['agg', 'count', 'by', 'origin', '--partial'], '{"origin":"LAS"}\n').stdout;
    const r = sluice(['merge'], p.replace('"origin":"LAS",', ''));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^sluice: merge: malformed partial: the key field 'origin' is missing at stdin:1: /);
  });
});

describe('agg --partial on CSV input', () => {
  it('writes NDJSON partials (with --shuffle-key keys) that merge reads (wrote CSV, dropped the shuffle keys, and merge refused them)', () => {
    const csv = path.join(FIXTURES, 'flights-20k.csv');
    const want = sluice(['agg', 'count, avg(delay)', 'by', 'origin', '-o', 'ndjson', csv]);
    for (const args of [[], ['--csv'], ['-o', 'csv'], ['--shuffle-key']]) {
      const p = sluice(['agg', 'count, avg(delay)', 'by', 'origin', '--partial', ...args, csv]);
      expect(p.code).toBe(0);
      expect(p.stdout.split('\n')[0]).toMatch(args[0] === '--shuffle-key' ? /^\["[A-Z]{3}"\]\t\{"origin":"[A-Z]{3}","_partial":/ : /^\{"origin":"[A-Z]{3}","_partial":/);
      const m = sluice(['merge'], p.stdout);
      expect({ args, out: m.stdout, err: m.stderr }).toEqual({ args, out: want.stdout, err: '' });
    }
  });
});

describe('-j N: a CSV header with a name twice', () => {
  it('is said as -j 1 says it, naming stdin as stdin (was "internal error: ... of /dev/stdin")', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-duphdr-'));
    const csv = path.join(dir, 'dup.csv');
    let text = 'id,id\n';
    for (let i = 0; i < 20000; i++) text += `${i},${i}\n`;
    fs.writeFileSync(csv, text);
    for (const args of [`filter true ${csv}`, `agg count ${csv}`, `filter true < ${csv}`]) {
      const one = shell(`${SMALL.replace('200000', '20000')} sluice -j 1 ${args}`);
      const two = shell(`${SMALL.replace('200000', '20000')} sluice -j 2 ${args}`);
      expect(one.code).toBe(1);
      expect(one.stderr).toMatch(/^sluice: duplicate field name 'id' in the header of (stdin|.*dup\.csv)\n$/);
      expect({ args, out: two.stdout, err: two.stderr, code: two.code }).toEqual({ args, out: one.stdout, err: one.stderr, code: one.code });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('stdin named twice (- -)', () => {
  it('is read once, the second - at its end as `cat - -` reads it: a pipe no longer hangs (exit 0, nothing written), -j 2 no longer counts a file twice', () => {
    for (const j of ['1', '2']) {
      const pipe = shell(`cat ${FLIGHTS} | ${SMALL} sluice -j ${j} agg count - -`);
      expect({ j, out: pipe.stdout, err: pipe.stderr, code: pipe.code }).toEqual({ j, out: '{"count":20000}\n', err: '', code: 0 });
      const file = shell(`${SMALL} sluice -j ${j} agg count - ${FLIGHTS} - < ${FLIGHTS}`);
      expect({ j, out: file.stdout, err: file.stderr, code: file.code }).toEqual({ j, out: '{"count":40000}\n', err: '', code: 0 });
    }
  });
});

describe('-j with an empty or non-decimal value', () => {
  it("is a usage error, not every core ('-j \"\"' ran on every core)", () => {
    for (const v of ['', ' ', '0x2', '2.5', '-1', '257']) {
      const r = sluice(['-j', v, 'head', '1'], '{"a":1}\n');
      expect({ v, code: r.code, out: r.stdout }).toEqual({ v, code: 2, out: '' });
      expect(r.stderr).toMatch(/-j\/--parallel must be a whole number from 0 \(every core\) to 256/);
    }
    for (const v of ['0', '1', '2', '--parallel=3']) {
      const r = sluice(v.startsWith('--') ? [v, 'head', '1'] : ['-j', v, 'head', '1'], '{"a":1}\n');
      expect({ v, code: r.code, out: r.stdout }).toEqual({ v, code: 0, out: '{"a":1}\n' });
    }
  });
});
