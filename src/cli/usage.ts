/**
 * The overall usage text, `sluice --help`: the main options and every
 * verb's one-line summary (each verb's own usage text is in its file).
 */
import { allVerbs } from '../verbs/registry.js';

/** The overall usage text (`sluice --help`). */
export function mainUsage(): string {
  const verbs = allVerbs();
  const width = Math.max(...verbs.map((v) => v.name.length));
  return `Usage: sluice [OPTIONS] [VERB [ARGS]] [then VERB [ARGS]]... [FILE...]

Reads NDJSON or CSV/TSV records from the FILEs named after the last verb's
arguments (or by --from), else from stdin, runs them through a chain of
verbs joined by 'then', and writes records to stdout. With no verb,
records pass through unchanged (a format converter). Main options may also
follow the verb chain ('sluice head 2 flights.csv -o ndjson').

Verbs:
${verbs.map((v) => `  ${v.name.padEnd(width)}  ${wrap(v.summary, 80 - width - 4).join(`\n${' '.repeat(width + 4)}`)}`).join('\n')}

Options:
  -i, --input FMT        ndjson, json, csv, csvlite, tsv, lines, logfmt or
                         auto (default: auto: by the --from file's extension,
                         also through .gz, else by the first byte: { ndjson,
                         [ json, a tab in line 1 tsv); lines: each line is
                         {"line": TEXT} (then 'parse'); gzip input (files
                         and stdin) is found by its magic bytes and read
  -o, --output FMT       ndjson, json, csv, tsv, table, markdown or logfmt
                         (default: the input format; ndjson after lines);
                         bar, line or chart draw a chart in the terminal
      --csv, --tsv, --ndjson
                         set input and output format at once
  -d, --delimiter C      CSV field delimiter (one character; a tab: 'tab' or \\t)
      --no-header        CSV/TSV input has no header row; fields are 1, 2, ...
      --strict-csv       strict RFC 4180: a quote inside an unquoted CSV field
                         is malformed (default: a literal character)
      --encoding ENC     utf-8 (default) or latin1 (bytes come back unchanged)
  -j, --parallel N       threads (default 1; 0 = every core): leading
                         record-wise verbs, then a plain agg, tumbling/
                         sliding/session window + agg, or uniq, head --by,
                         tail or top, run on N threads over ranges of regular
                         files, or over batches of stdin, pipes, gzip and
                         quoted CSV dealt out as they arrive; output is
                         identical to -j 1 (--explain: the split)
      --from FILE...     read the FILEs instead of stdin (repeatable; several
                         names may follow one --from; - is stdin)
      --on-error MODE    malformed input records: fail (default), skip, warn
      --errors FILE      write each rejected input record to FILE as NDJSON
      --max-line-bytes N a longer line/record is malformed (default 67108864)
      --color WHEN       auto (default), always, never
  -F, --follow           keep reading the --from files as they grow, like
                         tail -F: across rotation and truncation; several
                         files are read at once
      --checkpoint FILE  save source offsets, operator state and output
                         lengths in FILE, and resume from it on the next run
      --checkpoint-every DUR
                         how often (default 5s; 0 = after every chunk)
      --no-progress      no progress line on stderr (shown for a long read of
                         files when stderr is a terminal)
      --explain          print the compiled pipeline and exit
  -h, --help             this help; 'sluice help VERB' for one verb
      --version          print the version

Examples:
  sluice filter 'delay > 60' then head 3 flights.csv
  sluice --from *.csv agg count by origin -o table
  sluice --csv -o table agg 'count, avg(delay), p95(delay)' by origin \\
    < flights.csv
  sluice -F --from app.log --checkpoint app.ckpt filter 'level == "error"' \\
    then window tumbling 1m --time ts then agg count by service >> errors.ndjson
  sluice checkpoint show app.ckpt
  tail -f access.ndjson | sluice filter 'status >= 500' \\
    then window tumbling 1m --time ts then agg 'count, p95(latency)' by path
`;
}

/** `text` cut into lines of at most `cols` characters at spaces (a longer word stays whole). */
function wrap(text: string, cols: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > cols) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines;
}
