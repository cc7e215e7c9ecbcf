// SEMANTICS §4: close, detach, fileno, closed sockets, stale fd numbers,
// `using`, and the finalizer of a socket dropped while open.
// Loopback only. A closed object's calls never reach a live fd, so nothing
// here can block; the sockets that reuse fd numbers are non-blocking at the
// fd level anyway, so even a wrong call on them could not hang the test.
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import { checkNoFdLeaks, fdCount, fdNonBlocking, observe, outcome, python, refusedAddress, root } from './helpers.js';

checkNoFdLeaks();

/** Whether fd is open in this process. */
function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

type Obs = ReturnType<typeof observe>;

describe('close()', () => {
  it('sets fileno() to -1, closes the fd once, and a second close() does nothing; as CPython', () => {
    const py = python(`
s = socket.socket()
fd = s.fileno()
out = [fd >= 0, observe(s.close), s.fileno(), observe(s.close), s.fileno()]
try:
    os.fstat(fd)
    out.append(True)
except OSError:
    out.append(False)
return out`);
    const s = socket.socket();
    const fd = s.fileno();
    const ours = [fd >= 0, observe(() => s.close()), s.fileno(), observe(() => s.close()), s.fileno(), isOpen(fd)];
    const norm = (x: any) => (x && typeof x === 'object' && 'elapsed' in x ? outcome(x) : x);
    expect(ours.map(norm)).toEqual(py.map(norm));
    expect(ours).toMatchObject([true, { ok: true, value: null }, -1, { ok: true, value: null }, -1, false]);
  });

  it('fileno() never throws, also after close() and detach()', () => {
    const a = socket.socket();
    a.close();
    expect(() => a.fileno()).not.toThrow();
    expect(a.fileno()).toBe(-1);
    const b = socket.socket();
    const fd = b.detach();
    try {
      expect(b.fileno()).toBe(-1);
      expect(() => b.fileno()).not.toThrow();
    } finally {
      closeSync(fd);
    }
  });

  it('an fd closed behind the object: close() raises OSError [Errno 9], and the object is closed; as CPython', () => {
    const py = python(`
s = socket.socket()
os.close(s.fileno())
return [observe(s.close), s.fileno(), observe(s.close)]`);
    const s = socket.socket();
    closeSync(s.fileno());
    const ours = [observe(() => s.close()), s.fileno(), observe(() => s.close())];
    const norm = (x: any) => (x && typeof x === 'object' && 'elapsed' in x ? outcome(x) : x);
    expect(ours.map(norm)).toEqual(py.map(norm));
    expect(ours[0]).toMatchObject({ ok: false, error: 'OSError', errno: 9, message: '[Errno 9] Bad file descriptor' });
    expect(ours[1]).toBe(-1);
  });

  it('the object keeps family, type, proto and its timeout after close()', () => {
    const s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM);
    s.settimeout(2.5);
    s.close();
    expect([s.family, s.type, s.proto]).toEqual([socket.AF_INET6, socket.SOCK_DGRAM, 0]);
    expect([s.gettimeout(), s.getblocking(), s.timeout]).toEqual([2.5, true, 2.5]);
    expect(String(s)).toContain('[closed]');
    expect(String(s)).toContain('fd=-1');
  });
});

describe('detach()', () => {
  it('returns the fd and leaves the object closed without closing the fd; as CPython', () => {
    const py = python(`
a, b = socket.socketpair()
fd = a.fileno()
d = a.detach()
out = [d == fd, a.fileno(), a.detach(), observe(lambda: a.recv(1)), observe(lambda: a.send(b"x"))]
c = socket.socket(fileno=d)
c.settimeout(2)
b.sendall(b"via")
out.append(list(c.recv(10)))
out.append([c.family == socket.AF_UNIX, c.type == socket.SOCK_STREAM])
c.close(); b.close()
return out`);
    const [a, b] = socket.socketpair();
    let c: socket.Socket | undefined;
    try {
      const fd = a.fileno();
      const d = a.detach();
      const ours: unknown[] = [
        d === fd,
        a.fileno(),
        a.detach(),
        observe(() => a.recv(1)),
        observe(() => a.send(Buffer.from('x'))),
      ];
      expect(isOpen(d)).toBe(true); // the fd still works
      c = socket.socket(undefined, undefined, undefined, d);
      expect(c.fileno()).toBe(d);
      c.settimeout(2);
      b.settimeout(2);
      b.sendall(Buffer.from('via'));
      ours.push([...c.recv(10)]);
      ours.push([c.family === socket.AF_UNIX, c.type === socket.SOCK_STREAM]);
      const norm = (x: any) => (x && typeof x === 'object' && 'elapsed' in x ? outcome(x) : x);
      expect(ours.map(norm)).toEqual(py.map(norm));
      expect(ours[0]).toBe(true);
      expect(ours[1]).toBe(-1);
      expect(ours[2]).toBe(-1);
      // the other way too
      c.sendall(Buffer.from('back'));
      expect(b.recv(10).toString()).toBe('back');
      // closing the detached object does nothing to the fd; the new owner closes it
      a.close();
      expect(isOpen(d)).toBe(true);
      c.close();
      expect(isOpen(d)).toBe(false);
    } finally {
      a.close();
      b.close();
      c?.close();
    }
  });
});

describe('every method on a closed socket', () => {
  // [label, TS call, Python expression] in the order both sides run them.
  const cases: [string, (s: socket.Socket, addr: [string, number]) => unknown, string][] = [
    ['recv(1)', (s) => s.recv(1), 's.recv(1)'],
    ['recv(0)', (s) => s.recv(0), 's.recv(0)'],
    ['recv_into(4)', (s) => s.recv_into(Buffer.alloc(4)), 's.recv_into(bytearray(4))'],
    ['recv_into(empty)', (s) => s.recv_into(Buffer.alloc(0)), 's.recv_into(bytearray(0))'],
    ['send', (s) => s.send(Buffer.from('x')), 's.send(b"x")'],
    ['send(empty)', (s) => s.send(Buffer.alloc(0)), 's.send(b"")'],
    ['sendall', (s) => s.sendall(Buffer.from('x')), 's.sendall(b"x")'],
    ['sendall(empty)', (s) => s.sendall(Buffer.alloc(0)), 's.sendall(b"")'],
    ['connect', (s, a) => s.connect(a), 's.connect(A)'],
    ['connect_ex', (s, a) => s.connect_ex(a), 's.connect_ex(A)'],
    ['accept', (s) => s.accept(), 's.accept()'],
    ['bind', (s) => s.bind(['127.0.0.1', 0]), 's.bind(("127.0.0.1", 0))'],
    ['listen()', (s) => s.listen(), 's.listen()'],
    ['listen(5)', (s) => s.listen(5), 's.listen(5)'],
    ['getsockname', (s) => s.getsockname(), 's.getsockname()'],
    ['getpeername', (s) => s.getpeername(), 's.getpeername()'],
    ['shutdown', (s) => s.shutdown(socket.SHUT_RDWR), 's.shutdown(socket.SHUT_RDWR)'],
    [
      'setsockopt(int)',
      (s) => s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1),
      's.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
    ],
    [
      'setsockopt(bytes)',
      (s) => s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, Buffer.from([1, 0, 0, 0])),
      's.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, b"\\x01\\x00\\x00\\x00")',
    ],
    [
      'getsockopt',
      (s) => s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE),
      's.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)',
    ],
    [
      'getsockopt(buflen)',
      (s) => s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE, 4),
      's.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE, 4)',
    ],
    ['dup', (s) => s.dup(), 's.dup()'],
    ['fileno', (s) => s.fileno(), 's.fileno()'],
    ['gettimeout (before)', (s) => s.gettimeout(), 's.gettimeout()'],
    ['getblocking (before)', (s) => s.getblocking(), 's.getblocking()'],
    ['settimeout(1.5)', (s) => s.settimeout(1.5), 's.settimeout(1.5)'],
    ['gettimeout (stored)', (s) => s.gettimeout(), 's.gettimeout()'],
    ['setblocking(false)', (s) => s.setblocking(false), 's.setblocking(False)'],
    ['getblocking (stored)', (s) => s.getblocking(), 's.getblocking()'],
    ['setblocking(true)', (s) => s.setblocking(true), 's.setblocking(True)'],
    ['settimeout(null)', (s) => s.settimeout(null), 's.settimeout(None)'],
    ['detach', (s) => s.detach(), 's.detach()'],
    ['close', (s) => s.close(), 's.close()'],
  ];

  for (const [mname, t] of [
    ['blocking', null],
    ['non-blocking', 0],
    ['timeout', 2.5],
  ] as const) {
    it(`${mname}: OSError [Errno 9] from each call (zero lengths excepted), as CPython, without waiting`, () => {
      const refused = refusedAddress();
      try {
        const body = cases.map(([, , expr]) => `out.append(observe(lambda: ${expr}))`).join('\n');
        const py = python(
          `
A = tuple(arg["address"])
s = socket.socket()
s.settimeout(arg["t"])
s.close()
out = []
${body}
return out`,
          { address: refused.address, t },
        );
        const s = socket.socket();
        s.settimeout(t);
        s.close();
        const ours: Obs[] = cases.map(([, fn]) => observe(() => fn(s, refused.address)));
        expect(ours.length).toBe(py.length);
        ours.forEach((o, i) => {
          const label = cases[i][0];
          expect(outcome(o), label).toEqual(outcome(py[i]));
          expect(o.elapsed, label).toBeLessThan(0.5);
        });
        // the rule, spelled out
        const byLabel = Object.fromEntries(cases.map(([label], i) => [label, ours[i]]));
        const ebadf = { ok: false, error: 'OSError', errno: 9, message: '[Errno 9] Bad file descriptor' };
        for (const label of [
          'recv(1)',
          'recv_into(4)',
          'send',
          'send(empty)',
          'sendall',
          'sendall(empty)',
          'connect',
          'accept',
          'bind',
          'listen()',
          'listen(5)',
          'getsockname',
          'getpeername',
          'shutdown',
          'setsockopt(int)',
          'setsockopt(bytes)',
          'getsockopt',
          'getsockopt(buflen)',
          'dup',
          'settimeout(1.5)',
          'setblocking(false)',
          'setblocking(true)',
          'settimeout(null)',
        ]) {
          expect(byLabel[label], label).toMatchObject(ebadf);
        }
        expect(byLabel['recv(0)']).toMatchObject({ ok: true, value: [] });
        expect(byLabel['recv_into(empty)']).toMatchObject({ ok: true, value: 0 });
        expect(byLabel['connect_ex']).toMatchObject({ ok: true, value: 9 });
        expect(byLabel['fileno']).toMatchObject({ ok: true, value: -1 });
        expect(byLabel['detach']).toMatchObject({ ok: true, value: -1 });
        expect(byLabel['close']).toMatchObject({ ok: true, value: null });
        expect(byLabel['gettimeout (before)']).toMatchObject({ ok: true, value: t });
        expect(byLabel['gettimeout (stored)']).toMatchObject({ ok: true, value: 1.5 });
        expect(byLabel['getblocking (stored)']).toMatchObject({ ok: true, value: false });
      } finally {
        refused.close();
      }
    });
  }

  it('the error has code EBADF and names the syscall', () => {
    const s = socket.socket();
    s.close();
    let err: any;
    try {
      s.recv(1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(socket.OSError);
    expect(err).toBeInstanceOf(socket.error);
    expect(err.constructor).toBe(socket.OSError); // no subclass for EBADF
    expect(err.code).toBe('EBADF');
    expect(err.strerror).toBe('Bad file descriptor');
    expect(typeof err.syscall).toBe('string');
  });
});

describe('stale fd numbers: a closed object never touches the fd number someone else now has', () => {
  /**
   * Creates sockets with `make` until one owns fd number `fd` (the kernel
   * hands out the lowest free number); returns it and closes the others.
   */
  function claim<T extends socket.Socket[]>(fd: number, make: () => T): [T, socket.Socket] {
    const spare: socket.Socket[] = [];
    try {
      for (let i = 0; i < 64; i++) {
        const made = make();
        const hit = made.find((s) => s.fileno() === fd);
        if (hit) return [made, hit];
        spare.push(...made);
      }
      throw new Error(`fd ${fd} was never reused`);
    } finally {
      for (const s of spare) s.close();
    }
  }

  /** Every data method of the stale object: each must raise OSError [Errno 9] (connect_ex returns 9). */
  function staleCalls(old: socket.Socket, addr: [string, number]): [string, Obs][] {
    const calls: [string, () => unknown][] = [
      ['recv', () => old.recv(100)],
      ['recv_into', () => old.recv_into(Buffer.alloc(100))],
      ['send', () => old.send(Buffer.from('stale'))],
      ['sendall', () => old.sendall(Buffer.from('stale'))],
      ['sendall(empty)', () => old.sendall(Buffer.alloc(0))],
      ['connect', () => old.connect(addr)],
      ['connect_ex', () => old.connect_ex(addr)],
      ['accept', () => old.accept()],
      ['bind', () => old.bind(['127.0.0.1', 0])],
      ['listen', () => old.listen(1)],
      ['getsockname', () => old.getsockname()],
      ['getpeername', () => old.getpeername()],
      ['setsockopt', () => old.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)],
      ['getsockopt', () => old.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)],
      ['dup', () => old.dup()],
      ['shutdown', () => old.shutdown(socket.SHUT_RDWR)],
      // last: a wrong mode change would clear O_NONBLOCK on the new owner's fd
      ['setblocking(false)', () => old.setblocking(false)],
      ['settimeout(null)', () => old.settimeout(null)],
    ];
    return calls.map(([label, fn]) => [label, observe(fn)]);
  }

  function expectAllEbadf(results: [string, Obs][]): void {
    for (const [label, o] of results) {
      if (label === 'connect_ex') expect(o, label).toMatchObject({ ok: true, value: 9 });
      else expect(o, label).toMatchObject({ ok: false, error: 'OSError', errno: 9 });
      expect(o.elapsed, label).toBeLessThan(0.5);
    }
  }

  for (const [mname, t] of [
    ['blocking', null],
    ['non-blocking', 0],
    ['timeout', 2],
  ] as const) {
    it(`${mname} stale object, fd reused by a connected socket with data waiting: the new socket is untouched`, () => {
      const refused = refusedAddress();
      const old = socket.socket();
      const oldFd = old.fileno();
      old.settimeout(t);
      old.close();
      const [made, victim] = claim(oldFd, () => socket.socketpair());
      const peer = made.find((s) => s !== victim)!;
      try {
        expect(victim.fileno()).toBe(oldFd);
        victim.settimeout(3); // O_NONBLOCK set: even a wrong call on it could not block
        peer.settimeout(3);
        peer.sendall(Buffer.from('for the new owner'));
        const keepalive = victim.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE);
        const fds = fdCount();

        const results = staleCalls(old, refused.address);
        expectAllEbadf(results);

        expect(fdCount()).toBe(fds); // no dup of the new owner's fd
        expect(victim.fileno()).toBe(oldFd);
        expect(fdNonBlocking(victim.fileno())).toBe(true); // its mode flag untouched
        expect(victim.gettimeout()).toBe(3);
        expect(victim.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)).toBe(keepalive);
        expect(victim.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)).toBe(0);
        // its data arrived intact: nothing was consumed by the stale recv calls
        expect(victim.recv(100).toString()).toBe('for the new owner');
        // nothing stale was sent on it
        peer.setblocking(false);
        expect(observe(() => peer.recv(100))).toMatchObject({ ok: false, error: 'BlockingIOError', errno: 11 });
        peer.settimeout(3);
        // and it was not shut down: both directions still work
        victim.sendall(Buffer.from('still here'));
        expect(peer.recv(100).toString()).toBe('still here');
        peer.sendall(Buffer.from('and here'));
        expect(victim.recv(100).toString()).toBe('and here');
      } finally {
        for (const s of made) s.close();
        refused.close();
      }
    });

    it(`${mname} stale object, fd reused by a listener with a pending connection: the listener is untouched`, () => {
      const refused = refusedAddress();
      const old = socket.socket();
      const oldFd = old.fileno();
      old.settimeout(t);
      old.close();
      const [, listener] = claim(oldFd, () => [socket.socket()]);
      let client: socket.Socket | undefined;
      try {
        listener.settimeout(3);
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1);
        listener.bind(['127.0.0.1', 0]);
        listener.listen(4);
        const address = listener.getsockname() as [string, number];
        client = socket.socket();
        client.settimeout(3);
        client.connect(address);
        const fds = fdCount();

        const results = staleCalls(old, refused.address);
        expectAllEbadf(results);

        expect(fdCount()).toBe(fds); // no accepted or duplicated fd appeared
        expect(listener.fileno()).toBe(oldFd);
        expect(fdNonBlocking(listener.fileno())).toBe(true);
        expect(listener.getsockname()).toEqual(address);
        expect(listener.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)).toBe(1); // still listening
        expect(listener.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)).toBe(0);
        // the pending connection is still there for its owner
        const [conn, addr] = listener.accept();
        try {
          expect(addr).toEqual(client.getsockname());
          client.sendall(Buffer.from('hello'));
          conn.settimeout(3);
          expect(conn.recv(10).toString()).toBe('hello');
        } finally {
          conn.close();
        }
      } finally {
        client?.close();
        listener.close();
        refused.close();
      }
    });
  }

  it('a stale close() after the number was reused does not close the new owner', () => {
    const old = socket.socket();
    const oldFd = old.fileno();
    old.close();
    const [, fresh] = claim(oldFd, () => [socket.socket()]);
    try {
      old.close();
      old[Symbol.dispose]();
      expect(isOpen(oldFd)).toBe(true);
      expect(fresh.fileno()).toBe(oldFd);
      expect(fresh.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)).toBe(socket.SOCK_STREAM);
    } finally {
      fresh.close();
    }
  });
});

describe('using', () => {
  it('`using s = socket.socket()` closes the socket at the end of the block', () => {
    let ref: socket.Socket | undefined;
    let fd: number;
    {
      using s = socket.socket();
      ref = s;
      fd = s.fileno();
      expect(isOpen(fd)).toBe(true);
    }
    expect(ref!.fileno()).toBe(-1);
    expect(isOpen(fd)).toBe(false);
  });

  it('closes when the block throws, and disposing twice does nothing', () => {
    let ref: socket.Socket | undefined;
    let fd = -1;
    expect(() => {
      using s = socket.socket();
      ref = s;
      fd = s.fileno();
      throw new Error('boom');
    }).toThrow('boom');
    expect(ref!.fileno()).toBe(-1);
    expect(isOpen(fd)).toBe(false);
    expect(() => ref![Symbol.dispose]()).not.toThrow();
  });

  it('[Symbol.dispose]() is close()', () => {
    const [a, b] = socket.socketpair();
    try {
      a[Symbol.dispose]();
      expect(a.fileno()).toBe(-1);
      b.settimeout(1);
      expect(b.recv(10).length).toBe(0); // the peer sees EOF: the fd was really closed
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('finalizer', () => {
  /** Runs an ESM script with --expose-gc against dist/, under a watchdog; returns its JSON and stderr. */
  function gcChild(body: string): { out: any; stderr: string } {
    const code = `
import * as socket from ${JSON.stringify(join(root, 'dist', 'index.js'))};
import { readdirSync, fstatSync } from 'node:fs';
const count = () => readdirSync('/proc/self/fd').length;
const isOpen = (fd) => { try { fstatSync(fd); return true; } catch { return false; } };
// the fd's identity, so a number reused by Node itself is not mistaken for our socket
const ino = (fd) => { try { return fstatSync(fd).ino; } catch { return null; } };
const warnings = [];
process.on('warning', (w) => { if (w.name !== 'WarmupWarning') warnings.push([w.name, w.message]); });
const settle = async (done) => {
  for (let i = 0; i < 50; i++) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 10));
    if (done && done()) break;
  }
};
const out = {};
// Node opens a few fds lazily (the first printed warning, timers): do that before counting
process.emitWarning('warm-up', 'WarmupWarning');
await settle();
${body}
console.log(JSON.stringify(out));
process.exit(0);
`;
    const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', code], {
      encoding: 'utf8',
      timeout: 20_000,
      killSignal: 'SIGKILL',
    });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`child exited ${r.status} ${r.signal ?? ''}\n${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    return { out: JSON.parse(lines[lines.length - 1]), stderr: r.stderr };
  }

  let dropped: { out: any; stderr: string } | undefined;
  /** The child that drops five sockets without closing them (run once, shared by the next two tests). */
  function droppedChild(): { out: any; stderr: string } {
    dropped ??= gcChild(`
const before = count();
const fds = [];
(() => {
  for (let i = 0; i < 3; i++) fds.push(socket.socket().fileno());
  const [a, b] = socket.socketpair();
  fds.push(a.fileno(), b.fileno());
})();
const inos = fds.map(ino);
out.opened = count() - before;
const ours = () => fds.filter((fd, i) => ino(fd) === inos[i]).length;
await settle(() => ours() === 0 && warnings.length >= 5);
out.stillOpen = ours();
out.leaked = count() - before;
out.fds = fds;
out.warnings = warnings.splice(0);
`);
    return dropped;
  }

  it('a socket dropped without close() is closed by the finalizer, with a ResourceWarning', () => {
    const { out, stderr } = droppedChild();
    expect(out.opened).toBe(5);
    expect(out.stillOpen).toBe(0); // each of the five fds was closed
    expect(out.leaked).toBe(0); // and the process has as many fds as before
    expect(out.warnings.length).toBe(5);
    for (const [name, message] of out.warnings) {
      expect(name).toBe('ResourceWarning');
      expect(message).toMatch(/^unclosed <socket\.socket fd=\d+/);
    }
    // one warning per socket, naming its fd
    const named = out.warnings
      .map(([, m]: [string, string]) => Number(/fd=(\d+)/.exec(m)![1]))
      .sort((x: number, y: number) => x - y);
    expect(named).toEqual([...out.fds].sort((x: number, y: number) => x - y));
    expect(stderr).toContain('ResourceWarning');
    expect(stderr.match(/ResourceWarning/g)!.length).toBe(5);
  });

  it("the warning's text is Python's: 'unclosed <socket.socket fd=N, family=F, type=T, proto=P...>'", () => {
    // CPython 3.11: ResourceWarning: unclosed <socket.socket fd=3, family=2, type=1, proto=0, laddr=('0.0.0.0', 0)>
    const { out } = droppedChild();
    expect(out.warnings.length).toBe(5);
    for (const [, message] of out.warnings) {
      expect(message).toMatch(/^unclosed <socket\.socket fd=\d+, family=\d+, type=\d+, proto=\d+(, [^<>]*)?>$/);
    }
  });

  it('closed and detached sockets are never finalized: no warning, and reused or detached fds stay open', () => {
    const { out, stderr } = gcChild(`
let detached = -1;
(() => { const s = socket.socket(); detached = s.detach(); })();
let live;
(() => {
  const s = socket.socket();
  const fd = s.fileno();
  s.close();
  live = socket.socket(); // takes the closed socket's fd number
  out.reused = live.fileno() === fd;
})();
const before = count();
await settle();
out.after = count() - before;
out.warnings = warnings.splice(0);
out.detachedOpen = isOpen(detached);
out.liveOpen = isOpen(live.fileno());
out.liveType = live.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE);
live.close();
socket.socket(undefined, undefined, undefined, detached).close();
out.detachedClosed = !isOpen(detached);
`);
    expect(out.reused).toBe(true);
    expect(out.after).toBe(0);
    expect(out.warnings).toEqual([]);
    expect(stderr).not.toContain('ResourceWarning');
    expect(out.detachedOpen).toBe(true);
    expect(out.liveOpen).toBe(true);
    expect(out.liveType).toBe(socket.SOCK_STREAM);
    expect(out.detachedClosed).toBe(true);
  });
});
