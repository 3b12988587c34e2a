/**
 * Files a checkpoint refers to besides itself: `sort`'s spilled runs. A run
 * file never changes once written, so a checkpoint keeps it by name: at the
 * first checkpoint after it was written it is hard-linked (on another file
 * system: copied) into the directory `FILE.files/` beside the checkpoint
 * FILE, and the checkpoint names it there. A resumed sort reads kept runs
 * where they are. The records sort holds in memory go to journals there
 * (append-only: each record is written once, at the first checkpoint after
 * it arrived; a checkpoint names the journal and its length). The directory is removed when a run finishes (the last
 * checkpoint then holds no state); files of a checkpoint that was never
 * written (a crash between keeping and writing) are removed with it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { RuntimeError } from '../engine/errors.js';
import type { CheckpointFiles } from '../engine/types.js';

/** See the module comment. */
export class KeptFiles implements CheckpointFiles {
  /** The directory `FILE.files`. */
  readonly dir: string;
  /** Source path → name in `dir`, for files kept already. */
  private readonly kept = new Map<string, string>();

  /** @param checkpointFile the `--checkpoint FILE` path */
  constructor(checkpointFile: string) {
    this.dir = path.resolve(checkpointFile) + '.files';
  }

  keep(file: string): string {
    const abs = path.resolve(file);
    if (path.dirname(abs) === this.dir) return path.basename(abs);
    const had = this.kept.get(abs);
    if (had !== undefined) return had;
    const name = `${randomBytes(6).toString('hex')}-${path.basename(abs)}`;
    const to = path.join(this.dir, name);
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      try {
        fs.linkSync(abs, to);
      } catch {
        fs.copyFileSync(abs, to, fs.constants.COPYFILE_EXCL);
      }
    } catch (e) {
      throw new RuntimeError(`--checkpoint: cannot keep ${abs} in ${this.dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    this.kept.set(abs, name);
    return name;
  }

  path(name: string): string {
    if (name === '' || name.includes('/') || name === '.' || name === '..') throw new Error(`a kept file name '${name}' is not a plain name`);
    const p = path.join(this.dir, name);
    if (!fs.existsSync(p)) throw new Error(`the kept file ${p} is missing`);
    return p;
  }

  journal(prefix: string): { readonly name: string; append(text: string): number } {
    const name = `${randomBytes(6).toString('hex')}-${prefix}`;
    const p = path.join(this.dir, name);
    let fd: number;
    let len = 0;
    const fail = (e: unknown): never => {
      throw new RuntimeError(`--checkpoint: cannot write ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    };
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      fd = fs.openSync(p, 'wx', 0o600);
    } catch (e) {
      return fail(e);
    }
    this.fds.push(fd);
    return {
      name,
      append(text: string): number {
        try {
          if (text.length > 0) len += fs.writeSync(fd, text);
          fs.fsyncSync(fd);
        } catch (e) {
          fail(e);
        }
        return len;
      },
    };
  }
  private readonly fds: number[] = [];

  /** The run finished: nothing refers to the kept files any more. */
  removeAll(): void {
    for (const fd of this.fds.splice(0)) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already closed */
      }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
    this.kept.clear();
  }
}
