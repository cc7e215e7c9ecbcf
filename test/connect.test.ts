// SEMANTICS §3 "connect": the connect table in the three modes, and
// connect_ex's return values. Loopback only. In-process calls are in timeout
// or non-blocking mode; blocking connects run in a child under a watchdog.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import {
  checkNoFdLeaks,
  fullListener,
  node,
  observe,
  outcome,
  python,
  refusedAddress,
  root,
  sleep,
} from './helpers.js';

checkNoFdLeaks();

/** A real listener on 127.0.0.1 (timeout mode, so an accept is bounded). */
function listener(): { sock: socket.Socket; address: [string, number]; close(): void } {
  const sock = socket.socket();
  sock.settimeout(5);
  sock.bind(['127.0.0.1', 0]);
  sock.listen();
  return { sock, address: sock.getsockname() as [string, number], close: () => sock.close() };
}

/** Waits (bounded) until a pending non-blocking connect has completed: getpeername stops raising ENOTCONN. */
function waitConnected(s: socket.Socket, limitMs = 3000): boolean {
  const t0 = performance.now();
  for (let i = 0; i < 1000 && performance.now() - t0 < limitMs; i++) {
    try {
      s.getpeername();
      return true;
    } catch (e) {
      if ((e as socket.OSError).errno !== 107) throw e;
    }
    sleep(5);
  }
  return false;
}

describe('blocking connect (in a child)', () => {
  it('refused: ConnectionRefusedError [Errno 111] at once, as CPython', () => {
    const refused = refusedAddress();
    try {
      const py = python(
        `
s = socket.socket()
s.settimeout(None)
o = observe(lambda: s.connect(tuple(arg)))
s.close()
return o`,
        refused.address,
      );
      const ours = node(
        `
const s = socket.socket();
const o = observe(() => s.connect(arg));
const mode = [s.gettimeout(), socket.get_blocking(s.fileno())];
s.close();
return { o, mode };`,
        refused.address,
      );
      expect(ours.mode).toEqual([null, true]);
      expect(outcome(ours.o)).toEqual(outcome(py));
      expect(ours.o).toMatchObject({
        ok: false,
        error: 'ConnectionRefusedError',
        errno: 111,
        message: '[Errno 111] Connection refused',
      });
      expect(ours.o.elapsed).toBeLessThan(1);
    } finally {
      refused.close();
    }
  });

  it('to a listener: connects in the kernel and the peer is the listener', () => {
    const l = listener();
    try {
      const ours = node(
        `
const s = socket.socket();
const o = observe(() => s.connect(arg));
const peer = s.getpeername();
s.close();
return { o, peer };`,
        l.address,
      );
      expect(ours.o.ok).toBe(true);
      expect(ours.peer).toEqual(l.address);
      const [conn] = l.sock.accept();
      conn.close();
    } finally {
      l.close();
    }
  });

  it('to a listener that never answers: blocks in the kernel (the child is still in connect when killed)', () => {
    const full = fullListener();
    try {
      const code = `
import * as socket from ${JSON.stringify(join(root, 'dist', 'index.js'))};
const s = socket.socket();
console.log('connecting');
try { s.connect(${JSON.stringify(full.address)}); console.log('returned'); }
catch (e) { console.log('raised ' + e.name); }
process.exit(0);
`;
      const t0 = performance.now();
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
        encoding: 'utf8',
        timeout: 1500,
        killSignal: 'SIGKILL',
      });
      const elapsed = (performance.now() - t0) / 1000;
      expect(r.stdout).toContain('connecting');
      expect(r.stdout).not.toContain('returned');
      expect(r.stdout).not.toContain('raised');
      expect(r.signal).toBe('SIGKILL');
      expect(elapsed).toBeGreaterThanOrEqual(1.4);
    } finally {
      full.close();
    }
  });
});

describe('timeout-mode connect', () => {
  it("no answer: TimeoutError('timed out') with errno null, after the timeout, as CPython", () => {
    const full = fullListener();
    try {
      const timeout = 0.5;
      const py = python(
        `
s = socket.socket()
s.settimeout(arg[1])
o = observe(lambda: s.connect(tuple(arg[0])))
s.close()
return o`,
        [full.address, timeout],
      );
      using s = socket.socket();
      s.settimeout(timeout);
      let err: unknown;
      const o = observe(() => {
        try {
          s.connect(full.address);
        } catch (e) {
          err = e;
          throw e;
        }
      });
      expect(outcome(o)).toEqual(outcome(py));
      expect(o).toMatchObject({ ok: false, error: 'TimeoutError', errno: null, message: 'timed out' });
      expect(err).toBeInstanceOf(socket.TimeoutError);
      expect(err).toBeInstanceOf(socket.timeout);
      expect(err).toBeInstanceOf(socket.OSError);
      expect((err as socket.OSError).strerror).toBe(null);
      expect(o.elapsed).toBeGreaterThanOrEqual(timeout);
      expect(o.elapsed).toBeLessThan(timeout + 1.5);
      // the object keeps its mode
      expect([s.gettimeout(), s.getblocking()]).toEqual([timeout, true]);
    } finally {
      full.close();
    }
  });

  it('refused: ConnectionRefusedError without waiting, as CPython', () => {
    const refused = refusedAddress();
    try {
      const py = python(
        `
s = socket.socket()
s.settimeout(5)
o = observe(lambda: s.connect(tuple(arg)))
s.close()
return o`,
        refused.address,
      );
      using s = socket.socket();
      s.settimeout(5);
      const o = observe(() => s.connect(refused.address));
      expect(outcome(o)).toEqual(outcome(py));
      expect(o).toMatchObject({ ok: false, error: 'ConnectionRefusedError', errno: 111 });
      expect(o.elapsed).toBeLessThan(1);
    } finally {
      refused.close();
    }
  });

  it('to a listener: connects; like the kernel, one more connect succeeds, then OSError [Errno 106], as CPython', () => {
    // connect(2) returned EINPROGRESS and the library waited: the kernel
    // reports the completion to the next connect(2) (0), then EISCONN.
    const l = listener();
    try {
      const py = python(
        `
s = socket.socket()
s.settimeout(5)
out = [observe(lambda: s.connect(tuple(arg))) for _ in range(3)]
s.close()
return out`,
        l.address,
      );
      l.sock.accept()[0].close();
      using s = socket.socket();
      s.settimeout(5);
      const ours = [0, 1, 2].map(() => observe(() => s.connect(l.address)));
      expect(ours.map(outcome)).toEqual(py.map(outcome));
      expect(ours[0].ok).toBe(true);
      expect(ours[0].elapsed).toBeLessThan(1);
      expect(ours[1].ok).toBe(true);
      expect(ours[2]).toMatchObject({
        ok: false,
        error: 'OSError',
        errno: 106,
        message: '[Errno 106] Transport endpoint is already connected',
      });
      expect(s.getpeername()).toEqual(l.address);
      const [conn, addr] = l.sock.accept();
      conn.close();
      expect(addr).toEqual(s.getsockname());
    } finally {
      l.close();
    }
  });

  it('a timeout set by setdefaulttimeout applies to connect', () => {
    const full = fullListener();
    try {
      socket.setdefaulttimeout(0.3);
      using s = socket.socket();
      socket.setdefaulttimeout(null);
      const o = observe(() => s.connect(full.address));
      expect(o).toMatchObject({ ok: false, error: 'TimeoutError', errno: null, message: 'timed out' });
      expect(o.elapsed).toBeGreaterThanOrEqual(0.3);
      expect(o.elapsed).toBeLessThan(0.3 + 1.5);
    } finally {
      full.close();
    }
  });
});

describe('non-blocking connect', () => {
  it('115, then after completion one more connect succeeds, then 106 (real listener), as CPython', () => {
    const l = listener();
    try {
      const py = python(
        `
s = socket.socket()
s.setblocking(False)
out = [observe(lambda: s.connect(tuple(arg)))]
for _ in range(600):
    try:
        s.getpeername()
        break
    except OSError:
        time.sleep(0.005)
out.append(observe(lambda: s.connect(tuple(arg))))
out.append(observe(lambda: s.connect(tuple(arg))))
s.close()
return out`,
        l.address,
      );
      l.sock.accept()[0].close();
      using s = socket.socket();
      s.setblocking(false);
      const ours = [observe(() => s.connect(l.address))];
      expect(ours[0]).toMatchObject({
        ok: false,
        error: 'BlockingIOError',
        errno: 115,
        message: '[Errno 115] Operation now in progress',
      });
      expect(ours[0].elapsed).toBeLessThan(1);
      expect(waitConnected(s)).toBe(true);
      ours.push(observe(() => s.connect(l.address)));
      ours.push(observe(() => s.connect(l.address)));
      expect(ours[1].ok).toBe(true);
      expect(ours[2]).toMatchObject({
        ok: false,
        error: 'OSError',
        errno: 106,
        message: '[Errno 106] Transport endpoint is already connected',
      });
      expect(ours.map(outcome)).toEqual(py.map(outcome));
      // the connection is real
      const [conn, addr] = l.sock.accept();
      try {
        expect(addr).toEqual(s.getsockname());
        conn.settimeout(2);
        expect(s.send(Buffer.from('hi'))).toBe(2);
        expect(conn.recv(10).toString()).toBe('hi');
      } finally {
        conn.close();
      }
    } finally {
      l.close();
    }
  });

  it('while pending, a second connect is BlockingIOError [Errno 114], as CPython', () => {
    const full = fullListener();
    try {
      const py = python(
        `
s = socket.socket()
s.setblocking(False)
out = [observe(lambda: s.connect(tuple(arg))) for _ in range(3)]
s.close()
return out`,
        full.address,
      );
      using s = socket.socket();
      s.setblocking(false);
      const ours = [0, 1, 2].map(() => observe(() => s.connect(full.address)));
      expect(ours.map(outcome)).toEqual(py.map(outcome));
      expect(ours[0]).toMatchObject({ error: 'BlockingIOError', errno: 115 });
      expect(ours[1]).toMatchObject({
        error: 'BlockingIOError',
        errno: 114,
        message: '[Errno 114] Operation already in progress',
      });
      expect(ours[2]).toMatchObject({ error: 'BlockingIOError', errno: 114 });
      for (const o of ours) expect(o.elapsed).toBeLessThan(1);
    } finally {
      full.close();
    }
  });

  it('refused: ConnectionRefusedError [Errno 111] once the refusal arrives (connect_ex sees it too)', () => {
    const refused = refusedAddress();
    try {
      const py = python(
        `
s = socket.socket()
s.setblocking(False)
out = [s.connect_ex(tuple(arg))]
time.sleep(0.1)
out.append(s.connect_ex(tuple(arg)))
s.close()
return out`,
        refused.address,
      );
      using s = socket.socket();
      s.setblocking(false);
      const first = s.connect_ex(refused.address);
      sleep(100);
      const second = s.connect_ex(refused.address);
      expect([first, second]).toEqual(py);
      // On loopback the RST comes back within the first call or right after.
      expect([111, 115]).toContain(first);
      if (first === 115) expect(second).toBe(111);
    } finally {
      refused.close();
    }
  });
});

describe('connect_ex', () => {
  it('returns 0, 111, 115, 114, 106, 9 and 11 (timeout) where connect raises, as CPython', () => {
    const l = listener();
    const full = fullListener();
    const refused = refusedAddress();
    try {
      const arg = { listener: l.address, full: full.address, refused: refused.address };
      const py = python(
        `
L, F, R = tuple(arg["listener"]), tuple(arg["full"]), tuple(arg["refused"])
out = {}
s = socket.socket(); s.settimeout(5)
out["ok"] = [s.connect_ex(L), s.connect_ex(L), s.connect_ex(L)]
s.close()
s = socket.socket(); s.settimeout(5)
out["refused"] = s.connect_ex(R)
s.close()
s = socket.socket(); s.setblocking(False)
out["pending"] = [s.connect_ex(F), s.connect_ex(F)]
s.close()
s = socket.socket(); s.settimeout(0.3)
t0 = time.monotonic()
out["timeout"] = s.connect_ex(F)
out["elapsed"] = time.monotonic() - t0
s.close()
s = socket.socket(); s.close()
out["closed"] = s.connect_ex(L)
s = socket.socket(); s.settimeout(5); s.close()
out["closedTimeout"] = s.connect_ex(L)
return out`,
        arg,
      );
      const ours: Record<string, unknown> = {};
      {
        using s = socket.socket();
        s.settimeout(5);
        ours.ok = [s.connect_ex(l.address), s.connect_ex(l.address), s.connect_ex(l.address)];
      }
      {
        using s = socket.socket();
        s.settimeout(5);
        ours.refused = s.connect_ex(refused.address);
      }
      {
        using s = socket.socket();
        s.setblocking(false);
        ours.pending = [s.connect_ex(full.address), s.connect_ex(full.address)];
      }
      {
        using s = socket.socket();
        s.settimeout(0.3);
        const t0 = performance.now();
        ours.timeout = s.connect_ex(full.address);
        ours.elapsed = (performance.now() - t0) / 1000;
      }
      {
        const s = socket.socket();
        s.close();
        ours.closed = s.connect_ex(l.address);
      }
      {
        const s = socket.socket();
        s.settimeout(5);
        s.close();
        const t0 = performance.now();
        ours.closedTimeout = s.connect_ex(l.address);
        expect((performance.now() - t0) / 1000).toBeLessThan(1); // no wait on a closed socket
      }
      expect(ours.ok).toEqual([0, 0, 106]);
      expect(ours.refused).toBe(111);
      expect(ours.pending).toEqual([115, 114]);
      expect(ours.timeout).toBe(11);
      expect(ours.elapsed).toBeGreaterThanOrEqual(0.3);
      expect(ours.elapsed).toBeLessThan(0.3 + 1.5);
      expect(ours.closed).toBe(9);
      expect(ours.closedTimeout).toBe(9);
      const { elapsed: _a, ...o } = ours;
      const { elapsed: _b, ...p } = py;
      expect(o).toEqual(p);
    } finally {
      refused.close();
      full.close();
      l.close();
    }
  });

  it('non-blocking: 115, then 0 after completion, then 106', () => {
    const l = listener();
    try {
      using s = socket.socket();
      s.setblocking(false);
      const seq = [s.connect_ex(l.address)];
      expect(waitConnected(s)).toBe(true);
      seq.push(s.connect_ex(l.address), s.connect_ex(l.address));
      expect(seq).toEqual([115, 0, 106]);
      l.sock.accept()[0].close();
    } finally {
      l.close();
    }
  });

  it('blocking mode (in a child): 111 refused, 0 connected, 106 again', () => {
    const l = listener();
    const refused = refusedAddress();
    try {
      const ours = node(
        `
const a = socket.socket();
const r1 = a.connect_ex(arg.refused);
a.close();
const b = socket.socket();
const r2 = [b.connect_ex(arg.listener), b.connect_ex(arg.listener)];
b.close();
return [r1, r2];`,
        { refused: refused.address, listener: l.address },
      );
      expect(ours).toEqual([111, [0, 106]]);
      l.sock.accept()[0].close();
    } finally {
      refused.close();
      l.close();
    }
  });

  it('address errors still throw (also on a closed socket), as CPython', () => {
    const cases: [string, unknown][] = [
      ['port out of range', ['127.0.0.1', 70000]],
      ['negative port', ['127.0.0.1', -1]],
      ['not a tuple', '127.0.0.1'],
      ['wrong length', ['127.0.0.1']],
      ['three items', ['127.0.0.1', 1, 2]],
    ];
    const py = python(
      `
out = []
for closed in (False, True):
    for v in arg:
        s = socket.socket()
        s.settimeout(1)
        if closed:
            s.close()
        a = tuple(v) if isinstance(v, list) else v
        out.append(observe(lambda: s.connect_ex(a)))
        s.close()
return out`,
      cases.map(([, v]) => v),
    );
    const ours: ReturnType<typeof observe>[] = [];
    for (const closed of [false, true]) {
      for (const [, v] of cases) {
        using s = socket.socket();
        s.settimeout(1);
        if (closed) s.close();
        ours.push(observe(() => s.connect_ex(v as any)));
      }
    }
    expect(ours.length).toBe(py.length);
    ours.forEach((o, i) => {
      const label = `${i >= cases.length ? 'closed ' : ''}${cases[i % cases.length][0]}`;
      expect(o.ok, label).toBe(false);
      if (py[i].error === 'TypeError') expect(o.error, label).toBe('TypeError');
      else expect(outcome(o), label).toEqual(outcome(py[i]));
    });
    expect(ours[0].message).toBe('connect_ex(): port must be 0-65535.');
    // and connect raises the same
    using s = socket.socket();
    expect(() => s.connect(['127.0.0.1', 70000])).toThrow(new RangeError('connect(): port must be 0-65535.'));
    expect(() => s.connect('127.0.0.1' as any)).toThrow(TypeError);
  });
});

describe('connect on a closed socket', () => {
  it('raises OSError [Errno 9] in every mode without waiting, as CPython', () => {
    const l = listener();
    try {
      const modes: (number | null)[] = [null, 0, 5];
      const py = python(
        `
out = []
for t in arg["modes"]:
    s = socket.socket()
    s.settimeout(t)
    s.close()
    out.append(observe(lambda: s.connect(tuple(arg["address"]))))
return out`,
        { modes, address: l.address },
      );
      const ours = modes.map((t) => {
        const s = socket.socket();
        s.settimeout(t);
        s.close();
        return observe(() => s.connect(l.address));
      });
      expect(ours.map(outcome)).toEqual(py.map(outcome));
      for (const o of ours) {
        expect(o).toMatchObject({ ok: false, error: 'OSError', errno: 9, message: '[Errno 9] Bad file descriptor' });
        expect(o.elapsed).toBeLessThan(1);
      }
    } finally {
      l.close();
    }
  });
});
