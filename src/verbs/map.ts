import type { Batch, Rec, Stage, VerbDef } from '../engine/types.js';
import { recordStage } from '../engine/stage.js';
import { UsageError } from '../engine/errors.js';
import { compileAssignments } from '../expr/index.js';
import { parseVerbArgs } from './args.js';

const usage = `Usage: sluice map 'FIELD = EXPR[; FIELD = EXPR...]'

Set fields from expressions, left to right; each assignment sees the fields
set before it. Other fields are kept, in their order; a new field goes last.
FIELD may be a nested path (a.b.c creates the objects on the way) or a
\`name in backticks\`. Words after 'map' are joined with spaces. The
expression language is described in 'sluice help filter'. A field whose
value does not change keeps its original text (1.50 stays 1.50).

Examples:
  $ sluice --csv map 'hours = round(delay / 60, 1); late = delay > 60' \\
      then head 2 < flights.csv
  time,delay,distance,origin,destination,hours,late
  2001-01-01T00:01:00Z,33,2176,LAS,PHL,0.6,false
  2001-01-01T00:01:00Z,19,215,ATL,SAV,0.3,false

  $ echo '{"origin":"LAS","delay":33}' | \\
      sluice map 'route.from = lower(origin); route.day = strftime(0, "%Y")'
  {"origin":"LAS","delay":33,"route":{"from":"las","day":"1970"}}

  $ echo '{"t":"2001-01-01T00:01:00Z"}' | sluice map 'ms = time(t)'
  {"t":"2001-01-01T00:01:00Z","ms":978307260000}
`;

/** `map 'f = EXPR; g.h = EXPR'`: assign fields from expressions. */
export const map: VerbDef = {
  name: 'map',
  summary: "set fields from expressions ('f = delay / 60; g.h = lower(origin)')",
  usage,
  arity: { min: 1, max: Infinity },
  parse(args) {
    const { pos } = parseVerbArgs('map', args, []);
    const text = pos.join(' ');
    if (text.trim() === '') throw new UsageError("map: needs assignments (e.g. map 'hours = delay / 60')");
    const { apply, fields, targets, recordNumbers, roots } = compileAssignments(text, 'map');
    return {
      name: 'map',
      explain: { assign: text, sets: targets },
      needs: fields,
      recordWise: true,
      // (A target is read too: assigning a field its own value leaves the record unchanged.)
      access: { reads: roots, emits: 'changed' },
      ...(recordNumbers ? { needsRecordNumbers: true } : {}),
      build: (next) => mapStage(apply, next),
    };
  },
};

/** The map stage: applies the assignments to each record in place and passes the same batch on. */
function mapStage(apply: (rec: Rec) => void, next: Stage): Stage {
  return recordStage(next, (batch: Batch) => {
    for (let i = 0; i < batch.length; i++) apply(batch[i]!);
    if (batch.length > 0) next.push(batch);
  });
}
