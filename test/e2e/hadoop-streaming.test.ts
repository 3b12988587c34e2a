/**
 * Issue 14 item 6, Hadoop Streaming: Hadoop itself cannot be installed here,
 * so this runs what Hadoop Streaming does around the README's mapper and
 * reducer commands, with plain processes: the input split into N slices, one
 * mapper per slice (`agg --partial --shuffle-key`: each line is the key, a
 * tab, the partial), a partitioner that sends every line of a key to one of
 * R reducers by a hash of the key text (not ours: Hadoop uses its own
 * HashPartitioner), a sort of each reducer's input by key (Hadoop's shuffle
 * sorts by the key bytes), and R reducers `sluice merge`. Together the
 * reducers write exactly one process's rows.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES, shell, sluice } from '../helpers/run.js';

const FLIGHTS = fs.readFileSync(path.join(FIXTURES, 'flights-20k.ndjson'), 'utf8');

describe('Hadoop Streaming, emulated with plain processes', () => {
  it('4 mappers with --shuffle-key, a key-hash partitioner, sort, 3 merge reducers: one process\'s rows', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-hadoop-'));
    const lines = FLIGHTS.trimEnd().split('\n');
    const k = Math.ceil(lines.length / 4);
    for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(dir, `split${i}`), lines.slice(i * k, (i + 1) * k).join('\n') + '\n');
    const aggs = `'count, avg(delay), max(distance), distinct(destination), p95(delay)' by origin,destination`;
    // The partitioner: a hash of the key text (awk), the role of Hadoop's HashPartitioner.
    const partition = `awk -F'\\t' -v R=3 -v out="$PWD/shuffle" '{ h = 0; for (i = 1; i <= length($1); i++) h = (h * 31 + index("\\"[],ABCDEFGHIJKLMNOPQRSTUVWXYZ", substr($1, i, 1))) % 1000003; print > (out "-" (h % R)) }'`;
    const r = shell(
      [
        `cd ${dir} || exit 9`,
        ...[0, 1, 2, 3].map((i) => `sluice agg ${aggs} --partial --shuffle-key < split${i} > map${i} || exit 1`),
        `cat map0 map1 map2 map3 | ${partition}`,
        // Hadoop sorts each reducer's input by key; the reducer sees key<TAB>value lines.
        ...[0, 1, 2].map((p) => `{ [ -f shuffle-${p} ] && LC_ALL=C sort -t$'\\t' -k1,1 shuffle-${p} || true; } | sluice merge > part-0000${p} || exit 1`),
        `wc -l < shuffle-0; wc -l < shuffle-1; wc -l < shuffle-2`,
      ].join('\n'),
      60_000,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Every reducer had work: the keys really were spread.
    const perReducer = r.stdout.trim().split('\n').map(Number);
    expect(perReducer).toHaveLength(3);
    for (const n of perReducer) expect(n).toBeGreaterThan(100);
    const reduced = [0, 1, 2].flatMap((p) => fs.readFileSync(path.join(dir, `part-0000${p}`), 'utf8').trimEnd().split('\n'));
    const one = sluice(['agg', 'count, avg(delay), max(distance), distinct(destination), p95(delay)', 'by', 'origin,destination'], FLIGHTS);
    expect(one.code).toBe(0);
    const oneRows = one.stdout.trimEnd().split('\n');
    expect(oneRows.length).toBeGreaterThan(1000);
    // Reducers own disjoint keys: their rows together are one process's rows (Hadoop writes them per reducer).
    expect(reduced.sort()).toEqual(oneRows.sort());
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
