import type { Batch, PipelineContext, Rec, Stage, VerbDef } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';
import { JSON_TEXT, NumText, lineOf, markChanged, pathGetter, stringifyRecord, textOf } from '../engine/values.js';
import { compileRegex, type LinearRegex } from '../expr/regex.js';
import { BUILTIN_PATTERNS, builtinMatcher, builtinSource, groupNames, regexMatcher, type BuiltinPattern, type JsonMatcher, type Matcher, type TextMatcher } from '../parse/patterns.js';
import { fieldPath, parseVerbArgs } from './args.js';
import { fieldsAfter } from '../engine/projection.js';

const usage = `Usage: sluice parse [FIELD] REGEX
       sluice parse [FIELD] --pattern NAME

Match FIELD (default: line, as -i lines makes it) against a regex
with named groups or a built-in log layout, and put what it
captured into the record as fields; FIELD itself is dropped
unless --keep. A number in FIELD is matched by its text as read.
Captures are typed as CSV cells are: 200 is a number, '-' and other
text stays text, an empty capture is null.

A line that does not match is never dropped silently: it is
counted in a summary on stderr at exit, kept with --unmatched
FILE, or passed on unchanged with --keep-unmatched.

Built-in patterns (--pattern NAME):
  combined    NCSA combined access log (Apache, nginx): host
              ident user time method path protocol status bytes
              referer agent. time is the text in [...], e.g.
              17/May/2015:10:05:03 +0000, which window --time
              reads as it is. A request not of the form
              'METHOD PATH [PROTOCOL]' is kept whole in path.
              Quoted fields are kept as written (\\" stays).
  common      the same without referer and agent
  syslog      RFC 3164 as rsyslog writes files ('Jun 14
              15:16:01 web1 sshd[42]: text', or with an RFC 3339
              time): time host program pid message; pid is null
              without [pid]. That time has no year and no zone:
              it is written as ISO 8601 without zone (window
              reads it as UTC), in the current year, or the year
              before when that would put it more than 7 days in
              the future (December logs read in January).
  syslog5424  RFC 5424: pri facility severity version time host
              app procid msgid sd message (nil values stay '-',
              structured data as its text)

A REGEX is JavaScript syntax, run in linear time as filter's ~
is (see REGEXES); each named group (?<name>...) becomes a field,
in order. It may match anywhere in the text (anchor it with
^...$); a leading (?i) ignores case.

Options:
  --pattern NAME    combined, common, syslog or syslog5424
  --unmatched FILE  write each line that did not match to FILE
                    as NDJSON: {"source","line","text"} (and
                    "record" when it had other fields)
  --keep-unmatched  pass records that did not match on unchanged
  --keep            keep FIELD in the record
  --year Y          syslog: the year of times that have none

Examples:
  $ sluice -i lines parse --pattern combined \\
      then select host,status,bytes then head 2 < apache_logs
  {"host":"83.149.9.216","status":200,"bytes":203023}
  {"host":"83.149.9.216","status":200,"bytes":171717}

  $ sluice -i lines -o table parse --pattern combined \\
      then agg count by status < apache_logs
  status  count
     200   9125
     404    213
     304    445
     301    164
     206     45
     500      3
     403      2
     416      2
  sluice: parse: 1 line did not match (use --unmatched FILE to
  keep it)

  $ sluice -i lines -o csv parse --pattern combined \\
      then window tumbling 1h --time time --lateness 1m \\
      then agg 'count, sum(bytes)' \\
      then select window_start,count,sum_bytes \\
      then head 2 < apache_logs
  window_start,count,sum_bytes
  2015-05-17T10:00:00.000Z,74,5185322
  2015-05-17T11:00:00.000Z,111,1895574

  $ echo 'Jun 14 15:16:01 web1 sshd[42]: Accepted key' |
      sluice -i lines parse --pattern syslog --year 2025
  {"time":"2025-06-14T15:16:01","host":"web1","program":"sshd",
  "pid":42,"message":"Accepted key"}

  $ echo 'took 35 ms for /api/items' | sluice -i lines \\
      parse '^took (?<ms>\\d+) ms for (?<route>\\S+)$'
  {"ms":35,"route":"/api/items"}
`;

/** `parse [FIELD] REGEX | --pattern NAME`. */
export const parse: VerbDef = {
  name: 'parse',
  summary: 'fields from text: a regex with named groups, or a log layout (combined, common, syslog, syslog5424)',
  usage,
  arity: { min: 0, max: 2 },
  parse(args) {
    const { pos, opts } = parseVerbArgs('parse', args, [
      { name: 'pattern', type: 'string', choices: [...BUILTIN_PATTERNS] },
      { name: 'unmatched', type: 'string' },
      { name: 'keep-unmatched', type: 'boolean' },
      { name: 'keep', type: 'boolean' },
      { name: 'year', type: 'number' },
    ]);
    const builtin = opts.pattern as BuiltinPattern | undefined;
    let field = 'line';
    let regexText: string | undefined;
    if (builtin !== undefined) {
      if (pos.length > 1) throw new UsageError(`parse: with --pattern, give at most a FIELD (got '${pos.join(' ')}')`);
      if (pos.length === 1) field = pos[0]!;
    } else {
      if (pos.length === 0) throw new UsageError("parse: needs a REGEX with named groups or --pattern NAME (e.g. parse --pattern combined)");
      if (pos.length > 2) throw new UsageError(`parse: expected [FIELD] REGEX, got ${pos.length} words (quote the regex)`);
      if (pos.length === 2) field = pos[0]!;
      regexText = pos[pos.length - 1]!;
    }
    const year = opts.year as number | undefined;
    if (year !== undefined && (!Number.isInteger(year) || year < 1 || year > 9999)) throw new UsageError(`parse: --year must be a year like 2025 (got ${year})`);
    let names: string[] = [];
    let re: LinearRegex | undefined;
    if (regexText !== undefined) {
      try {
        re = compileRegex(regexText);
      } catch (e) {
        throw new UsageError(`parse: invalid regex: ${(e as Error).message}`);
      }
      names = groupNames(regexText.startsWith('(?i)') ? regexText.slice(4) : regexText);
      if (names.length === 0) throw new UsageError("parse: the regex has no named group: name what to capture, e.g. '(?<status>\\d{3})'");
      if (new Set(names).size !== names.length) throw new UsageError('parse: a group name is used twice');
    }
    const keepUnmatched = Boolean(opts['keep-unmatched']);
    const unmatchedFile = opts.unmatched as string | undefined;
    const keep = Boolean(opts.keep);
    return {
      name: 'parse',
      explain: {
        field,
        ...(builtin ? { pattern: builtin, regex: builtinSource(builtin) } : { regex: regexText, fields: names }),
        ...(unmatchedFile ? { unmatched: unmatchedFile } : {}),
        ...(keepUnmatched ? { keepUnmatched } : {}),
        ...(keep ? { keep } : {}),
        ...(year !== undefined ? { year } : {}),
      },
      needs: [field],
      recordWise: true,
      needsLineNumbers: true,
      files: { outputs: unmatchedFile !== undefined ? [unmatchedFile] : [] },
      build: (next, ctx, plan) => {
        const bm = builtin ? builtinMatcher(builtin, { year, now: ctx.now() }) : undefined;
        const match: Matcher = bm ? bm.match : regexMatcher(re!, names);
        const textOnly = plan.index === plan.verbs.length - 1 ? bm?.textOnly : undefined;
        // The verbs after parse never see whole records (then agg ... by path): set only what they may read.
        const after = bm?.partial !== undefined && !keep ? fieldsAfter(plan.verbs, plan.index + 1) : null;
        if (after !== null && after.prefixes.size === 0 && !after.names.has(field)) {
          return parseStage(next, ctx, { field, match: bm!.partial!(after.names), keep, keepUnmatched, unmatchedFile });
        }
        return parseStage(next, ctx, { field, match, matchJson: bm?.matchJson, textOnly, keep, keepUnmatched, unmatchedFile });
      },
    };
  },
};

interface ParseOptions {
  field: string;
  match: Matcher;
  /** The pattern's JsonMatcher, if it has one: used for records that hold no other field, so the writer need not serialise them. */
  matchJson?: JsonMatcher;
  /**
   * The pattern's TextMatcher, when parse is the last verb: used, for records
   * that hold no other field, when the output writes only their JSON_TEXT
   * (PipelineContext.sinkWritesJsonTextOnly), so that no fields are set.
   */
  textOnly?: TextMatcher;
  keep: boolean;
  keepUnmatched: boolean;
  unmatchedFile?: string;
}

/** True when `rec` has no field (symbols such as its line number aside). */
function isEmpty(rec: Rec): boolean {
  for (const _ in rec) return false;
  return true;
}

/**
 * The parse stage: matches each record's field in place (the captured
 * fields are set on the record, the field removed unless `keep`); records
 * that do not match are counted, written to the --unmatched file, and
 * dropped or (with keepUnmatched) passed on. The batch is compacted in place.
 */
function parseStage(next: Stage, ctx: PipelineContext, o: ParseOptions): Stage {
  const path = fieldPath(o.field);
  const get = pathGetter(path);
  const top = path.length === 1 ? path[0]! : undefined;
  const drop = !o.keep && top !== undefined;
  const matchJson = drop ? o.matchJson : undefined;
  /** Decided at the first batch (the output format is known once input has begun); null: not yet. */
  let textOnly: TextMatcher | undefined | null = drop && o.textOnly !== undefined ? null : undefined;
  const out = o.unmatchedFile !== undefined ? ctx.openOutput(o.unmatchedFile) : undefined;
  let unmatched = 0;
  ctx.summary(() => {
    if (unmatched === 0) return undefined;
    const what = unmatched === 1 ? '1 line did not match' : `${unmatched} lines did not match`;
    const them = unmatched === 1 ? 'it' : 'them';
    if (o.unmatchedFile !== undefined) return `parse: ${what} (kept in ${o.unmatchedFile}${o.keepUnmatched ? ', and passed on' : ''})`;
    if (o.keepUnmatched) return `parse: ${what} (passed on unchanged)`;
    return `parse: ${what} (use --unmatched FILE to keep ${them})`;
  });

  const miss = (rec: Rec, value: unknown): void => {
    unmatched++;
    if (out === undefined) return;
    const { source, line } = ctx.locate(rec);
    const kept: Rec = { source: source === '-' ? 'stdin' : source, line: line || lineOf(rec), text: value === undefined ? null : typeof value === 'string' ? value : textOf(value) };
    let other = false;
    for (const k in rec) {
      if (k !== top) {
        other = true;
        break;
      }
    }
    if (other) kept.record = rec;
    out.write(stringifyRecord(kept) + '\n');
  };

  return {
    push(batch: Batch) {
      if (textOnly === null) textOnly = ctx.sinkWritesJsonTextOnly?.() === true ? o.textOnly : undefined;
      const n = batch.length;
      let w = 0;
      for (let i = 0; i < n; i++) {
        const rec = batch[i]!;
        const got = get(rec);
        // A number is matched by its text as read (200, 1.50), as the expressions' ~ does.
        const v = typeof got === 'number' || got instanceof NumText ? textOf(got)! : got;
        if (typeof v !== 'string') {
          miss(rec, v);
          if (o.keepUnmatched) batch[w++] = rec;
          continue;
        }
        // The field goes first (a capture of the same name then takes its
        // place): for '-i lines' records it is the last property added, whose
        // deletion V8 undoes cheaply, keeping the record a fast object.
        if (drop) delete rec[top!];
        if (textOnly !== undefined && isEmpty(rec)) {
          // Only the record's text is written: no fields (the Matcher fills
          // them for a line whose text is not made here).
          const json = textOnly(v);
          if (json !== null && (json !== undefined || o.match(v, rec))) {
            markChanged(rec);
            if (json !== undefined) (rec as { [JSON_TEXT]?: string })[JSON_TEXT] = json;
            batch[w++] = rec;
            continue;
          }
          rec[top!] = got;
          miss(rec, v);
          if (o.keepUnmatched) batch[w++] = rec;
        } else if (matchJson !== undefined && isEmpty(rec)) {
          const json = matchJson(v, rec);
          if (json !== null) {
            markChanged(rec);
            if (json !== undefined) (rec as { [JSON_TEXT]?: string })[JSON_TEXT] = json;
            batch[w++] = rec;
            continue;
          }
          if (drop) rec[top!] = got;
          miss(rec, v);
          if (o.keepUnmatched) batch[w++] = rec;
        } else if (o.match(v, rec)) {
          markChanged(rec);
          batch[w++] = rec;
        } else {
          if (drop) rec[top!] = got;
          miss(rec, v);
          if (o.keepUnmatched) batch[w++] = rec;
        }
      }
      if (w === 0) return;
      batch.length = w;
      next.push(batch);
    },
    watermark: (ms) => next.watermark(ms),
    end: () => next.end(),
  };
}
