/**
 * SIGINT and SIGTERM from the first moment (SPEC §5: sluice stops reading,
 * closes every open window and aggregate, writes them and exits 130 / 143).
 *
 * bin/sluice.js installs the catcher before it loads the rest of sluice
 * (loading takes a few hundred milliseconds on a busy machine, during which
 * Node's default action would kill the process with no results). A signal
 * that arrives before the runner listens is kept and handed to the runner as
 * soon as it subscribes. The status a signal implies wins over a success
 * status however late the signal comes (`signalStatus`), so a signal that
 * arrives together with the end of input still exits 130. A second signal
 * after the runner has begun to close everything exits at once.
 */

let installed = false;
let received: NodeJS.Signals | undefined;
let pending: NodeJS.Signals | undefined;
let handler: ((sig: NodeJS.Signals) => void) | undefined;
let handled = 0;

function onSignal(sig: NodeJS.Signals): void {
  received ??= sig;
  if (handler) {
    if (handled++ > 0) process.exit(statusOf(sig));
    handler(sig);
  } else pending ??= sig;
}

function statusOf(sig: NodeJS.Signals): number {
  return sig === 'SIGINT' ? 130 : 143;
}

/** Catch SIGINT and SIGTERM from now on (idempotent). */
export function installSignalCatcher(): void {
  if (installed) return;
  installed = true;
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * Subscribe the runner: `fn` runs for the first signal (at once, on the next
 * turn, when one came before). Returns the unsubscribe function.
 */
export function subscribeSignals(fn: (sig: NodeJS.Signals) => void): () => void {
  installSignalCatcher();
  handler = fn;
  handled = 0;
  if (pending !== undefined) {
    const sig = pending;
    pending = undefined;
    handled = 1;
    setImmediate(() => {
      if (handler === fn) fn(sig);
    });
  }
  return () => {
    if (handler === fn) handler = undefined;
  };
}

/**
 * The exit status for a run that would otherwise exit with `code`: 130 / 143
 * when a signal was received and the run did not fail (`code` 0), else `code`.
 */
export function signalStatus(code: number): number {
  return code === 0 && received !== undefined ? statusOf(received) : code;
}
