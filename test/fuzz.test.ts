/**
 * Fuzzed arguments (fast-check): every public function and method, called
 * with generated arguments of every JS type and edge value, throws only
 * TypeError, RangeError or an OSError subclass (KeyError where Python's
 * selectors and poll raise KeyError; the signal's reason and the documented
 * OSErrors for loop.sock_* rejections, which never throw synchronously); the
 * process never crashes; and /proc/self/fd has as many entries after every
 * run as before it.
 *
 * Safety: loopback only. Host strings that reach the resolver are numeric
 * loopback addresses ('localhost' only where the files database answers it:
 * getaddrinfo and create_connection with family AF_INET or 0); other garbage
 * host strings reach getaddrinfo only with AI_NUMERICHOST. Ports are ours: a
 * port bound but not listening (TCP: refused; UDP: our sink), our own
 * listener, 0, or invalid values. fds are ours or invalid. AF_UNIX paths are
 * relative names in a temporary working directory, or abstract names. Every
 * socket handed to a generated call is in timeout mode (10 ms) or
 * non-blocking and gets exactly one generated call, so a call that makes it
 * blocking is its last; wait timeouts of select/poll/epoll/selectors are
 * bounded; pending loop.sock_* calls end when their socket is closed.
 *
 * FUZZ_SEED=n reproduces a run; FUZZ_SCALE=k multiplies the number of runs.
 */
import fc from 'fast-check';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import { native } from '../lib/native.js';
import * as sel from '../lib/select.js';
import * as selectors from '../lib/selectors.js';
import { fdCount } from './helpers.js';

const { Socket, KeyError, OSError } = socket;
type Sock = socket.Socket;

const SCALE = Number(process.env.FUZZ_SCALE ?? 1) || 1;
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/** fast-check parameters: n runs (scaled); shrinking a failure stops after 8 s, so a failing property ends in bounded time. */
const runs = (n: number) => ({
  numRuns: Math.max(1, Math.round(n * SCALE)),
  seed: SEED,
  interruptAfterTimeLimit: 8000 * SCALE,
});

/** How long a fixture socket waits in timeout mode (s). */
const T = 0.01;

// ------------------------------------------------------------------ fixtures

let tmp = '';
const cwd0 = process.cwd();
/** A port bound on 127.0.0.1 and ::1, TCP (not listening: refused) and UDP (our sinks). */
let P = 0;
/** Our listener's port on 127.0.0.1 and ::1. */
let L = 0;
let hasV6 = true;
const fixed: Sock[] = [];
const listeners: Sock[] = [];
const sinks: Sock[] = [];
const ABSTRACT_LISTENER = `\0sockmode-fuzz-listen-${process.pid}`;
const ABSTRACT_SINK = `\0sockmode-fuzz-sink-${process.pid}`;

function tryBind(family: number, type: number, host: string, port: number): Sock | null {
  const s = socket.socket(family, type);
  try {
    if (family === socket.AF_INET6) s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1);
    s.bind(family === socket.AF_UNIX ? host : [host, port]);
    return s;
  } catch {
    s.close();
    return null;
  }
}

/** Binds the same port on every (family, type) of `specs`; returns the sockets. */
function samePort(specs: [number, number, string][]): [number, Sock[]] {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = tryBind(specs[0][0], specs[0][1], specs[0][2], 0)!;
    const port = (first.getsockname() as [string, number])[1];
    const got = [first];
    for (const [f, t, h] of specs.slice(1)) {
      const s = tryBind(f, t, h, port);
      if (!s) break;
      got.push(s);
    }
    if (got.length === specs.length) return [port, got];
    for (const s of got) s.close();
  }
  throw new Error('no port free on every family');
}

/** Accepts and closes what our listeners got, reads what our sinks got. */
function drain(): void {
  for (const l of listeners) {
    for (;;) {
      try {
        l.accept()[0].close();
      } catch {
        break;
      }
    }
  }
  for (const s of sinks) {
    for (;;) {
      try {
        s.recv(65536);
      } catch {
        break;
      }
    }
  }
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'sockmode-fuzz-'));
  process.chdir(tmp); // relative AF_UNIX names land here
  const probe = tryBind(socket.AF_INET6, socket.SOCK_DGRAM, '::1', 0);
  hasV6 = probe !== null;
  probe?.close();
  const v4: [number, number, string][] = [
    [socket.AF_INET, socket.SOCK_STREAM, '127.0.0.1'],
    [socket.AF_INET, socket.SOCK_DGRAM, '127.0.0.1'],
  ];
  const v6: [number, number, string][] = hasV6
    ? [
        [socket.AF_INET6, socket.SOCK_STREAM, '::1'],
        [socket.AF_INET6, socket.SOCK_DGRAM, '::1'],
      ]
    : [];
  let got: Sock[];
  [P, got] = samePort([...v4, ...v6]);
  for (const s of got) {
    fixed.push(s);
    if (s.type === socket.SOCK_DGRAM) sinks.push(s);
  }
  [L, got] = samePort([v4[0], ...v6.slice(0, 1)]);
  for (const s of got) {
    s.listen(4096);
    listeners.push(s);
    fixed.push(s);
  }
  const ul = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM);
  ul.bind(ABSTRACT_LISTENER);
  ul.listen(4096);
  const us = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM);
  us.bind(ABSTRACT_SINK);
  listeners.push(ul);
  sinks.push(us);
  fixed.push(ul, us);
  for (const s of fixed) s.setblocking(false);
});

afterAll(() => {
  for (const s of fixed.splice(0)) s.close();
  process.chdir(cwd0);
  rmSync(tmp, { recursive: true, force: true });
});

afterEach(() => {
  socket.setdefaulttimeout(null);
  drain();
});

// ------------------------------------------------------------------ values

const EDGE_NUMBERS = [
  0,
  -0,
  1,
  -1,
  2,
  3,
  7,
  0.5,
  -0.5,
  1.5,
  1e-9,
  0.001,
  NaN,
  Infinity,
  -Infinity,
  255,
  256,
  1023,
  1024,
  1025,
  4096,
  65536,
  65537,
  100_000,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  -(2 ** 31) - 1,
  2 ** 32 + 1,
  2 ** 33,
  2 ** 40,
  2 ** 53 - 1,
  2 ** 53,
  -(2 ** 53),
  2 ** 63,
  2 ** 64,
  1e15,
  1e300,
  -1e300,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.EPSILON,
  0x7fffffff + 0.5,
  9.2e9,
];
const numberArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...EDGE_NUMBERS) },
  { weight: 1, arbitrary: fc.integer({ min: -2000, max: 2000 }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer() },
);
const bigintArb = fc.oneof(fc.constantFrom(0n, 1n, -1n, 2n ** 64n, -(2n ** 63n)), fc.bigInt());
const symbolArb = fc.constantFrom(Symbol('fuzz'), Symbol.iterator, Symbol.for('x'), Symbol.toPrimitive);
const SAFE_STRINGS = [
  '',
  ' ',
  '0',
  '1',
  '-1',
  '1.5',
  'NaN',
  '0x10',
  '127.0.0.1',
  '::1',
  '\0',
  '\0abc',
  'é',
  '\u{1F600}',
  'x'.repeat(300),
  'a\0b',
  '%s',
  '__proto__',
  'constructor',
];
/** Strings for positions that never reach the resolver or the file system. */
const freeString = fc.oneof(
  fc.constantFrom(...SAFE_STRINGS),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

function detachedView(): Uint8Array {
  const ab = new ArrayBuffer(8);
  const v = new Uint8Array(ab);
  structuredClone(ab, { transfer: [ab] });
  return v;
}

function resizableView(): ArrayBufferView {
  try {
    const Ctor = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer;
    return new Uint8Array(new Ctor(8, { maxByteLength: 64 }));
  } catch {
    return new Uint8Array(8);
  }
}

const BIG = Buffer.alloc(1 << 20, 0x61);
/** Bytes-like values (and a few that look like them but are not). */
const bytesArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
  fc.uint8Array({ maxLength: 64 }),
  fc.int8Array({ maxLength: 16 }),
  fc.uint16Array({ maxLength: 16 }),
  fc.int32Array({ maxLength: 16 }),
  fc.float32Array({ maxLength: 8 }),
  fc.float64Array({ maxLength: 8 }),
  fc.bigInt64Array({ maxLength: 4 }),
  fc
    .nat({ max: 32 })
    .chain((n) => fc.tuple(fc.constant(n), fc.nat({ max: n }), fc.nat({ max: n })))
    .map(([n, a, b]) => new DataView(new ArrayBuffer(n), Math.min(a, b), Math.max(a, b) - Math.min(a, b))),
  fc
    .constantFrom<() => unknown>(
      () => Buffer.alloc(0),
      () => new Uint8Array(0),
      () => new Float64Array(0),
      () => new DataView(new ArrayBuffer(0)),
      () => Buffer.from('hello world').subarray(3, 7),
      () => new Uint8Array(new SharedArrayBuffer(16)),
      () => detachedView(),
      () => resizableView(),
      () => BIG,
      () => new Uint8ClampedArray(5),
      () => new ArrayBuffer(8), // not a view
      () => new SharedArrayBuffer(8),
    )
    .map((f) => f()),
);

const fnArb = fc.constantFrom<unknown>(
  () => {},
  function named() {},
  class K {},
  async () => {},
  function* gen() {},
  Math.max,
  Symbol,
  Object.assign(() => 3, { fileno: () => 3 }),
  new Proxy(() => {}, {}),
);

/**
 * A value made only when the call is made: fast-check itself cannot hold a
 * revoked Proxy (every operation on one throws). `unwrap` makes it.
 */
class Lazy {
  constructor(readonly make: () => unknown) {}
  [inspect.custom](): string {
    return '<made at call time>';
  }
}

function revoked(): Lazy {
  return new Lazy(() => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  });
}

function hasLazy(v: unknown, depth = 0): boolean {
  if (v instanceof Lazy) return true;
  if (depth > 3 || typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return v.some((x) => hasLazy(x, depth + 1));
  return Object.getPrototypeOf(v) === Object.prototype && Object.values(v).some((x) => hasLazy(x, depth + 1));
}

/** The generated value with its Lazy parts made (arrays and plain objects holding none are kept as they are). */
function unwrap<T>(v: T, depth = 0): T {
  if (v instanceof Lazy) return v.make() as T;
  if (!hasLazy(v, depth)) return v;
  if (Array.isArray(v)) return v.map((x) => unwrap(x, depth + 1)) as T;
  return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, unwrap(x, depth + 1)])) as T;
}

/** A closed socket object (its fd -1). */
function closedSocket(): Sock {
  const s = socket.socket();
  s.close();
  return s;
}

const oddObjectArb = fc
  .constantFrom<() => unknown>(
    () => ({}),
    () => Object.create(null),
    () => new Date(NaN),
    () => /re/g,
    () => new Map([[1, 2]]),
    () => new Set([1, 'a']),
    () => new WeakMap(),
    () => Promise.resolve(1),
    () => new Error('x'),
    () => ({ length: 3 }),
    () => ({ length: 1e9 }),
    () => ({ 0: 'a', length: 1 }),
    () => ({ valueOf: () => 5 }),
    () => ({ toString: () => '127.0.0.1' }),
    () => ({ [Symbol.toPrimitive]: () => 80 }),
    () => ({ fileno: () => -1 }),
    () => ({ fileno: () => 1.5 }),
    () => ({ fileno: 3 }),
    () => ({ fileno: () => 'x' }),
    () => ({ fileno: () => 2 ** 31 }),
    () => ({
      [Symbol.iterator]: function* () {
        yield Buffer.from('it');
        yield 1;
      },
    }),
    () => ({ signal: 5 }),
    () => new Number(5),
    () => new String('x'),
    () => new Boolean(false),
    () => Object(Symbol('boxed')),
    () => Object(1n),
    () => revoked(),
    () => new Proxy({}, {}),
    () => new Proxy([1, 2], {}),
    () => closedSocket(),
    () => Object.freeze([1, 2]),
    () => Object.assign([1, 2], { extra: true }),
    () => new (class Sub extends Array {})(),
    () => Array(3),
    () => [, , 1], // eslint-disable-line no-sparse-arrays
    () => globalThis,
  )
  .map((f) => f());

/** Leaves of every JS type; strings from `strings`, bytes from `bytes`. */
function leafArb(strings: fc.Arbitrary<unknown>, bytes: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: numberArb },
    { weight: 1, arbitrary: bigintArb },
    { weight: 2, arbitrary: strings },
    { weight: 1, arbitrary: symbolArb },
    { weight: 1, arbitrary: fc.constantFrom(null, undefined, true, false) },
    { weight: 2, arbitrary: bytes },
    { weight: 1, arbitrary: fnArb },
    { weight: 2, arbitrary: oddObjectArb },
  );
}

/** Any value: leaves, and arrays, tuples and plain objects of them, two levels deep. */
function valueArb(strings: fc.Arbitrary<unknown>, bytes: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const leaf = leafArb(strings, bytes);
  const shallow = fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(leaf, { maxLength: 5 }) },
    {
      weight: 1,
      arbitrary: fc.dictionary(fc.constantFrom('a', 'fileno', 'signal', 'length', '0'), leaf, { maxKeys: 3 }),
    },
  );
  return fc.oneof({ weight: 4, arbitrary: shallow }, { weight: 1, arbitrary: fc.array(shallow, { maxLength: 4 }) });
}

const anyArb = valueArb(freeString, bytesArb);

/** Whether v could be an fd that is not ours (vitest's pipes, libuv's epoll...): never handed to calls that adopt or change an fd. */
const maybeForeignFd = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff;
/** anyArb without such numbers. */
const anyNoFd = anyArb.filter((v) => !maybeForeignFd(v));

/** Numeric loopback hosts: the resolver only parses them. */
const HOSTS = ['127.0.0.1', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1', '127.1'];
/**
 * Strings that are safe wherever an address parser may read them as a host:
 * numeric loopback hosts, and names with a leading NUL (as a C string, an
 * empty name the resolver refuses at once; as an AF_UNIX address, abstract).
 * Never '' (the wildcard address) nor a name the resolver would look up.
 */
const hostSafeString = fc.oneof(
  fc.constantFrom(...HOSTS, ABSTRACT_LISTENER, ABSTRACT_SINK, '\0', '\0' + 'y'.repeat(107), '\0' + 'z'.repeat(108)),
  fc.string({ maxLength: 12 }).map((s) => '\0fuzz-' + s),
);
/** Bytes equally safe as a host or an AF_UNIX address: non-empty, leading NUL. */
const hostSafeBytes: fc.Arbitrary<unknown> = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.concat([Buffer.from([0]), a])),
  fc.uint8Array({ maxLength: 16 }).map((a) => new Uint8Array([0, ...a])),
  fc
    .constantFrom<() => unknown>(
      () => new Float64Array(1),
      () => new DataView(new ArrayBuffer(4)),
      () => new ArrayBuffer(2),
      () => Buffer.from(ABSTRACT_LISTENER),
      () => Buffer.from(ABSTRACT_SINK),
    )
    .map((f) => f()),
);
/** Any value whose strings and bytes are host-safe: for every position inside an address. */
const nestedAny = valueArb(hostSafeString, hostSafeBytes);
/** Ports: ours, 0, and invalid ones; never a valid port somebody else may use. */
const portArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .constantFrom<() => unknown>(
        () => P,
        () => L,
        () => 0,
      )
      .map((f) => f()),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      -1,
      65536,
      70000,
      1.5,
      NaN,
      Infinity,
      -Infinity,
      2 ** 31,
      2 ** 53,
      -(2 ** 31),
      1e300,
      -0,
    ),
  },
  { weight: 1, arbitrary: nestedAny.filter((v) => typeof v !== 'number') },
);
/**
 * Addresses: well-formed tuples of loopback hosts and our ports, and every
 * malformed shape. Only the top level may be a relative AF_UNIX name (in the
 * temporary working directory) or an empty one (autobind).
 */
const addressArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...HOSTS), portArb) },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.constantFrom('::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'),
      portArb,
      fc.oneof(numberArb, nestedAny),
      fc.oneof(numberArb, nestedAny),
    ),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('::1', '127.0.0.1'), portArb, fc.oneof(numberArb, nestedAny)) },
  { weight: 1, arbitrary: fc.array(fc.oneof(hostSafeString, portArb, nestedAny), { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(Buffer.from('127.0.0.1'), Buffer.from('::1')), portArb) },
  { weight: 2, arbitrary: hostSafeString },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.constantFrom('', 'fuzz.sock', 'x'.repeat(107), 'x'.repeat(108), Buffer.alloc(0), new Uint8Array(0)),
      fc.stringMatching(/^[a-z]{1,8}$/).map((s) => `f-${s}`),
    ),
  },
  { weight: 2, arbitrary: nestedAny },
);

const intArb = fc.oneof({ weight: 3, arbitrary: numberArb }, { weight: 1, arbitrary: anyArb });
const boolArb = fc.oneof({ weight: 3, arbitrary: fc.boolean() }, { weight: 1, arbitrary: anyArb });
const timeoutArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      null,
      0,
      -0,
      0.01,
      1e-9,
      0.5,
      3600,
      -1,
      -1e-10,
      NaN,
      Infinity,
      -Infinity,
      9.2e9,
      1e10,
      2 ** 63,
    ),
  },
  { weight: 1, arbitrary: anyArb },
);
const sizeArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      0,
      1,
      2,
      7,
      16,
      100,
      1024,
      65536,
      65537,
      100_000,
      -1,
      -0,
      1.5,
      NaN,
      Infinity,
      2 ** 31,
      2 ** 33,
      2 ** 40,
      2 ** 53,
      1e300,
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: -10, max: 5000 }) },
  { weight: 1, arbitrary: anyArb },
);
const flagsArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      0,
      socket.MSG_PEEK,
      socket.MSG_DONTWAIT,
      socket.MSG_WAITALL,
      socket.MSG_OOB,
      socket.MSG_TRUNC,
      socket.MSG_PEEK | socket.MSG_TRUNC,
      socket.MSG_CTRUNC,
      0x40000000,
      -1,
      2 ** 31,
      1.5,
      NaN,
    ),
  },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: anyArb },
);
/** Option levels and names that never reach the network (no multicast membership). */
const levelArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      socket.SOL_SOCKET,
      socket.IPPROTO_TCP,
      socket.IPPROTO_IP,
      socket.IPPROTO_IPV6,
      socket.IPPROTO_UDP,
      9999,
      -1,
      2 ** 31,
      1.5,
    ),
  },
  { weight: 1, arbitrary: anyArb },
);
const SAFE_OPTS = [
  socket.SO_REUSEADDR,
  socket.SO_KEEPALIVE,
  socket.SO_RCVBUF,
  socket.SO_SNDBUF,
  socket.SO_LINGER,
  socket.SO_RCVTIMEO,
  socket.SO_SNDTIMEO,
  socket.SO_ERROR,
  socket.SO_TYPE,
  socket.TCP_NODELAY,
  socket.IP_TTL,
  socket.IP_TOS,
  socket.IPV6_V6ONLY,
  socket.IPV6_UNICAST_HOPS,
  socket.IP_MULTICAST_TTL,
  socket.IP_MULTICAST_LOOP,
  9999,
  -1,
  2 ** 31,
];
const optnameArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...SAFE_OPTS) }, { weight: 1, arbitrary: anyArb });
const optvalueArb = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(0, 1, -1, 2 ** 31 - 1, 2 ** 31, 1.5, NaN) },
  { weight: 2, arbitrary: bytesArb },
  { weight: 1, arbitrary: anyArb },
);
const viewsArb = fc.oneof(
  { weight: 3, arbitrary: fc.array(bytesArb, { maxLength: 4 }) },
  { weight: 1, arbitrary: anyArb },
);
/** Ancillary items: SOL_SOCKET ones (SCM_RIGHTS with our fds or invalid numbers) and malformed ones. */
const ancItemArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(
      fc.constantFrom(socket.SOL_SOCKET, 9999, -1, 2 ** 31, 1.5),
      fc.constantFrom(socket.SCM_RIGHTS, socket.SCM_CREDENTIALS ?? 2, 9999, -1),
      fc.oneof(
        fc.array(fc.constantFrom(0, 1, 2, -1, 99999, 2 ** 31 - 1), { maxLength: 4 }).map((a) => Int32Array.from(a)),
        bytesArb,
      ),
    ),
  },
  { weight: 1, arbitrary: anyArb },
);
const ancArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.array(ancItemArb, { maxLength: 3 }) },
  { weight: 1, arbitrary: anyArb },
);
const ancSizeArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 4, 15, 16, 20, 24, 64, 1024, 1 << 24, -1, 2 ** 31, 1.5, NaN) },
  { weight: 1, arbitrary: anyArb },
);

// ------------------------------------------------------------------ checks

/** The errors every call may throw. */
function allowedError(e: unknown): boolean {
  return e instanceof TypeError || e instanceof RangeError || e instanceof OSError;
}

function show(v: unknown): string {
  try {
    return inspect(v, { depth: 2, breakLength: Infinity, maxArrayLength: 8, maxStringLength: 40 });
  } catch {
    return '<uninspectable>';
  }
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.constructor.name} (${e.name}): ${e.message}`;
  return `non-Error ${show(e)}`;
}

/** Calls f; a throw must satisfy ok. Returns the result, or undefined when it threw. */
function call(what: string, f: () => unknown, ok: (e: unknown) => boolean = allowedError): unknown {
  try {
    return f();
  } catch (e) {
    if (!ok(e)) throw new Error(`${what} threw ${describeError(e)}`, { cause: e });
    return undefined;
  }
}

function fdTable(): Map<string, string> {
  const m = new Map<string, string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      m.set(fd, readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the directory's own fd, gone already
    }
  }
  return m;
}

/** Runs body and checks it left /proc/self/fd as it found it. */
function noFdLeak<T>(what: string, body: () => T): T {
  const before = fdCount();
  const table = fdTable();
  const r = body();
  const after = fdCount();
  if (after !== before) {
    const now = fdTable();
    const extra = [...now].filter(([fd, t]) => table.get(fd) !== t).map(([fd, t]) => `${fd} -> ${t}`);
    throw new Error(`${what}: ${after - before} fd(s) leaked: ${extra.join(', ')}`);
  }
  return r;
}

async function noFdLeakAsync<T>(what: string, body: () => Promise<T>): Promise<T> {
  const before = fdCount();
  const r = await body();
  const after = fdCount();
  if (after !== before) throw new Error(`${what}: ${after - before} fd(s) leaked`);
  return r;
}

/** Closes every socket (and epoll object) in a result; closing may throw only allowed errors. */
function release(v: unknown, depth = 0): void {
  if (v instanceof Socket) call('close() of a returned socket', () => v.close());
  else if (v instanceof sel.epoll) call('close() of a returned epoll', () => v.close());
  else if (Array.isArray(v) && depth < 3) for (const x of v) release(x, depth + 1);
}

/** Closes the fds a recvmsg result carries in SCM_RIGHTS items. */
function closeReceivedFds(r: unknown): void {
  if (!Array.isArray(r) || !Array.isArray(r[1])) return;
  for (const item of r[1] as unknown[]) {
    if (!Array.isArray(item) || item[0] !== socket.SOL_SOCKET || item[1] !== socket.SCM_RIGHTS) continue;
    const data = item[2] as Buffer;
    for (let off = 0; off + 4 <= data.length; off += 4) native.close(data.readInt32LE(off));
  }
}

// ------------------------------------------------------------------ sockets for generated calls

const KINDS = [
  'tcp',
  'tcp6',
  'tcp-listener',
  'tcp-listener-pending',
  'tcp-conn',
  'udp',
  'udp6',
  'udp-unbound',
  'unix-stream',
  'unix-dgram',
  'unix-seqpacket',
  'unix-unbound',
  'closed',
  'detached',
] as const;
type Kind = (typeof KINDS)[number];

interface Fixture {
  sock: Sock;
  others: Sock[];
}

/** A socket of `kind` in timeout mode (T) or non-blocking, its peers in `others`. */
function makeSocket(kind: Kind, nonBlocking: boolean, withData: boolean, withFds: boolean): Fixture {
  const others: Sock[] = [];
  let sock: Sock;
  const pair = (type: number) => {
    const [a, b] = socket.socketpair(socket.AF_UNIX, type);
    others.push(b);
    b.settimeout(1);
    if (withData) b.send(Buffer.from('fuzz data'));
    if (withFds) socket.send_fds(b, [Buffer.from('F')], [b.fileno()]);
    return a;
  };
  switch (kind) {
    case 'tcp':
      sock = socket.socket();
      break;
    case 'tcp6':
      sock = socket.socket(hasV6 ? socket.AF_INET6 : socket.AF_INET);
      break;
    case 'tcp-listener':
    case 'tcp-listener-pending':
      sock = socket.create_server(['127.0.0.1', 0]);
      if (kind === 'tcp-listener-pending') {
        const c = socket.socket();
        c.settimeout(1);
        c.connect(sock.getsockname() as [string, number]);
        others.push(c);
      }
      break;
    case 'tcp-conn': {
      const server = socket.create_server(['127.0.0.1', 0]);
      sock = socket.socket();
      sock.settimeout(1);
      sock.connect(server.getsockname() as [string, number]);
      server.settimeout(1);
      const [conn] = server.accept();
      server.close();
      others.push(conn);
      if (withData) conn.sendall(Buffer.from('fuzz data'));
      break;
    }
    case 'udp':
    case 'udp6': {
      const v6 = kind === 'udp6' && hasV6;
      sock = socket.socket(v6 ? socket.AF_INET6 : socket.AF_INET, socket.SOCK_DGRAM);
      sock.bind([v6 ? '::1' : '127.0.0.1', 0]);
      if (withData) {
        const c = socket.socket(sock.family, socket.SOCK_DGRAM);
        c.sendto(Buffer.from('fuzz datagram'), sock.getsockname() as [string, number]);
        c.close();
      }
      break;
    }
    case 'udp-unbound':
      sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
      break;
    case 'unix-stream':
      sock = pair(socket.SOCK_STREAM);
      break;
    case 'unix-dgram':
      sock = pair(socket.SOCK_DGRAM);
      break;
    case 'unix-seqpacket':
      sock = pair(socket.SOCK_SEQPACKET);
      break;
    case 'unix-unbound':
      sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM);
      break;
    case 'closed':
      sock = socket.socket();
      sock.close();
      break;
    case 'detached':
      sock = socket.socket();
      native.close(sock.detach());
      break;
  }
  if (sock.fileno() >= 0) {
    if (nonBlocking) sock.setblocking(false);
    else sock.settimeout(T);
  }
  return { sock, others };
}

function closeFixture(f: Fixture): void {
  for (const s of [f.sock, ...f.others]) call('close() of a fixture', () => s.close());
}

const fixtureArb = fc.record({
  kind: fc.constantFrom(...KINDS),
  nonBlocking: fc.boolean(),
  withData: fc.boolean(),
  withFds: fc.boolean(),
});

/** Arguments: the plausible ones of `spec`, cut at a generated length, sometimes with extra garbage. */
function argsArb(spec: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown[]> {
  return fc
    .tuple(fc.nat({ max: spec.length + 1 }), fc.tuple(...spec), fc.array(anyArb, { maxLength: 2 }))
    .map(([n, args, extra]) => (n > spec.length ? [...args, ...extra] : args.slice(0, n)));
}

// ------------------------------------------------------------------ Socket methods

/** Socket methods and the arbitraries of their arguments. */
const METHODS: [string, fc.Arbitrary<unknown>[], ((s: Sock, args: unknown[]) => unknown)?][] = [
  ['settimeout', [timeoutArb]],
  ['gettimeout', []],
  ['setblocking', [boolArb]],
  ['getblocking', []],
  ['bind', [addressArb]],
  ['listen', [intArb]],
  ['accept', []],
  ['connect', [addressArb]],
  ['connect_ex', [addressArb]],
  ['recv', [sizeArb, flagsArb]],
  ['recv_into', [fc.oneof(bytesArb, anyArb), sizeArb, flagsArb]],
  ['recvfrom', [sizeArb, flagsArb]],
  ['recvfrom_into', [fc.oneof(bytesArb, anyArb), sizeArb, flagsArb]],
  ['send', [fc.oneof(bytesArb, anyArb), flagsArb]],
  ['sendall', [fc.oneof(bytesArb, anyArb), flagsArb]],
  ['sendto', [fc.oneof(bytesArb, anyArb), fc.oneof(addressArb, flagsArb), addressArb]],
  ['sendmsg', [viewsArb, ancArb, flagsArb, fc.oneof(fc.constant(undefined), fc.constant(null), addressArb)]],
  ['recvmsg', [sizeArb, ancSizeArb, flagsArb]],
  ['recvmsg_into', [viewsArb, ancSizeArb, flagsArb]],
  ['shutdown', [fc.oneof(fc.constantFrom(socket.SHUT_RD, socket.SHUT_WR, socket.SHUT_RDWR, 3, -1), intArb)]],
  ['close', []],
  ['detach', []],
  ['dup', []],
  ['getsockname', []],
  ['getpeername', []],
  ['setsockopt', [levelArb, optnameArb, optvalueArb]],
  [
    'getsockopt',
    [
      levelArb,
      fc.oneof(optnameArb, fc.integer({ min: -5, max: 100 })),
      fc.oneof(fc.constantFrom(0, 1, 4, 8, 1024, 1025, -1, 2 ** 31), intArb),
    ],
  ],
  ['fileno', []],
  ['toString', []],
  ['inspect', [], (s) => inspect(s)],
  ['dispose', [], (s) => s[Symbol.dispose]()],
  ['getters', [], (s) => [s.family, s.type, s.proto, s.timeout]],
];

describe('Socket methods with generated arguments', () => {
  it.each(METHODS.map(([name, spec, f]) => ({ name, spec, f })))('$name', ({ name, spec, f }) => {
    fc.assert(
      fc.property(fixtureArb, argsArb(spec), (fx, generated) => {
        const args = unwrap(generated);
        noFdLeak(`${name} on ${fx.kind}`, () => {
          const fixture = makeSocket(fx.kind, fx.nonBlocking, fx.withData, fx.withFds);
          const { sock } = fixture;
          const what = `${fx.kind} socket.${name}(${args.map(show).join(', ')})`;
          try {
            const r = call(what, () =>
              f ? f(sock, args) : (sock as unknown as Record<string, (...a: unknown[]) => unknown>)[name](...args),
            );
            if (name === 'detach' && typeof r === 'number' && r >= 0) native.close(r);
            if (name === 'recvmsg' || name === 'recvmsg_into') closeReceivedFds(r);
            release(r);
            if (name === 'gettimeout') expect(r === null || typeof r === 'number').toBe(true);
            if (name === 'fileno') expect(Number.isInteger(r)).toBe(true);
            if (name === 'toString' || name === 'inspect') expect(typeof r).toBe('string');
          } finally {
            closeFixture(fixture);
          }
        });
      }),
      runs(
        name === 'recv' || name === 'sendmsg' || name === 'recvmsg' || name === 'sendto' || name === 'recvmsg_into'
          ? 300
          : 150,
      ),
    );
  });

  it('new Socket(family, type, proto, fileno) with generated arguments', () => {
    const familyArb = fc.oneof(
      fc.constantFrom(
        undefined,
        socket.AF_INET,
        socket.AF_INET6,
        socket.AF_UNIX,
        socket.AF_UNSPEC,
        17,
        16,
        12345,
        -1,
        2 ** 31,
      ),
      intArb,
    );
    const typeArb = fc.oneof(
      fc.constantFrom(
        undefined,
        socket.SOCK_STREAM,
        socket.SOCK_DGRAM,
        socket.SOCK_SEQPACKET,
        socket.SOCK_RAW,
        socket.SOCK_STREAM | (socket.SOCK_NONBLOCK ?? 0),
        99,
        -1,
      ),
      intArb,
    );
    // fileno: an fd of ours (a detached socket), or invalid values; never someone else's fd.
    const filenoArb = fc.oneof(
      fc.constantFrom('own', undefined, null, -1, -(2 ** 31), 2 ** 31, 1 << 20, 1.5, NaN),
      anyNoFd,
    );
    fc.assert(
      fc.property(
        familyArb,
        typeArb,
        fc.oneof(fc.constantFrom(undefined, 0, 6, 17, -1, 1 << 20), intArb),
        filenoArb,
        fc.boolean(),
        (...generated) => {
          const [family, type, proto, fileno, withDefault] = unwrap(generated);
          noFdLeak('new Socket', () => {
            const own = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).detach();
            if (withDefault) socket.setdefaulttimeout(T);
            try {
              const f = fileno === 'own' ? own : fileno;
              const r = call(
                `new Socket(${show(family)}, ${show(type)}, ${show(proto)}, ${show(f)})`,
                () => new Socket(family as number, type as number, proto as number, f as number),
              );
              if (r instanceof Socket) {
                const adopted = r.fileno() === own;
                call('close()', () => r.close()); // an invalid fileno given with family, type and proto: EBADF here, as in CPython
                if (adopted) return;
              }
            } finally {
              socket.setdefaulttimeout(null);
            }
            native.close(own);
          });
        },
      ),
      runs(500),
    );
  });
});

// ------------------------------------------------------------------ module functions

/** fds: ours (of the run's sockets, made when the call is made) or invalid numbers, and garbage; never an fd of someone else. */
function fdArb(own: () => number[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.nat({ max: 2 }).map((i) => new Lazy(() => own()[i])) },
    { weight: 2, arbitrary: fc.constantFrom(-1, -(2 ** 31), 2 ** 31, 1 << 20, 99_999, 1.5, NaN, Infinity, -0) },
    { weight: 1, arbitrary: anyNoFd },
  );
}

describe('module functions with generated arguments', () => {
  // Sockets of ours whose fds generated calls may receive; fresh for each run.
  let ownSocks: Sock[] = [];
  const own = () => ownSocks.map((s) => s.fileno());
  function withOwn<T>(body: () => T): T {
    const [a, b] = socket.socketpair();
    const u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
    ownSocks = [a, b, u];
    for (const s of ownSocks) s.settimeout(T);
    try {
      return body();
    } finally {
      for (const s of ownSocks) s.close();
      ownSocks = [];
    }
  }
  const fd = fdArb(own);
  const familyArb = fc.oneof(
    fc.constantFrom(socket.AF_INET, socket.AF_INET6, socket.AF_UNIX, socket.AF_UNSPEC, 12345, -1, 2 ** 31, 1.5),
    intArb,
  );
  const typeArb = fc.oneof(
    fc.constantFrom(socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_SEQPACKET, socket.SOCK_RAW, 0, 99, -1),
    intArb,
  );
  const protoArb = fc.oneof(fc.constantFrom(0, 6, 17, -1, 255, 2 ** 31), intArb);
  const aiFlags = fc.oneof(
    fc.constantFrom(
      0,
      socket.AI_PASSIVE,
      socket.AI_CANONNAME,
      socket.AI_NUMERICHOST,
      socket.AI_NUMERICSERV,
      socket.AI_ADDRCONFIG,
      socket.AI_V4MAPPED | socket.AI_ALL,
      -1,
      0x7fffffff,
      2 ** 31,
    ),
    intArb,
  );
  const gaiPort = fc.oneof(
    fc.constantFrom(
      null,
      undefined,
      0,
      80,
      65535,
      65536,
      -1,
      1e300,
      1.5,
      NaN,
      'http',
      'no-such-service',
      '80',
      '',
      'x'.repeat(300),
    ),
    anyArb,
  );

  const FUNCS: [
    string,
    fc.Arbitrary<unknown[]>,
    (args: unknown[]) => unknown,
    ((e: unknown, args: unknown[]) => boolean)?,
  ][] = [
    [
      'socket',
      argsArb([familyArb, typeArb, protoArb, fc.oneof(fc.constantFrom(undefined, null, -1, 1.5), fd)]),
      (a) => {
        // socket(family, type, proto, fileno) adopts fileno: only a duplicate of ours.
        const [f, t, p, n] = a;
        if (typeof n === 'number' && Number.isInteger(n) && n >= 0) {
          const dup = native.dup(ownSocks[0].fileno());
          try {
            return socket.socket(f as number, t as number, p as number, dup);
          } catch (e) {
            native.close(dup);
            throw e;
          }
        }
        return socket.socket(f as number, t as number, p as number, n as number);
      },
    ],
    [
      'socketpair',
      argsArb([familyArb, typeArb, protoArb]),
      (a) => socket.socketpair(...(a as [number, number, number])),
    ],
    [
      'fromfd',
      argsArb([fd, familyArb, typeArb, protoArb]),
      (a) => socket.fromfd(...(a as [number, number, number, number])),
    ],
    [
      'create_connection',
      argsArb([
        fc.oneof(
          { weight: 3, arbitrary: fc.tuple(fc.constantFrom('127.0.0.1', '::1', 'localhost'), portArb) },
          { weight: 1, arbitrary: addressArb },
        ),
        timeoutArb,
        fc.oneof(fc.constant(undefined), fc.constant(null), fc.constant(['127.0.0.1', 0]), addressArb),
        fc.oneof(fc.constant(undefined), fc.constant({ all_errors: true }), fc.constant({ all_errors: false }), anyArb),
      ]),
      (a) => socket.create_connection(...(a as Parameters<typeof socket.create_connection>)),
      // Documented: with all_errors, an AggregateError of the attempts' OSErrors.
      (e, a) =>
        e instanceof AggregateError &&
        !!(a[3] as { all_errors?: unknown })?.all_errors &&
        e.errors.every((x) => x instanceof OSError),
    ],
    [
      'create_server',
      argsArb([
        addressArb,
        fc.oneof(
          fc.record(
            {
              family: fc.oneof(fc.constantFrom(socket.AF_INET, socket.AF_INET6, socket.AF_UNIX, 12345), anyArb),
              backlog: fc.oneof(fc.constantFrom(null, 0, -1, 1, 2 ** 31, 1.5), anyArb),
              reuse_port: fc.oneof(fc.boolean(), anyArb),
              dualstack_ipv6: fc.oneof(fc.boolean(), anyArb),
            },
            { requiredKeys: [] },
          ),
          anyArb,
        ),
      ]),
      (a) => socket.create_server(...(a as Parameters<typeof socket.create_server>)),
    ],
    [
      'getaddrinfo',
      fc
        .tuple(
          fc.oneof(
            {
              weight: 3,
              arbitrary: fc.constantFrom(
                'localhost',
                '127.0.0.1',
                '::1',
                null,
                '',
                Buffer.from('127.0.0.1'),
                Buffer.from('::1'),
              ),
            },
            {
              weight: 2,
              arbitrary: fc.oneof(
                freeString,
                fc.constantFrom('1.2.3.4.5', '999.1.1.1', '::::', '127.0.0.1 ', 'fe80::1%lo', '0x7f.1'),
              ),
            },
            { weight: 1, arbitrary: anyArb.filter((v) => typeof v !== 'string' && !Buffer.isBuffer(v)) },
          ),
          gaiPort,
          familyArb,
          typeArb,
          protoArb,
          aiFlags,
          fc.nat({ max: 6 }),
        )
        .map(([host, port, family, type, proto, flags, n]) => {
          // The resolver may see only numeric loopback hosts and 'localhost'
          // with family AF_INET or 0 (the files database answers it; AF_INET6
          // would ask DNS); other strings are parsed numerically only.
          const numericOnly = typeof host === 'string' && !['127.0.0.1', '::1', 'localhost'].includes(host);
          if (host === 'localhost' && family !== socket.AF_INET) family = socket.AF_UNSPEC;
          if (numericOnly)
            flags =
              typeof flags === 'number' && Number.isFinite(flags)
                ? flags | socket.AI_NUMERICHOST
                : socket.AI_NUMERICHOST;
          const args = [host, port, family, type, proto, flags];
          return host === 'localhost' || numericOnly ? args : args.slice(0, n);
        }),
      (a) => socket.getaddrinfo(...(a as Parameters<typeof socket.getaddrinfo>)),
    ],
    ['gethostname', argsArb([]), () => socket.gethostname()],
    ['has_dualstack_ipv6', argsArb([]), () => socket.has_dualstack_ipv6()],
    ['get_blocking', argsArb([fd]), (a) => socket.get_blocking(a[0] as number)],
    ['set_blocking', argsArb([fd, boolArb]), (a) => socket.set_blocking(a[0] as number, a[1] as boolean)],
    [
      'CMSG_LEN',
      argsArb([fc.oneof(sizeArb, fc.constantFrom(0x7fffffff - 16, 0x7fffffff - 15, 0x7fffffff))]),
      (a) => socket.CMSG_LEN(a[0] as number),
    ],
    [
      'CMSG_SPACE',
      argsArb([fc.oneof(sizeArb, fc.constantFrom(0x7fffffff - 24, 0x7fffffff - 16, 0x7fffffff))]),
      (a) => socket.CMSG_SPACE(a[0] as number),
    ],
    [
      'send_fds',
      argsArb([
        fc.oneof(fc.constant('own'), anyArb),
        viewsArb,
        fc.oneof(fc.array(fd, { maxLength: 4 }), anyArb),
        flagsArb,
        fc.oneof(fc.constant(null), addressArb),
      ]),
      (a) =>
        socket.send_fds(
          (a[0] === 'own' ? ownSocks[0] : a[0]) as Sock,
          ...(a.slice(1) as [Iterable<ArrayBufferView>, Iterable<number>]),
        ),
    ],
    [
      'recv_fds',
      argsArb([
        fc.oneof(fc.constant('own'), anyArb),
        sizeArb,
        fc.oneof(fc.constantFrom(0, 1, 4, 253, -1, 2 ** 29, 2 ** 31), intArb),
        flagsArb,
      ]),
      (a) => {
        // something to receive: bytes and one of our fds
        socket.send_fds(ownSocks[1], [Buffer.from('fds')], [ownSocks[2].fileno()]);
        const r = socket.recv_fds((a[0] === 'own' ? ownSocks[0] : a[0]) as Sock, ...(a.slice(1) as [number, number]));
        for (const n of r[1]) native.close(n);
        return r;
      },
    ],
    [
      'inet_aton',
      argsArb([fc.oneof(freeString, fc.constantFrom('127.1', '1.2.3.4', '0x7f.1', '256.1.1.1', '1.2.3.4.5'), anyArb)]),
      (a) => socket.inet_aton(a[0] as string),
    ],
    ['inet_ntoa', argsArb([fc.oneof(bytesArb, anyArb)]), (a) => socket.inet_ntoa(a[0] as Buffer)],
    [
      'inet_pton',
      argsArb([
        familyArb,
        fc.oneof(freeString, fc.constantFrom('::1', '1.2.3.4', '::ffff:1.2.3.4', 'fe80::1%lo', '1::2::3'), anyArb),
      ]),
      (a) => socket.inet_pton(a[0] as number, a[1] as string),
    ],
    [
      'inet_ntop',
      argsArb([
        familyArb,
        fc.oneof(
          bytesArb,
          fc.uint8Array({ minLength: 16, maxLength: 16 }),
          fc.uint8Array({ minLength: 4, maxLength: 4 }),
          anyArb,
        ),
      ]),
      (a) => socket.inet_ntop(a[0] as number, a[1] as Buffer),
    ],
    ['setdefaulttimeout', argsArb([timeoutArb]), (a) => socket.setdefaulttimeout(a[0] as number)],
    ['getdefaulttimeout', argsArb([]), () => socket.getdefaulttimeout()],
    ['OSError', argsArb([anyArb, anyArb]), (a) => new OSError(a[0] as number, a[1] as string)],
  ];

  it.each(FUNCS.map(([name, args, f, extra]) => ({ name, args, f, extra })))('$name', ({ name, args, f, extra }) => {
    fc.assert(
      fc.property(args, (generated) => {
        noFdLeak(name, () =>
          withOwn(() => {
            const a = unwrap(generated);
            try {
              const r = call(
                `${name}(${a.map(show).join(', ')})`,
                () => f(a),
                (e) => allowedError(e) || !!extra?.(e, a),
              );
              release(r);
            } finally {
              socket.setdefaulttimeout(null);
            }
          }),
        );
      }),
      runs(
        name === 'getaddrinfo' || name === 'create_connection' || name === 'create_server' || name === 'send_fds'
          ? 300
          : 200,
      ),
    );
  });
});

// ------------------------------------------------------------------ select, poll, epoll, selectors

describe('select, poll, epoll and selectors with generated arguments', () => {
  /** Ready and idle sockets of ours, for one run. */
  function withReady<T>(body: (s: Sock[]) => T): T {
    const [a, b] = socket.socketpair();
    a.send(Buffer.from('r')); // b readable, both writable
    const idle = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); // writable only
    const closed = closedSocket();
    const socks = [a, b, idle, closed];
    try {
      return body(socks);
    } finally {
      for (const s of socks) s.close();
    }
  }
  let socks: Sock[] = [];
  // The run's sockets are made when the call is made (Lazy): an index picks one.
  const fileLike = fc.oneof(
    { weight: 4, arbitrary: fc.nat({ max: 3 }).map((i) => new Lazy(() => socks[i])) },
    { weight: 2, arbitrary: fc.nat({ max: 3 }).map((i) => new Lazy(() => socks[i].fileno())) },
    { weight: 1, arbitrary: fc.nat({ max: 3 }).map((i) => new Lazy(() => ({ fileno: () => socks[i].fileno() }))) },
    { weight: 1, arbitrary: fc.constantFrom(-1, 1 << 20, 2 ** 31, 1.5, NaN) },
    { weight: 1, arbitrary: anyArb },
  );
  const list = fc.oneof(
    { weight: 4, arbitrary: fc.array(fileLike, { maxLength: 5 }) },
    { weight: 1, arbitrary: fc.array(fileLike, { maxLength: 3 }).map((a) => new Lazy(() => new Set(unwrap(a)))) },
    { weight: 1, arbitrary: anyArb },
  );
  // Wait timeouts that cannot hold a run: never null, undefined or "forever".
  const selectTimeout = fc.oneof(
    fc.constantFrom(0, -0, 0.001, 0.01, -1, NaN, Infinity, -Infinity, 2 ** 63, 1e-12),
    anyArb.filter((v) => v !== null && v !== undefined && typeof v !== 'number'),
  );
  const pollMs = fc.oneof(
    fc.constantFrom(0, -0, 1, 10, 0.5, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1),
    anyArb.filter((v) => v !== null && v !== undefined && typeof v !== 'number'),
  );
  const epollTimeout = fc.oneof(
    fc.constantFrom(0, -0, 0.001, 0.01, NaN, Infinity, 2 ** 63, 1e-12),
    anyArb.filter((v) => v !== null && v !== undefined && typeof v !== 'number'),
  );
  const maskArb = fc.oneof(
    fc.constantFrom(
      sel.POLLIN,
      sel.POLLOUT,
      sel.POLLIN | sel.POLLOUT,
      sel.POLLPRI,
      0,
      0xffff,
      0x10000,
      -1,
      sel.EPOLLIN | sel.EPOLLET,
      sel.EPOLLEXCLUSIVE,
      sel.EPOLLONESHOT | sel.EPOLLIN,
      2 ** 32,
      1.5,
    ),
    intArb,
  );
  const KEYERROR = (e: unknown) => allowedError(e) || e instanceof KeyError;

  it('select(rlist, wlist, xlist, timeout)', () => {
    fc.assert(
      fc.property(fc.tuple(list, list, list, selectTimeout), (generated) => {
        noFdLeak('select', () =>
          withReady((s) => {
            socks = s;
            // Always four arguments: an omitted timeout waits forever.
            const [r, w, x, t] = unwrap(generated);
            const args = [r, w, x, t];
            call(`select(${args.map(show).join(', ')})`, () => (sel.select as (...a: unknown[]) => unknown)(...args));
          }),
        );
      }),
      runs(400),
    );
  });

  const pollOp = fc.oneof(
    fc.tuple(fc.constant('register'), fileLike, fc.oneof(fc.constant(undefined), maskArb)),
    fc.tuple(fc.constant('modify'), fileLike, maskArb),
    fc.tuple(fc.constant('unregister'), fileLike),
    fc.tuple(fc.constant('poll'), pollMs),
  );
  it('poll(): register, modify, unregister, poll', () => {
    fc.assert(
      fc.property(fc.array(pollOp, { minLength: 1, maxLength: 6 }), (generated) => {
        noFdLeak('poll', () =>
          withReady((s) => {
            socks = s;
            const ops = unwrap(generated);
            const p = sel.poll() as unknown as Record<string, (...a: unknown[]) => unknown>;
            for (const [op, ...args] of ops) {
              const r = call(`poll.${op}(${args.map(show).join(', ')})`, () => p[op as string](...args), KEYERROR);
              if (op === 'poll' && r !== undefined) expect(Array.isArray(r)).toBe(true);
            }
          }),
        );
      }),
      runs(400),
    );
  });

  const epollOp = fc.oneof(
    fc.tuple(fc.constant('register'), fileLike, fc.oneof(fc.constant(undefined), maskArb)),
    fc.tuple(fc.constant('modify'), fileLike, maskArb),
    fc.tuple(fc.constant('unregister'), fileLike),
    fc.tuple(
      fc.constant('poll'),
      epollTimeout,
      fc.oneof(fc.constant(undefined), fc.constantFrom(-1, 0, 1, 2, 1000, -2, 1.5, NaN, 2 ** 31 - 1, 2 ** 31), anyArb),
    ),
    fc.tuple(fc.constant('fileno')),
    fc.tuple(fc.constant('close')),
  );
  it('epoll: constructor, register, modify, unregister, poll, fileno, close', () => {
    fc.assert(
      fc.property(
        fc.tuple(anyArb, anyArb),
        fc.array(epollOp, { minLength: 1, maxLength: 6 }),
        (generatedCtor, generatedOps) => {
          noFdLeak('epoll', () =>
            withReady((s) => {
              socks = s;
              const ctorArgs = unwrap(generatedCtor);
              const ops = unwrap(generatedOps);
              const ep = call(
                `new epoll(${ctorArgs.map(show).join(', ')})`,
                () => new sel.epoll(...(ctorArgs as [number, number])),
              ) as sel.epoll | undefined;
              if (!ep) return;
              try {
                for (const [op, ...args] of ops) {
                  call(`epoll.${op}(${args.map(show).join(', ')})`, () =>
                    (ep as unknown as Record<string, (...a: unknown[]) => unknown>)[op as string](...args),
                  );
                }
              } finally {
                ep.close();
              }
            }),
          );
        },
      ),
      runs(400),
    );
  });

  const SELECTORS = [
    selectors.DefaultSelector,
    selectors.SelectSelector,
    selectors.PollSelector,
    selectors.EpollSelector,
  ];
  const eventsArb = fc.oneof(
    fc.constantFrom(selectors.EVENT_READ, selectors.EVENT_WRITE, 3, 0, 4, -1, 1.5, NaN),
    anyArb,
  );
  // BaseSelector.select coerces its timeout with Math.max (select('1') waits 1 s,
  // select([5]) 5 s): garbage that coerces to a wait longer than 10 ms is left out.
  const waitsLong = (v: unknown) => {
    try {
      const n = Math.max(v as number, 0);
      return n > 0.01;
    } catch {
      return false;
    }
  };
  const selectorTimeout = fc.oneof(
    fc.constantFrom(0, -1, 0.001, 0.01, -Infinity, NaN),
    anyArb.filter((v) => v !== null && v !== undefined && typeof v !== 'number' && !waitsLong(v)),
  );
  const selectorOp = fc.oneof(
    fc.tuple(fc.constant('register'), fileLike, eventsArb, anyArb),
    fc.tuple(fc.constant('unregister'), fileLike),
    fc.tuple(fc.constant('modify'), fileLike, eventsArb, anyArb),
    fc.tuple(fc.constant('select'), selectorTimeout),
    fc.tuple(fc.constant('get_key'), fileLike),
    fc.tuple(fc.constant('map'), fileLike),
    fc.tuple(fc.constant('close')),
  );
  it('selectors: register, unregister, modify, select, get_key, get_map, close', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: SELECTORS.length - 1 }),
        fc.array(selectorOp, { minLength: 1, maxLength: 8 }),
        (k, generated) => {
          noFdLeak('selector', () =>
            withReady((s) => {
              socks = s;
              const ops = unwrap(generated);
              const selector = new SELECTORS[k]();
              const name = SELECTORS[k].name;
              try {
                for (const [op, ...args] of ops) {
                  const what = `${name}.${op}(${args.map(show).join(', ')})`;
                  if (op === 'map') {
                    call(
                      what,
                      () => {
                        const m = selector.get_map();
                        if (!m) return;
                        m.has(args[0] as number);
                        void [...m, ...m.values()];
                        return m.get(args[0] as number);
                      },
                      KEYERROR,
                    );
                  } else {
                    call(
                      what,
                      () =>
                        (selector as unknown as Record<string, (...a: unknown[]) => unknown>)[op as string](...args),
                      KEYERROR,
                    );
                  }
                }
              } finally {
                selector.close();
              }
            }),
          );
        },
      ),
      runs(500),
    );
  });
});

// ------------------------------------------------------------------ loop.sock_*

describe('loop.sock_* with generated arguments: rejected Promises, never a throw', () => {
  const reasonArb = fc.oneof(
    fc.constantFrom(undefined, null, 0, 'why'),
    fc.constant(new Error('custom reason')),
    anyArb,
  );
  /** options: absent, real signals (aborted with a generated reason, never aborted, timed), and garbage. */
  const optionsArb = fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: reasonArb.map((reason) => ({ signal: AbortSignal.abort(reason) })) },
    { weight: 1, arbitrary: fc.constant(0).map(() => ({ signal: new AbortController().signal })) },
    { weight: 1, arbitrary: fc.constantFrom(1, 5).map((ms) => ({ signal: AbortSignal.timeout(ms) })) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        anyArb,
        anyArb.map((signal) => ({ signal })),
      ),
    },
  );
  const sockArb = fc.oneof(
    { weight: 4, arbitrary: fixtureArb.map((f) => ({ ...f, nonBlocking: true })) },
    { weight: 1, arbitrary: fixtureArb },
    { weight: 1, arbitrary: anyArb.map((garbage) => ({ garbage })) },
  );
  const bufArb = fc.oneof(bytesArb, anyArb);
  const LOOP: [string, fc.Arbitrary<unknown>[]][] = [
    ['sock_recv', [sizeArb]],
    ['sock_recv_into', [bufArb, sizeArb]],
    ['sock_recvfrom', [sizeArb]],
    ['sock_recvfrom_into', [bufArb, sizeArb]],
    ['sock_sendall', [bufArb]],
    ['sock_sendto', [bufArb, addressArb]],
    ['sock_connect', [addressArb]],
    ['sock_accept', []],
  ];

  it.each(LOOP.map(([name, spec]) => ({ name, spec })))('$name', async ({ name, spec }) => {
    await fc.assert(
      fc.asyncProperty(
        sockArb,
        fc.tuple(...spec),
        optionsArb,
        fc.nat({ max: spec.length + 1 }),
        fc.nat({ max: 15 }),
        async (generatedSock, generatedArgs, generatedOptions, n, delay) => {
          const sk = unwrap(generatedSock);
          const args = unwrap(generatedArgs);
          const options = unwrap(generatedOptions);
          await noFdLeakAsync(name, async () => {
            const fixture = 'garbage' in sk ? null : makeSocket(sk.kind, sk.nonBlocking, sk.withData, sk.withFds);
            const sock = fixture ? fixture.sock : (sk as { garbage: unknown }).garbage;
            const all = [...args, options].slice(0, Math.max(n, spec.length) + 1);
            const what = `loop.${name}(${sk && 'kind' in sk ? sk.kind : 'garbage'}, ${all.map(show).join(', ')})`;
            let p: unknown;
            try {
              p = (socket.loop as unknown as Record<string, (...a: unknown[]) => unknown>)[name](sock, ...all);
            } catch (e) {
              if (fixture) closeFixture(fixture);
              throw new Error(`${what} threw synchronously: ${describeError(e)}`, { cause: e });
            }
            if (!(p instanceof Promise)) {
              if (fixture) closeFixture(fixture);
              throw new Error(`${what} returned ${show(p)}, not a Promise`);
            }
            // Whatever is still pending after a moment ends when the socket closes (EBADF).
            let settled = false;
            const outcome = p
              .then(
                (v) => ({ ok: true as const, v }),
                (e: unknown) => ({ ok: false as const, e }),
              )
              .finally(() => (settled = true));
            await new Promise((r) => setTimeout(r, delay));
            try {
              if (fixture) closeFixture(fixture);
              const bound = new Promise<'hung'>((r) => setTimeout(() => r('hung'), 3000).unref());
              const r = await Promise.race([outcome, bound]);
              if (r === 'hung')
                throw new Error(`${what} still pending 3 s after its socket was closed (settled: ${settled})`);
              if (r.ok) {
                release(r.v);
              } else {
                // The generated signal may be a revoked Proxy: even instanceof throws on it.
                let signal: AbortSignal | undefined;
                try {
                  const s = (options as { signal?: unknown } | undefined)?.signal;
                  signal = s instanceof AbortSignal ? s : undefined;
                } catch {
                  signal = undefined;
                }
                if (!(allowedError(r.e) || (signal?.aborted && r.e === signal.reason))) {
                  throw new Error(`${what} rejected with ${describeError(r.e)}`);
                }
              }
            } finally {
              if (fixture) closeFixture(fixture);
            }
          });
        },
      ),
      runs(name === 'sock_sendto' || name === 'sock_connect' ? 150 : 100),
    );
  });
});
