/**
 * Unit tests of checkpoint pieces: UTF-8 bytes a decoder holds, the
 * checkpoint file's checks, fingerprint differences, the refusal of a
 * stateful stage without snapshot, and head's state.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { describe, expect, it } from 'vitest';
import { incompleteUtf8 } from '../../src/sources/follow.js';
import { parseCheckpoint, readCheckpoint, writeCheckpoint, type CheckpointData } from '../../src/checkpoint/file.js';
import { fingerprintDiff, fingerprintOf } from '../../src/checkpoint/fingerprint.js';
import { CheckpointSession } from '../../src/checkpoint/session.js';
import { parseCommand } from '../../src/cli.js';
import type { Stage, VerbInstance } from '../../src/engine/types.js';
import { UsageError } from '../../src/engine/errors.js';
import { testCtx as makeCtx } from '../helpers/ctx.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ckpt-unit-'));

function verbsOf(args: string[]): VerbInstance[] {
  return parseCommand(args).options!.verbs;
}

describe('incompleteUtf8', () => {
  it('agrees with StringDecoder on every cut of multi-byte text', () => {
    const buf = Buffer.from('aé€😀b\r\nä😀😀x€', 'utf8');
    for (let n = 0; n <= buf.length; n++) {
      const d = new StringDecoder('utf8');
      const text = d.write(buf.subarray(0, n));
      expect(Buffer.byteLength(text) + incompleteUtf8(buf, n), `cut at ${n}`).toBe(n);
    }
  });
});

describe('checkpoint file', () => {
  const data: CheckpointData = {
    version: 1,
    written: '2026-01-01T00:00:00.000Z',
    finished: false,
    fingerprint: fingerprintOf({ inputFormat: 'auto', noHeader: false, sources: ['a.ndjson'], verbs: [] }),
    sources: [{ path: 'a.ndjson', dev: 1, ino: 2, headLen: 3, headHash: 'ab', offset: 10, line: 2, done: false }],
    malformed: 1,
    outputs: { '<stdout>': 5 },
    stages: [],
  };

  it('round-trips, and leaves no temporary file', () => {
    const f = path.join(tmp, 'rt.ckpt');
    writeCheckpoint(f, data);
    expect(readCheckpoint(f)).toEqual(data);
    expect(fs.readdirSync(tmp).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('a missing file is a first run; every damage is a UsageError', () => {
    expect(readCheckpoint(path.join(tmp, 'none.ckpt'))).toBeUndefined();
    const f = path.join(tmp, 'dmg.ckpt');
    writeCheckpoint(f, data);
    const text = fs.readFileSync(f, 'utf8');
    for (let cut = 0; cut < text.length; cut += 7) {
      expect(() => parseCheckpoint(f, text.slice(0, cut))).toThrow(UsageError);
    }
    expect(() => parseCheckpoint(f, text.replace('"malformed":1', '"malformed":2'))).toThrow(/checksum/);
    expect(() => parseCheckpoint(f, text.replace('sluice-checkpoint 1', 'sluice-checkpoint 9'))).toThrow(/version 9/);
  });
});

describe('fingerprintDiff', () => {
  const fp = (args: string[]) => {
    const o = parseCommand(args).options!;
    return fingerprintOf(o);
  };
  it('says which option of which verb changed, or which verbs', () => {
    const a = fp(['--from', 'x.ndjson', 'window', 'tumbling', '1m', '--time', 'ts', 'then', 'agg', 'count']);
    const b = fp(['--from', 'x.ndjson', 'window', 'tumbling', '2m', '--time', 'ts', 'then', 'agg', 'count']);
    expect(fingerprintDiff(a, a)).toBeUndefined();
    expect(fingerprintDiff(a, b)).toMatch(/^verb 1 \(window\): option size was/);
    const c = fp(['--from', 'y.ndjson', 'window', 'tumbling', '1m', '--time', 'ts', 'then', 'agg', 'count']);
    expect(fingerprintDiff(a, c)).toMatch(/sources were \["x.ndjson"\], now \["y.ndjson"\]/);
    const d = fp(['--from', 'x.ndjson', 'agg', 'count']);
    expect(fingerprintDiff(a, d)).toBe("the verbs were 'window then agg', now 'agg'");
  });
  it('--follow may be added or removed', () => {
    expect(fingerprintDiff(fp(['--from', 'x.ndjson', 'head', '2']), fp(['-F', '--from', 'x.ndjson', 'head', '2']))).toBeUndefined();
  });
});

describe('CheckpointSession.attach', () => {
  it('refuses a stateful verb whose stage has no snapshot (exit 2), accepts record-wise ones', () => {
    const verbs = verbsOf(['--from', 'x.ndjson', 'filter', 'true', 'then', 'head', '2']);
    const s = new CheckpointSession({ file: path.join(tmp, 'none-attach.ckpt'), everyMs: 5000 }, { inputFormat: 'auto', noHeader: false, sources: ['x.ndjson'], verbs }, () => {});
    const plain: Stage = { push() {}, watermark() {}, end() {} };
    const errors = makeCtx().errors;
    expect(() => s.attach([plain, plain], errors, undefined)).toThrow(/the state of 'head' cannot be checkpointed yet/);
    const withState: Stage = { ...plain, snapshot: () => ({}), restore: () => {} };
    expect(() => s.attach([plain, withState], errors, undefined)).not.toThrow();
  });
});

describe('head state', () => {
  it('head N and head N --by go on counting after restore', () => {
    for (const args of [['head', '3'], ['head', '2', '--by', 'k']]) {
      const verbs = verbsOf(args);
      const out: unknown[] = [];
      const sink: Stage = { push: (b) => void out.push(...b), watermark() {}, end() {} };
      const ctx = makeCtx();
      const a = verbs[0]!.build(sink, ctx, { verbs, index: 0 });
      a.push([{ k: 1 }, { k: 2 }]);
      const state = JSON.parse(JSON.stringify(a.snapshot!()));
      const b = verbs[0]!.build(sink, makeCtx(), { verbs, index: 0 });
      b.restore!(state);
      out.length = 0;
      b.push([{ k: 1 }, { k: 1 }, { k: 3 }, { k: 2 }]);
      expect(out).toEqual(args.length === 2 ? [{ k: 1 }] : [{ k: 1 }, { k: 3 }, { k: 2 }]);
      expect(() => b.restore!({ nope: 1 })).toThrow();
    }
  });
});

describe('temporary files of killed runs', () => {
  it('FILE.tmp-PID of a process that is gone is removed; of a live one, of another file, or not a PID, kept', async () => {
    const { removeStaleTemps } = await import('../../src/checkpoint/file.js');
    const { spawnSync } = await import('node:child_process');
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ckpt-tmp-'));
    // A PID that existed and is gone: a child that has exited (and been reaped).
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    const f = path.join(d, 'run.ckpt');
    const names = [`run.ckpt.tmp-${gone}`, `run.ckpt.tmp-${process.pid}`, `run.ckpt.tmp-${process.ppid}`, `other.ckpt.tmp-${gone}`, 'run.ckpt.tmp-x1', 'run.ckpt'];
    for (const n of names) fs.writeFileSync(path.join(d, n), 'x');
    removeStaleTemps(f);
    expect(fs.readdirSync(d).sort()).toEqual(names.filter((n) => n !== `run.ckpt.tmp-${gone}`).sort());
    fs.rmSync(d, { recursive: true, force: true });
  });
});
