/**
 * Timeout values: parsing and the module's default timeout.
 *
 * A timeout is seconds as a JS number, or `null` for blocking. Internally it
 * is whole nanoseconds, rounded away from zero, in the native form the binding
 * takes: `-1` blocking, `0` non-blocking, `> 0` nanoseconds.
 *
 * Source: CPython `Modules/socketmodule.c` `socket_parse_timeout` and
 * `_PyTime_FromSecondsObject(..., _PyTime_ROUND_TIMEOUT)`.
 */
import { typeName } from './args.js';

/** The native form of "blocking". */
export const BLOCKING = -1;

/**
 * Parses a timeout in seconds into the native form (nanoseconds; -1 for null).
 * @throws TypeError for undefined or anything that is not a number or null.
 * @throws RangeError `'Invalid value NaN (not a number)'`, `'Timeout value out
 *   of range'` (negative), `'timestamp out of range for platform time_t'`
 *   (±Infinity, or 2**63 ns or more).
 */
export function parseTimeout(value: unknown): number {
  if (value === null) return BLOCKING;
  if (typeof value !== 'number') {
    throw new TypeError(`timeout must be a number of seconds or null, not ${typeName(value)}`);
  }
  if (Number.isNaN(value)) throw new RangeError('Invalid value NaN (not a number)');
  const ns = Math.ceil(Math.abs(value) * 1e9);
  if (!(ns < 2 ** 63)) throw new RangeError('timestamp out of range for platform time_t');
  if (value < 0) throw new RangeError('Timeout value out of range');
  return ns;
}

/** The seconds (or null) a native timeout stands for. */
export function seconds(t: number): number | null {
  return t < 0 ? null : t / 1e9;
}

let defaultTimeout = BLOCKING;

/**
 * Sets the timeout, in seconds, that new socket objects start with; `null`
 * (the initial value) means blocking, `0` non-blocking. Per module instance:
 * each worker thread that loads sockmode has its own default.
 * @throws TypeError, RangeError as `settimeout`.
 * Source: Python's `socket.setdefaulttimeout`.
 */
export function setdefaulttimeout(timeout: number | null): void {
  defaultTimeout = parseTimeout(timeout);
}

/**
 * The default timeout in seconds for new socket objects, or `null`.
 * Source: Python's `socket.getdefaulttimeout`.
 */
export function getdefaulttimeout(): number | null {
  return seconds(defaultTimeout);
}

/** @internal The default in native form. */
export function defaultNative(): number {
  return defaultTimeout;
}
