/**
 * The `--by KEYS` key of a record for session and count windows: the keys'
 * texts (a number's text as read, so 7 and "7" are one key; null or missing is
 * its own value), joined by a separator that cannot occur in a text.
 */
import type { Rec } from '../engine/types.js';
import { pathGetter, textOf } from '../engine/values.js';

const NULL_KEY = '\u0000';
const SEP = '\u0001';

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
    return (rec) => textOf(g(rec)) ?? NULL_KEY;
  }
  return (rec) => {
    let k = textOf(getters[0]!(rec)) ?? NULL_KEY;
    for (let i = 1; i < getters.length; i++) k += SEP + (textOf(getters[i]!(rec)) ?? NULL_KEY);
    return k;
  };
}
