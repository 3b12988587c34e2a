/**
 * Issue 14 item 6, Kafka: the README's kcat recipe run as written against a
 * real Kafka protocol endpoint — librdkafka's mock cluster
 * (test/fixtures/kafka/mock-broker.c, built here with the system's cc and
 * librdkafka-dev). One consumer per partition (`kcat -C -p P -o beginning
 * -e`) pipes into `sluice ... --partial --part P`, one `sluice merge` (or
 * `merge --producers 3` through fifos for windows) combines them: the result
 * equals one process over the whole topic, order included, because the
 * partitions hold consecutive slices of the input.
 *
 * Skipped where kcat, cc or librdkafka's headers are missing (.ci/run
 * installs the Debian packages kcat and librdkafka-dev when it can).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { FIXTURES, shell, sluice } from '../helpers/run.js';

const has = (cmd: string) => spawnSync('bash', ['-c', `command -v ${cmd}`]).status === 0;
const canRun = has('kcat') && has('cc') && fs.existsSync('/usr/include/librdkafka/rdkafka_mock.h');

const FLIGHTS = fs.readFileSync(path.join(FIXTURES, 'flights-20k.ndjson'), 'utf8');

describe.skipIf(!canRun)('Kafka: one kcat consumer per partition into --partial, then merge', () => {
  let dir = '';
  let broker: ChildProcess | null = null;
  let bootstrap = '';

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kafka-'));
    const exe = path.join(dir, 'mock-broker');
    const cc = spawnSync('cc', ['-O1', '-o', exe, path.join(FIXTURES, 'kafka/mock-broker.c'), '-lrdkafka'], { encoding: 'utf8' });
    expect(cc.stderr).toBe('');
    expect(cc.status).toBe(0);
    const b = spawn(exe, ['flights', '3'], { stdio: ['ignore', 'pipe', 'inherit'] });
    broker = b;
    // The broker prints its bootstrap address once it listens.
    bootstrap = await new Promise<string>((resolve, reject) => {
      let out = '';
      b.stdout!.setEncoding('utf8');
      b.stdout!.on('data', (d: string) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0]!.trim());
      });
      b.on('exit', (code) => reject(new Error(`mock broker exited with ${code}`)));
    });
    // The topic's 3 partitions hold 3 consecutive slices of the input, each in order.
    const lines = FLIGHTS.trimEnd().split('\n');
    const k = Math.ceil(lines.length / 3);
    for (let p = 0; p < 3; p++) {
      const f = path.join(dir, `slice${p}`);
      fs.writeFileSync(f, lines.slice(p * k, (p + 1) * k).join('\n') + '\n');
      const r = spawnSync('kcat', ['-P', '-b', bootstrap, '-t', 'flights', '-p', String(p), '-l', f], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(0);
    }
  }, 90_000);

  afterAll(() => {
    broker?.kill('SIGTERM');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const consume = (p: number) => `kcat -C -b ${bootstrap} -t flights -p ${p} -o beginning -e -q`;

  it('every message is read once: the consumers together see the 20,000 records', () => {
    const r = shell([0, 1, 2].map((p) => consume(p)).join('; '), 60_000);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n').sort()).toEqual(FLIGHTS.trimEnd().split('\n').sort());
  }, 90_000);

  it('agg --partial per consumer, one merge: equals one agg, order included', () => {
    const aggs = `'count, avg(delay), first(destination), p95(delay)' by origin`;
    const r = shell(
      `cd ${dir} || exit 9; ` +
        [0, 1, 2].map((p) => `(${consume(p)} | sluice filter 'delay > 0' then agg ${aggs} --partial --part ${p} > k${p}.ndjson) &`).join(' ') +
        ` wait && sluice merge k0.ndjson k1.ndjson k2.ndjson`,
      60_000,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const one = sluice(['filter', 'delay > 0', 'then', 'agg', 'count, avg(delay), first(destination), p95(delay)', 'by', 'origin'], FLIGHTS);
    expect(one.code).toBe(0);
    expect(r.stdout).toBe(one.stdout);
  }, 90_000);

  it('windows through fifos into merge --producers 3: equals one process, order included', () => {
    const r = shell(
      `cd ${dir} || exit 9; rm -f f0 f1 f2; mkfifo f0 f1 f2 || exit 9; ` +
        [0, 1, 2].map((p) => `(${consume(p)} | sluice window tumbling 1h --time time then agg count by origin --partial --part ${p} > f${p}) &`).join(' ') +
        ` sluice merge --producers 3 f0 f1 f2; s=$?; wait; exit $s`,
      60_000,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const one = sluice(['window', 'tumbling', '1h', '--time', 'time', 'then', 'agg', 'count', 'by', 'origin'], FLIGHTS);
    expect(r.stdout.split('\n').length).toBeGreaterThan(3000);
    expect(r.stdout).toBe(one.stdout);
  }, 90_000);
});
