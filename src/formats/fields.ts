/**
 * Field selections: which top-level fields of an input record a reader must
 * decode when no verb of the pipeline needs the whole record (see
 * engine/projection.ts, which computes them from the verbs).
 */

import type { FieldSelection } from '../engine/types.js';

export type { FieldSelection };

/**
 * Most names a selection may have for the NDJSON scanner to look each one up
 * with indexOf rather than walk every key of a line (beyond it, walking is
 * faster: one pass against one search per name).
 */
const KEYED_NAMES = 3;

/** A FieldSelection compiled for matching names in place. */
export class FieldMatcher {
  private readonly names: readonly string[];
  private readonly prefixes: readonly string[];

  /** True when nothing is selected (records are only checked, and kept as read). */
  readonly empty: boolean;
  /** The names by length: `byLen[n]` holds the names of n code units (undefined: none). */
  private readonly byLen: (string[] | undefined)[] = [];
  /** First code units of the prefixes, for a quick no. */
  private readonly prefixStarts: Set<number>;
  /**
   * For a selection of at most KEYED_NAMES plain names and no prefixes: each
   * name followed by `":`, the text that, after a `"`, is its key in a
   * compact flat line (ndjson-select.ts scanKeyed), else null. A plain name
   * is not empty and holds none of `"\\:,{}[]` nor a control character, so
   * that `"name":` cannot occur anywhere else in such a line.
   */
  readonly keyTexts: readonly string[] | null;

  constructor(sel: FieldSelection) {
    this.names = [...new Set(sel.names)];
    this.prefixes = sel.prefixes.filter((p) => p !== '');
    for (const n of this.names) (this.byLen[n.length] ??= []).push(n);
    // (A dense array: every slot is set, so lookups stay fast.)
    for (let k = 0; k < this.byLen.length; k++) this.byLen[k] ??= undefined;
    this.prefixStarts = new Set(this.prefixes.map((p) => p.charCodeAt(0)));
    this.empty = this.names.length === 0;
    const plain = this.prefixes.length === 0 && !this.empty && this.names.length <= KEYED_NAMES && this.names.every((n) => n !== '' && !/["\\:,{}[\]\u0000-\u001f]/.test(n));
    this.keyTexts = plain ? this.names.map((n) => `${n}":`) : null;
  }

  /** The names, in the order of `keyTexts`. */
  get list(): readonly string[] {
    return this.names;
  }

  /** True when `name` is selected. */
  has(name: string): boolean {
    return this.hasAt(name, 0, name.length);
  }

  /**
   * The selected name written as `s[from, to)` (a key with no escapes in
   * it), or undefined when it is not selected. A name of the list is
   * returned as that string (no new string is made).
   */
  nameAt(s: string, from: number, to: number): string | undefined {
    const len = to - from;
    const c0 = s.charCodeAt(from);
    if (len < this.byLen.length) {
      const cands = this.byLen[len];
      if (cands !== undefined) {
        for (let k = 0; k < cands.length; k++) {
          const n = cands[k]!;
          if (n.charCodeAt(0) === c0 && s.startsWith(n, from)) return n;
        }
      }
    }
    return this.prefixStarts.has(c0) && this.hasAt(s, from, to) ? s.slice(from, to) : undefined;
  }

  /**
   * True when the text `s[from, to)` (a key with no escapes in it) is a
   * selected name, compared in place (no string is made).
   */
  hasAt(s: string, from: number, to: number): boolean {
    const names = this.names;
    const len = to - from;
    for (let k = 0; k < names.length; k++) {
      const n = names[k]!;
      if (n.length === len && s.startsWith(n, from)) return true;
    }
    // Every way of taking prefixes off the front (several prefixes may fit).
    const ps = this.prefixes;
    for (let k = 0; k < ps.length; k++) {
      const p = ps[k]!;
      if (p.length < len && s.startsWith(p, from) && this.hasAt(s, from + p.length, to)) return true;
    }
    return false;
  }
}
