/**
 * strftime patterns, as both the parser (parse.ts) and the formatter
 * (format.ts) read them: the directives, their expansion, and the English
 * month and weekday names.
 */
import { UsageError } from '../engine/errors.js';

/** Month names, January first (and lower-cased for matching). */
export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
export const MONTHS_LOWER = MONTHS.map((m) => m.toLowerCase());
/** Weekday names, Sunday first (and lower-cased for matching). */
export const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
export const DAYS_LOWER = DAYS.map((d) => d.toLowerCase());

/**
 * The directives a pattern may use (for parsing and formatting):
 * `%Y` year (4 digits), `%y` 2-digit year (69–99 → 19xx, else 20xx), `%m` month,
 * `%d` day, `%e` space-padded day, `%j` day of year, `%H` hour 0–23, `%I` hour 1–12,
 * `%p` AM/PM, `%M` minute, `%S` second, `%f` fraction of a second (formatted as
 * 6 digits, microseconds; parsed as 1–9 digits), `%z` zone (`+0000`; parsed: `Z`,
 * `±HH`, `±HHMM`, `±HH:MM`), `%Z` `UTC` (parsed: `UTC`, `GMT` or `Z`), `%b`/`%h`
 * month abbreviation, `%B` month name, `%a` weekday abbreviation, `%A` weekday
 * name, `%s` epoch seconds, `%T` = `%H:%M:%S`, `%F` = `%Y-%m-%d`, `%D` = `%m/%d/%y`,
 * `%%` a percent sign.
 */
export const TIME_DIRECTIVES = 'YymdejHIpMSfzZbhBaAsTFD%';

/** Expand the composite directives %T, %F, %D and check every directive; returns the tokens. */
export function tokenize(format: string): Array<{ lit: string } | { dir: string }> {
  const out: Array<{ lit: string } | { dir: string }> = [];
  let lit = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%') {
      lit += c;
      continue;
    }
    const dch = format[i + 1];
    if (dch === undefined) throw new UsageError(`time format '${format}': a lone % at the end (write %% for a percent sign)`);
    i++;
    if (!TIME_DIRECTIVES.includes(dch)) {
      throw new UsageError(`time format '${format}': unknown directive %${dch} (known: ${[...TIME_DIRECTIVES].map((x) => '%' + x).join(' ')})`);
    }
    if (dch === '%') {
      lit += '%';
      continue;
    }
    if (lit) out.push({ lit });
    lit = '';
    if (dch === 'T') out.push({ dir: 'H' }, { lit: ':' }, { dir: 'M' }, { lit: ':' }, { dir: 'S' });
    else if (dch === 'F') out.push({ dir: 'Y' }, { lit: '-' }, { dir: 'm' }, { lit: '-' }, { dir: 'd' });
    else if (dch === 'D') out.push({ dir: 'm' }, { lit: '/' }, { dir: 'd' }, { lit: '/' }, { dir: 'y' });
    else out.push({ dir: dch });
  }
  if (lit) out.push({ lit });
  return out;
}
