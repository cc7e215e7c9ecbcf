// SEMANTICS §3: the one I/O primitive in the three modes (recv, recv_into,
// send, sendall), sendall's single deadline, zero lengths, argument checks,
// bytes-like views, flags, and sends that never raise SIGPIPE.
// Loopback only (socketpairs and 127.0.0.1). In-process calls are in timeout
// or non-blocking mode; blocking-mode calls run in a child (`node()`).
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import { checkNoFdLeaks, node, observe, outcome, python, sleep } from './helpers.js';

checkNoFdLeaks();

type Kind = 'socketpair' | 'tcp';
const kinds: Kind[] = ['socketpair', 'tcp'];

/** A connected pair, both objects in timeout mode 5 (the caller sets the mode it tests). */
function pair(kind: Kind): [socket.Socket, socket.Socket] {
  if (kind === 'socketpair') {
    const [a, b] = socket.socketpair();
    a.settimeout(5);
    b.settimeout(5);
    return [a, b];
  }
  const l = socket.socket();
  try {
    l.settimeout(5);
    l.bind(['127.0.0.1', 0]);
    l.listen();
    const a = socket.socket();
    try {
      a.settimeout(5);
      a.connect(l.getsockname() as [string, number]);
      const [b] = l.accept();
      b.settimeout(5);
      return [a, b];
    } catch (e) {
      a.close();
      throw e;
    }
  } finally {
    l.close();
  }
}

/** A pattern of n bytes that differs from its shifts. */
function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 8)) & 0xff;
  return b;
}

/** Receives exactly n bytes whatever the mode (EAGAIN retried, bounded in count and time). */
function recvExactly(s: socket.Socket, n: number, limitMs = 5000): Buffer {
  const parts: Buffer[] = [];
  let got = 0;
  const t0 = performance.now();
  for (let i = 0; got < n; i++) {
    if (i > 100_000 || performance.now() - t0 > limitMs) throw new Error(`recvExactly: ${got}/${n} bytes`);
    try {
      const d = s.recv(n - got);
      if (d.length === 0) throw new Error(`recvExactly: EOF after ${got}/${n} bytes`);
      parts.push(d);
      got += d.length;
    } catch (e) {
      if (!(e instanceof socket.BlockingIOError)) throw e;
      sleep(1);
    }
  }
  return Buffer.concat(parts);
}

/** Reads what is there without waiting (non-blocking, bounded); restores the mode. */
function drain(s: socket.Socket, limit = 64 << 20): number {
  const saved = s.gettimeout();
  s.setblocking(false);
  let n = 0;
  try {
    for (let i = 0; i < 100_000 && n < limit; i++) {
      let d: Buffer;
      try {
        d = s.recv(1 << 16);
      } catch (e) {
        if (e instanceof socket.BlockingIOError) break;
        throw e;
      }
      if (d.length === 0) break;
      n += d.length;
    }
  } finally {
    s.settimeout(saved);
  }
  return n;
}

/** Fills s's send path until EAGAIN (bounded); restores the mode; returns the bytes sent. */
function fill(s: socket.Socket): number {
  const saved = s.gettimeout();
  s.setblocking(false);
  const chunk = Buffer.alloc(1 << 16, 0x41);
  let n = 0;
  try {
    for (let i = 0; i < 10_000; i++) {
      try {
        n += s.send(chunk);
      } catch (e) {
        if (e instanceof socket.BlockingIOError) return n;
        throw e;
      }
    }
    throw new Error('fill: the send buffer never filled');
  } finally {
    s.settimeout(saved);
  }
}

describe('round trips in every mode', () => {
  for (const kind of kinds) {
    for (const [mname, t] of [
      ['non-blocking', 0],
      ['timeout', 2],
    ] as const) {
      it(`${kind}, ${mname}: send, sendall, recv, recv_into carry the bytes`, () => {
        const [a, b] = pair(kind);
        try {
          a.settimeout(t);
          b.settimeout(t);
          expect(a.send(Buffer.from('hello'))).toBe(5);
          expect(recvExactly(b, 5).toString()).toBe('hello');
          const big = pattern(32 * 1024);
          expect(b.sendall(big)).toBe(undefined);
          expect(recvExactly(a, big.length).equals(big)).toBe(true);
          a.sendall(Buffer.from('world!'));
          const into = Buffer.alloc(16, 0xee);
          let n = 0;
          for (let i = 0; i < 1000 && n === 0; i++) {
            try {
              n = b.recv_into(into);
            } catch (e) {
              if (!(e instanceof socket.BlockingIOError)) throw e;
              sleep(1);
            }
          }
          expect(n).toBe(6);
          expect(into.subarray(0, 6).toString()).toBe('world!');
          expect(into.subarray(6).every((x) => x === 0xee)).toBe(true);
          // the mode is untouched by the calls
          expect([a.gettimeout(), b.gettimeout()]).toEqual([t, t]);
        } finally {
          a.close();
          b.close();
        }
      });
    }
  }

  it('blocking mode (in a child), socketpair and TCP: the same round trip', () => {
    const r = node(`
const pairs = [socket.socketpair()];
const l = socket.socket(); l.bind(['127.0.0.1', 0]); l.listen();
const c = socket.socket(); c.connect(l.getsockname());
const [conn] = l.accept(); l.close();
pairs.push([c, conn]);
const out = [];
for (const [a, b] of pairs) {
  const modes = [a.gettimeout(), b.gettimeout(), socket.get_blocking(a.fileno()), socket.get_blocking(b.fileno())];
  const sent = a.send(Buffer.from('hello'));
  const got = b.recv(5).toString();
  const big = Buffer.alloc(32 * 1024); for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  b.sendall(big);
  const parts = []; let n = 0;
  while (n < big.length) { const d = a.recv(big.length - n); if (!d.length) break; parts.push(d); n += d.length; }
  const into = Buffer.alloc(8, 0xee);
  a.sendall(Buffer.from('abc'));
  const k = b.recv_into(into);
  out.push({ modes, sent, got, same: Buffer.concat(parts).equals(big), k, into: [...into] });
  a.close(); b.close();
}
return out;`);
    for (const o of r) {
      expect(o.modes).toEqual([null, null, true, true]);
      expect(o).toMatchObject({ sent: 5, got: 'hello', same: true, k: 3 });
      expect(o.into).toEqual([97, 98, 99, 0xee, 0xee, 0xee, 0xee, 0xee]);
    }
  });

  it('blocking recv really waits in the kernel until data arrives (in a child)', () => {
    const r = node(`
const { Worker } = await import('node:worker_threads');
const [a, b] = socket.socketpair();
const w = new Worker("const fs = require('fs'); const { workerData, parentPort } = require('worker_threads'); parentPort.postMessage('ready'); setTimeout(() => fs.writeSync(workerData, 'late'), 300);", { eval: true, execArgv: [], workerData: b.fileno() });
await new Promise((r) => w.once('message', r));
const o = observe(() => a.recv(16).toString());
await new Promise((r) => w.on('exit', r));
a.close(); b.close();
return o;`);
    expect(r).toMatchObject({ ok: true, value: 'late' });
    expect(r.elapsed).toBeGreaterThanOrEqual(0.25);
    expect(r.elapsed).toBeLessThan(5);
  });

  it('blocking sendall of 4 MB delivers every byte to a reader (in a child)', () => {
    const r = node(`
const { Worker } = await import('node:worker_threads');
const [a, b] = socket.socketpair();
const w = new Worker("const fs = require('fs'); const { workerData, parentPort } = require('worker_threads'); const buf = Buffer.alloc(65536); let n = 0, sum = 0; for (;;) { const k = fs.readSync(workerData, buf, 0, buf.length, null); if (k === 0) break; for (let i = 0; i < k; i++) sum = (sum + buf[i] * ((n + i) % 251 + 1)) % 1000000007; n += k; } parentPort.postMessage([n, sum]);", { eval: true, execArgv: [], workerData: b.fileno() });
const big = Buffer.alloc(4 << 20); for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 8)) & 0xff;
let sum = 0; for (let i = 0; i < big.length; i++) sum = (sum + big[i] * (i % 251 + 1)) % 1000000007;
const o = observe(() => a.sendall(big));
a.shutdown(socket.SHUT_WR);
const [n, got] = await new Promise((r) => w.once('message', r));
a.close(); b.close();
return { o, n, same: got === sum };`);
    expect(r.o.ok).toBe(true);
    expect(r.n).toBe(4 << 20);
    expect(r.same).toBe(true);
  });
});

describe('timeout mode waits, never less than the timeout', () => {
  for (const kind of kinds) {
    it(`${kind}: recv and recv_into from a silent peer raise TimeoutError('timed out') after >= timeout`, () => {
      const [a, b] = pair(kind);
      try {
        a.settimeout(0.3);
        const o1 = observe(() => a.recv(10));
        const o2 = observe(() => a.recv_into(Buffer.alloc(10)));
        for (const o of [o1, o2]) {
          expect(o).toMatchObject({ ok: false, error: 'TimeoutError', errno: null, message: 'timed out' });
          expect(o.elapsed).toBeGreaterThanOrEqual(0.3);
          expect(o.elapsed).toBeLessThan(0.3 + 1.5);
        }
        // nothing was lost: the pair still works
        b.sendall(Buffer.from('x'));
        expect(a.recv(1).toString()).toBe('x');
      } finally {
        a.close();
        b.close();
      }
    });
  }

  it('recv timeout: the same error as CPython', () => {
    const py = python(`
a, b = socket.socketpair()
a.settimeout(0.2)
o = [observe(lambda: a.recv(10)), observe(lambda: a.recv_into(bytearray(4)))]
a.close(); b.close()
return o`);
    const [a, b] = socket.socketpair();
    try {
      a.settimeout(0.2);
      const o = [observe(() => a.recv(10)), observe(() => a.recv_into(Buffer.alloc(4)))];
      expect(o.map(outcome)).toEqual(py.map(outcome));
      for (const x of o) expect(x.error).toBe('TimeoutError');
    } finally {
      a.close();
      b.close();
    }
  });

  it('send to a full buffer raises TimeoutError after >= timeout, as CPython', () => {
    const py = python(`
a, b = socket.socketpair()
a.setblocking(False)
try:
    for _ in range(10000):
        a.send(b"A" * 65536)
except BlockingIOError:
    pass
a.settimeout(0.3)
o = [observe(lambda: a.send(b"x" * 65536)), observe(lambda: a.sendall(b"x" * 65536))]
a.close(); b.close()
return o`);
    const [a, b] = socket.socketpair();
    try {
      expect(fill(a)).toBeGreaterThan(0);
      a.settimeout(0.3);
      const o = [observe(() => a.send(Buffer.alloc(65536))), observe(() => a.sendall(Buffer.alloc(65536)))];
      expect(o.map(outcome)).toEqual(py.map(outcome));
      for (const x of o) {
        expect(x).toMatchObject({ ok: false, error: 'TimeoutError', errno: null, message: 'timed out' });
        expect(x.elapsed).toBeGreaterThanOrEqual(0.3);
        expect(x.elapsed).toBeLessThan(0.3 + 1.5);
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it('recv returns as soon as data arrives during the wait (peer in another process)', async () => {
    const [a, b] = socket.socketpair();
    try {
      // b goes to a Python child as its fd 3; it sends 300 ms later
      const child = spawn(
        'python3',
        ['-c', 'import socket, time\ns = socket.socket(fileno=3)\ntime.sleep(0.3)\ns.sendall(b"late")\ns.close()'],
        { stdio: ['ignore', 'ignore', 'pipe', b.fileno()] },
      );
      const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      b.close(); // the child holds its own copy
      a.settimeout(5);
      const o = observe(() => a.recv(16).toString());
      expect(o).toMatchObject({ ok: true, value: 'late' });
      expect(o.elapsed).toBeGreaterThanOrEqual(0.25);
      expect(o.elapsed).toBeLessThan(5);
      expect(await closed).toBe(0);
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('non-blocking mode raises at once', () => {
  for (const kind of kinds) {
    it(`${kind}: recv and recv_into with nothing there: BlockingIOError [Errno 11]`, () => {
      const [a, b] = pair(kind);
      try {
        a.setblocking(false);
        for (const o of [observe(() => a.recv(10)), observe(() => a.recv_into(Buffer.alloc(10)))]) {
          expect(o).toMatchObject({
            ok: false,
            error: 'BlockingIOError',
            errno: 11,
            message: '[Errno 11] Resource temporarily unavailable',
          });
          expect(o.elapsed).toBeLessThan(0.5);
        }
      } finally {
        a.close();
        b.close();
      }
    });
  }

  it('recv, recv_into, send to a full buffer: the same errors as CPython', () => {
    const py = python(`
a, b = socket.socketpair()
a.setblocking(False)
out = [observe(lambda: a.recv(10)), observe(lambda: a.recv_into(bytearray(4)))]
try:
    for _ in range(10000):
        a.send(b"A" * 65536)
except BlockingIOError:
    pass
out.append(observe(lambda: a.send(b"x")))
a.close(); b.close()
return out`);
    const [a, b] = socket.socketpair();
    try {
      a.setblocking(false);
      const out = [observe(() => a.recv(10)), observe(() => a.recv_into(Buffer.alloc(4)))];
      fill(a);
      out.push(observe(() => a.send(Buffer.from('x'))));
      expect(out.map(outcome)).toEqual(py.map(outcome));
      for (const o of out) expect(o.errno).toBe(11);
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('zero lengths', () => {
  it('recv(0) returns an empty Buffer without a syscall: no wait, no error, even when closed; as CPython', () => {
    const py = python(`
out = []
for t in (None, 0, 0.5):
    a, b = socket.socketpair()
    a.settimeout(t)
    out.append(observe(lambda: a.recv(0)))
    a.close()
    out.append(observe(lambda: a.recv(0)))
    b.close()
return out`);
    // Blocking mode in a child: a recv(2) of 0 bytes with nothing there would block in the kernel.
    const child = node(`
const [a, b] = socket.socketpair();
const out = [];
let buffers = true;
for (const closed of [false, true]) {
  if (closed) a.close();
  out.push(observe(() => { const r = a.recv(0); buffers &&= Buffer.isBuffer(r) && r.length === 0; return [...r]; }));
}
b.close();
return { out, buffers };`);
    expect(child.buffers).toBe(true);
    const out: ReturnType<typeof observe>[] = [...child.out];
    const values: unknown[] = [];
    for (const t of [0, 0.5]) {
      const [a, b] = socket.socketpair();
      try {
        a.settimeout(t);
        for (const closed of [false, true]) {
          if (closed) a.close();
          out.push(
            observe(() => {
              const r = a.recv(0);
              values.push(r);
              return r;
            }),
          );
        }
      } finally {
        a.close();
        b.close();
      }
    }
    expect(out.map(outcome)).toEqual(py.map(outcome));
    for (const o of out) {
      expect(o).toMatchObject({ ok: true, value: [] });
      expect(o.elapsed).toBeLessThan(0.25); // timeout mode did not wait 0.5 s
    }
    expect(values.length).toBe(4);
    for (const v of values) {
      expect(Buffer.isBuffer(v)).toBe(true);
      expect((v as Buffer).length).toBe(0);
    }
  });

  it('recv_into(empty) returns 0 without a syscall, even when closed; as CPython', () => {
    const py = python(`
out = []
for t in (None, 0, 0.5):
    a, b = socket.socketpair()
    a.settimeout(t)
    out.append(observe(lambda: a.recv_into(bytearray(0))))
    out.append(observe(lambda: a.recv_into(bytearray(0), 0)))
    a.close()
    out.append(observe(lambda: a.recv_into(bytearray(0))))
    b.close()
return out`);
    // blocking mode in a child (see recv(0))
    const child = node(`
const [a, b] = socket.socketpair();
const out = [observe(() => a.recv_into(Buffer.alloc(0))), observe(() => a.recv_into(new Uint8Array(0), 0))];
a.close();
out.push(observe(() => a.recv_into(new DataView(new ArrayBuffer(0)))));
b.close();
return out;`);
    const out: ReturnType<typeof observe>[] = [...child];
    for (const t of [0, 0.5]) {
      const [a, b] = socket.socketpair();
      try {
        a.settimeout(t);
        out.push(observe(() => a.recv_into(Buffer.alloc(0))));
        out.push(observe(() => a.recv_into(new Uint8Array(0), 0)));
        a.close();
        out.push(observe(() => a.recv_into(new DataView(new ArrayBuffer(0)))));
      } finally {
        a.close();
        b.close();
      }
    }
    expect(out.map(outcome)).toEqual(py.map(outcome));
    for (const o of out) {
      expect(o).toMatchObject({ ok: true, value: 0 });
      expect(o.elapsed).toBeLessThan(0.25);
    }
  });

  it('send(empty) is 0 and sendall(empty) works in every mode; both still issue a send (EBADF when closed); as CPython', () => {
    const py = python(`
out = []
for t in (0, 0.5):
    a, b = socket.socketpair()
    a.settimeout(t)
    out.append(observe(lambda: a.send(b"")))
    out.append(observe(lambda: a.sendall(b"")))
    a.close()
    out.append(observe(lambda: a.send(b"")))
    out.append(observe(lambda: a.sendall(b"")))
    b.close()
return out`);
    const out: ReturnType<typeof observe>[] = [];
    for (const t of [0, 0.5]) {
      const [a, b] = socket.socketpair();
      try {
        a.settimeout(t);
        out.push(observe(() => a.send(Buffer.alloc(0))));
        out.push(observe(() => a.sendall(new Uint8Array(0))));
        a.close();
        out.push(observe(() => a.send(Buffer.alloc(0))));
        out.push(observe(() => a.sendall(Buffer.alloc(0))));
        // the peer got nothing
        expect(drain(b)).toBe(0);
      } finally {
        a.close();
        b.close();
      }
    }
    expect(out.map(outcome)).toEqual(py.map(outcome));
    expect(out[0]).toMatchObject({ ok: true, value: 0 });
    expect(out[1]).toMatchObject({ ok: true, value: null });
    expect(out[3]).toMatchObject({ ok: false, error: 'OSError', errno: 9 });
    // blocking mode, in a child
    const child = node(`
const [a, b] = socket.socketpair();
const r = [observe(() => a.sendall(Buffer.alloc(0))), observe(() => a.send(Buffer.alloc(0)))];
a.close(); b.close();
return r;`);
    expect(child).toMatchObject([
      { ok: true, value: null },
      { ok: true, value: 0 },
    ]);
  });
});

describe('argument checks', () => {
  it('recv: negative is RangeError, non-integer is TypeError, before any syscall; as CPython', () => {
    const py = python(`
a, b = socket.socketpair()
a.settimeout(0.5)
out = [observe(lambda: a.recv(-1)), observe(lambda: a.recv(1.5))]
a.close()
out += [observe(lambda: a.recv(-1)), observe(lambda: a.recv(1.5))]
b.close()
return out`);
    const [a, b] = socket.socketpair();
    const out: ReturnType<typeof observe>[] = [];
    try {
      a.settimeout(0.5);
      out.push(
        observe(() => a.recv(-1)),
        observe(() => a.recv(1.5)),
      );
      a.close();
      out.push(
        observe(() => a.recv(-1)),
        observe(() => a.recv(1.5)),
      );
    } finally {
      a.close();
      b.close();
    }
    out.forEach((o, i) => {
      if (py[i].error === 'TypeError') expect(o.error).toBe('TypeError');
      else expect(outcome(o)).toEqual(outcome(py[i]));
      expect(o.elapsed).toBeLessThan(0.25);
    });
    expect(outcome(out[0])).toMatchObject({ error: 'RangeError', message: 'negative buffersize in recv' });
    const [s, peer] = socket.socketpair();
    using _s = s;
    using _peer = peer;
    s.settimeout(0.5);
    for (const v of ['3', null, undefined, 1n, NaN, Infinity, {}, [2]]) {
      expect(() => s.recv(v as any), String(v)).toThrow(TypeError);
    }
    expect(() => s.recv(-1)).toThrow(new RangeError('negative buffersize in recv'));
    expect(() => s.recv(4, 1.5)).toThrow(TypeError);
    expect(() => s.recv(4, '0' as any)).toThrow(TypeError);
  });

  it('recv_into nbytes: 0 or omitted is the length; too big and negative are RangeErrors; as CPython', () => {
    const py = python(`
a, b = socket.socketpair()
a.settimeout(0.5)
b.sendall(bytes(range(40)))
buf = bytearray(8)
out = [observe(lambda: a.recv_into(buf, 9)), observe(lambda: a.recv_into(buf, -1))]
out.append(observe(lambda: a.recv_into(buf, 3))); out.append(list(buf))
out.append(observe(lambda: a.recv_into(buf, 0))); out.append(list(buf))
out.append(observe(lambda: a.recv_into(buf))); out.append(list(buf))
a.close()
out.append(observe(lambda: a.recv_into(buf, 9)))
out.append(observe(lambda: a.recv_into(buf, -1)))
out.append(observe(lambda: a.recv_into(buf, 4)))
b.close()
return out`);
    const [a, b] = socket.socketpair();
    const out: unknown[] = [];
    try {
      a.settimeout(0.5);
      b.sendall(Buffer.from(Array.from({ length: 40 }, (_, i) => i)));
      const buf = Buffer.alloc(8);
      out.push(
        observe(() => a.recv_into(buf, 9)),
        observe(() => a.recv_into(buf, -1)),
      );
      out.push(
        observe(() => a.recv_into(buf, 3)),
        [...buf],
      );
      out.push(
        observe(() => a.recv_into(buf, 0)),
        [...buf],
      );
      out.push(
        observe(() => a.recv_into(buf)),
        [...buf],
      );
      a.close();
      out.push(observe(() => a.recv_into(buf, 9)));
      out.push(observe(() => a.recv_into(buf, -1)));
      out.push(observe(() => a.recv_into(buf, 4)));
    } finally {
      a.close();
      b.close();
    }
    const norm = (x: any) => (x && typeof x === 'object' && 'elapsed' in x ? outcome(x) : x);
    expect(out.map(norm)).toEqual(py.map(norm));
    expect(norm(out[0])).toMatchObject({ error: 'RangeError', message: 'buffer too small for requested bytes' });
    expect(norm(out[1])).toMatchObject({ error: 'RangeError', message: 'negative buffersize in recv_into' });
    expect(out[3]).toEqual([0, 1, 2, 0, 0, 0, 0, 0]);
    expect(norm(out[10])).toMatchObject({ error: 'OSError', errno: 9 });
    expect(out.length).toBe(11);
  });

  it('data must be bytes-like: a string is TypeError("a bytes-like object is required, not \'str\'")', () => {
    const py = python(`
a, b = socket.socketpair()
out = [observe(lambda: a.send("abc")), observe(lambda: a.sendall("abc"))]
a.close(); b.close()
return out`);
    const [a, b] = socket.socketpair();
    try {
      a.settimeout(0.5);
      b.settimeout(0.5);
      const out = [observe(() => a.send('abc' as any)), observe(() => a.sendall('abc' as any))];
      expect(out.map(outcome)).toEqual(py.map(outcome));
      for (const o of out) {
        expect(o).toMatchObject({
          ok: false,
          error: 'TypeError',
          message: "a bytes-like object is required, not 'str'",
        });
      }
      for (const v of [[1, 2, 3], 42, null, undefined, new ArrayBuffer(3), { length: 3 }]) {
        expect(() => a.send(v as any)).toThrow(TypeError);
        expect(() => a.sendall(v as any)).toThrow(TypeError);
        expect(() => a.recv_into(v as any)).toThrow(TypeError);
      }
      expect(() => a.recv_into('abc' as any)).toThrow(TypeError);
      expect(() => a.send(Buffer.from('x'), 0.5)).toThrow(TypeError);
      // nothing reached the peer
      expect(drain(b)).toBe(0);
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('bytes-like views', () => {
  it('recv_into writes at the view byteOffset and never outside it (Uint8Array subarray, Uint16Array, DataView, Float64Array)', () => {
    const [a, b] = socket.socketpair();
    try {
      a.settimeout(2);
      b.settimeout(2);

      // a Uint8Array subarray: bytes 3..7 of a 16-byte buffer
      const backing = new Uint8Array(16).fill(0xee);
      const sub = backing.subarray(3, 8);
      b.sendall(Buffer.from('abcdefgh'));
      expect(a.recv_into(sub)).toBe(5);
      expect(Buffer.from(backing).toString('latin1', 3, 8)).toBe('abcde');
      expect([...backing.subarray(0, 3), ...backing.subarray(8)].every((x) => x === 0xee)).toBe(true);
      expect(a.recv(10).toString()).toBe('fgh'); // the rest is still there

      // a Uint16Array: its byte length counts, and nbytes is in bytes
      const ab = new ArrayBuffer(12);
      new Uint8Array(ab).fill(0xee);
      const u16 = new Uint16Array(ab, 2, 4); // bytes 2..9
      b.sendall(pattern(20, 1));
      expect(observe(() => a.recv_into(u16, 9))).toMatchObject({
        ok: false,
        error: 'RangeError',
        message: 'buffer too small for requested bytes',
      });
      expect(a.recv_into(u16, 6)).toBe(6);
      let bytes = new Uint8Array(ab);
      expect([...bytes.subarray(2, 8)]).toEqual([...pattern(20, 1).subarray(0, 6)]);
      expect([...bytes.subarray(0, 2), ...bytes.subarray(8)].every((x) => x === 0xee)).toBe(true);
      expect(a.recv_into(u16)).toBe(8);
      bytes = new Uint8Array(ab);
      expect([...bytes.subarray(2, 10)]).toEqual([...pattern(20, 1).subarray(6, 14)]);
      expect([...bytes.subarray(0, 2), ...bytes.subarray(10)].every((x) => x === 0xee)).toBe(true);
      expect(a.recv(100).equals(pattern(20, 1).subarray(14))).toBe(true);

      // a DataView on bytes 5..8 of a buffer
      const ab2 = new ArrayBuffer(10);
      new Uint8Array(ab2).fill(0xee);
      const dv = new DataView(ab2, 5, 3);
      b.sendall(Buffer.from('XYZW'));
      expect(a.recv_into(dv)).toBe(3);
      expect(Buffer.from(ab2).toString('latin1', 5, 8)).toBe('XYZ');
      expect([...new Uint8Array(ab2, 0, 5), ...new Uint8Array(ab2, 8)].every((x) => x === 0xee)).toBe(true);
      expect(a.recv(10).toString()).toBe('W');

      // a Float64Array view in the middle of a larger buffer
      const ab3 = new ArrayBuffer(32);
      new Uint8Array(ab3).fill(0xee);
      const f64 = new Float64Array(ab3, 8, 2); // bytes 8..23
      const x = new Float64Array([Math.PI, -2.5]);
      b.sendall(new Uint8Array(x.buffer));
      expect(a.recv_into(f64)).toBe(16);
      expect([...f64]).toEqual([Math.PI, -2.5]);
      expect([...new Uint8Array(ab3, 0, 8), ...new Uint8Array(ab3, 24)].every((v) => v === 0xee)).toBe(true);
    } finally {
      a.close();
      b.close();
    }
  });

  it('send and sendall send exactly the bytes of the view (byteOffset honoured)', () => {
    const [a, b] = socket.socketpair();
    try {
      a.settimeout(2);
      b.settimeout(2);
      const ab = new ArrayBuffer(16);
      const all = new Uint8Array(ab);
      for (let i = 0; i < 16; i++) all[i] = 0x61 + i; // 'abcdefghijklmnop'
      expect(a.send(new Uint16Array(ab, 4, 2))).toBe(4); // bytes 4..7
      expect(b.recv(100).toString()).toBe('efgh');
      a.sendall(new DataView(ab, 10, 3)); // bytes 10..12
      expect(b.recv(100).toString()).toBe('klm');
      a.sendall(all.subarray(1, 3));
      expect(b.recv(100).toString()).toBe('bc');
      expect(a.send(new Float32Array(ab, 12, 1))).toBe(4);
      expect(b.recv(100).toString()).toBe('mnop');
    } finally {
      a.close();
      b.close();
    }
  });

  it('recv returns a fresh Buffer of exactly the bytes received, small and large', () => {
    const [a, b] = socket.socketpair();
    try {
      a.settimeout(2);
      b.settimeout(2);
      b.sendall(Buffer.from('abc'));
      const small = a.recv(1 << 20); // a large request, a small answer
      expect(Buffer.isBuffer(small)).toBe(true);
      expect(small.toString()).toBe('abc');
      expect(small.length).toBe(3);
      const big = pattern(100_000, 3);
      b.sendall(big);
      expect(recvExactly(a, big.length).equals(big)).toBe(true);
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('sendall', () => {
  it('timeout mode, a peer that does not read: TimeoutError after >= timeout and well under 2x, as CPython', () => {
    const timeout = 1;
    const py = python(
      `
a, b = socket.socketpair()
a.settimeout(arg)
o = observe(lambda: a.sendall(b"z" * (4 << 20)))
a.close(); b.close()
return o`,
      timeout,
    );
    const [a, b] = socket.socketpair();
    try {
      a.settimeout(timeout);
      const o = observe(() => a.sendall(Buffer.alloc(4 << 20, 0x7a)));
      expect(outcome(o)).toEqual(outcome(py));
      expect(o).toMatchObject({ ok: false, error: 'TimeoutError', errno: null, message: 'timed out' });
      expect(o.elapsed).toBeGreaterThanOrEqual(timeout);
      expect(o.elapsed).toBeLessThan(timeout * 1.9);
      // part of it went out before the deadline
      const got = drain(b);
      expect(got).toBeGreaterThan(0);
      expect(got).toBeLessThan(4 << 20);
    } finally {
      a.close();
      b.close();
    }
  });

  it('timeout mode, a slow reader: ONE deadline for the whole call, not one per chunk', async () => {
    // A Python child reads 16 KB every 50 ms: every wait for buffer space is
    // short, so only a deadline for the whole call can end an 8 MB sendall
    // after 1 s. With per-chunk deadlines the call would run until the
    // reader gives up (6 s) and fail differently.
    const l = socket.socket();
    let conn: socket.Socket | undefined;
    let child: ReturnType<typeof spawn> | undefined;
    try {
      l.settimeout(5);
      l.bind(['127.0.0.1', 0]);
      l.listen();
      const port = (l.getsockname() as [string, number])[1];
      child = spawn(
        'python3',
        [
          '-c',
          `import socket, time, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
s.settimeout(5)
s.connect(("127.0.0.1", int(sys.argv[1])))
total = 0
t0 = time.monotonic()
while time.monotonic() - t0 < 6:
    try:
        d = s.recv(16384)
    except OSError:
        break
    if not d:
        break
    total += len(d)
    time.sleep(0.05)
print(total)`,
          String(port),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let stdout = '';
      child.stdout!.on('data', (d) => (stdout += d));
      const closed = new Promise<number | null>((resolve) => child!.on('close', (code) => resolve(code)));
      [conn] = l.accept();
      conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32768);
      conn.settimeout(1);
      const o = observe(() => conn!.sendall(Buffer.alloc(8 << 20, 0x61)));
      conn.close();
      expect(await closed).toBe(0);
      const total = Number(stdout.trim());
      expect(o).toMatchObject({ ok: false, error: 'TimeoutError', errno: null, message: 'timed out' });
      expect(o.elapsed).toBeGreaterThanOrEqual(1);
      expect(o.elapsed).toBeLessThan(2);
      // the reader kept taking data during the call: more than the two small buffers hold
      expect(total).toBeGreaterThan(200_000);
      expect(total).toBeLessThan(8 << 20);
    } finally {
      conn?.close();
      l.close();
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('non-blocking: BlockingIOError [Errno 11] after partial sends, as CPython', () => {
    const py = python(`
a, b = socket.socketpair()
a.setblocking(False)
o = observe(lambda: a.sendall(b"q" * (4 << 20)))
b.setblocking(False)
n = 0
try:
    for _ in range(100000):
        d = b.recv(65536)
        if not d:
            break
        n += len(d)
except BlockingIOError:
    pass
a.close(); b.close()
return [o, n > 0, n < (4 << 20)]`);
    const [a, b] = socket.socketpair();
    try {
      a.setblocking(false);
      const o = observe(() => a.sendall(Buffer.alloc(4 << 20, 0x71)));
      const n = drain(b);
      expect([outcome(o), n > 0, n < 4 << 20]).toEqual([outcome(py[0]), py[1], py[2]]);
      expect(o).toMatchObject({
        ok: false,
        error: 'BlockingIOError',
        errno: 11,
        message: '[Errno 11] Resource temporarily unavailable',
      });
      expect(o.elapsed).toBeLessThan(1);
      expect(n).toBeGreaterThan(0); // partial sends happened
      expect(n).toBeLessThan(4 << 20);
    } finally {
      a.close();
      b.close();
    }
  });

  it('returns undefined once everything is sent (timeout mode, TCP)', () => {
    const [a, b] = pair('tcp');
    try {
      const data = pattern(48 * 1024, 9);
      expect(a.sendall(data)).toBe(undefined);
      expect(recvExactly(b, data.length).equals(data)).toBe(true);
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('no SIGPIPE: a closed peer is BrokenPipeError or ConnectionResetError', () => {
  /** Runs fn with a SIGPIPE listener (so a raised SIGPIPE is seen, not fatal) and counts deliveries. */
  async function countSigpipe(fn: () => void): Promise<number> {
    let n = 0;
    const onPipe = () => {
      n++;
    };
    process.on('SIGPIPE', onPipe);
    try {
      fn();
      await new Promise((r) => setTimeout(r, 100)); // the handler runs on the event loop
    } finally {
      process.off('SIGPIPE', onPipe);
    }
    return n;
  }

  it('the check can see a SIGPIPE (control: a plain write(2) to a closed peer raises one)', async () => {
    const [a, b] = socket.socketpair();
    try {
      b.close();
      const n = await countSigpipe(() => {
        expect(() => writeSync(a.fileno(), 'x')).toThrow(/EPIPE/);
      });
      expect(n).toBeGreaterThanOrEqual(1);
    } finally {
      a.close();
      b.close();
    }
  });

  it('socketpair: send and sendall raise BrokenPipeError [Errno 32] in each mode, no SIGPIPE; as CPython', async () => {
    const py = python(`
out = []
for t in (0, 0.5):
    a, b = socket.socketpair()
    a.settimeout(t)
    b.close()
    out.append(observe(lambda: a.send(b"x")))
    out.append(observe(lambda: a.sendall(b"x" * 100000)))
    a.close()
return out`);
    const out: ReturnType<typeof observe>[] = [];
    const n = await countSigpipe(() => {
      for (const t of [0, 0.5]) {
        const [a, b] = socket.socketpair();
        try {
          a.settimeout(t);
          b.close();
          out.push(observe(() => a.send(Buffer.from('x'))));
          out.push(observe(() => a.sendall(Buffer.alloc(100000))));
        } finally {
          a.close();
          b.close();
        }
      }
    });
    expect(n).toBe(0);
    expect(out.map(outcome)).toEqual(py.map(outcome));
    for (const o of out) {
      expect(o).toMatchObject({ ok: false, error: 'BrokenPipeError', errno: 32, message: '[Errno 32] Broken pipe' });
    }
  });

  it('TCP: sends to a closed peer end in BrokenPipeError 32 or ConnectionResetError 104, no SIGPIPE', async () => {
    for (const linger of [false, true]) {
      const [a, b] = pair('tcp');
      let err: unknown;
      const n = await countSigpipe(() => {
        try {
          if (linger) b.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
          b.close(); // with SO_LINGER 0: an RST
          a.settimeout(1);
          const t0 = performance.now();
          for (let i = 0; i < 100 && performance.now() - t0 < 3000; i++) {
            try {
              a.send(Buffer.alloc(1024));
            } catch (e) {
              err = e;
              break;
            }
            sleep(5);
          }
        } finally {
          a.close();
          b.close();
        }
      });
      expect(n).toBe(0);
      expect(err).toBeInstanceOf(socket.ConnectionError);
      expect([32, 104]).toContain((err as socket.OSError).errno);
      if ((err as socket.OSError).errno === 32) expect(err).toBeInstanceOf(socket.BrokenPipeError);
      else expect(err).toBeInstanceOf(socket.ConnectionResetError);
    }
  });

  it('blocking mode (in a child): BrokenPipeError, and the process is not killed', () => {
    const r = node(`
let pipes = 0;
process.on('SIGPIPE', () => pipes++);
const [a, b] = socket.socketpair();
b.close();
const o = [observe(() => a.send(Buffer.from('x'))), observe(() => a.sendall(Buffer.alloc(100000)))];
a.close();
await new Promise((r) => setTimeout(r, 100));
return { o, pipes };`);
    expect(r.pipes).toBe(0);
    for (const o of r.o) expect(o).toMatchObject({ ok: false, error: 'BrokenPipeError', errno: 32 });
  });
});

describe('flags pass through', () => {
  it('MSG_PEEK: recv and recv_into look without consuming; as CPython', () => {
    const py = python(`
a, b = socket.socketpair()
a.settimeout(1)
b.sendall(b"peekaboo")
buf = bytearray(4)
out = [list(a.recv(4, socket.MSG_PEEK)), a.recv_into(buf, 0, socket.MSG_PEEK), list(buf), list(a.recv(100))]
a.close(); b.close()
return out`);
    const [a, b] = socket.socketpair();
    try {
      a.settimeout(1);
      b.settimeout(1);
      b.sendall(Buffer.from('peekaboo'));
      const buf = Buffer.alloc(4);
      const out = [[...a.recv(4, socket.MSG_PEEK)], a.recv_into(buf, 0, socket.MSG_PEEK), [...buf], [...a.recv(100)]];
      expect(out).toEqual(py);
      expect(Buffer.from(out[3] as number[]).toString()).toBe('peekaboo');
    } finally {
      a.close();
      b.close();
    }
  });

  it('MSG_DONTWAIT on a blocking socket: BlockingIOError [Errno 11] at once (in a child), as CPython', () => {
    const py = python(`
a, b = socket.socketpair()
out = [observe(lambda: a.recv(10, socket.MSG_DONTWAIT)), observe(lambda: a.recv_into(bytearray(4), 0, socket.MSG_DONTWAIT))]
try:
    for _ in range(10000):
        a.send(b"A" * 65536, socket.MSG_DONTWAIT)
except BlockingIOError:
    pass
out.append(observe(lambda: a.send(b"x", socket.MSG_DONTWAIT)))
out.append(observe(lambda: a.sendall(b"x", socket.MSG_DONTWAIT)))
out.append(a.gettimeout())
a.close(); b.close()
return out`);
    const r = node(`
const [a, b] = socket.socketpair();
const out = [observe(() => a.recv(10, socket.MSG_DONTWAIT)), observe(() => a.recv_into(Buffer.alloc(4), 0, socket.MSG_DONTWAIT))];
try { for (let i = 0; i < 10000; i++) a.send(Buffer.alloc(65536, 0x41), socket.MSG_DONTWAIT); } catch (e) { if (e.errno !== 11) throw e; }
out.push(observe(() => a.send(Buffer.from('x'), socket.MSG_DONTWAIT)));
out.push(observe(() => a.sendall(Buffer.from('x'), socket.MSG_DONTWAIT)));
out.push(a.gettimeout());
a.close(); b.close();
return out;`);
    const norm = (x: any) => (x && typeof x === 'object' && 'elapsed' in x ? outcome(x) : x);
    expect(r.map(norm)).toEqual(py.map(norm));
    for (const o of r.slice(0, 4)) {
      expect(o).toMatchObject({ ok: false, error: 'BlockingIOError', errno: 11 });
      expect(o.elapsed).toBeLessThan(0.5);
    }
    expect(r[4]).toBe(null); // still a blocking socket
  });
});
