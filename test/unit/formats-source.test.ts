import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FILE_CHUNK_BYTES, FileSource, StreamSource, isRegularFile, isRegularFileFd, type ChunkSource } from '../../src/formats/source.js';
import { FIXTURES, shell } from '../helpers/run.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-source-'));

/** Write `text` (or bytes) to a temporary file; returns its path. */
function tmpFile(name: string, content: string | Buffer): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, content);
  return p;
}

/** Read a source to its end; `onChunk` may pause/stop it. Resolves with the chunks (and whether it ended or failed). */
function drain(src: ChunkSource, onChunk?: (chunk: string, n: number) => void): Promise<{ chunks: string[]; ended: boolean; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const chunks: string[] = [];
    src.start({
      data(c) {
        chunks.push(c);
        onChunk?.(c, chunks.length);
      },
      end: () => resolve({ chunks, ended: true }),
      error: (e) => resolve({ chunks, ended: false, error: e }),
    });
  });
}

/** Text of about `bytes` UTF-8 bytes with 2-, 3- and 4-byte characters, so that chunk boundaries cut some of them. */
function multibyte(bytes: number): string {
  const parts = ['a', 'é', '中', '😀', '\n', 'xyz,', '"q"'];
  const out: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const p = parts[i % parts.length]!.repeat(1 + (i % 5));
    out.push(p);
    n += Buffer.byteLength(p);
  }
  return out.join('');
}

describe('FileSource', () => {
  it('delivers the file as text in 64 KiB reads, characters cut by a chunk boundary made whole', async () => {
    const text = multibyte(5 * FILE_CHUNK_BYTES + 123);
    const file = tmpFile('multi.txt', text);
    const fd = fs.openSync(file, 'r');
    const { chunks, ended } = await drain(new FileSource(fd, true));
    expect(ended).toBe(true);
    expect(chunks.join('')).toBe(text);
    expect(chunks.length).toBe(Math.ceil(Buffer.byteLength(text) / FILE_CHUNK_BYTES));
    expect(chunks.every((c) => c.length > 0)).toBe(true);
    // an owned descriptor is closed at the end
    expect(() => fs.fstatSync(fd)).toThrow(/EBADF/);
  });

  it('ends at once on an empty file, and ends an incomplete UTF-8 sequence with U+FFFD as a stream does', async () => {
    expect((await drain(new FileSource(fs.openSync(tmpFile('empty', ''), 'r'), true))).chunks).toEqual([]);
    const bytes = Buffer.concat([Buffer.from('ok '), Buffer.from('中').subarray(0, 2)]);
    const file = tmpFile('cut.txt', bytes);
    const viaFile = (await drain(new FileSource(fs.openSync(file, 'r'), true))).chunks.join('');
    const viaStream = (await drain(new StreamSource(fs.createReadStream(file), false))).chunks.join('');
    expect(viaFile).toBe(viaStream);
    expect(viaFile).toBe('ok \ufffd');
  });

  it('reads from the descriptor’s current offset, and leaves a descriptor it does not own open', async () => {
    const file = tmpFile('offset.txt', 'first\nsecond\nthird\n');
    const fd = fs.openSync(file, 'r');
    fs.readSync(fd, Buffer.alloc(6), 0, 6, null);
    const { chunks } = await drain(new FileSource(fd, false));
    expect(chunks.join('')).toBe('second\nthird\n');
    expect(fs.fstatSync(fd).isFile()).toBe(true);
    fs.closeSync(fd);
  });

  it('pause holds further chunks until resume (backpressure); stop ends it with no further callback', async () => {
    const text = 'x'.repeat(4 * FILE_CHUNK_BYTES);
    const file = tmpFile('pause.txt', text);
    const src = new FileSource(fs.openSync(file, 'r'), true);
    let resumedAt = 0;
    const got = await drain(src, (_c, n) => {
      if (n === 1) {
        src.pause();
        expect(src.isPaused()).toBe(true);
        setTimeout(() => {
          resumedAt = n;
          src.resume();
        }, 30);
      }
    });
    expect(resumedAt).toBe(1);
    expect(got.chunks.join('')).toBe(text);

    const fd = fs.openSync(file, 'r');
    const stopped = new FileSource(fd, true);
    const seen: string[] = [];
    let ended = false;
    stopped.start({
      data(c) {
        seen.push(c);
        stopped.stop();
      },
      end: () => (ended = true),
      error: () => (ended = true),
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.length).toBe(1);
    expect(ended).toBe(false);
    expect(() => fs.fstatSync(fd)).toThrow(/EBADF/);
  });

  it('yields to the event loop while reading a large file (timers still run)', async () => {
    const file = tmpFile('big.txt', 'y'.repeat(64 * FILE_CHUNK_BYTES));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await drain(new FileSource(fs.openSync(file, 'r'), true), () => {
      const t = Date.now();
      while (Date.now() - t < 1); // some work per chunk
    });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(2);
  });

  it('tells regular files from everything else', () => {
    expect(isRegularFile(path.join(FIXTURES, 'airports.csv'))).toBe(true);
    expect(isRegularFile(FIXTURES)).toBe(false);
    expect(isRegularFile(path.join(tmp, 'no-such-file'))).toBe(false);
    expect(isRegularFile('/dev/null')).toBe(false);
    const fd = fs.openSync(path.join(FIXTURES, 'airports.csv'), 'r');
    expect(isRegularFileFd(fd)).toBe(true);
    fs.closeSync(fd);
    expect(isRegularFileFd(987654)).toBe(false);
  });
});

describe('StreamSource', () => {
  it('delivers a stream’s text and reports its error', async () => {
    expect((await drain(new StreamSource(Readable.from([Buffer.from('a\n'), Buffer.from('b\n')]), false))).chunks.join('')).toBe('a\nb\n');
    const failing = new Readable({
      read() {
        this.destroy(Object.assign(new Error('boom'), { code: 'EIO' }));
      },
    });
    const r = await drain(new StreamSource(failing, false));
    expect(r.ended).toBe(false);
    expect(r.error?.code).toBe('EIO');
  });
});

describe('sluice reading files and stdin', () => {
  const csv = path.join(FIXTURES, 'airports.csv');
  const nd = path.join(FIXTURES, 'flights-20k.ndjson');

  it('stdin redirected from a file, a pipe and --from give the same output', () => {
    for (const [file, args] of [
      [csv, "filter 'latitude > 40'"],
      [nd, "filter 'delay > 60' then select origin,delay"],
    ] as const) {
      const viaFile = shell(`sluice ${args} < ${file}`);
      const viaPipe = shell(`cat ${file} | sluice ${args}`);
      const viaFrom = shell(`sluice --from ${file} ${args}`);
      expect(viaFile.code).toBe(0);
      expect(viaFile.stdout.length).toBeGreaterThan(1000);
      expect(viaFile.stdout).toBe(viaPipe.stdout);
      expect(viaFrom.stdout).toBe(viaPipe.stdout);
      expect(viaFile.stderr + viaPipe.stderr + viaFrom.stderr).toBe('');
    }
  });

  it('a file on stdin is read from where an earlier command left it', () => {
    // `read` consumes the header line, so sluice takes the first data row for the header
    const r = shell(`{ read -r first; sluice --csv -o ndjson head 2; } < ${csv}`);
    const expected = shell(`tail -n +2 ${csv} | sluice --csv -o ndjson head 2`);
    expect(r.stdout).toBe(expected.stdout);
    expect(r.stdout.split('\n')[0]).toMatch(/^\{"00M":"00R",/);
  });

  it('`sluice < file | head -1` and a rejected record stop reading promptly with the usual status', () => {
    const big = tmpFile('big.ndjson', fs.readFileSync(nd, 'utf8').repeat(20));
    const r = shell(`sluice < ${big} | head -1; echo "status=\${PIPESTATUS[0]}"`);
    expect(r.stdout).toBe(fs.readFileSync(nd, 'utf8').split('\n')[0] + '\nstatus=0\n');
    expect(r.stderr).toBe('');
    const bad = tmpFile('bad.ndjson', '{"a":1}\n{"a":\n' + '{"a":2}\n'.repeat(200000));
    const f = shell(`sluice < ${bad}`);
    expect(f.code).toBe(1);
    expect(f.stdout).toBe('{"a":1}\n');
    expect(f.stderr).toMatch(/^sluice: malformed NDJSON.* at stdin:2/);
  });
});
