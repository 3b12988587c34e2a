/**
 * What the expression compiler (compile.ts) and its parts (operators.ts,
 * zoned.ts, assign.ts) share: the compiled closure types, a compiled node
 * with its flags, and truthiness of a compiled node.
 */
import type { Rec } from '../engine/types.js';
import { truthy } from '../engine/values.js';

/** A compiled expression: record to value (null, never undefined, for a missing field). */
export type Fn = (rec: Rec) => unknown;
/** A compiled condition: record to boolean. */
export type Pred = (rec: Rec) => boolean;

/** A compiled node: its closure and what is known of it at compile time. */
export interface Compiled {
  /** The closure: record to value. */
  fn: Fn;
  /** True when fn always returns a boolean. */
  bool: boolean;
  /** True when fn reads no field (it can be folded to a constant). */
  konst: boolean;
}

/** The empty record constant subtrees are evaluated on (they read no field). */
export const EMPTY: Rec = Object.freeze(Object.create(null)) as Rec;

/** The truthiness closure of a compiled node: its own closure when it returns booleans, a constant when it reads no field. */
export function predOf(c: Compiled): Pred {
  if (c.bool) return c.fn as Pred;
  const f = c.fn;
  if (c.konst) {
    const v = truthy(f(EMPTY));
    return () => v;
  }
  return (rec) => truthy(f(rec));
}
