/**
 * Record ends in the bytes of a stream that `-j N` deals out (deal.ts):
 * where a batch may be cut so that no record is split between two threads.
 * NDJSON and TSV end a record at every newline; CSV at a newline outside
 * quotes, by the CSV reader's own quote rules (formats/csv.ts).
 */

const QUOTE = 0x22;
/** Line feed and carriage return bytes. */
export const LF = 0x0a;
export const CR = 0x0d;
/** CSV quote states (formats/csv.ts): outside quotes, inside, inside just after a quote. */
const OUT = 0;
const IN = 1;
const AFTER_QUOTE = 2;

/**
 * Finds record ends in CSV bytes fed in order, with the CSV reader's rules
 * (formats/csv.ts `scan`): a quote opens a quoted field only at the start of
 * a field (after the delimiter or a newline), `""` inside quotes is a quote,
 * a record ends at a newline outside quotes. Bytes work as characters here:
 * quote, newline and the (ASCII) delimiter never occur inside a multi-byte
 * UTF-8 sequence.
 */
export class CsvCutter {
  private st = OUT;
  private prev = LF;
  constructor(private readonly delim: number) {}

  /**
   * Scan `b` (the next bytes of the input); return the index in `b` just
   * after its last record end, or -1 when it holds none.
   * @param first stop at the first record end (the state is then that of just after it)
   */
  scan(b: Uint8Array, first = false): number {
    const L = b.length;
    let st = this.st;
    let p = 0;
    let last = -1;
    let prevAtFrom = this.prev;
    if (st === AFTER_QUOTE && p < L) {
      if (b[p] === QUOTE) {
        st = IN;
        p++;
      } else {
        st = OUT;
        prevAtFrom = QUOTE;
      }
    }
    while (p < L) {
      if (st === OUT) {
        const q = b.indexOf(QUOTE, p);
        if (first) {
          const nl = b.indexOf(LF, p);
          if (nl >= 0 && (q < 0 || nl < q)) {
            this.st = OUT;
            this.prev = LF;
            return nl + 1;
          }
        }
        if (q < 0) {
          const nl = b.lastIndexOf(LF);
          if (nl >= p) last = nl;
          break;
        }
        if (q > p) {
          const nl = b.lastIndexOf(LF, q - 1);
          if (nl >= p) last = nl;
        }
        const pc = q > 0 ? b[q - 1] : prevAtFrom;
        if (pc === this.delim || pc === LF) st = IN;
        p = q + 1;
      } else {
        const q = b.indexOf(QUOTE, p);
        if (q < 0) break;
        if (q + 1 >= L) {
          st = AFTER_QUOTE;
          break;
        }
        if (b[q + 1] === QUOTE) p = q + 2;
        else {
          st = OUT;
          p = q + 1;
        }
      }
    }
    this.st = st;
    if (L > 0) this.prev = b[L - 1]!;
    return last < 0 ? -1 : last + 1;
  }
}

/** Where a stream's record ends are found: `scan` as for CsvCutter. */
export interface Cutter {
  scan(b: Uint8Array, first?: boolean): number;
}

/** NDJSON and TSV: a record ends at every newline. */
export const lineCutter: Cutter = {
  scan(b, first = false) {
    const i = first ? b.indexOf(LF) : b.lastIndexOf(LF);
    return i < 0 ? -1 : i + 1;
  },
};

/**
 * Whether a CSV/TSV header line (with its line end) names a column with an
 * integer-like name (`1`, `42`: an array index, which a JavaScript object
 * enumerates before its other names). One thread writes an unchanged record
 * to CSV or TSV in its header's column order; the NDJSON the `-j` ranges hand
 * over is an object's order (`1,2,time` for the header `time,2,1`), so such
 * a run goes to one thread (WorkerInit.headerOrder). A quoted name counts
 * without its quotes; a false alarm only costs the split.
 */
export function intNamedHeader(header: string, delimiter: string): boolean {
  for (const cell of header.replace(/\r?\n$/, '').split(delimiter)) {
    const name = cell.length >= 2 && cell.startsWith('"') && cell.endsWith('"') ? cell.slice(1, -1) : cell;
    if (/^(0|[1-9]\d{0,9})$/.test(name) && Number(name) < 4294967295) return true;
  }
  return false;
}
