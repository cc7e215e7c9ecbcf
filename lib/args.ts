/**
 * Argument checks shared by every public function: Python's error classes
 * with JS type names in the text.
 * @internal
 */
import { constants } from 'node:buffer';

const MAX_LENGTH = constants.MAX_LENGTH;

/** The JS name of a value's type, for error messages. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'Array';
  if (typeof v === 'string') return 'str';
  if (Buffer.isBuffer(v)) return 'Buffer';
  return typeof v;
}

/**
 * A whole-number argument of any size (a byte count).
 * @throws TypeError for anything that is not an integer number (Python:
 *   "'str' object cannot be interpreted as an integer").
 */
export function size(v: unknown, what?: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    const kind = typeof v === 'number' ? 'float' : typeName(v);
    throw new TypeError(`${what ? what + ': ' : ''}'${kind}' object cannot be interpreted as an integer`);
  }
  return v;
}

/**
 * A C `int` argument (fd, flags, family, level, backlog...).
 * @throws TypeError (not an integer), RangeError('signed integer is greater
 *   than maximum' / 'less than minimum'), Python's OverflowError texts.
 */
export function int(v: unknown, what?: string): number {
  const n = size(v, what);
  if (n > 0x7fffffff) throw new RangeError(`${what ? what + ': ' : ''}signed integer is greater than maximum`);
  if (n < -0x80000000) throw new RangeError(`${what ? what + ': ' : ''}signed integer is less than minimum`);
  return n;
}

/** An optional C `int` argument: `undefined` gives `dflt`. */
export function optInt(v: unknown, dflt: number, what?: string): number {
  return v === undefined ? dflt : int(v, what);
}

/**
 * A bytes-like argument: a Buffer, any TypedArray or a DataView.
 * @throws TypeError("a bytes-like object is required, not 'str'").
 */
export function bytesLike(v: unknown): ArrayBufferView {
  if (!ArrayBuffer.isView(v)) throw new TypeError(`a bytes-like object is required, not '${typeName(v)}'`);
  return v;
}

/** Python's repr of an address (a tuple for arrays) for messages. */
export function pyRepr(v: unknown): string {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return v.length === 1 ? `(${pyRepr(v[0])},)` : `(${v.map(pyRepr).join(', ')})`;
  if (Buffer.isBuffer(v))
    return `b'${[...v].map((c) => (c >= 32 && c < 127 && c !== 39 && c !== 92 ? String.fromCharCode(c) : '\\x' + c.toString(16).padStart(2, '0'))).join('')}'`;
  if (v === null || v === undefined) return 'None';
  return String(v);
}

/**
 * The size of a receive into a new Buffer: a whole number, not negative
 * (`RangeError(negative)`, Python's text for the call), at most what a
 * Buffer can hold (`RangeError('buffer size too large: N')`, where Python
 * raises MemoryError or OverflowError).
 */
export function recvSize(v: unknown, negative: string): number {
  const n = size(v, 'bufsize');
  if (n < 0) throw new RangeError(negative);
  if (n > MAX_LENGTH) throw new RangeError(`buffer size too large: ${n} (at most ${MAX_LENGTH})`);
  return n;
}
