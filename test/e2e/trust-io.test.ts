/**
 * Issue 10 (trust) regressions in reading, writing and exit status, through
 * bin/sluice.js as a user runs it. Each test fails on the code before its fix.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Readable, Writable } from 'node:stream';
import { shell, sleep, sluice, start } from '../helpers/run.js';
import { run } from '../../src/engine/run.js';
import { findVerb } from '../../src/verbs/index.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-trust-'));
const file = (name: string, text: string | Buffer) => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
};
const oneLine = (s: string) => s.trim().split('\n').length === 1;

describe('item 8: every failed write is exit 1 with one clear line', () => {
  for (const [what, args] of [
    ['agg', 'agg count'],
    ['head', 'head 1'],
    ['windowed agg', 'window tumbling 1h --time t then agg count'],
    ['CSV agg', '-o csv agg count'],
  ] as const) {
    it(`${what} > /dev/full`, () => {
      const r = shell(`echo '{"a":1,"t":"2001-01-01T00:00:00Z"}' | sluice ${args} > /dev/full`);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('sluice: cannot write output: no space left on device\n');
    });
  }
  it('stdout closed (>&-) is an error, not a silent loss', () => {
    const r = shell(`echo '{"a":1}' | sluice agg count >&-`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('sluice: cannot write output: stdout is closed\n');
  });
  it('> /dev/null is still fine', () => {
    const r = shell(`echo '{"a":1}' | sluice agg count > /dev/null`);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
  it('EPIPE stays quiet with status 0', () => {
    const r = shell(`seq 1 200000 | sed 's/.*/{"n":&}/' | sluice | head -1; echo "rc=\${PIPESTATUS[2]}"`);
    expect(r.stdout).toBe('{"n":1}\nrc=0\n');
    expect(r.stderr).toBe('');
  });
  it('--errors and --late-output to /dev/full', () => {
    let r = shell(`printf '{"a":1}\\nbad\\n' | sluice --on-error skip --errors /dev/full`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('sluice: cannot write --errors file /dev/full: no space left on device\n');
    r = shell(
      `printf '%s\\n' '{"t":"2001-01-01T02:00:00Z"}' '{"t":"2001-01-01T00:00:00Z"}' | sluice window tumbling 1h --time t --late-output /dev/full then agg count`,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot write /dev/full: no space left on device');
    expect(oneLine(r.stderr)).toBe(true);
  });
});

describe('item 9: an output that is an input, or two outputs on one file, is a usage error', () => {
  it('--errors naming the input file leaves it intact (exit 2)', () => {
    const p = file('in9.ndjson', '{"a":1}\n');
    const link = path.join(tmp, 'link9.ndjson');
    fs.symlinkSync(p, link);
    for (const errs of [p, link, path.join(tmp, '.', 'in9.ndjson')]) {
      const r = sluice(['--from', p, '--errors', errs]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--errors .* is also an input/);
      expect(fs.readFileSync(p, 'utf8')).toBe('{"a":1}\n');
    }
    // stdin redirected from the file
    const r = shell(`sluice --errors ${p} < ${p}`);
    expect(r.code).toBe(2);
    expect(fs.readFileSync(p, 'utf8')).toBe('{"a":1}\n');
  });
  it('--late-output naming an input, and two outputs naming one file', () => {
    const p = file('in9b.ndjson', '{"t":"2001-01-01T00:00:00Z"}\n');
    let r = sluice(['--from', p, 'window', 'tumbling', '1h', '--time', 't', '--late-output', p, 'then', 'agg', 'count']);
    expect(r.code).toBe(2);
    expect(fs.readFileSync(p, 'utf8')).toBe('{"t":"2001-01-01T00:00:00Z"}\n');
    const out = path.join(tmp, 'both9.ndjson');
    r = sluice(['--from', p, '--errors', out, 'window', 'tumbling', '1h', '--time', 't', '--late-output', out, 'then', 'agg', 'count']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/are the same file/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('item 10: a directory as input is an error', () => {
  it('< /tmp and --from /tmp', () => {
    let r = shell(`sluice agg count < ${tmp}`);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('sluice: cannot read stdin: is a directory\n');
    r = sluice(['--from', tmp, 'agg', 'count']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`sluice: cannot read ${tmp}: is a directory\n`);
  });
});

describe('item 12: under --on-error fail, --errors holds the record that stopped the run', () => {
  it('keeps it', () => {
    const errs = path.join(tmp, 'errs12.ndjson');
    const r = sluice(['--errors', errs], '{"a":1}\nbad line\n{"a":2}\n');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('{"a":1}\n');
    const kept = fs.readFileSync(errs, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(kept).toEqual([{ source: 'stdin', line: 2, error: expect.stringContaining('malformed NDJSON'), text: 'bad line' }]);
  });
});

describe('item 15: a too-deep NDJSON record is one malformed record in the reader', () => {
  it('is rejected with its line, kept in --errors, and the rest goes on', () => {
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    const errs = path.join(tmp, 'errs15.ndjson');
    const r = sluice(['--on-error', 'skip', '--errors', errs, 'map', 'b = 1'], `{"a":1}\n${deep}\n{"a":2}\n`);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"a":1,"b":1}\n{"a":2,"b":1}\n');
    const kept = JSON.parse(fs.readFileSync(errs, 'utf8'));
    expect(kept.line).toBe(2);
    expect(kept.error).toMatch(/nested more than 1000 levels/);
    const f = sluice(['select', 'a'], `${deep}\n`);
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/^sluice: malformed NDJSON: nested more than 1000 levels deep at stdin:1/);
  });

  it('nesting deep enough to exhaust JSON.parse\'s stack (100,000 levels) gets the same message, not a JavaScript one', () => {
    const deeper = '{"a":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}';
    for (const env of [{}, { SLUICE_READ_ALL: '1' }]) {
      const f = sluice(['head', '1'], `${deeper}\n`, env);
      expect(f.code).toBe(1);
      expect(f.stderr).toMatch(/^sluice: malformed NDJSON: nested more than 1000 levels deep at stdin:1/);
    }
  });
});

describe('item 16: long lines are checked in linear time', () => {
  it('a 24 MiB NDJSON line and a 24 MiB CSV field (limit 16 MiB) are rejected in seconds', () => {
    const big = 'x'.repeat(24 * 1024 * 1024);
    const nd = file('long16.ndjson', `{"a":"${big}"}\n{"a":1}\n`);
    const csv = file('long16.csv', `a,b\n1,"${big}"\n2,3\n`);
    let t0 = Date.now();
    let r = sluice(['--on-error', 'skip', '--max-line-bytes', String(16 * 1024 * 1024), '--from', nd]);
    const tNd = Date.now() - t0;
    expect(r.stdout).toBe('{"a":1}\n');
    t0 = Date.now();
    r = sluice(['--on-error', 'skip', '--max-line-bytes', String(16 * 1024 * 1024), '--from', csv]);
    const tCsv = Date.now() - t0;
    expect(r.stdout).toBe('a,b\n2,3\n');
    // Quadratic: ~10 s each before the fix; linear: well under a second (generous for a busy machine).
    expect(tNd).toBeLessThan(6000);
    expect(tCsv).toBeLessThan(6000);
    fs.rmSync(nd);
    fs.rmSync(csv);
  }, 30_000);
});

describe('item 19: signals', () => {
  it('SIGINT as soon as sluice can catch it still gives results and exit 130', async () => {
    const p = start(['agg', 'count'], { SLUICE_TEST_SIGNAL_READY: '1' });
    const t0 = Date.now();
    while (!p.stderr.includes('signals ready') && Date.now() - t0 < 10_000) await sleep(5);
    p.child.kill('SIGINT');
    const { code, signal } = await p.exited;
    expect(signal).toBe(null);
    expect(code).toBe(130);
    expect(p.stdout).toBe('{"count":0}\n');
  }, 15_000);
  it('SIGINT together with the end of input exits 130 (the runner, in process)', async () => {
    // Input has ended and the last output waits for stdout to drain: a signal now still means 130.
    const held: Array<() => void> = [];
    let text = '';
    const stdout = new Writable({
      write(chunk, _enc, cb) {
        text += String(chunk);
        held.push(cb);
      },
    });
    const done = run({
      sources: ['-'],
      inputFormat: 'ndjson',
      noHeader: false,
      onError: 'fail',
      color: false,
      maxLineBytes: 1 << 20,
      verbs: [findVerb('agg')!.parse(['count'])],
      stdin: Readable.from(['{"a":1}\n']),
      stdout,
      stderr: new Writable({ write: (_c, _e, cb) => cb() }),
    });
    const t0 = Date.now();
    while (!text.includes('count') && Date.now() - t0 < 10_000) await sleep(5);
    expect(text).toBe('{"count":1}\n');
    process.emit('SIGINT', 'SIGINT');
    for (const cb of held.splice(0)) cb();
    const t1 = Date.now();
    while (held.length === 0 && Date.now() - t1 < 1000) await sleep(5);
    for (const cb of held.splice(0)) cb();
    expect(await done).toBe(130);
  }, 15_000);
});

describe('item 20: control characters from input are escaped in messages', () => {
  it('ESC, BEL and NUL never reach the terminal raw', () => {
    const r = sluice(['--on-error', 'warn'], '{"a":1}\n\x1b[2J\x07bad\x00x\n');
    expect(r.stderr).toContain('\\x1b[2J\\x07bad\\x00x');
    expect(r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f]/);
    const f = sluice([], '{"a":1}\n\x1b]0;owned\x07\n');
    expect(f.code).toBe(1);
    expect(f.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f]/);
  });
});

describe('item 21: no stack trace or internal error for environment or user errors', () => {
  for (const args of ['--help', '--version', '--explain head 1', 'help head']) {
    it(`${args} > /dev/full`, () => {
      const r = shell(`sluice ${args} > /dev/full`);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('sluice: cannot write output: no space left on device\n');
    });
  }
  it('a broken stderr pipe exits 0 quietly', () => {
    const r = shell(`(echo '{"a":1}'; seq 1 20000 | sed 's/^/bad /') | sluice --on-error warn 2>&1 | head -1; echo "rc=\${PIPESTATUS[1]}"`);
    expect(r.stdout).toBe('sluice: malformed NDJSON: unexpected "b" at column 1 at stdin:2: bad 1\nrc=0\n');
  });
  it('--max-line-bytes must be a whole number in range', () => {
    for (const v of ['0.5', '1e12', '0', '-3', 'x']) {
      const r = sluice(['--max-line-bytes', v], '{"a":1}\n');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^sluice: --max-line-bytes must be a whole number of bytes from 1 to 268435456/);
    }
  });
});

describe('item 22: messages in words', () => {
  it('errno in words with the path', () => {
    const p = file('noperm22.ndjson', '{"a":1}\n');
    fs.chmodSync(p, 0o000);
    const r = sluice(['--from', p]);
    // (root reads anything: then there is no error to word)
    if (r.code !== 0) expect(r.stderr).toBe(`sluice: cannot read ${p}: permission denied\n`);
    expect(sluice(['--from', path.join(tmp, 'missing.ndjson')]).stderr).toBe(`sluice: cannot read ${path.join(tmp, 'missing.ndjson')}: no such file or directory\n`);
    expect(sluice(['--errors', path.join(tmp, 'nodir', 'e.ndjson')], '{"a":1}\n').stderr).toMatch(/^sluice: --errors .* no such file or directory|cannot open --errors file .*: no such file or directory/);
  });
  it('JSON parse positions as columns', () => {
    const r = sluice([], '{"a":}\n');
    expect(r.stderr).toBe('sluice: malformed NDJSON: unexpected "}" at column 6 at stdin:1: {"a":}\n');
  });
});

describe('item 4: CSV output of a record with the header fields in another order or a subset', () => {
  it('goes under the current header; a new block only for a field the header lacks', () => {
    const r = sluice(['-o', 'csv'], '{"a":1,"b":2}\n{"b":3,"a":4}\n{"a":5}\n{"constructor":6}\n');
    expect(r.stdout).toBe('a,b\n1,2\n4,3\n5,\n\nconstructor\n6\n');
    // left join output whose unmatched rows lack the table's fields keeps one header
    const s = sluice(['-o', 'csv', 'select', 'a,b'], '{"a":1,"b":2}\n{"a":3}\n{"b":4}\n');
    expect(s.stdout).toBe('a,b\n1,2\n3,\n,4\n');
  });
});

describe('item 6: blank lines inside CSV/TSV input are skipped; -i csvlite reads schema-change blocks', () => {
  it('no row is lost to a blank line', () => {
    const r = sluice(['agg', 'count, sum(a)'], 'a,b\n1,2\n\n3,4\n5,6\n');
    expect(r.stdout).toBe('count,sum_a\n3,9\n');
    const t = sluice(['-i', 'tsv', '-o', 'ndjson'], 'a\tb\n1\t2\n\n\n3\t4\n');
    expect(t.stdout).toBe('{"a":1,"b":2}\n{"a":3,"b":4}\n');
  });
  it('-i csvlite: a blank line and a new header start a new block (sluice reads its own CSV blocks back)', () => {
    const csv = sluice(['-o', 'csv'], '{"a":1}\n{"b":2}\n').stdout;
    expect(csv).toBe('a\n1\n\nb\n2\n');
    const back = sluice(['-i', 'csvlite', '-o', 'ndjson'], csv);
    expect(back.stdout).toBe('{"a":1}\n{"b":2}\n');
  });
});

describe('item 7: CR-only line ends are read', () => {
  it('CSV and NDJSON', () => {
    expect(sluice(['agg', 'count'], 'a,b\r1,2\r3,4\r').stdout).toBe('count\n2\n');
    expect(sluice(['-o', 'ndjson'], 'a,b\r1,"x\ry"\r3,4').stdout).toBe('{"a":1,"b":"x\\ny"}\n{"a":3,"b":4}\n');
    expect(sluice([], '{"a":1}\r{"a":2}\r').stdout).toBe('{"a":1}\n{"a":2}\n');
    // CRLF stays CRLF (a CR inside quotes is kept)
    expect(sluice(['-o', 'ndjson'], 'a,b\r\n1,"x\ry"\r\n').stdout).toBe('{"a":1,"b":"x\\ry"}\n');
  });
});

describe('item 22: TSV messages say TSV; --no-header never mentions a header; a flat chain of 600 || terms', () => {
  it('TSV and --no-header wording', () => {
    const t = sluice(['-i', 'tsv'], 'a\tb\n1\t2\t3\n');
    expect(t.stderr).toBe('sluice: malformed TSV: 3 fields, the header has 2 at stdin:2: 1\\t2\\t3\n');
    const n = sluice(['--no-header', '-i', 'csv'], '1,2\n3\n');
    expect(n.stderr).toBe('sluice: malformed CSV: 1 field, the first row has 2 at stdin:2: 3\n');
    expect(n.stderr).not.toContain('header');
  });
  it('600 || terms and 600 and terms parse and evaluate', () => {
    const or = Array.from({ length: 600 }, (_, i) => `a == ${i}`).join(' || ');
    expect(sluice(['filter', or], '{"a":599}\n{"a":600}\n').stdout).toBe('{"a":599}\n');
    const and = Array.from({ length: 600 }, (_, i) => `a != ${i}`).join(' and ');
    expect(sluice(['filter', and], '{"a":599}\n{"a":600}\n').stdout).toBe('{"a":600}\n');
  });
});

describe('item 11: invalid UTF-8 is counted and reported; --encoding latin1; UTF-16 by its BOM', () => {
  const latin1 = Buffer.from('name,city\nJos\xe9,M\xfcnchen\nAnn,Paris\n\xe9\xe9,x\n', 'latin1');
  it('lines with invalid bytes are counted on stderr with a hint', () => {
    const p = file('latin11.csv', latin1);
    const r = sluice(['--from', p]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `sluice: ${p}: 2 lines with invalid UTF-8 (first at byte 13) read with U+FFFD in place of the bad bytes; if the input is Latin-1 (ISO 8859-1), use --encoding latin1\n`,
    );
    // stdin (a pipe) too; a real U+FFFD in valid UTF-8 is not counted
    expect(shell(`cat ${p} | sluice`).stderr).toMatch(/^sluice: stdin: 2 lines with invalid UTF-8/);
    expect(sluice(['-o', 'ndjson'], 'a\n\ufffd\n').stderr).toBe('');
  });
  it('--encoding latin1 gives the bytes back unchanged', () => {
    const p = file('latin11b.csv', latin1);
    const out = path.join(tmp, 'latin11b.out');
    const r = shell(`sluice --encoding latin1 --from ${p} > ${out}`);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(fs.readFileSync(out).equals(latin1)).toBe(true);
    // and a changed record is written in Latin-1 too
    shell(`sluice --encoding latin1 --from ${p} -o ndjson head 1 > ${out}`);
    expect(fs.readFileSync(out).equals(Buffer.from('{"name":"Jos\xe9","city":"M\xfcnchen"}\n', 'latin1'))).toBe(true);
  });
  it('UTF-16 with a byte order mark is decoded, never read as garbage rows', () => {
    const le = file('u16le.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n1,é\n', 'utf16le')]));
    expect(sluice(['--from', le, '-o', 'ndjson']).stdout).toBe('{"a":1,"b":"é"}\n');
    const beBody = Buffer.from('a,b\n1,é\n', 'utf16le').swap16();
    const be = file('u16be.csv', Buffer.concat([Buffer.from([0xfe, 0xff]), beBody]));
    expect(sluice(['--from', be, '-o', 'ndjson']).stdout).toBe('{"a":1,"b":"é"}\n');
  });
});
