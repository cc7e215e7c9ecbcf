// The program scripts/valgrind.sh runs under valgrind memcheck: it calls
// every function of the native binding at least once, through the public API
// where there is one (the three modes, streams and datagrams, sendmsg/recvmsg
// with SCM_RIGHTS, select/poll/epoll and the selectors, loop.sock_*), and the
// bench functions directly, with their peer in a worker thread (a second
// environment loading the addon). Loopback only; every wait is bounded.
// Prints one line per step and exits 0 when every step did what it should.
//
// Run it alone with `node scripts/valgrind-driver.mjs` (after `npm run
// build:ts`); SOCKMODE_NATIVE chooses the .node file.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

const dist = new URL('../dist/', import.meta.url);
const socket = await import(new URL('index.js', dist).href);
const { native } = await import(new URL('native.js', dist).href);
const sel = await import(new URL('select.js', dist).href);
const selectors = await import(new URL('selectors.js', dist).href);
const { loop } = socket;

// Under valgrind everything is ~50x slower: timeouts that must not fire are long.
const LONG = 30;

let steps = 0;
async function step(name, fn) {
  const t0 = performance.now();
  await fn();
  steps++;
  console.log(`ok ${steps} ${name} (${Math.round(performance.now() - t0)} ms)`);
}

function assert(cond, what) {
  if (!cond) throw new Error(`assertion failed: ${what}`);
}

function throwsA(fn, cls, what) {
  try {
    fn();
  } catch (e) {
    if (e instanceof cls) return e;
    throw new Error(`${what}: expected ${cls.name}, got ${e?.name}: ${e?.message}`, { cause: e });
  }
  throw new Error(`${what}: expected ${cls.name}, nothing thrown`);
}

async function rejectsA(p, cls, what) {
  try {
    await p;
  } catch (e) {
    if (e instanceof cls) return e;
    throw new Error(`${what}: expected ${cls.name}, got ${e?.name}: ${e?.message}`, { cause: e });
  }
  throw new Error(`${what}: expected ${cls.name}, resolved`);
}

const eq = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

await step('error factory, strerror, errno table, constants', () => {
  assert(native.strerror(111).length > 0, 'strerror');
  assert(typeof native.errno.ECONNREFUSED === 'number', 'errno table');
  assert(typeof native.constants.AF_INET === 'number', 'constants');
  const e = new socket.OSError(111, 'x');
  assert(e instanceof socket.ConnectionRefusedError, 'OSError subclass');
});

await step('three modes on a socketpair: blocking, non-blocking, timeout', () => {
  const [a, b] = socket.socketpair();
  try {
    // blocking
    assert(a.gettimeout() === null && socket.get_blocking(a.fileno()), 'blocking mode');
    assert(a.send(Buffer.from('one')) === 3, 'send');
    assert(eq(b.recv(10), 'one'), 'blocking recv');
    // non-blocking
    b.setblocking(false);
    assert(!socket.get_blocking(b.fileno()) && !b.getblocking(), 'non-blocking mode');
    throwsA(() => b.recv(10), socket.BlockingIOError, 'non-blocking recv');
    // timeout
    b.settimeout(0.05);
    throwsA(() => b.recv(10), socket.TimeoutError, 'timeout recv');
    throwsA(() => b.recv(100_000), socket.TimeoutError, 'timeout recv, big buffer');
    a.sendall(Buffer.alloc(100_000, 7));
    b.settimeout(LONG);
    let got = 0;
    while (got < 100_000) got += b.recv(200_000).length; // > 64 KiB: the heap Buffer path
    assert(got === 100_000, 'recv big');
    a.send(Buffer.from('x'));
    assert(b.recv(1, socket.MSG_PEEK).length === 1 && b.recv(1).length === 1, 'MSG_PEEK');
    // recv_into any view
    a.sendall(Buffer.from('abcdefgh'));
    const f64 = new Float64Array(1);
    assert(b.recv_into(f64) === 8, 'recv_into Float64Array');
    a.sendall(Buffer.from('abcd'));
    const dv = new DataView(new ArrayBuffer(8), 2, 4);
    assert(b.recv_into(dv, 4) === 4, 'recv_into DataView');
    // sendall in timeout mode with a reader too slow: one deadline
    a.settimeout(0.1);
    throwsA(() => a.sendall(Buffer.alloc(8 << 20)), socket.TimeoutError, 'sendall timeout');
    // dup, fromfd, Socket(fileno) (sockinfo), set_blocking
    const d = a.dup();
    const f = socket.fromfd(a.fileno(), socket.AF_UNIX, socket.SOCK_STREAM);
    const g = new socket.Socket(undefined, undefined, undefined, socket.fromfd(a.fileno(), 1, 1).detach());
    assert(g.family === socket.AF_UNIX && g.type === socket.SOCK_STREAM, 'sockinfo');
    socket.set_blocking(d.fileno(), true);
    assert(socket.get_blocking(f.fileno()), 'shared description');
    for (const s of [d, f, g]) s.close();
    a.shutdown(socket.SHUT_WR);
    b.settimeout(LONG);
    while (b.recv(1 << 20).length) {
      // drain to end of stream
    }
  } finally {
    a.close();
    b.close();
  }
  throwsA(() => a.send(Buffer.from('x')), socket.OSError, 'closed send');
  throwsA(() => native.close(1 << 20), socket.OSError, 'close EBADF');
});

await step('TCP: create_server, create_connection, accept, options, names', () => {
  const server = socket.create_server(['127.0.0.1', 0]);
  const addr = server.getsockname();
  const c = socket.create_connection(['127.0.0.1', addr[1]], LONG);
  server.settimeout(LONG);
  const [conn, peer] = server.accept();
  try {
    assert(peer[0] === '127.0.0.1', 'accept address');
    assert(eq(c.getpeername()[0], '127.0.0.1') && conn.getsockname()[1] === addr[1], 'names');
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1);
    assert(c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) !== 0, 'getsockopt int');
    const linger = Buffer.alloc(8);
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger);
    assert(c.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8).length === 8, 'getsockopt bytes');
    throwsA(() => c.setsockopt(12345, 1, 1), socket.OSError, 'setsockopt error');
    c.sendall(Buffer.from('hello'));
    conn.settimeout(LONG);
    assert(eq(conn.recv(5), 'hello'), 'tcp recv');
    assert(String(c).includes('laddr'), 'repr');
    server.settimeout(0);
    throwsA(() => server.accept(), socket.BlockingIOError, 'accept non-blocking');
    server.settimeout(0.05);
    throwsA(() => server.accept(), socket.TimeoutError, 'accept timeout');
  } finally {
    for (const s of [c, conn, server]) s.close();
  }
  // refused, connect_ex, connect in every mode
  const r = socket.socket();
  r.bind(['127.0.0.1', 0]);
  const refused = r.getsockname();
  for (const t of [null, 0, LONG]) {
    const s = socket.socket();
    s.settimeout(t);
    const code = s.connect_ex(refused);
    const ok = t === 0 ? [native.errno.ECONNREFUSED, native.errno.EINPROGRESS] : [native.errno.ECONNREFUSED];
    assert(ok.includes(code), `connect_ex ${t}: ${code}`);
    s.close();
  }
  const s = socket.socket();
  s.settimeout(LONG);
  throwsA(() => s.connect(refused), socket.ConnectionRefusedError, 'connect refused');
  throwsA(() => s.connect(['127.0.0.1', 70000]), RangeError, 'port range');
  throwsA(() => s.connect(['127.0.0.1']), TypeError, 'address shape');
  s.close();
  throwsA(
    () => socket.create_connection(['127.0.0.1', refused[1]], LONG),
    socket.ConnectionRefusedError,
    'create_connection refused',
  );
  r.listen(0);
  r.close();
  throwsA(() => socket.socket(12345), socket.OSError, 'socket EAFNOSUPPORT');
});

await step('IPv6 loopback', () => {
  let s;
  try {
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM);
    s.bind(['::1', 0]);
  } catch (e) {
    s?.close();
    if (e instanceof socket.OSError) return; // no IPv6 here
    throw e;
  }
  const c = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM);
  try {
    const a = s.getsockname();
    assert(a.length === 4, 'AF_INET6 address');
    c.sendto(Buffer.from('six'), ['::1', a[1], 0, 0]);
    s.settimeout(LONG);
    const [d, from] = s.recvfrom(10);
    assert(eq(d, 'six') && from[0] === '::1', 'recvfrom v6');
  } finally {
    s.close();
    c.close();
  }
});

await step('UDP: sendto, recvfrom, recvfrom_into, truncation', () => {
  const s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  const c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  try {
    s.bind(['127.0.0.1', 0]);
    const to = s.getsockname();
    s.settimeout(LONG);
    c.sendto(Buffer.from('ping'), to);
    const [d, from] = s.recvfrom(1024);
    assert(eq(d, 'ping') && from[0] === '127.0.0.1', 'recvfrom');
    c.sendto(Buffer.from('pong'), 0, to);
    const buf = new Uint16Array(4);
    const [n] = s.recvfrom_into(buf);
    assert(n === 4, 'recvfrom_into');
    c.sendto(Buffer.alloc(100, 1), to);
    assert(s.recv(10).length === 10, 'datagram truncated');
    c.sendto(Buffer.alloc(10), to);
    assert(s.recvfrom(0)[0].length === 0, 'recvfrom(0)');
    throwsA(() => c.sendto(Buffer.alloc(70_000), to), socket.OSError, 'EMSGSIZE');
    s.settimeout(0.05);
    throwsA(() => s.recvfrom(10), socket.TimeoutError, 'recvfrom timeout');
    throwsA(() => s.recvfrom_into(new Uint8Array(8)), socket.TimeoutError, 'recvfrom_into timeout');
  } finally {
    s.close();
    c.close();
  }
});

await step('AF_UNIX paths: filesystem, abstract, autobind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockmode-vg-'));
  try {
    const path = join(dir, 's');
    const s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM);
    const c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM);
    try {
      s.bind(path);
      assert(s.getsockname() === path, 'path name');
      c.bind(Buffer.from('\0sockmode-vg-' + process.pid));
      c.sendto(Buffer.from('u'), path);
      s.settimeout(LONG);
      const [, from] = s.recvfrom(4);
      assert(Buffer.isBuffer(from) && from[0] === 0, 'abstract address');
      throwsA(() => s.bind('x'.repeat(200)), socket.OSError, 'path too long');
      const auto = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM);
      auto.bind('');
      auto.close();
      const t = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM);
      throwsA(() => t.connect(join(dir, 'missing')), socket.FileNotFoundError, 'ENOENT');
      throwsA(() => t.connect(new Uint8Array([47, 110, 111, 112, 101])), socket.FileNotFoundError, 'bytes path');
      t.close();
    } finally {
      s.close();
      c.close();
    }
  } finally {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
});

await step('sendmsg/recvmsg/recvmsg_into with SCM_RIGHTS, MSG_CTRUNC, send_fds/recv_fds', () => {
  const [a, b] = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM);
  const [x, y] = socket.socketpair();
  try {
    b.settimeout(LONG);
    assert(socket.CMSG_LEN(4) > 4 && socket.CMSG_SPACE(4) >= socket.CMSG_LEN(4), 'CMSG_*');
    const fds = Int32Array.of(x.fileno(), y.fileno());
    assert(
      a.sendmsg([Buffer.from('ab'), new Uint8Array([99])], [[socket.SOL_SOCKET, socket.SCM_RIGHTS, fds]]) === 3,
      'sendmsg',
    );
    const [data, anc, flags] = b.recvmsg(16, socket.CMSG_SPACE(8));
    assert(eq(data, 'abc') && anc.length === 1 && anc[0][2].length === 8 && flags === 0, 'recvmsg');
    for (let i = 0; i < 8; i += 4) native.close(anc[0][2].readInt32LE(i));
    // control buffer too small: MSG_CTRUNC, the fd that fit is returned
    a.sendmsg([Buffer.from('t')], [[socket.SOL_SOCKET, socket.SCM_RIGHTS, fds]]);
    const [, anc2, flags2] = b.recvmsg(4, socket.CMSG_LEN(4));
    assert(flags2 & socket.MSG_CTRUNC, 'MSG_CTRUNC');
    for (const [, , d] of anc2) for (let i = 0; i + 4 <= d.length; i += 4) native.close(d.readInt32LE(i));
    // a control buffer smaller than a header
    a.sendmsg([Buffer.from('h')], [[socket.SOL_SOCKET, socket.SCM_RIGHTS, fds]]);
    const [, anc3, flags3] = b.recvmsg(4, 4);
    assert(anc3.length === 0 && flags3 & socket.MSG_CTRUNC, 'tiny control buffer');
    // recvmsg_into, scattered
    a.sendmsg([Buffer.from('0123456789')]);
    const p1 = new Uint8Array(3);
    const p2 = new DataView(new ArrayBuffer(16), 4, 7);
    const [n] = b.recvmsg_into([p1, p2]);
    assert(n === 10 && eq(p1, '012'), 'recvmsg_into');
    // send_fds / recv_fds
    socket.send_fds(a, [Buffer.from('fd')], [x.fileno()]);
    const [m, got] = socket.recv_fds(b, 10, 4);
    assert(eq(m, 'fd') && got.length === 1, 'recv_fds');
    native.close(got[0]);
    // bad ancillary data is the kernel's EINVAL
    throwsA(
      () => a.sendmsg([Buffer.from('z')], [[socket.SOL_SOCKET, 9999, Buffer.alloc(3)]]),
      socket.OSError,
      'bad cmsg',
    );
    b.settimeout(0.05);
    throwsA(() => b.recvmsg(4, 64), socket.TimeoutError, 'recvmsg timeout');
    throwsA(() => b.recvmsg_into([new Uint8Array(4)], 64), socket.TimeoutError, 'recvmsg_into timeout');
    // a big message (heap receive buffer)
    const [sa, sb] = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET);
    sa.sendmsg([Buffer.alloc(100_000, 5)]);
    sb.settimeout(LONG);
    assert(sb.recvmsg(100_000)[0].length === 100_000, 'big recvmsg');
    sa.close();
    sb.close();
  } finally {
    for (const s of [a, b, x, y]) s.close();
  }
});

await step('getaddrinfo (loopback, numeric, bad), inet_*', () => {
  const r = socket.getaddrinfo('127.0.0.1', 80, socket.AF_INET, socket.SOCK_STREAM);
  assert(r.length >= 1 && r[0][4][0] === '127.0.0.1', 'getaddrinfo numeric');
  assert(socket.getaddrinfo('localhost', null).length >= 1, 'getaddrinfo localhost');
  assert(socket.getaddrinfo(null, '80', 0, 0, 0, socket.AI_PASSIVE).length >= 1, 'getaddrinfo passive');
  socket.getaddrinfo('::1', Buffer.from('22'), 0, 0, 0, socket.AI_NUMERICHOST | socket.AI_CANONNAME);
  throwsA(() => socket.getaddrinfo('not an address', 1, 0, 0, 0, socket.AI_NUMERICHOST), socket.gaierror, 'gaierror');
  throwsA(
    () => socket.getaddrinfo('127.0.0.1', 'no-such-service-x', 0, 0, 0, socket.AI_NUMERICSERV),
    socket.gaierror,
    'service',
  );
  assert(eq(socket.inet_aton('127.1'), [127, 0, 0, 1]), 'inet_aton');
  throwsA(() => socket.inet_aton('x'), socket.OSError, 'inet_aton bad');
  assert(socket.inet_pton(socket.AF_INET6, '::1').length === 16, 'inet_pton');
  throwsA(() => socket.inet_pton(12345, '::1'), socket.OSError, 'inet_pton family');
  throwsA(() => socket.inet_pton(socket.AF_INET, '::1'), socket.OSError, 'inet_pton bad');
  assert(socket.inet_ntop(socket.AF_INET6, Buffer.alloc(16)) === '::', 'inet_ntop');
  assert(socket.inet_ntoa(new Uint8Array([1, 2, 3, 4])) === '1.2.3.4', 'inet_ntoa');
  // a host name in an address goes through the resolver inside bind
  const s = socket.socket();
  s.bind(['localhost', 0]);
  throwsA(() => s.connect(['no such host', 1]), socket.gaierror, 'address resolve');
  s.close();
});

await step('select, poll, epoll, selectors', () => {
  const [a, b] = socket.socketpair();
  try {
    a.send(Buffer.from('r'));
    const [r, w, x] = sel.select([b], [a, b], [a], 0);
    assert(r.length === 1 && w.length === 2 && x.length === 0, 'select');
    assert(sel.select([b], [], [], LONG)[0].length === 1, 'select timeout ready');
    assert(sel.select([], [], [], 0.01)[0].length === 0, 'select nothing, timed');
    throwsA(() => sel.select([1 << 20], [], [], 0), socket.OSError, 'select EBADF');
    const p = sel.poll();
    p.register(b, sel.POLLIN);
    p.register(a);
    p.modify(a, sel.POLLOUT);
    assert(p.poll(0).length === 2, 'poll');
    p.register(1 << 20);
    assert(
      p.poll(10).some(([, ev]) => ev & sel.POLLNVAL),
      'POLLNVAL',
    );
    p.unregister(1 << 20);
    const ep = new sel.epoll();
    ep.register(b, sel.EPOLLIN | sel.EPOLLET);
    ep.modify(b, sel.EPOLLIN);
    assert(ep.poll(0).length === 1 && ep.poll(LONG, 1).length === 1, 'epoll');
    throwsA(() => ep.register(b), socket.FileExistsError, 'epoll EEXIST');
    ep.unregister(b);
    assert(ep.poll(0.01).length === 0, 'epoll timeout');
    ep.close();
    for (const S of [
      selectors.DefaultSelector,
      selectors.SelectSelector,
      selectors.PollSelector,
      selectors.EpollSelector,
    ]) {
      const s = new S();
      s.register(b, selectors.EVENT_READ, 'data');
      s.register(a, selectors.EVENT_WRITE);
      s.modify(a, selectors.EVENT_READ | selectors.EVENT_WRITE);
      assert(s.select(0).length === 2, `${S.name} select`);
      s.unregister(a);
      assert(s.get_key(b).data === 'data', 'get_key');
      s.close();
    }
    b.recv(1);
  } finally {
    a.close();
    b.close();
  }
});

await step('loop.sock_*: accept, connect, sendall, recv*, sendto, abort, close while waiting', async () => {
  const server = socket.create_server(['127.0.0.1', 0]);
  server.setblocking(false);
  const c = socket.socket();
  c.setblocking(false);
  const accepting = loop.sock_accept(server);
  await loop.sock_connect(c, server.getsockname());
  const [conn] = await accepting;
  try {
    const reading = loop.sock_recv(conn, 100);
    await loop.sock_sendall(c, Buffer.from('hello'));
    assert(eq(await reading, 'hello'), 'sock_recv');
    // a big sendall that has to wait for the reader
    const big = Buffer.alloc(4 << 20, 3);
    const sending = loop.sock_sendall(c, big);
    const into = new Uint8Array(1 << 20);
    let got = 0;
    while (got < big.length) got += await loop.sock_recv_into(conn, into);
    await sending;
    // abort a pending receive, then close a socket with a pending receive
    const ac = new AbortController();
    const aborted = loop.sock_recv(conn, 10, { signal: ac.signal });
    ac.abort(new Error('stop'));
    await rejectsA(aborted, Error, 'abort');
    const pending = loop.sock_recv(c, 10);
    const ebadf = rejectsA(pending, socket.OSError, 'close while waiting');
    c.close();
    await ebadf;
    await rejectsA(loop.sock_recv(socket.socket(), 1), RangeError, 'blocking socket');
  } finally {
    c.close();
    conn.close();
    server.close();
  }
  // refused connect through the loop
  const r = socket.socket();
  r.bind(['127.0.0.1', 0]);
  const s = socket.socket();
  s.setblocking(false);
  await rejectsA(loop.sock_connect(s, r.getsockname()), socket.ConnectionRefusedError, 'sock_connect refused');
  s.close();
  r.close();
  // datagrams
  const u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  const v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  u.bind(['127.0.0.1', 0]);
  u.setblocking(false);
  v.setblocking(false);
  try {
    const from = loop.sock_recvfrom(u, 100);
    await loop.sock_sendto(v, Buffer.from('dg'), u.getsockname());
    assert(eq((await from)[0], 'dg'), 'sock_recvfrom');
    const into = loop.sock_recvfrom_into(u, new Uint8Array(8));
    await loop.sock_sendto(v, Buffer.from('dg2'), ['localhost', u.getsockname()[1]]);
    assert((await into)[0] === 3, 'sock_recvfrom_into');
  } finally {
    u.close();
    v.close();
  }
});

await step('bench: pin, peer (in a worker), pingpong, bulk, connect', async () => {
  assert(typeof native.bench_pin(0) === 'boolean', 'bench_pin');
  const [control, theirs] = socket.socketpair();
  const peer = new Worker(
    `const { workerData } = require('node:worker_threads');
     import(workerData.native).then(({ native }) => native.bench_peer(workerData.fd));`,
    { eval: true, workerData: { native: new URL('native.js', dist).href, fd: theirs.fileno() } },
  );
  const exited = new Promise((resolve, reject) => {
    peer.once('exit', resolve);
    peer.once('error', reject);
  });
  control.settimeout(LONG * 4);
  const command = (op, fd, size = 0, count = 0) => {
    const cmd = Buffer.alloc(16);
    cmd.write(op, 0, 'latin1');
    cmd.writeUInt32LE(size, 4);
    cmd.writeBigUInt64LE(BigInt(count), 8);
    socket.send_fds(control, [cmd], [fd]);
  };
  // echo over a socketpair
  let [mine, other] = socket.socketpair();
  command('e', other.fileno());
  other.close();
  assert(native.bench_pingpong(mine.fileno(), 8, 20) >= 0, 'bench_pingpong');
  mine.close();
  assert(control.recv(1).length === 1, 'peer done (echo)');
  // source over a socketpair
  [mine, other] = socket.socketpair();
  command('s', other.fileno(), 4096, 1 << 18);
  other.close();
  assert(native.bench_bulk(mine.fileno(), 8192, 1 << 18) >= 0, 'bench_bulk');
  mine.close();
  assert(control.recv(1).length === 1, 'peer done (source)');
  // accept and close over TCP
  const listener = socket.create_server(['127.0.0.1', 0]);
  command('A', listener.fileno(), 0, 3);
  assert(native.bench_connect(socket.AF_INET, listener.getsockname(), 3) >= 0, 'bench_connect');
  assert(control.recv(1).length === 1, 'peer done (accept)');
  listener.close();
  control.close();
  await exited;
  theirs.close();
});

console.log(`valgrind-driver: ${steps} steps passed`);
