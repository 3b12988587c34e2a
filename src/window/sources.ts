/**
 * Event time per source, for several files followed at once (`--follow`
 * with several `--from`, issue 15): the watermark follows the smallest of
 * the sources' largest event times, leaving out the sources that are idle
 * (no record for `--idle`), as Flink's per-split watermarks with idleness.
 * A source that has not sent a record yet holds the watermark back until it
 * is idle (without `--idle`, until it sends one), so a slow file's records
 * are not made late by a fast one.
 *
 * Cost per record: two comparisons. The smallest of the other sources'
 * times is computed once per batch (every record of a batch comes from one
 * source).
 */

/** See the module comment. */
export class SourceClocks {
  private readonly index = new Map<string, number>();
  private readonly max: number[];
  private readonly last: number[];
  private cur = -1;
  private curMax = -Infinity;
  private othersMin = Infinity;

  /**
   * @param names the followed sources, in order
   * @param idle  `--idle` in milliseconds, or null
   * @param start wall-clock time now (a source is idle `idle` ms after it, without data)
   */
  constructor(
    readonly names: readonly string[],
    private readonly idle: number | null,
    start: number,
  ) {
    names.forEach((n, i) => this.index.set(n, i));
    this.max = names.map(() => -Infinity);
    this.last = names.map(() => start);
  }

  /** A batch from source `name` arrives at wall-clock `now`. */
  begin(name: string, now: number): void {
    const i = this.index.get(name) ?? -1;
    this.cur = i;
    if (i < 0) {
      this.othersMin = Infinity;
      return;
    }
    this.last[i] = now;
    this.curMax = this.max[i]!;
    let m = Infinity;
    for (let j = 0; j < this.max.length; j++) {
      if (j === i) continue;
      if (this.idle !== null && now - this.last[j]! >= this.idle) continue;
      if (this.max[j]! < m) m = this.max[j]!;
    }
    this.othersMin = m;
  }

  /** Event time `ts` from the current source: the event time the watermark may follow. */
  observe(ts: number): number {
    if (ts > this.curMax) this.curMax = ts;
    if (this.cur >= 0) this.max[this.cur] = this.curMax;
    return this.curMax < this.othersMin ? this.curMax : this.othersMin;
  }

  /** For checkpoints: each source's largest event time. */
  snapshot(): Array<[string, number | null]> {
    return this.names.map((n, i) => [n, Number.isFinite(this.max[i]!) ? this.max[i]! : null]);
  }

  /** The inverse of `snapshot` (sources not in it keep nothing); their last arrival is now. */
  restore(state: unknown, now: number): void {
    if (!Array.isArray(state)) throw new Error('source times are not a list');
    for (const e of state) {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || !(e[1] === null || typeof e[1] === 'number')) throw new Error('bad source time');
      const i = this.index.get(e[0]);
      if (i !== undefined) {
        this.max[i] = e[1] === null ? -Infinity : e[1];
        this.last[i] = now;
      }
    }
  }
}
