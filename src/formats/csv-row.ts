/**
 * Building the record of one CSV/TSV row that holds no quote character (the
 * reader's fast path, csv.ts): per header, a RowBuilder compiled once
 * (`compileRow`), and for headers too wide to compile the generic loop
 * (`directRow`). Both cut cells with `indexOf(delimiter)` and type them with
 * the cell typing of engine/values.ts.
 */
import type { Rec } from '../engine/types.js';
import { LINE, RAW, setRaw, typeCell, typeCellIn } from '../engine/values.js';
import type { FieldMatcher } from './fields.js';
import { CSV_HEADER, type CsvHeader } from './csv-header.js';

/**
 * Builds the record of one row without quotes: cuts the cells with
 * `indexOf(delimiter)`, types them in place (`typeCellIn`) and returns the
 * record with its RAW text, its header and (with line numbers on) `line` as
 * its LINE; undefined when the row has another number of fields (the caller
 * then rejects it).
 */
export type RowBuilder = (text: string, line: number, header: CsvHeader) => Rec | undefined;

/** Headers wider than this use the generic loop (`directRow`) instead of a compiled RowBuilder. */
export const MAX_COMPILED_FIELDS = 256;

/**
 * Compile a RowBuilder for a header (once per header): straight-line code
 * with one object literal whose keys are the field names (as JSON string
 * literals, `__proto__` as a computed key so that it is an own field), so
 * every record of a header is created with one shape.
 *
 * Safety of `new Function` on data: the generated text is fixed code plus
 * field names, and a name (any string read from a header) reaches it only
 * as `JSON.stringify(name)` — a double-quoted string literal in which `"`,
 * `\` and control characters (line ends included) are escaped; since ES2019
 * (JSON superset) the unescaped U+2028 and U+2029 it may hold are valid in a
 * JavaScript string literal too — or as the fixed computed key
 * `["__proto__"]`. So whatever a name holds (quotes, backslashes, `*\/`,
 * `${`, backticks, line ends) stays inside its literal: no part of the data
 * ever reaches a code position, the delimiter and cells are passed in as
 * values (`D`, the `t` argument), and SPEC's "user text is never evaluated
 * as JavaScript" holds. Tested by the odd-header-names property test in
 * test/unit/csv.test.ts (which also tries names built to break out).
 * Returns undefined for no names or more than MAX_COMPILED_FIELDS (the
 * caller then uses the generic loop).
 */
export function compileRow(names: readonly string[], delim: string, lineNumbers: boolean, keep?: FieldMatcher): RowBuilder | undefined {
  const n = names.length;
  if (n === 0 || n > MAX_COMPILED_FIELDS) return undefined;
  // With selected fields (`keep`), the other cells are only counted, not typed.
  const kept = names.map((name) => keep === undefined || keep.has(name));
  let body = 'let q = 0, c = 0;\n';
  for (let j = 0; j < n - 1; j++) {
    body += `c = t.indexOf(D, q); if (c < 0) return undefined; ${kept[j] ? `const v${j} = T(t, q, c); ` : ''}q = c + 1;\n`;
  }
  body += `if (t.indexOf(D, q) >= 0) return undefined; ${kept[n - 1] ? `const v${n - 1} = T(t, q, t.length);` : ''}\n`;
  const props: string[] = [];
  names.forEach((name, j) => {
    if (kept[j]) props.push(name === '__proto__' ? `["__proto__"]: v${j}` : `${JSON.stringify(name)}: v${j}`);
  });
  props.push('[RAW]: t', '[HDR]: H');
  if (lineNumbers) props.push('[LINE]: line');
  body += `return { ${props.join(', ')} };`;
  const key = `${delim}\u0000${body}`;
  let build = compiled.get(key);
  if (build === undefined) {
    const make = new Function('D', 'T', 'RAW', 'HDR', 'LINE', `"use strict"; return function csvRow(t, line, H) {\n${body}\n};`) as (...a: unknown[]) => RowBuilder;
    build = make(delim, typeCellIn, RAW, CSV_HEADER, LINE);
    if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, build);
  }
  return build;
}

/**
 * The compiled builders by delimiter and code: readers of one header (-j's
 * ranges make one reader per range) share one function (the header object
 * is an argument), which V8 optimises once and which a call site sees as one
 * target, rather than a new function per reader: compiled and warmed up
 * anew each time, and deoptimising the reader's call site ("wrong call
 * target").
 */
const compiled = new Map<string, RowBuilder>();
/** Makers kept (the oldest goes first). */
const MAX_CACHED = 64;

/**
 * A record straight from a row without quotes, cutting cells with indexOf
 * (`d` the delimiter), under the header `header` whose names are `names`
 * (`protoAt` the index of the name `__proto__`, or -1); undefined when the
 * row has another number of fields (or is blank): then the reader's `row`
 * handles it. For headers wider than MAX_COMPILED_FIELDS.
 */
export function directRow(text: string, d: string, names: readonly string[], protoAt: number, header: CsvHeader | undefined): Rec | undefined {
  if (text === '') return undefined;
  const last = names.length - 1;
  const p = protoAt;
  const rec: Rec = {};
  let q = 0;
  for (let j = 0; j <= last; j++) {
    let c = text.indexOf(d, q);
    if (j === last) {
      if (c >= 0) return undefined;
      c = text.length;
    } else if (c < 0) return undefined;
    const v = typeCell(text.slice(q, c));
    if (j === p) Object.defineProperty(rec, '__proto__', { value: v, writable: true, enumerable: true, configurable: true });
    else rec[names[j]!] = v;
    q = c + 1;
  }
  setRaw(rec, text);
  (rec as { [CSV_HEADER]?: CsvHeader })[CSV_HEADER] = header;
  return rec;
}
