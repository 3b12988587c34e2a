/**
 * `-j N` on input read once (issue 14 item 5: "stdin and pipes are dealt out
 * batch by batch"): stdin pipes, gzip, CSV whose quoted fields span lines.
 * Output identical to `-j 1`, order and messages included; a line written
 * into a pipe comes out before the input ends; `head` stops endless input.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawn, spawnSync } from 'node:child_process';
import { BIN, FIXTURES, ROOT, sluice } from '../helpers/run.js';

const LINES = fs.readFileSync(path.join(FIXTURES, 'flights-20k.ndjson'), 'utf8').trim().split('\n');

/** CSV with quoted fields, some holding a newline, a delimiter or a doubled quote. */
function quotedCsv(n: number): string {
  let s = 'id,name,note\n';
  for (let i = 0; i < n; i++) s += `${i},"n${i}${i % 7 === 0 ? '\nline2 ""q"", x' : ''}",${i % 3 === 0 ? '"a,b"' : 'plain'}\n`;
  return s;
}

describe('-j 2 on stdin equals -j 1', () => {
  const PIPELINES = [
      ['map', 'x = delay * 2', 'then', 'select', 'origin,x'],
      ['filter', 'delay > 0', 'then', 'agg', 'count, max(delay), first(destination), p95(delay)', 'by', 'origin'],
      ['filter', 'delay > 0', 'then', 'agg', 'count, sum(delay), avg(distance)', 'by', 'origin'],
      ['filter', 'delay > 0', 'then', 'window', 'tumbling', '1h', '--time', 'time', 'then', 'agg', 'count', 'by', 'origin'],
      ['filter', 'delay > 5', 'then', 'sort', '-nr', 'delay', 'then', 'head', '5'],
  ];
  it.each([0, 1, 2])('NDJSON from a pipe, two job sizes: record-wise verbs, agg, windows, later verbs (part %i)', (part) => {
    const input = LINES.slice(0, 6000).join('\n') + '\n';
    for (const words of PIPELINES.slice(part * 2, part * 2 + 2)) {
      const one = sluice(words, input);
      expect(one.code).toBe(0);
      for (const chunk of ['3000', '']) {
        const par = sluice(['-j', '2', ...words], input, chunk ? { SLUICE_J_CHUNK_BYTES: chunk } : {});
        expect(par.stderr).toBe(one.stderr);
        expect(par.code).toBe(0);
        expect(par.stdout).toBe(one.stdout);
      }
    }
  }, 60_000);

  it('an agg with a group per record on stdin: merged in the main thread (a stream cannot be redone in one thread)', () => {
    let input = '';
    for (let i = 0; i < 30000; i++) input += `{"id":${i},"v":${i % 7}}\n`;
    const words = ['agg', 'count, max(v), first(v)', 'by', 'id'];
    const one = sluice(words, input);
    const par = sluice(['-j', '2', ...words], input, { SLUICE_J_CHUNK_BYTES: '50000' });
    expect(one.code).toBe(0);
    expect(par.stderr).toBe('');
    expect(par.code).toBe(0);
    expect(par.stdout).toBe(one.stdout);
  });

  it('the stream is really dealt out: many jobs for a small job size', () => {
    const input = LINES.slice(0, 3000).join('\n') + '\n';
    const par = sluice(['-j', '2', 'filter', 'delay > 10'], input, { SLUICE_J_CHUNK_BYTES: '5000', SLUICE_J_TRACE: '1' });
    const m = /-j trace: (\d+) jobs handed out, (\d+) written/.exec(par.stderr);
    expect(m, par.stderr).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(20);
    expect(m![2]).toBe(m![1]);
  });

  it('gzip on stdin, and a truncated gzip stream: the same records, then the same message', () => {
    const text = LINES.slice(0, 5000).join('\n') + '\n';
    const gz = zlib.gzipSync(Buffer.from(text));
    const words = ['filter', 'delay > 10'];
    const one = sluice(words, gz as unknown as string);
    const par = sluice(['-j', '2', ...words], gz as unknown as string, { SLUICE_J_CHUNK_BYTES: '7000' });
    expect(one.code).toBe(0);
    expect(par.stdout).toBe(one.stdout);
    expect(par.stderr).toBe(one.stderr);
    const cut = gz.subarray(0, Math.floor(gz.length / 2));
    const one2 = sluice(words, cut as unknown as string);
    const par2 = sluice(['-j', '2', ...words], cut as unknown as string, { SLUICE_J_CHUNK_BYTES: '7000' });
    expect(one2.code).toBe(1);
    expect(one2.stderr).toMatch(/truncated gzip data/);
    expect(par2.code).toBe(1);
    expect(par2.stderr).toBe(one2.stderr);
    expect(par2.stdout).toBe(one2.stdout);
  });

  it.each(['tsv', 'csv'])('CSV with a newline inside quoted fields, on stdin and as a file (%s output; CSV output goes to one thread)', (which) => {
    const csv = quotedCsv(3000);
    const dir = fs.mkdtempSync(path.join(ROOT, '.tmp-jstream-'));
    const file = path.join(dir, 'q.csv');
    fs.writeFileSync(file, csv);
    try {
      for (const out of [which === 'tsv' ? ['-o', 'tsv'] : []]) {
        for (const words of [['filter', 'id > 5'], ['map', 'x = id * 2', 'then', 'agg', 'count, max(x)', 'by', 'note']]) {
          const one = sluice(['-i', 'csv', ...out, ...words], csv);
          expect(one.code).toBe(0);
          for (const chunk of out.length ? ['300'] : ['5000']) {
            const env = { SLUICE_J_CHUNK_BYTES: chunk };
            const par = sluice(['-j', '3', '-i', 'csv', ...out, ...words], csv, env);
            expect(par.stderr).toBe(one.stderr);
            expect(par.stdout).toBe(one.stdout);
            const pf = sluice(['-j', '3', ...out, '--from', file, ...words], '', env);
            expect(pf.stdout).toBe(one.stdout);
          }
        }
      }
      // The header's quoted fields are kept as one thread keeps them; the records of a quoted
      // field spanning lines come out whole.
      const nd = sluice(['-j', '2', '-i', 'csv', '-o', 'ndjson', 'filter', 'id == 7'], csv, { SLUICE_J_CHUNK_BYTES: '100' });
      expect(JSON.parse(nd.stdout)).toEqual({ id: 7, name: 'n7\nline2 "q", x', note: 'plain' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a malformed record and an unterminated quote: the output before it, the same message with its line on stdin, exit 1', () => {
    const lines = LINES.slice(0, 4000);
    lines.splice(3210, 0, '{"delay": oops}');
    const input = lines.join('\n') + '\n';
    const one = sluice(['filter', 'delay > 10'], input);
    const par = sluice(['-j', '2', 'filter', 'delay > 10'], input, { SLUICE_J_CHUNK_BYTES: '4000' });
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(/stdin:3211/);
    expect(par.code).toBe(1);
    expect(par.stderr).toBe(one.stderr);
    expect(par.stdout).toBe(one.stdout);
    const csv = quotedCsv(500) + '7,"abc\n8,x,y\n';
    const c1 = sluice(['-i', 'csv', '-o', 'ndjson', 'filter', 'id > 3'], csv);
    const c2 = sluice(['-j', '2', '-i', 'csv', '-o', 'ndjson', 'filter', 'id > 3'], csv, { SLUICE_J_CHUNK_BYTES: '500' });
    expect(c1.stderr).toMatch(/unterminated quoted field at stdin:\d+/);
    expect(c2.code).toBe(c1.code);
    expect(c2.stderr).toBe(c1.stderr);
    expect(c2.stdout).toBe(c1.stdout);
  });

  it('invalid UTF-8 on stdin: the same records and the same summary line', () => {
    const input = Buffer.concat([Buffer.from(LINES.slice(0, 1500).join('\n') + '\n'), Buffer.from('{"origin":"\xff","delay":99}\n', 'latin1'), Buffer.from(LINES.slice(1500, 3000).join('\n') + '\n')]);
    const one = sluice(['filter', 'delay > 50'], input as unknown as string);
    const par = sluice(['-j', '2', 'filter', 'delay > 50'], input as unknown as string, { SLUICE_J_CHUNK_BYTES: '9000' });
    expect(one.stderr).toMatch(/invalid UTF-8/);
    expect(par.stderr).toBe(one.stderr);
    expect(par.stdout).toBe(one.stdout);
  });
});

describe('-j 2 on short or odd stdin equals -j 1 (and ends)', () => {
  it('empty, blank, no final newline, a header only, JSON arrays, CR-only and CRLF line ends, UTF-16, BOM, logfmt', () => {
    const cases: Array<[string, string[]]> = [
      ['', ['filter', 'a > 1']],
      ['\n\n  \n', ['filter', 'a > 1']],
      ['{"a":2}', ['filter', 'a > 1']],
      ['  {"a":2}', ['filter', 'a > 1']],
      ['{"a":2}\n{"a":', ['filter', 'a > 1']],
      ['a,b\n', ['filter', 'a > 1']],
      ['a,b\n1,2', ['filter', 'a > 0']],
      ['[{"a":2},{"a":0}]', ['filter', 'a > 1']],
      ['{"a":2}\r{"a":3}\r', ['filter', 'a > 1']],
      ['{"a":2}\r\n{"a":3}\r\n', ['filter', 'a > 1']],
      ['\ufeff{"a":2}\n', ['filter', 'a > 1']],
      ['\ufeffa,b\n5,6\n', ['-o', 'ndjson', 'filter', 'a > 1']],
      ['x=1 y=2\n', ['filter', 'x > 0']],
    ];
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"a":2}\n', 'utf16le')]);
    const run = (args: string[], input: string | Buffer) => {
      const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 20_000, cwd: ROOT, env: { ...process.env, NO_COLOR: '' } });
      return { stdout: r.stdout, stderr: r.stderr, code: r.status };
    };
    for (const [input, words] of [...cases, [utf16, ['filter', 'a > 1']] as [Buffer, string[]]]) {
      const one = run(words, input);
      const par = run(['-j', '2', ...words], input);
      expect(par.code, JSON.stringify(String(input))).not.toBeNull();
      expect(par).toEqual(one);
    }
  });
});

/** Start `sluice ARGS` with a pipe on stdin; resolves on exit with what it wrote. */
function startPiped(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    stdout += d;
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (stderr += d));
  child.stdin.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    out: () => stdout,
    err: () => stderr,
    exited,
    /** Resolves once stdout holds `n` lines. */
    lines(n: number): Promise<void> {
      return new Promise((resolve) => {
        const check = () => (stdout.split('\n').length - 1 >= n ? resolve() : waiters.push(check));
        check();
      });
    },
  };
}

describe('-j 2 on a slow or endless pipe', () => {
  it('a line written into the pipe comes out before the input ends (no 2 MiB wait)', async () => {
    const p = startPiped(['-j', '2', 'filter', 'a > 0', 'then', 'map', 'b = a * 10']);
    p.child.stdin.write('{"a":1}\n{"a":-1}\n');
    await p.lines(1);
    expect(p.out()).toBe('{"a":1,"b":10}\n');
    p.child.stdin.write('{"a":2}\n');
    await p.lines(2);
    expect(p.out()).toBe('{"a":1,"b":10}\n{"a":2,"b":20}\n');
    p.child.stdin.end('{"a":3}');
    expect(await p.exited).toBe(0);
    expect(p.out()).toBe('{"a":1,"b":10}\n{"a":2,"b":20}\n{"a":3,"b":30}\n');
    expect(p.err()).toBe('');
  }, 15_000);

  it('head stops an endless pipe', async () => {
    const p = startPiped(['-j', '2', 'filter', 'delay > 10', 'then', 'head', '3'], { SLUICE_J_CHUNK_BYTES: '20000' });
    const block = LINES.slice(0, 2000).join('\n') + '\n';
    let open = true;
    void p.exited.then(() => (open = false));
    const pump = (): void => {
      if (!open) return;
      if (p.child.stdin.write(block)) setImmediate(pump);
      else p.child.stdin.once('drain', pump);
    };
    pump();
    expect(await p.exited).toBe(0);
    expect(p.out().split('\n').length - 1).toBe(3);
    expect(p.err()).toBe('');
  }, 15_000);
});

describe('-j 3 equals -j 1 on stdin (property)', () => {
  it('random pipelines over random slices of flights through a pipe, random job sizes', () => {
    const verbArb = fc.oneof(
      fc.integer({ min: -20, max: 120 }).map((k) => ['filter', `delay > ${k}`]),
      fc.integer({ min: 1, max: 9 }).map((k) => ['map', `x = delay * ${k}; y = upper(origin)`]),
      fc.constantFrom(['select', 'origin,delay,time'], ['drop', 'distance'], ['filter', 'origin ~ "^[A-M]"']),
    );
    const tailArb = fc.constantFrom<string[][]>(
      [],
      [['head', '7']],
      [['agg', 'count, min(delay), last(time)', 'by', 'origin']],
      [['agg', 'count, avg(delay)', 'by', 'destination']],
      [['window', 'tumbling', '1h', '--time', 'time'], ['agg', 'count', 'by', 'origin']],
      [['uniq', '-g', 'origin']],
    );
    fc.assert(
      fc.property(fc.array(verbArb, { minLength: 1, maxLength: 3 }), tailArb, fc.boolean(), fc.integer({ min: 50, max: 5000 }), fc.integer({ min: 500, max: 60000 }), (verbs, tail, gzip, n, chunk) => {
        const text = LINES.slice(0, n).join('\n') + '\n';
        const input = gzip ? (zlib.gzipSync(Buffer.from(text)) as unknown as string) : text;
        const chain = [...verbs, ...tail];
        const words = chain.flatMap((v, i) => (i === 0 ? v : ['then', ...v]));
        const one = sluice(words, input);
        const par = sluice(['-j', '3', ...words], input, { SLUICE_J_CHUNK_BYTES: String(chunk) });
        expect(par.stderr).toBe(one.stderr);
        expect(par.code).toBe(one.code);
        expect(par.stdout).toBe(one.stdout);
      }),
      { numRuns: 6, endOnFailure: true },
    );
  }, 120_000);
});
