/**
 * The accumulators behind each aggregate of `agg` (SPEC §4.2), by family:
 * acc-moments.ts (count, sum, avg, var, stddev), acc-order.ts (min, max,
 * first, last, median, pNN), acc-sets.ts (distinct, approx_distinct,
 * collect); keep.ts copies the values they keep. This file is their index
 * and says what they share.
 *
 * Each one has `add` (one field value), `merge` (fold the accumulator of a
 * later part of the same group's input into this one) and `result`, with the
 * invariant of `Accumulator`: merge(add*(A), add*(B)) gives the result of
 * add*(A + B) (exactly for the exact aggregates; floating-point sums up to
 * rounding; sketches within their error).
 *
 * Semantics shared by all:
 * - null and missing values are skipped (SQL); only `count` counts records.
 * - "Numbers" are JSON numbers and numbers read from CSV (also `NumText`);
 *   strings are never converted. `sum avg mean stddev var median pNN` skip
 *   non-numbers.
 * - `min`/`max` order every non-null value: numbers numerically, and below
 *   every non-number; non-numbers (strings, booleans, objects) by their text
 *   (code-unit order). So a column of numbers gives the numeric min/max, a
 *   column of strings the textual one, and a mixed column gives the smallest
 *   number as min and the greatest string as max. Ties keep the first value.
 * - Values kept (min, max, first, last, collect, distinct keys) are copied
 *   off the input chunk (see `detach`); NumText values are kept, so
 *   `first` of a CSV cell `1.50` is written `1.50`.
 * - `first`, `last` and `collect` order values by their input position
 *   (`pos`, given by the plan: see `POS_PART`), not by the order of merges,
 *   so merging partials of any split in any order gives one pass's answer.
 *
 * Partial state (`toState`/`fromState`, format version 1, man page PARTIAL
 * STATE; values and numbers encoded as in src/state/codec.ts):
 *   count, count(f)     N
 *   sum, avg, mean      {"n":N,"i":"EXACT INTEGER SUM","nf":N,"s":S,"c":C}
 *                       (integers summed exactly; other numbers by Neumaier's
 *                       compensated sum S + C; with "k":64, S and C are times
 *                       2^-64: the running sum passed the largest double)
 *   var, stddev         {"n":N,"mean":M,"m2":M2} (Welford; Chan et al. to merge),
 *                       plus "i1":"ΣX","i2":"ΣX²" (exact) while all are integers
 *   min, max            V (null when empty)
 *   first, last         {"v":V,"p":POS} (null when empty)
 *   distinct            ["TEXT", ...]
 *   approx_distinct     see hll.ts
 *   collect             {"v":[V,...],"p":[POS,...]}
 *   median, pNN         see quantile.ts (null for the second and later
 *                       percentiles of one field, which share the first's)
 */
export { keep } from './keep.js';
export { CountAll, CountField, reportNonFinite, Sum, Avg, Variance } from './acc-moments.js';
export { MinMax, First, Last, Percentile } from './acc-order.js';
export { Distinct, ApproxDistinct, Collect } from './acc-sets.js';
