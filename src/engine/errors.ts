/**
 * User-facing errors. Each becomes one line on stderr (`sluice: ...`) and an
 * exit status (SPEC §5); none prints a stack trace.
 */

/** A usage error: bad option, unknown verb, bad expression or duration. Exit status 2, before any input is read. */
export class UsageError extends Error {
  /**
   * @param message one line, without the `sluice: ` prefix (e.g. `filter: unknown function 'lenn'`)
   * @param detail  extra lines shown below it (an expression with a caret under the column)
   */
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Cut text to at most `max` characters for a message, marking the cut. */
export function cut(text: string, max = 200): string {
  return text.length <= max ? text : text.slice(0, max) + '…';
}

/** `stdin:12`, `flights.csv:3`, or just the source when the line is unknown (0). */
export function where(source: string, line: number): string {
  const s = source === '-' ? 'stdin' : source;
  return line > 0 ? `${s}:${line}` : s;
}

/** A malformed input record under `--on-error fail`. Exit status 1. */
export class InputError extends Error {
  /**
   * Records a reader completed before the malformed one in the same chunk:
   * the runner writes them before failing, so output stops exactly at the bad line.
   */
  partial?: Record<string, unknown>[];
  /**
   * @param what   what is wrong (e.g. `malformed NDJSON: Unexpected token`)
   * @param source file name or `-`
   * @param line   1-based line number
   * @param text   the offending text (cut to 200 characters in the message)
   * @param verb   the verb that found it, if not the reader
   */
  constructor(
    readonly what: string,
    readonly source: string,
    readonly line: number,
    readonly text: string,
    readonly verb?: string,
  ) {
    super(`${verb ? verb + ': ' : ''}${what} at ${where(source, line)}: ${cut(text)}`);
    this.name = 'InputError';
  }
}

/** Any other runtime failure the user caused or must know about (unreadable file, failed write). Exit status 1. */
export class RuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeError';
  }
}
