/**
 * `sockmode/select`: waiting for readiness, Python's `select` module.
 *
 * `select()` is built on poll(2), so fds above FD_SETSIZE work (better than
 * the reference, which is limited to 1024 on Linux).
 *
 * Source: select(2), poll(2), Python's `select` module.
 *
 * @module sockmode/select
 */
import { typeName } from './args.js';
import { KeyError, OSError } from './errors.js';
import { native } from './native.js';
import { parseTimeout } from './timeout.js';

const C = native.constants;

/**
 * poll(2) event bits, for `Poll.register()` masks and in `poll()`'s revents:
 * `POLLIN` data to read (or end of stream, or a pending connection);
 * `POLLPRI` urgent data (TCP out-of-band); `POLLOUT` writing will not block;
 * `POLLERR` an error is pending, `POLLHUP` hang-up, `POLLNVAL` the fd is not
 * open: these three are reported whether asked for or not.
 * Source: poll(2); Python's `select.POLL*`.
 */
export const POLLIN = C.POLLIN,
  POLLPRI = C.POLLPRI,
  POLLOUT = C.POLLOUT,
  POLLERR = C.POLLERR,
  POLLHUP = C.POLLHUP,
  POLLNVAL = C.POLLNVAL;
/**
 * poll(2) event bit: the peer shut down its writing half (`undefined` where
 * the platform lacks it; Linux has it). Source: poll(2); Python's
 * `select.POLLRDHUP`.
 */
export const POLLRDHUP: number | undefined = C.POLLRDHUP;

/** An fd, or an object with a `fileno()` method returning one (a `Socket`). */
export type FileLike =
  | number
  | {
      /** The object's fd; a closed `Socket` returns -1. */
      fileno(): number;
    };

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

/** The events a `poll` or `epoll` registration asks for by default. */
const DEFAULT_MASK = C.POLLIN | C.POLLPRI | C.POLLOUT;

function eventMask(mask: unknown, max: number): number {
  if (typeof mask !== 'number' || !Number.isInteger(mask)) {
    throw new TypeError(`eventmask must be an integer, not ${typeName(mask)}`);
  }
  // JS's | makes EPOLLET (bit 31) negative: read a 32-bit pattern as unsigned.
  const m = mask < 0 && mask >= -0x80000000 ? mask >>> 0 : mask;
  if (m < 0 || m > max) throw new RangeError(`eventmask out of range: ${mask}`);
  return m;
}

/** A poll timeout in milliseconds (null or negative: forever) in native nanoseconds. */
function pollTimeout(timeoutMs: unknown): number {
  if (timeoutMs === undefined || timeoutMs === null) return -1;
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs)) {
    throw new TypeError(`timeout must be an integer or None, not ${typeName(timeoutMs)}`);
  }
  const ms = Math.ceil(timeoutMs);
  if (ms > 0x7fffffff || ms < -0x80000000) throw new RangeError('timeout is too large');
  return ms < 0 ? -1 : ms * 1e6;
}

/**
 * A `poll(2)` set: Python's `select.poll` object. Registrations are kept
 * here; each `poll()` is one poll(2) over all of them.
 * Source: poll(2), Python's `select.poll`.
 */
export class Poll {
  #events = new Map<number, number>();
  #arrays: [Int32Array, Int32Array, Int32Array] | null = null;

  /**
   * Watches `fd` (an fd or an object with `fileno()`) for `eventmask`
   * (default POLLIN | POLLPRI | POLLOUT); registering again overwrites.
   * @throws TypeError, RangeError (negative fd, mask beyond 16 bits).
   */
  register(fd: FileLike, eventmask: number = DEFAULT_MASK): void {
    this.#events.set(fdOf(fd), eventMask(eventmask, 0xffff));
    this.#arrays = null;
  }

  /**
   * Changes the mask of a registered fd.
   * @throws FileNotFoundError [Errno 2] when fd is not registered.
   */
  modify(fd: FileLike, eventmask: number): void {
    const n = fdOf(fd);
    const mask = eventMask(eventmask, 0xffff);
    if (!this.#events.has(n)) throw new OSError(native.errno.ENOENT, 'No such file or directory');
    this.#events.set(n, mask);
    this.#arrays = null;
  }

  /** Stops watching fd. @throws KeyError when fd is not registered. */
  unregister(fd: FileLike): void {
    const n = fdOf(fd);
    if (!this.#events.delete(n)) throw new KeyError(String(n));
    this.#arrays = null;
  }

  /**
   * Waits at most `timeoutMs` milliseconds (`null`, omitted or negative:
   * forever) and returns `[fd, revents]` for every fd with events, POLLNVAL
   * included (an fd that is not open). EINTR waits again with what remains.
   * @throws RangeError('timeout is too large') beyond 2**31 - 1 ms.
   * Source: poll(2), Python's `select.poll.poll()`.
   */
  poll(timeoutMs?: number | null): [number, number][] {
    const t = pollTimeout(timeoutMs);
    if (!this.#arrays) {
      const fds = Int32Array.from(this.#events.keys());
      this.#arrays = [fds, Int32Array.from(this.#events.values()), new Int32Array(fds.length)];
    }
    const [fds, events, revents] = this.#arrays;
    const out: [number, number][] = [];
    if (native.poll(fds, events, revents, t, false) > 0) {
      for (let i = 0; i < fds.length; i++) if (revents[i]) out.push([fds[i], revents[i]]);
    }
    return out;
  }
}

/**
 * A new `poll(2)` set. Source: Python's `select.poll()`.
 */
export function poll(): Poll {
  return new Poll();
}

/**
 * epoll(7) event bits (Linux; `undefined` elsewhere), for `epoll` masks and
 * results: `EPOLLIN`, `EPOLLOUT`, `EPOLLPRI`, `EPOLLERR`, `EPOLLHUP` as the
 * POLL* bits; `EPOLLRDHUP` the peer shut down its writing half; `EPOLLET`
 * edge-triggered (bit 31); `EPOLLONESHOT` report once, then disable until
 * `modify()`; `EPOLLEXCLUSIVE` exclusive wakeup among the epoll instances
 * watching the fd with it (`register()` only); `EPOLLRDNORM`, `EPOLLRDBAND`,
 * `EPOLLWRNORM`, `EPOLLWRBAND` normal and priority band data, as poll(2)'s;
 * `EPOLLMSG` ignored by Linux.
 * Source: epoll_ctl(2); Python's `select.EPOLL*`.
 */
export const EPOLLIN = C.EPOLLIN,
  EPOLLOUT = C.EPOLLOUT,
  EPOLLPRI = C.EPOLLPRI,
  EPOLLERR = C.EPOLLERR,
  EPOLLHUP = C.EPOLLHUP,
  EPOLLRDHUP = C.EPOLLRDHUP,
  EPOLLET = C.EPOLLET,
  EPOLLONESHOT = C.EPOLLONESHOT,
  EPOLLEXCLUSIVE = C.EPOLLEXCLUSIVE,
  EPOLLRDNORM = C.EPOLLRDNORM,
  EPOLLRDBAND = C.EPOLLRDBAND,
  EPOLLWRNORM = C.EPOLLWRNORM,
  EPOLLWRBAND = C.EPOLLWRBAND,
  EPOLLMSG = C.EPOLLMSG;

/**
 * An epoll(7) instance (Linux): Python's `select.epoll`. Its fd is
 * close-on-exec; `close()` or `using` releases it.
 * @throws Error on platforms without epoll; OSError from epoll_create1(2).
 * Source: epoll(7), Python's `select.epoll`.
 */
export class epoll {
  #epfd: number;
  #out: Int32Array = new Int32Array(0);

  /**
   * Creates the epoll fd with epoll_create1(EPOLL_CLOEXEC). `sizehint` and
   * `flags` are accepted for Python's signature and ignored.
   */
  constructor(sizehint = -1, flags = 0) {
    void sizehint;
    void flags;
    if (typeof native.epoll_create !== 'function') throw new Error('epoll is not available on this platform');
    this.#epfd = native.epoll_create();
  }

  #fd(): number {
    if (this.#epfd < 0) throw new RangeError('I/O operation on closed epoll object');
    return this.#epfd;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#epfd < 0;
  }

  /** The epoll fd; @throws RangeError when closed. */
  fileno(): number {
    return this.#fd();
  }

  /** Closes the epoll fd; a second call does nothing. */
  close(): void {
    const fd = this.#epfd;
    if (fd < 0) return;
    this.#epfd = -1;
    native.close(fd);
  }

  /** `close()`, for `using ep = new epoll()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Watches fd for `eventmask` (default EPOLLIN | EPOLLPRI | EPOLLOUT).
   * @throws FileExistsError [Errno 17] when already registered, OSError
   *   [Errno 9] for an fd that is not open, PermissionError [Errno 1] for a
   *   regular file.
   * Source: epoll_ctl(2) EPOLL_CTL_ADD.
   */
  register(fd: FileLike, eventmask: number = DEFAULT_MASK): void {
    native.epoll_ctl(this.#fd(), C.EPOLL_CTL_ADD, fdOf(fd), eventMask(eventmask, 0xffffffff));
  }

  /**
   * Changes the mask of a registered fd.
   * @throws FileNotFoundError [Errno 2] when it is not registered.
   * Source: epoll_ctl(2) EPOLL_CTL_MOD.
   */
  modify(fd: FileLike, eventmask: number): void {
    native.epoll_ctl(this.#fd(), C.EPOLL_CTL_MOD, fdOf(fd), eventMask(eventmask, 0xffffffff));
  }

  /**
   * Stops watching fd. @throws FileNotFoundError [Errno 2] when it is not
   * registered, OSError [Errno 9] when fd is not open.
   * Source: epoll_ctl(2) EPOLL_CTL_DEL.
   */
  unregister(fd: FileLike): void {
    native.epoll_ctl(this.#fd(), C.EPOLL_CTL_DEL, fdOf(fd), 0);
  }

  /**
   * Waits at most `timeout` seconds (`null`, omitted or negative: forever)
   * for at most `maxevents` events (-1: FD_SETSIZE - 1); returns `[fd,
   * events]` pairs. EINTR waits again with what remains.
   * @throws RangeError('maxevents must be greater than 0, got N').
   * Source: epoll_wait(2), Python's `select.epoll.poll()`.
   */
  poll(timeout?: number | null, maxevents = -1): [number, number][] {
    const epfd = this.#fd();
    let t = -1;
    if (timeout !== undefined && timeout !== null) {
      if (typeof timeout !== 'number') throw new TypeError('timeout must be a float or None');
      t = timeout < 0 ? -1 : parseTimeout(timeout);
    }
    const max = maxevents === -1 ? 1023 : maxevents;
    if (typeof max !== 'number' || !Number.isInteger(max)) throw new TypeError('maxevents must be an integer');
    if (max <= 0) throw new RangeError(`maxevents must be greater than 0, got ${maxevents}`);
    const stride = C.EPOLL_EVENT_INTS;
    if (this.#out.length < max * stride) this.#out = new Int32Array(max * stride);
    const out = this.#out.length === max * stride ? this.#out : this.#out.subarray(0, max * stride);
    const n = native.epoll_wait(epfd, t, out);
    const ready: [number, number][] = new Array(n);
    for (let i = 0; i < n; i++) ready[i] = [out[i * stride + C.EPOLL_FD_INT], out[i * stride] >>> 0];
    return ready;
  }
}
