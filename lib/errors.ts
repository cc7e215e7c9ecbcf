/**
 * Python's OS error tree (PEP 3151) for JavaScript, and the one place where an
 * errno chooses its class. The native layer builds every error it throws
 * through the factory registered at the bottom of this file.
 *
 * Source: CPython `Objects/exceptions.c` (OSError's constructor picks the
 * subclass from errno), `socket.gaierror`, `socket.herror`.
 */
import { native } from './native.js';

/** Every errno name the platform defines (native/addon.cc), Python's spelling first. */
const E = native.errno;

/** Symbolic errno names by number ('ECONNREFUSED' for 111 on Linux), as Python's `errno.errorcode`. */
const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(E)) if (!errnoNames.has(value)) errnoNames.set(value, name);

type OSErrorClass = new (errno: number, strerror: string) => OSError;

/** errno -> subclass; filled in once the classes exist. */
const byErrno = new Map<number, OSErrorClass>();

/**
 * `OSError` (alias `error`): an operating-system error.
 *
 * - `new OSError(errno, strerror)` returns the subclass that errno maps to, as
 *   Python's does: `new OSError(11, 'x') instanceof BlockingIOError`. Its
 *   message is `[Errno N] strerror`.
 * - `new OSError(message)` has `errno === null` and `strerror === null`.
 *
 * Fields: `errno` (positive OS number, or the negative `EAI_*` number of a
 * `gaierror`, or null), `strerror`, `code` (the symbolic name, set when errno
 * is), `syscall` (the failing call, when one failed).
 *
 * Source: Python's `OSError`, errno(3), strerror(3).
 */
export class OSError extends Error {
  /** The OS error number, or null. */
  declare errno: number | null;
  /** The OS's text for errno (strerror(3)), or null. */
  declare strerror: string | null;
  /** The symbolic errno name ('ECONNREFUSED'), when errno is set. */
  declare code?: string;
  /** The system call that failed, when one did. */
  declare syscall?: string;

  /**
   * `new OSError(errno, strerror)`: an instance of the class errno maps to
   * (`OSError` itself for an errno no subclass takes), message `[Errno N]
   * strerror`, `code` the errno's name. `new OSError(message)` (or no
   * argument): `errno` and `strerror` null, the message as given.
   */
  constructor(errnoOrMessage?: number | string, strerror?: string) {
    if (new.target === OSError && typeof errnoOrMessage === 'number' && strerror !== undefined) {
      const Sub = byErrno.get(errnoOrMessage);
      if (Sub) return new Sub(errnoOrMessage, strerror);
    }
    const hasErrno = typeof errnoOrMessage === 'number' && strerror !== undefined;
    super(
      hasErrno ? `[Errno ${errnoOrMessage}] ${strerror}` : errnoOrMessage === undefined ? '' : String(errnoOrMessage),
    );
    this.errno = hasErrno ? (errnoOrMessage as number) : null;
    this.strerror = hasErrno ? String(strerror) : null;
    if (hasErrno) {
      const name = errnoNames.get(errnoOrMessage as number);
      if (name !== undefined) this.code = name;
    }
  }
}

function named<T extends abstract new (...args: never[]) => Error>(cls: T, name: string): T {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
  return cls;
}
named(OSError, 'OSError');

/**
 * The operation would block: EAGAIN/EWOULDBLOCK (11 on Linux) from a
 * non-blocking call with nothing to do now, EINPROGRESS (115) from a
 * non-blocking `connect()`, EALREADY (114) from a second one while the first
 * is pending. Source: Python's `BlockingIOError`.
 */
export class BlockingIOError extends OSError {}
/**
 * Base of the connection errors (`BrokenPipeError`, `ConnectionAbortedError`,
 * `ConnectionRefusedError`, `ConnectionResetError`); no errno maps to it
 * directly. Source: Python's `ConnectionError`.
 */
export class ConnectionError extends OSError {}
/**
 * Writing to a closed connection: EPIPE (32 on Linux), ESHUTDOWN (108).
 * sockmode's sends never raise SIGPIPE, so this is what a send to a closed
 * peer gives (or `ConnectionResetError`). Source: Python's `BrokenPipeError`.
 */
export class BrokenPipeError extends ConnectionError {}
/**
 * The connection was aborted: ECONNABORTED (103 on Linux).
 * Source: Python's `ConnectionAbortedError`.
 */
export class ConnectionAbortedError extends ConnectionError {}
/**
 * Nothing listens at the address: ECONNREFUSED (111 on Linux), from
 * `connect()`, `create_connection()` and `loop.sock_connect()`.
 * Source: Python's `ConnectionRefusedError`.
 */
export class ConnectionRefusedError extends ConnectionError {}
/**
 * The peer reset the connection: ECONNRESET (104 on Linux).
 * Source: Python's `ConnectionResetError`.
 */
export class ConnectionResetError extends ConnectionError {}
/**
 * A system call interrupted by a signal: EINTR (4 on Linux). The calls that
 * wait retry EINTR themselves (SEMANTICS §3, §11).
 * Source: Python's `InterruptedError`.
 */
export class InterruptedError extends OSError {}
/**
 * ETIMEDOUT (110 on Linux) from the kernel, and the library's own timeout:
 * `new TimeoutError('timed out')`, with `errno` and `strerror` null.
 * Alias: `timeout`. Source: Python's `TimeoutError` (`socket.timeout`).
 */
export class TimeoutError extends OSError {}
/**
 * Not permitted: EACCES (13 on Linux), EPERM (1); e.g. binding a port below
 * 1024 unprivileged, or registering a regular file with `epoll`.
 * Source: Python's `PermissionError`.
 */
export class PermissionError extends OSError {}
/**
 * ENOENT (2 on Linux): an AF_UNIX path that does not exist; also
 * `Poll.modify()`, `epoll.modify()` and `epoll.unregister()` of an fd that is
 * not registered. Source: Python's `FileNotFoundError`.
 */
export class FileNotFoundError extends OSError {}
/**
 * EEXIST (17 on Linux): `epoll.register()` of an fd already registered; a
 * `loop.sock_*` wait on an fd the event loop already watches for another
 * owner (a `net.Socket`). Source: Python's `FileExistsError`.
 */
export class FileExistsError extends OSError {}
/** EISDIR (21 on Linux). Source: Python's `IsADirectoryError`. */
export class IsADirectoryError extends OSError {}
/**
 * ENOTDIR (20 on Linux): e.g. an AF_UNIX path through something that is not
 * a directory. Source: Python's `NotADirectoryError`.
 */
export class NotADirectoryError extends OSError {}
/** ECHILD (10 on Linux). Source: Python's `ChildProcessError`. */
export class ChildProcessError extends OSError {}
/** ESRCH (3 on Linux). Source: Python's `ProcessLookupError`. */
export class ProcessLookupError extends OSError {}

/**
 * A resolver failure from getaddrinfo(3): `errno` is the `EAI_*` number
 * (negative on Linux), `strerror` the gai_strerror(3) text. Never mapped by
 * errno. Source: Python's `socket.gaierror`.
 */
export class gaierror extends OSError {}
/**
 * A legacy resolver (h_errno) failure. No sockmode call raises it (there is
 * no `gethostbyname`); it exists for code that catches it.
 * Source: Python's `socket.herror`.
 */
export class herror extends OSError {}

/**
 * Python's `KeyError`, for lookups of objects that were never registered:
 * `Poll.unregister()` of an unknown fd, and the selectors' `unregister`,
 * `modify`, `get_key` of an unknown object or `register` of one already
 * registered. Not an `OSError`: no errno. Source: Python's `KeyError`.
 */
export class KeyError extends Error {}
named(KeyError, 'KeyError');

const classes = {
  BlockingIOError,
  ConnectionError,
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionRefusedError,
  ConnectionResetError,
  InterruptedError,
  TimeoutError,
  PermissionError,
  FileNotFoundError,
  FileExistsError,
  IsADirectoryError,
  NotADirectoryError,
  ChildProcessError,
  ProcessLookupError,
  gaierror,
  herror,
};
for (const [name, cls] of Object.entries(classes)) named(cls, name);

const table: [OSErrorClass, string[]][] = [
  [BlockingIOError, ['EAGAIN', 'EWOULDBLOCK', 'EALREADY', 'EINPROGRESS']],
  [BrokenPipeError, ['EPIPE', 'ESHUTDOWN']],
  [ConnectionAbortedError, ['ECONNABORTED']],
  [ConnectionRefusedError, ['ECONNREFUSED']],
  [ConnectionResetError, ['ECONNRESET']],
  [InterruptedError, ['EINTR']],
  [TimeoutError, ['ETIMEDOUT']],
  [PermissionError, ['EACCES', 'EPERM']],
  [FileNotFoundError, ['ENOENT']],
  [FileExistsError, ['EEXIST']],
  [IsADirectoryError, ['EISDIR']],
  [NotADirectoryError, ['ENOTDIR']],
  [ChildProcessError, ['ECHILD']],
  [ProcessLookupError, ['ESRCH']],
];
for (const [cls, names] of table) for (const n of names) if (E[n] !== undefined) byErrno.set(E[n], cls);

/** Python's alias: `socket.error is OSError`. */
export const error = OSError;
/** Python's alias: `socket.timeout is TimeoutError`. */
export const timeout = TimeoutError;

const eaiNames = new Map<number, string>();
for (const [name, value] of Object.entries(native.constants)) if (name.startsWith('EAI_')) eaiNames.set(value, name);

/** Kinds of error the native layer asks for (native/errors.h ErrorKind). */
const enum Kind {
  Errno = 0,
  Timeout = 1,
  Gai = 2,
  Message = 3,
}

function fromNative(kind: Kind, code: number, text: string, syscall: string | undefined): Error {
  let e: OSError;
  switch (kind) {
    case Kind.Timeout:
      return new TimeoutError('timed out');
    case Kind.Message:
      return new OSError(text);
    case Kind.Gai:
      e = new gaierror(code, text);
      e.code = eaiNames.get(code);
      break;
    default:
      e = new OSError(code, text);
  }
  if (syscall !== undefined) e.syscall = syscall;
  return e;
}

native.set_error_factory(fromNative);
