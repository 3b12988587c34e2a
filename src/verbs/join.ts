import { fieldsAfter, rootsOf } from '../engine/projection.js';
import type { Batch, ErrorSink, InputFormat, Rec, Stage, VerbDef, VerbInstance } from '../engine/types.js';
import { recordStage } from '../engine/stage.js';
import { RuntimeError, UsageError } from '../engine/errors.js';
import { detach, fieldGetter, markChanged, pathGetter, setField, textOf } from '../engine/values.js';
import { CsvReader, createReader, formatFromPath, sniffFormat } from '../formats/index.js';
import { carryWindowTags } from '../window/tags.js';
import { type DecodeReport, type InputEncoding, decodeSummary } from '../formats/decode.js';
import { readWholeFile } from '../sources/whole-file.js';
import { fieldPath, parseVerbArgs } from './args.js';

const usage = `Usage: sluice join FILE --on KEY[=FILEKEY][,...] [--type TYPE] [--prefix P]
                   [--format FMT]

Lookup join: load FILE (a table) into a hash table once, then stream the
input against it, as Flink's lookup join and Miller's join do. FILE is read
before any input, so a missing file or key is reported at once, and is held
in memory. A CSV/TSV table needs a header row and uses its format's own
delimiter (comma, tab): --delimiter and --no-header apply to the input
only. FILE is decoded as input files are: --encoding, a UTF-16 byte order
mark, gzip by its magic bytes, and lines with invalid UTF-8 counted on
stderr.

A record matches a table row when its KEY equals the row's FILEKEY (several
pairs: all of them). Keys match by text: the number 7 matches the string "7"
(a number's text is as it was read, so 7.0 does not match 7). A null or
missing key never matches. A key matching several rows gives one output per
row, in table order, as in SQL.

Output: the input record, then the row's fields other than FILEKEY. A table
field whose name the record already has is added as PREFIX + name (again
prefixed until the name is free). With --type left, a record without a
match gets every table field (the CSV header's, or each field any NDJSON
row has, in order of first appearance) as null, so all records have one
set of fields and CSV output keeps one header. Malformed rows of FILE
follow --on-error and --errors like input records, with FILE as their
source.

Options:
  --on KEY[=FILEKEY],...  the key fields: KEY in the input (a.b for nested,
                          backticks for odd names), FILEKEY a field of FILE
                          (default: the same name as KEY)
  --type TYPE             inner (default): matched records, joined
                          left: like inner, and unmatched records with
                          the table's fields as null (as in SQL)
                          semi: matched records unchanged, once each
                          anti: unmatched records unchanged
  --prefix P              prefix for clashing table fields (default right_)
  --format FMT            ndjson, csv or tsv (default: by FILE's extension,
                          else by its first character, as for input)

Examples:
  $ sluice --csv join airports.csv --on origin=iata \\
      then select origin,name,state < flights.csv | head -3
  origin,name,state
  LAS,McCarran International,NV
  ATL,William B Hartsfield-Atlanta Intl,GA

  $ cat users.csv
  id,name,team
  7,Ann,red
  $ echo '{"id":7,"name":"x"}' | sluice join users.csv --on id
  {"id":7,"name":"x","right_name":"Ann","team":"red"}

  $ printf 'iata\\nLAS\\n' > las.csv
  $ sluice --csv join las.csv --on origin=iata --type anti then head 2 \\
      < flights.csv
  time,delay,distance,origin,destination
  2001-01-01T00:01:00Z,19,215,ATL,SAV
  2001-01-01T00:01:00Z,14,405,MCI,MDW
`;

const TYPES = ['inner', 'left', 'semi', 'anti'] as const;
type JoinType = (typeof TYPES)[number];

/** One key pair: the stream record's field (a path) and the table's field (a top-level name). */
interface KeyPair {
  stream: string;
  path: string[];
  table: string;
}

/** Every field name of the table (its header, and the keys of every row). */
function tableNames(records: readonly Rec[], fields: readonly string[] | undefined): string[] {
  const names = new Set<string>(fields ?? []);
  for (const r of records) for (const k of Object.keys(r)) names.add(k);
  return [...names];
}

/** The table as read at parse time: records, and the rejections and error to replay at build time. */
interface LoadedTable {
  records: Rec[];
  rejected: Array<{ line: number; error: string; text: string }>;
  /** A fatal error in the table (a duplicate header name), thrown at build time. */
  fatal?: Error;
  /** The table's field names: the CSV header, or the first NDJSON record's fields. */
  fields?: readonly string[];
  format: InputFormat;
  /** What decoding found (invalid UTF-8 lines, UTF-16), for the summary at exit. */
  decode: DecodeReport;
}

/** `join FILE --on KEY[=FILEKEY][,...] [--type T] [--prefix P] [--format F]`. */
export const join: VerbDef = {
  name: 'join',
  summary: 'lookup join with a table file (inner, left, semi, anti)',
  usage,
  arity: { min: 1, max: 1 },
  parse(args) {
    const { pos, opts } = parseVerbArgs('join', args, [
      { name: 'on', type: 'string' },
      { name: 'type', type: 'string', choices: [...TYPES], default: 'inner' },
      { name: 'prefix', type: 'string', default: 'right_' },
      { name: 'format', type: 'string', choices: ['ndjson', 'json', 'csv', 'csvlite', 'tsv'] },
    ]);
    if (pos.length === 0) throw new UsageError('join: name the table file (join FILE --on KEY)');
    if (pos.length > 1) throw new UsageError(`join: expected one table file, got '${pos.join(' ')}'`);
    const file = pos[0]!;
    if (file === '-') throw new UsageError('join: the table must be a file, not stdin');
    if (opts.on === undefined) throw new UsageError('join: --on KEY[=FILEKEY] is required');
    const keys = parseKeys(String(opts.on));
    const type = opts.type as JoinType;
    const prefix = String(opts.prefix);
    if (prefix === '') throw new UsageError('join: --prefix cannot be empty (clashing fields would overwrite)');

    const format = opts.format as InputFormat | undefined;
    /** A key field the table lacks, as a usage error. */
    const missingKey = (t: LoadedTable): UsageError | undefined => {
      const k = t.fields === undefined ? undefined : keys.find((k) => !t.fields!.includes(k.table));
      return k && new UsageError(`join: ${file} has no field '${k.table}' (its fields: ${t.fields!.join(', ')})`);
    };
    // Read at parse time, so a missing file or key is a usage error before any input. Read as
    // UTF-8 first; when --encoding latin1 follows, `configure` reads it again. A key missing
    // from a table that is not valid UTF-8 may be there in Latin-1: that error waits for `configure`.
    let table = loadTable(file, format, 'utf-8');
    let pending = missingKey(table);
    if (pending !== undefined && table.decode.invalidLines === 0) throw pending;
    const describe = (t: LoadedTable) => ({
      explain: { file, format: t.format, rows: t.records.length, on: keys.map((k) => `${k.stream}=${k.table}`), type, prefix },
      // The table's fields are read too: a record that has one gets the table's under a prefixed name.
      access: {
        reads: [...keys.flatMap((k) => [k.path[0]!, ...rootsOf(k.stream)]), ...tableNames(t.records, t.fields)],
        prefixes: [prefix],
        emits: type === 'semi' || type === 'anti' ? ('same' as const) : ('changed' as const),
      },
    });
    const instance: VerbInstance = {
      name: 'join',
      ...describe(table),
      needs: [...keys.map((k) => k.stream), '*'],
      recordWise: true,
      files: { inputs: [file] },
      configure({ encoding }) {
        // The table is read as the input is (--encoding): again, when that is not the default.
        if (encoding !== 'utf-8') {
          table = loadTable(file, format, encoding);
          pending = missingKey(table);
          Object.assign(instance, describe(table));
        }
        if (pending !== undefined) throw pending;
      },
      build(next, ctx, plan) {
        if (pending !== undefined) throw pending;
        const decode = table.decode;
        ctx.summary(() => decodeSummary(file, decode));
        for (const r of table.rejected) ctx.errors.reject(file, r.line, r.error, r.text);
        if (table.fatal) throw table.fatal;
        const { index, nullRow } = buildIndex(table.records, keys, table.fields ?? [], tableFieldsUsed(plan, prefix, tableNames(table.records, table.fields)));
        table.records = [];
        return joinStage(index, nullRow, keys, type, prefix, next);
      },
    };
    return instance;
  },
};

/** Split `a=b,c,`x,y`=z` into pairs; backticks protect commas and `=`. */
function parseKeys(text: string): KeyPair[] {
  const parts: string[] = [];
  let cur = '';
  let tick = false;
  for (const ch of text) {
    if (ch === '`') tick = !tick;
    if (ch === ',' && !tick) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  const keys: KeyPair[] = [];
  for (const raw of parts) {
    const p = raw.trim();
    if (p === '') continue;
    let eq = -1;
    tick = false;
    for (let i = 0; i < p.length; i++) {
      if (p[i] === '`') tick = !tick;
      else if (p[i] === '=' && !tick) {
        eq = i;
        break;
      }
    }
    const s = (eq < 0 ? p : p.slice(0, eq)).trim();
    const t = (eq < 0 ? s : p.slice(eq + 1)).trim();
    if (s === '' || t === '' || s === '``' || t === '``') throw new UsageError(`join: bad key '${p}' in --on (use KEY or KEY=FILEKEY)`);
    keys.push({ stream: s, path: fieldPath(s), table: unTick(t) });
  }
  if (keys.length === 0) throw new UsageError('join: --on needs at least one key');
  return keys;
}

function unTick(s: string): string {
  return s.length >= 2 && s.startsWith('`') && s.endsWith('`') ? s.slice(1, -1) : s;
}

/**
 * Read and parse the table file, as input files are read (gzip, `--encoding`,
 * invalid UTF-8 counted: sources/whole-file.ts).
 * @throws UsageError when the file cannot be read
 */
function loadTable(file: string, format: InputFormat | undefined, encoding: InputEncoding): LoadedTable {
  let text: string;
  let decode: DecodeReport;
  try {
    ({ text, report: decode } = readWholeFile(file, encoding));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`join: cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? (e as Error).message)}`);
  }
  const fmt: InputFormat = format ?? formatFromPath(file) ?? sniffFormat(text);
  const rejected: LoadedTable['rejected'] = [];
  const sink: ErrorSink = {
    mode: 'skip',
    get count() {
      return rejected.length;
    },
    reject(_source, line, error, t) {
      rejected.push({ line, error, text: t });
    },
  };
  const records: Rec[] = [];
  let fatal: Error | undefined;
  let fields: readonly string[] | undefined;
  if (fmt === 'ndjson' || fmt === 'json' || fmt === 'lines' || fmt === 'logfmt') {
    const r = createReader(fmt, { source: file, errors: sink });
    for (const rec of r.feed(text)) records.push(rec);
    for (const rec of r.end()) records.push(rec);
    if (records.length > 0) fields = Object.keys(records[0]!);
  } else {
    const r = new CsvReader({ source: file, errors: sink, delimiter: fmt === 'tsv' ? '\t' : ',', dialect: fmt });
    try {
      for (const rec of r.feed(text)) records.push(rec);
      for (const rec of r.end()) records.push(rec);
    } catch (e) {
      if (!(e instanceof RuntimeError)) throw e;
      fatal = e;
    }
    // The first header's names (a later schema change block may have others).
    fields = records.length > 0 ? Object.keys(records[0]!) : fatal ? undefined : r.fieldNames;
  }
  return { records, rejected, fatal, fields, format: fmt, decode };
}

/** A table row without its key fields, kept for the life of the pipeline. */
interface TableRow {
  names: readonly string[];
  values: unknown[];
}

/** The text of a composite key: each part length-prefixed, so no two key tuples collide. */
function compositeKey(texts: string[]): string {
  let s = '';
  for (const t of texts) s += t.length + ':' + t;
  return s;
}

/** A function giving a record's key text (null when any key is null or missing). */
function keyFunction(getters: Array<(r: Rec) => unknown>): (r: Rec) => string | null {
  if (getters.length === 1) {
    const g = getters[0]!;
    return (r) => textOf(g(r));
  }
  const texts: string[] = new Array(getters.length);
  return (r) => {
    for (let i = 0; i < getters.length; i++) {
      const t = textOf(getters[i]!(r));
      if (t === null) return null;
      texts[i] = t;
    }
    return compositeKey(texts);
  };
}

const detachValue = (v: unknown): unknown => (typeof v === 'string' ? detach(v) : v);

/**
 * The hash table: key text → rows in table order (rows with a null key are
 * left out: they never match); and the row a left join adds to an unmatched
 * record: every non-key field of the table (`fields`, then any other field a
 * row has, in order of first appearance) with the value null.
 */
/**
 * Which table fields a join must add (engine/projection.ts): when the verbs
 * after it never see whole records (`then agg ... by state`), only those they
 * may read, under the table's name or a prefixed one; else (null) all. Not
 * when a table field's name starts with the prefix: leaving one out could
 * then change the name another one gets.
 */
function tableFieldsUsed(plan: { verbs: VerbInstance[]; index: number }, prefix: string, names: readonly string[]): ((name: string) => boolean) | null {
  if (names.some((n) => n.startsWith(prefix))) return null;
  const after = fieldsAfter(plan.verbs, plan.index + 1);
  if (after === null) return null;
  const wanted = (n: string): boolean => {
    for (const m of after.names) {
      if (m === n) return true;
      if (m.endsWith(n)) {
        // m = prefix repeated + n?
        let front = m.slice(0, m.length - n.length);
        while (front.startsWith(prefix)) front = front.slice(prefix.length);
        if (front === '') return true;
      }
    }
    // (A later join's prefixes may be in front of ours.)
    for (const p of after.prefixes) if (p !== prefix) return true;
    return false;
  };
  return wanted;
}

/** The index of the table by key; `wanted`: the table fields to add (null: all). */
function buildIndex(records: Rec[], keys: KeyPair[], fields: readonly string[], wanted: ((name: string) => boolean) | null = null): { index: Map<string, TableRow[]>; nullRow: TableRow } {
  const keyOf = keyFunction(keys.map((k) => fieldGetter(k.table)));
  const keyNames = new Set(keys.map((k) => k.table));
  const index = new Map<string, TableRow[]>();
  const allNames = new Set<string>(fields.filter((f) => !keyNames.has(f) && (wanted === null || wanted(f))));
  let lastKeys: string[] = [];
  let lastNames: string[] = [];
  for (const rec of records) {
    const all = Object.keys(rec);
    // Rows of one CSV header share their names array.
    let names: string[];
    if (all.length === lastKeys.length && all.every((k, i) => k === lastKeys[i])) names = lastNames;
    else {
      names = all.filter((k) => !keyNames.has(k) && (wanted === null || wanted(k)));
      lastKeys = all;
      lastNames = names;
      for (const n of names) allNames.add(n);
    }
    const key = keyOf(rec);
    if (key === null) continue;
    const values = names.map((n) => detachValue(Object.getOwnPropertyDescriptor(rec, n)!.value));
    const k = detach(key);
    const rows = index.get(k);
    if (rows) rows.push({ names, values });
    else index.set(k, [{ names, values }]);
  }
  const nullNames = [...allNames].map(detach);
  return { index, nullRow: { names: nullNames, values: nullNames.map(() => null) } };
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Add a table row's fields to `target`, prefixing names it already has. */
function addRow(target: Rec, row: TableRow, prefix: string): void {
  const { names, values } = row;
  for (let i = 0; i < names.length; i++) {
    let name = names[i]!;
    while (hasOwn.call(target, name)) name = prefix + name;
    setField(target, name, values[i]);
  }
}

/**
 * A shallow copy of a record's fields and its window tags (event time, and the
 * session or count windows it belongs to, so a windowed agg downstream places
 * the copy where the original goes), without its RAW text.
 */
function copyRecord(rec: Rec): Rec {
  const c: Rec = {};
  for (const k in rec) setField(c, k, rec[k]);
  carryWindowTags(rec, c);
  return c;
}

/** The join stage: one hash lookup per record. */
function joinStage(index: Map<string, TableRow[]>, nullRow: TableRow, keys: KeyPair[], type: JoinType, prefix: string, next: Stage): Stage {
  const keyOf = keyFunction(keys.map((k) => pathGetter(k.path)));
  const lookup = (rec: Rec): TableRow[] | undefined => {
    const k = keyOf(rec);
    return k === null ? undefined : index.get(k);
  };
  let push: (batch: Batch) => void;
  if (type === 'semi' || type === 'anti') {
    const keep = type === 'semi';
    push = (batch) => {
      let w = 0;
      for (let i = 0; i < batch.length; i++) {
        const rec = batch[i]!;
        if ((lookup(rec) !== undefined) === keep) batch[w++] = rec;
      }
      batch.length = w;
      if (w > 0) next.push(batch);
    };
  } else {
    const left = type === 'left';
    push = (batch) => {
      const out: Rec[] = [];
      for (let i = 0; i < batch.length; i++) {
        const rec = batch[i]!;
        const rows = lookup(rec);
        if (rows === undefined) {
          if (left) {
            if (nullRow.names.length > 0) {
              markChanged(rec);
              addRow(rec, nullRow, prefix);
            }
            out.push(rec);
          }
          continue;
        }
        const m = rows.length;
        for (let j = 0; j < m - 1; j++) {
          const c = copyRecord(rec);
          addRow(c, rows[j]!, prefix);
          out.push(c);
        }
        markChanged(rec);
        addRow(rec, rows[m - 1]!, prefix);
        out.push(rec);
      }
      if (out.length > 0) next.push(out);
    };
  }
  return recordStage(next, push);
}
