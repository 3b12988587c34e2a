import { rootsOf } from '../engine/projection.js';
import { compileKey } from '../window/keys.js';
import type { PipelineContext, Stage, VerbDef } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';
import { formatDuration, parseCalendarMonths, parseDuration } from '../time/duration.js';
import { zoneOf } from '../time/zone.js';
import { compileTimeParser } from '../time/parse.js';
import type { WindowVerbInstance } from '../window/instance.js';
import type { WindowKind, WindowSpec } from '../window/spec.js';
import { buildWindowStage } from '../window/stage.js';
import { closest, fieldPath, parseVerbArgs, splitFieldList } from './args.js';

const usage = `Usage: sluice window tumbling SIZE [OPTIONS]
       sluice window sliding SIZE --every SLIDE [OPTIONS]
       sluice window session GAP [--by KEYS] [OPTIONS]
       sluice window count N [--every M] [--by KEYS]

Group records into windows of event time (--time FIELD) or of processing
time (the wall clock when a record arrives), or of record counts.

Windows are half-open [start, end), aligned to the Unix epoch in UTC
(shifted by --offset). A tumbling window of SIZE holds the times start <= t
< start + SIZE. With --tz ZONE, tumbling windows align to wall-clock time
in ZONE: a 1d window is one local day (23 or 25 hours across a DST change).
Tumbling sizes may also be calendar months and years: 1mo, 3mo (quarters),
1y (in UTC, or in ZONE with --tz). Sliding windows of SIZE start every
SLIDE; a record belongs to every one that holds its time (SIZE/SLIDE of
them when SLIDE divides SIZE). A session window collects records (per --by
key) at most GAP apart and spans [first time, last time + GAP); a record
that bridges two sessions merges them. A count window holds N records (per
--by key); a new one starts every M records (default M = N). Count windows
are numbered by window_id in the order they open: 0, 1, 2, ... over all
keys, so with --by an id names one window of one key (a key's ids rise,
with gaps). A key whose windows have all closed is forgotten: memory holds
only keys with an open window.

Followed by agg (with only filter, map, select, drop, rename or join
between), each group is written once, when its window closes: window_start,
window_end, the agg keys, then the aggregates; windows in order of end,
then start. Count windows give window_id instead of the bounds, and share
panes of gcd(N, M) records, so N/M has no limit there. The --by keys of
session and count windows are not output: add them to agg's keys to see
them. The verbs between do not see window_start, window_end or window_id
(agg adds them): reading them there is an error, and so is an agg key or
aggregate of one of those names. agg's first, last and collect take records
in arrival order in every kind of window (in sliding windows they then keep
one state per window instead of sharing panes, so they cost SIZE/SLIDE
times more).

Alone, window writes each record as soon as it arrives, once per window it
belongs to, with window_start and window_end (ISO 8601 UTC, milliseconds)
added; count windows add window_id. Session windows cannot know their
bounds before they close, so alone they hold their records until then.

Watermark: the largest event time seen minus --lateness. A window closes
when the watermark reaches its end; a session window once it has passed
its end, so an event exactly GAP after the last one still joins it. A
record whose every window has closed is late: it is left out, written to
--late-output if given, and counted on stderr at exit (with a hint when
many are: sort by time first, or raise --lateness). A record without a
readable time is a malformed record (see --on-error). At end of input
(or on SIGINT/SIGTERM) every open window closes, partial count windows
included.

Options:
  --time FIELD        event time field (default: processing time, whose
                      windows close on the wall clock even with no input)
  --time-format F     auto (ISO 8601, a bare date, the access-log time
                      17/May/2015:10:05:03 +0000, epoch seconds below 1e11,
                      else epoch ms), epoch-s, epoch-ms, or a strftime
                      pattern: %Y %y %m %d %e %j %H %I %p %M %S %f (fraction)
                      %z (Z, +hh, +hhmm, +hh:mm) %Z %b %B %a %A %s %T %F %D
                      %%; times without a zone are UTC (default: auto)
  --every DUR|M       sliding: the slide, at most SIZE; count: M, at most
                      N; a record may be in at most 10000 windows
                      (SIZE/SLIDE; N/M only for count windows alone)
  --offset DUR        shift window bounds; a negative shift is written
                      --offset=-5h (default: 0)
  --lateness DUR      how far behind the largest time the watermark stays,
                      so records that much out of order still count
                      (default: 0)
  --late-output FILE  write late records to FILE as NDJSON
  --idle DUR          after DUR with no input, let event time advance with
                      the wall clock from the last record, so the last
                      windows of a quiet 'tail -f' close (a record that
                      comes later may then be late)
  --by KEYS           session and count windows: one series per key
  --tz ZONE           tumbling: align windows to local time in ZONE (an
                      IANA name such as America/New_York)

Examples:
  $ sluice --csv window tumbling 1h --time time then agg count by origin \\
      < flights.csv | head -3
  window_start,window_end,origin,count
  2001-01-01T00:00:00.000Z,2001-01-01T01:00:00.000Z,LAS,12
  2001-01-01T00:00:00.000Z,2001-01-01T01:00:00.000Z,ATL,14

  $ sluice -o csv window sliding 10m --every 5m --time ts \\
      then agg 'sum(bid)' < bids.ndjson
  window_start,window_end,sum_bid
  2001-01-01T08:00:00.000Z,2001-01-01T08:10:00.000Z,11
  2001-01-01T08:05:00.000Z,2001-01-01T08:15:00.000Z,15
  2001-01-01T08:10:00.000Z,2001-01-01T08:20:00.000Z,10
  2001-01-01T08:15:00.000Z,2001-01-01T08:25:00.000Z,6

  $ sluice --csv window session 15m --time time --by origin \\
      then filter 'origin == "BOS"' then agg 'count, max(delay)' by origin \\
      < flights.csv | head -3
  window_start,window_end,origin,count,max_delay
  2001-01-01T05:49:00.000Z,2001-01-01T12:27:00.000Z,BOS,109,107
  2001-01-01T12:30:00.000Z,2001-01-01T14:20:00.000Z,BOS,34,90

  $ sluice --csv window count 5000 then agg 'count, avg(delay)' < flights.csv
  window_id,count,avg_delay
  0,5000,7.4388
  1,5000,15.8274
  2,5000,26.0542
  3,5000,5.8514

  $ tail -f app.ndjson | sluice window tumbling 1m then agg count by level
  (one line per level as each minute of wall-clock time ends)
`;

const KINDS: WindowKind[] = ['tumbling', 'sliding', 'session', 'count'];

/**
 * The most windows one record may belong to (sliding: SIZE/SLIDE; count
 * windows alone: N/M). Beyond it a spec is a usage error: each record would
 * be copied (alone) or added (first/last/collect) that many times, and a
 * mistyped `--every 1ms` would run out of memory instead of failing. Count
 * windows before agg have no such limit: a record is added once, to its pane.
 */
export const MAX_WINDOWS_PER_RECORD = 10_000;

/** A signed duration: `-5h` is allowed for --offset. */
function signedDuration(text: string, what: string): number {
  const t = text.trim();
  return t.startsWith('-') ? -parseDuration(t.slice(1), what) : parseDuration(t.startsWith('+') ? t.slice(1) : t, what);
}

function positiveWholeMs(text: string, what: string): number {
  const ms = parseDuration(text, what);
  if (!(ms >= 1) || !Number.isInteger(ms)) throw new UsageError(`${what}: '${text}' must be a whole number of milliseconds, at least 1ms`);
  return ms;
}

function positiveInt(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${what}: '${text}' must be a whole number of records, at least 1`);
  }
  return Number(text);
}

/** `window KIND SIZE [options]`: tumbling, sliding, session and count windows. */
export const window: VerbDef = {
  name: 'window',
  summary: 'tumbling, sliding, session or count windows on event or processing time',
  usage,
  arity: { min: 2, max: 2 },
  parse(args) {
    const { pos, opts } = parseVerbArgs('window', args, [
      { name: 'time', type: 'string' },
      { name: 'time-format', type: 'string' },
      { name: 'every', type: 'string' },
      { name: 'offset', type: 'string' },
      { name: 'lateness', type: 'string' },
      { name: 'late-output', type: 'string' },
      { name: 'idle', type: 'string' },
      { name: 'by', type: 'string' },
      { name: 'tz', type: 'string' },
    ]);
    const kindWord = pos[0];
    if (kindWord === undefined) {
      throw new UsageError('window: name a kind: tumbling SIZE, sliding SIZE --every SLIDE, session GAP or count N');
    }
    if (!(KINDS as string[]).includes(kindWord)) {
      const best = closest(kindWord, KINDS);
      throw new UsageError(`window: unknown kind '${kindWord}'${best ? ` (did you mean ${best}?)` : ''}; use tumbling, sliding, session or count`);
    }
    const kind = kindWord as WindowKind;
    const sizeWord = pos[1];
    const sizeName = kind === 'session' ? 'GAP' : kind === 'count' ? 'N' : 'SIZE';
    if (sizeWord === undefined) throw new UsageError(`window: ${kind} needs ${sizeName} (e.g. window ${kind} ${kind === 'count' ? '100' : '5m'})`);
    if (pos.length > 2) throw new UsageError(`window: unexpected '${pos[2]}' after ${kind} ${sizeWord}`);

    const str = (k: string): string | undefined => (opts[k] === undefined ? undefined : String(opts[k]));
    const time = str('time');
    const timeFormat = str('time-format') ?? 'auto';
    const every = str('every');
    const offsetText = str('offset');
    const latenessText = str('lateness');
    const lateOutput = str('late-output') ?? null;
    const idleText = str('idle');
    const byText = str('by');

    const refuse = (cond: boolean, msg: string) => {
      if (cond) throw new UsageError(`window: ${msg}`);
    };
    let size: number;
    let slide: number;
    let months = 0;
    const tz = str('tz') ?? null;
    if (tz !== null) {
      refuse(kind !== 'tumbling', '--tz is for tumbling windows (window tumbling 1d --tz America/New_York)');
      zoneOf(tz, 'window: --tz');
    }
    if (kind === 'count') {
      size = positiveInt(sizeWord, 'window: count N');
      slide = every !== undefined ? positiveInt(every, 'window: --every M') : size;
      refuse(slide > size, `--every ${slide} is more than N = ${size}: records between windows would belong to none`);
      // (N/M windows per record is checked when the stage is built: before agg, count windows share panes.)
      refuse(time !== undefined, 'count windows do not use time: drop --time');
      refuse(opts['time-format'] !== undefined || offsetText !== undefined || latenessText !== undefined || idleText !== undefined || lateOutput !== null,
        'count windows take only --every and --by (no time options)');
    } else {
      months = parseCalendarMonths(sizeWord) ?? 0;
      refuse(months > 0 && kind !== 'tumbling', `calendar sizes (${sizeWord}) are for tumbling windows`);
      // A calendar size has no fixed length: the longest month stands for it where a length is needed (timers).
      size = months > 0 ? months * 31 * 86_400_000 : positiveWholeMs(sizeWord, `window: ${kind} ${sizeName}`);
      if (kind === 'sliding') {
        refuse(every === undefined, `sliding needs --every SLIDE (e.g. window sliding ${sizeWord} --every 1m)`);
        slide = positiveWholeMs(every!, 'window: --every');
        refuse(slide > size, `--every ${every} is longer than the window (${sizeWord}): times between windows would belong to none`);
        refuse(Math.ceil(size / slide) > MAX_WINDOWS_PER_RECORD,
          `sliding ${sizeWord} --every ${every} puts each record in ${Math.ceil(size / slide)} windows; at most ${MAX_WINDOWS_PER_RECORD} are allowed (use a larger --every)`);
      } else {
        refuse(every !== undefined, kind === 'tumbling' ? 'tumbling windows take no --every (use window sliding SIZE --every SLIDE)' : 'session windows take no --every');
        slide = size;
      }
      refuse(kind === 'session' && offsetText !== undefined, 'session windows take no --offset (they start at their first record)');
      refuse(kind !== 'session' && byText !== undefined, `${kind} windows take no --by: group with agg ... by KEYS`);
      if (time === undefined) {
        refuse(opts['time-format'] !== undefined, '--time-format needs --time FIELD');
        refuse(latenessText !== undefined, '--lateness needs --time FIELD (on processing time no record is late)');
        refuse(lateOutput !== null, '--late-output needs --time FIELD (on processing time no record is late)');
        refuse(idleText !== undefined, '--idle needs --time FIELD (processing-time windows close on the wall clock anyway)');
      }
    }
    if (time !== undefined && time.trim() === '') throw new UsageError('window: --time needs a field name');
    if (time !== undefined) {
      try {
        compileTimeParser(timeFormat);
      } catch (e) {
        if (e instanceof UsageError) throw new UsageError(`window: --time-format: ${e.message}`);
        throw e;
      }
    }
    const offset = offsetText !== undefined ? signedDuration(offsetText, 'window: --offset') : 0;
    refuse(!Number.isInteger(offset), '--offset must be a whole number of milliseconds');
    refuse(months > 0 && offset !== 0, 'calendar sizes take no --offset (they start on the first of a month)');
    const lateness = latenessText !== undefined ? parseDuration(latenessText, 'window: --lateness') : 0;
    const idle = idleText !== undefined ? positiveWholeMs(idleText, 'window: --idle') : null;
    const byNames = byText !== undefined ? splitFieldList(byText) : [];
    refuse(byText !== undefined && byNames.length === 0, '--by needs at least one field');

    const spec: WindowSpec = {
      kind,
      size,
      slide,
      offset,
      lateness,
      timePath: time !== undefined ? fieldPath(time) : null,
      timeName: time ?? null,
      timeFormat,
      lateOutput,
      idle,
      by: byNames.map(fieldPath),
      byNames,
      tz,
      months,
    };

    const explain: Record<string, unknown> = { kind };
    if (kind === 'count') {
      explain.n = size;
      explain.every = slide;
    } else {
      explain[kind === 'session' ? 'gap' : 'size'] = months > 0 ? sizeWord.trim() : formatDuration(size);
      if (tz !== null) explain.tz = tz;
      if (kind === 'sliding') explain.every = formatDuration(slide);
      explain.time = time ?? '(processing time)';
      if (time !== undefined) explain.timeFormat = timeFormat;
      if (offset !== 0) explain.offset = (offset < 0 ? '-' : '') + formatDuration(Math.abs(offset));
      if (time !== undefined) explain.lateness = formatDuration(lateness);
      if (lateOutput !== null) explain.lateOutput = lateOutput;
      if (idle !== null) explain.idle = formatDuration(idle);
    }
    if (byNames.length > 0) explain.by = byNames;

    const instance: WindowVerbInstance = {
      name: 'window',
      windowSpec: spec,
      consumer: null,
      explain,
      needs: [...(time !== undefined ? [time] : []), ...byNames],
      recordWise: false,
      // --late-output writes late records whole.
      ...(lateOutput === null ? { access: { reads: [...(time !== undefined ? [time] : []), ...byNames].flatMap(rootsOf), emits: 'changed' as const, writesRecords: true } } : {}),
      needsLineNumbers: time !== undefined,
      files: { outputs: lateOutput !== null ? [lateOutput] : [] },
      // Count windows per key: -j runs them by key partitions, every thread numbering every key's windows (count.ts).
      ...(kind === 'count' && byNames.length > 0 ? { byKey: { keyOf: compileKey(spec.by), seesAll: true, reads: byNames.flatMap(rootsOf) } } : {}),
      build(next: Stage, ctx: PipelineContext): Stage {
        // Alone, a record is copied once per window; before agg it is added once, to its pane.
        if (kind === 'count' && instance.consumer === null && Math.ceil(size / slide) > MAX_WINDOWS_PER_RECORD) {
          throw new UsageError(
            `window: count ${size} --every ${slide} alone writes each record ${Math.ceil(size / slide)} times; at most ${MAX_WINDOWS_PER_RECORD} are allowed (use a larger --every, or aggregate with 'then agg ...', which has no such limit)`,
          );
        }
        return buildWindowStage(spec, instance.consumer, next, ctx);
      },
    };
    return instance;
  },
};
