/**
 * Parsing `agg`'s arguments: the aggregate list (`count, avg(delay) as mean`)
 * and the group keys (`origin, user.id, `Cost Total``).
 */
import { UsageError } from '../engine/errors.js';
import { closest } from '../verbs/args.js';

/** The aggregate functions (canonical names). */
export type AggFn =
  | 'count'
  | 'sum'
  | 'avg'
  | 'mean'
  | 'min'
  | 'max'
  | 'first'
  | 'last'
  | 'stddev'
  | 'var'
  | 'distinct'
  | 'approx_distinct'
  | 'median'
  | 'percentile'
  | 'collect';

/** Every aggregate name a user may write (percentiles are `pNN`). */
export const AGG_NAMES: readonly string[] = [
  'count', 'sum', 'avg', 'mean', 'min', 'max', 'first', 'last', 'stddev', 'var',
  'distinct', 'approx_distinct', 'median', 'collect', 'p50', 'p90', 'p95', 'p99', 'p99.9',
];

const FIELD_FNS = new Set<string>(['sum', 'avg', 'mean', 'min', 'max', 'first', 'last', 'stddev', 'var', 'distinct', 'approx_distinct', 'median', 'collect']);

/** One parsed aggregate. */
export interface AggSpec {
  fn: AggFn;
  /** The field as a path (`['user','id']`), or null for `count` without a field. */
  path: string[] | null;
  /** The field as written, without backticks (`user.id`), or null. */
  field: string | null;
  /** For percentiles (and median): the fraction in [0, 1]. */
  p: number;
  /** Output field name: `as NAME`, else `count` / `FN_FIELD` (`avg_delay`, `p99.9_latency`). */
  name: string;
  /** The aggregate as written, for messages and --explain. */
  text: string;
}

/** One group key. */
export interface KeySpec {
  path: string[];
  /** Output field name: the key as written without backticks (`user.id`). */
  name: string;
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const PCT_RE = /^p(\d+(?:\.\d+)?)$/;

/**
 * Split `agg`'s positional words into the aggregate text and the key text:
 * the words are joined with spaces and split at the first word `by` that is
 * not inside parentheses or backticks.
 * @returns `keys` is null when there is no `by`
 */
export function splitAggWords(words: string[]): { aggs: string; keys: string | null } {
  const text = words.join(' ');
  let depth = 0;
  let tick = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '`') tick = !tick;
    else if (tick) continue;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (
      depth === 0 &&
      c === 'b' &&
      text[i + 1] === 'y' &&
      (i === 0 || /[\s,]/.test(text[i - 1]!)) &&
      (i + 2 === text.length || /\s/.test(text[i + 2]!))
    ) {
      // `as by` names an aggregate `by`; only a `by` that does not follow `as` splits.
      if (/(^|\s)as\s+$/i.test(text.slice(0, i))) continue;
      return { aggs: text.slice(0, i).trim(), keys: text.slice(i + 2).trim() };
    }
  }
  return { aggs: text.trim(), keys: null };
}

/** Split on commas outside parentheses and backticks; items trimmed. */
export function splitTop(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let tick = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '`') tick = !tick;
    else if (tick) continue;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out;
}

/**
 * A field reference as a path: steps separated by dots, each plain or in
 * backticks (`` `Cost Total` ``, `` user.`first name` ``). A plain step has no
 * blanks, so `by a b` (a missing comma) is an error, not a key named "a b".
 * @returns the path and the name as written without backticks
 * @throws UsageError for an empty step, a blank in a plain step or an unclosed backtick
 */
export function parseFieldRef(text: string, what: string): { path: string[]; name: string } {
  const path: string[] = [];
  let i = 0;
  const t = text.trim();
  if (t === '') throw new UsageError(`agg: ${what} is empty`);
  for (;;) {
    let step: string;
    if (t[i] === '`') {
      const end = t.indexOf('`', i + 1);
      if (end < 0) throw new UsageError(`agg: unclosed backtick in ${what} '${text}'`);
      step = t.slice(i + 1, end);
      i = end + 1;
      if (step === '') throw new UsageError(`agg: empty name in ${what} '${text}'`);
    } else {
      let end = t.indexOf('.', i);
      if (end < 0) end = t.length;
      step = t.slice(i, end);
      if (step.includes('`')) throw new UsageError(`agg: stray backtick in ${what} '${text}'`);
      if (/\s/.test(step)) {
        // `by a b` would otherwise group by one field named "a b" (null in every record).
        const hint = what === 'group key' ? 'separate keys with commas (by a, b), and put' : 'put';
        throw new UsageError(`agg: '${t}' (${what}) has a blank: ${hint} a name with blanks in backticks (\`${t}\`)`);
      }
      i = end;
      if (step === '') throw new UsageError(`agg: empty step in ${what} '${text}'`);
    }
    path.push(step);
    if (i >= t.length) break;
    if (t[i] !== '.') throw new UsageError(`agg: unexpected '${t.slice(i)}' in ${what} '${text}'`);
    i++;
    if (i >= t.length) throw new UsageError(`agg: empty step in ${what} '${text}'`);
  }
  return { path, name: t.replace(/`/g, '') };
}

/**
 * Parse the aggregate list.
 * @throws UsageError for an empty list, an unknown aggregate (with a
 *   suggestion), a missing or unexpected field, a bad `as` name, a bad
 *   percentile, or two outputs with one name
 */
export function parseAggList(text: string): AggSpec[] {
  if (text.trim() === '') throw new UsageError("agg: no aggregates given (e.g. agg 'count, avg(delay)' by origin)");
  const specs: AggSpec[] = [];
  for (const item of splitTop(text)) {
    if (item === '') throw new UsageError(`agg: empty aggregate in '${text}'`);
    specs.push(parseAgg(item));
  }
  return specs;
}

function parseAgg(item: string): AggSpec {
  const m = /^([A-Za-z_][A-Za-z0-9_.]*)\s*/.exec(item);
  if (!m) throw new UsageError(`agg: cannot read aggregate '${item}' (expected e.g. count, sum(f), p95(f))`);
  const written = m[1]!;
  const lower = written.toLowerCase();
  let rest = item.slice(m[0].length);
  let fieldText: string | null = null;
  if (rest.startsWith('(')) {
    let i = 1;
    let tick = false;
    for (; i < rest.length; i++) {
      if (rest[i] === '`') tick = !tick;
      else if (!tick && rest[i] === ')') break;
    }
    if (i >= rest.length) throw new UsageError(`agg: missing ')' in '${item}'`);
    fieldText = rest.slice(1, i).trim();
    rest = rest.slice(i + 1).trim();
  }
  let fn: AggFn;
  let p = 0;
  let nameBase = lower;
  const pm = PCT_RE.exec(lower);
  if (pm) {
    p = parseFloat(pm[1]!) / 100;
    if (!(p >= 0 && p <= 1)) throw new UsageError(`agg: percentile '${written}' is out of range (p0 to p100)`);
    fn = 'percentile';
  } else if (lower === 'count') {
    fn = 'count';
  } else if (FIELD_FNS.has(lower)) {
    fn = lower as AggFn;
    if (fn === 'median') p = 0.5;
  } else {
    const best = closest(lower, [...AGG_NAMES]);
    throw new UsageError(`agg: unknown aggregate '${written}'${best ? ` (did you mean ${best}?)` : ''}; known: ${AGG_NAMES.slice(0, 14).join(', ')}, pNN`);
  }
  let path: string[] | null = null;
  let field: string | null = null;
  if (fn === 'count') {
    if (fieldText !== null && fieldText !== '' && fieldText !== '*') {
      ({ path, name: field } = parseFieldRef(fieldText, `the field of '${item}'`));
    }
  } else {
    if (fieldText === null || fieldText === '') {
      throw new UsageError(`agg: ${written} needs a field, e.g. ${written}(delay)`);
    }
    ({ path, name: field } = parseFieldRef(fieldText, `the field of '${item}'`));
  }
  let name = field === null ? 'count' : `${nameBase}_${field}`;
  if (rest !== '') {
    const am = /^as\s+(.*)$/is.exec(rest);
    if (!am) throw new UsageError(`agg: unexpected '${rest}' after '${item.slice(0, item.length - rest.length).trim()}' (expected 'as NAME' or ',')`);
    const n = am[1]!.trim();
    if (n.startsWith('`') && n.endsWith('`') && n.length > 2 && !n.slice(1, -1).includes('`')) name = n.slice(1, -1);
    else if (NAME_RE.test(n)) name = n;
    else
      throw new UsageError(
        `agg: bad name '${n}' after 'as' in '${item}' (use letters, digits, _ and ., not starting with a digit; or \`any name\` in backticks)`,
      );
  }
  return { fn, path, field, p, name, text: item };
}

/**
 * Parse the key list (`origin, destination`).
 * @throws UsageError when it is empty or a key is malformed
 */
export function parseKeyList(text: string): KeySpec[] {
  if (text.trim() === '') throw new UsageError("agg: 'by' needs at least one key, e.g. by origin");
  const keys: KeySpec[] = [];
  for (const item of splitTop(text)) {
    if (item === '') throw new UsageError(`agg: empty key in 'by ${text}'`);
    keys.push(parseFieldRef(item, 'group key'));
  }
  return keys;
}

/**
 * Check that no two outputs (keys and aggregates) share a name.
 * @throws UsageError naming the duplicate
 */
export function checkNames(keys: KeySpec[], aggs: AggSpec[]): void {
  const seen = new Set<string>();
  for (const n of [...keys.map((k) => k.name), ...aggs.map((a) => a.name)]) {
    if (seen.has(n)) throw new UsageError(`agg: two output fields named '${n}'; rename one with 'as NAME'`);
    seen.add(n);
  }
}
