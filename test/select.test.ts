// SEMANTICS §9 and §12: `sockmode/select`. select() on poll(2) (original
// objects back, input order, Python's timeouts and errors), the poll() object
// and epoll, differential against CPython's `select` module.
// Loopback only (socketpairs and 127.0.0.1). Every wait in this process has a
// timeout or something already ready; the EINTR scenario runs in a child.
import { closeSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import {
  epoll,
  EPOLLERR,
  EPOLLET,
  EPOLLHUP,
  EPOLLIN,
  EPOLLONESHOT,
  EPOLLOUT,
  EPOLLPRI,
  EPOLLRDHUP,
  poll,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  POLLOUT,
  POLLPRI,
  POLLRDHUP,
  select,
} from '../lib/select.js';
import { checkNoFdLeaks, fdCount, node, observe, outcome, python, root } from './helpers.js';

checkNoFdLeaks();

type Sock = socket.Socket;

/** A connected TCP pair on 127.0.0.1, both in timeout mode 5. */
function tcpPair(): [Sock, Sock] {
  const l = socket.socket();
  try {
    l.settimeout(5);
    l.bind(['127.0.0.1', 0]);
    l.listen();
    const c = socket.socket();
    try {
      c.settimeout(5);
      c.connect(l.getsockname() as [string, number]);
      const [s] = l.accept();
      s.settimeout(5);
      return [c, s];
    } catch (e) {
      c.close();
      throw e;
    }
  } finally {
    l.close();
  }
}

/** An fd number that is not open (a socket's, just closed; nothing opens in between). */
function closedFd(): number {
  const s = socket.socket();
  const fd = s.fileno();
  s.close();
  return fd;
}

/** A closed socket object (fileno() -1). */
function closedSocket(): Sock {
  const s = socket.socket();
  s.close();
  return s;
}

/** Fills s's send buffer: non-blocking sends until EAGAIN, bounded in count and time. */
function fill(s: Sock): number {
  s.setblocking(false);
  const chunk = Buffer.alloc(65536, 0x78);
  const t0 = performance.now();
  let n = 0;
  for (let i = 0; i < 10_000 && performance.now() - t0 < 5000; i++) {
    try {
      n += s.send(chunk);
    } catch (e) {
      if (e instanceof socket.BlockingIOError) return n;
      throw e;
    }
  }
  throw new Error('send buffer never filled');
}

/** The Python helper scripts' shared prelude: fill() as above. */
const PY_FILL = `
import select
def fill(s):
    s.setblocking(False)
    n = 0
    for i in range(10000):
        try:
            n += s.send(b'x' * 65536)
        except BlockingIOError:
            return n
    raise RuntimeError('send buffer never filled')
`;

/** Replaces whole-word fd numbers in an observation's message by labels (fd numbers differ between processes). */
function relabel<T extends { message?: string }>(o: T, labels: Record<number, string>): T {
  if (o.message === undefined) return o;
  let message = o.message;
  for (const [fd, name] of Object.entries(labels)) message = message.replace(new RegExp(`\\b${fd}\\b`, 'g'), name);
  return { ...o, message };
}

/** Compares one of our observations with CPython's; a TypeError's text is not compared (JS wording). */
function expectSame(ours: ReturnType<typeof outcome>, py: ReturnType<typeof outcome>) {
  if (py.error === 'TypeError') {
    expect(ours.ok).toBe(false);
    expect(ours.error).toBe('TypeError');
  } else {
    expect(ours).toEqual(py);
  }
}

describe('select()', () => {
  it('reports read and write readiness as CPython does (data, full buffer, EOF)', () => {
    const py = python(`${PY_FILL}
a, b = socket.socketpair()
objs = [a, b]
def sel():
    return [[objs.index(o) for o in l] for l in select.select(objs, objs, objs, 0)]
out = [sel()]
b.send(b'x'); out.append(sel())
a.recv(1); out.append(sel())
fill(a); out.append(sel())
b.shutdown(socket.SHUT_WR); out.append(sel())
a.close(); b.close()
return out`);
    const [a, b] = socket.socketpair();
    try {
      const objs = [a, b];
      const sel = () => select(objs, objs, objs, 0).map((l) => l.map((o) => objs.indexOf(o)));
      const ours = [sel()];
      b.send(Buffer.from('x'));
      ours.push(sel());
      a.recv(1);
      ours.push(sel());
      fill(a);
      ours.push(sel());
      b.shutdown(socket.SHUT_WR);
      ours.push(sel());
      expect(ours).toEqual(py);
      // the rows, spelled out
      expect(ours[0]).toEqual([[], [0, 1], []]);
      expect(ours[1]).toEqual([[0], [0, 1], []]);
      expect(ours[3]).toEqual([[1], [1], []]); // a's buffer full: b readable, a not writable
      expect(ours[4][0]).toContain(0); // EOF is readable
    } finally {
      a.close();
      b.close();
    }
  });

  it('reports TCP urgent data (MSG_OOB) in the exceptional list, as CPython does', () => {
    const py = python(`
import select
l = socket.create_server(('127.0.0.1', 0))
c = socket.create_connection(l.getsockname(), timeout=5)
l.settimeout(5)
s, _ = l.accept()
l.close()
objs = [c, s]
def lab(l):
    return [objs.index(o) for o in l]
def sel():
    return [lab(l) for l in select.select(objs, objs, objs, 0)]
out = [sel()]
c.send(b'!', socket.MSG_OOB)
out.append(lab(select.select([], [], [s], 5)[2]))
out.append(sel())
s.setblocking(False)
out.append(list(s.recv(1, socket.MSG_OOB)))
out.append(sel())
c.close(); s.close()
return out`);
    const [c, s] = tcpPair();
    try {
      const objs = [c, s];
      const lab = (l: Sock[]) => l.map((o) => objs.indexOf(o));
      const sel = () => select(objs, objs, objs, 0).map(lab);
      const ours: unknown[] = [sel()];
      c.send(Buffer.from('!'), socket.MSG_OOB);
      ours.push(lab(select([], [], [s], 5)[2]));
      ours.push(sel());
      s.setblocking(false); // timeout mode would wait for POLLIN first, which urgent data alone does not raise
      ours.push([...s.recv(1, socket.MSG_OOB)]);
      ours.push(sel());
      expect(ours).toEqual(py);
      expect(ours[0]).toEqual([[], [0, 1], []]);
      expect(ours[1]).toEqual([1]); // POLLPRI on the receiver
      expect(ours[3]).toEqual([0x21]);
      expect((ours[4] as number[][])[2]).toEqual([]); // urgent byte consumed
    } finally {
      c.close();
      s.close();
    }
  });

  it('returns the original objects in input order, fds and sockets mixed, duplicates kept', () => {
    const py = python(`
import select
a, b = socket.socketpair()
b.send(b'x')
af, bf = a.fileno(), b.fileno()
def lab(x):
    if x is a: return 'a'
    if x is b: return 'b'
    return {af: 'af', bf: 'bf'}[x]
r, w, x = select.select([b, af, a, bf, a], [a, af, b, a, bf], [a, af], 0)
out = [[lab(o) for o in l] for l in (r, w, x)]
a.close(); b.close()
return out`);
    const [a, b] = socket.socketpair();
    try {
      b.send(Buffer.from('x'));
      const af = a.fileno();
      const bf = b.fileno();
      const lab = (x: Sock | number) => (x === a ? 'a' : x === b ? 'b' : x === af ? 'af' : x === bf ? 'bf' : '?');
      const [r, w, x] = select<Sock | number, Sock | number, Sock | number>(
        [b, af, a, bf, a],
        [a, af, b, a, bf],
        [a, af],
        0,
      );
      expect([r, w, x].map((l) => l.map(lab))).toEqual(py);
      expect(r).toEqual([af, a, a]);
      expect(r[1]).toBe(a);
      expect(r[2]).toBe(a);
      expect(w[0]).toBe(a);
      expect(w[2]).toBe(b);
      expect(w).toEqual([a, af, b, a, bf]);
      expect(x).toEqual([]);
      // any iterable will do
      const [r2] = select(new Set([b, a]), [], [], 0);
      expect(r2).toEqual([a]);
      expect(r2[0]).toBe(a);
    } finally {
      a.close();
      b.close();
    }
  });

  it('null or an omitted timeout waits forever: returns at once when something is ready', () => {
    const [a, b] = socket.socketpair();
    try {
      b.send(Buffer.from('x'));
      for (const t of [null, undefined]) {
        const t0 = performance.now();
        const [r, w] = t === null ? select([a], [b], [], null) : select([a], [b], []);
        expect((performance.now() - t0) / 1000).toBeLessThan(1);
        expect(r[0]).toBe(a);
        expect(w[0]).toBe(b);
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it('timeout 0 polls; timeout t waits at least t, then returns three empty lists', () => {
    const [a, b] = socket.socketpair();
    try {
      let t0 = performance.now();
      expect(select([a, b], [], [a, b], 0)).toEqual([[], [], []]);
      expect((performance.now() - t0) / 1000).toBeLessThan(0.5);
      for (const t of [0.25, 0.0101]) {
        t0 = performance.now();
        expect(select([a, b], [], [a], t)).toEqual([[], [], []]);
        const elapsed = (performance.now() - t0) / 1000;
        expect(elapsed).toBeGreaterThanOrEqual(t);
        expect(elapsed).toBeLessThan(t + 2);
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it('a timeout ends early when an fd becomes ready (written by a child process)', async () => {
    const { spawn } = await import('node:child_process');
    const [a, b] = socket.socketpair();
    try {
      const t0 = performance.now();
      // The child gets b as its fd 3 and writes one byte after 0.3 s.
      const child = spawn('sh', ['-c', 'sleep 0.3; printf x >&3'], {
        stdio: ['ignore', 'ignore', 'ignore', b.fileno()],
      });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      const [r] = select([a], [], [], 5);
      const elapsed = (performance.now() - t0) / 1000;
      expect(r).toEqual([a]);
      expect(elapsed).toBeGreaterThanOrEqual(0.3);
      expect(elapsed).toBeLessThan(4);
      expect(a.recv(1).toString()).toBe('x');
      await exited;
    } finally {
      a.close();
      b.close();
    }
  });

  it('raises what CPython raises for bad timeouts and bad elements', () => {
    const cases = [
      'timeout -1',
      'timeout -0.5',
      'timeout NaN',
      'timeout Infinity',
      'timeout 1e20',
      'timeout str',
      'closed socket in r',
      'closed socket in w',
      'closed socket in x',
      'closed fd in r',
      'closed fd in w',
      'str element',
      'dict element',
      'float element',
      'fileno() returns a str',
      'fileno() returns -1',
    ];
    const py = python(
      `
import select
a, b = socket.socketpair()
c = socket.socket(); c.close()
d = socket.socket(); fd = d.fileno(); d.close()
class Str:
    def fileno(self): return 'x'
class Neg:
    def fileno(self): return -1
calls = {
    'timeout -1': lambda: select.select([a], [], [], -1),
    'timeout -0.5': lambda: select.select([a], [], [], -0.5),
    'timeout NaN': lambda: select.select([a], [], [], float('nan')),
    'timeout Infinity': lambda: select.select([a], [], [], float('inf')),
    'timeout 1e20': lambda: select.select([a], [], [], 1e20),
    'timeout str': lambda: select.select([a], [], [], '1'),
    'closed socket in r': lambda: select.select([a, c], [], [], 0),
    'closed socket in w': lambda: select.select([], [a, c], [], 0),
    'closed socket in x': lambda: select.select([], [], [c], 0),
    'closed fd in r': lambda: select.select([a, fd], [], [], 0),
    'closed fd in w': lambda: select.select([], [fd], [], 0),
    'str element': lambda: select.select(['x'], [], [], 0),
    'dict element': lambda: select.select([{}], [], [], 0),
    'float element': lambda: select.select([1.5], [], [], 0),
    'fileno() returns a str': lambda: select.select([Str()], [], [], 0),
    'fileno() returns -1': lambda: select.select([Neg()], [], [], 0),
}
out = [observe(calls[name]) for name in arg]
a.close(); b.close()
return out`,
      cases,
    );
    const [a, b] = socket.socketpair();
    try {
      const c = closedSocket();
      const fd = closedFd();
      const any = select as (...args: unknown[]) => unknown;
      const calls: Record<string, () => unknown> = {
        'timeout -1': () => select([a], [], [], -1),
        'timeout -0.5': () => select([a], [], [], -0.5),
        'timeout NaN': () => select([a], [], [], NaN),
        'timeout Infinity': () => select([a], [], [], Infinity),
        'timeout 1e20': () => select([a], [], [], 1e20),
        'timeout str': () => any([a], [], [], '1'),
        'closed socket in r': () => select([a, c], [], [], 0),
        'closed socket in w': () => select([], [a, c], [], 0),
        'closed socket in x': () => select([], [], [c], 0),
        'closed fd in r': () => select([a, fd], [], [], 0),
        'closed fd in w': () => select([], [fd], [], 0),
        'str element': () => any(['x'], [], [], 0),
        'dict element': () => any([{}], [], [], 0),
        'float element': () => any([1.5], [], [], 0),
        'fileno() returns a str': () => any([{ fileno: () => 'x' }], [], [], 0),
        'fileno() returns -1': () => any([{ fileno: () => -1 }], [], [], 0),
      };
      cases.forEach((name, i) => {
        const ours = outcome(observe(calls[name]));
        expect(py[i].ok, name).toBe(false);
        expectSame(ours, outcome(py[i]));
      });
      // the contract's texts, spelled out
      expect(() => select([a], [], [], -1)).toThrow(new RangeError('timeout must be non-negative'));
      expect(() => select([c], [], [], 0)).toThrow(new RangeError('file descriptor cannot be a negative integer (-1)'));
      const o = observe(() => select([fd], [], [], 0));
      expect(o).toMatchObject({ ok: false, error: 'OSError', errno: 9, message: '[Errno 9] Bad file descriptor' });
    } finally {
      a.close();
      b.close();
    }
  });

  it('retries EINTR with the remaining time (select, poll and epoll, in a child hit by signals)', () => {
    // The child waits 0.5 s on an fd that never gets ready while a shell sends it
    // SIGUSR2 every 50 ms for 1.5 s. Retrying with the remaining time returns after
    // 0.5 s; restarting with the full time would not return before the signals stop
    // (>= 2 s); not retrying at all would return early or raise InterruptedError.
    const r = node(
      `
const { select, poll, epoll, POLLIN } = await import(arg.select);
const { spawn } = await import('node:child_process');
let signals = 0;
process.on('SIGUSR2', () => { signals++; });
const [a, b] = socket.socketpair();
const p = poll(); p.register(a, POLLIN);
const ep = new epoll(); ep.register(a.fileno(), 1);
const calls = {
  select: () => select([a], [], [a], 0.5),
  poll: () => p.poll(500),
  epoll: () => ep.poll(0.5),
};
const out = {};
for (const [name, fn] of Object.entries(calls)) {
  const sender = spawn('sh', ['-c', 'i=0; while [ $i -lt 30 ]; do sleep 0.05; kill -USR2 ' + process.pid + ' || exit 0; i=$((i+1)); done'], { stdio: 'ignore' });
  const done = new Promise((resolve) => sender.on('exit', resolve));
  await new Promise((resolve) => setTimeout(resolve, 120)); // the sender is running
  const before = signals;
  out[name] = observe(fn);
  await new Promise((resolve) => setTimeout(resolve, 100)); // listeners run after the call
  out[name].signals = signals - before;
  await done;
}
ep.close(); a.close(); b.close();
return out;`,
      { select: join(root, 'dist', 'select.js') },
      30_000,
    );
    for (const name of ['select', 'poll', 'epoll']) {
      const o = r[name];
      expect(o.ok, `${name}: ${o.error} ${o.message}`).toBe(true);
      expect(o.value, name).toEqual(name === 'select' ? [[], [], []] : []);
      expect(o.elapsed, name).toBeGreaterThanOrEqual(0.5);
      expect(o.elapsed, name).toBeLessThan(1.6);
      expect(o.signals, `${name}: signals arrived during the call`).toBeGreaterThan(0);
    }
  });

  it('does not leak fds and accepts up to the highest fd', () => {
    const before = fdCount();
    const pairs = Array.from({ length: 20 }, () => socket.socketpair());
    try {
      const all = pairs.flat();
      pairs[19][1].send(Buffer.from('z'));
      const [r, w] = select(all, all, all, 1);
      expect(r).toEqual([pairs[19][0]]);
      expect(w.length).toBe(40);
    } finally {
      for (const s of pairs.flat()) s.close();
    }
    expect(fdCount()).toBe(before);
  });
});

describe('poll()', () => {
  it('constants are the platform values CPython has', () => {
    const py = python(`
import select
return [select.POLLIN, select.POLLPRI, select.POLLOUT, select.POLLERR, select.POLLHUP, select.POLLNVAL, select.POLLRDHUP]`);
    expect([POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDHUP]).toEqual(py);
    expect(py).toEqual([1, 2, 4, 8, 16, 32, 0x2000]);
  });

  it('register (default mask, overwrite), modify, unregister, POLLHUP and POLLNVAL as in CPython', () => {
    const py = python(`
import select
a, b = socket.socketpair()
af, bf = a.fileno(), b.fileno()
def lab(pairs):
    return sorted([[{af: 'a', bf: 'b'}[fd], ev] for fd, ev in pairs])
p = select.poll()
out = []
p.register(a); out.append(lab(p.poll(0)))
b.send(b'x'); out.append(lab(p.poll(0)))
p.register(a, select.POLLIN); out.append(lab(p.poll(0)))
p.modify(a, select.POLLOUT); out.append(lab(p.poll(0)))
p.register(b, select.POLLIN | select.POLLOUT); out.append(lab(p.poll(0)))
p.unregister(a); out.append(lab(p.poll(0)))
p.register(a, select.POLLIN | select.POLLRDHUP)
b.close(); out.append(lab(p.poll(0)))
p.unregister(bf)
a.recv(1); out.append(lab(p.poll(0)))
a.close()
return out`);
    const [a, b] = socket.socketpair();
    try {
      const af = a.fileno();
      const bf = b.fileno();
      const lab = (pairs: [number, number][]) =>
        pairs.map(([fd, ev]) => [fd === af ? 'a' : fd === bf ? 'b' : String(fd), ev]).sort();
      const p = poll();
      const ours: unknown[] = [];
      p.register(a);
      ours.push(lab(p.poll(0)));
      b.send(Buffer.from('x'));
      ours.push(lab(p.poll(0)));
      p.register(a, POLLIN);
      ours.push(lab(p.poll(0)));
      p.modify(a, POLLOUT);
      ours.push(lab(p.poll(0)));
      p.register(b, POLLIN | POLLOUT);
      ours.push(lab(p.poll(0)));
      p.unregister(a);
      ours.push(lab(p.poll(0)));
      p.register(a, POLLIN | POLLRDHUP!);
      b.close();
      ours.push(lab(p.poll(0)));
      p.unregister(bf);
      a.recv(1);
      ours.push(lab(p.poll(0)));
      expect(ours).toEqual(py);
      // spelled out
      expect(ours[0]).toEqual([['a', POLLOUT]]); // default mask POLLIN|POLLPRI|POLLOUT, nothing to read
      expect(ours[1]).toEqual([['a', POLLIN | POLLOUT]]);
      expect(ours[2]).toEqual([['a', POLLIN]]); // re-register overwrote the mask
      expect(ours[6]).toContainEqual(['b', POLLNVAL]); // b closed while registered
      const [, aEv] = (ours[6] as [string, number][]).find(([l]) => l === 'a')!;
      expect(aEv & POLLHUP).toBe(POLLHUP);
      expect(aEv & POLLRDHUP!).toBe(POLLRDHUP);
    } finally {
      a.close();
      b.close();
    }
  });

  it('accepts sockets and fds alike', () => {
    const [a, b] = socket.socketpair();
    try {
      const p = poll();
      p.register(a, POLLOUT);
      p.register(b.fileno(), POLLOUT);
      expect(p.poll(0).sort()).toEqual(
        [
          [a.fileno(), POLLOUT],
          [b.fileno(), POLLOUT],
        ].sort(),
      );
      p.unregister(a.fileno());
      p.unregister(b);
      expect(p.poll(0)).toEqual([]);
    } finally {
      a.close();
      b.close();
    }
  });

  it('raises what CPython raises (unknown fds, timeouts out of range, bad arguments)', () => {
    const cases = [
      'modify unknown',
      'unregister unknown',
      'poll(2**31)',
      'poll(str)',
      'register closed socket',
      'register str',
      'register mask -1',
      'register mask 0x10000',
    ];
    const py = python(
      `
import select
a, b = socket.socketpair()
c = socket.socket(); c.close()
p = select.poll()
p.register(a, select.POLLOUT)
calls = {
    'modify unknown': lambda: p.modify(b, select.POLLIN),
    'unregister unknown': lambda: p.unregister(b),
    'poll(2**31)': lambda: p.poll(2**31),
    'poll(str)': lambda: p.poll('1'),
    'register closed socket': lambda: p.register(c),
    'register str': lambda: p.register('x'),
    'register mask -1': lambda: p.register(b, -1),
    'register mask 0x10000': lambda: p.register(b, 0x10000),
}
out = [observe(calls[name]) for name in arg]
out = [dict(o, message=o['message'].replace(str(b.fileno()), 'b')) if not o['ok'] else o for o in out]
a.close(); b.close()
return out`,
      cases,
    );
    const [a, b] = socket.socketpair();
    try {
      const c = closedSocket();
      const p = poll();
      p.register(a, POLLOUT); // ready: a wrongly accepted timeout returns at once instead of blocking
      const any = p as unknown as Record<string, (...args: unknown[]) => unknown>;
      const calls: Record<string, () => unknown> = {
        'modify unknown': () => p.modify(b, POLLIN),
        'unregister unknown': () => p.unregister(b),
        'poll(2**31)': () => p.poll(2 ** 31),
        'poll(str)': () => any.poll.call(p, '1'),
        'register closed socket': () => p.register(c),
        'register str': () => any.register.call(p, 'x'),
        'register mask -1': () => p.register(b, -1),
        'register mask 0x10000': () => p.register(b, 0x10000),
      };
      cases.forEach((name, i) => {
        const ours = relabel(outcome(observe(calls[name])), { [b.fileno()]: 'b' });
        expect(py[i].ok, name).toBe(false);
        // the eventmask range texts are CPython's argument-parser wording: compare the class
        if (name.startsWith('register mask')) expect([name, ours.error]).toEqual([name, 'RangeError']);
        else expectSame(ours, outcome(py[i]));
      });
      expect(observe(() => p.modify(b, POLLIN))).toMatchObject({
        error: 'FileNotFoundError',
        errno: 2,
        message: '[Errno 2] No such file or directory',
      });
      expect(() => p.unregister(b)).toThrow(socket.KeyError);
      expect(() => p.poll(2 ** 31)).toThrow(new RangeError('timeout is too large'));
    } finally {
      a.close();
      b.close();
    }
  });

  it("poll(ms) below the 32-bit range is RangeError('timeout is too large'), as in CPython", () => {
    const py = python(
      `
import select
a, b = socket.socketpair()
p = select.poll()
p.register(a, select.POLLOUT)
out = [observe(lambda: p.poll(t)) for t in arg]
a.close(); b.close()
return out`,
      [-(2 ** 31) - 1, -(2 ** 40)],
    );
    const [a, b] = socket.socketpair();
    try {
      const p = poll();
      p.register(a, POLLOUT); // ready: a wrongly accepted timeout returns at once instead of blocking
      const ours = [-(2 ** 31) - 1, -(2 ** 40)].map((t) => outcome(observe(() => p.poll(t))));
      expect(ours).toEqual(py.map(outcome));
      expect(ours[0]).toMatchObject({ ok: false, error: 'RangeError', message: 'timeout is too large' });
    } finally {
      a.close();
      b.close();
    }
  });

  it('poll(null), poll(), poll(negative) wait forever (return at once when ready); poll(0) polls; poll(ms) waits', () => {
    const [a, b] = socket.socketpair();
    try {
      const p = poll();
      p.register(a, POLLOUT);
      for (const t of [null, undefined, -1, -1000.5]) {
        const t0 = performance.now();
        expect(t === undefined ? p.poll() : p.poll(t)).toEqual([[a.fileno(), POLLOUT]]);
        expect((performance.now() - t0) / 1000).toBeLessThan(1);
      }
      p.modify(a, POLLIN);
      let t0 = performance.now();
      expect(p.poll(0)).toEqual([]);
      expect((performance.now() - t0) / 1000).toBeLessThan(0.5);
      for (const ms of [250, 10.2]) {
        t0 = performance.now();
        expect(p.poll(ms)).toEqual([]);
        const elapsed = performance.now() - t0;
        expect(elapsed).toBeGreaterThanOrEqual(ms);
        expect(elapsed).toBeLessThan(ms + 2000);
      }
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('epoll', () => {
  it('constants are the platform values CPython has', () => {
    const py = python(`
import select
return [select.EPOLLIN, select.EPOLLOUT, select.EPOLLPRI, select.EPOLLERR, select.EPOLLHUP, select.EPOLLRDHUP, select.EPOLLET, select.EPOLLONESHOT]`);
    expect([EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLERR, EPOLLHUP, EPOLLRDHUP, EPOLLET, EPOLLONESHOT]).toEqual(py);
  });

  it('register (default mask), modify, unregister and poll as in CPython', () => {
    const py = python(`
import select
a, b = socket.socketpair()
af, bf = a.fileno(), b.fileno()
def lab(pairs):
    return sorted([[{af: 'a', bf: 'b'}[fd], ev] for fd, ev in pairs])
ep = select.epoll()
out = []
ep.register(a, select.EPOLLIN); out.append(lab(ep.poll(0)))
b.send(b'x'); out.append(lab(ep.poll(0)))
ep.modify(a, select.EPOLLIN | select.EPOLLOUT); out.append(lab(ep.poll(0)))
ep.register(b); out.append(lab(ep.poll(0)))
ep.unregister(a); out.append(lab(ep.poll(0)))
ep.register(a, select.EPOLLIN | select.EPOLLRDHUP)
b.shutdown(socket.SHUT_WR); out.append(lab(ep.poll(0)))
ep.close(); a.close(); b.close()
return out`);
    const [a, b] = socket.socketpair();
    const ep = new epoll();
    try {
      const af = a.fileno();
      const bf = b.fileno();
      const lab = (pairs: [number, number][]) =>
        pairs.map(([fd, ev]) => [fd === af ? 'a' : fd === bf ? 'b' : String(fd), ev]).sort();
      const ours: unknown[] = [];
      ep.register(a, EPOLLIN);
      ours.push(lab(ep.poll(0)));
      b.send(Buffer.from('x'));
      ours.push(lab(ep.poll(0)));
      ep.modify(a, EPOLLIN | EPOLLOUT);
      ours.push(lab(ep.poll(0)));
      ep.register(b);
      ours.push(lab(ep.poll(0)));
      ep.unregister(a);
      ours.push(lab(ep.poll(0)));
      ep.register(a.fileno(), EPOLLIN | EPOLLRDHUP);
      b.shutdown(socket.SHUT_WR);
      ours.push(lab(ep.poll(0)));
      expect(ours).toEqual(py);
      expect(ours[1]).toEqual([['a', EPOLLIN]]);
      expect(ours[3]).toEqual([
        ['a', EPOLLIN | EPOLLOUT],
        ['b', EPOLLOUT],
      ]); // default mask: IN|PRI|OUT
    } finally {
      ep.close();
      a.close();
      b.close();
    }
  });

  it('EPOLLET reports an edge once; EPOLLONESHOT disarms until modify (as CPython)', () => {
    const py = python(`
import select
a, b = socket.socketpair()
ep = select.epoll()
ep.register(a, select.EPOLLIN | select.EPOLLET)
lt = select.epoll()
lt.register(a, select.EPOLLIN)
n = lambda e: [ev for fd, ev in e.poll(0)]
out = []
b.send(b'x'); out.append([n(ep), n(ep), n(lt), n(lt)])
b.send(b'y'); out.append([n(ep), n(ep)])
ep.modify(a, select.EPOLLIN | select.EPOLLONESHOT)
out.append([n(ep), n(ep)])
b.send(b'z'); out.append([n(ep)])
ep.modify(a, select.EPOLLIN | select.EPOLLONESHOT)
out.append([n(ep), n(ep)])
ep.close(); lt.close(); a.close(); b.close()
return out`);
    const [a, b] = socket.socketpair();
    const ep = new epoll();
    const lt = new epoll();
    try {
      ep.register(a, (EPOLLIN | EPOLLET) >>> 0); // EPOLLET is bit 31: the unsigned form of the mask
      expect(EPOLLET).toBe(2 ** 31);
      lt.register(a, EPOLLIN);
      const n = (e: epoll) => e.poll(0).map(([, ev]) => ev);
      const ours: unknown[] = [];
      b.send(Buffer.from('x'));
      ours.push([n(ep), n(ep), n(lt), n(lt)]);
      b.send(Buffer.from('y'));
      ours.push([n(ep), n(ep)]);
      ep.modify(a, EPOLLIN | EPOLLONESHOT);
      ours.push([n(ep), n(ep)]);
      b.send(Buffer.from('z'));
      ours.push([n(ep)]);
      ep.modify(a, EPOLLIN | EPOLLONESHOT);
      ours.push([n(ep), n(ep)]);
      expect(ours).toEqual(py);
      expect(ours[0]).toEqual([[EPOLLIN], [], [EPOLLIN], [EPOLLIN]]); // edge once, level every time
      expect(ours[1]).toEqual([[EPOLLIN], []]); // a new edge
      expect(ours[2]).toEqual([[EPOLLIN], []]); // one shot, then disarmed
      expect(ours[3]).toEqual([[]]); // still disarmed though more data came
      expect(ours[4]).toEqual([[EPOLLIN], []]); // modify re-arms
    } finally {
      ep.close();
      lt.close();
      a.close();
      b.close();
    }
  });

  it('accepts EPOLLIN | EPOLLET as JS computes it (a negative int32), as CPython accepts the bits', () => {
    // In JS, x | EPOLLET is a signed 32-bit result (-2147483647 for EPOLLIN): the
    // same 32 bits as CPython's EPOLLIN | EPOLLET == 2147483649.
    expect(EPOLLIN | EPOLLET).toBe((EPOLLIN + 2 ** 31) | 0);
    const [a, b] = socket.socketpair();
    const ep = new epoll();
    try {
      ep.register(a, EPOLLIN | EPOLLET);
      b.send(Buffer.from('x'));
      expect(ep.poll(0)).toEqual([[a.fileno(), EPOLLIN]]);
      expect(ep.poll(0)).toEqual([]); // edge-triggered: reported once
      ep.modify(a, EPOLLIN | EPOLLONESHOT | EPOLLET);
      b.send(Buffer.from('y'));
      expect(ep.poll(0)).toEqual([[a.fileno(), EPOLLIN]]);
    } finally {
      ep.close();
      a.close();
      b.close();
    }
  });

  it('poll(timeout seconds, maxevents)', () => {
    const pairs = [socket.socketpair(), socket.socketpair(), socket.socketpair()];
    const ep = new epoll();
    try {
      for (const [a] of pairs) ep.register(a, EPOLLOUT);
      expect(ep.poll(0).length).toBe(3);
      expect(ep.poll(0, 2).length).toBe(2);
      expect(ep.poll(0, 1).length).toBe(1);
      expect(ep.poll(0, -1).length).toBe(3);
      const fds = new Set(pairs.map(([a]) => a.fileno()));
      for (const [fd, ev] of ep.poll(0, 3)) {
        expect(fds.has(fd)).toBe(true);
        expect(ev).toBe(EPOLLOUT);
      }
      for (const t of [null, undefined, -1, -0.001]) {
        const t0 = performance.now();
        expect((t === undefined ? ep.poll() : ep.poll(t)).length).toBe(3);
        expect((performance.now() - t0) / 1000).toBeLessThan(1);
      }
      for (const [a] of pairs) ep.modify(a, EPOLLIN);
      let t0 = performance.now();
      expect(ep.poll(0)).toEqual([]);
      expect((performance.now() - t0) / 1000).toBeLessThan(0.5);
      for (const t of [0.25, 0.0101]) {
        t0 = performance.now();
        expect(ep.poll(t)).toEqual([]);
        const elapsed = (performance.now() - t0) / 1000;
        expect(elapsed).toBeGreaterThanOrEqual(t);
        expect(elapsed).toBeLessThan(t + 2);
      }
    } finally {
      ep.close();
      for (const s of pairs.flat()) s.close();
    }
  });

  it('raises what CPython raises (EEXIST, ENOENT, EBADF, EPERM, maxevents, closed epoll)', () => {
    const cases = [
      'register twice',
      'modify unknown',
      'unregister unknown',
      'register closed fd',
      'register closed socket',
      'register regular file',
      'poll maxevents 0',
      'poll maxevents -2',
      'poll str timeout',
      'closed: register',
      'closed: modify',
      'closed: unregister',
      'closed: poll',
      'closed: fileno',
      'closed: close again',
    ];
    const py = python(
      `
import select
ep = select.epoll()
a, b = socket.socketpair()
f = os.open(arg['file'], os.O_RDONLY)
c = socket.socket(); c.close()
d = socket.socket(); fd = d.fileno(); d.close()
ep.register(a)
calls = {
    'register twice': lambda: ep.register(a),
    'modify unknown': lambda: ep.modify(b, select.EPOLLIN),
    'unregister unknown': lambda: ep.unregister(b),
    'register closed fd': lambda: ep.register(fd),
    'register closed socket': lambda: ep.register(c),
    'register regular file': lambda: ep.register(f),
    'poll maxevents 0': lambda: ep.poll(0, 0),
    'poll maxevents -2': lambda: ep.poll(0, -2),
    'poll str timeout': lambda: ep.poll('1'),
    'closed: register': lambda: ep.register(b),
    'closed: modify': lambda: ep.modify(a, select.EPOLLIN),
    'closed: unregister': lambda: ep.unregister(a),
    'closed: poll': lambda: ep.poll(0),
    'closed: fileno': lambda: ep.fileno(),
    'closed: close again': lambda: ep.close(),
}
out = []
for name in arg['cases']:
    if name.startswith('closed:') and not ep.closed:
        ep.close()
    out.append(observe(calls[name]))
os.close(f); a.close(); b.close()
return [out, ep.closed]`,
      { cases, file: join(root, 'package.json') },
    );
    const ep = new epoll();
    const [a, b] = socket.socketpair();
    const f = openSync(join(root, 'package.json'), 'r');
    try {
      const c = closedSocket();
      const fd = closedFd();
      ep.register(a);
      const any = ep as unknown as Record<string, (...args: unknown[]) => unknown>;
      const calls: Record<string, () => unknown> = {
        'register twice': () => ep.register(a),
        'modify unknown': () => ep.modify(b, EPOLLIN),
        'unregister unknown': () => ep.unregister(b),
        'register closed fd': () => ep.register(fd),
        'register closed socket': () => ep.register(c),
        'register regular file': () => ep.register(f),
        'poll maxevents 0': () => ep.poll(0, 0),
        'poll maxevents -2': () => ep.poll(0, -2),
        'poll str timeout': () => any.poll.call(ep, '1'),
        'closed: register': () => ep.register(b),
        'closed: modify': () => ep.modify(a, EPOLLIN),
        'closed: unregister': () => ep.unregister(a),
        'closed: poll': () => ep.poll(0),
        'closed: fileno': () => ep.fileno(),
        'closed: close again': () => ep.close(),
      };
      const ours = cases.map((name) => {
        if (name.startsWith('closed:') && !ep.closed) ep.close();
        return outcome(observe(calls[name]));
      });
      const [pyOut, pyClosed] = py;
      cases.forEach((name, i) => {
        expect([name, pyOut[i].ok]).toEqual([name, name === 'closed: close again']);
        expectSame(ours[i], outcome(pyOut[i]));
      });
      expect(ep.closed).toBe(pyClosed);
      // spelled out
      expect(ours[0]).toMatchObject({ error: 'FileExistsError', errno: 17, message: '[Errno 17] File exists' });
      expect(ours[1]).toMatchObject({ error: 'FileNotFoundError', errno: 2 });
      expect(ours[2]).toMatchObject({ error: 'FileNotFoundError', errno: 2 });
      expect(ours[9]).toMatchObject({ error: 'RangeError', message: 'I/O operation on closed epoll object' });
    } finally {
      ep.close();
      closeSync(f);
      a.close();
      b.close();
    }
  });

  it('fileno, closed, close twice, using; the epoll fd is close-on-exec', () => {
    const before = fdCount();
    const ep = new epoll();
    expect(fdCount()).toBe(before + 1);
    const fd = ep.fileno();
    expect(Number.isInteger(fd) && fd >= 0).toBe(true);
    expect(ep.closed).toBe(false);
    const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    const flags = parseInt(/^flags:\s*([0-7]+)/m.exec(info)![1], 8);
    expect(flags & 0o2000000).toBe(0o2000000); // O_CLOEXEC
    expect(readlinkSync(`/proc/self/fd/${fd}`)).toBe('anon_inode:[eventpoll]');
    ep.close();
    expect(ep.closed).toBe(true);
    expect(fdCount()).toBe(before);
    expect(() => ep.close()).not.toThrow();
    expect(() => ep.fileno()).toThrow(new RangeError('I/O operation on closed epoll object'));
    {
      using ep2 = new epoll();
      expect(ep2.closed).toBe(false);
      expect(fdCount()).toBe(before + 1);
    }
    expect(fdCount()).toBe(before);
  });
});
