// SEMANTICS §6 and §12: Python's OSError tree, errno -> subclass, messages,
// code/syscall, the library's own timeout, gaierror, aliases.
import { constants as osConstants } from 'node:os';
import { describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import { observe, outcome, python, refusedAddress } from './helpers.js';

const E = osConstants.errno as Record<string, number>;
const S = socket as unknown as Record<string, any>;

/** Every class of the tree, by its Python name. */
const names = [
  'OSError',
  'BlockingIOError',
  'ConnectionError',
  'BrokenPipeError',
  'ConnectionAbortedError',
  'ConnectionRefusedError',
  'ConnectionResetError',
  'InterruptedError',
  'TimeoutError',
  'PermissionError',
  'FileNotFoundError',
  'FileExistsError',
  'IsADirectoryError',
  'NotADirectoryError',
  'ChildProcessError',
  'ProcessLookupError',
  'gaierror',
  'herror',
  'KeyError',
];

/** How an error looks, in the same shape on both sides. */
function shape(e: any): [string, number | null, string | null, string] {
  return [e.name, e.errno, e.strerror, e.message];
}

describe('the class tree', () => {
  it('issubclass between every pair of classes matches Python', () => {
    const py = python(
      `
import builtins
def cls(n):
    return getattr(socket, n, None) if n in ("gaierror", "herror") else getattr(builtins, n)
return [[issubclass(cls(a), cls(b)) for b in arg] for a in arg]`,
      names,
    );
    const ours = names.map((a) => names.map((b) => S[a] === S[b] || S[a].prototype instanceof S[b]));
    expect(ours).toEqual(py);
    // the chain spelled out
    const e = new socket.BrokenPipeError(32, 'Broken pipe');
    expect(e).toBeInstanceOf(socket.BrokenPipeError);
    expect(e).toBeInstanceOf(socket.ConnectionError);
    expect(e).toBeInstanceOf(socket.OSError);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(socket.BlockingIOError);
  });

  it('every class is an Error, and .name is the Python name on the class and its instances', () => {
    for (const n of names) {
      const cls = S[n];
      expect(typeof cls, n).toBe('function');
      expect(cls.name, n).toBe(n);
      const inst = new cls('text');
      expect(inst, n).toBeInstanceOf(Error);
      expect(inst.name, n).toBe(n);
      expect(String(inst), n).toBe(`${n}: text`);
    }
  });

  it('aliases: error is OSError, timeout is TimeoutError', () => {
    expect(socket.error).toBe(socket.OSError);
    expect(socket.timeout).toBe(socket.TimeoutError);
    expect(socket.error.name).toBe('OSError');
    expect(socket.timeout.name).toBe('TimeoutError');
    const py = python(`return [socket.error is OSError, socket.timeout is TimeoutError]`);
    expect(py).toEqual([true, true]);
  });

  it('KeyError is exported, extends Error and is no OSError', () => {
    const k = new socket.KeyError('42');
    expect(k).toBeInstanceOf(Error);
    expect(k).not.toBeInstanceOf(socket.OSError);
    expect(k.name).toBe('KeyError');
    expect(k.message).toBe('42');
  });
});

describe('new OSError(errno, strerror) picks the subclass', () => {
  const numbers = Array.from({ length: 133 }, (_, i) => i + 1);

  it('for every errno 1..133 as Python does (class, errno, strerror, message)', () => {
    const py = python(
      `
out = []
for n in arg:
    e = OSError(n, 'x')
    out.append([type(e).__name__, e.errno, e.strerror, str(e)])
return out`,
      numbers,
    );
    const ours = numbers.map((n) => shape(new socket.OSError(n, 'x')));
    expect(ours).toEqual(py);
  });

  it('the rows of the table, by symbolic name (os.constants.errno)', () => {
    const rows: [string, string][] = [
      ['EAGAIN', 'BlockingIOError'],
      ['EWOULDBLOCK', 'BlockingIOError'],
      ['EALREADY', 'BlockingIOError'],
      ['EINPROGRESS', 'BlockingIOError'],
      ['EPIPE', 'BrokenPipeError'],
      ['ECONNABORTED', 'ConnectionAbortedError'],
      ['ECONNREFUSED', 'ConnectionRefusedError'],
      ['ECONNRESET', 'ConnectionResetError'],
      ['EINTR', 'InterruptedError'],
      ['ETIMEDOUT', 'TimeoutError'],
      ['EACCES', 'PermissionError'],
      ['EPERM', 'PermissionError'],
      ['ENOENT', 'FileNotFoundError'],
      ['EEXIST', 'FileExistsError'],
      ['EISDIR', 'IsADirectoryError'],
      ['ENOTDIR', 'NotADirectoryError'],
      ['ECHILD', 'ChildProcessError'],
      ['ESRCH', 'ProcessLookupError'],
      ['EBADF', 'OSError'],
      ['EINVAL', 'OSError'],
      ['EADDRINUSE', 'OSError'],
      ['ENOTSOCK', 'OSError'],
      ['EISCONN', 'OSError'],
      ['ENOTCONN', 'OSError'],
    ];
    for (const [sym, cls] of rows) {
      const n = E[sym];
      expect(n, sym).toBeTypeOf('number');
      const e = new socket.OSError(n, 'text');
      expect(e, sym).toBeInstanceOf(S[cls]);
      expect(e.constructor, sym).toBe(S[cls]);
      expect(e.name, sym).toBe(cls);
      expect(e.errno, sym).toBe(n);
      expect(e.strerror, sym).toBe('text');
      expect(e.message, sym).toBe(`[Errno ${n}] text`);
    }
    // instanceof works on the chosen subclass, as in Python
    expect(new socket.OSError(11, 'x')).toBeInstanceOf(socket.BlockingIOError);
  });

  it('ESHUTDOWN (108, not in os.constants.errno) is a BrokenPipeError as in Python', () => {
    const py = python(`return type(OSError(108, 'x')).__name__`);
    expect(py).toBe('BrokenPipeError');
    const e = new socket.OSError(108, 'Cannot send after transport endpoint shutdown');
    expect(e).toBeInstanceOf(socket.BrokenPipeError);
    expect(e).toBeInstanceOf(socket.ConnectionError);
  });

  it('a subclass constructor is never remapped (as in Python)', () => {
    const cases: [string, number][] = [
      ['ConnectionError', 111],
      ['BlockingIOError', 111],
      ['TimeoutError', 11],
      ['gaierror', 11],
      ['gaierror', -2],
      ['herror', 1],
    ];
    const py = python(
      `
import builtins
out = []
for n, num in arg:
    cls = getattr(socket, n) if n in ("gaierror", "herror") else getattr(builtins, n)
    e = cls(num, 'x')
    out.append([type(e).__name__, e.errno, e.strerror, str(e)])
return out`,
      cases,
    );
    const ours = cases.map(([n, num]) => shape(new S[n](num, 'x')));
    expect(ours).toEqual(py);
    expect(new socket.gaierror(-2, 'x')).toBeInstanceOf(socket.gaierror);
    expect(new socket.gaierror(11, 'x')).not.toBeInstanceOf(socket.BlockingIOError);
  });

  it("code is Python's errno.errorcode name: EAGAIN for 11, ECONNREFUSED for 111", () => {
    expect(new socket.OSError(11, 'x').code).toBe('EAGAIN');
    expect(new socket.OSError(111, 'x').code).toBe('ECONNREFUSED');
    expect(new socket.OSError(9, 'x').code).toBe('EBADF');
  });

  it('code is the symbolic name of every errno Linux names (Python errno module), 1..133', () => {
    const py: Record<string, string[]> = python(`
import errno
out = {}
for name in dir(errno):
    if name.startswith('E') and isinstance(getattr(errno, name), int):
        out.setdefault(str(getattr(errno, name)), []).append(name)
return out`);
    const missing: string[] = [];
    for (let n = 1; n <= 133; n++) {
      const code = new socket.OSError(n, 'x').code;
      const syms = py[String(n)];
      if (syms === undefined) expect(code, `errno ${n}`).toBeUndefined();
      else if (code === undefined || !syms.includes(code)) missing.push(`${n}:${syms.join('/')}=>${code}`);
    }
    expect(missing).toEqual([]);
  });
});

describe('OSError without errno', () => {
  it("new OSError('text'): errno and strerror null, bare message, no code", () => {
    const e = new socket.OSError('text');
    expect(e.errno).toBeNull();
    expect(e.strerror).toBeNull();
    expect(e.message).toBe('text');
    expect(e.code).toBeUndefined();
    expect(Object.hasOwn(e, 'code')).toBe(false);
    expect(e.syscall).toBeUndefined();
    expect(e.constructor).toBe(socket.OSError);
  });

  it('single-argument and empty forms match Python', () => {
    const py = python(`
out = []
for a in [('text',), (5,), ()]:
    e = OSError(*a)
    out.append([type(e).__name__, e.errno, e.strerror, str(e)])
return out`);
    const ours = [shape(new socket.OSError('text')), shape(new socket.OSError(5)), shape(new socket.OSError())];
    expect(ours).toEqual(py);
  });
});

describe('errors from real calls', () => {
  it('connect refused: ConnectionRefusedError with errno, strerror, code and syscall', () => {
    const r = refusedAddress();
    try {
      using s = socket.socket();
      s.settimeout(5);
      let err: any;
      try {
        s.connect(r.address);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(socket.ConnectionRefusedError);
      expect(err).toBeInstanceOf(socket.ConnectionError);
      expect(err).toBeInstanceOf(socket.OSError);
      expect(err).toBeInstanceOf(Error);
      expect(err.errno).toBe(E.ECONNREFUSED);
      expect(err.code).toBe('ECONNREFUSED');
      expect(err.syscall).toBe('connect');
      const py = python(
        `
s = socket.socket(); s.settimeout(5)
try:
    s.connect(tuple(arg))
except OSError as e:
    return [type(e).__name__, e.errno, e.strerror, str(e)]
finally:
    s.close()`,
        r.address,
      );
      expect(shape(err)).toEqual(py);
    } finally {
      r.close();
    }
  });

  it('bind to an address in use: OSError 98 with code EADDRINUSE and syscall bind', () => {
    using a = socket.socket();
    a.bind(['127.0.0.1', 0]);
    a.listen();
    using b = socket.socket();
    let err: any;
    try {
      b.bind(a.getsockname() as [string, number]);
    } catch (e) {
      err = e;
    }
    expect(err?.constructor).toBe(socket.OSError);
    expect(err.errno).toBe(E.EADDRINUSE);
    expect(err.code).toBe('EADDRINUSE');
    expect(err.syscall).toBe('bind');
    expect(err.message).toBe(`[Errno ${E.EADDRINUSE}] ${err.strerror}`);
  });

  it('an operation on a closed socket: OSError 9 EBADF with a syscall', () => {
    const s = socket.socket();
    s.close();
    let err: any;
    try {
      s.getsockname();
    } catch (e) {
      err = e;
    }
    expect(err?.constructor).toBe(socket.OSError);
    expect(err.errno).toBe(9);
    expect(err.code).toBe('EBADF');
    expect(err.syscall).toBe('getsockname');
    const py = python(`
s = socket.socket(); s.close()
try:
    s.getsockname()
except OSError as e:
    return [type(e).__name__, e.errno, e.strerror, str(e)]`);
    expect(shape(err)).toEqual(py);
  });

  it("the library's own timeout is TimeoutError('timed out'): errno/strerror null, no code", () => {
    const [a, b] = socket.socketpair();
    try {
      a.settimeout(0.05);
      let err: any;
      try {
        a.recv(1);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(socket.TimeoutError);
      expect(err).toBeInstanceOf(socket.timeout);
      expect(err).toBeInstanceOf(socket.OSError);
      expect(err.constructor).toBe(socket.TimeoutError);
      expect(err.errno).toBeNull();
      expect(err.strerror).toBeNull();
      expect(err.code).toBeUndefined();
      expect(err.message).toBe('timed out');
      const py = python(`
a, b = socket.socketpair()
a.settimeout(0.05)
try:
    a.recv(1)
except OSError as e:
    return [type(e).__name__, e.errno, e.strerror, str(e)]
finally:
    a.close(); b.close()`);
      expect(shape(err)).toEqual(py);
    } finally {
      a.close();
      b.close();
    }
  });

  it("new TimeoutError('timed out') has the same shape as the library's", () => {
    const e = new socket.TimeoutError('timed out');
    expect(shape(e)).toEqual(['TimeoutError', null, null, 'timed out']);
    expect(e.code).toBeUndefined();
  });
});

describe('gaierror', () => {
  it('getaddrinfo of a name that does not resolve: the EAI number and gai_strerror text, as Python', () => {
    const py = python(`
try:
    socket.getaddrinfo('nonexistent.invalid', 80)
except OSError as e:
    return [type(e).__name__, e.errno, e.strerror, str(e)]
return None`);
    let err: any;
    try {
      socket.getaddrinfo('nonexistent.invalid', 80);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(socket.gaierror);
    expect(err).toBeInstanceOf(socket.OSError);
    expect(err.errno).toBeLessThan(0);
    expect(shape(err)).toEqual(py);
    expect(err.errno).toBe(socket.EAI_NONAME);
    expect(err.message).toBe(`[Errno ${err.errno}] ${err.strerror}`);
  });

  it('new gaierror(-2, text) stays a gaierror, with the negative errno in the message', () => {
    const e = new socket.gaierror(-2, 'Name or service not known');
    expect(e.constructor).toBe(socket.gaierror);
    expect(e.errno).toBe(-2);
    expect(e.strerror).toBe('Name or service not known');
    expect(e.message).toBe('[Errno -2] Name or service not known');
    const o = outcome(
      observe(() => {
        throw new socket.gaierror(-2, 'x');
      }),
    );
    const py = outcome(
      python(`
def f():
    raise socket.gaierror(-2, 'x')
return observe(f)`),
    );
    expect(o).toEqual(py);
  });
});
