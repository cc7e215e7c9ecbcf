/**
 * The one loader of the native binding (node-gyp-build: a prebuild from
 * `prebuilds/` when one fits, else `build/Release`) and its typed interface.
 *
 * Every function is stateless: it takes the fd and, where it can wait, the
 * timeout of the socket object as `timeoutNs` (`< 0` blocking, `0`
 * non-blocking, `> 0` nanoseconds), or `constants.TRY_TIMEOUT` for the event
 * loop's attempt, where "would block" is answered `null` instead of thrown. Failures are thrown as the classes of
 * `errors.ts`, through the factory registered with `set_error_factory`.
 *
 * @internal
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A JS address: `[host, port]`, `[host, port, flowinfo, scope_id]`, or an AF_UNIX path. */
export type NativeAddress = unknown;

/** The binding's bytes-like arguments. */
export type View = ArrayBufferView;

/** @internal */
export interface Binding {
  set_error_factory(fn: (kind: number, code: number, text: string, syscall: string | undefined) => Error): void;
  socket(family: number, type: number, proto: number): number;
  socketpair(family: number, type: number, proto: number): [number, number];
  setblocking(fd: number, blocking: boolean): void;
  getfl(fd: number): number;
  sockinfo(fd: number): [family: number, type: number, proto: number];
  dup(fd: number): number;
  close(fd: number): void;
  bind(fd: number, family: number, address: NativeAddress): void;
  listen(fd: number, backlog: number): void;
  accept(fd: number, timeoutNs: number): [number, unknown] | null;
  connect(fd: number, timeoutNs: number, family: number, address: NativeAddress, ex: boolean): number;
  recv(fd: number, timeoutNs: number, n: number, flags: number): Buffer | null;
  recv_into(fd: number, timeoutNs: number, buf: View, nbytes: number, flags: number): number | null;
  send(fd: number, timeoutNs: number, data: View, flags: number): number | null;
  /** In the event loop's attempt (TRY_TIMEOUT): the bytes the kernel took now. */
  sendall(fd: number, timeoutNs: number, data: View, flags: number): void | number;
  recvfrom(fd: number, timeoutNs: number, n: number, flags: number): [Buffer, unknown] | null;
  recvfrom_into(fd: number, timeoutNs: number, buf: View, nbytes: number, flags: number): [number, unknown] | null;
  sendto(fd: number, timeoutNs: number, data: View, flags: number, family: number, address: unknown): number | null;
  sendmsg(
    fd: number,
    timeoutNs: number,
    buffers: View[],
    ancdata: [number, number, View][],
    flags: number,
    family: number,
    address: unknown,
  ): number;
  recvmsg(
    fd: number,
    timeoutNs: number,
    bufsize: number,
    ancbufsize: number,
    flags: number,
  ): [Buffer, unknown, number, unknown];
  recvmsg_into(
    fd: number,
    timeoutNs: number,
    buffers: View[],
    ancbufsize: number,
    flags: number,
  ): [number, unknown, number, unknown];
  cmsg_len(n: number): number;
  cmsg_space(n: number): number;
  inet_aton(text: string): Buffer;
  inet_pton(family: number, text: string): Buffer;
  inet_ntop(family: number, packed: Buffer): string;
  epoll_create(): number;
  epoll_ctl(epfd: number, op: number, fd: number, events: number): void;
  epoll_wait(epfd: number, timeoutNs: number, out: Int32Array): number;
  poll_watch(fd: number, events: number, callback: (status: number, events: number) => void): unknown;
  poll_update(handle: unknown, events: number): void;
  poll_close(handle: unknown): void;
  strerror(errno: number): string;
  gai_strerror(code: number): string;
  bench_pin(cpu: number): boolean;
  bench_pingpong(fd: number, size: number, rounds: number): number;
  bench_bulk(fd: number, bufsize: number, total: number): number;
  bench_connect(family: number, address: unknown, count: number): number;
  bench_peer(controlFd: number): void;
  shutdown(fd: number, how: number): void;
  getsockname(fd: number): unknown;
  getpeername(fd: number): unknown;
  setsockopt(fd: number, level: number, opt: number, value: number | View): void;
  getsockopt(fd: number, level: number, opt: number, buflen: number): number | Buffer;
  getaddrinfo(
    host: string | Buffer | null,
    port: string | number | Buffer | null,
    family: number,
    type: number,
    proto: number,
    flags: number,
  ): [number, number, number, string, unknown][];
  poll(fds: Int32Array, events: Int32Array, revents: Int32Array, timeoutNs: number, nvalIsError: boolean): number;
  constants: Record<string, number>;
  /** Every errno name the platform defines. */
  errno: Record<string, number>;
}

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Loads the binding: the .node file named by the environment variable
 * SOCKMODE_NATIVE (a sanitizer or debug build; see `npm run test:asan`), else
 * node-gyp-build's choice (`build/Release` when built here, else a prebuild
 * that fits this platform, libc and arch).
 * @throws Error with code `ERR_SOCKMODE_PLATFORM` on Windows, which has none
 *   of the POSIX socket semantics sockmode exposes (`O_NONBLOCK` on an fd,
 *   poll(2), descriptions shared through dup(2)).
 * @throws Error with code `ERR_SOCKMODE_NO_BINARY` when no prebuild fits and
 *   none was compiled at install (cause: node-gyp-build's error).
 */
function load(): Binding {
  if (process.platform === 'win32') {
    throw Object.assign(
      new Error(
        'sockmode needs a POSIX system (Linux, macOS, FreeBSD, OpenBSD, NetBSD): Windows sockets have no ' +
          'O_NONBLOCK file descriptors, poll(2) or dup(2)-shared descriptions; use node:net there',
      ),
      { code: 'ERR_SOCKMODE_PLATFORM' },
    );
  }
  if (process.env.SOCKMODE_NATIVE) return require(process.env.SOCKMODE_NATIVE) as Binding;
  try {
    return (require('node-gyp-build') as (dir: string) => Binding)(root);
  } catch (e) {
    throw Object.assign(
      new Error(
        `sockmode: no native binary for ${process.platform}-${process.arch} (prebuilt: linux-x64 with glibc >= 2.28 ` +
          'and libstdc++ from GCC >= 11); build it from source with a C++17 compiler, make and python3: ' +
          'npm rebuild sockmode',
        { cause: e },
      ),
      { code: 'ERR_SOCKMODE_NO_BINARY' },
    );
  }
}

/** The binding, loaded once per module instance (see `load`). @internal */
export const native: Binding = load();
