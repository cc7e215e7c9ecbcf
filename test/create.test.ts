// SEMANTICS §2 (the default timeout and what inherits it; construction from an
// fd; close-on-exec), with create_connection/create_server from §8 and the
// module functions getaddrinfo/gethostname.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import { fdCount, fdNonBlocking, observe, outcome, python, refusedAddress } from './helpers.js';

afterEach(() => socket.setdefaulttimeout(null));

const dir = mkdtempSync(join(tmpdir(), 'sockmode-create-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Triple = [number | null, boolean, boolean];
/** The mode triple: [gettimeout, getblocking, fd O_NONBLOCK]. */
function tri(s: socket.Socket): Triple {
  return [s.gettimeout(), s.getblocking(), fdNonBlocking(s.fileno())];
}

/** Whether fd is close-on-exec: /proc/self/fdinfo flags (octal) carry O_CLOEXEC 02000000. */
function cloexec(fd: number): boolean {
  const m = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  if (!m) throw new Error(`no flags for fd ${fd}`);
  return (parseInt(m[1], 8) & 0o2000000) !== 0;
}

const DEFAULTS = [null, 0, 2.5];

/** The inheritance table under default d, as a JSON-able record (mirrors PY_TABLE). */
function table(d: number | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  socket.setdefaulttimeout(d);
  {
    using s = socket.socket();
    out.socket = tri(s);
  }
  {
    const [a, b] = socket.socketpair();
    try {
      out.socketpair = [tri(a), tri(b)];
    } finally {
      a.close();
      b.close();
    }
  }
  using srv = socket.create_server(['127.0.0.1', 0]);
  out.create_server = tri(srv);
  {
    using s = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK!);
    out.nonblock = [...tri(s), s.type];
  }
  for (const nb of [false, true]) {
    socket.setdefaulttimeout(null);
    using src = socket.socket();
    const fd = src.dup().detach();
    socket.set_blocking(fd, !nb);
    socket.setdefaulttimeout(d);
    {
      using o = socket.socket(undefined, undefined, undefined, fd);
      out[`fileno_${nb}`] = tri(o);
    }
    socket.set_blocking(src.fileno(), !nb);
    {
      using f = socket.fromfd(src.fileno(), socket.AF_INET, socket.SOCK_STREAM);
      out[`fromfd_${nb}`] = [...tri(f), fdNonBlocking(src.fileno())];
    }
  }
  socket.setdefaulttimeout(d);
  ([null, 0, 1.5] as const).forEach((t, i) => {
    using s = socket.socket();
    s.settimeout(t);
    using c = s.dup();
    out[`dup_${i}`] = tri(c);
  });
  const addr = srv.getsockname() as [string, number];
  for (const lt of [5, 0]) {
    srv.settimeout(lt);
    using c = socket.create_connection(addr, 5);
    const [conn] = srv.accept();
    using _ = conn;
    out[`accept_${lt}`] = tri(conn);
  }
  const attempts: [string, (number | null)[]][] = [
    ['cc_default', []],
    ['cc_null', [null]],
    ['cc_7', [7]],
  ];
  for (const [key, args] of attempts) {
    let c: socket.Socket | undefined;
    try {
      c = (socket.create_connection as any)(addr, ...args);
      out[key] = tri(c!);
    } catch (e: any) {
      out[key] = { error: e.name, errno: e.errno ?? null };
    } finally {
      c?.close();
    }
  }
  return out;
}

const PY_TABLE = `
def tri(s):
    return [s.gettimeout(), s.getblocking(), not os.get_blocking(s.fileno())]
def table(d):
    out = {}
    socket.setdefaulttimeout(d)
    s = socket.socket(); out['socket'] = tri(s); s.close()
    a, b = socket.socketpair(); out['socketpair'] = [tri(a), tri(b)]; a.close(); b.close()
    srv = socket.create_server(('127.0.0.1', 0)); out['create_server'] = tri(srv)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
    out['nonblock'] = tri(s) + [int(s.type)]; s.close()
    for nb in (False, True):
        socket.setdefaulttimeout(None)
        src = socket.socket()
        fd = src.dup().detach()
        os.set_blocking(fd, not nb)
        socket.setdefaulttimeout(d)
        o = socket.socket(fileno=fd); out['fileno_%s' % str(nb).lower()] = tri(o); o.close()
        os.set_blocking(src.fileno(), not nb)
        f = socket.fromfd(src.fileno(), socket.AF_INET, socket.SOCK_STREAM)
        out['fromfd_%s' % str(nb).lower()] = tri(f) + [not os.get_blocking(src.fileno())]
        f.close(); src.close()
    socket.setdefaulttimeout(d)
    for i, t in enumerate([None, 0, 1.5]):
        s = socket.socket(); s.settimeout(t); c = s.dup()
        out['dup_%d' % i] = tri(c); c.close(); s.close()
    addr = srv.getsockname()
    for lt in (5, 0):
        srv.settimeout(lt)
        c = socket.create_connection(addr, 5)
        conn, _ = srv.accept()
        out['accept_%d' % lt] = tri(conn)
        conn.close(); c.close()
    for key, args in [('cc_default', []), ('cc_null', [None]), ('cc_7', [7])]:
        try:
            c = socket.create_connection(addr, *args)
            out[key] = tri(c); c.close()
        except OSError as e:
            out[key] = {'error': type(e).__name__, 'errno': e.errno}
    srv.close()
    socket.setdefaulttimeout(None)
    return out
`;

describe('the inheritance table (default timeout)', () => {
  it('matches CPython for default null, 0 and 2.5, constructor by constructor', () => {
    const py = python(PY_TABLE + `return [table(d) for d in arg]`, DEFAULTS);
    const ours = DEFAULTS.map(table);
    for (let i = 0; i < DEFAULTS.length; i++) {
      expect(ours[i], `default ${DEFAULTS[i]}`).toEqual(py[i]);
    }
  });

  it('the rows of SEMANTICS §2, spelled out', () => {
    const [n, z, t] = DEFAULTS.map(table);
    const B: Triple = [null, true, false];
    const NB: Triple = [0, false, true];
    const T = (x: number): Triple => [x, true, true];
    // socket(), socketpair(), create_server()
    expect([n.socket, n.socketpair, n.create_server]).toEqual([B, [B, B], B]);
    expect([z.socket, z.socketpair, z.create_server]).toEqual([NB, [NB, NB], NB]);
    expect([t.socket, t.socketpair, t.create_server]).toEqual([T(2.5), [T(2.5), T(2.5)], T(2.5)]);
    // SOCK_NONBLOCK: non-blocking whatever the default; .type without the flag
    for (const r of [n, z, t]) expect(r.nonblock).toEqual([...NB, socket.SOCK_STREAM]);
    // socket(fileno=fd) / fromfd(fd): default null leaves the fd's flag as it was
    expect([n.fileno_false, n.fileno_true]).toEqual([B, [null, true, true]]);
    expect([n.fromfd_false, n.fromfd_true]).toEqual([
      [...B, false],
      [null, true, true, true],
    ]);
    for (const nb of [false, true]) {
      expect(z[`fileno_${nb}`]).toEqual(NB);
      expect(z[`fromfd_${nb}`]).toEqual([...NB, true]);
      expect(t[`fileno_${nb}`]).toEqual(T(2.5));
      expect(t[`fromfd_${nb}`]).toEqual([...T(2.5), true]);
    }
    // dup() copies the original's timeout whatever the default
    for (const r of [n, z, t]) expect([r.dup_0, r.dup_1, r.dup_2]).toEqual([B, NB, T(1.5)]);
    // accept(): the default, not the listener's timeout
    expect([n.accept_5, n.accept_0]).toEqual([B, B]);
    expect([z.accept_5, z.accept_0]).toEqual([NB, NB]);
    expect([t.accept_5, t.accept_0]).toEqual([T(2.5), T(2.5)]);
    // create_connection
    expect([n.cc_default, n.cc_null, n.cc_7]).toEqual([B, B, T(7)]);
    expect([z.cc_default, z.cc_null, z.cc_7]).toEqual([{ error: 'BlockingIOError', errno: 115 }, B, T(7)]);
    expect([t.cc_default, t.cc_null, t.cc_7]).toEqual([T(2.5), B, T(7)]);
  });

  it('.type never carries SOCK_NONBLOCK or SOCK_CLOEXEC, whatever the mode', () => {
    const flags = socket.SOCK_NONBLOCK! | socket.SOCK_CLOEXEC!;
    for (const type of [socket.SOCK_STREAM, socket.SOCK_DGRAM]) {
      for (const extra of [0, socket.SOCK_NONBLOCK!, socket.SOCK_CLOEXEC!, flags]) {
        using s = socket.socket(socket.AF_INET, type | extra);
        expect(s.type).toBe(type);
        s.settimeout(1);
        expect(s.type).toBe(type);
        using d = s.dup();
        expect(d.type).toBe(type);
      }
    }
    const [a, b] = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM | flags);
    try {
      expect([a.type, b.type]).toEqual([socket.SOCK_STREAM, socket.SOCK_STREAM]);
      expect([a.gettimeout(), b.gettimeout()]).toEqual([0, 0]);
    } finally {
      a.close();
      b.close();
    }
    const py = python(`
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC)
out = [int(s.type), s.gettimeout()]
s.close()
return out`);
    expect(py).toEqual([socket.SOCK_STREAM, 0]);
  });
});

describe('construction from an fd', () => {
  it('socket(fileno=fd) detects family, type and proto, as CPython', () => {
    const kinds: [number, number][] = [
      [socket.AF_INET, socket.SOCK_STREAM],
      [socket.AF_INET, socket.SOCK_DGRAM],
      [socket.AF_INET6, socket.SOCK_STREAM],
      [socket.AF_INET6, socket.SOCK_DGRAM],
      [socket.AF_UNIX, socket.SOCK_STREAM],
      [socket.AF_UNIX, socket.SOCK_DGRAM],
    ];
    const py = python(
      `
out = []
for fam, typ in arg:
    s = socket.socket(fam, typ)
    o = socket.socket(fileno=s.detach())
    out.append([int(o.family), int(o.type), o.proto])
    o.close()
return out`,
      kinds,
    );
    const ours = kinds.map(([fam, typ]) => {
      const s = socket.socket(fam, typ);
      using o = socket.socket(undefined, undefined, undefined, s.detach());
      return [o.family, o.type, o.proto];
    });
    expect(ours).toEqual(py);
    expect(ours[0]).toEqual([socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP]);
    expect(ours[3]).toEqual([socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_UDP]);
  });

  it('given family/type/proto win over detection', () => {
    const s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM);
    using o = socket.socket(socket.AF_INET, undefined, 0, s.detach());
    expect([o.family, o.type, o.proto]).toEqual([socket.AF_INET, socket.SOCK_STREAM, 0]);
  });

  it('without fileno the defaults are AF_INET, SOCK_STREAM, 0; family/type/proto are read-only', () => {
    using s = socket.socket();
    expect([s.family, s.type, s.proto]).toEqual([socket.AF_INET, socket.SOCK_STREAM, 0]);
    for (const k of ['family', 'type', 'proto']) {
      expect(() => {
        (s as any)[k] = 99;
      }).toThrow(TypeError);
    }
    expect([s.family, s.type, s.proto]).toEqual([socket.AF_INET, socket.SOCK_STREAM, 0]);
  });

  it('negative fd: RangeError("negative file descriptor"), for socket(fileno) and fromfd', () => {
    expect(() => socket.socket(undefined, undefined, undefined, -1)).toThrow(
      new RangeError('negative file descriptor'),
    );
    expect(() => socket.fromfd(-1, socket.AF_INET, socket.SOCK_STREAM)).toThrow(
      new RangeError('negative file descriptor'),
    );
    const py = outcome(python(`return observe(lambda: socket.socket(fileno=-1))`));
    const o = outcome(observe(() => socket.socket(undefined, undefined, undefined, -1)));
    expect(o).toEqual(py);
  });

  it('a closed fd: OSError [Errno 9]; a non-socket fd (a file): OSError [Errno 88]; as CPython', () => {
    const closedFd = 524_287; // far above anything open
    const file = join(dir, 'not-a-socket');
    writeFileSync(file, 'x');
    const py = python(
      `
fd = os.open(arg[1], os.O_RDONLY)
r, w = os.pipe()
out = [observe(lambda: socket.socket(fileno=arg[0])),
       observe(lambda: socket.fromfd(arg[0], socket.AF_INET, socket.SOCK_STREAM)),
       observe(lambda: socket.socket(fileno=fd)),
       observe(lambda: socket.socket(fileno=r))]
os.close(fd); os.close(r); os.close(w)
return out`,
      [closedFd, file],
    ).map(outcome);
    const before = fdCount();
    const fd = openSync(file, 'r');
    let ours;
    try {
      ours = [
        observe(() => socket.socket(undefined, undefined, undefined, closedFd)),
        observe(() => socket.fromfd(closedFd, socket.AF_INET, socket.SOCK_STREAM)),
        observe(() => socket.socket(undefined, undefined, undefined, fd)),
      ].map(outcome);
      // the failed constructor did not take (or close) the fd
      expect(() => readFileSync(`/proc/self/fdinfo/${fd}`)).not.toThrow();
    } finally {
      closeSync(fd);
    }
    expect(fdCount()).toBe(before);
    expect(ours.map((o) => [o.error, o.errno])).toEqual([
      ['OSError', 9],
      ['OSError', 9],
      ['OSError', 88],
    ]);
    expect(ours).toEqual(py.slice(0, 3));
    expect([py[3].error, py[3].errno]).toEqual(['OSError', 88]); // a pipe, likewise
  });

  it('fromfd duplicates (closing it leaves the original open); socket(fileno) adopts (closing it closes the fd)', () => {
    using src = socket.socket();
    src.bind(['127.0.0.1', 0]);
    const name = src.getsockname();
    const f = socket.fromfd(src.fileno(), socket.AF_INET, socket.SOCK_STREAM);
    expect(f.fileno()).not.toBe(src.fileno());
    expect(f.getsockname()).toEqual(name); // same socket
    f.close();
    expect(src.getsockname()).toEqual(name); // original still open
    expect(() => socket.get_blocking(src.fileno())).not.toThrow();

    const fd = src.dup().detach();
    const o = socket.socket(undefined, undefined, undefined, fd);
    expect(o.fileno()).toBe(fd);
    expect(o.getsockname()).toEqual(name);
    o.close();
    expect(o.fileno()).toBe(-1);
    let err: any;
    try {
      socket.get_blocking(fd);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(socket.OSError);
    expect(err.errno).toBe(9);
  });

  it('dup() copies the timeout and shares the description', () => {
    using s = socket.socket();
    for (const t of [null, 0, 0.25, 7]) {
      s.settimeout(t);
      using d = s.dup();
      expect(d.fileno()).not.toBe(s.fileno());
      expect(d.gettimeout()).toBe(t);
      expect([d.family, d.type, d.proto]).toEqual([s.family, s.type, s.proto]);
    }
  });
});

describe('create_connection', () => {
  it('refused: ConnectionRefusedError [Errno 111], as CPython; no fd left behind', () => {
    const r = refusedAddress();
    try {
      const before = fdCount();
      const o = outcome(observe(() => socket.create_connection(r.address, 5)));
      expect(fdCount()).toBe(before);
      expect(o).toMatchObject({ ok: false, error: 'ConnectionRefusedError', errno: 111 });
      const py = outcome(python(`return observe(lambda: socket.create_connection(tuple(arg), 5))`, r.address));
      expect(o).toEqual(py);
    } finally {
      r.close();
    }
  });

  it("{all_errors: true}: AggregateError('create_connection failed') of every attempt's error", () => {
    // a port refused on 127.0.0.1 and, when 'localhost' also gives ::1, there too
    const r = refusedAddress();
    const port = r.address[1];
    const extra: socket.Socket[] = [];
    try {
      const infos = socket.getaddrinfo('localhost', port, 0, socket.SOCK_STREAM);
      expect(infos.length).toBeGreaterThan(0);
      for (const [fam, , , , sa] of infos) {
        if (fam === socket.AF_INET6) {
          const s6 = socket.socket(socket.AF_INET6);
          extra.push(s6);
          s6.bind(['::1', port]);
        }
        expect(['127.0.0.1', '::1']).toContain((sa as [string, number])[0]);
      }
      let err: any;
      try {
        socket.create_connection(['localhost', port], 5, null, { all_errors: true });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AggregateError);
      expect(err.message).toBe('create_connection failed');
      expect(err.errors.length).toBe(infos.length);
      for (const e of err.errors) {
        expect(e).toBeInstanceOf(socket.ConnectionRefusedError);
        expect(e.errno).toBe(111);
      }
      const py = python(
        `
try:
    socket.create_connection(('localhost', arg), 5, all_errors=True)
except ExceptionGroup as g:
    return [[type(e).__name__, e.errno] for e in g.exceptions]
return None`,
        port,
      );
      expect(err.errors.map((e: any) => [e.name, e.errno])).toEqual(py);
      // without all_errors: the last error itself
      const o = outcome(observe(() => socket.create_connection(['localhost', port], 5)));
      expect(o).toMatchObject({ ok: false, error: 'ConnectionRefusedError', errno: 111 });
    } finally {
      for (const s of extra) s.close();
      r.close();
    }
  });

  it('source_address is bound before connecting', () => {
    using srv = socket.create_server(['127.0.0.1', 0]);
    srv.settimeout(5);
    const addr = srv.getsockname() as [string, number];
    let sport: number;
    {
      using probe = socket.socket();
      probe.bind(['127.0.0.1', 0]);
      sport = (probe.getsockname() as [string, number])[1];
    }
    using c = socket.create_connection(addr, 5, ['127.0.0.1', sport]);
    expect(c.getsockname()).toEqual(['127.0.0.1', sport]);
    const [conn, peer] = srv.accept();
    using _ = conn;
    expect(peer).toEqual(['127.0.0.1', sport]);
  });

  it('a source_address bind failure is raised unchanged and the socket closed, as CPython', () => {
    using srv = socket.create_server(['127.0.0.1', 0]);
    const addr = srv.getsockname() as [string, number];
    const before = fdCount();
    const o = outcome(observe(() => socket.create_connection(addr, 5, addr)));
    expect(fdCount()).toBe(before);
    expect(o).toMatchObject({ ok: false, error: 'OSError', errno: 98 });
    const py = outcome(
      python(
        `
srv = socket.create_server(('127.0.0.1', 0))
a = srv.getsockname()
o = observe(lambda: socket.create_connection(a, 5, a))
srv.close()
return o`,
      ),
    );
    expect(o).toEqual(py);
  });
});

describe('create_server', () => {
  it('sets SO_REUSEADDR and listens; AF_INET6 has IPV6_V6ONLY 1, 0 with dualstack_ipv6; as CPython', () => {
    // Linux sets IPV6_V6ONLY itself when binding ::1, so the option is shown on
    // a v4-mapped loopback address: it binds only with IPV6_V6ONLY 0 (EINVAL
    // otherwise), and then an IPv4 client reaches the AF_INET6 listener.
    const mapped = '::ffff:127.0.0.1';
    const probe = (s: socket.Socket) => [
      s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) !== 0,
      s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN),
      s.family === socket.AF_INET6 ? s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) : null,
    ];
    const ours: unknown[] = [];
    {
      using s = socket.create_server(['127.0.0.1', 0]);
      ours.push(probe(s));
    }
    {
      using s = socket.create_server(['::1', 0], { family: socket.AF_INET6 });
      ours.push(probe(s));
    }
    {
      using s = socket.create_server([mapped, 0], { family: socket.AF_INET6, dualstack_ipv6: true });
      ours.push(probe(s));
      s.settimeout(5);
      using c = socket.create_connection(['127.0.0.1', (s.getsockname() as [string, number])[1]], 5);
      const [conn, peer] = s.accept();
      using _ = conn;
      ours.push([conn.family, (peer as unknown[]).length, (peer as [string, number])[0]]);
    }
    const before = fdCount();
    const o = outcome(observe(() => socket.create_server([mapped, 0], { family: socket.AF_INET6 })));
    expect(fdCount()).toBe(before);
    ours.push(o);
    expect(ours.slice(0, 4)).toEqual([
      [true, 1, null],
      [true, 1, 1],
      [true, 1, 0],
      [socket.AF_INET6, 4, mapped],
    ]);
    expect(o).toMatchObject({ ok: false, error: 'OSError', errno: 22 });
    const py = python(
      `
def probe(s):
    return [s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) != 0,
            s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN),
            s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) if s.family == socket.AF_INET6 else None]
out = []
for addr, kw in [(('127.0.0.1', 0), {}), (('::1', 0), {'family': socket.AF_INET6}),
                 ((arg, 0), {'family': socket.AF_INET6, 'dualstack_ipv6': True})]:
    s = socket.create_server(addr, **kw)
    out.append(probe(s))
    if kw.get('dualstack_ipv6'):
        s.settimeout(5)
        c = socket.create_connection(('127.0.0.1', s.getsockname()[1]), 5)
        conn, peer = s.accept()
        out.append([int(conn.family), len(peer), peer[0]])
        conn.close(); c.close()
    s.close()
out.append(observe(lambda: socket.create_server((arg, 0), family=socket.AF_INET6)))
return out`,
      mapped,
    );
    expect([...ours.slice(0, 4), ours[4]]).toEqual([...py.slice(0, 4), outcome(py[4])]);
  });

  it("bind failure: same class, '<strerror> (while attempting to bind on address (...))', socket closed", () => {
    using first = socket.create_server(['127.0.0.1', 0]);
    const port = (first.getsockname() as [string, number])[1];
    const before = fdCount();
    let err: any;
    try {
      socket.create_server(['127.0.0.1', port]);
    } catch (e) {
      err = e;
    }
    expect(fdCount()).toBe(before);
    expect(err?.constructor).toBe(socket.OSError);
    expect(err.errno).toBe(98);
    expect(err.strerror).toBe(`Address already in use (while attempting to bind on address ('127.0.0.1', ${port}))`);
    expect(err.message).toBe(`[Errno 98] ${err.strerror}`);
    const py = python(`
first = socket.create_server(('127.0.0.1', 0))
port = first.getsockname()[1]
try:
    socket.create_server(('127.0.0.1', port))
except OSError as e:
    return [type(e).__name__, e.errno, e.strerror.replace(str(port), 'PORT'), str(e).replace(str(port), 'PORT')]
finally:
    first.close()`);
    const P = String(port);
    expect([err.name, err.errno, err.strerror.replace(P, 'PORT'), err.message.replace(P, 'PORT')]).toEqual(py);
  });

  it('AF_INET6 bind failure names the 4-item address as given, as CPython', () => {
    using first = socket.create_server(['::1', 0], { family: socket.AF_INET6 });
    const port = (first.getsockname() as [string, number])[1];
    let err: any;
    try {
      socket.create_server(['::1', port], { family: socket.AF_INET6 });
    } catch (e) {
      err = e;
    }
    expect(err?.errno).toBe(98);
    const py = python(`
first = socket.create_server(('::1', 0), family=socket.AF_INET6)
port = first.getsockname()[1]
try:
    socket.create_server(('::1', port), family=socket.AF_INET6)
except OSError as e:
    return [type(e).__name__, e.errno, str(e).replace(str(port), 'PORT')]
finally:
    first.close()`);
    expect([err.name, err.errno, err.message.replace(String(port), 'PORT')]).toEqual(py);
  });
});

describe('close-on-exec', () => {
  it('every fd the library creates is close-on-exec', () => {
    const made: socket.Socket[] = [];
    try {
      const add = (s: socket.Socket) => (made.push(s), s);
      add(socket.socket());
      add(socket.socket(socket.AF_INET6, socket.SOCK_DGRAM));
      add(socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK!));
      made.push(...socket.socketpair());
      const srv = add(socket.create_server(['127.0.0.1', 0]));
      srv.settimeout(5);
      add(srv.dup());
      add(socket.fromfd(srv.fileno(), socket.AF_INET, socket.SOCK_STREAM));
      add(socket.create_connection(srv.getsockname() as [string, number], 5));
      add(srv.accept()[0]);
      for (const s of made) expect(cloexec(s.fileno()), String(s)).toBe(true);
      expect(made.length).toBe(10);
    } finally {
      for (const s of made) s.close();
    }
  });
});

describe('module functions', () => {
  it('getaddrinfo results: [family, type, proto, canonname, sockaddr], as CPython', () => {
    const queries: unknown[][] = [
      ['127.0.0.1', 80, 0, socket.SOCK_STREAM],
      ['127.0.0.1', null, socket.AF_INET, socket.SOCK_DGRAM],
      ['::1', 443, socket.AF_INET6, socket.SOCK_STREAM],
      [null, 8080, socket.AF_INET, socket.SOCK_STREAM, 0, socket.AI_PASSIVE],
      [null, 8080, socket.AF_INET6, socket.SOCK_STREAM, 0, socket.AI_PASSIVE],
      ['localhost', 'http', socket.AF_INET, socket.SOCK_STREAM],
      ['localhost', '1234', 0, socket.SOCK_STREAM],
      ['127.0.0.1', 'no-such-service-x', 0, socket.SOCK_STREAM],
      ['nonexistent.invalid', 80, 0, socket.SOCK_STREAM],
    ];
    const py = python(`return [observe(lambda: socket.getaddrinfo(*q)) for q in arg]`, queries).map(outcome);
    const ours = queries.map((q) => outcome(observe(() => (socket.getaddrinfo as any)(...q))));
    expect(ours).toEqual(py);
    expect(ours[0].value).toEqual([[socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, '', ['127.0.0.1', 80]]]);
    expect(ours[2].value).toEqual([[socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, '', ['::1', 443, 0, 0]]]);
    expect(ours[8]).toMatchObject({ ok: false, error: 'gaierror' });
  });

  it('getaddrinfo reads a port in a byte view over a SharedArrayBuffer (fuzzing found a plain Error)', () => {
    // Typed as Buffer (Python's bytes); any byte view is read the same way at run time.
    const shared = (text: string) => {
      const v = new Uint8Array(new SharedArrayBuffer(text.length));
      v.set(Buffer.from(text));
      return v as unknown as Buffer;
    };
    const expected = socket.getaddrinfo('127.0.0.1', 80, socket.AF_INET, socket.SOCK_STREAM);
    expect(socket.getaddrinfo('127.0.0.1', shared('80'), socket.AF_INET, socket.SOCK_STREAM)).toEqual(expected);
    const e = (() => {
      try {
        socket.getaddrinfo('', shared('\0'.repeat(16)), socket.AF_INET, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(socket.gaierror);
  });

  it('gethostname() equals os.hostname() and Python', () => {
    expect(socket.gethostname()).toBe(hostname());
    expect(socket.gethostname()).toBe(python(`return socket.gethostname()`));
  });
});
