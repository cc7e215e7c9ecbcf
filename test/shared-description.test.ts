// SEMANTICS §7: O_NONBLOCK belongs to the open file description, which every
// holder of the fd shares; the object never reads the flag back, so the
// consequences below are part of the contract.
//
// In-process calls that could block if the library were wrong are bounded by
// SO_RCVTIMEO/SO_SNDTIMEO on the socket (a "guard"): a kernel-blocking call
// returns after the guard instead of hanging, and the upper time bound fails.
// Calls that must really block run in a child process (node()).
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import { fdNonBlocking, node, observe, outcome, python } from './helpers.js';

afterEach(() => socket.setdefaulttimeout(null));

/** struct timeval (x86-64/aarch64 Linux: two little-endian int64). */
function timeval(sec: number): Buffer {
  const b = Buffer.alloc(16);
  const whole = Math.floor(sec);
  b.writeBigInt64LE(BigInt(whole), 0);
  b.writeBigInt64LE(BigInt(Math.round((sec - whole) * 1e6)), 8);
  return b;
}

/** Bounds a kernel-blocking recv/send on s's socket to `sec` seconds. */
function guard(s: socket.Socket, sec = 3): void {
  s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval(sec));
  s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval(sec));
}

const PY_GUARD = `
import struct
def guard(s, sec=3):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack('qq', int(sec), round((sec - int(sec)) * 1e6)))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack('qq', int(sec), round((sec - int(sec)) * 1e6)))
`;

describe('another holder makes the description non-blocking', () => {
  it('d = a.dup(); d.setblocking(false): a says blocking, fd non-blocking, a.recv raises BlockingIOError at once', () => {
    const py = python(
      PY_GUARD +
        `
a, b = socket.socketpair()
guard(a)
d = a.dup()
d.setblocking(False)
o = observe(lambda: a.recv(1))
out = [a.getblocking(), a.gettimeout(), d.getblocking(), not os.get_blocking(a.fileno()), o]
a.close(); b.close(); d.close()
return out`,
    );
    const [a, b] = socket.socketpair();
    try {
      guard(a);
      using d = a.dup();
      d.setblocking(false);
      const o = observe(() => a.recv(1));
      const ours = [a.getblocking(), a.gettimeout(), d.getblocking(), fdNonBlocking(a.fileno()), o];
      expect(ours.slice(0, 4)).toEqual([true, null, false, true]);
      expect(o.error).toBe('BlockingIOError');
      expect(o.errno).toBe(11);
      expect(o.elapsed).toBeLessThan(1);
      expect([...ours.slice(0, 4), outcome(o)]).toEqual([...py.slice(0, 4), outcome(py[4])]);
    } finally {
      a.close();
      b.close();
    }
  });

  it('set_blocking(fd, false) by another holder: recv raises BlockingIOError, the object still says blocking', () => {
    const py = python(
      PY_GUARD +
        `
a, b = socket.socketpair()
guard(a)
os.set_blocking(a.fileno(), False)
o = observe(lambda: a.recv(1))
out = [a.getblocking(), a.gettimeout(), not os.get_blocking(a.fileno()), o]
a.close(); b.close()
return out`,
    );
    const [a, b] = socket.socketpair();
    try {
      guard(a);
      socket.set_blocking(a.fileno(), false);
      const o = observe(() => a.recv(1));
      expect([a.getblocking(), a.gettimeout(), fdNonBlocking(a.fileno())]).toEqual([true, null, true]);
      expect(o.error).toBe('BlockingIOError');
      expect(o.errno).toBe(11);
      expect(o.elapsed).toBeLessThan(1);
      expect([a.getblocking(), a.gettimeout(), fdNonBlocking(a.fileno()), outcome(o)]).toEqual([
        ...py.slice(0, 3),
        outcome(py[3]),
      ]);
    } finally {
      a.close();
      b.close();
    }
  });

  it('set_blocking(fd, false) by another holder: sendall of 8 MB raises BlockingIOError after partial sends', () => {
    const size = 8 * 1024 * 1024;
    const py = python(
      PY_GUARD +
        `
a, b = socket.socketpair()
guard(a); guard(b)
os.set_blocking(a.fileno(), False)
o = observe(lambda: a.sendall(b'\\0' * arg))
b.setblocking(False)
got = 0
for _ in range(10000):
    try:
        chunk = b.recv(1 << 20)
    except BlockingIOError:
        break
    if not chunk:
        break
    got += len(chunk)
a.close(); b.close()
return [o, got]`,
      size,
    );
    const [a, b] = socket.socketpair();
    try {
      guard(a);
      guard(b);
      socket.set_blocking(a.fileno(), false);
      const o = observe(() => a.sendall(Buffer.alloc(size)));
      expect(a.getblocking()).toBe(true);
      b.setblocking(false);
      let got = 0;
      const t0 = performance.now();
      for (let i = 0; i < 10000 && performance.now() - t0 < 5000; i++) {
        let chunk: Buffer;
        try {
          chunk = b.recv(1 << 20);
        } catch (e) {
          if (e instanceof socket.BlockingIOError) break;
          throw e;
        }
        if (chunk.length === 0) break;
        got += chunk.length;
      }
      expect(o.error).toBe('BlockingIOError');
      expect(o.errno).toBe(11);
      expect(o.elapsed).toBeLessThan(2);
      // partial sends happened before the EAGAIN: the peer has some, not all
      expect(got).toBeGreaterThan(0);
      expect(got).toBeLessThan(size);
      expect(outcome(o)).toEqual(outcome(py[0]));
      expect(py[1]).toBeGreaterThan(0);
      expect(py[1]).toBeLessThan(size);
    } finally {
      a.close();
      b.close();
    }
  });

  it('fromfd(<non-blocking fd>) with default null: object blocking, fd non-blocking, recv raises BlockingIOError', () => {
    const py = python(
      PY_GUARD +
        `
a, b = socket.socketpair()
guard(a)
os.set_blocking(a.fileno(), False)
f = socket.fromfd(a.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)
o = observe(lambda: f.recv(1))
out = [f.getblocking(), f.gettimeout(), not os.get_blocking(f.fileno()), o]
a.close(); b.close(); f.close()
return out`,
    );
    const [a, b] = socket.socketpair();
    try {
      guard(a);
      socket.set_blocking(a.fileno(), false);
      using f = socket.fromfd(a.fileno(), socket.AF_UNIX, socket.SOCK_STREAM);
      expect(f.fileno()).not.toBe(a.fileno());
      const o = observe(() => f.recv(1));
      const ours = [f.getblocking(), f.gettimeout(), fdNonBlocking(f.fileno())];
      expect(ours).toEqual([true, null, true]);
      expect(o.error).toBe('BlockingIOError');
      expect(o.errno).toBe(11);
      expect(o.elapsed).toBeLessThan(1);
      expect([...ours, outcome(o)]).toEqual([...py.slice(0, 3), outcome(py[3])]);
    } finally {
      a.close();
      b.close();
    }
  });

  it('net.Socket({fd: dup}) makes the shared description non-blocking: the object still says blocking, recv raises BlockingIOError', async () => {
    const [a, b] = socket.socketpair();
    let ns: net.Socket | undefined;
    try {
      guard(a);
      expect(socket.get_blocking(a.fileno())).toBe(true);
      const fd = a.dup().detach(); // libuv owns this one; destroy() closes it
      ns = new net.Socket({ fd, readable: true, writable: true });
      expect(a.getblocking()).toBe(true);
      expect(a.gettimeout()).toBe(null);
      expect(socket.get_blocking(a.fileno())).toBe(false);
      const o = observe(() => a.recv(1));
      expect(o.error).toBe('BlockingIOError');
      expect(o.errno).toBe(11);
      expect(o.elapsed).toBeLessThan(1);
    } finally {
      if (ns) {
        const closed = new Promise((r) => ns!.once('close', r));
        ns.destroy();
        await closed;
      }
      a.close();
      b.close();
    }
  });
});

describe('another holder makes the description blocking', () => {
  it('object non-blocking, a dup made the fd blocking: recv blocks in the kernel (child, SO_RCVTIMEO 300 ms)', () => {
    const script = `
const tv = Buffer.alloc(16); tv.writeBigInt64LE(0n, 0); tv.writeBigInt64LE(300000n, 8);
const [a, b] = socket.socketpair();
a.setblocking(false);
const d = a.dup();
d.setblocking(true);
a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv);
const o = observe(() => a.recv(1));
const out = [a.getblocking(), a.gettimeout(), !socket.get_blocking(a.fileno()), o];
a.close(); b.close(); d.close();
return out;`;
    const ours = node(script, null, 15_000);
    const py = python(`
import struct
a, b = socket.socketpair()
a.setblocking(False)
d = a.dup()
d.setblocking(True)
a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack('qq', 0, 300000))
o = observe(lambda: a.recv(1))
out = [a.getblocking(), a.gettimeout(), not os.get_blocking(a.fileno()), o]
a.close(); b.close(); d.close()
return out`);
    expect(ours.slice(0, 3)).toEqual([false, 0, false]);
    expect(ours.slice(0, 3)).toEqual(py.slice(0, 3));
    // EAGAIN from the kernel after SO_RCVTIMEO: it waited although the object says non-blocking
    expect(ours[3].error).toBe('BlockingIOError');
    expect(ours[3].errno).toBe(11);
    expect(ours[3].elapsed).toBeGreaterThanOrEqual(0.25);
    expect(ours[3].elapsed).toBeLessThan(3);
    expect(py[3].elapsed).toBeGreaterThanOrEqual(0.25);
    expect(outcome(ours[3])).toEqual(outcome(py[3]));
  });

  it('timeout mode, fd made blocking elsewhere: recv still times out after the timeout', () => {
    const py = python(
      PY_GUARD +
        `
a, b = socket.socketpair()
guard(a)
a.settimeout(0.3)
os.set_blocking(a.fileno(), True)
o = observe(lambda: a.recv(1))
out = [a.getblocking(), a.gettimeout(), not os.get_blocking(a.fileno()), o]
a.close(); b.close()
return out`,
    );
    const [a, b] = socket.socketpair();
    try {
      guard(a);
      a.settimeout(0.3);
      socket.set_blocking(a.fileno(), true);
      const o = observe(() => a.recv(1));
      const ours = [a.getblocking(), a.gettimeout(), fdNonBlocking(a.fileno())];
      expect(ours).toEqual([true, 0.3, false]);
      expect(o.error).toBe('TimeoutError');
      expect(o.errno).toBe(null);
      expect(o.message).toBe('timed out');
      expect(o.elapsed).toBeGreaterThanOrEqual(0.299);
      expect(o.elapsed).toBeLessThan(2);
      expect([...ours, outcome(o)]).toEqual([...py.slice(0, 3), outcome(py[3])]);
    } finally {
      a.close();
      b.close();
    }
  });

  it('timeout mode, dup made the fd blocking: a ready recv still returns the data', () => {
    const [a, b] = socket.socketpair();
    try {
      guard(a);
      a.settimeout(2);
      using d = a.dup();
      d.setblocking(true);
      expect(a.gettimeout()).toBe(2);
      expect(fdNonBlocking(a.fileno())).toBe(false);
      b.sendall(Buffer.from('hi'));
      const o = observe(() => a.recv(10));
      expect(o).toMatchObject({ ok: true, value: [104, 105] });
      expect(o.elapsed).toBeLessThan(1);
    } finally {
      a.close();
      b.close();
    }
  });

  it('timeout mode, fd made blocking elsewhere: connect blocks in the kernel, its timeout lost (child, SO_SNDTIMEO 1 s)', () => {
    // A listener whose backlog is full never answers a further SYN; SO_SNDTIMEO
    // bounds the kernel's blocking connect to ~1 s.
    const script = `
const listener = socket.socket();
listener.bind(['127.0.0.1', 0]);
listener.listen(0);
const address = listener.getsockname();
const fillers = [];
for (let i = 0; i < 2; i++) {
  const f = socket.socket();
  f.settimeout(0.2);
  try { f.connect(address); fillers.push(f); } catch { f.close(); break; }
}
const tv = Buffer.alloc(16); tv.writeBigInt64LE(1n, 0); tv.writeBigInt64LE(0n, 8);
const s = socket.socket();
s.settimeout(0.2);
socket.set_blocking(s.fileno(), true);
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv);
const o = observe(() => s.connect(address));
const out = [s.gettimeout(), o, fillers.length];
s.close();
for (const f of fillers) f.close();
listener.close();
return out;`;
    const [timeout, o, fillers] = node(script, null, 15_000);
    expect(fillers).toBeGreaterThan(0);
    expect(timeout).toBe(0.2);
    expect(o.ok).toBe(false);
    // the kernel held it for SO_SNDTIMEO (1 s), far beyond the object's 0.2 s
    expect(o.elapsed).toBeGreaterThanOrEqual(0.9);
    expect(o.elapsed).toBeLessThan(5);
    const py = python(`
import struct
listener = socket.socket()
listener.bind(('127.0.0.1', 0))
listener.listen(0)
address = listener.getsockname()
fillers = []
for i in range(2):
    f = socket.socket(); f.settimeout(0.2)
    try:
        f.connect(address); fillers.append(f)
    except OSError:
        f.close(); break
s = socket.socket()
s.settimeout(0.2)
os.set_blocking(s.fileno(), True)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack('qq', 1, 0))
o = observe(lambda: s.connect(address))
s.close()
for f in fillers: f.close()
listener.close()
return o`);
    expect(py.elapsed).toBeGreaterThanOrEqual(0.9);
    expect(o.error).toBe(py.error);
  });
});
