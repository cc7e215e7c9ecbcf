// SEMANTICS §3 and §8 for datagrams: SOCK_DGRAM on AF_INET (127.0.0.1),
// AF_INET6 (::1) and AF_UNIX (abstract names and paths under os.tmpdir()),
// SOCK_SEQPACKET on AF_UNIX. sendto / recvfrom / recvfrom_into (and recvmsg)
// go through the one mode-aware primitive: blocking (in a child process),
// non-blocking (BlockingIOError 11 at once), timeout (TimeoutError after >= t).
// recvfrom(0) issues the syscall. Addresses, argument errors, EMSGSIZE and the
// broadcast/multicast options are compared with python3.
// Loopback only; no multicast datagram is ever sent.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import { checkNoFdLeaks, node, observe, outcome, python, root, type Observation } from './helpers.js';

checkNoFdLeaks();

const T = 0.2;
let seq = 0;

/** A fresh Linux abstract-namespace AF_UNIX name (leading NUL byte). */
function abstractName(tag: string): Buffer {
  return Buffer.from(`\0sockmode-dgram-${process.pid}-${tag}-${seq++}-${Math.random().toString(36).slice(2, 8)}`);
}

/** A temporary directory for AF_UNIX paths, removed by cleanup(). */
function tmpDir(): { path(name: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sockmode-dgram-'));
  return { path: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Bytes of a Buffer (or null) as a plain array, for comparisons. */
const bytes = (b: Buffer) => [...b];

type Kind = 'inet' | 'inet6' | 'unix-abstract' | 'unix-path' | 'seqpacket';
const kinds: Kind[] = ['inet', 'inet6', 'unix-abstract', 'unix-path', 'seqpacket'];

interface Ends {
  rx: socket.Socket;
  tx: socket.Socket;
  /** Sends one datagram (record) from tx to rx. */
  send(data: Buffer): number;
  /** The address rx's receives report for tx. */
  txAddress: socket.SockAddress | null;
  close(): void;
}

/** A receiver and a sender, both in timeout mode 5 (the test sets the mode it checks). */
function ends(kind: Kind): Ends {
  if (kind === 'seqpacket') {
    const [rx, tx] = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET);
    rx.settimeout(5);
    tx.settimeout(5);
    return { rx, tx, send: (d) => tx.send(d), txAddress: null, close: () => (rx.close(), tx.close()) };
  }
  const family = kind === 'inet' ? socket.AF_INET : kind === 'inet6' ? socket.AF_INET6 : socket.AF_UNIX;
  const dir = kind === 'unix-path' ? tmpDir() : null;
  const rx = socket.socket(family, socket.SOCK_DGRAM);
  const tx = socket.socket(family, socket.SOCK_DGRAM);
  const close = () => {
    rx.close();
    tx.close();
    dir?.cleanup();
  };
  try {
    rx.settimeout(5);
    tx.settimeout(5);
    if (kind === 'inet' || kind === 'inet6') {
      const host = kind === 'inet' ? '127.0.0.1' : '::1';
      rx.bind([host, 0]);
      tx.bind([host, 0]);
    } else if (dir) {
      rx.bind(dir.path('rx'));
      tx.bind(dir.path('tx'));
    } else {
      rx.bind(abstractName('rx'));
      tx.bind(abstractName('tx'));
    }
    const to = rx.getsockname() as socket.Address;
    return { rx, tx, send: (d) => tx.sendto(d, to), txAddress: tx.getsockname(), close };
  } catch (e) {
    close();
    throw e;
  }
}

function expectTimedOut(o: Observation, t = T): void {
  expect(o).toMatchObject({ ok: false, error: 'TimeoutError', errno: null, message: 'timed out' });
  expect(o.elapsed).toBeGreaterThanOrEqual(t);
  expect(o.elapsed).toBeLessThan(t + 2);
}

function expectWouldBlock(o: Observation): void {
  expect(o).toMatchObject({
    ok: false,
    error: 'BlockingIOError',
    errno: 11,
    message: '[Errno 11] Resource temporarily unavailable',
  });
  expect(o.elapsed).toBeLessThan(0.5);
}

describe('datagrams and records in timeout and non-blocking mode', () => {
  for (const kind of kinds) {
    it(`${kind}: message boundaries are kept by recvfrom, recvfrom_into, recvmsg, recvmsg_into`, () => {
      const e = ends(kind);
      try {
        e.rx.settimeout(2);
        const msgs = ['one', 'three33', 'scatter!', 'x'.repeat(3000)].map((s) => Buffer.from(s));
        for (const m of msgs) expect(e.send(m)).toBe(m.length);

        const [d1, a1] = e.rx.recvfrom(1024);
        expect(d1.toString()).toBe('one');
        expect(a1).toEqual(e.txAddress);

        const into = Buffer.alloc(64, 0xee);
        const [n2, a2] = e.rx.recvfrom_into(into);
        expect(n2).toBe(7);
        expect(into.subarray(0, 7).toString()).toBe('three33');
        expect(into.subarray(7).every((x) => x === 0xee)).toBe(true);
        expect(a2).toEqual(e.txAddress);

        const [d3, anc3, flags3, a3] = e.rx.recvmsg(1024);
        expect([d3.toString(), anc3, flags3]).toEqual(['scatter!', [], 0]);
        expect(a3).toEqual(e.txAddress);

        const parts = [Buffer.alloc(1000), Buffer.alloc(1000), Buffer.alloc(4000)];
        const [n4, anc4, flags4, a4] = e.rx.recvmsg_into(parts);
        expect([n4, anc4, flags4]).toEqual([3000, [], 0]);
        expect(Buffer.concat(parts).subarray(0, 3000).equals(msgs[3])).toBe(true);
        expect(a4).toEqual(e.txAddress);

        // nothing more: the four messages were four receives
        e.rx.setblocking(false);
        expectWouldBlock(observe(() => e.rx.recvfrom(1024)));
      } finally {
        e.close();
      }
    });

    it(`${kind}: non-blocking receives on an empty socket raise BlockingIOError 11 at once; recv(0) returns empty`, () => {
      const e = ends(kind);
      try {
        e.rx.setblocking(false);
        expect(socket.get_blocking(e.rx.fileno())).toBe(false);
        expectWouldBlock(observe(() => e.rx.recvfrom(10)));
        expectWouldBlock(observe(() => e.rx.recvfrom(0))); // recvfrom(0) is not short-circuited
        expectWouldBlock(observe(() => e.rx.recvfrom_into(Buffer.alloc(10))));
        expectWouldBlock(observe(() => e.rx.recvfrom_into(Buffer.alloc(10), 5)));
        expectWouldBlock(observe(() => e.rx.recvmsg(10)));
        expectWouldBlock(observe(() => e.rx.recvmsg_into([Buffer.alloc(10)])));
        const r0 = e.rx.recv(0); // recv(0) is: no syscall, no error
        expect(Buffer.isBuffer(r0) && r0.length).toBe(0);
        expect(e.rx.getblocking()).toBe(false);
      } finally {
        e.close();
      }
    });

    it(`${kind}: timeout mode: each receive raises TimeoutError('timed out') after >= the timeout, then data still flows`, () => {
      const e = ends(kind);
      try {
        e.rx.settimeout(T);
        expectTimedOut(observe(() => e.rx.recvfrom(10)));
        expectTimedOut(observe(() => e.rx.recvfrom(0)));
        expectTimedOut(observe(() => e.rx.recvfrom_into(Buffer.alloc(10))));
        expectTimedOut(observe(() => e.rx.recvmsg(10)));
        expectTimedOut(observe(() => e.rx.recvmsg_into([Buffer.alloc(10)])));
        expect(e.rx.gettimeout()).toBe(T);
        e.send(Buffer.from('after'));
        const o = observe(() => e.rx.recvfrom(10)[0].toString());
        expect(o).toMatchObject({ ok: true, value: 'after' });
        expect(o.elapsed).toBeLessThan(T);
      } finally {
        e.close();
      }
    });

    it(`${kind}: a datagram larger than bufsize is truncated and the rest discarded`, () => {
      const e = ends(kind);
      try {
        const ten = Buffer.from('0123456789');
        e.send(ten);
        e.send(Buffer.from('next'));
        const [d, a] = e.rx.recvfrom(4);
        expect(d.toString()).toBe('0123');
        expect(a).toEqual(e.txAddress);
        expect(e.rx.recvfrom(100)[0].toString()).toBe('next'); // '456789' is gone

        e.send(ten);
        const small = Buffer.alloc(3);
        expect(e.rx.recvfrom_into(small)[0]).toBe(3);
        expect(small.toString()).toBe('012');

        e.send(ten);
        const [dm, , flags] = e.rx.recvmsg(4);
        expect(dm.toString()).toBe('0123');
        expect(flags & socket.MSG_TRUNC).toBe(socket.MSG_TRUNC);

        e.send(ten);
        const [n, , flags2] = e.rx.recvmsg_into([Buffer.alloc(2), Buffer.alloc(3)]);
        expect(n).toBe(5);
        expect(flags2 & socket.MSG_TRUNC).toBe(socket.MSG_TRUNC);

        e.rx.setblocking(false);
        expectWouldBlock(observe(() => e.rx.recvfrom(100)));
      } finally {
        e.close();
      }
    });

    it(`${kind}: recvfrom(0) with a datagram pending issues the receive: empty data, the address, the datagram consumed`, () => {
      const e = ends(kind);
      try {
        e.send(Buffer.from('gone'));
        e.send(Buffer.from('kept'));
        const [d, a] = e.rx.recvfrom(0);
        expect(Buffer.isBuffer(d) && d.length).toBe(0);
        expect(a).toEqual(e.txAddress);
        expect(e.rx.recvfrom(10)[0].toString()).toBe('kept');
      } finally {
        e.close();
      }
    });
  }

  it('MSG_PEEK and MSG_DONTWAIT flags pass through recvfrom and recvfrom_into', () => {
    const e = ends('inet');
    try {
      e.send(Buffer.from('peek'));
      expect(e.rx.recvfrom(10, socket.MSG_PEEK)[0].toString()).toBe('peek');
      const b = Buffer.alloc(10);
      expect(e.rx.recvfrom_into(b, 0, socket.MSG_PEEK)[0]).toBe(4);
      expect(e.rx.recvfrom(10)[0].toString()).toBe('peek');
      e.rx.settimeout(null);
      // blocking object, but MSG_DONTWAIT makes this one call non-blocking: no hang
      expectWouldBlock(observe(() => e.rx.recvfrom(10, socket.MSG_DONTWAIT)));
      expect(e.tx.sendto(Buffer.from('f'), socket.MSG_DONTWAIT, e.rx.getsockname() as socket.Address)).toBe(1);
      expect(e.rx.recvfrom(10, socket.MSG_DONTWAIT)[0].toString()).toBe('f');
    } finally {
      e.close();
    }
  });

  it('typed arrays and DataViews are data for sendto and buffers for recvfrom_into', () => {
    const e = ends('unix-abstract');
    try {
      const u16 = new Uint16Array([0x4241, 0x4443]);
      const to = e.rx.getsockname() as socket.Address;
      expect(e.tx.sendto(u16, to)).toBe(4);
      const xyz = Buffer.from('xyz');
      expect(e.tx.sendto(new DataView(xyz.buffer, xyz.byteOffset, 3), 0, to)).toBe(3);
      const into = new Uint8Array(8);
      expect(e.rx.recvfrom_into(into)[0]).toBe(4);
      expect(Buffer.from(into.subarray(0, 4)).toString()).toBe('ABCD');
      const dv = new DataView(new ArrayBuffer(6));
      expect(e.rx.recvfrom_into(dv, 2)[0]).toBe(2); // truncated to nbytes
      expect(dv.getUint8(0)).toBe(0x78);
      expect(dv.getUint8(1)).toBe(0x79);
      expect(dv.getUint8(2)).toBe(0);
    } finally {
      e.close();
    }
  });
});

describe('sending to a full receiver', () => {
  it('AF_UNIX dgram: non-blocking sendto raises BlockingIOError, timeout sendto TimeoutError after >= t, as CPython', () => {
    const rxName = abstractName('full-rx');
    const py = python(
      `
rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); rx.bind(bytes.fromhex(arg['rx']))
tx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
tx.setblocking(False)
n = 0
try:
    for _ in range(10000):
        tx.sendto(b'A' * 64, rx.getsockname()); n += 1
except BlockingIOError:
    pass
out = [n > 0, observe(lambda: tx.sendto(b'x', rx.getsockname()))]
tx.settimeout(arg['T'])
out.append(observe(lambda: tx.sendto(b'x', rx.getsockname())))
out.append(observe(lambda: tx.sendto(b'x', 0, rx.getsockname())))
rx.settimeout(5); rx.recv(100)
out.append(observe(lambda: tx.sendto(b'yz', rx.getsockname())))
rx.close(); tx.close()
return out`,
      { rx: abstractName('py-full-rx').toString('hex'), T },
    );
    // Our side runs in a child under a watchdog: if the timeout-mode sendto never
    // returned (a busy wait that misses its deadline), the child is killed and the
    // test fails instead of holding this process.
    let ours: any;
    try {
      ours = node(
        `
const name = Buffer.from(arg.rx, 'hex');
const rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); rx.bind(name);
const tx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM);
tx.setblocking(false);
let n = 0;
try {
  for (let i = 0; i < 10000; i++) { tx.sendto(Buffer.alloc(64, 65), name); n++; }
} catch (e) {
  if (!(e instanceof socket.BlockingIOError)) throw e;
}
const out = [n > 0, observe(() => tx.sendto(Buffer.from('x'), name))];
tx.settimeout(arg.T);
out.push(observe(() => tx.sendto(Buffer.from('x'), name)));
out.push(observe(() => tx.sendto(Buffer.from('x'), 0, name)));
rx.settimeout(5); rx.recv(100); // room for one
out.push(observe(() => tx.sendto(Buffer.from('yz'), name)));
rx.close(); tx.close();
return out;`,
        { rx: rxName.toString('hex'), T },
        10_000,
      );
    } catch (e) {
      throw new Error(
        `the child did not finish in 10 s: a timeout-mode sendto to a full receiver never returned (${(e as Error).message})`,
        { cause: e },
      );
    }
    const norm = (o: unknown) => (typeof o === 'boolean' ? o : outcome(o as Observation));
    expect(ours.map(norm)).toEqual(py.map(norm));
    expectWouldBlock(ours[1]);
    expectTimedOut(ours[2]);
    expectTimedOut(ours[3]);
    expect(ours[4]).toMatchObject({ ok: true, value: 2 });
    expect(ours[4].elapsed).toBeLessThan(T);
  });

  it('SOCK_SEQPACKET and dgram socketpairs: send on a full pair times out / would block', () => {
    for (const type of [socket.SOCK_SEQPACKET, socket.SOCK_DGRAM]) {
      const [a, b] = socket.socketpair(socket.AF_UNIX, type);
      try {
        a.setblocking(false);
        let n = 0;
        let last: Observation | undefined;
        for (let i = 0; i < 100_000; i++) {
          last = observe(() => a.send(Buffer.alloc(1024, 0x42)));
          if (!last.ok) break;
          n++;
        }
        expect(n).toBeGreaterThan(0);
        expectWouldBlock(last!);
        a.settimeout(T);
        expectTimedOut(observe(() => a.send(Buffer.alloc(1024))));
        // the records that went keep their boundaries
        b.settimeout(2);
        expect(b.recv(4096).length).toBe(1024);
      } finally {
        a.close();
        b.close();
      }
    }
  });
});

describe('blocking mode (in a child process: a blocked call holds the whole thread)', () => {
  it('recvfrom waits in the kernel for the datagram (UDP and AF_UNIX); sendto to a full AF_UNIX receiver blocks until room', async () => {
    const unixName = abstractName('blk');
    const fullName = abstractName('blk-full');
    // A receiver whose queue is full: the child's blocking sendto to it must wait.
    const full = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM);
    const filler = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM);
    const tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
    const utx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM);
    let child: ReturnType<typeof spawn> | undefined;
    try {
      full.bind(fullName);
      full.settimeout(5);
      filler.setblocking(false);
      for (let i = 0; i < 10_000; i++) {
        const o = observe(() => filler.sendto(Buffer.alloc(16), fullName));
        if (!o.ok) {
          expect(o.errno).toBe(11);
          break;
        }
      }
      const script = `
import * as socket from ${JSON.stringify(join(root, 'dist', 'index.js'))};
import { writeSync } from 'node:fs';
const say = (o) => writeSync(1, JSON.stringify(o) + '\\n');
const hex = (b) => Buffer.isBuffer(b) ? { hex: b.toString('hex') } : b;
const u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(['127.0.0.1', 0]);
const x = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); x.bind(Buffer.from(process.argv[1], 'hex'));
const full = Buffer.from(process.argv[2], 'hex');
const mode = [u.gettimeout(), u.getblocking(), socket.get_blocking(u.fileno()), x.gettimeout(), socket.get_blocking(x.fileno())];
let t0 = performance.now();
say({ port: u.getsockname()[1] });
const [d1, a1] = u.recvfrom(100);
const e1 = (performance.now() - t0) / 1000;
t0 = performance.now();
say({ step: 'unix' });
const [d2, a2] = x.recvfrom(100);
const e2 = (performance.now() - t0) / 1000;
t0 = performance.now();
say({ step: 'send' });
const sent = x.sendto(Buffer.from('blocked send'), full);
const e3 = (performance.now() - t0) / 1000;
u.close(); x.close();
say({ mode, d1: d1.toString(), a1, e1, d2: d2.toString(), a2: hex(a2), e2, sent, e3 });
`;
      child = spawn(
        process.execPath,
        ['--input-type=module', '-e', script, unixName.toString('hex'), fullName.toString('hex')],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const c = child;
      const watchdog = setTimeout(() => c.kill('SIGKILL'), 15_000);
      let buf = '';
      let stderr = '';
      const waiters: ((line: string) => void)[] = [];
      const lines: string[] = [];
      c.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          const w = waiters.shift();
          if (w) w(line);
          else lines.push(line);
        }
      });
      c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const closed = new Promise<number | null>((resolve) => c.on('close', (code) => resolve(code)));
      const nextLine = () =>
        new Promise<string>((resolve, reject) => {
          const l = lines.shift();
          if (l !== undefined) return resolve(l);
          waiters.push(resolve);
          void closed.then(() => reject(new Error(`child exited: ${stderr}`)));
        });
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

      const { port } = JSON.parse(await nextLine());
      await sleep(300);
      tx.settimeout(2);
      tx.bind(['127.0.0.1', 0]);
      tx.sendto(Buffer.from('late udp'), ['127.0.0.1', port]);
      expect(JSON.parse(await nextLine())).toEqual({ step: 'unix' });
      await sleep(300);
      utx.settimeout(2);
      utx.sendto(Buffer.from('late unix'), unixName);
      expect(JSON.parse(await nextLine())).toEqual({ step: 'send' });
      await sleep(300);
      full.recv(100); // room for one: the child's sendto completes
      const r = JSON.parse(await nextLine());
      expect(await closed).toBe(0);
      clearTimeout(watchdog);

      expect(r.mode).toEqual([null, true, true, null, true]);
      expect(r.d1).toBe('late udp');
      expect(r.a1).toEqual(tx.getsockname());
      expect(r.e1).toBeGreaterThanOrEqual(0.28);
      expect(r.e1).toBeLessThan(10);
      expect(r.d2).toBe('late unix');
      expect(r.a2).toBe(null); // unbound AF_UNIX sender
      expect(r.e2).toBeGreaterThanOrEqual(0.28);
      expect(r.e2).toBeLessThan(10);
      expect(r.sent).toBe(12);
      expect(r.e3).toBeGreaterThanOrEqual(0.28);
      expect(r.e3).toBeLessThan(10);
      // the blocked datagram arrived after the filler's
      full.setblocking(false);
      let last = '';
      for (let i = 0; i < 10_000; i++) {
        const o = observe(() => full.recv(100).toString());
        if (!o.ok) break;
        last = o.value as string;
      }
      expect(last).toBe('blocked send');
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      full.close();
      filler.close();
      tx.close();
      utx.close();
    }
  });
});

describe('differential with python3: timeouts and errors', () => {
  const families = ['inet', 'inet6', 'unix'] as const;
  for (const fam of families) {
    it(`${fam}: every receive mode, recvfrom(0), argument errors, EMSGSIZE and address errors as CPython`, () => {
      const rxName = abstractName('d-rx');
      const txName = abstractName('d-tx');
      const big = fam === 'unix' ? 300_000 : 70_000;
      const arg = { family: fam, rx: rxName.toString('hex'), tx: txName.toString('hex'), T, big };
      const py = python(
        `
fam = arg['family']; T = arg['T']
F = {'inet': socket.AF_INET, 'inet6': socket.AF_INET6, 'unix': socket.AF_UNIX}[fam]
host = {'inet': '127.0.0.1', 'inet6': '::1'}.get(fam)
rx = socket.socket(F, socket.SOCK_DGRAM); tx = socket.socket(F, socket.SOCK_DGRAM)
if F == socket.AF_UNIX:
    rx.bind(bytes.fromhex(arg['rx'])); tx.bind(bytes.fromhex(arg['tx']))
else:
    rx.bind((host, 0)); tx.bind((host, 0))
to = rx.getsockname()
def got(r):
    return [list(r[0]), r[1] == tx.getsockname()]
out = []
def step(label, fn):
    out.append([label, observe(fn)])
rx.settimeout(T)
step('timeout recvfrom', lambda: rx.recvfrom(10))
step('timeout recvfrom(0)', lambda: rx.recvfrom(0))
step('timeout recvfrom_into', lambda: rx.recvfrom_into(bytearray(10)))
step('timeout recvmsg', lambda: rx.recvmsg(10))
step('timeout recvmsg_into', lambda: rx.recvmsg_into([bytearray(10)]))
rx.setblocking(False)
step('nb recvfrom', lambda: rx.recvfrom(10))
step('nb recvfrom(0)', lambda: rx.recvfrom(0))
step('nb recv(0)', lambda: rx.recv(0))
step('nb recvfrom_into', lambda: rx.recvfrom_into(bytearray(10), 0))
step('nb recvmsg', lambda: rx.recvmsg(10))
step('recvfrom(-1)', lambda: rx.recvfrom(-1))
step('recvfrom_into nbytes -1', lambda: rx.recvfrom_into(bytearray(4), -1))
step('recvfrom_into nbytes > len', lambda: rx.recvfrom_into(bytearray(4), 5))
step('recvmsg(-1)', lambda: rx.recvmsg(-1))
step('recvmsg ancbufsize -1', lambda: rx.recvmsg(10, -1))
step('sendto 1 argument', lambda: tx.sendto(b'x'))
step('sendto str', lambda: tx.sendto('str', to))
step('sendto too large', lambda: tx.sendto(b'x' * arg['big'], to))
step('sendto flags form', lambda: tx.sendto(b'abc', 0, to))
rx.settimeout(5)
step('recvfrom data', lambda: got(rx.recvfrom(10)))
tx.sendto(b'0123456789', to)
step('recvfrom truncated', lambda: got(rx.recvfrom(4)))
tx.sendto(b'abcdef', to)
step('recvfrom(0) data', lambda: got(rx.recvfrom(0)))
tx.sendto(b'0123456789', to)
step('recvfrom_into nbytes', lambda: [rx.recvfrom_into(bytearray(8), 3)[0]])
rx.setblocking(False)
step('nb after consume', lambda: rx.recvfrom(10))
if F == socket.AF_UNIX:
    step('sendto missing path', lambda: tx.sendto(b'x', '/nonexistent-sockmode-dir/x'))
    step('sendto path too long', lambda: tx.sendto(b'x', 'a' * 200))
    step('sendto not bound path', lambda: tx.sendto(b'x', b'\\0sockmode-nobody-' + arg['rx'].encode()))
else:
    step('sendto str address', lambda: tx.sendto(b'x', host))
    step('sendto short tuple', lambda: tx.sendto(b'x', (host,)))
    step('sendto port range', lambda: tx.sendto(b'x', (host, 70000)))
    step('sendto port 0', lambda: tx.sendto(b'x', (host, 0)))
rx.close(); tx.close()
return out`,
        arg,
      );

      const F = fam === 'inet' ? socket.AF_INET : fam === 'inet6' ? socket.AF_INET6 : socket.AF_UNIX;
      const host = fam === 'inet' ? '127.0.0.1' : '::1';
      const rx = socket.socket(F, socket.SOCK_DGRAM);
      const tx = socket.socket(F, socket.SOCK_DGRAM);
      const out: [string, Observation][] = [];
      try {
        if (F === socket.AF_UNIX) {
          rx.bind(rxName);
          tx.bind(txName);
        } else {
          rx.bind([host, 0]);
          tx.bind([host, 0]);
        }
        const to = rx.getsockname() as socket.Address;
        const same = (a: unknown) => JSON.stringify(a) === JSON.stringify(tx.getsockname());
        const got = (r: [Buffer, unknown]) => [bytes(r[0]), same(r[1])];
        const step = (label: string, fn: () => unknown) => out.push([label, observe(fn)]);
        const t = tx as any;
        rx.settimeout(T);
        step('timeout recvfrom', () => rx.recvfrom(10));
        step('timeout recvfrom(0)', () => rx.recvfrom(0));
        step('timeout recvfrom_into', () => rx.recvfrom_into(Buffer.alloc(10)));
        step('timeout recvmsg', () => rx.recvmsg(10));
        step('timeout recvmsg_into', () => rx.recvmsg_into([Buffer.alloc(10)]));
        rx.setblocking(false);
        step('nb recvfrom', () => rx.recvfrom(10));
        step('nb recvfrom(0)', () => rx.recvfrom(0));
        step('nb recv(0)', () => rx.recv(0));
        step('nb recvfrom_into', () => rx.recvfrom_into(Buffer.alloc(10), 0));
        step('nb recvmsg', () => rx.recvmsg(10));
        step('recvfrom(-1)', () => rx.recvfrom(-1));
        step('recvfrom_into nbytes -1', () => rx.recvfrom_into(Buffer.alloc(4), -1));
        step('recvfrom_into nbytes > len', () => rx.recvfrom_into(Buffer.alloc(4), 5));
        step('recvmsg(-1)', () => rx.recvmsg(-1));
        step('recvmsg ancbufsize -1', () => rx.recvmsg(10, -1));
        step('sendto 1 argument', () => t.sendto(Buffer.from('x')));
        step('sendto str', () => t.sendto('str', to));
        step('sendto too large', () => tx.sendto(Buffer.alloc(big, 0x78), to));
        step('sendto flags form', () => tx.sendto(Buffer.from('abc'), 0, to));
        rx.settimeout(5);
        step('recvfrom data', () => got(rx.recvfrom(10)));
        tx.sendto(Buffer.from('0123456789'), to);
        step('recvfrom truncated', () => got(rx.recvfrom(4)));
        tx.sendto(Buffer.from('abcdef'), to);
        step('recvfrom(0) data', () => got(rx.recvfrom(0)));
        tx.sendto(Buffer.from('0123456789'), to);
        step('recvfrom_into nbytes', () => [rx.recvfrom_into(Buffer.alloc(8), 3)[0]]);
        rx.setblocking(false);
        step('nb after consume', () => rx.recvfrom(10));
        if (F === socket.AF_UNIX) {
          step('sendto missing path', () => tx.sendto(Buffer.from('x'), '/nonexistent-sockmode-dir/x'));
          step('sendto path too long', () => tx.sendto(Buffer.from('x'), 'a'.repeat(200)));
          step('sendto not bound path', () => tx.sendto(Buffer.from('x'), Buffer.from('\0sockmode-nobody-' + arg.rx)));
        } else {
          step('sendto str address', () => t.sendto(Buffer.from('x'), host));
          step('sendto short tuple', () => t.sendto(Buffer.from('x'), [host]));
          step('sendto port range', () => tx.sendto(Buffer.from('x'), [host, 70000]));
          step('sendto port 0', () => tx.sendto(Buffer.from('x'), [host, 0]));
        }
      } finally {
        rx.close();
        tx.close();
      }

      expect(out.map(([l]) => l)).toEqual(py.map(([l]: [string]) => l));
      for (let i = 0; i < out.length; i++) {
        const [label, o] = out[i];
        const p = py[i][1] as Observation;
        if (p.error === 'TypeError') expect([label, o.error]).toEqual([label, 'TypeError']);
        else expect([label, outcome(o)]).toEqual([label, outcome(p)]);
        if (label.startsWith('timeout ')) expectTimedOut(o);
        if (label.startsWith('nb ') && !o.ok) expectWouldBlock(o);
      }
      // the rows that pin the contract, spelled out
      const byLabel = new Map(out);
      expect(byLabel.get('nb recvfrom(0)')!.errno).toBe(11);
      expect(byLabel.get('nb recv(0)')).toMatchObject({ ok: true, value: [] });
      expect(byLabel.get('recvfrom_into nbytes > len')).toMatchObject({
        error: 'RangeError',
        message: 'nbytes is greater than the length of the buffer',
      });
      expect(byLabel.get('sendto 1 argument')!.error).toBe('TypeError');
      expect(byLabel.get('sendto too large')).toMatchObject({ error: 'OSError', errno: 90 });
    });
  }
});

describe('differential with python3: the address recvfrom returns', () => {
  it('for each family and socket kind, including an unbound AF_UNIX sender and connected streams (null/None)', () => {
    const dir = tmpDir();
    try {
      const arg = {
        a1: abstractName('addr1').toString('hex'),
        a2: abstractName('addr2').toString('hex'),
        p1: dir.path('p1'),
        p2: dir.path('p2'),
        p3: dir.path('p3'),
      };
      const py = python(
        `
def norm(a, port=None):
    if a is None: return None
    if isinstance(a, bytes): return {'bytes': a.hex()}
    if isinstance(a, tuple): return [a[0], 'PORT' if a[1] == port else a[1], *a[2:]]
    return a
def unlink(*paths):
    for p in paths:
        if isinstance(p, str) and os.path.exists(p): os.unlink(p)
def dgram(F, rxaddr, txaddr):
    rx = socket.socket(F, socket.SOCK_DGRAM); rx.settimeout(5); rx.bind(rxaddr)
    tx = socket.socket(F, socket.SOCK_DGRAM)
    if txaddr is not None: tx.bind(txaddr)
    to = rx.getsockname()
    res = []
    tx.sendto(b'a', to); res.append(rx.recvfrom(10)[1])
    tx.sendto(b'b', to); res.append(rx.recvfrom_into(bytearray(10))[1])
    tx.sendto(b'c', to); res.append(rx.recvmsg(10)[3])
    tx.sendto(b'd', to); res.append(rx.recvmsg_into([bytearray(10)])[3])
    name = tx.getsockname()
    port = name[1] if isinstance(name, tuple) else None
    r = [norm(a, port) for a in res] + [norm(name, port)]
    rx.close(); tx.close(); unlink(rxaddr, txaddr)
    return r
def pair(T):
    a, b = socket.socketpair(socket.AF_UNIX, T); b.settimeout(5)
    a.send(b'x'); r1 = b.recvfrom(10)[1]
    a.send(b'y'); r2 = b.recvmsg(10)[3]
    a.send(b'z'); r3 = b.recvfrom_into(bytearray(4))[1]
    a.close(); b.close()
    return [norm(r1), norm(r2), norm(r3)]
out = {}
out['inet bound'] = dgram(socket.AF_INET, ('127.0.0.1', 0), ('127.0.0.1', 0))
out['inet unbound'] = dgram(socket.AF_INET, ('127.0.0.1', 0), None)
out['inet6 bound'] = dgram(socket.AF_INET6, ('::1', 0), ('::1', 0))
out['inet6 unbound'] = dgram(socket.AF_INET6, ('::1', 0), None)
out['unix abstract'] = dgram(socket.AF_UNIX, bytes.fromhex(arg['a1']), bytes.fromhex(arg['a2']))
out['unix path'] = dgram(socket.AF_UNIX, arg['p1'], arg['p2'])
out['unix unbound'] = dgram(socket.AF_UNIX, arg['p1'], None)
out['unix dgram socketpair'] = pair(socket.SOCK_DGRAM)
out['seqpacket socketpair'] = pair(socket.SOCK_SEQPACKET)
out['stream socketpair'] = pair(socket.SOCK_STREAM)
l = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); l.settimeout(5); l.bind(arg['p3']); l.listen()
c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); c.settimeout(5); c.connect(arg['p3'])
s, peer = l.accept(); s.settimeout(5)
s.send(b'x'); r1 = c.recvfrom(10)[1]
c.send(b'y'); r2 = s.recvfrom(10)[1]
out['seqpacket listener'] = [norm(peer), norm(r1), norm(r2)]
s.close(); c.close(); l.close(); unlink(arg['p3'])
l = socket.socket(); l.settimeout(5); l.bind(('127.0.0.1', 0)); l.listen()
c = socket.create_connection(l.getsockname(), 5); s, _ = l.accept(); s.settimeout(5)
c.send(b'x'); r1 = s.recvfrom(10)[1]
c.send(b'y'); r2 = s.recvmsg(10)[3]
out['tcp'] = [norm(r1), norm(r2)]
s.close(); c.close(); l.close()
return out`,
        arg,
      );

      type A = socket.SockAddress | null;
      const norm = (a: A, port?: number): unknown => {
        if (a === null) return null;
        if (Buffer.isBuffer(a)) return { bytes: a.toString('hex') };
        if (Array.isArray(a)) return [a[0], a[1] === port ? 'PORT' : a[1], ...a.slice(2)];
        return a;
      };
      const unlink = (...paths: unknown[]) => {
        for (const p of paths) if (typeof p === 'string') rmSync(p, { force: true });
      };
      const dgram = (F: number, rxaddr: socket.Address, txaddr: socket.Address | null) => {
        const rx = socket.socket(F, socket.SOCK_DGRAM);
        const tx = socket.socket(F, socket.SOCK_DGRAM);
        try {
          rx.settimeout(5);
          rx.bind(rxaddr);
          if (txaddr !== null) tx.bind(txaddr);
          const to = rx.getsockname() as socket.Address;
          const res: A[] = [];
          tx.sendto(Buffer.from('a'), to);
          res.push(rx.recvfrom(10)[1]);
          tx.sendto(Buffer.from('b'), to);
          res.push(rx.recvfrom_into(Buffer.alloc(10))[1]);
          tx.sendto(Buffer.from('c'), to);
          res.push(rx.recvmsg(10)[3]);
          tx.sendto(Buffer.from('d'), to);
          res.push(rx.recvmsg_into([Buffer.alloc(10)])[3]);
          const name = tx.getsockname();
          const port = Array.isArray(name) ? name[1] : undefined;
          return [...res.map((a) => norm(a, port)), norm(name, port)];
        } finally {
          rx.close();
          tx.close();
          unlink(rxaddr, txaddr);
        }
      };
      const pair = (type: number) => {
        const [a, b] = socket.socketpair(socket.AF_UNIX, type);
        try {
          b.settimeout(5);
          a.send(Buffer.from('x'));
          const r1 = b.recvfrom(10)[1];
          a.send(Buffer.from('y'));
          const r2 = b.recvmsg(10)[3];
          a.send(Buffer.from('z'));
          const r3 = b.recvfrom_into(Buffer.alloc(4))[1];
          return [norm(r1), norm(r2), norm(r3)];
        } finally {
          a.close();
          b.close();
        }
      };
      const ours: Record<string, unknown> = {};
      ours['inet bound'] = dgram(socket.AF_INET, ['127.0.0.1', 0], ['127.0.0.1', 0]);
      ours['inet unbound'] = dgram(socket.AF_INET, ['127.0.0.1', 0], null);
      ours['inet6 bound'] = dgram(socket.AF_INET6, ['::1', 0], ['::1', 0]);
      ours['inet6 unbound'] = dgram(socket.AF_INET6, ['::1', 0], null);
      ours['unix abstract'] = dgram(socket.AF_UNIX, Buffer.from(arg.a1, 'hex'), Buffer.from(arg.a2, 'hex'));
      ours['unix path'] = dgram(socket.AF_UNIX, arg.p1, arg.p2);
      ours['unix unbound'] = dgram(socket.AF_UNIX, arg.p1, null);
      ours['unix dgram socketpair'] = pair(socket.SOCK_DGRAM);
      ours['seqpacket socketpair'] = pair(socket.SOCK_SEQPACKET);
      ours['stream socketpair'] = pair(socket.SOCK_STREAM);
      {
        const l = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET);
        const c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET);
        let s: socket.Socket | undefined;
        try {
          l.settimeout(5);
          l.bind(arg.p3);
          l.listen();
          c.settimeout(5);
          c.connect(arg.p3);
          const [conn, peer] = l.accept();
          s = conn;
          s.settimeout(5);
          s.send(Buffer.from('x'));
          const r1 = c.recvfrom(10)[1];
          c.send(Buffer.from('y'));
          const r2 = s.recvfrom(10)[1];
          ours['seqpacket listener'] = [norm(peer), norm(r1), norm(r2)];
        } finally {
          s?.close();
          c.close();
          l.close();
          unlink(arg.p3);
        }
      }
      {
        const l = socket.socket();
        let c: socket.Socket | undefined;
        let s: socket.Socket | undefined;
        try {
          l.settimeout(5);
          l.bind(['127.0.0.1', 0]);
          l.listen();
          c = socket.create_connection(l.getsockname() as [string, number], 5);
          [s] = l.accept();
          s.settimeout(5);
          c.send(Buffer.from('x'));
          const r1 = s.recvfrom(10)[1];
          c.send(Buffer.from('y'));
          const r2 = s.recvmsg(10)[3];
          ours['tcp'] = [norm(r1), norm(r2)];
        } finally {
          s?.close();
          c?.close();
          l.close();
        }
      }

      expect(ours).toEqual(py);
      // what CPython returns, spelled out
      expect(ours['inet bound']).toEqual([...Array(4).fill(['127.0.0.1', 'PORT']), ['127.0.0.1', 'PORT']]);
      expect((ours['inet6 bound'] as unknown[])[0]).toEqual(['::1', 'PORT', 0, 0]);
      expect((ours['inet unbound'] as unknown[])[0]).toEqual(['127.0.0.1', 'PORT']);
      expect((ours['unix abstract'] as unknown[])[0]).toEqual({ bytes: arg.a2 });
      expect((ours['unix path'] as unknown[])[0]).toBe(arg.p2);
      expect((ours['unix unbound'] as unknown[]).slice(0, 4)).toEqual([null, null, null, null]);
      expect(ours['stream socketpair']).toEqual([null, null, null]);
      expect(ours['tcp']).toEqual([null, null]);
      expect(ours['seqpacket listener']).toEqual(['', arg.p3, null]);
    } finally {
      dir.cleanup();
    }
  });
});

describe("broadcast and multicast options pass through setsockopt in Python's forms", () => {
  it('SO_BROADCAST, IP_MULTICAST_TTL/LOOP/IF set and read back as CPython does', () => {
    const py = python(`
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
out = []
def step(label, fn): out.append([label, observe(fn)])
step('broadcast default', lambda: s.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST))
step('broadcast set', lambda: s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1))
step('broadcast get', lambda: s.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST))
step('broadcast get bytes', lambda: s.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 4))
step('broadcast clear', lambda: s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 0))
step('broadcast get again', lambda: s.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST))
step('ttl default', lambda: s.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL))
step('ttl set 0', lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 0))
step('ttl get', lambda: s.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL))
step('ttl set 7', lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 7))
step('ttl get 7', lambda: s.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL))
step('ttl set bytes', lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, bytes([3])))
step('ttl get 1 byte', lambda: s.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1))
step('ttl set 256', lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 256))
step('ttl set -2', lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, -2))
step('loop set 0', lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0))
step('loop get', lambda: s.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP))
step('if set', lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton('127.0.0.1')))
step('if get', lambda: s.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, 4))
step('if get text', lambda: socket.inet_ntoa(s.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, 4)))
s.close()
return out`);
    const s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
    const out: [string, Observation][] = [];
    const step = (label: string, fn: () => unknown) => out.push([label, observe(fn)]);
    try {
      const { SOL_SOCKET, SO_BROADCAST, IPPROTO_IP, IP_MULTICAST_TTL, IP_MULTICAST_LOOP, IP_MULTICAST_IF } = socket;
      step('broadcast default', () => s.getsockopt(SOL_SOCKET, SO_BROADCAST));
      step('broadcast set', () => s.setsockopt(SOL_SOCKET, SO_BROADCAST, 1));
      step('broadcast get', () => s.getsockopt(SOL_SOCKET, SO_BROADCAST));
      step('broadcast get bytes', () => s.getsockopt(SOL_SOCKET, SO_BROADCAST, 4));
      step('broadcast clear', () => s.setsockopt(SOL_SOCKET, SO_BROADCAST, 0));
      step('broadcast get again', () => s.getsockopt(SOL_SOCKET, SO_BROADCAST));
      step('ttl default', () => s.getsockopt(IPPROTO_IP, IP_MULTICAST_TTL));
      step('ttl set 0', () => s.setsockopt(IPPROTO_IP, IP_MULTICAST_TTL, 0));
      step('ttl get', () => s.getsockopt(IPPROTO_IP, IP_MULTICAST_TTL));
      step('ttl set 7', () => s.setsockopt(IPPROTO_IP, IP_MULTICAST_TTL, 7));
      step('ttl get 7', () => s.getsockopt(IPPROTO_IP, IP_MULTICAST_TTL));
      step('ttl set bytes', () => s.setsockopt(IPPROTO_IP, IP_MULTICAST_TTL, Buffer.from([3])));
      step('ttl get 1 byte', () => s.getsockopt(IPPROTO_IP, IP_MULTICAST_TTL, 1));
      step('ttl set 256', () => s.setsockopt(IPPROTO_IP, IP_MULTICAST_TTL, 256));
      step('ttl set -2', () => s.setsockopt(IPPROTO_IP, IP_MULTICAST_TTL, -2));
      step('loop set 0', () => s.setsockopt(IPPROTO_IP, IP_MULTICAST_LOOP, 0));
      step('loop get', () => s.getsockopt(IPPROTO_IP, IP_MULTICAST_LOOP));
      step('if set', () => s.setsockopt(IPPROTO_IP, IP_MULTICAST_IF, socket.inet_aton('127.0.0.1')));
      step('if get', () => s.getsockopt(IPPROTO_IP, IP_MULTICAST_IF, 4));
      step('if get text', () => socket.inet_ntoa(s.getsockopt(IPPROTO_IP, IP_MULTICAST_IF, 4) as unknown as Buffer));
    } finally {
      s.close();
    }
    expect(out.map(([l, o]) => [l, outcome(o)])).toEqual(py.map(([l, o]: [string, Observation]) => [l, outcome(o)]));
    const v = new Map(out.map(([l, o]) => [l, o.value]));
    expect(v.get('broadcast default')).toBe(0);
    expect(v.get('broadcast get')).not.toBe(0);
    expect(v.get('ttl get 7')).toBe(7);
    expect(v.get('ttl get 1 byte')).toEqual([3]);
    expect(v.get('if get text')).toBe('127.0.0.1');
  });

  it('IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP with a Buffer from inet_aton on the loopback interface, as CPython', () => {
    // Joining never sends anything; the group is administratively scoped (239/8)
    // and the interface is 127.0.0.1. Whatever the kernel answers, Python must get the same.
    const group = '239.255.77.31';
    const py = python(
      `
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
mreq = socket.inet_aton(arg) + socket.inet_aton('127.0.0.1')
out = []
def step(label, fn): out.append([label, observe(fn)])
step('join', lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq))
step('join again', lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq))
step('drop', lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, mreq))
step('drop again', lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, mreq))
step('join short', lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq[:3]))
step('join unicast', lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton('127.0.0.1') * 2))
step('join str', lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, 'abcdefgh'))
s.close()
return out`,
      group,
    );
    const s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
    const out: [string, Observation][] = [];
    const step = (label: string, fn: () => unknown) => out.push([label, observe(fn)]);
    try {
      const mreq = Buffer.concat([socket.inet_aton(group), socket.inet_aton('127.0.0.1')]);
      const { IPPROTO_IP, IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP } = socket;
      step('join', () => s.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq));
      step('join again', () => s.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq));
      step('drop', () => s.setsockopt(IPPROTO_IP, IP_DROP_MEMBERSHIP, mreq));
      step('drop again', () => s.setsockopt(IPPROTO_IP, IP_DROP_MEMBERSHIP, mreq));
      step('join short', () => s.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq.subarray(0, 3)));
      step('join unicast', () =>
        s.setsockopt(
          IPPROTO_IP,
          IP_ADD_MEMBERSHIP,
          Buffer.concat([socket.inet_aton('127.0.0.1'), socket.inet_aton('127.0.0.1')]),
        ),
      );
      step('join str', () => s.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, 'abcdefgh' as any));
    } finally {
      s.close();
    }
    for (let i = 0; i < out.length; i++) {
      const [label, o] = out[i];
      const p = py[i][1] as Observation;
      expect(label).toBe(py[i][0]);
      if (p.error === 'TypeError') expect([label, o.error]).toEqual([label, 'TypeError']);
      else expect([label, outcome(o)]).toEqual([label, outcome(p)]);
    }
    // a join followed by a second join must fail one way or the other (EADDRINUSE when the first worked)
    const [join, again] = [out[0][1], out[1][1]];
    if (join.ok) expect(again).toMatchObject({ ok: false, error: 'OSError', errno: 98 });
    expect(out[6][1].error).toBe('TypeError');
  });

  it('IPv6: IPV6_MULTICAST_HOPS and IPV6_JOIN_GROUP (ff15:: group on lo) as CPython', () => {
    const lo = Number(readFileSync('/sys/class/net/lo/ifindex', 'utf8').trim());
    const group = 'ff15::7a:31';
    const py = python(
      `
import struct
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
mreq = socket.inet_pton(socket.AF_INET6, arg['group']) + struct.pack('@I', arg['lo'])
out = []
def step(label, fn): out.append([label, observe(fn)])
step('hops default', lambda: s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS))
step('hops set', lambda: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 0))
step('hops get', lambda: s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS))
step('join', lambda: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq))
step('leave', lambda: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_LEAVE_GROUP, mreq))
step('leave again', lambda: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_LEAVE_GROUP, mreq))
s.close()
return out`,
      { group, lo },
    );
    const s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM);
    const out: [string, Observation][] = [];
    const step = (label: string, fn: () => unknown) => out.push([label, observe(fn)]);
    try {
      const idx = Buffer.alloc(4);
      idx.writeUInt32LE(lo); // '@I' on little-endian Linux
      const mreq = Buffer.concat([socket.inet_pton(socket.AF_INET6, group), idx]);
      const { IPPROTO_IPV6, IPV6_MULTICAST_HOPS, IPV6_JOIN_GROUP, IPV6_LEAVE_GROUP } = socket;
      step('hops default', () => s.getsockopt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS));
      step('hops set', () => s.setsockopt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 0));
      step('hops get', () => s.getsockopt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS));
      step('join', () => s.setsockopt(IPPROTO_IPV6, IPV6_JOIN_GROUP, mreq));
      step('leave', () => s.setsockopt(IPPROTO_IPV6, IPV6_LEAVE_GROUP, mreq));
      step('leave again', () => s.setsockopt(IPPROTO_IPV6, IPV6_LEAVE_GROUP, mreq));
    } finally {
      s.close();
    }
    expect(out.map(([l, o]) => [l, outcome(o)])).toEqual(py.map(([l, o]: [string, Observation]) => [l, outcome(o)]));
    expect(out[2][1]).toMatchObject({ ok: true, value: 0 });
  });
});

describe('MSG_TRUNC never reads past what was received', () => {
  it.each([1000, 70_000])(
    "recvfrom(%i, MSG_TRUNC) of a larger datagram returns at most that many bytes, all of them the datagram's",
    (n) => {
      const [a, b] = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM);
      try {
        a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20);
        b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20);
        b.settimeout(2);
        const sent = Buffer.alloc(100_000);
        for (let i = 0; i < sent.length; i++) sent[i] = (i * 7) & 0xff;
        a.send(sent);
        const [data] = b.recvfrom(n, socket.MSG_TRUNC);
        expect(data.length).toBe(n);
        expect(data.equals(sent.subarray(0, n))).toBe(true);
        a.send(sent);
        const got = b.recv_into(Buffer.alloc(n), n, socket.MSG_TRUNC);
        expect(got).toBe(sent.length); // the kernel's count: the datagram's full length
      } finally {
        a.close();
        b.close();
      }
    },
  );
});
