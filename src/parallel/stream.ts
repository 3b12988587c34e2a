/**
 * `-j N` on input that cannot be cut into byte ranges in advance (issue 14
 * item 5: "stdin and pipes are dealt out batch by batch"): which inputs,
 * which split of the pipeline (plan.ts streamPlan), and the stream the main
 * thread reads (deal.ts cuts it into jobs).
 */
import fs from 'node:fs';
import { openInputStream } from '../sources/fifo.js';
import type { Readable } from 'node:stream';
import type { RunOptions } from '../engine/run.js';
import { parseAggList, splitAggWords } from '../agg/parse.js';
import { type ParallelPlan, streamPlan } from './plan.js';
import { type StreamJobs, openStream } from './deal.js';
import { intNamedHeader } from './cutters.js';
import { outputFormatFor } from '../engine/output.js';

/**
 * The jobs of a run whose single source is a stream, gzip or CSV with
 * quoted fields (`why`: the reason run.ts makeJobs gave for not cutting it),
 * with the split for it; `replay` when its first bytes show it cannot be
 * dealt out (read it from there with one thread; null for a named file,
 * which one thread reads again); null when the run is not
 * split at all (nothing of the stream has been read then).
 */
export async function openDealt(
  opts: RunOptions,
  split: ParallelPlan,
  why: string,
  chunkBytes: number,
): Promise<{ plan: ParallelPlan; jobs: StreamJobs } | { replay: Readable | null; why: string } | null> {
  if (opts.sources.length !== 1) return null;
  const name = opts.sources[0]!;
  if (!/ is not a regular file$|^gzip input$|^CSV with quoted fields$|^stdin is a file read from part way$/.test(why)) return null;
  let aggFns: string[] = [];
  if (split.agg !== null) aggFns = parseAggList(splitAggWords(split.agg).aggs).map((a) => a.fn);
  const plan = streamPlan(opts, split, aggFns);
  if (typeof plan === 'string') return null;
  let input: Readable;
  if (name === '-') {
    // (A stream a caller injects may hold strings: one thread reads it.)
    if (opts.stdin !== undefined) return null;
    {
      let st: fs.Stats;
      try {
        st = fs.fstatSync(0);
      } catch {
        return null;
      }
      if (st.isDirectory() || process.stdin.isTTY) return null;
      input = st.isFile() ? fs.createReadStream('', { fd: 0, autoClose: false, highWaterMark: 64 * 1024 }) : process.stdin;
    }
  } else {
    try {
      const st = fs.statSync(name);
      // A named pipe (a FIFO, <(...)) cannot be read again by one thread after a refusal or a fallback: one thread reads it.
      if (!st.isFile()) return null;
      fs.accessSync(name, fs.constants.R_OK);
    } catch {
      return null;
    }
    input = openInputStream(name, 64 * 1024);
  }
  // CSV written from CSV keeps each unchanged record's own quoting (its RAW text), which the NDJSON
  // the threads hand over loses; a file is only dealt out when it has quotes. TSV from TSV likewise
  // keeps a backslash or a CR alone as read (WorkerInit.keepsRaw), which the TSV writer escapes.
  const refuse = (fmt: string): string | null =>
    fmt === 'csv' && outputFormatFor(fmt, opts.outputFormat) === 'csv'
      ? 'CSV output of CSV input that may hold quoted fields'
      : fmt === 'tsv' && outputFormatFor(fmt, opts.outputFormat) === 'tsv'
        ? 'TSV output of TSV input that may hold backslashes'
        : null;
  // (CSV or TSV output: columns in the header's order, which the threads' NDJSON loses for integer-like names.)
  const refuseHeader = (header: string, fmt: 'csv' | 'tsv'): string | null => {
    const out = outputFormatFor(fmt, opts.outputFormat);
    return (out === 'csv' || out === 'tsv') && intNamedHeader(header, opts.delimiter ?? (fmt === 'tsv' ? '\t' : ',')) ? 'a header with an integer-like name (its columns in header order)' : null;
  };
  const r = await openStream({ name, input, inputFormat: opts.inputFormat, delimiter: opts.delimiter, maxLineBytes: opts.maxLineBytes, chunkBytes, refuse, refuseHeader });
  if (!('replay' in r)) return { plan, jobs: r };
  if (name === '-') return r;
  // A file is read again from its start by one thread.
  r.replay.destroy();
  input.destroy();
  return { replay: null, why: r.why };
}
