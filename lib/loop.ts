/**
 * `loop`: asyncio's `loop.sock_*` for Node's event loop. Each function
 * returns a Promise and never blocks the event loop nor uses the libuv thread
 * pool for waiting: it tries the syscall (with MSG_DONTWAIT), and on EAGAIN
 * waits for readiness on the event loop (one uv_poll handle per fd, from the
 * running environment's own loop), then tries again.
 *
 * Rules (SEMANTICS §10):
 * - The socket must be non-blocking (`setblocking(false)`), or the Promise
 *   rejects with `RangeError('the socket must be non-blocking')`, always.
 * - No function throws synchronously: every failure is a rejection.
 * - Waiters on one socket are served in order, readers and writers each in
 *   their own queue; none is lost (asyncio loses the first of two
 *   concurrent `sock_recv`).
 * - `{ signal }`: an AbortSignal cancels the wait; the rejection is the
 *   signal's reason; a cancelled receive consumes no data; a cancelled
 *   `sock_sendall` may have sent a prefix. `AbortSignal.timeout(ms)` is a
 *   timeout.
 * - Closing (or detaching) a socket with pending waits rejects them with
 *   `OSError [Errno 9]`; the fd stops being watched before it is closed.
 * - A pending wait keeps the process alive, as a pending `net` read does; a
 *   socket with no pending wait does not.
 * - An fd the event loop already watches through another owner (a
 *   `net.Socket` on the same fd) rejects with `OSError [Errno 17]`.
 * - Host names in addresses are resolved with `dns.lookup` (the resolver is
 *   not an fd wait); numeric hosts are used as they are.
 *
 * Source: Python's `asyncio` `loop.sock_recv` and siblings
 * (`Lib/asyncio/selector_events.py`).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { bytesLike, pyRepr, recvSize } from './args.js';
import { gaierror, OSError } from './errors.js';
import { native } from './native.js';
import { Address, intoCount, onRelease, Socket, SockAddress } from './socket.js';

const C = native.constants;
/** The native timeout of one attempt whose EAGAIN is an answer (native/call.h kTryTimeout). */
const TRY = C.TRY_TIMEOUT;
const READ = 1;
const WRITE = 2;

/** Options of every `loop.sock_*` call. */
export interface LoopOptions {
  /** Cancels the wait; the Promise rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** One pending operation: `attempt()` tries it, and says whether it is settled. */
interface Waiter {
  attempt(): boolean;
  fail(e: unknown): void;
}

/** The waiters of one fd and its uv_poll handle, which exists only while there are waiters. */
class Watch {
  handle: unknown = null;
  events = 0;
  /** A check that closes the handle if it is still idle is scheduled. */
  idleCheck = false;
  readonly queues: [Waiter[], Waiter[]] = [[], []]; // [readers, writers]
  constructor(readonly fd: number) {}

  /** Serves the queue of `dir` in order, while attempts succeed. */
  serve(dir: 0 | 1): void {
    const q = this.queues[dir];
    while (q.length && q[0].attempt()) q.shift();
  }

  /** Rejects every waiter with e. */
  failAll(e: unknown): void {
    for (const q of this.queues) for (const w of q.splice(0)) w.fail(e);
  }
}

const watches = new Map<number, Watch>();

/** Stops watching w's fd now and forgets w. */
function closeWatch(w: Watch): void {
  if (w.handle !== null) native.poll_close(w.handle);
  w.handle = null;
  w.events = 0;
  if (watches.get(w.fd) === w) watches.delete(w.fd);
}

/**
 * Makes the handle watch what the queues need. With no waiter left, the
 * handle is closed at the end of this loop iteration unless a new waiter came
 * meanwhile: request/response code waits again at once, and then keeps its
 * handle without a syscall. A readiness that arrives in between finds no
 * waiter and costs one callback.
 */
function sync(w: Watch): void {
  const events = (w.queues[0].length ? READ : 0) | (w.queues[1].length ? WRITE : 0);
  if (events === 0) {
    if (w.handle === null) closeWatch(w);
    else if (!w.idleCheck) {
      w.idleCheck = true;
      setImmediate(() => {
        w.idleCheck = false;
        if (watches.get(w.fd) === w && !w.queues[0].length && !w.queues[1].length) closeWatch(w);
      });
    }
    return;
  }
  if (events === w.events) return;
  if (w.handle === null) {
    try {
      w.handle = native.poll_watch(w.fd, events, (status: number, ready: number) => onReady(w, status, ready));
    } catch (e) {
      watches.delete(w.fd);
      const err =
        e instanceof OSError && e.errno === native.errno.EEXIST
          ? new OSError(
              e.errno,
              `the event loop already watches fd ${w.fd} (another owner, such as a net.Socket, holds it)`,
            )
          : e;
      w.failAll(err);
      return;
    }
  } else {
    native.poll_update(w.handle, events);
  }
  w.events = events;
}

function onReady(w: Watch, status: number, ready: number): void {
  if (status !== 0) {
    // libuv turns POLLERR into a status and stops the handle. As everywhere
    // here, revents are not inspected: both directions try their syscall,
    // which reports the real error (SEMANTICS §3); sync() restarts the handle.
    w.events = 0;
    ready = READ | WRITE;
  }
  if (ready & READ) w.serve(0);
  if (ready & WRITE) w.serve(1);
  if (watches.get(w.fd) === w) sync(w);
}

// A socket that lets go of its fd: stop watching first, then reject.
onRelease((fd) => {
  const w = watches.get(fd);
  if (!w) return;
  const waiters = w.queues.flatMap((q) => q.splice(0));
  closeWatch(w);
  const ebadf = new OSError(native.errno.EBADF, native.strerror(native.errno.EBADF));
  for (const waiter of waiters) waiter.fail(ebadf);
});

/**
 * Runs `op` now, or after readiness: `op()` returns the result, or `null`
 * for "would block". The returned Promise settles with op's result or error.
 */
/** The signal of `options`. @throws TypeError for anything but an object with an AbortSignal or nothing. */
function signalOf(options: unknown): AbortSignal | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const { signal } = options as LoopOptions;
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new TypeError('options.signal must be an AbortSignal');
  return signal;
}

function run<T>(sock: Socket, dir: 0 | 1, op: () => T | null, options?: LoopOptions, waitFirst = false): Promise<T> {
  const signal = signalOf(options);
  if (signal?.aborted) return Promise.reject(signal.reason);
  const fd = sock.fileno();
  const existing = watches.get(fd);
  // Only try at once when nobody waits ahead in this direction: order is kept.
  // (A throw here becomes the caller's rejection: every caller wraps run.)
  if (!waitFirst && (!existing || existing.queues[dir].length === 0)) {
    const r = op();
    if (r !== null) return Promise.resolve(r);
  }
  return new Promise<T>((resolve, reject) => {
    const w = existing ?? new Watch(fd);
    if (!existing) watches.set(fd, w);
    const onAbort = () => {
      const q = w.queues[dir];
      const i = q.indexOf(waiter);
      if (i < 0) return;
      q.splice(i, 1);
      if (watches.get(fd) === w) sync(w);
      reject(signal!.reason);
    };
    const done = () => signal?.removeEventListener('abort', onAbort);
    const waiter: Waiter = {
      attempt() {
        let r: T | null;
        try {
          r = op();
        } catch (e) {
          done();
          reject(e);
          return true;
        }
        if (r === null) return false;
        done();
        resolve(r);
        return true;
      },
      fail(e) {
        done();
        reject(e);
      },
    };
    w.queues[dir].push(waiter);
    signal?.addEventListener('abort', onAbort, { once: true });
    sync(w);
  });
}

/** The checks every call makes first; a failure is a rejection. */
function nonBlocking(sock: Socket): void {
  if (!(sock instanceof Socket)) throw new TypeError('sock must be a sockmode Socket');
  if (sock.gettimeout() !== 0) throw new RangeError('the socket must be non-blocking');
}

/** Calls f, turning a synchronous throw into a rejection. */
function promise<T>(f: () => Promise<T>): Promise<T> {
  try {
    return f();
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Resolves a non-numeric host with dns.lookup, as asyncio's _ensure_resolved does. */
async function resolved(sock: Socket, address: Address): Promise<Address> {
  if (!Array.isArray(address) || typeof address[0] !== 'string' || address[0] === '' || isIP(address[0])) {
    return address;
  }
  const family = sock.family === C.AF_INET6 ? 6 : 4;
  let host: string;
  try {
    ({ address: host } = await lookup(address[0], { family }));
  } catch (e) {
    // dns.lookup is getaddrinfo(3): its failure is Python's gaierror.
    const code = (e as { code?: string }).code;
    const eai =
      code === 'ENOTFOUND' ? C.EAI_NONAME : code?.startsWith('EAI_') && C[code] !== undefined ? C[code] : C.EAI_FAIL;
    const err = new gaierror(eai, native.gai_strerror(eai));
    err.code = Object.keys(C).find((k) => k.startsWith('EAI_') && C[k] === eai);
    err.syscall = 'getaddrinfo';
    throw err;
  }
  return [host, ...address.slice(1)] as Address;
}

function view(data: unknown): Uint8Array {
  const v = bytesLike(data);
  return v instanceof Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/**
 * Receives at most `nbytes` bytes: a Buffer, empty at end of stream.
 * @throws (rejects) RangeError('the socket must be non-blocking'),
 *   RangeError('negative buffersize in recv'), ConnectionResetError, OSError
 *   [Errno 9] (closed, also while waiting), the signal's reason.
 * Source: recv(2), asyncio's `loop.sock_recv()`.
 */
export function sock_recv(sock: Socket, nbytes: number, options?: LoopOptions): Promise<Buffer> {
  return promise(() => {
    nonBlocking(sock);
    const n = recvSize(nbytes, 'negative buffersize in recv');
    if (n === 0) return Promise.resolve(Buffer.alloc(0));
    return run(sock, 0, () => native.recv(sock.fileno(), TRY, n, 0) as Buffer | null, options);
  });
}

/**
 * Receives into `buf` (at most `nbytes`, 0 or omitted: all of it), in place;
 * resolves to the count. @throws as `sock_recv`, and RangeError('buffer too
 * small for requested bytes'). Source: asyncio's `loop.sock_recv_into()`.
 */
export function sock_recv_into(
  sock: Socket,
  buf: ArrayBufferView,
  nbytes?: number,
  options?: LoopOptions,
): Promise<number> {
  return promise(() => {
    nonBlocking(sock);
    const b = bytesLike(buf);
    const n = intoCount(b, nbytes, 'recv_into', 'buffer too small for requested bytes');
    if (n === 0) return Promise.resolve(0);
    return run(sock, 0, () => native.recv_into(sock.fileno(), TRY, b, n, 0) as number | null, options);
  });
}

/**
 * Receives a datagram of at most `bufsize` bytes: `[data, address]`.
 * @throws as `sock_recv`. Source: recvfrom(2), asyncio's `loop.sock_recvfrom()`.
 */
export function sock_recvfrom(
  sock: Socket,
  bufsize: number,
  options?: LoopOptions,
): Promise<[Buffer, SockAddress | null]> {
  return promise(() => {
    nonBlocking(sock);
    const n = recvSize(bufsize, 'negative buffersize in recvfrom');
    return run(
      sock,
      0,
      () => native.recvfrom(sock.fileno(), TRY, n, 0) as [Buffer, SockAddress | null] | null,
      options,
    );
  });
}

/**
 * Receives a datagram into `buf`: `[count, address]`.
 * @throws as `sock_recv`, and RangeError('nbytes is greater than the length
 *   of the buffer'). Source: asyncio's `loop.sock_recvfrom_into()`.
 */
export function sock_recvfrom_into(
  sock: Socket,
  buf: ArrayBufferView,
  nbytes?: number,
  options?: LoopOptions,
): Promise<[number, SockAddress | null]> {
  return promise(() => {
    nonBlocking(sock);
    const b = bytesLike(buf);
    const n = intoCount(b, nbytes, 'recvfrom_into', 'nbytes is greater than the length of the buffer');
    return run(
      sock,
      0,
      () => native.recvfrom_into(sock.fileno(), TRY, b, n, 0) as [number, SockAddress | null] | null,
      options,
    );
  });
}

/**
 * Sends all of `data`, waiting for buffer space as often as needed; resolves
 * when the last byte is with the kernel. Cancelling it may leave a prefix
 * sent. @throws (rejects) BrokenPipeError, ConnectionResetError, OSError
 * [Errno 9], the signal's reason. Source: asyncio's `loop.sock_sendall()`.
 */
export function sock_sendall(sock: Socket, data: ArrayBufferView, options?: LoopOptions): Promise<void> {
  return promise(() => {
    nonBlocking(sock);
    let rest = view(data);
    let first = true;
    return run(
      sock,
      1,
      () => {
        // The first attempt sends even an empty buffer (one send(2), as sendall does).
        if (rest.length === 0 && !first) return undefined;
        first = false;
        const sent = native.sendall(sock.fileno(), TRY, rest, 0) as number;
        rest = rest.subarray(sent);
        return rest.length === 0 ? undefined : null;
      },
      options,
    );
  });
}

/**
 * Sends a datagram to `address`; resolves to the bytes sent.
 * @throws as `sock_sendall`, and the address's errors.
 * Source: sendto(2), asyncio's `loop.sock_sendto()`.
 */
export function sock_sendto(
  sock: Socket,
  data: ArrayBufferView,
  address: Address,
  options?: LoopOptions,
): Promise<number> {
  return promise(async () => {
    nonBlocking(sock);
    const v = view(data);
    const to = await resolved(sock, address);
    return run(sock, 1, () => native.sendto(sock.fileno(), TRY, v, 0, sock.family, to) as number | null, options);
  });
}

/**
 * Connects to `address`, waiting for writability and reading SO_ERROR.
 * @throws (rejects) ConnectionRefusedError with message `[Errno 111] Connect
 *   call failed ('127.0.0.1', 54321)` (any connect error carries that text),
 *   the address's errors, the signal's reason.
 * Source: connect(2), asyncio's `loop.sock_connect()`.
 */
export function sock_connect(sock: Socket, address: Address, options?: LoopOptions): Promise<void> {
  return promise(async () => {
    nonBlocking(sock);
    const to = await resolved(sock, address);
    // An aborted signal stops the call before connect(2) starts anything.
    const signal = signalOf(options);
    if (signal?.aborted) throw signal.reason;
    const failed = (errno: number) => new OSError(errno, `Connect call failed ${pyRepr(to)}`);
    const code = native.connect(sock.fileno(), TRY, sock.family, to, true);
    if (code === 0) return;
    const E = native.errno;
    if (code !== E.EINPROGRESS && code !== E.EINTR && code !== E.EAGAIN) throw failed(code);
    return run(
      sock,
      1,
      () => {
        const err = sock.getsockopt(C.SOL_SOCKET, C.SO_ERROR);
        if (err !== 0) throw failed(err);
        return undefined;
      },
      options,
      true, // SO_ERROR reads 0 while the connection is still in progress
    );
  });
}

/**
 * Accepts a connection: `[conn, address]`, conn non-blocking and
 * close-on-exec. @throws (rejects) OSError [Errno 22] (not listening),
 * [Errno 9], the signal's reason. Source: accept4(2), asyncio's `loop.sock_accept()`.
 */
export function sock_accept(sock: Socket, options?: LoopOptions): Promise<[Socket, SockAddress]> {
  return promise(() => {
    nonBlocking(sock);
    return run(
      sock,
      0,
      () => {
        const r = native.accept(sock.fileno(), TRY) as [number, SockAddress] | null;
        if (r === null) return null;
        const [fd, address] = r;
        let conn: Socket;
        try {
          conn = new Socket(sock.family, sock.type, sock.proto, fd);
          conn.setblocking(false);
        } catch (e) {
          native.close(fd);
          throw e;
        }
        return [conn, address] as [Socket, SockAddress];
      },
      options,
    );
  });
}

/**
 * The event-loop API: `import { loop } from 'sockmode'`, then
 * `await loop.sock_recv(sock, 4096)`. Every function takes a non-blocking
 * `Socket`, returns a Promise, never throws synchronously, and waits for
 * readiness on Node's event loop (no thread pool); `{ signal }` cancels.
 * Source: asyncio's event loop `sock_*` methods.
 * @namespace
 */
export const loop = {
  /** Receives at most `nbytes` bytes (a Buffer); asyncio's `loop.sock_recv()`. */
  sock_recv,
  /** Receives into a caller's buffer in place (a byte count); asyncio's `loop.sock_recv_into()`. */
  sock_recv_into,
  /** Receives one datagram: `[data, address]`; asyncio's `loop.sock_recvfrom()`. */
  sock_recvfrom,
  /** Receives one datagram into a caller's buffer: `[count, address]`; asyncio's `loop.sock_recvfrom_into()`. */
  sock_recvfrom_into,
  /** Sends all of the data, waiting for buffer space as needed; asyncio's `loop.sock_sendall()`. */
  sock_sendall,
  /** Sends one datagram to an address (a byte count); asyncio's `loop.sock_sendto()`. */
  sock_sendto,
  /** Connects, waiting for the connection to complete; asyncio's `loop.sock_connect()`. */
  sock_connect,
  /** Accepts a connection: `[conn, address]`, conn non-blocking; asyncio's `loop.sock_accept()`. */
  sock_accept,
};
