/**
 * The time calls of the expression language, `time(v[, format[, zone]])` and
 * `strftime(t, format[, zone])` (compiled by compile.ts): converters come
 * from the time module (time/zone.ts), compiled once for constant arguments.
 */
import { UsageError } from '../engine/errors.js';
import { textOf } from '../engine/values.js';
import { compileStrftimeIn, compileTimeIn } from '../time/zone.js';
import { errorAt } from './lexer.js';
import type { Node } from './parser.js';
import { EMPTY, type Compiled, type Fn } from './compiled.js';

/**
 * `time(v[, format[, zone]])`: a constant format is compiled once (a bad string literal is a usage error with a caret).
 * @param verb the verb, for messages
 * @param text the expression text, for the caret
 * @throws UsageError for a bad constant format or zone given as a string literal
 */
export function timeFn(verb: string, text: string, n: Extract<Node, { k: 'call' }>, fs: Fn[], args: Compiled[]): Fn {
  return zonedFn(verb, text, n, fs, args, (fmt, zone) => compileTimeIn(fmt ?? 'auto', zone, `${verb}: time()`), 'auto');
}

/**
 * `strftime(t, format[, zone])`: t as ISO text, epoch s or epoch ms (the auto
 * rule); t given by a call of time() or now() is epoch ms whatever its size
 * (strftime(time("1971-06-01"), ...) read 44582400000 as seconds: year 3382).
 * @throws UsageError for a bad constant format or zone given as a string literal
 */
export function strftimeFn(verb: string, text: string, n: Extract<Node, { k: 'call' }>, fs: Fn[], args: Compiled[]): Fn {
  const input = givesEpochMs(n.args[0]) ? 'epoch-ms' : 'auto';
  return zonedFn(verb, text, n, fs, args, (fmt, zone) => compileStrftimeIn(fmt!, zone, `${verb}: strftime()`, input), null);
}

/** True when `n` is a call of time() or now(), whose value is epoch milliseconds. */
export function givesEpochMs(n: Node | undefined): boolean {
  return n !== undefined && n.k === 'call' && (n.name === 'time' || n.name === 'now');
}

/**
 * `time(v[, format[, zone]])` and `strftime(t, format[, zone])`: the
 * converter is compiled once when format and zone are constant (a bad
 * string literal is a usage error with a caret), else per distinct
 * (format, zone) of the records, where a bad one gives null.
 */
function zonedFn(
  verb: string,
  text: string,
  n: Extract<Node, { k: 'call' }>,
  fs: Fn[],
  args: Compiled[],
  make: (fmt: string | null, zone: string | null) => (v: unknown) => unknown,
  dflt: string | null,
): Fn {
  const vf = fs[0]!;
  const rest = args.slice(1);
  if (rest.every((a) => a.konst)) {
    const fmt = fs.length > 1 ? fs[1]!(EMPTY) : dflt;
    const zone = fs.length > 2 ? fs[2]!(EMPTY) : null;
    if (fmt === null || (fs.length > 2 && zone === null)) return () => null;
    let conv: (v: unknown) => unknown;
    try {
      conv = make(textOf(fmt), zone === null ? null : textOf(zone));
    } catch (e) {
      if (e instanceof UsageError) {
        const bad = /time zone/.test(e.message) ? 2 : 1;
        if (isStringLit(n.args[bad])) throw errorAt(verb, text, n.args[bad]!.pos, bad === 2 ? e.message.replace(/^[^:]*: [^:]*: /, '') : timeMessage(e.message));
      }
      return () => null;
    }
    return (rec) => {
      const v = vf(rec);
      return v === null ? null : conv(v);
    };
  }
  const cache = new Map<string, ((v: unknown) => unknown) | null>();
  return (rec) => {
    const v = vf(rec);
    const f = fs.length > 1 ? fs[1]!(rec) : dflt;
    const z = fs.length > 2 ? fs[2]!(rec) : null;
    if (v === null || f === null || (fs.length > 2 && z === null)) return null;
    const ft = textOf(f)!;
    const zt = z === null ? null : textOf(z)!;
    const key = `${ft}\u0000${zt ?? ''}`;
    let conv = cache.get(key);
    if (conv === undefined) {
      try {
        conv = make(ft, zt);
      } catch {
        conv = null;
      }
      if (cache.size >= 64) cache.clear();
      cache.set(key, conv);
    }
    return conv === null ? null : conv(v);
  };
}

function isStringLit(n: Node | undefined): boolean {
  return n !== undefined && n.k === 'lit' && typeof n.v === 'string';
}

/** The time module's message for a bad pattern, fitted after `VERB: `. */
function timeMessage(m: string): string {
  return m.startsWith('time format') ? m : `bad time format: ${m}`;
}
