/**
 * Starting from a checkpoint: where each source resumes (SPEC §5), and output
 * files truncated back to their checkpointed lengths.
 *
 * A source resumes at its offset when the file by its name is the one read
 * then (same device and inode, same first bytes) and is at least that long.
 * Otherwise, with a note on stderr:
 * - shorter than the offset, or its first bytes changed: it was truncated
 *   (or rewritten): read again from 0;
 * - another file: it was rotated; if the old file is still in the same
 *   directory under another name (found by device and inode), the run reads
 *   the rest of it first, then the new file from 0; if it is gone, the new
 *   file from 0 (the note says how much of the old one was read).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { UsageError } from '../engine/errors.js';
import type { SourcePosition } from './file.js';

/** Where one source starts: see TailStart; `line` lines were read before `offset`. */
export interface ResumePoint {
  offset: number;
  line: number;
  via?: string;
  /** The source is unchanged since the checkpoint and was read to its end then. */
  unchanged: boolean;
  /** The reader's state at `offset` (SourcePosition.reader), when resuming inside the checkpointed file. */
  reader?: unknown;
}

function headHash(file: string, len: number): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(len);
    const n = fs.readSync(fd, buf, 0, len, 0);
    if (n < len) return undefined;
    return createHash('sha1').update(buf).digest('hex');
  } finally {
    fs.closeSync(fd);
  }
}

/** The old file of a rotation: a file in `dir` with this device and inode. */
function findByInode(dir: string, dev: number, ino: number): string | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const n of names) {
    const p = path.join(dir, n);
    try {
      const st = fs.statSync(p);
      if (st.isFile() && st.dev === dev && st.ino === ino) return p;
    } catch {
      /* gone meanwhile */
    }
  }
  return undefined;
}

/**
 * Where `saved` (a source of the checkpoint) resumes now.
 * @param note writes a note on stderr
 */
export function resumePoint(saved: SourcePosition, note: (msg: string) => void): ResumePoint {
  const name = saved.path;
  let st: fs.Stats;
  try {
    st = fs.statSync(name);
  } catch {
    // Missing now: the runner reports it as an unreadable source.
    return { offset: 0, line: 0, unchanged: false };
  }
  if (st.dev === saved.dev && st.ino === saved.ino) {
    if (st.size < saved.offset) {
      note(`${name}: file truncated since the checkpoint (${st.size} bytes, was read up to ${saved.offset}); reading it again from the start`);
      return { offset: 0, line: 0, unchanged: false };
    }
    if (saved.headLen > 0 && headHash(name, saved.headLen) !== saved.headHash) {
      note(`${name}: file rewritten since the checkpoint (its first bytes changed); reading it again from the start`);
      return { offset: 0, line: 0, unchanged: false };
    }
    return { offset: saved.offset, line: saved.line, unchanged: saved.done && st.size === saved.offset, reader: saved.reader };
  }
  const old = findByInode(path.dirname(name), saved.dev, saved.ino);
  if (old !== undefined && (saved.headLen === 0 || headHash(old, saved.headLen) === saved.headHash)) {
    note(`${name}: rotated since the checkpoint; reading the rest of ${old}, then the new ${name}`);
    return { offset: saved.offset, line: saved.line, via: old, unchanged: false, reader: saved.reader };
  }
  note(`${name}: replaced since the checkpoint and the old file is gone (it was read up to byte ${saved.offset}); reading the new file from the start`);
  return { offset: 0, line: 0, unchanged: false };
}

/**
 * Truncate an output file descriptor back to its checkpointed length, so the
 * run writes after exactly what the checkpoint accounts for.
 * @param what  words for messages (`stdout`, `--errors file x.ndjson`)
 * @param fd    the descriptor (opened for appending by sluice, or stdout)
 * @param len   the checkpointed length in bytes
 * @throws UsageError when the file is shorter than `len` (it was replaced or
 *   truncated, e.g. by `>` instead of `>>`), or when stdout is not opened for
 *   appending at its end (so writes would not go after the kept bytes)
 */
export function truncateOutput(what: string, fd: number, len: number, isStdout: boolean): void {
  const size = fs.fstatSync(fd).size;
  if (size < len) {
    throw new UsageError(
      `--checkpoint: ${what} is ${size} bytes, shorter than the ${len} bytes written before the checkpoint` +
        (isStdout ? ' (append to it with >> to resume a run, or remove the checkpoint)' : ' (was it replaced? remove the checkpoint to start afresh)'),
    );
  }
  fs.ftruncateSync(fd, len);
  if (isStdout) {
    // Writes must go to the end: O_APPEND (>>), or a position at the end.
    try {
      const info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
      const flags = /flags:\s*([0-7]+)/.exec(info);
      const pos = /pos:\s*(\d+)/.exec(info);
      const append = flags !== null && (parseInt(flags[1]!, 8) & 0o2000) !== 0;
      if (!append && pos !== null && Number(pos[1]) !== len) {
        throw new UsageError(`--checkpoint: stdout is a file not opened for appending: use >> FILE to resume a run`);
      }
    } catch (e) {
      if (e instanceof UsageError) throw e;
      /* no /proc: trust the shell */
    }
  }
}
