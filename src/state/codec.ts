/**
 * The value encoding of sluice's partial state (format version 1; man page
 * PARTIAL STATE). Accumulators (src/agg/accumulators.ts) write their state
 * with these helpers, so that a state is plain JSON: any JSON serialiser
 * writes it and any JSON parser reads it back exactly.
 *
 * - A kept value of the data (min, max, first, last, collect, percentile
 *   values): strings, booleans, null and numbers whose text is JavaScript's
 *   shortest form as themselves; a number kept with its text as read (`1.50`,
 *   integers beyond 2^53: `NumText`) as `{"$n":"1.50"}`; an object or array
 *   as `{"$j":"<its JSON text>"}` (its own numbers keep their text too).
 * - A number of the state (a sum, a mean): itself when finite, else the
 *   string `"Infinity"`, `"-Infinity"` or `"NaN"`.
 * - Binary data (HyperLogLog registers and hashes): base64 (RFC 4648) of the
 *   bytes; Uint32 arrays little-endian.
 */
import { NumText, noteNumText, stringifyValue } from '../engine/values.js';
import { parseExact } from '../formats/exactjson.js';

/** The partial state format version written by this build. */
export const STATE_VERSION = 1;

/** An error in a partial state; the message says what is wrong. */
export class StateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateError';
  }
}

/** A StateError (for `throw stateError(...)`). */
export function stateError(message: string): StateError {
  return new StateError(message);
}

/** Encode a kept value of the data (see the module comment). */
export function encodeValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  const t = typeof v;
  if (t === 'string' || t === 'boolean') return v;
  if (t === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : { $n: Object.is(v, -0) ? '-0' : String(v) };
  if (v instanceof NumText) return { $n: v.text };
  return { $j: stringifyValue(v) };
}

/**
 * Decode a kept value written by `encodeValue`.
 * @throws StateError on anything `encodeValue` cannot have written
 */
export function decodeValue(e: unknown): unknown {
  if (e === null || typeof e === 'string' || typeof e === 'boolean') return e;
  if (typeof e === 'number') return e;
  if (e instanceof NumText) return e; // a parser that keeps number texts
  if (typeof e === 'object' && !Array.isArray(e)) {
    const o = e as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o.$n === 'string') {
      const text = o.$n;
      const n = Number(text);
      if (text === 'NaN' || text === 'Infinity' || text === '-Infinity') return n;
      if (!/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(text)) throw stateError(`bad number '${text.slice(0, 40)}'`);
      if (String(n) === text) return n;
      noteNumText();
      return new NumText(n, text);
    }
    if (keys.length === 1 && typeof o.$j === 'string') {
      try {
        const v = parseExact(o.$j);
        if (v !== null && typeof v === 'object') return v;
      } catch {
        /* fall through */
      }
      throw stateError('bad encoded object value');
    }
  }
  throw stateError('bad value');
}

/** Encode a number of the state: finite as itself, else its name. */
export function encodeNum(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

/**
 * Decode a number written by `encodeNum` (a NumText from an exact parser is taken by value).
 * @throws StateError when it is not one
 */
export function decodeNum(e: unknown): number {
  if (typeof e === 'number') return e;
  if (e instanceof NumText) return e.value;
  if (e === 'Infinity' || e === '-Infinity' || e === 'NaN') return Number(e);
  throw stateError('bad number');
}

/** Decode a count: a non-negative safe integer. @throws StateError */
export function decodeCount(e: unknown): number {
  const n = e instanceof NumText ? e.value : e;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) return n;
  throw stateError('bad count');
}

/** Bytes as base64. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Base64 to bytes, checking the alphabet and (when given) the length.
 * @throws StateError
 */
export function fromBase64(s: unknown, length?: number): Uint8Array {
  if (typeof s !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw stateError('bad base64');
  const b = Buffer.from(s, 'base64');
  if (length !== undefined && b.length !== length) throw stateError(`base64 data of ${b.length} bytes, expected ${length}`);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Uint32 values as base64 of their little-endian bytes. */
export function u32ToBase64(values: ArrayLike<number>): string {
  const b = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) b.writeUInt32LE(values[i]! >>> 0, i * 4);
  return b.toString('base64');
}

/** The inverse of `u32ToBase64`. @throws StateError */
export function u32FromBase64(s: unknown): number[] {
  const bytes = fromBase64(s);
  if (bytes.length % 4 !== 0) throw stateError('base64 data is not whole 32-bit words');
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<number>(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readUInt32LE(i * 4);
  return out;
}
