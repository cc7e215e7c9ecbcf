/**
 * `sockmode/select`: waiting for readiness, Python's `select` module.
 *
 * `select()` is built on poll(2), so fds above FD_SETSIZE work (better than
 * the reference, which is limited to 1024 on Linux).
 *
 * Source: select(2), poll(2), Python's `select` module.
 */
import { typeName } from './args.js';
import './errors.js';
import { native } from './native.js';
import { parseTimeout } from './timeout.js';

const C = native.constants;

/** poll(2) events. Source: poll(2). */
export const POLLIN = C.POLLIN, POLLPRI = C.POLLPRI, POLLOUT = C.POLLOUT, POLLERR = C.POLLERR,
  POLLHUP = C.POLLHUP, POLLNVAL = C.POLLNVAL;
/** `undefined` where the platform lacks it (Linux has it). */
export const POLLRDHUP: number | undefined = C.POLLRDHUP;

/** An fd, or an object with a `fileno()` method returning one (a `Socket`). */
export type FileLike = number | { fileno(): number };

// What select(2) reports for each poll(2) revents (the kernel's POLLIN_SET,
// POLLOUT_SET and POLLEX_SET).
const READABLE = C.POLLIN | C.POLLHUP | C.POLLERR;
const WRITABLE = C.POLLOUT | C.POLLERR;
const EXCEPTIONAL = C.POLLPRI;

/**
 * The fd of an fd or of an object with `fileno()`.
 * @throws TypeError('argument must be an int, or have a fileno() method.'),
 *   RangeError('file descriptor cannot be a negative integer (-1)').
 * Source: CPython `PyObject_AsFileDescriptor`.
 */
export function fdOf(f: FileLike): number {
  let fd: unknown = f;
  if (typeof f === 'object' && f !== null && typeof (f as { fileno?: unknown }).fileno === 'function') {
    fd = f.fileno();
  } else if (typeof f !== 'number') {
    throw new TypeError(`argument must be an int, or have a fileno() method, not ${typeName(f)}`);
  }
  if (typeof fd !== 'number' || !Number.isInteger(fd)) throw new TypeError('fileno() returned a non-integer');
  if (fd < 0) throw new RangeError(`file descriptor cannot be a negative integer (${fd})`);
  return fd;
}

/**
 * Waits until some of the given fds are ready: for reading (`rlist`), for
 * writing (`wlist`) or with an exceptional condition (`xlist`, POLLPRI).
 * Returns `[readable, writable, exceptional]`: the original objects, in input
 * order. `timeout` is seconds; `null` or omitted waits forever, 0 polls.
 * `EINTR` retries with the remaining time.
 * @throws TypeError (an element that is no fd, a timeout that is not a
 *   number), RangeError('timeout must be non-negative'), RangeError('file
 *   descriptor cannot be a negative integer (-1)') (a closed socket),
 *   OSError [Errno 9] (an fd that is not open).
 * Source: select(2) (implemented on poll(2)), Python's `select.select()`.
 */
export function select<R extends FileLike, W extends FileLike, X extends FileLike>(
  rlist: Iterable<R>,
  wlist: Iterable<W>,
  xlist: Iterable<X>,
  timeout?: number | null,
): [R[], W[], X[]] {
  let t = -1;
  if (timeout !== undefined && timeout !== null) {
    if (typeof timeout !== 'number') throw new TypeError('timeout must be a float or None');
    if (timeout < 0) throw new RangeError('timeout must be non-negative');
    t = parseTimeout(timeout);
  }
  const lists = [[...rlist], [...wlist], [...xlist]] as const;
  const masks = [C.POLLIN, C.POLLOUT, C.POLLPRI];
  const index = new Map<number, number>();
  const fdList: number[] = [];
  const evList: number[] = [];
  const fdsOf = lists.map((list, k) =>
    list.map((f) => {
      const fd = fdOf(f);
      let i = index.get(fd);
      if (i === undefined) {
        i = fdList.length;
        index.set(fd, i);
        fdList.push(fd);
        evList.push(0);
      }
      evList[i] |= masks[k];
      return i;
    }),
  );
  const fds = Int32Array.from(fdList);
  const revents = new Int32Array(fds.length);
  native.poll(fds, Int32Array.from(evList), revents, t, true);
  const wanted = [READABLE, WRITABLE, EXCEPTIONAL];
  return lists.map((list, k) => list.filter((_, j) => revents[fdsOf[k][j]] & wanted[k])) as [R[], W[], X[]];
}
