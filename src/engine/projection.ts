/**
 * Read only what is needed (issue 14 item 7): which top-level fields of the
 * input records the pipeline can ever look at, so that the readers decode
 * only those (ReaderOptions.fields).
 *
 * The analysis walks the verbs from the output back to the input, carrying
 * what the records arriving at each point must hold:
 * - `fields`: the fields read downstream (or every field);
 * - `ifChanged`: a record changed on its way here needs every field (the
 *   writer copies an unchanged record's RAW text, but serialises a changed
 *   one; a rejected record is written as its RAW text, else its JSON).
 *
 * At the output: nothing, but every field if changed, when the writer copies
 * RAW text (NDJSON input written as NDJSON or JSON); every field otherwise.
 * Going back over a verb (its `access`, types.ts FieldAccess):
 * - no `access`: every field (the verb may read, copy or write them all);
 * - `same`: downstream's fields plus the verb's reads (`ifChanged` kept, and
 *   set when the verb writes records as text);
 * - `changed`: every field if `ifChanged`, else downstream's fields plus the
 *   verb's reads. The fields it sets are not taken off: whether a field was
 *   there before may change what the verb does (join's prefixes);
 * - `new`: the verb's reads only (its output holds nothing else of the input).
 * Decoding more than needed is always correct, so every step over-approximates.
 */
import type { FieldSelection, VerbInstance } from './types.js';

/** What records at one point of the pipeline must hold (see the module comment). */
interface Need {
  /** null: every field. */
  fields: Set<string> | null;
  prefixes: Set<string>;
  ifChanged: boolean;
}

/**
 * The fields the readers must decode for this pipeline.
 * @param verbs    the parsed verb chain, in order
 * @param rawSink  true when the writer writes a record that still carries its
 *                 RAW text as that text (NDJSON in, NDJSON or JSON out)
 * @returns the selection, or null when whole records are needed
 */
export function inputFields(verbs: readonly VerbInstance[], rawSink: boolean): FieldSelection | null {
  const need = needBefore(verbs, 0, { fields: rawSink ? new Set() : null, prefixes: new Set(), ifChanged: rawSink });
  if (need.fields === null) return null;
  return { names: [...need.fields], prefixes: [...need.prefixes] };
}

/** What records entering `verbs[from]` must hold, given what the output needs (`atEnd`). See the module comment. */
function needBefore(verbs: readonly VerbInstance[], from: number, atEnd: Need): Need {
  let need = atEnd;
  const ALL: Need = { fields: null, prefixes: new Set(), ifChanged: false };
  for (let i = verbs.length - 1; i >= from; i--) {
    const a = verbs[i]!.access;
    if (a === undefined) need = ALL;
    else if (a.emits === 'new') need = { fields: new Set(a.reads), prefixes: new Set(a.prefixes ?? []), ifChanged: false };
    else if (need.fields === null || (a.emits === 'changed' && need.ifChanged)) need = ALL;
    else {
      for (const r of a.reads) need.fields.add(r);
      for (const p of a.prefixes ?? []) need.prefixes.add(p);
      if (a.writesRecords) need.ifChanged = true;
    }
  }
  return need;
}

/**
 * The fields that the verbs from `verbs[from]` on may look at in the records
 * they receive, when none of them (nor the output) sees whole records: a
 * verb that builds new records (`agg`) comes before the end, and nothing
 * before it writes records as text. Else null. (For a verb that adds fields,
 * such as `join`, to add only those.)
 */
export function fieldsAfter(verbs: readonly VerbInstance[], from: number): { names: ReadonlySet<string>; prefixes: ReadonlySet<string> } | null {
  const need = needBefore(verbs, from, { fields: null, prefixes: new Set(), ifChanged: false });
  return need.fields === null || need.ifChanged ? null : { names: need.fields, prefixes: need.prefixes };
}

/**
 * The top-level names a field reference written as `text` may read, over-
 * approximated for every way verbs read names: the text itself (a literal
 * name), without backticks, the first step of a dotted path (`a` of `a.b.c`,
 * split at the first dot as written and as backtick-quoted: `` `x.y`.z ``).
 */
export function rootsOf(text: string): string[] {
  const t = text.trim();
  const out = new Set<string>([t, t.replace(/`/g, '')]);
  out.add(t.split('.')[0]!);
  if (t.startsWith('`')) {
    const end = t.indexOf('`', 1);
    if (end > 0) out.add(t.slice(1, end));
  }
  const bare = t.replace(/`/g, '');
  out.add(bare.split('.')[0]!);
  return [...out];
}
