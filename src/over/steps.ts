/**
 * Per-key step functions of `over` (Miller's `step`, SQL's LAG and
 * ROW_NUMBER): `lag(f[, n])`, `delta(f)`, `rate(f)`, `ewma(f, alpha)`,
 * `row_number()`. Unlike the aggregates they ignore the frame: each looks at
 * the previous records of its key (all of them for row_number and ewma).
 */
import { UsageError } from '../engine/errors.js';
import type { Rec } from '../engine/types.js';
import { numberOf, pathGetter } from '../engine/values.js';
import { keep, reportNonFinite } from '../agg/accumulators.js';
import { parseFieldRef, splitTop } from '../agg/parse.js';
import { decodeCount, decodeNum, decodeValue, encodeNum, encodeValue, stateError } from '../state/codec.js';

/** The step function names. */
export const STEP_NAMES = ['lag', 'delta', 'rate', 'ewma', 'row_number'] as const;
export type StepFn = (typeof STEP_NAMES)[number];

/** One parsed step function. */
export interface StepSpec {
  fn: StepFn;
  path: string[] | null;
  field: string | null;
  /** lag: how many records back (≥ 1); ewma: alpha in (0, 1]. */
  arg: number;
  /** Output field name. */
  name: string;
  text: string;
}

const STEP_RE = /^(lag|delta|rate|ewma|row_number)\s*\(/i;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** True when an item of the aggregate list is a step function call. */
export function isStep(item: string): boolean {
  return STEP_RE.test(item);
}

/**
 * Parse one step function (`lag(price, 2) as prev2`).
 * @throws UsageError for a wrong number of arguments, a bad n or alpha, or a bad name
 */
export function parseStep(item: string): StepSpec {
  const m = STEP_RE.exec(item)!;
  const fn = m[1]!.toLowerCase() as StepFn;
  let i = m[0].length;
  let tick = false;
  for (; i < item.length; i++) {
    if (item[i] === '`') tick = !tick;
    else if (!tick && item[i] === ')') break;
  }
  if (i >= item.length) throw new UsageError(`over: missing ')' in '${item}'`);
  const inner = item.slice(m[0].length, i).trim();
  const rest = item.slice(i + 1).trim();
  const args = inner === '' ? [] : splitTop(inner);
  let path: string[] | null = null;
  let field: string | null = null;
  let arg = 0;
  const wantArgs = (min: number, max: number, shape: string) => {
    if (args.length < min || args.length > max) throw new UsageError(`over: ${fn} takes ${shape} (got '${item}')`);
  };
  if (fn === 'row_number') wantArgs(0, 0, 'no arguments: row_number()');
  else {
    if (fn === 'lag') wantArgs(1, 2, 'a field and an optional count: lag(f) or lag(f, n)');
    else if (fn === 'ewma') wantArgs(2, 2, 'a field and alpha: ewma(f, 0.1)');
    else wantArgs(1, 1, `one field: ${fn}(f)`);
    ({ path, name: field } = parseFieldRef(args[0]!, `the field of '${item}'`));
  }
  if (fn === 'lag') {
    const t = args[1]?.trim() ?? '1';
    if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > 1_000_000) throw new UsageError(`over: lag's count must be a whole number from 1 to 1000000 (got '${t}')`);
    arg = Number(t);
  } else if (fn === 'ewma') {
    const t = args[1]!.trim();
    const a = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(t) ? Number(t) : NaN;
    if (!(a > 0 && a <= 1)) throw new UsageError(`over: ewma's alpha must be a number above 0 and at most 1 (got '${t}')`);
    arg = a;
  }
  let name = fn === 'row_number' ? 'row_number' : fn === 'lag' && arg !== 1 ? `lag${arg}_${field}` : `${fn}_${field}`;
  if (rest !== '') {
    const am = /^as\s+(.*)$/is.exec(rest);
    if (!am) throw new UsageError(`over: unexpected '${rest}' after '${item.slice(0, i + 1)}' (expected 'as NAME' or ',')`);
    const n = am[1]!.trim();
    if (n.startsWith('`') && n.endsWith('`') && n.length > 2 && !n.slice(1, -1).includes('`')) name = n.slice(1, -1);
    else if (NAME_RE.test(n)) name = n;
    else throw new UsageError(`over: bad name '${n}' after 'as' in '${item}' (use letters, digits, _ and .; or \`any name\` in backticks)`);
  }
  return { fn, path, field, arg, name, text: item };
}

/**
 * The state of one step function for one key. `step` takes the record and
 * its event time (NaN without --time) and returns the output value.
 */
export interface StepState {
  step(rec: Rec, t: number): unknown;
  /** For checkpoints: what the step remembers, JSON-serialisable (src/state/codec.ts encodings). */
  save(): unknown;
  /** The inverse of `save`. @throws StateError */
  load(v: unknown): void;
}

/** The array of a step's saved state. @throws StateError */
function saved(v: unknown, n: number): unknown[] {
  if (!Array.isArray(v) || v.length !== n) throw stateError('a step function state does not fit');
  return v;
}

const encNum = (x: number | null): unknown => (x === null ? null : encodeNum(x));
const decNum = (v: unknown): number | null => (v === null ? null : decodeNum(v));

/** A factory of per-key states for one step function. */
export type StepMaker = () => StepState;

/** Compile a step function into a factory of per-key states. */
export function compileStep(s: StepSpec): StepMaker {
  const get = s.path === null ? null : pathGetter(s.path);
  switch (s.fn) {
    case 'row_number':
      return () => {
        let n = 0;
        return {
          step: () => ++n,
          save: () => [n],
          load(v) {
            n = decodeCount(saved(v, 1)[0]);
          },
        };
      };
    case 'lag': {
      const n = s.arg;
      if (n === 1) {
        return () => {
          let prev: unknown = null;
          return {
            step(rec) {
              const out = prev;
              const v = get!(rec);
              prev = v === undefined ? null : keep(v);
              return out;
            },
            save: () => [encodeValue(prev)],
            load(v) {
              prev = decodeValue(saved(v, 1)[0]);
            },
          };
        };
      }
      // A ring of the last n values.
      return () => {
        const ring: unknown[] = [];
        let at = 0;
        return {
          step(rec) {
            const v = get!(rec);
            const kept = v === undefined ? null : keep(v);
            if (ring.length < n) {
              ring.push(kept);
              return null;
            }
            const out = ring[at];
            ring[at] = kept;
            at = at + 1 === n ? 0 : at + 1;
            return out;
          },
          save: () => [ring.map(encodeValue), at],
          load(v) {
            const a = saved(v, 2);
            if (!Array.isArray(a[0]) || a[0].length > n) throw stateError('a lag state does not fit');
            ring.length = 0;
            for (const x of a[0]) ring.push(decodeValue(x));
            at = decodeCount(a[1]);
            if (at >= n) throw stateError('a lag state does not fit');
          },
        };
      };
    }
    case 'delta':
      return () => {
        let prev: number | null = null;
        return {
          step(rec) {
            const x = numberOf(get!(rec));
            const out = x !== null && prev !== null ? reportNonFinite(x - prev) : null;
            prev = x;
            return out;
          },
          save: () => [encNum(prev)],
          load(v) {
            prev = decNum(saved(v, 1)[0]);
          },
        };
      };
    case 'rate':
      return () => {
        let prev: number | null = null;
        let prevT = NaN;
        return {
          step(rec, t) {
            const x = numberOf(get!(rec));
            const dt = t - prevT;
            const out = x !== null && prev !== null && dt > 0 ? reportNonFinite(((x - prev) * 1000) / dt) : null;
            prev = x;
            prevT = t;
            return out;
          },
          save: () => [encNum(prev), encodeNum(prevT)],
          load(v) {
            const a = saved(v, 2);
            prev = decNum(a[0]);
            prevT = decodeNum(a[1]);
          },
        };
      };
    case 'ewma': {
      const alpha = s.arg;
      return () => {
        let s: number | null = null;
        return {
          step(rec) {
            const x = numberOf(get!(rec));
            if (x !== null) s = s === null ? x : alpha * x + (1 - alpha) * s;
            // (Past the doubles: "Infinity" or "NaN", as agg writes a sum that overflowed, never null.)
            return s === null ? null : reportNonFinite(s);
          },
          save: () => [encNum(s)],
          load(v) {
            s = decNum(saved(v, 1)[0]);
          },
        };
      };
    }
  }
}
