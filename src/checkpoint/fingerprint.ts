/**
 * The pipeline fingerprint of a checkpoint: the verbs with their parsed
 * options, the formats and the sources. A checkpoint is resumed only by the
 * same pipeline; otherwise the run is refused with what differs.
 */
import type { VerbInstance } from '../engine/types.js';
import type { Fingerprint } from './file.js';

/** The fingerprint of a command line (see Fingerprint). */
export function fingerprintOf(o: {
  inputFormat: string;
  outputFormat?: string;
  delimiter?: string;
  noHeader: boolean;
  sources: string[];
  follow?: boolean;
  verbs: VerbInstance[];
}): Fingerprint {
  return {
    input: o.inputFormat,
    output: o.outputFormat ?? null,
    delimiter: o.delimiter ?? null,
    noHeader: o.noHeader,
    sources: [...o.sources],
    follow: o.follow === true,
    // (JSON round trip: plain data only, as it will be read back.)
    verbs: o.verbs.map((v) => ({ name: v.name, options: JSON.parse(JSON.stringify(v.explain ?? {})) as unknown })),
  };
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'nothing' : s.length > 120 ? s.slice(0, 117) + '...' : s;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * What differs between the checkpoint's fingerprint and this run's, in words
 * (`verb 3 (window): option lateness was "30s", now "1m"`), or undefined when
 * they are the same pipeline. `--follow` may be added or removed: it changes
 * when input ends, not what the verbs compute.
 */
export function fingerprintDiff(saved: Fingerprint, now: Fingerprint): string | undefined {
  const verbsOf = (f: Fingerprint) => f.verbs.map((v) => v.name).join(' then ') || '(no verb)';
  if (!Array.isArray(saved.verbs)) return 'the checkpoint holds no pipeline';
  if (saved.verbs.length !== now.verbs.length || saved.verbs.some((v, i) => v.name !== now.verbs[i]!.name)) {
    return `the verbs were '${verbsOf(saved)}', now '${verbsOf(now)}'`;
  }
  for (let i = 0; i < now.verbs.length; i++) {
    const a = saved.verbs[i]!.options as Record<string, unknown>;
    const b = now.verbs[i]!.options as Record<string, unknown>;
    if (same(a, b)) continue;
    const keys = [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])];
    for (const k of keys) {
      if (!same(a?.[k], b?.[k])) return `verb ${i + 1} (${now.verbs[i]!.name}): option ${k} was ${show(a?.[k])}, now ${show(b?.[k])}`;
    }
    return `verb ${i + 1} (${now.verbs[i]!.name}): options differ`;
  }
  if (!same(saved.sources, now.sources)) return `the sources were ${show(saved.sources)}, now ${show(now.sources)}`;
  if (saved.input !== now.input) return `the input format was ${saved.input}, now ${now.input}`;
  if (saved.output !== now.output) return `the output format was ${saved.output ?? 'as input'}, now ${now.output ?? 'as input'}`;
  if (saved.delimiter !== now.delimiter) return `the delimiter was ${show(saved.delimiter)}, now ${show(now.delimiter)}`;
  if (saved.noHeader !== now.noHeader) return `--no-header was ${saved.noHeader ? 'given' : 'not given'}, now ${now.noHeader ? 'given' : 'not given'}`;
  return undefined;
}
