import type { Batch, Stage, VerbDef } from '../engine/types.js';
import { recordStage } from '../engine/stage.js';
import { UsageError } from '../engine/errors.js';
import { compileExpr } from '../expr/index.js';
import { parseVerbArgs } from './args.js';

const usage = `Usage: sluice filter EXPR [FILE...]

Keep the records for which EXPR is truthy (not null, false, 0 or "").
Words after 'filter' are joined with spaces into one expression; an
expression that starts with '-' is still an expression.

Expressions (also used by map):
  fields     delay, user.id (nested), \`Cost Total $\` (any name, backticks);
             $delay and \${Cost Total} (Miller's forms) are the same
             fields; a missing field is null
  literals   12, 3.5, 1e3, "text", 'text', true, false, null
  operators  loosest first:
               a ? b : c      a ?? b (b when a is null)
               || or          && and          ! not
               == != < <= > >= ~ !~  (~: regex match, as in awk)
               in (a, b, ...)   not in (a, b, ...)
               + -            * / %           unary -
  compare    numerically when both sides are numbers, else as text (a
             number's text is as it was read: 1.50 stays "1.50"); text
             order is by UTF-16 code unit. Any comparison with null is false,
             except x == null and x != null.
  arithmetic needs numbers ("12" is text: use number()); with null or text
             it gives null; / is real division; % has the sign of the left
             side; a result that is not finite (x / 0) is null. + of two
             strings concatenates.
  logic      && || ! give true or false.
  regex      JavaScript syntax in Unicode mode (. matches one
             character, even an emoji; \\p{L}, \\u{1F600}), run by a
             linear-time engine (RE2): no pattern or input can make a
             match slow. So backreferences (\\1) and lookaround ((?=
             (?! (?<= (?<!) are refused; \\s is ASCII white space; .
             excludes only newline. A number or boolean matches by its
             text; a leading (?i) ignores case. A pattern is compiled
             once (from a field: the last 64 distinct ones are kept).
             Backslashes in strings are kept unless they form an
             escape (\\n \\t \\" \\' \\\\ \\uXXXX).
Functions (a null argument gives null unless stated):
  lower(s) upper(s) trim(s) len(s)   len counts characters (code points);
                                     of an array: elements
  substr(s, start[, n])              0-based; negative start counts from
                                     the end
  contains(s, t) startswith(s, t) endswith(s, t)
  replace(s, re, with)               every match; $1 inserts a group
  abs floor ceil sqrt log exp (x)    log is natural
  round(x[, digits])                 half away from zero: round(-2.5) = -3
  pow(x, y)  min(a, ...)  max(a, ...)   min/max skip nulls
  coalesce(a, ...)                   first non-null
  exists(field)                      true when the field is present, even
                                     when null
  number(v)                          "12", " 3.5 " -> number; "abc" -> null;
                                     true -> 1
  string(v)                          the text of v
  time(v[, format[, zone]])          epoch ms; format as --time-format
                                     (default auto); unparseable -> null;
                                     a time without its own zone is
                                     wall-clock time in zone (IANA name,
                                     e.g. "America/New_York"; default UTC)
  strftime(t, format[, zone])        t as time(t) reads it (ISO text,
                                     epoch s below 1e11, else epoch ms;
                                     t = time(...) or now(): always ms);
                                     text in zone (default UTC), e.g.
                                     strftime(time, "%F %H:%M %Z",
                                     "Europe/Paris")
  now()                              wall-clock time, epoch ms
  nr()                               the record's number in the input
                                     (1, 2, ... across all inputs; awk's NR)
  split(s, sep)                      array of the pieces of s between
                                     each sep (plain text, not a regex)
  join(a, sep)                       array a as text, sep between
                                     (nulls skipped)
  fmtnum(x, fmt)                     x by a printf format: "%.2f", "%05d",
                                     "%x", "%,d" (thousands), "%.3e"

Examples:
  $ sluice --csv filter 'delay > 300' then head 2 < flights.csv
  time,delay,distance,origin,destination
  2001-01-01T02:25:00Z,573,630,PDX,SLC
  2001-01-01T10:50:00Z,309,1417,JFK,IAH

  $ sluice filter 'origin in ("SFO", "LAX") && destination ~ "^S"' \\
      then select origin,destination,delay then head 2 < flights.ndjson
  {"origin":"SFO","destination":"STL","delay":-13}
  {"origin":"LAX","destination":"STL","delay":-2}

  $ echo '{"a":-3}' | sluice filter '-a > 2'
  {"a":-3}

  $ sluice filter '$delay > 1000' flights.csv -o ndjson
  {"time":"2001-01-01T11:37:00Z","delay":1191,"distance":2556,...}
`;

/** `filter EXPR`: keep records whose expression is truthy. */
export const filter: VerbDef = {
  name: 'filter',
  summary: 'keep the records for which an expression is true',
  usage,
  arity: { min: 1, max: Infinity },
  parse(args) {
    const { pos } = parseVerbArgs('filter', args, []);
    const text = pos.join(' ');
    if (text.trim() === '') throw new UsageError("filter: needs an expression (e.g. filter 'delay > 60')");
    const { test, fields, recordNumbers, roots } = compileExpr(text, 'filter');
    return {
      name: 'filter',
      explain: { expr: text },
      needs: fields,
      recordWise: true,
      access: { reads: roots, emits: 'same' },
      ...(recordNumbers ? { needsRecordNumbers: true } : {}),
      build: (next) => filterStage(test, next),
    };
  },
};

/**
 * The filter stage: keeps the records passing `test`, compacting them into the
 * same batch array (no allocation per batch or record), and passes the batch
 * on when any is left.
 */
function filterStage(test: (rec: Record<string, unknown>) => boolean, next: Stage): Stage {
  return recordStage(next, (batch: Batch) => {
    const n = batch.length;
    let w = 0;
    for (let i = 0; i < n; i++) {
      const r = batch[i]!;
      if (test(r)) batch[w++] = r;
    }
    if (w === 0) return;
    batch.length = w;
    next.push(batch);
  });
}
