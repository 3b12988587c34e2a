import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { ChunkSource } from '../../src/formats/source.js';
import { FileSource } from '../../src/formats/source.js';
import { GunzipSource, fileIsGzip, fileSource, isGzipMagic, streamSource } from '../../src/sources/gzip.js';
import { shell } from '../helpers/run.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-gzip-'));
function tmpFile(name: string, content: string | Buffer): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, content);
  return p;
}

function drain(src: ChunkSource, onChunk?: (chunk: string, n: number) => void): Promise<{ text: string; ended: boolean; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const chunks: string[] = [];
    src.start({
      data(c) {
        chunks.push(c);
        onChunk?.(c, chunks.length);
      },
      end: () => resolve({ text: chunks.join(''), ended: true }),
      error: (e) => resolve({ text: chunks.join(''), ended: false, error: e }),
    });
  });
}

/** A byte stream (Readable.from alone would make an object-mode stream). */
const bytes = (parts: Buffer[]) => Readable.from(parts, { objectMode: false });

const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => `line ${from + i} é中😀`).join('\n') + '\n';

describe('gzip detection', () => {
  it('knows the magic bytes, and looks at a file without moving its offset', () => {
    expect(isGzipMagic(Buffer.from([0x1f, 0x8b, 8]))).toBe(true);
    expect(isGzipMagic(Buffer.from([0x1f]))).toBe(false);
    expect(isGzipMagic(Buffer.from('{"a":1}'))).toBe(false);
    const gz = tmpFile('m.gz', zlib.gzipSync('hello\n'));
    const fd = fs.openSync(gz, 'r');
    expect(fileIsGzip(fd)).toBe(true);
    const b = Buffer.alloc(2);
    fs.readSync(fd, b, 0, 2, null);
    expect(isGzipMagic(b)).toBe(true); // still at offset 0
    fs.closeSync(fd);
    const plain = fs.openSync(tmpFile('p.txt', 'x'), 'r');
    expect(fileIsGzip(plain)).toBe(false);
    expect(fileSource(plain, true)).toBeInstanceOf(FileSource);
  });
});

describe('GunzipSource / fileSource / streamSource', () => {
  const a = lines(0, 5000);
  const b = lines(5000, 7000);
  const both = Buffer.concat([zlib.gzipSync(a), zlib.gzipSync(b)]);

  it('reads concatenated members in full, from a file and from a stream', async () => {
    const file = tmpFile('ab.gz', both);
    expect((await drain(fileSource(fs.openSync(file, 'r'), true))).text).toBe(a + b);
    // a stream cut into odd pieces, the first of them the single byte 1f
    const pieces = [both.subarray(0, 1), both.subarray(1, 7), both.subarray(7, 5000), both.subarray(5000)];
    const r = await drain(streamSource(bytes(pieces), false));
    expect(r.ended).toBe(true);
    expect(r.text).toBe(a + b);
  });

  it('passes plain streams through: bytes, strings, empty, a lone 1f byte', async () => {
    expect((await drain(streamSource(bytes([Buffer.from('x,y\n'), Buffer.from('1,2\n')]), false))).text).toBe('x,y\n1,2\n');
    expect((await drain(streamSource(Readable.from(['{"a":1}\n', '{"a":2}\n']), false))).text).toBe('{"a":1}\n{"a":2}\n');
    expect(await drain(streamSource(bytes([]), false))).toEqual({ text: '', ended: true });
    expect((await drain(streamSource(bytes([Buffer.from([0x1f])]), false))).text).toBe('\x1f');
  });

  it('does not hold back the first line of a plain pipe (tail -f)', async () => {
    const pipe = new PassThrough();
    const src = streamSource(pipe, false);
    const first = new Promise<string>((resolve) => src.start({ data: resolve, end() {}, error() {} }));
    pipe.write('first line\n'); // and nothing more for now
    expect(await first).toBe('first line\n');
    src.stop();
  });

  it('a truncated or corrupt stream is an error in words, after the text before it', async () => {
    const cut = both.subarray(0, both.length - 100);
    const r = await drain(new GunzipSource(bytes([cut]), false));
    expect(r.ended).toBe(false);
    expect(r.error?.message).toMatch(/^truncated gzip data \(unexpected end of file\)$/);
    expect(r.error?.code).toBeUndefined();
    expect((a + b).startsWith(r.text)).toBe(true);
    const bad = Buffer.from(both);
    bad[40] ^= 0xff;
    bad[41] ^= 0xff;
    const c = await drain(streamSource(bytes([bad]), false));
    expect(c.ended).toBe(false);
    expect(c.error?.message).toMatch(/^corrupt gzip data \(/);
    const trailing = await drain(streamSource(bytes([Buffer.concat([zlib.gzipSync('a\n'), Buffer.from('junk')])]), false));
    expect(trailing.error?.message).toMatch(/^corrupt gzip data/);
  });

  it('pause holds the decompressed text until resume (backpressure reaches the compressed input)', async () => {
    // 8 MiB of text in a small compressed file
    const big = 'abcdefghij'.repeat(100).concat('\n').repeat(8 * 1024);
    const file = tmpFile('big.gz', zlib.gzipSync(big));
    const src = fileSource(fs.openSync(file, 'r'), true);
    let during = 0;
    let paused = true;
    const r = await drain(src, (_c, n) => {
      if (n === 1) {
        src.pause();
        expect(src.isPaused()).toBe(true);
        setTimeout(() => {
          paused = false;
          src.resume();
        }, 50);
      } else if (paused) during++;
    });
    expect(during).toBe(0);
    expect(r.text.length).toBe(big.length);
  });

  it('stop ends it with no further callback', async () => {
    const file = tmpFile('stop.gz', zlib.gzipSync('x'.repeat(1 << 20)));
    const src = fileSource(fs.openSync(file, 'r'), true);
    let calls = 0;
    await new Promise<void>((resolve) => {
      src.start({
        data() {
          calls++;
          src.stop();
          setTimeout(resolve, 50);
        },
        end: () => calls++,
        error: () => calls++,
      });
    });
    expect(calls).toBe(1);
  });
});

describe('sluice reading gzip', () => {
  const a = '{"n":1}\n{"n":2}\n';
  const b = '{"n":3}\n';
  const ga = tmpFile('a.ndjson.gz', zlib.gzipSync(a));
  const gb = tmpFile('b.ndjson.gz', zlib.gzipSync(b));
  const csvGz = tmpFile('t.csv.gz', zlib.gzipSync('{x},y\n1,2\n'));

  it('pipes, redirected stdin and --from, with the format found through .gz', () => {
    const viaPipe = shell(`cat ${ga} ${gb} | sluice`);
    expect(viaPipe.stdout).toBe(a + b);
    expect(shell(`sluice < ${ga}`).stdout).toBe(a);
    expect(shell(`sluice --from ${ga} --from ${gb}`).stdout).toBe(a + b);
    // t.csv.gz would be sniffed as NDJSON by its first byte: its name says CSV
    const r = shell(`sluice --from ${csvGz} -o ndjson`);
    expect(r.stdout).toBe('{"{x}":1,"y":2}\n');
  });

  it('a truncated or corrupt .gz is exit 1 with one line naming the file, no binary text', () => {
    const cut = tmpFile('cut.ndjson.gz', zlib.gzipSync(a.repeat(1000)).subarray(0, 60));
    for (const cmd of [`sluice --from ${cut}`, `sluice < ${cut}`, `cat ${cut} | sluice`]) {
      const r = shell(cmd);
      expect(r.code, cmd).toBe(1);
      const name = cmd.includes('--from') ? cut : 'stdin';
      expect(r.stderr, cmd).toBe(`sluice: cannot read ${name}: truncated gzip data (unexpected end of file)\n`);
    }
    const junk = tmpFile('junk.gz', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff]));
    const j = shell(`sluice --from ${junk}`);
    expect(j.code).toBe(1);
    expect(j.stderr).toMatch(new RegExp(`^sluice: cannot read ${junk}: (corrupt|truncated) gzip data \\([\\x20-\\x7e]*\\)\\n$`));
  });

  it('memory stays flat while a large .gz streams', () => {
    // 128 MiB of NDJSON that compresses to a few hundred KiB
    const big = path.join(tmp, 'big.ndjson.gz');
    const line = '{"level":"info","msg":"' + 'x'.repeat(100) + '"}\n';
    fs.writeFileSync(big, zlib.gzipSync(Buffer.from(line.repeat(Math.ceil((128 << 20) / line.length)))));
    const r = shell(`/usr/bin/time -f 'rss=%M' node bin/sluice.js --from ${big} filter 'level == "error"'`, 60_000);
    expect(r.code).toBe(0);
    const rss = Number(/rss=(\d+)/.exec(r.stderr)![1]) / 1024;
    expect(rss).toBeLessThan(200); // MiB; holding the text would take over 256
  });
});
