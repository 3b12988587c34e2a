/**
 * Copying a value that an accumulator keeps beyond the batch it came in, so
 * that it does not pin the input chunk in memory (see `detach`).
 */
import { NumText, detach } from '../engine/values.js';

/** A value safe to keep beyond the batch: strings copied, NumText with a copied text. */
export function keep(v: unknown): unknown {
  if (typeof v === 'string') return detach(v);
  if (v instanceof NumText && v.text.length >= 13) return new NumText(v.value, detach(v.text));
  return v;
}
