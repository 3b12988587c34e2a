/**
 * Messages on stderr reach it before sluice exits. stderr that is a pipe is
 * written asynchronously by Node: `--on-error warn` over many bad lines
 * queued more than the pipe holds, and process.exit() at the end of the run
 * dropped the rest, the closing "N malformed records skipped" line included
 * (in about one run of three with 20,000 bad lines; every run here).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/run.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-stderr-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('stderr at exit', () => {
  it('every warning and the closing count reach a slowly read stderr pipe', async () => {
    const n = 30000;
    const file = path.join(dir, 'bad.ndjson');
    fs.writeFileSync(file, Array.from({ length: n }, (_, i) => `not json ${i}\n`).join(''));
    const child = spawn(process.execPath, [BIN, '--on-error', 'warn', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    const parts: Buffer[] = [];
    // A slow reader: the pipe stays full while sluice finishes its run.
    child.stderr.on('data', (b: Buffer) => {
      parts.push(b);
      child.stderr.pause();
      setImmediate(() => child.stderr.resume());
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const lines = Buffer.concat(parts).toString('utf8').split('\n').filter((l) => l !== '');
    expect(code).toBe(0);
    expect(lines.length).toBe(n + 1);
    expect(lines[n - 1]).toMatch(new RegExp(`bad\\.ndjson:${n}: not json ${n - 1}$`));
    expect(lines[n]).toBe(`sluice: ${n} malformed records skipped (use --errors FILE to keep them)`);
  }, 30_000);
});
