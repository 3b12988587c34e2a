/**
 * User-facing errors. Each becomes one line on stderr (`sluice: ...`) and an
 * exit status (SPEC §5); none prints a stack trace.
 */
import util from 'node:util';

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

/**
 * Escape the control characters of `text` for a message on a terminal
 * (SPEC §5): C0 controls (NUL, BEL, ESC, CR, LF, TAB, ...), DEL and the C1
 * controls U+0080–U+009F become visible escapes (`\n`, `\t`, `\r`, `\x1b`,
 * `\x7f`, `\u009b`), so that text from input can neither repaint nor hijack
 * the terminal. Everything else, printable Unicode included, is kept.
 */
export function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[\x00-\x1f\x7f-\x9f]/.test(text)) return text;
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const n = c.charCodeAt(0);
    return n < 0x80 ? '\\x' + n.toString(16).padStart(2, '0') : '\\u' + n.toString(16).padStart(4, '0');
  });
}

/**
 * A system error in words (SPEC §5: "no space left on device", not ENOSPC):
 * the C library's text for the error's errno (`util.getSystemErrorMap`),
 * lower-cased as `strerror` writes it, or the code when Node gives no errno.
 */
export function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EISDIR') return 'is a directory'; // (libuv says "illegal operation on a directory")
  if (typeof err?.errno === 'number') {
    const m = systemErrors().get(err.errno);
    if (m) return m[1];
  }
  if (err?.code) {
    for (const [, [code, text]] of systemErrors()) if (code === err.code) return text;
    return err.code;
  }
  return err instanceof Error ? err.message : String(e);
}

let errorMap: Map<number, [string, string]> | undefined;
function systemErrors(): Map<number, [string, string]> {
  errorMap ??= util.getSystemErrorMap();
  return errorMap;
}

/** `cannot read flights.csv: permission denied`, `cannot write --errors file x: no space left on device`. */
export function ioError(what: string, path: string, e: unknown): RuntimeError {
  return new RuntimeError(`${what} ${path === '-' ? 'stdin' : path}: ${errnoText(e)}`);
}
