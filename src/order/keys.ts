/**
 * Sort keys for `sort` and `top`: parsing `KEY [asc|desc][, KEY ...]` (and
 * Miller's `-f/-r/-nf/-nr FIELDS` flags), and the total order on values.
 *
 * Order of values (one key, ascending): numbers (JSON numbers, numbers read
 * from CSV, also NumText) numerically; then every other non-null value by its
 * text (strings as they are, booleans `true`/`false`, objects and arrays as
 * JSON), in UTF-16 code unit order as expressions compare text; null and
 * missing fields last. Descending reverses the non-null values; nulls stay
 * last either way (DuckDB's and Flink's NULLS LAST default). Putting numbers
 * before text (as agg's min/max do) makes the order total even for a field
 * that mixes numbers and text, which a stable sort and a merge of sorted runs
 * both need; where both sides are numbers or both are text it is exactly the
 * comparison of expressions.
 */
import type { Rec } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';
import { NumText, pathGetter, textOf } from '../engine/values.js';

/** One sort key as parsed. */
export interface SortKey {
  /** The field as written (`delay`, `user.id`, `` `a b` ``). */
  name: string;
  path: string[];
  desc: boolean;
}

/** A key value normalised for comparison: a number, a text, or null (last). */
export type KeyValue = number | string | null;

/** A field name as a path: `a.b` → ['a','b']; a backticked name is one step. */
function pathOf(name: string): string[] {
  if (name.length >= 2 && name.startsWith('`') && name.endsWith('`')) return [name.slice(1, -1)];
  return name.split('.');
}

/** Split on commas outside backticks, trimming blanks; empty parts are dropped. */
function splitCommas(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let tick = false;
  for (const ch of text) {
    if (ch === '`') tick = !tick;
    if (ch === ',' && !tick) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out.filter((s) => s !== '');
}

/** Split one key clause (`a.b desc`, `` `Total $` asc ``) into words outside backticks. */
function clauseWords(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let tick = false;
  for (const ch of text) {
    if (ch === '`') tick = !tick;
    if (!tick && /\s/.test(ch)) {
      if (cur !== '') out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur !== '') out.push(cur);
  return out;
}

const MILLER_FLAGS: Record<string, boolean> = Object.assign(Object.create(null) as Record<string, boolean>, {
  '-f': false,
  '-r': true,
  '-nf': false,
  '-nr': true,
  '-n': false,
});

/**
 * Parse the key words of `sort`/`top`: `KEY [asc|desc][, KEY [asc|desc]]...`,
 * quoted as one word or not, or Miller's flags `-f A,B` (ascending), `-r A`
 * (descending), `-nf A` / `-nr A` (numeric ascending / descending: numbers
 * compare numerically here anyway).
 * @param verb  for messages
 * @param words the positional words
 * @throws UsageError on an empty list, a bad direction word, or Miller flags sluice does not take (-c, -t)
 */
export function parseSortKeys(verb: string, words: string[]): SortKey[] {
  const keys: SortKey[] = [];
  const plain: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w in MILLER_FLAGS) {
      const list = words[i + 1];
      if (list === undefined) throw new UsageError(`${verb}: ${w} needs field names (e.g. ${verb} ${w} count)`);
      i++;
      for (const name of splitCommas(list)) keys.push({ name, path: pathOf(name), desc: MILLER_FLAGS[w]! });
      continue;
    }
    if (/^-(c|cr|t|tr)$/.test(w)) {
      throw new UsageError(
        `${verb}: Miller's ${w} (case-folded or natural order) is not supported; sluice compares numbers numerically and text by code units: ${verb} FIELD [asc|desc]`,
      );
    }
    plain.push(w);
  }
  for (const clause of splitCommas(plain.join(' '))) {
    const ws = clauseWords(clause);
    const name = ws[0]!;
    if (name.startsWith('-') && name.length > 1 && !name.startsWith('-`')) {
      throw new UsageError(`${verb}: unknown flag '${name}'; write ${verb} FIELD [asc|desc][, FIELD ...] (Miller's -f/-r/-nf/-nr FIELDS also work)`);
    }
    let desc = false;
    if (ws.length >= 2) {
      const d = ws[1]!.toLowerCase();
      if (d === 'desc' || d === 'descending') desc = true;
      else if (d !== 'asc' && d !== 'ascending') {
        throw new UsageError(`${verb}: '${ws[1]}' after ${name} is not asc or desc (separate keys with commas: ${verb} a desc, b)`);
      }
    }
    if (ws.length > 2) throw new UsageError(`${verb}: unexpected '${ws[2]}' after '${ws[0]} ${ws[1]}' (separate keys with commas: ${verb} a desc, b)`);
    keys.push({ name, path: pathOf(name), desc });
  }
  if (keys.length === 0) throw new UsageError(`${verb}: name at least one field to order by (e.g. ${verb} delay desc)`);
  return keys;
}

/** Normalise a field value for comparison: number, text, or null. */
export function keyValue(v: unknown): KeyValue {
  if (typeof v === 'number') return v;
  if (v === null || v === undefined) return null;
  if (v instanceof NumText) return v.value;
  return textOf(v);
}

/** Compare two key values ascending (numbers, then text, then null). */
export function compareKeyValues(a: KeyValue, b: KeyValue): number {
  if (a === null) return b === null ? 0 : 1;
  if (b === null) return -1;
  if (typeof a === 'number') {
    if (typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
    return -1;
  }
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compare two key values in a key's direction; nulls last either way. */
export function compareDirected(a: KeyValue, b: KeyValue, desc: boolean): number {
  if (a === null) return b === null ? 0 : 1;
  if (b === null) return -1;
  const c = compareKeyValues(a, b);
  return desc ? -c : c;
}

/** Key extraction and comparison for a list of keys. */
export interface KeyOrder {
  /** Number of keys. */
  readonly size: number;
  /** The key values of a record, one per key. */
  extract(rec: Rec): KeyValue[];
  /** Compare two extracted key lists: negative when `a` comes first. */
  compare(a: KeyValue[], b: KeyValue[]): number;
  /** The same for two objects holding key lists as `k` (sort entries); fast path for a first key that is a number on both sides. */
  compareEntries(a: { k: KeyValue[] }, b: { k: KeyValue[] }): number;
}

/** Compile the keys into an extractor and a comparator. */
export function compileKeyOrder(keys: readonly SortKey[]): KeyOrder {
  const getters = keys.map((k) => pathGetter(k.path));
  const desc = keys.map((k) => k.desc);
  const n = keys.length;
  const d0 = desc[0]!;
  const compare = (a: KeyValue[], b: KeyValue[]): number => {
    for (let i = 0; i < n; i++) {
      const c = compareDirected(a[i]!, b[i]!, desc[i]!);
      if (c !== 0) return c;
    }
    return 0;
  };
  return {
    size: n,
    compare,
    compareEntries(ea, eb) {
      const a = ea.k;
      const b = eb.k;
      const x = a[0];
      const y = b[0];
      if (typeof x === 'number' && typeof y === 'number') {
        if (x < y) return d0 ? 1 : -1;
        if (x > y) return d0 ? -1 : 1;
        return n === 1 ? 0 : compare(a, b);
      }
      return compare(a, b);
    },
    extract(rec) {
      const out = new Array<KeyValue>(n);
      for (let i = 0; i < n; i++) out[i] = keyValue(getters[i]!(rec));
      return out;
    },
  };
}

/** How `--explain` shows keys: `delay desc, origin asc`. */
export function describeKeys(keys: readonly SortKey[]): string {
  return keys.map((k) => `${k.name} ${k.desc ? 'desc' : 'asc'}`).join(', ');
}

/** One field of a list (`--by a,b.c`, uniq's FIELDS): its output name (backticks removed) and path. */
export interface FieldRef {
  name: string;
  path: string[];
}

/**
 * Parse a comma-separated field list; a name in backticks may hold commas and
 * dots (`` `a.b` `` is the one field named a.b).
 * @throws UsageError when the list names no field
 */
export function parseFieldList(verb: string, what: string, text: string): FieldRef[] {
  const out = splitCommas(text).map((n) => {
    const path = pathOf(n);
    return { name: path.length === 1 ? path[0]! : n, path };
  });
  if (out.length === 0) throw new UsageError(`${verb}: ${what} needs at least one field`);
  return out;
}
