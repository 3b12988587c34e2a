/**
 * The command line of checkpoints: checks of `--follow`, `--checkpoint`,
 * `--checkpoint-every` (usage errors, before any input is read), and
 * `sluice checkpoint show FILE`, which says what a checkpoint holds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../engine/errors.js';
import type { VerbInstance } from '../engine/types.js';
import { parseDuration } from '../time/duration.js';
import { formatFromPath } from '../formats/index.js';
import { isoString } from '../time/parse.js';
import { parseCheckpoint } from './file.js';
import type { CheckpointOptions } from './session.js';
import { STDOUT_KEY } from './session.js';

/** Default `--checkpoint-every`: 5 seconds. */
export const DEFAULT_CHECKPOINT_EVERY_MS = 5000;

/**
 * Input formats whose readers can say and resume their position (line-based;
 * CSV/TSV also keep their header), and output formats written line by line
 * whose writer state can be saved (CSV/TSV: the current block's columns).
 * JSON arrays, tables, markdown and charts are not.
 */
const RESUMABLE_INPUTS = new Set(['ndjson', 'csv', 'csvlite', 'tsv', 'logfmt', 'lines']);
const RESUMABLE_OUTPUTS = new Set(['ndjson', 'csv', 'tsv', 'logfmt']);

/**
 * Check the follow and checkpoint options against the rest of the command line.
 * @returns the run options they add
 * @throws UsageError: --follow or --checkpoint without --from files (stdin
 *   cannot be followed by name nor resumed at an offset), --checkpoint-every
 *   without --checkpoint or not a duration, input or output formats a
 *   checkpoint cannot resume (JSON, table, markdown, charts), either with
 *   merge (which reads its partials itself)
 */
export function checkCheckpointOptions(
  main: { follow: boolean; checkpoint?: string; checkpointEvery?: string; input: string; output?: string },
  sources: string[],
  verbs: VerbInstance[],
): { follow?: boolean; checkpoint?: CheckpointOptions } {
  const out: { follow?: boolean; checkpoint?: CheckpointOptions } = {};
  // merge reads its partials itself (FILEs or --from): the run's own source is then stdin, which the messages below would blame.
  const own = verbs[0] as { takeSources?: unknown; name: string } | undefined;
  if (own?.takeSources !== undefined && (main.follow || main.checkpoint !== undefined)) {
    throw new UsageError(`${main.follow ? '--follow' : '--checkpoint'} cannot be used with ${own.name}, which reads its partials itself`);
  }
  if (main.follow) {
    if (sources.includes('-')) throw new UsageError('--follow reads --from files by name: stdin cannot be followed (use tail -F FILE | sluice ...)');
    out.follow = true;
  }
  if (main.checkpointEvery !== undefined && main.checkpoint === undefined) throw new UsageError('--checkpoint-every needs --checkpoint FILE');
  if (main.checkpoint !== undefined) {
    const file = main.checkpoint;
    if (file === '' || file === '-') throw new UsageError('--checkpoint needs a file name');
    if (sources.includes('-')) {
      throw new UsageError('--checkpoint needs --from files: stdin cannot be resumed at an offset after a restart');
    }
    if (sources.includes(file)) throw new UsageError(`--checkpoint: ${file} is also an input`);
    let everyMs = DEFAULT_CHECKPOINT_EVERY_MS;
    if (main.checkpointEvery !== undefined) {
      const t = main.checkpointEvery.trim();
      everyMs = t === '0' ? 0 : parseDuration(t, '--checkpoint-every');
    }
    for (const s of sources) {
      const f = main.input !== 'auto' ? main.input : formatFromPath(s);
      if (f !== undefined && !RESUMABLE_INPUTS.has(f)) throw new UsageError(`--checkpoint: ${f} input (${s}) cannot be checkpointed yet; ${[...RESUMABLE_INPUTS].join(', ')} input can`);
    }
    const o = main.output;
    if (o !== undefined && !RESUMABLE_OUTPUTS.has(o)) throw new UsageError(`--checkpoint: ${o} output cannot be checkpointed yet; ${[...RESUMABLE_OUTPUTS].join(', ')} output can`);
    out.checkpoint = { file, everyMs };
  }
  return out;
}

const showUsage = `Usage: sluice checkpoint show FILE

Show what a checkpoint written by --checkpoint FILE holds: the pipeline,
each source with its offset and line, the output lengths, and each verb's
state (open windows, groups, watermark) with its size.
`;

/**
 * `sluice checkpoint show FILE`.
 * @returns the text to print
 * @throws UsageError for a bad command or a damaged checkpoint (exit 2)
 */
export function checkpointCommand(args: string[]): { helpText: string } {
  if (args[0] === '--help' || args[0] === '-h' || args.length === 0) return { helpText: showUsage };
  if (args[0] !== 'show' || args.length !== 2) throw new UsageError(`checkpoint: expected 'checkpoint show FILE'`);
  const file = args[1]!;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`checkpoint: cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as NodeJS.ErrnoException).code}`);
  }
  return { helpText: showCheckpoint(file, text) };
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function when(ms: unknown): string {
  if (typeof ms === 'number' && Number.isFinite(ms)) return isoString(ms);
  return ms === '-inf' || ms === -Infinity ? '(none yet)' : String(ms);
}

/**
 * Words about one stage's state: the shapes the stages of this version write
 * (window stage `{kind, wm, late, state}`, windowed agg `{s: 'windows' |
 * 'panes', windows | pending}`, agg `{groups | global}`, head `{seen |
 * groups}`); anything else by its keys.
 */
function describeState(state: unknown, file: string): string[] {
  if (state === null || typeof state !== 'object') return [];
  const s = state as Record<string, unknown>;
  if (typeof s.verb === 'string') return describeVerbState(s, file);
  const lines: string[] = [];
  if (typeof s.kind === 'string') lines.push(`kind: ${s.kind}`);
  if (s.wm !== undefined) lines.push(`watermark: ${when(s.wm)}${s.maxTs !== undefined ? `, largest event time: ${when(s.maxTs)}` : ''}`);
  if (typeof s.late === 'number') lines.push(`late records so far: ${s.late}`);
  const inner = s.state as Record<string, unknown> | undefined;
  if (inner !== null && typeof inner === 'object') {
    if (Array.isArray(inner.sessions)) lines.push(`open sessions: ${inner.sessions.length}`);
    if (Array.isArray(inner.keys)) {
      const open = (inner.keys as Array<{ open?: unknown[] }>).reduce((n, k) => n + (Array.isArray(k.open) ? k.open.length : 0), 0);
      lines.push(`keys: ${inner.keys.length}, open count windows: ${open}`);
    }
  }
  if (Array.isArray(s.windows)) {
    const ws = s.windows as unknown[];
    const startOf = (w: unknown) => (Array.isArray(w) ? w[0] : (w as { start?: unknown }).start);
    const groupsOf = (w: unknown) => {
      const g = Array.isArray(w) ? w[1] : (w as { groups?: unknown }).groups;
      return Array.isArray(g) ? g.length : 0;
    };
    const groups = ws.reduce<number>((n, w) => n + groupsOf(w), 0);
    lines.push(`open windows: ${ws.length}, groups in them: ${groups}`);
    for (const w of ws.slice(0, 10)) lines.push(`  starting ${when(startOf(w))}: ${groupsOf(w)} groups`);
    if (ws.length > 10) lines.push(`  ... ${ws.length - 10} more`);
  }
  if (s.s === 'panes') {
    const pending = Array.isArray(s.pending) ? (s.pending as unknown[]) : [];
    const active = Array.isArray(s.active) ? s.active.length : 0;
    lines.push(`panes not yet in windows: ${pending.length}; groups with open panes: ${active}`);
  }
  if (Array.isArray(s.groups)) lines.push(`groups: ${s.groups.length}`);
  if (s.global !== undefined) lines.push(s.global === null ? 'no record yet' : 'one group (no keys)');
  if (typeof s.seen === 'number') lines.push(`records kept so far: ${s.seen}`);
  if (lines.length === 0) lines.push(`fields: ${Object.keys(s).join(', ')}`);
  return lines;
}

const len = (v: unknown): number => (Array.isArray(v) ? v.length : 0);

/** Records held in one state of an ordering verb (see each verb's `save`). */
function heldIn(verb: string, st: unknown): { groups: number; records: number } {
  const o = (st ?? {}) as Record<string, unknown>;
  const groups = Array.isArray(st) ? st : Array.isArray(o.groups) ? o.groups : [];
  let records = 0;
  if (verb === 'sort') records = Array.isArray(st) ? st.length : len(o.held);
  else if (verb === 'uniq') records = groups.length;
  else for (const g of groups) records += Array.isArray(g) ? len(g[g.length - 1]) : 0;
  return { groups: verb === 'sort' || verb === 'uniq' ? 0 : groups.length, records };
}

/**
 * Words about the state of a verb written in the envelope of
 * src/state/records.ts (`{v, verb, ...}`): per-window forms (`windows`),
 * whole-input forms (`state`), sort (`count` records in a journal and `runs`, kept in FILE.files),
 * uniq's keys, fill-down's values, unsparsify's fields and records.
 */
function describeVerbState(s: Record<string, unknown>, file: string): string[] {
  const verb = s.verb as string;
  const lines: string[] = [];
  const say = (h: { groups: number; records: number }): string =>
    `${h.records} record${h.records === 1 ? '' : 's'} held` + (h.groups > 0 ? ` in ${h.groups} group${h.groups === 1 ? '' : 's'}` : '');
  if (Array.isArray(s.windows)) {
    const ws = s.windows as unknown[][];
    let total = 0;
    for (const w of ws) total += heldIn(verb, Array.isArray(w) ? w[4] : null).records;
    lines.push(`open windows: ${ws.length}, ${total} records held in them`);
    for (const w of ws.slice(0, 10)) {
      if (!Array.isArray(w)) continue;
      const name = typeof w[1] === 'number' ? `starting ${when(w[1])}` : `window ${String(w[0]).replace(/^\u0002/, '')}`;
      lines.push(`  ${name}: ${say(heldIn(verb, w[4]))}`);
    }
    if (ws.length > 10) lines.push(`  ... ${ws.length - 10} more`);
  } else if (s.state !== undefined) {
    lines.push(say(heldIn(verb, s.state)));
  }
  if (verb === 'sort' && typeof s.count === 'number') {
    lines.push(`${s.count} records held in memory, in a journal of ${bytes(typeof s.bytes === 'number' ? s.bytes : 0)} in ${file}.files`);
    const runs = Array.isArray(s.runs) ? (s.runs as unknown[]) : [];
    if (runs.length > 0) {
      let size = 0;
      let missing = 0;
      for (const r of runs) {
        try {
          size += fs.statSync(path.join(path.resolve(file) + '.files', String(r))).size;
        } catch {
          missing++;
        }
      }
      lines.push(`spilled runs: ${runs.length}, ${bytes(size)} kept in ${file}.files${missing > 0 ? ` (${missing} missing!)` : ''}`);
    }
  }
  if (Array.isArray(s.seen)) lines.push(`distinct values seen: ${s.seen.length}`);
  if (Array.isArray(s.last)) lines.push(`fields with a value to fill down: ${(s.last as unknown[]).filter((x) => x !== null).length} of ${s.last.length}`);
  if (Array.isArray(s.all)) lines.push(`fields with a value to fill down: ${s.all.length}`);
  if (verb === 'unsparsify') lines.push(`fields so far: ${len(s.names)}, records held: ${len(s.held)}`);
  if (s.shared !== undefined) lines.push(`generator state: ${String(s.shared)}`);
  return lines;
}

/** The text of `checkpoint show`. */
export function showCheckpoint(file: string, text: string): string {
  const cp = parseCheckpoint(file, text);
  const out: string[] = [];
  out.push(`checkpoint ${file}: ${bytes(Buffer.byteLength(text))}, written ${cp.written}${cp.finished ? ' (the run finished: every window was closed)' : ''}`);
  const fp = cp.fingerprint;
  out.push(`pipeline: ${fp.verbs.map((v) => `${v.name} ${JSON.stringify(v.options)}`).join(' then ') || '(no verb)'}`);
  out.push(`formats: input ${fp.input}, output ${fp.output ?? 'as input'}${fp.follow ? ', --follow' : ''}`);
  out.push('sources:');
  for (const s of cp.sources) {
    out.push(`  ${s.path}: offset ${s.offset} (${bytes(s.offset)}), after line ${s.line}${s.done ? ', read to its end' : ''}; file dev ${s.dev} inode ${s.ino}, first ${s.headLen} bytes sha1 ${s.headHash.slice(0, 12)}`);
    const h = (s.reader as { h?: unknown } | undefined)?.h;
    if (Array.isArray(h) && Array.isArray(h[0])) out.push(`    header: ${(h[0] as unknown[]).join(', ')}`);
  }
  if (cp.sources.length === 0) out.push('  (none)');
  out.push(`malformed records so far: ${cp.malformed}`);
  const outs = Object.entries(cp.outputs);
  out.push('outputs (a restart truncates each back to this length):');
  for (const [k, v] of outs) out.push(`  ${k === STDOUT_KEY ? 'stdout' : k}: ${v} bytes`);
  if (outs.length === 0) out.push('  (none in regular files: into a pipe, output after the checkpoint is written again on restart)');
  const cols = (cp.writer as { cols?: unknown } | undefined)?.cols;
  if (Array.isArray(cols)) out.push(`  output columns (header written): ${cols.join(', ')}`);
  out.push('state:');
  fp.verbs.forEach((v, i) => {
    const st = cp.stages[i];
    if (st === null || st === undefined) {
      out.push(`  ${i + 1}. ${v.name}: ${cp.finished ? 'finished' : 'no state'}`);
      return;
    }
    out.push(`  ${i + 1}. ${v.name}: ${bytes(Buffer.byteLength(JSON.stringify(st)))}`);
    for (const l of describeState(st, file)) out.push(`     ${l}`);
  });
  return out.join('\n') + '\n';
}

