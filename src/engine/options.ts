/**
 * What the command line decided for a run (`RunOptions`), and the files it
 * names (`runFileUses`, for the checks of engine/files.ts).
 */
import type { Readable, Writable } from 'node:stream';
import type { InputFormat, OnErrorMode, OutputFormat, Reader, VerbInstance, Writer } from './types.js';
import type { FileUse } from './files.js';
import type { CheckpointOptions } from '../checkpoint/session.js';

/** Everything the command line decided, ready to run. */
export interface RunOptions {
  /** Source names in order; `-` is stdin. */
  sources: string[];
  inputFormat: InputFormat | 'auto';
  /** Default: the (first) input format. */
  outputFormat?: OutputFormat;
  /** CSV/TSV delimiter for input and output (default `,` / tab). */
  delimiter?: string;
  noHeader: boolean;
  onError: OnErrorMode;
  /** `--errors FILE`: rejected records as NDJSON. */
  errorsFile?: string;
  color: boolean;
  /** `--max-line-bytes` (bytes). */
  maxLineBytes: number;
  /** `--encoding`: input decoding, and with latin1 output encoding too (default utf-8). */
  encoding?: 'utf-8' | 'latin1';
  /** `--strict-csv`: strict RFC 4180 quotes. */
  strictCsv?: boolean;
  verbs: VerbInstance[];
  /**
   * Presentation around the output writer (live snapshot view, charts: src/live/):
   * given a factory of the writer for the output format, the writer to use.
   */
  wrapWriter?: (make: () => Writer) => Writer;
  /**
   * The progress line on stderr (src/live/progress.ts), when one is shown:
   * each source's reader is wrapped by `reader` (it counts bytes and
   * records), and `stop` clears the line when the run finishes.
   */
  progress?: { reader(r: Reader): Reader; stop(): void };
  /** `--follow`: keep reading the --from files as they grow, across rotation and truncation (sources/follow.ts). */
  follow?: boolean;
  /** `--checkpoint FILE`, `--checkpoint-every` (checkpoint/session.ts). */
  checkpoint?: CheckpointOptions;
  /**
   * Decode whole records even where the verbs need fewer fields (tests and
   * benchmarks compare both ways; also the environment variable
   * SLUICE_READ_ALL=1). Default: read only what is needed (engine/projection.ts).
   */
  readAll?: boolean;
  /** Streams (injectable for tests). */
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
}

/**
 * The files a run reads and writes, for checkFileUses (engine/files.ts):
 * stdin and stdout only when they are the process's own.
 * @returns [inputs, outputs]
 */
export function runFileUses(opts: RunOptions): [FileUse[], FileUse[]] {
  const inputs: FileUse[] = [];
  for (const s of opts.sources) {
    if (s !== '-') inputs.push({ what: 'input', file: s });
    else if (opts.stdin === undefined) inputs.push({ what: 'input', file: 0 });
  }
  const outputs: FileUse[] = [];
  if (opts.errorsFile !== undefined) outputs.push({ what: '--errors', file: opts.errorsFile });
  for (const v of opts.verbs) {
    for (const f of v.files?.inputs ?? []) inputs.push({ what: `${v.name} input`, file: f });
    for (const f of v.files?.outputs ?? []) outputs.push({ what: `${v.name} output`, file: f });
  }
  if (opts.stdout === undefined) outputs.push({ what: 'output', file: 1 });
  return [inputs, outputs];
}
