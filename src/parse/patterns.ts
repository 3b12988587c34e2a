/**
 * Line patterns for the `parse` verb: the built-in log layouts, and user
 * regexes with named groups.
 *
 * A matcher takes one line and the record to fill: it sets the captured
 * fields (see `typeCapture`) and returns true, or returns false and leaves
 * the record untouched.
 *
 * The built-in regexes are ours, not user input: each is anchored at both
 * ends and written so that no line can make it backtrack more than linearly
 * (every repeated group is followed by a character it cannot match: `\S+`
 * then a space, `[^"\\]*(?:\\.[^"\\]*)*` then `"`), and they run on V8's
 * fast RegExp engine with numbered groups (no `groups` object per match).
 */
import type { Rec } from '../engine/types.js';
import { JSON_NUMBER_RE, setField, typeCell } from '../engine/values.js';
import { daysFromCivil, isoString } from '../time/parse.js';

/** Fills `rec` from `line` and returns true, or returns false (no match, `rec` unchanged). */
export type Matcher = (line: string, rec: Rec) => boolean;

/**
 * A capture as a field value, typed as a CSV cell is (SPEC §2): a valid JSON
 * number is a number (keeping its text), an empty capture null, anything
 * else (`-` too) text; a group that took no part in the match is null.
 */
export function typeCapture(s: string | undefined): unknown {
  return s === undefined ? null : typeCell(s);
}

/** A double-quoted field with backslash escapes, kept as written (without its quotes). */
const QUOTED = '"([^"\\\\]*(?:\\\\.[^"\\\\]*)*)"';

/** NCSA common log format: host ident authuser [time] "request" status bytes. */
const COMMON_HEAD = `^(\\S+) (\\S+) (\\S+) \\[([^\\]]+)\\] ${QUOTED} (\\d{3}|-) (\\d+|-)`;
const COMMON_RE = new RegExp(COMMON_HEAD + '$');
/** ... and the combined format adds "referer" "user-agent" (Apache, nginx). */
const COMBINED_RE = new RegExp(`${COMMON_HEAD} ${QUOTED} ${QUOTED}$`);

/**
 * The same layouts restricted to lines in which no character needs escaping
 * in JSON (no `"` but the delimiters, no backslash, no control character, no
 * surrogate). Where one matches, the full regex gives the same captures (the
 * fields are split by the same spaces, brackets and quotes, and a quoted field
 * without a backslash ends at its first quote), and the record's JSON can be
 * written straight from them.
 */
const NO_ESC = '"\\\\\\u0000-\\u001f\\ud800-\\udfff';
const CLEAN_QUOTED = `"([^${NO_ESC}]*)"`;
const CLEAN_HEAD = `^([^\\s${NO_ESC}]+) ([^\\s${NO_ESC}]+) ([^\\s${NO_ESC}]+) \\[([^\\]${NO_ESC}]+)\\] ${CLEAN_QUOTED} (\\d{3}|-) (\\d+|-)`;
const CLEAN_COMMON_RE = new RegExp(CLEAN_HEAD + '$');
const CLEAN_COMBINED_RE = new RegExp(`${CLEAN_HEAD} ${CLEAN_QUOTED} ${CLEAN_QUOTED}$`);

/** Field names of `common`, in order. */
export const COMMON_FIELDS = ['host', 'ident', 'user', 'time', 'method', 'path', 'protocol', 'status', 'bytes'];
/** Field names of `combined`, in order. */
export const COMBINED_FIELDS = [...COMMON_FIELDS, 'referer', 'agent'];

/**
 * The request line `GET /a HTTP/1.1` into method, path and protocol (null
 * when absent: `GET /a`). A request of another shape (`-`, binary noise) is
 * kept whole as `path`, with method and protocol null.
 */
function setRequest(rec: Rec, req: string): void {
  const a = req.indexOf(' ');
  const b = req.lastIndexOf(' ');
  if (a > 0 && b < req.length - 1) {
    if (a === b) {
      rec.method = req.slice(0, a);
      rec.path = req.slice(a + 1);
      rec.protocol = null;
      return;
    }
    if (req.indexOf(' ', a + 1) === b && a + 1 < b) {
      rec.method = req.slice(0, a);
      rec.path = req.slice(a + 1, b);
      rec.protocol = req.slice(b + 1);
      return;
    }
  }
  rec.method = null;
  rec.path = req;
  rec.protocol = null;
}

/**
 * Matches a line and also returns the record's NDJSON text (JSON_TEXT):
 * null when the line does not match (the record is untouched), undefined
 * when it matched but the text is not made here (the record is then
 * serialised as usual). Only for a record that held no field before.
 */
export type JsonMatcher = (line: string, rec: Rec) => string | null | undefined;

/** A captured cell as JSON text, given its typed value `v` (typeCapture): a number (or NumText) is written as read, text in quotes (known to need no escapes). */
function cellJson(v: unknown, s: string): string {
  return typeof v === 'string' ? (s === '-' ? '"-"' : '"' + s + '"') : v === null ? 'null' : s;
}

function accessLog(re: RegExp, clean: RegExp, combined: boolean): { match: Matcher; matchJson: JsonMatcher; textOnly: TextMatcher; partial: PartialMatcher } {
  const fill = (m: RegExpExecArray, rec: Rec): void => {
    rec.host = typeCapture(m[1]);
    rec.ident = typeCapture(m[2]);
    rec.user = typeCapture(m[3]);
    rec.time = m[4];
    setRequest(rec, m[5]!);
    rec.status = typeCapture(m[6]);
    rec.bytes = typeCapture(m[7]);
    if (combined) {
      rec.referer = m[8];
      rec.agent = m[9];
    }
  };
  const match: Matcher = (line, rec) => {
    const m = re.exec(line);
    if (m === null) return false;
    fill(m, rec);
    return true;
  };
  // The record's JSON straight from the captures of `clean` (no character
  // needs escaping); other lines as `match`, serialised as usual. Field order as `fill`.
  const matchJson: JsonMatcher = (line, rec) => {
    const m = clean.exec(line);
    if (m === null) return match(line, rec) ? undefined : null;
    fill(m, rec);
    const h = m[1]!;
    const i = m[2]!;
    const u = m[3]!;
    const t = m[4]!;
    const r = rec as { host: unknown; ident: unknown; user: unknown; method: string | null; path: string; protocol: string | null; status: unknown; bytes: unknown };
    // (As few pieces as can be: the string is flattened when written, at a cost per piece.)
    // The usual ident and user (`- -`), method and protocol are constant pieces.
    let json =
      typeof r.host !== 'string'
        ? '{"host":' + cellJson(r.host, h) + ',"ident":' + cellJson(r.ident, i) + ',"user":' + cellJson(r.user, u) + ',"time":"' + t
        : i === '-' && u === '-'
          ? '{"host":"' + h + '","ident":"-","user":"-","time":"' + t
          : '{"host":"' + h + '","ident":' + cellJson(r.ident, i) + ',"user":' + cellJson(r.user, u) + ',"time":"' + t;
    const method = r.method;
    json +=
      method === 'GET' ? '","method":"GET","path":"' : method === null ? '","method":null,"path":"' : '","method":"' + method + '","path":"';
    const protocol = r.protocol;
    json +=
      r.path +
      (protocol === 'HTTP/1.1'
        ? '","protocol":"HTTP/1.1","status":'
        : protocol === null
          ? '","protocol":null,"status":'
          : '","protocol":"' + protocol + '","status":');
    json += cellJson(r.status, m[6]!) + ',"bytes":' + cellJson(r.bytes, m[7]!);
    if (combined) json += ',"referer":"' + m[8]! + '","agent":"' + m[9]! + '"';
    return json + '}';
  };
  // The record's JSON alone, from the captures of `clean`, with the same
  // typing as `fill` and the same text as `matchJson` (no record is filled).
  const textOnly: TextMatcher = (line) => {
    const m = clean.exec(line);
    if (m === null) return re.test(line) ? undefined : null;
    const h = m[1]!;
    const i = m[2]!;
    const u = m[3]!;
    let json =
      i === '-' && u === '-'
        ? '{"host":' + cellText(h) + ',"ident":"-","user":"-","time":"'
        : '{"host":' + cellText(h) + ',"ident":' + cellText(i) + ',"user":' + cellText(u) + ',"time":"';
    json += m[4]!;
    const req = m[5]!;
    const a = req.indexOf(' ');
    const b = req.lastIndexOf(' ');
    let request: string | undefined;
    if (a > 0 && b < req.length - 1) {
      const method = req.slice(0, a);
      const head = method === 'GET' ? '","method":"GET","path":"' : '","method":"' + method + '","path":"';
      if (a === b) request = head + req.slice(a + 1) + '","protocol":null,"status":';
      else if (a + 1 < b && req.indexOf(' ', a + 1) === b) {
        const protocol = req.slice(b + 1);
        request =
          head +
          req.slice(a + 1, b) +
          (protocol === 'HTTP/1.1' ? '","protocol":"HTTP/1.1","status":' : '","protocol":"' + protocol + '","status":');
      }
    }
    json += request ?? '","method":null,"path":"' + req + '","protocol":null,"status":';
    json += digitsText(m[6]!) + ',"bytes":' + digitsText(m[7]!);
    if (combined) json += ',"referer":"' + m[8]! + '","agent":"' + m[9]! + '"}';
    else json += '}';
    return json;
  };
  // Only the fields some later verb may read (none of them sees whole records).
  const partial = (names: ReadonlySet<string>): Matcher => {
    const has = (f: string): boolean => names.has(f);
    if ((combined ? COMBINED_FIELDS : COMMON_FIELDS).every(has)) return match;
    const [host, ident, user, time, status, bytes, referer, agent] = ['host', 'ident', 'user', 'time', 'status', 'bytes', 'referer', 'agent'].map(has);
    const request = has('method') || has('path') || has('protocol');
    return (line, rec) => {
      const m = re.exec(line);
      if (m === null) return false;
      if (host) rec.host = typeCapture(m[1]);
      if (ident) rec.ident = typeCapture(m[2]);
      if (user) rec.user = typeCapture(m[3]);
      if (time) rec.time = m[4];
      if (request) setRequest(rec, m[5]!);
      if (status) rec.status = typeCapture(m[6]);
      if (bytes) rec.bytes = typeCapture(m[7]);
      if (combined) {
        if (referer) rec.referer = m[8];
        if (agent) rec.agent = m[9];
      }
      return true;
    };
  };
  return { match, matchJson, textOnly, partial };
}

/**
 * A Matcher that sets only the fields in `names` (top-level names) and
 * leaves the others as they were: for records whose other fields nobody
 * reads (engine/projection.ts fieldsAfter). It matches and rejects exactly
 * the lines the full Matcher does.
 */
export type PartialMatcher = (names: ReadonlySet<string>) => Matcher;

/**
 * Matches a line and returns only the NDJSON text its record would have
 * (exactly `stringifyRecord` of the record `Matcher` fills): null when the
 * line does not match, undefined when it matches but its text is not made
 * here (a character needs escaping: fill a record with the Matcher instead).
 */
export type TextMatcher = (line: string) => string | null | undefined;

/** False when `s` (non-empty, no character needing escapes) cannot be a JSON number: it starts with neither a digit nor `-`. */
function mayBeNumber(s: string): boolean {
  const c = s.charCodeAt(0);
  return (c >= 48 && c <= 57) || c === 45;
}

/** A capture (non-empty, no character needing escapes) as JSON text, typed as typeCapture types it: a JSON number as written, anything else in quotes. */
function cellText(s: string): string {
  // (An address such as 10.1.2.3 has two dots: no number, and no regex run.)
  return mayBeNumber(s) && s.indexOf('.') === s.lastIndexOf('.') && JSON_NUMBER_RE.test(s) ? s : '"' + s + '"';
}

/** A capture of `\d+|-` as JSON text: digits without a leading zero (or `0`) are a number, written as read; `-` and `007` are text. */
function digitsText(s: string): string {
  const c = s.charCodeAt(0);
  return c === 45 || (c === 48 && s.length > 1) ? '"' + s + '"' : s;
}

const MONTHS: Record<string, number> = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };

/**
 * RFC 3164 as rsyslog writes it to files (RSYSLOG_TraditionalFileFormat,
 * `Jun 14 15:16:01 web1 sshd[4242]: message`; the day is space-padded), or
 * with the RFC 3339 time of RSYSLOG_FileFormat
 * (`2026-06-14T15:16:01.123456+02:00 web1 sshd[4242]: message`).
 * Groups: 1 month, 2 day, 3 hh:mm:ss | 4 RFC 3339 time, 5 host, 6 program, 7 pid, 8 message.
 */
const SYSLOG_RE = /^(?:([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d:\d\d:\d\d)|(\d{4}-\d\d-\d\dT\S+)) (\S+) ([^\s[\]:]+)(?:\[(\d+)\])?: ?(.*)$/;

/** Field names of `syslog`, in order. */
export const SYSLOG_FIELDS = ['time', 'host', 'program', 'pid', 'message'];

/**
 * How the year of a syslog time without one is chosen.
 * @param fixed `--year`: that year for every line
 * @param now   the wall clock at start (epoch ms): otherwise the current year
 *   (UTC), or the year before when that would put the time more than 7 days
 *   after `now` (a December log read in January)
 */
export function syslogYear(fixed: number | undefined, now: number): (month: number, day: number, secs: number) => number {
  if (fixed !== undefined) return () => fixed;
  const year = new Date(now).getUTCFullYear();
  const limit = now + 7 * 86_400_000;
  return (month, day, secs) => (daysFromCivil(year, month, day) * 86_400_000 + secs * 1000 > limit ? year - 1 : year);
}

/** The `syslog` matcher; `year` as syslogYear gives it. */
export function syslogMatcher(year: (month: number, day: number, secs: number) => number): Matcher {
  return (line, rec) => {
    const m = SYSLOG_RE.exec(line);
    if (m === null) return false;
    if (m[1] !== undefined) {
      const mo = MONTHS[m[1]];
      const d = +m[2]!;
      if (mo === undefined || d < 1 || d > 31) return false;
      const hms = m[3]!;
      const secs = +hms.slice(0, 2) * 3600 + +hms.slice(3, 5) * 60 + +hms.slice(6, 8);
      const y = year(mo, d, secs);
      // ISO 8601 without zone (syslog gives none; read as UTC), seconds precision.
      rec.time = isoString(daysFromCivil(y, mo, d) * 86_400_000 + secs * 1000).slice(0, 19);
    } else rec.time = m[4];
    rec.host = typeCapture(m[5]);
    rec.program = m[6];
    rec.pid = typeCapture(m[7]);
    rec.message = m[8];
    return true;
  };
}

/**
 * RFC 5424: `<PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]`,
 * `-` for a nil value (kept as `-`), structured data kept as its text.
 */
const SYSLOG5424_RE = /^<(\d{1,3})>(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[[^\]"\\]*(?:(?:"[^"\\]*(?:\\.[^"\\]*)*"|\\.)[^\]"\\]*)*\])+)(?: (.*))?$/;

/** Field names of `syslog5424`, in order. */
export const SYSLOG5424_FIELDS = ['pri', 'facility', 'severity', 'version', 'time', 'host', 'app', 'procid', 'msgid', 'sd', 'message'];

const syslog5424: Matcher = (line, rec) => {
  const m = SYSLOG5424_RE.exec(line);
  if (m === null) return false;
  const pri = +m[1]!;
  if (pri > 191) return false;
  rec.pri = pri;
  rec.facility = pri >> 3;
  rec.severity = pri & 7;
  rec.version = +m[2]!;
  rec.time = m[3];
  rec.host = typeCapture(m[4]);
  rec.app = m[5];
  rec.procid = typeCapture(m[6]);
  rec.msgid = m[7];
  rec.sd = m[8];
  let msg = m[9] ?? null;
  if (msg !== null && msg.charCodeAt(0) === 0xfeff) msg = msg.slice(1); // the BOM RFC 5424 puts before UTF-8 text
  rec.message = msg;
  return true;
};

/** The names of the built-in patterns. */
export const BUILTIN_PATTERNS = ['combined', 'common', 'syslog', 'syslog5424'] as const;
export type BuiltinPattern = (typeof BUILTIN_PATTERNS)[number];

/**
 * A built-in pattern's matcher and its field names; for the access-log
 * patterns also a JsonMatcher (the record's NDJSON text from the line) and
 * a TextMatcher (that text alone, no record filled) and a PartialMatcher
 * (some fields only).
 * @param opts `year`/`now`: see syslogYear
 */
export function builtinMatcher(name: BuiltinPattern, opts: { year?: number; now: number }): { match: Matcher; fields: string[]; matchJson?: JsonMatcher; textOnly?: TextMatcher; partial?: PartialMatcher } {
  switch (name) {
    case 'combined':
      return { ...accessLog(COMBINED_RE, CLEAN_COMBINED_RE, true), fields: COMBINED_FIELDS };
    case 'common':
      return { ...accessLog(COMMON_RE, CLEAN_COMMON_RE, false), fields: COMMON_FIELDS };
    case 'syslog':
      return { match: syslogMatcher(syslogYear(opts.year, opts.now)), fields: SYSLOG_FIELDS };
    case 'syslog5424':
      return { match: syslog5424, fields: SYSLOG5424_FIELDS };
  }
}

/** The regex source of a built-in pattern (for `--explain` and the bench's peers). */
export function builtinSource(name: BuiltinPattern): string {
  switch (name) {
    case 'combined':
      return COMBINED_RE.source;
    case 'common':
      return COMMON_RE.source;
    case 'syslog':
      return SYSLOG_RE.source;
    case 'syslog5424':
      return SYSLOG5424_RE.source;
  }
}

/**
 * The named groups of a regex source, in order of their opening parenthesis
 * (`(?<name>`; an escaped `\(` and a `(` inside `[...]` are not groups).
 */
export function groupNames(src: string): string[] {
  const names: string[] = [];
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(' && src.startsWith('?<', i + 1) && src[i + 3] !== '=' && src[i + 3] !== '!') {
      const end = src.indexOf('>', i + 3);
      if (end > 0) names.push(src.slice(i + 3, end));
    }
  }
  return names;
}

/**
 * A matcher for a compiled user regex with named groups (compiled by the
 * expression language's linear-time `compileRegex`, as `~` is: user
 * patterns never run on a backtracking engine): each named group becomes a
 * field (typeCapture), in the order the groups open.
 * The regex need not be anchored (as with `~`, a match anywhere counts).
 */
export function regexMatcher(re: { exec(s: string): { groups?: Record<string, string | undefined> } | null }, names: string[]): Matcher {
  return (line, rec) => {
    const m = re.exec(line);
    if (m === null) return false;
    const g = m.groups!;
    for (let i = 0; i < names.length; i++) setField(rec, names[i]!, typeCapture(g[names[i]!]));
    return true;
  };
}
