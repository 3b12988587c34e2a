/**
 * Checks on the files a run reads and writes, made before any input is read
 * (SPEC §5): an output file that is also an input, or two outputs that are
 * one file, is a usage error (opening the output would truncate the input, or
 * the outputs would overwrite each other).
 *
 * Files are compared by identity, not by name: two names are one file when
 * they have the same device and inode (`stat`, following links), so
 * `./in.csv`, `in.csv`, a symbolic link to it and a hard link all match. An
 * output that does not exist yet is compared by the real path of its
 * directory plus its name. Character devices, pipes and sockets
 * (`/dev/null`, `/dev/stdout`, a terminal) are never in conflict.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.js';
import { withDefaultSignals } from './signals.js';

/** One file a run touches: `what` names it in messages (`--errors`, `input`, ...). */
export interface FileUse {
  what: string;
  /** A path, or a descriptor (stdin 0, stdout 1). */
  file: string | number;
}

/** A key equal for two names of one regular file (dev:ino, or dir realpath + name), or undefined when the name needs no check. */
function identity(file: string | number): string | undefined {
  let st: fs.Stats | undefined;
  try {
    st = typeof file === 'number' ? fs.fstatSync(file) : fs.statSync(file);
  } catch {
    st = undefined;
  }
  if (st) return st.isFile() ? `${st.dev}:${st.ino}` : undefined;
  if (typeof file === 'number') return undefined;
  try {
    return 'path:' + path.join(fs.realpathSync(path.dirname(path.resolve(file))), path.basename(file));
  } catch {
    return undefined; // its directory does not exist: opening it will fail with a clear message
  }
}

const show = (u: FileUse) => (typeof u.file === 'number' ? (u.file === 0 ? 'stdin' : 'stdout') : u.file);

/**
 * @param inputs  files read (stdin as descriptor 0 when it is read)
 * @param outputs files written (`--errors`, `--late-output`, ...; stdout as descriptor 1)
 * @throws UsageError when an output is also an input, or two outputs are one file
 */
export function checkFileUses(inputs: FileUse[], outputs: FileUse[]): void {
  const seenIn = new Map<string, FileUse>();
  for (const u of inputs) {
    const id = identity(u.file);
    if (id !== undefined && !seenIn.has(id)) seenIn.set(id, u);
  }
  const seenOut = new Map<string, FileUse>();
  for (const u of outputs) {
    const id = identity(u.file);
    if (id === undefined) continue;
    const inp = seenIn.get(id);
    if (inp) {
      throw new UsageError(
        `${u.what} ${show(u)} is also an input (${inp.what === 'input' ? show(inp) : inp.what + ' ' + show(inp)}): writing it would destroy the input; choose another file`,
      );
    }
    const other = seenOut.get(id);
    if (other) throw new UsageError(`${u.what} ${show(u)} and ${other.what} ${show(other)} are the same file: give each output its own file`);
    seenOut.set(id, u);
  }
}

/**
 * True when stdout was closed when sluice started (`sluice ... >&-`). Node
 * then opens /dev/null read-write in its place, so everything written would
 * vanish; a shell's `> /dev/null` opens it write-only. Linux only (reads
 * /proc/self/fdinfo); when stderr is also /dev/null opened read-write (a
 * daemon, which closes them all), nobody is there to tell, and it is not
 * reported. False wherever it cannot tell.
 */
export function stdoutWasClosed(): boolean {
  return isNodeDevNull(1) && !isNodeDevNull(2);
}

function isNodeDevNull(fd: number): boolean {
  try {
    const st = fs.fstatSync(fd);
    if (!st.isCharacterDevice()) return false;
    const nul = fs.statSync('/dev/null');
    if (st.rdev !== nul.rdev) return false;
    const info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1');
    const m = /^flags:\s*([0-7]+)/m.exec(info);
    return m !== null && (parseInt(m[1]!, 8) & 3) === 2; // O_RDWR
  } catch {
    return false;
  }
}

/** True when `name` is a FIFO (named pipe); false for anything else, or when it cannot be looked at. */
export function isFifo(name: string): boolean {
  try {
    return fs.statSync(name).isFIFO();
  } catch {
    return false;
  }
}

/**
 * `fs.openSync(name, flags)`, where a FIFO (whose open waits for the other
 * end) is opened with SIGINT and SIGTERM at their default action
 * (signals.ts withDefaultSignals), so that a user can still end a run that
 * waits there. For the files a run opens before it reads input: the join
 * table, `tee` and `--late-output` files, `--errors`.
 * @throws what fs.openSync throws
 */
export function openMaybeFifo(name: string, flags: string): number {
  return isFifo(name) ? withDefaultSignals(() => fs.openSync(name, flags)) : fs.openSync(name, flags);
}
