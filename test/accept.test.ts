// SEMANTICS §5 and the accept rows of §2: accept4(SOCK_CLOEXEC) through the
// mode, its errors, what it returns, and the mode of the accepted socket
// (the default timeout, never the listener's). Loopback only; in-process
// accepts are non-blocking or in timeout mode, blocking ones run in a child.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import { checkNoFdLeaks, fdNonBlocking, node, observe, outcome, python, sleep } from './helpers.js';

checkNoFdLeaks();

/** A listener on 127.0.0.1 in timeout mode, and its address. */
function listen(timeout: number | null = 5): [socket.Socket, [string, number]] {
  const l = socket.socket();
  l.settimeout(timeout);
  l.bind(['127.0.0.1', 0]);
  l.listen();
  return [l, l.getsockname() as [string, number]];
}

/** A client connected to `address` (timeout mode: bounded). */
function connectTo(address: [string, number]): socket.Socket {
  const c = socket.socket();
  c.settimeout(5);
  c.connect(address);
  return c;
}

/**
 * accept() that tolerates the few microseconds a loopback handshake may still
 * need before a non-blocking listener sees it (bounded: 2 s).
 */
function acceptSoon(l: socket.Socket): [socket.Socket, socket.SockAddress] {
  const t0 = performance.now();
  for (let i = 0; ; i++) {
    try {
      return l.accept();
    } catch (e) {
      if (!(e instanceof socket.BlockingIOError) || i > 400 || performance.now() - t0 > 2000) throw e;
      sleep(5);
    }
  }
}

/** The fd's flags from /proc/self/fdinfo (octal), as the kernel reports them. */
function fdinfoFlags(fd: number): number {
  const m = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  if (!m) throw new Error(`no flags in fdinfo of ${fd}`);
  return parseInt(m[1], 8);
}
const O_CLOEXEC = 0o2000000;
const O_NONBLOCK = 0o4000;

describe('accept errors', () => {
  it('non-blocking listener with nothing pending: BlockingIOError [Errno 11] at once, as CPython', () => {
    const py = python(`
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen()
l.setblocking(False)
o = observe(l.accept)
l.close()
return o`);
    const [l] = listen(0);
    try {
      let err: unknown;
      const o = observe(() => {
        try {
          return l.accept();
        } catch (e) {
          err = e;
          throw e;
        }
      });
      expect(outcome(o)).toEqual(outcome(py));
      expect(o).toMatchObject({
        ok: false,
        error: 'BlockingIOError',
        errno: 11,
        message: '[Errno 11] Resource temporarily unavailable',
      });
      expect((err as socket.OSError).code).toBe('EAGAIN');
      expect(err).toBeInstanceOf(socket.OSError);
      expect(o.elapsed).toBeLessThan(1);
    } finally {
      l.close();
    }
  });

  it("timeout: TimeoutError('timed out') after the timeout, as CPython", () => {
    const timeout = 0.4;
    const py = python(
      `
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen()
l.settimeout(arg)
o = observe(l.accept)
l.close()
return o`,
      timeout,
    );
    const [l] = listen(timeout);
    try {
      let err: unknown;
      const o = observe(() => {
        try {
          return l.accept();
        } catch (e) {
          err = e;
          throw e;
        }
      });
      expect(outcome(o)).toEqual(outcome(py));
      expect(o).toMatchObject({ ok: false, error: 'TimeoutError', errno: null, message: 'timed out' });
      expect(err).toBeInstanceOf(socket.timeout);
      expect(o.elapsed).toBeGreaterThanOrEqual(timeout);
      expect(o.elapsed).toBeLessThan(timeout + 1.5);
    } finally {
      l.close();
    }
  });

  it('timeout: a connection arriving during the wait is accepted', async () => {
    // The client is a Python child that connects after 300 ms; our accept waits in poll meanwhile.
    const [l, address] = listen(5);
    try {
      const { spawn } = await import('node:child_process');
      const child = spawn('python3', [
        '-c',
        `import socket, time, sys\ntime.sleep(0.3)\ns = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)\ns.sendall(b"late")\ntime.sleep(0.5)\ns.close()`,
        String(address[1]),
      ]);
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      const o = observe(() => {
        const [conn, addr] = l.accept();
        try {
          conn.settimeout(5);
          return [conn.recv(10).toString(), (addr as [string, number])[0]];
        } finally {
          conn.close();
        }
      });
      expect(o).toMatchObject({ ok: true, value: ['late', '127.0.0.1'] });
      expect(o.elapsed).toBeGreaterThanOrEqual(0.25);
      expect(o.elapsed).toBeLessThan(5);
      expect(await exited).toBe(0);
    } finally {
      l.close();
    }
  });

  it('not listening: OSError [Errno 22] in every mode, as CPython', () => {
    const modes: (number | null)[] = [0, 3];
    const py = python(
      `
out = []
for t in arg:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.settimeout(t)
    out.append(observe(s.accept))
    s.close()
return out`,
      modes,
    );
    const ours = modes.map((t) => {
      using s = socket.socket();
      s.bind(['127.0.0.1', 0]);
      s.settimeout(t);
      return observe(() => s.accept());
    });
    expect(ours.map(outcome)).toEqual(py.map(outcome));
    for (const o of ours) {
      expect(o).toMatchObject({ ok: false, error: 'OSError', errno: 22, message: '[Errno 22] Invalid argument' });
      expect(o.elapsed).toBeLessThan(1); // timeout mode: poll reports the socket at once
    }
    // blocking mode, in a child (a wrong accept would hang there, not here)
    const child = node(`
const s = socket.socket();
s.bind(['127.0.0.1', 0]);
const o = observe(() => s.accept());
s.close();
return o;`);
    expect(child).toMatchObject({ ok: false, error: 'OSError', errno: 22 });
  });

  it('closed: OSError [Errno 9] in every mode, without waiting, as CPython', () => {
    const modes: (number | null)[] = [null, 0, 3];
    const py = python(
      `
out = []
for t in arg:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    s.settimeout(t)
    s.close()
    out.append(observe(s.accept))
return out`,
      modes,
    );
    const ours = modes.map((t) => {
      const [s] = listen(t);
      s.close();
      return observe(() => s.accept());
    });
    expect(ours.map(outcome)).toEqual(py.map(outcome));
    for (const o of ours) {
      expect(o).toMatchObject({ ok: false, error: 'OSError', errno: 9, message: '[Errno 9] Bad file descriptor' });
      expect(o.elapsed).toBeLessThan(1);
    }
  });
});

describe('what accept returns', () => {
  it("[conn, address]: address is the client's getsockname(), conn is connected to it", () => {
    const [l, address] = listen(5);
    try {
      using c = connectTo(address);
      const r = l.accept();
      expect(Array.isArray(r)).toBe(true);
      expect(r.length).toBe(2);
      const [conn, addr] = r;
      using _conn = conn;
      expect(conn).toBeInstanceOf(socket.Socket);
      expect(addr).toEqual(c.getsockname());
      expect(conn.getpeername()).toEqual(c.getsockname());
      expect(conn.getsockname()).toEqual(address);
      expect(c.getpeername()).toEqual(conn.getsockname());
      expect([conn.family, conn.type, conn.proto]).toEqual([socket.AF_INET, socket.SOCK_STREAM, l.proto]);
      conn.settimeout(2);
      c.sendall(Buffer.from('ping'));
      expect(conn.recv(16).toString()).toBe('ping');
      conn.sendall(Buffer.from('pong'));
      expect(c.recv(16).toString()).toBe('pong');
    } finally {
      l.close();
    }
  });

  it('the same shape as CPython, on IPv4 and AF_UNIX', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockmode-accept-'));
    try {
      const path = join(dir, 'l.sock');
      const py = python(
        `
out = []
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(); l.settimeout(5)
c = socket.create_connection(l.getsockname(), 5)
conn, addr = l.accept()
out.append([list(addr) == list(c.getsockname()), type(addr).__name__, len(addr), conn.gettimeout()])
conn.close(); c.close(); l.close()
u = socket.socket(socket.AF_UNIX); u.bind(arg); u.listen(); u.settimeout(5)
c = socket.socket(socket.AF_UNIX); c.settimeout(5); c.connect(arg)
conn, addr = u.accept()
out.append([addr, c.getsockname(), conn.getsockname(), conn.gettimeout()])
conn.close(); c.close(); u.close()
os.unlink(arg)
return out`,
        path,
      );
      const ours: unknown[] = [];
      {
        const [l, address] = listen(5);
        using _l = l;
        using c = connectTo(address);
        const [conn, addr] = l.accept();
        using _c = conn;
        ours.push([
          JSON.stringify(addr) === JSON.stringify(c.getsockname()),
          Array.isArray(addr) ? 'tuple' : typeof addr,
          (addr as unknown[]).length,
          conn.gettimeout(),
        ]);
      }
      {
        using u = socket.socket(socket.AF_UNIX);
        u.bind(path);
        u.listen();
        u.settimeout(5);
        using c = socket.socket(socket.AF_UNIX);
        c.settimeout(5);
        c.connect(path);
        const [conn, addr] = u.accept();
        using _c = conn;
        ours.push([addr, c.getsockname(), conn.getsockname(), conn.gettimeout()]);
      }
      expect(ours).toEqual(py);
      expect(ours[1]).toEqual(['', '', path, null]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('each pending connection is accepted once, in order', () => {
    const [l, address] = listen(0);
    try {
      const clients = [0, 1, 2].map(() => connectTo(address));
      try {
        const got = clients.map(() => {
          const [conn, addr] = acceptSoon(l);
          conn.close();
          return addr;
        });
        expect(got).toEqual(clients.map((c) => c.getsockname()));
        expect(observe(() => l.accept())).toMatchObject({ ok: false, error: 'BlockingIOError', errno: 11 });
      } finally {
        for (const c of clients) c.close();
      }
    } finally {
      l.close();
    }
  });
});

describe("the accepted socket's mode (SEMANTICS §2)", () => {
  type Triple = [number | null, boolean, boolean];
  /** [gettimeout, getblocking, fd O_NONBLOCK] of the accepted socket, for a listener mode and a default. */
  function acceptedMode(listenerTimeout: number | null, dflt: number | null): Triple {
    const [l, address] = listen(listenerTimeout);
    try {
      using c = connectTo(address);
      socket.setdefaulttimeout(dflt);
      let conn: socket.Socket;
      try {
        [conn] = acceptSoon(l);
      } finally {
        socket.setdefaulttimeout(null);
      }
      using _c = conn;
      // the listener itself is untouched
      expect(l.gettimeout()).toBe(listenerTimeout);
      return [conn.gettimeout(), conn.getblocking(), fdNonBlocking(conn.fileno())];
    } finally {
      l.close();
    }
  }

  const listeners: [string, number][] = [
    ['non-blocking', 0],
    ['timeout 5', 5],
  ];
  const expected: [string, number | null, Triple][] = [
    ['null: blocking', null, [null, true, false]],
    ['0: non-blocking', 0, [0, false, true]],
    ['2.5: timeout 2.5, not the listener', 2.5, [2.5, true, true]],
  ];
  for (const [lname, lt] of listeners) {
    it.each(expected)(`${lname} listener, default %s`, (_, dflt, want) => {
      expect(acceptedMode(lt, dflt)).toEqual(want);
    });
  }

  it('the whole table matches CPython (including a blocking listener, in a child)', () => {
    const listenerModes: (number | null)[] = [null, 0, 5];
    const defaults: (number | null)[] = [null, 0, 2.5];
    const py = python(
      `
out = []
for lt in arg["listeners"]:
    for d in arg["defaults"]:
        l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(); l.settimeout(lt)
        c = socket.create_connection(l.getsockname(), 5)
        socket.setdefaulttimeout(d)
        for _ in range(400):
            try:
                conn, _a = l.accept()
                break
            except BlockingIOError:
                time.sleep(0.005)
        socket.setdefaulttimeout(None)
        out.append([conn.gettimeout(), conn.getblocking(), not os.get_blocking(conn.fileno())])
        conn.close(); c.close(); l.close()
return out`,
      { listeners: listenerModes, defaults },
    );
    const ours: Triple[] = [];
    for (const lt of listenerModes) {
      for (const d of defaults) {
        if (lt === null) {
          // a blocking accept must run where a hang cannot hold the test: a child
          ours.push(
            node(
              `
const l = socket.socket(); l.bind(['127.0.0.1', 0]); l.listen();
const c = socket.socket(); c.settimeout(5); c.connect(l.getsockname());
socket.setdefaulttimeout(arg);
const [conn] = l.accept();
socket.setdefaulttimeout(null);
const r = [conn.gettimeout(), conn.getblocking(), !socket.get_blocking(conn.fileno())];
conn.close(); c.close(); l.close();
return r;`,
              d,
            ),
          );
        } else {
          ours.push(acceptedMode(lt, d));
        }
      }
    }
    expect(ours).toEqual(py);
  });

  it('SOCK_NONBLOCK in the listener type does not leak into the accepted socket', () => {
    const l = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK!);
    try {
      expect(l.type).toBe(socket.SOCK_STREAM);
      expect([l.gettimeout(), fdNonBlocking(l.fileno())]).toEqual([0, true]);
      l.bind(['127.0.0.1', 0]);
      l.listen();
      using c = connectTo(l.getsockname() as [string, number]);
      const [conn] = acceptSoon(l);
      using _c = conn;
      expect(conn.type).toBe(socket.SOCK_STREAM);
      expect([conn.gettimeout(), conn.getblocking(), fdNonBlocking(conn.fileno())]).toEqual([null, true, false]);
    } finally {
      l.close();
    }
  });

  it('an accepted blocking socket really blocks: recv waits in the kernel (in a child)', () => {
    // The child accepts from a non-blocking listener with default null, then
    // recv()s in blocking mode; the data arrives 300 ms later from a worker thread.
    const r = node(`
const { Worker } = await import('node:worker_threads');
const l = socket.socket(); l.bind(['127.0.0.1', 0]); l.listen(); l.setblocking(false);
const c = socket.socket(); c.settimeout(5); c.connect(l.getsockname());
let conn;
for (let i = 0; i < 400 && !conn; i++) {
  try { [conn] = l.accept(); } catch (e) { if (e.errno !== 11) throw e; Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); }
}
const w = new Worker("const fs = require('fs'); const { workerData, parentPort } = require('worker_threads'); parentPort.postMessage('ready'); setTimeout(() => fs.writeSync(workerData, 'late'), 300);", { eval: true, execArgv: [], workerData: c.fileno() });
await new Promise((r) => w.once('message', r)); // the worker runs before we block
const o = observe(() => conn.recv(16).toString());
await new Promise((r) => w.on('exit', r));
conn.close(); c.close(); l.close();
return o;`);
    expect(r).toMatchObject({ ok: true, value: 'late' });
    expect(r.elapsed).toBeGreaterThanOrEqual(0.25);
    expect(r.elapsed).toBeLessThan(5);
  });
});

describe('close-on-exec', () => {
  it.each([
    ['blocking default', null, 0],
    ['non-blocking default', 0, 5],
    ['timeout default', 2.5, 0],
  ] as const)('accepted fds are close-on-exec (%s)', (_, dflt, lt) => {
    const [l, address] = listen(lt);
    try {
      using c = connectTo(address);
      socket.setdefaulttimeout(dflt);
      let conn: socket.Socket;
      try {
        [conn] = acceptSoon(l);
      } finally {
        socket.setdefaulttimeout(null);
      }
      using _c = conn;
      const flags = fdinfoFlags(conn.fileno());
      expect(flags & O_CLOEXEC).toBe(O_CLOEXEC);
      // the fdinfo view of O_NONBLOCK agrees with the mode
      expect((flags & O_NONBLOCK) !== 0).toBe(dflt !== null);
    } finally {
      l.close();
    }
  });

  it('an accepted fd does not survive exec (a child does not inherit it)', () => {
    const [l, address] = listen(5);
    try {
      using c = connectTo(address);
      const [conn] = l.accept();
      using _c = conn;
      // the child reports whether the fd number is open in its process
      const py = python(
        `
try:
    os.fstat(arg)
    return True
except OSError:
    return False`,
        conn.fileno(),
      );
      expect(py).toBe(false);
      // control: the fd is open here
      expect(fdinfoFlags(conn.fileno()) & O_CLOEXEC).toBe(O_CLOEXEC);
    } finally {
      l.close();
    }
  });
});
