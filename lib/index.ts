/**
 * sockmode: the operating system's own socket modes with Python's `socket`
 * API. `import * as socket from 'sockmode'`, then everything reads as in
 * Python: `socket.socket()`, `s.settimeout(3)`, `socket.setdefaulttimeout(5)`,
 * `catch (e) { if (e instanceof socket.timeout) ... }`.
 *
 * Source: Python's `socket` module (`Lib/socket.py`, `Modules/socketmodule.c`).
 *
 * @module sockmode
 */
import { hostname } from 'node:os';
import { bytesLike, int, optInt, pyRepr, size } from './args.js';
import { OSError } from './errors.js';
import { native } from './native.js';
import { Address, AncData, BytesLike, Socket, SockAddress } from './socket.js';

export * from './errors.js';
export { getdefaulttimeout, setdefaulttimeout } from './timeout.js';
export { Socket };
export type {
  Address,
  AncData,
  AncItem,
  BytesLike,
  IPv4Address,
  IPv6Address,
  SockAddress,
  UnixAddress,
} from './socket.js';

const C = native.constants;

/**
 * Address families, the first argument of `socket()`: `AF_INET` IPv4
 * (ip(7)); `AF_INET6` IPv6 (ipv6(7)); `AF_UNIX` local sockets named by a path
 * (unix(7)); `AF_UNSPEC` any family (getaddrinfo(3)).
 * Source: socket(2), address_families(7); Python's `socket.AF_*`.
 */
export const AF_INET = C.AF_INET,
  AF_INET6 = C.AF_INET6,
  AF_UNIX = C.AF_UNIX,
  AF_UNSPEC = C.AF_UNSPEC;
/**
 * Socket types, the second argument of `socket()`: `SOCK_STREAM` a
 * connected byte stream (TCP); `SOCK_DGRAM` datagrams (UDP);
 * `SOCK_SEQPACKET` a connected stream of records; `SOCK_RAW` raw protocol
 * access (CAP_NET_RAW for AF_INET and AF_INET6).
 * Source: socket(2); Python's `socket.SOCK_*`.
 */
export const SOCK_STREAM = C.SOCK_STREAM,
  SOCK_DGRAM = C.SOCK_DGRAM,
  SOCK_SEQPACKET = C.SOCK_SEQPACKET,
  SOCK_RAW = C.SOCK_RAW;
/**
 * Flags to OR into a socket type, `type | SOCK_NONBLOCK` (Linux, BSD;
 * `undefined` where the platform has no such flag, macOS): `SOCK_NONBLOCK` creates the socket non-blocking,
 * so the object starts in non-blocking mode (timeout 0) whatever the default
 * timeout; `SOCK_CLOEXEC` close-on-exec, which every fd sockmode creates is
 * anyway. `Socket.type` never carries either.
 * Source: socket(2); Python's `socket.SOCK_NONBLOCK`, `socket.SOCK_CLOEXEC`.
 */
export const SOCK_NONBLOCK: number | undefined = C.SOCK_NONBLOCK,
  SOCK_CLOEXEC: number | undefined = C.SOCK_CLOEXEC;
/**
 * `SOL_SOCKET`, the socket-level option level, and its options (integers
 * unless said): `SO_REUSEADDR` let bind(2) reuse a local address (one still
 * in TIME_WAIT);
 * `SO_ERROR` read and clear the pending error (an errno, 0 for none);
 * `SO_TYPE` the socket type (read-only); `SO_RCVBUF`/`SO_SNDBUF` the receive
 * and send buffer sizes in bytes (Linux doubles the value set);
 * `SO_KEEPALIVE` send keep-alive probes; `SO_LINGER` how `close()` lingers
 * on unsent data (bytes: a `struct linger`); `SO_RCVTIMEO`/`SO_SNDTIMEO` the
 * kernel's own receive and send timeouts (bytes: a `struct timeval`), apart
 * from sockmode's timeout; `SO_BROADCAST` allow sending to broadcast
 * addresses; `SO_ACCEPTCONN` 1 when the socket listens (read-only).
 * Source: socket(7), getsockopt(2); Python's `socket.SOL_SOCKET`, `socket.SO_*`.
 */
export const SOL_SOCKET = C.SOL_SOCKET,
  SO_REUSEADDR = C.SO_REUSEADDR,
  SO_ERROR = C.SO_ERROR,
  SO_TYPE = C.SO_TYPE,
  SO_RCVBUF = C.SO_RCVBUF,
  SO_SNDBUF = C.SO_SNDBUF,
  SO_KEEPALIVE = C.SO_KEEPALIVE,
  SO_LINGER = C.SO_LINGER,
  SO_RCVTIMEO = C.SO_RCVTIMEO,
  SO_SNDTIMEO = C.SO_SNDTIMEO,
  SO_BROADCAST = C.SO_BROADCAST,
  SO_ACCEPTCONN = C.SO_ACCEPTCONN;
/**
 * Socket-level options some platforms lack (`undefined` there):
 * `SO_REUSEPORT` let several sockets bind the same address and port;
 * `SO_DOMAIN` the address family (read-only); `SO_PROTOCOL` the protocol
 * (read-only). Linux has all three.
 * Source: socket(7); Python's `socket.SO_REUSEPORT`, `socket.SO_DOMAIN`,
 * `socket.SO_PROTOCOL`.
 */
export const SO_REUSEPORT: number | undefined = C.SO_REUSEPORT,
  SO_DOMAIN: number | undefined = C.SO_DOMAIN,
  SO_PROTOCOL: number | undefined = C.SO_PROTOCOL;
/**
 * Protocol numbers, used as `socket()`'s `proto` and as option levels:
 * `IPPROTO_IP` IPv4 (ip(7)), `IPPROTO_TCP` TCP (tcp(7)), `IPPROTO_UDP` UDP
 * (udp(7)), `IPPROTO_IPV6` IPv6 (ipv6(7)). Options: `TCP_NODELAY` (level
 * IPPROTO_TCP) send at once, without Nagle's delay; `IPV6_V6ONLY` (level
 * IPPROTO_IPV6) an AF_INET6 socket that takes IPv6 only, not IPv4-mapped.
 * Source: ip(7), ipv6(7), tcp(7); Python's `socket.IPPROTO_*`,
 * `socket.TCP_NODELAY`, `socket.IPV6_V6ONLY`.
 */
export const IPPROTO_IP = C.IPPROTO_IP,
  IPPROTO_TCP = C.IPPROTO_TCP,
  IPPROTO_UDP = C.IPPROTO_UDP,
  IPPROTO_IPV6 = C.IPPROTO_IPV6,
  TCP_NODELAY = C.TCP_NODELAY,
  IPV6_V6ONLY = C.IPV6_V6ONLY;
/**
 * Flags of the receive and send calls (their `flags` argument):
 * `MSG_PEEK` return data without taking it from the queue; `MSG_DONTWAIT`
 * make this one syscall non-blocking; `MSG_WAITALL` have the kernel wait for
 * the full count (receives); `MSG_OOB` out-of-band (TCP urgent) data.
 * Source: recv(2), send(2); Python's `socket.MSG_*`.
 */
export const MSG_PEEK = C.MSG_PEEK,
  MSG_DONTWAIT = C.MSG_DONTWAIT,
  MSG_WAITALL = C.MSG_WAITALL,
  MSG_OOB = C.MSG_OOB;
/**
 * Send flag: no SIGPIPE on a broken stream, EPIPE only (`undefined` where
 * the platform lacks it). sockmode's sends never
 * raise SIGPIPE either way: they add this flag themselves, or use
 * SO_NOSIGPIPE. Source: send(2); Python's `socket.MSG_NOSIGNAL`.
 */
export const MSG_NOSIGNAL: number | undefined = C.MSG_NOSIGNAL;
/**
 * `shutdown()` directions: `SHUT_RD` no more receives, `SHUT_WR` no more
 * sends (the peer reads end of stream), `SHUT_RDWR` both.
 * Source: shutdown(2); Python's `socket.SHUT_*`.
 */
export const SHUT_RD = C.SHUT_RD,
  SHUT_WR = C.SHUT_WR,
  SHUT_RDWR = C.SHUT_RDWR;
/**
 * The system headers' listen backlog limit (`listen()` without a backlog uses
 * `min(SOMAXCONN, 128)`). Source: listen(2); Python's `socket.SOMAXCONN`.
 */
export const SOMAXCONN = C.SOMAXCONN;
/**
 * Flags of `getaddrinfo()`: `AI_PASSIVE` a null host gives the wildcard
 * address, for bind; `AI_CANONNAME` fill in the first result's canonname;
 * `AI_NUMERICHOST` the host must be a numeric address (no lookup);
 * `AI_NUMERICSERV` the port must be numeric; `AI_ADDRCONFIG` only families
 * the host has an address of; `AI_V4MAPPED` with AF_INET6, IPv4-mapped
 * addresses when there is no IPv6 one; `AI_ALL` with AI_V4MAPPED, both.
 * Source: getaddrinfo(3); Python's `socket.AI_*`.
 */
export const AI_PASSIVE = C.AI_PASSIVE,
  AI_CANONNAME = C.AI_CANONNAME,
  AI_NUMERICHOST = C.AI_NUMERICHOST,
  AI_NUMERICSERV = C.AI_NUMERICSERV,
  AI_ADDRCONFIG = C.AI_ADDRCONFIG,
  AI_V4MAPPED = C.AI_V4MAPPED,
  AI_ALL = C.AI_ALL;
/**
 * getaddrinfo(3) error numbers, as `gaierror.errno` carries them (negative
 * on Linux): `EAI_AGAIN` temporary failure, try again; `EAI_BADFLAGS` invalid
 * flags; `EAI_FAIL` permanent failure; `EAI_FAMILY` family not supported;
 * `EAI_MEMORY` out of memory; `EAI_NONAME` name or service not known;
 * `EAI_SERVICE` service not supported for the socket type; `EAI_SOCKTYPE`
 * socket type not supported; `EAI_SYSTEM` a system error, in errno;
 * `EAI_OVERFLOW` a result buffer too small.
 * Source: getaddrinfo(3), gai_strerror(3); Python's `socket.EAI_*`.
 */
export const EAI_AGAIN = C.EAI_AGAIN,
  EAI_BADFLAGS = C.EAI_BADFLAGS,
  EAI_FAIL = C.EAI_FAIL,
  EAI_FAMILY = C.EAI_FAMILY,
  EAI_MEMORY = C.EAI_MEMORY,
  EAI_NONAME = C.EAI_NONAME,
  EAI_SERVICE = C.EAI_SERVICE,
  EAI_SOCKTYPE = C.EAI_SOCKTYPE,
  EAI_SYSTEM = C.EAI_SYSTEM,
  EAI_OVERFLOW = C.EAI_OVERFLOW;
/**
 * Ancillary data and message flags: `SCM_RIGHTS` (level SOL_SOCKET) passes
 * file descriptors over AF_UNIX, the data an `Int32Array` of fds (see
 * `send_fds`); `MSG_TRUNC` in `recvmsg`'s msg_flags, the datagram was longer
 * than the buffer; `MSG_CTRUNC` in msg_flags, the ancillary data did not fit
 * `ancbufsize`.
 * Source: cmsg(3), unix(7), recvmsg(2); Python's `socket.SCM_RIGHTS`,
 * `socket.MSG_TRUNC`, `socket.MSG_CTRUNC`.
 */
export const SCM_RIGHTS = C.SCM_RIGHTS,
  MSG_TRUNC = C.MSG_TRUNC,
  MSG_CTRUNC = C.MSG_CTRUNC;
/**
 * `undefined` where the platform lacks them (Linux has them):
 * `MSG_CMSG_CLOEXEC` received fds are close-on-exec (`recvmsg` sets it
 * itself); `SCM_CREDENTIALS` ancillary data with the sender's pid, uid and
 * gid (`struct ucred`); `SO_PASSCRED` receive SCM_CREDENTIALS;
 * `SO_PEERCRED` the connected peer's `struct ucred` (bytes, read-only).
 * Source: unix(7), recvmsg(2); Python's `socket.MSG_CMSG_CLOEXEC`,
 * `socket.SCM_CREDENTIALS`, `socket.SO_PASSCRED`, `socket.SO_PEERCRED`.
 */
export const MSG_CMSG_CLOEXEC: number | undefined = C.MSG_CMSG_CLOEXEC,
  SCM_CREDENTIALS: number | undefined = C.SCM_CREDENTIALS,
  SO_PASSCRED: number | undefined = C.SO_PASSCRED,
  SO_PEERCRED: number | undefined = C.SO_PEERCRED;
/**
 * IP options. Level IPPROTO_IP: `IP_TTL` time to live of unicast packets;
 * `IP_TOS` type-of-service byte; `IP_MULTICAST_TTL` time to live of
 * multicast packets; `IP_MULTICAST_LOOP` loop sent multicast back to local
 * receivers; `IP_MULTICAST_IF` the interface multicast leaves by;
 * `IP_ADD_MEMBERSHIP`/`IP_DROP_MEMBERSHIP` join or leave a group (bytes: a
 * `struct ip_mreq`). Level IPPROTO_IPV6: `IPV6_JOIN_GROUP`/`IPV6_LEAVE_GROUP`
 * join or leave a group (bytes: a `struct ipv6_mreq`); `IPV6_MULTICAST_HOPS`
 * hop limit of multicast packets; `IPV6_MULTICAST_LOOP` loop sent multicast
 * back; `IPV6_MULTICAST_IF` the interface index multicast leaves by;
 * `IPV6_UNICAST_HOPS` hop limit of unicast packets.
 * Source: ip(7), ipv6(7); Python's `socket.IP_*`, `socket.IPV6_*`.
 */
export const IP_TTL = C.IP_TTL,
  IP_TOS = C.IP_TOS,
  IP_MULTICAST_TTL = C.IP_MULTICAST_TTL,
  IP_MULTICAST_LOOP = C.IP_MULTICAST_LOOP,
  IP_MULTICAST_IF = C.IP_MULTICAST_IF,
  IP_ADD_MEMBERSHIP = C.IP_ADD_MEMBERSHIP,
  IP_DROP_MEMBERSHIP = C.IP_DROP_MEMBERSHIP,
  IPV6_JOIN_GROUP = C.IPV6_JOIN_GROUP,
  IPV6_LEAVE_GROUP = C.IPV6_LEAVE_GROUP,
  IPV6_MULTICAST_HOPS = C.IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_LOOP = C.IPV6_MULTICAST_LOOP,
  IPV6_MULTICAST_IF = C.IPV6_MULTICAST_IF,
  IPV6_UNICAST_HOPS = C.IPV6_UNICAST_HOPS;
/**
 * IPv4 special addresses as 32-bit numbers in host byte order:
 * `INADDR_ANY` 0.0.0.0 (any address); `INADDR_BROADCAST` 255.255.255.255;
 * `INADDR_LOOPBACK` 127.0.0.1; `INADDR_NONE` inet_addr(3)'s error value (the
 * same bits as INADDR_BROADCAST).
 * Source: ip(7); Python's `socket.INADDR_*`.
 */
export const INADDR_ANY = C.INADDR_ANY,
  INADDR_BROADCAST = C.INADDR_BROADCAST,
  INADDR_LOOPBACK = C.INADDR_LOOPBACK,
  INADDR_NONE = C.INADDR_NONE;
/**
 * getaddrinfo(3) error numbers some platforms lack (`undefined` there):
 * `EAI_NODATA` the host exists but has no address; `EAI_ADDRFAMILY` the host
 * has no address in the requested family.
 * Source: getaddrinfo(3); Python's `socket.EAI_NODATA`, `socket.EAI_ADDRFAMILY`.
 */
export const EAI_NODATA: number | undefined = C.EAI_NODATA,
  EAI_ADDRFAMILY: number | undefined = C.EAI_ADDRFAMILY;

/**
 * Creates a socket: `new Socket(family, type, proto, fileno)`.
 * See {@link Socket} for the mode it starts in and the errors.
 * Source: socket(2), Python's `socket.socket()`.
 */
export function socket(family?: number, type?: number, proto?: number, fileno?: number | null): Socket {
  return new Socket(family, type, proto, fileno);
}

/**
 * A pair of connected sockets `[a, b]` (default AF_UNIX, SOCK_STREAM), each
 * close-on-exec and in the default timeout's mode.
 * @throws OSError from socketpair(2) (EOPNOTSUPP 95, EAFNOSUPPORT 97).
 * Source: socketpair(2), Python's `socket.socketpair()`.
 */
export function socketpair(family?: number, type?: number, proto?: number): [Socket, Socket] {
  const f = optInt(family, C.AF_UNIX, 'family');
  const t = optInt(type, C.SOCK_STREAM, 'type');
  const p = optInt(proto, 0, 'proto');
  const [a, b] = native.socketpair(f, t, p);
  const made: Socket[] = [];
  try {
    made.push(new Socket(f, t, p, a));
    made.push(new Socket(f, t, p, b));
  } catch (e) {
    for (const fd of [a, b].slice(made.length)) native.close(fd);
    for (const s of made) s.close();
    throw e;
  }
  return made as [Socket, Socket];
}

/**
 * A socket object on a duplicate of `fd` (close-on-exec); `fd` itself stays
 * the caller's. The object's mode follows the default timeout; the fd's own
 * `O_NONBLOCK` is shared with `fd` (SEMANTICS §7).
 * @throws RangeError('negative file descriptor'), OSError [Errno 9] (not
 *   open), [Errno 88] (not a socket). Source: dup(2), Python's `socket.fromfd()`.
 */
export function fromfd(fd: number, family: number, type: number, proto = 0): Socket {
  if (int(fd, 'fd') < 0) throw new RangeError('negative file descriptor');
  int(family, 'family');
  int(type, 'type');
  int(proto, 'proto');
  const nfd = native.dup(fd);
  try {
    return new Socket(family, type, proto, nfd);
  } catch (e) {
    native.close(nfd);
    throw e;
  }
}

/**
 * One result of `getaddrinfo`: `[family, type, proto, canonname, sockaddr]`.
 */
export type AddrInfo = [family: number, type: number, proto: number, canonname: string, sockaddr: SockAddress];

/**
 * Resolves `host` and `port` (a number, a service name or null) into
 * addresses. Blocks the thread while the resolver works, as Python's does.
 * @throws gaierror (EAI_NONAME -2, ...), TypeError.
 * Source: getaddrinfo(3), Python's `socket.getaddrinfo()`.
 */
export function getaddrinfo(
  host: string | Buffer | null,
  port: string | number | Buffer | null,
  family = 0,
  type = 0,
  proto = 0,
  flags = 0,
): AddrInfo[] {
  if (host !== null && typeof host !== 'string' && !Buffer.isBuffer(host)) {
    throw new TypeError(`getaddrinfo() argument 1 must be string or None`);
  }
  return native.getaddrinfo(host, port, int(family), int(type), int(proto), int(flags)) as AddrInfo[];
}

/** The host's name. Source: gethostname(2), Python's `socket.gethostname()`. */
export function gethostname(): string {
  return hostname();
}

/** Options of `create_connection`. */
export interface CreateConnectionOptions {
  /** Throw an `AggregateError` of every attempt's error instead of the last one. */
  all_errors?: boolean;
}

/**
 * Connects a TCP socket to `[host, port]`: for each getaddrinfo result,
 * create, set `timeout` (seconds; `undefined` keeps the default timeout,
 * `null` blocking), bind `source_address` when given, connect. Failed
 * attempts are closed.
 * @throws the last attempt's OSError unchanged (ConnectionRefusedError,
 *   TimeoutError, ...), or `AggregateError(errors, 'create_connection
 *   failed')` with `all_errors`; gaierror from the resolver.
 * Source: Python's `socket.create_connection()`.
 */
export function create_connection(
  address: [string, number],
  timeout?: number | null,
  source_address?: Address | null,
  options: CreateConnectionOptions = {},
): Socket {
  if (!Array.isArray(address) || address.length !== 2) {
    throw new TypeError('create_connection(): address must be a pair (host, port)');
  }
  const [host, port] = address;
  const errors: Error[] = [];
  for (const [af, socktype, proto, , sa] of getaddrinfo(host, port, 0, C.SOCK_STREAM)) {
    let sock: Socket | undefined;
    try {
      sock = new Socket(af, socktype, proto);
      if (timeout !== undefined) sock.settimeout(timeout);
      if (source_address) sock.bind(source_address);
      sock.connect(sa as Address);
      return sock;
    } catch (e) {
      sock?.close();
      if (!(e instanceof OSError)) throw e;
      if (!options.all_errors) errors.length = 0;
      errors.push(e);
    }
  }
  if (errors.length === 0) throw new OSError('getaddrinfo returns an empty list');
  if (options.all_errors) throw new AggregateError(errors, 'create_connection failed');
  throw errors[0];
}

/** Options of `create_server`. */
export interface CreateServerOptions {
  /** AF_INET (default) or AF_INET6. */
  family?: number;
  /** The listen backlog; default `min(SOMAXCONN, 128)`. */
  backlog?: number | null;
  /** Set SO_REUSEPORT. */
  reuse_port?: boolean;
  /** Accept IPv4 and IPv6 on one AF_INET6 socket (IPV6_V6ONLY 0). */
  dualstack_ipv6?: boolean;
}

/**
 * True when one AF_INET6 socket can accept IPv4 too.
 * Source: Python's `socket.has_dualstack_ipv6()`.
 */
export function has_dualstack_ipv6(): boolean {
  try {
    using s = new Socket(C.AF_INET6, C.SOCK_STREAM);
    s.setsockopt(C.IPPROTO_IPV6, C.IPV6_V6ONLY, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A listening TCP socket bound to `address`: SO_REUSEADDR set, SO_REUSEPORT
 * when asked, IPV6_V6ONLY 1 for AF_INET6 (0 with `dualstack_ipv6`). Closed on
 * any failure.
 * @throws RangeError (reuse_port or dualstack unsupported, dualstack without
 *   AF_INET6); the bind error's class with message `'<strerror> (while
 *   attempting to bind on address <addr>)'`; OSError from listen(2).
 * Source: Python's `socket.create_server()`.
 */
export function create_server(address: Address, options: CreateServerOptions = {}): Socket {
  const { family = C.AF_INET, backlog = null, reuse_port = false, dualstack_ipv6 = false } = options;
  if (reuse_port && C.SO_REUSEPORT === undefined) throw new RangeError('SO_REUSEPORT not supported on this platform');
  if (dualstack_ipv6) {
    if (!has_dualstack_ipv6()) throw new RangeError('dualstack_ipv6 not supported on this platform');
    if (family !== C.AF_INET6) throw new RangeError('dualstack_ipv6 requires AF_INET6 family');
  }
  const sock = new Socket(family, C.SOCK_STREAM);
  try {
    try {
      sock.setsockopt(C.SOL_SOCKET, C.SO_REUSEADDR, 1);
    } catch (e) {
      if (!(e instanceof OSError)) throw e;
    }
    if (reuse_port) sock.setsockopt(C.SOL_SOCKET, C.SO_REUSEPORT!, 1);
    if (family === C.AF_INET6) sock.setsockopt(C.IPPROTO_IPV6, C.IPV6_V6ONLY, dualstack_ipv6 ? 0 : 1);
    try {
      sock.bind(address);
    } catch (e) {
      if (!(e instanceof OSError) || e.errno === null) throw e;
      const err = new OSError(e.errno, `${e.strerror} (while attempting to bind on address ${pyRepr(address)})`);
      err.syscall = 'bind';
      throw err;
    }
    if (backlog === null) sock.listen();
    else sock.listen(backlog);
    return sock;
  } catch (e) {
    sock.close();
    throw e;
  }
}

/**
 * Whether `fd`'s open file description is in blocking mode: `O_NONBLOCK`
 * clear, read with fcntl(F_GETFL). The fd's real flag, shared by every holder
 * of the description; a socket object's own mode is `getblocking()`.
 * @throws OSError [Errno 9] for a closed fd.
 * Source: fcntl(2), Python's `os.get_blocking()`.
 */
export function get_blocking(fd: number): boolean {
  return (native.getfl(int(fd, 'fd')) & C.O_NONBLOCK) === 0;
}

/**
 * Sets or clears `O_NONBLOCK` on `fd`'s open file description, as any other
 * holder of the fd could; socket objects on it keep their own timeout.
 * @throws TypeError for a non-boolean `blocking`; OSError [Errno 9] for a
 *   closed fd.
 * Source: ioctl(2) FIONBIO, Python's `os.set_blocking()`.
 */
export function set_blocking(fd: number, blocking: boolean): void {
  if (typeof blocking !== 'boolean') throw new TypeError('set_blocking() takes a boolean');
  native.setblocking(int(fd, 'fd'), blocking);
}

const CMSG_MAX = 0x7fffffff;

function cmsgArg(n: unknown, call: string, max: number): number {
  const v = size(n, 'length');
  if (v < 0 || v > max) throw new RangeError(`${call}() argument out of range`);
  return v;
}

/**
 * The control-message length for `length` bytes of data (no trailing
 * padding): what `cmsg_len` holds. @throws RangeError('CMSG_LEN() argument out
 * of range'). Source: cmsg(3) CMSG_LEN, Python's `socket.CMSG_LEN()`.
 */
export function CMSG_LEN(length: number): number {
  return native.cmsg_len(cmsgArg(length, 'CMSG_LEN', CMSG_MAX - native.cmsg_len(0)));
}

/**
 * The buffer space, padding included, of a control message with `length`
 * bytes of data: sum these for `recvmsg`'s `ancbufsize`.
 * @throws RangeError('CMSG_SPACE() argument out of range').
 * Source: cmsg(3) CMSG_SPACE, Python's `socket.CMSG_SPACE()`.
 */
export function CMSG_SPACE(length: number): number {
  return native.cmsg_space(cmsgArg(length, 'CMSG_SPACE', CMSG_MAX - native.cmsg_space(1)));
}

/**
 * Sends `buffers` and the file descriptors `fds` over an AF_UNIX socket in
 * one SCM_RIGHTS message; returns the bytes sent. The receiver gets new fds
 * on the same open file descriptions (modes shared, SEMANTICS §7).
 * @throws as `Socket.sendmsg`. Source: unix(7) SCM_RIGHTS, Python's
 * `socket.send_fds()` (which drops flags and address; these are passed).
 */
export function send_fds(
  sock: Socket,
  buffers: Iterable<BytesLike>,
  fds: Iterable<number>,
  flags = 0,
  address: Address | null = null,
): number {
  const list = Int32Array.from(fds, (fd) => int(fd, 'fd'));
  return sock.sendmsg(buffers, [[C.SOL_SOCKET, C.SCM_RIGHTS, list]], flags, address);
}

/**
 * Receives at most `bufsize` bytes and at most `maxfds` file descriptors:
 * `[data, fds, msg_flags, address]`. The fds are new, close-on-exec, and the
 * caller's to close; when more arrived than fit, msg_flags has MSG_CTRUNC and
 * the kernel closed the rest (none leaks).
 * @throws RangeError('negative maxfds'), and as `Socket.recvmsg`.
 * Source: unix(7) SCM_RIGHTS, Python's `socket.recv_fds()`.
 */
export function recv_fds(
  sock: Socket,
  bufsize: number,
  maxfds: number,
  flags = 0,
): [Buffer, number[], number, SockAddress | null] {
  const max = size(maxfds, 'maxfds');
  if (max < 0) throw new RangeError('negative maxfds');
  const [data, ancdata, msgFlags, address] = sock.recvmsg(bufsize, CMSG_LEN(max * 4), flags);
  return [data, fdsOf(ancdata), msgFlags, address];
}

function fdsOf(ancdata: AncData[]): number[] {
  const fds: number[] = [];
  for (const [level, type, data] of ancdata) {
    if (level !== C.SOL_SOCKET || type !== C.SCM_RIGHTS) continue;
    for (let off = 0; off + 4 <= data.length; off += 4) fds.push(data.readInt32LE(off));
  }
  return fds;
}

/**
 * The 4-byte packed form of a dotted IPv4 address (accepts inet_aton's short
 * forms, '127.1'). @throws TypeError (not a string), OSError('illegal IP
 * address string passed to inet_aton'). Source: inet_aton(3), Python's `socket.inet_aton()`.
 */
export function inet_aton(ip: string): Buffer {
  if (typeof ip !== 'string') throw new TypeError(`inet_aton() argument must be str, not ${typeof ip}`);
  return native.inet_aton(ip);
}

/**
 * The dotted text of a 4-byte packed IPv4 address.
 * @throws RangeError('packed IP wrong length for inet_ntoa').
 * Source: inet_ntoa(3), Python's `socket.inet_ntoa()`.
 */
export function inet_ntoa(packed: BytesLike): string {
  const b = viewBuffer(packed);
  if (b.length !== 4) throw new RangeError('packed IP wrong length for inet_ntoa');
  return native.inet_ntop(C.AF_INET, b);
}

/**
 * The packed form (4 or 16 bytes) of an IPv4 or IPv6 address in text.
 * @throws TypeError (not a string), OSError('illegal IP address string
 *   passed to inet_pton'), OSError [Errno 97] for another family. Source: inet_pton(3), Python's `socket.inet_pton()`.
 */
export function inet_pton(family: number, ip: string): Buffer {
  if (typeof ip !== 'string') throw new TypeError(`inet_pton() argument 2 must be str, not ${typeof ip}`);
  return native.inet_pton(int(family, 'family'), ip);
}

/**
 * The text of a packed IPv4 (4 bytes) or IPv6 (16 bytes) address.
 * @throws RangeError('invalid length of packed IP address string'),
 *   RangeError('unknown address family N').
 * Source: inet_ntop(3), Python's `socket.inet_ntop()`.
 */
export function inet_ntop(family: number, packed: BytesLike): string {
  const f = int(family, 'family');
  const b = viewBuffer(packed);
  if (f !== C.AF_INET && f !== C.AF_INET6) throw new RangeError(`unknown address family ${f}`);
  if (b.length !== (f === C.AF_INET ? 4 : 16)) throw new RangeError('invalid length of packed IP address string');
  return native.inet_ntop(f, b);
}

function viewBuffer(v: BytesLike): Buffer {
  const view = bytesLike(v);
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

export { loop } from './loop.js';
export type { LoopOptions } from './loop.js';
