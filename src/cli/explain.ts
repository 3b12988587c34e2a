/**
 * `--explain`: the compiled pipeline in words (sources and their formats,
 * each verb with the fields it needs, the output, what the reader decodes).
 */
import fs from 'node:fs';
import type { InputFormat } from '../engine/types.js';
import type { RunOptions } from '../engine/run.js';
import { inputFields } from '../engine/projection.js';
import { formatFromPath, sniffFormat } from '../formats/index.js';

/** The text `--explain` prints for a parsed command line (without the -j split). */
export function explain(o: RunOptions): string {
  const lines: string[] = [];
  lines.push(`input:  ${o.sources.map((s) => `${s === '-' ? 'stdin' : s} (${inputFormatOf(s, o.inputFormat)})`).join(', ')}`);
  o.verbs.forEach((v, k) => {
    lines.push(`${k + 1}. ${v.name} ${JSON.stringify(v.explain)}`);
    lines.push(`   needs: ${v.needs.length ? v.needs.join(', ') : '(no fields)'}${v.recordWise ? '; record-wise' : '; stateful'}`);
  });
  if (o.verbs.length === 0) lines.push('(no verb: records pass through)');
  const firstIn = o.sources[0] === undefined ? undefined : /^(\w+),/.exec(inputFormatOf(o.sources[0], o.inputFormat))?.[1];
  lines.push(`output: ${o.outputFormat ?? (firstIn ? `${firstIn} (as the input)` : 'as the input')}`);
  lines.push(`on-error: ${o.onError}${o.errorsFile ? `, rejected records to ${o.errorsFile}` : ''}`);
  // Read only what is needed (engine/projection.ts), as the run decides it for NDJSON or CSV input.
  const inFmt = o.inputFormat !== 'auto' ? o.inputFormat : o.sources[0] !== undefined && o.sources[0] !== '-' ? formatFromPath(o.sources[0]) : undefined;
  const outFmt = o.outputFormat ?? inFmt ?? 'ndjson';
  const sel = inputFields(o.verbs, (inFmt ?? 'ndjson') === 'ndjson' && (outFmt === 'ndjson' || outFmt === 'json'));
  lines.push(`decodes: ${sel === null ? 'every field' : sel.names.length === 0 ? 'no field (records are copied as read)' : sel.names.join(', ')}${sel !== null && sel.prefixes.length > 0 ? ` (also with prefixes ${sel.prefixes.join(', ')})` : ''}`);
  return lines.join('\n') + '\n';
}

/**
 * The input format sluice will read `source` in, in words for `--explain`:
 * the format given with -i, else the file's extension, else what the first
 * 64 KiB sniff as (a regular file is read for that; stdin that is not a
 * regular file is not read by --explain).
 */
function inputFormatOf(source: string, given: InputFormat | 'auto'): string {
  if (given !== 'auto') return `${given}, as given`;
  if (source !== '-') {
    const byExt = formatFromPath(source);
    if (byExt) return `${byExt}, by the file name`;
  }
  let fd: number | undefined;
  try {
    // Only a regular file is opened: the open of a FIFO waits for its writer (--explain hung, deaf to signals).
    if (source !== '-' && !fs.statSync(source).isFile()) return 'sniffed from the first bytes when read';
    fd = source === '-' ? 0 : fs.openSync(source, 'r');
    if (!fs.fstatSync(fd).isFile()) return 'sniffed from the first bytes when read';
    const buf = Buffer.alloc(64 * 1024);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return `${sniffFormat(buf.subarray(0, n).toString('utf8'))}, by its first bytes`;
  } catch {
    return 'sniffed from the first bytes when read';
  } finally {
    if (fd !== undefined && fd !== 0) fs.closeSync(fd);
  }
}
