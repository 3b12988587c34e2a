/**
 * The checkpoint file (`--checkpoint FILE`, SPEC §5): what it holds, how it is
 * written (atomically) and read back (checked).
 *
 * Format (version 1): one header line, then the body, one JSON object:
 *
 *     sluice-checkpoint 1 sha256=<hex of the body> bytes=<body length>\n
 *     {"version":1,"written":"…","finished":false,"fingerprint":{…},"sources":[…],…}\n
 *
 * The hash and length make a damaged or truncated file (a disk error, a copy
 * cut short) an error rather than a wrong resume. Writing is atomic: the body
 * goes to `FILE.tmp-PID`, which is fsynced, then renamed over FILE, and the
 * directory is fsynced; a crash at any moment leaves either the old
 * checkpoint or the new one, whole.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { UsageError } from '../engine/errors.js';

/** The version this code writes and reads. */
export const CHECKPOINT_VERSION = 1;
const MAGIC = 'sluice-checkpoint';

/** What makes two runs "the same pipeline" (see fingerprint.ts). */
export interface Fingerprint {
  /** Input format as given (`auto`, `ndjson`, ...), output format, delimiter, --no-header. */
  input: string;
  output: string | null;
  delimiter: string | null;
  noHeader: boolean;
  /** The `--from` names, in order. */
  sources: string[];
  follow: boolean;
  /** Each verb: its name and its parsed options (what --explain shows). */
  verbs: Array<{ name: string; options: unknown }>;
}

/** One source's position (SPEC §5). */
export interface SourcePosition {
  /** The name as given on the command line. */
  path: string;
  /** Identity of the file read at that offset: device, inode, first bytes. */
  dev: number;
  ino: number;
  headLen: number;
  headHash: string;
  /** Byte offset just after the last record fully processed (an unfinished line is read again). */
  offset: number;
  /** Lines of the file before that offset (so line numbers in messages and --errors go on). */
  line: number;
  /** The source was read to its end and finished (without --follow). */
  done: boolean;
  /** The reader's own state at that offset (CSV/TSV: the header read at the start of the file), if it has one. */
  reader?: unknown;
}

/** Everything a checkpoint holds. */
export interface CheckpointData {
  version: number;
  /** When it was written (ISO 8601). */
  written: string;
  /** The run ended normally (end of input): every window was closed and written. */
  finished: boolean;
  fingerprint: Fingerprint;
  sources: SourcePosition[];
  /** Malformed records rejected so far (--on-error skip/warn). */
  malformed: number;
  /** Input records numbered so far (`nr()`), when a verb calls `nr()`; absent in older checkpoints (0). */
  records?: number;
  /**
   * Output lengths in bytes when the outputs are regular files: `stdout`, and
   * the path of `--errors` and of each `--late-output` file. A restart
   * truncates each back to its length (exactly once into files).
   */
  outputs: Record<string, number>;
  /** Per verb, in order: its stage's snapshot, or null for a verb that keeps no state. */
  stages: unknown[];
  /** The output writer's state (CSV/TSV: the current block's columns, so its header is not written again). */
  writer?: unknown;
}

/**
 * Write a checkpoint atomically (temporary file, fsync, rename, fsync of the directory).
 * @returns the size of the file in bytes
 * @throws RuntimeError-worthy fs errors (the caller words them)
 */
export function writeCheckpoint(file: string, data: CheckpointData): number {
  const body = JSON.stringify(data) + '\n';
  const hash = createHash('sha256').update(body).digest('hex');
  const text = `${MAGIC} ${CHECKPOINT_VERSION} sha256=${hash} bytes=${Buffer.byteLength(body)}\n${body}`;
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  try {
    const dfd = fs.openSync(path.dirname(path.resolve(file)), 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    /* a directory that cannot be fsynced (some filesystems): the rename is still atomic */
  }
  return Buffer.byteLength(text);
}

/**
 * Remove the temporary files (`FILE.tmp-PID`) that runs killed while writing
 * a checkpoint of FILE left behind (SIGKILL, a crash, a power cut between
 * the write and the rename): those whose process no longer exists. A file of
 * a live process (another run writing now, or a reused PID) is left alone.
 * Never throws.
 */
export function removeStaleTemps(file: string): void {
  const dir = path.dirname(path.resolve(file));
  const prefix = `${path.basename(file)}.tmp-`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = name.slice(prefix.length);
    if (!/^[1-9]\d{0,9}$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      process.kill(Number(pid), 0);
      continue;
    } catch (e) {
      // EPERM: the process exists (another user's).
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    try {
      fs.unlinkSync(path.join(dir, name));
    } catch {
      /* gone already, or not ours to remove */
    }
  }
}

/**
 * Read and check a checkpoint. Returns undefined when FILE does not exist (a
 * first run). Never changes the file.
 * @throws UsageError (exit 2) naming the file and what is wrong: unreadable,
 *   not a checkpoint, another version, damaged (hash or length), bad JSON
 */
export function readCheckpoint(file: string): CheckpointData | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new UsageError(`--checkpoint: cannot read ${file}: ${code ?? (e as Error).message}`);
  }
  return parseCheckpoint(file, text);
}

/** Parse checkpoint text (see readCheckpoint). */
export function parseCheckpoint(file: string, text: string): CheckpointData {
  const bad = (why: string) =>
    new UsageError(`--checkpoint: ${file} ${why}; it was left as it is (remove it to start afresh, losing the saved state)`);
  const nl = text.indexOf('\n');
  const header = nl < 0 ? text : text.slice(0, nl);
  const m = /^sluice-checkpoint (\d+) sha256=([0-9a-f]{64}) bytes=(\d+)$/.exec(header);
  if (!m) {
    if (!header.startsWith(MAGIC)) throw bad('is not a sluice checkpoint');
    throw bad('has a damaged header');
  }
  if (Number(m[1]) !== CHECKPOINT_VERSION) throw bad(`is of version ${m[1]}, this sluice reads version ${CHECKPOINT_VERSION}`);
  const body = text.slice(nl + 1);
  const want = Number(m[3]);
  const got = Buffer.byteLength(body);
  if (got !== want) throw bad(`is truncated or damaged (${got} bytes of state, ${want} expected)`);
  if (createHash('sha256').update(body).digest('hex') !== m[2]) throw bad('is damaged (its checksum does not match)');
  let data: CheckpointData;
  try {
    data = JSON.parse(body) as CheckpointData;
  } catch {
    throw bad('is damaged (not valid JSON)');
  }
  if (
    data === null ||
    typeof data !== 'object' ||
    data.version !== CHECKPOINT_VERSION ||
    !Array.isArray(data.sources) ||
    !Array.isArray(data.stages) ||
    typeof data.fingerprint !== 'object' ||
    typeof data.outputs !== 'object'
  ) {
    throw bad('is damaged (fields missing)');
  }
  return data;
}
