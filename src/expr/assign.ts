/**
 * `map` assignments compiled into one function (compile.ts compiles the
 * right-hand sides): values are copied so that no two fields, and no two
 * records, share an object.
 */
import type { Rec } from '../engine/types.js';
import { NumText, pathGetter, setField, markChanged } from '../engine/values.js';
import type { Assignment } from './parser.js';
import type { Compiler } from './compile.js';

const hasOwn = Object.prototype.hasOwnProperty;

/** A deep copy of a JSON value (NumText kept), so that two fields never share one object. */
function copyValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || v instanceof NumText) return v;
  if (Array.isArray(v)) return v.map(copyValue);
  const out: Rec = {};
  for (const k of Object.keys(v)) setField(out, k, copyValue((v as Rec)[k]));
  return out;
}

/**
 * Set a nested path like `setPath`, but copy (shallowly) each object on the way
 * instead of changing it in place: a nested object may be shared with another
 * record (the copies `window` makes for each window of a record, the outputs of
 * a join key with several table rows, the table row's own values), and an
 * assignment to one record must not show in another. Only the objects on the
 * assigned path are copied; a non-object step is replaced by a new object.
 */
function setPathCopying(rec: Rec, path: readonly string[], value: unknown): void {
  let o: Rec = rec;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    const cur = hasOwn.call(o, k) ? o[k] : undefined;
    // Spread copies own enumerable keys as data properties, `__proto__` included.
    const child: Rec = cur !== null && typeof cur === 'object' && !Array.isArray(cur) && !(cur instanceof NumText) ? { ...(cur as Rec) } : {};
    setField(o, k, child);
    o = child;
  }
  setField(o, path[path.length - 1]!, value);
}

/**
 * Compile `map` assignments into one function that applies them in order to a
 * record, in place. Each assignment sees the ones before it. A record whose
 * every assignment leaves the field's value identical (`x = x`) is not marked
 * changed, so its original text survives; otherwise `markChanged` is called.
 * An object or array value is copied, so two fields never share one object;
 * a nested target copies the objects on its path (`setPathCopying`), so no
 * other record that shares them sees the change.
 */
export function compileAssignmentList(list: Assignment[], c: Compiler): (rec: Rec) => void {
  const fns = list.map((a) => c.value(a.expr));
  const gets = list.map((a) => pathGetter(a.path));
  const sets = list.map((a): ((rec: Rec, v: unknown) => void) => {
    if (a.path.length === 1) {
      const name = a.path[0]!;
      return (rec, v) => setField(rec, name, v);
    }
    const p = a.path;
    return (rec, v) => setPathCopying(rec, p, v);
  });
  const count = list.length;
  return (rec) => {
    let changed = false;
    for (let i = 0; i < count; i++) {
      let v = fns[i]!(rec);
      const old = gets[i]!(rec);
      if (old !== undefined && old === v) continue;
      if (v !== null && typeof v === 'object' && !(v instanceof NumText)) v = copyValue(v);
      sets[i]!(rec, v);
      changed = true;
    }
    if (changed) markChanged(rec);
  };
}
