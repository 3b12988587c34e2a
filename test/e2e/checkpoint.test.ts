/**
 * End-to-end tests of `--checkpoint` (issue 15): resuming runs, signals,
 * damaged checkpoints, another pipeline, sources truncated since, outputs
 * truncated back, and `checkpoint show`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { shell, sluice, start } from '../helpers/run.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ckpt-'));

function recs(from: number, to: number, extra: (i: number) => string = () => ''): string {
  let s = '';
  for (let i = from; i < to; i++) s += `{"i":${i},"k":"${'kä€😀'[i % 4]}"${extra(i)}}` + (i % 3 === 0 ? '\r\n' : '\n');
  return s;
}

function dirFor(name: string): string {
  return fs.mkdtempSync(path.join(tmp, name + '-'));
}

describe('--checkpoint', () => {
  it('a run resumed after the input grew writes what one run over all of it writes (stdout appended with >>, --errors)', () => {
    const d = dirFor('grow');
    const inp = path.join(d, 'in.ndjson');
    const ck = path.join(d, 'c.ckpt');
    const out = path.join(d, 'out.ndjson');
    const errs = path.join(d, 'errors.ndjson');
    const bad = (i: number) => (i % 17 === 5 ? ',oops' : '');
    fs.writeFileSync(inp, recs(0, 100, bad));
    const cmd = `sluice --from ${inp} --checkpoint ${ck} --on-error skip --errors ${errs} filter 'i % 2 == 0' >> ${out}`;
    let r = shell(cmd);
    expect(r.code, r.stderr).toBe(0);
    // Lines with multi-byte characters and CRLF, appended in two parts.
    fs.appendFileSync(inp, recs(100, 150, bad));
    r = shell(cmd);
    expect(r.code, r.stderr).toBe(0);
    fs.appendFileSync(inp, recs(150, 200, bad));
    r = shell(cmd);
    expect(r.code, r.stderr).toBe(0);
    // Nothing new: nothing done, outputs untouched.
    r = shell(cmd);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/nothing to do/);
    const once = shell(`sluice --from ${inp} --on-error skip --errors ${errs}.once filter 'i % 2 == 0'`);
    expect(fs.readFileSync(out, 'utf8')).toBe(once.stdout);
    expect(fs.readFileSync(errs, 'utf8')).toBe(fs.readFileSync(errs + '.once', 'utf8'));
    expect(fs.readFileSync(errs, 'utf8').split('\n').filter(Boolean)).toHaveLength(12);
  });

  it('nr() numbers the records of a checkpointed source, and the numbers go on in a resumed run', () => {
    const d = dirFor('nr');
    const inp = path.join(d, 'in.ndjson');
    const ck = path.join(d, 'c.ckpt');
    const out = path.join(d, 'out.ndjson');
    fs.writeFileSync(inp, recs(0, 120));
    const cmd = `sluice --from ${inp} --checkpoint ${ck} map 'n = nr()' then filter 'n % 25 == 0' then select i,n >> ${out}`;
    let r = shell(cmd);
    expect(r.code, r.stderr).toBe(0);
    fs.appendFileSync(inp, recs(120, 260));
    r = shell(cmd);
    expect(r.code, r.stderr).toBe(0);
    const got = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { i: number; n: number });
    // Record i is the (i+1)th of the input: n = i + 1, 25, 50, ... 250 across both runs.
    expect(got.map((g) => g.n)).toEqual([25, 50, 75, 100, 125, 150, 175, 200, 225, 250]);
    expect(got.every((g) => g.n === g.i + 1)).toBe(true);
    expect(fs.readFileSync(out, 'utf8')).toBe(shell(`sluice --from ${inp} map 'n = nr()' then filter 'n % 25 == 0' then select i,n`).stdout);
  });

  it('SIGTERM writes a final checkpoint and exits 143; the next run goes on without loss or repeat', async () => {
    const d = dirFor('term');
    const inp = path.join(d, 'in.ndjson');
    const ck = path.join(d, 'c.ckpt');
    const out = path.join(d, 'out.ndjson');
    fs.writeFileSync(inp, recs(0, 300));
    fs.writeFileSync(out, '');
    const fd = fs.openSync(out, 'a');
    const { spawn } = await import('node:child_process');
    const { BIN, ROOT } = await import('../helpers/run.js');
    const child = spawn(process.execPath, [BIN, '-F', '--from', inp, '--checkpoint', ck, 'head', '1000'], { cwd: ROOT, stdio: ['ignore', fd, 'pipe'] });
    fs.closeSync(fd);
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const t0 = Date.now();
    while (fs.readFileSync(out, 'utf8').split('\n').length < 301) {
      if (Date.now() - t0 > 10_000) throw new Error('no output: ' + stderr);
      await new Promise((r) => setTimeout(r, 20));
    }
    const code = await new Promise<number | null>((resolve) => {
      child.on('close', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    expect(code, stderr).toBe(143);
    fs.appendFileSync(inp, recs(300, 400));
    const p = start(['-F', '--from', inp, '--checkpoint', ck, 'head', '1000']);
    await p.waitFor('"i":399');
    p.child.kill('SIGINT');
    expect((await p.exited).code).toBe(130);
    const ids = [...fs.readFileSync(out, 'utf8').split('\n'), ...p.stdout.split('\n')].filter(Boolean).map((l) => JSON.parse(l).i);
    expect(ids).toEqual(Array.from({ length: 400 }, (_, i) => i));
    // head's count went on: 400 kept so far.
    const show = sluice(['checkpoint', 'show', ck]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/records kept so far: 400/);
  }, 30_000);

  it('a source rotated since the checkpoint is read on from its old file (found by inode), then the new one', async () => {
    const d = dirFor('rot');
    const inp = path.join(d, 'app.ndjson');
    const ck = path.join(d, 'c.ckpt');
    const out = path.join(d, 'out.ndjson');
    fs.writeFileSync(inp, recs(0, 100));
    fs.writeFileSync(out, '');
    const p = start(['-F', '--from', inp, '--checkpoint', ck, 'filter', 'true']);
    await p.waitFor('"i":99');
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(143);
    fs.writeFileSync(out, p.stdout);
    // Rotated while sluice was down: the old file got more lines before the new one started.
    fs.appendFileSync(inp, recs(100, 120));
    fs.renameSync(inp, inp + '.1');
    fs.appendFileSync(inp + '.1', recs(120, 130));
    fs.writeFileSync(inp, recs(1000, 1010));
    const r = shell(`sluice --from ${inp} --checkpoint ${ck} filter true >> ${out}`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/app\.ndjson: rotated since the checkpoint; reading the rest of .*app\.ndjson\.1, then the new/);
    const ids = fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).i);
    expect(ids).toEqual([...Array.from({ length: 130 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 1000 + i)]);
  }, 30_000);

  it('open windows and groups survive SIGINT with --checkpoint: a follow stopped, then finished without -F, equals one run', async () => {
    for (const verbs of [
      ['window', 'tumbling', '1m', '--time', 'ts', 'then', 'agg', 'count, avg(x), p95(x), approx_distinct(u)', 'by', 'k'],
      ['agg', 'count, sum(x), first(u), collect(u)', 'by', 'k'],
    ]) {
      const d = dirFor('win');
      const inp = path.join(d, 'in.ndjson');
      const ck = path.join(d, 'c.ckpt');
      const out = path.join(d, 'out.ndjson');
      const gen = (from: number, to: number) => {
        let t = '';
        for (let i = from; i < to; i++) t += JSON.stringify({ ts: 1_700_000_000_000 + i * 1000, k: 'k' + (i % 3), x: i * 1.5, u: 'u' + (i % 7) }) + '\n';
        return t;
      };
      fs.writeFileSync(inp, gen(0, 150));
      fs.writeFileSync(out, '');
      const { spawn } = await import('node:child_process');
      const { BIN, ROOT } = await import('../helpers/run.js');
      const fd = fs.openSync(out, 'a');
      const child = spawn(process.execPath, [BIN, '-F', '--from', inp, '--checkpoint', ck, '--checkpoint-every', '100ms', ...verbs], { cwd: ROOT, stdio: ['ignore', fd, 'pipe'] });
      fs.closeSync(fd);
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      // Ready once its first checkpoint exists (the quiet-time timer writes it within a second).
      const t0 = Date.now();
      while (!fs.existsSync(ck)) {
        if (Date.now() - t0 > 15_000) throw new Error('no checkpoint: ' + stderr);
        await new Promise((r) => setTimeout(r, 20));
      }
      const code = await new Promise<number | null>((resolve) => {
        child.on('close', (c) => resolve(c));
        child.kill('SIGINT');
      });
      expect(code, stderr).toBe(130);
      const show = sluice(['checkpoint', 'show', ck]);
      expect(show.stdout).toMatch(verbs[0] === 'window' ? /open windows: 1, groups in them: 3/ : /groups: 3/);
      fs.appendFileSync(inp, gen(150, 400));
      const r = shell(`sluice --from ${inp} --checkpoint ${ck} ${verbs.map((v) => `'${v}'`).join(' ')} >> ${out}`);
      expect(r.code, r.stderr).toBe(0);
      const once = sluice(['--from', inp, ...verbs]);
      expect(fs.readFileSync(out, 'utf8')).toBe(once.stdout);
    }
  }, 60_000);

  it('a damaged or truncated checkpoint is exit 2 with a clear message, and the file is left as it was', () => {
    const d = dirFor('bad');
    const inp = path.join(d, 'in.ndjson');
    const ck = path.join(d, 'c.ckpt');
    fs.writeFileSync(inp, recs(0, 10));
    expect(sluice(['--from', inp, '--checkpoint', ck, 'filter', 'true']).code).toBe(0);
    const good = fs.readFileSync(ck);
    for (const [bytes, msg] of [
      [good.subarray(0, good.length - 7), /truncated or damaged/],
      [Buffer.concat([good.subarray(0, 150), Buffer.from('X'), good.subarray(151)]), /damaged/],
      [Buffer.from('hello\n'), /is not a sluice checkpoint/],
    ] as const) {
      fs.writeFileSync(ck, bytes);
      const r = sluice(['--from', inp, '--checkpoint', ck, 'filter', 'true']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).toMatch(/left as it is/);
      expect(r.stdout).toBe('');
      expect(fs.readFileSync(ck).equals(bytes)).toBe(true);
    }
  });

  it('another pipeline is refused (exit 2) saying what differs', () => {
    const d = dirFor('fp');
    const inp = path.join(d, 'in.ndjson');
    const ck = path.join(d, 'c.ckpt');
    fs.writeFileSync(inp, recs(0, 10));
    expect(sluice(['--from', inp, '--checkpoint', ck, 'filter', 'i > 3', 'then', 'head', '3']).code).toBe(0);
    fs.appendFileSync(inp, recs(10, 12));
    let r = sluice(['--from', inp, '--checkpoint', ck, 'filter', 'i > 4', 'then', 'head', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/another pipeline: verb 1 \(filter\): option expr was "i > 3", now "i > 4"/);
    r = sluice(['--from', inp, '--checkpoint', ck, 'filter', 'i > 3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the verbs were 'filter then head', now 'filter'/);
  });

  it('a source smaller than its checkpointed offset is read again from 0, with a note', () => {
    const d = dirFor('trunc');
    const inp = path.join(d, 'in.ndjson');
    const ck = path.join(d, 'c.ckpt');
    const out = path.join(d, 'out.ndjson');
    fs.writeFileSync(inp, recs(0, 50));
    expect(shell(`sluice --from ${inp} --checkpoint ${ck} >> ${out}`).code).toBe(0);
    fs.truncateSync(inp, 0);
    fs.writeFileSync(inp, recs(1000, 1003));
    const r = shell(`sluice --from ${inp} --checkpoint ${ck} >> ${out}`);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/in\.ndjson: file truncated since the checkpoint .*reading it again from the start/);
    const ids = fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).i);
    expect(ids).toEqual([...Array.from({ length: 50 }, (_, i) => i), 1000, 1001, 1002]);
  });

  it('stdout opened with > (emptied) after a checkpoint is refused rather than losing the earlier output', () => {
    const d = dirFor('gt');
    const inp = path.join(d, 'in.ndjson');
    const ck = path.join(d, 'c.ckpt');
    const out = path.join(d, 'out.ndjson');
    fs.writeFileSync(inp, recs(0, 5));
    expect(shell(`sluice --from ${inp} --checkpoint ${ck} > ${out}`).code).toBe(0);
    fs.appendFileSync(inp, recs(5, 6));
    const r = shell(`sluice --from ${inp} --checkpoint ${ck} > ${out}`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/stdout is 0 bytes, shorter than the \d+ bytes written before the checkpoint \(append to it with >>/);
  });

  it('usage errors: stdin, --checkpoint-every alone, JSON input, table output', () => {
    expect(sluice(['--checkpoint', path.join(tmp, 'x.ckpt')]).stderr).toMatch(/--checkpoint needs --from files/);
    expect(sluice(['--checkpoint-every', '1s', '--from', 'a.ndjson']).stderr).toMatch(/--checkpoint-every needs --checkpoint/);
    const js = path.join(tmp, 'in.json');
    fs.writeFileSync(js, '[{"a":1}]\n');
    const r = sluice(['--checkpoint', path.join(tmp, 'x.ckpt'), '--from', js]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/json input .* cannot be checkpointed yet; ndjson, csv, csvlite, tsv, logfmt, lines input can/);
    const t = sluice(['--checkpoint', path.join(tmp, 'x.ckpt'), '--from', 'test/fixtures/flights-20k.csv', '-o', 'table']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/table output cannot be checkpointed yet/);
    const nodir = sluice(['--checkpoint', path.join(tmp, 'no', 'such', 'c.ckpt'), '--from', 'test/fixtures/flights-20k.ndjson', 'head', '1']);
    expect(nodir.code).toBe(1);
    expect(nodir.stderr).toMatch(/--checkpoint: cannot write .*c\.ckpt: no such directory/);
    expect(nodir.stdout).toBe('');
    // gzip: offsets would be in the compressed stream.
    const gz = path.join(tmp, 'in.ndjson.gz');
    fs.writeFileSync(gz, zlib.gzipSync('{"a":1}\n'));
    const g = sluice(['--checkpoint', path.join(tmp, 'gz.ckpt'), '--from', gz]);
    expect(g.code).toBe(2);
    expect(g.stderr).toMatch(/is gzip-compressed: it cannot be resumed at an offset/);
  });
});
