// SEMANTICS §3 (sendall: never SIGPIPE, a closed peer is BrokenPipeError or
// ConnectionResetError; timeouts), §10 (the same through loop.sock_*).
//
// Peer faults: a peer that resets the connection (SO_LINGER {1, 0} then close)
// while we wait in recv or sendall; a peer process killed (SIGKILL) mid-transfer;
// half-close (shutdown(SHUT_WR): recv returns empty, the other direction
// still works); a peer that stops reading (sendall in timeout mode times out;
// a blocked sendall is released when the peer closes). Every fault gives a
// typed error, never SIGPIPE (a SIGPIPE listener is installed and must never
// run), never a hang past the test's bound.
//
// Blocking and timeout-mode calls run in child processes (test/helpers
// `node()`, under a SIGKILL watchdog); the peer is a Python process holding
// the other end as its fd 3 (the child closes its own copy, so the peer's
// close really closes the connection). Event-loop variants run here, with
// the peer in this process or in a Python process. Loopback only.
import { spawn } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import { checkNoFdLeaks, node, observe, outcome, python, trackSockets } from './helpers.js';

const { loop } = socket;
type Socket = socket.Socket;

checkNoFdLeaks();
const track = trackSockets();

// A SIGPIPE would mean a send without MSG_NOSIGNAL: Node ignores SIGPIPE
// unless a listener exists, so install one and count.
let sigpipes = 0;
const onSigpipe = () => {
  sigpipes++;
};
process.on('SIGPIPE', onSigpipe);
const tick = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
afterEach(async () => {
  await tick(20); // a pending signal's listener would run here
  expect(sigpipes).toBe(0);
});
afterAll(() => {
  process.off('SIGPIPE', onSigpipe);
});

/** Timeout-mode calls that must time out, and the margin allowed above. */
const T = 0.3;
const MARGIN = 1.5;
const MiB = 1 << 20;

/**
 * The peer: a Python process with the socket as fd 3; argv[1] is a JSON list of
 * steps. It prints a JSON report when done (and before killing itself).
 */
const PEER = String.raw`
import json, os, signal, socket, struct, sys, time
steps = json.loads(sys.argv[1])
s = socket.socket(fileno=3)
s.settimeout(10)
out = {}
BLOCK = bytes((i * 31 + 7) & 255 for i in range(256))
def pattern(n):
    return (BLOCK * (n // 256 + 1))[:n]
for step in steps:
    op = step[0]
    if op == 'sleep':
        time.sleep(step[1])
    elif op == 'read':
        n = 0
        while n < step[1]:
            d = s.recv(min(65536, step[1] - n))
            if not d:
                break
            n += len(d)
        out['read'] = n
    elif op == 'recv_all':
        parts = []
        while True:
            d = s.recv(65536)
            if not d:
                break
            parts.append(d)
        out['got'] = b''.join(parts).decode('latin-1')
    elif op == 'send':
        s.sendall(pattern(step[1]))
        out['sent'] = step[1]
    elif op == 'linger0':
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    elif op == 'shutdown_wr':
        s.shutdown(socket.SHUT_WR)
    elif op == 'close':
        s.close()
    elif op == 'kill':
        print(json.dumps(out), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
print(json.dumps(out), flush=True)
`;

type Step = [string, ...unknown[]];

/** struct linger { int l_onoff = 1; int l_linger = 0; }: close() sends RST. */
function linger0(s: Socket): void {
  const b = Buffer.alloc(8);
  b.writeInt32LE(1, 0);
  b.writeInt32LE(0, 4);
  s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b);
}

/** A connected TCP pair on 127.0.0.1, both ends in timeout mode (5 s). */
function tcpPair(): [Socket, Socket] {
  const l = socket.create_server(['127.0.0.1', 0]);
  try {
    l.settimeout(5);
    const c = track(socket.create_connection(l.getsockname() as [string, number], 5));
    const [s] = l.accept();
    track(s);
    s.settimeout(5);
    return [c, s];
  } finally {
    l.close();
  }
}

/** Hands `s` to a Python peer (as its fd 3) running `steps`, and closes our copy. */
function peer(
  s: Socket,
  steps: Step[],
): Promise<{ code: number | null; signal: string | null; report: any; stderr: string }> {
  const p = spawn('python3', ['-c', PEER, JSON.stringify(steps)], { stdio: ['ignore', 'pipe', 'pipe', s.fileno()] });
  s.close();
  let out = '';
  let err = '';
  p.stdout!.on('data', (d) => (out += d));
  p.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    p.on('error', reject);
    p.on('close', (code, signal) => {
      const lines = out.trim().split('\n');
      resolve({ code, signal, report: lines[0] ? JSON.parse(lines[lines.length - 1]) : null, stderr: err });
    });
  });
}

class Hang extends Error {}
/** p, or a failure after ms: no wait in this process can hang the test. */
function bounded<T>(p: Promise<T>, ms = 8000, what = 'the promise'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Hang(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** The error of a rejected promise (a resolved one fails the test). */
async function rejection(p: Promise<unknown>, what: string): Promise<any> {
  const r = await bounded(
    p.then(
      (v) => ({ ok: true as const, v }),
      (e) => ({ ok: false as const, e }),
    ),
    8000,
    what,
  );
  if (r.ok) throw new Error(`${what} resolved (${String(r.v)}) instead of rejecting`);
  return r.e;
}

/** A peer that went away: ConnectionResetError [Errno 104] or BrokenPipeError [Errno 32] (SEMANTICS §3). */
const PEER_GONE = ['ConnectionResetError 104', 'BrokenPipeError 32'];
function gone(e: { name?: string; error?: string; errno?: number | null }): string {
  return `${e.error ?? e.name} ${e.errno}`;
}

/** The byte pattern the peer sends. */
function pattern(n: number): Buffer {
  const block = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 31 + 7) & 255));
  const b = Buffer.alloc(n);
  for (let o = 0; o < n; o += 256) block.copy(b, o);
  return b;
}

// ---------------------------------------------------------------- children

/** Child-side helpers: a SIGPIPE listener, a TCP pair, the Python peer. */
const PRELUDE = `
const { spawn } = await import('node:child_process');
let sigpipes = 0;
process.on('SIGPIPE', () => { sigpipes++; });
const tick = (ms) => new Promise((r) => setTimeout(r, ms));
function tcpPair(timeout) {
  const l = socket.create_server(['127.0.0.1', 0]);
  l.settimeout(5);
  const c = socket.create_connection(l.getsockname(), 5);
  const [s] = l.accept();
  l.close();
  c.settimeout(timeout);
  return [c, s];
}
function peer(s, steps) {
  const p = spawn('python3', ['-c', arg.peer, JSON.stringify(steps)], { stdio: ['ignore', 'pipe', 'inherit', s.fileno()] });
  s.close();
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  return new Promise((resolve) => p.on('close', (code, signal) => {
    const lines = out.trim().split('\\n');
    resolve({ code, signal, report: lines[0] ? JSON.parse(lines[lines.length - 1]) : null });
  }));
}
const BLOCK = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 31 + 7) & 255));
const pattern = (n) => { const b = Buffer.alloc(n); for (let o = 0; o < n; o += 256) BLOCK.copy(b, o); return b; };
async function finish(result, P) {
  const p = await P;
  await tick(30);
  return { ...result, peer: p, sigpipes };
}
`;

interface ChildResult {
  o: { ok: boolean; value?: any; error?: string; errno?: number | null; message?: string; elapsed: number };
  peer: { code: number | null; signal: string | null; report: any };
  sigpipes: number;
  [k: string]: any;
}

function child(timeout: number | null, scenario: string): ChildResult {
  return node(
    `${PRELUDE}\nconst TIMEOUT = ${JSON.stringify(timeout)};\n${scenario}`,
    { peer: PEER },
    25_000,
  ) as ChildResult;
}

const modes: [string, number | null][] = [
  ['blocking', null],
  ['timeout-mode (5 s)', 5],
];

for (const [mode, timeout] of modes) {
  describe(`${mode} calls: peer faults (in a child process)`, () => {
    it('the peer resets (SO_LINGER 0) while recv waits: ConnectionResetError [Errno 104]; the next recv is empty', () => {
      const r = child(
        timeout,
        `
const [c, s] = tcpPair(TIMEOUT);
const P = peer(s, [['sleep', 0.2], ['linger0'], ['close']]);
const o = observe(() => c.recv(100));
const next = observe(() => c.recv(100).length);
c.close();
return finish({ o, next }, P);`,
      );
      expect(r.o).toMatchObject({
        ok: false,
        error: 'ConnectionResetError',
        errno: 104,
        message: '[Errno 104] Connection reset by peer',
      });
      expect(r.o.elapsed).toBeGreaterThanOrEqual(0.15); // it waited for the reset
      expect(r.o.elapsed).toBeLessThan(5);
      expect(r.next).toMatchObject({ ok: true, value: 0 }); // as CPython: the error is reported once
      expect(r.peer.code).toBe(0);
      expect(r.sigpipes).toBe(0);
    });

    it('the peer resets while sendall waits for buffer space: ConnectionResetError or BrokenPipeError, no SIGPIPE', () => {
      const r = child(
        timeout,
        `
const [c, s] = tcpPair(TIMEOUT);
const P = peer(s, [['read', 262144], ['linger0'], ['close']]);
const o = observe(() => c.sendall(Buffer.alloc(${32 * MiB})));
const again = observe(() => c.sendall(Buffer.from('more')));
c.close();
return finish({ o, again }, P);`,
      );
      expect(PEER_GONE).toContain(gone(r.o));
      expect(r.o.elapsed).toBeLessThan(5);
      expect(PEER_GONE).toContain(gone(r.again));
      expect(r.peer.code).toBe(0);
      expect(r.peer.report.read).toBe(262144); // the reset came mid-transfer
      expect(r.sigpipes).toBe(0);
    });

    it('the peer process is killed (SIGKILL) while sendall sends: ConnectionResetError or BrokenPipeError', () => {
      const r = child(
        timeout,
        `
const [c, s] = tcpPair(TIMEOUT);
const P = peer(s, [['read', ${MiB}], ['kill']]);
const o = observe(() => c.sendall(Buffer.alloc(${64 * MiB})));
c.close();
return finish({ o }, P);`,
      );
      expect(PEER_GONE).toContain(gone(r.o));
      expect(r.o.elapsed).toBeLessThan(5);
      expect(r.peer.signal).toBe('SIGKILL');
      expect(r.peer.report.read).toBe(MiB);
      expect(r.sigpipes).toBe(0);
    });

    it('the peer process is killed (SIGKILL) after sending 512 KiB: recv gets every byte, then end of stream', () => {
      const r = child(
        timeout,
        `
const [c, s] = tcpPair(TIMEOUT);
const P = peer(s, [['send', 524288], ['kill']]);
const parts = [];
const o = observe(() => {
  for (let k = 0; k < 100000; k++) { const d = c.recv(65536); if (d.length === 0) return 'eof'; parts.push(d); }
  return 'no eof';
});
const got = Buffer.concat(parts);
c.close();
return finish({ o, length: got.length, same: got.equals(pattern(524288)) }, P);`,
      );
      expect(r.o).toMatchObject({ ok: true, value: 'eof' });
      expect(r.o.elapsed).toBeLessThan(5);
      expect(r.length).toBe(524288);
      expect(r.same).toBe(true);
      expect(r.peer.signal).toBe('SIGKILL');
      expect(r.sigpipes).toBe(0);
    });

    it('half-close while recv waits: recv returns empty, and the other direction still works', () => {
      const r = child(
        timeout,
        `
const [c, s] = tcpPair(TIMEOUT);
const P = peer(s, [['sleep', 0.2], ['shutdown_wr'], ['recv_all']]);
const o = observe(() => c.recv(100).length);
const again = observe(() => c.recv(100).length);
const reply = observe(() => c.sendall(Buffer.from('after the half-close')));
c.close(); // ends the peer's recv_all
return finish({ o, again, reply }, P);`,
      );
      expect(r.o).toMatchObject({ ok: true, value: 0 });
      expect(r.o.elapsed).toBeGreaterThanOrEqual(0.15);
      expect(r.o.elapsed).toBeLessThan(5);
      expect(r.again).toMatchObject({ ok: true, value: 0 });
      expect(r.reply).toMatchObject({ ok: true, value: null });
      expect(r.peer.code).toBe(0);
      expect(r.peer.report.got).toBe('after the half-close');
      expect(r.sigpipes).toBe(0);
    });

    it('a peer that stops reading, then closes 300 ms later: the waiting sendall fails with a typed error', () => {
      const r = child(
        timeout,
        `
const [c, s] = tcpPair(TIMEOUT);
const P = peer(s, [['sleep', 0.3], ['close']]);
const o = observe(() => c.sendall(Buffer.alloc(${32 * MiB})));
c.close();
return finish({ o }, P);`,
      );
      expect(PEER_GONE).toContain(gone(r.o));
      expect(r.o.elapsed).toBeGreaterThanOrEqual(0.25); // it was waiting until the close
      expect(r.o.elapsed).toBeLessThan(5);
      expect(r.peer.code).toBe(0);
      expect(r.sigpipes).toBe(0);
    });
  });
}

// ---------------------------------------------------------------- in this process

describe('timeout mode in this process', () => {
  it(`a peer that stops reading: sendall raises TimeoutError after ${T} s (TCP), as CPython`, () => {
    const py = python(`
l = socket.create_server(('127.0.0.1', 0))
c = socket.create_connection(l.getsockname(), 5)
s, _ = l.accept()
l.close()
c.settimeout(${T})
o = observe(lambda: c.sendall(bytes(${32 * MiB})))
c.close(); s.close()
return o`);
    const [c] = tcpPair();
    c.settimeout(T);
    const o = observe(() => c.sendall(Buffer.alloc(32 * MiB)));
    expect(outcome(o)).toEqual(outcome(py));
    expect(o).toMatchObject({ ok: false, error: 'TimeoutError', errno: null, message: 'timed out' });
    expect(o.elapsed).toBeGreaterThanOrEqual(T);
    expect(o.elapsed).toBeLessThan(T + MARGIN);
  });

  it('after a reset: recv, recv, send, sendall give what CPython gives', () => {
    const py = python(`
import struct
l = socket.create_server(('127.0.0.1', 0))
c = socket.create_connection(l.getsockname(), 5)
s, _ = l.accept()
l.close()
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
s.close()
out = [observe(lambda: c.recv(10)), observe(lambda: c.recv(10)), observe(lambda: c.send(b'x')), observe(lambda: c.sendall(b'x'))]
c.close()
return out`);
    const [c, s] = tcpPair();
    linger0(s);
    s.close();
    const ours = [
      observe(() => c.recv(10)),
      observe(() => c.recv(10)),
      observe(() => c.send(Buffer.from('x'))),
      observe(() => c.sendall(Buffer.from('x'))),
    ];
    expect(ours.map(outcome)).toEqual(py.map(outcome));
    expect(ours.map((o) => o.error ?? 'ok')).toEqual([
      'ConnectionResetError',
      'ok',
      'BrokenPipeError',
      'BrokenPipeError',
    ]);
  });

  it('half-close: recv is empty, send after SHUT_WR is BrokenPipeError, the other direction works; as CPython', () => {
    const py = python(`
l = socket.create_server(('127.0.0.1', 0))
c = socket.create_connection(l.getsockname(), 5)
s, _ = l.accept()
l.close()
s.settimeout(5)
c.shutdown(socket.SHUT_WR)
out = [observe(lambda: s.recv(10)), observe(lambda: c.send(b'x')), observe(lambda: s.sendall(b'y')), observe(lambda: c.recv(10)), observe(lambda: s.recv(10))]
s.close()
out.append(observe(lambda: c.recv(10)))
c.close()
return out`);
    const [c, s] = tcpPair();
    c.shutdown(socket.SHUT_WR);
    const ours = [
      observe(() => s.recv(10)),
      observe(() => c.send(Buffer.from('x'))),
      observe(() => s.sendall(Buffer.from('y'))),
      observe(() => c.recv(10)),
      observe(() => s.recv(10)),
    ];
    s.close();
    ours.push(observe(() => c.recv(10)));
    expect(ours.map(outcome)).toEqual(py.map(outcome));
    expect(ours.map(outcome)).toEqual([
      { ok: true, value: [] },
      { ok: false, error: 'BrokenPipeError', errno: 32, message: '[Errno 32] Broken pipe' },
      { ok: true, value: null },
      { ok: true, value: [...Buffer.from('y')] },
      { ok: true, value: [] },
      { ok: true, value: [] },
    ]);
  });
});

// ---------------------------------------------------------------- loop.sock_*

describe('loop.sock_recv / loop.sock_sendall: the same faults', () => {
  /** A TCP pair whose client end is non-blocking (for loop.sock_*); the server end stays in timeout mode. */
  function loopPair(): [Socket, Socket] {
    const [c, s] = tcpPair();
    c.setblocking(false);
    return [c, s];
  }

  it('the peer resets while sock_recv waits: rejects with ConnectionResetError [Errno 104]', async () => {
    const [c, s] = loopPair();
    const t0 = performance.now();
    const p = loop.sock_recv(c, 100);
    setTimeout(() => {
      linger0(s);
      s.close();
    }, 50);
    const e = await rejection(p, 'sock_recv');
    expect(e).toBeInstanceOf(socket.ConnectionResetError);
    expect([e.errno, e.message]).toEqual([104, '[Errno 104] Connection reset by peer']);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(40);
    expect(await bounded(loop.sock_recv(c, 100))).toEqual(Buffer.alloc(0)); // reported once, then end of stream
  });

  it('the peer resets while sock_sendall waits for buffer space: ConnectionResetError or BrokenPipeError', async () => {
    const [c, s] = loopPair();
    const p = loop.sock_sendall(c, Buffer.alloc(32 * MiB));
    let read = 0;
    setTimeout(() => {
      for (let k = 0; k < 1000 && read < 262144; k++) read += s.recv(65536).length; // data is there: no wait
      linger0(s);
      s.close();
    }, 50);
    const e = await rejection(p, 'sock_sendall');
    expect(e).toBeInstanceOf(socket.ConnectionError);
    expect(PEER_GONE).toContain(gone(e));
    expect(read).toBeGreaterThanOrEqual(262144);
  });

  it('the peer process is killed (SIGKILL) mid-transfer: sock_sendall rejects with a typed error', async () => {
    const [c, s] = loopPair();
    const P = peer(s, [['read', MiB], ['kill']]);
    const e = await rejection(loop.sock_sendall(c, Buffer.alloc(64 * MiB)), 'sock_sendall');
    expect(e).toBeInstanceOf(socket.ConnectionError);
    expect(PEER_GONE).toContain(gone(e));
    const r = await bounded(P, 8000, 'the peer');
    expect(r.signal, r.stderr).toBe('SIGKILL');
    expect(r.report.read).toBe(MiB);
  });

  it('the peer process is killed (SIGKILL) after sending 512 KiB: sock_recv gets every byte, then end of stream', async () => {
    const [c, s] = loopPair();
    const P = peer(s, [['send', 524288], ['kill']]);
    const parts: Buffer[] = [];
    for (let k = 0; k < 100_000; k++) {
      const d = await bounded(loop.sock_recv(c, 65536), 8000, 'sock_recv');
      if (d.length === 0) break;
      parts.push(d);
    }
    const got = Buffer.concat(parts);
    expect(got.length).toBe(524288);
    expect(got.equals(pattern(524288))).toBe(true);
    const r = await bounded(P, 8000, 'the peer');
    expect(r.signal, r.stderr).toBe('SIGKILL');
  });

  it('half-close while sock_recv waits: resolves empty, and sock_sendall the other way still works', async () => {
    const [c, s] = loopPair();
    const t0 = performance.now();
    const p = loop.sock_recv(c, 100);
    setTimeout(() => s.shutdown(socket.SHUT_WR), 50);
    expect(await bounded(p)).toEqual(Buffer.alloc(0));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(40);
    expect(await bounded(loop.sock_recv(c, 100))).toEqual(Buffer.alloc(0));
    await bounded(loop.sock_sendall(c, Buffer.from('the other way')));
    expect(s.recv(100).toString()).toBe('the other way');
  });

  it(`a peer that stops reading: sock_sendall with AbortSignal.timeout(${T * 1000}) rejects with the signal's TimeoutError`, async () => {
    const [c, s] = loopPair();
    const signal = AbortSignal.timeout(T * 1000);
    const t0 = performance.now();
    const e = await rejection(loop.sock_sendall(c, Buffer.alloc(32 * MiB), { signal }), 'sock_sendall');
    const ms = performance.now() - t0;
    expect(e).toBe(signal.reason);
    expect(e.name).toBe('TimeoutError');
    expect(ms).toBeGreaterThanOrEqual(T * 1000 - 5); // a timer's clock is whole milliseconds
    expect(ms).toBeLessThan((T + MARGIN) * 1000);
    expect(s.fileno()).toBeGreaterThanOrEqual(0);
  });

  it('a peer that stops reading, then closes 200 ms later: the pending sock_sendall rejects with a typed error', async () => {
    const [c, s] = loopPair();
    const t0 = performance.now();
    const p = loop.sock_sendall(c, Buffer.alloc(32 * MiB));
    setTimeout(() => s.close(), 200); // unread data: the close resets the connection
    const e = await rejection(p, 'sock_sendall');
    expect(e).toBeInstanceOf(socket.ConnectionError);
    expect(PEER_GONE).toContain(gone(e));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
  });
});
