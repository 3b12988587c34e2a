/**
 * The parsed `window` verb as the rest of the pipeline sees it: a VerbInstance
 * that also carries its spec, and learns at build time whether an `agg`
 * downstream consumes it (agg is built first, since stages are built from the
 * end backwards).
 */
import type { VerbInstance } from '../engine/types.js';
import type { WindowSpec } from './spec.js';
import type { WindowConsumer } from './kind.js';

/** A `window` verb instance. */
export interface WindowVerbInstance extends VerbInstance {
  readonly name: 'window';
  readonly windowSpec: WindowSpec;
  /**
   * Set by `buildWindowedAgg` when an `agg` consumes this window: the window
   * stage then tags records instead of copying them per window, and reports
   * merges and closes of session and count windows to it.
   */
  consumer: WindowConsumer | null;
}

/** True for a `window` verb instance. */
export function isWindowInstance(v: VerbInstance): v is WindowVerbInstance {
  return v.name === 'window' && (v as Partial<WindowVerbInstance>).windowSpec !== undefined;
}
