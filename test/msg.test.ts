// sendmsg / recvmsg / recvmsg_into (scatter/gather, flags, addresses, the
// three modes), CMSG_LEN / CMSG_SPACE, and file descriptors passed with
// SCM_RIGHTS: send_fds / recv_fds in-process and across processes. Received
// fds are close-on-exec; with a control buffer too small (MSG_CTRUNC) every
// fd that arrived is returned and none leaks; an adopted received fd keeps
// the open file description's real mode (SEMANTICS §7).
// Loopback only (socketpairs, AF_UNIX, 127.0.0.1). A call that could block
// runs in a child process under a watchdog.
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import { fdCount, node, observe, outcome, python, root, type Observation } from './helpers.js';

let fdsBefore = 0;
beforeEach(() => {
  fdsBefore = fdCount();
});
afterEach(() => {
  socket.setdefaulttimeout(null);
  expect(fdCount()).toBe(fdsBefore); // every socket and fd of the test was closed
});

const T = 0.2;
let seq = 0;

function abstractName(tag: string): Buffer {
  return Buffer.from(`\0sockmode-msg-${process.pid}-${tag}-${seq++}-${Math.random().toString(36).slice(2, 8)}`);
}

/** Whether fd is close-on-exec, read from /proc/self/fdinfo (flags are octal). */
function cloexec(fd: number): boolean {
  const m = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  if (!m) throw new Error(`no flags in /proc/self/fdinfo/${fd}`);
  return (parseInt(m[1], 8) & 0o2000000) !== 0;
}

/** The fds carried by recvmsg's ancillary data (SOL_SOCKET/SCM_RIGHTS items). */
function fdsIn(ancdata: socket.AncData[]): number[] {
  const fds: number[] = [];
  for (const [level, type, data] of ancdata) {
    if (level !== socket.SOL_SOCKET || type !== socket.SCM_RIGHTS) continue;
    for (let off = 0; off + 4 <= data.length; off += 4) fds.push(data.readInt32LE(off));
  }
  return fds;
}

/** A temporary file, opened read/write; removed by cleanup(). */
function tmpFile(): { fd: number; path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sockmode-msg-'));
  const path = join(dir, 'f');
  const fd = openSync(path, 'w+');
  return {
    fd,
    path,
    cleanup: () => {
      try {
        closeSync(fd);
      } catch {
        // already closed by the test
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function run(cmd: string, argv: string[], fd: number, arg: unknown, timeoutMs: number): any {
  const r = spawnSync(cmd, argv, {
    input: JSON.stringify(arg ?? null),
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe', fd],
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status} ${r.signal ?? ''}\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/**
 * A python3 child with `fd` as its fd 3: `script` is the body of main(arg);
 * `socket`, `os`, `time`, `observe` are in scope. Killed after timeoutMs.
 */
function pythonWithFd(script: string, fd: number, arg: unknown = null, timeoutMs = 15_000): any {
  const body = script
    .trim()
    .split('\n')
    .map((l) => '    ' + l)
    .join('\n');
  const code = `import sys, json, os, socket, time\nsys.path.insert(0, ${JSON.stringify(join(root, 'test', 'py'))})\nfrom observe import observe\ndef main(arg):\n${body}\nprint(json.dumps(main(json.load(sys.stdin))))\n`;
  return run('python3', ['-c', code], fd, arg, timeoutMs);
}

/**
 * A node child (the built package, dist/) with `fd` as its fd 3: `script` is
 * the body of an async main(arg); `socket`, `observe`, `cloexec` in scope.
 */
function nodeWithFd(script: string, fd: number, arg: unknown = null, timeoutMs = 15_000): any {
  const code = `
import * as socket from ${JSON.stringify(join(root, 'dist', 'index.js'))};
import { readFileSync, writeSync } from 'node:fs';
const observe = (fn) => { const t0 = performance.now(); try { const v = fn(); return { ok: true, value: v === undefined ? null : v, elapsed: (performance.now() - t0) / 1000 }; } catch (e) { return { ok: false, error: e.name, errno: e.errno ?? null, message: e.message, elapsed: (performance.now() - t0) / 1000 }; } };
const cloexec = (fd) => (parseInt(/^flags:\\s*([0-7]+)/m.exec(readFileSync('/proc/self/fdinfo/' + fd, 'utf8'))[1], 8) & 0o2000000) !== 0;
const arg = JSON.parse(readFileSync(0, 'utf8'));
const main = async (arg) => { ${script} };
writeSync(1, JSON.stringify(await main(arg)) + '\\n');
process.exit(0);
`;
  return run(process.execPath, ['--input-type=module', '-e', code], fd, arg, timeoutMs);
}

/** struct timeval (x86-64/aarch64 Linux: two little-endian int64). */
function timeval(sec: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigInt64LE(BigInt(Math.floor(sec)), 0);
  b.writeBigInt64LE(BigInt(Math.round((sec - Math.floor(sec)) * 1e6)), 8);
  return b;
}

/** Bounds a kernel-blocking receive on s to `sec` seconds (a library bug then fails, not hangs). */
function guard(s: socket.Socket, sec = 3): void {
  s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval(sec));
}

describe('sendmsg / recvmsg / recvmsg_into', () => {
  it('gather on send, scatter on receive, one message each (AF_UNIX dgram socketpair)', () => {
    const [a, b] = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM);
    try {
      a.settimeout(5);
      b.settimeout(5);
      const abc = Buffer.from('__abc__').subarray(2, 5);
      const sent = a.sendmsg([
        Buffer.from('ab'),
        new Uint8Array([0x63, 0x64]),
        new DataView(abc.buffer, abc.byteOffset, 3),
        Buffer.alloc(0),
      ]);
      expect(sent).toBe(7);
      expect(a.sendmsg([Buffer.from('second')])).toBe(6);
      expect(a.sendmsg([])).toBe(0); // an empty datagram is a message too

      const [data, anc, flags, addr] = b.recvmsg(100);
      expect([data.toString(), anc, flags, addr]).toEqual(['abcdabc', [], 0, null]);

      const parts = [Buffer.alloc(2, 0xee), Buffer.alloc(3, 0xee), Buffer.alloc(10, 0xee)];
      const [n, anc2, flags2, addr2] = b.recvmsg_into(parts);
      expect([n, anc2, flags2, addr2]).toEqual([6, [], 0, null]);
      expect(parts.map((p) => p.toString('latin1'))).toEqual(['se', 'con', 'd' + '\xee'.repeat(9)]);

      const [empty, , flags3] = b.recvmsg(100);
      expect([empty.length, flags3]).toEqual([0, 0]);

      // typed arrays and DataViews as receive buffers, written in place
      a.sendmsg([Buffer.from('0123456789')]);
      const u16 = new Uint16Array(2);
      const dv = new DataView(new ArrayBuffer(8), 2, 4);
      const [n4] = b.recvmsg_into([u16, dv]);
      expect(n4).toBe(8);
      expect(Buffer.from(u16.buffer).toString()).toBe('0123');
      expect(Buffer.from(dv.buffer, 2, 4).toString()).toBe('4567');
    } finally {
      a.close();
      b.close();
    }
  });

  it('sendmsg to an address: UDP on 127.0.0.1 and an unbound AF_UNIX sender; recvmsg reports the sender', () => {
    const rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
    const tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
    const urx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM);
    const utx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM);
    try {
      for (const s of [rx, tx, urx, utx]) s.settimeout(5);
      rx.bind(['127.0.0.1', 0]);
      expect(tx.sendmsg([Buffer.from('to '), Buffer.from('udp')], [], 0, rx.getsockname() as socket.Address)).toBe(6);
      const [d, anc, flags, from] = rx.recvmsg(64);
      expect([d.toString(), anc, flags]).toEqual(['to udp', [], 0]);
      // autobound by the send: tx's port, from 127.0.0.1
      expect(from).toEqual(['127.0.0.1', (tx.getsockname() as [string, number])[1]]);

      const name = abstractName('urx');
      urx.bind(name);
      expect(utx.sendmsg([Buffer.from('unix')], undefined, undefined, name)).toBe(4);
      const buf = Buffer.alloc(16);
      const [n, , , ufrom] = urx.recvmsg_into([buf]);
      expect([n, buf.subarray(0, n).toString(), ufrom]).toEqual([4, 'unix', null]);
      // without an address on an unconnected datagram socket: the kernel's error
      const o = observe(() => utx.sendmsg([Buffer.from('x')]));
      expect(o).toMatchObject({ ok: false, errno: 107 }); // ENOTCONN
    } finally {
      rx.close();
      tx.close();
      urx.close();
      utx.close();
    }
  });

  it('flags: MSG_PEEK leaves the message, MSG_TRUNC marks a cut datagram, MSG_DONTWAIT never waits', () => {
    const [a, b] = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM);
    try {
      a.settimeout(5);
      b.settimeout(5);
      a.sendmsg([Buffer.from('peekaboo')]);
      const [p, , pflags] = b.recvmsg(100, 0, socket.MSG_PEEK);
      expect([p.toString(), pflags]).toEqual(['peekaboo', 0]);
      const small = [Buffer.alloc(4)];
      const [n, , tflags] = b.recvmsg_into(small, 0, socket.MSG_PEEK);
      expect([n, small[0].toString()]).toEqual([4, 'peek']);
      expect(tflags & socket.MSG_TRUNC).toBe(socket.MSG_TRUNC);
      const [d, , flags] = b.recvmsg(4);
      expect(d.toString()).toBe('peek');
      expect(flags & socket.MSG_TRUNC).toBe(socket.MSG_TRUNC);
      b.settimeout(null); // blocking object: MSG_DONTWAIT makes this call non-blocking
      const o = observe(() => b.recvmsg(10, 0, socket.MSG_DONTWAIT));
      expect(o).toMatchObject({ ok: false, error: 'BlockingIOError', errno: 11 });
      expect(o.elapsed).toBeLessThan(0.5);
    } finally {
      a.close();
      b.close();
    }
  });

  it('non-blocking and timeout modes for recvmsg / recvmsg_into / sendmsg, as CPython', () => {
    const script = `
a, b = socket.socketpair()
out = []
b.setblocking(False)
out.append(observe(lambda: b.recvmsg(10)))
out.append(observe(lambda: b.recvmsg_into([bytearray(10)], socket.CMSG_SPACE(4))))
b.settimeout(arg)
out.append(observe(lambda: b.recvmsg(10)))
out.append(observe(lambda: b.recvmsg_into([bytearray(10)])))
out.append(observe(lambda: b.recvmsg(10, 0, socket.MSG_DONTWAIT)))
a.setblocking(False)
try:
    for _ in range(10000): a.send(b'A' * 65536)
except BlockingIOError:
    pass
out.append(observe(lambda: a.sendmsg([b'x' * 65536])))
a.settimeout(arg)
out.append(observe(lambda: a.sendmsg([b'x' * 65536])))
a.close(); b.close()
return out`;
    const py = python(script, T);
    const [a, b] = socket.socketpair();
    const out: Observation[] = [];
    try {
      b.setblocking(false);
      out.push(observe(() => b.recvmsg(10)));
      out.push(observe(() => b.recvmsg_into([Buffer.alloc(10)], socket.CMSG_SPACE(4))));
      b.settimeout(T);
      out.push(observe(() => b.recvmsg(10)));
      out.push(observe(() => b.recvmsg_into([Buffer.alloc(10)])));
      out.push(observe(() => b.recvmsg(10, 0, socket.MSG_DONTWAIT)));
      a.setblocking(false);
      for (let i = 0; i < 10_000; i++) {
        if (!observe(() => a.send(Buffer.alloc(65536, 0x41))).ok) break;
      }
      out.push(observe(() => a.sendmsg([Buffer.alloc(65536, 0x78)])));
      a.settimeout(T);
      out.push(observe(() => a.sendmsg([Buffer.alloc(65536, 0x78)])));
    } finally {
      a.close();
      b.close();
    }
    expect(out.map(outcome)).toEqual(py.map(outcome));
    for (const i of [0, 1, 5]) {
      expect(out[i]).toMatchObject({ ok: false, error: 'BlockingIOError', errno: 11 });
      expect(out[i].elapsed).toBeLessThan(0.5);
    }
    for (const i of [2, 3, 4, 6]) {
      expect(out[i]).toMatchObject({ ok: false, error: 'TimeoutError', errno: null, message: 'timed out' });
      expect(out[i].elapsed).toBeGreaterThanOrEqual(T);
      expect(out[i].elapsed).toBeLessThan(T + 2);
    }
  });

  it('timeout-mode sendmsg to a full AF_UNIX datagram receiver raises TimeoutError after >= t, as CPython (child, watchdog)', () => {
    const py = python(
      `
n = bytes.fromhex(arg['name'])
rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); rx.bind(n)
tx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); tx.setblocking(False)
try:
    for _ in range(10000): tx.sendmsg([b'A' * 32], [], 0, n)
except BlockingIOError:
    pass
out = [observe(lambda: tx.sendmsg([b'x'], [], 0, n))]
tx.settimeout(arg['T'])
out.append(observe(lambda: tx.sendmsg([b'x'], [], 0, n)))
rx.close(); tx.close()
return out`,
      { name: abstractName('py-full').toString('hex'), T },
    );
    let ours: Observation[];
    try {
      ours = node(
        `
const n = Buffer.from(arg.name, 'hex');
const rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); rx.bind(n);
const tx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); tx.setblocking(false);
try { for (let i = 0; i < 10000; i++) tx.sendmsg([Buffer.alloc(32, 65)], [], 0, n); } catch (e) { if (!(e instanceof socket.BlockingIOError)) throw e; }
const out = [observe(() => tx.sendmsg([Buffer.from('x')], [], 0, n))];
tx.settimeout(arg.T);
out.push(observe(() => tx.sendmsg([Buffer.from('x')], [], 0, n)));
rx.close(); tx.close();
return out;`,
        { name: abstractName('js-full').toString('hex'), T },
        10_000,
      );
    } catch (e) {
      throw new Error(
        `the child did not finish in 10 s: a timeout-mode sendmsg to a full receiver never returned (${(e as Error).message})`,
        { cause: e },
      );
    }
    expect(ours.map(outcome)).toEqual(py.map(outcome));
    expect(ours[1]).toMatchObject({ ok: false, error: 'TimeoutError', message: 'timed out' });
    expect(ours[1].elapsed).toBeGreaterThanOrEqual(T);
    expect(ours[1].elapsed).toBeLessThan(T + 2);
  });

  it('blocking recvmsg waits in the kernel until the message arrives (child process)', () => {
    const r = node(`
const { Worker } = await import('node:worker_threads');
const [a, b] = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM);
const mode = [b.gettimeout(), socket.get_blocking(b.fileno())];
const w = new Worker("const fs = require('fs'); const { workerData } = require('worker_threads'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300); fs.writeSync(workerData, Buffer.from('late message'));", { eval: true, execArgv: [], workerData: a.fileno() });
const t0 = performance.now();
const [d, anc, flags, addr] = b.recvmsg(100);
const elapsed = (performance.now() - t0) / 1000;
await new Promise((r) => w.once('exit', r));
a.close(); b.close();
return { mode, d: d.toString(), anc, flags, addr, elapsed };`);
    expect(r.mode).toEqual([null, true]);
    expect(r).toMatchObject({ d: 'late message', anc: [], flags: 0, addr: null });
    expect(r.elapsed).toBeGreaterThanOrEqual(0.28);
    expect(r.elapsed).toBeLessThan(10);
  });

  it('argument and kernel errors as CPython', () => {
    const py = python(`
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); c.close()
out = []
def step(label, fn): out.append([label, observe(fn)])
step('recvmsg(-1)', lambda: b.recvmsg(-1))
step('recvmsg ancbufsize -1', lambda: b.recvmsg(10, -1))
step('recvmsg_into ancbufsize -1', lambda: b.recvmsg_into([bytearray(1)], -1))
step('recvmsg_into str', lambda: b.recvmsg_into(['abc']))
step('recvmsg bufsize float', lambda: b.recvmsg(1.5))
step('sendmsg str buffer', lambda: a.sendmsg(['abc']))
step('sendmsg item short', lambda: a.sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS)]))
step('sendmsg item data str', lambda: a.sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, 'abcd')]))
step('sendmsg bad fd', lambda: a.sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, (987654).to_bytes(4, 'little'))]))
step('sendmsg unknown cmsg', lambda: a.sendmsg([b'x'], [(socket.SOL_SOCKET, 12345, b'abcd')]))
step('sendmsg too large', lambda: a.sendmsg([b'x' * 300000]))
step('sendmsg closed', lambda: c.sendmsg([b'x']))
step('recvmsg closed', lambda: c.recvmsg(10))
step('recvmsg_into closed', lambda: c.recvmsg_into([bytearray(4)]))
step('sendmsg ok', lambda: a.sendmsg([b'ok']))
step('recvmsg ok', lambda: list(b.recvmsg(10)[0]))
a.close(); b.close()
return out`);
    const [a, b] = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM);
    const c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM);
    c.close();
    const out: [string, Observation][] = [];
    const step = (label: string, fn: () => unknown) => out.push([label, observe(fn)]);
    const A = a as any;
    const B = b as any;
    try {
      a.settimeout(5);
      b.settimeout(5);
      const bad = Buffer.alloc(4);
      bad.writeInt32LE(987654);
      step('recvmsg(-1)', () => b.recvmsg(-1));
      step('recvmsg ancbufsize -1', () => b.recvmsg(10, -1));
      step('recvmsg_into ancbufsize -1', () => b.recvmsg_into([Buffer.alloc(1)], -1));
      step('recvmsg_into str', () => B.recvmsg_into(['abc']));
      step('recvmsg bufsize float', () => b.recvmsg(1.5));
      step('sendmsg str buffer', () => A.sendmsg(['abc']));
      step('sendmsg item short', () => A.sendmsg([Buffer.from('x')], [[socket.SOL_SOCKET, socket.SCM_RIGHTS]]));
      step('sendmsg item data str', () =>
        A.sendmsg([Buffer.from('x')], [[socket.SOL_SOCKET, socket.SCM_RIGHTS, 'abcd']]),
      );
      step('sendmsg bad fd', () => a.sendmsg([Buffer.from('x')], [[socket.SOL_SOCKET, socket.SCM_RIGHTS, bad]]));
      step('sendmsg unknown cmsg', () =>
        a.sendmsg([Buffer.from('x')], [[socket.SOL_SOCKET, 12345, Buffer.from('abcd')]]),
      );
      step('sendmsg too large', () => a.sendmsg([Buffer.alloc(300_000, 0x78)]));
      step('sendmsg closed', () => c.sendmsg([Buffer.from('x')]));
      step('recvmsg closed', () => c.recvmsg(10));
      step('recvmsg_into closed', () => c.recvmsg_into([Buffer.alloc(4)]));
      step('sendmsg ok', () => a.sendmsg([Buffer.from('ok')]));
      step('recvmsg ok', () => [...b.recvmsg(10)[0]]);
    } finally {
      a.close();
      b.close();
    }
    expect(out.map(([l]) => l)).toEqual(py.map(([l]: [string]) => l));
    for (let i = 0; i < out.length; i++) {
      const [label, o] = out[i];
      const p = py[i][1] as Observation;
      if (p.error === 'TypeError') expect([label, o.error]).toEqual([label, 'TypeError']);
      else expect([label, outcome(o)]).toEqual([label, outcome(p)]);
    }
    const byLabel = new Map(out);
    expect(byLabel.get('sendmsg bad fd')).toMatchObject({ error: 'OSError', errno: 9 });
    expect(byLabel.get('sendmsg too large')).toMatchObject({ error: 'OSError', errno: 90 });
    expect(byLabel.get('recvmsg_into closed')).toMatchObject({ error: 'OSError', errno: 9 });
  });
});

describe('CMSG_LEN and CMSG_SPACE', () => {
  it('values and range errors as CPython', () => {
    const inputs = [
      0,
      1,
      3,
      4,
      7,
      8,
      9,
      12,
      16,
      255,
      1024,
      65536,
      2 ** 20,
      2147483623,
      2147483624,
      2147483630,
      2147483631,
      2147483632,
      2 ** 31,
      2 ** 40,
      -1,
      -(2 ** 31),
    ];
    const py = python(
      `
return [[observe(lambda: socket.CMSG_LEN(n)), observe(lambda: socket.CMSG_SPACE(n))] for n in arg]`,
      inputs,
    );
    const ours = inputs.map((n) => [observe(() => socket.CMSG_LEN(n)), observe(() => socket.CMSG_SPACE(n))]);
    const rows = (r: Observation[][]) => r.map((pair, i) => [inputs[i], ...pair.map(outcome)]);
    expect(rows(ours)).toEqual(rows(py));
    // the definitions, spelled out (64-bit Linux: 16-byte header, 8-byte alignment)
    expect(socket.CMSG_LEN(4)).toBe(20);
    expect(socket.CMSG_SPACE(4)).toBe(24);
    expect(socket.CMSG_SPACE(9)).toBe(32);
    for (const fn of [socket.CMSG_LEN, socket.CMSG_SPACE]) {
      expect(() => fn(-1)).toThrow(RangeError);
      expect(() => fn(1.5)).toThrow(TypeError);
      expect(() => fn('4' as any)).toThrow(TypeError);
    }
    expect(() => socket.CMSG_LEN(-1)).toThrow('CMSG_LEN() argument out of range');
    expect(() => socket.CMSG_SPACE(2 ** 31)).toThrow('CMSG_SPACE() argument out of range');
  });
});

describe('send_fds / recv_fds in one process', () => {
  it('the received fds are new, close-on-exec, on the same objects; closing them restores the fd count', () => {
    const [a, b] = socket.socketpair();
    const [x, y] = socket.socketpair();
    const file = tmpFile();
    try {
      a.settimeout(5);
      b.settimeout(5);
      x.settimeout(5);
      const before = fdCount();
      expect(socket.send_fds(a, [Buffer.from('two '), Buffer.from('fds')], [y.fileno(), file.fd])).toBe(7);
      const [data, fds, flags, addr] = socket.recv_fds(b, 100, 2);
      expect([data.toString(), fds.length, flags, addr]).toEqual(['two fds', 2, 0, null]);
      expect(fdCount()).toBe(before + 2);
      for (const fd of fds) {
        expect(fd).not.toBe(y.fileno());
        expect(fd).not.toBe(file.fd);
        expect(cloexec(fd)).toBe(true);
      }
      // the socket fd: a socket object adopts it and its peer hears it
      const ys = socket.socket(undefined, undefined, undefined, fds[0]);
      expect([ys.family, ys.type]).toEqual([socket.AF_UNIX, socket.SOCK_STREAM]);
      ys.settimeout(5);
      ys.sendall(Buffer.from('via the passed fd'));
      expect(x.recv(100).toString()).toBe('via the passed fd');
      ys.close();
      // the file fd: the same open file (shared offset)
      writeSync(fds[1], 'written through the copy');
      expect(fstatSync(fds[1]).ino).toBe(fstatSync(file.fd).ino);
      closeSync(fds[1]);
      expect(readFileSync(file.path, 'utf8')).toBe('written through the copy');
      expect(fdCount()).toBe(before);
    } finally {
      a.close();
      b.close();
      x.close();
      y.close();
      file.cleanup();
    }
  });

  it('recvmsg and recvmsg_into return SCM_RIGHTS as ancillary data, close-on-exec', () => {
    const [a, b] = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET);
    try {
      a.settimeout(5);
      b.settimeout(5);
      const fdArr = new Int32Array([a.fileno(), b.fileno()]);
      expect(a.sendmsg([Buffer.from('anc')], [[socket.SOL_SOCKET, socket.SCM_RIGHTS, fdArr]])).toBe(3);
      const [data, anc, flags] = b.recvmsg(10, socket.CMSG_SPACE(8));
      expect([data.toString(), flags, anc.length]).toEqual(['anc', 0, 1]);
      expect([anc[0][0], anc[0][1], anc[0][2].length]).toEqual([socket.SOL_SOCKET, socket.SCM_RIGHTS, 8]);
      const got = fdsIn(anc);
      expect(got.map(cloexec)).toEqual([true, true]);
      for (const fd of got) closeSync(fd);

      a.sendmsg([Buffer.from('into')], [[socket.SOL_SOCKET, socket.SCM_RIGHTS, new Int32Array([a.fileno()])]]);
      const buf = Buffer.alloc(2);
      const rest = Buffer.alloc(8);
      const [n, anc2, flags2] = b.recvmsg_into([buf, rest], socket.CMSG_SPACE(4));
      expect([n, buf.toString(), rest.subarray(0, 2).toString(), flags2]).toEqual([4, 'in', 'to', 0]);
      const got2 = fdsIn(anc2);
      expect(got2.length).toBe(1);
      expect(cloexec(got2[0])).toBe(true);
      closeSync(got2[0]);
    } finally {
      a.close();
      b.close();
    }
  });

  it('send_fds passes flags and an address (AF_UNIX dgram, unbound sender)', () => {
    const rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM);
    const tx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM);
    try {
      const name = abstractName('sfa');
      rx.bind(name);
      rx.settimeout(5);
      tx.settimeout(5);
      expect(socket.send_fds(tx, [Buffer.from('addr')], [tx.fileno()], socket.MSG_DONTWAIT, name)).toBe(4);
      const [data, fds, flags, addr] = socket.recv_fds(rx, 10, 1, socket.MSG_PEEK);
      // peeking returns the fds too (new ones); the message stays
      expect([data.toString(), fds.length, flags, addr]).toEqual(['addr', 1, 0, null]);
      closeSync(fds[0]);
      const [data2, fds2] = socket.recv_fds(rx, 10, 1);
      expect([data2.toString(), fds2.length]).toEqual(['addr', 1]);
      closeSync(fds2[0]);
      expect(() => socket.recv_fds(rx, 10, -1)).toThrow(RangeError);
    } finally {
      rx.close();
      tx.close();
    }
  });

  it('MSG_CTRUNC: 3 fds sent, maxfds 1: one returned, the rest never installed (no leak)', () => {
    const [a, b] = socket.socketpair();
    const [x, y] = socket.socketpair();
    try {
      a.settimeout(5);
      b.settimeout(5);
      const before = fdCount();
      socket.send_fds(a, [Buffer.from('three')], [x.fileno(), y.fileno(), x.fileno()]);
      const [data, fds, flags] = socket.recv_fds(b, 100, 1);
      expect(data.toString()).toBe('three');
      expect(flags & socket.MSG_CTRUNC).toBe(socket.MSG_CTRUNC);
      expect(fds.length).toBe(1);
      expect(cloexec(fds[0])).toBe(true);
      expect(fdCount()).toBe(before + 1);
      closeSync(fds[0]);
      expect(fdCount()).toBe(before);

      // maxfds 0: nothing installed at all
      socket.send_fds(a, [Buffer.from('none')], [x.fileno(), y.fileno()]);
      const [d0, f0, fl0] = socket.recv_fds(b, 100, 0);
      expect([d0.toString(), f0, fl0 & socket.MSG_CTRUNC]).toEqual(['none', [], socket.MSG_CTRUNC]);
      expect(fdCount()).toBe(before);
    } finally {
      a.close();
      b.close();
      x.close();
      y.close();
    }
  });

  it('recvmsg with control buffers of every size: the fds that arrive are all returned, as CPython counts them, none leaks', () => {
    const sizes = [0, 1, 15, 16, 17, 20, 21, 23, 24, 27, 28, 31, 32, 40];
    const py = python(
      `
a, b = socket.socketpair(); b.settimeout(5)
x, y = socket.socketpair()
before = len(os.listdir('/proc/self/fd'))
out = []
for n in arg:
    socket.send_fds(a, [b'm'], [x.fileno(), y.fileno(), x.fileno()])
    data, anc, flags, addr = b.recvmsg(10, n)
    fds = []
    for level, typ, d in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds += [int.from_bytes(d[i:i + 4], 'little') for i in range(0, len(d) - len(d) % 4, 4)]
    out.append([n, list(data), len(anc), [len(d) for _, _, d in anc], len(fds), flags])
    for fd in fds: os.close(fd)
leak = len(os.listdir('/proc/self/fd')) - before
a.close(); b.close(); x.close(); y.close()
return [out, leak]`,
      sizes,
    );
    const [a, b] = socket.socketpair();
    const [x, y] = socket.socketpair();
    const out: unknown[] = [];
    let leak: number;
    try {
      b.settimeout(5);
      const before = fdCount();
      for (const n of sizes) {
        socket.send_fds(a, [Buffer.from('m')], [x.fileno(), y.fileno(), x.fileno()]);
        const [data, anc, flags] = b.recvmsg(10, n);
        const fds = fdsIn(anc);
        expect(fdCount()).toBe(before + fds.length); // every installed fd is in the result
        for (const fd of fds) expect(cloexec(fd)).toBe(true);
        out.push([n, [...data], anc.length, anc.map(([, , d]) => d.length), fds.length, flags]);
        for (const fd of fds) closeSync(fd);
      }
      leak = fdCount() - before;
    } finally {
      a.close();
      b.close();
      x.close();
      y.close();
    }
    expect([out, leak]).toEqual(py);
    expect(leak).toBe(0);
    // what the kernel does, spelled out: CMSG_SPACE(4) holds two fds, CMSG_LEN(4) one
    const row = (n: number) => out[sizes.indexOf(n)] as unknown[];
    expect(row(20)[4]).toBe(1);
    expect(row(24)[4]).toBe(2);
    expect(row(28)[4]).toBe(3);
    expect(row(28)[5]).toBe(0);
    expect(row(16)[5]).toBe(socket.MSG_CTRUNC);
  });
});

describe('send_fds / recv_fds: differential with python3', () => {
  it('data, number of fds, msg_flags and address for stream, dgram and seqpacket pairs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockmode-msg-'));
    try {
      const py = python(
        `
x, y = socket.socketpair()
f = os.open(os.path.join(arg, 'py'), os.O_RDWR | os.O_CREAT)
send = [x.fileno(), y.fileno(), f]
before = len(os.listdir('/proc/self/fd'))
out = []
for T in (socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_SEQPACKET):
    a, b = socket.socketpair(socket.AF_UNIX, T); b.settimeout(5)
    def case(label, bufs, fds, bufsize, maxfds):
        n = socket.send_fds(a, bufs, fds)
        data, got, flags, addr = socket.recv_fds(b, bufsize, maxfds)
        for fd in got: os.close(fd)
        out.append([T, label, n, list(data), len(got), flags, addr])
    case('all', [b'hello', b' world'], send, 1024, 3)
    case('more room', [b'x'], send[:1], 1024, 8)
    case('ctrunc 1 of 3', [b'abc'], send, 1024, 1)
    case('ctrunc 0 of 3', [b'abc'], send, 1024, 0)
    case('no fds', [b'plain'], [], 1024, 2)
    if T != socket.SOCK_STREAM:
        case('data truncated', [b'0123456789'], send[:2], 4, 2)
    a.close(); b.close()
leak = len(os.listdir('/proc/self/fd')) - before
x.close(); y.close(); os.close(f)
return [out, leak]`,
        dir,
      );
      const [x, y] = socket.socketpair();
      const f = openSync(join(dir, 'js'), 'w+');
      const send = [x.fileno(), y.fileno(), f];
      const before = fdCount();
      const out: unknown[] = [];
      try {
        for (const T of [socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_SEQPACKET]) {
          const [a, b] = socket.socketpair(socket.AF_UNIX, T);
          try {
            b.settimeout(5);
            const kase = (label: string, bufs: Buffer[], fds: number[], bufsize: number, maxfds: number) => {
              const n = socket.send_fds(a, bufs, fds);
              const [data, got, flags, addr] = socket.recv_fds(b, bufsize, maxfds);
              for (const fd of got) {
                expect(cloexec(fd)).toBe(true);
                closeSync(fd);
              }
              out.push([T, label, n, [...data], got.length, flags, addr]);
            };
            kase('all', [Buffer.from('hello'), Buffer.from(' world')], send, 1024, 3);
            kase('more room', [Buffer.from('x')], send.slice(0, 1), 1024, 8);
            kase('ctrunc 1 of 3', [Buffer.from('abc')], send, 1024, 1);
            kase('ctrunc 0 of 3', [Buffer.from('abc')], send, 1024, 0);
            kase('no fds', [Buffer.from('plain')], [], 1024, 2);
            if (T !== socket.SOCK_STREAM) kase('data truncated', [Buffer.from('0123456789')], send.slice(0, 2), 4, 2);
          } finally {
            a.close();
            b.close();
          }
        }
      } finally {
        const leak = fdCount() - before;
        x.close();
        y.close();
        closeSync(f);
        expect([out, leak]).toEqual(py);
      }
      expect(out).toContainEqual([socket.SOCK_STREAM, 'ctrunc 1 of 3', 3, [97, 98, 99], 1, socket.MSG_CTRUNC, null]);
      expect(out).toContainEqual([
        socket.SOCK_DGRAM,
        'data truncated',
        10,
        [48, 49, 50, 51],
        2,
        socket.MSG_TRUNC,
        null,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fds across processes', () => {
  it('a socket fd and a file fd handed to a python3 child are used there; the parent closed its copies first', () => {
    const [p, c] = socket.socketpair();
    const [x, y] = socket.socketpair();
    const file = tmpFile();
    try {
      p.settimeout(5);
      x.settimeout(5);
      socket.send_fds(p, [Buffer.from('take these')], [y.fileno(), file.fd]);
      y.close(); // only the message in flight holds the description now
      closeSync(file.fd);
      const r = pythonWithFd(
        `
s = socket.socket(fileno=3); s.settimeout(5)
msg, fds, flags, addr = socket.recv_fds(s, 100, 2)
t = socket.socket(fileno=fds[0])
t.sendall(b'python got: ' + msg)
os.write(fds[1], b'python wrote the file')
info = [t.family, t.type, len(fds), flags, addr]
t.close(); os.close(fds[1]); s.close()
return info`,
        c.fileno(),
      );
      expect(r).toEqual([socket.AF_UNIX, socket.SOCK_STREAM, 2, 0, null]);
      expect(x.recv(100).toString()).toBe('python got: take these');
      expect(readFileSync(file.path, 'utf8')).toBe('python wrote the file');
      // the child's copy closed at exit and ours earlier: the peer sees end of stream
      expect(x.recv(100).length).toBe(0);
    } finally {
      p.close();
      c.close();
      x.close();
      y.close();
      file.cleanup();
    }
  });

  it('a node child using sockmode receives the fd close-on-exec, adopts it and writes through it', () => {
    const [p, c] = socket.socketpair();
    const [x, y] = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET);
    try {
      p.settimeout(5);
      x.settimeout(5);
      socket.send_fds(p, [Buffer.from('hello child')], [y.fileno()]);
      y.close();
      const r = nodeWithFd(
        `
const s = socket.socket(undefined, undefined, undefined, 3); s.settimeout(5);
const [msg, fds, flags, addr] = socket.recv_fds(s, 100, 4);
const t = socket.socket(undefined, undefined, undefined, fds[0]);
const info = { msg: msg.toString(), n: fds.length, flags, addr, cloexec: cloexec(fds[0]), family: t.family, type: t.type, mode: [t.gettimeout(), socket.get_blocking(t.fileno())] };
t.settimeout(5);
t.send(Buffer.from('record one'));
t.send(Buffer.from('record two'));
t.close(); s.close();
return info;`,
        c.fileno(),
      );
      expect(r).toEqual({
        msg: 'hello child',
        n: 1,
        flags: 0,
        addr: null,
        cloexec: true,
        family: socket.AF_UNIX,
        type: socket.SOCK_SEQPACKET,
        mode: [null, true],
      });
      expect(x.recv(100).toString()).toBe('record one');
      expect(x.recv(100).toString()).toBe('record two');
    } finally {
      p.close();
      c.close();
      x.close();
      y.close();
    }
  });

  it('an fd a python3 child sends back (a pipe) arrives close-on-exec and reads what the child wrote', () => {
    const [p, c] = socket.socketpair();
    let got: number[] = [];
    try {
      p.settimeout(5);
      const before = fdCount();
      const r = pythonWithFd(
        `
s = socket.socket(fileno=3)
r, w = os.pipe()
os.write(w, b'through the pipe'); os.close(w)
n = socket.send_fds(s, [b'pipe'], [r])
os.close(r); s.close()
return n`,
        c.fileno(),
      );
      expect(r).toBe(4);
      const [data, fds, flags] = socket.recv_fds(p, 100, 2);
      got = fds;
      expect([data.toString(), fds.length, flags]).toEqual(['pipe', 1, 0]);
      expect(fdCount()).toBe(before + 1);
      expect(cloexec(fds[0])).toBe(true);
      const buf = Buffer.alloc(64);
      const n = readSync(fds[0], buf, 0, 64, null);
      expect(buf.subarray(0, n).toString()).toBe('through the pipe');
      expect(readSync(fds[0], buf, 0, 64, null)).toBe(0); // the writer is gone everywhere
    } finally {
      for (const fd of got) closeSync(fd);
      p.close();
      c.close();
    }
  });

  it("an adopted received fd keeps the real mode: non-blocking here, the child's object says blocking yet recv raises BlockingIOError (node and python3)", () => {
    const results: unknown[] = [];
    for (const lang of ['node', 'python'] as const) {
      const [p, c] = socket.socketpair();
      const [a, b] = socket.socketpair();
      try {
        p.settimeout(5);
        a.setblocking(false); // the description is non-blocking
        socket.send_fds(p, [Buffer.from('fd')], [a.fileno()]);
        const r =
          lang === 'node'
            ? nodeWithFd(
                `
const s = socket.socket(undefined, undefined, undefined, 3); s.settimeout(5);
const [, fds] = socket.recv_fds(s, 10, 1);
const t = socket.socket(undefined, undefined, undefined, fds[0]);
const o = observe(() => t.recv(10));
const r = [t.gettimeout(), t.getblocking(), !socket.get_blocking(t.fileno()), o];
t.close(); s.close();
return r;`,
                c.fileno(),
              )
            : pythonWithFd(
                `
s = socket.socket(fileno=3); s.settimeout(5)
msg, fds, flags, addr = socket.recv_fds(s, 10, 1)
t = socket.socket(fileno=fds[0])
o = observe(lambda: t.recv(10))
r = [t.gettimeout(), t.getblocking(), not os.get_blocking(t.fileno()), o]
t.close(); s.close()
return r`,
                c.fileno(),
              );
        expect(r.slice(0, 3)).toEqual([null, true, true]);
        expect(r[3]).toMatchObject({ ok: false, error: 'BlockingIOError', errno: 11 });
        expect(r[3].elapsed).toBeLessThan(1);
        results.push([...r.slice(0, 3), outcome(r[3])]);
      } finally {
        p.close();
        c.close();
        a.close();
        b.close();
      }
    }
    expect(results[0]).toEqual(results[1]);
  });

  it('a child that adopts our fd and sets it non-blocking changes it for us: our object still says blocking, recv raises BlockingIOError', () => {
    for (const lang of ['node', 'python'] as const) {
      const [p, c] = socket.socketpair();
      const [a, b] = socket.socketpair();
      try {
        p.settimeout(5);
        guard(a); // were the fd still blocking, recv would return after 3 s instead of hanging
        expect(socket.get_blocking(a.fileno())).toBe(true);
        socket.send_fds(p, [Buffer.from('fd')], [a.fileno()]);
        const r =
          lang === 'node'
            ? nodeWithFd(
                `
const s = socket.socket(undefined, undefined, undefined, 3); s.settimeout(5);
const [, fds] = socket.recv_fds(s, 10, 1);
const t = socket.socket(undefined, undefined, undefined, fds[0]);
t.setblocking(false);
const r = [t.getblocking(), socket.get_blocking(t.fileno())];
t.close(); s.close();
return r;`,
                c.fileno(),
              )
            : pythonWithFd(
                `
s = socket.socket(fileno=3); s.settimeout(5)
msg, fds, flags, addr = socket.recv_fds(s, 10, 1)
t = socket.socket(fileno=fds[0])
t.setblocking(False)
r = [t.getblocking(), os.get_blocking(t.fileno())]
t.close(); s.close()
return r`,
                c.fileno(),
              );
        expect([lang, r]).toEqual([lang, [false, false]]);
        expect([a.gettimeout(), a.getblocking()]).toEqual([null, true]); // never read back
        expect(socket.get_blocking(a.fileno())).toBe(false); // the shared description changed
        const o = observe(() => a.recv(10));
        expect(o).toMatchObject({ ok: false, error: 'BlockingIOError', errno: 11 });
        expect(o.elapsed).toBeLessThan(1);
      } finally {
        p.close();
        c.close();
        a.close();
        b.close();
      }
    }
  });
});
