/**
 * CSV and TSV reader (RFC 4180 quoting for both; the writer is csv-writer.ts,
 * what both share csv-header.ts; the records of rows without quotes are built
 * by csv-row.ts, rows with quotes go to csv-parse through csv-quoted.ts).
 *
 * Reader: each chunk is cut at the end of its last complete record (a newline
 * outside quotes, found by jumping from quote to quote with `indexOf`), and
 * the rest of the chunk is carried to the next one. A block of whole records
 * without any quote character is split on `\n` and the delimiter (the fast
 * path: per header, a compiled RowBuilder cuts, types and builds each record).
 * In a block with quotes, the records that hold a quote are parsed by
 * csv-parse (`csv-parse/sync`, the CSV parser of record; loaded on first
 * use), runs of consecutive ones in one call, and the others take the fast
 * path. Differential property tests check that the fast path, and blocks that
 * mix both, give the same records, RAW texts, line numbers and rejections as
 * csv-parse alone.
 */
import type { Batch, ErrorSink, Rec, Reader } from '../engine/types.js';
import { InputError, RuntimeError } from '../engine/errors.js';
import { setLine, setRaw, typeCell } from '../engine/values.js';
import { FieldMatcher, type FieldSelection } from './fields.js';
import { CSV_HEADER, type CsvHeader, checkDelimiter, makeHeader, unescapeTsv } from './csv-header.js';
import { type RowBuilder, compileRow, directRow } from './csv-row.js';
import { csvParse, csvReason, recordEnds } from './csv-quoted.js';
import { DEFAULT_MAX_LINE_BYTES, OVERLONG_TEXT_CHARS, collectRecords, isPair, countNewlines, longerThan, overlongMessage } from './common.js';

/** Options of the CSV/TSV reader. */
export interface CsvReaderOptions {
  /** Source name for messages (`-` for stdin). */
  source: string;
  /** Where rejected rows go (with source, line number and reason). */
  errors: ErrorSink;
  /** Field delimiter: one character, not a quote, CR or LF. */
  delimiter: string;
  /** No header row: fields are named `1`, `2`, ...; the first row fixes the number of fields. */
  noHeader?: boolean;
  /** A record longer than this many UTF-8 bytes is malformed. Default 64 MiB. */
  maxLineBytes?: number;
  /** Tests only: never take the no-quote fast path (for the differential test). */
  forceCsvParse?: boolean;
  /**
   * `tsv`: TSV's own rules (no quoting; `\t`, `\n`, `\r`, `\\` escapes in
   * cells; messages say TSV). `csvlite`: CSV where a blank line followed by a
   * new header starts a new block (Miller's CSV-lite). Default `csv`.
   */
  dialect?: 'csv' | 'tsv' | 'csvlite';
  /** Strict RFC 4180: a quote inside an unquoted field is an error (default: a literal character). */
  strictQuotes?: boolean;
  /** Stamp records with their line number (symbol LINE). */
  lineNumbers?: boolean;
  /**
   * Decode only these fields (ReaderOptions.fields): rows read on the fast
   * path (no quotes, no TSV escapes) count the other cells without typing
   * them, and their records hold the selected fields only; other rows are
   * read in full (a superset is always correct). Absent: every field.
   */
  fields?: FieldSelection;
}



const OUT = 0;
const IN = 1;
/** Inside quotes, and the last character seen was a quote: closing, or the first half of `""`. */
const AFTER_QUOTE = 2;
const NL = 10;
const CR = 13;
const QUOTE = 34;


/**
 * CSV/TSV reader (SPEC §2). Quoted fields may span lines; `""` is a quote
 * inside a quoted field; a quote opens a quoted field only at the start of a
 * field. Records end at LF or CRLF outside quotes (a lone CR is data). A UTF-8
 * BOM at the start of the source is ignored.
 *
 * - The first row is the header (field names as-is, `__proto__` included);
 *   a duplicate name is a RuntimeError.
 * - A blank line ends a block: the next row is a new header (the schema change
 *   blocks the CSV writer makes; Miller's CSV-lite convention). With
 *   `noHeader` blank lines are skipped.
 * - A row whose number of fields differs from the header's is rejected
 *   (`malformed CSV: N fields, the header has M`), as is a row with a quote
 *   error (text after a closing quote, a quote inside an unquoted field, an
 *   unterminated quote at end of input: then only the row's first line is
 *   rejected and reading resumes on the next line), or one longer than
 *   `maxLineBytes` (reading resumes after that record, following its quotes).
 * - Cells are typed by `typeCell`; each record keeps its row text as RAW and
 *   its header under `CSV_HEADER`.
 */
export class CsvReader implements Reader {
  private readonly source: string;
  private readonly errors: ErrorSink;
  private readonly delim: string;
  private readonly delimCode: number;
  private readonly noHeader: boolean;
  private readonly max: number;
  private readonly forceCsvParse: boolean;
  private readonly parseOpts: { delimiter: string; relax_column_count: true; record_delimiter: string[]; relax_quotes: boolean };
  /** TSV rules: no quoting, backslash escapes. */
  private readonly tsv: boolean;
  /** CSV-lite: a blank line starts a new block with its own header. */
  private readonly lite: boolean;
  /** `CSV` or `TSV`, for messages. */
  private readonly kind: string;

  /** The unfinished record carried from earlier chunks (starts at a record start). */
  private carry = '';
  private carryHasQuote = false;
  /** UTF-8 size of `carry` once it is long enough to be measured, else -1. */
  private carryBytes = -1;
  /** The last code unit of `carry` (read from the chunk it came from: reading the grown string would flatten it). */
  private lastCode = 0;
  /** Quote state at the end of `carry`. */
  private qstate = OUT;
  /** Char code before the end of `carry` (newline at a record start). */
  private prevCh = NL;
  /** Lines completed before `carry` (its first line is `line + 1`). */
  private line = 0;
  private atStart = true;
  /** Discarding an overlong record up to the next newline. */
  private skipping = false;

  private header: CsvHeader | undefined;
  private names: readonly string[] = [];
  private protoAt = -1;
  /** The compiled RowBuilder of the current header (undefined before one, or when it is too wide). */
  private build: RowBuilder | undefined;
  private needHeader: boolean;
  private readonly lineNumbers: boolean;
  /** The selected fields (CsvReaderOptions.fields), or undefined for every field. */
  private readonly keep: FieldMatcher | undefined;

  constructor(opts: CsvReaderOptions) {
    checkDelimiter(opts.delimiter);
    this.source = opts.source;
    this.errors = opts.errors;
    this.delim = opts.delimiter;
    this.delimCode = opts.delimiter.charCodeAt(0);
    this.noHeader = opts.noHeader ?? false;
    this.needHeader = !this.noHeader;
    this.max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.forceCsvParse = opts.forceCsvParse ?? false;
    this.lineNumbers = opts.lineNumbers ?? false;
    this.keep = opts.fields !== undefined ? new FieldMatcher(opts.fields) : undefined;
    this.parseOpts = { delimiter: opts.delimiter, relax_column_count: true, record_delimiter: ['\r\n', '\n'], relax_quotes: !(opts.strictQuotes ?? false) };
    const dialect = opts.dialect ?? 'csv';
    this.tsv = dialect === 'tsv';
    this.lite = dialect === 'csvlite';
    this.kind = this.tsv ? 'TSV' : 'CSV';
  }

  /**
   * For checkpoints (Reader.position): the unfinished record's text, the lines
   * completed, and the header state (`{h: [names, raw] | null, need}`: the
   * header read at the start of the file, or of the current CSV-lite block);
   * null while skipping an overlong record.
   */
  position(): { pending: string; line: number; state: unknown } | null {
    if (this.skipping) return null;
    const h = this.header;
    return { pending: this.carry, line: this.line, state: { h: h === undefined ? null : [h.names, h.raw], need: this.needHeader } };
  }

  /**
   * For checkpoints (Reader.resumeAt): go on after `line` lines, mid-file, under
   * the header saved by `position` (the header row is not looked for again).
   * @throws Error on a state `position` cannot have written
   */
  resumeAt(line: number, state?: unknown): void {
    this.line = line;
    this.atStart = false;
    if (state === undefined) return;
    const o = state as { h?: unknown; need?: unknown } | null;
    const h = o?.h;
    if (o === null || typeof o.need !== 'boolean' || (h !== null && !(Array.isArray(h) && h.length === 2 && Array.isArray(h[0]) && h[0].every((n) => typeof n === 'string') && typeof h[1] === 'string'))) {
      throw new Error(`not a ${this.kind} reader state`);
    }
    if (h !== null) {
      const names = h[0] as string[];
      this.setHeader(names, h[1] as string);
    }
    this.needHeader = o.need;
  }

  /** The field names of the current header (after the header row was read), else undefined. */
  get fieldNames(): readonly string[] | undefined {
    return this.header?.names;
  }

  /** Reader.feed: the records of the rows this chunk completes. @throws RuntimeError for a duplicate header name */
  feed(chunk: string): Batch {
    return collectRecords((out) => this.feedInto(chunk, out));
  }

  /** Reader.end: the records of the rows left at end of input (an unterminated quote rejects its first line). */
  end(): Batch {
    return collectRecords((out) => this.endInto(out));
  }

  /** `feed`, adding the records to `out` (so that those before a fatal malformed record reach InputError.partial). */
  private feedInto(chunk: string, out: Rec[]): void {
    if (chunk.length === 0) return;
    if (this.atStart) {
      this.atStart = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    let from = 0;
    if (this.skipping) {
      // Discard the rest of an overlong record, following its quotes to its end.
      const end = this.scan(chunk, 0, true);
      if (end < 0) {
        this.line += countNewlines(chunk);
        return;
      }
      this.line += countNewlines(chunk, 0, end + 1);
      this.skipping = false;
      from = end + 1;
    }
    if (from >= chunk.length) return;
    const q0 = this.tsv ? -1 : chunk.indexOf('"', from);
    let last: number;
    if (q0 < 0 && this.qstate === OUT) {
      last = chunk.lastIndexOf('\n');
      if (last < from) last = -1;
      this.prevCh = chunk.charCodeAt(chunk.length - 1);
    } else {
      last = this.scan(chunk, from);
    }
    if (last < 0) {
      const part = from === 0 ? chunk : chunk.slice(from);
      this.carry += part;
      if (q0 >= 0) this.carryHasQuote = true;
      this.checkCarry(part);
      return;
    }
    const blockHasQuote = this.carryHasQuote || (q0 >= 0 && q0 < last);
    const carried = this.carry;
    this.carry = last + 1 < chunk.length ? chunk.slice(last + 1) : '';
    this.carryBytes = -1;
    this.carryHasQuote = q0 >= 0 && chunk.lastIndexOf('"') > last;
    if (carried === '') {
      this.processBlock(chunk.slice(from, last + 1), blockHasQuote, out);
    } else if (!blockHasQuote) {
      // Without quotes the carried record ends at the chunk's first newline: read it
      // on its own, so that the rest of the chunk is not copied into a new string.
      const nl = chunk.indexOf('\n', from);
      this.processBlock(carried + chunk.slice(from, nl + 1), false, out);
      if (nl < last) this.processBlock(chunk.slice(nl + 1, last + 1), false, out);
    } else {
      this.processBlock(carried + chunk.slice(from, last + 1), true, out);
    }
    if (this.carry !== '') this.checkCarry(this.carry);
  }

  private endInto(out: Rec[]): void {
    if (this.skipping) {
      this.skipping = false;
      return;
    }
    while (this.carry !== '') {
      let text = this.carry;
      const unterminated = this.qstate === IN;
      const hasQuote = this.carryHasQuote;
      this.carry = '';
      this.carryBytes = -1;
      this.carryHasQuote = false;
      this.qstate = OUT;
      this.prevCh = NL;
      if (!unterminated) {
        if (text.charCodeAt(text.length - 1) === CR) text = text.slice(0, -1);
        this.processBlock(text, hasQuote, out);
        break;
      }
      // An unterminated quote: reject the record's first line, read on from the next.
      const nl = text.indexOf('\n');
      const first = nl < 0 ? text : text.slice(0, nl > 0 && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl);
      this.errors.reject(this.source, this.line + 1, `malformed ${this.kind}: unterminated quoted field`, first);
      if (nl < 0) break;
      this.line++;
      this.feedInto(text.slice(nl + 1), out);
    }
  }

  /**
   * Scan `s` from `from` with the carried quote state; return the index of the
   * last newline outside quotes (a record end), or with `first` the first
   * one, or -1. Updates the state to the end of `s` (with `first` and a record
   * end found: to just after it).
   */
  private scan(s: string, from: number, first = false): number {
    const L = s.length;
    let st = this.qstate;
    let p = from;
    let last = -1;
    let prevAtFrom = this.prevCh;
    if (st === AFTER_QUOTE && p < L) {
      if (s.charCodeAt(p) === QUOTE) {
        st = IN;
        p++;
      } else {
        st = OUT;
        prevAtFrom = QUOTE;
      }
    }
    while (p < L) {
      if (st === OUT) {
        const q = s.indexOf('"', p);
        if (first) {
          const nl = s.indexOf('\n', p);
          if (nl >= 0 && (q < 0 || nl < q)) {
            this.qstate = OUT;
            this.prevCh = NL;
            return nl;
          }
        }
        if (q < 0) {
          const nl = s.lastIndexOf('\n');
          if (nl >= p) last = nl;
          break;
        }
        const nl = s.lastIndexOf('\n', q);
        if (nl >= p) last = nl;
        const pc = q > from ? s.charCodeAt(q - 1) : prevAtFrom;
        if (pc === this.delimCode || pc === NL) st = IN;
        p = q + 1;
      } else {
        const q = s.indexOf('"', p);
        if (q < 0) break;
        if (q + 1 >= L) {
          st = AFTER_QUOTE;
          break;
        }
        if (s.charCodeAt(q + 1) === QUOTE) p = q + 2;
        else {
          st = OUT;
          p = q + 1;
        }
      }
    }
    this.qstate = st;
    if (L > from) this.prevCh = s.charCodeAt(L - 1);
    return last;
  }

  /**
   * The carried record has grown by `added`: when it is beyond the limit,
   * reject it and skip to the next newline. Its UTF-8 size is kept up to date
   * from the added parts once it is long enough to matter (measured once, not
   * once per chunk).
   */
  private checkCarry(added: string): void {
    const hi = this.lastCode;
    this.lastCode = added.charCodeAt(added.length - 1);
    const c = this.carry;
    // (Kept until it has OVERLONG_TEXT_CHARS characters, so the rejected text does not depend on chunk sizes.)
    if (c.length * 3 <= this.max || c.length < OVERLONG_TEXT_CHARS) return;
    if (this.carryBytes < 0) this.carryBytes = Buffer.byteLength(c, 'utf8');
    else this.carryBytes += Buffer.byteLength(added, 'utf8') - (isPair(hi, added.charCodeAt(0)) ? 2 : 0);
    // A CR at the end may be the first half of a CRLF record end, which is not part of the record.
    if (this.carryBytes - (this.lastCode === 13 ? 1 : 0) > this.max) {
      this.errors.reject(this.source, this.line + 1, `malformed ${this.kind}: ` + overlongMessage(this.tsv ? 'TSV record' : 'CSV record', this.max), c.slice(0, OVERLONG_TEXT_CHARS));
      // Skip the rest of the record (the quote state is kept, so its end is found as usual).
      this.line += countNewlines(c);
      this.carry = '';
      this.carryBytes = -1;
      this.carryHasQuote = false;
      this.skipping = true;
    }
  }

  /** Parse a block of whole records (the last one may lack its newline at end of input). */
  private processBlock(block: string, hasQuote: boolean, out: Rec[]): void {
    if (this.forceCsvParse) this.parseBlock(block, out);
    else if (!hasQuote) this.splitBlock(block, out);
    else this.mixedBlock(block, out);
  }

  /**
   * A block with quotes: it is cut into runs of consecutive records, each
   * run either all without a quote character (the fast path, `splitBlock`)
   * or all with one (csv-parse, `parseBlock`), handled in order. Every run
   * starts at a record start and ends after its last record's newline, so
   * line numbers and the header state carry from run to run as within one
   * block; a record with a quote is always parsed by csv-parse.
   */
  private mixedBlock(block: string, out: Rec[]): void {
    const ends = recordEnds(block, this.delimCode);
    const L = block.length;
    const nrec = ends.length + (ends.length === 0 || ends[ends.length - 1]! < L - 1 ? 1 : 0);
    let q = block.indexOf('"'); // the first quote at or after the current record's start (L + 1: none)
    if (q < 0) q = L + 1;
    let i = 0;
    let start = 0;
    while (i < nrec) {
      const quoted = q < (i < ends.length ? ends[i]! : L);
      let next = start;
      while (i < nrec) {
        const e = i < ends.length ? ends[i]! : L;
        if (q < e !== quoted) break;
        next = e + 1;
        i++;
        if (quoted) {
          q = next < L ? block.indexOf('"', next) : -1;
          if (q < 0) q = L + 1;
        }
      }
      if (start === 0 && i === nrec) {
        // One run: the whole block.
        if (quoted) this.parseBlock(block, out, ends);
        else this.splitBlock(block, out);
        return;
      }
      const run = block.slice(start, Math.min(next, L));
      if (quoted) this.parseBlock(run, out);
      else this.splitBlock(run, out);
      start = next;
    }
  }

  /** Fast path: a block without any quote character. */
  private splitBlock(block: string, out: Rec[]): void {
    const L = block.length;
    const d = this.delim;
    let p = 0;
    while (p < L) {
      let e = block.indexOf('\n', p);
      let end = e;
      if (e < 0) end = e = L;
      else if (e > p && block.charCodeAt(e - 1) === CR) end = e - 1;
      const text = block.slice(p, end);
      const line = ++this.line;
      p = e + 1;
      if (this.tsv && text.indexOf('\\') >= 0) {
        this.row(text.split(d).map(unescapeTsv), text, line, out);
        continue;
      }
      if (!this.needHeader && this.header !== undefined && text.length * 3 <= this.max) {
        const build = this.build;
        if (build !== undefined) {
          const rec = text === '' ? undefined : build(text, line, this.header);
          if (rec !== undefined) {
            out.push(rec);
            continue;
          }
          this.row(text === '' ? null : text.split(d), text, line, out);
          continue;
        }
        const rec = directRow(text, d, this.names, this.protoAt, this.header);
        if (rec !== undefined) {
          if (this.lineNumbers) setLine(rec, line);
          out.push(rec);
          continue;
        }
      }
      this.row(text === '' ? null : text.split(d), text, line, out);
    }
  }



  /** Slow path: a block with quotes, parsed by csv-parse in one call (record by record if that fails). */
  private parseBlock(block: string, out: Rec[], ends: number[] = recordEnds(block, this.delimCode)): void {
    const L = block.length;
    const nrec = ends.length + (ends.length === 0 || ends[ends.length - 1]! < L - 1 ? 1 : 0);
    let rows: string[][] | undefined;
    try {
      rows = csvParse(block, this.parseOpts) as string[][];
      if (rows.length !== nrec) rows = undefined;
    } catch {
      rows = undefined;
    }
    const firstLine = this.line + 1;
    // Line numbers are only needed for rejected records: count newlines lazily.
    let lnOff = 0;
    let lnNum = firstLine;
    const lineAt = (off: number): number => {
      lnNum += countNewlines(block, lnOff, off);
      lnOff = off;
      return lnNum;
    };
    this.line += countNewlines(block);
    let start = 0;
    for (let i = 0; i < nrec; i++) {
      const e = i < ends.length ? ends[i]! : L;
      const end = e > start && e < L && block.charCodeAt(e - 1) === CR ? e - 1 : e;
      const text = block.slice(start, end);
      if (text === '') {
        this.row(null, text, 0, out);
      } else if (rows) {
        this.row(rows[i]!, text, start, out, lineAt);
      } else if (text.length * 3 > this.max && longerThan(text, this.max)) {
        this.row([], text, start, out, lineAt); // rejects it as overlong
      } else {
        let one: string[][] | undefined;
        try {
          one = csvParse(text, this.parseOpts) as string[][];
        } catch (err) {
          this.errors.reject(this.source, lineAt(start), `malformed ${this.kind}: ` + csvReason(err), text);
        }
        if (one) {
          if (one.length === 1) this.row(one[0]!, text, start, out, lineAt);
          else this.errors.reject(this.source, lineAt(start), `malformed ${this.kind}: not one record`, text);
        }
      }
      start = e + 1;
    }
  }

  /**
   * One row: a blank line (`cells` null), a header, or a record.
   * `at` is the line number, or (with `lineAt`) an offset to turn into one when needed.
   */
  private row(cells: string[] | null, text: string, at: number, out: Rec[], lineAt?: (off: number) => number): void {
    if (cells === null) {
      // A blank line is skipped; in CSV-lite it ends a block (the next row is a new header).
      if (this.lite && !this.noHeader) this.needHeader = true;
      return;
    }
    if (text.length * 3 > this.max && longerThan(text, this.max)) {
      this.errors.reject(this.source, lineAt ? lineAt(at) : at, `malformed ${this.kind}: ` + overlongMessage(this.tsv ? 'TSV record' : 'CSV record', this.max), text.slice(0, OVERLONG_TEXT_CHARS));
      return;
    }
    if (this.needHeader) {
      this.setHeader(cells, text, lineAt ? lineAt(at) : at);
      return;
    }
    const names = this.names;
    const n = names.length;
    if (this.header === undefined) {
      // --no-header: the first row fixes the fields.
      const gen: string[] = [];
      for (let i = 1; i <= cells.length; i++) gen.push(String(i));
      this.names = gen;
      this.header = makeHeader(gen, '');
      this.protoAt = -1;
      this.build = compileRow(gen, this.delim, this.lineNumbers, this.keep);
      return this.row(cells, text, at, out, lineAt);
    }
    if (cells.length !== n) {
      this.errors.reject(
        this.source,
        lineAt ? lineAt(at) : at,
        `malformed ${this.kind}: ${cells.length} field${cells.length === 1 ? '' : 's'}, the ${this.noHeader ? 'first row' : 'header'} has ${n}`,
        text,
      );
      return;
    }
    const rec: Rec = {};
    const p = this.protoAt;
    for (let j = 0; j < n; j++) {
      if (j === p) Object.defineProperty(rec, '__proto__', { value: typeCell(cells[j]!), writable: true, enumerable: true, configurable: true });
      else rec[names[j]!] = typeCell(cells[j]!);
    }
    setRaw(rec, text);
    (rec as { [CSV_HEADER]?: CsvHeader })[CSV_HEADER] = this.header;
    if (this.lineNumbers) setLine(rec, lineAt ? lineAt(at) : at);
    out.push(rec);
  }

  private setHeader(cells: string[], text: string, line = 0): void {
    const seen = new Set<string>();
    for (const c of cells) {
      if (seen.has(c)) {
        // A later CSV-lite block's header: an InputError, so that the records before it are written (as before a malformed row).
        if (this.header !== undefined && line > 0) throw new InputError(`duplicate field name '${c}' in the header`, this.source, line, text);
        throw new RuntimeError(`duplicate field name '${c}' in the header of ${this.source === '-' ? 'stdin' : this.source}`);
      }
      seen.add(c);
    }
    this.names = cells;
    this.protoAt = cells.indexOf('__proto__');
    this.header = makeHeader(cells, text);
    this.build = compileRow(cells, this.delim, this.lineNumbers, this.keep);
    this.needHeader = false;
  }
}

export { CSV_HEADER, type CsvHeader, checkDelimiter, escapeTsv, makeHeader, unescapeTsv } from './csv-header.js';
export { CsvWriter } from './csv-writer.js';
