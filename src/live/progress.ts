/**
 * Progress of long file reads on stderr (issue 12): bytes read of the total,
 * records per second and the time left, drawn by cli-progress on one line
 * that is cleared at the end. Shown only when stderr is a terminal, the
 * input is regular files (so the total is known) of more than
 * PROGRESS_MIN_BYTES together, and the read has taken more than
 * PROGRESS_DELAY_MS (a quick run never flickers a bar); never with
 * `--no-progress`, `--follow`, or when stderr is not a terminal.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Batch, Reader } from '../engine/types.js';
import type { SingleBar } from 'cli-progress';

/** Inputs smaller than this (bytes, all sources together) get no bar: 4 MiB. */
export const PROGRESS_MIN_BYTES = 4 * 1024 * 1024;
/** The bar appears only once reading has taken this long (ms); the environment variable SLUICE_PROGRESS_DELAY_MS sets another delay (tests use 0). */
export const PROGRESS_DELAY_MS = 300;

function delayMs(): number {
  const v = Number(process.env.SLUICE_PROGRESS_DELAY_MS);
  return process.env.SLUICE_PROGRESS_DELAY_MS !== undefined && Number.isFinite(v) && v >= 0 ? v : PROGRESS_DELAY_MS;
}

/** What the runner tells the progress line. */
export interface Progress {
  /** Wrap a source's reader: each chunk fed advances the bar by its bytes and records. */
  reader(r: Reader): Reader;
  /** Stop and clear the line (end of run, error, signal). Idempotent. */
  stop(): void;
  /** Clear the line before records go to the same terminal (the bar redraws below them on its next update). */
  beforeOutput(): void;
}

/**
 * The terminal stream cli-progress draws on: stderr, without the cursor
 * save/restore cli-progress brackets a bar with (ESC 7 / ESC 8). Records
 * written to the same terminal meanwhile move the line the bar is on, and
 * restoring the saved cursor at the end would clear a line of records.
 */
function barStream(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  const proxy = {
    isTTY: true,
    get columns() {
      return stream.columns;
    },
    write(text: string): boolean {
      const t = String(text).replace(/\x1b[78]/g, '');
      return t === '' ? true : stream.write(t);
    },
    on: () => proxy,
    once: () => proxy,
    removeListener: () => proxy,
  };
  return proxy as unknown as NodeJS.WriteStream;
}

/** Total bytes of `sources` when every one is a regular file (stdin: redirected from one), else undefined. */
function totalBytes(sources: string[]): number | undefined {
  let total = 0;
  for (const s of sources) {
    try {
      const st = s === '-' ? fs.fstatSync(0) : fs.statSync(s);
      if (!st.isFile()) return undefined;
      total += st.size;
    } catch {
      return undefined;
    }
  }
  return total;
}

/**
 * The progress line for a run, or undefined when none is to be shown.
 * @param sources the run's sources (`-` is stdin)
 * @param stream  where to draw (stderr); nothing is drawn unless it is a terminal
 * @param enabled false for --no-progress and --follow
 */
export function createProgress(sources: string[], stream: NodeJS.WriteStream, enabled: boolean): Progress | undefined {
  if (!enabled || !stream.isTTY) return undefined;
  const total = totalBytes(sources);
  if (total === undefined || total < PROGRESS_MIN_BYTES) return undefined;
  const t0 = Date.now();
  const delay = delayMs();
  let bytes = 0;
  let records = 0;
  let bar: SingleBar | undefined;
  let stopped = false;
  const mib = (n: number) => (n / 1048576).toFixed(1);
  const update = (): void => {
    if (stopped) return;
    const secs = (Date.now() - t0) / 1000;
    if (bar === undefined) {
      if (secs * 1000 < delay) return;
      const require = createRequire(import.meta.url);
      const { SingleBar: Bar } = require('cli-progress') as typeof import('cli-progress');
      bar = new Bar({
        stream: barStream(stream),
        format: 'sluice: reading {bar} {percentage}% | {done}/{all} MiB | {rate} records/s | ETA {eta_formatted}',
        barsize: 24,
        clearOnComplete: true,
        hideCursor: false,
        linewrap: false,
        fps: 5,
        etaBuffer: 50,
      });
      bar.start(total, 0, { done: mib(0), all: mib(total), rate: 0 });
    }
    bar.update(Math.min(bytes, total), { done: mib(bytes), all: mib(total), rate: Math.round(records / Math.max(secs, 0.001)) });
  };
  return {
    reader(r: Reader): Reader {
      const feed = (chunk: string): Batch => {
        const b = r.feed(chunk);
        bytes += Buffer.byteLength(chunk);
        records += b.length;
        update();
        return b;
      };
      return { feed, end: () => r.end() };
    },
    beforeOutput(): void {
      if (bar !== undefined && !stopped) stream.write('\r\x1b[2K');
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      if (bar) {
        // Clear the line (clearOnComplete) whether or not the input was read to its end.
        bar.update(total);
        bar.stop();
      }
    },
  };
}
