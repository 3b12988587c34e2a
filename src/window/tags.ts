/**
 * What records carry from `window` to a downstream `agg` (with record-wise
 * verbs between them): `EVENT_TIME` (values.ts) always, and `WINDOW_TAG` for
 * session and count windows, whose bounds are not a function of the time alone.
 */
import type { Rec } from '../engine/types.js';
import { EVENT_TIME } from '../engine/values.js';

/**
 * The window a record belongs to, for session windows (the `Session` it joined,
 * see stage.ts) and count windows (the `CountPane` holding it: its series and pane).
 * Set only when an `agg` consumes the window.
 */
export const WINDOW_TAG: unique symbol = Symbol('sluice.windowTag');

/**
 * Copy the window symbols (EVENT_TIME, WINDOW_TAG) from a record to a new
 * record built from it. A record-wise verb that replaces records by new objects
 * (rather than changing them in place) must call this, or a downstream windowed
 * `agg` cannot place the new record in its window.
 */
export function carryWindowTags(from: Rec, to: Rec): void {
  const f = from as { [EVENT_TIME]?: unknown; [WINDOW_TAG]?: unknown };
  const t = to as { [EVENT_TIME]?: unknown; [WINDOW_TAG]?: unknown };
  if (f[EVENT_TIME] !== undefined) t[EVENT_TIME] = f[EVENT_TIME];
  if (f[WINDOW_TAG] !== undefined) t[WINDOW_TAG] = f[WINDOW_TAG];
}
