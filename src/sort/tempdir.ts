/**
 * Private temporary directories for sorted runs: one per sort stage, made
 * with mkdtemp (mode 0700) under os.tmpdir() (TMPDIR), and removed when the
 * sort is done, and in any case when the process exits (normal exit, error
 * exit, or a signal that the runner turns into an exit).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RuntimeError } from '../engine/errors.js';

const live = new Set<string>();
let hooked = false;

function removeAll(): void {
  for (const d of live) {
    try {
      fs.rmSync(d, { recursive: true, force: true });
    } catch {
      /* nothing more can be done at exit */
    }
  }
  live.clear();
}

/**
 * Make a fresh private directory `sluice-sort-XXXXXX` in the temporary directory.
 * @throws RuntimeError when it cannot be made (the message names the path and the reason)
 */
export function makeTempDir(verb: string): string {
  const base = os.tmpdir();
  let dir: string;
  try {
    dir = fs.mkdtempSync(path.join(base, 'sluice-sort-'));
  } catch (e) {
    throw new RuntimeError(`${verb}: cannot make a temporary directory in ${base}: ${errText(e)}`);
  }
  live.add(dir);
  if (!hooked) {
    hooked = true;
    process.on('exit', removeAll);
  }
  return dir;
}

/** Remove a directory made by makeTempDir (idempotent). */
export function removeTempDir(dir: string): void {
  if (!live.has(dir)) return;
  live.delete(dir);
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    /* removed again at exit */
    live.add(dir);
  }
}

/** A system error in words: `no space left on device (ENOSPC)`. */
export function errText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const words: Record<string, string> = {
    ENOSPC: 'no space left on device',
    EACCES: 'permission denied',
    EROFS: 'read-only file system',
    EMFILE: 'too many open files',
    ENOENT: 'no such file or directory',
    EISDIR: 'is a directory',
    EDQUOT: 'disk quota exceeded',
  };
  if (err?.code && words[err.code]) return `${words[err.code]} (${err.code})`;
  return err?.code ?? err?.message ?? String(e);
}
