/**
 * Logs as they really are (issue 13): -i lines, parse, logfmt, gzip.
 * Every answer on the real Apache log is checked against an independent
 * computation (Python or awk) over the same file.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: the npm logfmt package has no types
import logfmt from 'logfmt';
import { FIXTURES, shell, sluice } from '../helpers/run.js';

const LOG = path.join(FIXTURES, 'apache_logs');
const SYSLOG = path.join(FIXTURES, 'syslog.log');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-logs-'));

/** Run a Python script over the apache log (its path is argv[1]); returns stdout. */
function python(script: string): string {
  const r = spawnSync('python3', ['-c', script, LOG], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

/** Python parsing the combined format independently: (time epoch s, path, status, bytes or None) per line, the cut line left out. */
const PY_PARSE = `
import re, sys, datetime, json
RX = re.compile(r'^(\\S+) (\\S+) (\\S+) \\[([^\\]]+)\\] "(\\S+) (\\S+) (\\S+)" (\\d{3}) (\\d+|-) "[^"]*" "[^"]*"$')
rows = []
for line in open(sys.argv[1], encoding='utf-8'):
    m = RX.match(line.rstrip('\\n'))
    if not m: continue
    t = datetime.datetime.strptime(m.group(4), '%d/%b/%Y:%H:%M:%S %z').timestamp()
    rows.append((t, m.group(6), int(m.group(8)), None if m.group(9) == '-' else int(m.group(9))))
def iso(s): return datetime.datetime.fromtimestamp(s, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.000Z')
`;

const ndjson = (text: string) => text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the Apache log, parsed (checked against Python and awk)', () => {
  it('requests per status', () => {
    const r = sluice(['-i', 'lines', '--from', LOG, 'parse', '--pattern', 'combined', 'then', 'agg', 'count', 'by', 'status']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('sluice: parse: 1 line did not match (use --unmatched FILE to keep it)\n');
    const got = Object.fromEntries(ndjson(r.stdout).map((x) => [String(x.status), x.count]));
    // awk: the status is the first word after the request's closing quote (the cut line has 7 quote-separated parts: no)
    const awk = spawnSync('awk', ['-F"', 'NF == 7 { split($3, a, " "); n[a[1]]++ } END { for (s in n) print s, n[s] }', LOG], { encoding: 'utf8' });
    const expected = Object.fromEntries(awk.stdout.trim().split('\n').map((l) => [l.split(' ')[0], Number(l.split(' ')[1])]));
    expect(got).toEqual(expected);
    expect(got['200']).toBe(9125);
    expect(Object.values(got).reduce((a, b) => (a as number) + (b as number), 0)).toBe(9999);
  });

  it('requests per path (all of them, and so the top 10)', () => {
    const r = sluice(['-i', 'lines', '--from', LOG, 'parse', '--pattern', 'combined', 'then', 'agg', 'count', 'by', 'path']);
    expect(r.code).toBe(0);
    const got = new Map(ndjson(r.stdout).map((x) => [x.path as string, x.count as number]));
    const py = JSON.parse(python(PY_PARSE + `
from collections import Counter
c = Counter(p for _, p, _, _ in rows)
print(json.dumps({'all': c, 'top': c.most_common(10)}))`)) as { all: Record<string, number>; top: [string, number][] };
    expect(Object.fromEntries(got)).toEqual(py.all);
    const top = [...got].sort((a, b) => b[1] - a[1]).slice(0, 10);
    expect(top.map((t) => t[1])).toEqual(py.top.map((t) => t[1]));
    expect(top[0]).toEqual(['/favicon.ico', 807]);
  });

  it('top 10 paths by count with the top verb, against a count in plain JS', () => {
    const r = sluice(['-i', 'lines', '--from', LOG, 'parse', '--pattern', 'combined', 'then', 'agg', 'count', 'by', 'path', 'then', 'top', '10', 'count']);
    expect(r.code).toBe(0);
    const got = ndjson(r.stdout).map((x) => [x.path, x.count]);
    // Independent: split each line at its quotes; the request is the second part, the path its second word.
    // Groups in order of first appearance, then a stable sort by count (top's tie rule).
    const counts = new Map<string, number>();
    for (const line of fs.readFileSync(LOG, 'utf8').split('\n')) {
      const parts = line.split('"');
      if (parts.length !== 7) continue; // the cut line
      const words = parts[1]!.split(' ');
      if (words.length !== 3) throw new Error(`unexpected request in ${line}`);
      counts.set(words[1]!, (counts.get(words[1]!) ?? 0) + 1);
    }
    const expected = [...counts].sort((x, y) => y[1] - x[1]).slice(0, 10);
    expect(got).toEqual(expected);
    expect(got[0]).toEqual(['/favicon.ico', 807]);
  });

  it('parse writes the NDJSON it builds from the line only while the record is unchanged', () => {
    const lines = fs.readFileSync(LOG, 'utf8').split('\n').slice(0, 200).join('\n') + '\n';
    const plain = sluice(['-i', 'lines', 'parse', '--pattern', 'combined'], lines);
    // The same records serialised field by field (select makes new records of all 11 fields).
    const all = 'host,ident,user,time,method,path,protocol,status,bytes,referer,agent';
    const viaSelect = sluice(['-i', 'lines', 'parse', '--pattern', 'combined', 'then', 'select', all], lines);
    expect(plain.stdout).toBe(viaSelect.stdout);
    const changed = sluice(['-i', 'lines', 'parse', '--pattern', 'combined', 'then', 'map', 'status = 1', 'then', 'head', '1'], lines);
    expect(JSON.parse(changed.stdout).status).toBe(1);
  });

  it('bytes per minute on the log’s own time, out of order: no record late with --lateness 1m', () => {
    // The lateness needed: a record is late when the largest time seen before it,
    // minus the lateness, has reached its window's end. Computed here: 0 s suffices
    // for 1-minute windows (the disorder, up to 59 s, never crosses a closed
    // minute), while 10-second windows need 59 s. We give 1m, the disorder bound.
    const need = JSON.parse(python(PY_PARSE + `
ts = [t for t, _, _, _ in rows]
def need(size):
    mx, worst = None, -1e18
    for t in ts:
        if mx is not None: worst = max(worst, mx - ((t // size) * size + size))
        mx = t if mx is None else max(mx, t)
    return worst
print(json.dumps([need(60), need(10)]))`)) as number[];
    expect(need[0]).toBeLessThan(0);
    const r = sluice(['-i', 'lines', '--from', LOG, 'parse', '--pattern', 'combined', 'then', 'window', 'tumbling', '1m', '--time', 'time', '--lateness', '1m', 'then', 'agg', 'count, sum(bytes)']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/late/);
    const got = ndjson(r.stdout).map((x) => [x.window_start, x.count, x.sum_bytes ?? 0]);
    const expected = JSON.parse(python(PY_PARSE + `
from collections import OrderedDict
m = {}
for t, _, _, b in rows:
    k = int(t // 60) * 60
    c, s = m.get(k, (0, 0))
    m[k] = (c + 1, s + (b or 0))
print(json.dumps([[iso(k), c, s] for k, (c, s) in sorted(m.items())]))`));
    expect(got).toEqual(expected);
    expect(got.length).toBe(84);
    expect(need[1]).toBeGreaterThanOrEqual(0);
    // and 10-second windows without lateness do lose records to lateness: they are counted
    const late = sluice(['-i', 'lines', '--from', LOG, 'parse', '--pattern', 'combined', 'then', 'window', 'tumbling', '10s', '--time', 'time', 'then', 'agg', 'count']);
    expect(late.stderr).toMatch(/\d+ late record/);
  });

  it('share of 4xx/5xx responses per hour', () => {
    const r = sluice([
      '-i', 'lines', '--from', LOG, 'parse', '--pattern', 'combined',
      'then', 'map', 'err = status >= 400 ? 1 : 0',
      'then', 'window', 'tumbling', '1h', '--time', 'time', '--lateness', '1m',
      'then', 'agg', 'count, sum(err) as errors, avg(err) as share',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/late/);
    const got = ndjson(r.stdout).map((x) => [x.window_start, x.count, x.errors, x.share]);
    const expected = JSON.parse(python(PY_PARSE + `
m = {}
for t, _, st, _ in rows:
    k = int(t // 3600) * 3600
    c, e = m.get(k, (0, 0))
    m[k] = (c + 1, e + (1 if st >= 400 else 0))
print(json.dumps([[iso(k), c, e, e / c] for k, (c, e) in sorted(m.items())]))`)) as [string, number, number, number][];
    expect(got.length).toBe(expected.length);
    got.forEach((g, i) => {
      expect(g.slice(0, 3)).toEqual(expected[i]!.slice(0, 3));
      expect(g[3]).toBeCloseTo(expected[i]![3], 12);
    });
  });

  it('the truncated line is counted as unmatched, and kept with --unmatched (or passed on)', () => {
    const bad = path.join(tmp, 'unmatched.ndjson');
    const r = sluice(['-i', 'lines', '--from', LOG, 'parse', '--pattern', 'combined', '--unmatched', bad, 'then', 'filter', 'false']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`sluice: parse: 1 line did not match (kept in ${bad})\n`);
    const kept = ndjson(fs.readFileSync(bad, 'utf8'));
    const line8899 = fs.readFileSync(LOG, 'utf8').split('\n')[8898];
    expect(kept).toEqual([{ source: LOG, line: 8899, text: line8899 }]);
    const pass = sluice(['-i', 'lines', '--from', LOG, 'parse', '--pattern', 'combined', '--keep-unmatched', 'then', 'filter', 'exists(line)']);
    expect(ndjson(pass.stdout)).toEqual([{ line: line8899 }]);
    expect(pass.stderr).toBe('sluice: parse: 1 line did not match (passed on unchanged)\n');
  });

  it('the access-log time goes straight into window --time (auto)', () => {
    const r = sluice(['-i', 'lines', '--from', LOG, 'parse', '--pattern', 'combined', 'then', 'window', 'tumbling', '1d', '--time', 'time', '--lateness', '1m', 'then', 'agg', 'count']);
    expect(ndjson(r.stdout).map((x) => [x.window_start, x.count])).toEqual([
      ['2015-05-17T00:00:00.000Z', 1632],
      ['2015-05-18T00:00:00.000Z', 2893],
      ['2015-05-19T00:00:00.000Z', 2896],
      ['2015-05-20T00:00:00.000Z', 2578],
    ]);
  });
});

describe('parse: other patterns', () => {
  it('rsyslog’s traditional layout into host, program, pid, message', () => {
    const r = sluice(['-i', 'lines', '--from', SYSLOG, 'parse', '--pattern', 'syslog', '--year', '2025', '--unmatched', path.join(tmp, 'sys-bad.ndjson')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^sluice: parse: 1 line did not match \(kept in /);
    const recs = ndjson(r.stdout);
    expect(recs.length).toBe(7);
    expect(recs[0]).toEqual({ time: '2025-06-14T15:16:01', host: 'web1', program: 'sshd', pid: 4242, message: 'Accepted publickey for ann from 10.0.0.7 port 51122 ssh2: ED25519 SHA256:x1' });
    expect(recs[2]).toEqual({ time: '2025-06-04T09:02:13', host: 'db-2', program: 'kernel', pid: null, message: '[12345.678901] EXT4-fs (sda1): re-mounted. Opts: errors=remount-ro' });
    expect(recs[3]).toMatchObject({ program: 'postfix/smtpd', pid: 811, message: 'connect from mail.example.org[192.0.2.25]' });
    expect(recs[6]).toMatchObject({ time: '2025-01-01T00:00:00', program: 'rsyslogd', pid: null });
    expect(fs.readFileSync(path.join(tmp, 'sys-bad.ndjson'), 'utf8')).toBe(`{"source":"${SYSLOG}","line":7,"text":"this line is not syslog"}\n`);
    // without --year: the current year, or the year before for a time more than 7 days ahead
    const now = new Date();
    const y = now.getUTCFullYear();
    const soon = new Date(now.getTime() + 86_400_000);
    const far = new Date(now.getTime() + 60 * 86_400_000);
    const mon = (d: Date) => d.toUTCString().slice(8, 11);
    const line = (d: Date) => `${mon(d)} ${String(d.getUTCDate()).padStart(2, ' ')} 12:00:00 h p: m`;
    const auto = ndjson(sluice(['-i', 'lines', 'parse', '--pattern', 'syslog'], line(soon) + '\n' + line(far) + '\n').stdout);
    expect(auto[0]!.time).toBe(`${y}-${String(soon.getUTCMonth() + 1).padStart(2, '0')}-${String(soon.getUTCDate()).padStart(2, '0')}T12:00:00`);
    expect(String(auto[1]!.time).slice(0, 4)).toBe(String(far.getUTCFullYear() === y ? y - 1 : y));
  });

  it('syslog5424 and the RFC 3339 form of syslog', () => {
    const r = sluice(['-i', 'lines', 'parse', '--pattern', 'syslog5424'], '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application] x" eventID="1011"] An application event\n<34>1 2003-10-11T22:14:15.003Z host su - - - \n');
    expect(ndjson(r.stdout)).toEqual([
      { pri: 165, facility: 20, severity: 5, version: 1, time: '2003-10-11T22:14:15.003Z', host: 'mymachine.example.com', app: 'evntslog', procid: '-', msgid: 'ID47', sd: '[exampleSDID@32473 iut="3" eventSource="Application] x" eventID="1011"]', message: 'An application event' },
      { pri: 34, facility: 4, severity: 2, version: 1, time: '2003-10-11T22:14:15.003Z', host: 'host', app: 'su', procid: '-', msgid: '-', sd: '-', message: '' },
    ]);
    const s = sluice(['-i', 'lines', 'parse', '--pattern', 'syslog'], '2026-06-14T15:16:01.123456+02:00 web1 sshd[7]: hi\n');
    expect(ndjson(s.stdout)).toEqual([{ time: '2026-06-14T15:16:01.123456+02:00', host: 'web1', program: 'sshd', pid: 7, message: 'hi' }]);
  });

  it('a user regex: named groups typed as CSV cells, on a field of NDJSON, -- stays text', () => {
    const r = sluice(['parse', 'msg', '^(?<verb>\\w+) (?<n>\\S+) (?<unit>\\w*)$', '--keep'], '{"msg":"took 35 ms","lvl":1}\n{"msg":"took - ms"}\n{"msg":"took 1.50 "}\n{"other":1}\n');
    expect(r.stdout).toBe('{"msg":"took 35 ms","lvl":1,"verb":"took","n":35,"unit":"ms"}\n{"msg":"took - ms","verb":"took","n":"-","unit":"ms"}\n{"msg":"took 1.50 ","verb":"took","n":1.50,"unit":null}\n');
    expect(r.stderr).toBe('sluice: parse: 1 line did not match (use --unmatched FILE to keep it)\n');
    expect(sluice(['parse', 'x', 'no groups']).code).toBe(2);
    expect(sluice(['parse', 'x', '(?<a>']).stderr).toMatch(/^sluice: parse: invalid regex/);
    expect(sluice(['parse', '--pattern', 'apache']).stderr).toMatch(/--pattern must be one of combined, common, syslog, syslog5424/);
  });
});

describe('logfmt', () => {
  const recs = [
    { level: 'info', msg: 'listening on :8080', port: 8080, ratio: '1.50', took: 1.5, ok: true, err: null, quoted: 'say "hi"\\n', empty: '', num_text: '12', nested: { a: [1, 2] } },
    { level: 'warn', at: '2026-06-14T15:16:01Z', path: '/a=b', tab: 'a\tb', newline: 'a\nb' },
  ];

  it('NDJSON → logfmt → NDJSON keeps every value; -i logfmt -o logfmt is byte-identical', () => {
    const nd = recs.map((r) => JSON.stringify(r)).join('\n') + '\n';
    const lf = sluice(['-o', 'logfmt'], nd);
    expect(lf.code).toBe(0);
    expect(lf.stdout.split('\n')[0]).toBe('level=info msg="listening on :8080" port=8080 ratio="1.50" took=1.5 ok err= quoted="say \\"hi\\"\\\\n" empty="" num_text="12" nested="{\\"a\\":[1,2]}"');
    const file = path.join(tmp, 'app.logfmt');
    fs.writeFileSync(file, lf.stdout);
    const round = sluice(['--from', file]);
    expect(round.stdout).toBe(lf.stdout);
    const back = sluice(['--from', file, '-o', 'ndjson']);
    const parsed = ndjson(back.stdout);
    expect(parsed[0]).toEqual({ ...recs[0], nested: '{"a":[1,2]}' });
    expect(sluice(['-i', 'logfmt', '-o', 'ndjson'], 'big=12345678901234567890 f=1.50\n').stdout).toBe('{"big":12345678901234567890,"f":1.50}\n');
    expect(parsed[1]).toMatchObject({ tab: 'a\tb', newline: 'a\nb', path: '/a=b' });
    // and a file written by hand in another style comes back byte for byte when unchanged
    const hand = 'ts=2026-06-14T15:16:01Z  level=info\tmsg="a \\"b\\"" flag x=\n';
    expect(sluice(['-i', 'logfmt', '-o', 'logfmt'], hand).stdout).toBe(hand);
    expect(sluice(['-i', 'logfmt', '-o', 'logfmt', 'map', 'n = 1'], hand).stdout).toBe('ts=2026-06-14T15:16:01Z level=info msg="a \\"b\\"" flag x= n=1\n');
  });

  it('malformed lines are rejected with source and line', () => {
    const r = sluice(['-i', 'logfmt', '--on-error', 'warn'], 'a=1\nb="open\n=x\nc=3\n');
    expect(r.stdout).toBe('a=1\nc=3\n');
    expect(r.stderr).toMatch(/malformed logfmt: unterminated quoted value of 'b'.* at stdin:2/);
    expect(r.stderr).toMatch(/malformed logfmt: '=' without a key.* at stdin:3/);
  });

  it('agrees with the npm logfmt package on lines it writes (differential)', () => {
    // Random records of text values (the npm package types only true/false/empty).
    let seed = 7;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    const alphabet = ['a', 'b', 'Z', '0', '7', ' ', '=', '"', '\\', 'é', '😀', '-', '.', ':', '/'];
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const o: Record<string, string> = {};
      const n = 1 + rnd(5);
      for (let k = 0; k < n; k++) {
        let v = '';
        const len = rnd(8);
        for (let j = 0; j < len; j++) v += alphabet[rnd(alphabet.length)];
        o[`k${k}${'abc'[rnd(3)]}`] = v;
      }
      lines.push(logfmt.stringify(o) as string);
    }
    const r = sluice(['-i', 'logfmt', '-o', 'ndjson'], lines.join('\n') + '\n');
    expect(r.code).toBe(0);
    const ours = ndjson(r.stdout);
    expect(ours.length).toBe(lines.length);
    lines.forEach((line, i) => {
      const theirs = logfmt.parse(line) as Record<string, unknown>;
      const mine = ours[i]!;
      expect(Object.keys(mine)).toEqual(Object.keys(theirs));
      for (const k of Object.keys(theirs)) {
        const t = theirs[k];
        const m = mine[k];
        // theirs: 'true'/'false' unquoted are booleans, numbers stay text; ours: numbers typed, true/false text
        const tt = t === null ? null : String(t);
        const mm = m === null ? null : typeof m === 'number' ? line.match(new RegExp(`${k}=([^ ]*)`))![1] : String(m);
        expect(mm, `${line} / ${k}`).toBe(tt);
      }
    });
  });
});

describe('gzip and lines', () => {
  const text = fs.readFileSync(LOG, 'utf8');
  const all = text.split('\n');
  const half = all.slice(0, 5000).join('\n') + '\n';
  const rest = all.slice(5000).join('\n');
  const a = path.join(tmp, 'a.log.gz');
  const b = path.join(tmp, 'b.log.gz');
  fs.writeFileSync(a, zlib.gzipSync(half));
  fs.writeFileSync(b, zlib.gzipSync(rest));

  it('cat a.log.gz b.log.gz | sluice -i lines, and --from a.log.gz, read every line', () => {
    const viaPipe = shell(`cat ${a} ${b} | sluice -i lines`);
    expect(viaPipe.code).toBe(0);
    const lines = ndjson(viaPipe.stdout).map((r) => r.line);
    expect(lines.length).toBe(10_000);
    expect(lines.join('\n') + '\n').toBe(text);
    const viaFrom = shell(`sluice -i lines --from ${a} --from ${b}`);
    expect(viaFrom.stdout).toBe(viaPipe.stdout);
    const one = shell(`sluice -i lines --from ${a}`);
    expect(ndjson(one.stdout).length).toBe(5000);
    // and parse straight from the compressed files
    const p = shell(`sluice -i lines --from ${a} --from ${b} parse --pattern combined then agg count`);
    expect(p.stdout).toBe('{"count":9999}\n');
  });

  it('a truncated .gz is a clean exit 1', () => {
    const cut = path.join(tmp, 'cut.log.gz');
    const gz = fs.readFileSync(a);
    fs.writeFileSync(cut, gz.subarray(0, gz.length >> 1));
    const r = shell(`sluice -i lines --from ${cut} parse --pattern combined then agg count`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`sluice: cannot read ${cut}: truncated gzip data (unexpected end of file)\n`);
    expect(r.stdout).toBe('');
  });

  it('lines: blank lines are records, CRLF and a last line without newline', () => {
    expect(sluice(['-i', 'lines'], 'a\r\n\r\nb').stdout).toBe('{"line":"a"}\n{"line":""}\n{"line":"b"}\n');
  });
});
