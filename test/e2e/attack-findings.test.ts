/**
 * Defects found by attacking checkpoints, -j and read-only-what-is-needed
 * with real data: each test fails without its fix.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES, sluice } from '../helpers/run.js';

const LINES = fs.readFileSync(path.join(FIXTURES, 'flights-20k.ndjson'), 'utf8').trim().split('\n');

describe('a record a verb rejects under --on-error fail', () => {
  it('over --range and window: the records before it are written, as before a malformed input line (were lost with the rest of their batch)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rej-'));
    // 100 records in time order, then one of LAS earlier than LAS's previous one.
    const ooo = path.join(dir, 'ooo.ndjson');
    fs.writeFileSync(ooo, [...LINES.slice(0, 100), LINES[0]!.replace('00:01:00', '00:00:00')].join('\n') + '\n');
    const o = sluice(['over', 'count', '--range', '1h', '--time', 'time', '--by', 'origin', ooo]);
    expect(o.code).toBe(1);
    expect(o.stderr).toMatch(/^sluice: over: time .* at .*ooo.ndjson:101: /);
    expect(o.stdout.trim().split('\n')).toHaveLength(100);
    // window alone writes each record on arrival: the 2500 before the one without a time.
    const lines = LINES.slice(0, 3000);
    lines[2500] = '{"delay":5,"origin":"ZZZ"}';
    const notime = path.join(dir, 'notime.ndjson');
    fs.writeFileSync(notime, lines.join('\n') + '\n');
    const w = sluice(['window', 'tumbling', '1h', '--time', 'time', notime]);
    expect(w.code).toBe(1);
    expect(w.stderr).toMatch(/^sluice: window: time field 'time' is missing at .*notime.ndjson:2501: /);
    expect(w.stdout.trim().split('\n')).toHaveLength(2500);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
