/**
 * The one small interface behind the three window kinds, and what they share
 * with the window stage (stage.ts) that drives them.
 *
 * The stage reads each record's time (or the wall clock), keeps the timers and
 * the late-record accounting, and queues output; a kind decides which windows
 * a record belongs to, when they close, and what it must keep meanwhile:
 *
 * | file          | kind                  | state it keeps                                   |
 * |---------------|-----------------------|--------------------------------------------------|
 * | time-kind.ts  | tumbling and sliding  | the next window end, the end of the latest window with data (records are never held: a window is a function of the time) |
 * | session.ts    | session               | the open sessions per `--by` key (bounds, and alone: their records) |
 * | count.ts      | count                 | per `--by` key with an open window: records seen, its open windows' ids |
 *
 * Every kind keeps the watermark rule of SPEC §4.1 through `WindowEnv.clock`
 * (the largest time seen minus `--lateness`), and tells downstream about a
 * window closing in one of two ways: by `next.watermark(ms)` (time windows,
 * whose bounds any stage can compute from the time) or, for session and
 * count windows consumed by `agg`, by `WindowConsumer.closed`.
 */
import type { Rec, Stage } from '../engine/types.js';
import type { WindowSpec } from './spec.js';

/**
 * One window kind: assignment of records to windows, closing, and the state
 * for checkpoints. All times are epoch milliseconds.
 */
export interface WindowKindOps {
  /**
   * Place a record whose time is `ts` in its windows: tag it (before `agg`),
   * queue its copies with their bounds (alone), or hold it (alone, sessions).
   * A record whose every window has closed goes to `env.late` instead.
   * Moves the watermark to `ts - lateness` when that is later.
   */
  add(rec: Rec, ts: number): void;
  /** Time has reached `c` (event time minus lateness, or the wall clock): close what is due. */
  advance(c: number): void;
  /** The watermark at which the next open window closes; Infinity when none is open. */
  nextClose(): number;
  /** End of input or a signal: close every open window, in output order. */
  end(): void;
  /** This kind's state as a JSON-serialisable value (between batches only). */
  snapshot(): unknown;
  /**
   * Load a state written by `snapshot` of the same spec (before any input).
   * @throws Error (with a short reason) on a state of another shape
   */
  restore(state: unknown): void;
}

/** The watermark and the largest time seen, shared by the stage and its kind. */
export interface WindowClock {
  /** The watermark: no window ending at or before it is open (session windows: before it). */
  wm: number;
  /** The largest event time seen. */
  maxTs: number;
  /**
   * Note event time `ts` of a record (updates maxTs); returns the event time
   * the watermark may follow: `ts`, or with several followed sources the
   * smallest of their largest times (sources.ts).
   */
  observe(ts: number): number;
}

/** What the stage gives its kind. */
export interface WindowEnv {
  readonly spec: WindowSpec;
  /** The windowed aggregation downstream, or null when `window` stands alone. */
  readonly consumer: WindowConsumer | null;
  /** The stage after `window` (the consumer itself, or record-wise verbs before it). */
  readonly next: Stage;
  readonly clock: WindowClock;
  /** A late record with time `ts`: counted, written to `--late-output`, left out. */
  late(rec: Rec, ts: number): void;
  /** Queue a record for `next` (alone). */
  emit(rec: Rec): void;
  /**
   * Queue a tagged record for the consumer. Until the consumer confirms that
   * tags arrive, records of different assignments (`sig`) go in separate
   * pushes, with `val` on the side channel (see WindowConsumer.side).
   */
  pushTagged(rec: Rec, sig: unknown, val: unknown): void;
  /** Push what is queued to `next` (before a watermark or a close is told). */
  flush(): void;
  /** `-j` by key partitions: whether this thread writes the windows of a `--by` key (PipelineContext.ownsKey); null: every key. */
  readonly owns: ((key: string) => boolean) | null;
}

/**
 * An open session window of one `--by` key: `[start, end)` where end is the
 * last event time plus the gap. When a record bridges two sessions they merge:
 * the later-starting one points to the earlier via `mergedInto`.
 */
export interface Session {
  start: number;
  end: number;
  /** The `--by` key text. */
  readonly key: string;
  /** Creation order of its oldest part (ties in the output order: first appearance). */
  seq: number;
  mergedInto: Session | null;
  closed: boolean;
  /** Alone: the records held until the session closes, and their arrival numbers. */
  recs: Rec[] | null;
  seqs: number[] | null;
  /** For the windowed aggregation's per-session state. */
  agg: unknown;
}

/**
 * The count windows of one `--by` key while it has an open window (count.ts):
 * its records are numbered 0, 1, 2, ... in arrival order; its window number
 * `j` holds records `[j·M, j·M + N)`. Dropped once its last open window
 * closes (a key that comes back starts a new series).
 */
export interface CountSeries {
  /** The `--by` key text. */
  readonly key: string;
  /** For the windowed aggregation's state of this series (its panes). */
  agg: unknown;
}

/**
 * The tag of a record in count windows before `agg`: its series and its pane,
 * records `[idx·P, (idx + 1)·P)` of the series, P = gcd(N, M). Windows are
 * unions of whole panes, so the aggregation adds a record once, to its pane.
 */
export interface CountPane {
  readonly series: CountSeries;
  readonly idx: number;
}

/** A count window, as told to the aggregation when it closes. */
export interface CountWindow {
  /** `window_id`: the window's number in the order windows open, over all keys (0, 1, 2, ...). */
  readonly id: number;
  readonly series: CountSeries;
  /** The series number of its first record (j·M): it holds the series' records `[first, first + N)`. */
  readonly first: number;
}

/**
 * A windowed aggregation downstream, told directly about what the watermark
 * cannot say: session merges, and the closing of session and count windows.
 * Calls come after every record tagged for those windows has been pushed.
 */
export interface WindowConsumer {
  /**
   * The side channel for records that lost their tags on the way (a
   * record-wise verb between window and agg that builds new records without
   * carrying EVENT_TIME / WINDOW_TAG). Until the consumer has seen one tagged
   * record (`confirmed`), the window stage pushes sub-batches whose records
   * share one window assignment and sets `current` to it (the event time of
   * one of them, the session, or the count windows) before each push;
   * record-wise stages pass records on synchronously, so the consumer can read
   * it for an untagged record.
   */
  readonly side: WindowSideChannel;
  /** `from` was merged into `into` (both open sessions of one key). */
  sessionMerged(into: Session, from: Session): void;
  /** These windows closed, in output order (end, then start; count windows in closing order). */
  closed(windows: readonly (Session | CountWindow)[]): void;
  /**
   * For checkpoints of session and count windows, whose aggregation state
   * hangs on the objects the window stage owns (a session, a count series):
   * the consumer's state of one (JSON-serialisable; undefined when it holds
   * none), put into the window stage's snapshot beside it.
   */
  windowState?(w: Session | CountSeries): unknown;
  /** The inverse, when the window stage restores window `w`. @throws Error on a malformed state */
  restoreWindow?(w: Session | CountSeries, state: unknown): void;
}

/** See WindowConsumer.side. */
export interface WindowSideChannel {
  current: unknown;
  confirmed: boolean;
}

/** The session a (possibly merged) session now belongs to, with path compression. */
export function sessionRoot(s: Session): Session {
  let r = s;
  while (r.mergedInto !== null) r = r.mergedInto;
  while (s.mergedInto !== null && s.mergedInto !== r) {
    const n = s.mergedInto;
    s.mergedInto = r;
    s = n;
  }
  return r;
}
