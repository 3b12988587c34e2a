/**
 * Job making for `-j N` (issue 14 item 5): regular files (NDJSON; CSV/TSV
 * without any double quote, so that no quoted field can span a line: the
 * first range is checked here, the others by the threads that read them) are
 * cut into byte ranges of about 2 MiB ending at line ends; each range is a
 * job, numbered in input order. Input that cannot be cut gets a reason
 * instead (the run is then left to one thread).
 */
import fs from 'node:fs';
import type { InputFormat } from '../engine/types.js';
import type { RunOptions } from '../engine/run.js';
import { formatFromPath, sniffFormat } from '../formats/index.js';
import type { ChunkJob } from './messages.js';

/** Bytes per job (SLUICE_J_CHUNK_BYTES overrides it, for tests on small files). */
export const CHUNK = Number(process.env.SLUICE_J_CHUNK_BYTES) > 0 ? Number(process.env.SLUICE_J_CHUNK_BYTES) : 2 * 1024 * 1024;

/** Cut the sources into jobs, or say why not. */
export function makeJobs(opts: RunOptions): ChunkJob[] | string {
  const jobs: ChunkJob[] = [];
  let fixed: InputFormat | undefined;
  let stdinSeen = false;
  for (const src of opts.sources) {
    // A second '-' reads stdin from where the first left it: its end (as one thread and `cat - -` do).
    if (src === '-' && stdinSeen) continue;
    if (src === '-') stdinSeen = true;
    const file = src === '-' ? '/dev/stdin' : src;
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      return `cannot stat ${src}`;
    }
    if (!st.isFile()) return `${src === '-' ? 'stdin' : src} is not a regular file`;
    // `{ read -r head; sluice -j 2 ...; } < file`: stdin starts where the shell left it, not at byte 0.
    if (src === '-' && stdinOffset() !== 0) return 'stdin is a file read from part way';
    const fd = fs.openSync(file, 'r');
    try {
      const head = Buffer.alloc(Math.min(st.size, 64 * 1024));
      fs.readSync(fd, head, 0, head.length, 0);
      if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip input';
      if (head[0] === 0xff || head[0] === 0xfe) return 'UTF-16 input';
      const fmt = opts.inputFormat !== 'auto' ? opts.inputFormat : (src !== '-' ? formatFromPath(src) : undefined) ?? sniffFormat(head.toString('utf8'));
      if (fmt !== 'ndjson' && fmt !== 'csv' && fmt !== 'tsv') return `${fmt} input`;
      if (fixed !== undefined && fmt !== fixed) return 'mixed input formats';
      fixed = fmt;
      let start = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
      // CR-only line ends (decided by the first line end, for the whole source: formats/lineends.ts).
      const cr = head.indexOf(0x0d, start);
      const lf = head.indexOf(0x0a, start);
      if (cr >= 0 && (lf < 0 || cr < lf) && head[cr + 1] !== 0x0a) return 'CR-only line ends';
      let header = '';
      if (fmt !== 'ndjson') {
        // CSV: no double quote in the first range (then the file is dealt out by the main thread,
        // which cuts it by the reader's quote rules: deal.ts). The other ranges are checked by the
        // thread that reads them (chunk.ts): a quote there sends the run to one thread. Not the
        // whole file here: that read, before any job starts, cost ~25 ms per 100 MB.
        if (fmt === 'csv') {
          const block = Buffer.allocUnsafe(Math.min(st.size, CHUNK + 64 * 1024));
          const n = fs.readSync(fd, block, 0, block.length, 0);
          if (block.subarray(0, n).indexOf(0x22) >= 0) return 'CSV with quoted fields';
        }
        const nl = head.indexOf(0x0a, start);
        if (nl < 0) return 'a CSV header longer than 64 KiB, or one line';
        header = head.toString('utf8', start, nl + 1);
        start = nl + 1;
      }
      const size = st.size;
      const buf = Buffer.alloc(64 * 1024);
      while (start < size) {
        let end = Math.min(size, start + CHUNK);
        if (end < size) {
          // Move the end to just after the next newline.
          let pos = end;
          for (;;) {
            const n = fs.readSync(fd, buf, 0, buf.length, pos);
            if (n === 0) {
              end = size;
              break;
            }
            const i = buf.subarray(0, n).indexOf(0x0a);
            if (i >= 0) {
              end = pos + i + 1;
              break;
            }
            pos += n;
          }
        }
        jobs.push({ id: jobs.length, file, fmt, start, end, header });
        start = end;
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  if (jobs.length < 2) return 'input smaller than two ranges';
  return jobs;
}

/**
 * The read offset of fd 0 in bytes (Linux: /proc/self/fdinfo/0), or -1
 * when it cannot be known (then stdin is read as a stream, from where it is).
 */
function stdinOffset(): number {
  try {
    const m = /^pos:\s*(\d+)/m.exec(fs.readFileSync('/proc/self/fdinfo/0', 'utf8'));
    return m === null ? -1 : Number(m[1]);
  } catch {
    return -1;
  }
}

/** The 1-based line of byte `pos` of `file` (for messages). */
export function lineAt(file: string, pos: number): number {
  const b = fs.readFileSync(file);
  let n = 1;
  for (let i = b.indexOf(0x0a); i >= 0 && i < pos; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
}

