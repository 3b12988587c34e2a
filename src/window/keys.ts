/**
 * The `--by KEYS` key of a record for session and count windows (and
 * `head --by`): the keys' texts (a number's text as read, so 7 and "7" are one
 * key; null or missing is its own value), encoded so that two different lists
 * of key values never give the same string, whatever characters they hold.
 *
 * Encoding: one key is its text, except that a text starting with `\u0000`
 * gets one more `\u0000` in front, and null is `\u0000` alone. Several keys
 * are joined by `\u0001`, each part escaped (`\u0002` → `\u0002\u0002`,
 * `\u0001` → `\u0002\u0003`), null written `\u0002\u0004`.
 */
import type { Rec } from '../engine/types.js';
import { pathGetter, textOf } from '../engine/values.js';

const NULL_KEY = '\u0000';
const SEP = '\u0001';
const NULL_PART = '\u0002\u0004';
const CTL_RE = /[\u0001\u0002]/;

/** One key text of several, escaped so it holds no separator. */
function part(t: string | null): string {
  if (t === null) return NULL_PART;
  return CTL_RE.test(t) ? t.replace(/\u0002/g, '\u0002\u0002').replace(/\u0001/g, '\u0002\u0003') : t;
}

/**
 * Compile a key function for the given key paths. With no paths every record
 * has the key ''. The returned string may be a slice of input: callers that keep
 * it must `detach` it.
 */
export function compileKey(paths: readonly (readonly string[])[]): (rec: Rec) => string {
  if (paths.length === 0) return () => '';
  const getters = paths.map((p) => pathGetter(p));
  if (getters.length === 1) {
    const g = getters[0]!;
    return (rec) => {
      const t = textOf(g(rec));
      if (t === null) return NULL_KEY;
      return t.charCodeAt(0) === 0 ? NULL_KEY + t : t;
    };
  }
  return (rec) => {
    let k = part(textOf(getters[0]!(rec)));
    for (let i = 1; i < getters.length; i++) k += SEP + part(textOf(getters[i]!(rec)));
    return k;
  };
}
