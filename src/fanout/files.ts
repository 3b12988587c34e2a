/**
 * Output files of `tee` and `split`: the format a file is written in, the
 * check that an output is not one of the inputs, and file names made from
 * key text.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { OutputFormat, PipelineContext, Writer } from '../engine/types.js';
import { RuntimeError, UsageError } from '../engine/errors.js';
import { openMaybeFifo } from '../engine/files.js';
import { errText } from '../sort/tempdir.js';

/** Formats a file may be written in. */
export const FILE_FORMATS = ['ndjson', 'csv', 'tsv'] as const;

/** The format named by a file's extension (`.csv`, `.tsv`, `.tab`, `.ndjson`, `.jsonl`), if any. */
export function formatOfPath(file: string): OutputFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  return undefined;
}

/** Identity of an existing file (device and inode), or null. */
function identity(file: string | number): string | null {
  try {
    const st = typeof file === 'number' ? fs.fstatSync(file) : fs.statSync(file);
    return st.isFile() ? `${st.dev}:${st.ino}` : null;
  } catch {
    return null;
  }
}

/**
 * A check that refuses output files that are inputs: by path and by device
 * and inode (hard links, stdin redirected from the file); and a file that is
 * the standard output redirected.
 * @returns a function that throws for an input file (`Err` is UsageError at build time, RuntimeError later)
 */
export function inputGuard(verb: string, ctx: PipelineContext): (file: string, late?: boolean) => void {
  const sources = ctx.sources ?? [];
  const ids = new Set<string>();
  const paths = new Set<string>();
  for (const s of sources) {
    const id = s === '-' ? identity(0) : identity(s);
    if (id !== null) ids.add(id);
    if (s !== '-') paths.add(path.resolve(s));
  }
  // Standard output redirected to a file: a group's file of the same identity would overwrite it.
  const stdout = identity(1);
  return (file, late = false) => {
    const id = identity(file);
    if (paths.has(path.resolve(file)) || (id !== null && ids.has(id))) {
      const msg = `${verb}: ${file} is also an input: write to another file`;
      throw late ? new RuntimeError(msg) : new UsageError(msg);
    }
    if (id !== null && id === stdout) {
      const msg = `${verb}: ${file} is also the standard output: write to another file`;
      throw late ? new RuntimeError(msg) : new UsageError(msg);
    }
  };
}

/** Open `file` for writing (`w`) or appending (`a`); with `makeDir`, make its directory first. */
export function openFile(verb: string, file: string, flags: 'w' | 'a', makeDir = false): number {
  try {
    const dir = path.dirname(file);
    if (makeDir && dir !== '' && dir !== '.' && !fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true });
    return openMaybeFifo(file, flags);
  } catch (e) {
    throw new RuntimeError(`${verb}: cannot write ${file}: ${errText(e)}`);
  }
}

/** Write all of `text` to fd; a failure is a RuntimeError naming the file. */
export function writeAll(verb: string, fd: number, file: string, text: string): void {
  try {
    fs.writeSync(fd, text);
  } catch (e) {
    throw new RuntimeError(`${verb}: cannot write ${file}: ${errText(e)}`);
  }
}

/** Close fd; a failure (a deferred write error) is a RuntimeError. */
export function closeFile(verb: string, fd: number, file: string): void {
  try {
    fs.closeSync(fd);
  } catch (e) {
    throw new RuntimeError(`${verb}: cannot write ${file}: ${errText(e)}`);
  }
}

/** A writer from the pipeline context. */
export function makeWriter(verb: string, ctx: PipelineContext, format: OutputFormat | undefined): Writer {
  if (typeof ctx.newWriter !== 'function') throw new RuntimeError(`${verb}: this pipeline cannot make writers`);
  return ctx.newWriter(format);
}

const SAFE = /^[A-Za-z0-9_.-]$/;

/**
 * A file-name part for one key text, safe on any file system and one-to-one:
 * letters, digits, `_`, `-` and `.` (not first) stay; every other byte of
 * the UTF-8 text is `%XX`. Null (or missing) is `%null`, the empty text
 * `%empty` (neither can come out of the encoding, whose `%` is always followed
 * by two hex digits).
 */
export function safePart(text: string | null): string {
  if (text === null) return '%null';
  if (text === '') return '%empty';
  let out = '';
  let i = 0;
  for (const ch of text) {
    if (SAFE.test(ch) && !(i === 0 && ch === '.')) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
    i++;
  }
  return out;
}

/**
 * The file name for a list of key texts: parts joined by `+` (encoded in the
 * parts), cut to 200 characters with a hash of the whole when longer (file
 * names are limited to 255 bytes).
 */
export function safeName(texts: readonly (string | null)[]): string {
  const name = texts.map(safePart).join('+');
  if (name.length <= 200) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16);
  return name.slice(0, 150) + '~' + hash;
}
