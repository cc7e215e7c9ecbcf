/**
 * `sockmode bench`: the same loops in every contender, rounds alternated, each
 * measured against the C floor (blocking syscalls in C, compiled into the
 * addon) in the same run. Every contender talks to one peer process (C, in
 * native/bench.cc), pinned with the client to one CPU unless `--no-pin`.
 *
 * Rows: ping-pong (1 B, 64 B; socketpair, TCP), bulk receive with one reused
 * buffer (64 KiB, 256 KiB; TCP, socketpair), connect + accept + close over
 * TCP, and selector scale (one ready fd among 10 to 10,000 idle ones).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as socket from './index.js';
import { native } from './native.js';
import { select } from './select.js';
import { DefaultSelector, EVENT_READ } from './selectors.js';

const { loop } = socket;

/** Options of a run. */
export interface BenchOptions {
  quick: boolean;
  pin: boolean;
  /** Only rows whose name contains one of these. */
  only: string[];
  progress: (line: string) => void;
}

/** One contender's measurements in one row. */
export interface BenchResult {
  contender: string;
  /** Seconds per operation (a round trip, a connection, a select call, a GiB). */
  median: number;
  min: number;
  max: number;
  /** median / the reference's median (the C floor; for selector rows, the same selector with 10 fds). */
  ratio: number | null;
  samples: number[];
}

/** One row of the table. */
export interface BenchRow {
  name: string;
  /** What one operation is. */
  unit: string;
  reference: string;
  results: BenchResult[];
}

/** One speed target of the project, checked against a row. */
export interface BenchTarget {
  target: string;
  row: string;
  /** The measured ratio (time, to the row's reference) and the limit it must not exceed. */
  measured: number;
  limit: number;
  met: boolean;
}

/** What `--json` prints. */
export interface BenchReport {
  machine: Record<string, string | number | boolean>;
  quick: boolean;
  rows: BenchRow[];
  targets: BenchTarget[];
  notes: string[];
}

/**
 * The project's speed targets (ratios of time to the C floor in the same
 * run; throughput targets are turned into time: 0.95 of C is 1/0.95).
 */
function checkTargets(rows: BenchRow[]): BenchTarget[] {
  const out: BenchTarget[] = [];
  const ratio = (row: BenchRow, contender: string) => row.results.find((x) => x.contender === contender)?.ratio ?? null;
  const add = (target: string, row: BenchRow, measured: number | null, limit: number | null) => {
    if (measured === null || limit === null) return;
    out.push({ target, row: row.name, measured, limit, met: measured <= limit });
  };
  for (const row of rows) {
    if (row.name.startsWith('ping-pong')) {
      add('blocking ping-pong <= 1.05', row, ratio(row, 'sockmode blocking'), 1.05);
      add('timeout-mode ping-pong <= 1.08', row, ratio(row, 'sockmode timeout'), 1.08);
      add('loop.sock_* ping-pong <= node:net tuned', row, ratio(row, 'sockmode loop'), ratio(row, 'node:net tuned'));
    } else if (row.name.startsWith('bulk')) {
      add('bulk recv_into >= 0.95 of C throughput', row, ratio(row, 'sockmode blocking'), 1 / 0.95);
      add('loop.sock_* bulk >= node:net onread', row, ratio(row, 'sockmode loop'), ratio(row, 'node:net onread'));
    } else if (row.name.startsWith('connect')) {
      add('connect + accept + close >= 0.90 of C rate', row, ratio(row, 'sockmode blocking'), 1 / 0.9);
    } else if (row.name.startsWith('selector scale: DefaultSelector')) {
      add('selector with 10,000 idle fds <= 1.2x its cost with 10', row, ratio(row, '10000 fds'), 1.2);
    }
  }
  return out;
}

interface Sizes {
  rounds: number;
  warm: number;
  pingpong: number;
  bulk: number;
  connect: number;
  selects: number;
}

const QUICK: Sizes = { rounds: 3, warm: 1000, pingpong: 3000, bulk: 64 << 20, connect: 400, selects: 300 };
const FULL: Sizes = { rounds: 5, warm: 5000, pingpong: 20000, bulk: 1 << 30, connect: 2000, selects: 2000 };

const distIndex = fileURLToPath(new URL('./native.js', import.meta.url));

/** The peer process (native bench_peer): commands with an fd over an AF_UNIX control socket. */
class Peer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly control: socket.Socket,
  ) {}

  static start(pin: boolean): Peer {
    const [mine, theirs] = socket.socketpair();
    const code = `import { native } from ${JSON.stringify(distIndex)};
${pin ? 'native.bench_pin(0);' : ''}
native.bench_peer(3);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
      stdio: ['ignore', 'inherit', 'inherit', theirs.fileno()],
    });
    theirs.close();
    mine.settimeout(120);
    return new Peer(child, mine);
  }

  /** Sends a command (native/bench.cc Command) with fd. */
  command(op: string, fd: number, size = 0, count = 0): void {
    const cmd = Buffer.alloc(16);
    cmd.write(op, 0, 'latin1');
    cmd.writeUInt32LE(size, 4);
    cmd.writeBigUInt64LE(BigInt(count), 8);
    socket.send_fds(this.control, [cmd], [fd]);
  }

  /** Waits until the peer finished the last command. */
  done(): void {
    if (this.control.recv(1).length !== 1) throw new Error('the bench peer exited');
  }

  stop(): void {
    this.control.close();
    this.child.kill();
  }
}

/** The CPython contender: a persistent python3 client taking JSON commands (and fds). */
class Python {
  private constructor(
    private readonly child: ChildProcess,
    private readonly control: socket.Socket,
  ) {}

  static start(pin: boolean): Python | null {
    if (spawnSync('python3', ['-c', 'import socket'], { stdio: 'ignore' }).status !== 0) return null;
    const [mine, theirs] = socket.socketpair();
    const child = spawn('python3', ['-c', PYTHON_CLIENT, pin ? '1' : '0'], {
      stdio: ['ignore', 'inherit', 'inherit', theirs.fileno()],
    });
    theirs.close();
    mine.settimeout(300);
    return new Python(child, mine);
  }

  /** Runs one measurement in Python; returns its seconds. */
  run(cmd: Record<string, unknown>, fd: number | null): number {
    const data = [Buffer.from(JSON.stringify(cmd) + '\n')];
    if (fd === null) this.control.sendall(data[0]);
    else socket.send_fds(this.control, data, [fd]);
    let line = '';
    while (!line.endsWith('\n')) {
      const b = this.control.recv(4096);
      if (b.length === 0) throw new Error('python3 client exited');
      line += b.toString();
    }
    const r = JSON.parse(line);
    if (r.error) throw new Error(`python3: ${r.error}`);
    return r.seconds;
  }

  stop(): void {
    this.control.close();
    this.child.kill();
  }
}

const PYTHON_CLIENT = String.raw`
import json, os, socket, sys, time
if sys.argv[1] == '1' and hasattr(os, 'sched_setaffinity'):
    os.sched_setaffinity(0, {0})
ctl = socket.socket(fileno=3)
def pingpong(s, size, n):
    out = b'p' * size
    buf = bytearray(size)
    view = memoryview(buf)
    for _ in range(n):
        s.sendall(out)
        got = 0
        while got < size:
            r = s.recv_into(view[got:], size - got)
            if not r: raise EOFError
            got += r
def bulk(s, bufsize, total):
    buf = bytearray(bufsize)
    got = 0
    while got < total:
        r = s.recv_into(buf)
        if not r: raise EOFError
        got += r
while True:
    msg, fds, _, _ = socket.recv_fds(ctl, 65536, 1)
    if not msg: break
    cmd = json.loads(msg)
    try:
        if cmd['op'] == 'connect':
            addr = tuple(cmd['address'])
            t0 = time.perf_counter()
            for _ in range(cmd['count']):
                s = socket.socket()
                s.connect(addr)
                s.close()
            secs = time.perf_counter() - t0
        else:
            s = socket.socket(fileno=fds[0]) if fds else socket.create_connection(tuple(cmd['address']))
            if cmd['mode'] == 'timeout':
                s.settimeout(30)
            if cmd['op'] == 'pingpong':
                pingpong(s, cmd['size'], cmd['warm'])
                t0 = time.perf_counter()
                pingpong(s, cmd['size'], cmd['n'])
            else:
                t0 = time.perf_counter()
                bulk(s, cmd['bufsize'], cmd['total'])
            secs = time.perf_counter() - t0
            s.close()
        ctl.sendall((json.dumps({'seconds': secs}) + '\n').encode())
    except Exception as e:
        ctl.sendall((json.dumps({'error': repr(e)}) + '\n').encode())
`;

/** Where a measurement's connection comes from. */
type Transport = 'socketpair' | 'tcp';

/** A connection to the peer, set up for one measurement; the peer serves it with `op`. */
interface Link {
  /** A blocking sockmode socket on the client side. */
  sock: socket.Socket;
}

interface Env {
  peer: Peer;
  python: Python | null;
  listener: socket.Socket;
  address: [string, number];
  sizes: Sizes;
}

/** Opens a link served by the peer with `op` ('e' echo, 's' source). */
function open(env: Env, transport: Transport, op: 'e' | 's', size = 0, total = 0): Link {
  if (transport === 'socketpair') {
    const [mine, theirs] = socket.socketpair();
    env.peer.command(op, theirs.fileno(), size, total);
    theirs.close();
    return { sock: mine };
  }
  env.peer.command(op.toUpperCase(), env.listener.fileno(), size, total);
  const s = socket.create_connection(env.address, null);
  return { sock: s };
}

function finish(env: Env, s: { close(): void }): void {
  s.close();
  env.peer.done();
}

// ---- ping-pong -------------------------------------------------------------

function sockmodePingPong(s: socket.Socket, size: number, n: number): void {
  const out = Buffer.alloc(size, 'p');
  const inb = Buffer.alloc(size);
  for (let i = 0; i < n; i++) {
    s.sendall(out);
    let got = 0;
    while (got < size) {
      const r = s.recv_into(got ? inb.subarray(got) : inb);
      if (r === 0) throw new Error('peer closed');
      got += r;
    }
  }
}

function selectPingPong(s: socket.Socket, size: number, n: number): void {
  const out = Buffer.alloc(size, 'p');
  const inb = Buffer.alloc(size);
  const rlist = [s];
  for (let i = 0; i < n; i++) {
    s.sendall(out);
    let got = 0;
    while (got < size) {
      select(rlist, [], []);
      const r = s.recv_into(got ? inb.subarray(got) : inb);
      if (r === 0) throw new Error('peer closed');
      got += r;
    }
  }
}

async function loopPingPong(s: socket.Socket, size: number, n: number): Promise<void> {
  const out = Buffer.alloc(size, 'p');
  const inb = Buffer.alloc(size);
  for (let i = 0; i < n; i++) {
    await loop.sock_sendall(s, out);
    let got = 0;
    while (got < size) {
      const r = await loop.sock_recv_into(s, got ? inb.subarray(got) : inb);
      if (r === 0) throw new Error('peer closed');
      got += r;
    }
  }
}

/** A net.Socket on the link's fd (the fd is handed to libuv). */
function netSocket(link: Link, transport: Transport, tuned: boolean, onread?: net.OnReadOpts): net.Socket {
  const fd = link.sock.detach();
  const ns = new net.Socket({
    fd,
    readable: true,
    writable: true,
    ...(onread ? { onread } : {}),
  } as net.SocketConstructorOpts);
  if (tuned && transport === 'tcp') ns.setNoDelay(true);
  return ns;
}

async function netPingPong(ns: net.Socket, size: number, n: number): Promise<void> {
  const out = Buffer.alloc(size, 'p');
  let i = 0;
  let got = 0;
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      got += chunk.length;
      if (got < size) return;
      got = 0;
      if (++i === n) {
        ns.off('data', onData);
        resolve();
      } else ns.write(out);
    };
    ns.on('data', onData);
    ns.once('error', reject);
    ns.write(out);
  });
}

async function closeNet(env: Env, ns: net.Socket): Promise<void> {
  await new Promise<void>((resolve) => ns.destroy().once('close', () => resolve()));
  env.peer.done();
}

type Measure = (env: Env) => Promise<number>;

function pingpongContenders(transport: Transport, size: number): [string, Measure][] {
  const timed = async (
    env: Env,
    setup: (s: socket.Socket) => void,
    run: (s: socket.Socket, n: number) => void | Promise<void>,
  ) => {
    const { sock } = open(env, transport, 'e');
    setup(sock);
    await run(sock, env.sizes.warm);
    const t0 = performance.now();
    await run(sock, env.sizes.pingpong);
    const secs = (performance.now() - t0) / 1000;
    finish(env, sock);
    return secs / env.sizes.pingpong;
  };
  const list: [string, Measure][] = [
    [
      'C floor',
      async (env) => {
        const { sock } = open(env, transport, 'e');
        native.bench_pingpong(sock.fileno(), size, env.sizes.warm);
        const secs = native.bench_pingpong(sock.fileno(), size, env.sizes.pingpong);
        finish(env, sock);
        return secs / env.sizes.pingpong;
      },
    ],
    [
      'sockmode blocking',
      (env) =>
        timed(
          env,
          () => {},
          (s, n) => sockmodePingPong(s, size, n),
        ),
    ],
    [
      'sockmode timeout',
      (env) =>
        timed(
          env,
          (s) => s.settimeout(30),
          (s, n) => sockmodePingPong(s, size, n),
        ),
    ],
    [
      'sockmode select',
      (env) =>
        timed(
          env,
          (s) => s.setblocking(false),
          (s, n) => selectPingPong(s, size, n),
        ),
    ],
    [
      'sockmode loop',
      (env) =>
        timed(
          env,
          (s) => s.setblocking(false),
          (s, n) => loopPingPong(s, size, n),
        ),
    ],
  ];
  for (const tuned of [false, true]) {
    list.push([
      tuned ? 'node:net tuned' : 'node:net',
      async (env) => {
        const ns = netSocket(open(env, transport, 'e'), transport, tuned);
        await netPingPong(ns, size, env.sizes.warm);
        const t0 = performance.now();
        await netPingPong(ns, size, env.sizes.pingpong);
        const secs = (performance.now() - t0) / 1000;
        await closeNet(env, ns);
        return secs / env.sizes.pingpong;
      },
    ]);
  }
  for (const mode of ['blocking', 'timeout']) {
    list.push([
      `CPython ${mode}`,
      async (env) => {
        const py = env.python!;
        let secs: number;
        if (transport === 'socketpair') {
          const [mine, theirs] = socket.socketpair();
          env.peer.command('e', theirs.fileno());
          theirs.close();
          secs = py.run({ op: 'pingpong', mode, size, warm: env.sizes.warm, n: env.sizes.pingpong }, mine.fileno());
          mine.close();
        } else {
          env.peer.command('E', env.listener.fileno());
          secs = py.run(
            { op: 'pingpong', mode, size, warm: env.sizes.warm, n: env.sizes.pingpong, address: env.address },
            null,
          );
        }
        env.peer.done();
        return secs / env.sizes.pingpong;
      },
    ]);
  }
  return list;
}

// ---- bulk ------------------------------------------------------------------

function bulkContenders(transport: Transport, bufsize: number): [string, Measure][] {
  const perGiB = (secs: number, total: number) => secs * (2 ** 30 / total);
  const timed = async (
    env: Env,
    setup: (s: socket.Socket) => void,
    run: (s: socket.Socket, buf: Buffer, total: number) => void | Promise<void>,
  ) => {
    const total = env.sizes.bulk;
    const { sock } = open(env, transport, 's', bufsize, total);
    setup(sock);
    const buf = Buffer.alloc(bufsize);
    const t0 = performance.now();
    await run(sock, buf, total);
    const secs = (performance.now() - t0) / 1000;
    finish(env, sock);
    return perGiB(secs, total);
  };
  const recvAll = (s: socket.Socket, buf: Buffer, total: number) => {
    for (let got = 0; got < total;) {
      const r = s.recv_into(buf);
      if (r === 0) throw new Error('peer closed');
      got += r;
    }
  };
  const list: [string, Measure][] = [
    [
      'C floor',
      async (env) => {
        const total = env.sizes.bulk;
        const { sock } = open(env, transport, 's', bufsize, total);
        const secs = native.bench_bulk(sock.fileno(), bufsize, total);
        finish(env, sock);
        return perGiB(secs, total);
      },
    ],
    ['sockmode blocking', (env) => timed(env, () => {}, recvAll)],
    ['sockmode timeout', (env) => timed(env, (s) => s.settimeout(30), recvAll)],
    [
      'sockmode select',
      (env) =>
        timed(
          env,
          (s) => s.setblocking(false),
          (s, buf, total) => {
            const rlist = [s];
            for (let got = 0; got < total;) {
              select(rlist, [], []);
              const r = s.recv_into(buf);
              if (r === 0) throw new Error('peer closed');
              got += r;
            }
          },
        ),
    ],
    [
      'sockmode loop',
      (env) =>
        timed(
          env,
          (s) => s.setblocking(false),
          async (s, buf, total) => {
            for (let got = 0; got < total;) {
              const r = await loop.sock_recv_into(s, buf);
              if (r === 0) throw new Error('peer closed');
              got += r;
            }
          },
        ),
    ],
  ];
  for (const tuned of [false, true]) {
    list.push([
      tuned ? 'node:net onread' : 'node:net',
      async (env) => {
        const total = env.sizes.bulk;
        const link = open(env, transport, 's', bufsize, total);
        let got = 0;
        let finished!: () => void;
        const done = new Promise<void>((resolve) => (finished = resolve));
        const t0 = performance.now();
        const onread = tuned
          ? {
              buffer: Buffer.alloc(bufsize),
              callback: (n: number) => {
                got += n;
                if (got >= total) finished();
                return true;
              },
            }
          : undefined;
        const ns = netSocket(link, transport, tuned, onread);
        if (!tuned)
          ns.on('data', (chunk: Buffer) => {
            got += chunk.length;
            if (got >= total) finished();
          });
        await done;
        const secs = (performance.now() - t0) / 1000;
        await closeNet(env, ns);
        return perGiB(secs, total);
      },
    ]);
  }
  for (const mode of ['blocking', 'timeout']) {
    list.push([
      `CPython ${mode}`,
      async (env) => {
        const total = env.sizes.bulk;
        const py = env.python!;
        let secs: number;
        if (transport === 'socketpair') {
          const [mine, theirs] = socket.socketpair();
          env.peer.command('s', theirs.fileno(), bufsize, total);
          theirs.close();
          secs = py.run({ op: 'bulk', mode, bufsize, total }, mine.fileno());
          mine.close();
        } else {
          env.peer.command('S', env.listener.fileno(), bufsize, total);
          secs = py.run({ op: 'bulk', mode, bufsize, total, address: env.address }, null);
        }
        env.peer.done();
        return perGiB(secs, total);
      },
    ]);
  }
  return list;
}

// ---- connect + accept + close ------------------------------------------------

function connectContenders(): [string, Measure][] {
  const around = async (env: Env, run: (n: number) => void | Promise<void>) => {
    const n = env.sizes.connect;
    env.peer.command('A', env.listener.fileno(), 0, n);
    const t0 = performance.now();
    await run(n);
    const secs = (performance.now() - t0) / 1000;
    env.peer.done();
    return secs / n;
  };
  return [
    ['C floor', (env) => around(env, (n) => void native.bench_connect(socket.AF_INET, env.address, n))],
    [
      'sockmode blocking',
      (env) =>
        around(env, (n) => {
          for (let i = 0; i < n; i++) {
            const s = new socket.Socket();
            s.connect(env.address);
            s.close();
          }
        }),
    ],
    [
      'node:net',
      (env) =>
        around(env, async (n) => {
          for (let i = 0; i < n; i++) {
            await new Promise<void>((resolve, reject) => {
              const c = net.connect(env.address[1], env.address[0], () => c.destroy());
              c.once('close', () => resolve());
              c.once('error', reject);
            });
          }
        }),
    ],
    [
      'CPython blocking',
      (env) => around(env, (n) => void env.python!.run({ op: 'connect', count: n, address: env.address }, null)),
    ],
  ];
}

// ---- selector scale ------------------------------------------------------------

async function selectorRow(sizes: Sizes, progress: (s: string) => void): Promise<BenchRow[]> {
  const counts = [10, 100, 1000, 10000];
  const pairs: [socket.Socket, socket.Socket][] = [];
  const active = socket.socketpair();
  active[1].sendall(Buffer.from('x')); // stays unread: active[0] is always readable
  const perCall: Record<string, Record<number, number[]>> = { DefaultSelector: {}, 'select()': {} };
  try {
    for (const n of counts) {
      while (pairs.length * 2 < n - 1) pairs.push(socket.socketpair());
      const idle = pairs.flatMap((p) => p).slice(0, n - 1);
      for (let round = 0; round < sizes.rounds; round++) {
        progress(`selector scale: ${n} fds, round ${round + 1}/${sizes.rounds}`);
        {
          using sel = new DefaultSelector();
          for (const s of idle) sel.register(s, EVENT_READ);
          sel.register(active[0], EVENT_READ);
          for (let i = 0; i < Math.max(200, sizes.selects / 2); i++) sel.select(0); // warm-up: JIT, caches
          const t0 = performance.now();
          for (let i = 0; i < sizes.selects; i++)
            if (sel.select(0).length !== 1) throw new Error('selector: wrong result');
          (perCall.DefaultSelector[n] ??= []).push((performance.now() - t0) / 1000 / sizes.selects);
        }
        const rlist = [...idle, active[0]];
        const calls = Math.max(20, Math.round(sizes.selects / Math.max(1, n / 100)));
        const t0 = performance.now();
        for (let i = 0; i < calls; i++)
          if (select(rlist, [], [], 0)[0].length !== 1) throw new Error('select: wrong result');
        (perCall['select()'][n] ??= []).push((performance.now() - t0) / 1000 / calls);
      }
    }
  } finally {
    for (const [a, b] of [...pairs, active]) {
      a.close();
      b.close();
    }
  }
  return Object.entries(perCall).map(([name, byCount]) => {
    const base = median(byCount[10]);
    return {
      name: `selector scale: ${name}, one ready fd among N`,
      unit: 'select call',
      reference: 'its own cost with 10 fds',
      results: counts.map((n) => summarize(`${n} fds`, byCount[n], base)),
    };
  });
}

// ---- the run ---------------------------------------------------------------------

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function summarize(contender: string, samples: number[], reference: number | null): BenchResult {
  const m = median(samples);
  return {
    contender,
    median: m,
    min: Math.min(...samples),
    max: Math.max(...samples),
    ratio: reference ? m / reference : null,
    samples,
  };
}

function machine(pin: boolean): Record<string, string | number | boolean> {
  const py = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    python: py.status === 0 ? py.stdout.trim() || py.stderr.trim() : 'not found',
    pinned: pin,
  };
}

/** Runs the benchmark; returns the report. */
export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  const sizes = opts.quick ? QUICK : FULL;
  const notes: string[] = [];
  let pinned = false;
  if (opts.pin) {
    pinned = native.bench_pin(0);
    if (!pinned) notes.push('could not pin to CPU 0: measured unpinned');
  }
  const peer = Peer.start(pinned);
  const python = Python.start(pinned);
  if (!python) notes.push('python3 not found: the CPython contenders were skipped');
  const listener = socket.create_server(['127.0.0.1', 0], { backlog: 4096 });
  const env: Env = { peer, python, listener, address: listener.getsockname() as [string, number], sizes };
  const plan: { name: string; unit: string; contenders: [string, Measure][] }[] = [];
  for (const transport of ['socketpair', 'tcp'] as const) {
    for (const size of [1, 64]) {
      plan.push({
        name: `ping-pong ${size} B, ${transport}`,
        unit: 'round trip',
        contenders: pingpongContenders(transport, size),
      });
    }
  }
  for (const transport of ['tcp', 'socketpair'] as const) {
    for (const bufsize of [64 << 10, 256 << 10]) {
      plan.push({
        name: `bulk recv_into ${bufsize >> 10} KiB, ${transport}`,
        unit: 'GiB',
        contenders: bulkContenders(transport, bufsize),
      });
    }
  }
  plan.push({ name: 'connect + accept + close, tcp', unit: 'connection', contenders: connectContenders() });
  const wanted = (name: string) => opts.only.length === 0 || opts.only.some((o) => name.includes(o));
  const rows: BenchRow[] = [];
  try {
    for (const [k, row] of plan.entries()) {
      if (!wanted(row.name)) continue;
      const contenders = row.contenders.filter(([name]) => python || !name.startsWith('CPython'));
      const samples = new Map<string, number[]>(contenders.map(([name]) => [name, []]));
      for (let round = 0; round < sizes.rounds; round++) {
        for (const [name, measure] of contenders) {
          opts.progress(`[${k + 1}/${plan.length + 1}] ${row.name}: ${name}, round ${round + 1}/${sizes.rounds}`);
          samples.get(name)!.push(await measure(env));
        }
      }
      const floor = median(samples.get('C floor')!);
      rows.push({
        name: row.name,
        unit: row.unit,
        reference: 'C floor',
        results: contenders.map(([name]) => summarize(name, samples.get(name)!, floor)),
      });
    }
    if (wanted('selector'))
      rows.push(...(await selectorRow(sizes, (s) => opts.progress(`[${plan.length + 1}/${plan.length + 1}] ${s}`))));
  } finally {
    listener.close();
    peer.stop();
    python?.stop();
  }
  return { machine: machine(pinned), quick: opts.quick, rows, targets: checkTargets(rows), notes };
}

function human(seconds: number, unit: string): string {
  if (unit === 'GiB') return `${(1 / seconds).toFixed(2)} GiB/s`;
  if (seconds < 1e-3) return `${(seconds * 1e6).toFixed(2)} µs`;
  return `${(seconds * 1e3).toFixed(2)} ms`;
}

/** The report as tables. */
export function formatBench(r: BenchReport): string {
  const m = r.machine;
  const lines = [
    `sockmode bench${r.quick ? ' --quick' : ''}: ${m.cpu} (${m.cpus} CPUs), ${m.kernel}, Node ${m.node}, ${m.python}, ${m.pinned ? 'client and peer pinned to CPU 0' : 'unpinned'}`,
    '',
  ];
  for (const row of r.rows) {
    lines.push(`${row.name} (per ${row.unit}; ratio of time to ${row.reference})`);
    const cells = row.results.map((x) => [
      x.contender,
      human(x.median, row.unit),
      row.unit === 'GiB'
        ? `${human(x.max, row.unit)} - ${human(x.min, row.unit)}`
        : `${human(x.min, row.unit)} - ${human(x.max, row.unit)}`,
      x.ratio === null ? '' : x.ratio.toFixed(2),
    ]);
    const head = ['contender', 'median', 'min - max', 'ratio'];
    const widths = head.map((h, k) => Math.max(h.length, ...cells.map((c) => c[k].length)));
    const line = (c: string[]) =>
      '  ' + c.map((v, k) => (k === 0 ? v.padEnd(widths[k]) : v.padStart(widths[k]))).join('  ');
    lines.push(line(head), ...cells.map(line), '');
  }
  if (r.targets.length) {
    lines.push('targets');
    const w = Math.max(...r.targets.map((t) => t.target.length));
    const rw = Math.max(...r.targets.map((t) => t.row.length));
    for (const t of r.targets) {
      lines.push(
        `  ${t.met ? 'met   ' : 'MISSED'}  ${t.target.padEnd(w)}  ${t.row.padEnd(rw)}  ${t.measured.toFixed(3)} (limit ${t.limit.toFixed(3)})`,
      );
    }
    lines.push('');
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

/** A bar chart of the ratios, one group per row, as SVG. */
export function svgBench(r: BenchReport): string {
  const bars = r.rows.flatMap((row) =>
    row.results.map((x) => ({ label: `${row.name} | ${x.contender}`, ratio: x.ratio ?? 0 })),
  );
  const max = Math.max(1, ...bars.map((b) => b.ratio));
  const h = 16;
  const left = 420;
  const width = 900;
  const scale = (width - left - 60) / max;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const rows = bars.map((b, i) => {
    const y = 30 + i * h;
    return (
      `<text x="${left - 6}" y="${y + 11}" text-anchor="end" font-size="11">${esc(b.label)}</text>` +
      `<rect x="${left}" y="${y + 2}" width="${(b.ratio * scale).toFixed(1)}" height="${h - 4}" fill="${b.ratio <= 1.05 ? '#4a8' : '#c84'}"/>` +
      `<text x="${left + b.ratio * scale + 4}" y="${y + 11}" font-size="11">${b.ratio.toFixed(2)}</text>`
    );
  });
  const one = left + scale;
  const height = 40 + bars.length * h;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<text x="10" y="18" font-size="13">sockmode bench: ratio of time to the reference (1.00 = the C floor)</text>
<line x1="${one}" y1="24" x2="${one}" y2="${height}" stroke="#888" stroke-dasharray="3,3"/>
${rows.join('\n')}
</svg>
`;
}

/** Writes the SVG chart to file. */
export function writeSvg(r: BenchReport, file: string): void {
  writeFileSync(file, svgBench(r));
}
