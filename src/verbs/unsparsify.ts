import type { Batch, PipelineContext, Rec, Stage, VerbDef } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';
import { detach, setField, typeCell } from '../engine/values.js';
import { carryWindowTags } from '../window/tags.js';
import { RecordCodec, openVerbState, stateArray, stateString, verbState } from '../state/records.js';
import { parseVerbArgs, splitFieldList } from './args.js';

const usage = `Usage: sluice unsparsify [--fields F,...] [--fill VALUE]

Give every record the same fields, so CSV output has one header. Missing
fields are added with null (an empty CSV cell), or --fill VALUE.

Without --fields, the fields are those of all records, in order of first
appearance, and each record is written with them in that order. This
needs every record before the first can be written: unsparsify holds ALL
records in memory until end of input (or SIGINT/SIGTERM). Use it on
files, not on endless streams.

With --fields, it streams (holds nothing): each record keeps its own
fields, in its order, and gets those of the list it lacks, at the end.

Options:
  -f, --fields F,...  the fields every record must have (streaming)
  --fill VALUE        the value of added fields (typed as a CSV cell;
                      default: null)

Examples:
  $ printf '{"a":1}\\n{"b":2}\\n{"a":3,"c":4}\\n' | sluice -o csv unsparsify
  a,b,c
  1,,
  ,2,
  3,,4

  $ printf '{"a":1}\\n{"b":2}\\n' | sluice unsparsify -f a,b,z --fill 0
  {"a":1,"b":0,"z":0}
  {"b":2,"a":0,"z":0}
`;

/** `unsparsify [--fields F,...] [--fill VALUE]`. */
export const unsparsify: VerbDef = {
  name: 'unsparsify',
  summary: 'give every record the same fields (holds all records without -f)',
  usage,
  arity: { min: 0, max: 0, hint: 'give the fields with -f a,b,c' },
  parse(args) {
    const { pos, opts } = parseVerbArgs('unsparsify', args, [
      { name: 'fields', alias: 'f', type: 'string' },
      { name: 'fill', type: 'string' },
    ]);
    if (pos.length > 0) throw new UsageError(`unsparsify: unexpected '${pos[0]}' (give the fields with -f a,b,c)`);
    const fields = opts.fields !== undefined ? splitFieldList(String(opts.fields)) : null;
    if (fields !== null && fields.length === 0) throw new UsageError('unsparsify: -f needs at least one field');
    const fill = opts.fill !== undefined ? typeCell(String(opts.fill)) : null;
    return {
      name: 'unsparsify',
      explain: { ...(fields !== null ? { fields } : { holds: 'all records until end of input' }), fill },
      needs: ['*'],
      recordWise: fields !== null,
      build: (next, ctx) => (fields !== null ? streamingStage(fields, fill, next) : holdingStage(fill, next, ctx)),
    };
  },
};

const hasOwn = Object.prototype.hasOwnProperty;

function streamingStage(fields: string[], fill: unknown, next: Stage): Stage {
  return {
    push(batch: Batch) {
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i]!;
        let missing = false;
        for (const f of fields) if (!hasOwn.call(r, f)) missing = true;
        if (!missing) continue;
        const out: Rec = {};
        for (const k in r) setField(out, k, r[k]);
        for (const f of fields) if (!hasOwn.call(out, f)) setField(out, f, fill);
        carryWindowTags(r, out);
        batch[i] = out;
      }
      next.push(batch);
    },
    watermark: (ms) => next.watermark(ms),
    end: () => next.end(),
  };
}

/** Records written per batch at end of input. */
const OUT_BATCH = 1024;

function holdingStage(fill: unknown, next: Stage, ctx: PipelineContext): Stage {
  const held: Rec[] = [];
  const names = new Map<string, true>();
  return {
    push(batch: Batch) {
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i]!;
        for (const k in r) if (!names.has(k)) names.set(detach(k), true);
        held.push(r);
      }
    },
    watermark: () => {
      // Records are held until end of input: no watermark can be passed on safely before.
    },
    end() {
      const all = [...names.keys()];
      let at = 0;
      const step = (): void => {
        while (at < held.length) {
          const n = Math.min(OUT_BATCH, held.length - at);
          const out: Batch = new Array(n);
          for (let j = 0; j < n; j++) {
            const r = held[at + j]!;
            held[at + j] = undefined as unknown as Rec;
            const o: Rec = {};
            for (const k of all) setField(o, k, hasOwn.call(r, k) ? r[k] : fill);
            carryWindowTags(r, o);
            out[j] = o;
          }
          at += n;
          next.push(out);
          if (ctx.outputBlocked()) {
            ctx.whenDrained(step);
            return;
          }
        }
        held.length = 0;
        next.end();
      };
      step();
    },
    // Checkpoint: the field names in order of first appearance, and the records held as record lines.
    snapshot(): unknown {
      const codec = new RecordCodec();
      const recs = held.map((r) => codec.encode(r));
      return verbState('unsparsify', { names: [...names.keys()], held: recs, headers: codec.headerState() });
    },
    restore(v: unknown): void {
      const o = openVerbState(v, 'unsparsify');
      const codec = new RecordCodec();
      codec.loadHeaders(o.headers);
      names.clear();
      for (const n of stateArray(o.names, 'unsparsify fields')) names.set(stateString(n, 'a field name'), true);
      held.length = 0;
      for (const x of stateArray(o.held, 'unsparsify records')) held.push(codec.decodeState(x));
    },
  };
}
