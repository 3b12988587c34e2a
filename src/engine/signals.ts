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
 * exits at once, whether or not a runner has begun to close everything (a
 * run that cannot end in order, or a process between runs, is never left
 * immune to SIGTERM). Several runners may listen at once (with `-j`, the
 * split run and the main thread's verbs): each is told.
 */

let installed = false;
let received: NodeJS.Signals | undefined;
let pending: NodeJS.Signals | undefined;
const handlers = new Set<(sig: NodeJS.Signals) => void>();
let signals = 0;

function onSignal(sig: NodeJS.Signals): void {
  received ??= sig;
  if (signals++ > 0) process.exit(statusOf(sig));
  if (handlers.size > 0) for (const h of [...handlers]) h(sig);
  else pending ??= sig;
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
  handlers.add(fn);
  if (pending !== undefined) {
    const sig = pending;
    pending = undefined;
    setImmediate(() => {
      if (handlers.has(fn)) fn(sig);
    });
  }
  return () => {
    handlers.delete(fn);
  };
}

/**
 * Hand `sig`, which a runner took and could not act on, to the next runner
 * that subscribes (as a signal that came before any runner listened).
 */
export function deferSignal(sig: NodeJS.Signals): void {
  pending ??= sig;
}

/**
 * The exit status for a run that would otherwise exit with `code`: 130 / 143
 * when a signal was received and the run did not fail (`code` 0), else `code`.
 */
export function signalStatus(code: number): number {
  return code === 0 && received !== undefined ? statusOf(received) : code;
}

/**
 * Run `fn`, a synchronous call that may block in the kernel until another
 * process acts (opening a FIFO whose other end nobody has opened yet), with
 * SIGINT and SIGTERM at their default action, so that they still end the
 * process at once: while the main thread is blocked no handler of ours can
 * run, and a signal it had caught was never acted on (`sluice join FIFO`
 * with no writer ignored both). For calls made before any input is read:
 * nothing is lost when the signal ends the process there, as `tee FIFO`
 * would be ended.
 */
export function withDefaultSignals<T>(fn: () => T): T {
  if (!installed) return fn();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  try {
    return fn();
  } finally {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
}
