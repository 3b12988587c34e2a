/**
 * Field references for the verbs that name fields in a list (select, drop,
 * rename, reorder, fill-down, explode, unsparsify): `a.b` is the path b
 * inside a, as in filter and agg; `` `a.b` `` in backticks is one name. So
 * that a flat field whose name has a dot (a CSV header `user.id`, or the
 * output of `flatten`) still works unquoted, a dotted name that a record has
 * as a top-level field means that field in that record.
 */
import type { Rec } from '../engine/types.js';
import { NumText, pathGetter, setField } from '../engine/values.js';

const hasOwn = Object.prototype.hasOwnProperty;

/** One field reference. */
export interface FieldRef {
  /** As written, without backticks: the top-level name it may also mean. */
  name: string;
  /** The path (one step for a plain or backticked name). */
  path: string[];
  /** Read the field (undefined when missing). */
  get(rec: Rec): unknown;
  /** True when, in `rec`, it means the top-level field `name` (one step, or a dotted name the record has). */
  isTop(rec: Rec): boolean;
}

/** A plain (non-array, non-NumText) object value. */
export function isPlainObject(v: unknown): v is Rec {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof NumText);
}

/** Parse a name from a field list (already split on commas; backticks kept). */
export function fieldRef(text: string): FieldRef {
  const t = text.trim();
  if (t.startsWith('`') && t.endsWith('`') && t.length >= 2 && !t.slice(1, -1).includes('`')) {
    const name = t.slice(1, -1);
    const get = pathGetter([name]);
    return { name, path: [name], get, isTop: () => true };
  }
  const path = t.split('.');
  if (path.length === 1 || path.some((s) => s === '')) {
    const get = pathGetter([t]);
    return { name: t, path: [t], get, isTop: () => true };
  }
  const nested = pathGetter(path);
  const isTop = (rec: Rec) => hasOwn.call(rec, t);
  return { name: t, path, get: (rec) => (hasOwn.call(rec, t) ? rec[t] : nested(rec)), isTop };
}

/** True when `rec` has the field (own properties all the way; a null value counts). */
export function hasRef(rec: Rec, ref: FieldRef): boolean {
  if (ref.isTop(rec)) return hasOwn.call(rec, ref.name);
  let v: unknown = rec;
  for (const step of ref.path) {
    if (!isPlainObject(v) || !hasOwn.call(v, step)) return false;
    v = v[step];
  }
  return true;
}

/**
 * A copy of `obj` without `path` (the objects on the way are copied, others
 * shared). Returns `obj` itself when the path is not there.
 */
export function withoutPath(obj: Rec, path: readonly string[], at = 0): Rec {
  const k = path[at]!;
  if (!hasOwn.call(obj, k)) return obj;
  const out: Rec = {};
  if (at === path.length - 1) {
    for (const key in obj) if (key !== k) setField(out, key, obj[key]);
    return out;
  }
  const child = obj[k];
  if (!isPlainObject(child)) return obj;
  const nc = withoutPath(child, path, at + 1);
  if (nc === child) return obj;
  for (const key in obj) setField(out, key, key === k ? nc : obj[key]);
  return out;
}

/** Set `path` in `rec`, copying the objects on the way (so shared input objects are not changed). */
export function setPathCopying(rec: Rec, path: readonly string[], value: unknown): void {
  let o = rec;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    const cur = hasOwn.call(o, k) ? o[k] : undefined;
    const child: Rec = {};
    if (isPlainObject(cur)) for (const key in cur) setField(child, key, cur[key]);
    setField(o, k, child);
    o = child;
  }
  setField(o, path[path.length - 1]!, value);
}
