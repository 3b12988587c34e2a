/**
 * The positions of a Two-Stacks queue (Tangwongsan, Hirzel, Schneider 2019),
 * shared by its three layouts: window/twostacks.ts (panes of sliding and
 * count windows), and the frames of `over`, over/frame.ts (a GroupState per
 * element) and over/numframe.ts (float64 slots per element). Elements carry
 * a number that never decreases: a pane index, or for `over` the record's
 * time in epoch ms (`--range`) or its sequence number (`--rows`). The front
 * stack holds the oldest elements (its top, the last array entry, is the
 * oldest); the back stack the newest, in arrival order.
 */
export abstract class PositionStacks {
  /** Positions of the front stack, newest first (the top, oldest, last). */
  protected fPos: number[] = [];
  /** Positions of the back stack, oldest first. */
  protected bPos: number[] = [];

  /** Records held. */
  get length(): number {
    return this.fPos.length + this.bPos.length;
  }

  /** The position of the newest record held, or -Infinity when empty. */
  get newest(): number {
    const nb = this.bPos.length;
    if (nb > 0) return this.bPos[nb - 1]!;
    return this.fPos.length > 0 ? this.fPos[0]! : -Infinity;
  }

  /** Drop the oldest record (the frame must not be empty). */
  evictOldest(): void {
    if (this.fPos.length === 0) this.flip();
    this.popFront();
  }

  /** Drop every record whose position is below `pos`. */
  evictBefore(pos: number): void {
    for (;;) {
      const ft = this.fPos.length - 1;
      if (ft < 0) {
        const nb = this.bPos.length;
        if (nb === 0 || this.bPos[0]! >= pos) return;
        if (this.bPos[nb - 1]! < pos) {
          this.clearBack();
          return;
        }
        this.flip();
        continue;
      }
      if (this.fPos[ft]! >= pos) return;
      this.popFront();
    }
  }

  /** Move the back stack to the front (pushing each position on `fPos`), computing suffix aggregates newest to oldest; then `clearBack`. */
  protected abstract flip(): void;
  /** Empty the back stack (its positions and aggregate). */
  protected abstract clearBack(): void;
  /** Drop the front top: the oldest element and its position. */
  protected abstract popFront(): void;
}
