/**
 * Join tables and --follow/--checkpoint sources are read under the input's
 * encoding rules (issue 10 item 11, loose ends): invalid UTF-8 is counted and
 * reported with the hint, --encoding latin1 gives bytes back unchanged,
 * UTF-16 is decoded by its byte order mark, gzip by its magic bytes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { shell, sluice } from '../helpers/run.js';
import { FileTail } from '../../src/sources/follow.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-enc-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
function file(name: string, bytes: Buffer | string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, bytes);
  return p;
}
const HINT = 'read with U+FFFD in place of the bad bytes; if the input is Latin-1 (ISO 8859-1), use --encoding latin1';

describe('join table files follow the input encoding rules', () => {
  // A Latin-1 CSV table: é is the byte e9, ü is fc.
  const table = Buffer.from('id,city\n1,M\xfcnchen\n2,Paris\n3,Sevilla \xe9\xe9\n', 'latin1');

  it('invalid UTF-8 in a table is counted and reported, naming the table', () => {
    const t = file('cities.csv', table);
    const r = sluice(['join', t, '--on', 'id'], '{"id":1}\n{"id":2}\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"id":1,"city":"M\ufffdnchen"}\n{"id":2,"city":"Paris"}\n');
    expect(r.stderr).toBe(`sluice: ${t}: 2 lines with invalid UTF-8 (first at byte 11) ${HINT}\n`);
  });

  it('--encoding latin1 reads the table as Latin-1: keys match and bytes come back unchanged', () => {
    const t = file('cities-l1.csv', Buffer.from('name,city\nJos\xe9,M\xfcnchen\nAnn,Paris\n', 'latin1'));
    const input = file('people-l1.csv', Buffer.from('name,age\nJos\xe9,40\nAnn,31\n', 'latin1'));
    const out = path.join(tmp, 'joined-l1.csv');
    // --encoding after the chain too: the table is read once the main options are known.
    const r = shell(`sluice --from ${input} join ${t} --on name --encoding latin1 > ${out}`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fs.readFileSync(out).equals(Buffer.from('name,age,city\nJos\xe9,40,M\xfcnchen\nAnn,31,Paris\n', 'latin1'))).toBe(true);
    // A table field named in Latin-1 (clé) is found by --on under latin1; under UTF-8 its name has U+FFFD.
    const t2 = file('keys-l1.csv', Buffer.from('cl\xe9,v\nx,1\n', 'latin1'));
    const ok = sluice(['join', t2, '--on', 'k=cl\u00e9', '--encoding', 'latin1'], '{"k":"x"}\n');
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe('{"k":"x","v":1}\n');
    const utf8 = sluice(['join', t2, '--on', 'k=cl\u00e9'], '{"k":"x"}\n');
    expect(utf8.code).toBe(2);
    expect(utf8.stderr).toBe(`sluice: join: ${t2} has no field 'cl\u00e9' (its fields: cl\ufffd, v)\n`);
  });

  it('a UTF-16 table is decoded by its byte order mark; a gzip table by its magic bytes', () => {
    const text = 'id,name\n1,J\u00f6rg\n2,\u6771\u4eac\n';
    const le = file('t16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const r = sluice(['join', le, '--on', 'id'], '{"id":2}\n{"id":1}\n');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('{"id":2,"name":"\u6771\u4eac"}\n{"id":1,"name":"J\u00f6rg"}\n');
    const gz = file('t.csv.gz', zlib.gzipSync(Buffer.from(text)));
    const g = sluice(['join', gz, '--on', 'id', '--format', 'csv'], '{"id":1}\n');
    expect(g.stderr).toBe('');
    expect(g.stdout).toBe('{"id":1,"name":"J\u00f6rg"}\n');
    const bad = file('bad.csv.gz', zlib.gzipSync(Buffer.from(text)).subarray(0, 20));
    const b = sluice(['join', bad, '--on', 'id', '--format', 'csv'], '{"id":1}\n');
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/^sluice: join: cannot read .*bad\.csv\.gz: truncated gzip data/);
  });
});

describe('--follow and --checkpoint sources count invalid UTF-8', () => {
  const bytes = Buffer.from('{"a":"caf\xe9"}\n{"a":"ok"}\n{"b":"\xff x"}\n', 'latin1');

  it('a --checkpoint run (read by FileTail) reports the lines as a plain run does', () => {
    const p = file('bad.ndjson', bytes);
    const plain = sluice(['--from', p, 'select', 'a']);
    const cp = sluice(['--from', p, '--checkpoint', path.join(tmp, 'cp.json'), 'select', 'a']);
    expect(cp.code).toBe(0);
    expect(cp.stdout).toBe(plain.stdout);
    expect(cp.stderr).toBe(`sluice: ${p}: 2 lines with invalid UTF-8 (first at byte 9) ${HINT}\n`);
    expect(cp.stderr).toBe(plain.stderr);
  });

  it('FileTail following a file counts lines with invalid bytes, also in data appended later', async () => {
    const p = file('follow.ndjson', bytes);
    const t = new FileTail(p, true, 'utf8');
    t.open();
    let text = '';
    const got = (want: number) =>
      new Promise<void>((resolve, reject) => {
        const check = () => (text.split('\n').length - 1 >= want ? resolve() : undefined);
        t.start({
          data(c) {
            text += c;
            check();
          },
          fileEnd() {},
          restart() {},
          note() {},
          error: reject,
        });
      });
    try {
      await got(3);
      expect(t.decodeReport()).toEqual({ invalidLines: 2, firstInvalidAt: 9 });
      // Appended while followed: one more bad line, one good.
      const more = new Promise<void>((resolve) => {
        const iv = setInterval(() => {
          if (text.split('\n').length - 1 >= 5) {
            clearInterval(iv);
            resolve();
          }
        }, 20);
      });
      fs.appendFileSync(p, Buffer.from('{"c":"\xfe"}\n{"d":1}\n', 'latin1'));
      await more;
      expect(t.decodeReport().invalidLines).toBe(3);
    } finally {
      t.stop();
    }
  }, 15_000);
});
