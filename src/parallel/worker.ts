/**
 * A `-j N` worker thread (node:worker_threads): reads the byte ranges of
 * input files it is given (each ends at a record boundary), parses them,
 * runs the leading record-wise verbs, and sends back either the NDJSON text
 * of the records (in order; unchanged NDJSON records as read) or, when the
 * pipeline continues with a plain `agg`, that range's partial aggregates
 * (src/state/partial.ts states, positions part = chunk number).
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { Batch, ErrorSink, PipelineContext, Rec, Stage } from '../engine/types.js';
import { InputError } from '../engine/errors.js';
import { lineOf } from '../engine/values.js';
import { createReader, createWriter } from '../formats/index.js';
import { parseCommand } from '../cli.js';
import { POS_PART, compileAggPlan } from '../agg/plan.js';
import type { GroupState } from '../agg/types.js';
import { checkNames, parseAggList, parseKeyList, splitAggWords } from '../agg/parse.js';
import { encodeValue } from '../state/codec.js';

/** What the main thread starts a worker with. */
export interface WorkerInit {
  prefix: string[][];
  agg: string[] | null;
  delimiter?: string;
  maxLineBytes: number;
  strictCsv?: boolean;
}

/** One range of one file. */
export interface ChunkJob {
  id: number;
  file: string;
  fmt: 'ndjson' | 'csv' | 'tsv';
  start: number;
  end: number;
  /** CSV/TSV: the header line (with its line end), fed before the range. */
  header: string;
}

/** A worker's answer for one chunk. */
export type ChunkResult =
  | { id: number; kind: 'text'; text: string }
  | { id: number; kind: 'agg'; groups: [string, unknown[], unknown[], number][] }
  | { id: number; kind: 'error'; what: string; source: string; line: number; text: string; verb?: string; partial: string; message?: string };

const init = workerData as WorkerInit;

const errors: ErrorSink = {
  mode: 'fail',
  count: 0,
  reject(source, line, error, text, verb) {
    throw new InputError(error, source, line, text, verb);
  },
};

const ctx: PipelineContext = {
  errors,
  stopInput() {},
  every() {
    return () => {};
  },
  now: () => Date.now(),
  outputBlocked: () => false,
  whenDrained(fn: () => void) {
    fn();
  },
  warn() {},
  summary() {},
  locate: (rec: Rec) => ({ source: current?.file ?? '-', line: lineOf(rec) }),
  openOutput() {
    throw new Error('a verb that writes files cannot run in a -j worker');
  },
} as unknown as PipelineContext;

let current: ChunkJob | null = null;

const words = init.prefix.flatMap((w, i) => (i === 0 ? w : ['then', ...w]));
const verbs = words.length > 0 ? parseCommand(words).options!.verbs : [];

// The agg, as partials per chunk.
let plan: ReturnType<typeof compileAggPlan> | null = null;
if (init.agg !== null) {
  const { aggs: aggText, keys: keyText } = splitAggWords(init.agg);
  const aggs = parseAggList(aggText);
  const keys = keyText === null ? [] : parseKeyList(keyText);
  checkNames(keys, aggs);
  plan = compileAggPlan(aggs, keys);
}

let groups = new Map<string, GroupState>();
let out: string[] = [];
const writer = createWriter('ndjson', { inputFormat: 'ndjson' });
let csvWriter: ReturnType<typeof createWriter> | null = null;

const sink: Stage =
  plan !== null
    ? {
        push(batch: Batch) {
          const p = plan!;
          if (p.global) {
            let g = groups.get('');
            if (g === undefined) groups.set('', (g = p.newGroup(batch[0]!)));
            for (let i = 0; i < batch.length; i++) p.add(g, batch[i]!);
            return;
          }
          for (let i = 0; i < batch.length; i++) {
            const rec = batch[i]!;
            p.add(p.groupOf(groups, rec), rec);
          }
        },
        watermark() {},
        end() {},
      }
    : {
        push(batch: Batch) {
          out.push((csvWriter ?? writer).write(batch));
        },
        watermark() {},
        end() {},
      };

let head: Stage = sink;
for (let i = verbs.length - 1; i >= 0; i--) head = verbs[i]!.build(head, ctx, { verbs, index: i });

/** Feed size: the reader gets the range in slices of about this many characters. */
const SLICE = 256 * 1024;

function runChunk(job: ChunkJob): ChunkResult {
  current = job;
  groups = new Map();
  out = [];
  if (plan !== null) plan.position = job.id * POS_PART;
  // NDJSON text of records read from CSV: written without RAW (the CSV line).
  csvWriter = job.fmt === 'ndjson' ? null : createWriter('ndjson', {});
  const fd = fs.openSync(job.file, 'r');
  let text: string;
  try {
    const buf = Buffer.allocUnsafe(job.end - job.start);
    let got = 0;
    while (got < buf.length) {
      const n = fs.readSync(fd, buf, got, buf.length - got, job.start + got);
      if (n === 0) break;
      got += n;
    }
    text = job.header + buf.toString('utf8', 0, got);
  } finally {
    fs.closeSync(fd);
  }
  const reader = createReader(job.fmt, {
    source: job.file,
    errors,
    delimiter: init.delimiter ?? (job.fmt === 'tsv' ? '\t' : ','),
    maxLineBytes: init.maxLineBytes,
    lineNumbers: verbs.some((v) => v.needsLineNumbers === true),
    ...(init.strictCsv ? { strictCsv: true } : {}),
  } as Parameters<typeof createReader>[1]);
  try {
    for (let at = 0; at < text.length; ) {
      let to = Math.min(text.length, at + SLICE);
      if (to < text.length) {
        const nl = text.indexOf('\n', to);
        to = nl < 0 ? text.length : nl + 1;
      }
      const batch = reader.feed(text.slice(at, to));
      at = to;
      if (batch.length > 0) head.push(batch);
    }
    const last = reader.end();
    if (last.length > 0) head.push(last);
  } catch (e) {
    if (e instanceof InputError) {
      if (e.partial && e.partial.length > 0 && plan === null) {
        try {
          head.push(e.partial as Batch);
        } catch {
          /* the first error is the one reported */
        }
      }
      return { id: job.id, kind: 'error', what: e.what, source: e.source, line: e.line, text: e.text, verb: e.verb, partial: out.join('') };
    }
    return { id: job.id, kind: 'error', what: '', source: job.file, line: 0, text: '', partial: out.join(''), message: (e as Error).message };
  }
  if (plan === null) return { id: job.id, kind: 'text', text: out.join('') };
  const res: [string, unknown[], unknown[], number][] = [];
  for (const [k, g] of groups) res.push([k, g.keyValues.map(encodeValue), plan.stateOf(g), g.first ?? 0]);
  return { id: job.id, kind: 'agg', groups: res };
}

parentPort!.on('message', (job: ChunkJob) => {
  parentPort!.postMessage(runChunk(job));
});
