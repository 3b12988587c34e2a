/**
 * Held records in checkpoint state and in `sort`'s run files: one line of
 * text per record that keeps what the writers need to write it exactly as
 * the record itself would have been written: its fields (numbers kept exact,
 * `NumText`), and its RAW text and CSV/TSV header when it has them.
 *
 *   `J` + record JSON                               (no RAW text)
 *   `N` + record JSON                               (RAW text equal to the JSON)
 *   `R` + JSON string of RAW + TAB + record JSON
 *   `C` + header number + TAB + JSON string of RAW + TAB + JSON array of the
 *         values in the header's key order (an unchanged CSV/TSV record)
 *
 * Header numbers index the codec's header table, which is saved beside the
 * lines (`headerState`) and loaded before them (`loadHeaders`). Other symbols
 * (line numbers, event time) are not kept.
 *
 * Also the envelope of every verb's checkpoint state (`verbState` /
 * `openVerbState`): `{v, verb, ...}` with the version of this format.
 */
import type { Rec } from '../engine/types.js';
import { fieldGetter, rawOf, setField, setRaw, stringifyRecord, stringifyValue } from '../engine/values.js';
import { CSV_HEADER, type CsvHeader, makeHeader } from '../formats/csv.js';
import { mayHoldInexactNumber, parseExact } from '../formats/exactjson.js';
import { STATE_VERSION, stateError } from './codec.js';

/** Parse a record's JSON text exactly (NumText for numbers JavaScript would change). */
export function parseRecordText(json: string): Rec {
  return (mayHoldInexactNumber(json) ? parseExact(json) : JSON.parse(json)) as Rec;
}

/** Encodes and decodes record lines (see the module comment); one per sorter or stage. */
export class RecordCodec {
  private headers: CsvHeader[] = [];
  private headerIdx = new Map<CsvHeader, number>();
  private getters: Array<Array<(rec: Rec) => unknown>> = [];

  /** The line of a record (no line end; the text holds no LF). */
  encode(rec: Rec): string {
    const raw = rawOf(rec);
    if (raw === undefined) return 'J' + stringifyRecord(rec);
    const h = (rec as { [CSV_HEADER]?: CsvHeader })[CSV_HEADER];
    if (h !== undefined) {
      // An unchanged CSV/TSV record has exactly its header's fields: keep only the values.
      let i = this.headerIdx.get(h);
      if (i === undefined) i = this.addHeader(h);
      const gs = this.getters[i]!;
      const vals = new Array<unknown>(gs.length);
      for (let j = 0; j < gs.length; j++) vals[j] = gs[j]!(rec);
      return 'C' + i + '\t' + JSON.stringify(raw) + '\t' + stringifyValue(vals);
    }
    const s = stringifyRecord(rec);
    return raw === s ? 'N' + s : 'R' + JSON.stringify(raw) + '\t' + s;
  }

  private addHeader(h: CsvHeader): number {
    const i = this.headers.length;
    this.headers.push(h);
    this.headerIdx.set(h, i);
    this.getters.push(h.keys.map((k) => fieldGetter(k)));
    return i;
  }

  /**
   * The record of a line written by `encode` (of this codec, or of one whose
   * headers were loaded).
   * @throws SyntaxError / StateError on a line `encode` cannot have written
   */
  decode(line: string): Rec {
    const t = line.charCodeAt(0);
    if (t === 74 /* J */) return parseRecordText(line.slice(1));
    if (t === 78 /* N */) {
      const s = line.slice(1);
      const rec = parseRecordText(s);
      setRaw(rec, s);
      return rec;
    }
    if (t === 82 /* R */) {
      const i = line.indexOf('\t');
      const rec = parseRecordText(line.slice(i + 1));
      setRaw(rec, JSON.parse(line.slice(1, i)) as string);
      return rec;
    }
    if (t === 67 /* C */) {
      const i = line.indexOf('\t');
      const j = line.indexOf('\t', i + 1);
      const h = this.headers[Number(line.slice(1, i))];
      if (h === undefined || j < 0) throw stateError('a held CSV record names no header');
      const vals = parseRecordText(line.slice(j + 1)) as unknown as unknown[];
      const keys = h.keys;
      if (!Array.isArray(vals) || vals.length !== keys.length) throw stateError('a held CSV record does not fit its header');
      const rec: Rec = {};
      for (let k = 0; k < keys.length; k++) setField(rec, keys[k]!, vals[k]);
      setRaw(rec, JSON.parse(line.slice(i + 1, j)) as string);
      (rec as { [CSV_HEADER]?: CsvHeader })[CSV_HEADER] = h;
      return rec;
    }
    throw stateError('a held record line of unknown type');
  }

  /** A checked decode for checkpoint state: any failure is a StateError. */
  decodeState(v: unknown): Rec {
    if (typeof v !== 'string' || v.length === 0) throw stateError('a held record is not a record line');
    try {
      const r = this.decode(v);
      if (r === null || typeof r !== 'object' || Array.isArray(r)) throw stateError('a held record is not an object');
      return r;
    } catch (e) {
      if (e instanceof SyntaxError) throw stateError('a held record is not JSON');
      throw e;
    }
  }

  /** The header table, JSON-serialisable: `[[names, raw], ...]`. */
  headerState(): unknown {
    return this.headers.map((h) => [h.names, h.raw]);
  }

  /** Load a header table written by `headerState` (before decoding lines). @throws StateError */
  loadHeaders(v: unknown): void {
    if (v === undefined) return;
    if (!Array.isArray(v)) throw stateError('the CSV headers are not a list');
    this.headers = [];
    this.headerIdx.clear();
    this.getters = [];
    for (const e of v) {
      if (!Array.isArray(e) || e.length !== 2 || !Array.isArray(e[0]) || !e[0].every((n) => typeof n === 'string') || typeof e[1] !== 'string') {
        throw stateError('a CSV header is not [names, text]');
      }
      this.addHeader(makeHeader(e[0] as string[], e[1]));
    }
  }
}

/** The envelope of a verb's checkpoint state: `{v, verb, ...body}`. */
export function verbState(verb: string, body: Record<string, unknown>): Record<string, unknown> {
  return { v: STATE_VERSION, verb, ...body };
}

/**
 * Open a state written by `verbState(verb, ...)`.
 * @throws StateError on another version, another verb, or not an object
 */
export function openVerbState(state: unknown, verb: string): Record<string, unknown> {
  if (state === null || typeof state !== 'object' || Array.isArray(state)) throw stateError(`not a ${verb} state`);
  const o = state as Record<string, unknown>;
  if (o.v !== STATE_VERSION) throw stateError(`${verb} state of version ${String(o.v)} (this sluice writes ${STATE_VERSION})`);
  if (o.verb !== verb) throw stateError(`a state of ${String(o.verb)}, not ${verb}`);
  return o;
}

/** An array from a state. @throws StateError */
export function stateArray(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw stateError(`${what} is not a list`);
  return v;
}

/** A string from a state. @throws StateError */
export function stateString(v: unknown, what: string): string {
  if (typeof v !== 'string') throw stateError(`${what} is not a string`);
  return v;
}
