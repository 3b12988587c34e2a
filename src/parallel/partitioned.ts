/**
 * `-j N` by key partitions (issue 14 item 5: "per-key verbs route records to
 * workers by key hash"), the threads' side. A per-key verb whose output for
 * a key depends only on that key's records (VerbInstance.byKey: `over --by`,
 * `window count --by [then agg]`) cannot run on byte ranges: a key's records
 * are in every range, and the verb's state for a key runs through all of
 * them in order. So each of the N threads runs the whole chain up to and
 * including that verb on every range, in input order, keeping the verb's
 * state from range to range, and handles only the keys whose
 * MurmurHash3_x86_32 (of the verb's key text, seed 0) mod N is its own:
 *
 * - `over` (`seesAll` false): the records of other keys are dropped before
 *   it;
 * - count windows (`seesAll` true) see every record, number every key's
 *   windows (window_id counts windows over all keys in the order they open)
 *   and write only their own keys' windows (PipelineContext.ownsKey).
 *
 * Every thread reads and parses the whole input, so this pays when the
 * verb costs more than the parse (over: ~1.3 µs per record, against
 * ~0.3 µs for an NDJSON parse).
 *
 * Output order: every thread sees the same records after the leading verbs
 * (they are record-wise and do not read the clock or record numbers:
 * plan.ts), numbered 0, 1, 2, ... (the position). A record is pushed
 * through the verb alone, so whatever the verb writes while it takes the
 * record is tagged with its position; what it writes at end of input, with
 * 2^52 + its window_id (count windows write their open windows in window_id
 * order; over writes nothing then). One thread's output is in position
 * order; the main thread merges the threads' outputs by position
 * (partition-run.ts), which is the order one thread writes.
 *
 * A malformed record, or any error, sends the run to one thread, which says
 * it as it does (the output written so far is a prefix of its output).
 */
import type { Batch, FieldSelection, Reader, Rec, Stage, VerbInstance } from '../engine/types.js';
import { rawOf } from '../engine/values.js';
import { inputFields } from '../engine/projection.js';
import type { ChunkJob, ChunkResult, ChunkRunner, VerbWordsParser, WorkerInit } from './messages.js';
import { createReader, createWriter } from '../formats/index.js';
import { murmur3 } from '../agg/hash.js';
import { dealtSlices, fileSlices, rangeContext } from './slices.js';

/** Tags of what the verbs write at end of input: END + window_id. */
export const END = 2 ** 52;

/**
 * One thread's output for one range (or for the end: ChunkJob.finish): the
 * NDJSON text of blocks of records, block k being text [ends[k−1], ends[k])
 * (characters), written while the record at position pos[k] was taken (or,
 * at the end, END + its window_id).
 */
export interface PartitionResult {
  id: number;
  kind: 'part';
  text: string;
  ends: Uint32Array;
  pos: Float64Array;
}

/** The partition (0 ≤ p < n) of a key text: MurmurHash3_x86_32 of its UTF-8, seed 0, mod n. */
export function partitionOf(key: string, n: number): number {
  return murmur3(key) % n;
}

/**
 * Make the runner of one key partition (init.partition: its index, the
 * number of partitions and the words of the per-key verbs). Its jobs must
 * come in input order, each range once, then one with `finish`.
 */
export function createPartitionRunner(init: WorkerInit, parseVerbs: VerbWordsParser): ChunkRunner {
  const part = init.partition!;
  let current: ChunkJob | null = null;
  const owns = (key: string): boolean => partitionOf(key, part.count) === part.index;
  const ctx = rangeContext(() => current, { ownsKey: owns });
  const nPrefix = init.prefix.length;
  const words = [...init.prefix, ...part.words].flatMap((w, i) => (i === 0 ? w : ['then', ...w]));
  const chain = parseVerbs(words);
  const keyed = chain[nPrefix]!;
  if (keyed.byKey === undefined) throw new Error(`-j: ${keyed.name} cannot run by key partitions`);
  const { keyOf, seesAll } = keyed.byKey;

  // What the verbs write, as NDJSON blocks tagged with positions.
  let text = '';
  let ends: number[] = [];
  let tags: number[] = [];
  /** The position of the record being taken: records that reached the per-key verb (or would have: other keys' under `over`) so far. */
  let pos = 0;
  let ending = false;
  const ndjson = createWriter('ndjson', { inputFormat: 'ndjson' });
  const fromCsv = createWriter('ndjson', {});
  let writer = ndjson;
  const perRecord = keyed.byKey.perRecord === true;
  /** perRecord: the positions of the records pushed to the verb, in order, and how many of them were written. */
  const ownPos: number[] = [];
  let taken = 0;
  const sink: Stage = {
    push(batch: Batch) {
      if (perRecord && !ending) {
        // One NDJSON line per record (JSON text holds no raw line end): a block per line.
        // (Line ends looked for in the batch's own text: `text` grows by concatenation, and
        // searching it would flatten it again at every batch.)
        const from = text.length;
        const t = writer.write(batch);
        text += t;
        for (let k = t.indexOf('\n'); k >= 0; k = t.indexOf('\n', k + 1)) {
          ends.push(from + k + 1);
          tags.push(ownPos[taken++]!);
        }
        return;
      }
      if (!ending) {
        text += writer.write(batch);
        ends.push(text.length);
        tags.push(pos);
        return;
      }
      // At the end: a block per window (count windows write their open windows in window_id order).
      let i = 0;
      while (i < batch.length) {
        const id = (batch[i] as Rec).window_id;
        let j = i + 1;
        while (j < batch.length && (batch[j] as Rec).window_id === id) j++;
        text += writer.write(i === 0 && j === batch.length ? batch : batch.slice(i, j));
        ends.push(text.length);
        tags.push(END + (typeof id === 'number' ? id : 0));
        i = j;
      }
    },
    watermark() {},
    end() {},
  };
  let head: Stage = sink;
  for (let i = chain.length - 1; i >= nPrefix; i--) head = chain[i]!.build(head, ctx, { verbs: chain, index: i });
  const verb = head;
  // Lazily whole: when the leading verbs pass records on unchanged (RAW text kept), the readers
  // decode only the key's fields (and what those verbs read), and a record of this thread's keys
  // is decoded whole from its RAW text by a second reader, as one thread's reader decodes it.
  const lazy = !seesAll && chain.slice(0, nPrefix).every((v) => v.access?.emits === 'same');
  const probe = { name: 'key', access: { reads: keyed.byKey.reads, emits: 'new' } } as unknown as VerbInstance;
  const fields: FieldSelection | undefined = lazy ? (inputFields([...chain.slice(0, nPrefix), probe], false) ?? undefined) : init.fields;
  let whole: Reader | null = null;
  let wholeHeader: string | null = null;
  const ownRaw: string[] = [];
  let own: Rec[] = [];
  const enter: Stage = {
    push(batch: Batch) {
      if (!perRecord) {
        // Each record alone, so that what the verb writes is tagged with its position.
        for (let i = 0; i < batch.length; i++) {
          const rec = batch[i]!;
          if (seesAll || owns(keyOf(rec))) verb.push([rec]);
          pos++;
        }
        return;
      }
      ownPos.length = 0;
      taken = 0;
      for (let i = 0; i < batch.length; i++) {
        const rec = batch[i]!;
        if (owns(keyOf(rec))) {
          if (lazy) {
            const raw = rawOf(rec);
            if (raw === undefined) throw new Error('-j: a record without its text');
            ownRaw.push(raw);
          } else own.push(rec);
          ownPos.push(pos);
        }
        pos++;
      }
      if (ownPos.length === 0) return;
      if (lazy) {
        own = whole!.feed(ownRaw.join('\n') + '\n');
        ownRaw.length = 0;
        if (own.length !== ownPos.length) throw new Error('-j: a record decoded again is not one record');
      }
      const b = own;
      own = [];
      verb.push(b);
      if (taken !== ownPos.length) throw new Error(`-j: ${keyed.name} wrote ${taken} of ${ownPos.length} records`);
    },
    watermark(ms: number) {
      verb.watermark(ms);
    },
    end() {
      ending = true;
      verb.end();
    },
  };
  head = enter;
  for (let i = nPrefix - 1; i >= 0; i--) head = chain[i]!.build(head, ctx, { verbs: chain, index: i });
  const lineNumbers = chain.some((v) => v.needsLineNumbers === true);

  return (job: ChunkJob): ChunkResult => {
    current = job;
    text = '';
    ends = [];
    tags = [];
    try {
      if (job.finish === true) head.end();
      else {
        writer = job.fmt === 'ndjson' ? ndjson : fromCsv;
        const readerFor = (sel: FieldSelection | undefined): Reader =>
          createReader(job.fmt, {
            source: job.file === '/dev/stdin' ? '-' : job.file,
            errors: ctx.errors,
            delimiter: init.delimiter ?? (job.fmt === 'tsv' ? '\t' : ','),
            maxLineBytes: init.maxLineBytes,
            lineNumbers,
            lfLineEnds: true, // (as chunk.ts)
            ...(sel !== undefined ? { fields: sel } : {}),
            ...(init.strictCsv ? { strictCsv: true } : {}),
          } as Parameters<typeof createReader>[1]);
        const reader = readerFor(fields);
        if (lazy && (whole === null || wholeHeader !== job.header)) {
          // (CSV: a reader per header, which it is fed first.)
          whole = readerFor(init.fields);
          wholeHeader = job.header;
          if (job.header !== '' && whole.feed(job.header).length > 0) throw new Error('-j: a CSV header read as a record');
        }
        if (job.header !== '') {
          const batch = reader.feed(job.header);
          if (batch.length > 0) head.push(batch);
        }
        const slices = job.data !== undefined ? dealtSlices(job.data) : fileSlices(job.file, job.start, job.end, job.fmt === 'csv');
        for (let s = slices.next(); !s.done; s = slices.next()) {
          if (s.value.text === null) return { id: job.id, kind: 'fallback', why: s.value.why! };
          const batch = reader.feed(s.value.text);
          if (batch.length > 0) head.push(batch);
        }
        const last = reader.end();
        if (last.length > 0) head.push(last);
      }
    } catch (e) {
      // One thread says it as it does, after what comes before it.
      return { id: job.id, kind: 'fallback', why: `an error in a key partition (${(e as Error).message.split('\n')[0]})` };
    }
    return { id: job.id, kind: 'part', text, ends: Uint32Array.from(ends), pos: Float64Array.from(tags) };
  };
}
