/**
 * sluice's expression language (SPEC §3), the public entry points used by
 * `filter`, `map` and other verbs (agg keys, join).
 *
 * Pipeline: lexer.ts (text → tokens) → parser.ts (tokens → tree, with the
 * checks that need no input) → compile.ts (tree → closures, once per
 * pipeline; with compiled.ts, operators.ts, zoned.ts and assign.ts).
 * interpret.ts is a plain tree-walking evaluator used only by the tests as
 * the reference the compiled closures must agree with.
 */
import type { Rec } from '../engine/types.js';
import { Compiler } from './compile.js';
import { compileAssignmentList } from './assign.js';
import type { Fn, Pred } from './compiled.js';
import { parseAssignments, parseExpr, pathText } from './parser.js';

export type { Node, Assignment } from './parser.js';
export { parseExpr, parseAssignments } from './parser.js';

/**
 * Compile an expression once.
 * @param text the expression (`delay > 60 && origin in ("SFO", "LAX")`)
 * @param verb the verb using it, for messages (`filter`)
 * @returns `fn`: record → value (null for a missing field, never undefined);
 *   `test`: record → truthiness of the value (faster than `truthy(fn(rec))`);
 *   `fields`: the field paths it reads (`a.b`, `` `x y` ``), for `--explain`;
 *   `recordNumbers`: it calls `nr()` (VerbInstance.needsRecordNumbers);
 *   `roots`: the top-level names of the fields it reads (`a` of `a.b`).
 * @throws UsageError (exit 2) for a syntax error, an unknown function, a wrong
 *   number of arguments, an invalid literal regex or time format; the message
 *   names the column and `detail` holds the expression with a caret under it.
 */
export function compileExpr(text: string, verb: string): { fn: Fn; test: Pred; fields: string[]; recordNumbers: boolean; roots: string[] } {
  const tree = parseExpr(text, verb);
  const c = new Compiler(text, verb);
  const { fn, test } = c.both(tree);
  return { fn, test, fields: c.fields, recordNumbers: c.recordNumbers, roots: [...c.roots] };
}

/**
 * Compile `map` assignments once: `name = EXPR; other.path = EXPR`.
 * @returns `apply`: assigns the fields of one record in place, left to right,
 *   each seeing the ones before; calls `markChanged` when a value changed.
 *   `fields`: field paths read; `targets`: field paths assigned;
 *   `recordNumbers`: the expressions call `nr()`; `roots`: the top-level
 *   names of the fields read or assigned.
 * @throws UsageError as compileExpr.
 */
export function compileAssignments(
  text: string,
  verb: string,
): { apply: (rec: Rec) => void; fields: string[]; targets: string[]; recordNumbers: boolean; roots: string[] } {
  const list = parseAssignments(text, verb);
  const c = new Compiler(text, verb);
  const apply = compileAssignmentList(list, c);
  const targets: string[] = [];
  for (const a of list) {
    const t = pathText(a.path);
    if (!targets.includes(t)) targets.push(t);
  }
  const roots = new Set(c.roots);
  for (const a of list) roots.add(a.path[0]!);
  return { apply, fields: c.fields, targets, recordNumbers: c.recordNumbers, roots: [...roots] };
}
