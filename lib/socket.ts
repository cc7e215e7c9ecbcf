/**
 * `Socket`: Python's socket object over a real file descriptor.
 *
 * The object holds the state CPython's `PySocketSockObject` holds: the fd,
 * family, type, proto and the timeout that decides the mode. The kernel holds
 * `O_NONBLOCK` on the open file description; the object never reads it back
 * (SEMANTICS §1, §7). Every operation hands the fd and the timeout to the
 * native layer, which runs the syscall through one mode-aware primitive.
 *
 * Source: CPython `Modules/socketmodule.c`, `Lib/socket.py`.
 */
import { inspect } from 'node:util';
import { bytesLike, int, optInt, pyRepr, recvSize, size } from './args.js';
import { OSError } from './errors.js';
import { native } from './native.js';
import { BLOCKING, defaultNative, parseTimeout, seconds } from './timeout.js';

const C = native.constants;
const NONBLOCK_CLOEXEC = (C.SOCK_NONBLOCK ?? 0) | (C.SOCK_CLOEXEC ?? 0);

/** An AF_INET address: `[host, port]`; host `''` is INADDR_ANY. */
export type IPv4Address = [host: string, port: number];
/** An AF_INET6 address: `[host, port, flowinfo?, scope_id?]`. */
export type IPv6Address = [host: string, port: number, flowinfo?: number, scope_id?: number];
/** An AF_UNIX address: a path, or a Buffer (a leading NUL byte is Linux's abstract namespace). */
export type UnixAddress = string | Buffer;
/** Any address a socket takes. */
export type Address = IPv4Address | IPv6Address | UnixAddress;
/** An address as the kernel reports it (AF_INET6 always with four items). */
export type SockAddress = [string, number] | [string, number, number, number] | string | Buffer;
/** Bytes-like data: a Buffer, any TypedArray or a DataView. */
export type BytesLike = ArrayBufferView;

/** An ancillary data item to send: `[cmsg_level, cmsg_type, data]`. */
export type AncItem = [level: number, type: number, data: BytesLike];
/** An ancillary data item received: `[cmsg_level, cmsg_type, data]`. */
export type AncData = [level: number, type: number, data: Buffer];

/** The byte count of a receive into `buf`: `nbytes` (0 or omitted: all of buf), checked. */
export function intoCount(buf: ArrayBufferView, nbytes: unknown, call: string, tooBig: string): number {
  const n = nbytes === undefined ? 0 : size(nbytes, 'nbytes');
  if (n < 0) throw new RangeError(`negative buffersize in ${call}`);
  if (n > buf.byteLength) throw new RangeError(tooBig);
  return n === 0 ? buf.byteLength : n;
}

/** recvmsg's ancbufsize: a C int, not negative. */
function ancSize(ancbufsize: unknown): number {
  const n = optInt(ancbufsize, 0, 'ancbufsize');
  if (n < 0) throw new RangeError('invalid ancillary data buffer length');
  return n;
}

/**
 * Called with the fd when a socket object lets go of it (close, detach),
 * before the fd is closed: the event loop stops watching it and rejects its
 * waiters (lib/loop.ts sets it).
 * @internal
 */
let releaseHook: ((fd: number) => void) | undefined;

/** @internal */
export function onRelease(hook: (fd: number) => void): void {
  releaseHook = hook;
}

/** What the finalizer needs of a socket: numbers only, formatted if it ever runs. */
interface Held {
  fd: number;
  family: number;
  type: number;
  proto: number;
}

// A socket that becomes garbage while open: close its fd, and say so.
const finalizer = new FinalizationRegistry<Held>(({ fd, family, type, proto }) => {
  try {
    releaseHook?.(fd);
    native.close(fd);
  } catch {
    // the warning below is what matters
  }
  process.emitWarning(
    `unclosed <socket.socket fd=${fd}, family=${family}, type=${type}, proto=${proto}>`,
    'ResourceWarning',
  );
});

/**
 * A socket object: Python's `socket.socket`.
 *
 * `new Socket(family = AF_INET, type = SOCK_STREAM, proto = 0, fileno?)`
 * creates a socket (close-on-exec) whose mode is the default timeout
 * (`setdefaulttimeout`); `type | SOCK_NONBLOCK` makes it non-blocking. With
 * `fileno`, the object adopts that fd (its `close()` closes it) and each of
 * family, type and proto left `undefined` is read from the fd.
 *
 * Modes (`gettimeout()` / `getblocking()` / the fd's `O_NONBLOCK`):
 * `null` blocking / true / clear; `0` non-blocking / false / set;
 * `t > 0` seconds, timeout mode / true / set.
 *
 * `using s = socket()` closes it at the end of the block, like Python's
 * `with socket() as s:`.
 *
 * @throws TypeError for non-integer arguments; RangeError('negative file
 *   descriptor'); OSError from socket(2) (EAFNOSUPPORT, EINVAL, EMFILE...), and
 *   for `fileno`: OSError [Errno 9] when closed, [Errno 88] when not a socket.
 * Source: socket(2), Python's `socket.socket()`.
 */
export class Socket {
  #fd: number;
  #family: number;
  #type: number;
  #proto: number;
  /** The timeout in native form: -1 blocking, 0 non-blocking, > 0 ns. */
  #t: number;

  /**
   * Creates a socket (defaults AF_INET, SOCK_STREAM, 0), or adopts `fileno`
   * (family, type and proto left `undefined` are read from it). The mode and
   * the errors are the class's, above.
   */
  constructor(family?: number, type?: number, proto?: number, fileno?: number | null) {
    let fd: number;
    if (fileno === undefined || fileno === null) {
      family = optInt(family, C.AF_INET, 'family');
      type = optInt(type, C.SOCK_STREAM, 'type');
      proto = optInt(proto, 0, 'proto');
      fd = native.socket(family, type, proto);
    } else {
      fd = int(fileno, 'fileno');
      if (fd < 0) throw new RangeError('negative file descriptor');
      if (family !== undefined) int(family, 'family');
      if (type !== undefined) int(type, 'type');
      if (proto !== undefined) int(proto, 'proto');
      if (family === undefined || type === undefined || proto === undefined) {
        const [f, t, p] = native.sockinfo(fd);
        family ??= f;
        type ??= t;
        proto ??= p;
      }
    }
    this.#fd = fd;
    this.#family = family!;
    this.#type = type! & ~NONBLOCK_CLOEXEC;
    this.#proto = proto!;
    if (type! & (C.SOCK_NONBLOCK ?? 0)) {
      this.#t = 0; // the kernel created it non-blocking: the default does not apply
    } else {
      this.#t = defaultNative();
      if (this.#t !== BLOCKING) {
        try {
          native.setblocking(fd, false);
        } catch (e) {
          if (fileno === undefined || fileno === null) native.close(fd);
          throw e;
        }
      }
    }
    finalizer.register(this, { fd, family: this.#family, type: this.#type, proto: this.#proto }, this);
  }

  /** The address family (`AF_INET`...). Read-only. Source: Python's `socket.family`. */
  get family(): number {
    return this.#family;
  }

  /** The socket type, never carrying `SOCK_NONBLOCK`/`SOCK_CLOEXEC`. Source: Python's `socket.type`. */
  get type(): number {
    return this.#type;
  }

  /** The protocol number. Source: Python's `socket.proto`. */
  get proto(): number {
    return this.#proto;
  }

  /** The timeout in seconds, or `null`: `gettimeout()`. Source: Python's `socket.timeout`. */
  get timeout(): number | null {
    return seconds(this.#t);
  }

  /**
   * The fd, or -1 after `close()`/`detach()`. Never throws.
   * Source: Python's `socket.fileno()`.
   */
  fileno(): number {
    return this.#fd;
  }

  /**
   * Sets the mode: `null` blocking, `0` non-blocking, `t > 0` a timeout of t
   * seconds (whole nanoseconds, rounded up). Stores the value, then issues one
   * `ioctl(FIONBIO)` every time: clear for blocking, set otherwise.
   * @throws TypeError (not a number or null), RangeError (NaN, negative,
   *   infinite, 2**63 ns or more; the old value stays); OSError [Errno 9] on a
   *   closed socket, after the value was stored.
   * Source: ioctl(2) FIONBIO, Python's `socket.settimeout()`.
   */
  settimeout(value: number | null): void {
    this.#set(parseTimeout(value));
  }

  /**
   * The timeout in seconds, or `null` in blocking mode: the object's own
   * value, never read back from the fd. Source: Python's `socket.gettimeout()`.
   */
  gettimeout(): number | null {
    return seconds(this.#t);
  }

  /**
   * `setblocking(true)` is `settimeout(null)`; `setblocking(false)` is
   * `settimeout(0)`. @throws TypeError for a non-boolean; OSError [Errno 9]
   * on a closed socket. Source: Python's `socket.setblocking()`.
   */
  setblocking(flag: boolean): void {
    if (typeof flag !== 'boolean') throw new TypeError(`setblocking() takes a boolean, not ${typeof flag}`);
    this.#set(flag ? BLOCKING : 0);
  }

  /**
   * `false` only in non-blocking mode (timeout 0). Source: Python's
   * `socket.getblocking()`.
   */
  getblocking(): boolean {
    return this.#t !== 0;
  }

  #set(t: number): void {
    this.#t = t;
    native.setblocking(this.#fd, t === BLOCKING);
  }

  /**
   * Binds to `address`. @throws TypeError/RangeError for a malformed address,
   * gaierror when the host does not resolve, OSError from bind(2)
   * (EADDRINUSE 98, EACCES 13, EINVAL 22, EBADF 9).
   * Source: bind(2), Python's `socket.bind()`.
   */
  bind(address: Address): void {
    native.bind(this.#fd, this.#family, address);
  }

  /**
   * Listens with `backlog` pending connections (default `min(SOMAXCONN,
   * 128)`; a negative backlog is 0). @throws OSError from listen(2).
   * Source: listen(2), Python's `socket.listen()`.
   */
  listen(backlog?: number): void {
    const b = optInt(backlog, Math.min(C.SOMAXCONN, 128), 'backlog');
    native.listen(this.#fd, Math.max(b, 0));
  }

  /**
   * Accepts a connection: `[conn, address]`. The new socket is close-on-exec
   * and takes the default timeout (blocking when it is `null`, whatever the
   * listener's mode). @throws BlockingIOError [Errno 11] (non-blocking, none
   * pending), TimeoutError('timed out'), OSError [Errno 22] (not listening),
   * [Errno 9] (closed). Source: accept4(2), Python's `socket.accept()`.
   */
  accept(): [Socket, SockAddress] {
    const [fd, address] = native.accept(this.#fd, this.#t)!; // null only for the event loop's attempt
    let conn: Socket;
    try {
      conn = new Socket(this.#family, this.#type, this.#proto, fd);
      if (defaultNative() === BLOCKING && this.#t > 0) conn.setblocking(true);
    } catch (e) {
      native.close(fd);
      throw e;
    }
    return [conn, address as SockAddress];
  }

  /**
   * Connects to `address` through the mode: blocking waits in the kernel;
   * timeout mode waits for `EINPROGRESS` to settle for at most the timeout;
   * non-blocking raises at once.
   * @throws ConnectionRefusedError [Errno 111], TimeoutError('timed out'),
   *   BlockingIOError [Errno 115] (non-blocking: in progress) or [Errno 114]
   *   (already in progress), OSError [Errno 106] (already connected), [Errno 9]
   *   (closed); TypeError/RangeError/gaierror for the address.
   * Source: connect(2), Python's `socket.connect()`.
   */
  connect(address: Address): void {
    native.connect(this.#fd, this.#t, this.#family, address, false);
  }

  /**
   * `connect()` that returns the errno instead of throwing: 0 on success,
   * 111 refused, 115 in progress, 114 already, 106 connected, 9 closed, and
   * 11 (EAGAIN) when the timeout ran out. Address errors still throw.
   * Source: connect(2), Python's `socket.connect_ex()`.
   */
  connect_ex(address: Address): number {
    return native.connect(this.#fd, this.#t, this.#family, address, true);
  }

  /**
   * Receives at most `bufsize` bytes: a new Buffer, empty at end of stream.
   * `recv(0)` returns an empty Buffer without a syscall, even when closed.
   * @throws RangeError('negative buffersize in recv'), TypeError (not an
   *   integer), BlockingIOError [Errno 11], TimeoutError('timed out'),
   *   ConnectionResetError [Errno 104], OSError [Errno 9].
   * Source: recv(2), Python's `socket.recv()`.
   */
  recv(bufsize: number, flags?: number): Buffer {
    const n = recvSize(bufsize, 'negative buffersize in recv');
    const f = optInt(flags, 0, 'flags');
    if (n === 0) return Buffer.alloc(0);
    return native.recv(this.#fd, this.#t, n, f)!;
  }

  /**
   * Receives into `buffer` (any TypedArray, DataView or Buffer, written in
   * place, no copy) at most `nbytes` bytes (0 or omitted: its byte length);
   * returns the count. An empty buffer returns 0 without a syscall.
   * @throws TypeError (not bytes-like), RangeError('negative buffersize in
   *   recv_into'), RangeError('buffer too small for requested bytes'), and
   *   `recv`'s OSErrors. Source: recv(2), Python's `socket.recv_into()`.
   */
  recv_into(buffer: BytesLike, nbytes?: number, flags?: number): number {
    const buf = bytesLike(buffer);
    const n = intoCount(buf, nbytes, 'recv_into', 'buffer too small for requested bytes');
    const f = optInt(flags, 0, 'flags');
    if (n === 0) return 0;
    return native.recv_into(this.#fd, this.#t, buf, n, f)!;
  }

  /**
   * Receives a datagram (or stream bytes) of at most `bufsize` bytes:
   * `[data, address]`; address is `null` when the kernel gives none (a
   * connected stream). Unlike `recv`, `recvfrom(0)` does issue the syscall.
   * @throws RangeError('negative buffersize in recvfrom'), and `recv`'s errors.
   * Source: recvfrom(2), Python's `socket.recvfrom()`.
   */
  recvfrom(bufsize: number, flags?: number): [Buffer, SockAddress | null] {
    const n = recvSize(bufsize, 'negative buffersize in recvfrom');
    return native.recvfrom(this.#fd, this.#t, n, optInt(flags, 0, 'flags')) as [Buffer, SockAddress | null];
  }

  /**
   * Receives into `buffer` (at most `nbytes`, 0 or omitted: its byte length):
   * `[count, address]`.
   * @throws RangeError('nbytes is greater than the length of the buffer'),
   *   RangeError('negative buffersize in recvfrom_into'), and `recv`'s errors.
   * Source: recvfrom(2), Python's `socket.recvfrom_into()`.
   */
  recvfrom_into(buffer: BytesLike, nbytes?: number, flags?: number): [number, SockAddress | null] {
    const buf = bytesLike(buffer);
    const n = intoCount(buf, nbytes, 'recvfrom_into', 'nbytes is greater than the length of the buffer');
    return native.recvfrom_into(this.#fd, this.#t, buf, n, optInt(flags, 0, 'flags')) as [number, SockAddress | null];
  }

  /**
   * Sends what the kernel takes of `data` now; returns the bytes sent (may be
   * fewer than given). Never raises SIGPIPE.
   * @throws TypeError (not bytes-like), BlockingIOError [Errno 11],
   *   TimeoutError('timed out'), BrokenPipeError [Errno 32],
   *   ConnectionResetError [Errno 104], OSError [Errno 9].
   * Source: send(2) with MSG_NOSIGNAL, Python's `socket.send()`.
   */
  send(data: BytesLike, flags?: number): number {
    return native.send(this.#fd, this.#t, bytesLike(data), optInt(flags, 0, 'flags'))!;
  }

  /**
   * Sends all of `data`, under one deadline for the whole call in timeout
   * mode. Non-blocking mode raises at the first EAGAIN, possibly after
   * partial sends. An empty `data` still issues one send(2).
   * @throws as `send`; TimeoutError('timed out') when the deadline passes.
   * Source: send(2), Python's `socket.sendall()`.
   */
  sendall(data: BytesLike, flags?: number): void {
    native.sendall(this.#fd, this.#t, bytesLike(data), optInt(flags, 0, 'flags'));
  }

  /**
   * Sends `data` to `address` (a datagram on SOCK_DGRAM): `sendto(data,
   * address)` or `sendto(data, flags, address)`; returns the bytes sent.
   * @throws TypeError (not bytes-like, a missing address), the address's
   *   errors, and `send`'s errors; OSError [Errno 90] (EMSGSIZE) for a
   *   datagram too large. Source: sendto(2), Python's `socket.sendto()`.
   */
  sendto(data: BytesLike, address: Address): number;
  sendto(data: BytesLike, flags: number, address: Address): number;
  sendto(data: BytesLike, flagsOrAddress: number | Address, address?: Address): number {
    const view = bytesLike(data);
    let flags = 0;
    let to: unknown = flagsOrAddress;
    if (arguments.length >= 3) {
      flags = int(flagsOrAddress, 'flags');
      to = address;
    } else if (arguments.length < 2) {
      throw new TypeError(`sendto() takes 2 or 3 arguments (${arguments.length} given)`);
    }
    return native.sendto(this.#fd, this.#t, view, flags, this.#family, to)!;
  }

  /**
   * Sends the concatenation of `buffers` with ancillary data `ancdata`
   * (`[level, type, data]` items, e.g. `[SOL_SOCKET, SCM_RIGHTS, fds as an
   * Int32Array]`) in one message, to `address` when given; returns the bytes
   * sent. @throws TypeError for malformed items, and `sendto`'s errors.
   * Source: sendmsg(2), cmsg(3), Python's `socket.sendmsg()`.
   */
  sendmsg(buffers: Iterable<BytesLike>, ancdata?: Iterable<AncItem>, flags?: number, address?: Address | null): number {
    const views = [...buffers].map(bytesLike);
    const items = [...(ancdata ?? [])].map((item): [number, number, ArrayBufferView] => {
      if (!Array.isArray(item) || item.length !== 3) {
        throw new TypeError(`sendmsg() ancillary data items must be [level, type, data] arrays`);
      }
      return [int(item[0], 'cmsg_level'), int(item[1], 'cmsg_type'), bytesLike(item[2])];
    });
    const f = optInt(flags, 0, 'flags');
    return native.sendmsg(this.#fd, this.#t, views, items, f, this.#family, address ?? undefined);
  }

  /**
   * Receives one message of at most `bufsize` bytes with at most
   * `ancbufsize` bytes of ancillary data: `[data, ancdata, msg_flags,
   * address]`. Received fds are close-on-exec (MSG_CMSG_CLOEXEC); when the
   * control buffer is too small, msg_flags has MSG_CTRUNC and every fd that
   * arrived is in `ancdata` (the kernel closes the ones that did not fit).
   * @throws RangeError('negative buffer size in recvmsg()'), RangeError('invalid
   *   ancillary data buffer length'), and `recv`'s errors.
   * Source: recvmsg(2), cmsg(3), Python's `socket.recvmsg()`.
   */
  recvmsg(bufsize: number, ancbufsize?: number, flags?: number): [Buffer, AncData[], number, SockAddress | null] {
    const n = recvSize(bufsize, 'negative buffer size in recvmsg()');
    const anc = ancSize(ancbufsize);
    return native.recvmsg(this.#fd, this.#t, n, anc, optInt(flags, 0, 'flags')) as [
      Buffer,
      AncData[],
      number,
      SockAddress | null,
    ];
  }

  /**
   * `recvmsg` scattering the data into `buffers` (written in place):
   * `[count, ancdata, msg_flags, address]`.
   * @throws as `recvmsg`. Source: recvmsg(2), Python's `socket.recvmsg_into()`.
   */
  recvmsg_into(
    buffers: Iterable<BytesLike>,
    ancbufsize?: number,
    flags?: number,
  ): [number, AncData[], number, SockAddress | null] {
    const views = [...buffers].map(bytesLike);
    const anc = ancSize(ancbufsize);
    return native.recvmsg_into(this.#fd, this.#t, views, anc, optInt(flags, 0, 'flags')) as [
      number,
      AncData[],
      number,
      SockAddress | null,
    ];
  }

  /**
   * Shuts down reading (`SHUT_RD`), writing (`SHUT_WR`) or both.
   * @throws OSError [Errno 107] (not connected), [Errno 9].
   * Source: shutdown(2), Python's `socket.shutdown()`.
   */
  shutdown(how: number): void {
    native.shutdown(this.#fd, int(how, 'how'));
  }

  /**
   * Closes the fd: the object's fd becomes -1 first, then one close(2), never
   * retried. A second call does nothing. ECONNRESET is ignored.
   * @throws OSError from close(2) otherwise.
   * Source: close(2), Python's `socket.close()`.
   */
  close(): void {
    const fd = this.#fd;
    if (fd === -1) return;
    this.#fd = -1;
    finalizer.unregister(this);
    releaseHook?.(fd);
    native.close(fd);
  }

  /** `close()`, for `using s = socket()`. Source: Python's `socket.__exit__`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Returns the fd and leaves the object closed (fd -1) without closing the
   * fd: the caller owns it. Source: Python's `socket.detach()`.
   */
  detach(): number {
    const fd = this.#fd;
    this.#fd = -1;
    finalizer.unregister(this);
    if (fd !== -1) releaseHook?.(fd);
    return fd;
  }

  /**
   * A new socket object on a duplicate of the fd (close-on-exec), sharing the
   * open file description, with this object's timeout (set with one ioctl,
   * which the shared description sees).
   * @throws OSError [Errno 9] (closed), [Errno 24] (EMFILE).
   * Source: fcntl(2) F_DUPFD_CLOEXEC, Python's `socket.dup()`.
   */
  dup(): Socket {
    const fd = native.dup(this.#fd);
    try {
      const s = new Socket(this.#family, this.#type, this.#proto, fd);
      s.#set(this.#t);
      return s;
    } catch (e) {
      native.close(fd);
      throw e;
    }
  }

  /**
   * The local address. @throws OSError [Errno 9].
   * Source: getsockname(2), Python's `socket.getsockname()`.
   */
  getsockname(): SockAddress {
    return native.getsockname(this.#fd) as SockAddress;
  }

  /**
   * The peer's address. @throws OSError [Errno 107] (not connected), [Errno 9].
   * Source: getpeername(2), Python's `socket.getpeername()`.
   */
  getpeername(): SockAddress {
    return native.getpeername(this.#fd) as SockAddress;
  }

  /**
   * Sets an option to an integer (passed as a C int) or to bytes.
   * @throws TypeError, OSError from setsockopt(2) (ENOPROTOOPT 92, EINVAL 22).
   * Source: setsockopt(2), Python's `socket.setsockopt()`.
   */
  setsockopt(level: number, optname: number, value: number | BytesLike): void {
    const v = typeof value === 'number' ? int(value, 'value') : bytesLike(value);
    native.setsockopt(this.#fd, int(level, 'level'), int(optname, 'optname'), v);
  }

  /**
   * Reads an option: an integer when `buflen` is 0 or omitted, else a Buffer
   * of at most `buflen` (1..1024) bytes.
   * @throws OSError('getsockopt buflen out of range') (errno null), OSError
   *   from getsockopt(2). Source: getsockopt(2), Python's `socket.getsockopt()`.
   */
  getsockopt(level: number, optname: number, buflen?: 0): number;
  getsockopt(level: number, optname: number, buflen: number): number | Buffer;
  getsockopt(level: number, optname: number, buflen?: number): number | Buffer {
    const n = optInt(buflen, 0, 'buflen');
    if (n < 0 || n > 1024) throw new OSError('getsockopt buflen out of range');
    return native.getsockopt(this.#fd, int(level, 'level'), int(optname, 'optname'), n);
  }

  #describe(): string {
    const closed = this.#fd === -1 ? ' [closed]' : '';
    return `<socket.socket${closed} fd=${this.#fd}, family=${this.#family}, type=${this.#type}, proto=${this.#proto}`;
  }

  /**
   * Python's repr: `<socket.socket fd=3, family=2, type=1, proto=0,
   * laddr=('127.0.0.1', 5000), raddr=(...)>`.
   */
  toString(): string {
    let s = this.#describe();
    if (this.#fd !== -1) {
      for (const [key, get] of [
        ['laddr', native.getsockname],
        ['raddr', native.getpeername],
      ] as const) {
        try {
          const a = get(this.#fd);
          if (a !== '') s += `, ${key}=${pyRepr(a)}`;
        } catch {
          // not bound / not connected: Python leaves it out
        }
      }
    }
    return s + '>';
  }

  /** What `util.inspect()` and `console.log()` show: the `toString()` repr. */
  [inspect.custom](): string {
    return this.toString();
  }
}
