/**
 * The work of one `-j N` job (issue 14 item 5), shared by the worker threads
 * (worker.ts) and the main thread, which takes jobs too when it is idle:
 * read one byte range of an input file (it ends at a record boundary), parse
 * it, run the leading record-wise verbs, and return either the records as
 * NDJSON bytes (unchanged NDJSON records as read) in a Buffer whose memory can
 * be transferred to another thread without a copy, or, when the pipeline
 * continues with a plain `agg`, the range's partial aggregates
 * (src/state/partial.ts states; positions = job number · 2^36 + record
 * number, so the first position of a group is its -j 1 order of first
 * appearance), or with `window tumbling|sliding ... then agg`, the range's
 * partial aggregates per window and group, with what the main thread needs
 * to redo the watermark of one pass over all ranges (windowed.ts): the
 * largest time, the late records, and per last window end the count of the
 * records that were on time here.
 */
import type { Batch, Stage } from '../engine/types.js';
import { InputError, RuntimeError, UsageError } from '../engine/errors.js';
import { createReader, createWriter } from '../formats/index.js';
import { POS_PART, compileAggPlan } from '../agg/plan.js';
import { isWindowInstance } from '../window/instance.js';
import type { GroupState } from '../agg/types.js';
import { checkNames, parseAggList, parseKeyList, splitAggWords } from '../agg/parse.js';
import { encodeValue } from '../state/codec.js';
import { type KeyedRange, keyedRange } from './keyed.js';
import { rankedRange } from './ranked.js';
import { MANY_GROUPS } from './agg-merge.js';
import { exactMerge } from './exact.js';
import { SMI_PAST, windowJobRunner } from './window-job.js';
import { intNamedHeader } from './cutters.js';
import { type SessionResult, sessionJob } from './sessions.js';
import { dealtSlices, fileSlices, ownBytes, rangeContext, rawDiffers } from './slices.js';

export type { ChunkJob, ChunkResult, ChunkRunner, VerbWordsParser, WindowPart, WindowedResult, WorkerInit, WorkerMessage } from './messages.js';
import type { ChunkJob, ChunkResult, ChunkRunner, VerbWordsParser, WindowedResult, WorkerInit } from './messages.js';

/**
 * Make a runner for `init`. Parses the verbs' words with `parseVerbs` (the
 * command line's own parser), so a word the main thread accepted is accepted here.
 */
export function createChunkRunner(init: WorkerInit, parseVerbs: VerbWordsParser): ChunkRunner {
  let current: ChunkJob | null = null;
  const ctx = rangeContext(() => current);
  const errors = ctx.errors;

  const words = init.prefix.flatMap((w, i) => (i === 0 ? w : ['then', ...w]));
  // The leading verbs are built knowing what the range runs after them (window, agg), as one
  // thread builds them knowing the whole chain: a join then adds only the table fields read later
  // (engine/projection.ts fieldsAfter), not all of them. Without an agg they are built as the end
  // of the chain (every field kept: the main thread's verbs may read any).
  const after = init.agg !== null ? [...(init.window !== null ? [...init.window, 'then'] : []), 'agg', ...init.agg] : [];
  const chain = words.length > 0 ? parseVerbs(after.length > 0 ? [...words, 'then', ...after] : words) : [];
  const verbs = chain.slice(0, init.prefix.length);

  let plan: ReturnType<typeof compileAggPlan> | null = null;
  if (init.agg !== null) {
    const { aggs: aggText, keys: keyText } = splitAggWords(init.agg);
    const aggs = parseAggList(aggText);
    const keys = keyText === null ? [] : parseKeyList(keyText);
    checkNames(keys, aggs);
    plan = compileAggPlan(aggs, keys);
  }

  // window tumbling|sliding ... then agg: one window stage and windowed agg, reset per job (window-job.ts).
  const winVerb = init.window !== null ? parseVerbs(init.window)[0]! : null;
  if (winVerb !== null && !isWindowInstance(winVerb)) throw new Error('-j: not a window verb');
  // (window session ... then agg: per job, a fresh session window stage: sessions.ts.)
  // Sliding windows merge per-slide partials (Two-Stacks) in an order that depends on all that came
  // before in the group, which a range does not see: a merge that is not exact (float sums,
  // variances: exact.ts) may then differ from one pass in the last bits. Such a range says so.
  let inexactPanes = false;
  if (plan !== null && winVerb !== null && isWindowInstance(winVerb) && winVerb.windowSpec.kind !== 'session') {
    const merge = plan.merge.bind(plan);
    plan.merge = (into, from) => {
      if (!inexactPanes && !exactMerge(into, from)) inexactPanes = true;
      merge(into, from);
    };
  }
  const windowJob: ((job: ChunkJob) => { target: Stage; finish(): WindowedResult | SessionResult | { why: string } }) | null =
    winVerb === null || !isWindowInstance(winVerb) ? null : winVerb.windowSpec.kind === 'session' ? sessionJob(winVerb, plan!, ctx) : windowJobRunner(init, plan!, winVerb, ctx);

  let groups = new Map<string, GroupState>();
  let out: string[] = [];
  /** Records the plain agg got in this job. */
  let aggRecords = 0;
  /** Records read in this job, and those the leading verbs passed on (written as NDJSON). */
  let readRecs = 0;
  let keptRecs = 0;
  const writer = createWriter('ndjson', { inputFormat: 'ndjson' });
  let csvWriter: ReturnType<typeof createWriter> | null = null;

  /** The windowed job's window stage, which the leading verbs feed. */
  let relayTarget: Stage | null = null;
  const sink: Stage =
    windowJob !== null
      ? {
          push(batch: Batch) {
            relayTarget!.push(batch);
          },
          watermark() {},
          end() {},
        }
      : plan !== null
      ? {
          push(batch: Batch) {
            const p = plan!;
            aggRecords += batch.length;
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
            keptRecs += batch.length;
            out.push((csvWriter ?? writer).write(batch));
          },
          watermark() {},
          end() {},
        };

  let head: Stage = sink;
  // A first-N-per-key verb: the first N of each key in the range, with their keys (keyed.ts).
  let tap: KeyedRange | null = null;
  if (init.keyed) {
    const kv = parseVerbs(init.keyed)[0]!;
    const build = (next: Stage): Stage => kv.build(next, ctx, { verbs: [kv], index: 0 });
    tap = kv.bestPerKey !== undefined ? rankedRange(kv, sink, build) : keyedRange(kv, sink, build);
    head = tap.head;
  }
  for (let i = verbs.length - 1; i >= 0; i--) head = verbs[i]!.build(head, ctx, { verbs: chain, index: i });
  const lineNumbers = verbs.some((v) => v.needsLineNumbers === true) || winVerb !== null;

  const runJob = (job: ChunkJob): ChunkResult => {
    current = job;
    inexactPanes = false;
    // The verb's own state is per range: a new stage for each job.
    tap?.begin();
    /** The keys of the partial output of a keyed run stopped by an error. */
    const keysOf = (): { keys?: string } => (tap !== null ? { keys: JSON.stringify(tap.keys) } : {});
    groups = new Map();
    out = [];
    aggRecords = 0;
    readRecs = 0;
    keptRecs = 0;
    // Past the small integers from the first job on, as window-job.ts does: the second job's
    // positions are not small integers, and code V8 optimised for them in the first was deoptimised.
    if (plan !== null) plan.position = job.id * POS_PART + SMI_PAST;
    const wj = windowJob !== null ? windowJob(job) : null;
    relayTarget = wj !== null ? wj.target : null;
    // NDJSON text of records read from CSV: written without RAW (the CSV line).
    csvWriter = job.fmt === 'ndjson' ? null : createWriter('ndjson', {});
    const reader = createReader(job.fmt, {
      source: job.file === '/dev/stdin' ? '-' : job.file, // (as one thread names it in its messages: stdin)
      errors,
      delimiter: init.delimiter ?? (job.fmt === 'tsv' ? '\t' : ','),
      maxLineBytes: init.maxLineBytes,
      lineNumbers,
      // (Ranges come from sources with LF or CRLF line ends, jobs.ts, deal.ts: a range that starts at a line
      // with a CR alone in it, JSON whitespace or CSV data, is not read as CR-ended.)
      lfLineEnds: true,
      ...(init.fields !== undefined ? { fields: init.fields } : {}),
      ...(init.strictCsv ? { strictCsv: true } : {}),
    } as Parameters<typeof createReader>[1]);
    try {
      if (job.header !== '') {
        // (The header too: one thread writes it as read, the main thread from the field names.)
        if (init.keepsRaw && rawDiffers(Buffer.from(job.header), init.keepsRaw)) return { id: job.id, kind: 'fallback', why: `a ${init.keepsRaw.toUpperCase()} header the writer would write otherwise` };
        if (init.headerOrder && intNamedHeader(job.header, init.delimiter ?? (job.fmt === 'tsv' ? '\t' : ','))) return { id: job.id, kind: 'fallback', why: 'a header with an integer-like name (its columns in header order)' };
        const batch = reader.feed(job.header);
        if (batch.length > 0) head.push(batch);
      }
      // Decoded slice by slice at line ends (a line end is never inside a UTF-8 sequence): cache-sized strings.
      const total = job.data !== undefined ? job.data.byteLength : job.end - job.start;
      const slices = job.data !== undefined ? dealtSlices(job.data) : fileSlices(job.file, job.start, job.end, job.fmt === 'csv', init.keepsRaw ?? null);
      for (let s = slices.next(); !s.done; s = slices.next()) {
        const { text, at } = s.value;
        // One thread counts lines with invalid UTF-8 for its exit summary: leave such input to it.
        // (Input dealt by the main thread was counted there: deal.ts.) Likewise a quote in CSV.
        if (text === null) return { id: job.id, kind: 'fallback', why: s.value.why! };
        const batch = reader.feed(text);
        readRecs += batch.length;
        if (batch.length > 0) head.push(batch);
        // A plain agg with many groups per record: merging the partials would cost more than one
        // thread's pass. Groups only grow, so once the groups so far exceed the range's records
        // (estimated from the bytes read) per MANY_GROUPS, the whole range would too: say so now.
        // (Not on input read once, which cannot be read again by one thread: deal.ts.)
        if (plan !== null && wj === null && job.data === undefined && aggRecords >= 1000 && at < total && groups.size * MANY_GROUPS > (aggRecords * total) / at) {
          return { id: job.id, kind: 'fallback', why: `${groups.size} groups in the first ${aggRecords} records of a range (more than one group per ${MANY_GROUPS} records)` };
        }
      }
      const last = reader.end();
      readRecs += last.length;
      if (last.length > 0) head.push(last);
      if (tap !== null && !tap.finish()) return { id: job.id, kind: 'fallback', why: tap.why ?? `${init.keyed![0]} wrote more records of a range than one burst` };
    } catch (e) {
      if (e instanceof InputError) {
        if (e.partial && e.partial.length > 0 && plan === null && wj === null) {
          try {
            head.push(e.partial as Batch);
          } catch {
            /* the first error is the one reported */
          }
        }
        return { id: job.id, kind: 'error', what: e.what, source: e.source, line: e.line, text: e.text, verb: e.verb, partial: ownBytes(out.join('')), ...keysOf() };
      }
      // (A RuntimeError or UsageError, a duplicate CSV header name: said as one thread says it, not as an internal error.)
      const user = e instanceof RuntimeError || e instanceof UsageError ? { user: (e instanceof UsageError ? 2 : 1) as 1 | 2 } : {};
      return { id: job.id, kind: 'error', what: '', source: job.file, line: 0, text: '', partial: ownBytes(out.join('')), message: (e as Error).message, ...user, ...keysOf() };
    }
    if (wj !== null) {
      try {
        const w = wj.finish();
        if ('why' in w) return { id: job.id, kind: 'fallback', why: w.why };
        if (inexactPanes) {
          inexactPanes = false;
          return { id: job.id, kind: 'fallback', why: 'float sums or variances merged across the slides of sliding windows' };
        }
        return w;
      } catch (e) {
        if (e instanceof InputError) return { id: job.id, kind: 'error', what: e.what, source: e.source, line: e.line, text: e.text, verb: e.verb, partial: ownBytes('') };
        throw e;
      }
    }
    if (plan === null) {
      const bytes = ownBytes(out.join(''));
      out = [];
      if (tap !== null) {
        const keys = JSON.stringify(tap.keys);
        tap.keys = [];
        return { id: job.id, kind: 'keyed', bytes, keys };
      }
      return { id: job.id, kind: 'bytes', bytes, kept: [keptRecs, readRecs] };
    }
    const res: [string, unknown[], unknown[], number][] = [];
    for (const [k, g] of groups) res.push([k, g.keyValues.map(encodeValue), plan.stateOf(g), g.first ?? 0]);
    groups = new Map();
    return { id: job.id, kind: 'agg', json: JSON.stringify(res), groups: res.length, records: aggRecords };
  };
  const runner = (job: ChunkJob): ChunkResult => {
    const r = runJob(job);
    if (job.data !== undefined) {
      // (Buffer's indexOf is memchr; a Uint8Array's is a generic element loop.)
      const d = Buffer.from(job.data.buffer, job.data.byteOffset, job.data.byteLength);
      let n = 0;
      for (let k = d.indexOf(0x0a); k >= 0; k = d.indexOf(0x0a, k + 1)) n++;
      r.lines = n;
    }
    return r;
  };
  return runner;
}

/** The ArrayBuffers of a result that can be moved to another thread rather than copied. */
export function transferList(r: ChunkResult): ArrayBuffer[] {
  const b = r.kind === 'bytes' || r.kind === 'keyed' ? r.bytes : r.kind === 'error' ? r.partial : r.kind === 'wagg' ? r.rows : null;
  return b !== null && b.byteOffset === 0 && b.buffer instanceof ArrayBuffer && b.byteLength === b.buffer.byteLength ? [b.buffer] : [];
}
