/**
 * Groups of the ordering verbs (`top`, `tail`, `sample`, `uniq`): one state
 * per distinct key, in order of first appearance, keys encoded as `window
 * --by` and `head --by` encode them (src/window/keys.ts: by text, so 7 and
 * "7" are one group; null and missing are one group).
 */
import type { Rec } from '../engine/types.js';
import { detach } from '../engine/values.js';
import { compileKey } from '../window/keys.js';
import type { FieldRef } from './keys.js';

/** A map of group states keyed by the record's `--by` key. Iterates in order of first appearance. */
export class Groups<S> {
  readonly map = new Map<string, S>();
  private keyOf: (rec: Rec) => string;
  constructor(
    by: readonly FieldRef[],
    private readonly create: (rec: Rec) => S,
  ) {
    this.keyOf = compileKey(by.map((f) => f.path));
  }
  /** Set group `key`'s state (restoring a checkpoint; `key` as `of` makes it). */
  put(key: string, state: S): void {
    this.map.set(key, state);
  }
  /** The state of the record's group, made on first sight. */
  of(rec: Rec): S {
    const k = this.keyOf(rec);
    let s = this.map.get(k);
    if (s === undefined) {
      s = this.create(rec);
      this.map.set(detach(k), s);
    }
    return s;
  }
}
