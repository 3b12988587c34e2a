/**
 * Whether merging two partial group states gives exactly the state one pass
 * over both parts' records would have (issue 14 item 5: `-j N` output must
 * equal `-j 1` byte for byte).
 *
 * Exact by construction (src/agg/accumulators.ts): counts, min/max (ties keep
 * the earlier part, merged in input order), first/last/collect (by input
 * position), distinct sets, HyperLogLog registers, percentiles (exact lists,
 * or bins that depend on the multiset only), integer sums and integer
 * variances (exact Σx, Σx²). Not exact: two compensated float sums (Neumaier
 * S + C of two parts differs from one pass in the last bits at times), and
 * Welford/Chan M2 merges of non-integer variances. One side with no
 * non-integer (or no number at all) keeps a sum exact: its integers go to the
 * exact integer sum and the other side's S + C is carried over unchanged.
 * An accumulator of an unknown class counts as not exact.
 */
import type { GroupState } from '../agg/types.js';
import { ApproxDistinct, Avg, Collect, CountAll, CountField, Distinct, First, Last, MinMax, Percentile, Sum, Variance } from '../agg/accumulators.js';

/** True when `into.merge(from)` equals one pass over both parts (see the module comment). */
export function exactMerge(into: GroupState, from: GroupState): boolean {
  const a = into.accs;
  const b = from.accs;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x instanceof Sum || x instanceof Avg) {
      if (x.nf > 0 && (y as Sum).nf > 0) return false;
    } else if (x instanceof Variance) {
      const v = y as Variance;
      if (x.n > 0 && v.n > 0 && !(x.allInt && v.allInt)) return false;
    } else if (
      !(
        x instanceof CountAll ||
        x instanceof CountField ||
        x instanceof MinMax ||
        x instanceof First ||
        x instanceof Last ||
        x instanceof Distinct ||
        x instanceof ApproxDistinct ||
        x instanceof Collect ||
        x instanceof Percentile
      )
    )
      return false;
  }
  return true;
}
