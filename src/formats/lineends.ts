/**
 * CR-only line ends (old Mac and Excel exports; SPEC §2: "CRLF, LF and CR
 * line ends are accepted").
 *
 * The readers split lines on LF (a CR before it is dropped). A source whose
 * first line end is a CR not followed by LF is read as CR-ended: every CR
 * of it becomes LF before the reader sees it (one character for one, so
 * that checkpoint positions stay byte-exact; a stray CRLF then reads as a
 * line end and a blank line, which the readers skip). Any other source
 * (its first line end is LF or CRLF) passes through untouched, so LF input
 * pays nothing. The first line end decides for the whole source.
 */
import type { Batch, Reader } from '../engine/types.js';

const UNDECIDED = 0;
const LF = 1;
const CR = 2;

/** `r`, reading CR-only line ends as LF (see the module comment). */
export function acceptCrLineEnds(r: Reader): Reader {
  let mode = UNDECIDED;
  /** A CR that ended the last chunk while undecided (is it CRLF?). */
  let held = '';
  const feed = (chunk: string): Batch => {
    if (mode === LF) return r.feed(chunk);
    if (mode === CR) return r.feed(chunk.replaceAll('\r', '\n'));
    if (held !== '') {
      chunk = held + chunk;
      held = '';
    }
    const cr = chunk.indexOf('\r');
    const lf = chunk.indexOf('\n');
    if (lf >= 0 && (cr < 0 || lf <= cr + 1)) {
      mode = LF;
      return r.feed(chunk);
    }
    if (cr < 0) return r.feed(chunk); // no line end yet
    if (cr === chunk.length - 1) {
      held = '\r';
      return r.feed(chunk.slice(0, cr));
    }
    mode = CR;
    return r.feed(chunk.replaceAll('\r', '\n'));
  };
  const wrapped: Reader = {
    feed,
    end(): Batch {
      if (held !== '') {
        // The input ends with its first line end, a CR.
        const last = r.feed('\n');
        held = '';
        const rest = r.end();
        return last.length === 0 ? rest : rest.length === 0 ? last : last.concat(rest);
      }
      return r.end();
    },
  };
  // Checkpoints (Reader.position/resumeAt) pass through, the held CR counted as pending.
  if (r.position) {
    wrapped.position = () => {
      const p = r.position!();
      return p === null || held === '' ? p : { ...p, pending: p.pending + held };
    };
  }
  if (r.resumeAt) wrapped.resumeAt = (line: number, state?: unknown) => r.resumeAt!(line, state);
  return wrapped;
}
