/**
 * stdout gets the UTF-8 bytes of each batch from one buffer that is reused
 * once stdout has taken them (engine/output.ts Sink, issue 13 speed): the
 * bytes must be exactly those of the text, to a file, to a pipe, and to a
 * pipe whose reader is slow (writes wait for it: Node writes stdout files and
 * pipes synchronously on Linux; where a write stays queued, the Sink does not
 * reuse the buffer it holds), with many-byte characters across batch
 * boundaries.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shell } from '../helpers/run.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-outbytes-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const words = ['plain ascii text', 'é à ü ß', '😀 emoji 🎉', '漢字かな', 'tab\there', 'quote " and \\ backslash', ''];
const lines: string[] = [];
for (let i = 0; i < 40_000; i++) lines.push(`${i} ${words[i % words.length]} ${'x'.repeat(i % 300)} ${words[(i * 7) % words.length]}`);
const input = path.join(dir, 'in.txt');
fs.writeFileSync(input, lines.join('\n') + '\n');
const expected = Buffer.from(lines.map((l) => JSON.stringify({ line: l })).join('\n') + '\n', 'utf8');

describe('stdout bytes', () => {
  it('are the UTF-8 of the output text to a file, a pipe and a slow pipe (several MB, many batches)', () => {
    expect(expected.length).toBeGreaterThan(4 * 1024 * 1024);
    for (const [name, redirect] of [
      ['file', '> OUT'],
      ['pipe', '| cat > OUT'],
      ['slow pipe', '| (sleep 1; cat > OUT)'],
    ] as const) {
      const out = path.join(dir, `${name.replace(' ', '-')}.ndjson`);
      const r = shell(`sluice -i lines --from ${input} ${redirect.replace('OUT', out)}`, 60_000);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      const got = fs.readFileSync(out);
      expect(got.length, name).toBe(expected.length);
      expect(got.equals(expected), name).toBe(true);
    }
  });

  it('a batch of more than 4 Mi characters (written as a string, not from the reused buffer) and small ones around it', () => {
    const huge = 'é'.repeat(4_300_000) + '😀';
    const text = ['before', huge, 'after'];
    const file = path.join(dir, 'huge.txt');
    fs.writeFileSync(file, text.join('\n') + '\n');
    const out = path.join(dir, 'huge.ndjson');
    const r = shell(`sluice -i lines --from ${file} > ${out}`, 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(out).equals(Buffer.from(text.map((l) => JSON.stringify({ line: l })).join('\n') + '\n'))).toBe(true);
  });

  it('parse --pattern combined (the text-only path) writes the same bytes to a file as to a pipe', () => {
    const log = path.join(dir, 'access.log');
    const one = '1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /é/😀 HTTP/1.1" 200 12 "-" "agent ü"';
    fs.writeFileSync(log, Array.from({ length: 30_000 }, (_, i) => one.replace('/é', `/${i}é`)).join('\n') + '\n');
    const a = path.join(dir, 'a.ndjson');
    const b = path.join(dir, 'b.ndjson');
    expect(shell(`sluice -i lines --from ${log} parse --pattern combined > ${a}`).code).toBe(0);
    expect(shell(`sluice -i lines --from ${log} parse --pattern combined | (sleep 1; cat > ${b})`).code).toBe(0);
    const ta = fs.readFileSync(a, 'utf8').split('\n');
    expect(ta.length).toBe(30_001);
    expect(JSON.parse(ta[29_999]!)).toMatchObject({ path: '/29999é/😀', agent: 'agent ü', status: 200 });
    expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(true);
  });
});
