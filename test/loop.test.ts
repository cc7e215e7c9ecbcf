// SEMANTICS §10 and §12: the event-loop API (asyncio's `loop.sock_*`). Every
// function in every outcome (ready at once, ready later, refused, reset,
// cancelled, closed while pending), argument checks as rejections, many
// waiters on one socket, fd reuse after close, an fd another owner watches,
// 200 concurrent clients, and an event loop that stays responsive (and off
// the thread pool) while sockets wait. Worker threads and process lifetime
// are in loop-process.test.ts.
//
// Loopback only (127.0.0.1, ::1, AF_UNIX, socketpairs). Nothing here blocks
// the thread: sockets are non-blocking, and every await of a loop.sock_*
// Promise is bounded (`bounded()`), so a Promise that never settles fails
// the test instead of waiting for vitest's timeout.
import { pbkdf2, pbkdf2Sync } from 'node:crypto';
import { stat } from 'node:fs/promises';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import type { LoopOptions } from '../lib/index.js';
import { checkNoFdLeaks, trackSockets, fdNonBlocking } from './helpers.js';

const { loop } = socket;
type Socket = socket.Socket;

checkNoFdLeaks();

// Every socket a test opens is closed after it, also when the test fails.
const track = trackSockets();

// ---------------------------------------------------------------- helpers

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The failure of a Promise that did not settle in time. */
class Hang extends Error {}

/** p, or a Hang after ms: a wrong implementation must fail the test, not hang it. */
function bounded<T>(p: Promise<T>, ms = 5000, what = 'the loop.sock_* promise'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Hang(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** p's rejection (a resolution or a hang fails the test). */
async function rejection(p: Promise<unknown>, ms = 5000): Promise<any> {
  let value: unknown;
  try {
    value = await bounded(p, ms);
  } catch (e) {
    if (e instanceof Hang) throw e;
    return e;
  }
  throw new Error(`expected a rejection, the promise resolved with ${String(value)}`);
}

/** Whether p settled within ms (0: by the next macrotask). */
function state(p: Promise<unknown>, ms = 50): Promise<'pending' | 'resolved' | 'rejected'> {
  return Promise.race([
    p.then(
      () => 'resolved' as const,
      () => 'rejected' as const,
    ),
    delay(ms).then(() => 'pending' as const),
  ]);
}

/** A pattern of n bytes that differs from its shifts and between seeds. */
function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 101 + (i >> 8) + (seed >> 3)) & 0xff;
  return b;
}

/** A non-blocking AF_UNIX stream socketpair. */
function spair(): [Socket, Socket] {
  const [a, b] = socket.socketpair();
  track(a);
  track(b);
  a.setblocking(false);
  b.setblocking(false);
  return [a, b];
}

/** A connected TCP pair on loopback, both non-blocking: [client, server side]. */
function tcpPair(family = socket.AF_INET): [Socket, Socket] {
  const host = family === socket.AF_INET6 ? '::1' : '127.0.0.1';
  const l = socket.socket(family, socket.SOCK_STREAM);
  try {
    l.settimeout(5);
    l.bind([host, 0]);
    l.listen();
    const a = track(socket.socket(family, socket.SOCK_STREAM));
    a.settimeout(5);
    a.connect(l.getsockname() as [string, number]);
    const [b] = l.accept();
    track(b);
    a.setblocking(false);
    b.setblocking(false);
    return [a, b];
  } finally {
    l.close();
  }
}

/** Two non-blocking UDP sockets bound on 127.0.0.1. */
function udpPair(): [Socket, Socket] {
  const a = track(socket.socket(socket.AF_INET, socket.SOCK_DGRAM));
  const b = track(socket.socket(socket.AF_INET, socket.SOCK_DGRAM));
  a.bind(['127.0.0.1', 0]);
  b.bind(['127.0.0.1', 0]);
  a.setblocking(false);
  b.setblocking(false);
  return [a, b];
}

/** A non-blocking TCP listener on 127.0.0.1. */
function listener(backlog = 128, family = socket.AF_INET): Socket {
  const l = track(socket.socket(family, socket.SOCK_STREAM));
  l.bind([family === socket.AF_INET6 ? '::1' : '127.0.0.1', 0]);
  l.listen(backlog);
  l.setblocking(false);
  return l;
}

/** A UDP socket connected to a loopback port nobody has bound: its sends draw ICMP refusals. */
function refusedUdp(): Socket {
  const dead = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  dead.bind(['127.0.0.1', 0]);
  const address = dead.getsockname() as [string, number];
  dead.close();
  const u = track(socket.socket(socket.AF_INET, socket.SOCK_DGRAM));
  u.setblocking(false);
  u.connect(address);
  return u;
}

let names = 0;
/** A fresh Linux abstract AF_UNIX name. */
const abstractName = () => `\0sockmode-loop-test-${process.pid}-${names++}`;

/** A non-blocking plain call that returns null instead of BlockingIOError. */
function now<T>(f: () => T): T | null {
  try {
    return f();
  } catch (e) {
    if (e instanceof socket.BlockingIOError) return null;
    throw e;
  }
}

/** Sends on non-blocking s until EAGAIN (bounded); returns the bytes sent. */
function fill(s: Socket): number {
  const chunk = Buffer.alloc(1 << 16, 0x41);
  let n = 0;
  for (let i = 0; i < 10_000; i++) {
    const sent = now(() => s.send(chunk));
    if (sent === null) return n;
    n += sent;
  }
  throw new Error('fill: the send buffer never filled');
}

/** Reads what non-blocking s has now, without waiting (bounded). */
function drainNow(s: Socket): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < 100_000; i++) {
    const d = now(() => s.recv(1 << 16));
    if (d === null || d.length === 0) break;
    parts.push(d);
  }
  return Buffer.concat(parts);
}

/** Receives exactly n bytes with loop.sock_recv (bounded in count and time). */
async function recvExactly(s: Socket, n: number, ms = 10_000): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  const t0 = performance.now();
  while (got < n) {
    if (performance.now() - t0 > ms) throw new Error(`recvExactly: ${got}/${n} bytes after ${ms} ms`);
    const d = await bounded(loop.sock_recv(s, Math.min(1 << 16, n - got)), ms);
    if (d.length === 0) throw new Error(`recvExactly: EOF after ${got}/${n} bytes`);
    parts.push(d);
    got += d.length;
  }
  return Buffer.concat(parts);
}

/** Receives with loop.sock_recv until EOF (bounded). */
async function recvUntilEof(s: Socket, ms = 15_000, limit = 64 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  const t0 = performance.now();
  for (;;) {
    if (performance.now() - t0 > ms || got > limit) throw new Error(`recvUntilEof: no EOF after ${got} bytes`);
    const d = await bounded(loop.sock_recv(s, 1 << 16), ms);
    if (d.length === 0) return Buffer.concat(parts);
    parts.push(d);
    got += d.length;
  }
}

/** Closes s with an RST (SO_LINGER on, 0 s). */
function reset(s: Socket): void {
  const linger = Buffer.alloc(8);
  linger.writeInt32LE(1, 0); // l_onoff
  linger.writeInt32LE(0, 4); // l_linger
  s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger);
  s.close();
}

/** A listener whose one queue slot (listen(0)) is taken: a further connect waits for an accept. */
function backlogFull(): { listener: Socket; address: [string, number] } {
  const l = track(socket.socket());
  l.bind(['127.0.0.1', 0]);
  l.listen(0);
  l.settimeout(5);
  const address = l.getsockname() as [string, number];
  const filler = track(socket.socket());
  filler.settimeout(2);
  filler.connect(address);
  return { listener: l, address };
}

function expectEbadf(e: any): void {
  expect(e).toBeInstanceOf(socket.OSError);
  expect(e.errno).toBe(9);
  expect(e.message).toBe('[Errno 9] Bad file descriptor');
}

// ------------------------------------------------ the eight functions, one case each

/** A call that must wait, and how to make it ready and check its result. */
interface Waiting {
  /** The socket the call waits on. */
  sock: Socket;
  call(options?: LoopOptions): Promise<unknown>;
  /** Makes the call ready (data, space, a connection). */
  ready(): void;
  /** Checks the call's result once ready. */
  check(result: unknown): void | Promise<void>;
  /** After a cancellation: checks the cancelled call took nothing and left the socket usable. */
  afterCancel?(): void | Promise<void>;
}

const cases: Record<string, () => Waiting> = {
  sock_recv() {
    const [a, b] = spair();
    const data = Buffer.from('hello, loop');
    return {
      sock: a,
      call: (o) => loop.sock_recv(a, 100, o),
      ready: () => b.send(data),
      check: (r) => expect(r).toEqual(data),
      async afterCancel() {
        b.send(data);
        await delay(50);
        expect(a.recv(100)).toEqual(data); // all of it still there
      },
    };
  },
  sock_recv_into() {
    const [a, b] = tcpPair();
    const buf = Buffer.alloc(32, 0xee);
    const data = Buffer.from('0123456789abcdef');
    return {
      sock: a,
      call: (o) => loop.sock_recv_into(a, buf, 10, o),
      ready: () => b.send(data),
      async check(r) {
        expect(r).toBe(10);
        expect(buf.subarray(0, 10)).toEqual(data.subarray(0, 10));
        expect(buf.subarray(10)).toEqual(Buffer.alloc(22, 0xee)); // nothing past nbytes
        expect(await bounded(loop.sock_recv(a, 100))).toEqual(data.subarray(10));
      },
      async afterCancel() {
        b.send(data);
        await delay(50);
        expect(buf).toEqual(Buffer.alloc(32, 0xee)); // the cancelled call wrote nothing
        expect(a.recv(100)).toEqual(data);
      },
    };
  },
  sock_recvfrom() {
    const [a, b] = udpPair();
    const data = Buffer.from('a datagram');
    return {
      sock: a,
      call: (o) => loop.sock_recvfrom(a, 100, o),
      ready: () => b.sendto(data, a.getsockname() as [string, number]),
      check: (r) => expect(r).toEqual([data, b.getsockname()]),
      async afterCancel() {
        b.sendto(data, a.getsockname() as [string, number]);
        await delay(50);
        expect(a.recvfrom(100)).toEqual([data, b.getsockname()]);
      },
    };
  },
  sock_recvfrom_into() {
    const [a, b] = udpPair();
    const buf = new Uint8Array(64);
    const data = Buffer.from('into a view');
    return {
      sock: a,
      call: (o) => loop.sock_recvfrom_into(a, buf, undefined, o),
      ready: () => b.sendto(data, a.getsockname() as [string, number]),
      check(r) {
        expect(r).toEqual([data.length, b.getsockname()]);
        expect(Buffer.from(buf.subarray(0, data.length))).toEqual(data);
      },
      async afterCancel() {
        b.sendto(data, a.getsockname() as [string, number]);
        await delay(50);
        expect(buf.every((x) => x === 0)).toBe(true);
        expect(a.recvfrom(100)).toEqual([data, b.getsockname()]);
      },
    };
  },
  sock_sendall() {
    const [a, b] = spair();
    const filled = fill(a);
    const data = pattern(300_000, 3);
    let reader: Promise<Buffer> | undefined;
    return {
      sock: a,
      call: (o) => loop.sock_sendall(a, data, o),
      ready() {
        reader = recvExactly(b, filled + data.length);
        reader.catch(() => {}); // awaited in check(); a failed test must not leave it unhandled
      },
      async check(r) {
        expect(r).toBeUndefined();
        const got = await reader!;
        expect(got.subarray(0, filled).every((x) => x === 0x41)).toBe(true);
        expect(got.subarray(filled).equals(data)).toBe(true);
      },
      async afterCancel() {
        // Nothing read b's side, so at most a prefix of data went out.
        const got = drainNow(b);
        expect(got.length).toBeGreaterThanOrEqual(filled);
        expect(got.subarray(0, filled).every((x) => x === 0x41)).toBe(true);
        expect(data.subarray(0, got.length - filled).equals(got.subarray(filled))).toBe(true);
        await bounded(loop.sock_sendall(a, Buffer.from('next')));
        expect(await recvExactly(b, 4)).toEqual(Buffer.from('next'));
      },
    };
  },
  sock_sendto() {
    // A datagram socket connected to a receiver whose queue is full: writable
    // again when the receiver reads (a UDP sendto on loopback never waits).
    const name = abstractName();
    const r = track(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM));
    r.bind(name);
    r.setblocking(false);
    const s = track(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM));
    s.setblocking(false);
    s.connect(name);
    let queued = 0;
    for (; queued < 10_000; queued++) if (now(() => s.sendto(Buffer.from(`fill ${queued}`), name)) === null) break;
    const late = Buffer.from('the late datagram');
    const receiveAll = () => {
      const got: string[] = [];
      for (let i = 0; i < 100_000; i++) {
        const d = now(() => r.recv(100));
        if (d === null) break;
        got.push(d.toString());
      }
      return got;
    };
    const fills = Array.from({ length: queued }, (_, i) => `fill ${i}`);
    return {
      sock: s,
      call: (o) => loop.sock_sendto(s, late, name, o),
      ready: () => expect(r.recv(100).toString()).toBe('fill 0'),
      check(res) {
        expect(queued).toBeGreaterThan(0);
        expect(res).toBe(late.length);
        expect(receiveAll()).toEqual([...fills.slice(1), late.toString()]);
      },
      async afterCancel() {
        await delay(50);
        expect(receiveAll()).toEqual(fills); // the cancelled datagram was never sent
        expect(await bounded(loop.sock_sendto(s, late, name))).toBe(late.length);
        expect(r.recv(100)).toEqual(late);
      },
    };
  },
  sock_connect() {
    // listen(0) with its slot taken: the SYN is dropped until an accept makes
    // room, then the client's retransmission (about 1 s later) completes it.
    const { listener: l, address } = backlogFull();
    const c = track(socket.socket());
    c.setblocking(false);
    return {
      sock: c,
      call: (o) => loop.sock_connect(c, address, o),
      ready() {
        track(l.accept()[0]);
      },
      check(r) {
        expect(r).toBeUndefined();
        expect(c.getpeername()).toEqual(address);
        const [conn, peer] = l.accept();
        track(conn);
        expect(peer).toEqual(c.getsockname());
      },
    };
  },
  sock_accept() {
    const l = listener();
    let client: Socket | undefined;
    return {
      sock: l,
      call: (o) => loop.sock_accept(l, o),
      ready() {
        client = track(socket.socket());
        client.settimeout(5);
        client.connect(l.getsockname() as [string, number]);
      },
      check(r) {
        const [conn, address] = r as [Socket, unknown];
        track(conn);
        expect(address).toEqual(client!.getsockname());
        expect(conn.getpeername()).toEqual(client!.getsockname());
        expect(conn.gettimeout()).toBe(0);
        expect(conn.getblocking()).toBe(false);
        expect(fdNonBlocking(conn.fileno())).toBe(true);
      },
      async afterCancel() {
        const c = track(socket.socket());
        c.settimeout(5);
        c.connect(l.getsockname() as [string, number]);
        await delay(20);
        const [conn, address] = l.accept(); // still in the queue: the cancelled accept took nothing
        track(conn);
        expect(address).toEqual(c.getsockname());
      },
    };
  },
};

const names8 = Object.keys(cases);

describe('each function, ready later: pending, then served once ready', () => {
  for (const name of names8) {
    it(name, async () => {
      const w = cases[name]();
      const p = w.call();
      expect(await state(p, name === 'sock_connect' ? 300 : 50)).toBe('pending');
      w.ready();
      await w.check(await bounded(p, 10_000));
    });
  }
});

describe('each function, cancelled by an AbortSignal', () => {
  for (const name of names8) {
    it(`${name}: abort(reason) rejects with that reason; nothing consumed`, async () => {
      const w = cases[name]();
      const ac = new AbortController();
      const p = w.call({ signal: ac.signal });
      expect(await state(p)).toBe('pending');
      const reason = new Error(`stop ${name}`);
      ac.abort(reason);
      expect(await rejection(p)).toBe(reason);
      await w.afterCancel?.();
    });

    it(`${name}: AbortSignal.timeout(150) is a timeout`, async () => {
      const w = cases[name]();
      const t0 = performance.now();
      const e = await rejection(w.call({ signal: AbortSignal.timeout(150) }));
      const ms = performance.now() - t0;
      expect(e).toBeInstanceOf(DOMException);
      expect(e.name).toBe('TimeoutError');
      expect(ms).toBeGreaterThanOrEqual(140);
      expect(ms).toBeLessThan(3000);
      await w.afterCancel?.();
    });

    it(`${name}: an already aborted signal rejects at once and consumes nothing`, async () => {
      const w = cases[name]();
      const reason = new Error('aborted before the call');
      if (name === 'sock_sendall' || name === 'sock_sendto' || name === 'sock_connect') {
        // Writes: nothing goes out (afterCancel checks); connect: rejected before connecting.
        expect(await rejection(w.call({ signal: AbortSignal.abort(reason) }), 1000)).toBe(reason);
        await w.afterCancel?.();
        return;
      }
      w.ready(); // the call could succeed now
      await delay(20);
      const p = w.call({ signal: AbortSignal.abort(reason) });
      expect(await rejection(p, 1000)).toBe(reason);
      if (name === 'sock_recv' || name === 'sock_recv_into') expect(w.sock.recv(100).length).toBeGreaterThanOrEqual(11);
      if (name === 'sock_recvfrom' || name === 'sock_recvfrom_into') {
        expect(w.sock.recvfrom(100)[0].length).toBeGreaterThan(0);
      }
      if (name === 'sock_accept') track(w.sock.accept()[0]);
    });
  }
});

describe('each function, closed while pending', () => {
  for (const name of names8) {
    it(`${name}: rejects with OSError [Errno 9]`, async () => {
      const w = cases[name]();
      const p = w.call();
      expect(await state(p)).toBe('pending');
      w.sock.close();
      expectEbadf(await rejection(p, 2000));
    });
  }

  it('every waiter of a socket, readers and writers, rejects with [Errno 9]', async () => {
    const [a] = spair();
    fill(a);
    const waits = [
      loop.sock_recv(a, 10),
      loop.sock_recv_into(a, Buffer.alloc(10)),
      loop.sock_recvfrom(a, 10),
      loop.sock_sendall(a, Buffer.alloc(100)),
      loop.sock_sendall(a, Buffer.alloc(100)),
      loop.sock_recv(a, 10),
    ];
    for (const p of waits) expect(await state(p, 0)).toBe('pending');
    a.close();
    const results = await bounded(Promise.allSettled(waits), 2000);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expectEbadf((r as PromiseRejectedResult).reason);
    }
  });

  it('detach() with pending waits rejects them too, and leaves the fd to its new owner', async () => {
    const [a, b] = spair();
    const p = loop.sock_recv(a, 10);
    expect(await state(p)).toBe('pending');
    const fd = a.detach();
    expectEbadf(await rejection(p, 2000));
    const adopted = track(socket.socket(undefined, undefined, undefined, fd));
    adopted.setblocking(false);
    b.send(Buffer.from('still mine'));
    expect(await bounded(loop.sock_recv(adopted, 100))).toEqual(Buffer.from('still mine'));
  });

  it('a call on a socket closed before it rejects with [Errno 9] (recv(0) is empty, no syscall)', async () => {
    const [a] = spair();
    const [u] = udpPair();
    const l = listener();
    for (const s of [a, u, l]) s.close();
    const calls: Promise<unknown>[] = [
      loop.sock_recv(a, 10),
      loop.sock_recv_into(a, Buffer.alloc(4)),
      loop.sock_recvfrom(u, 10),
      loop.sock_recvfrom_into(u, Buffer.alloc(4)),
      loop.sock_sendall(a, Buffer.from('x')),
      loop.sock_sendto(u, Buffer.from('x'), ['127.0.0.1', 9]),
      loop.sock_connect(a, '\0nowhere'),
      loop.sock_accept(l),
    ];
    for (const p of calls) {
      const e = await rejection(p, 2000);
      expect(e).toBeInstanceOf(socket.OSError);
      expect(e.errno).toBe(9);
    }
    expect(await bounded(loop.sock_recv(a, 0))).toEqual(Buffer.alloc(0));
    expect(await bounded(loop.sock_recv_into(a, Buffer.alloc(0)))).toBe(0);
  });
});

// ------------------------------------------------------------- ready at once

describe('each function, ready at once', () => {
  it('sock_recv returns what is there, at most n bytes; EOF is an empty Buffer; n = 0 is empty', async () => {
    const [a, b] = spair();
    b.send(Buffer.from('abcdef'));
    expect(await bounded(loop.sock_recv(a, 4))).toEqual(Buffer.from('abcd'));
    expect(await bounded(loop.sock_recv(a, 100))).toEqual(Buffer.from('ef'));
    expect(await bounded(loop.sock_recv(a, 0))).toEqual(Buffer.alloc(0));
    b.close();
    expect(await bounded(loop.sock_recv(a, 100))).toEqual(Buffer.alloc(0));
  });

  it("sock_recv_into fills the caller's memory in place (nbytes omitted or 0: all of it; any view)", async () => {
    const [a, b] = tcpPair();
    b.send(pattern(20, 1));
    await delay(20);
    const buf = Buffer.alloc(8);
    expect(await bounded(loop.sock_recv_into(a, buf))).toBe(8);
    expect(buf).toEqual(pattern(20, 1).subarray(0, 8));
    const u16 = new Uint16Array(3);
    expect(await bounded(loop.sock_recv_into(a, u16, 0))).toBe(6);
    expect(Buffer.from(u16.buffer)).toEqual(pattern(20, 1).subarray(8, 14));
    const dv = new DataView(new ArrayBuffer(16), 4, 8);
    expect(await bounded(loop.sock_recv_into(a, dv, 6))).toBe(6);
    expect(Buffer.from(dv.buffer, 4, 6)).toEqual(pattern(20, 1).subarray(14, 20));
    expect(await bounded(loop.sock_recv_into(a, Buffer.alloc(0)))).toBe(0);
  });

  it('sock_recvfrom and sock_recvfrom_into return the datagram and its sender', async () => {
    const [a, b] = udpPair();
    const to = a.getsockname() as [string, number];
    b.sendto(Buffer.from('one'), to);
    b.sendto(Buffer.from('two!'), to);
    expect(await bounded(loop.sock_recvfrom(a, 100))).toEqual([Buffer.from('one'), b.getsockname()]);
    const buf = Buffer.alloc(10, 0);
    expect(await bounded(loop.sock_recvfrom_into(a, buf, 3))).toEqual([3, b.getsockname()]);
    expect(buf.subarray(0, 4)).toEqual(Buffer.from('two\0')); // truncated to nbytes
  });

  it('sock_sendall sends everything (and an empty buffer resolves)', async () => {
    const [a, b] = spair();
    await bounded(loop.sock_sendall(a, Buffer.from('all of it')));
    await bounded(loop.sock_sendall(a, new Uint8Array(0)));
    await bounded(loop.sock_sendall(a, new Uint16Array([0x4241, 0x4443])));
    expect(await recvExactly(b, 13)).toEqual(Buffer.from('all of itABCD'));
  });

  it("sock_sendto returns the bytes sent; the peer sees the sender's address", async () => {
    const [a, b] = udpPair();
    expect(await bounded(loop.sock_sendto(a, Buffer.from('ping'), b.getsockname() as [string, number]))).toBe(4);
    expect(await bounded(loop.sock_recvfrom(b, 100))).toEqual([Buffer.from('ping'), a.getsockname()]);
  });

  it('sock_connect connects over IPv4, IPv6 and AF_UNIX', async () => {
    for (const family of [socket.AF_INET, socket.AF_INET6]) {
      const l = listener(128, family);
      const address = (l.getsockname() as [string, number]).slice(0, 2) as [string, number];
      const c = track(socket.socket(family));
      c.setblocking(false);
      expect(await bounded(loop.sock_connect(c, address))).toBeUndefined();
      expect((c.getpeername() as [string, number]).slice(0, 2)).toEqual(address);
      const [conn, peer] = await bounded(loop.sock_accept(l));
      track(conn);
      expect(peer).toEqual(c.getsockname());
      await bounded(loop.sock_sendall(c, Buffer.from('hi')));
      expect(await recvExactly(conn, 2)).toEqual(Buffer.from('hi'));
    }
    const name = abstractName();
    const ul = track(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM));
    ul.bind(name);
    ul.listen();
    ul.setblocking(false);
    const uc = track(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM));
    uc.setblocking(false);
    await bounded(loop.sock_connect(uc, name));
    const [uconn] = await bounded(loop.sock_accept(ul));
    track(uconn);
    await bounded(loop.sock_sendall(uconn, Buffer.from('unix')));
    expect(await recvExactly(uc, 4)).toEqual(Buffer.from('unix'));
  });

  it('sock_accept returns [conn, address] with conn non-blocking at once when a connection waits', async () => {
    const l = listener();
    const c = track(socket.socket());
    c.settimeout(5);
    c.connect(l.getsockname() as [string, number]);
    const [conn, address] = await bounded(loop.sock_accept(l));
    track(conn);
    expect(address).toEqual(c.getsockname());
    expect(conn.gettimeout()).toBe(0);
    expect(fdNonBlocking(conn.fileno())).toBe(true);
    expect(conn.family).toBe(socket.AF_INET);
    expect(conn.type).toBe(socket.SOCK_STREAM);
  });
});

// ------------------------------------------------------------------ refused

describe('refused', () => {
  it("sock_connect: ConnectionRefusedError '[Errno 111] Connect call failed (host, port)' (IPv4)", async () => {
    const dead = track(socket.socket());
    dead.bind(['127.0.0.1', 0]); // bound, not listening
    const [host, port] = dead.getsockname() as [string, number];
    const c = track(socket.socket());
    c.setblocking(false);
    const e = await rejection(loop.sock_connect(c, [host, port]));
    expect(e).toBeInstanceOf(socket.ConnectionRefusedError);
    expect(e).toBeInstanceOf(socket.OSError);
    expect(e.errno).toBe(111);
    expect(e.code).toBe('ECONNREFUSED');
    expect(e.message).toBe(`[Errno 111] Connect call failed ('127.0.0.1', ${port})`);
  });

  it('sock_connect: ConnectionRefusedError over IPv6 and AF_UNIX', async () => {
    const dead = track(socket.socket(socket.AF_INET6));
    dead.bind(['::1', 0]);
    const port = (dead.getsockname() as [string, number])[1];
    const c = track(socket.socket(socket.AF_INET6));
    c.setblocking(false);
    const e = await rejection(loop.sock_connect(c, ['::1', port]));
    expect(e).toBeInstanceOf(socket.ConnectionRefusedError);
    expect(e.errno).toBe(111);
    expect(e.message.startsWith(`[Errno 111] Connect call failed ('::1', ${port}`)).toBe(true);

    const u = track(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM));
    u.setblocking(false);
    const eu = await rejection(loop.sock_connect(u, abstractName())); // nobody bound it
    expect(eu).toBeInstanceOf(socket.ConnectionRefusedError);
    expect(eu.errno).toBe(111);
  });

  it('a pending receive on a UDP socket whose send drew an ICMP refusal rejects with ConnectionRefusedError', async () => {
    const calls: [string, (u: Socket) => Promise<unknown>][] = [
      ['sock_recv', (u) => loop.sock_recv(u, 10)],
      ['sock_recv_into', (u) => loop.sock_recv_into(u, Buffer.alloc(10))],
      ['sock_recvfrom', (u) => loop.sock_recvfrom(u, 10)],
      ['sock_recvfrom_into', (u) => loop.sock_recvfrom_into(u, Buffer.alloc(10))],
    ];
    for (const [name, call] of calls) {
      const u = refusedUdp();
      const p = call(u);
      expect(await state(p), name).toBe('pending');
      u.send(Buffer.from('anyone?'));
      const e = await rejection(p, 3000);
      expect(e, name).toBeInstanceOf(socket.ConnectionRefusedError);
      expect(e.errno, name).toBe(111);
      u.close();
    }
  });

  it('sock_sendto and sock_sendall report a refusal (unbound AF_UNIX name; UDP after ICMP)', async () => {
    const d = track(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM));
    d.setblocking(false);
    const e1 = await rejection(loop.sock_sendto(d, Buffer.from('x'), abstractName()));
    expect(e1).toBeInstanceOf(socket.ConnectionRefusedError);
    expect(e1.errno).toBe(111);

    const u = refusedUdp();
    const to = u.getpeername() as [string, number];
    expect(await bounded(loop.sock_sendto(u, Buffer.from('first'), to))).toBe(5);
    await delay(50); // the ICMP port unreachable arrives
    const e2 = await rejection(loop.sock_sendto(u, Buffer.from('second'), to));
    expect(e2).toBeInstanceOf(socket.ConnectionRefusedError);
    await bounded(loop.sock_sendall(u, Buffer.from('third')));
    await delay(50);
    const e3 = await rejection(loop.sock_sendall(u, Buffer.from('fourth')));
    expect(e3).toBeInstanceOf(socket.ConnectionRefusedError);
  });

  it('sock_accept on a socket that is not listening: OSError [Errno 22]', async () => {
    const s = track(socket.socket());
    s.bind(['127.0.0.1', 0]);
    s.setblocking(false);
    const e = await rejection(loop.sock_accept(s));
    expect(e).toBeInstanceOf(socket.OSError);
    expect(e.errno).toBe(22);
  });
});

// ------------------------------------------------------------------- reset

describe('reset by the peer', () => {
  const receives: [string, (s: Socket) => Promise<unknown>][] = [
    ['sock_recv', (s) => loop.sock_recv(s, 10)],
    ['sock_recv_into', (s) => loop.sock_recv_into(s, Buffer.alloc(10))],
    ['sock_recvfrom', (s) => loop.sock_recvfrom(s, 10)],
    ['sock_recvfrom_into', (s) => loop.sock_recvfrom_into(s, Buffer.alloc(10))],
  ];
  for (const [name, call] of receives) {
    it(`${name} pending when an RST arrives: ConnectionResetError [Errno 104]`, async () => {
      const [a, b] = tcpPair();
      const p = call(a);
      expect(await state(p)).toBe('pending');
      reset(b);
      const e = await rejection(p, 3000);
      expect(e).toBeInstanceOf(socket.ConnectionResetError);
      expect(e.errno).toBe(104);
    });
  }

  it('sock_sendall waiting for space when an RST arrives: ConnectionResetError or BrokenPipeError', async () => {
    const [a, b] = tcpPair();
    fill(a);
    const p = loop.sock_sendall(a, pattern(1 << 20));
    expect(await state(p)).toBe('pending');
    reset(b);
    const e = await rejection(p, 3000);
    expect(e).toBeInstanceOf(socket.ConnectionError);
    expect([104, 32]).toContain(e.errno);
    const again = await rejection(loop.sock_sendall(a, Buffer.from('x'))); // never SIGPIPE
    expect(again).toBeInstanceOf(socket.ConnectionError);
  });

  it('a pending sock_recv resolves with an empty Buffer when the peer closes normally', async () => {
    const [a, b] = tcpPair();
    const p = loop.sock_recv(a, 10);
    expect(await state(p)).toBe('pending');
    b.close();
    expect(await bounded(p)).toEqual(Buffer.alloc(0));
  });
});

// ------------------------------------------------- argument checks, never a throw

describe('argument checks: every failure is a rejected Promise, never a throw', () => {
  /** Calls f, which must not throw, and returns its rejection. */
  async function rejects(f: () => Promise<unknown>): Promise<any> {
    let p: Promise<unknown> | undefined;
    expect(() => {
      p = f();
    }).not.toThrow();
    expect(p).toBeInstanceOf(Promise);
    return rejection(p!, 2000);
  }

  const all = (s: Socket): [string, () => Promise<unknown>][] => [
    ['sock_recv', () => loop.sock_recv(s, 10)],
    ['sock_recv_into', () => loop.sock_recv_into(s, Buffer.alloc(10))],
    ['sock_recvfrom', () => loop.sock_recvfrom(s, 10)],
    ['sock_recvfrom_into', () => loop.sock_recvfrom_into(s, Buffer.alloc(10))],
    ['sock_sendall', () => loop.sock_sendall(s, Buffer.from('x'))],
    ['sock_sendto', () => loop.sock_sendto(s, Buffer.from('x'), ['127.0.0.1', 9])],
    ['sock_connect', () => loop.sock_connect(s, ['127.0.0.1', 9])],
    ['sock_accept', () => loop.sock_accept(s)],
  ];

  it("a blocking socket: RangeError('the socket must be non-blocking'), even with data ready", async () => {
    const [a, b] = socket.socketpair();
    track(a);
    track(b);
    b.settimeout(5);
    b.send(Buffer.from('ready data'));
    for (const [name, f] of all(a)) {
      const e = await rejects(f);
      expect(e, name).toBeInstanceOf(RangeError);
      expect(e.message, name).toBe('the socket must be non-blocking');
    }
    a.settimeout(5);
    expect(a.recv(100)).toEqual(Buffer.from('ready data')); // untouched
  });

  it('a socket in timeout mode: the same RangeError', async () => {
    const s = track(socket.socket());
    s.settimeout(2.5);
    for (const [name, f] of all(s)) {
      const e = await rejects(f);
      expect(e, name).toBeInstanceOf(RangeError);
      expect(e.message, name).toBe('the socket must be non-blocking');
    }
  });

  it('not a sockmode socket: TypeError', async () => {
    const fake = { fileno: () => 0, gettimeout: () => 0 } as unknown as Socket;
    for (const [name, f] of all(fake)) expect(await rejects(f), name).toBeInstanceOf(TypeError);
    for (const bad of [null, undefined, 3]) {
      expect(await rejects(() => loop.sock_recv(bad as unknown as Socket, 1))).toBeInstanceOf(TypeError);
    }
  });

  it('bad sizes, buffers and addresses', async () => {
    const [a] = spair();
    const [u] = udpPair();
    const e1 = await rejects(() => loop.sock_recv(a, -1));
    expect(e1).toBeInstanceOf(RangeError);
    expect(e1.message).toBe('negative buffersize in recv');
    expect(await rejects(() => loop.sock_recv(a, 'ten' as unknown as number))).toBeInstanceOf(TypeError);
    expect(await rejects(() => loop.sock_recv(a, 1.5))).toBeInstanceOf(TypeError);
    const e2 = await rejects(() => loop.sock_recv_into(a, Buffer.alloc(4), 5));
    expect(e2).toBeInstanceOf(RangeError);
    expect(e2.message).toBe('buffer too small for requested bytes');
    const e3 = await rejects(() => loop.sock_recvfrom_into(u, Buffer.alloc(4), 5));
    expect(e3).toBeInstanceOf(RangeError);
    expect(e3.message).toBe('nbytes is greater than the length of the buffer');
    expect(await rejects(() => loop.sock_recvfrom(u, -1))).toBeInstanceOf(RangeError);
    expect(await rejects(() => loop.sock_recv_into(a, 'str' as unknown as Buffer))).toBeInstanceOf(TypeError);
    const e4 = await rejects(() => loop.sock_sendall(a, 'text' as unknown as Buffer));
    expect(e4).toBeInstanceOf(TypeError);
    expect(e4.message).toBe("a bytes-like object is required, not 'str'");
    expect(await rejects(() => loop.sock_sendto(u, 'text' as unknown as Buffer, ['127.0.0.1', 9]))).toBeInstanceOf(
      TypeError,
    );
    expect(await rejects(() => loop.sock_sendto(u, Buffer.from('x'), 'not a tuple'))).toBeInstanceOf(TypeError);
    expect(await rejects(() => loop.sock_sendto(u, Buffer.from('x'), ['127.0.0.1', 70000]))).toBeInstanceOf(RangeError);
    const c = track(socket.socket());
    c.setblocking(false);
    expect(await rejects(() => loop.sock_connect(c, ['127.0.0.1'] as unknown as [string, number]))).toBeInstanceOf(
      TypeError,
    );
    expect(await rejects(() => loop.sock_connect(c, ['127.0.0.1', -1]))).toBeInstanceOf(RangeError);
  });
});

// ------------------------------------------------------- many waiters

describe('several waiters on one socket are all served, in order', () => {
  it('two concurrent sock_recv: both are served (asyncio loses the first)', async () => {
    const [a, b] = spair();
    const p1 = loop.sock_recv(a, 100);
    const p2 = loop.sock_recv(a, 100);
    expect(await state(p1)).toBe('pending');
    b.send(Buffer.from('one'));
    expect(await bounded(p1)).toEqual(Buffer.from('one'));
    expect(await state(p2)).toBe('pending');
    b.send(Buffer.from('two'));
    expect(await bounded(p2)).toEqual(Buffer.from('two'));
  });

  it('50 concurrent sock_recv(1) get the bytes in the order they were called', async () => {
    const [a, b] = spair();
    const waits = Array.from({ length: 50 }, () => loop.sock_recv(a, 1));
    expect(await state(waits[0])).toBe('pending');
    const data = pattern(50, 9);
    b.send(data);
    const got = await bounded(Promise.all(waits));
    expect(Buffer.concat(got)).toEqual(data);
    expect(got.every((g) => g.length === 1)).toBe(true);
  });

  it('20 concurrent sock_recvfrom on one UDP socket get the datagrams in order', async () => {
    const [a, b] = udpPair();
    const waits = Array.from({ length: 20 }, () => loop.sock_recvfrom(a, 100));
    expect(await state(waits[0])).toBe('pending');
    for (let i = 0; i < 20; i++) b.sendto(Buffer.from(`datagram ${i}`), a.getsockname() as [string, number]);
    const got = await bounded(Promise.all(waits));
    expect(got.map(([d]) => d.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `datagram ${i}`));
    expect(got.every(([, from]) => JSON.stringify(from) === JSON.stringify(b.getsockname()))).toBe(true);
  });

  it('readers and writers on one socket at once: writes go out whole and in call order, reads in order', async () => {
    const [a, b] = spair();
    const chunks = Array.from({ length: 8 }, (_, i) => pattern(150_000 + i * 1000, i + 20));
    const writers = chunks.map((c) => loop.sock_sendall(a, c));
    const readers = Array.from({ length: 30 }, () => loop.sock_recv(a, 1));
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const reading = recvExactly(b, total);
    const back = pattern(30, 77);
    b.send(back);
    const [got, gotBack] = await bounded(Promise.all([reading, Promise.all(readers), Promise.all(writers)]), 15_000);
    expect(got.equals(Buffer.concat(chunks))).toBe(true); // never interleaved
    expect(Buffer.concat(gotBack)).toEqual(back);
  });

  it('cancelling the first of two waiters leaves the data to the second', async () => {
    const [a, b] = spair();
    const ac = new AbortController();
    const p1 = loop.sock_recv(a, 100, { signal: ac.signal });
    const p2 = loop.sock_recv(a, 100);
    ac.abort();
    expect((await rejection(p1)).name).toBe('AbortError');
    b.send(Buffer.from('for the second'));
    expect(await bounded(p2)).toEqual(Buffer.from('for the second'));
  });

  it('a cancelled sock_sendall may have sent a prefix; the stream goes on after it', async () => {
    const [a, b] = spair();
    const data = pattern(4 << 20, 5);
    const ac = new AbortController();
    const p = loop.sock_sendall(a, data, { signal: ac.signal });
    p.catch(() => {});
    // The peer reads a part, then the send is cancelled mid-way.
    const first = await recvExactly(b, 200_000);
    ac.abort();
    expect((await rejection(p)).name).toBe('AbortError');
    await delay(20);
    const rest = drainNow(b);
    const sent = first.length + rest.length;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(data.length); // not all of it
    expect(Buffer.concat([first, rest]).equals(data.subarray(0, sent))).toBe(true); // a prefix
    await bounded(loop.sock_sendall(a, Buffer.from('after')));
    expect(await recvExactly(b, 5)).toEqual(Buffer.from('after'));
  });

  it('aborting after the call settled changes nothing', async () => {
    const [a, b] = spair();
    const ac = new AbortController();
    b.send(Buffer.from('x'));
    expect(await bounded(loop.sock_recv(a, 10, { signal: ac.signal }))).toEqual(Buffer.from('x'));
    ac.abort();
    b.send(Buffer.from('y'));
    expect(await bounded(loop.sock_recv(a, 10))).toEqual(Buffer.from('y'));
  });

  it('100 concurrent sock_accept on one listener each get a different connection', async () => {
    const l = listener(256);
    const accepts = Array.from({ length: 100 }, () => loop.sock_accept(l));
    expect(await state(accepts[0])).toBe('pending');
    const clients = Array.from({ length: 100 }, () => {
      const c = track(socket.socket());
      c.setblocking(false);
      return c;
    });
    await bounded(Promise.all(clients.map((c) => loop.sock_connect(c, l.getsockname() as [string, number]))), 10_000);
    const got = await bounded(Promise.all(accepts), 10_000);
    for (const [conn] of got) track(conn);
    const peers = got.map(([, address]) => JSON.stringify(address)).sort();
    expect(peers).toEqual(clients.map((c) => JSON.stringify(c.getsockname())).sort());
  });
});

// ----------------------------------------------------------- fd reuse and watching

describe('the fd is watched only while waits are pending, and never after close', () => {
  it('close with pending waits, a new socket gets the fd number: it works, no stale waiter touches it', async () => {
    const [a, b] = spair();
    fill(a);
    const staleRecv = loop.sock_recv(a, 100);
    const staleSend = loop.sock_sendall(a, pattern(100_000, 6)); // must never reach the new socket
    expect(await state(staleRecv)).toBe('pending');
    const fd = a.fileno();
    a.close();
    b.close();
    const [c, d] = socket.socketpair(); // at once, before anything else can take the number
    track(c);
    track(d);
    expectEbadf(await rejection(staleRecv, 2000));
    expectEbadf(await rejection(staleSend, 2000));
    expect(c.fileno()).toBe(fd); // the number is reused
    c.setblocking(false);
    d.setblocking(false);
    d.send(Buffer.from('fresh'));
    await delay(100); // a stale callback would run now
    expect(c.recv(100)).toEqual(Buffer.from('fresh')); // nothing stolen
    expect(now(() => d.recv(1 << 16))).toBeNull(); // nothing of the old sendall arrived
    c.send(Buffer.from('plain'));
    expect(d.recv(100)).toEqual(Buffer.from('plain'));

    const p = loop.sock_recv(c, 100);
    expect(await state(p)).toBe('pending');
    d.send(Buffer.from('waited'));
    expect(await bounded(p)).toEqual(Buffer.from('waited'));
    await bounded(loop.sock_sendall(c, Buffer.from('back')));
    expect(await bounded(loop.sock_recv(d, 100))).toEqual(Buffer.from('back'));
    expect(now(() => d.recv(1 << 16))).toBeNull();
  });

  it('after close with a pending wait, a net.Socket on the reused fd number reads normally', async () => {
    const [a] = spair();
    const stale = loop.sock_recv(a, 100);
    expect(await state(stale)).toBe('pending');
    const fd = a.fileno();
    a.close();
    const [c, d] = socket.socketpair();
    track(d);
    const cfd = c.detach();
    const ns = new net.Socket({ fd: cfd, readable: true, writable: true }); // owns it now
    try {
      expectEbadf(await rejection(stale, 2000));
      expect(cfd).toBe(fd);
      const got = new Promise<Buffer>((resolve) => ns.once('data', resolve));
      d.settimeout(5);
      d.send(Buffer.from('to net'));
      expect(await bounded(got, 3000, 'the net.Socket read')).toEqual(Buffer.from('to net'));
    } finally {
      await new Promise<void>((r) => ns.destroy().once('close', () => r()));
    }
  });

  it('a wait that settled leaves the fd to a reading net.Socket (it receives the data)', async () => {
    for (const how of ['resolved', 'aborted', 'sendall-waited']) {
      const [a, b] = spair();
      if (how === 'resolved') {
        const p = loop.sock_recv(a, 10);
        expect(await state(p)).toBe('pending');
        b.send(Buffer.from('x'));
        expect(await bounded(p)).toEqual(Buffer.from('x'));
      } else if (how === 'aborted') {
        await rejection(loop.sock_recv(a, 10, { signal: AbortSignal.timeout(30) }));
      } else {
        const filled = fill(a);
        const p = loop.sock_sendall(a, Buffer.from('to b'));
        expect(await state(p)).toBe('pending');
        const got = recvExactly(b, filled + 4);
        await bounded(p);
        expect((await got).subarray(filled)).toEqual(Buffer.from('to b'));
      }
      const ns = new net.Socket({ fd: a.detach(), readable: true, writable: true });
      try {
        const got = new Promise<Buffer>((resolve) => ns.once('data', resolve));
        b.send(Buffer.from(`after ${how}`));
        expect(String(await bounded(got, 3000, `the net.Socket read after ${how}`))).toBe(`after ${how}`);
      } finally {
        await new Promise<void>((r) => ns.destroy().once('close', () => r()));
      }
    }
  });

  it('an fd a reading net.Socket already watches: OSError [Errno 17], no crash, no busy loop', async () => {
    const [a, b] = spair();
    const ns = new net.Socket({ fd: a.fileno(), readable: true, writable: true });
    const fromNet: Buffer[] = [];
    ns.on('data', (d) => fromNet.push(d));
    try {
      await delay(20);
      for (const call of [
        () => loop.sock_recv(a, 10),
        () => loop.sock_recv_into(a, Buffer.alloc(10)),
        () => loop.sock_recvfrom(a, 10),
        () => {
          fill(a);
          return loop.sock_sendall(a, Buffer.from('no room')); // waits for writability: the same fd
        },
      ]) {
        const e = await rejection(call(), 2000);
        expect(e).toBeInstanceOf(socket.OSError);
        expect(e.errno).toBe(17);
        expect(e.message).toMatch(/^\[Errno 17\] /);
      }
      // No busy loop: the process idles, and net still gets the data.
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await delay(300);
      const cpu = process.cpuUsage(cpu0);
      expect((cpu.user + cpu.system) / 1000).toBeLessThan((performance.now() - t0) * 0.6);
      b.send(Buffer.from('for net'));
      const t1 = performance.now();
      while (fromNet.length === 0 && performance.now() - t1 < 3000) await delay(10);
      expect(Buffer.concat(fromNet)).toEqual(Buffer.from('for net'));
    } finally {
      a.detach(); // the net.Socket closes the fd
      await new Promise<void>((r) => ns.destroy().once('close', () => r()));
    }
  });
});

// --------------------------------------------------------- scale and responsiveness

describe('many sockets', () => {
  it('200 concurrent clients against one async server: every payload comes back exactly', async () => {
    const N = 200;
    const l = listener(256);
    const address = l.getsockname() as [string, number];
    const sizeOf = (i: number) => (i * 7919) % 100_000; // 0 .. 99 999 bytes, client 0 sends nothing

    async function echo(conn: Socket): Promise<number> {
      let n = 0;
      for (let k = 0; k < 100_000; k++) {
        const d = await loop.sock_recv(conn, 1 << 16);
        if (d.length === 0) break;
        await loop.sock_sendall(conn, d);
        n += d.length;
      }
      conn.close();
      return n;
    }
    const server = (async () => {
      const handlers: Promise<number>[] = [];
      for (let i = 0; i < N; i++) {
        const [conn] = await loop.sock_accept(l);
        track(conn);
        handlers.push(echo(conn));
      }
      return Promise.all(handlers);
    })();
    async function client(i: number): Promise<Buffer> {
      const c = track(socket.socket());
      c.setblocking(false);
      await loop.sock_connect(c, address);
      const reading = recvUntilEof(c, 20_000);
      await loop.sock_sendall(c, pattern(sizeOf(i), i));
      c.shutdown(socket.SHUT_WR);
      const got = await reading;
      c.close();
      return got;
    }
    const t0 = performance.now();
    const got = await bounded(Promise.all(Array.from({ length: N }, (_, i) => client(i))), 20_000, '200 clients');
    const echoed = await bounded(server, 5000, 'the server');
    expect((performance.now() - t0) / 1000).toBeLessThan(20);
    for (let i = 0; i < N; i++) {
      const want = pattern(sizeOf(i), i);
      expect(got[i].length, `client ${i}`).toBe(want.length);
      expect(got[i].equals(want), `client ${i}`).toBe(true);
    }
    expect(echoed.reduce((s, n) => s + n, 0)).toBe(got.reduce((s, b) => s + b.length, 0));
  });

  it('the event loop stays responsive (timers fire, CPU idle) while 100 sockets wait', async () => {
    const pairs = Array.from({ length: 100 }, () => spair());
    const waits = pairs.map(([a]) => loop.sock_recv(a, 100));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await delay(500);
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    clearInterval(timer);
    expect(ticks).toBeGreaterThanOrEqual(15); // about 50 when nothing blocks
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(wall * 0.5); // waiting, not spinning
    for (const p of waits) expect(await state(p, 0)).toBe('pending');
    pairs.forEach(([, b], i) => b.send(Buffer.from(`message ${i}`)));
    const got = await bounded(Promise.all(waits));
    expect(got.map(String)).toEqual(pairs.map((_, i) => `message ${i}`));
  });

  it('waiting never uses the libuv thread pool: calls complete while every pool thread is busy', async () => {
    const threads = Number(process.env.UV_THREADPOOL_SIZE) || 4;
    // Calibrate a pbkdf2 that takes about 1.5 s on one pool thread.
    const t = performance.now();
    pbkdf2Sync('x', 'salt', 20_000, 32, 'sha512');
    const per = (performance.now() - t) / 20_000;
    const iterations = Math.max(20_000, Math.round(1500 / Math.max(per, 1e-6)));
    const busy = Array.from(
      { length: threads },
      () =>
        new Promise<void>((resolve, reject) =>
          pbkdf2('x', 'salt', iterations, 32, 'sha512', (e) => (e ? reject(e) : resolve())),
        ),
    );
    await delay(20);
    const statStart = performance.now();
    const fsDone = stat(import.meta.dirname ?? '.').then(() => performance.now() - statStart); // queued behind them

    const t0 = performance.now();
    const [a, b] = spair();
    const l = listener();
    const recv = loop.sock_recv(a, 10);
    const accept = loop.sock_accept(l);
    const c = track(socket.socket());
    c.setblocking(false);
    const connect = loop.sock_connect(c, l.getsockname() as [string, number]);
    setTimeout(() => b.send(Buffer.from('pool-free')), 50);
    expect(await bounded(recv, 5000)).toEqual(Buffer.from('pool-free'));
    await bounded(connect, 5000);
    const [conn] = await bounded(accept, 5000);
    track(conn);
    await bounded(loop.sock_sendall(conn, Buffer.from('ok')));
    expect(await bounded(loop.sock_recv(c, 10))).toEqual(Buffer.from('ok'));
    const loopMs = performance.now() - t0;
    const fsMs = await bounded(fsDone, 30_000, 'fs.stat');
    await bounded(Promise.all(busy), 30_000, 'pbkdf2');
    expect(fsMs).toBeGreaterThan(500); // the pool really was busy
    expect(loopMs).toBeLessThan(fsMs); // and the loop calls did not wait for it
  });
});
