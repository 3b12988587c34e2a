/**
 * Defects found by the trust review of session 6 (wrong results, silent data
 * loss, misleading messages): each test fails without its fix.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES, shell, sluice, start } from '../helpers/run.js';
import { execFileSync } from 'node:child_process';

const FLIGHTS = path.join(FIXTURES, 'flights-20k.ndjson');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-review-trust-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const lines = fs.readFileSync(FLIGHTS, 'utf8').split('\n').slice(0, 3000).map((l) => l + '\n');

describe('an output file of a verb that is also an input', () => {
  // The input was truncated, the run exited 0: everything in it was lost.
  const cases: Array<[string, (f: string) => string[]]> = [
    ['parse --unmatched', (f) => ['-i', 'lines', 'parse', '--pattern', 'combined', '--unmatched', f, f]],
    ['merge --late-output', (f) => ['merge', '--late-output', f, f]],
    ['merge --late-output (partials by --from)', (f) => ['merge', '--late-output', f, '--from', f]],
    ['partition --to', (f) => ['partition', '--by', 'origin', '-n', '1', '--to', f.replace(/0\.ndjson$/, '{}.ndjson'), f]],
  ];
  for (const [what, args] of cases) {
    it(`${what} is a usage error, and the input is left as it was`, () => {
      const f = path.join(dir, 'in-0.ndjson');
      fs.writeFileSync(f, lines.join(''));
      const r = sluice(args(f));
      expect(r.stderr).toMatch(/^sluice: \w+ output .*in-0\.ndjson is also an input .*choose another file\n$/);
      expect(r.code).toBe(2);
      expect(fs.readFileSync(f, 'utf8')).toBe(lines.join(''));
    });
  }
});

describe('partition --checkpoint', () => {
  it('a resumed run appends to the parts (they were truncated: the records of the first run were lost)', () => {
    const input = path.join(dir, 'grow.ndjson');
    const ckpt = path.join(dir, 'part.ckpt');
    fs.writeFileSync(input, lines.slice(0, 1500).join(''));
    const args = ['--checkpoint', ckpt, '--from', input, 'partition', '--by', 'origin', '-n', '3', '--to', path.join(dir, 'cp-{}.ndjson')];
    expect(sluice(args)).toMatchObject({ code: 0, stderr: '' });
    fs.appendFileSync(input, lines.slice(1500).join(''));
    expect(sluice(args)).toMatchObject({ code: 0, stderr: '' });
    const one = sluice(['partition', '--by', 'origin', '-n', '3', '--to', path.join(dir, 'one-{}.ndjson'), input]);
    expect(one.code).toBe(0);
    let total = 0;
    for (let i = 0; i < 3; i++) {
      const got = fs.readFileSync(path.join(dir, `cp-${i}.ndjson`), 'utf8');
      expect(got).toBe(fs.readFileSync(path.join(dir, `one-${i}.ndjson`), 'utf8'));
      total += got.split('\n').length - 1;
    }
    expect(total).toBe(3000);
  });
});

describe('merge with --checkpoint or --follow', () => {
  it('says merge cannot take them (said "needs --from files" / "stdin cannot be followed" to a command with --from files)', () => {
    const part = path.join(dir, 'a.part');
    fs.writeFileSync(part, sluice(['agg', 'count', '--partial', FLIGHTS]).stdout);
    for (const [opt, args] of [
      ['--checkpoint', ['--checkpoint', path.join(dir, 'm.ckpt'), '--from', part, 'merge']],
      ['--checkpoint', ['--checkpoint', path.join(dir, 'm.ckpt'), 'merge', part]],
      ['--follow', ['-F', '--from', part, 'merge']],
    ] as const) {
      const r = sluice([...args]);
      expect(r).toMatchObject({ code: 2, stdout: '', stderr: `sluice: ${opt} cannot be used with merge, which reads its partials itself\n` });
    }
  });
});

describe('fmtnum with a large width or precision', () => {
  it('is a value (or null past 1000), never "internal error" (toExponential/toFixed past 100 digits, a string past V8\'s limit)', () => {
    const r = sluice(['map', 'e = fmtnum(a, "%.101e"); g = fmtnum(a, "%.500g"); w = fmtnum(a, "%999999999d"); p = fmtnum(a, "%.999999999d"); f = fmtnum(a, "%.3e")'], '{"a":1.5}\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.e).toMatch(/^1\.50{99}e\+00$/);
    expect(o.g).toBe('1.5');
    expect([o.w, o.p, o.f]).toEqual([null, null, '1.500e+00']);
  });
});

describe('--max-line-bytes with a value that is not a whole number', () => {
  it("names the text given (said 'got NaN' for 1k, 'got 0' for '', and took 0x10 as 16)", () => {
    for (const v of ['1k', '', '0x10']) {
      const r = sluice(['--max-line-bytes', v, 'agg', 'count'], '{"a":1}\n');
      expect(r).toMatchObject({ code: 2, stdout: '', stderr: `sluice: --max-line-bytes must be a whole number of bytes from 1 to 268435456 (256 MiB) (got '${v}')\n` });
    }
    expect(sluice(['--max-line-bytes', '100', 'agg', 'count'], '{"a":1}\n').stdout).toBe('{"count":1}\n');
  });
});

describe('parse FIELD holding a number', () => {
  it('matches its text as read, as ~ does (every CSV cell that was a number, every JSON number, went unmatched)', () => {
    const r = sluice(['parse', 'code', '(?<cls>\\d)(?<rest>.*)', '-o', 'ndjson'], 'code,x\n404,a\n1.50,b\nabc,c\n');
    expect(r.stdout).toBe('{"x":"a","cls":4,"rest":"04"}\n{"x":"b","cls":1,"rest":".50"}\n');
    expect(r.stderr).toBe('sluice: parse: 1 line did not match (use --unmatched FILE to keep it)\n');
    // Unmatched, the number is put back as it was.
    const u = sluice(['parse', 'code', '(?<c>x)', '--keep-unmatched'], '{"code":1.50}\n');
    expect(u.stdout).toBe('{"code":1.50}\n');
  });
});

describe('tee FILE that is also stdout, --errors or another tee', () => {
  it('is a usage error (both wrote the file from offset 0: 3000 lines of 6000 were lost)', () => {
    const f = path.join(dir, 'both.ndjson');
    const r = shell(`sluice tee ${f} ${FLIGHTS} > ${f}`);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`sluice: output stdout and tee output ${f} are the same file: give each output its own file\n`);
    const t = sluice(['tee', f, 'then', 'tee', f, FLIGHTS]);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/^sluice: tee output .* and tee output .* are the same file/);
    const e = sluice(['--errors', f, 'tee', f, FLIGHTS]);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/^sluice: tee output .* and --errors .* are the same file/);
  });
});

describe('split to a group file that is the standard output', () => {
  it('fails with one line (both wrote the file from offset 0, exit 0)', () => {
    const d = fs.mkdtempSync(path.join(dir, 'split-'));
    const r = shell(`cd ${d} && sluice split --by origin --to 'o-{}.ndjson' ${FLIGHTS} >> o-ATL.ndjson`);
    expect(r.stderr).toBe('sluice: split: o-ATL.ndjson is also the standard output: write to another file\n');
    expect(r.code).toBe(1);
  });
});

describe('head with a malformed record after the records it needs', () => {
  // -j 1 failed (exit 1) when the bad line was in the chunk read with head's records (CSV: 64 KiB,
  // so line 1500 of a 3000-line file), and -j 2 did when it was in the range of head's records.
  const csv = fs.readFileSync(path.join(FIXTURES, 'flights-20k.csv'), 'utf8').split('\n').slice(0, 3001);
  const withBad = (n: number): string => [...csv.slice(0, n - 1), 'a,b', ...csv.slice(n - 1)].join('\n');
  it('is not an error: head had all it needs (-j 1 and -j 2 alike), and one before them still is', () => {
    const f = path.join(dir, 'bad-late.csv');
    for (const [n, code] of [[1500, 0], [600, 0], [7, 0], [6, 1]] as const) {
      fs.writeFileSync(f, withBad(n));
      for (const args of [['head', '5'], ['filter', 'true', 'then', 'head', '5']]) {
        const one = sluice(['-j', '1', ...args, f]);
        const two = sluice(['-j', '2', ...args, f], '', { SLUICE_J_CHUNK_BYTES: '16384' });
        expect({ n, args, code: one.code }).toEqual({ n, args, code });
        expect(one.stdout).toBe(csv.slice(0, code === 0 ? 6 : 5).join('\n') + '\n');
        expect(one.stderr).toBe(code === 0 ? '' : `sluice: malformed CSV: 2 fields, the header has 5 at ${f}:6: a,b\n`);
        expect({ n, args, ...two }).toEqual({ n, args, ...one });
      }
    }
  });
});

describe('tail -n N', () => {
  it("is tail N, as head -n N is (was \"'1' is more than tail takes\", exit 2)", () => {
    const csv = path.join(FIXTURES, 'flights-20k.csv');
    const r = sluice(['tail', '-n', '2', csv]);
    expect(r.code).toBe(0);
    expect(r).toEqual(sluice(['tail', '2', csv]));
    expect(sluice(['tail', '-n', '1', '--by', 'origin', csv]).stdout).toBe(sluice(['tail', '1', '--by', 'origin', csv]).stdout);
  });
});

describe('strftime(time(...)) and strftime(now())', () => {
  it('read the epoch ms time() gives as ms, even below 1e11 (1970 to 1973-03-03 came out ~1000 times later: 1971-06-01 as 3382-10-05)', () => {
    const r = sluice(['map', 'a = strftime(time(d), "%F"); b = strftime(time(d), "%F", "UTC"); c = strftime(n, "%T"); e = strftime(time("1970-01-01T00:00:05Z"), "%T")'], '{"d":"1971-06-01","n":5}\n');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('{"d":"1971-06-01","n":5,"a":"1971-06-01","b":"1971-06-01","c":"00:00:05","e":"00:00:05"}\n');
  });
});

describe('-i csvlite: a later block whose header has a name twice', () => {
  it('fails after writing the records before it, naming its line (they were lost when they shared a chunk with it)', () => {
    const r = sluice(['-i', 'csvlite', '-o', 'ndjson'], 'a,b\n1,2\n\na,a\n3,4\n');
    expect(r.stdout).toBe('{"a":1,"b":2}\n');
    expect(r.stderr).toBe("sluice: duplicate field name 'a' in the header at stdin:4: a,a\n");
    expect(r.code).toBe(1);
  });
});

describe('a FIFO named as input that no writer has opened yet', () => {
  it('SIGTERM ends the run (exit 143, the aggregate written), as on stdin: the blocked open kept the process alive', async () => {
    const fifo = path.join(dir, 'in.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const args of [['agg', 'count', fifo], ['merge', fifo]]) {
      const p = start(args);
      // Ready: the process holds the FIFO open, waiting for its writer (the blocked open never got there).
      const holds = (): boolean => {
        try {
          return fs.readdirSync(`/proc/${p.child.pid}/fd`).some((fd) => fs.readlinkSync(`/proc/${p.child.pid}/fd/${fd}`) === fifo);
        } catch {
          return false;
        }
      };
      for (let t0 = Date.now(); !holds() && Date.now() - t0 < 10_000; ) await new Promise((r) => setTimeout(r, 50));
      p.child.kill('SIGTERM');
      const deadline = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
      const { code, signal } = await p.exited;
      clearTimeout(deadline);
      expect({ args: args[0], code, signal }).toEqual({ args: args[0], code: 143, signal: null });
      if (args[0] === 'agg') expect(p.stdout).toBe('{"count":0}\n');
    }
    // Data still flows through it.
    const r = shell(`(sleep 0.3; cat ${FLIGHTS}) > ${fifo} & sluice agg count ${fifo}; wait`);
    expect(r.stdout).toBe('{"count":20000}\n');
  }, 30_000);
});

describe('-j N on a named pipe (<(...), a FIFO) holding CSV with quotes', () => {
  it('is read once, by one thread (the dealt run refused CSV output, and one thread opened the pipe again: the bytes read were lost and it waited forever)', () => {
    let text = 'id,name,note\n';
    for (let i = 0; i < 3000; i++) text += `${i},${i % 5 === 0 ? `"multi\nline ${i}"` : `n${i}`},x\n`;
    const f = path.join(dir, 'quoted.csv');
    fs.writeFileSync(f, text);
    const r = shell(`timeout 20 "${process.execPath}" bin/sluice.js -j 2 filter true <(cat ${f}) | md5sum; echo "rc=\${PIPESTATUS[0]}"`);
    const one = shell(`sluice -j 1 filter true ${f} | md5sum`);
    expect(r.stdout).toBe(one.stdout + 'rc=0\n');
  });
});

describe('--explain with a FIFO as input', () => {
  it('does not open it (the open waited for a writer, deaf to SIGTERM)', () => {
    const fifo = path.join(dir, 'explain.fifo');
    execFileSync('mkfifo', [fifo]);
    const r = shell(`timeout -s KILL 10 "${process.execPath}" bin/sluice.js --explain filter true ${fifo}; echo "rc=$?"`);
    expect(r.stdout).toMatch(new RegExp(`^input: +${fifo.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(sniffed from the first bytes when read\\)\n`));
    expect(r.stdout).toMatch(/rc=0\n$/);
  });
});

describe('-j N on a pipe that has sent nothing yet', () => {
  it('SIGTERM ends the run (exit 143, the aggregate written) instead of waiting for input that may never come', async () => {
    // sluice catches signals once bin/sluice.js runs (a few ms after the process starts); nothing it
    // prints tells when, so a run killed by a signal that came before that is tried again, waiting longer.
    let got: { code: number | null; signal: NodeJS.Signals | null; stdout: string } | undefined;
    for (const wait of [1000, 3000, 8000]) {
      const p = start(['-j', '2', 'agg', 'count']);
      await new Promise((r) => setTimeout(r, wait));
      p.child.kill('SIGTERM');
      const deadline = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
      const { code, signal } = await p.exited;
      clearTimeout(deadline);
      p.child.stdin.destroy();
      got = { code, signal, stdout: p.stdout };
      if (signal !== 'SIGTERM') break;
    }
    expect(got).toEqual({ code: 143, signal: null, stdout: '{"count":0}\n' });
  }, 60_000);
});

describe('a signal during a -j run that then goes to one thread', () => {
  it('ends the one-thread redo\'s input too (it read the whole file, then exited 130)', async () => {
    // 300,001 records; the first line holds invalid UTF-8, so the first range sends the run to one thread.
    const file = path.join(dir, 'sig-redo.ndjson');
    const body = Array.from({ length: 300_000 }, (_, i) => JSON.stringify({ i, delay: i % 97 })).join('\n') + '\n';
    fs.writeFileSync(file, Buffer.concat([Buffer.from('{"i":-1,"x":"\xff"}\n', 'latin1'), Buffer.from(body)]));
    const p = start(['-j', '2', '--from', file, 'agg', 'count'], { SLUICE_TEST_SIGNAL_READY: '1', SLUICE_J_CHUNK_BYTES: '65536', SLUICE_J_DEBUG: '1' });
    const t0 = Date.now();
    while (!p.stderr.includes('signals ready') && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 5));
    p.child.kill('SIGINT');
    const { code } = await p.exited;
    expect(code).toBe(130);
    // The split run took the signal, then its first range sent it to one thread.
    expect(p.stderr).toContain('one thread after all (invalid UTF-8)');
    const count = JSON.parse(p.stdout).count as number;
    expect(count).toBeLessThan(100_000);
  }, 60_000);
});

describe('var and stddev of values more than the largest double apart', () => {
  it('are "Infinity", not 0 (a deviation overflowed to -Infinity, which max(0, ...) hid)', () => {
    const r = sluice(['agg', 'var(x), stddev(x), count'], '{"x":1e308}\n{"x":1e308}\n{"x":-1.7e308}\n');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ var_x: 'Infinity', stddev_x: 'Infinity', count: 3 });
    // Large but within range: still a number.
    const ok = sluice(['agg', 'var(x)'], '{"x":1e150}\n{"x":-1e150}\n');
    expect(JSON.parse(ok.stdout).var_x).toBeCloseTo(2e300, -290);
  });
});

describe('a FIFO as join table, tee, --late-output or --errors file, with nobody at its other end', () => {
  /** Wait until the process is blocked opening a FIFO (Linux: /proc/PID/wchan), at most 20 s; false where /proc cannot tell. */
  async function blockedInFifo(pid: number): Promise<boolean> {
    const t0 = Date.now();
    while (Date.now() - t0 < 20_000) {
      let w = '';
      try {
        w = fs.readFileSync(`/proc/${pid}/wchan`, 'utf8');
      } catch {
        return false;
      }
      if (/wait_for_partner|fifo_open|pipe_read|pipe_wait/.test(w)) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }
  const cases: Array<[string, (f: string) => string[]]> = [
    ['join table', (f) => ['join', f, '--on', 'origin=iata', FLIGHTS]],
    ['tee', (f) => ['tee', f, FLIGHTS]],
    ['--late-output', (f) => ['window', 'tumbling', '1h', '--time', 'time', '--late-output', f, 'then', 'agg', 'count', FLIGHTS]],
    ['--errors', (f) => ['--errors', f, '--on-error', 'skip', 'agg', 'count', FLIGHTS]],
  ];
  for (const [what, args] of cases) {
    it(`${what}: SIGINT while it waits ends the process (it was ignored: the main thread was blocked in open)`, async () => {
      const fifo = path.join(dir, `fifo-${what.replace(/\W/g, '')}`);
      execFileSync('mkfifo', [fifo]);
      const p = start(args(fifo));
      const blocked = await blockedInFifo(p.child.pid!);
      if (!blocked) await new Promise((r) => setTimeout(r, 1500));
      p.child.kill('SIGINT');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
      const { signal } = await p.exited;
      clearTimeout(timer);
      expect(signal).toBe('SIGINT');
    }, 60_000);
  }
  it('a join table from a FIFO with a writer, and tee into one with a reader, work as files do', () => {
    const table = path.join(FIXTURES, 'airports.csv');
    const q = (x: string): string => JSON.stringify(x);
    const fifo = path.join(dir, 'fifo-table');
    execFileSync('mkfifo', [fifo]);
    const viaFile = sluice(['join', table, '--on', 'origin=iata', 'then', 'agg', 'count', 'by', 'state', FLIGHTS]);
    const r = shell(`cat ${q(table)} > ${q(fifo)} & sluice join ${q(fifo)} --on origin=iata then agg count by state ${q(FLIGHTS)}`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(viaFile.stdout);
    const out = path.join(dir, 'fifo-tee-out');
    execFileSync('mkfifo', [out]);
    const t = shell(`cat ${q(out)} > ${q(out + '.copy')} & sluice tee ${q(out)} then agg count ${q(FLIGHTS)}; wait`);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toBe('{"count":20000}\n');
    expect(fs.readFileSync(out + '.copy', 'utf8')).toBe(fs.readFileSync(FLIGHTS, 'utf8'));
  }, 60_000);
});

describe('sum and avg whose running sum passes the largest double', () => {
  // 1e308 + 1e308 overflows; -1.7e308 brings the sum back: 3.000000000000001e307 (the doubles' exact sum, rounded).
  const input = '{"x":1e308}\n{"x":1e308}\n{"x":-1.7e308}\n{"x":2}\n';
  const want = { sum_x: 3.000000000000001e307, avg_x: 7.500000000000002e306 };
  it('are the right numbers, not "Infinity" (one pass, and partials merged in either order)', () => {
    const one = sluice(['agg', 'sum(x), avg(x)'], input);
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toEqual(want);
    const [a, b] = [input.split('\n').slice(0, 2).join('\n') + '\n', input.split('\n').slice(2).join('\n')];
    const pa = sluice(['agg', '--partial', 'sum(x), avg(x)'], a).stdout;
    const pb = sluice(['agg', '--partial', 'sum(x), avg(x)'], b).stdout;
    expect(pa).toContain('"k":64');
    for (const parts of [pa + pb, pb + pa]) expect(JSON.parse(sluice(['merge'], parts).stdout)).toEqual(want);
    // A sum really beyond the doubles is still "Infinity"; the average of it is not.
    const big = sluice(['agg', 'sum(x), avg(x)'], '{"x":1e308}\n{"x":1e308}\n{"x":1e308}\n');
    expect(JSON.parse(big.stdout)).toEqual({ sum_x: 'Infinity', avg_x: 1e308 });
  });
  it('a partial with another scale is a malformed record naming it', () => {
    const pa = sluice(['agg', '--partial', 'sum(x)'], '{"x":1e308}\n{"x":1e308}\n').stdout.replace('"k":64', '"k":3');
    const r = sluice(['merge'], pa);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/scale k must be 64/);
  });
});
